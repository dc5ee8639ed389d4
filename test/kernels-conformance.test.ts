/**
 * Conformance of the kernel backends (simulator/kernels/kernels.ts).
 *
 *  - The reference TypeScript kernels against a naive float64 triple loop (always runs).
 *  - The OpenBLAS addon ('openblas-native') against the reference (runs when the addon loads; if it
 *    doesn't, the suite logs why and only the reference tests run — set FRE_REQUIRE_NATIVE=1 in CI
 *    to turn a missing addon into a failure).
 *  - Bad arguments throw a JS error instead of crashing the process (both the Kernels wrapper and
 *    the raw addon), and backend selection (select.ts).
 *
 * Every case is seeded through util/rng.ts. Operands are subarray views into larger buffers with
 * offsets and leading dimensions > cols; the padding of A and B is NaN (reading it poisons the
 * result) and the padding of C is a sentinel that must survive untouched.
 *
 * Tolerances, per element, with S_ij = |alpha|·Σ_k |a_ik||b_kj| + |beta|·|c_ij| (computed in float64):
 *  - native vs reference: |native − ref| ≤ (K + 4) · 2⁻²³ · S_ij. This is twice the rigorous
 *    worst-case error bound γ_{K+3} ≈ (K+3)·u of any float32 summation order (u = 2⁻²⁴, plus the
 *    alpha/beta products and the final add), so it holds for OpenBLAS's blocked/FMA/threaded order
 *    and is ~80× tighter than the usual 1e-5·K rule of thumb.
 *  - reference vs naive float64: |ref − exact| ≤ 2⁻²³ · S_ij + 1e-30 (the reference accumulates in
 *    float64 and rounds once to float32).
 *  - Small-integer operands (exactly representable sums): native must equal reference bit for bit.
 */
import type { Kernels, Trans } from '../simulator/kernels/kernels';
import { referenceKernels } from '../simulator/kernels/reference';
import { loadNativeAddon, loadNativeKernels, nativeUnavailableReason, setNativeThreads } from '../simulator/kernels/native';
import { describeBackend, selectKernels } from '../simulator/kernels/select';
import { makeRng, type Rng } from '../util/rng';

const U = 2 ** -24;
const TRANS: ReadonlyArray<readonly [Trans, Trans]> = [
  ['N', 'N'],
  ['N', 'T'],
  ['T', 'N'],
  ['T', 'T'],
];
const ODD_SIZES = [1, 2, 3, 5, 7, 16, 17, 31, 33, 64, 65, 127, 129];
const C_SENTINEL = -7777.25;

const native = loadNativeKernels();
const addon = loadNativeAddon();
if (native === null) {
  console.warn(
    `kernels-conformance: native backend unavailable (${nativeUnavailableReason()}); ` +
      'testing only the reference kernels against a naive triple loop',
  );
}
const describeNative = native !== null ? describe : describe.skip;

// ---------------------------------------------------------------------------------------------------
// Case construction

interface Operand {
  /** The whole backing buffer (padding included). */
  buf: Float32Array;
  /** The view handed to gemm (a subarray of buf starting at `off`). */
  view: Float32Array;
  off: number;
  ld: number;
  rows: number;
  cols: number;
}

function span(rows: number, cols: number, ld: number): number {
  return rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
}

/** rows×cols with row stride ld placed at `off` in a buffer of padding; the view may run to the end. */
function makeOperand(
  rows: number,
  cols: number,
  ld: number,
  off: number,
  tail: number,
  exactView: boolean,
  pad: number,
  value: (r: number, c: number) => number,
): Operand {
  const used = span(rows, cols, ld);
  const buf = new Float32Array(off + used + tail).fill(pad);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) buf[off + r * ld + c] = value(r, c);
  const view = exactView ? buf.subarray(off, off + used) : buf.subarray(off);
  return { buf, view, off, ld, rows, cols };
}

interface GemmCase {
  label: string;
  ta: Trans;
  tb: Trans;
  M: number;
  N: number;
  K: number;
  alpha: number;
  beta: number;
  A: Operand;
  B: Operand;
  /** C before the call (the backend gets a fresh copy). */
  C: Operand;
}

