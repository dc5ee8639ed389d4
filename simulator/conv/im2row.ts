/**
 * im2row: the patch-major form of im2col that the executors read. Where im2col writes one sample's
 * column matrix [C·k·k × OH·OW], im2row writes one ROW per receptive field, batch after batch:
 *
 *   patches[(b·OH·OW + q) · C·k·k + r] = x[b, c, oy·s − p + ky, ox·s − p + kx]
 *   with q = oy·OW + ox and r = (c·k + ky)·k + kx   (0 in the padding)
 *
 * so patches is [m·OH·OW × C·k·k], the batch-major input an executor multiplies by W_unrolledᵀ
 * (docs/conv-layout.md): a conv is `forward(edge, patches, m·OH·OW)` on the same crossbar as a
 * dense edge, one read per patch. row2im is its adjoint (adds every entry back into the element it
 * was read from, drops the padding).
 */
import { convDims, type ConvSpec } from '../../graph/shapes';

function checkSizes(what: string, spec: ConvSpec, m: number, x: Float32Array, patches: Float32Array): void {
  const d = convDims(spec);
  if (x.length < m * d.inSize) throw new Error(`${what}: x holds ${x.length} floats, needs m·C·H·W = ${m * d.inSize}`);
  if (patches.length < m * d.colCols * d.colRows)
    throw new Error(`${what}: patches hold ${patches.length} floats, needs m·OH·OW·C·k·k = ${m * d.colCols * d.colRows}`);
}

export function im2row(spec: ConvSpec, m: number, x: Float32Array, patches: Float32Array): void {
  checkSizes('im2row', spec, m, x, patches);
  const { inChannels: C, kernel: k, stride: s, padding: p, height: H, width: W } = spec;
  const d = convDims(spec);
  const OH = d.outHeight;
  const OW = d.outWidth;
  let o = 0;
  for (let b = 0; b < m; b++) {
    const xb = b * C * H * W;
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        for (let c = 0; c < C; c++) {
          const xc = xb + c * H * W;
          for (let ky = 0; ky < k; ky++) {
            const iy = oy * s - p + ky;
            if (iy < 0 || iy >= H) {
              patches.fill(0, o, o + k);
              o += k;
              continue;
            }
            const row = xc + iy * W;
            for (let kx = 0; kx < k; kx++) {
              const ix = ox * s - p + kx;
              patches[o++] = ix >= 0 && ix < W ? x[row + ix] : 0;
            }
          }
        }
      }
    }
  }
}

/** x += row2im(patches): the adjoint of im2row (accumulates into x). */
export function row2im(spec: ConvSpec, m: number, patches: Float32Array, x: Float32Array): void {
  checkSizes('row2im', spec, m, x, patches);
  const { inChannels: C, kernel: k, stride: s, padding: p, height: H, width: W } = spec;
  const d = convDims(spec);
  const OH = d.outHeight;
  const OW = d.outWidth;
  let o = 0;
  for (let b = 0; b < m; b++) {
    const xb = b * C * H * W;
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        for (let c = 0; c < C; c++) {
          const xc = xb + c * H * W;
          for (let ky = 0; ky < k; ky++) {
            const iy = oy * s - p + ky;
            if (iy < 0 || iy >= H) {
              o += k;
              continue;
            }
            const row = xc + iy * W;
            for (let kx = 0; kx < k; kx++) {
              const ix = ox * s - p + kx;
              if (ix >= 0 && ix < W) x[row + ix] += patches[o];
              o++;
            }
          }
        }
      }
    }
  }
}

/** [m·P × O] (position-major, the executor's output) → [m × O × P] (NCHW, the state layout). */
export function rowsToMaps(m: number, P: number, O: number, rows: Float32Array, maps: Float32Array): void {
  for (let b = 0; b < m; b++) {
    const rb = b * P * O;
    const mb = b * O * P;
    for (let q = 0; q < P; q++) {
      const r = rb + q * O;
      for (let c = 0; c < O; c++) maps[mb + c * P + q] = rows[r + c];
    }
  }
}

/** [m × O × P] (NCHW) → [m·P × O] (position-major). */
export function mapsToRows(m: number, P: number, O: number, maps: Float32Array, rows: Float32Array): void {
  for (let b = 0; b < m; b++) {
    const rb = b * P * O;
    const mb = b * O * P;
    for (let c = 0; c < O; c++) {
      const mc = mb + c * P;
      for (let q = 0; q < P; q++) rows[rb + q * O + c] = maps[mc + q];
    }
  }
}
