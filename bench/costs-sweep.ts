/**
 * The cost half of examples/sweeps/adc-array-design.json, rerun without training: the demo net
 * compiled and priced at every (ADC bits × array size) point of the sweep file's axes, and at three
 * g_max values. Accuracy needs the training runs (`fre sweep run`); cycles and energy do not depend on
 * the trained weights beyond the mean programmed conductance, priced here at the initial weights.
 * Writes bench/results/costs/adc-array-design-costs.{md,json} and checks the monotonicity claims.
 *
 *   npx tsc -p . && node dist/bench/costs-sweep.js
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { compile } from '../compiler/pipeline';
import { loadGraph } from '../graph/load';
import { resolveNet } from '../graph/net';
import { initParams } from '../graph/params';
import { readConductionNs, wireReadEnergyPj } from '../hw-models/estimators';
import { solveCrossbar } from '../hw-models/ir-drop';
import { resolveChipObject } from '../hw-models/load';
import { chipCosts } from '../netlist/costs';
import { makeRng } from '../util/rng';

interface Point {
  adcBits: number;
  arraySize: number;
  gMaxUS: number;
  cyclesPerInference: number;
  energyPjPerInference: number;
  cyclesPerTrainingSample: number;
  energyPjPerTrainingSample: number;
  readEnergyPjPerInference: number;
  adcEnergyPjPerInference: number;
}

function writeAtomic(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

export function sweepCosts(sweepFile: string, gMaxValues: number[]): Point[] {
  const sweep = JSON.parse(readFileSync(sweepFile, 'utf8')) as { graph: string; chip: string; axes: { name: string; values: number[] }[] };
  const bitsAxis = sweep.axes.find((a) => a.name === 'adcBits')!.values;
  const sizeAxis = sweep.axes.find((a) => a.name === 'arraySize')!.values;
  const net = resolveNet(loadGraph(join(dirname(sweepFile), sweep.graph)));
  const params = initParams(net, makeRng(net.spec.training.seed));
  const out: Point[] = [];
  for (const gMaxUS of gMaxValues) {
    for (const arraySize of sizeAxis) {
      for (const adcBits of bitsAxis) {
        const chip = resolveChipObject(
          {
            base: sweep.chip,
            name: `${sweep.chip}-adc${adcBits}-${arraySize}-g${gMaxUS}`,
            crossbar: { rows: arraySize, cols: arraySize, gMaxUS },
            periphery: { adc: { bits: adcBits } },
          },
          sweepFile,
        );
        const { netlist } = compile(net, chip, params, { wMax: { kind: 'max' }, specFile: sweep.graph, producerVersion: 'bench' });
        const c = chipCosts(netlist, chip);
        const e = c.energyByComponent.inference;
        out.push({
          adcBits,
          arraySize,
          gMaxUS,
          cyclesPerInference: c.cyclesPerInference,
          energyPjPerInference: c.energyPerInferenceJoules * 1e12,
          cyclesPerTrainingSample: c.cyclesPerTrainingSample,
          energyPjPerTrainingSample: c.energyPerTrainingSampleJoules * 1e12,
          readEnergyPjPerInference: (e['dynamic.array_read'] + e['dynamic.array_read_transposed']) * 1e12,
          adcEnergyPjPerInference: (e['dynamic.adc_conversion'] + e['leakage.adc']) * 1e12,
        });
      }
    }
  }
  return out;
}

interface WirePoint {
  arraySize: number;
  wireOhm: number;
  /** r·Ḡ·n² for the longer physical line: the first-order wire model holds while it is ≪ 1. */
  rGn2: number;
  readEnergyPjPerInference: number;
  wireEnergyPjPerInference: number;
  energyPjPerInference: number;
  energyPjPerTrainingSample: number;
}

/** The same demo net on the sweep's chip (its ADC bits, g_max 40 µS) with wire resistance: the
 *  wires' dissipation (hw-models/estimators.ts wireReadEnergyPj) per inference and training sample. */
export function sweepWire(sweepFile: string, ohms: number[]): WirePoint[] {
  const sweep = JSON.parse(readFileSync(sweepFile, 'utf8')) as { graph: string; chip: string; axes: { name: string; values: number[] }[] };
  const sizeAxis = sweep.axes.find((a) => a.name === 'arraySize')!.values;
  const net = resolveNet(loadGraph(join(dirname(sweepFile), sweep.graph)));
  const params = initParams(net, makeRng(net.spec.training.seed));
  const out: WirePoint[] = [];
  for (const arraySize of sizeAxis) {
    for (const wireOhm of ohms) {
      const chip = resolveChipObject(
        {
          base: sweep.chip,
          name: `${sweep.chip}-${arraySize}-r${wireOhm}`,
          crossbar: { rows: arraySize, cols: arraySize, wireResistanceOhm: wireOhm },
        },
        sweepFile,
      );
      const { netlist } = compile(net, chip, params, { wMax: { kind: 'max' }, specFile: sweep.graph, producerVersion: 'bench' });
      const c = chipCosts(netlist, chip);
      const e = c.energyByComponent.inference;
      const cellsPerLine = (arraySize * (chip.crossbar.cell === 'differential' ? 2 : 1)) as number;
      out.push({
        arraySize,
        wireOhm,
        rGn2: wireOhm * c.pricing.meanConductanceUS * 1e-6 * cellsPerLine ** 2,
        readEnergyPjPerInference: (e['dynamic.array_read'] + e['dynamic.array_read_transposed']) * 1e12,
        wireEnergyPjPerInference: (e['dynamic.wire_dissipation'] ?? 0) * 1e12,
        energyPjPerInference: c.energyPerInferenceJoules * 1e12,
        energyPjPerTrainingSample: c.energyPerTrainingSampleJoules * 1e12,
      });
    }
  }
  return out;
}

