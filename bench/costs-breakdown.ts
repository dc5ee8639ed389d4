/**
 * Energy by component for the demo net on every preset (and reram with 1 Ω wire segments), per
 * inference and per training sample: one SVG bar chart per chip and a Markdown/JSON summary in
 * bench/results/costs/.
 *
 *   npx tsc -p . && node dist/bench/costs-breakdown.js [examples/mnist-demo.json]
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../compiler/pipeline';
import { loadGraph } from '../graph/load';
import { resolveNet } from '../graph/net';
import { initParams } from '../graph/params';
import { chipArea } from '../hw-models/area';
import type { ChipDescription } from '../hw-models/chip';
import { resolveChipObject } from '../hw-models/load';
import { PRESET_NAMES, preset } from '../hw-models/presets';
import { chipCosts, type ChipCosts } from '../netlist/costs';
import { barPlot } from '../plot/bar-plot';
import { makeRng } from '../util/rng';

function writeAtomic(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

export function breakdownSvg(name: string, graph: string, c: ChipCosts): string {
  // Components that carry energy in either mode, largest training share first.
  const keys = Object.keys(c.energyByComponent.training)
    .filter((k) => c.energyByComponent.training[k] > 0 || c.energyByComponent.inference[k] > 0)
    .sort((a, b) => c.energyByComponent.training[b] - c.energyByComponent.training[a]);
  return barPlot({
    title: `${graph} on ${name}: energy by component (${(c.energyPerInferenceJoules * 1e9).toPrecision(3)} nJ/inference, ${(c.energyPerTrainingSampleJoules * 1e9).toPrecision(3)} nJ/training sample)`,
    valueLabel: 'energy (nJ)',
    categories: keys,
    series: [
      { label: 'per inference', values: keys.map((k) => c.energyByComponent.inference[k] * 1e9) },
      { label: 'per training sample', values: keys.map((k) => c.energyByComponent.training[k] * 1e9) },
    ],
    legendTitle: 'sample',
    width: 760,
  });
}

if (require.main === module) {
  const spec = process.argv[2] ?? join(__dirname, '..', '..', 'examples', 'mnist-demo.json');
  const dir = join(__dirname, '..', '..', 'bench', 'results', 'costs');
  mkdirSync(dir, { recursive: true });
  const net = resolveNet(loadGraph(spec));
  const params = initParams(net, makeRng(net.spec.training.seed));
  const L = [
    '| chip | cycles/inference | nJ/inference | cycles/training sample | nJ/training sample | top components (training) | area used / chip (mm²) |',
    '|---|---|---|---|---|---|---|',
  ];
  const summary: Record<string, unknown> = {};
  // Every preset, and reram with 1 Ω wire segments (no preset sets one; docs/references.md cites
  // 0.5–3 Ω): the wires' dissipation as its own component.
  const chips: [string, ChipDescription][] = PRESET_NAMES.map((n) => [n, preset(n)!]);
  chips.push([
    'reram-wire1ohm',
    resolveChipObject({ base: 'reram', name: 'reram-wire1ohm', crossbar: { wireResistanceOhm: 1 } }, 'costs-breakdown'),
  ]);
  for (const [name, chip] of chips) {
    const { netlist } = compile(net, chip, params, { wMax: { kind: 'max' }, specFile: spec, producerVersion: 'bench' });
    const c = chipCosts(netlist, chip);
    writeAtomic(join(dir, `breakdown-${net.spec.name}-${name}.svg`), breakdownSvg(name, net.spec.name, c));
    const top = Object.entries(c.energyByComponent.training)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([k, v]) => `${k} ${((100 * v) / c.energyPerTrainingSampleJoules).toFixed(0)} %`)
      .join(', ');
    const chipMm2 = chipArea(chip).totalMm2;
    L.push(
      `| ${name} | ${c.cyclesPerInference.toFixed(0)} | ${(c.energyPerInferenceJoules * 1e9).toPrecision(4)} | ${c.cyclesPerTrainingSample.toFixed(1)} | ${(c.energyPerTrainingSampleJoules * 1e9).toPrecision(4)} | ${top} | ${c.area.totalMm2.toPrecision(3)} / ${chipMm2.toPrecision(3)} |`,
    );
    summary[name] = {
      cyclesPerInference: c.cyclesPerInference,
      cyclesPerTrainingSample: c.cyclesPerTrainingSample,
      energyPerInferenceJoules: c.energyPerInferenceJoules,
      energyPerTrainingSampleJoules: c.energyPerTrainingSampleJoules,
      energyByComponent: c.energyByComponent,
      areaMm2: c.area,
      commit: { batchSize: c.commit.batchSize, cyclesPerCommit: c.commit.cyclesPerCommit },
      pricing: c.pricing,
      costModel: c.actionTableVersion,
    };
  }
  writeAtomic(join(dir, `breakdown-${net.spec.name}.md`), `${L.join('\n')}\n`);
  writeAtomic(join(dir, `breakdown-${net.spec.name}.json`), `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`${L.join('\n')}\n`);
}
