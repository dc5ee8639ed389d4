/**
 * The fused max pool / unpool on position-major rows (simulator/conv/pool-rows.ts and its native
 * twin in native/conv.c) against the unfused sequence the engines used before — rowsToMaps →
 * maxPool → out += scale·map → out += scale·bias, and maxUnpool → mapsToRows — bit for bit,
 * including ties, overlapping windows and more channels than the native code's block.
 */
import type { FeatureShape, PoolSpec } from '../graph/shapes';
import { poolOutShape, shapeSize } from '../graph/shapes';
import { mapsToRows, rowsToMaps } from '../simulator/conv/im2row';
import { layoutKernels, referenceLayout, type LayoutKernels } from '../simulator/conv/layout-kernels';
import { maxPool, maxUnpool } from '../simulator/conv/pool';
import { makeRng } from '../util/rng';

/** The engine's forward tail before the fusion (edge-ops.ts at e25c4b4). */
function unfusedPool(
  pool: PoolSpec,
  shape: FeatureShape,
  m: number,
  rows: Float32Array,
  out: Float32Array,
  argmax: Int32Array,
  scale: number,
  bias: Float32Array | null,
): void {
  const P = shape.height * shape.width;
  const O = shape.channels;
  const map = new Float32Array(m * O * P);
  rowsToMaps(m, P, O, rows, map);
  const per = shapeSize(poolOutShape(pool, shape)) / O;
  const pooled = new Float32Array(m * O * per);
  maxPool(pool, shape, m, map, pooled, argmax);
  for (let i = 0; i < pooled.length; i++) out[i] += scale * pooled[i];
  if (bias) {
    for (let b = 0; b < m; b++) {
      for (let r = 0; r < O; r++) {
        const v = scale * bias[r];
        for (let q = 0; q < per; q++) out[(b * O + r) * per + q] += v;
      }
    }
  }
}

function unfusedUnpool(pool: PoolSpec, shape: FeatureShape, m: number, post: Float32Array, argmax: Int32Array, rows: Float32Array): void {
  const P = shape.height * shape.width;
  const map = new Float32Array(m * shape.channels * P);
  maxUnpool(pool, shape, m, post, argmax, map);
  mapsToRows(m, P, shape.channels, map, rows);
}

/** Values on a coarse grid so that windows hold ties. */
function coarse(n: number, seed: string): Float32Array {
  const rng = makeRng(seed);
  return Float32Array.from({ length: n }, () => Math.round(rng.normal() * 3) / 4 + 1e-3 * Math.round(rng.uniform()));
}

function fine(n: number, seed: string): Float32Array {
  const rng = makeRng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
}

const CASES: [string, PoolSpec, FeatureShape, number][] = [
  ['mnist-conv c2: 64 × 8×8, pool 2', { kind: 'max', size: 2, stride: 2 }, { channels: 64, height: 8, width: 8 }, 3],
  ['odd map, floor mode: 5 × 7×5, pool 2', { kind: 'max', size: 2, stride: 2 }, { channels: 5, height: 7, width: 5 }, 2],
  ['overlapping windows: 3 × 6×6, pool 3 stride 1', { kind: 'max', size: 3, stride: 1 }, { channels: 3, height: 6, width: 6 }, 2],
  [
    'more channels than one native block: 300 × 4×4, pool 2',
    { kind: 'max', size: 2, stride: 2 },
    { channels: 300, height: 4, width: 4 },
    2,
  ],
];

const layouts: [string, LayoutKernels][] = [
  ['reference', referenceLayout],
  [`selected (${layoutKernels().name})`, layoutKernels()],
];

describe.each(layouts)('%s maxPoolRows / maxUnpoolRows = the unfused sequence, bit for bit', (_name, lk) => {
  test.each(CASES)('%s', (_title, pool, shape, m) => {
    const P = shape.height * shape.width;
    const O = shape.channels;
    const n = (m * O * shapeSize(poolOutShape(pool, shape))) / O;
    for (const [values, bias, scale] of [
      [coarse, true, 0.37],
      [fine, false, 1],
      [fine, true, 0],
    ] as const) {
      const rows = values(m * P * O, `rows/${_title}`);
      const b = bias ? fine(O, 'bias') : null;
      const start = fine(n, 'out');
      const want = start.slice();
      const wantArg = new Int32Array(n);
      unfusedPool(pool, shape, m, rows, want, wantArg, scale, b);
      const got = start.slice();
      const gotArg = new Int32Array(n).fill(-7);
      lk.maxPoolRows(pool, shape, m, rows, got, gotArg, scale, b);
      expect(gotArg).toEqual(wantArg);
      expect(Buffer.from(got.buffer)).toEqual(Buffer.from(want.buffer));

      const post = values(n, `post/${_title}`);
      const wantRows = new Float32Array(m * P * O);
      unfusedUnpool(pool, shape, m, post, wantArg, wantRows);
      const gotRows = fine(m * P * O, 'garbage'); // overwritten, not accumulated
      lk.maxUnpoolRows(pool, shape, m, post, wantArg, gotRows);
      expect(Buffer.from(gotRows.buffer)).toEqual(Buffer.from(wantRows.buffer));
    }
  });

  test('an argmax outside its own channel plane is refused', () => {
    const pool: PoolSpec = { kind: 'max', size: 2, stride: 2 };
    const shape: FeatureShape = { channels: 2, height: 2, width: 2 };
    const argmax = new Int32Array([0, 1]); // channel 1's maximum would lie in channel 0's plane
    expect(() => lk.maxUnpoolRows(pool, shape, 1, new Float32Array(2), argmax, new Float32Array(8))).toThrow(/argmax\[1\]/);
  });
});