interface CaseSpec {
  ta: Trans;
  tb: Trans;
  M: number;
  N: number;
  K: number;
  alpha: number;
  beta: number;
  padA?: number;
  padB?: number;
  padC?: number;
  offA?: number;
  offB?: number;
  offC?: number;
  exactView?: boolean;
  /** Operand values; default uniform in [-1, 1). */
  value?: (rng: Rng) => number;
  /** C's initial values when beta ≠ 0 (beta = 0 always starts from NaN). */
  cValue?: (rng: Rng) => number;
}

function makeCase(rng: Rng, s: CaseSpec): GemmCase {
  const value = s.value ?? ((r: Rng) => 2 * r.uniform() - 1);
  const cValue = s.cValue ?? value;
  const [aRows, aCols] = s.ta === 'N' ? [s.M, s.K] : [s.K, s.M];
  const [bRows, bCols] = s.tb === 'N' ? [s.K, s.N] : [s.N, s.K];
  const exact = s.exactView ?? false;
  const A = makeOperand(aRows, aCols, aCols + (s.padA ?? 0), s.offA ?? 0, 3, exact, Number.NaN, () => value(rng));
  const B = makeOperand(bRows, bCols, bCols + (s.padB ?? 0), s.offB ?? 0, 2, exact, Number.NaN, () => value(rng));
  const C = makeOperand(s.M, s.N, s.N + (s.padC ?? 0), s.offC ?? 0, 5, exact, C_SENTINEL, () => (s.beta === 0 ? Number.NaN : cValue(rng)));
  const label =
    `${s.ta}${s.tb} M=${s.M} N=${s.N} K=${s.K} alpha=${s.alpha} beta=${s.beta} ` +
    `lda=${A.ld} ldb=${B.ld} ldc=${C.ld} off=${A.off}/${B.off}/${C.off}${exact ? ' exact-views' : ''}`;
  return { label, ta: s.ta, tb: s.tb, M: s.M, N: s.N, K: s.K, alpha: s.alpha, beta: s.beta, A, B, C };
}

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}

/** A random case: sizes mostly from the odd-size list, sometimes arbitrary in [1, 150]. */
function randomCase(rng: Rng, ta: Trans, tb: Trans): GemmCase {
  const dim = (): number => (rng.uniform() < 0.7 ? pick(rng, ODD_SIZES) : 1 + rng.int(150));
  return makeCase(rng, {
    ta,
    tb,
    M: dim(),
    N: dim(),
    K: dim(),
    alpha: pick(rng, [1, 1, -1, 0.5, 2.5, -0.75, 0]),
    beta: pick(rng, [0, 0, 1, -1, 0.25, 2]),
    padA: pick(rng, [0, 0, 1, 3, 17]),
    padB: pick(rng, [0, 0, 1, 4, 33]),
    padC: pick(rng, [0, 0, 2, 7]),
    offA: pick(rng, [0, 1, 5, 64]),
    offB: pick(rng, [0, 3, 16]),
    offC: pick(rng, [0, 1, 9]),
    exactView: rng.uniform() < 0.5,
  });
}

// ---------------------------------------------------------------------------------------------------
// Running and checking

/** Runs the backend on a fresh copy of C's buffer; returns that buffer. */
function run(k: Kernels, c: GemmCase): Float32Array {
  const buf = c.C.buf.slice();
  const view = buf.subarray(c.C.off, c.C.off + c.C.view.length);
  k.gemm(c.ta, c.tb, c.M, c.N, c.K, c.alpha, c.A.view, c.A.ld, c.B.view, c.B.ld, c.beta, view, c.C.ld);
  return buf;
}

/** Naive float64 triple loop: exact-ish result and the error scale S_ij, both M×N dense. */
function naive(c: GemmCase): { exact: Float64Array; scale: Float64Array } {
  const { M, N, K, alpha, beta } = c;
  const Ab = c.A.buf,
    Bb = c.B.buf,
    Cb = c.C.buf;
  // Element strides of op(A) along i and k, and of op(B) along j and k.
  const aI = c.ta === 'N' ? c.A.ld : 1,
    aK = c.ta === 'N' ? 1 : c.A.ld;
  const bJ = c.tb === 'N' ? 1 : c.B.ld,
    bK = c.tb === 'N' ? c.B.ld : 1;
  const exact = new Float64Array(M * N);
  const scale = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      let m = 0;
      let pa = c.A.off + i * aI;
      let pb = c.B.off + j * bJ;
      for (let k = 0; k < K; k++) {
        const p = Ab[pa] * Bb[pb];
        s += p;
        // Not Math.abs: under jest's vm context a Math.* call is not inlined and this loop runs ~80× slower.
        m += p < 0 ? -p : p;
        pa += aK;
        pb += bK;
      }
      const c0 = Cb[c.C.off + i * c.C.ld + j];
      exact[i * N + j] = alpha * s + (beta === 0 ? 0 : beta * c0);
      scale[i * N + j] = Math.abs(alpha) * m + (beta === 0 ? 0 : Math.abs(beta * c0));
    }
  }
  return { exact, scale };
}

