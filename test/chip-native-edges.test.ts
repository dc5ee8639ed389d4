/**
 * Edges of the native chip kernels (native/devices.c coincide, native/noise.c addNormalVar,
 * native/periphery.c): markBound's band exactly as devices.ts forms it, and tile / call sizes that are
 * not multiples of the 8- and 16-wide loops or of the 8 blocks (1, 3, 7, 9, 17, 33), where the AVX-512
 * and lane-by-lane paths and 1 and 3 threads must give the same bytes.
 */
import { execFileSync } from 'node:child_process';
import { loadNativeAddon, nativeAddonPath } from '../simulator/kernels/native';
import { makeRng } from '../util/rng';
import { bytesOf, withChipSimd, withChipThreads } from './helpers/native';

const native = loadNativeAddon();
const run = native || process.env.CI ? describe : describe.skip;
const bytes = bytesOf;

const withThreads = <T>(threads: number, f: () => T): T => withChipThreads(native!, threads, f);
const withSimd = <T>(on: boolean, f: () => T): T => withChipSimd(native!, on, f);

interface Cells {
  W: Float32Array;
  held: Float32Array;
  up: Float32Array;
  um: Float32Array;
  frozen: Uint8Array;
  stepUp: Float32Array;
  stepDown: Float32Array;
  bMax: Float32Array;
  bMin: Float32Array;
  saturated: Uint8Array;
}

function cells(n: number, f: (i: number) => { u: number; step: number; frozen?: boolean; bMax?: number; bMin?: number }): Cells {
  const c: Cells = {
    W: new Float32Array(n),
    held: new Float32Array(n),
    up: new Float32Array(n),
    um: new Float32Array(n),
    frozen: new Uint8Array(n),
    stepUp: new Float32Array(n),
    stepDown: new Float32Array(n),
    bMax: new Float32Array(n),
    bMin: new Float32Array(n),
    saturated: new Uint8Array(n),
  };
  for (let i = 0; i < n; i++) {
    const v = f(i);
    c.W[i] = c.held[i] = v.u;
    c.up[i] = Math.max(v.u, 0);
    c.um[i] = Math.max(-v.u, 0);
    c.frozen[i] = v.frozen ? 1 : 0;
    c.stepUp[i] = c.stepDown[i] = v.step;
    c.bMax[i] = v.bMax ?? 1;
    c.bMin[i] = v.bMin ?? -1;
  }
  return c;
}

/** coincide on a rows × cols tile (the whole matrix, differential cells); returns [pulses, boundHits]. */
function coincide(
  c: Cells,
  rows: number,
  cols: number,
  samples: number,
  post: Float32Array,
  pre: Float32Array,
  params: number[],
  seed = 9,
): number[] {
  const out = new Float64Array(2);
  native!.coincide!(
    new Uint32Array(8).fill(seed),
    c.W,
    c.held,
    c.up,
    c.um,
    c.frozen,
    c.stepUp,
    c.stepDown,
    c.bMax,
    c.bMin,
    c.saturated,
    Float64Array.from([cols, 0, rows, 0, cols, rows, cols, samples]),
    post,
    pre,
    Float64Array.from(params),
    out,
  );
  return Array.from(out);
}

run('coincide: markBound’s band as devices.ts forms it', () => {
  // Hard bounds ±1: the band's edges are 1 − 0.05 and −1 + 0.05 in double. One certain pulse of 0.25
  // (η = 1, ε = 0.01, |x| = |δ| = 1, BL 1: p = 1) takes u = ±(0.95f − 0.25) to ±0.95f exactly, and
  // 0.95f < 0.95 (double): inside the band, not at a bound (markBound returns). The kernel rounded the
  // edge to float (0.95f) and counted every such cell. 1 cell: the scalar test; 9: eight on AVX-512 too.
  const f95 = Math.fround(0.95);
  test.each([
    [1, true],
    [9, true],
    [1, false],
    [9, false],
  ])('%i cells, AVX-512 %s', (cols, simd) => {
    expect(f95 < 1 - (0.05 * 2) / 2).toBe(true);
    for (const sign of [1, -1]) {
      const c = cells(cols, () => ({ u: sign * Math.fround(f95 - 0.25), step: 0.25 }));
      const [pulses, hits] = withSimd(simd, () =>
        coincide(c, 1, cols, 1, Float32Array.of(sign), new Float32Array(cols).fill(1), [1, 0.01, 1, 0, 0, 1]),
      );
      expect(pulses).toBe(cols);
      expect(c.up[0] - c.um[0]).toBe(sign * f95);
      expect(hits).toBe(0);
      expect(Array.from(c.saturated)).toEqual(new Array(cols).fill(0));
      // A step further (u = ±(0.95f + 0.25) → clipped at ±1): at the bound, counted once per cell.
      const d = cells(cols, () => ({ u: sign * f95, step: 0.25 }));
      const [, hits2] = withSimd(simd, () =>
        coincide(d, 1, cols, 1, Float32Array.of(sign), new Float32Array(cols).fill(1), [1, 0.01, 1, 0, 0, 1]),
      );
      expect(hits2).toBe(cols);
    }
  });
});

