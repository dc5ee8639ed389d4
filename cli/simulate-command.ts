/**
 * `fre simulate NET.pb [--train --epochs N] [--eval-only] …` and `fre run SPEC.json --chip PRESET`
 * (compile + simulate): the chip executor for accuracy (in-situ EP training or evaluation of the
 * programmed weights), the cost model for cycles and energy per inference and per training sample.
 */
import type { Argv } from 'yargs';
import { compileFiles } from '../compiler/compile-files';
import { chipFromMsg } from '../netlist/chip-proto';
import { decodeNetlist } from '../netlist/codec';
import { readValidNetlist } from '../netlist/validate';
import type { NetlistMsg } from '../netlist/types';
import { parseAdcRangePolicy, parseWMaxPolicy } from '../compiler/options';
import { adcRangeOptions, calibrationMaker } from './adc-range-options';
import { coincidenceTrainingProblem } from '../simulator/chip/update-schemes';
import { chipCosts, rereadCosts, type ChipCosts } from '../netlist/costs';
import { runOnChip } from '../simulator/chip/run';
import type { EpochResult } from '../simulator/train';
import { netOfNetlist } from '../netlist/program';
import { chipTrace } from '../simulator/chip/trace';
import { describeBackend, selectKernels } from '../simulator/kernels/select';
import { loadNetData } from '../datasets/net-data';
import { saveChipWeights } from '../simulator/chip/chip-weights-file';
import { provenance } from '../util/provenance';
import { UsageError } from './errors';
import { chipRunProgress } from './progress-hooks';
import { writeAtomic } from '../util/atomic-write';
import type { CompileReport } from '../compiler/report';
import { CHIP_OPTION_HELP, compileSummary } from './compile-command';
import { formatCycles, plural } from '../util/format';
import { saturationHint } from './saturation-hint';

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
    .option('train', {
      type: 'boolean',
      default: false,
      describe: 'train in situ on the chip (EP); default: evaluate the programmed weights',
    })
    .option('eval-only', {
      type: 'boolean',
      default: false,
      describe: 'evaluate the programmed weights (ex-situ deployment); the default unless --train',
    })
    .option('epochs', { type: 'number', describe: "in-situ training epochs (default: the spec's)" })
    .option('seed', { type: 'number', describe: "seed of the chip's noise and of training (default: the spec's)" })
    .option('train-limit', { type: 'number', describe: 'use the first N training samples' })
    .option('test-limit', { type: 'number', describe: 'use the first N test samples' })
    .option('data-dir', { type: 'string', describe: 'folder with the dataset files' })
    .option('drift-seconds', { type: 'number', default: 0, describe: 'read the devices this long after programming (PCM drift)' })
    .option('pulse-rounding', {
      choices: ['stochastic', 'deterministic'] as const,
      default: 'stochastic' as const,
      describe: 'pulse counts of in-situ updates: stochastic (unbiased) or nearest rounding',
    })
    .option('trace', { type: 'string', describe: 'write a Chrome trace (Perfetto) of a few samples here' })
    .option('trace-samples', { type: 'number', default: 2, describe: 'samples in the trace' })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object with the results, last' })
    .option('save', { type: 'string', describe: "write the chip's effective weights and device conductances after the run here (.npz)" })
    .option('backend', { choices: ['auto', 'native', 'reference'] as const, default: 'auto' as const, describe: 'kernel backend' });
}

export function simulateOptions<T>(y: Argv<T>) {
  return common(y.positional('netlist', { type: 'string', demandOption: true, describe: 'compiled netlist (.pb)' }));
}

export function runOptions<T>(y: Argv<T>) {
  return common(
    adcRangeOptions(y)
      .positional('spec', { type: 'string', demandOption: true, describe: 'graph description (JSON)' })
      .option('chip', { type: 'string', demandOption: true, describe: CHIP_OPTION_HELP })
      .option('weights', {
        type: 'string',
        describe: "program these weights (.npz, e.g. from fre train --save) instead of the seed's initial weights",
      })
      .option('w-max', {
        type: 'string',
        default: 'max',
        describe: 'weight scale per matrix: max, pNN (percentile of |W|), xF (F × max|W|, headroom for in-situ learning) or a fixed w_max',
      }),
  );
}

