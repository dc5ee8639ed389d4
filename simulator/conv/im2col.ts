/**
 * im2col / col2im for a batch [m × C × H × W] (batch-major, row-major; see shapes.ts).
 *
 * The column matrix of one sample is col[colRows × colCols], row-major, with
 *   row r    = (c·k + ky)·k + kx        (input channel, kernel row, kernel column)   r < C·k·k
 *   column q = oy·OW + ox               (output row, output column)                   q < OH·OW
 *   col[r, q] = x[c, oy·s − p + ky, ox·s − p + kx]   (0 where that lies in the zero padding)
 * so that y[O × OH·OW] = W_unrolled[O × C·k·k] · col, with W_unrolled the weight tensor
 * [O × C × k × k] read row-major (no reshuffle). A batch of m samples is m such matrices stacked,
 * sample b at offset b·colRows·colCols. docs/conv-layout.md has the full description.
 *
 * col2im is the adjoint of im2col: it ACCUMULATES each column entry into the input position it was
 * read from (entries that came from padding are dropped), x += col2im(col).
 */
import { checkBatch, convDims, type ConvSpec } from '../../graph/shapes';

/**
 * im2col of the single sample starting at x[xOff] into col[colOff …], colRows·colCols elements,
 * every element written (padding → 0).
 */
export function im2colSample(spec: ConvSpec, x: Float32Array, xOff: number, col: Float32Array, colOff: number): void {
  const { outHeight: OH, outWidth: OW, colCols } = convDims(spec);
  const { inChannels: C, kernel: k, stride: s, padding: p, height: H, width: W } = spec;
  let r = 0;
  for (let c = 0; c < C; c++) {
    const plane = xOff + c * H * W;
    for (let ky = 0; ky < k; ky++) {
      for (let kx = 0; kx < k; kx++, r++) {
        const rowBase = colOff + r * colCols;
        for (let oy = 0; oy < OH; oy++) {
          const iy = oy * s - p + ky;
          const dst = rowBase + oy * OW;
          if (iy < 0 || iy >= H) {
            col.fill(0, dst, dst + OW);
            continue;
          }
          const src = plane + iy * W;
          for (let ox = 0; ox < OW; ox++) {
            const ix = ox * s - p + kx;
            col[dst + ox] = ix >= 0 && ix < W ? x[src + ix] : 0;
          }
        }
      }
    }
  }
}

/** x[xOff …] += col2im(col[colOff …]) for one sample (the adjoint of im2colSample). */
export function col2imSample(spec: ConvSpec, col: Float32Array, colOff: number, x: Float32Array, xOff: number): void {
  const { outHeight: OH, outWidth: OW, colCols } = convDims(spec);
  const { inChannels: C, kernel: k, stride: s, padding: p, height: H, width: W } = spec;
  let r = 0;
  for (let c = 0; c < C; c++) {
    const plane = xOff + c * H * W;
    for (let ky = 0; ky < k; ky++) {
      for (let kx = 0; kx < k; kx++, r++) {
        const rowBase = colOff + r * colCols;
        for (let oy = 0; oy < OH; oy++) {
          const iy = oy * s - p + ky;
          if (iy < 0 || iy >= H) continue;
          const src = rowBase + oy * OW;
          const dst = plane + iy * W;
          for (let ox = 0; ox < OW; ox++) {
            const ix = ox * s - p + kx;
            if (ix >= 0 && ix < W) x[dst + ix] += col[src + ox];
          }
        }
      }
    }
  }
}

/** im2col of a batch: x [m × C × H × W] → col [m × colRows × colCols] (overwritten). */
export function im2col(spec: ConvSpec, m: number, x: Float32Array, col: Float32Array): void {
  const d = convDims(spec);
  const per = d.colRows * d.colCols;
  checkBatch('im2col (x)', m, x, d.inSize);
  checkBatch('im2col (col)', m, col, per);
  for (let b = 0; b < m; b++) im2colSample(spec, x, b * d.inSize, col, b * per);
}

/**
 * col2im of a batch: x [m × C × H × W] += col2im(col [m × colRows × colCols]). Accumulates; zero x
 * first for a plain transpose.
 */
export function col2im(spec: ConvSpec, m: number, col: Float32Array, x: Float32Array): void {
  const d = convDims(spec);
  const per = d.colRows * d.colCols;
  checkBatch('col2im (col)', m, col, per);
  checkBatch('col2im (x)', m, x, d.inSize);
  for (let b = 0; b < m; b++) col2imSample(spec, col, b * per, x, b * d.inSize);
}
