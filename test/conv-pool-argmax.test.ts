/**
 * The max-pool argmax rule `pool.argmax: "activation"` (docs/conv-layout.md "Pooling"): the argmax is
 * the first largest hard-sigmoid key clamp(α·x + α·b, 0, 1) of the window, and nothing else changes.
 * The TypeScript rows kernel, the native rows kernel and the fused native conv read against each other
 * bit for bit and against the float64 reference (maxPoolDirect), on data with windows clamped at 0
 * throughout, windows with several units at 1, exact ties in between, and more channels than one
 * native block; the pooled values are the pre-activation rule's, bit for bit; and the two rules
 * disagree on the dead windows (so a kernel that ignored the option would fail here).
 */
import type { ConvSpec, FeatureShape, PoolSpec } from '../graph/shapes';
import { poolOutShape, shapeSize } from '../graph/shapes';
import { rowsToMaps } from '../simulator/conv/im2row';
import { layoutKernels, referenceLayout, type LayoutKernels } from '../simulator/conv/layout-kernels';
import { poolKey } from '../simulator/conv/pool-rows';
import { convForwardDirect, maxPoolDirect } from '../simulator/conv/reference';
import { makeRng } from '../util/rng';

const byPre = (p: Omit<PoolSpec, 'argmax'>): PoolSpec => ({ ...p });
const byAct = (p: Omit<PoolSpec, 'argmax'>): PoolSpec => ({ ...p, argmax: 'activation' });

/** Conv values on a coarse grid (multiples of 1/4 in about [−3, 3]): with α = 0.5 and biases in
 *  {−1, 0, 0.5} many windows are clamped at 0 throughout, some hold several units at 1, and exact
 *  ties in (0, 1) occur. */
function coarse(n: number, seed: string): Float32Array {
  const rng = makeRng(seed);
  return Float32Array.from({ length: n }, () => Math.round(rng.normal() * 4) / 4);
}

function biasFor(O: number): Float32Array {
  return Float32Array.from({ length: O }, (_, o) => [-1, 0, 0.5][o % 3]);
}

const CASES: [string, Omit<PoolSpec, 'argmax'>, FeatureShape, number][] = [
  ['mnist-conv c2 size: 64 × 8×8, pool 2', { kind: 'max', size: 2, stride: 2 }, { channels: 64, height: 8, width: 8 }, 3],
  ['odd map, floor mode: 5 × 7×5, pool 2', { kind: 'max', size: 2, stride: 2 }, { channels: 5, height: 7, width: 5 }, 2],
  ['overlapping windows: 3 × 6×6, pool 3 stride 1', { kind: 'max', size: 3, stride: 1 }, { channels: 3, height: 6, width: 6 }, 12],
  [
    'more channels than one native block: 300 × 4×4, pool 2',
    { kind: 'max', size: 2, stride: 2 },
    { channels: 300, height: 4, width: 4 },
    2,
  ],
];

const native = layoutKernels();
const layouts: [string, LayoutKernels][] = [
  ['reference', referenceLayout],
  [`selected (${native.name})`, native],
];
const ALPHA = 0.5;

function pool(lk: LayoutKernels, p: PoolSpec, shape: FeatureShape, m: number, rows: Float32Array, bias: Float32Array | null) {
  const n = m * shapeSize(poolOutShape(p, shape));
  const out = new Float32Array(n).fill(0.125); // a drive already holding another edge's contribution
  const argmax = new Int32Array(n).fill(-7);
  lk.maxPoolRows(p, shape, m, rows, out, argmax, ALPHA, bias);
  return { out, argmax };
}

