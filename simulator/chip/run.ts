/**
 * Running a netlist on the simulated chip: program its conductances onto noisy devices, then either
 * evaluate (ex-situ deployment: software-trained weights compiled into the netlist) or train in
 * situ — the netlist's schedule executed by the interpreter, the optimiser of its training_info
 * stepping the weights digitally and the devices realising each step. Reads the netlist only.
 */
import type { DataSplit } from '../../datasets/dataset';
import type { ChipDescription } from '../../hw-models/chip';
import { chipFromMsg } from '../../netlist/chip-proto';
import { netOfNetlist } from '../../netlist/program';
import { edgeTiles } from '../../netlist/tiles';
import type { NetlistMsg } from '../../netlist/types';
import { makeRng } from '../../util/rng';
import type { Kernels } from '../kernels/kernels';
import { makeNoise } from '../noise';
import { evaluate, train, type EpochResult } from '../train';
import { coincidenceTrainingProblem } from './update-schemes';
import { ChipArrays } from './chip-arrays';
import type { PulseRounding } from './devices';
import { NetlistInterpreter, type AdcSaturation } from './interpreter';

export interface ChipRunOptions {
  /** 'train': in-situ EP training; 'eval': evaluate the programmed weights only. */
  mode: 'train' | 'eval';
  epochs: number;
  seed: number;
  kernels: Kernels;
  /** Seconds between programming and the reads (conductance drift); 0 = none. */
  driftSeconds?: number;
  pulseRounding?: PulseRounding;
  /** Largest batch (default: the netlist's training_info batch size). */
  batchSize?: number;
  onEpoch?: (r: EpochResult) => void;
  /** After every batch (progress): epoch 0 while evaluating in 'eval' mode, loss NaN there. */
  onBatch?: (epoch: number, batch: number, batches: number, loss: number) => void;
  shouldStop?: () => boolean;
}

export interface ChipRunResult {
  chip: ChipDescription;
  testAccuracy: number;
  bestTestAccuracy: number;
  epochs: EpochResult[];
  /** Update pulses applied per training sample (0 in eval mode). */
  updatePulsesPerSample: number;
  /** Per edge name: distinct weights that in-situ updates drove to a bound of their range, and the
   *  edge's weight count (empty in eval mode). */
  boundHits: Record<string, { cells: number; of: number }>;
  /** potentiate-only pairs (crossbar.update.pairMode): refreshes per training sample (all edges),
   *  their device pulses per training sample, and per trained edge the refreshes of the run (0 / empty otherwise). */
  refreshesPerSample: number;
  refreshPulsesPerSample: number;
  refreshes: Record<string, number>;
  /** Training samples the run stepped through (0 in eval mode): every finished epoch's, plus the
   *  finished batches of an interrupted one. The denominator of the per-sample counts above; the
   *  same name as in `fre simulate --json` and in the software trainer's TrainResult. */
  samplesTrained: number;
  /** @deprecated The same count as samplesTrained, under the name other results use for a data set's size. */
  trainSamples: number;
  interrupted: boolean;
  /** Clipped ADC conversions per edge and read kind, over the whole run (training and evaluation). */
  adcSaturation: AdcSaturation[];
  /** Samples the interpreter ran over the whole run (training steps and evaluations): adcSaturation's denominator. */
  samplesRun: number;
  /** Per edge, IR drop's relative error ‖W_read − W‖/‖W‖ of the weights its reads saw at the end
   *  (empty without wire resistance). */
  irDrop: Record<string, number>;
  /** The interpreter after the run (its weights, biases and devices). */
  interpreter: NetlistInterpreter;
}