/**
 * The first-order wire energy (wireReadEnergyPj) against the exact circuit (hw-models/ir-drop.ts
 * solveCrossbar's Σ ΔV²/r): n×n reram arrays (2n device columns) at a uniform 22 µS, forward read,
 * averaged exactly over independent zero-mean inputs (E[P] = E[V²]·Σ_j P(column j alone at 1 V)).
 */
export function wireExactCheck(
  sizes: number[],
  ohms: number[],
): { n: number; ohm: number; rGn2: number; exactPj: number; firstOrderPj: number }[] {
  const out = [];
  const g = 22;
  for (const n of sizes) {
    for (const ohm of ohms) {
      const chip = resolveChipObject(
        { base: 'reram', name: `wire-${n}-${ohm}`, crossbar: { rows: n, cols: n, wireResistanceOhm: ohm } },
        'costs-sweep',
      );
      const C = 2 * n;
      const a = { rows: n, cols: C, g: new Float64Array(n * C).fill(g * 1e-6), wireOhm: ohm };
      let p = 0;
      for (let j = 0; j < C; j++) {
        const cols = new Float64Array(C);
        cols[j] = 1;
        p += solveCrossbar(a, { rows: new Float64Array(n), cols }).wirePowerW;
      }
      const ev2 = chip.costModel.inputActivity * chip.periphery.dac.readVoltageV ** 2;
      out.push({
        n,
        ohm,
        rGn2: ohm * g * 1e-6 * C * C,
        exactPj: p * ev2 * readConductionNs(chip) * 1e3,
        firstOrderPj: wireReadEnergyPj(chip, g, false),
      });
    }
  }
  return out;
}

/** The claims: per (array size, g_max), energy and cycles non-decreasing in ADC bits and energy strictly
 *  rising; per (bits, size), read energy strictly rising with g_max. Returns the violations. */
export function monotonicViolations(points: Point[]): string[] {
  const bad: string[] = [];
  const key = (p: Point) => `${p.arraySize}/${p.gMaxUS}`;
  const groups = new Map<string, Point[]>();
  for (const p of points) groups.set(key(p), [...(groups.get(key(p)) ?? []), p]);
  for (const [k, ps] of groups) {
    ps.sort((a, b) => a.adcBits - b.adcBits);
    for (let i = 1; i < ps.length; i++) {
      for (const m of ['energyPjPerInference', 'energyPjPerTrainingSample'] as const)
        if (!(ps[i][m] > ps[i - 1][m])) bad.push(`${k}: ${m} not rising from ${ps[i - 1].adcBits} to ${ps[i].adcBits} bits`);
      for (const m of ['cyclesPerInference', 'cyclesPerTrainingSample'] as const)
        if (!(ps[i][m] >= ps[i - 1][m])) bad.push(`${k}: ${m} falls from ${ps[i - 1].adcBits} to ${ps[i].adcBits} bits`);
    }
  }
  const byBits = new Map<string, Point[]>();
  for (const p of points) byBits.set(`${p.adcBits}/${p.arraySize}`, [...(byBits.get(`${p.adcBits}/${p.arraySize}`) ?? []), p]);
  for (const [k, ps] of byBits) {
    ps.sort((a, b) => a.gMaxUS - b.gMaxUS);
    for (let i = 1; i < ps.length; i++)
      if (!(ps[i].readEnergyPjPerInference > ps[i - 1].readEnergyPjPerInference)) bad.push(`${k}: read energy not rising with g_max`);
  }
  return bad;
}

