/**
 * The fused native conv reads (native/conv.c: convForwardMax, convBackwardMax) run a max-pooled conv
 * edge's whole chunk loop in one call, the chunks shared between two threads when the layout helper
 * is on. Checked against the engine's call-by-call loop (native im2row, the native sgemm with β = 0,
 * maxPoolRows per chunk; unpool, sgemm, row2im) bit for bit, on one thread and on two, for the specs'
 * shapes (mnist-conv's W0 and W1) and odd ones (padding, stride 2, k 4 with a 3/2 pool that leaves a
 * border unpooled, chunks that do not divide the batch); against the plain TypeScript reference (the
 * whole batch, reference GEMM) to float rounding; the feedback with the layer's drive and activation
 * fused in (EdgeOps.feedbackActivate) against the separate passes; a bad argmax; and an EP step, whose
 * states and gradients are bit-identical with and without the fused paths. Skipped without the addon.
 */
import { GraphBuilder } from '../graph/builder';
import { resolveNet, type Net } from '../graph/net';
import { initParams, type Params } from '../graph/params';
import type { ConvSpec, FeatureShape, PoolSpec } from '../graph/shapes';
import type { EdgeSpec } from '../graph/spec';
import { layoutKernels, layoutThreads, referenceLayout, setLayoutThreads, type LayoutKernels } from '../simulator/conv/layout-kernels';
import { EpEngine } from '../simulator/engine/ep';
import { IdealExecutor } from '../simulator/ideal-executor';
import type { Kernels } from '../simulator/kernels/kernels';
import { loadNativeAddon, setNativeThreads } from '../simulator/kernels/native';
import { referenceKernels } from '../simulator/kernels/reference';
import { selectKernels } from '../simulator/kernels/select';
import { makeGrads } from '../simulator/train';
import { makeRng } from '../util/rng';

const native = layoutKernels();
const kernels = selectKernels('auto');
const run = native.convForwardMax && native.convBackwardMax && kernels.name === 'openblas-native' ? describe : describe.skip;

