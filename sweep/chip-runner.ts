/**
 * The `chip` sweep runner: one run = one graph on one chip description, by one method —
 *   ep-insitu  compile the seed's initial weights, train with EP on the chip executor;
 *   ep-exsitu  train with EP in software (ideal executor), program the weights, evaluate on the chip;
 *   bp-exsitu  the same with backprop.
 * Each also as `…-calibrated`: the ADC ranges calibrated per array and read kind at compile time
 * (percentile 99.9 of |partial sum| over 256 training samples, as `fre run --adc-range
 * percentile:99.9`), instead of the chip's fixed full scale.
 * Metrics: accuracy, the cost model's cycles and energy per inference / training sample, and the
 * fraction of ADC conversions that clipped (over all edges and read kinds, and the worst one).
 * The same calls as `fre run SPEC --chip … [--train]`, so any results line can be redone by hand.
 */
import { dirname, resolve } from 'node:path';
import { compile } from '../compiler/pipeline';
import { resolveNet } from '../graph/net';
import type { GraphSpec } from '../graph/spec';
import type { ChipDescription } from '../hw-models/chip';
import { DiagnosticsError } from '../hw-models/diagnostics';
import { loadChip, resolveChipObject } from '../hw-models/load';
import { validateChip } from '../hw-models/validate';
import { cloneParams, initParams, type Params } from '../graph/params';
import type { Kernels } from '../simulator/kernels/kernels';
import { selectKernels } from '../simulator/kernels/select';
import { train, type EpochResult } from '../simulator/train';
import { makeRng } from '../util/rng';
import { dataFor } from './run-data';
import type { RunConfig, RunContext, RunnerProblem, SweepRunner } from './runner';
import { chipCosts, rereadCosts, type ChipCosts } from '../netlist/costs';
import { runOnChip, type ChipRunResult } from '../simulator/chip/run';
import type { AdcSaturation } from '../simulator/chip/interpreter';
import { calibrationInputs } from '../simulator/calibration-batch';
import type { CompileOptions } from '../compiler/ir';

const METHODS = ['ep-insitu', 'ep-exsitu', 'bp-exsitu', 'ep-insitu-calibrated', 'ep-exsitu-calibrated', 'bp-exsitu-calibrated'] as const;
const METRICS = [
  'bestTestAccuracy',
  'finalTestAccuracy',
  'cyclesPerInference',
  'cyclesPerTrainingSample',
  'energyPjPerInference',
  'energyPjPerTrainingSample',
  'updatePulsesPerTrainingSample',
  'secondsPerEpoch',
  'adcClippedFraction',
  'adcClippedMaxFraction',
  'rereadsPerSample',
  'rereadEnergyPjPerSample',
  'refreshesPerTrainingSample',
  'boundHitFraction',
] as const;
/** The calibrated methods' policy and batch (the fre run defaults of --calibration-samples). */
const CALIBRATION = { percentile: 99.9, samples: 256 };

/** Bound-management re-reads the run measured, per sample run, and their energy priced as reads + conversions. */
function rereadMetrics(
  chip: ChipDescription,
  c: ChipCosts,
  r: ChipRunResult,
): { rereadsPerSample: number; rereadEnergyPjPerSample: number } {
  const rr = rereadCosts(chip, c.actionTable, r.adcSaturation, r.samplesRun);
  return { rereadsPerSample: r.samplesRun > 0 ? rr.rereads / r.samplesRun : 0, rereadEnergyPjPerSample: rr.perSample.energyJoules * 1e12 };
}

/** Clipped conversions over all (edge, read kind), and the worst (edge, read kind)'s fraction. */
function saturationMetrics(s: AdcSaturation[]): { adcClippedFraction: number; adcClippedMaxFraction: number } {
  const conv = s.reduce((a, x) => a + x.conversions, 0);
  const clipped = s.reduce((a, x) => a + x.clipped, 0);
  return { adcClippedFraction: conv > 0 ? clipped / conv : 0, adcClippedMaxFraction: s.reduce((a, x) => Math.max(a, x.fraction), 0) };
}

/** Σ cells at a bound / Σ weights over the trained edges (0 when nothing was trained). */
export function boundHitFraction(hits: Record<string, { cells: number; of: number }>): number {
  const v = Object.values(hits);
  const of = v.reduce((a, x) => a + x.of, 0);
  return of > 0 ? v.reduce((a, x) => a + x.cells, 0) / of : 0;
}

let kernels: Kernels | undefined;
/** Software-trained weights of recent ex-situ runs: they depend on graph, method, seed and data, not on the chip. */
const trainedCache = new Map<string, Params>();

function problemsOf(err: DiagnosticsError): RunnerProblem[] {
  return err.diagnostics.map((d) => ({ path: `chip${d.path.replace(/\//g, '.')}`, message: d.message, hint: d.hint }));
}