if (require.main === module) {
  const root = join(__dirname, '..', '..');
  const file = process.argv[2] ?? join(root, 'examples', 'sweeps', 'adc-array-design.json');
  const points = sweepCosts(file, [10, 40, 80]);
  const L = [
    '| g_max (µS) | array | ADC bits | cycles/inference | energy/inference (nJ) | ADC energy (nJ) | read energy (nJ) | cycles/training sample | energy/training sample (nJ) |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const p of points) {
    L.push(
      `| ${p.gMaxUS} | ${p.arraySize} | ${p.adcBits} | ${p.cyclesPerInference} | ${(p.energyPjPerInference / 1e3).toPrecision(4)} | ${(p.adcEnergyPjPerInference / 1e3).toPrecision(3)} | ${(p.readEnergyPjPerInference / 1e3).toPrecision(3)} | ${p.cyclesPerTrainingSample.toFixed(1)} | ${(p.energyPjPerTrainingSample / 1e3).toPrecision(4)} |`,
    );
  }
  // The earlier training runs of this sweep (fixed per-action table): their accuracy (the numerics do
  // not depend on the cost model) beside the energy they reported and the energy priced now.
  const prior = join(root, 'bench', 'results', 'sweeps', 'adc-array-design.jsonl');
  if (existsSync(prior)) {
    const acc = new Map<string, { a: number[]; e: number[] }>();
    for (const line of readFileSync(prior, 'utf8').split('\n').filter(Boolean)) {
      const r = JSON.parse(line) as {
        point: { adcBits: number; arraySize: number };
        metrics: { finalTestAccuracy: number; energyPjPerInference: number };
      };
      const k = `${r.point.adcBits}/${r.point.arraySize}`;
      const v = acc.get(k) ?? { a: [], e: [] };
      v.a.push(r.metrics.finalTestAccuracy);
      v.e.push(r.metrics.energyPjPerInference);
      acc.set(k, v);
    }
    const mean = (x: number[]) => x.reduce((t, y) => t + y, 0) / x.length;
    L.push(
      '',
      'g_max 40 µS (the reram preset) beside the earlier training runs of this sweep (accuracy: 3 epochs, 10k samples, mean of 2 seeds; energy then: the fixed per-action table):',
      '',
      '| array | ADC bits | final test accuracy (earlier runs) | energy/inference then (nJ) | energy/inference now (nJ) | cycles/inference then → now |',
      '|---|---|---|---|---|---|',
    );
    for (const p of points.filter((q) => q.gMaxUS === 40)) {
      const v = acc.get(`${p.adcBits}/${p.arraySize}`);
      if (!v) continue;
      const before = JSON.parse(
        readFileSync(prior, 'utf8')
          .split('\n')
          .filter(Boolean)
          .find((l) => l.includes(`"point":{"adcBits":${p.adcBits},"arraySize":${p.arraySize}}`))!,
      ) as { metrics: { cyclesPerInference: number } };
      L.push(
        `| ${p.arraySize} | ${p.adcBits} | ${mean(v.a).toFixed(4)} | ${(mean(v.e) / 1e3).toPrecision(4)} | ${(p.energyPjPerInference / 1e3).toPrecision(4)} | ${before.metrics.cyclesPerInference} → ${p.cyclesPerInference} |`,
      );
    }
  }
  const wire = sweepWire(file, [0, 1, 2.5]);
  L.push(
    '',
    "Wire dissipation (g_max 40 µS, the sweep chip's ADC, wire resistance per segment as in bench/results/ir-drop; first order in r, valid while r·Ḡ·(2n)² ≪ 1 — beyond it an overestimate, measured against the exact circuit below):",
    '',
    '| array | wire Ω/segment | r·Ḡ·(2n)² | read energy, cells (nJ/inference) | wire dissipation (nJ/inference) | energy/inference (nJ) | energy/training sample (nJ) |',
    '|---|---|---|---|---|---|---|',
  );
  for (const w of wire)
    L.push(
      `| ${w.arraySize} | ${w.wireOhm} | ${w.rGn2.toPrecision(2)} | ${(w.readEnergyPjPerInference / 1e3).toPrecision(3)} | ${(w.wireEnergyPjPerInference / 1e3).toPrecision(3)} | ${(w.energyPjPerInference / 1e3).toPrecision(4)} | ${(w.energyPjPerTrainingSample / 1e3).toPrecision(4)} |`,
    );
  const check = wireExactCheck([32, 64, 128], [1, 2.5]);
  L.push(
    '',
    'The first-order wire energy against the exact circuit (one forward read of an n×n reram array, 2n device columns at a uniform 22 µS, exact expectation over independent zero-mean inputs):',
    '',
    '| array | wire Ω/segment | r·G·(2n)² | exact (pJ/read) | first order (pJ/read) | first order / exact |',
    '|---|---|---|---|---|---|',
  );
  for (const w of check)
    L.push(
      `| ${w.n} | ${w.ohm} | ${w.rGn2.toPrecision(2)} | ${w.exactPj.toPrecision(4)} | ${w.firstOrderPj.toPrecision(4)} | ${(w.firstOrderPj / w.exactPj).toFixed(3)} |`,
    );
  const bad = monotonicViolations(points);
  L.push(
    '',
    bad.length === 0
      ? 'Monotonic: energy rises and cycles never fall with ADC bits at every (array size, g_max); read energy rises with g_max at every (bits, size).'
      : `VIOLATIONS:\n${bad.join('\n')}`,
  );
  const dir = join(root, 'bench', 'results', 'costs');
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, 'adc-array-design-costs.md'), `${L.join('\n')}\n`);
  writeAtomic(join(dir, 'adc-array-design-costs.json'), `${JSON.stringify({ points, wire, wireExactCheck: check }, null, 2)}\n`);
  process.stdout.write(`${L.join('\n')}\n`);
  if (bad.length) process.exitCode = 1;
}
