/**
 * The EP engine (docs/references.md#fre-rnn-model): free phase of T synchronous steps from the zero state, nudged
 * phase of K steps from the free state with the output error fed back through the readout, and the
 * local update ΔW ∝ (s^β_post − s⁰_post)·(s⁰_pre)ᵀ / m. General over explicit edges: each hidden
 * layer's drive is the sum over the edges that touch it, so cost is proportional to the edges that
 * exist (block-sparse by construction). All buffers are allocated once, for the largest batch.
 */
import { INPUT, OUTPUT, type Net, type NetEdge } from '../../graph/net';
import type { Executor } from '../executor';
import { activationOfZero } from './activations';
import { EdgeOps } from './edge-ops';
import { softmaxRows } from './softmax';

export interface StepResult {
  /** Mean cross-entropy of the free-phase output. */
  loss: number;
  /** The free-phase output probabilities, [m × classes] (valid until the next call). */
  probs: Float32Array;
}

interface LayerPlan {
  /** Edges whose forward read drives this layer from another hidden layer. */
  forwardIn: NetEdge[];
  /** Edges leaving this layer towards a hidden layer whose feedback drives this layer. */
  feedbackIn: NetEdge[];
  /** Max-pooled conv edges into the layer with a 'state' winner (pool.winner): repooled before ρ. */
  repoolIn: NetEdge[];
  /** Edges from the input: their drive is constant over a batch, computed once. */
  inputIn: NetEdge[];
}

export class EpEngine {
  private readonly plans: LayerPlan[];
  private readonly inDrive: (Float32Array | null)[];
  private s: Float32Array[];
  private sNext: Float32Array[];
  private readonly sFree: Float32Array[];
  private readonly h: Float32Array[];
  private readonly zero: boolean[];
  private readonly logits: Float32Array;
  private readonly probs: Float32Array;
  private readonly err: Float32Array;
  /** Nudged-output probabilities and error (graph nudge mode only). */
  private readonly probs2: Float32Array;
  private readonly err2: Float32Array;
  private readonly nudgeDrive: Float32Array;
  /** lagged nudge mode: the logits of the state one step older than the one the layers read. */
  private readonly lagLogits: Float32Array;
  private readonly diff: Float32Array;
  private readonly zeroStays: boolean[];
  private readonly ops: EdgeOps;
  /** Per layer: the feedback edge its drive and activation are fused with, or null. */
  private readonly fusedFeedback: (NetEdge | null)[];

  /** biases: per edge (digital, added after the read); omitted = no biases. */
  constructor(
    readonly net: Net,
    readonly exec: Executor,
    readonly maxBatch: number,
    biases: readonly (Float32Array | undefined)[] = [],
  ) {
    this.ops = new EdgeOps(net, exec, maxBatch, biases);
    const L = net.layers.length;
    this.plans = net.layers.map((_, j) => ({
      forwardIn: net.edges.filter((e) => e.to === j && e.from !== INPUT),
      feedbackIn: net.edges.filter((e) => e.from === j && e.to !== OUTPUT && e.feedback !== 'none'),
      inputIn: net.edges.filter((e) => e.to === j && e.from === INPUT),
      repoolIn: net.edges.filter((e) => e.to === j && this.ops.repools(e)),
    }));
    // A 'state' winner's feedback reads the map its repool rewrites later in the same step (one buffer):
    // the layer it feeds back into must come first in the layer loop below.
    for (const e of net.edges) {
      if (this.ops.repools(e) && e.feedback !== 'none' && !(e.from >= 0 && e.from < e.to))
        throw new Error(
          `edge ${e.name}: a "winner": "state" pool needs its feedback to go to an earlier layer (from ${e.from}, to ${e.to})`,
        );
    }
    const buf = (n: number): Float32Array => new Float32Array(maxBatch * n);
    this.inDrive = net.layers.map((l, j) => (this.plans[j].inputIn.length > 0 ? buf(l.size) : null));
    this.s = net.layers.map((l) => buf(l.size));
    this.sNext = net.layers.map((l) => buf(l.size));
    this.sFree = net.layers.map((l) => buf(l.size));
    this.h = net.layers.map((l) => buf(l.size));
    this.zero = new Array<boolean>(L).fill(true);
    this.zeroStays = net.layers.map(
      (l, j) => this.inDrive[j] === null && activationOfZero(l.activation) === 0 && !this.plans[j].forwardIn.some((e) => e.bias),
    );
    // A layer driven only by its input drive and one max-pooled conv feedback (mnist-conv's c1: 2.4 MB a
    // batch) is updated chunk by chunk in the feedback read itself (EdgeOps.feedbackActivate): its
    // drive is not copied, re-read and activated in separate passes over memory at every step.
    this.fusedFeedback = net.layers.map((_, j) => {
      const p = this.plans[j];
      const e = p.feedbackIn[0];
      return p.forwardIn.length === 0 &&
        p.feedbackIn.length === 1 &&
        p.repoolIn.length === 0 &&
        j !== net.readout.from &&
        this.ops.canFeedbackActivate(e)
        ? e
        : null;
    });
    this.logits = buf(net.classes);
    this.probs = buf(net.classes);
    this.err = buf(net.classes);
    this.probs2 = buf(net.classes);
    this.err2 = buf(net.classes);
    this.nudgeDrive = buf(this.readoutLayer().size);
    this.lagLogits = buf(net.spec.dynamics.nudge === 'lagged' ? net.classes : 0);
    this.diff = buf(Math.max(...net.layers.map((l) => l.size)));
  }

