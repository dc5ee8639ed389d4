/**
 * Optimisers step the trained matrices along descent directions g (for EP, g = −ΔW of the local
 * rule). Written out by hand (fre-rnn.md §1) so the chip's mixed mode can reuse the same step.
 */
import type { Net } from '../../graph/net';
import type { OptimizerSpec } from '../../graph/spec';
import type { Kernels } from '../kernels/kernels';

export interface Optimizer {
  /** w ← w − step(g) for every edge with both a weight and a gradient. */
  step(weights: Float32Array[], grads: (Float32Array | null)[]): void;
}

export class Adam implements Optimizer {
  private readonly m: (Float32Array | null)[];
  private readonly v: (Float32Array | null)[];
  private t = 0;
  constructor(private readonly kernels: Kernels, sizes: (number | null)[], private readonly lr: number, private readonly b1 = 0.9,
    private readonly b2 = 0.999, private readonly eps = 1e-8) {
    this.m = sizes.map((n) => (n === null ? null : new Float32Array(n)));
    this.v = sizes.map((n) => (n === null ? null : new Float32Array(n)));
  }
  step(weights: Float32Array[], grads: (Float32Array | null)[]): void {
    this.t++;
    // PyTorch's form of bias correction: lr/(1−β1^t) · m / (sqrt(v)/sqrt(1−β2^t) + ε).
    const c1 = this.lr / (1 - Math.pow(this.b1, this.t));
    const c2 = 1 / Math.sqrt(1 - Math.pow(this.b2, this.t));
    grads.forEach((g, i) => {
      const m = this.m[i];
      const v = this.v[i];
      if (!g || !m || !v) return;
      this.kernels.adamStep(weights[i], g, m, v, g.length, this.b1, this.b2, c1, c2, this.eps);
    });
  }
}

export class Sgd implements Optimizer {
  private readonly vel: (Float32Array | null)[];
  constructor(sizes: (number | null)[], private readonly lrs: number[], private readonly momentum = 0) {
    this.vel = sizes.map((n) => (n === null || momentum === 0 ? null : new Float32Array(n)));
  }
  step(weights: Float32Array[], grads: (Float32Array | null)[]): void {
    grads.forEach((g, i) => {
      if (!g) return;
      const w = weights[i];
      const lr = this.lrs[i];
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

/** The optimiser a spec asks for, over the net's trained edges (index = edge index). */
export function makeOptimizer(net: Net, spec: OptimizerSpec, kernels: Kernels): Optimizer {
  const sizes = net.edges.map((e) => (e.trainable ? e.rows * e.cols : null));
  if (spec.kind === 'adam') return new Adam(kernels, sizes, spec.lr, spec.beta1, spec.beta2, spec.eps);
  const lrMap = spec.lr;
  const lrs = net.edges.map((e) => (typeof lrMap === 'number' ? lrMap : (lrMap[e.name] ?? 0)));
  return new Sgd(sizes, lrs, spec.momentum ?? 0);
}