run('coincide on odd tile sizes: AVX-512 = lanes one by one, 1 thread = 3 threads', () => {
  // Random levels near the bounds (so markBound counts), soft bounds, c2c noise, 2 % stuck cells, 37 samples.
  const shapes = [
    [1, 1],
    [3, 7],
    [7, 9],
    [9, 17],
    [17, 33],
    [10, 1],
  ];
  test.each(shapes)('%i × %i', (rows, cols) => {
    const n = rows * cols;
    const samples = 37;
    const r = makeRng(rows * 100 + cols);
    const post = Float32Array.from({ length: samples * rows }, () => (r.uniform() - 0.5) * 0.4);
    const pre = Float32Array.from({ length: samples * cols }, () => (r.uniform() < 0.2 ? 0 : r.uniform() - 0.3));
    const init = Array.from({ length: n }, () => ({
      u: Math.fround((r.uniform() * 2 - 1) * 0.97),
      step: Math.fround(0.01 + 0.02 * r.uniform()),
      frozen: r.uniform() < 0.02,
      bMax: Math.fround(0.9 + 0.2 * r.uniform()),
      bMin: Math.fround(-0.9 - 0.2 * r.uniform()),
    }));
    const go = (threads: number, simd: boolean) =>
      withThreads(threads, () =>
        withSimd(simd, () => {
          const c = cells(n, (i) => init[i]);
          const frozenBefore = c.W.filter((_, i) => c.frozen[i] === 1);
          const res = coincide(c, rows, cols, samples, post, pre, [0.05, 0.01, 31, 1, 0.3, 1]);
          // Stuck cells take no pulse and keep their value.
          expect(bytes(c.W.filter((_, i) => c.frozen[i] === 1)).equals(bytes(frozenBefore))).toBe(true);
          return { res, c };
        }),
      );
    const ref = go(1, false);
    expect(ref.res[0]).toBeGreaterThan(0);
    for (const [threads, simd] of [
      [1, true],
      [3, true],
      [3, false],
    ] as const) {
      const other = go(threads, simd);
      expect(other.res).toEqual(ref.res);
      for (const k of ['W', 'held', 'up', 'um'] as const) expect(bytes(other.c[k]).equals(bytes(ref.c[k]))).toBe(true);
      expect(Array.from(other.c.saturated)).toEqual(Array.from(ref.c.saturated));
    }
  });
});

run('read path on odd sizes', () => {
  test('addNormalVar: AVX-512 = plain C for 1, 7, 9, 17, 33 rows and columns', () => {
    const script = `
      const a = require(${JSON.stringify(nativeAddonPath())});
      const res = [];
      for (const m of [1, 7, 9, 17, 33]) for (const cols of [1, 7, 9, 17, 33]) {
        const o = new Float32Array(m * cols), st = new Uint32Array(8).fill(m * 64 + cols);
        const rv = new Float32Array(m).map((_, i) => (i % 3) * 0.5);
        const ev = new Float32Array(m * cols).map((_, i) => ((i * 7919) % 13) / 8 - 0.4);
        a.addNormalVar(st, o, m, cols, rv, new Float32Array(0), 0.01);
        a.addNormalVar(st, o, m, cols, rv, ev, 0);
        res.push(Buffer.from(o.buffer).toString('base64'));
      }
      process.stdout.write(res.join(','));`;
    const out = (env: Record<string, string>) =>
      execFileSync(process.execPath, ['-e', script], { env: { ...process.env, ...env } }).toString();
    const fast = out({});
    expect(fast.split(',').length).toBe(25);
    expect(out({ FRE_NORMALS: 'generic' })).toBe(fast);
  });

  test('3 rows (five of the 8 blocks empty) of 11 111 lines: 1 thread = 3 threads', () => {
    const m = 3;
    const cols = 11111; // m·cols ≥ 32 768: the calls go to the pool
    const r = makeRng(31);
    const rowVar = Float32Array.from({ length: m }, () => r.uniform());
    const elemVar = Float32Array.from({ length: m * cols }, () => r.uniform() - 0.1);
    const x = Float32Array.from({ length: m * (cols + 1) }, () => (r.uniform() - 0.5) * 3);
    const table = Float32Array.from({ length: 64 }, (_, i) => Math.tanh(i / 8 - 4));
    const go = (threads: number) =>
      withThreads(threads, () => {
        const st = new Uint32Array(8).fill(5);
        const o = new Float32Array(m * cols);
        native!.addNormalVar(st, o, m, cols, rowVar, new Float32Array(0), 0.01);
        native!.addNormalVar(st, o, m, cols, rowVar, elemVar, 0.01);
        const xs = new Float32Array(m * cols);
        const scales = new Float32Array(m);
        const norms = new Float32Array(m);
        native!.readPrep!(x, m, cols + 1, 1, cols, true, 0.5, -1, 1, 2 / 255, 0.3, xs, scales, norms);
        const P = o.slice();
        const clipped = native!.adcConvertScaled!(P, m, cols, 2, 0.01, scales, 1.5);
        const act = new Float32Array(m * cols);
        native!.tableActivate(P, act, m * cols, table, -4, 8, true);
        return { o, xs, scales, norms, P, act, clipped, st: Array.from(st) };
      });
    const one = go(1);
    const three = go(3);
    expect(one.clipped).toBeGreaterThan(0);
    for (const k of ['o', 'xs', 'scales', 'norms', 'P', 'act'] as const) expect(bytes(three[k]).equals(bytes(one[k]))).toBe(true);
    expect(three.clipped).toBe(one.clipped);
    expect(three.st).toEqual(one.st);
  });
});
