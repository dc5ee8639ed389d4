/**
 * IR drop in the simulator's reads: with wire resistance on the lines, every array read sees each
 * tile's weights attenuated as hw-models/ir-drop.ts computes them from the programmed conductances
 * (the ladder model, checked against ngspice in test/spice.test.ts); without it, the reads are
 * unchanged. The run reports the relative error per edge.
 */
import { compile } from '../compiler/pipeline';
import { syntheticDataset } from '../datasets/synthetic';
import { initParams } from '../graph/params';
import type { ChipDescription } from '../hw-models/chip';
import { irDropWeights } from '../hw-models/ir-drop';
import { PRESETS } from '../hw-models/presets';
import { edgeTiles } from '../netlist/tiles';
import { unitOf } from '../hw-models/conductance';
import { ChipArrays } from '../simulator/chip/chip-arrays';
import { runOnChip } from '../simulator/chip/run';
import { selectKernels } from '../simulator/kernels/select';
import { makeNoise } from '../simulator/noise';
import { makeRng } from '../util/rng';
import { chainNet } from './helpers/nets';

const kernels = selectKernels('reference');
const net = chainNet([48, 40, 10], 4, { betaI: 0.1, betaF: 0.1, T: 3, K: 2 });
const p = initParams(net, makeRng(3));

function chipWith(ohm: number): ChipDescription {
  const c = JSON.parse(JSON.stringify(PRESETS.ideal)) as ChipDescription;
  c.crossbar.rows = 32;
  c.crossbar.cols = 32;
  c.crossbar.levels = 1000;
  c.crossbar.gMinUS = 4;
  c.crossbar.gMaxUS = 40;
  c.crossbar.wireResistanceOhm = ohm;
  return c;
}

function readOf(chip: ChipDescription): { part: Float32Array; expect: Float32Array } {
  const n = compile(net, chip, p, { wMax: { kind: 'max' }, specFile: 't', producerVersion: 't' }).netlist;
  const tiles = edgeTiles(n);
  const arr = new ChipArrays(tiles, chip, kernels, makeNoise(makeRng(1), 'reference'), { driftSeconds: 0, pulseRounding: 'deterministic' });
  const t = tiles[0].weight[0];
  const rows = t.rowEnd - t.rowBegin;
  const cols = t.colEnd - t.colBegin;
  const x = Float32Array.from({ length: 2 * 48 }, (_, i) => Math.sin(i));
  const part = new Float32Array(2 * rows);
  arr.read(t.array, false, x, 48, t.colBegin, 2, part);
  // The expectation from the tile's own planes through the circuit model, independently of the executor.
  const levels = chip.crossbar.levels as number;
  const eff = irDropWeights(
    { rows, cols, plus: Array.from(t.plus, (q) => unitOf(q, levels)), minus: Array.from(t.minus!, (q) => unitOf(q, levels)) },
    chip.crossbar,
  );
  const expect = new Float32Array(2 * rows);
  for (let s = 0; s < 2; s++) {
    for (let r = 0; r < rows; r++) {
      let acc = 0;
      for (let c = 0; c < cols; c++) acc += eff[r * cols + c] * x[s * 48 + t.colBegin + c];
      expect[s * rows + r] = acc;
    }
  }
  return { part, expect };
}

test('with 2.5 ohm per segment a read equals the IR-drop model of its tile, and differs from the ideal read', () => {
  const on = readOf(chipWith(2.5));
  const off = readOf(chipWith(0));
  let worst = 0;
  let moved = 0;
  for (let i = 0; i < on.part.length; i++) {
    worst = Math.max(worst, Math.abs(on.part[i] - on.expect[i]));
    moved = Math.max(moved, Math.abs(on.part[i] - off.part[i]));
  }
  expect(worst).toBeLessThan(1e-4);
  expect(moved).toBeGreaterThan(1e-3);
  // Without wire resistance the model is the identity: the same read as the devices' weights.
  for (let i = 0; i < off.part.length; i++) expect(off.part[i]).toBeCloseTo(off.expect[i], 4);
});

test('a run reports IR drop per edge, growing with the wire resistance; none without it', async () => {
  const data = {
    train: syntheticDataset({ count: 16, dim: 48, classes: 4, seed: 1 }),
    test: syntheticDataset({ count: 16, dim: 48, classes: 4, seed: 1, stream: 'test' }),
  };
  const run = async (ohm: number) => {
    const chip = chipWith(ohm);
    const n = compile(net, chip, p, { wMax: { kind: 'max' }, specFile: 't', producerVersion: 't' }).netlist;
    return (await runOnChip(n, data, { mode: 'eval', epochs: 0, seed: 1, kernels })).irDrop;
  };
  expect(await run(0)).toEqual({});
  const a = await run(1);
  const b = await run(5);
  expect(Object.keys(a)).toEqual(net.edges.map((e) => e.name));
  for (const k of Object.keys(a)) {
    expect(a[k]).toBeGreaterThan(0);
    expect(b[k]).toBeGreaterThan(a[k]);
  }
});