/** The netlist's schedule ready to run on its chip, devices programmed from the run's seed. */
export function makeInterpreter(
  netlist: NetlistMsg,
  seed: number,
  kernels: Kernels,
  maxBatch: number,
  opts: { driftSeconds?: number; pulseRounding?: PulseRounding } = {},
): NetlistInterpreter {
  const chip = chipFromMsg(netlist.chip!);
  // The chip's random draws (programming noise, stuck devices, read/state noise, pulses) come from
  // their own stream of the run's seed, so they never shift the data shuffling.
  const noise = makeNoise(makeRng(seed).fork('chip'), kernels.name === 'reference-ts' ? 'reference' : 'native');
  const arrays = new ChipArrays(edgeTiles(netlist), chip, kernels, noise, {
    driftSeconds: opts.driftSeconds ?? 0,
    pulseRounding: opts.pulseRounding ?? 'stochastic',
  });
  return new NetlistInterpreter(netlist, arrays, maxBatch);
}

export async function runOnChip(netlist: NetlistMsg, data: DataSplit, o: ChipRunOptions): Promise<ChipRunResult> {
  const net = netOfNetlist(netlist);
  const batch = o.batchSize ?? netlist.trainingInfo?.batchSize ?? 100;
  const it = makeInterpreter(netlist, o.seed, o.kernels, batch, o);
  const chip = it.chip.chip;
  if (o.mode === 'eval') {
    const x = new Float32Array(batch * net.inputSize);
    const y = new Float32Array(batch * net.classes);
    const acc = evaluate(it, data.test, batch, x, y, o.onBatch && ((b, n) => o.onBatch!(0, b, n, NaN)));
    return {
      chip,
      testAccuracy: acc,
      bestTestAccuracy: acc,
      epochs: [],
      updatePulsesPerSample: 0,
      boundHits: {},
      refreshesPerSample: 0,
      refreshPulsesPerSample: 0,
      refreshes: {},
      samplesTrained: 0,
      trainSamples: 0,
      interrupted: false,
      interpreter: it,
      adcSaturation: it.adcSaturation(),
      samplesRun: it.samplesRun(),
      irDrop: irDropOf(netlist, it),
    };
  }
  if (!netlist.trainingInfo) throw new Error('the netlist has no training_info: it can only run inference');
  const problem = coincidenceTrainingProblem(chip, netlist.trainingInfo);
  if (problem) throw new Error(problem);
  const spec = { ...net.spec, training: { ...net.spec.training, batchSize: batch } };
  const { result } = await train({ ...net, spec }, { W: [], B: [], bias: [] }, data, {
    algo: 'ep',
    epochs: o.epochs,
    seed: o.seed,
    kernels: o.kernels,
    device: it,
    onEpoch: o.onEpoch,
    onBatch: o.onBatch,
    shouldStop: o.shouldStop,
  });
  // The samples actually trained, an interrupted epoch's finished batches included: its pulses were
  // applied, so finished epochs × dataset size would divide them by too few samples (or by none).
  const samples = result.samplesTrained;
  return {
    chip,
    testAccuracy: result.finalTestAccuracy,
    bestTestAccuracy: result.bestTestAccuracy,
    epochs: result.epochs,
    updatePulsesPerSample: samples > 0 ? it.chip.pulses() / samples : 0,
    boundHits: Object.fromEntries(
      netlist.edges.flatMap((e, i) => (e.trainable ? [[e.name, { cells: it.chip.W[i].boundHits, of: e.rows * e.cols }]] : [])),
    ),
    refreshesPerSample: samples > 0 ? it.chip.refreshes().reduce((a, b) => a + b, 0) / samples : 0,
    refreshPulsesPerSample: samples > 0 ? it.chip.refreshPulses() / samples : 0,
    refreshes: Object.fromEntries(netlist.edges.flatMap((e, i) => (e.trainable ? [[e.name, it.chip.refreshes()[i]]] : []))),
    samplesTrained: samples,
    trainSamples: samples,
    interrupted: result.interrupted,
    interpreter: it,
    adcSaturation: it.adcSaturation(),
    samplesRun: it.samplesRun(),
    irDrop: irDropOf(netlist, it),
  };
}

function irDropOf(netlist: NetlistMsg, it: NetlistInterpreter): Record<string, number> {
  if (!(it.chip.chip.crossbar.wireResistanceOhm > 0)) return {};
  const e = it.chip.irDrop();
  return Object.fromEntries(netlist.edges.map((x, i) => [x.name, e[i]]));
}