  private readoutLayer() {
    return this.net.layers[this.net.readout.from];
  }

  /** Free phase only: the state after T steps; returns the readout logits [m × classes]. */
  infer(x: Float32Array, m: number): Float32Array {
    this.loadInput(x, m);
    this.relax(m, this.net.spec.dynamics.T, false, null);
    this.readout(m, this.s, this.logits);
    return this.logits;
  }

  /**
   * One EP training step on a batch: free phase, nudged phase, and the local updates written into
   * `grads` (indexed by edge; entries for untrained edges are left alone) as descent directions
   * g = −ΔW, so that every optimiser treats EP, BP and FA alike.
   * x: [m × inputSize]; y: one-hot targets [m × classes].
   */
  step(x: Float32Array, y: Float32Array, m: number, grads: (Float32Array | null)[]): StepResult {
    const { T, K, betaF, nudge } = this.net.spec.dynamics;
    const C = this.net.classes;
    const ro = this.net.readout;
    this.loadInput(x, m);
    this.relax(m, T, false, null);
    for (let j = 0; j < this.s.length; j++) this.sFree[j].set(this.s[j].subarray(0, m * this.net.layers[j].size));

    this.readout(m, this.sFree, this.logits);
    softmaxRows(this.logits, this.probs, m, C);
    let loss = 0;
    for (let i = 0; i < m * C; i++) {
      this.err[i] = y[i] - this.probs[i];
      if (y[i] > 0) loss -= y[i] * Math.log(Math.max(this.probs[i], 1e-30));
    }
    loss /= m;

    if (nudge === 'graph') {
      // β_f·B_f·e once; relax() adds k times it at nudged step k.
      const n = m * this.readoutLayer().size;
      this.nudgeDrive.fill(0, 0, n);
      this.ops.feedback(ro, this.err, m, betaF, this.nudgeDrive);
    } else if (nudge === 'held') {
      // The error is fixed at its free-phase value, so the readout layer's whole external drive
      // (input drive + β_f·B_f·e) is a constant of the nudged phase: build it once.
      const n = m * this.readoutLayer().size;
      const d = this.inDrive[ro.from];
      if (d) this.nudgeDrive.set(d.subarray(0, n));
      else this.nudgeDrive.fill(0, 0, n);
      this.ops.feedback(ro, this.err, m, betaF, this.nudgeDrive);
    }
    this.relax(m, K, true, y);

    const E = this.net.edges.length;
    for (const e of this.net.edges) {
      const g = grads[e.index] ?? null;
      const gb = grads[E + e.index] ?? null;
      if (!e.trainable || (!g && !gb)) continue;
      if (e.to === OUTPUT && nudge === 'graph') {
        // Graph model (docs/references.md#fre-rnn-model): the nudged output's error on the free
        // state, ΔW_f = (y − p^β)·(s⁰)ᵀ / m.
        this.readout(m, this.s, this.logits);
        softmaxRows(this.logits, this.probs2, m, C);
        for (let i = 0; i < m * C; i++) this.err2[i] = y[i] - this.probs2[i];
        this.ops.update(e, this.err2, this.sFree[e.from], m, -1 / m, g, gb);
      } else if (e.to === OUTPUT) {
        // Delta rule on the free output: ΔW_f = (y − p⁰)·s⁰ᵀ / m.
        this.ops.update(e, this.err, this.sFree[e.from], m, -1 / m, g, gb);
      } else {
        // ΔW = (s^β − s⁰)·(pre⁰)ᵀ / m; on a conv edge the same through the patches and argmax of
        // s⁰, kept from the nudged phase's first forward read (which reads s⁰).
        const n = m * this.net.layers[e.to].size;
        const sb = this.s[e.to];
        const s0 = this.sFree[e.to];
        for (let i = 0; i < n; i++) this.diff[i] = sb[i] - s0[i];
        const pre = e.from === INPUT ? x : this.sFree[e.from];
        this.ops.update(e, this.diff, e.conv ? 'kept' : pre, m, this.net.spec.dynamics.divideByBetaF ? -1 / (m * betaF) : -1 / m, g, gb);
      }
    }
    return { loss, probs: this.probs };
  }

  /** The current hidden states (after the last phase run), for analysis and tests. */
  state(layer: number): Float32Array {
    return this.s[layer];
  }

  /** The free-phase states of the last step(). */
  freeState(layer: number): Float32Array {
    return this.sFree[layer];
  }

