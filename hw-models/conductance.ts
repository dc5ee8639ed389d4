/**
 * The weight ↔ conductance convention, shared by the compiler (programming) and the simulator
 * (reading back). aihwkit-like:
 *
 *   1. Each matrix (an edge's W, or its fixed random feedback B) gets one scale w_max > 0, chosen
 *      from the data: max|W| ('max', nothing clipped) or a percentile of |W| (weights beyond are
 *      clipped to ±w_max and counted). On a chip with continuous levels w_max is rounded UP to a
 *      power of two, so that w / w_max and back are exact in float32: the mapping is lossless.
 *   2. A device holds a normalised conductance u ∈ [0, 1]: G = g_min + u·(g_max − g_min).
 *      With L levels, u = q/(L − 1) for the level index q ∈ {0 … L−1} (nearest level, ties away
 *      from zero); with continuous levels u is stored as float32.
 *   3. differential:  u+ = max(w, 0)/w_max, u− = max(−w, 0)/w_max (one device of the pair at g_min),
 *        W ≈ (u+ − u−)·w_max = (G+ − G−)/(g_max − g_min)·w_max.
 *      offset-column: u = (1 + w/w_max)/2 and a reference column at u_ref = 1/2 (G_ref = (g_min + g_max)/2),
 *        W ≈ 2(u − 1/2)·w_max = (G − G_ref)/((g_max − g_min)/2)·w_max.
 *   4. Quantisation error of an unclipped weight ≤ half a level step: w_max/(2(L − 1)) for the
 *      differential cell, w_max/(L − 1) for the offset column (twice the weight per level).
 */
import type { CrossbarSpec } from './chip';

/** max: max|W|; percentile: the p-th percentile of |W|; headroom: factor × max|W| (room for in-situ
 *  learning to grow the weights: a trainable array's range is a design choice, docs/chip-simulator.md);
 *  fixed: the designer's w_max, the same for every matrix. */
export type WMaxPolicy =
  { kind: 'max' } | { kind: 'percentile'; p: number } | { kind: 'headroom'; factor: number } | { kind: 'fixed'; wMax: number };

/** Per-plane storage: level indices (uint8 up to 256 levels, else uint16) or float32 u. */
export type Plane = Uint8Array | Uint16Array | Float32Array;

export interface MappedMatrix {
  wMax: number;
  /** G+ (differential) or G (offset-column), row-major like the matrix. */
  plus: Plane;
  /** G− (differential only). */
  minus?: Plane;
  stats: MappingStats;
}

export interface MappingStats {
  /** max|W| before mapping. */
  maxAbs: number;
  /** Weights with |w| > w_max, clipped to ±w_max. */
  clipped: number;
  /** Quantisation (and clipping) error of W − Ŵ: maximum over entries and root-mean-square. */
  maxError: number;
  rmsError: number;
  /** Weight change of one level, w_max/(L−1) (differential) or 2·w_max/(L−1) (offset column); 0 if continuous. */
  levelStep: number;
}

/** The scale w_max for a matrix (step 1 of the convention). */
export function chooseWMax(w: Float32Array, policy: WMaxPolicy, levels: CrossbarSpec['levels']): number {
  if (policy.kind === 'fixed') return Math.fround(policy.wMax);
  let m = 0;
  if (policy.kind === 'max' || policy.kind === 'headroom') {
    for (let i = 0; i < w.length; i++) m = Math.max(m, Math.abs(w[i]));
    if (policy.kind === 'headroom') m *= policy.factor;
  } else {
    const a = Float64Array.from(w, Math.abs).sort();
    m = a.length ? a[Math.min(a.length - 1, Math.max(0, Math.ceil((policy.p / 100) * a.length) - 1))] : 0;
  }
  if (!(m > 0)) m = 1; // an all-zero matrix: any scale is exact
  if (levels === 'continuous') m = 2 ** Math.ceil(Math.log2(m));
  return Math.fround(m);
}

export function levelStep(c: CrossbarSpec, wMax: number): number {
  if (c.levels === 'continuous') return 0;
  return ((c.cell === 'differential' ? 1 : 2) * wMax) / (c.levels - 1);
}

function newPlane(levels: CrossbarSpec['levels'], n: number): Plane {
  if (levels === 'continuous') return new Float32Array(n);
  return levels <= 256 ? new Uint8Array(n) : new Uint16Array(n);
}

/** u ∈ [0, 1] → stored value (level index, or u itself when continuous). */
function store(u: number, levels: CrossbarSpec['levels']): number {
  return levels === 'continuous' ? u : Math.round(u * (levels - 1));
}

/** Stored value → normalised conductance u. */
export function unitOf(stored: number, levels: CrossbarSpec['levels']): number {
  return levels === 'continuous' ? stored : stored / (levels - 1);
}

/** Step 2 of the convention: the conductance of a device holding u, µS. */
export function conductanceUS(u: number, c: CrossbarSpec): number {
  return c.gMinUS + u * (c.gMaxUS - c.gMinUS);
}

/** Programs a matrix: steps 1–3 of the convention, with error statistics. */
export function mapMatrix(w: Float32Array, c: CrossbarSpec, policy: WMaxPolicy): MappedMatrix {
  const wMax = chooseWMax(w, policy, c.levels);
  const n = w.length;
  const plus = newPlane(c.levels, n);
  const minus = c.cell === 'differential' ? newPlane(c.levels, n) : undefined;
  let maxAbs = 0,
    clipped = 0,
    maxError = 0,
    sq = 0;
  for (let i = 0; i < n; i++) {
    const v = w[i];
    maxAbs = Math.max(maxAbs, Math.abs(v));
    let r = v / wMax;
    if (r > 1 || r < -1) {
      clipped++;
      r = r > 1 ? 1 : -1;
    }
    let back: number;
    if (minus) {
      plus[i] = store(r > 0 ? r : 0, c.levels);
      minus[i] = store(r < 0 ? -r : 0, c.levels);
      back = (unitOf(plus[i], c.levels) - unitOf(minus[i], c.levels)) * wMax;
    } else {
      plus[i] = store((1 + r) / 2, c.levels);
      back = 2 * (unitOf(plus[i], c.levels) - 0.5) * wMax;
    }
    const e = Math.abs(v - Math.fround(back));
    if (e > maxError) maxError = e;
    sq += e * e;
  }
  return { wMax, plus, minus, stats: { maxAbs, clipped, maxError, rmsError: n ? Math.sqrt(sq / n) : 0, levelStep: levelStep(c, wMax) } };
}

/** Reads weights back from stored planes (step 3 inverted), float32 like the software engine. */
export function unmapMatrix(plus: Plane, minus: Plane | undefined, wMax: number, c: CrossbarSpec): Float32Array {
  const out = new Float32Array(plus.length);
  for (let i = 0; i < plus.length; i++) {
    out[i] = minus ? (unitOf(plus[i], c.levels) - unitOf(minus[i], c.levels)) * wMax : 2 * (unitOf(plus[i], c.levels) - 0.5) * wMax;
  }
  return out;
}
