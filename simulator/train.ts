/**
 * The training loop shared by EP, BP and FA: seeded shuffling, batching into preallocated
 * buffers, one optimiser step per batch, test accuracy after every epoch.
 */
import type { DataSplit, Dataset } from '../datasets/dataset';
import type { Net } from '../graph/net';
import { makeRng, permutation, type Rng } from '../util/rng';
import { BackpropEngine } from './engine/backprop';
import { EpEngine } from './engine/ep';
import { type Params, withRandomFeedback } from '../graph/params';
import { countCorrect } from './engine/softmax';
import type { Executor } from './executor';
import { IdealExecutor } from './ideal-executor';
import type { Kernels } from './kernels/kernels';
import { makeOptimizer, type OptimizerState } from './optim/optimizer';

export type Algorithm = 'ep' | 'bp' | 'fa';
export const ALGORITHMS: readonly Algorithm[] = ['ep', 'bp', 'fa'];

export interface EpochResult {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testAccuracy: number;
  seconds: number;
}

export interface TrainResult {
  algo: Algorithm;
  epochs: EpochResult[];
  bestTestAccuracy: number;
  finalTestAccuracy: number;
  epochSeconds: number[];
  /** True when training stopped early on request (Ctrl-C). */
  interrupted: boolean;
  /** Samples this call trained on, the finished batches of an interrupted epoch included (a resumed
   *  run's earlier epochs not): the denominator of per-sample counts such as a chip's update pulses. */
  samplesTrained: number;
}

/**
 * A model whose weights live in hardware (the chip simulator's netlist interpreter): the optimiser
 * steps `weights()` (requested values) and `biases()` (digital registers), and `commit()` realises
 * the weights on the devices.
 */
export interface DeviceModel extends Model {
  weights(): Float32Array[];
  biases(): (Float32Array | null)[];
  commit(): void;
  /** True when the devices learn during step() itself (stochastic coincidence: per-sample pulse trains):
   *  the optimiser steps the biases only, and no gradient of the edge matrices is formed (null slots). */
  readonly updatesInSitu?: boolean;
}

export interface TrainOptions {
  algo: Algorithm;
  /** Train this model (on the chip) instead of an engine on the ideal executor; EP only. */
  device?: DeviceModel;
  epochs: number;
  seed: number;
  kernels: Kernels;
  /** Called after every batch (progress bars). */
  onBatch?: (epoch: number, batch: number, batches: number, loss: number) => void;
  onEpoch?: (r: EpochResult) => void;
  /** Polled between batches: return true to stop after the current batch. */
  shouldStop?: () => boolean;
  /**
   * Continue a run from the end of epoch `resume.epochsDone`: its parameters replace `initial`, the
   * optimiser continues from its state, its epochs are the first of the result, and training runs
   * epochs epochsDone + 1 … `epochs` (simulator/checkpoint.ts explains why this is exact).
   */
  resume?: TrainCheckpoint;
  /** Called after every epoch (after onEpoch) with the state to continue from; write it out before
   *  returning: the arrays are the live ones. */
  onCheckpoint?: (c: TrainCheckpoint) => void;
}

/** The state of a run at the end of an epoch: all a later epoch depends on. */
export interface TrainCheckpoint {
  /** Epochs finished; the run continues with epoch epochsDone + 1. */
  epochsDone: number;
  /** The results of epochs 1 … epochsDone. */
  history: EpochResult[];
  /** Weights, biases and fixed random feedback matrices, as the model uses them. */
  params: Params;
  optimizer: OptimizerState;
}

/** One model = engine (EP or BP/FA) + executor; the forward pass that evaluation uses. */
export interface Model {
  step(x: Float32Array, y: Float32Array, m: number, grads: (Float32Array | null)[]): { loss: number; probs: Float32Array };
  infer(x: Float32Array, m: number): Float32Array;
}

export function makeModel(
  net: Net,
  params: Params,
  algo: Algorithm,
  kernels: Kernels,
  maxBatch: number,
  rng: Rng,
  executor?: Executor,
): { model: Model; params: Params } {
  if (algo === 'fa' && !executor) params = withRandomFeedback(net, params, rng);
  const exec: Executor = executor ?? new IdealExecutor(params, kernels);
  const biases = params.bias ?? [];
  const model = algo === 'ep' ? new EpEngine(net, exec, maxBatch, biases) : new BackpropEngine(net, exec, maxBatch, algo, biases);
  return { model, params };
}

/**
 * Descent directions, one slot per trainable parameter array: [0, E) the edge matrices, [E, 2E) the
 * edge biases (null where an edge is untrained or has no bias). Engines write into these; the
 * optimiser reads them.
 */
export function makeGrads(net: Net): (Float32Array | null)[] {
  return [
    ...net.edges.map((e) => (e.trainable ? new Float32Array(e.rows * e.cols) : null)),
    ...net.edges.map((e) => (e.trainable && e.bias ? new Float32Array(e.rows) : null)),
  ];
}

