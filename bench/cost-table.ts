/**
 * The cost table of docs/chip-costs.md: compiles graph specs for chip presets (initial weights from
 * the spec's seed — costs do not depend on them) and prints cycles, time and energy per inference
 * and per training sample, with the top energy components, as Markdown.
 *
 *   npx tsc -p . && node dist/bench/cost-table.js examples/mnist-2hl.json examples/mnist-3hl.json
 */
import { compile } from '../compiler/pipeline';
import { loadGraph } from '../graph/load';
import { resolveNet } from '../graph/net';
import { PRESET_NAMES, preset } from '../hw-models/presets';
import { makeRng } from '../util/rng';
import { initParams } from '../graph/params';
import { chipCosts, type ChipCosts } from '../netlist/costs';

export interface CostRow {
  graph: string;
  chip: string;
  costs: ChipCosts;
  /** Wall time of chipCosts alone (median of 5), ms. */
  costMs: number;
}

export function costRows(specs: readonly string[], chips: readonly string[] = PRESET_NAMES): CostRow[] {
  const rows: CostRow[] = [];
  for (const spec of specs) {
    const net = resolveNet(loadGraph(spec));
    const params = initParams(net, makeRng(net.spec.training.seed));
    for (const name of chips) {
      const chip = preset(name);
      if (!chip) throw new Error(`unknown preset ${name}`);
      const { netlist } = compile(net, chip, params, { wMax: { kind: 'max' }, specFile: spec, producerVersion: 'cost-table' });
      const ms: number[] = [];
      let costs = chipCosts(netlist, chip);
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        costs = chipCosts(netlist, chip);
        ms.push(performance.now() - t0);
      }
      ms.sort((a, b) => a - b);
      rows.push({ graph: net.spec.name, chip: name, costs, costMs: ms[2] });
    }
  }
  return rows;
}

const fmt = (x: number, digits = 3) => Number(x.toPrecision(digits)).toLocaleString('en-US', { maximumFractionDigits: 20 });

/** The top `n` energy components of a breakdown, as "key share%". */
export function topComponents(by: Record<string, number>, total: number, n = 3): string {
  return Object.entries(by)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${k} ${((100 * v) / total).toFixed(0)} %`)
    .join(', ');
}

export function costTableMarkdown(rows: readonly CostRow[]): string {
  const inference = [
    '| graph | chip | cycles / inference | µs | nJ / inference | dynamic nJ | leakage nJ | top energy components |',
    '|---|---|---:|---:|---:|---:|---:|---|',
    ...rows.map(
      ({ graph, chip, costs: c }) =>
        `| ${[
          graph,
          chip,
          c.cyclesPerInference,
          fmt(c.secondsPerInference * 1e6),
          fmt(c.energyPerInferenceJoules * 1e9),
          fmt(c.dynamicEnergyJoules.inference * 1e9),
          fmt(c.leakageEnergyJoules.inference * 1e9),
          topComponents(c.energyByComponent.inference, c.energyPerInferenceJoules),
        ].join(' | ')} |`,
    ),
  ];
  const training = [
    '| graph | chip | cycles / training sample | µs | nominal update pulses | µJ / sample (nominal pulses) | µJ without update pulses | pJ per actual pulse | top energy components (nominal) | chipCosts ms |',
    '|---|---|---:|---:|---:|---:|---:|---:|---|---:|',
    ...rows.map(({ graph, chip, costs: c, costMs }) => {
      const pulses = c.energyByComponent.training['dynamic.update_pulse'];
      return `| ${[
        graph,
        chip,
        Number(c.cyclesPerTrainingSample.toFixed(1)),
        fmt(c.secondsPerTrainingSample * 1e6),
        fmt(c.nominalUpdatePulsesPerSample),
        fmt(c.energyPerTrainingSampleJoules * 1e6),
        fmt((c.energyPerTrainingSampleJoules - pulses) * 1e6),
        fmt(c.nominalUpdatePulsesPerSample > 0 ? (pulses / c.nominalUpdatePulsesPerSample) * 1e12 : 0),
        topComponents(c.energyByComponent.training, c.energyPerTrainingSampleJoules),
        costMs.toFixed(2),
      ].join(' | ')} |`;
    }),
  ];
  return [...inference, '', ...training].join('\n');
}

if (require.main === module) {
  const specs = process.argv.slice(2);
  if (specs.length === 0) {
    process.stderr.write('usage: node dist/bench/cost-table.js SPEC.json… (every preset)\n');
    process.exit(2);
  }
  process.stdout.write(`${costTableMarkdown(costRows(specs))}\n`);
}
