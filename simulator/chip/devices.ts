/**
 * The devices of one matrix (an edge's W, or its fixed random feedback B) as the chip holds them:
 * per cell the normalised conductances u+ (and u− for differential cells), programmed from the
 * netlist's levels with programming noise, stuck devices and drift, and the effective weights
 * W = (u+ − u−)·w_max (offset column: 2(u − ½)·w_max) that every read uses.
 *
 * In-situ writes: the optimiser changes `W` (the requested weights); `commit()` realises the change
 * on the devices — exact devices are re-programmed to the nearest level (with programming noise on
 * the cells that changed); pulsed devices receive pulses (aihwkit PulsedDevice-like: each pulse
 * moves u by dw_min·(1 ± asymmetry), shrunk by soft bounds, with cycle-to-cycle noise) — and W
 * becomes what the devices now hold. A cell with a stuck device never changes.
 *
 * Conventions: a differential pair is updated as one bipolar device with u_eff = u+ − u− ∈ [−1, 1]
 * (soft bounds at ±1); after an update u+ = max(u_eff, 0), u− = max(−u_eff, 0). On a chip with
 * continuous levels and exact updates (the `ideal` preset) weights are unbounded, as in software.
 */
import type { ChipDescription, CrossbarSpec, NoiseSpec } from '../../hw-models/chip';
import { unitOf, type Plane } from '../../hw-models/conductance';
import { loadNativeAddon } from '../kernels/native';
import type { NoiseSource } from '../noise';
import type { ArrayTile } from '../../netlist/tiles';

export type PulseRounding = 'stochastic' | 'deterministic';

export interface DeviceOptions {
  /** Seconds since programming at which reads happen (drift); 0 = no drift applied. */
  driftSeconds: number;
  pulseRounding: PulseRounding;
}

export class DeviceMatrix {
  /** Effective weights read by every array read; the optimiser writes requested values here. */
  readonly W: Float32Array;
  /** What the devices held after the last commit (to find the requested change). */
  private readonly held: Float32Array;
  private readonly uPlus: Float32Array;
  private readonly uMinus: Float32Array | null;
  /** 1 where a device of the cell is stuck: the cell never changes. */
  private readonly frozen: Uint8Array;
  /** Per-cell read-noise variance factor, for read noise relative to the target conductance. */
  private sqU: Float32Array | null = null;
  private scratch: Float32Array | null = null;
  /** Pulses applied by commit() since the last reset (for energy). */
  pulses = 0;

  constructor(readonly rows: number, readonly cols: number, readonly wMax: number, tiles: ArrayTile[],
    private readonly chip: ChipDescription, noise: NoiseSource, private readonly opts: DeviceOptions) {
    const n = rows * cols;
    const xb = chip.crossbar;
    const differential = xb.cell === 'differential';
    this.uPlus = new Float32Array(n);
    this.uMinus = differential ? new Float32Array(n) : null;
    for (const t of tiles) {
      const tc = t.colEnd - t.colBegin;
      for (let r = t.rowBegin; r < t.rowEnd; r++) {
        for (let c = t.colBegin; c < t.colEnd; c++) {
          const k = (r - t.rowBegin) * tc + (c - t.colBegin);
          this.uPlus[r * cols + c] = unitOf(t.plus[k], xb.levels);
          if (this.uMinus && t.minus) this.uMinus[r * cols + c] = unitOf((t.minus as Plane)[k], xb.levels);
        }
      }
    }
    this.program(this.uPlus, null, noise);
    if (this.uMinus) this.program(this.uMinus, null, noise);
    this.frozen = new Uint8Array(n);
    this.applyStuck(this.uPlus, noise);
    if (this.uMinus) this.applyStuck(this.uMinus, noise);
    if (opts.driftSeconds > 0 && xb.drift.nu > 0) {
      this.applyDrift(this.uPlus, noise);
      if (this.uMinus) this.applyDrift(this.uMinus, noise);
    }
    this.W = new Float32Array(n);
    this.refreshWeights();
    this.held = this.W.slice();
  }

