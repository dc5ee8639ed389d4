/* A stand-in for a BLAS whose beta = 0 GEMM reads C (C := beta*C, then the real OpenBLAS adds alpha*A*B with
 * beta = 1): NaN/Inf already in C propagate, so fre_blas_overwrites_c() fails and the binding keeps its clear.
 * Build: gcc -O2 -shared -fPIC -DBLASLIB="\"/lib/x86_64-linux-gnu/libopenblas.so.0\"" -o shim.so \
 *   bench/results/speed/review8-blas-reads-c.c $(pkg-config --cflags openblas) -ldl
 * Use: LD_PRELOAD=shim.so OPENBLAS_NUM_THREADS=1 node bench/results/speed/hash-chip.js . */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <cblas.h>
/* A BLAS whose β = 0 GEMM reads C (C := β·C, then C += α·A·B): NaN/Inf already in C propagate. */
void cblas_sgemm(const enum CBLAS_ORDER o, const enum CBLAS_TRANSPOSE ta, const enum CBLAS_TRANSPOSE tb, const blasint M, const blasint N,
                 const blasint K, const float alpha, const float *A, const blasint lda, const float *B, const blasint ldb, const float beta,
                 float *C, const blasint ldc) {
  static void (*real)(const enum CBLAS_ORDER, const enum CBLAS_TRANSPOSE, const enum CBLAS_TRANSPOSE, const blasint, const blasint,
                      const blasint, const float, const float *, const blasint, const float *, const blasint, const float, float *,
                      const blasint) = 0;
  if (!real) real = dlsym(dlopen(BLASLIB, RTLD_NOW | RTLD_GLOBAL), "cblas_sgemm");
  for (blasint i = 0; i < M; i++)
    for (blasint j = 0; j < N; j++) C[i * ldc + j] *= beta;
  real(o, ta, tb, M, N, K, alpha, A, lda, B, ldb, 1.0f, C, ldc);
}
