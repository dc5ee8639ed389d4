/**
 * Optimisers step the trained matrices and biases along descent directions g (for EP, g = −ΔW of
 * the local rule). Written out by hand (docs/references.md#optimisers-and-initialisation) so the chip's mixed mode can reuse the same
 * step. Each follows PyTorch's documented algorithm (torch.optim.SGD / Adam / AdamW), with the
 * learning-rate schedule (schedule.ts) and global gradient-norm clipping (clip.ts) of the training
 * spec folded in: one `step` per batch is clip → weight decay → update.
 *
 * Slots (the `weights` / `grads` indices) as makeGrads in simulator/train.ts: [0, E) the edge
 * matrices, [E, 2E) the edge biases; null grads (untrained edges, edges without a bias) are skipped.
 * A bias uses its edge's learning rate and, as PyTorch's default parameter groups do, the same
 * weight decay.
 */
import type { Net } from '../../graph/net';
import { ADAM_DEFAULTS, type TrainingSpec } from '../../graph/spec';
import type { Kernels } from '../kernels/kernels';
import { clipGradNorm } from './clip';
import { makeSchedule, type LrSchedule } from './schedule';

export interface Optimizer {
  /**
   * One update of every slot with both a weight and a gradient: clip the global gradient norm (if
   * configured), apply weight decay, step. Modifies `grads` in place (clip scaling; L2 decay adds
   * wd·w into g): the grads are scratch, rewritten by the engine every batch, so do not read them
   * after the step.
   */
  step(weights: Float32Array[], grads: (Float32Array | null)[]): void;
  /** Sets the learning rates for 0-based epoch `epoch` from the schedule; the training loop calls
   *  it at the start of every epoch. A new optimiser starts at epoch 0. */
  setEpoch(epoch: number): void;
  /** The learning rate slot `slot` currently steps with. */
  lr(slot: number): number;
  /**
   * Everything a later step depends on besides the weights (moments, velocities, step count, the
   * schedule's current rates), for checkpoints. Buffers are the live ones, not copies: serialise
   * before the next step.
   */
  state(): OptimizerState;
  /** Continues from a state() of an optimiser built the same way (copies the buffers in). */
  restore(s: OptimizerState): void;
}

/** An optimiser's resumable state: named per-slot buffers and scalars. */
export interface OptimizerState {
  kind: 'adam' | 'sgd';
  /** Steps taken (Adam's bias-correction t; counted for SGD too). */
  step: number;
  /** The scheduled learning rate of every slot at the time of the snapshot. */
  lrs: number[];
  /** Per-slot buffers by name ('m', 'v' for Adam, 'velocity' for SGD with momentum). */
  buffers: Record<string, (Float32Array | null)[]>;
}

/** Copies saved buffers into live ones, refusing a state from a differently built optimiser. */
function restoreBuffers(kind: string, live: Record<string, (Float32Array | null)[]>, s: OptimizerState): void {
  if (s.kind !== kind) throw new Error(`optimizer state is for ${s.kind}, this optimizer is ${kind}`);
  for (const [name, slots] of Object.entries(live)) {
    const saved = s.buffers[name];
    if (!saved || saved.length !== slots.length) throw new Error(`optimizer state lacks buffer '${name}' for ${slots.length} slots`);
    slots.forEach((b, i) => {
      const from = saved[i];
      if ((b === null) !== (from === null) || (b && from && b.length !== from.length)) {
        throw new Error(`optimizer state buffer '${name}' slot ${i} has the wrong size`);
      }
      if (b && from) b.set(from);
    });
  }
}

/** What every optimiser shares: per-slot base rates, their scheduled values, clipping. */
export interface CommonOptions {
  /** Default constant. */
  schedule?: LrSchedule;
  /** Global L2 norm bound on the grads; undefined = no clipping. */
  clipGradNorm?: number;
  /** Default 0. */
  weightDecay?: number;
}

abstract class ScheduledOptimizer implements Optimizer {
  private readonly current: number[];
  private readonly schedule: LrSchedule;
  private readonly clip: number | undefined;
  protected readonly weightDecay: number;

  constructor(
    private readonly bases: readonly number[],
    o: CommonOptions,
  ) {
    this.schedule = o.schedule ?? ((base) => base);
    this.clip = o.clipGradNorm;
    this.weightDecay = o.weightDecay ?? 0;
    this.current = bases.map((b) => this.schedule(b, 0));
  }

  setEpoch(epoch: number): void {
    for (let i = 0; i < this.bases.length; i++) this.current[i] = this.schedule(this.bases[i], epoch);
  }

  lr(slot: number): number {
    return this.current[slot];
  }

  protected lrsNow(): number[] {
    return this.current.slice();
  }

  protected restoreLrs(lrs: readonly number[]): void {
    if (lrs.length !== this.current.length)
      throw new Error(`optimizer state has ${lrs.length} learning rates for ${this.current.length} slots`);
    for (let i = 0; i < lrs.length; i++) this.current[i] = lrs[i];
  }

  abstract state(): OptimizerState;
  abstract restore(s: OptimizerState): void;

  step(weights: Float32Array[], grads: (Float32Array | null)[]): void {
    if (this.clip !== undefined) clipGradNorm(grads, this.clip);
    this.update(weights, grads);
  }

  protected abstract update(weights: Float32Array[], grads: (Float32Array | null)[]): void;
}

/** g ← g + wd·w (L2 regularisation as part of the gradient; PyTorch's `weight_decay` in SGD and Adam). */
function addL2(g: Float32Array, w: Float32Array, wd: number): void {
  for (let k = 0; k < g.length; k++) g[k] += wd * w[k];
}