/** The first index where the bits differ, or -1. */
function firstDiff(a: Float32Array | Int32Array, b: Float32Array | Int32Array): number {
  const x = new Int32Array(a.buffer, a.byteOffset, a.length);
  const y = new Int32Array(b.buffer, b.byteOffset, b.length);
  if (x.length !== y.length) return Math.min(x.length, y.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

function normal(n: number, seed: string): Float32Array {
  const rng = makeRng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
}

/** Values on a coarse grid: pool windows hold ties (the first maximum must win on either path). */
function coarse(n: number, seed: string): Float32Array {
  const rng = makeRng(seed);
  return Float32Array.from({ length: n }, () => Math.round(rng.normal() * 2) / 4);
}

const side = (n: number, k: number, s: number, p: number) => Math.floor((n + 2 * p - k) / s) + 1;

interface Case {
  spec: ConvSpec;
  pool: PoolSpec;
}
const CASES: [string, Case][] = [
  [
    'mnist-conv W1: 32 × 12×12 → 64, k 5, pool 2',
    {
      spec: { inChannels: 32, outChannels: 64, kernel: 5, stride: 1, padding: 0, height: 12, width: 12 },
      pool: { kind: 'max', size: 2, stride: 2 },
    },
  ],
  [
    'mnist-conv W0: 1 × 28×28 → 32, k 5, pool 2',
    {
      spec: { inChannels: 1, outChannels: 32, kernel: 5, stride: 1, padding: 0, height: 28, width: 28 },
      pool: { kind: 'max', size: 2, stride: 2 },
    },
  ],
  [
    'padded, stride 2, k 3: 3 × 9×7 → 4 (conv 5×4, pool 2 drops a row)',
    {
      spec: { inChannels: 3, outChannels: 4, kernel: 3, stride: 2, padding: 1, height: 9, width: 7 },
      pool: { kind: 'max', size: 2, stride: 2 },
    },
  ],
  [
    'padded, k 4: 2 × 7×6 → 5 (conv 8×7), pool 3 stride 2',
    {
      spec: { inChannels: 2, outChannels: 5, kernel: 4, stride: 1, padding: 2, height: 7, width: 6 },
      pool: { kind: 'max', size: 3, stride: 2 },
    },
  ],
];

function sizes({ spec, pool }: Case) {
  const OH = side(spec.height, spec.kernel, spec.stride, spec.padding);
  const OW = side(spec.width, spec.kernel, spec.stride, spec.padding);
  const convShape: FeatureShape = { channels: spec.outChannels, height: OH, width: OW };
  const P = OH * OW;
  const K = spec.inChannels * spec.kernel * spec.kernel;
  const inSize = spec.inChannels * spec.height * spec.width;
  const toSize = spec.outChannels * side(OH, pool.size, pool.stride, 0) * side(OW, pool.size, pool.stride, 0);
  return { convShape, P, K, O: spec.outChannels, inSize, toSize };
}

/** The engine's forward loop (edge-ops.ts without the fused path), on `layout` and `k`. */
function loopForward(
  layout: LayoutKernels,
  k: Kernels,
  c: Case,
  m: number,
  chunk: number,
  x: Float32Array,
  w: Float32Array,
  out: Float32Array,
  argmax: Int32Array,
  scale: number,
  bias: Float32Array | null,
): void {
  const { convShape, P, K, O, inSize, toSize } = sizes(c);
  for (let s0 = 0; s0 < m; s0 += chunk) {
    const mc = Math.min(chunk, m - s0);
    const patches = new Float32Array(mc * P * K);
    const rows = new Float32Array(mc * P * O);
    layout.im2row(c.spec, mc, x.subarray(s0 * inSize), patches);
    k.gemm('N', 'T', mc * P, O, K, 1, patches, K, w, K, 0, rows, O);
    layout.maxPoolRows(c.pool, convShape, mc, rows, out.subarray(s0 * toSize), argmax.subarray(s0 * toSize), scale, bias);
  }
}

/** The engine's transposed feedback loop: unpool, the transposed sgemm, row2im (out +=). */
function loopBackward(
  layout: LayoutKernels,
  k: Kernels,
  c: Case,
  m: number,
  chunk: number,
  post: Float32Array,
  argmax: Int32Array,
  w: Float32Array,
  out: Float32Array,
  scale: number,
): void {
  const { convShape, P, K, O, inSize, toSize } = sizes(c);
  for (let s0 = 0; s0 < m; s0 += chunk) {
    const mc = Math.min(chunk, m - s0);
    const rows = new Float32Array(mc * P * O);
    const back = new Float32Array(mc * P * K);
    layout.maxUnpoolRows(c.pool, convShape, mc, post.subarray(s0 * toSize), argmax.subarray(s0 * toSize), rows);
    k.gemm('N', 'N', mc * P, K, O, scale, rows, O, w, K, 0, back, K);
    layout.row2im(c.spec, mc, back, out.subarray(s0 * inSize));
  }
}

/**
 * f with the layout helper set to `threads` and one BLAS thread, both restored afterwards. One BLAS
 * thread for the call-by-call loop too: with the helper each chunk's sgemm runs on one BLAS thread,
 * and OpenBLAS's multithreaded sgemm may round differently on some shapes (it did here on W0's
 * transposed shape, N = 25), so bit-identity is against the loop at one BLAS thread.
 */
function withLayoutThreads<T>(threads: 1 | 2, f: () => T): T {
  const prev = layoutThreads() >= 2 ? 2 : 1;
  const blas = loadNativeAddon()?.getThreads() ?? -1;
  setLayoutThreads(threads);
  setNativeThreads(1);
  try {
    return f();
  } finally {
    setLayoutThreads(prev);
    if (blas > 0) setNativeThreads(blas);
  }
}

run('fused native conv reads = the call-by-call chunk loop, bit for bit', () => {
  const m = 13;
  const each: [string, 1 | 2, number, Case][] = [];
  for (const [name, c] of CASES)
    for (const threads of [1, 2] as const) for (const chunk of [1, 5, 64]) each.push([name, threads, chunk, c]);

  test.each(each)('%s, %s thread(s), chunks of %s samples (13 in all)', (_n, threads, chunk, c) => {
    const { O, inSize, toSize } = sizes(c);
    const w = normal(O * sizes(c).K, 'w');
    const bias = normal(O, 'bias');
    withLayoutThreads(threads, () => {
      for (let call = 0; call < 3; call++) {
        // Coarse inputs and weights give exact sums with ties in the pool windows.
        const x = call === 0 ? coarse(m * inSize, `x${call}`) : normal(m * inSize, `x${call}`);
        const wc = call === 0 ? coarse(w.length, 'wc') : w;
        const start = normal(m * toSize, `out${call}`);
        const outWant = start.slice();
        const outGot = start.slice();
        const amWant = new Int32Array(m * toSize);
        const amGot = new Int32Array(m * toSize).fill(-7);
        loopForward(native, kernels, c, m, chunk, x, wc, outWant, amWant, 0.5, call === 1 ? null : bias);
        native.convForwardMax!(c.spec, c.pool, m, x, wc, outGot, amGot, 0.5, call === 1 ? null : bias, chunk);
        expect(firstDiff(amGot, amWant)).toBe(-1);
        expect(firstDiff(outGot, outWant)).toBe(-1);

        const post = normal(m * toSize, `post${call}`);
        const xStart = normal(m * inSize, `xs${call}`);
        const backWant = xStart.slice();
        const backGot = xStart.slice();
        loopBackward(native, kernels, c, m, chunk, post, amWant, wc, backWant, 0.25);
        native.convBackwardMax!(c.spec, c.pool, m, post, amGot, wc, backGot, 0.25, chunk);
        expect(firstDiff(backGot, backWant)).toBe(-1);
      }
    });
  });

  test.each(CASES)('%s: = the plain reference (whole batch, TypeScript GEMM) to float rounding', (_n, c) => {
    const { O, K, inSize, toSize, P } = sizes(c);
    const w = normal(O * K, 'w-ref');
    const bias = normal(O, 'bias-ref');
    const x = normal(m * inSize, 'x-ref');
    const chunk = 4;
    const want = new Float32Array(m * toSize);
    const amWant = new Int32Array(m * toSize);
    loopForward(referenceLayout, referenceKernels, c, m, m, x, w, want, amWant, 1, bias);
    const got = new Float32Array(m * toSize);
    const amGot = new Int32Array(m * toSize);
    withLayoutThreads(2, () => native.convForwardMax!(c.spec, c.pool, m, x, w, got, amGot, 1, bias, chunk));
    // Sums of K products in another order: a few ulps of the terms' size times √K.
    const tol = 2e-6 * Math.sqrt(K);
    let worst = 0;
    want.forEach((v, i) => {
      worst = Math.max(worst, Math.abs(got[i] - v) / (1 + Math.abs(v)));
    });
    expect(worst).toBeLessThan(tol);
    // The chunk-local argmax, made batch-global, is the reference's (the sums differ in rounding only).
    const global = amGot.map((a, i) => a + Math.floor(Math.floor(i / toSize) / chunk) * chunk * O * P);
    expect(global.filter((a, i) => a !== amWant[i]).length).toBeLessThanOrEqual(Math.ceil(global.length / 1000));

    // Feedback through the reference's argmax: the same floats up to rounding.
    const post = normal(m * toSize, 'post-ref');
    const backWant = new Float32Array(m * inSize);
    loopBackward(referenceLayout, referenceKernels, c, m, m, post, amWant, w, backWant, 1);
    const local = amWant.map((a, i) => a - Math.floor(Math.floor(i / toSize) / chunk) * chunk * O * P);
    const backGot = new Float32Array(m * inSize);
    withLayoutThreads(2, () => native.convBackwardMax!(c.spec, c.pool, m, post, local, w, backGot, 1, chunk));
    worst = 0;
    backWant.forEach((v, i) => {
      worst = Math.max(worst, Math.abs(backGot[i] - v) / (1 + Math.abs(v)));
    });
    expect(worst).toBeLessThan(tol);
    expect(backWant.some((v) => v !== 0)).toBe(true);
  });

  test.each([
    ['hard-sigmoid', 'an input drive'],
    ['tanh', 'no input drive'],
  ] as const)('feedback + %s with %s, chunk by chunk = the separate passes, bit for bit', (activation, drive) => {
    const c = CASES[0][1];
    const { O, K, inSize, toSize } = sizes(c);
    const w = normal(O * K, 'w-act');
    const x = normal(m * inSize, 'x-act');
    const out = new Float32Array(m * toSize);
    const argmax = new Int32Array(m * toSize);
    const post = normal(m * toSize, 'post-act');
    const base = drive === 'an input drive' ? normal(m * inSize, 'base-act') : null;
    for (const threads of [1, 2] as const) {
      withLayoutThreads(threads, () => {
        native.convForwardMax!(c.spec, c.pool, m, x, w, out, argmax, 1, null, 5);
        // The separate passes: h = base (or 0), h += feedback, s = ρ(h).
        const hWant = base ? base.slice() : new Float32Array(m * inSize);
        native.convBackwardMax!(c.spec, c.pool, m, post, argmax, w, hWant, 0.5, 5);
        const sWant = new Float32Array(m * inSize);
        kernels.activate(activation, hWant, sWant, m * inSize);
        const hGot = normal(m * inSize, 'stale h'); // overwritten, not added to
        const sGot = new Float32Array(m * inSize).fill(Number.NaN);
        native.convBackwardMax!(c.spec, c.pool, m, post, argmax, w, hGot, 0.5, 5, { base, s: sGot, activation });
        expect(firstDiff(hGot, hWant)).toBe(-1);
        expect(firstDiff(sGot, sWant)).toBe(-1);
        expect(new Set(sGot).size).toBeGreaterThan(100);
      });
    }
  });

  test('a bad argmax in a late chunk is reported with its index; the next call still works', () => {
    const c = CASES[0][1];
    const { O, K, inSize, toSize } = sizes(c);
    const w = normal(O * K, 'w-bad');
    const x = normal(m * inSize, 'x-bad');
    const out = new Float32Array(m * toSize);
    const argmax = new Int32Array(m * toSize);
    native.convForwardMax!(c.spec, c.pool, m, x, w, out, argmax, 1, null, 5);
    const bad = argmax.slice();
    const i = 11 * toSize + 3; // sample 11: chunk 2 (samples 10–12), local sample 1
    bad[i] = 0; // the plane of the chunk's sample 0
    const post = normal(m * toSize, 'post-bad');
    const back = new Float32Array(m * inSize);
    withLayoutThreads(2, () => {
      expect(() => native.convBackwardMax!(c.spec, c.pool, m, post, bad, w, back, 1, 5)).toThrow(
        `convBackwardMax: argmax[${i}] = 0 is outside its plane`,
      );
      const want = new Float32Array(m * inSize);
      const got = new Float32Array(m * inSize);
      loopBackward(native, kernels, c, m, 5, post, argmax, w, want, 1);
      native.convBackwardMax!(c.spec, c.pool, m, post, argmax, w, got, 1, 5);
      expect(firstDiff(got, want)).toBe(-1);
    });
  });

  test('sizes and buffers are checked', () => {
    const c = CASES[2][1];
    const { O, K, inSize, toSize } = sizes(c);
    const w = new Float32Array(O * K);
    const x = new Float32Array(m * inSize);
    const out = new Float32Array(m * toSize);
    const argmax = new Int32Array(m * toSize);
    expect(() => native.convForwardMax!(c.spec, c.pool, m, x, w.subarray(1), out, argmax, 1, null, 4)).toThrow(
      'convForwardMax: w shorter than O·C·k·k',
    );
    expect(() => native.convForwardMax!(c.spec, c.pool, m + 1, x, w, out, argmax, 1, null, 4)).toThrow(
      'convForwardMax: x shorter than m·C·H·W',
    );
    expect(() => native.convForwardMax!(c.spec, c.pool, m, x, w, out, argmax, 1, null, 0)).toThrow(/chunk/);
    expect(() => native.convBackwardMax!(c.spec, c.pool, m, out, argmax, w, x.subarray(1), 1, 4)).toThrow(
      'convBackwardMax: out shorter than m·C·H·W',
    );
  });
});

/** input [2,8,8] → conv 3×3 p1 + max pool 2 → c1 [4,4,4] → conv 3×3 p1 + max pool 2 → c2 [6,2,2] → output 3. */
function net(): Net {
  const b = new GraphBuilder('fused').input([2, 8, 8]).map('c1', [4, 4, 4], 'hard-sigmoid').map('c2', [6, 2, 2], 'hard-sigmoid').output(3);
  const edges: EdgeSpec[] = [
    { name: 'W0', from: 'input', to: 'c1', conv: { kernel: 3, padding: 1 }, pool: { kind: 'max', size: 2 }, bias: true },
    {
      name: 'W1',
      from: 'c1',
      to: 'c2',
      conv: { kernel: 3, padding: 1 },
      pool: { kind: 'max', size: 2 },
      feedback: { kind: 'symmetric', beta: 0.3 },
      bias: true,
    },
    { name: 'Wf', from: 'c2', to: 'output', bias: true },
  ];
  edges.forEach((e) => b.edge(e));
  return resolveNet(
    b
      .dynamics({ T: 6, K: 4, betaF: 0.5, nudge: 'held' })
      .training({ optimizer: { kind: 'sgd', lr: 0.1 }, batchSize: 7, epochs: 1, seed: 0 })
      .build(),
  );
}

run('an EP step with the fused conv reads = without them, bit for bit', () => {
  const n = net();
  const m = 7;
  const rng = makeRng('fused-batch');
  const x = Float32Array.from({ length: m * n.inputSize }, () => rng.uniform());
  const y = new Float32Array(m * n.classes);
  for (let r = 0; r < m; r++) y[r * n.classes + (r % n.classes)] = 1;

  /** The ideal executor reading 3 samples of W1's patches per chunk; `fused` false hides exactMatrix. */
  function step(fused: boolean) {
    const p: Params = initParams(n, makeRng('fused-params'));
    const exec = new (class extends IdealExecutor {
      override readonly convChunkBytes = 3 * 16 * 36 * 4;
    })(p, kernels);
    if (!fused) Object.defineProperty(exec, 'exactMatrix', { value: undefined });
    const eng = new EpEngine(n, exec, m, p.bias);
    const grads = makeGrads(n);
    eng.step(x, y, m, grads);
    return [...grads, ...n.layers.map((_, j) => eng.freeState(j)), ...n.layers.map((_, j) => eng.state(j))].map((a) =>
      a ? Float32Array.from(a) : null,
    );
  }

  test.each([1, 2] as const)('%s layout thread(s)', (threads) => {
    const [a, b] = withLayoutThreads(threads, () => [step(true), step(false)]);
    expect(a.some((g) => g !== null && g.some((v) => v !== 0))).toBe(true);
    expect(a.map((g) => g?.length ?? null)).toEqual(b.map((g) => g?.length ?? null));
    a.forEach((g, i) => {
      if (g) expect(firstDiff(g, b[i]!)).toBe(-1);
    });
  });
});
