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
 * (soft bounds at the device's bounds); after an update u+ = max(u_eff, 0), u− = max(−u_eff, 0) —
 * unless crossbar.update.pairMode is 'potentiate-only' (PCM): then each device is only SET, G+ for
 * positive steps and G− for negative ones, and a pair whose devices have both risen is refreshed
 * (applyHitsOneSided, refreshPair). On a chip with
 * continuous levels and exact updates (the `ideal` preset) weights are unbounded, as in software.
 */
import type { ChipDescription, CrossbarSpec, NoiseSpec, PulsedUpdate } from '../../hw-models/chip';
import { unitOf, type Plane } from '../../hw-models/conductance';
import type { NoiseSource } from '../noise';
import type { ArrayTile } from '../../netlist/tiles';
import { irDropWeights } from '../../hw-models/ir-drop';
import { refreshPulseCount } from '../../hw-models/estimators';
import type { FreBlasAddon } from '../kernels/native';
import {
  drawSpread,
  mixedPrecisionPulses,
  planTrains,
  popcount32,
  PulseNoise,
  pulseTrain,
  refreshDue,
  roundPulses,
  unitStep,
  type DeviceSpread,
} from './update-schemes';

export type PulseRounding = 'stochastic' | 'deterministic';

/** aihwkit PCMLikeNoiseModel's documented fits (docs/references.md#pcm-noise-model; Nandakumar et al.
 *  ICECS 2019), g_T = target conductance / g_max. Programming σ in µS, fitted at g_max = 25 µS and
 *  scaled by g_max/25: σ = max(−1.1731 g_T² + 1.9650 g_T + 0.2635, 0)·g_max/25. */
export function pcmProgramSigmaUS(gT: number, gMaxUS: number): number {
  const s = -1.1731 * gT * gT + 1.965 * gT + 0.2635;
  return (s > 0 ? s : 0) * (gMaxUS / 25);
}

/** Drift exponent ν ~ N(mean, std): mean = clip(−0.0155 ln g_T + 0.0244, 0.049, 0.1),
 *  std = clip(−0.0125 ln g_T − 0.0059, 0.008, 0.045) (aihwkit documentation; g_T floored at 1e-7). */
export function pcmDriftNu(gT: number): { mean: number; std: number } {
  const l = Math.log(gT > 1e-7 ? gT : 1e-7);
  const clip = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);
  return { mean: clip(-0.0155 * l + 0.0244, 0.049, 0.1), std: clip(-0.0125 * l - 0.0059, 0.008, 0.045) };
}

/** 1/f noise coefficient Q_s = min(0.0088 / g_T^0.65, 0.2) (aihwkit documentation). */
export function pcmFlickerQs(gT: number): number {
  const q = gT > 0 ? 0.0088 / gT ** 0.65 : Infinity;
  return q < 0.2 ? q : 0.2;
}

/** Whether programming a device adds noise (the PCM model always does). */
export function programmingNoisy(xb: CrossbarSpec): boolean {
  return xb.noiseModel === 'pcm-aihwkit' || xb.programmingNoise.sigma > 0;
}