/** Copies rows `order[start..start+m)` of a dataset into x and one-hot targets into y. */
export function gatherBatch(ds: Dataset, order: Int32Array | null, start: number, m: number, x: Float32Array, y: Float32Array): void {
  const D = ds.dim;
  const C = ds.classes;
  y.fill(0, 0, m * C);
  for (let r = 0; r < m; r++) {
    const idx = order ? order[start + r] : start + r;
    x.set(ds.images.subarray(idx * D, idx * D + D), r * D);
    y[r * C + ds.labels[idx]] = 1;
  }
}

/** Accuracy of the model's forward pass (EP: the free phase) over a dataset. */
export function evaluate(
  model: Model,
  ds: Dataset,
  batchSize: number,
  x: Float32Array,
  y: Float32Array,
  onBatch?: (batch: number, batches: number) => void,
): number {
  let correct = 0;
  const batches = Math.ceil(ds.count / batchSize);
  for (let start = 0; start < ds.count; start += batchSize) {
    const m = Math.min(batchSize, ds.count - start);
    gatherBatch(ds, null, start, m, x, y);
    const logits = model.infer(x, m);
    correct += countCorrect(logits, ds.labels, start, m, ds.classes);
    onBatch?.(start / batchSize + 1, batches);
  }
  return ds.count === 0 ? 0 : correct / ds.count;
}

/** Async only to let signals (Ctrl-C) and progress output through between batches. */
export async function train(
  net: Net,
  initial: Params,
  data: DataSplit,
  opts: TrainOptions,
): Promise<{ result: TrainResult; params: Params }> {
  const { batchSize } = net.spec.training;
  const rng = makeRng(opts.seed);
  if (opts.device && opts.algo !== 'ep') throw new Error(`a chip trains with EP, not ${opts.algo}`);
  const resume = opts.resume;
  // Weights on a chip live on the devices, which a checkpoint does not capture.
  if (resume && opts.device) throw new Error('resuming is supported on the ideal executor only');
  const { model, params } = opts.device
    ? { model: opts.device as Model, params: initial }
    : makeModel(net, resume ? resume.params : initial, opts.algo, opts.kernels, batchSize, rng);
  // Optimiser, lr schedule and gradient clipping of the spec (clipping happens inside step).
  const optimizer = makeOptimizer(net, net.spec.training, opts.kernels);
  if (resume) optimizer.restore(resume.optimizer);
  const grads = makeGrads(net);
  // In-situ learning devices take no optimiser step on their matrices: a zero gradient and a step of lr·0 per
  // weight and batch were all the optimiser did with them (a pass each over every weight).
  if (opts.device?.updatesInSitu) grads.fill(null, 0, net.edges.length);
  // Slots [0, E): edge matrices (on the devices when an executor holds them); [E, 2E): biases, kept
  // digitally (the neuron unit adds them) in both the ideal and the chip executor.
  const dev = opts.device;
  const weights = dev
    ? [...dev.weights(), ...dev.biases().map((b) => b ?? new Float32Array(0))]
    : [...params.W.map((w) => w.data), ...net.edges.map((e) => params.bias[e.index] ?? new Float32Array(0))];
  const x = new Float32Array(batchSize * net.inputSize);
  const y = new Float32Array(batchSize * net.classes);
  const train = data.train;
  const batches = Math.ceil(train.count / batchSize);
  const epochs: EpochResult[] = resume ? [...resume.history] : [];
  let interrupted = false;
  let samplesTrained = 0;

  for (let epoch = (resume?.epochsDone ?? 0) + 1; epoch <= opts.epochs && !interrupted; epoch++) {
    const t0 = process.hrtime.bigint();
    optimizer.setEpoch(epoch - 1); // schedules count epochs from 0
    const order = permutation(train.count, rng.fork(`shuffle/${epoch}`));
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    for (let b = 0; b < batches; b++) {
      const start = b * batchSize;
      const m = Math.min(batchSize, train.count - start);
      gatherBatch(train, order, start, m, x, y);
      const { loss, probs } = model.step(x, y, m, grads);
      optimizer.step(weights, grads);
      dev?.commit();
      lossSum += loss * m;
      seen += m;
      samplesTrained += m;
      correct += countCorrect(probs, train.labels, start, m, train.classes, order);
      opts.onBatch?.(epoch, b + 1, batches, loss);
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (opts.shouldStop?.()) {
        interrupted = true;
        break;
      }
    }
    if (interrupted) break;
    const testAccuracy = evaluate(model, data.test, batchSize, x, y);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const r: EpochResult = {
      epoch,
      trainLoss: lossSum / Math.max(seen, 1),
      trainAccuracy: correct / Math.max(seen, 1),
      testAccuracy,
      seconds,
    };
    epochs.push(r);
    opts.onEpoch?.(r);
    opts.onCheckpoint?.({ epochsDone: epoch, history: epochs, params, optimizer: optimizer.state() });
  }
  const accs = epochs.map((e) => e.testAccuracy);
  return {
    params,
    result: {
      algo: opts.algo,
      epochs,
      bestTestAccuracy: accs.length ? Math.max(...accs) : 0,
      finalTestAccuracy: accs.length ? accs[accs.length - 1] : 0,
      epochSeconds: epochs.map((e) => e.seconds),
      interrupted,
      samplesTrained,
    },
  };
}
