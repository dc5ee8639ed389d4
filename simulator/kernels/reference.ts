/**
 * The reference backend: plain TypeScript loops, the living definition of every kernel. Fast
 * backends are tested against it (test/kernels-conformance.test.ts). Accumulates in float64 so it
 * is the more accurate side of every comparison.
 */
import { activate } from '../engine/activations';
import type { Kernels, Trans } from './kernels';

export const referenceKernels: Kernels = {
  name: 'reference-ts',
  gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) {
    // Parameters typed by Kernels.gemm (kernels.ts), where they are documented.
    checkGemmArgs(transA, transB, M, N, K, A, lda, B, ldb, C, ldc);
    const acc = new Float64Array(N);
    for (let i = 0; i < M; i++) {
      acc.fill(0);
      for (let k = 0; k < K; k++) {
        const a = transA === 'N' ? A[i * lda + k] : A[k * lda + i];
        if (a === 0) continue;
        if (transB === 'N') {
          const row = k * ldb;
          for (let j = 0; j < N; j++) acc[j] += a * B[row + j];
        } else {
          for (let j = 0; j < N; j++) acc[j] += a * B[j * ldb + k];
        }
      }
      const row = i * ldc;
      for (let j = 0; j < N; j++) {
        C[row + j] = beta === 0 ? alpha * acc[j] : alpha * acc[j] + beta * C[row + j];
      }
    }
  },
  activate,
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
  ): void {
    for (let k = 0; k < n; k++) {
      const gk = g[k];
      const mk = b1 * m[k] + (1 - b1) * gk;
      const vk = b2 * v[k] + (1 - b2) * gk * gk;
      m[k] = mk;
      v[k] = vk;
      w[k] -= (c1 * mk) / (Math.sqrt(vk) * c2 + eps);
    }
  },
};

/** Shared argument check: a wrong stride or a too-short buffer is a programming error, caught here. */
export function checkGemmArgs(
  transA: Trans,
  transB: Trans,
  M: number,
  N: number,
  K: number,
  A: Float32Array,
  lda: number,
  B: Float32Array,
  ldb: number,
  C: Float32Array,
  ldc: number,
): void {
  const [aRows, aCols] = transA === 'N' ? [M, K] : [K, M];
  const [bRows, bCols] = transB === 'N' ? [K, N] : [N, K];
  if (M === 0 || N === 0) return;
  if (lda < aCols || ldb < bCols || ldc < N) {
    throw new Error(`gemm: leading dimension too small (lda ${lda}/${aCols}, ldb ${ldb}/${bCols}, ldc ${ldc}/${N})`);
  }
  if (K > 0 && (A.length < (aRows - 1) * lda + aCols || B.length < (bRows - 1) * ldb + bCols)) {
    throw new Error(`gemm: input buffer too short for ${transA}${transB} M=${M} N=${N} K=${K}`);
  }
  if (C.length < (M - 1) * ldc + N) throw new Error(`gemm: output buffer too short (M=${M}, N=${N}, ldc=${ldc})`);
}