/**
 * '' if `got` (C's whole buffer after the call) matches `want` within tolRel·scale + tolAbs inside
 * the view and the padding still holds what it held before; else a description of the first
 * mismatches.
 */
function compare(
  c: GemmCase,
  got: Float32Array,
  want: ArrayLike<number>,
  wantIsBuffer: boolean,
  scale: Float64Array,
  tolRel: number,
  tolAbs = 1e-30,
): string {
  const { M, N } = c;
  const ldc = c.C.ld;
  const off = c.C.off;
  const inside = new Uint8Array(got.length);
  const problems: string[] = [];
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      const p = off + i * ldc + j;
      inside[p] = 1;
      const w = wantIsBuffer ? want[p] : want[i * N + j];
      const g = got[p];
      const tol = tolRel * scale[i * N + j] + tolAbs;
      if (!(Math.abs(g - w) <= tol)) {
        if (problems.length < 5) problems.push(`C[${i},${j}] = ${g}, want ${w} (|diff| ${Math.abs(g - w)} > tol ${tol})`);
        else if (problems.length === 5) problems.push('…');
      }
    }
  }
  for (let p = 0; p < got.length; p++) {
    if (!inside[p] && !Object.is(got[p], c.C.buf[p])) {
      problems.push(`padding C.buf[${p}] changed from ${c.C.buf[p]} to ${got[p]}`);
      break;
    }
  }
  return problems.length === 0 ? '' : `${c.label}: ${problems.join('; ')}`;
}

function checkReferenceAgainstNaive(c: GemmCase): string {
  const got = run(referenceKernels, c);
  const { exact, scale } = naive(c);
  return compare(c, got, exact, false, scale, 2 * U);
}

function checkNativeAgainstReference(k: Kernels, c: GemmCase): string {
  const got = run(k, c);
  const want = run(referenceKernels, c);
  const { scale } = naive(c);
  return compare(c, got, want, true, scale, (c.K + 4) * 2 * U);
}

function failures(cases: GemmCase[], check: (c: GemmCase) => string): string[] {
  return cases.map(check).filter((m) => m !== '');
}

// ---------------------------------------------------------------------------------------------------

describe('reference kernels vs naive triple loop', () => {
  for (const [ta, tb] of TRANS) {
    test(`${ta}${tb}: random shapes, alpha/beta, strides and offsets`, () => {
      const rng = makeRng('conformance/reference').fork(`${ta}${tb}`);
      const cases = Array.from({ length: 30 }, () => randomCase(rng, ta, tb));
      expect(failures(cases, checkReferenceAgainstNaive)).toEqual([]);
    });
  }

  test('beta = 0 overwrites a NaN-filled C; K = 0 scales C; M = 0 / N = 0 leave C alone', () => {
    const rng = makeRng('conformance/reference-edges');
    const cases = [
      makeCase(rng, { ta: 'N', tb: 'T', M: 17, N: 33, K: 65, alpha: 1, beta: 0, padC: 3, offC: 2 }),
      makeCase(rng, { ta: 'N', tb: 'N', M: 5, N: 7, K: 0, alpha: 1, beta: 0 }),
      makeCase(rng, { ta: 'T', tb: 'N', M: 5, N: 7, K: 0, alpha: 2, beta: -1.5 }),
      makeCase(rng, { ta: 'N', tb: 'N', M: 0, N: 7, K: 3, alpha: 1, beta: 0.5 }),
      makeCase(rng, { ta: 'T', tb: 'T', M: 4, N: 0, K: 3, alpha: 1, beta: 0.5 }),
    ];
    expect(failures(cases, checkReferenceAgainstNaive)).toEqual([]);
    const c = run(referenceKernels, cases[0]);
    expect(c.some((x) => Number.isNaN(x))).toBe(false);
  });

  test('rejects bad strides and short buffers', () => {
    const f = new Float32Array(64);
    expect(() => referenceKernels.gemm('N', 'N', 4, 4, 4, 1, f, 3, f, 4, 0, f, 4)).toThrow(/leading dimension/);
    expect(() => referenceKernels.gemm('N', 'N', 9, 8, 8, 1, f, 8, f, 8, 0, f, 8)).toThrow(/too short/);
  });
});

