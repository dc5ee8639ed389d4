/**
 * Pooling on a batch [m × C × H × W] → [m × C × OH × OW] (batch-major, row-major; shapes.ts).
 * Square window `size`, `stride`, no padding, floor mode: output (oy, ox) covers input rows
 * oy·stride … oy·stride+size−1 and columns ox·stride … ox·stride+size−1 of the same channel.
 *
 *   maxPool     y = max over the window; argmax[i] = flat index into x (sample offset included,
 *               ((b·C + c)·H + iy)·W + ix) of the maximum. Ties: the first in row-major window
 *               order wins.
 *   maxUnpool   x[argmax[i]] += scale · y[i]: the transpose of the selection that maxPool made (the
 *               Jacobian of max-pool at the stored argmax), i.e. the feedback path. With
 *               overlapping windows several outputs may route to one input; they add.
 *   avgPool     y = scale · mean over the window.
 *   avgPoolTranspose  x += scale · y / size² to every input of the window (exact adjoint of avgPool).
 *
 * `accumulate` (default false) adds into the output instead of overwriting it.
 */
import { checkBatch, poolOutShape, shapeSize, type FeatureShape, type PoolSpec } from '../../graph/shapes';

export interface PoolOptions {
  /** Multiplies the result (default 1). */
  scale?: number;
  /** Add into the output instead of overwriting it (default false). */
  accumulate?: boolean;
}

function checkArgmax(argmax: Int32Array, n: number): void {
  if (argmax.length < n) throw new Error(`pool: argmax buffer too short (${argmax.length} < ${n})`);
}

/**
 * Max pooling: y [m × C × OH × OW] = max over each window of x [m × C × H × W], argmax (same length
 * as y) = the flat x index of each maximum. y is overwritten (scale/accumulate do not apply: a
 * max is a selection, not a linear map).
 */
export function maxPool(pool: PoolSpec, shape: FeatureShape, m: number, x: Float32Array, y: Float32Array, argmax: Int32Array): void {
  const out = poolOutShape(pool, shape);
  const inSize = shapeSize(shape);
  const outSize = shapeSize(out);
  checkBatch('maxPool (x)', m, x, inSize);
  checkBatch('maxPool (y)', m, y, outSize);
  checkArgmax(argmax, m * outSize);
  const { height: H, width: W } = shape;
  const { height: OH, width: OW } = out;
  const { size: k, stride: s } = pool;
  const planes = m * shape.channels;
  let o = 0;
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * H * W;
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++, o++) {
        let bestIdx = base + oy * s * W + ox * s;
        let best = x[bestIdx];
        for (let ky = 0; ky < k; ky++) {
          const row = base + (oy * s + ky) * W + ox * s;
          for (let kx = 0; kx < k; kx++) {
            const v = x[row + kx];
            if (v > best) {
              best = v;
              bestIdx = row + kx;
            }
          }
        }
        y[o] = best;
        argmax[o] = bestIdx;
      }
    }
  }
}

/**
 * Unpool through the stored argmax: x [m × C × H × W] = scale · Σ routes of y (+ x if accumulate);
 * x is zero except at the stored maxima. `shape` is the INPUT shape of the max-pool.
 */
export function maxUnpool(
  pool: PoolSpec,
  shape: FeatureShape,
  m: number,
  y: Float32Array,
  argmax: Int32Array,
  x: Float32Array,
  opts?: PoolOptions,
): void {
  const out = poolOutShape(pool, shape);
  const inSize = shapeSize(shape);
  const n = m * shapeSize(out);
  checkBatch('maxUnpool (y)', m, y, shapeSize(out));
  checkBatch('maxUnpool (x)', m, x, inSize);
  checkArgmax(argmax, n);
  const scale = opts?.scale ?? 1;
  const limit = m * inSize;
  if (!opts?.accumulate) x.fill(0, 0, limit);
  for (let i = 0; i < n; i++) {
    const j = argmax[i];
    if (j < 0 || j >= limit) throw new Error(`maxUnpool: argmax[${i}] = ${j} out of range [0, ${limit})`);
    x[j] += scale * y[i];
  }
}

/** Average pooling: y = scale · mean over each window (+ y if accumulate). */
export function avgPool(pool: PoolSpec, shape: FeatureShape, m: number, x: Float32Array, y: Float32Array, opts?: PoolOptions): void {
  const out = poolOutShape(pool, shape);
  checkBatch('avgPool (x)', m, x, shapeSize(shape));
  checkBatch('avgPool (y)', m, y, shapeSize(out));
  const { height: H, width: W } = shape;
  const { height: OH, width: OW } = out;
  const { size: k, stride: s } = pool;
  const f = (opts?.scale ?? 1) / (k * k);
  const acc = opts?.accumulate ?? false;
  const planes = m * shape.channels;
  let o = 0;
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * H * W;
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++, o++) {
        let sum = 0; // float64
        for (let ky = 0; ky < k; ky++) {
          const row = base + (oy * s + ky) * W + ox * s;
          for (let kx = 0; kx < k; kx++) sum += x[row + kx];
        }
        y[o] = acc ? y[o] + f * sum : f * sum;
      }
    }
  }
}

/**
 * The adjoint of avgPool: x [m × C × H × W] = scale · avgPoolᵀ(y) (+ x if accumulate): each
 * y element spreads y/size² over its window. `shape` is the INPUT shape of the pool.
 */
export function avgPoolTranspose(
  pool: PoolSpec,
  shape: FeatureShape,
  m: number,
  y: Float32Array,
  x: Float32Array,
  opts?: PoolOptions,
): void {
  const out = poolOutShape(pool, shape);
  checkBatch('avgPoolTranspose (y)', m, y, shapeSize(out));
  checkBatch('avgPoolTranspose (x)', m, x, shapeSize(shape));
  const { height: H, width: W } = shape;
  const { height: OH, width: OW } = out;
  const { size: k, stride: s } = pool;
  const f = (opts?.scale ?? 1) / (k * k);
  const planes = m * shape.channels;
  if (!opts?.accumulate) x.fill(0, 0, planes * H * W);
  let o = 0;
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * H * W;
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++, o++) {
        const v = f * y[o];
        for (let ky = 0; ky < k; ky++) {
          const row = base + (oy * s + ky) * W + ox * s;
          for (let kx = 0; kx < k; kx++) x[row + kx] += v;
        }
      }
    }
  }
}

/** Dispatch on pool.kind for the forward pass (argmax required for 'max'). */
export function poolForward(pool: PoolSpec, shape: FeatureShape, m: number, x: Float32Array, y: Float32Array, argmax?: Int32Array): void {
  if (pool.kind === 'max') {
    if (argmax === undefined) throw new Error('poolForward: max pooling needs an argmax buffer');
    maxPool(pool, shape, m, x, y, argmax);
  } else {
    avgPool(pool, shape, m, x, y);
  }
}

/** Dispatch on pool.kind for the transposed (feedback) path. */
export function poolTranspose(
  pool: PoolSpec,
  shape: FeatureShape,
  m: number,
  y: Float32Array,
  x: Float32Array,
  argmax?: Int32Array,
  opts?: PoolOptions,
): void {
  if (pool.kind === 'max') {
    if (argmax === undefined) throw new Error('poolTranspose: max unpooling needs the argmax from maxPool');
    maxUnpool(pool, shape, m, y, argmax, x, opts);
  } else {
    avgPoolTranspose(pool, shape, m, y, x, opts);
  }
}