  /** Programming noise on the devices (all, or those flagged in `only`), clipped to [0, 1]. */
  private program(u: Float32Array, only: Uint8Array | null, noise: NoiseSource): void {
    const spec = this.chip.crossbar.programmingNoise;
    if (spec.sigma === 0) return;
    const z = this.noiseBuffer(u.length);
    noise.addNormal(z, u.length, spec.sigma);
    for (let i = 0; i < u.length; i++) {
      if (only && !only[i]) continue;
      const v = u[i] + z[i] * (spec.relativeTo === 'target' ? u[i] : 1);
      u[i] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }

  private applyStuck(u: Float32Array, noise: NoiseSource): void {
    const { onProbability, offProbability } = this.chip.crossbar.stuckAt;
    if (onProbability === 0 && offProbability === 0) return;
    const z = this.noiseBuffer(u.length);
    noise.fillUniform(z, u.length);
    for (let i = 0; i < u.length; i++) {
      if (z[i] < onProbability) { u[i] = 1; this.frozen[i] = 1; }
      else if (z[i] < onProbability + offProbability) { u[i] = 0; this.frozen[i] = 1; }
    }
  }

  /** g(t) = g(t0)·(t/t0)^−ν with ν ~ N(nu, nuStd) per device (aihwkit PCMLikeNoiseModel). */
  private applyDrift(u: Float32Array, noise: NoiseSource): void {
    const { nu, nuStd, t0Seconds } = this.chip.crossbar.drift;
    const ratio = Math.log(Math.max(this.opts.driftSeconds / t0Seconds, 1));
    const z = this.noiseBuffer(u.length);
    noise.addNormal(z, u.length, nuStd);
    for (let i = 0; i < u.length; i++) u[i] *= Math.exp(-(nu + z[i]) * ratio);
  }

  private noiseBuffer(n: number): Float32Array {
    if (!this.scratch || this.scratch.length < n) this.scratch = new Float32Array(n);
    this.scratch.fill(0, 0, n);
    return this.scratch;
  }

  private refreshWeights(): void {
    const { W, uPlus, uMinus, wMax } = this;
    if (uMinus) for (let i = 0; i < W.length; i++) W[i] = (uPlus[i] - uMinus[i]) * wMax;
    else for (let i = 0; i < W.length; i++) W[i] = 2 * (uPlus[i] - 0.5) * wMax;
    this.sqU = null;
  }

  /** The devices' conductances now, µS (G = g_min + u·(g_max − g_min)): G+ (or G), and G− of differential cells. */
  conductancesUS(): { plus: Float32Array; minus: Float32Array | null } {
    const { gMinUS, gMaxUS, levels, programmingNoise } = this.chip.crossbar;
    const toG = (u: Float32Array) => u.map((x) => gMinUS + x * (gMaxUS - gMinUS));
    // commitExact() leaves u untouched on the ideal chip (continuous, noiseless, nothing stuck):
    // there W is the truth and the conductances follow from it by the mapping (unbounded, as W is).
    if (levels === 'continuous' && programmingNoise.sigma === 0 && !this.frozen.some((f) => f === 1)) {
      const r = this.W.map((w) => w / this.wMax);
      if (this.uMinus) return { plus: toG(r.map((x) => Math.max(x, 0))), minus: toG(r.map((x) => Math.max(-x, 0))) };
      return { plus: toG(r.map((x) => (1 + x) / 2)), minus: null };
    }
    return { plus: toG(this.uPlus), minus: this.uMinus ? toG(this.uMinus) : null };
  }

  /** Σ over a cell's devices of u², for read noise relative to the target (computed lazily). */
  squaredUnits(): Float32Array {
    if (!this.sqU) {
      const s = new Float32Array(this.W.length);
      // Variance factor per unit σ², in weight units per w_max (offset column: W = 2(u − ½)·w_max).
      for (let i = 0; i < s.length; i++) s[i] = this.uMinus ? this.uPlus[i] ** 2 + this.uMinus[i] ** 2 : 4 * this.uPlus[i] ** 2;
      this.sqU = s;
    }
    return this.sqU;
  }

  /** Realise the requested weights (W as the optimiser left it) on the devices. */
  commit(noise: NoiseSource): void {
    const xb = this.chip.crossbar;
    if (xb.update.kind === 'pulsed') {
      this.commitPulsed(xb, noise);
      // A stuck cell keeps what it held: both pulsed paths (TS and native) skip it, but the
      // optimiser's request must not stay in W, or reads would see a weight the devices never took.
      const { W, held, frozen } = this;
      for (let i = 0; i < W.length; i++) if (frozen[i]) W[i] = held[i];
    } else this.commitExact(xb, noise);
    this.held.set(this.W);
  }

  private commitExact(xb: CrossbarSpec, noise: NoiseSource): void {
    const { W, held, frozen, wMax } = this;
    const unbounded = xb.levels === 'continuous' && xb.programmingNoise.sigma === 0;
    if (unbounded && !frozen.some((f) => f === 1)) return; // the ideal chip holds exactly what was asked
    const L = xb.levels;
    const q = (u: number): number => (L === 'continuous' ? u : Math.round(u * (L - 1)) / (L - 1));
    const changed = new Uint8Array(W.length);
    const uM = this.uMinus;
    for (let i = 0; i < W.length; i++) {
      if (frozen[i]) { W[i] = held[i]; continue; }
      if (W[i] === held[i]) continue;
      let r = W[i] / wMax;
      if (!unbounded) r = r > 1 ? 1 : r < -1 ? -1 : r;
      changed[i] = 1;
      if (uM) {
        this.uPlus[i] = q(r > 0 ? r : 0);
        uM[i] = q(r < 0 ? -r : 0);
      } else {
        this.uPlus[i] = q((1 + r) / 2);
      }
    }
    if (xb.programmingNoise.sigma > 0) {
      this.program(this.uPlus, changed, noise);
      if (uM) this.program(uM, changed, noise);
    }
    if (!unbounded) this.refreshWeights();
  }

  private commitPulsed(xb: CrossbarSpec, noise: NoiseSource): void {
    if (xb.update.kind !== 'pulsed') return;
    const { dwMin, cycleToCycle, upDownAsymmetry: a, softBounds, pulsesPerUpdate } = xb.update;
    const { W, held, frozen, wMax } = this;
    const n = W.length;
    const addon = noise.nativeState ? loadNativeAddon() : null;
    if (addon && noise.nativeState) {
      // The same rule in C (native/devices.c), drawing only for the cells that change.
      this.pulses += addon.pulsedCommit(noise.nativeState, W, held, this.uPlus, this.uMinus ?? new Float32Array(0), frozen, n, wMax,
        dwMin, cycleToCycle, a, softBounds, pulsesPerUpdate, this.opts.pulseRounding === 'stochastic');
      this.sqU = null;
      return;
    }
    const z = this.noiseBuffer(2 * n);
    if (this.opts.pulseRounding === 'stochastic') noise.fillUniform(z.subarray(n), n);
    noise.addNormal(z, n, 1);
    const uM = this.uMinus;
    let pulses = 0;
    for (let i = 0; i < n; i++) {
      if (frozen[i] || W[i] === held[i]) continue;
      const uEff = uM ? this.uPlus[i] - uM[i] : 2 * this.uPlus[i] - 1;
      const want = (W[i] - held[i]) / wMax / (uM ? 1 : 2) / dwMin;
      let k = this.opts.pulseRounding === 'stochastic' ? Math.floor(want) + (z[n + i] < want - Math.floor(want) ? 1 : 0) : Math.round(want);
      if (k > pulsesPerUpdate) k = pulsesPerUpdate;
      else if (k < -pulsesPerUpdate) k = -pulsesPerUpdate;
      let u = uEff;
      if (k !== 0) {
        const up = k > 0;
        const bound = softBounds ? (up ? 1 - u : 1 + u) : 1;
        const step = dwMin * (up ? 1 + a : 1 - a) * Math.max(bound, 0);
        u += k * step + Math.sqrt(Math.abs(k)) * cycleToCycle * dwMin * z[i];
        u = u > 1 ? 1 : u < -1 ? -1 : u;
        pulses += Math.abs(k);
      }
      if (uM) {
        this.uPlus[i] = u > 0 ? u : 0;
        uM[i] = u < 0 ? -u : 0;
        W[i] = u * wMax;
      } else {
        this.uPlus[i] = (1 + u) / 2;
        W[i] = u * wMax;
      }
    }
    this.pulses += pulses;
    this.sqU = null;
  }

  /** Read-noise σ of one cell in weight units per w_max, for noise relative to the range: the two
   *  devices of a differential pair add in quadrature; an offset-column cell weighs 2 per unit u. */
  static cellReadSigma(spec: NoiseSpec, differential: boolean): number {
    return spec.sigma * (differential ? Math.SQRT2 : 2);
  }

  get isDifferential(): boolean {
    return this.uMinus !== null;
  }
}
