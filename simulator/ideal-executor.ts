/** The ideal executor: exact float32 reads of dense matrices through the selected kernel backend. */
import type { NetEdge, NetLayer } from '../graph/net';
import type { Executor } from './executor';
import type { Kernels } from './kernels/kernels';
import type { Params } from '../graph/params';

export class IdealExecutor implements Executor {
  /**
   * Conv patches per read, in bytes: about a core's L2 (1–2 MB on current x86 servers), so the
   * patches im2row writes are still cached when the GEMM reads them, and the transposed read's
   * output when row2im adds it up. bench/conv-epoch.ts measures the effect.
   */
  readonly convChunkBytes = 1 << 20;

  constructor(
    readonly params: Params,
    readonly kernels: Kernels,
  ) {}

  forward(e: NetEdge, inp: Float32Array, m: number, scale: number, out: Float32Array): void {
    this.kernels.gemm('N', 'T', m, e.rows, e.cols, scale, inp, e.cols, this.params.W[e.index].data, e.cols, 1, out, e.rows);
  }

  transposed(e: NetEdge, inp: Float32Array, m: number, scale: number, out: Float32Array): void {
    this.kernels.gemm('N', 'N', m, e.cols, e.rows, scale, inp, e.rows, this.params.W[e.index].data, e.cols, 1, out, e.cols);
  }

  forwardInto(e: NetEdge, inp: Float32Array, m: number, scale: number, out: Float32Array): void {
    this.kernels.gemm('N', 'T', m, e.rows, e.cols, scale, inp, e.cols, this.params.W[e.index].data, e.cols, 0, out, e.rows);
  }

  transposedInto(e: NetEdge, inp: Float32Array, m: number, scale: number, out: Float32Array): void {
    this.kernels.gemm('N', 'N', m, e.cols, e.rows, scale, inp, e.rows, this.params.W[e.index].data, e.cols, 0, out, e.cols);
  }

  exactMatrix(e: NetEdge): Float32Array {
    return this.params.W[e.index].data;
  }

  randomFeedback(e: NetEdge, inp: Float32Array, m: number, scale: number, out: Float32Array): void {
    const b = this.params.B[e.index];
    if (!b) throw new Error(`edge ${e.name} has no random feedback matrix`);
    this.kernels.gemm('N', 'T', m, e.cols, e.rows, scale, inp, e.rows, b.data, e.rows, 1, out, e.cols);
  }

  outer(e: NetEdge, post: Float32Array, pre: Float32Array, m: number, scale: number, g: Float32Array): void {
    this.kernels.gemm('T', 'N', e.rows, e.cols, m, scale, post, e.rows, pre, e.cols, 0, g, e.cols);
  }

  activate(layer: NetLayer, h: Float32Array, s: Float32Array, m: number): void {
    this.kernels.activate(layer.activation, h, s, m * layer.size);
  }
}