describe.each(layouts)('%s maxPoolRows with the activation argmax', (_name, lk) => {
  test.each(CASES)('%s: = the float64 reference; pooled values unchanged; differs on dead windows', (_t, base, shape, m) => {
    const P = shape.height * shape.width;
    const O = shape.channels;
    const rows = coarse(m * P * O, `rows ${_t}`);
    for (const bias of [biasFor(O), null]) {
      const act = pool(lk, byAct(base), shape, m, rows, bias);
      const pre = pool(lk, byPre(base), shape, m, rows, bias);
      // The rule moves only the argmax.
      expect(Buffer.from(act.out.buffer).equals(Buffer.from(pre.out.buffer))).toBe(true);
      // The float64 reference on the NCHW map; its flat argmax is the rows kernel's (b·O + o)·P + q.
      const map = new Float32Array(m * O * P);
      rowsToMaps(m, P, O, rows, map);
      const ref = maxPoolDirect(byAct(base), shape, m, map, { alpha: ALPHA, ...(bias ? { bias } : {}) });
      expect(Array.from(act.argmax)).toEqual(Array.from(ref.argmax));
      const refPre = maxPoolDirect(byPre(base), shape, m, map);
      expect(Array.from(pre.argmax)).toEqual(Array.from(refPre.argmax));
      // Some windows must route differently, and only where the winner's key ties with an earlier unit's.
      let differ = 0;
      for (let i = 0; i < act.argmax.length; i++) {
        if (act.argmax[i] === pre.argmax[i]) continue;
        differ++;
        const o = Math.floor(act.argmax[i] / P) % O;
        const sb = bias ? ALPHA * bias[o] : 0;
        expect(poolKey(map[act.argmax[i]], ALPHA, sb)).toBe(poolKey(map[pre.argmax[i]], ALPHA, sb));
        expect(act.argmax[i]).toBeLessThan(pre.argmax[i]);
      }
      expect(differ).toBeGreaterThan(0);
    }
  });

  test('hand-made windows: all clamped at 0 → the top-left unit; two units at 1 → the first of them; a tie at 0.5 → the first', () => {
    // One channel, 2×6 map, three 2×2 windows (α = 1, no bias). Row-major per window: q = (0,1,6,7), (2,3,8,9), (4,5,10,11).
    const shape = { channels: 1, height: 2, width: 6 };
    const x = [-3, -1, 1.5, -0.5, 0.5, 0.5, /* row 1 */ -4, -0.25, 2, 0.5, 0.2, 0.5];
    const rows = Float32Array.from(x); // O = 1: rows and map coincide
    const out = new Float32Array(3);
    const am = new Int32Array(3);
    lk.maxPoolRows(byAct({ kind: 'max', size: 2, stride: 2 }), shape, 1, rows, out, am, 1, null);
    expect(Array.from(am)).toEqual([0, 2, 4]);
    expect(Array.from(out)).toEqual([-0.25, 2, 0.5].map(Math.fround));
    lk.maxPoolRows(byPre({ kind: 'max', size: 2, stride: 2 }), shape, 1, rows, out.fill(0), am, 1, null);
    expect(Array.from(am)).toEqual([7, 8, 4]);
  });
});

const fusedRun = native.convForwardMax ? describe : describe.skip;
fusedRun('fused native convForwardMax with the activation argmax', () => {
  // Inputs and weights on a grid of small dyadic values: every conv value is exact in float32 whatever
  // the GEMM's summation order, so the fused read's rows are the float64 reference's.
  const spec: ConvSpec = { inChannels: 3, outChannels: 6, kernel: 3, stride: 1, padding: 1, height: 8, width: 8 };
  const p = { kind: 'max' as const, size: 2, stride: 2 };
  const shape: FeatureShape = { channels: 6, height: 8, width: 8 };
  const m = 3;
  const rng = makeRng('fused');
  const x = Float32Array.from({ length: m * 3 * 64 }, () => Math.round(rng.normal() * 2) / 4);
  const w = Float32Array.from({ length: 6 * 27 }, () => Math.round(rng.normal() * 2) / 8);
  const y = convForwardDirect(spec, m, x, w); // [m × O × P]
  const P = 64;
  const rowsOf = (b0: number, mc: number) => {
    const r = new Float32Array(mc * P * 6);
    for (let b = 0; b < mc; b++)
      for (let o = 0; o < 6; o++) for (let q = 0; q < P; q++) r[(b * P + q) * 6 + o] = y[((b0 + b) * 6 + o) * P + q];
    return r;
  };
  const bias = biasFor(6);
  const per = 6 * 16;
  test.each([1, 2, 3])('chunk %i: = TypeScript maxPoolRows per chunk, bit for bit; differs from the default rule', (chunk) => {
    const want = new Float32Array(m * per);
    const wantAm = new Int32Array(m * per);
    for (let s0 = 0; s0 < m; s0 += chunk) {
      const mc = Math.min(chunk, m - s0);
      referenceLayout.maxPoolRows(byAct(p), shape, mc, rowsOf(s0, mc), want.subarray(s0 * per), wantAm.subarray(s0 * per), ALPHA, bias);
    }
    const got = new Float32Array(m * per);
    const gotAm = new Int32Array(m * per);
    native.convForwardMax!(spec, byAct(p), m, x, w, got, gotAm, ALPHA, bias, chunk);
    expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);
    expect(Array.from(gotAm)).toEqual(Array.from(wantAm));
    const preOut = new Float32Array(m * per);
    const preAm = new Int32Array(m * per);
    native.convForwardMax!(spec, byPre(p), m, x, w, preOut, preAm, ALPHA, bias, chunk);
    expect(Buffer.from(preOut.buffer).equals(Buffer.from(got.buffer))).toBe(true);
    expect(Array.from(preAm)).not.toEqual(Array.from(gotAm));
  });
});
