/**
 * The native layout moves (native/conv.c) split each call by sample between the caller and a
 * helper thread when FRE_LAYOUT_THREADS=2 (set here, before the addon's first layout call reads it). Against the TypeScript
 * references bit for bit on batches large enough for both threads to take samples, over many calls
 * in a row (each call is a new job the helper must pick up, or miss, cleanly), and with a bad argmax
 * in a late sample still reported. Skipped where the native addon is not built.
 */
import type { ConvSpec, FeatureShape, PoolSpec } from '../graph/shapes';
import { poolOutShape, shapeSize } from '../graph/shapes';
import { layoutKernels, referenceLayout } from '../simulator/conv/layout-kernels';
import { makeRng } from '../util/rng';

process.env.FRE_LAYOUT_THREADS = '2';
const native = layoutKernels();

/** The first index where the bits differ, or -1 (toEqual on megabyte arrays takes minutes). */
function firstDiff(a: Float32Array | Int32Array, b: Float32Array | Int32Array): number {
  const x = new Int32Array(a.buffer, a.byteOffset, a.length);
  const y = new Int32Array(b.buffer, b.byteOffset, b.length);
  if (x.length !== y.length) return Math.min(x.length, y.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}
const run = native.name === 'native' ? describe : describe.skip;

function normal(n: number, seed: string): Float32Array {
  const rng = makeRng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
}

/** Values on a coarse grid so that pool windows hold ties (the first maximum must win on either thread). */
function coarse(n: number, seed: string): Float32Array {
  const rng = makeRng(seed);
  return Float32Array.from({ length: n }, () => Math.round(rng.normal() * 2) / 4);
}

const SPECS: [string, ConvSpec][] = [
  ['mnist-conv W1: 32 × 12×12, k 5', { inChannels: 32, outChannels: 64, kernel: 5, stride: 1, padding: 0, height: 12, width: 12 }],
  ['padded, strided, k 3: 3 × 9×7', { inChannels: 3, outChannels: 4, kernel: 3, stride: 2, padding: 1, height: 9, width: 7 }],
];

run('native layout moves split over threads = the reference, bit for bit', () => {
  test.each(SPECS)('im2row and row2im, %s, 41 samples, 8 calls in a row', (_t, spec) => {
    const m = 41;
    const OH = Math.floor((spec.height + 2 * spec.padding - spec.kernel) / spec.stride) + 1;
    const OW = Math.floor((spec.width + 2 * spec.padding - spec.kernel) / spec.stride) + 1;
    const xs = spec.inChannels * spec.height * spec.width;
    const ps = OH * OW * spec.inChannels * spec.kernel * spec.kernel;
    for (let call = 0; call < 8; call++) {
      const x = normal(m * xs, `x${call}`);
      const want = new Float32Array(m * ps);
      const got = new Float32Array(m * ps).fill(Number.NaN);
      referenceLayout.im2row(spec, m, x, want);
      native.im2row(spec, m, x, got);
      expect(firstDiff(got, want)).toBe(-1);
      // row2im accumulates: start both from the same non-zero x.
      const back = normal(m * ps, `p${call}`);
      const xWant = x.slice();
      const xGot = x.slice();
      referenceLayout.row2im(spec, m, back, xWant);
      native.row2im(spec, m, back, xGot);
      expect(firstDiff(xGot, xWant)).toBe(-1);
    }
  });

  const pool: PoolSpec = { kind: 'max', size: 2, stride: 2 };
  const shape: FeatureShape = { channels: 64, height: 8, width: 8 };
  const m = 37;
  const P = shape.height * shape.width;
  const outSize = shapeSize(poolOutShape(pool, shape));

  test('maxPoolRows and maxUnpoolRows, 64 × 8×8, 37 samples with ties, 20 calls in a row', () => {
    const bias = normal(shape.channels, 'bias');
    for (let call = 0; call < 20; call++) {
      const rows = coarse(m * P * shape.channels, `rows${call}`);
      const start = normal(m * outSize, `out${call}`);
      const outWant = start.slice();
      const outGot = start.slice();
      const amWant = new Int32Array(m * outSize);
      const amGot = new Int32Array(m * outSize).fill(-1);
      referenceLayout.maxPoolRows(pool, shape, m, rows, outWant, amWant, 0.5, bias);
      native.maxPoolRows(pool, shape, m, rows, outGot, amGot, 0.5, bias);
      expect(firstDiff(amGot, amWant)).toBe(-1);
      expect(firstDiff(outGot, outWant)).toBe(-1);
      const post = normal(m * outSize, `post${call}`);
      const back = new Float32Array(m * P * shape.channels).fill(Number.NaN);
      const want = new Float32Array(m * P * shape.channels);
      referenceLayout.maxUnpoolRows(pool, shape, m, post, amWant, want);
      native.maxUnpoolRows(pool, shape, m, post, amGot, back);
      expect(firstDiff(back, want)).toBe(-1);
    }
  });

  test('an argmax outside its plane in a late sample is reported, and the next call still works', () => {
    const rows = normal(m * P * shape.channels, 'rows');
    const out = new Float32Array(m * outSize);
    const argmax = new Int32Array(m * outSize);
    native.maxPoolRows(pool, shape, m, rows, out, argmax, 1, null);
    const bad = argmax.slice();
    const i = 30 * outSize + 5; // sample 30 of 37
    bad[i] = 0; // sample 0's plane
    const post = normal(m * outSize, 'post');
    const back = new Float32Array(m * P * shape.channels);
    expect(() => native.maxUnpoolRows(pool, shape, m, post, bad, back)).toThrow(`maxUnpoolRows: argmax[${i}] = 0 is outside its plane`);
    const want = new Float32Array(m * P * shape.channels);
    referenceLayout.maxUnpoolRows(pool, shape, m, post, argmax, want);
    native.maxUnpoolRows(pool, shape, m, post, argmax, back);
    expect(firstDiff(back, want)).toBe(-1);
  });
});
