/**
 * The devices of one matrix (an edge's W, or its fixed random feedback B) as the chip holds them:
 * per cell the normalised conductances u+ (and u− for differential cells), programmed from the
 * netlist's levels with programming noise, stuck devices and drift, and the effective weights
 * W = (u+ − u−)·w_max (offset column: 2(u − ½)·w_max) that every read uses.
 *
 * In-situ writes: the optimiser changes `W` (the requested weights); `commit()` realises the change
 * on the devices — exact devices are re-programmed to the nearest level (with programming noise on
 * the cells that changed); pulsed devices receive pulses by the chip's update scheme
 * (row-programmed or mixed-precision at the commit; stochastic-coincidence per sample in
 * `coincide()`, where the optimiser writes nothing), each pulse applied on its own with the
 * device's own step, bounds and asymmetry (update-schemes.ts) — and W becomes what the devices now
 * hold. A cell with a stuck device never changes.
 *
 * Conventions: a differential pair is updated as one bipolar device with u_eff = u+ − u− ∈ [−1, 1]
 * (soft bounds at the device's bounds); after an update u+ = max(u_eff, 0), u− = max(−u_eff, 0). On a chip with
 * continuous levels and exact updates (the `ideal` preset) weights are unbounded, as in software.
 */
import type { ChipDescription, CrossbarSpec, NoiseSpec, PulsedUpdate } from '../../hw-models/chip';
import { unitOf, type Plane } from '../../hw-models/conductance';
import type { NoiseSource } from '../noise';
import type { ArrayTile } from '../../netlist/tiles';
import { irDropWeights } from '../../hw-models/ir-drop';
import type { FreBlasAddon } from '../kernels/native';
import {
  drawSpread,
  mixedPrecisionPulses,
  planTrains,
  popcount32,
  PulseNoise,
  pulseTrain,
  roundPulses,
  unitStep,
  type DeviceSpread,
} from './update-schemes';

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
  /** The weights before drift (global drift compensation only). */
  private atT0: Float32Array | null = null;
  /** Pulses applied by commit() / coincide() since the last reset (for energy). */
  pulses = 0;
  /** In-situ update state, created at the first pulsed update: per-device spread, pulse noise, χ. */
  private spread: DeviceSpread | null = null;
  private pn: PulseNoise | null = null;
  private pnSource: NoiseSource | null = null;
  private chi: Float32Array | null = null;
  /** 1 for each cell that an in-situ update ever left at its bound (see markBound). */
  private saturated: Uint8Array | null = null;
  /** Distinct cells of this matrix that in-situ updates drove to a bound (fre simulate --json boundHits). */
  boundHits = 0;
  /** The native update kernels (native/devices.c), set by ChipArrays alongside the native kernels; null: the loops here. */
  native: Pick<FreBlasAddon, 'pulsedCommit' | 'coincide'> | null = null;
  /** [pulses, new bound hits] of a native kernel, and its parameters (reused: no allocation per update). */
  private readonly nativeOut = new Float64Array(2);
  private readonly nativeParams = new Float64Array(6);
  private readonly nativeGeometry = new Float64Array(8);

  /** The weights the arrays' reads see when wire resistance attenuates them (IR drop); null: W itself. */
  private readW: Float32Array | null = null;
  private irStale = true;
  private readonly tileRanges: { r0: number; r1: number; c0: number; c1: number }[];

  constructor(
    readonly rows: number,
    readonly cols: number,
    readonly wMax: number,
    tiles: ArrayTile[],
    private readonly chip: ChipDescription,
    noise: NoiseSource,
    private readonly opts: DeviceOptions,
  ) {
    const n = rows * cols;
    const xb = chip.crossbar;
    const differential = xb.cell === 'differential';
    this.uPlus = new Float32Array(n);
    this.uMinus = differential ? new Float32Array(n) : null;
    this.tileRanges = tiles.map((t) => ({ r0: t.rowBegin, r1: t.rowEnd, c0: t.colBegin, c1: t.colEnd }));
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
    this.W = new Float32Array(n);
    if (opts.driftSeconds > 0 && xb.drift.nu > 0) {
      // Global drift compensation measures the arrays before and after: keep the weights at t0.
      if (xb.drift.compensation === 'global') {
        this.refreshWeights();
        this.atT0 = this.W.slice();
      }
      this.applyDrift(this.uPlus, noise);
      if (this.uMinus) this.applyDrift(this.uMinus, noise);
    }
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
      if (z[i] < onProbability) {
        u[i] = 1;
        this.frozen[i] = 1;
      } else if (z[i] < onProbability + offProbability) {
        u[i] = 0;
        this.frozen[i] = 1;
      }
    }
  }

  /** g(t) = g(t0)·(t/t0)^−ν with ν ~ N(nu, nuStd) per device (aihwkit PCMLikeNoiseModel), on the
   *  absolute conductance g = g_min + u·(g_max − g_min): u(t) = (g_r + u)·(t/t0)^−ν − g_r, g_r = g_min/(g_max − g_min). */
  private applyDrift(u: Float32Array, noise: NoiseSource): void {
    const { nu, nuStd, t0Seconds } = this.chip.crossbar.drift;
    const { gMinUS, gMaxUS } = this.chip.crossbar;
    const gr = gMinUS / (gMaxUS - gMinUS);
    const ratio = Math.log(Math.max(this.opts.driftSeconds / t0Seconds, 1));
    const z = this.noiseBuffer(u.length);
    noise.addNormal(z, u.length, nuStd);
    for (let i = 0; i < u.length; i++) {
      const v = (gr + u[i]) * Math.exp(-(nu + z[i]) * ratio) - gr;
      u[i] = v > 0 ? v : 0;
    }
  }

  /** Global drift compensation of one array: Σ_r |Σ_c W(t0)[r, c]| / Σ_r |Σ_c W(t)[r, c]| over the
   *  tile (an all-ones read before and after drift); 1 without compensation or drift. */
  driftGain(t: Pick<ArrayTile, 'rowBegin' | 'rowEnd' | 'colBegin' | 'colEnd'>): number {
    const w0 = this.atT0;
    if (!w0) return 1;
    let a = 0,
      b = 0;
    for (let r = t.rowBegin; r < t.rowEnd; r++) {
      let s0 = 0,
        s1 = 0;
      for (let c = t.colBegin; c < t.colEnd; c++) {
        s0 += w0[r * this.cols + c];
        s1 += this.W[r * this.cols + c];
      }
      a += Math.abs(s0);
      b += Math.abs(s1);
    }
    return b > 0 ? a / b : 1;
  }

  private noiseBuffer(n: number): Float32Array {
    if (!this.scratch || this.scratch.length < n) this.scratch = new Float32Array(n);
    this.scratch.fill(0, 0, n);
    return this.scratch;
  }

  /**
   * What a read of the arrays sees: W, or — with wire resistance on the lines (crossbar.wireResistanceOhm)
   * — each tile's weights attenuated by IR drop (hw-models/ir-drop.ts, the ladder model: within 0.5 %
   * of ngspice, docs/spice.md). The drop does not depend on the input, so it is recomputed only when
   * the devices change.
   */
  readWeights(): Float32Array {
    const xb = this.chip.crossbar;
    if (!(xb.wireResistanceOhm > 0)) return this.W;
    if (!this.readW || this.irStale) {
      this.readW ??= new Float32Array(this.W.length);
      const C = this.cols;
      for (const t of this.tileRanges) {
        const rows = t.r1 - t.r0;
        const cols = t.c1 - t.c0;
        const plus = new Float32Array(rows * cols);
        const minus = this.uMinus ? new Float32Array(rows * cols) : undefined;
        for (let r = 0; r < rows; r++) {
          plus.set(this.uPlus.subarray((t.r0 + r) * C + t.c0, (t.r0 + r) * C + t.c1), r * cols);
          if (minus) minus.set(this.uMinus!.subarray((t.r0 + r) * C + t.c0, (t.r0 + r) * C + t.c1), r * cols);
        }
        const eff = irDropWeights({ rows, cols, plus, minus }, xb);
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < cols; c++) this.readW[(t.r0 + r) * C + t.c0 + c] = eff[r * cols + c] * this.wMax;
        }
      }
      this.irStale = false;
    }
    return this.readW;
  }

  /** IR drop's effect on this matrix: ‖W_read − W‖ / ‖W‖ (0 without wire resistance). */
  irDropError(): number {
    const rw = this.readWeights();
    if (rw === this.W) return 0;
    let d = 0;
    let w = 0;
    for (let i = 0; i < rw.length; i++) {
      d += (rw[i] - this.W[i]) ** 2;
      w += this.W[i] ** 2;
    }
    return w > 0 ? Math.sqrt(d / w) : 0;
  }

  private refreshWeights(): void {
    this.irStale = true;
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
    this.irStale = true;
    const xb = this.chip.crossbar;
    if (xb.update.kind === 'pulsed') {
      this.commitPulsed(xb.update, noise);
      // A stuck cell keeps what it held: the optimiser's request must not stay in W, or reads would
      // see a weight the devices never took.
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
      if (frozen[i]) {
        W[i] = held[i];
        continue;
      }
      if (W[i] === held[i]) continue;
      let r = W[i] / wMax;
      if (!unbounded && (r >= 1 || r <= -1)) {
        r = r > 1 ? 1 : r < -1 ? -1 : r;
        this.saturated ??= new Uint8Array(W.length);
        if (!this.saturated[i]) {
          this.saturated[i] = 1;
          this.boundHits++;
        }
      }
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

  /** The bipolar device value of cell i (update-schemes.ts): u+ − u−, or 2u − 1 for an offset cell. */
  private uOf(i: number): number {
    return this.uMinus ? this.uPlus[i] - this.uMinus[i] : 2 * this.uPlus[i] - 1;
  }

  /** Per-device parameters and the pulse noise, drawn from the chip's stream at the first in-situ update. */
  private pulseState(spec: PulsedUpdate, noise: NoiseSource): { dev: DeviceSpread; pn: PulseNoise } {
    this.spread ??= drawSpread(this.W.length, spec, this.uMinus !== null, noise);
    if (!this.pn || this.pnSource !== noise) {
      this.pn = new PulseNoise(noise);
      this.pnSource = noise;
    }
    return { dev: this.spread, pn: this.pn };
  }

  /** A cell counts as at its bound once an update leaves it within 5 % of its range of the bound: with
   *  soft bounds its steps in that direction have shrunk below 5 % of nominal (the weight range is spent). */
  private markBound(i: number, dev: DeviceSpread): void {
    const u = this.uOf(i);
    const hi = Math.min(dev.bMax[i], 1);
    const lo = Math.max(dev.bMin[i], -1);
    if (u < hi - (0.05 * (hi - lo)) / 2 && u > lo + (0.05 * (hi - lo)) / 2) return;
    this.saturated ??= new Uint8Array(this.W.length);
    if (!this.saturated[i]) {
      this.saturated[i] = 1;
      this.boundHits++;
    }
  }

  /**
   * Applies k[h] pulses to cell[h] for h < n, one pulse at a time, by the device rule of
   * update-schemes.ts (its one definition; the hot loop of every pulsed scheme): soft bounds,
   * the device's own step and bounds, cycle-to-cycle noise per pulse. Returns the pulses applied.
   * native/devices.c repeats this rule for the native backend (test/chip-native-conformance.test.ts
   * holds the two equal).
   */
  private applyHits(cell: Int32Array, kk: Int32Array, n: number, spec: PulsedUpdate, dev: DeviceSpread, pn: PulseNoise): number {
    const { frozen, held, W, uPlus, wMax } = this;
    const uMinus = this.uMinus;
    const { up: stepUp, down: stepDown, bMax, bMin } = dev;
    const soft = spec.softBounds;
    const c2c = spec.cycleToCycle;
    let pulses = 0;
    for (let h = 0; h < n; h++) {
      const i = cell[h];
      if (frozen[i]) continue;
      const k = kk[h];
      let u = uMinus ? uPlus[i] - uMinus[i] : 2 * uPlus[i] - 1;
      const isUp = k > 0;
      const m = isUp ? k : -k;
      const step = isUp ? stepUp[i] : stepDown[i];
      const bound = isUp ? bMax[i] : bMin[i];
      const hi = bMax[i] < 1 ? bMax[i] : 1;
      const lo = bMin[i] > -1 ? bMin[i] : -1;
      for (let p = 0; p < m; p++) {
        let dw = step;
        if (soft) {
          const f = 1 - u / bound;
          dw *= f > 0 ? f : 0;
        }
        if (c2c > 0) dw *= 1 + c2c * pn.normal();
        u += isUp ? dw : -dw;
        if (u > hi) u = hi;
        else if (u < lo) u = lo;
      }
      if (uMinus) {
        uPlus[i] = u > 0 ? u : 0;
        uMinus[i] = u < 0 ? -u : 0;
      } else uPlus[i] = (1 + u) / 2;
      W[i] = u * wMax;
      held[i] = W[i];
      if (u >= hi - (0.05 * (hi - lo)) / 2 || u <= lo + (0.05 * (hi - lo)) / 2) this.markBound(i, dev);
      pulses += m;
    }
    return pulses;
  }

  /** One device step in weight units (ε of mixed precision, the coincidence step). */
  stepWeight(spec: PulsedUpdate): number {
    return unitStep(spec, this.uMinus !== null) * this.wMax;
  }

  private commitPulsed(spec: PulsedUpdate, noise: NoiseSource): void {
    const { W, held, frozen } = this;
    const n = W.length;
    // Coincidence updates reach the devices per sample (coincide()); no optimiser writes them.
    if (spec.scheme === 'stochastic-coincidence') {
      W.set(held);
      return;
    }
    const { dev, pn } = this.pulseState(spec, noise);
    const eps = this.stepWeight(spec);
    const cap = spec.pulsesPerUpdate;
    const stochastic = this.opts.pulseRounding === 'stochastic';
    let chi: Float32Array | null = null;
    if (spec.scheme === 'mixed-precision') chi = this.chi ??= new Float32Array(n);
    const state = noise.nativeState;
    // Builds before coincide() had a pulsedCommit of another signature (and lump-sum pulses): not that one.
    if (this.native?.pulsedCommit && this.native.coincide && state) {
      // The same loop in C (native/devices.c), drawing from the chip's stream as it goes.
      const p = this.nativeParams;
      p.set([eps, cap, stochastic ? 1 : 0, spec.softBounds ? 1 : 0, spec.cycleToCycle, this.wMax]);
      this.saturated ??= new Uint8Array(n);
      this.native.pulsedCommit(
        state,
        W,
        held,
        this.uPlus,
        this.uMinus ?? EMPTY_F32,
        frozen,
        dev.up,
        dev.down,
        dev.bMax,
        dev.bMin,
        this.saturated,
        chi ?? EMPTY_F32,
        p,
        this.nativeOut,
      );
      this.pulses += this.nativeOut[0];
      this.boundHits += this.nativeOut[1];
      this.sqU = null;
      return;
    }
    let pulses = 0;
    const one = new Int32Array(1);
    const oneK = new Int32Array(1);
    for (let i = 0; i < n; i++) {
      if (frozen[i]) {
        W[i] = held[i];
        continue;
      }
      // Mixed precision: a cell whose χ still holds a whole step (pulses capped last time) is written too.
      if (W[i] === held[i] && !(chi && Math.abs(chi[i]) >= eps)) continue;
      let k: number;
      if (chi) {
        chi[i] += W[i] - held[i];
        k = mixedPrecisionPulses(chi[i], eps, cap);
        chi[i] -= k * eps;
      } else {
        k = roundPulses((W[i] - held[i]) / eps, stochastic, stochastic ? pn.uniform() : 0, cap);
      }
      if (k === 0) {
        W[i] = held[i];
        continue;
      }
      one[0] = i;
      oneK[0] = k;
      pulses += this.applyHits(one, oneK, 1, spec, dev, pn);
    }
    this.pulses += pulses;
    this.sqU = null;
  }

  /**
   * stochastic-coincidence: the update of one array (tile rows × cols of this matrix) for n samples,
   * sample by sample: ΔW = η·δ·xᵀ requested, realised by coincident pulse trains (update-schemes.ts).
   * post[s·ldPost + r], pre[s·ldPre + c] index the tile's own rows and columns.
   */
  coincide(
    rowBegin: number,
    rows: number,
    colBegin: number,
    cols: number,
    post: Float32Array,
    ldPost: number,
    pre: Float32Array,
    ldPre: number,
    samples: number,
    eta: number,
    noise: NoiseSource,
  ): void {
    const spec = this.chip.crossbar.update;
    if (spec.kind !== 'pulsed') throw new Error('coincide() on a chip without pulsed updates');
    this.irStale = true;
    const { dev, pn } = this.pulseState(spec, noise);
    const eps = this.stepWeight(spec);
    const state = noise.nativeState;
    if (this.native?.coincide && state) {
      // The same trains and pulses in C (native/devices.c), drawing from the chip's stream as it goes.
      const g = this.nativeGeometry;
      g.set([this.cols, rowBegin, rows, colBegin, cols, ldPost, ldPre, samples]);
      const p = this.nativeParams;
      p.set([eta, eps, spec.pulsesPerUpdate, spec.softBounds ? 1 : 0, spec.cycleToCycle, this.wMax]);
      this.saturated ??= new Uint8Array(this.W.length);
      const { W, held, frozen } = this;
      this.native.coincide(
        state,
        W,
        held,
        this.uPlus,
        this.uMinus ?? EMPTY_F32,
        frozen,
        dev.up,
        dev.down,
        dev.bMax,
        dev.bMin,
        this.saturated,
        g,
        post,
        pre,
        p,
        this.nativeOut,
      );
      this.pulses += this.nativeOut[0];
      this.boundHits += this.nativeOut[1];
      this.sqU = null;
      return;
    }
    const maxWords = (spec.pulsesPerUpdate + 31) >>> 5;
    const rowMask = new Uint32Array(rows * maxWords);
    const colMask = new Uint32Array(cols * maxWords);
    const activeRows = new Int32Array(rows);
    const activeCols = new Int32Array(cols);
    const hitCell = new Int32Array(rows * cols);
    const hitK = new Int32Array(rows * cols);
    const C = this.cols;
    let pulses = 0;
    for (let s = 0; s < samples; s++) {
      const d = post.subarray(s * ldPost, s * ldPost + rows);
      const x = pre.subarray(s * ldPre, s * ldPre + cols);
      let dMax = 0;
      let xMax = 0;
      for (let r = 0; r < rows; r++) dMax = Math.max(dMax, Math.abs(d[r]));
      for (let c = 0; c < cols; c++) xMax = Math.max(xMax, Math.abs(x[c]));
      const plan = planTrains(eta, xMax, dMax, eps, spec.pulsesPerUpdate);
      if (!plan) continue;
      const W = (plan.bl + 31) >>> 5;
      // Only lines whose train has a pulse can coincide: list them once per sample (most input pixels are 0).
      let nr = 0;
      let nc = 0;
      for (let r = 0; r < rows; r++) {
        pulseTrain(Math.min(1, plan.kd * Math.abs(d[r])), plan.bl, pn, rowMask, nr * W);
        let any = 0;
        for (let w = 0; w < W; w++) any |= rowMask[nr * W + w];
        if (any !== 0) activeRows[nr++] = r;
      }
      for (let c = 0; c < cols; c++) {
        pulseTrain(Math.min(1, plan.kx * Math.abs(x[c])), plan.bl, pn, colMask, nc * W);
        let any = 0;
        for (let w = 0; w < W; w++) any |= colMask[nc * W + w];
        if (any !== 0) activeCols[nc++] = c;
      }
      // First the coincidences (a tight loop over the active lines), then the pulses, cell by cell.
      let nHit = 0;
      for (let ri = 0; ri < nr; ri++) {
        const r = activeRows[ri];
        const base = (rowBegin + r) * C + colBegin;
        const negRow = d[r] < 0;
        if (W === 1) {
          const rm = rowMask[ri];
          for (let ci = 0; ci < nc; ci++) {
            let v = rm & colMask[ci];
            if (v === 0) continue;
            v = v - ((v >>> 1) & 0x55555555);
            v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
            const hits = (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
            const c = activeCols[ci];
            hitCell[nHit] = base + c;
            hitK[nHit++] = negRow !== x[c] < 0 ? -hits : hits;
          }
        } else {
          for (let ci = 0; ci < nc; ci++) {
            let hits = 0;
            for (let w = 0; w < W; w++) hits += popcount32(rowMask[ri * W + w] & colMask[ci * W + w]);
            if (hits === 0) continue;
            const c = activeCols[ci];
            hitCell[nHit] = base + c;
            hitK[nHit++] = negRow !== x[c] < 0 ? -hits : hits;
          }
        }
      }
      // The sign travels with the pulses: ΔW ∝ +δ·x (the descent direction of EP's local rule).
      pulses += this.applyHits(hitCell, hitK, nHit, spec, dev, pn);
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

const EMPTY_F32 = new Float32Array(0);