export async function runSimulate(a: SimulateArgs): Promise<void> {
  // Nothing executes an invalid netlist: every check of fre validate runs first.
  const { netlist } = readValidNetlist(a.netlist!);
  await simulate(netlist, a.netlist!, a, { command: 'simulate' });
}

export async function runRun(a: SimulateArgs & { wMax: string; adcRange?: string; calibrationSamples?: number }): Promise<void> {
  const { bytes, report } = compileFiles({
    spec: a.spec!,
    chip: a.chip!,
    weights: a.weights,
    wMax: parseWMaxPolicy(a.wMax, a.spec!),
    adcRange: parseAdcRangePolicy(a.adcRange ?? 'fixed', a.spec!),
    calibration: calibrationMaker(a.spec!, a.calibrationSamples ?? 256, a.dataDir),
  });
  await simulate(decodeNetlist(bytes, a.spec!), a.spec!, a, { command: 'run', compile: report });
}

/** Which command runs the netlist; `fre run` also has the report of the compile it just did. */
interface SimulateContext {
  command: 'run' | 'simulate';
  compile?: CompileReport;
}

async function simulate(netlist: NetlistMsg, file: string, a: SimulateArgs, ctx: SimulateContext): Promise<void> {
  if (a.train && a.evalOnly) throw new UsageError('--train and --eval-only exclude each other');
  if (a.train && !netlist.trainingInfo)
    throw new UsageError(`${file} has no training_info: it can only run inference (re-compile it with this fre, or drop --train)`);
  for (const [k, v] of [
    ['epochs', a.epochs],
    ['train-limit', a.trainLimit],
    ['test-limit', a.testLimit],
  ] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new UsageError(`--${k} must be an integer ≥ 1, got ${v}`);
  }
  // Everything below comes from the netlist's normative fields; its graph spec metadata is provenance.
  const net = netOfNetlist(netlist);
  const chip = chipFromMsg(netlist.chip!);
  if (a.train) {
    const problem = coincidenceTrainingProblem(chip, netlist.trainingInfo);
    if (problem) throw new UsageError(`${file}: ${problem}`);
  }
  const seed = a.seed ?? net.spec.training.seed;
  const kernels = selectKernels(a.backend);
  // Evaluation reads no training sample: its split is not loaded (60 000 MNIST images are 188 MB as floats).
  const data = loadNetData(net, file, { dataDir: a.dataDir, trainLimit: a.trainLimit, testLimit: a.testLimit, seed, testOnly: !a.train });
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const mode = a.train ? 'train' : 'eval';
  const epochs = a.epochs ?? net.spec.training.epochs;
  // Evaluation uses no training data, so its header counts the test samples only.
  log(
    `fre ${ctx.command} ${net.spec.name} on chip ${chip.name}: ` +
      (mode === 'train'
        ? `in-situ EP training, ${plural(epochs, 'epoch')}, ${data.train.count} train / ${data.test.count} test samples`
        : `evaluation of the programmed weights, ${data.test.count} test samples`) +
      `, seed ${seed}, ${describeBackend(kernels)}`,
  );
  if (ctx.compile) for (const line of compileSummary(ctx.compile, `compiled for chip ${ctx.compile.chip}`)) log(line);

  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(130);
    stop = true;
    log('\ninterrupted: finishing the current batch (Ctrl-C again to quit now)');
  };
  process.on('SIGINT', onSigint);
  const progress = chipRunProgress(`${mode} ${net.spec.name} on ${chip.name}`, {
    mode,
    epochs,
    trainCount: data.train.count,
    testCount: data.test.count,
    batchSize: net.spec.training.batchSize,
  });
  const r = await runOnChip(netlist, data, {
    mode,
    epochs,
    seed,
    kernels,
    driftSeconds: a.driftSeconds,
    pulseRounding: a.pulseRounding,
    shouldStop: () => stop,
    onBatch: progress.onBatch,
    onEpoch: (e: EpochResult) =>
      progress.log(
        `epoch ${e.epoch}  train loss ${e.trainLoss.toFixed(4)}  test acc ${(100 * e.testAccuracy).toFixed(2)}%  ${e.seconds.toFixed(1)} s`,
      ),
  });
  process.off('SIGINT', onSigint);
  progress.finish(r.interrupted);

  if (a.save) {
    saveChipWeights(a.save, net, r, { backend: kernels.name, extra: { mode, seed, driftSeconds: a.driftSeconds } });
    log(`chip weights and conductances written to ${a.save}`);
  }
  const costs: ChipCosts = chipCosts(
    netlist,
    chip,
    mode === 'train' ? { updatePulsesPerSample: r.updatePulsesPerSample, refreshPulsesPerSample: r.refreshPulsesPerSample } : {},
  );
  if (a.trace) {
    writeAtomic(a.trace, JSON.stringify(chipTrace(netlist, chip, { samples: a.traceSamples, training: mode === 'train' })));
    log(`trace of ${a.traceSamples} samples written to ${a.trace} (open in Perfetto)`);
  }
  const top = Object.entries(costs.energyByComponent.inference)
    .sort((x, y) => y[1] - x[1])
    .slice(0, 3)
    .map(([k, v]) => `${k} ${((100 * v) / costs.energyPerInferenceJoules).toFixed(0)}%`)
    .join(', ');
  // Bound-management re-reads the run measured, priced as real reads + conversions (issue 13).
  const rr = rereadCosts(chip, costs.actionTable, r.adcSaturation, r.samplesRun);
  const sat = r.adcSaturation.filter((x) => x.clipped > 0);
  log(
    `ADC saturation: ${sat.length ? `${sat.map((x) => `${x.edge} ${x.read} ${(100 * x.fraction).toFixed(2)}%`).join(', ')} of conversions clipped` : 'no conversions clipped'}`,
  );
  const hint = saturationHint(r.adcSaturation, {
    command: ctx.command,
    mode,
    adcRangePolicy: netlist.metadataProps.find((m) => m.key === 'compile.adc_range_policy')?.value,
  });
  if (hint) log(hint);
  const ir = Object.entries(r.irDrop);
  if (ir.length)
    log(
      `IR drop (${chip.crossbar.wireResistanceOhm} ohm per segment): weights as read off by ${ir.map(([k, v]) => `${k} ${(100 * v).toFixed(2)}%`).join(', ')} (rms, relative)`,
    );
  if (rr.rereads > 0)
    log(
      `bound-management re-reads: ${rr.rereads} over ${rr.samples} samples, ${(rr.energyJoules * 1e9).toFixed(2)} nJ and ${formatCycles(rr.cycles)} cycles in all ` +
        `(${(rr.perSample.energyJoules * 1e9).toFixed(3)} nJ and ${formatCycles(rr.perSample.cycles)} cycles per sample on top of the figures below)`,
    );
  // Interrupted before an epoch ended: no accuracy was measured, and 0 % would read as a result.
  const measured = !(r.interrupted && r.epochs.length === 0);
  if (!measured) log('test accuracy: not measured (interrupted before the first epoch ended)');
  else
    log(
      `test accuracy ${(100 * r.testAccuracy).toFixed(2)}%${mode === 'train' ? ` (best ${(100 * r.bestTestAccuracy).toFixed(2)}%)` : ''}` +
        (r.interrupted ? ` (interrupted after ${r.epochs.length} of ${plural(epochs, 'epoch')})` : ''),
    );
  log(
    `per inference: ${formatCycles(costs.cyclesPerInference)} cycles (${(costs.secondsPerInference * 1e6).toFixed(2)} µs at ${costs.clockMhz} MHz), ` +
      `${(costs.energyPerInferenceJoules * 1e9).toFixed(2)} nJ (${top})`,
  );
  log(
    `per training sample: ${formatCycles(costs.cyclesPerTrainingSample)} cycles (per-batch work amortised over the batch) (${(costs.secondsPerTrainingSample * 1e6).toFixed(2)} µs), ` +
      `${(costs.energyPerTrainingSampleJoules * 1e9).toFixed(2)} nJ${mode === 'train' ? `, ${r.updatePulsesPerSample.toFixed(0)} update pulses${r.refreshesPerSample > 0 ? `, ${r.refreshesPerSample.toFixed(3)} pair refreshes (${r.refreshPulsesPerSample.toFixed(1)} pulses)` : ''}` : ' (nominal update pulses)'}` +
      (r.interrupted ? ` (over the ${r.samplesTrained} samples trained)` : ''),
  );
  if (a.json) {
    process.stdout.write(
      JSON.stringify({
        graph: net.spec.name,
        chip: chip.name,
        mode,
        seed,
        backend: kernels.name,
        trainSamples: data.train.count,
        testSamples: data.test.count,
        // The training samples the run stepped through (an interrupted epoch's finished batches
        // included; 0 in eval mode): the denominator of the per-training-sample pulse counts.
        samplesTrained: r.samplesTrained,
        testAccuracy: measured ? r.testAccuracy : null,
        bestTestAccuracy: measured ? r.bestTestAccuracy : null,
        perEpoch: r.epochs,
        epochSeconds: r.epochs.map((e) => e.seconds),
        interrupted: r.interrupted,
        updatePulsesPerTrainingSample: r.updatePulsesPerSample,
        // Per trained edge: weights that in-situ updates drove to a bound of their range (of its weights).
        boundHits: r.boundHits,
        // potentiate-only pairs (crossbar.update.pairMode): pair refreshes (RESET both, reprogram one) per
        // training sample, their device pulses per training sample (priced), and per trained edge over the run.
        refreshesPerTrainingSample: r.refreshesPerSample,
        refreshPulsesPerTrainingSample: r.refreshPulsesPerSample,
        refreshes: r.refreshes,
        cyclesPerInference: costs.cyclesPerInference,
        cyclesPerTrainingSample: costs.cyclesPerTrainingSample,
        secondsPerInference: costs.secondsPerInference,
        secondsPerTrainingSample: costs.secondsPerTrainingSample,
        energyPerInferenceJoules: costs.energyPerInferenceJoules,
        energyPerTrainingSampleJoules: costs.energyPerTrainingSampleJoules,
        energyByComponent: costs.energyByComponent,
        utilisation: costs.utilisation,
        actionCounts: costs.actionCounts,
        actionTableVersion: costs.actionTableVersion,
        provenance: provenance(kernels.name),
        // fre run: the report of its compile (fre compile --json's object: per-edge mapping, estimate, area).
        ...(ctx.compile ? { compile: ctx.compile } : {}),
        irDrop: r.irDrop,
        // Measured bound-management re-reads priced as reads + conversions (not in the per-sample figures above).
        boundManagementRereads: {
          rereads: rr.rereads,
          samples: rr.samples,
          energyJoules: rr.energyJoules,
          cycles: rr.cycles,
          perSample: rr.perSample,
          actionCounts: rr.actionCounts,
          energyByComponent: rr.energyByComponent,
        },
        adcSaturation: r.adcSaturation.map((x) => ({
          edge: x.edge,
          read: x.read,
          fraction: x.fraction,
          clipped: x.clipped,
          conversions: x.conversions,
          rereads: x.rereads,
          rereadLinesDriven: x.rereadLinesDriven,
          rereadLinesSensed: x.rereadLinesSensed,
        })),
      }) + '\n',
    );
  }
  if (r.interrupted) process.exitCode = 130;
}
