/**
 * What the EP engine asks of the hardware (docs/ARCHITECTURE.md): read an edge forward, read it transposed
 * (symmetric feedback), read its fixed random feedback matrix, and compute a local outer-product
 * update. The ideal executor does these on dense float arrays; the chip executor on crossbar tiles
 * with noise and quantisation. States are batch-major [m × size].
 */
import type { NetEdge, NetLayer } from '../graph/net';
import type { Kernels } from './kernels/kernels';

export interface Executor {
  /** The kernel backend the reads run on (the engines pick the matching im2row for conv edges). */
  readonly kernels: Kernels;
  /**
   * Optional: the bytes of a conv edge's patch matrix this executor prefers per forward or
   * transposed read. The engines then build and read the patches of that many samples at a time
   * (reads are row-independent: the same arithmetic, equal to rounding) and the patches stay in
   * cache between im2row, the read and row2im. Undefined: the whole batch in one read.
   */
  readonly convChunkBytes?: number;
  /** out[m × rows] += scale · inp[m × cols] · Wᵀ */
  forward(edge: NetEdge, inp: Float32Array, m: number, scale: number, out: Float32Array): void;
  /** out[m × cols] += scale · inp[m × rows] · W  (the same matrix read transposed) */
  transposed(edge: NetEdge, inp: Float32Array, m: number, scale: number, out: Float32Array): void;
  /**
   * Optional overwriting forms of forward and transposed (out = …, not out += …): the conv reads
   * write into scratch rows that the engines would otherwise zero first (a memset of a megabyte per
   * chunk of a transposed read). Only for executors whose read is exactly 0 + the read (the ideal
   * one: sgemm with β = 0 instead of β = 1 on zeros gives the same floats).
   */
  forwardInto?(edge: NetEdge, inp: Float32Array, m: number, scale: number, out: Float32Array): void;
  transposedInto?(edge: NetEdge, inp: Float32Array, m: number, scale: number, out: Float32Array): void;
  /**
   * Optional: the [rows × cols] float32 matrix that forwardInto and transposedInto read exactly (sgemm
   * with α = scale, β = 0 on the native backend) and whose activate is the kernels' activate: the
   * ideal executor. The engines may then run a max-pooled conv edge's chunk loop in native code, on
   * both cores (LayoutKernels.convForwardMax), and activate a layer inside its feedback read.
   */
  exactMatrix?(edge: NetEdge): Float32Array;
  /** out[m × cols] += scale · inp[m × rows] · Bᵀ  (B: the edge's fixed random feedback, cols × rows) */
  randomFeedback(edge: NetEdge, inp: Float32Array, m: number, scale: number, out: Float32Array): void;
  /** g[rows × cols] = scale · post[m × rows]ᵀ · pre[m × cols]  (the local outer-product rule, summed over the batch) */
  outer(edge: NetEdge, post: Float32Array, pre: Float32Array, m: number, scale: number, g: Float32Array): void;
  /** s[m × size] = ρ(h) with the layer's activation (the neuron unit). */
  activate(layer: NetLayer, h: Float32Array, s: Float32Array, m: number): void;
}
