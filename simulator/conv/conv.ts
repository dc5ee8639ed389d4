/**
 * Batched 2-D convolution on the Kernels gemm (im2col + one GEMM per sample). Layouts:
 *   x  [m × C × H × W]      input (pre-synaptic) feature maps
 *   y  [m × O × OH × OW]    output (post-synaptic) feature maps
 *   w  [O × C × k × k]      weights = W_unrolled [O × C·k·k], row-major (docs/conv-layout.md)
 * All Float32Array, batch-major, row-major. simulator/conv/reference.ts holds the direct float64
 * definitions these are tested against (test/conv.test.ts).
 *
 *   convForward     y  = scale · conv(x; W)            (+ y if accumulate)      y_b  = W · im2col(x_b)
 *   convTranspose   x  = scale · convᵀ(y; W)           (+ x if accumulate)      x_b  = col2im(Wᵀ · y_b)
 *   convWeightGrad  dW = scale · Σ_b dy_b ⊛ x_b        (+ dW if accumulate)     dW   = Σ_b dy_b · im2col(x_b)ᵀ
 *
 * convTranspose is the exact adjoint of convForward (⟨conv(x), y⟩ = ⟨x, convᵀ(y)⟩): the symmetric
 * feedback of a conv FRE-RNN. convWeightGrad(x, dy) = ∂⟨conv(x; W), dy⟩/∂W: with x = s⁰ of the
 * pre layer and dy = s^β − s⁰ of the post layer it is the EP local update direction.
 *
 * Each call needs a scratch column buffer of convWorkspaceSize(spec) floats; pass `workspace` to
 * avoid an allocation per call (it must not alias x, y or w).
 */
import type { Kernels } from '../kernels/kernels';
import { col2imSample, im2colSample } from './im2col';
import { checkBatch, convDims, type ConvDims, type ConvSpec } from '../../graph/shapes';

export interface ConvOptions {
  /** Multiplies the result (default 1). */
  scale?: number;
  /** Add into the output instead of overwriting it (default false). */
  accumulate?: boolean;
  /** Scratch of ≥ convWorkspaceSize(spec) floats (default: allocated per call). */
  workspace?: Float32Array;
}

function workspaceFor(d: ConvDims, opts: ConvOptions | undefined): Float32Array {
  const need = d.colRows * d.colCols;
  const ws = opts?.workspace;
  if (ws === undefined) return new Float32Array(need);
  if (ws.length < need) throw new Error(`conv: workspace too short (${ws.length} < ${need})`);
  return ws;
}

function checkWeights(what: string, w: Float32Array, d: ConvDims): void {
  if (w.length < d.weightSize) throw new Error(`${what}: weight buffer too short (${w.length} < ${d.weightSize})`);
}

/** y [m × O × OH × OW] = scale · conv(x [m × C × H × W]; w [O × C × k × k]) (+ y if accumulate). */
export function convForward(
  kernels: Kernels,
  spec: ConvSpec,
  m: number,
  x: Float32Array,
  w: Float32Array,
  y: Float32Array,
  opts?: ConvOptions,
): void {
  const d = convDims(spec);
  checkBatch('convForward (x)', m, x, d.inSize);
  checkBatch('convForward (y)', m, y, d.outSize);
  checkWeights('convForward', w, d);
  const col = workspaceFor(d, opts);
  const scale = opts?.scale ?? 1;
  const beta = opts?.accumulate ? 1 : 0;
  for (let b = 0; b < m; b++) {
    im2colSample(spec, x, b * d.inSize, col, 0);
    const yb = y.subarray(b * d.outSize, (b + 1) * d.outSize);
    kernels.gemm('N', 'N', spec.outChannels, d.colCols, d.colRows, scale, w, d.colRows, col, d.colCols, beta, yb, d.colCols);
  }
}

/**
 * x [m × C × H × W] = scale · convᵀ(y [m × O × OH × OW]; w) (+ x if accumulate): the transposed
 * convolution with the same weights, the adjoint of convForward.
 */
export function convTranspose(
  kernels: Kernels,
  spec: ConvSpec,
  m: number,
  y: Float32Array,
  w: Float32Array,
  x: Float32Array,
  opts?: ConvOptions,
): void {
  const d = convDims(spec);
  checkBatch('convTranspose (y)', m, y, d.outSize);
  checkBatch('convTranspose (x)', m, x, d.inSize);
  checkWeights('convTranspose', w, d);
  const col = workspaceFor(d, opts);
  const scale = opts?.scale ?? 1;
  if (!opts?.accumulate) x.fill(0, 0, m * d.inSize);
  for (let b = 0; b < m; b++) {
    const yb = y.subarray(b * d.outSize, (b + 1) * d.outSize);
    // col[colRows × colCols] = scale · Wᵀ · y_b   (W stored O × colRows)
    kernels.gemm('T', 'N', d.colRows, d.colCols, spec.outChannels, scale, w, d.colRows, yb, d.colCols, 0, col, d.colCols);
    col2imSample(spec, col, 0, x, b * d.inSize);
  }
}

/**
 * dw [O × C × k × k] = scale · Σ_b dy_b · im2col(x_b)ᵀ (+ dw if accumulate): the gradient of
 * ⟨conv(x; W), dy⟩ with respect to W, summed over the batch (no 1/m: pass scale).
 */
export function convWeightGrad(
  kernels: Kernels,
  spec: ConvSpec,
  m: number,
  x: Float32Array,
  dy: Float32Array,
  dw: Float32Array,
  opts?: ConvOptions,
): void {
  const d = convDims(spec);
  checkBatch('convWeightGrad (x)', m, x, d.inSize);
  checkBatch('convWeightGrad (dy)', m, dy, d.outSize);
  checkWeights('convWeightGrad', dw, d);
  const col = workspaceFor(d, opts);
  const scale = opts?.scale ?? 1;
  for (let b = 0; b < m; b++) {
    im2colSample(spec, x, b * d.inSize, col, 0);
    const dyb = dy.subarray(b * d.outSize, (b + 1) * d.outSize);
    const beta = b === 0 && !opts?.accumulate ? 0 : 1;
    // dW[O × colRows] (+)= scale · dy_b[O × colCols] · col[colRows × colCols]ᵀ
    kernels.gemm('N', 'T', spec.outChannels, d.colRows, d.colCols, scale, dyb, d.colCols, col, d.colCols, beta, dw, d.colRows);
  }
}