  private loadInput(x: Float32Array, m: number): void {
    if (m > this.maxBatch) throw new Error(`batch of ${m} exceeds the engine's maximum ${this.maxBatch}`);
    this.net.layers.forEach((l, j) => {
      const d = this.inDrive[j];
      if (!d) return;
      d.fill(0, 0, m * l.size);
      for (const e of this.plans[j].inputIn) this.ops.forward(e, x, m, e.alpha, d);
    });
    for (let j = 0; j < this.s.length; j++) {
      this.s[j].fill(0, 0, m * this.net.layers[j].size);
      this.zero[j] = true;
    }
    this.ops.resetPoolState();
  }

  private readout(m: number, states: Float32Array[], logits: Float32Array): void {
    const ro = this.net.readout;
    logits.fill(0, 0, m * this.net.classes);
    this.ops.forward(ro, states[ro.from], m, ro.alpha, logits);
  }

  /**
   * `steps` synchronous updates s ← ρ(h(s)); every layer reads the previous step's states.
   * With `nudge`, the readout layer also receives β_f·B_f·e (held: the precomputed drive;
   * recomputed: e from the current state at every step; lagged: e from the state one step older,
   * s_{T−1} at the first step; graph: k·β_f·B_f·e at step k).
   */
  private relax(m: number, steps: number, nudge: boolean, y: Float32Array | null): void {
    const layers = this.net.layers;
    const ro = this.net.readout;
    const { betaF, nudge: mode } = this.net.spec.dynamics;
    const C = this.net.classes;
    const nextZero = new Array<boolean>(layers.length);
    const fuse = new Array<boolean>(layers.length);
    const fromState = mode === 'recomputed' || mode === 'lagged';
    for (let t = 0; t < steps; t++) {
      if (nudge && fromState && y) {
        // Into the second buffers: err/probs keep the free-phase values that the readout's delta
        // rule and the reported training accuracy use. lagged: the error of the logits kept from the
        // previous step's state, and this step's state's logits kept for the next step.
        const z = mode === 'lagged' ? this.lagLogits : this.logits;
        if (mode === 'recomputed') this.readout(m, this.s, z);
        softmaxRows(z, this.probs2, m, C);
        for (let i = 0; i < m * C; i++) this.err2[i] = y[i] - this.probs2[i];
        if (mode === 'lagged') this.readout(m, this.s, this.lagLogits);
      } else if (!nudge && mode === 'lagged' && t === steps - 1) {
        // The free phase's last step reads s_{T−1}: its logits are the first nudged step's error.
        this.readout(m, this.s, this.lagLogits);
      }
      // All forward reads before any feedback read: a pooled conv edge's feedback unpools through
      // the argmax of this step's forward read of the same edge.
      for (let j = 0; j < layers.length; j++) {
        const n = m * layers[j].size;
        const h = this.h[j];
        const heldNudge = nudge && mode === 'held' && j === ro.from;
        const d = heldNudge ? this.nudgeDrive : this.inDrive[j];
        const fe = this.fusedFeedback[j];
        fuse[j] = fe !== null && !this.zero[fe.to];
        if (fuse[j]) {
          // h = d + the feedback, and ρ(h), in one pass below (no forward reads into this layer).
        } else if (d) h.set(d.subarray(0, n));
        else h.fill(0, 0, n);
        let allZero = this.zeroStays[j];
        for (const e of this.plans[j].forwardIn) {
          // A dense, unbiased read of a zero state adds nothing; conv reads run anyway (argmax).
          if (this.zero[e.from] && !e.conv && !e.bias) continue;
          this.ops.forward(e, this.s[e.from], m, e.alpha, h);
          allZero = false;
        }
        nextZero[j] = allZero;
      }
      // The first nudged step's forward reads are those of s⁰: keep their patches and argmax for
      // the conv updates (the chip latches them rather than reading s⁰ again).
      if (nudge && t === 0) this.ops.keep(m);
      for (let j = 0; j < layers.length; j++) {
        const n = m * layers[j].size;
        const h = this.h[j];
        if (fuse[j]) {
          const fe = this.fusedFeedback[j]!;
          this.ops.feedbackActivate(fe, this.s[fe.to], m, fe.beta, this.inDrive[j], h, layers[j].activation, this.sNext[j]);
          nextZero[j] = false;
          continue;
        }
        for (const e of this.plans[j].feedbackIn) {
          if (this.zero[e.to] && !this.ops.feedsBackMap(e)) continue;
          this.ops.feedback(e, this.s[e.to], m, e.beta, h);
          nextZero[j] = false;
        }
        if (nudge && j === ro.from) {
          if (fromState) this.ops.feedback(ro, this.err2, m, betaF, h);
          else if (mode === 'graph') {
            const k = t + 1;
            const fb = this.nudgeDrive;
            for (let i = 0; i < n; i++) h[i] += k * fb[i];
          }
          nextZero[j] = false;
        }
        for (const e of this.plans[j].repoolIn) this.ops.repool(e, h, m);
        this.exec.activate(layers[j], h, this.sNext[j], m);
      }
      const tmp = this.s;
      this.s = this.sNext;
      this.sNext = tmp;
      for (let j = 0; j < layers.length; j++) this.zero[j] = nextZero[j];
    }
  }
}