describeNative('openblas-native vs reference', () => {
  const k = native as Kernels;

  for (const [ta, tb] of TRANS) {
    test(`${ta}${tb}: random shapes, alpha/beta, strides and offsets`, () => {
      const rng = makeRng('conformance/native').fork(`${ta}${tb}`);
      const cases = Array.from({ length: 40 }, () => randomCase(rng, ta, tb));
      expect(failures(cases, (c) => checkNativeAgainstReference(k, c))).toEqual([]);
    });

    test(`${ta}${tb}: small-integer operands give bit-identical results`, () => {
      const rng = makeRng('conformance/native-exact').fork(`${ta}${tb}`);
      const cases = [1, 3, 17, 33, 65, 129].map((d, n) =>
        makeCase(rng, {
          ta,
          tb,
          M: d,
          N: ODD_SIZES[(n * 5) % ODD_SIZES.length],
          K: 2 * d + 1,
          alpha: 1,
          beta: [0, 1, -2][n % 3],
          padA: n % 2,
          padB: 3,
          padC: 1,
          offA: n,
          offB: 2,
          offC: 1,
          value: (r) => r.int(9) - 4,
          cValue: (r) => r.int(9) - 4,
        }),
      );
      for (const c of cases) {
        const got = run(k, c);
        const want = run(referenceKernels, c);
        expect(`${c.label}: ${Array.from(got).join(',')}`).toBe(`${c.label}: ${Array.from(want).join(',')}`);
      }
    });
  }

  test('engine shapes: 500×512×784 NT, 500×512×512 NT and NN, 512×784 with K=500 TN', () => {
    const rng = makeRng('conformance/native-engine');
    const cases = [
      makeCase(rng, { ta: 'N', tb: 'T', M: 500, N: 512, K: 784, alpha: 1, beta: 0 }),
      makeCase(rng, { ta: 'N', tb: 'T', M: 500, N: 512, K: 512, alpha: 1, beta: 1 }),
      makeCase(rng, { ta: 'N', tb: 'N', M: 500, N: 512, K: 512, alpha: -0.5, beta: 0 }),
      makeCase(rng, { ta: 'T', tb: 'N', M: 512, N: 784, K: 500, alpha: 0.002, beta: 0.9 }),
    ];
    expect(failures(cases, (c) => checkNativeAgainstReference(k, c))).toEqual([]);
  });

  // Activation: the native tanh is a rational approximation (Eigen's float tanh); the bound below
  // is its measured worst case (2.8e-7) with a little room. Hard-sigmoid is exact; the sigmoid
  // uses expf (float) against Math.exp (double).
  test.each([
    ['tanh', 4e-7],
    ['hard-sigmoid', 0],
    ['sigmoid', 2e-7],
  ] as const)('activate %s matches the reference within %s, on odd lengths and views', (kind, tol) => {
    const rng = makeRng('conformance/activate').fork(kind);
    for (const n of [1, 3, 17, 1000, 4099]) {
      const buf = new Float32Array(n + 8);
      for (let i = 0; i < buf.length; i++) buf[i] = (rng.uniform() - 0.5) * 24;
      buf[4] = 0;
      buf[5] = 1e-6;
      buf[6] = -3e-4;
      const h = buf.subarray(3, 3 + n);
      const want = new Float32Array(n + 2).fill(C_SENTINEL);
      const got = new Float32Array(n + 2).fill(C_SENTINEL);
      referenceKernels.activate(kind, h, want.subarray(1, n + 1), n);
      k.activate(kind, h, got.subarray(1, n + 1), n);
      let worst = 0;
      for (let i = 0; i < n + 2; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
      expect(worst).toBeLessThanOrEqual(tol);
      expect(got[0]).toBe(C_SENTINEL);
      expect(got[n + 1]).toBe(C_SENTINEL);
    }
    expect(() => addon!.activate(7, new Float32Array(2), new Float32Array(2), 2)).toThrow(/kind/);
    expect(() => addon!.activate(0, new Float32Array(2), new Float32Array(1), 2)).toThrow(/exceeds/);
  });

  test('adamStep matches the reference (float32 vs float64 arithmetic) over several steps', () => {
    const rng = makeRng('conformance/adam');
    const n = 1031;
    const init = () => Float32Array.from({ length: n }, () => rng.normal());
    const w0 = init();
    const grads = [init(), init(), init()];
    const state = () => ({ w: w0.slice(), m: new Float32Array(n), v: new Float32Array(n) });
    const a = state();
    const b = state();
    grads.forEach((g, t) => {
      const c1 = 1e-3 / (1 - 0.9 ** (t + 1));
      const c2 = 1 / Math.sqrt(1 - 0.999 ** (t + 1));
      referenceKernels.adamStep(a.w, g, a.m, a.v, n, 0.9, 0.999, c1, c2, 1e-8);
      k.adamStep(b.w, g, b.m, b.v, n, 0.9, 0.999, c1, c2, 1e-8);
    });
    let worst = 0;
    let moved = 0;
    for (let i = 0; i < n; i++) {
      worst = Math.max(worst, Math.abs(a.w[i] - b.w[i]));
      moved = Math.max(moved, Math.abs(a.w[i] - w0[i]));
    }
    expect(moved).toBeGreaterThan(1e-3); // the step did something
    expect(worst).toBeLessThan(1e-6); // ≈ a few float32 ulps of the step size
  });

  test('alpha/beta corner cases: beta = 0 with NaN C, alpha = 0, K = 0, M = 0, N = 0', () => {
    const rng = makeRng('conformance/native-edges');
    const cases: GemmCase[] = [];
    for (const [ta, tb] of TRANS) {
      cases.push(makeCase(rng, { ta, tb, M: 33, N: 17, K: 65, alpha: 1, beta: 0, padC: 4, offC: 3 }));
      cases.push(makeCase(rng, { ta, tb, M: 33, N: 17, K: 65, alpha: -2, beta: 0, padA: 5, padB: 1 }));
      cases.push(makeCase(rng, { ta, tb, M: 9, N: 10, K: 11, alpha: 0, beta: 0 }));
      cases.push(makeCase(rng, { ta, tb, M: 9, N: 10, K: 11, alpha: 0, beta: 1 }));
      cases.push(makeCase(rng, { ta, tb, M: 9, N: 10, K: 11, alpha: 0, beta: -0.5 }));
      cases.push(makeCase(rng, { ta, tb, M: 6, N: 5, K: 0, alpha: 1, beta: 0 }));
      cases.push(makeCase(rng, { ta, tb, M: 6, N: 5, K: 0, alpha: 1, beta: 3 }));
      cases.push(makeCase(rng, { ta, tb, M: 0, N: 5, K: 4, alpha: 1, beta: 0 }));
      cases.push(makeCase(rng, { ta, tb, M: 6, N: 0, K: 4, alpha: 1, beta: 0 }));
      cases.push(makeCase(rng, { ta, tb, M: 1, N: 1, K: 1, alpha: 1, beta: 0 }));
    }
    expect(failures(cases, (c) => checkNativeAgainstReference(k, c))).toEqual([]);
    for (const c of cases.filter((x) => x.beta === 0)) {
      expect(run(k, c).some((x) => Number.isNaN(x))).toBe(false);
    }
  });

  test('views into one shared ArrayBuffer honour byteOffset and leave neighbours untouched', () => {
    const rng = makeRng('conformance/native-shared');
    const M = 17,
      N = 33,
      K = 65,
      lda = K + 3,
      ldb = K + 1,
      ldc = N + 5;
    const shared = new Float32Array(10_000).fill(C_SENTINEL);
    const A = shared.subarray(7, 7 + span(M, K, lda));
    const B = shared.subarray(3001, 3001 + span(N, K, ldb));
    const C = shared.subarray(6003, 6003 + span(M, N, ldc));
    for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) A[i * lda + k] = rng.normal();
    for (let j = 0; j < N; j++) for (let k = 0; k < K; k++) B[j * ldb + k] = rng.normal();
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) C[i * ldc + j] = Number.NaN;
    const shared2 = shared.slice();
    const C2 = shared2.subarray(6003, 6003 + span(M, N, ldc));
    k.gemm('N', 'T', M, N, K, 1, A, lda, B, ldb, 0, C, ldc);
    referenceKernels.gemm('N', 'T', M, N, K, 1, A, lda, B, ldb, 0, C2, ldc);
    let bad = '';
    for (let p = 0; p < shared.length && bad === ''; p++) {
      const inC = p >= 6003 && (p - 6003) % ldc < N && p < 6003 + span(M, N, ldc);
      if (!inC && !Object.is(shared[p], shared2[p])) bad = `element ${p} outside C changed`;
      if (inC) {
        const i = Math.floor((p - 6003) / ldc),
          j = (p - 6003) % ldc;
        let scale = 0;
        for (let q = 0; q < K; q++) scale += Math.abs(A[i * lda + q] * B[j * ldb + q]);
        const tol = (K + 4) * 2 * U * scale;
        if (!(Math.abs(shared[p] - shared2[p]) <= tol)) bad = `C[${i},${j}]: ${shared[p]} vs ${shared2[p]} (tol ${tol})`;
      }
    }
    expect(bad).toBe('');
  });

  test('OpenBLAS thread count can be set and results stay within tolerance', () => {
    const a = addon!;
    const before = a.getThreads();
    expect(before).toBeGreaterThanOrEqual(1);
    const rng = makeRng('conformance/native-threads');
    const c = makeCase(rng, { ta: 'N', tb: 'T', M: 200, N: 256, K: 300, alpha: 1, beta: 0 });
    try {
      expect(setNativeThreads(1)).toBe(true);
      expect(a.getThreads()).toBe(1);
      expect(checkNativeAgainstReference(k, c)).toBe('');
    } finally {
      setNativeThreads(before);
    }
    expect(a.getThreads()).toBe(before);
    expect(checkNativeAgainstReference(k, c)).toBe('');
  });

  test('the Kernels wrapper rejects bad strides and short buffers like the reference', () => {
    const f = new Float32Array(64);
    expect(() => k.gemm('N', 'N', 4, 4, 4, 1, f, 3, f, 4, 0, f, 4)).toThrow(/leading dimension/);
    expect(() => k.gemm('N', 'N', 9, 8, 8, 1, f, 8, f, 8, 0, f, 8)).toThrow(/too short/);
    expect(() => k.gemm('T', 'N', 4, 4, 4, 1, f.subarray(60), 4, f, 4, 0, f, 4)).toThrow(/too short/);
  });

  test('the raw addon throws JS errors (never crashes) on bad arguments', () => {
    const a = addon!;
    const f = new Float32Array(100);
    const ok: unknown[] = [false, false, 2, 2, 2, 1, f, 2, f, 2, 0, f, 2];
    const call = (args: unknown[]): void => (a.sgemm as (...xs: unknown[]) => void)(...args);
    const withArg = (i: number, v: unknown): unknown[] => ok.map((x, j) => (j === i ? v : x));
    expect(() => call(ok)).not.toThrow();
    const bad: Array<[string, unknown[], RegExp]> = [
      ['no arguments', [], /13 arguments/],
      ['too few arguments', ok.slice(0, 12), /13 arguments/],
      ['transA not boolean', withArg(0, 'N'), /transA must be a boolean/],
      ['transB not boolean', withArg(1, 1), /transB must be a boolean/],
      ['M a string', withArg(2, '2'), /M must be a number/],
      ['M negative', withArg(2, -1), /M must be an integer/],
      ['N fractional', withArg(3, 1.5), /N must be an integer/],
      ['K NaN', withArg(4, Number.NaN), /K must be an integer/],
      ['K beyond int32', withArg(4, 2 ** 31), /K must be an integer/],
      ['alpha a string', withArg(5, '1'), /alpha must be a number/],
      ['A a Float64Array', withArg(6, new Float64Array(100)), /A must be a Float32Array/],
      ['A a plain array', withArg(6, [1, 2, 3, 4]), /A must be a Float32Array/],
      ['B undefined', withArg(8, undefined), /B must be a Float32Array/],
      ['C an ArrayBuffer', withArg(11, new ArrayBuffer(400)), /C must be a Float32Array/],
      ['lda zero', withArg(7, 0), /leading dimension too small/],
      ['lda negative', withArg(7, -2), /lda must be an integer/],
      ['lda < cols', withArg(7, 1), /leading dimension too small/],
      ['ldc < N', withArg(12, 1), /leading dimension too small/],
      ['A too short', withArg(6, new Float32Array(3)), /input buffer too short/],
      ['B too short (view)', withArg(8, f.subarray(97)), /input buffer too short/],
      ['C too short', withArg(11, new Float32Array(3)), /output buffer too short/],
      ['huge M against a small C', withArg(2, 1_000_000), /too short/],
    ];
    for (const [what, args, msg] of bad) {
      let message = 'did not throw';
      try {
        call(args);
      } catch (e) {
        // Thrown from C via napi_throw_*; don't rely on instanceof across jest's vm realm.
        message = typeof (e as Error)?.message === 'string' ? (e as Error).message : `threw a non-Error: ${String(e)}`;
      }
      expect([what, message]).toEqual([what, expect.stringMatching(msg)]);
    }
    expect(() => a.setThreads(0)).toThrow(/setThreads/);
    expect(() => (a.setThreads as (x: unknown) => boolean)('2')).toThrow(/setThreads/);
    // Still healthy after all that.
    const c = new Float32Array(1);
    a.sgemm(false, false, 1, 1, 1, 1, new Float32Array([2]), 1, new Float32Array([3]), 1, 0, c, 1);
    expect(c[0]).toBe(6);
  });
});

