/**
 * Running a net on the simulated chip: program the compiled netlist onto noisy devices, then either
 * evaluate (ex-situ deployment: software-trained weights compiled into the netlist) or train in
 * situ (the EP engine on the chip executor; the spec's optimiser computes each step digitally and
 * the devices realise it — with an SGD spec this is the plain local rule written as pulses).
 */
import { chipFromMsg } from '../../netlist/chip-proto';
import { edgeTiles } from '../../netlist/tiles';
import type { NetlistMsg } from '../../netlist/types';
import type { DataSplit } from '../../datasets/dataset';
import type { Net } from '../../graph/net';
import type { Params } from '../../graph/params';
import type { ChipDescription } from '../../hw-models/chip';
import { makeRng } from '../../util/rng';
import { EpEngine } from '../engine/ep';
import type { Kernels } from '../kernels/kernels';
import { makeNoise } from '../noise';
import { evaluate, train, type EpochResult } from '../train';
import { netlistParams } from '../../netlist/tiles';
import { ChipExecutor } from './chip-executor';
import type { PulseRounding } from './devices';

export interface ChipRunOptions {
  /** 'train': in-situ EP training; 'eval': evaluate the programmed weights only. */
  mode: 'train' | 'eval';
  epochs: number;
  seed: number;
  kernels: Kernels;
  /** Seconds between programming and the reads (conductance drift); 0 = none. */
  driftSeconds?: number;
  pulseRounding?: PulseRounding;
  onEpoch?: (r: EpochResult) => void;
  shouldStop?: () => boolean;
}

export interface ChipRunResult {
  chip: ChipDescription;
  testAccuracy: number;
  bestTestAccuracy: number;
  epochs: EpochResult[];
  /** Update pulses applied per training sample (0 in eval mode). */
  updatePulsesPerSample: number;
  trainSamples: number;
  interrupted: boolean;
  /** The chip as the run left it (devices, effective weights) and the parameters (biases included). */
  executor: ChipExecutor;
  params: Params;
}

export function makeChipExecutor(net: Net, netlist: NetlistMsg, seed: number, kernels: Kernels, opts: { driftSeconds?: number; pulseRounding?: PulseRounding } = {}): ChipExecutor {
  const chip = chipFromMsg(netlist.chip!);
  // The chip's random draws (programming noise, stuck devices, read/state noise, pulses) come from
  // their own stream of the run's seed, so they never shift the data shuffling.
  const noise = makeNoise(makeRng(seed).fork('chip'), kernels.name === 'reference-ts' ? 'reference' : 'native');
  return new ChipExecutor(net, edgeTiles(netlist), chip, kernels, noise, {
    driftSeconds: opts.driftSeconds ?? 0, pulseRounding: opts.pulseRounding ?? 'stochastic',
  });
}

export async function runOnChip(net: Net, netlist: NetlistMsg, data: DataSplit, o: ChipRunOptions): Promise<ChipRunResult> {
  const exec = makeChipExecutor(net, netlist, o.seed, o.kernels, o);
  const batch = net.spec.training.batchSize;
  // The programmed weights (the optimiser's starting point in training) and the edges' biases.
  const params = netlistParams(netlist, exec.chip);
  if (o.mode === 'eval') {
    const model = new EpEngine(net, exec, batch, params.bias);
    const x = new Float32Array(batch * net.inputSize);
    const y = new Float32Array(batch * net.classes);
    const acc = evaluate(model, data.test, batch, x, y);
    return { chip: exec.chip, testAccuracy: acc, bestTestAccuracy: acc, epochs: [], updatePulsesPerSample: 0, trainSamples: 0, interrupted: false, executor: exec, params };
  }
  const { result, params: trained } = await train(net, params, data, {
    algo: 'ep', epochs: o.epochs, seed: o.seed, kernels: o.kernels, executor: exec, onEpoch: o.onEpoch, shouldStop: o.shouldStop,
  });
  const samples = result.epochs.length * data.train.count;
  return {
    chip: exec.chip, testAccuracy: result.finalTestAccuracy, bestTestAccuracy: result.bestTestAccuracy, epochs: result.epochs,
    updatePulsesPerSample: samples > 0 ? exec.pulses() / samples : 0, trainSamples: samples, interrupted: result.interrupted,
    executor: exec, params: trained,
  };
}
