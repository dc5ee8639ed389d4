/**
 * The free-phase dynamics in float64, with a tangent vector carried along (docs/references.md#dynamics-analysis):
 *
 *   h_t = b + M s_{t−1},  s_t = ρ(h_t),  s_0 = 0                       (exactly EpEngine's free phase)
 *   δ_t = ρ'(h_t) ⊙ (M δ_{t−1}),  ℓ_t = log ‖δ_t‖,  δ_t ← δ_t / ‖δ_t‖     (Benettin, rank 1)
 *
 * δ_t is the Jacobian ∂s_t/∂s_{t−1} = diag(ρ'(h_t))·M applied to δ_{t−1}; with the state as a column
 * vector this is the paper's row-vector δ ← (δM) ⊙ ρ' written the other way round. Per sample:
 *   FTMLE = mean(ℓ_1 … ℓ_T);  MLE = mean(ℓ_{t_e/2+1} … ℓ_{t_e});
 *   convergence step = the first t with ‖s_t − s_{t−1}‖ < tol at t, t+1, …, t+consecutive−1
 *   (the step from which the state stays put), or capped if that has not happened by maxSteps.
 * Once the tangent is no longer needed (t > max(T, t_e)), a sample that has converged is frozen (its
 * remaining movement is below tol) and only the others are iterated, up to maxSteps.
 * Saturation of a unit: |s| for tanh, |2s − 1| for the [0, 1] activations (1 at a rail, 0 at the centre).
 */
import type { Activation } from '../../graph/spec';
import type { Rng } from '../../util/rng';
import type { HiddenOperator } from './operator';

/** An elementwise activation and its derivative (given h and s = f(h)), overriding the layers' own. */
export interface PointwiseActivation {
  f(h: number): number;
  df(h: number, s: number): number;
}

/** The identity activation: the dynamics becomes the linear map s ← b + M s (tests, linearised checks). */
export const IDENTITY: PointwiseActivation = { f: (h) => h, df: () => 1 };

export interface DynamicsOptions {
  /** Steps averaged for the FTMLE (the spec's T by default in analyze()). */
  ftmleSteps: number;
  /** t_e: the MLE averages steps t_e/2+1 … t_e. */
  tE: number;
  /** Cap for the convergence time. */
  maxSteps: number;
  /** ‖s_t − s_{t−1}‖ threshold (default 1e-6) and how many consecutive steps (default 3). */
  tol?: number;
  consecutive?: number;
  /** Draws the initial tangent vectors. */
  rng: Rng;
  activation?: PointwiseActivation;
  /** Record mean |s| per layer and ‖s_t − s_{t−1}‖ per step (default true). */
  trajectory?: boolean;
}

export interface Stat {
  mean: number;
  std: number;
  perSample: Float64Array;
}

export interface Trajectory {
  /** Steps recorded (1 … steps). */
  steps: number;
  /** [layer][t−1]: mean over the batch and the layer's units of |s_t|. */
  meanAbs: Float64Array[];
  /** [t−1]: mean over the batch of ‖s_t − s_{t−1}‖ (whole stacked state). */
  diffNorm: Float64Array;
}

export interface DynamicsResult {
  ftmle: Stat;
  mle: Stat;
  /** Per sample: the convergence step, or −1 if capped. */
  convergenceSteps: Int32Array;
  /** Median over the batch, capped samples counted as maxSteps (so a median of maxSteps means "not converged"). */
  convergenceMedian: number;
  capped: number;
  /** Mean saturation of the final state (all units, all samples) and the fraction of units above 0.99. */
  saturation: number;
  saturatedUnits: number;
  /** Steps actually run. */
  stepsRun: number;
  /** The final states [m × n]. */
  states: Float64Array;
  trajectory: Trajectory | null;
}