describe('backend selection', () => {
  const saved = { backend: process.env.FRE_BACKEND, addon: process.env.FRE_NATIVE_ADDON };
  afterEach(() => {
    if (saved.backend === undefined) delete process.env.FRE_BACKEND;
    else process.env.FRE_BACKEND = saved.backend;
    if (saved.addon === undefined) delete process.env.FRE_NATIVE_ADDON;
    else process.env.FRE_NATIVE_ADDON = saved.addon;
  });

  test('native is required in CI when FRE_REQUIRE_NATIVE=1', () => {
    if (process.env.FRE_REQUIRE_NATIVE === '1') expect(nativeUnavailableReason()).toBeNull();
  });

  test("'reference', 'auto' and FRE_BACKEND", () => {
    delete process.env.FRE_BACKEND;
    expect(selectKernels('reference')).toBe(referenceKernels);
    expect(selectKernels()).toBe(native ?? referenceKernels);
    expect(selectKernels('auto')).toBe(native ?? referenceKernels);
    process.env.FRE_BACKEND = 'reference';
    expect(selectKernels('native')).toBe(referenceKernels);
    expect(describeBackend()).toMatch(/^kernels: reference-ts \(requested\)/);
    process.env.FRE_BACKEND = 'fastest';
    expect(() => selectKernels()).toThrow(/FRE_BACKEND=fastest/);
    delete process.env.FRE_BACKEND;
    if (native !== null) {
      expect(selectKernels('native')).toBe(native);
      expect(describeBackend()).toMatch(/^kernels: openblas-native/);
    } else {
      expect(() => selectKernels('native')).toThrow(/bash scripts\/setup\.sh/);
    }
  });

  test("without the addon: 'auto' falls back to reference, 'native' throws how to build it", () => {
    jest.isolateModules(() => {
      process.env.FRE_NATIVE_ADDON = '/nonexistent/fre_blas.node';
      delete process.env.FRE_BACKEND;
      // Loaded now, after the environment above changed: these modules read it when they load.
      /* eslint-disable @typescript-eslint/no-require-imports */
      const sel = require('../simulator/kernels/select') as typeof import('../simulator/kernels/select');
      const nat = require('../simulator/kernels/native') as typeof import('../simulator/kernels/native');
      /* eslint-enable @typescript-eslint/no-require-imports */
      expect(nat.loadNativeKernels()).toBeNull();
      expect(nat.nativeUnavailableReason()).toMatch(/not built/);
      expect(sel.selectKernels().name).toBe('reference-ts');
      expect(() => sel.selectKernels('native')).toThrow(/unavailable.*bash scripts\/setup\.sh/);
      process.env.FRE_BACKEND = 'native';
      expect(() => sel.selectKernels('reference')).toThrow(/FRE_BACKEND/);
      delete process.env.FRE_BACKEND;
      expect(sel.describeBackend()).toMatch(/reference-ts \(native unavailable: .*not built; build it with: bash scripts\/setup\.sh/);
    });
  });
});
