/**
 * The convolution building blocks (simulator/conv): fast paths against the direct float64
 * definitions (simulator/conv/reference.ts), adjointness, the EP weight gradient against finite
 * differences, pooling and the max-pool/unpool round trip. Every case is seeded via util/rng.ts and
 * every GEMM-backed test runs on both the reference kernels and selectKernels('auto') (the OpenBLAS
 * addon when built).
 *
 * Tolerances (u32 = 2⁻²³ = twice the float32 unit roundoff; all bounds per element, computed in
 * float64 from the same data with absolute values, S = the "absolute" version of the result):
 *  - convForward     |fast − direct| ≤ (C·k·k + 4)·u32 · (|scale|·conv(|x|;|W|) + |y₀|)
 *  - convTranspose   |fast − direct| ≤ (O + k·k + 5)·u32 · (|scale|·convᵀ(|y|;|W|) + |x₀|)
 *  - convWeightGrad  |fast − direct| ≤ (m·OH·OW + m + 4)·u32 · (|scale|·Σ|dy||x| + |dW₀|)
 *    (rigorous float32 summation bounds for any order, as in kernels-conformance.test.ts)
 *  - adjointness, fast: |⟨conv(x),y⟩ − ⟨x,convᵀ(y)⟩| ≤ (C·k·k + O + k·k + 17)·u32 · T,
 *    T = Σ over all terms |x||W||y|; direct (float64): ≤ 1e-12 · T
 *  - weight gradient vs central finite differences of L(W) = ⟨conv(x;W), R⟩ (float64 direct conv,
 *    h = 1e-2; L is linear in W so the difference quotient is exact up to rounding):
 *    |grad − fd| ≤ 1e-10·T + the convWeightGrad bound above
 *  - im2col: bit-exact against the direct im2col; col2im adjointness ≤ (k·k + 4)·u32 · Σ|im2col(x)||c|,
 *    and exactly equal on small-integer data
 *  - maxPool: values and argmax bit-exact; unpool(pool(x)) keeps exactly the maxima (× the number of
 *    windows that chose them), zeros elsewhere
 *  - avgPool / its transpose: (size² + 4)·u32 · the absolute version; adjointness (2·size² + 8)·u32 · T
 */
import type { Kernels } from '../simulator/kernels/kernels';
import { referenceKernels } from '../simulator/kernels/reference';
import { selectKernels } from '../simulator/kernels/select';
import { convForward, convTranspose, convWeightGrad } from '../simulator/conv/conv';
import { col2im, im2col } from '../simulator/conv/im2col';
import { avgPool, avgPoolTranspose, maxPool, maxUnpool, poolForward, poolTranspose } from '../simulator/conv/pool';
import {
  avgPoolDirect,
  avgPoolTransposeDirect,
  convForwardDirect,
  convTransposeDirect,
  convWeightGradDirect,
  im2colDirect,
  maxPoolDirect,
  maxUnpoolDirect,
} from '../simulator/conv/reference';
import {
  convDims,
  convOutShape,
  convOutSize,
  convWorkspaceSize,
  poolOutShape,
  shapeSize,
  validateConvSpec,
  type ConvSpec,
  type FeatureShape,
  type PoolSpec,
} from '../graph/shapes';
import { makeRng, type Rng } from '../util/rng';

const U32 = 2 ** -23;

const auto = selectKernels('auto');
const BACKENDS: ReadonlyArray<readonly [string, Kernels]> = [
  ['reference', referenceKernels],
  [`auto (${auto.name})`, auto],
];

// ---------------------------------------------------------------------------------------------------
// Helpers