function stat(v: Float64Array): Stat {
  const n = v.length;
  if (v.some((x) => x === -Infinity)) return { mean: -Infinity, std: NaN, perSample: v };
  let mean = 0;
  for (let i = 0; i < n; i++) mean += v[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (v[i] - mean) ** 2;
  return { mean, std: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, perSample: v };
}

export function median(values: ArrayLike<number>): number {
  const a = Array.from(values).sort((x, y) => x - y);
  if (a.length === 0) return NaN;
  const h = Math.floor(a.length / 2);
  return a.length % 2 ? a[h] : (a[h - 1] + a[h]) / 2;
}

/** s = ρ(h) over a layer's slice, and (when d is given) d *= ρ'(h). */
function activateSlice(kind: Activation, h: Float64Array, s: Float64Array, lo: number, hi: number): void {
  switch (kind) {
    case 'tanh':
      for (let i = lo; i < hi; i++) s[i] = Math.tanh(h[i]);
      return;
    case 'hard-sigmoid':
      for (let i = lo; i < hi; i++) {
        const x = h[i];
        s[i] = x < 0 ? 0 : x > 1 ? 1 : x;
      }
      return;
    case 'sigmoid':
      for (let i = lo; i < hi; i++) s[i] = 1 / (1 + Math.exp(-4 * (h[i] - 0.5)));
      return;
  }
}

function mulDerivativeSlice(kind: Activation, h: Float64Array, s: Float64Array, d: Float64Array, lo: number, hi: number): void {
  switch (kind) {
    case 'tanh':
      for (let i = lo; i < hi; i++) d[i] *= 1 - s[i] * s[i];
      return;
    case 'hard-sigmoid':
      for (let i = lo; i < hi; i++) {
        const x = h[i];
        if (x <= 0 || x >= 1) d[i] = 0;
      }
      return;
    case 'sigmoid':
      for (let i = lo; i < hi; i++) d[i] *= 4 * s[i] * (1 - s[i]);
      return;
  }
}

/**
 * Runs the free dynamics from s = 0 for the m inputs whose drive is b (op.inputDrive), with one
 * tangent vector per sample. Runs max(T, t_e) steps, and on (state only) until every sample has
 * converged or maxSteps.
 */
export function runDynamics(op: HiddenOperator, b: Float64Array, m: number, o: DynamicsOptions): DynamicsResult {
  const n = op.n;
  const tol = o.tol ?? 1e-6;
  const consecutive = o.consecutive ?? 3;
  const T = o.ftmleSteps;
  const tE = o.tE;
  const tLyap = Math.max(T, tE);
  const mleFrom = Math.floor(tE / 2) + 1;
  const L = op.sizes.length;
  const kinds = op.net.layers.map((l) => l.activation);
  const act = o.activation;
  const record = o.trajectory ?? true;

  let s = new Float64Array(m * n);
  let sNew = new Float64Array(m * n);
  const h = new Float64Array(m * n);
  let delta = new Float64Array(m * n);
  let dNew = new Float64Array(m * n);
  const normalise = (k: number): number => {
    let q = 0;
    for (let i = k * n; i < (k + 1) * n; i++) q += delta[i] * delta[i];
    const nr = Math.sqrt(q);
    if (nr > 0) for (let i = k * n; i < (k + 1) * n; i++) delta[i] /= nr;
    return nr;
  };
  const redraw = (k: number): void => {
    for (let i = k * n; i < (k + 1) * n; i++) delta[i] = o.rng.normal();
    normalise(k);
  };
  for (let k = 0; k < m; k++) redraw(k);

  const ftSum = new Float64Array(m),
    mleSum = new Float64Array(m);
  const conv = new Int32Array(m).fill(-1);
  const streak = new Int32Array(m);
  const maxRecord = Math.max(tLyap, o.maxSteps);
  const meanAbs = record ? Array.from({ length: L }, () => new Float64Array(maxRecord)) : [];
  const diffNorm = record ? new Float64Array(maxRecord) : new Float64Array(0);

  const active = new Uint8Array(m).fill(1);
  let t = 0;
  for (;;) {
    const allConverged = conv.every((c) => c >= 0);
    if (t >= tLyap && (allConverged || t >= o.maxSteps)) break;
    t++;
    const freezing = t > tLyap;
    if (freezing) for (let k = 0; k < m; k++) active[k] = conv[k] < 0 ? 1 : 0;
    // h = b + M s; s' = ρ(h)  (frozen samples: s' = s).
    op.applyBatch(s, h, m, freezing ? active : undefined);
    for (let k = 0; k < m; k++) {
      if (!active[k]) {
        sNew.set(s.subarray(k * n, (k + 1) * n), k * n);
        continue;
      }
      for (let i = k * n; i < (k + 1) * n; i++) h[i] += b[i];
      for (let j = 0; j < L; j++) {
        const lo = k * n + op.offsets[j],
          hi = lo + op.sizes[j];
        if (act) for (let i = lo; i < hi; i++) sNew[i] = act.f(h[i]);
        else activateSlice(kinds[j], h, sNew, lo, hi);
      }
    }
    // Convergence bookkeeping and the trajectory.
    let diffSum = 0;
    for (let k = 0; k < m; k++) {
      let q = 0;
      for (let i = k * n; i < (k + 1) * n; i++) {
        const d = sNew[i] - s[i];
        q += d * d;
      }
      const dn = Math.sqrt(q);
      diffSum += dn;
      if (t <= o.maxSteps && conv[k] < 0) {
        streak[k] = dn < tol ? streak[k] + 1 : 0;
        if (streak[k] >= consecutive) conv[k] = t - consecutive + 1;
      }
    }
    if (record && t <= maxRecord) {
      diffNorm[t - 1] = diffSum / m;
      for (let j = 0; j < L; j++) {
        let a = 0;
        for (let k = 0; k < m; k++) {
          const lo = k * n + op.offsets[j],
            hi = lo + op.sizes[j];
          for (let i = lo; i < hi; i++) a += Math.abs(sNew[i]);
        }
        meanAbs[j][t - 1] = a / (m * op.sizes[j]);
      }
    }
    // Tangent: δ' = ρ'(h) ⊙ (M δ), log-norm, renormalise.
    if (t <= tLyap) {
      op.applyBatch(delta, dNew, m);
      for (let k = 0; k < m; k++) {
        for (let j = 0; j < L; j++) {
          const lo = k * n + op.offsets[j],
            hi = lo + op.sizes[j];
          if (act) for (let i = lo; i < hi; i++) dNew[i] *= act.df(h[i], sNew[i]);
          else mulDerivativeSlice(kinds[j], h, sNew, dNew, lo, hi);
        }
      }
      const tmp = delta;
      delta = dNew;
      dNew = tmp;
      for (let k = 0; k < m; k++) {
        const nr = normalise(k);
        // A tangent that vanishes exactly (a nilpotent M, or every unit on a flat part of ρ) has
        // ℓ = −∞, and so has the exponent; a fresh direction keeps the arithmetic going.
        const l = nr > 0 ? Math.log(nr) : -Infinity;
        if (!(nr > 0)) redraw(k);
        if (t <= T) ftSum[k] += l;
        if (t >= mleFrom && t <= tE) mleSum[k] += l;
      }
    }
    const tmp = s;
    s = sNew;
    sNew = tmp;
  }

  const ft = new Float64Array(m),
    ml = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    ft[k] = ftSum[k] / T;
    ml[k] = mleSum[k] / (tE - mleFrom + 1);
  }
  let satSum = 0,
    satUnits = 0;
  for (let k = 0; k < m; k++) {
    for (let j = 0; j < L; j++) {
      const lo = k * n + op.offsets[j],
        hi = lo + op.sizes[j];
      const centred = !act && kinds[j] !== 'tanh';
      for (let i = lo; i < hi; i++) {
        const v = centred ? Math.abs(2 * s[i] - 1) : Math.abs(s[i]);
        satSum += v;
        if (v > 0.99) satUnits++;
      }
    }
  }
  const capped = conv.filter((c) => c < 0).length;
  return {
    ftmle: stat(ft),
    mle: stat(ml),
    convergenceSteps: conv,
    convergenceMedian: median(Array.from(conv, (c) => (c < 0 ? o.maxSteps : c))),
    capped,
    saturation: satSum / (m * n),
    saturatedUnits: satUnits / (m * n),
    stepsRun: t,
    states: s,
    trajectory: record
      ? {
          steps: Math.min(t, maxRecord),
          meanAbs: meanAbs.map((a) => a.slice(0, Math.min(t, maxRecord))),
          diffNorm: diffNorm.slice(0, Math.min(t, maxRecord)),
        }
      : null,
  };
}