/** The read pulse width t_read of the 1/f fit, seconds (aihwkit PCMLikeNoiseModel, 250 ns). */
export const PCM_T_READ_S = 250e-9;

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
  /** potentiate-only pairs: the G− devices' own spread (G+ uses `spread`), drawn with it. */
  private spreadMinus: DeviceSpread | null = null;
  /** potentiate-only pairs: refreshes since construction, and their device pulses (RESETs and rewrite). */
  refreshes = 0;
  refreshPulses = 0;
  /** Low-frequency read noise: per sample s < lfSamples, per device, the conductance offset in
   *  normalised units of G+ (lfPlus[s·n + i]) and G− (lfMinus), held until the next draw. */
  private lfPlus: Float32Array | null = null;
  private lfMinus: Float32Array | null = null;
  private lfSamples = 0;
  /** The side conductances as reads see them (each-side conversion), and whether they are stale. */
  private sides: { plus: Float32Array; minus: Float32Array } | null = null;
  /** Their squares (read noise relative to the target under each-side conversion), derived from `sides`. */
  private sideSq: { plus: Float32Array; minus: Float32Array } | null = null;
  private sidesStale = true;
  /** The native update kernels (native/devices.c), set by ChipArrays alongside the native kernels; null: the loops here. */
  native: Pick<FreBlasAddon, 'pulsedCommit' | 'coincide' | 'pulsedCommitOneSided' | 'pulsedCommitQueue' | 'spreadFill'> | null = null;
  /** Whether any cell is stuck (frozen is written by applyStuck only): commits skip their per-cell frozen
   *  passes over a matrix with none. */
  private anyFrozen = false;
  /** Native kernels' results ([pulses, new bound hits, …]) and parameters (reused: no allocation per update). */
  private readonly nativeOut = new Float64Array(6);
  private readonly nativeParams = new Float64Array(17);
  /** Tests: false keeps potentiate-only commits on the TypeScript loop (the reference of pulsedCommitOneSided). */
  static nativeOneSided = true;
  /**
   * The native coincide's cells as it packs them (a 64-byte record per cell: u, the device's steps, bounds
   * and flags), kept across calls so that a tile's cells are not packed again at every call. Valid for the
   * tiles in `packedValid` only: devicesChanged(), which every write to the devices goes through, empties
   * it; coincide() re-marks what it leaves valid. Off by default (keepPacked): on this machine it does not
   * pay (bench/results/speed/README.md, session 8) — the pack streams ≈ 30 bytes a cell from the device
   * arrays into a buffer that stays in the core's cache, the kept records bring 64 bytes a cell back from
   * memory at every call.
   */
  private packed: Float64Array | null = null;
  private readonly packedValid = new Set<string>();
  /** Keep coincide's packed cells across calls (FRE_KEEP_PACKED=1; default false: packed per call). The bytes
   *  are the same either way. */
  static keepPacked = process.env.FRE_KEEP_PACKED === '1';
  /** Tests: the native coincide compares the kept cells with a fresh pack and throws where they differ. */
  static checkPacked = false;
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
    // Partner compensation needs the targets after the stuck devices are known.
    const compensate = this.uMinus !== null && xb.stuckAt.compensation === 'partner';
    const targets = compensate ? { plus: this.uPlus.slice(), minus: (this.uMinus as Float32Array).slice() } : null;
    // The PCM model's drift exponents and 1/f noise depend on the TARGET conductance (before programming noise).
    const pcm = xb.noiseModel === 'pcm-aihwkit';
    const targetPlus = pcm ? this.uPlus.slice() : null;
    const targetMinus = pcm && this.uMinus ? this.uMinus.slice() : null;
    this.program(this.uPlus, null, noise);
    if (this.uMinus) this.program(this.uMinus, null, noise);
    this.frozen = new Uint8Array(n);
    const stuckPlus = this.applyStuck(this.uPlus, noise);
    const stuckMinus = this.uMinus ? this.applyStuck(this.uMinus, noise) : null;
    if (targets && this.uMinus && stuckPlus && stuckMinus) {
      this.compensateStuck(
        targets,
        stuckPlus,
        stuckMinus,
        noise,
        targetPlus && targetMinus ? { plus: targetPlus, minus: targetMinus } : null,
      );
    }
    this.W = new Float32Array(n);
    if (pcm) {
      // aihwkit applies drift and the accumulated 1/f noise at every inference time, t0 included.
      if (xb.drift.compensation === 'global') {
        this.refreshWeights();
        this.atT0 = this.W.slice();
      }
      this.applyPcmAtReadTime(this.uPlus, targetPlus!, stuckPlus, noise);
      if (this.uMinus) this.applyPcmAtReadTime(this.uMinus, targetMinus!, stuckMinus, noise);
    } else if (opts.driftSeconds > 0 && xb.drift.nu > 0) {
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

  /** Programming noise on the devices (all, or those flagged in `only`), clipped to [0, 1]; under
   *  the PCM model σ depends on the target conductance (pcmProgramSigmaUS) and only g ≥ 0 is enforced. */
  private program(u: Float32Array, only: Uint8Array | null, noise: NoiseSource): void {
    const xb = this.chip.crossbar;
    if (xb.noiseModel === 'pcm-aihwkit') {
      this.devicesChanged();
      const span = xb.gMaxUS - xb.gMinUS;
      const uFloor = -xb.gMinUS / span;
      const z = this.noiseBuffer(u.length);
      noise.addNormal(z, u.length, 1);
      for (let i = 0; i < u.length; i++) {
        if (only && !only[i]) continue;
        const gT = (xb.gMinUS + u[i] * span) / xb.gMaxUS;
        const v = u[i] + (z[i] * pcmProgramSigmaUS(gT, xb.gMaxUS)) / span;
        u[i] = v > uFloor ? v : uFloor;
      }
      return;
    }
    const spec = xb.programmingNoise;
    if (spec.sigma === 0) return;
    this.devicesChanged();
    const z = this.noiseBuffer(u.length);
    noise.addNormal(z, u.length, spec.sigma);
    for (let i = 0; i < u.length; i++) {
      if (only && !only[i]) continue;
      const v = u[i] + z[i] * (spec.relativeTo === 'target' ? u[i] : 1);
      u[i] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }

  /** Sticks devices at g_max / g_min; returns which devices of this plane stuck (null: none can). */
  private applyStuck(u: Float32Array, noise: NoiseSource): Uint8Array | null {
    const { onProbability, offProbability } = this.chip.crossbar.stuckAt;
    if (onProbability === 0 && offProbability === 0) return null;
    this.devicesChanged();
    const stuck = new Uint8Array(u.length);
    const z = this.noiseBuffer(u.length);
    noise.fillUniform(z, u.length);
    for (let i = 0; i < u.length; i++) {
      if (z[i] < onProbability) {
        u[i] = 1;
        this.frozen[i] = 1;
        this.anyFrozen = true;
        stuck[i] = 1;
      } else if (z[i] < onProbability + offProbability) {
        u[i] = 0;
        this.frozen[i] = 1;
        this.anyFrozen = true;
        stuck[i] = 1;
      }
    }
    return stuck;
  }

  /** Program-and-verify with partner compensation: where exactly one device of a pair is stuck at s,
   *  the other is reprogrammed (with programming noise: it is a full programming) to hold s − w (for a
   *  stuck u+) or s + w (for a stuck u−), w = u+ − u− of the targets, clipped to [0, 1]: exact where
   *  the free device's range allows, the nearest weight otherwise. Cells with both devices stuck keep
   *  them. The cell stays frozen for in-situ updates (one device of it cannot move). */
  private compensateStuck(
    t: { plus: Float32Array; minus: Float32Array },
    stuckPlus: Uint8Array,
    stuckMinus: Uint8Array,
    noise: NoiseSource,
    pcmTargets: { plus: Float32Array; minus: Float32Array } | null,
  ): void {
    this.devicesChanged();
    const up = this.uPlus;
    const um = this.uMinus as Float32Array;
    const redoPlus = new Uint8Array(up.length);
    const redoMinus = new Uint8Array(up.length);
    for (let i = 0; i < up.length; i++) {
      if (stuckPlus[i] === stuckMinus[i]) continue;
      const w = t.plus[i] - t.minus[i];
      if (stuckPlus[i]) {
        const v = up[i] - w;
        um[i] = v < 0 ? 0 : v > 1 ? 1 : v;
        redoMinus[i] = 1;
        // The PCM model's drift and 1/f depend on the target the device was (re)programmed to.
        if (pcmTargets) pcmTargets.minus[i] = um[i];
      } else {
        const v = um[i] + w;
        up[i] = v < 0 ? 0 : v > 1 ? 1 : v;
        redoPlus[i] = 1;
        if (pcmTargets) pcmTargets.plus[i] = up[i];
      }
    }
    this.program(up, redoPlus, noise);
    this.program(um, redoMinus, noise);
  }

  /** g(t) = g(t0)·(t/t0)^−ν with ν ~ N(nu, nuStd) per device (aihwkit PCMLikeNoiseModel), on the
   *  absolute conductance g = g_min + u·(g_max − g_min): u(t) = (g_r + u)·(t/t0)^−ν − g_r, g_r = g_min/(g_max − g_min). */
  private applyDrift(u: Float32Array, noise: NoiseSource): void {
    const { nu, nuStd, t0Seconds } = this.chip.crossbar.drift;
    const { gMinUS, gMaxUS } = this.chip.crossbar;
    const gr = gMinUS / (gMaxUS - gMinUS);
    const ratio = Math.log(Math.max(this.opts.driftSeconds / t0Seconds, 1));
    this.devicesChanged();
    const z = this.noiseBuffer(u.length);
    noise.addNormal(z, u.length, nuStd);
    for (let i = 0; i < u.length; i++) {
      const v = (gr + u[i]) * Math.exp(-(nu + z[i]) * ratio) - gr;
      u[i] = v > 0 ? v : 0;
    }
  }

  /**
   * The PCM model at the read time t = t0 + driftSeconds (aihwkit: inference time counted from t0):
   * g_drift = g_prog·(t/t0)^−ν, ν ~ N(μ_ν(g_T), σ_ν(g_T)) per device, then the 1/f noise accumulated
   * since programming, one draw per device, g = g_drift + N(0, g_drift·Q_s(g_T)·√ln((t + t_read)/(2 t_read))),
   * clipped at g ≥ 0 (docs/references.md#pcm-noise-model). u is the programmed device, target its g_T.
   */
  private applyPcmAtReadTime(u: Float32Array, target: Float32Array, stuck: Uint8Array | null, noise: NoiseSource): void {
    const xb = this.chip.crossbar;
    const { t0Seconds } = xb.drift;
    const span = xb.gMaxUS - xb.gMinUS;
    const t = t0Seconds + this.opts.driftSeconds;
    const logRatio = Math.log(t / t0Seconds);
    const flicker = Math.sqrt(Math.log((t + PCM_T_READ_S) / (2 * PCM_T_READ_S)));
    this.devicesChanged();
    const zNu = new Float32Array(u.length);
    noise.addNormal(zNu, u.length, 1);
    const zRead = this.noiseBuffer(u.length);
    noise.addNormal(zRead, u.length, 1);
    for (let i = 0; i < u.length; i++) {
      if (stuck && stuck[i]) continue; // a stuck device holds its bound; its partner drifts as any device
      const gT = (xb.gMinUS + target[i] * span) / xb.gMaxUS;
      const { mean, std } = pcmDriftNu(gT);
      const gProg = xb.gMinUS + u[i] * span;
      const gDrift = gProg * Math.exp(-(mean + std * zNu[i]) * logRatio);
      const g = gDrift + Math.abs(gDrift) * pcmFlickerQs(gT) * flicker * zRead[i];
      u[i] = ((g > 0 ? g : 0) - xb.gMinUS) / span;
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

  /**
   * Every write to the devices (u+, u−, frozen, saturated, the spread; W as they define it) ends here:
   * what is derived from them — the IR-drop weights, the sides and their squares, u², the native
   * coincide's kept packed cells — is formed again when next needed.
   */
  private devicesChanged(): void {
    this.irStale = true;
    this.sidesStale = true;
    this.sqU = null;
    // Set.clear allocates a new table even when empty: devicesChanged runs per refreshed or bound-hit cell.
    if (this.packedValid.size > 0) this.packedValid.clear();
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
      // On the ideal chip the devices' u are not kept (commitExact): the sides follow from W.
      const held = this.holdsW();
      const uP = !held ? this.uPlus : this.uMinus ? this.sideUnits().plus : Float32Array.from(this.W, (w) => (1 + w / this.wMax) / 2);
      const uM = this.uMinus ? (held ? this.sideUnits().minus : this.uMinus) : null;
      for (const t of this.tileRanges) {
        const rows = t.r1 - t.r0;
        const cols = t.c1 - t.c0;
        const plus = new Float32Array(rows * cols);
        const minus = this.uMinus ? new Float32Array(rows * cols) : undefined;
        for (let r = 0; r < rows; r++) {
          plus.set(uP.subarray((t.r0 + r) * C + t.c0, (t.r0 + r) * C + t.c1), r * cols);
          if (minus && uM) minus.set(uM.subarray((t.r0 + r) * C + t.c0, (t.r0 + r) * C + t.c1), r * cols);
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
    this.devicesChanged();
    const { W, uPlus, uMinus, wMax } = this;
    if (uMinus) for (let i = 0; i < W.length; i++) W[i] = (uPlus[i] - uMinus[i]) * wMax;
    else for (let i = 0; i < W.length; i++) W[i] = 2 * (uPlus[i] - 0.5) * wMax;
  }

  /** The devices' conductances now, µS (G = g_min + u·(g_max − g_min)): G+ (or G), and G− of differential cells. */
  conductancesUS(): { plus: Float32Array; minus: Float32Array | null } {
    const { gMinUS, gMaxUS } = this.chip.crossbar;
    const toG = (u: Float32Array) => u.map((x) => gMinUS + x * (gMaxUS - gMinUS));
    // commitExact() leaves u untouched on the ideal chip (continuous, noiseless, nothing stuck):
    // there W is the truth and the conductances follow from it by the mapping (unbounded, as W is).
    if (this.holdsW()) {
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

  /**
   * Realise the requested weights (W as the optimiser left it) on the devices. With `queue`, a commit the native
   * kernel makes is only queued (pulsedCommitQueue: its draw from the chip's stream taken now) and true returned:
   * the caller runs the queue (pulsedCommitRun) and then calls commitQueued() before anything reads this matrix.
   */
  commit(noise: NoiseSource, queue = false): boolean {
    const xb = this.chip.crossbar;
    if (xb.update.kind === 'pulsed' && xb.update.scheme === 'stochastic-coincidence') {
      // The devices learnt in coincide(), which left held = W as they hold it; whatever was asked of W since
      // (an optimiser's request: coincidence has none) is dropped. Nothing on the devices changes.
      this.W.set(this.held);
      return false;
    }
    if (xb.update.kind === 'pulsed') {
      const native = this.commitPulsed(xb.update, noise, queue);
      if (native === 'queued') return true;
      // A stuck cell keeps what it held: the optimiser's request must not stay in W, or reads would
      // see a weight the devices never took (the native kernel has set those cells already).
      const { W, held, frozen } = this;
      if (this.anyFrozen && native !== 'native') for (let i = 0; i < W.length; i++) if (frozen[i]) W[i] = held[i];
    } else {
      // The ideal chip holds the requested W itself (commitExact returns at once): its sides follow from W.
      this.devicesChanged();
      this.commitExact(xb, noise);
    }
    this.held.set(this.W);
    return false;
  }

  /** The end of a commit that commit(noise, true) queued, once pulsedCommitRun has run it. */
  commitQueued(): void {
    this.pulses += this.nativeOut[0];
    this.boundHits += this.nativeOut[1];
    this.devicesChanged();
    this.held.set(this.W);
  }

  private commitExact(xb: CrossbarSpec, noise: NoiseSource): void {
    const { W, held, frozen, wMax } = this;
    const unbounded = xb.levels === 'continuous' && !programmingNoisy(xb);
    if (unbounded && !this.anyFrozen) return; // the ideal chip holds exactly what was asked
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
    if (programmingNoisy(xb)) {
      this.program(this.uPlus, changed, noise);
      if (uM) this.program(uM, changed, noise);
    }
    if (!unbounded) this.refreshWeights();
  }

  /** The chip holds the requested W itself (exact updates, continuous, noiseless, nothing stuck): commitExact
   *  leaves u alone, so what the devices hold follows from W. Pulsed updates always write u: u is the truth. */
  private holdsW(): boolean {
    const xb = this.chip.crossbar;
    return xb.update.kind !== 'pulsed' && xb.levels === 'continuous' && !programmingNoisy(xb) && !this.anyFrozen;
  }

  /** The bipolar device value of cell i (update-schemes.ts): u+ − u−, or 2u − 1 for an offset cell. */
  private uOf(i: number): number {
    return this.uMinus ? this.uPlus[i] - this.uMinus[i] : 2 * this.uPlus[i] - 1;
  }

  /** Per-device parameters and the pulse noise, drawn from the chip's stream at the first in-situ update. */
  private pulseState(spec: PulsedUpdate, noise: NoiseSource): { dev: DeviceSpread; pn: PulseNoise } {
    if (!this.spread || (spec.pairMode === 'potentiate-only' && this.uMinus && !this.spreadMinus)) this.devicesChanged();
    // The native fill only with the native noise source (the reference one is the pure-TypeScript path).
    const fill = noise.nativeState ? this.native : null;
    this.spread ??= drawSpread(this.W.length, spec, this.uMinus !== null, noise, fill);
    if (spec.pairMode === 'potentiate-only' && this.uMinus) this.spreadMinus ??= drawSpread(this.W.length, spec, true, noise, fill);
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
    this.devicesChanged();
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
    if (this.spreadMinus) return this.applyHitsOneSided(cell, kk, n, spec, dev, this.spreadMinus, pn);
    this.devicesChanged();
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

  /**
   * applyHits for a potentiate-only pair (crossbar.update.pairMode; aihwkit OneSidedUnitCell): a
   * positive step SETs G+, a negative one SETs G− — each pulse an up pulse of that device
   * (s_i·(1 + a_i), soft bound 1 − g/b_max,i, cycle-to-cycle noise), g clipped to [0, min(b_max,i, 1)].
   * After a cell's pulses, a pair whose devices have both risen (update-schemes.ts refreshDue) is
   * refreshed (refreshPair). Returns the update pulses applied (refresh pulses are counted apart).
   * native/devices.c pulsedCommitOneSided repeats commitPulsed's loop with this and refreshPair byte for
   * byte (test/chip-native-conformance.test.ts): a change here must be made there too.
   */
  private applyHitsOneSided(
    cell: Int32Array,
    kk: Int32Array,
    n: number,
    spec: PulsedUpdate,
    devP: DeviceSpread,
    devM: DeviceSpread,
    pn: PulseNoise,
  ): number {
    this.devicesChanged();
    const { frozen, held, W, uPlus, wMax } = this;
    const uMinus = this.uMinus!;
    const soft = spec.softBounds;
    const c2c = spec.cycleToCycle;
    let pulses = 0;
    for (let h = 0; h < n; h++) {
      const i = cell[h];
      if (frozen[i]) continue;
      const k = kk[h];
      const isUp = k > 0;
      const m = isUp ? k : -k;
      const u = isUp ? uPlus : uMinus;
      const d = isUp ? devP : devM;
      const step = d.up[i];
      const bound = d.bMax[i];
      const hi = bound < 1 ? bound : 1;
      let g = u[i];
      for (let p = 0; p < m; p++) {
        let dw = step;
        if (soft) {
          const f = 1 - g / bound;
          dw *= f > 0 ? f : 0;
        }
        if (c2c > 0) dw *= 1 + c2c * pn.normal();
        g += dw;
        if (g > hi) g = hi;
        else if (g < 0) g = 0;
      }
      u[i] = g;
      pulses += m;
      // The device just pulsed is within 5 % of its range of saturation: its steps have (nearly) stopped.
      if (g >= 0.95 * hi) this.countBoundHit(i);
      const hp = devP.bMax[i] < 1 ? devP.bMax[i] : 1;
      const hm = devM.bMax[i] < 1 ? devM.bMax[i] : 1;
      if (refreshDue(uPlus[i], uMinus[i], hp, hm, spec.refreshUpperThreshold, spec.refreshLowerThreshold)) {
        this.refreshPair(i, spec, pn);
      }
      W[i] = (uPlus[i] - uMinus[i]) * wMax;
      held[i] = W[i];
    }
    return pulses;
  }

  /**
   * Refresh of one potentiate-only pair (Nandakumar et al. 2020, Boybat et al. 2018): both devices
   * RESET to g_min, then the weight u+ − u− reprogrammed onto one device — G+ for a positive weight,
   * G− for a negative one — as a full programming: the nearest level, with the chip's programming
   * noise (crossbar.programmingNoise), clipped to [0, 1]. Priced as refreshPulseCount pulses.
   */
  private refreshPair(i: number, spec: PulsedUpdate, pn: PulseNoise): void {
    this.devicesChanged();
    const uMinus = this.uMinus!;
    const w = this.uPlus[i] - uMinus[i];
    const xb = this.chip.crossbar;
    const L = xb.levels;
    let g = Math.abs(w);
    if (L !== 'continuous') g = Math.round(g * (L - 1)) / (L - 1);
    if (xb.noiseModel === 'pcm-aihwkit') {
      // A refresh is a full programming: the PCM model's σ(g_T), as program() applies it.
      const span = xb.gMaxUS - xb.gMinUS;
      const gT = (xb.gMinUS + g * span) / xb.gMaxUS;
      g += (pn.normal() * pcmProgramSigmaUS(gT, xb.gMaxUS)) / span;
      const uFloor = -xb.gMinUS / span;
      g = g > uFloor ? g : uFloor;
    } else {
      const ns = xb.programmingNoise;
      if (ns.sigma > 0) g += ns.sigma * pn.normal() * (ns.relativeTo === 'target' ? g : 1);
      g = g < 0 ? 0 : g > 1 ? 1 : g;
    }
    this.uPlus[i] = w > 0 ? g : 0;
    uMinus[i] = w > 0 ? 0 : g;
    this.refreshes++;
    this.refreshPulses += refreshPulseCount(w, spec.dwMin);
  }

  /** Counts cell i once as having reached a bound of its range (boundHits). */
  private countBoundHit(i: number): void {
    this.devicesChanged();
    this.saturated ??= new Uint8Array(this.W.length);
    if (!this.saturated[i]) {
      this.saturated[i] = 1;
      this.boundHits++;
    }
  }

  /** One device step in weight units (ε of mixed precision, the coincidence step). */
  stepWeight(spec: PulsedUpdate): number {
    return unitStep(spec, this.uMinus !== null) * this.wMax;
  }

  /** 'native': the bipolar kernel made the commit (it also reset stuck cells' W); 'queued': it is queued. */
  private commitPulsed(spec: PulsedUpdate, noise: NoiseSource, queue = false): 'native' | 'queued' | 'other' {
    const { W, held, frozen } = this;
    const n = W.length;
    // Coincidence updates reach the devices per sample (coincide()); no optimiser writes them.
    this.devicesChanged();
    const { dev, pn } = this.pulseState(spec, noise);
    const eps = this.stepWeight(spec);
    const cap = spec.pulsesPerUpdate;
    const stochastic = this.opts.pulseRounding === 'stochastic';
    let chi: Float32Array | null = null;
    if (spec.scheme === 'mixed-precision') chi = this.chi ??= new Float32Array(n);
    const state = noise.nativeState;
    // The native kernel models the bipolar pair only: potentiate-only pairs (refresh) take the loop below.
    // Builds before coincide() had a pulsedCommit of another signature (and lump-sum pulses): not that one.
    if (this.native?.pulsedCommit && this.native.coincide && state && spec.pairMode !== 'potentiate-only') {
      // The same loop in C (native/devices.c), drawing from the chip's stream as it goes.
      const p = this.nativeParams;
      p.set([eps, cap, stochastic ? 1 : 0, spec.softBounds ? 1 : 0, spec.cycleToCycle, this.wMax]);
      this.saturated ??= new Uint8Array(n);
      const call = queue && this.native.pulsedCommitQueue ? this.native.pulsedCommitQueue : this.native.pulsedCommit;
      call(
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
      if (call !== this.native.pulsedCommit) return 'queued';
      this.pulses += this.nativeOut[0];
      this.boundHits += this.nativeOut[1];
      this.devicesChanged();
      return 'native';
    }
    const devM = this.spreadMinus;
    if (this.native?.pulsedCommitOneSided && DeviceMatrix.nativeOneSided && state && devM && this.uMinus) {
      // The loop below (applyHitsOneSided, refreshPair) in C, byte for byte: it draws through pn's buffers.
      const xb = this.chip.crossbar;
      const ns = xb.programmingNoise;
      const p = this.nativeParams;
      p.set([
        eps,
        cap,
        stochastic ? 1 : 0,
        spec.softBounds ? 1 : 0,
        spec.cycleToCycle,
        this.wMax,
        spec.refreshUpperThreshold,
        spec.refreshLowerThreshold,
        xb.levels === 'continuous' ? 0 : xb.levels,
        xb.noiseModel === 'pcm-aihwkit' ? 1 : 0,
        xb.gMinUS,
        xb.gMaxUS,
        ns.sigma,
        ns.relativeTo === 'target' ? 1 : 0,
        spec.dwMin,
        pn.zi,
        pn.ui,
      ]);
      this.saturated ??= new Uint8Array(n);
      const out = this.nativeOut;
      this.native.pulsedCommitOneSided(
        state,
        W,
        held,
        this.uPlus,
        this.uMinus,
        frozen,
        dev.up,
        dev.down,
        dev.bMax,
        dev.bMin,
        this.saturated,
        chi ?? EMPTY_F32,
        devM.up,
        devM.bMax,
        pn.z,
        pn.u,
        p,
        out,
      );
      this.pulses += out[0];
      this.boundHits += out[1];
      this.refreshes += out[2];
      this.refreshPulses += out[3];
      pn.zi = out[4];
      pn.ui = out[5];
      this.devicesChanged();
      return 'other';
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
    this.devicesChanged();
    return 'other';
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
    const { dev, pn } = this.pulseState(spec, noise);
    const eps = this.stepWeight(spec);
    const state = noise.nativeState;
    if (this.native?.coincide && state && spec.pairMode !== 'potentiate-only') {
      // The same trains and pulses in C (native/devices.c), drawing from the chip's stream as it goes.
      const g = this.nativeGeometry;
      g.set([this.cols, rowBegin, rows, colBegin, cols, ldPost, ldPre, samples]);
      // The tile's cells as the kernel packs them, kept from the last call unless the devices were written since.
      const n = this.W.length;
      const keep = DeviceMatrix.keepPacked && n <= PACKED_MAX_CELLS;
      if (keep) this.packed ??= new Float64Array((n + 1) * 8);
      const tileKey = `${rowBegin},${rows},${colBegin},${cols}`;
      const fresh = keep && this.packedValid.has(tileKey);
      const p = this.nativeParams;
      p.set([
        eta,
        eps,
        spec.pulsesPerUpdate,
        spec.softBounds ? 1 : 0,
        spec.cycleToCycle,
        this.wMax,
        fresh ? 1 : 0,
        DeviceMatrix.checkPacked ? 1 : 0,
      ]);
      this.saturated ??= new Uint8Array(n);
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
        keep ? (this.packed as Float64Array) : EMPTY_F64,
      );
      this.pulses += this.nativeOut[0];
      this.boundHits += this.nativeOut[1];
      // The call wrote this tile's devices and left its kept cells equal to them (packed, then pulsed and
      // written back); the cells of other tiles it did not touch: every tile valid before stays valid.
      const valid = keep ? [...this.packedValid, tileKey] : [];
      this.devicesChanged();
      for (const k of valid) this.packedValid.add(k);
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
    this.devicesChanged();
  }

  /**
   * The two sides of every differential cell as a read of one side sees them, normalised (u+, u−):
   * each-side conversion reads them separately. Where the chip holds W exactly (continuous, noiseless,
   * nothing stuck: commitExact leaves u alone) the sides follow from W by the mapping.
   */
  sideUnits(): { plus: Float32Array; minus: Float32Array } {
    if (!this.uMinus) throw new Error('sideUnits() of an offset-column matrix: it has one side');
    if (!this.sides || this.sidesStale) {
      if (this.holdsW()) {
        const plus = new Float32Array(this.W.length);
        const minus = new Float32Array(this.W.length);
        for (let i = 0; i < plus.length; i++) {
          const r = this.W[i] / this.wMax;
          plus[i] = r > 0 ? r : 0;
          minus[i] = r < 0 ? -r : 0;
        }
        this.sides = { plus, minus };
      } else this.sides = { plus: this.uPlus, minus: this.uMinus };
      this.sidesStale = false;
      this.sideSq = null;
    }
    return this.sides;
  }

  /** sideUnits() squared, element by element; recomputed only after the devices change. */
  sideSquares(): { plus: Float32Array; minus: Float32Array } {
    const { plus, minus } = this.sideUnits();
    this.sideSq ??= { plus: Float32Array.from(plus, (u) => u * u), minus: Float32Array.from(minus, (u) => u * u) };
    return this.sideSq;
  }

  /**
   * Draws the low-frequency read-noise offsets of m samples (crossbar.lowFrequencyReadNoise): per
   * sample and device a Gaussian conductance offset, σ relative to g_max − g_min ('range') or to the
   * device's normalised conductance ('target'), held by every read of that sample until the next draw.
   */
  drawLowFrequency(m: number, noise: NoiseSource): void {
    const spec = this.chip.crossbar.lowFrequencyReadNoise;
    if (spec.sigma === 0) return;
    const n = this.W.length;
    const need = m * n;
    // Held offsets cost a float per device, side and sample of the batch: refuse sizes that would not fit.
    if (need * (this.uMinus ? 2 : 1) > 2 ** 28) {
      throw new Error(
        `crossbar.lowFrequencyReadNoise: holding offsets for ${m} samples × ${n} cells needs ${Math.ceil((need * (this.uMinus ? 8 : 4)) / 2 ** 20)} MiB; ` +
          'use a smaller batch (training.batchSize of the spec) or set lowFrequencyReadNoise.sigma to 0',
      );
    }
    if (!this.lfPlus || this.lfPlus.length < need) {
      this.lfPlus = new Float32Array(need);
      if (this.uMinus) this.lfMinus = new Float32Array(need);
    }
    const sides: Float32Array[] = this.uMinus ? [this.lfPlus, this.lfMinus!] : [this.lfPlus];
    const units = this.uMinus ? this.sideUnits() : null;
    sides.forEach((lf, k) => {
      lf.fill(0, 0, need);
      noise.addNormal(lf, need, spec.sigma);
      if (spec.relativeTo === 'target') {
        const u = units ? (k === 0 ? units.plus : units.minus) : this.uPlus;
        for (let s = 0; s < m; s++) for (let i = 0; i < n; i++) lf[s * n + i] *= u[i];
      }
    });
    this.lfSamples = m;
  }

  /** The held low-frequency offsets of sample s (normalised units, per device; null: none drawn). */
  lowFrequency(s: number): { plus: Float32Array; minus: Float32Array | null } | null {
    if (!this.lfPlus || s >= this.lfSamples) return null;
    const n = this.W.length;
    return { plus: this.lfPlus.subarray(s * n, (s + 1) * n), minus: this.lfMinus ? this.lfMinus.subarray(s * n, (s + 1) * n) : null };
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
const EMPTY_F64 = new Float64Array(0);
/** Above this many cells (64 bytes each kept) a matrix's coincide packs its cells per call instead. */
const PACKED_MAX_CELLS = 1 << 22;
