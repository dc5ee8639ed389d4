/**
 * The kernel interface: the only numeric primitives the engines call on their hot path.
 * Modelled on BLAS so a backend can hand the call straight to sgemm. All matrices are
 * row-major Float32Arrays; a matrix argument may be a subarray view (the backend honours its
 * byteOffset). ld* are row strides in elements.
 */
import type { Activation } from '../../graph/spec';

export type Trans = 'N' | 'T';

export interface Kernels {
  /** Backend name, for logs and benchmark output. */
  readonly name: string;
  /**
   * C[M×N] = alpha · op(A)[M×K] · op(B)[K×N] + beta · C.
   * op(A) = A (stored M×K, lda ≥ K) or Aᵀ (stored K×M, lda ≥ M); likewise for B.
   * beta = 0 overwrites C (NaNs already in C do not propagate), as in BLAS.
   */
  gemm(
    transA: Trans,
    transB: Trans,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: Float32Array,
    lda: number,
    B: Float32Array,
    ldb: number,
    beta: number,
    C: Float32Array,
    ldc: number,
  ): void;
  /** s[i] = ρ(h[i]) for i < n (the neuron update; h and s may not overlap). */
  activate(kind: Activation, h: Float32Array, s: Float32Array, n: number): void;
  /**
   * One Adam step on n elements, in place (PyTorch's form of bias correction):
   * m ← b1·m + (1−b1)·g; v ← b2·v + (1−b2)·g²; w ← w − c1·m / (sqrt(v)·c2 + eps),
   * with c1 = lr/(1−b1^t) and c2 = 1/sqrt(1−b2^t) supplied by the caller.
   */
  adamStep(
    w: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    n: number,
    b1: number,
    b2: number,
    c1: number,
    c2: number,
    eps: number,
  ): void;
}
