/**
 * How in-situ learning reaches the devices: the pulse physics of one bipolar device and the three
 * update schemes of `crossbar.update.scheme` (docs/chip-description.md § update schemes).
 *
 * Device model (aihwkit PulsedDevice with SoftBounds, re-implemented from its documentation; applied
 * by DeviceMatrix.applyHits in devices.ts, the one loop every pulsed scheme goes through): a cell
 * is one bipolar device u ∈ [b_min, b_max] ⊂ [−1, 1] (a differential pair's u+ − u−, or an offset
 * cell's 2u − 1); W = u·w_max. Device i has its own step s_i = s·(1 + σ_dw·ξ), bounds
 * b_max,i = 1 + σ_max·ξ, b_min,i = −(1 + σ_min·ξ) and asymmetry a_i = a + σ_a·ξ, drawn once from the
 * chip's noise stream. Each pulse, one at a time:
 *   up:   u += s_i·(1 + a_i)·(1 − u/b_max,i)·(1 + c2c·ξ)      (soft bounds; hard bounds: factor 1)
 *   down: u −= s_i·(1 − a_i)·(1 − u/b_min,i)·(1 + c2c·ξ)
 * and u is clipped to [max(b_min,i, −1), min(b_max,i, 1)] (a device cannot leave its physical range).
 * Incremental pulses carry this noise only: programming noise belongs to full programming.
 */
import type { ChipDescription, PulsedUpdate } from '../../hw-models/chip';
import type { TrainingInfoMsg } from '../../netlist/types';
import type { NoiseSource } from '../noise';
import type { FreBlasAddon } from '../kernels/native';

/** Normals and uniforms drawn in blocks from the chip's noise stream (one draw per pulse). */
export class PulseNoise {
  /** The drawn normals and uniforms and the index of the next one of each. Public for the native
   *  one-sided commit (native/devices.c), which draws through them as normal() and uniform() do. */
  readonly z = new Float32Array(4096);
  readonly u = new Float32Array(4096);
  zi = 4096;
  ui = 4096;
  constructor(private readonly noise: NoiseSource) {}

  normal(): number {
    if (this.zi === this.z.length) {
      this.z.fill(0);
      this.noise.addNormal(this.z, this.z.length, 1);
      this.zi = 0;
    }
    return this.z[this.zi++];
  }

  uniform(): number {
    if (this.ui === this.u.length) {
      this.noise.fillUniform(this.u, this.u.length);
      this.ui = 0;
    }
    return this.u[this.ui++];
  }
}

/** Per-device update parameters (u units): step up, step down, upper and lower bound. */
export interface DeviceSpread {
  up: Float32Array;
  down: Float32Array;
  bMax: Float32Array;
  bMin: Float32Array;
}

/** One device step in u units: dwMin of the range; an offset-column cell's u_eff = 2u − 1 moves twice that. */
export function unitStep(spec: PulsedUpdate, differential: boolean): number {
  return spec.dwMin * (differential ? 1 : 2);
}

/** Draws every device's step, bounds and asymmetry (all nominal when the spreads are 0, no draws then). */
export function drawSpread(
  n: number,
  spec: PulsedUpdate,
  differential: boolean,
  noise: NoiseSource,
  native: Pick<FreBlasAddon, 'spreadFill'> | null = null,
): DeviceSpread {
  const s = unitStep(spec, differential);
  const d = spec.deviceToDevice;
  const out: DeviceSpread = { up: new Float32Array(n), down: new Float32Array(n), bMax: new Float32Array(n), bMin: new Float32Array(n) };
  const spread = d.dwMin > 0 || d.wMax > 0 || d.wMin > 0 || d.upDownAsymmetry > 0;
  const z = spread ? new Float32Array(4 * n) : null;
  if (z) noise.addNormal(z, 4 * n, 1);
  if (z && native?.spreadFill) {
    // The loop below in C (the same arithmetic and roundings): it ran inside the first training step.
    native.spreadFill(
      z,
      n,
      Float64Array.of(s, d.dwMin, spec.upDownAsymmetry, d.upDownAsymmetry, d.wMax, d.wMin),
      out.up,
      out.down,
      out.bMax,
      out.bMin,
    );
    return out;
  }
  for (let i = 0; i < n; i++) {
    // Negative draws are clipped (a step or a bound cannot change sign), as aihwkit clips its dtod draws.
    const step = Math.max(0, s * (1 + (z ? d.dwMin * z[4 * i] : 0)));
    const a = spec.upDownAsymmetry + (z ? d.upDownAsymmetry * z[4 * i + 1] : 0);
    out.up[i] = step * (1 + a);
    out.down[i] = step * Math.max(0, 1 - a);
    out.bMax[i] = Math.max(1e-3, 1 + (z ? d.wMax * z[4 * i + 2] : 0));
    out.bMin[i] = -Math.max(1e-3, 1 + (z ? d.wMin * z[4 * i + 3] : 0));
  }
  return out;
}

