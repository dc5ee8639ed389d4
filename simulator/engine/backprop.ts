/**
 * Baselines on the same nets (docs/references.md#baselines): backprop (BP) and feedback alignment (FA) through the
 * feedforward part of the graph, i.e. the forward-direction edges, with softmax + cross-entropy.
 * FA sends the error back through each edge's fixed random matrix B instead of Wᵀ.
 */
import { INPUT, isForward, type Net, type NetEdge } from '../../graph/net';
import type { Executor } from '../executor';
import { mulDerivative } from './activations';
import { EdgeOps } from './edge-ops';
import { softmaxRows } from './softmax';
import type { StepResult } from './ep';

export type BackwardKind = 'bp' | 'fa';

export class BackpropEngine {
  private readonly fwdIn: NetEdge[][];
  private readonly hBuf: Float32Array[];
  private readonly sBuf: Float32Array[];
  private readonly dBuf: Float32Array[];
  private readonly logits: Float32Array;
  private readonly probs: Float32Array;
  private readonly dz: Float32Array;
  private readonly ops: EdgeOps;

  constructor(
    readonly net: Net,
    readonly exec: Executor,
    readonly maxBatch: number,
    readonly kind: BackwardKind,
    biases: readonly (Float32Array | undefined)[] = [],
  ) {
    this.ops = new EdgeOps(net, exec, maxBatch, biases);
    const buf = (n: number): Float32Array => new Float32Array(maxBatch * n);
    this.fwdIn = net.layers.map((_, j) => net.edges.filter((e) => e.to === j && isForward(e)));
    this.hBuf = net.layers.map((l) => buf(l.size));
    this.sBuf = net.layers.map((l) => buf(l.size));
    this.dBuf = net.layers.map((l) => buf(l.size));
    this.logits = buf(net.classes);
    this.probs = buf(net.classes);
    this.dz = buf(net.classes);
  }

  /** Feedforward pass; returns the logits [m × classes]. */
  infer(x: Float32Array, m: number): Float32Array {
    if (m > this.maxBatch) throw new Error(`batch of ${m} exceeds the engine's maximum ${this.maxBatch}`);
    this.net.layers.forEach((l, j) => {
      const n = m * l.size;
      const h = this.hBuf[j];
      h.fill(0, 0, n);
      for (const e of this.fwdIn[j]) this.ops.forward(e, e.from === INPUT ? x : this.sBuf[e.from], m, e.alpha, h);
      this.exec.activate(l, h, this.sBuf[j], m);
    });
    const ro = this.net.readout;
    this.logits.fill(0, 0, m * this.net.classes);
    this.ops.forward(ro, this.sBuf[ro.from], m, ro.alpha, this.logits);
    return this.logits;
  }

  /** Gradients of the mean cross-entropy (BP exact; FA with random feedback) into `grads`. */
  step(x: Float32Array, y: Float32Array, m: number, grads: (Float32Array | null)[]): StepResult {
    const C = this.net.classes;
    this.infer(x, m);
    softmaxRows(this.logits, this.probs, m, C);
    let loss = 0;
    for (let i = 0; i < m * C; i++) {
      this.dz[i] = this.probs[i] - y[i];
      if (y[i] > 0) loss -= y[i] * Math.log(Math.max(this.probs[i], 1e-30));
    }
    loss /= m;

    this.net.layers.forEach((l, j) => this.dBuf[j].fill(0, 0, m * l.size));
    const ro = this.net.readout;
    this.accumulate(ro, this.dz, m, grads);
    for (let j = this.net.layers.length - 1; j >= 0; j--) {
      const n = m * this.net.layers[j].size;
      const d = this.dBuf[j];
      mulDerivative(this.net.layers[j].activation, this.hBuf[j], this.sBuf[j], d, n);
      for (const e of this.fwdIn[j]) this.accumulate(e, d, m, grads, x);
    }
    return { loss, probs: this.probs };
  }

  /** Given dL/dh of edge e's target, write e's gradient and pass the error to e's source. */
  private accumulate(e: NetEdge, dPost: Float32Array, m: number, grads: (Float32Array | null)[], x?: Float32Array): void {
    // Conv edges reuse the patches and argmax of this pass's forward read (pre = null).
    const pre = e.conv ? ('latest' as const) : e.from === INPUT ? x! : this.sBuf[e.from];
    const g = grads[e.index] ?? null;
    const gb = grads[this.net.edges.length + e.index] ?? null;
    if (e.trainable && (g || gb)) this.ops.update(e, dPost, pre, m, e.alpha / m, g, gb);
    if (e.from === INPUT) return;
    this.ops.backward(e, dPost, m, e.alpha, this.dBuf[e.from], this.kind === 'bp' ? 'transposed' : 'random');
  }
}