export const chipRunner: SweepRunner = {
  name: 'chip',
  description: 'the chip simulator: in-situ EP training or ex-situ EP/BP deployment on a chip description, with cycles and energy',
  methods: METHODS,
  defaultMethod: 'ep-insitu',
  metrics: METRICS,
  defaultMetrics: ['bestTestAccuracy', 'finalTestAccuracy', 'cyclesPerInference', 'energyPjPerInference'],
  timingMetrics: ['secondsPerEpoch'],

  resolveChip(chip: unknown, file: string) {
    try {
      if (typeof chip === 'string') {
        const p = chip.endsWith('.json') ? resolve(dirname(file), chip) : chip;
        return { chip: JSON.parse(JSON.stringify(loadChip(p))) as unknown };
      }
      // An inline object: a full description, or a preset with overrides ({ "base": "reram", … }) as in a chip file.
      return { chip: JSON.parse(JSON.stringify(resolveChipObject(chip, file))) as unknown };
    } catch (err) {
      if (err instanceof DiagnosticsError) return { problems: problemsOf(err) };
      throw err;
    }
  },

  validateChip(chip: unknown, graph: GraphSpec): RunnerProblem[] {
    const { chip: full, diagnostics } = validateChip(chip, 'sweep chip');
    if (!full) return diagnostics.map((d) => ({ path: `chip${d.path.replace(/\//g, '.')}`, message: d.message, hint: d.hint }));
    try {
      // The net must fit the chip (the compiler says what to change when it does not).
      const net = resolveNet(graph);
      compile(net, full, initParams(net, makeRng(0)), { wMax: { kind: 'max' }, specFile: graph.name, producerVersion: 'sweep' });
    } catch (err) {
      if (err instanceof DiagnosticsError) return problemsOf(err);
      throw err;
    }
    return [];
  },

  async run(config: RunConfig, ctx: RunContext): Promise<Record<string, number>> {
    const net = resolveNet(config.graph);
    const chip = config.chip as ChipDescription;
    const data = dataFor(net, config);
    kernels ??= selectKernels('auto');
    const epochs = config.graph.training.epochs;
    const p0 = initParams(net, makeRng(config.seed));
    const calibrated = config.method.endsWith('-calibrated');
    const method = config.method.replace(/-calibrated$/, '');
    const base = { wMax: { kind: 'max' as const }, specFile: net.spec.name, producerVersion: 'sweep' };
    const options = (p: Params): CompileOptions =>
      calibrated && chip.periphery.adc.fullScale !== 'unbounded'
        ? {
            ...base,
            adcRange: { kind: 'percentile', p: CALIBRATION.percentile },
            calibration: calibrationInputs(net, p, data.train, CALIBRATION.samples, kernels!),
          }
        : base;
    const log = ctx.log ? (s: string) => ctx.log!(s) : undefined;

    if (method === 'ep-insitu') {
      const netlist = compile(net, chip, p0, options(p0)).netlist;
      const r = await runOnChip(netlist, data, {
        mode: 'train',
        epochs,
        seed: config.seed,
        kernels,
        shouldStop: () => ctx.signal.aborted,
        onEpoch: log ? (e: EpochResult) => log(`epoch ${e.epoch}: test ${(100 * e.testAccuracy).toFixed(2)}%`) : undefined,
      });
      if (r.interrupted) throw new Error('run stopped');
      const c = chipCosts(netlist, chip, {
        updatePulsesPerSample: r.updatePulsesPerSample,
        refreshPulsesPerSample: r.refreshPulsesPerSample,
      });
      const secs = r.epochs.map((e) => e.seconds);
      return {
        bestTestAccuracy: r.bestTestAccuracy,
        finalTestAccuracy: r.testAccuracy,
        cyclesPerInference: c.cyclesPerInference,
        cyclesPerTrainingSample: c.cyclesPerTrainingSample,
        energyPjPerInference: c.energyPerInferenceJoules * 1e12,
        energyPjPerTrainingSample: c.energyPerTrainingSampleJoules * 1e12,
        updatePulsesPerTrainingSample: r.updatePulsesPerSample,
        refreshesPerTrainingSample: r.refreshesPerSample,
        // Weights of the trained edges that in-situ updates drove to a bound, over all their weights.
        boundHitFraction: boundHitFraction(r.boundHits),
        secondsPerEpoch: secs.reduce((a, b) => a + b, 0) / Math.max(secs.length, 1),
        ...saturationMetrics(r.adcSaturation),
        ...rereadMetrics(chip, c, r),
      };
    }

    const algo = method === 'ep-exsitu' ? 'ep' : 'bp';
    const key = JSON.stringify([config.graph, algo, config.seed, config.data]);
    let trained = trainedCache.get(key);
    let seconds = NaN;
    if (!trained) {
      const t = await train(net, cloneParams(p0), data, { algo, epochs, seed: config.seed, kernels, shouldStop: () => ctx.signal.aborted });
      if (t.result.interrupted) throw new Error('run stopped');
      trained = t.params;
      seconds = t.result.epochSeconds.reduce((a, b) => a + b, 0) / Math.max(t.result.epochSeconds.length, 1);
      if (trainedCache.size >= 4) trainedCache.delete(trainedCache.keys().next().value!);
      trainedCache.set(key, trained);
    }
    const netlist = compile(net, chip, trained, options(trained)).netlist;
    const r = await runOnChip(netlist, data, { mode: 'eval', epochs: 0, seed: config.seed, kernels });
    const c = chipCosts(netlist, chip);
    return {
      bestTestAccuracy: r.testAccuracy,
      finalTestAccuracy: r.testAccuracy,
      cyclesPerInference: c.cyclesPerInference,
      cyclesPerTrainingSample: c.cyclesPerTrainingSample,
      energyPjPerInference: c.energyPerInferenceJoules * 1e12,
      energyPjPerTrainingSample: c.energyPerTrainingSampleJoules * 1e12,
      updatePulsesPerTrainingSample: NaN,
      // Nothing is trained on the chip ex situ: no refreshes, no weight driven to a bound.
      refreshesPerTrainingSample: 0,
      boundHitFraction: 0,
      secondsPerEpoch: seconds,
      ...saturationMetrics(r.adcSaturation),
      ...rereadMetrics(chip, c, r),
    };
  },
};