function normals(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

function ints(rng: Rng, n: number, lo: number, hi: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + rng.int(hi - lo + 1);
  return a;
}

function abs(a: ArrayLike<number>): Float64Array {
  const r = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) r[i] = Math.abs(a[i]);
  return r;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`dot: length ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Asserts |got_i − want_i| ≤ bound_i for all i (NaN fails), naming the worst element. */
function expectWithin(label: string, got: ArrayLike<number>, want: ArrayLike<number>, bound: (i: number) => number): void {
  expect(got.length).toBeGreaterThanOrEqual(want.length);
  let worst = -1;
  let worstRatio = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    const b = bound(i) + 1e-30;
    const ratio = err / b;
    if (!(ratio <= 1)) {
      if (worst < 0 || !(ratio <= worstRatio)) {
        worst = i;
        worstRatio = ratio;
      }
    }
  }
  if (worst >= 0) {
    throw new Error(
      `${label}: element ${worst} got ${got[worst]} want ${want[worst]} ` +
        `(error ${Math.abs(got[worst] - want[worst])} > bound ${bound(worst)})`,
    );
  }
}

function specName(s: ConvSpec, m: number): string {
  return `m${m} C${s.inChannels}→O${s.outChannels} k${s.kernel} s${s.stride} p${s.padding} ${s.height}×${s.width}`;
}

// ---------------------------------------------------------------------------------------------------
// Cases: hand-picked edge cases plus seeded random shapes

interface ConvCase {
  spec: ConvSpec;
  m: number;
}

const c = (
  m: number,
  inChannels: number,
  outChannels: number,
  kernel: number,
  stride: number,
  padding: number,
  height: number,
  width: number,
): ConvCase => ({ m, spec: { inChannels, outChannels, kernel, stride, padding, height, width } });

const FIXED: ConvCase[] = [
  c(1, 1, 1, 1, 1, 0, 1, 1), // 1×1 everything
  c(2, 3, 4, 3, 1, 1, 7, 5), // 'same' 3×3, odd non-square input
  c(3, 2, 5, 5, 1, 0, 9, 11), // valid 5×5 (the MNIST layer shape, small)
  c(2, 3, 2, 3, 2, 1, 8, 7), // stride 2 with padding
  c(2, 4, 3, 4, 2, 2, 9, 6), // even kernel, stride 2, padding 2
  c(1, 2, 3, 3, 3, 0, 10, 10), // stride 3: last input row/column unused
  c(2, 1, 2, 5, 1, 2, 5, 5), // padding 2 on a kernel-sized input
  c(1, 2, 2, 3, 2, 3, 4, 3), // padding ≥ kernel: some outputs see only padding
  c(2, 3, 3, 1, 2, 0, 7, 6), // 1×1 kernel with stride 2
];

function randomCases(seed: string, n: number): ConvCase[] {
  const rng = makeRng(seed);
  const out: ConvCase[] = [];
  for (let i = 0; i < n; i++) {
    const kernel = 1 + rng.int(5);
    const stride = 1 + rng.int(3);
    const padding = rng.int(Math.min(kernel, 3));
    const height = Math.max(1, kernel - 2 * padding) + rng.int(8);
    const width = Math.max(1, kernel - 2 * padding) + rng.int(8);
    out.push(c(1 + rng.int(3), 1 + rng.int(4), 1 + rng.int(5), kernel, stride, padding, height, width));
  }
  return out;
}

const CASES: ConvCase[] = [...FIXED, ...randomCases('conv-random-shapes', 8)];

/** The paper's layer shapes (docs/references.md#settings-and-results): MNIST conv 1→32 and 32→64 5×5; CIFAR 3→32 3×3 pad 1. */
const PAPER: ConvCase[] = [c(2, 1, 32, 5, 1, 0, 28, 28), c(2, 32, 64, 5, 1, 0, 12, 12), c(2, 3, 32, 3, 1, 1, 32, 32)];

// ---------------------------------------------------------------------------------------------------

describe('conv shapes', () => {
  test("output sizes and the paper's conv stacks (MNIST 28→…→1024, CIFAR 32→…→2048)", () => {
    expect(convOutSize({ inChannels: 1, outChannels: 1, kernel: 3, stride: 2, padding: 1, height: 8, width: 7 })).toEqual({
      outHeight: 4,
      outWidth: 4,
    });
    const max2: PoolSpec = { kind: 'max', size: 2, stride: 2 };
    // MNIST: conv 1→32 5×5, maxpool 2, conv 32→64 5×5, maxpool 2, fc 1024→10
    let s: FeatureShape = convOutShape({ inChannels: 1, outChannels: 32, kernel: 5, stride: 1, padding: 0, height: 28, width: 28 });
    expect(s).toEqual({ channels: 32, height: 24, width: 24 });
    s = poolOutShape(max2, s);
    s = convOutShape({ inChannels: 32, outChannels: 64, kernel: 5, stride: 1, padding: 0, height: s.height, width: s.width });
    s = poolOutShape(max2, s);
    expect(shapeSize(s)).toBe(1024);
    // CIFAR: 32-64-128 3×3 pad 1, pool after each, fc 2048→10
    let t: FeatureShape = { channels: 3, height: 32, width: 32 };
    for (const out of [32, 64, 128]) {
      t = convOutShape({ inChannels: t.channels, outChannels: out, kernel: 3, stride: 1, padding: 1, height: t.height, width: t.width });
      t = poolOutShape(max2, t);
    }
    expect(shapeSize(t)).toBe(2048);
    const d = convDims({ inChannels: 32, outChannels: 64, kernel: 5, stride: 1, padding: 0, height: 12, width: 12 });
    expect(d).toEqual({ outHeight: 8, outWidth: 8, colRows: 800, colCols: 64, inSize: 4608, outSize: 4096, weightSize: 51200 });
  });

  test('malformed specs and short buffers throw', () => {
    const ok: ConvSpec = { inChannels: 2, outChannels: 3, kernel: 3, stride: 1, padding: 0, height: 4, width: 4 };
    expect(() => validateConvSpec({ ...ok, kernel: 0 })).toThrow(/kernel/);
    expect(() => validateConvSpec({ ...ok, stride: 1.5 })).toThrow(/stride/);
    expect(() => validateConvSpec({ ...ok, padding: -1 })).toThrow(/padding/);
    expect(() => validateConvSpec({ ...ok, kernel: 5 })).toThrow(/larger/);
    expect(() => poolOutShape({ kind: 'max', size: 5, stride: 1 }, { channels: 1, height: 4, width: 4 })).toThrow(/larger/);
    const d = convDims(ok);
    const x = new Float32Array(d.inSize);
    const w = new Float32Array(d.weightSize);
    const y = new Float32Array(d.outSize);
    expect(() => convForward(referenceKernels, ok, 2, x, w, y)).toThrow(/too short/);
    expect(() => convForward(referenceKernels, ok, 1, x, w.subarray(1), y)).toThrow(/weight/);
    expect(() => convForward(referenceKernels, ok, 1, x, w, y, { workspace: new Float32Array(3) })).toThrow(/workspace/);
    expect(() => convTranspose(referenceKernels, ok, 1, y, w, x.subarray(1))).toThrow(/too short/);
    expect(() => convWeightGrad(referenceKernels, ok, 0, x, y, w)).toThrow(/batch/);
    expect(() =>
      poolForward({ kind: 'max', size: 2, stride: 2 }, { channels: 1, height: 4, width: 4 }, 1, new Float32Array(16), new Float32Array(4)),
    ).toThrow(/argmax/);
    expect(() =>
      maxUnpool(
        { kind: 'max', size: 2, stride: 2 },
        { channels: 1, height: 2, width: 2 },
        1,
        new Float32Array(1),
        Int32Array.of(9),
        new Float32Array(4),
      ),
    ).toThrow(/out of range/);
  });
});

describe('im2col / col2im', () => {
  test.each(CASES.map((k) => [specName(k.spec, k.m), k] as const))('%s', (_name, { spec, m }) => {
    const rng = makeRng(`im2col/${specName(spec, m)}`);
    const d = convDims(spec);
    const per = d.colRows * d.colCols;
    const x = normals(rng, m * d.inSize);
    const col = new Float32Array(m * per).fill(Number.NaN); // every element must be written
    im2col(spec, m, x, col);
    expect(Array.from(col)).toEqual(Array.from(im2colDirect(spec, m, x)));

    // adjointness ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩
    const cv = normals(rng, m * per);
    const back = new Float32Array(m * d.inSize);
    col2im(spec, m, cv, back);
    const T = dot(abs(col), abs(cv));
    expect(Math.abs(dot(col, cv) - dot(x, back))).toBeLessThanOrEqual((spec.kernel ** 2 + 4) * U32 * T + 1e-30);

    // exact on small integers; col2im accumulates
    const xi = ints(rng, m * d.inSize, -3, 3);
    const ci = ints(rng, m * per, -3, 3);
    const coli = new Float32Array(m * per);
    im2col(spec, m, xi, coli);
    const x0 = ints(rng, m * d.inSize, -2, 2);
    const acc = Float32Array.from(x0);
    col2im(spec, m, ci, acc);
    const back0 = new Float32Array(m * d.inSize);
    col2im(spec, m, ci, back0);
    expect(dot(coli, ci)).toBe(dot(xi, back0));
    for (let i = 0; i < acc.length; i++) expect(acc[i]).toBe(x0[i] + back0[i]);
  });
});

describe.each(BACKENDS)('conv on %s kernels', (_label, kernels) => {
  const checkCase = (spec: ConvSpec, m: number, fd: boolean): void => {
    const rng = makeRng(`conv/${specName(spec, m)}`);
    const d = convDims(spec);
    const k2 = spec.kernel * spec.kernel;
    const x = normals(rng, m * d.inSize);
    const w = normals(rng, d.weightSize);
    const yv = normals(rng, m * d.outSize);
    const ws = new Float32Array(convWorkspaceSize(spec));

    // ---- forward: plain, then scaled + accumulated; the buffer's tail beyond m·outSize is untouched
    const SENT = -1234.5;
    const y = new Float32Array(m * d.outSize + 3).fill(SENT);
    convForward(kernels, spec, m, x, w, y, { workspace: ws });
    const yRef = convForwardDirect(spec, m, x, w);
    const yAbs = convForwardDirect(spec, m, abs(x), abs(w));
    expectWithin('forward', y, yRef, (i) => (d.colRows + 4) * U32 * yAbs[i]);
    expect(Array.from(y.subarray(m * d.outSize))).toEqual([SENT, SENT, SENT]);
    const y0 = normals(rng, m * d.outSize);
    const yAcc = Float32Array.from(y0);
    convForward(kernels, spec, m, x, w, yAcc, { scale: -0.75, accumulate: true });
    expectWithin(
      'forward (scale, accumulate)',
      yAcc,
      Array.from(yRef, (v, i) => y0[i] - 0.75 * v),
      (i) => (d.colRows + 4) * U32 * (0.75 * yAbs[i] + Math.abs(y0[i])),
    );

    // ---- transpose
    const xt = new Float32Array(m * d.inSize).fill(Number.NaN); // overwritten, NaN must not leak
    convTranspose(kernels, spec, m, yv, w, xt, { workspace: ws });
    const xtRef = convTransposeDirect(spec, m, yv, w);
    const xtAbs = convTransposeDirect(spec, m, abs(yv), abs(w));
    const kT = spec.outChannels + k2 + 5;
    expectWithin('transpose', xt, xtRef, (i) => kT * U32 * xtAbs[i]);
    const x0 = normals(rng, m * d.inSize);
    const xtAcc = Float32Array.from(x0);
    convTranspose(kernels, spec, m, yv, w, xtAcc, { scale: 1.5, accumulate: true });
    expectWithin(
      'transpose (scale, accumulate)',
      xtAcc,
      Array.from(xtRef, (v, i) => x0[i] + 1.5 * v),
      (i) => kT * U32 * (1.5 * xtAbs[i] + Math.abs(x0[i])),
    );

    // ---- adjointness ⟨conv(x), y⟩ = ⟨x, convᵀ(y)⟩
    const T = dot(yAbs, abs(yv));
    expect(Math.abs(dot(y.subarray(0, m * d.outSize), yv) - dot(x, xt))).toBeLessThanOrEqual((d.colRows + kT + 12) * U32 * T + 1e-30);
    expect(Math.abs(dot(yRef, yv) - dot(x, xtRef))).toBeLessThanOrEqual(1e-12 * T + 1e-300);

    // ---- weight gradient (dy = yv)
    const dw = new Float32Array(d.weightSize).fill(Number.NaN);
    convWeightGrad(kernels, spec, m, x, yv, dw, { workspace: ws });
    const dwRef = convWeightGradDirect(spec, m, x, yv);
    const dwAbs = convWeightGradDirect(spec, m, abs(x), abs(yv));
    const kG = m * d.colCols + m + 4;
    expectWithin('weight grad', dw, dwRef, (i) => kG * U32 * dwAbs[i]);
    const dw0 = normals(rng, d.weightSize);
    const dwAcc = Float32Array.from(dw0);
    convWeightGrad(kernels, spec, m, x, yv, dwAcc, { scale: 0.25, accumulate: true });
    expectWithin(
      'weight grad (scale, accumulate)',
      dwAcc,
      Array.from(dwRef, (v, i) => dw0[i] + 0.25 * v),
      (i) => kG * U32 * (0.25 * dwAbs[i] + Math.abs(dw0[i])),
    );

    // ---- weight gradient vs central finite differences of L(W) = ⟨conv(x; W), R⟩, R = yv
    if (fd) {
      const h = 1e-2;
      const wp = Float64Array.from(w);
      const L = (): number => dot(convForwardDirect(spec, m, x, wp), yv);
      for (let i = 0; i < d.weightSize; i++) {
        const w0 = wp[i];
        wp[i] = w0 + h;
        const lp = L();
        wp[i] = w0 - h;
        const lm = L();
        wp[i] = w0;
        const g = (lp - lm) / (2 * h);
        const tolFd = 1e-10 * T + 1e-30;
        if (!(Math.abs(dwRef[i] - g) <= tolFd)) throw new Error(`direct grad[${i}] ${dwRef[i]} vs fd ${g}`);
        if (!(Math.abs(dw[i] - g) <= tolFd + kG * U32 * dwAbs[i])) throw new Error(`fast grad[${i}] ${dw[i]} vs fd ${g}`);
      }
    }
  };

  test.each(CASES.map((k) => [specName(k.spec, k.m), k] as const))('fast == direct, adjoint, FD gradient: %s', (_name, { spec, m }) =>
    checkCase(spec, m, true),
  );

  test.each(PAPER.map((k) => [specName(k.spec, k.m), k] as const))('paper layer shape %s', (_name, { spec, m }) =>
    checkCase(spec, m, false),
  );

  test('workspace reuse across calls and specs gives identical results', () => {
    const rng = makeRng('conv/workspace');
    const a: ConvSpec = { inChannels: 3, outChannels: 4, kernel: 3, stride: 2, padding: 1, height: 9, width: 8 };
    const b: ConvSpec = { inChannels: 2, outChannels: 2, kernel: 5, stride: 1, padding: 2, height: 6, width: 6 };
    const ws = new Float32Array(Math.max(convWorkspaceSize(a), convWorkspaceSize(b))).fill(Number.NaN);
    for (const spec of [a, b, a]) {
      const d = convDims(spec);
      const x = normals(rng, 2 * d.inSize);
      const w = normals(rng, d.weightSize);
      const y1 = new Float32Array(2 * d.outSize);
      const y2 = new Float32Array(2 * d.outSize);
      convForward(kernels, spec, 2, x, w, y1, { workspace: ws });
      convForward(kernels, spec, 2, x, w, y2);
      expect(Array.from(y1)).toEqual(Array.from(y2));
      const g1 = new Float32Array(d.weightSize);
      const g2 = new Float32Array(d.weightSize);
      convWeightGrad(kernels, spec, 2, x, y1, g1, { workspace: ws });
      convWeightGrad(kernels, spec, 2, x, y1, g2);
      expect(Array.from(g1)).toEqual(Array.from(g2));
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// Pooling

interface PoolCase {
  shape: FeatureShape;
  size: number;
  stride: number;
  m: number;
}

const POOLS: PoolCase[] = [
  { m: 2, shape: { channels: 3, height: 8, width: 8 }, size: 2, stride: 2 }, // the paper's pool 2
  { m: 1, shape: { channels: 2, height: 7, width: 5 }, size: 2, stride: 2 }, // odd: last row/col dropped
  { m: 2, shape: { channels: 2, height: 9, width: 7 }, size: 3, stride: 2 }, // overlapping windows
  { m: 3, shape: { channels: 1, height: 6, width: 9 }, size: 3, stride: 3 },
  { m: 1, shape: { channels: 4, height: 5, width: 6 }, size: 2, stride: 3 }, // gaps between windows
  { m: 2, shape: { channels: 2, height: 4, width: 3 }, size: 1, stride: 1 }, // identity
  { m: 1, shape: { channels: 2, height: 6, width: 6 }, size: 3, stride: 1 }, // heavy overlap
];

const poolName = (p: PoolCase): string =>
  `m${p.m} C${p.shape.channels} ${p.shape.height}×${p.shape.width} size ${p.size} stride ${p.stride}`;

describe('pooling', () => {
  test.each(POOLS.map((p) => [poolName(p), p] as const))('%s', (_name, { shape, size, stride, m }) => {
    const rng = makeRng(`pool/${poolName({ shape, size, stride, m })}`);
    const maxSpec: PoolSpec = { kind: 'max', size, stride };
    const avgSpec: PoolSpec = { kind: 'avg', size, stride };
    const out = poolOutShape(maxSpec, shape);
    const nIn = m * shapeSize(shape);
    const nOut = m * shapeSize(out);
    const x = normals(rng, nIn);
    const yv = normals(rng, nOut);

    // ---- max pool: bit-exact values and argmax
    const y = new Float32Array(nOut);
    const arg = new Int32Array(nOut);
    maxPool(maxSpec, shape, m, x, y, arg);
    const ref = maxPoolDirect(maxSpec, shape, m, x);
    expect(Array.from(y)).toEqual(Array.from(ref.y));
    expect(Array.from(arg)).toEqual(Array.from(ref.argmax));

    // ---- round trip: unpool(pool(x)) keeps exactly the maxima (× times chosen), zeros elsewhere
    const count = new Int32Array(nIn);
    for (const j of arg) count[j]++;
    const rt = new Float32Array(nIn).fill(Number.NaN);
    poolTranspose(maxSpec, shape, m, y, rt, arg);
    for (let i = 0; i < nIn; i++) {
      if (count[i] === 0) expect(rt[i]).toBe(0);
      else if (count[i] === 1) expect(rt[i]).toBe(x[i]);
      else expect(Math.abs(rt[i] - count[i] * x[i])).toBeLessThanOrEqual(count[i] * U32 * Math.abs(x[i]) * count[i]);
    }
    if (stride >= size) for (let i = 0; i < nIn; i++) expect(count[i]).toBeLessThanOrEqual(1);

    // ---- unpool of arbitrary y vs direct; adjointness of the selection ⟨P x, y⟩ = ⟨x, Pᵀ y⟩
    const up = new Float32Array(nIn);
    maxUnpool(maxSpec, shape, m, yv, arg, up);
    const upRef = maxUnpoolDirect(shape, m, yv, arg);
    const upAbs = maxUnpoolDirect(shape, m, abs(yv), arg);
    expectWithin('maxUnpool', up, upRef, (i) => (count[i] + 1) * U32 * upAbs[i]);
    expect(Math.abs(dot(y, yv) - dot(x, up))).toBeLessThanOrEqual((size * size + 4) * U32 * dot(abs(x), upAbs) + 1e-30);
    const up0 = normals(rng, nIn);
    const upAcc = Float32Array.from(up0);
    maxUnpool(maxSpec, shape, m, yv, arg, upAcc, { scale: 2, accumulate: true });
    expectWithin(
      'maxUnpool (scale, accumulate)',
      upAcc,
      Array.from(upRef, (v, i) => up0[i] + 2 * v),
      (i) => (count[i] + 2) * U32 * (2 * upAbs[i] + Math.abs(up0[i])),
    );

    // ---- average pool and its adjoint
    const k2 = size * size;
    const ya = new Float32Array(nOut);
    poolForward(avgSpec, shape, m, x, ya);
    const yaRef = avgPoolDirect(avgSpec, shape, m, x);
    const yaAbs = avgPoolDirect(avgSpec, shape, m, abs(x));
    expectWithin('avgPool', ya, yaRef, (i) => (k2 + 4) * U32 * yaAbs[i]);
    const ya0 = normals(rng, nOut);
    const yaAcc = Float32Array.from(ya0);
    avgPool(avgSpec, shape, m, x, yaAcc, { scale: -3, accumulate: true });
    expectWithin(
      'avgPool (scale, accumulate)',
      yaAcc,
      Array.from(yaRef, (v, i) => ya0[i] - 3 * v),
      (i) => (k2 + 4) * U32 * (3 * yaAbs[i] + Math.abs(ya0[i])),
    );

    const xa = new Float32Array(nIn).fill(Number.NaN);
    poolTranspose(avgSpec, shape, m, yv, xa);
    const xaRef = avgPoolTransposeDirect(avgSpec, shape, m, yv);
    const xaAbs = avgPoolTransposeDirect(avgSpec, shape, m, abs(yv));
    expectWithin('avgPoolTranspose', xa, xaRef, (i) => (k2 + 4) * U32 * xaAbs[i]);
    const xa0 = normals(rng, nIn);
    const xaAcc = Float32Array.from(xa0);
    avgPoolTranspose(avgSpec, shape, m, yv, xaAcc, { scale: 0.5, accumulate: true });
    expectWithin(
      'avgPoolTranspose (scale, accumulate)',
      xaAcc,
      Array.from(xaRef, (v, i) => xa0[i] + 0.5 * v),
      (i) => (k2 + 4) * U32 * (0.5 * xaAbs[i] + Math.abs(xa0[i])),
    );

    const T = dot(yaAbs, abs(yv));
    expect(Math.abs(dot(ya, yv) - dot(x, xa))).toBeLessThanOrEqual((2 * k2 + 8) * U32 * T + 1e-30);
    expect(Math.abs(dot(yaRef, yv) - dot(x, xaRef))).toBeLessThanOrEqual(1e-12 * T + 1e-300);
  });

  test('max-pool ties go to the first element of the window in row-major order', () => {
    const shape: FeatureShape = { channels: 1, height: 4, width: 4 };
    const x = new Float32Array(16).fill(1);
    x[5] = 2;
    x[6] = 2; // window (0,1) covers indices 2,3,6,7 → 6; window (0,0) covers 0,1,4,5 → 5
    const y = new Float32Array(4);
    const arg = new Int32Array(4);
    maxPool({ kind: 'max', size: 2, stride: 2 }, shape, 1, x, y, arg);
    expect(Array.from(arg)).toEqual([5, 6, 8, 10]);
    expect(Array.from(y)).toEqual([2, 2, 1, 1]);
  });
});