/** Row-programmed: the pulse count that realises a requested change of `want` device steps. */
export function roundPulses(want: number, stochastic: boolean, uniform: number, cap: number): number {
  const f = Math.floor(want);
  const k = stochastic ? f + (uniform < want - f ? 1 : 0) : Math.round(want);
  return k > cap ? cap : k < -cap ? -cap : k;
}

/** Mixed precision (Nandakumar et al. 2020): pulses for accumulator χ and device step ε —
 *  n = trunc(χ/ε) (|χ| ≥ ε gives ≥ 1 pulse), at most `cap`; χ keeps χ − n·ε. */
export function mixedPrecisionPulses(chi: number, eps: number, cap: number): number {
  const n = Math.trunc(chi / eps);
  return n > cap ? cap : n < -cap ? -cap : n;
}

/**
 * Stochastic coincidence with aihwkit-style update management (re-derived): for the desired update
 * ΔW = η·δ·xᵀ of one sample and a device step ε (weight units), the train length is
 * BL = min(desired BL, max(1, ceil(η·x_max·δ_max/ε))) (update-BL management) and the probabilities
 * p_x = min(1, k_x|x|), p_δ = min(1, k_δ|δ|) with k_x·k_δ = η/(BL·ε), balanced so that
 * k_x·x_max = k_δ·δ_max (update management). Then E[Δw] = BL·p_x·p_δ·ε = η|x||δ| while no
 * probability is clipped.
 */
export interface TrainPlan {
  bl: number;
  kx: number;
  kd: number;
}

export function planTrains(eta: number, xMax: number, dMax: number, eps: number, desiredBl: number): TrainPlan | null {
  if (!(xMax > 0) || !(dMax > 0) || !(eta > 0)) return null;
  const bl = Math.min(desiredBl, Math.max(1, Math.ceil((eta * xMax * dMax) / eps)));
  const k = Math.sqrt(eta / (bl * eps));
  return { bl, kx: k * Math.sqrt(dMax / xMax), kd: k * Math.sqrt(xMax / dMax) };
}

/** A Bernoulli(p) pulse train of `bl` slots as a bit mask, 32 slots per word: out[0, ceil(bl/32)). */
export function pulseTrain(p: number, bl: number, pn: PulseNoise, out: Uint32Array, at: number): void {
  const words = (bl + 31) >>> 5;
  for (let w = 0; w < words; w++) {
    let m = 0;
    if (p > 0) {
      const end = Math.min(32, bl - 32 * w);
      for (let t = 0; t < end; t++) if (pn.uniform() < p) m |= 1 << t;
    }
    out[at + w] = m >>> 0;
  }
}

/** Number of set bits of a 32-bit mask (coincident slots). */
export function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/**
 * stochastic-coincidence has no optimiser: the pulse trains realise plain SGD at the edge's learning
 * rate. A netlist trained with another optimiser (or with momentum / weight decay, which need
 * per-weight digital state) cannot be run that way: the reason, with the fix, or null.
 */
export function coincidenceTrainingProblem(chip: ChipDescription, info: TrainingInfoMsg | null): string | null {
  const u = chip.crossbar.update;
  if (u.kind !== 'pulsed' || u.scheme !== 'stochastic-coincidence' || !info) return null;
  // The trains are set from the edge's constant learning rate: a schedule or gradient clipping would
  // need the digital optimiser this scheme does not have.
  const cosine = info.schedule === 'LR_SCHEDULE_KIND_COSINE';
  if (info.optimizer !== 'OPTIMIZER_KIND_SGD' || info.momentum !== 0 || info.weightDecay !== 0 || cosine || info.clipGradNorm > 0) {
    const asks = [
      info.optimizer.replace('OPTIMIZER_KIND_', '').toLowerCase(),
      info.momentum ? `momentum ${info.momentum}` : '',
      info.weightDecay ? `weight decay ${info.weightDecay}` : '',
      cosine ? 'a cosine learning-rate schedule' : '',
      info.clipGradNorm > 0 ? `gradient clipping at ${info.clipGradNorm}` : '',
    ]
      .filter((x) => x)
      .join(', ');
    return (
      `chip "${chip.name}" updates by stochastic coincidence (no optimiser, the pulse trains realise plain SGD), but training_info asks for ${asks}; ` +
      'compile a spec whose training.optimizer is { "kind": "sgd", "lr": … } without momentum, weight decay, schedule or clipping, or use crossbar.update.scheme "mixed-precision" or "row-programmed"'
    );
  }
  return null;
}

/**
 * potentiate-only pairs (crossbar.update.pairMode): the refresh criterion of aihwkit's
 * OneSidedUnitCell — the more potentiated device above `upper` of its range and the other above
 * `lower` (both have risen, so the pair spends range on a weight it could hold in one device).
 * gp, gm: the devices' normalised conductances; hp, hm: their upper bounds.
 */
export function refreshDue(gp: number, gm: number, hp: number, hm: number, upper: number, lower: number): boolean {
  return gp > gm ? gp > upper * hp && gm > lower * hm : gm > upper * hm && gp > lower * hp;
}
