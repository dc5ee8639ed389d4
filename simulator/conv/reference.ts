/**
 * Direct definitions of the conv building blocks: naive loops straight from the formulas, float64
 * throughout. The living definition the fast paths (conv.ts, pool.ts, im2col.ts) are tested
 * against (test/conv.test.ts). Slow; never on a hot path. Layouts as in shapes.ts:
 * x [m × C × H × W], y [m × O × OH × OW], w [O × C × k × k].
 *
 *   y[b,o,oy,ox] = Σ_{c,ky,kx} w[o,c,ky,kx] · x[b, c, oy·s − p + ky, ox·s − p + kx]   (x = 0 outside)
 */
import { convDims, poolOutShape, shapeSize, type ConvSpec, type FeatureShape, type PoolSpec } from '../../graph/shapes';

type Vec = ArrayLike<number>;

/** Visits every (b, o, oy, ox, c, ky, kx) term of the convolution with its flat x, w, y indices. */
function forEachTerm(spec: ConvSpec, m: number, visit: (xi: number, wi: number, yi: number) => void): void {
  const { outHeight: OH, outWidth: OW } = convDims(spec);
  const { inChannels: C, outChannels: O, kernel: k, stride: s, padding: p, height: H, width: W } = spec;
  for (let b = 0; b < m; b++) {
    for (let o = 0; o < O; o++) {
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++) {
          const yi = ((b * O + o) * OH + oy) * OW + ox;
          for (let c = 0; c < C; c++) {
            for (let ky = 0; ky < k; ky++) {
              const iy = oy * s - p + ky;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < k; kx++) {
                const ix = ox * s - p + kx;
                if (ix < 0 || ix >= W) continue;
                visit(((b * C + c) * H + iy) * W + ix, ((o * C + c) * k + ky) * k + kx, yi);
              }
            }
          }
        }
      }
    }
  }
}

/** y = conv(x; w), [m × O × OH × OW], float64. */
export function convForwardDirect(spec: ConvSpec, m: number, x: Vec, w: Vec): Float64Array {
  const y = new Float64Array(m * convDims(spec).outSize);
  forEachTerm(spec, m, (xi, wi, yi) => {
    y[yi] += w[wi] * x[xi];
  });
  return y;
}

/** x = convᵀ(y; w), [m × C × H × W], float64. */
export function convTransposeDirect(spec: ConvSpec, m: number, y: Vec, w: Vec): Float64Array {
  const x = new Float64Array(m * convDims(spec).inSize);
  forEachTerm(spec, m, (xi, wi, yi) => {
    x[xi] += w[wi] * y[yi];
  });
  return x;
}

/** dw = ∂⟨conv(x; w), dy⟩/∂w = Σ_b Σ_positions dy · x, [O × C × k × k], float64. */
export function convWeightGradDirect(spec: ConvSpec, m: number, x: Vec, dy: Vec): Float64Array {
  const dw = new Float64Array(convDims(spec).weightSize);
  forEachTerm(spec, m, (xi, wi, yi) => {
    dw[wi] += dy[yi] * x[xi];
  });
  return dw;
}

/** im2col as a dense float64 matrix per sample: [m × (C·k·k) × (OH·OW)]. */
export function im2colDirect(spec: ConvSpec, m: number, x: Vec): Float64Array {
  const d = convDims(spec);
  const { inChannels: C, kernel: k, stride: s, padding: p, height: H, width: W } = spec;
  const col = new Float64Array(m * d.colRows * d.colCols);
  for (let b = 0; b < m; b++) {
    for (let c = 0; c < C; c++) {
      for (let ky = 0; ky < k; ky++) {
        for (let kx = 0; kx < k; kx++) {
          const r = (c * k + ky) * k + kx;
          for (let oy = 0; oy < d.outHeight; oy++) {
            for (let ox = 0; ox < d.outWidth; ox++) {
              const iy = oy * s - p + ky;
              const ix = ox * s - p + kx;
              const q = oy * d.outWidth + ox;
              col[(b * d.colRows + r) * d.colCols + q] = iy >= 0 && iy < H && ix >= 0 && ix < W ? x[((b * C + c) * H + iy) * W + ix] : 0;
            }
          }
        }
      }
    }
  }
  return col;
}