export interface AdamOptions extends CommonOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** true: AdamW, w ← w·(1 − lr·wd) before the Adam step; false: Adam with L2 decay in g. */
  decoupled?: boolean;
}

export class Adam extends ScheduledOptimizer {
  private readonly m: (Float32Array | null)[];
  private readonly v: (Float32Array | null)[];
  private readonly b1: number;
  private readonly b2: number;
  private readonly eps: number;
  private readonly decoupled: boolean;
  private t = 0;

  constructor(
    private readonly kernels: Kernels,
    sizes: (number | null)[],
    lr: number,
    o: AdamOptions = {},
  ) {
    super(
      sizes.map(() => lr),
      o,
    );
    this.b1 = o.beta1 ?? ADAM_DEFAULTS.beta1;
    this.b2 = o.beta2 ?? ADAM_DEFAULTS.beta2;
    this.eps = o.eps ?? ADAM_DEFAULTS.eps;
    this.decoupled = o.decoupled ?? false;
    this.m = sizes.map((n) => (n === null ? null : new Float32Array(n)));
    this.v = sizes.map((n) => (n === null ? null : new Float32Array(n)));
  }

  state(): OptimizerState {
    return { kind: 'adam', step: this.t, lrs: this.lrsNow(), buffers: { m: this.m, v: this.v } };
  }

  restore(s: OptimizerState): void {
    restoreBuffers('adam', { m: this.m, v: this.v }, s);
    this.t = s.step;
    this.restoreLrs(s.lrs);
  }

  protected update(weights: Float32Array[], grads: (Float32Array | null)[]): void {
    this.t++;
    const bc1 = 1 - Math.pow(this.b1, this.t);
    // PyTorch's form of bias correction: lr/(1−β1^t) · m / (sqrt(v)/sqrt(1−β2^t) + ε).
    const c2 = 1 / Math.sqrt(1 - Math.pow(this.b2, this.t));
    const wd = this.weightDecay;
    grads.forEach((g, i) => {
      const m = this.m[i];
      const v = this.v[i];
      if (!g || !m || !v) return;
      const w = weights[i];
      const lr = this.lr(i);
      if (wd !== 0) {
        if (this.decoupled) {
          const f = 1 - lr * wd;
          for (let k = 0; k < w.length; k++) w[k] *= f;
        } else {
          addL2(g, w, wd);
        }
      }
      this.kernels.adamStep(w, g, m, v, g.length, this.b1, this.b2, lr / bc1, c2, this.eps);
    });
  }
}

export interface SgdOptions extends CommonOptions {
  /** Default 0 (no velocity buffers). */
  momentum?: number;
}

/** PyTorch SGD (dampening 0, no Nesterov): g ← g + wd·w; v ← μ·v + g; w ← w − lr·v. */
export class Sgd extends ScheduledOptimizer {
  private readonly vel: (Float32Array | null)[];
  private readonly momentum: number;

  /** `lrs`: one base learning rate per slot. */
  constructor(sizes: (number | null)[], lrs: number[], o: SgdOptions = {}) {
    super(lrs, o);
    this.momentum = o.momentum ?? 0;
    this.vel = sizes.map((n) => (n === null || this.momentum === 0 ? null : new Float32Array(n)));
  }

  private steps = 0;

  state(): OptimizerState {
    return { kind: 'sgd', step: this.steps, lrs: this.lrsNow(), buffers: { velocity: this.vel } };
  }

  restore(s: OptimizerState): void {
    restoreBuffers('sgd', { velocity: this.vel }, s);
    this.steps = s.step;
    this.restoreLrs(s.lrs);
  }

  protected update(weights: Float32Array[], grads: (Float32Array | null)[]): void {
    this.steps++;
    const wd = this.weightDecay;
    grads.forEach((g, i) => {
      if (!g) return;
      const w = weights[i];
      const lr = this.lr(i);
      if (wd !== 0) addL2(g, w, wd);
      const v = this.vel[i];
      if (v) {
        for (let k = 0; k < g.length; k++) {
          v[k] = this.momentum * v[k] + g[k];
          w[k] -= lr * v[k];
        }
      } else {
        for (let k = 0; k < g.length; k++) w[k] -= lr * g[k];
      }
    });
  }
}

/** The optimiser a training spec asks for (optimizer, schedule, clipGradNorm), over the net's
 *  trained parameter slots. */
export function makeOptimizer(net: Net, training: TrainingSpec, kernels: Kernels): Optimizer {
  // Slots as makeGrads (simulator/train.ts): [0, E) edge matrices, [E, 2E) biases (same lr as their edge).
  const sizes = [
    ...net.edges.map((e) => (e.trainable ? e.rows * e.cols : null)),
    ...net.edges.map((e) => (e.trainable && e.bias ? e.rows : null)),
  ];
  const spec = training.optimizer;
  const common: CommonOptions = { schedule: makeSchedule(training), clipGradNorm: training.clipGradNorm };
  if (spec.kind !== 'sgd') {
    return new Adam(kernels, sizes, spec.lr, {
      ...common,
      beta1: spec.beta1,
      beta2: spec.beta2,
      eps: spec.eps,
      decoupled: spec.kind === 'adamw',
      weightDecay: spec.weightDecay ?? (spec.kind === 'adamw' ? 0.01 : 0),
    });
  }
  const lrMap = spec.lr;
  const edgeLrs = net.edges.map((e) => (typeof lrMap === 'number' ? lrMap : (lrMap[e.name] ?? 0)));
  const lrs = [...edgeLrs, ...edgeLrs];
  return new Sgd(sizes, lrs, { ...common, momentum: spec.momentum ?? 0, weightDecay: spec.weightDecay ?? 0 });
}
