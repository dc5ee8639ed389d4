/**
 * `fre simulate NET.pb [--train --epochs N] [--eval-only] …` and `fre run SPEC.json --chip PRESET`
 * (compile + simulate): the chip executor for accuracy (in-situ EP training or evaluation of the
 * programmed weights), the cost model for cycles and energy per inference and per training sample.
 */
import { writeFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { compileFiles } from '../compiler/compile-files';
import { chipFromMsg } from '../netlist/chip-proto';
import { decodeNetlist, readNetlistFile } from '../netlist/codec';
import type { NetlistMsg } from '../netlist/types';
import { parseWMaxPolicy } from '../compiler/options';
import { SpecError } from '../graph/diagnostics';
import { parseGraphText } from '../graph/load';
import { resolveNet, type Net } from '../graph/net';
import { chipCosts, type ChipCosts } from '../simulator/chip/costs';
import { runOnChip } from '../simulator/chip/run';
import { chipTrace } from '../simulator/chip/trace';
import { describeBackend, selectKernels } from '../simulator/kernels/select';
import { loadNetData } from '../datasets/net-data';
import { saveChipWeights } from '../simulator/chip/chip-weights-file';
import { provenance } from '../util/provenance';
import { UsageError } from './errors';

export interface SimulateArgs {
  netlist?: string;
  spec?: string;
  chip?: string;
  weights?: string;
  train: boolean;
  evalOnly: boolean;
  epochs?: number;
  seed?: number;
  trainLimit?: number;
  testLimit?: number;
  dataDir?: string;
  driftSeconds: number;
  pulseRounding: 'stochastic' | 'deterministic';
  trace?: string;
  traceSamples: number;
  json: boolean;
  backend: 'auto' | 'native' | 'reference';
  save?: string;
}

function common<T>(y: Argv<T>) {
  return y
    .option('train', { type: 'boolean', default: false, describe: 'train in situ on the chip (EP); default: evaluate the programmed weights' })
    .option('eval-only', { type: 'boolean', default: false, describe: 'evaluate the programmed weights (ex-situ deployment); the default unless --train' })
    .option('epochs', { type: 'number', describe: 'in-situ training epochs (default: the spec\'s)' })
    .option('seed', { type: 'number', describe: 'seed of the chip\'s noise and of training (default: the spec\'s)' })
    .option('train-limit', { type: 'number', describe: 'use the first N training samples' })
    .option('test-limit', { type: 'number', describe: 'use the first N test samples' })
    .option('data-dir', { type: 'string', describe: 'folder with the dataset files' })
    .option('drift-seconds', { type: 'number', default: 0, describe: 'read the devices this long after programming (PCM drift)' })
    .option('pulse-rounding', { choices: ['stochastic', 'deterministic'] as const, default: 'stochastic' as const, describe: 'pulse counts of in-situ updates: stochastic (unbiased) or nearest rounding' })
    .option('trace', { type: 'string', describe: 'write a Chrome trace (Perfetto) of a few samples here' })
    .option('trace-samples', { type: 'number', default: 2, describe: 'samples in the trace' })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object with the results, last' })
    .option('save', { type: 'string', describe: 'write the chip\'s effective weights and device conductances after the run here (.npz)' })
    .option('backend', { choices: ['auto', 'native', 'reference'] as const, default: 'auto' as const, describe: 'kernel backend' });
}

export function simulateOptions<T>(y: Argv<T>) {
  return common(y.positional('netlist', { type: 'string', demandOption: true, describe: 'compiled netlist (.pb)' }));
}

export function runOptions<T>(y: Argv<T>) {
  return common(y.positional('spec', { type: 'string', demandOption: true, describe: 'graph description (JSON)' })
    .option('chip', { type: 'string', demandOption: true, describe: 'chip preset (ideal, reram, pcm, sram-8b) or chip description JSON' })
    .option('weights', { type: 'string', describe: 'program these weights (.npz, e.g. from fre train --save) instead of the seed\'s initial weights' })
    .option('w-max', { type: 'string', default: 'max', describe: 'weight scale per matrix: max or pNN (percentile of |W|)' }));
}

/** The graph a netlist was compiled from (its metadata carries the spec). */
function netOf(netlist: NetlistMsg, file: string): Net {
  const spec = netlist.metadataProps.find((p) => p.key === 'graph.spec')?.value;
  if (!spec) {
    throw new SpecError([{ code: 'FRE001', file, path: '', message: 'the netlist carries no graph spec (metadata graph.spec)', hint: 'recompile it with this version of fre compile, or use fre run SPEC.json --chip …' }]);
  }
  return resolveNet(parseGraphText(spec, `${file}#graph.spec`));
}

export async function runSimulate(a: SimulateArgs): Promise<void> {
  const { netlist } = readNetlistFile(a.netlist!);
  await simulate(netlist, a.netlist!, a);
}

export async function runRun(a: SimulateArgs & { wMax: string }): Promise<void> {
  const { bytes } = compileFiles({ spec: a.spec!, chip: a.chip!, weights: a.weights, wMax: parseWMaxPolicy(a.wMax, a.spec!) });
  await simulate(decodeNetlist(bytes, a.spec!), a.spec!, a);
}

async function simulate(netlist: NetlistMsg, file: string, a: SimulateArgs): Promise<void> {
  if (a.train && a.evalOnly) throw new UsageError('--train and --eval-only exclude each other');
  for (const [k, v] of [['epochs', a.epochs], ['train-limit', a.trainLimit], ['test-limit', a.testLimit]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new UsageError(`--${k} must be an integer ≥ 1, got ${v}`);
  }
  const net = netOf(netlist, file);
  const chip = chipFromMsg(netlist.chip!);
  const seed = a.seed ?? net.spec.training.seed;
  const kernels = selectKernels(a.backend);
  const data = loadNetData(net, file, { dataDir: a.dataDir, trainLimit: a.trainLimit, testLimit: a.testLimit, seed });
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const mode = a.train ? 'train' : 'eval';
  const epochs = a.epochs ?? net.spec.training.epochs;
  log(`fre simulate ${net.spec.name} on chip ${chip.name}: ${mode === 'train' ? `in-situ EP training, ${epochs} epochs` : 'evaluation of the programmed weights'}, ` +
    `${data.train.count} train / ${data.test.count} test samples, seed ${seed}, ${describeBackend(kernels)}`);

  let stop = false;
  const onSigint = () => { if (stop) process.exit(130); stop = true; log('\ninterrupted: finishing the current batch (Ctrl-C again to quit now)'); };
  process.on('SIGINT', onSigint);
  const r = await runOnChip(net, netlist, data, {
    mode, epochs, seed, kernels, driftSeconds: a.driftSeconds, pulseRounding: a.pulseRounding, shouldStop: () => stop,
    onEpoch: (e) => log(`epoch ${e.epoch}  train loss ${e.trainLoss.toFixed(4)}  test acc ${(100 * e.testAccuracy).toFixed(2)}%  ${e.seconds.toFixed(1)} s`),
  });
  process.off('SIGINT', onSigint);

  if (a.save) { saveChipWeights(a.save, net, r, { backend: kernels.name, extra: { mode, seed, driftSeconds: a.driftSeconds } }); log(`chip weights and conductances written to ${a.save}`); }
  const costs: ChipCosts = chipCosts(netlist, chip, mode === 'train' ? { updatePulsesPerSample: r.updatePulsesPerSample } : {});
  if (a.trace) {
    writeFileSync(a.trace, JSON.stringify(chipTrace(netlist, chip, { samples: a.traceSamples, training: mode === 'train' })));
    log(`trace of ${a.traceSamples} samples written to ${a.trace} (open in Perfetto)`);
  }
  const top = Object.entries(costs.energyByComponent.inference).sort((x, y) => y[1] - x[1]).slice(0, 3)
    .map(([k, v]) => `${k} ${(100 * v / costs.energyPerInferenceJoules).toFixed(0)}%`).join(', ');
  log(`test accuracy ${(100 * r.testAccuracy).toFixed(2)}%${mode === 'train' ? ` (best ${(100 * r.bestTestAccuracy).toFixed(2)}%)` : ''}`);
  log(`per inference: ${costs.cyclesPerInference} cycles (${(costs.secondsPerInference * 1e6).toFixed(2)} µs at ${costs.clockMhz} MHz), ` +
    `${(costs.energyPerInferenceJoules * 1e9).toFixed(2)} nJ (${top})`);
  log(`per training sample: ${costs.cyclesPerTrainingSample} cycles (${(costs.secondsPerTrainingSample * 1e6).toFixed(2)} µs), ` +
    `${(costs.energyPerTrainingSampleJoules * 1e9).toFixed(2)} nJ${mode === 'train' ? `, ${r.updatePulsesPerSample.toFixed(0)} update pulses` : ' (nominal update pulses)'}`);
  if (a.json) {
    process.stdout.write(JSON.stringify({
      graph: net.spec.name, chip: chip.name, mode, seed, backend: kernels.name,
      trainSamples: data.train.count, testSamples: data.test.count,
      testAccuracy: r.testAccuracy, bestTestAccuracy: r.bestTestAccuracy,
      perEpoch: r.epochs, epochSeconds: r.epochs.map((e) => e.seconds), interrupted: r.interrupted,
      updatePulsesPerTrainingSample: r.updatePulsesPerSample,
      cyclesPerInference: costs.cyclesPerInference, cyclesPerTrainingSample: costs.cyclesPerTrainingSample,
      secondsPerInference: costs.secondsPerInference, secondsPerTrainingSample: costs.secondsPerTrainingSample,
      energyPerInferenceJoules: costs.energyPerInferenceJoules, energyPerTrainingSampleJoules: costs.energyPerTrainingSampleJoules,
      energyByComponent: costs.energyByComponent, utilisation: costs.utilisation, actionCounts: costs.actionCounts,
      actionTableVersion: costs.actionTableVersion, provenance: provenance(kernels.name),
    }) + '\n');
  }
}