/**
 * Max pooling: values and flat argmax (first maximum in row-major window order). With
 * pool.argmax = 'activation' the argmax is instead the first maximum of the hard-sigmoid
 * clamp(α·x + α·b_c, 0, 1) (`key`: the edge's α and per-channel bias, absent = 0), while y stays the
 * window's maximum x (docs/conv-layout.md "Pooling").
 */
export function maxPoolDirect(
  pool: PoolSpec,
  shape: FeatureShape,
  m: number,
  x: Vec,
  key?: { alpha: number; bias?: Vec },
): { y: Float64Array; argmax: Int32Array } {
  const byActivation = pool.argmax === 'activation';
  if (byActivation && !key) throw new Error('maxPoolDirect: the activation argmax needs the key (alpha, bias)');
  const rho = (v: number, c: number): number => {
    const z = key!.alpha * v + key!.alpha * (key!.bias ? key!.bias[c] : 0);
    return Math.min(1, Math.max(0, z));
  };
  const out = poolOutShape(pool, shape);
  const y = new Float64Array(m * shapeSize(out));
  const argmax = new Int32Array(y.length);
  const { channels: C, height: H, width: W } = shape;
  for (let b = 0; b < m; b++) {
    for (let c = 0; c < C; c++) {
      for (let oy = 0; oy < out.height; oy++) {
        for (let ox = 0; ox < out.width; ox++) {
          const o = ((b * C + c) * out.height + oy) * out.width + ox;
          let best = -Infinity;
          let idx = -1;
          let bestKey = -Infinity;
          let keyIdx = -1;
          for (let ky = 0; ky < pool.size; ky++) {
            for (let kx = 0; kx < pool.size; kx++) {
              const i = ((b * C + c) * H + oy * pool.stride + ky) * W + ox * pool.stride + kx;
              if (idx < 0 || x[i] > best) {
                best = x[i];
                idx = i;
              }
              if (byActivation && (keyIdx < 0 || rho(x[i], c) > bestKey)) {
                bestKey = rho(x[i], c);
                keyIdx = i;
              }
            }
          }
          y[o] = best;
          argmax[o] = byActivation ? keyIdx : idx;
        }
      }
    }
  }
  return { y, argmax };
}

/** Average pooling, float64. */
export function avgPoolDirect(pool: PoolSpec, shape: FeatureShape, m: number, x: Vec): Float64Array {
  const out = poolOutShape(pool, shape);
  const y = new Float64Array(m * shapeSize(out));
  const { channels: C, height: H, width: W } = shape;
  const n = pool.size * pool.size;
  for (let b = 0; b < m; b++) {
    for (let c = 0; c < C; c++) {
      for (let oy = 0; oy < out.height; oy++) {
        for (let ox = 0; ox < out.width; ox++) {
          let sum = 0;
          for (let ky = 0; ky < pool.size; ky++) {
            for (let kx = 0; kx < pool.size; kx++) {
              sum += x[((b * C + c) * H + oy * pool.stride + ky) * W + ox * pool.stride + kx];
            }
          }
          y[((b * C + c) * out.height + oy) * out.width + ox] = sum / n;
        }
      }
    }
  }
  return y;
}

/** Adjoint of average pooling, float64: each y spreads y/size² over its window. */
export function avgPoolTransposeDirect(pool: PoolSpec, shape: FeatureShape, m: number, y: Vec): Float64Array {
  const out = poolOutShape(pool, shape);
  const x = new Float64Array(m * shapeSize(shape));
  const { channels: C, height: H, width: W } = shape;
  const n = pool.size * pool.size;
  for (let b = 0; b < m; b++) {
    for (let c = 0; c < C; c++) {
      for (let oy = 0; oy < out.height; oy++) {
        for (let ox = 0; ox < out.width; ox++) {
          const v = y[((b * C + c) * out.height + oy) * out.width + ox] / n;
          for (let ky = 0; ky < pool.size; ky++) {
            for (let kx = 0; kx < pool.size; kx++) {
              x[((b * C + c) * H + oy * pool.stride + ky) * W + ox * pool.stride + kx] += v;
            }
          }
        }
      }
    }
  }
  return x;
}

/** Unpool through an argmax, float64: x[argmax[i]] += y[i]. */
export function maxUnpoolDirect(shape: FeatureShape, m: number, y: Vec, argmax: ArrayLike<number>): Float64Array {
  const x = new Float64Array(m * shapeSize(shape));
  for (let i = 0; i < y.length; i++) x[argmax[i]] += y[i];
  return x;
}
