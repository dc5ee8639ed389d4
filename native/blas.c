/*
 * fre_blas: a minimal Node-API addon exposing OpenBLAS's cblas_sgemm to the TypeScript kernels
 * (simulator/kernels/native.ts). Plain C against node_api.h; no C++ wrapper library.
 *
 * Exports
 *   sgemm(transA: boolean, transB: boolean, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc): undefined
 *       Row-major C[M×N] = alpha·op(A)·op(B) + beta·C on Float32Arrays (each honouring its
 *       byteOffset). Every argument is validated here — wrong types, non-integer or negative sizes,
 *       too-small leading dimensions and too-short buffers throw a JS TypeError/RangeError instead
 *       of letting BLAS read or write out of bounds.
 *   setThreads(n: number): boolean   — openblas_set_num_threads, false if the library lacks it
 *   getThreads(): number             — openblas_get_num_threads, or -1 if unavailable
 *   config(): string                 — openblas_get_config() + core name, or "" if unavailable
 *   activate(kind, h, s, n): undefined — s[i] = ρ(h[i]) for i < n; kind 0 tanh, 1 hard-sigmoid,
 *       2 the prototype sigmoid 1/(1+e^{−4(x−0.5)}). Plain loops the compiler vectorises; tanh is
 *       a rational minimax approximation (Eigen's float tanh), within 2e-7 of Math.tanh.
 *
 * Semantics match simulator/kernels/reference.ts: M = 0 or N = 0 is a no-op; K = 0 or alpha = 0
 * gives C = beta·C, and beta = 0 overwrites C (NaNs already in C do not propagate: fre_blas_overwrites_c).
 */
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <node_api.h>

/*
 * OpenBLAS extensions, declared weak so the addon still links and loads against another CBLAS
 * (then setThreads/getThreads/config report "unavailable" instead of failing to load).
 * OpenBLAS's own cblas.h already declares them; redeclaring with the same prototype is fine.
 */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_config(void);
char *openblas_get_corename(void);
#pragma weak openblas_set_num_threads
#pragma weak openblas_get_num_threads
#pragma weak openblas_get_config
#pragma weak openblas_get_corename

#include "napi_args.h"
#include "noise.h"
#include "periphery.h"
#include "conv.h"
#include "devices.h"
#include "blocks.h"

/* Elements a row-major rows×cols matrix with row stride ld spans. */
static int64_t span(int64_t rows, int64_t cols, int64_t ld) {
  return rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols;
}

/*
 * Whether cblas_sgemm with β = 0 writes C without reading it (NaN/Inf already in C do not propagate), as the
 * reference BLAS does (C := 0 when β is zero, then the product) and OpenBLAS does (its β pass zeroes C: a memset
 * under sgemm_nn/sgemm_tn in perf; its small-matrix kernels have β = 0 variants that only store). Sgemm then
 * needs no clear of its own — which cost a second write pass over every C (≈ 1 % of a chip epoch's CPU). Probed
 * once per process, on the loaded library: every transpose pair, on shapes that reach its paths (one row, one
 * column, small-matrix kernels, the blocked driver, several threads when it has them), C filled with NaN and
 * +Inf. Any shape leaving one non-finite value (a BLAS that reads C, e.g. a GEMM forwarded to a GEMV whose
 * β = 0 scaling multiplies) keeps the clear for every call.
 */
bool fre_blas_overwrites_c(void) {
  static int known = -1; /* first call on the JS thread (Sgemm, readBatch), before any worker reads it */
  if (known >= 0) return known == 1;
  static const int shapes[][3] = {{1, 1, 1}, {1, 67, 33}, {67, 1, 33}, {5, 7, 3}, {33, 65, 17}, {130, 300, 70}, {300, 520, 260}};
  const int64_t most = 300 * 520;
  float *A = malloc(sizeof(float) * most), *B = malloc(sizeof(float) * most), *C = malloc(sizeof(float) * most);
  bool ok = A && B && C;
  for (int64_t i = 0; ok && i < most; i++) A[i] = B[i] = (float)((i % 7) - 3) * 0.25f;
  for (size_t s = 0; ok && s < sizeof shapes / sizeof shapes[0]; s++)
    for (int t = 0; ok && t < 4; t++) {
      const int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2], ta = t & 1, tb = t >> 1;
      for (int64_t i = 0; i < (int64_t)M * N; i++) C[i] = (i & 1) ? INFINITY : NAN;
      cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, 1.0f, A, ta ? M : K, B,
                  tb ? K : N, 0.0f, C, N);
      for (int64_t i = 0; ok && i < (int64_t)M * N; i++) ok = isfinite(C[i]);
    }
  free(A);
  free(B);
  free(C);
  known = ok ? 1 : 0;
  return ok;
}

/* The product itself, arguments already checked (Sgemm, sgemmBatch): the same calls whoever runs it. */
static void sgemm_run(bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const float *A, int64_t lda, const float *B,
                      int64_t ldb, double beta, float *C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  const float a = (float)alpha, b = (float)beta;
  if (K == 0 || a == 0.0f) {
    /* C = beta·C without touching A/B (CBLAS would also do this, but K = 0 needs lda ≥ 1 games). */
    for (int64_t i = 0; i < M; i++) {
      float *row = C + i * ldc;
      if (b == 0.0f) memset(row, 0, (size_t)N * sizeof(float));
      else if (b != 1.0f) for (int64_t j = 0; j < N; j++) row[j] *= b;
    }
    return;
  }
  if (b == 0.0f && !fre_blas_overwrites_c()) {
    /* This BLAS lets NaN/Inf already in C through a β = 0 call (the probe above): clear C first. */
    for (int64_t i = 0; i < M; i++) memset(C + i * ldc, 0, (size_t)N * sizeof(float));
  }
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
              (int)M, (int)N, (int)K, a, A, (int)lda, B, (int)ldb, b, C, (int)ldc);
}

/* Sgemm's checks of one product's sizes against its buffers (throws and returns false on a bad one). */
static bool sgemm_check(napi_env env, const char *who, bool ta, bool tb, int64_t M, int64_t N, int64_t K, int64_t lda, int64_t ldb,
                        int64_t ldc, int64_t lenA, int64_t lenB, int64_t lenC) {
  /* Stored shapes: op(A) is M×K, so A is M×K ('N') or K×M ('T'); likewise B is K×N or N×K. */
  const int64_t aRows = ta ? K : M, aCols = ta ? M : K;
  const int64_t bRows = tb ? N : K, bCols = tb ? K : N;
  char msg[256];
  if (M == 0 || N == 0) return true; /* nothing to write */
  if (lda < aCols || ldb < bCols || ldc < N) {
    snprintf(msg, sizeof msg,
             "%s: leading dimension too small (lda %lld/%lld, ldb %lld/%lld, ldc %lld/%lld)", who,
             (long long)lda, (long long)aCols, (long long)ldb, (long long)bCols, (long long)ldc,
             (long long)N);
    throw_range(env, msg);
    return false;
  }
  /* All products below are < 2^62: each factor is ≤ INT_MAX. */
  if (K > 0 && (lenA < span(aRows, aCols, lda) || lenB < span(bRows, bCols, ldb))) {
    snprintf(msg, sizeof msg,
             "%s: input buffer too short (A has %lld of %lld elements, B has %lld of %lld)", who,
             (long long)lenA, (long long)span(aRows, aCols, lda), (long long)lenB,
             (long long)span(bRows, bCols, ldb));
    throw_range(env, msg);
    return false;
  }
  if (lenC < span(M, N, ldc)) {
    snprintf(msg, sizeof msg, "%s: output buffer too short (C has %lld of %lld elements)", who,
             (long long)lenC, (long long)span(M, N, ldc));
    throw_range(env, msg);
    return false;
  }
  return true;
}

static napi_value Sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 13) {
    char msg[96];
    snprintf(msg, sizeof msg, "sgemm: expected 13 arguments, got %zu", argc);
    return throw_type(env, msg);
  }
  bool ta, tb;
  int64_t M, N, K, lda, ldb, ldc, lenA, lenB, lenC;
  double alpha, beta;
  float *A, *B, *C;
  if (!get_bool(env, argv[0], "transA", &ta) || !get_bool(env, argv[1], "transB", &tb) ||
      !get_dim(env, argv[2], "M", 0, &M) || !get_dim(env, argv[3], "N", 0, &N) ||
      !get_dim(env, argv[4], "K", 0, &K) || !get_number(env, argv[5], "alpha", &alpha) ||
      !get_f32(env, argv[6], "A", &A, &lenA) || !get_dim(env, argv[7], "lda", 0, &lda) ||
      !get_f32(env, argv[8], "B", &B, &lenB) || !get_dim(env, argv[9], "ldb", 0, &ldb) ||
      !get_number(env, argv[10], "beta", &beta) || !get_f32(env, argv[11], "C", &C, &lenC) ||
      !get_dim(env, argv[12], "ldc", 0, &ldc)) {
    return NULL; /* exception already thrown */
  }

  if (!sgemm_check(env, "sgemm", ta, tb, M, N, K, lda, ldb, ldc, lenA, lenB, lenC)) return NULL;
  sgemm_run(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  return NULL;
}

/*
 * sgemmBatch(bufs, nums, count): count independent products, each as sgemm computes it — bufs[3g..3g + 2] =
 * A, B, C, nums[10g..10g + 9] = transA, transB, M, N, K, alpha, lda, ldb, beta, ldc — whole products side by
 * side on the chip threads (pool.c) when OpenBLAS runs one thread: then every product is the one-thread
 * sgemm call it would be alone, so the bytes do not depend on who runs it. With several BLAS threads (or one
 * chip thread) they run here one after another. The products must not write what another reads. Why: the
 * chip's OuterProductUpdate tiles (14 GEMMs of 2HL-512's UPDATE phase) ran one by one on one core while the
 * other chip thread idled.
 */
#define GEMM_NUMS 10
typedef struct {
  const float *A, *B;
  float *C;
  bool ta, tb;
  int64_t M, N, K, lda, ldb, ldc;
  double alpha, beta;
} gemm_item;

static void gemm_block(void *q, int b) {
  const gemm_item *g = (const gemm_item *)q + b;
  sgemm_run(g->ta, g->tb, g->M, g->N, g->K, g->alpha, g->A, g->lda, g->B, g->ldb, g->beta, g->C, g->ldc);
}

static napi_value SgemmBatch(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 3) return throw_type(env, "sgemmBatch: expected (bufs, nums, count)");
  int64_t count;
  if (!get_dim(env, argv[2], "count", 0, &count)) return NULL;
  if (count > 256) return throw_range(env, "sgemmBatch: at most 256 products");
  bool isTa = false, isArr = false;
  napi_typedarray_type type;
  size_t nl = 0;
  void *ptr = NULL;
  if (napi_is_typedarray(env, argv[1], &isTa) != napi_ok || !isTa ||
      napi_get_typedarray_info(env, argv[1], &type, &nl, &ptr, NULL, NULL) != napi_ok || type != napi_float64_array)
    return throw_type(env, "sgemmBatch: nums must be a Float64Array");
  if ((int64_t)nl < count * GEMM_NUMS) return throw_range(env, "sgemmBatch: nums is shorter than 10 per product");
  uint32_t bl = 0;
  if (napi_is_array(env, argv[0], &isArr) != napi_ok || !isArr || napi_get_array_length(env, argv[0], &bl) != napi_ok)
    return throw_type(env, "sgemmBatch: bufs must be an array");
  if ((int64_t)bl < 3 * count) return throw_range(env, "sgemmBatch: bufs is shorter than 3 per product");
  const double *nums = ptr;
  static _Thread_local gemm_item G[256];
  for (int64_t g = 0; g < count; g++) {
    float *f[3];
    int64_t len[3];
    static const char *names[3] = {"A", "B", "C"};
    for (int i = 0; i < 3; i++) {
      napi_value v;
      NAPI_CALL(env, napi_get_element(env, argv[0], (uint32_t)(3 * g + i), &v));
      if (!get_f32(env, v, names[i], &f[i], &len[i])) return NULL;
    }
    const double *d = nums + GEMM_NUMS * g;
    static const int dims[] = {2, 3, 4, 6, 7, 9};
    for (int i = 0; i < 6; i++) /* the range first: casting a double outside int64_t's is undefined */
      if (!(d[dims[i]] >= 0 && d[dims[i]] <= INT_MAX && d[dims[i]] == (double)(int64_t)d[dims[i]]))
        return throw_range(env, "sgemmBatch: a size is not an integer in [0, 2^31)");
    G[g] = (gemm_item){f[0], f[1], f[2], d[0] != 0, d[1] != 0, (int64_t)d[2], (int64_t)d[3], (int64_t)d[4], (int64_t)d[6], (int64_t)d[7],
                       (int64_t)d[9], d[5], d[8]};
    if (!sgemm_check(env, "sgemmBatch", G[g].ta, G[g].tb, G[g].M, G[g].N, G[g].K, G[g].lda, G[g].ldb, G[g].ldc, len[0], len[1], len[2]))
      return NULL;
  }
  fre_blas_overwrites_c(); /* probed here, on this thread, before a worker asks */
  const int blas = openblas_get_num_threads != NULL ? openblas_get_num_threads() : -1;
  if (count >= 2 && chip_threads() > 1 && blas == 1) fre_pool_run((int)count, gemm_block, G);
  else
    for (int64_t g = 0; g < count; g++) gemm_block(G, (int)g);
  return NULL;
}

static napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  double n;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) return throw_type(env, "setThreads: expected 1 argument");
  napi_valuetype t;
  NAPI_CALL(env, napi_typeof(env, argv[0], &t));
  if (t != napi_number) return throw_type(env, "setThreads: n must be a number");
  NAPI_CALL(env, napi_get_value_double(env, argv[0], &n));
  if (!(n >= 1 && n <= 1024 && n == (double)(int)n)) {
    return throw_range(env, "setThreads: n must be an integer in [1, 1024]");
  }
  bool ok = openblas_set_num_threads != NULL;
  if (ok) openblas_set_num_threads((int)n);
  NAPI_CALL(env, napi_get_boolean(env, ok, &result));
  return result;
}

static napi_value GetThreads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  int n = openblas_get_num_threads != NULL ? openblas_get_num_threads() : -1;
  NAPI_CALL(env, napi_create_int32(env, n, &result));
  return result;
}

static napi_value Config(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  char buf[512] = "";
  const char *cfg = openblas_get_config != NULL ? openblas_get_config() : NULL;
  const char *core = openblas_get_corename != NULL ? openblas_get_corename() : NULL;
  if (cfg != NULL) {
    if (core != NULL) snprintf(buf, sizeof buf, "%s; core %s", cfg, core);
    else snprintf(buf, sizeof buf, "%s", cfg);
  }
  NAPI_CALL(env, napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &result));
  return result;
}

/*
 * tanh as x·P(x²)/Q(x²) on [−7.905, 7.905] (beyond it float tanh is ±1): Eigen's
 * generic_fast_tanh_float coefficients. Branch-free, so loops over it vectorise; glibc's tanhf
 * does not, and the activation was over half the epoch time with scalar tanh.
 */
static inline float fast_tanhf(float x) {
  const float c = 7.90531110763549805f;
  const float xc = x < -c ? -c : (x > c ? c : x);
  const float x2 = xc * xc;
  float p = -2.76076847742355e-16f;
  p = p * x2 + 2.00018790482477e-13f;
  p = p * x2 + -8.60467152213735e-11f;
  p = p * x2 + 5.12229709037114e-08f;
  p = p * x2 + 1.48572235717979e-05f;
  p = p * x2 + 6.37261928875436e-04f;
  p = p * x2 + 4.89352455891786e-03f;
  p = p * xc;
  float q = 1.19825839466702e-06f;
  q = q * x2 + 1.18534705686654e-04f;
  q = q * x2 + 2.26843463243900e-03f;
  q = q * x2 + 4.89352518554385e-03f;
  const float r = p / q;
  /* Near 0 the ratio loses relative accuracy; tanh(x) = x to float precision there. */
  return fabsf(x) < 0.0004f ? x : r;
}

/*
 * The loops live in functions of their own so GCC can clone them for AVX2 (8 floats a step) and
 * pick the clone at load time, while the default clone keeps the addon working on any x86-64.
 * No FMA in either clone, and no reduction, so both give bit-identical results. tanh_loop also has an
 * AVX-512 clone (16 floats a step; -mavx512f implies no FMA either, so the same bytes): 0.19 → 0.11 ms
 * for 500 × 512 on this Cooper Lake (bench/results/speed README, session 8).
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define FRE_CLONES __attribute__((target_clones("avx2", "default")))
#define FRE_CLONES512 __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define FRE_CLONES
#define FRE_CLONES512
#endif

FRE_CLONES512 static void tanh_loop(const float *restrict h, float *restrict s, int64_t n) {
  for (int64_t i = 0; i < n; i++) s[i] = fast_tanhf(h[i]);
}

/* Adam, PyTorch's form: w −= c1·m / (sqrt(v)·c2 + eps), with c1 = lr/(1−β1^t), c2 = 1/sqrt(1−β2^t). */
FRE_CLONES static void adam_loop(float *restrict w, const float *restrict g, float *restrict m,
                                 float *restrict v, int64_t n, float b1, float b2, float c1,
                                 float c2, float eps) {
  for (int64_t i = 0; i < n; i++) {
    const float gi = g[i];
    const float mi = b1 * m[i] + (1.0f - b1) * gi;
    const float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] -= c1 * mi / (sqrtf(vi) * c2 + eps);
  }
}

static napi_value AdamStep(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  float *w, *g, *m, *v;
  int64_t wl, gl, ml, vl, n;
  double k[5];
  const char *names[5] = {"b1", "b2", "c1", "c2", "eps"};
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 10) return throw_type(env, "adamStep: expected (w, g, m, v, n, b1, b2, c1, c2, eps)");
  if (!get_f32(env, argv[0], "w", &w, &wl) || !get_f32(env, argv[1], "g", &g, &gl) ||
      !get_f32(env, argv[2], "m", &m, &ml) || !get_f32(env, argv[3], "v", &v, &vl)) return NULL;
  if (!get_dim(env, argv[4], "n", 0, &n)) return NULL;
  for (int i = 0; i < 5; i++) if (!get_number(env, argv[5 + i], names[i], &k[i])) return NULL;
  if (n > wl || n > gl || n > ml || n > vl) return throw_range(env, "adamStep: n exceeds a buffer's length");
  adam_loop(w, g, m, v, n, (float)k[0], (float)k[1], (float)k[2], (float)k[3], (float)k[4]);
  return NULL;
}

/* s[i] = ρ(h[i]), i < n, for activate's kinds; false for another kind. Also conv.c's fused feedback. */
bool fre_activate_loop(int kind, const float *h, float *s, int64_t n) {
  if (kind == 0) {
    tanh_loop(h, s, n);
  } else if (kind == 1) {
    for (int64_t i = 0; i < n; i++) {
      const float x = h[i];
      s[i] = x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x);
    }
  } else if (kind == 2) {
    for (int64_t i = 0; i < n; i++) s[i] = 1.0f / (1.0f + expf(-4.0f * (h[i] - 0.5f)));
  } else {
    return false;
  }
  return true;
}

static napi_value Activate(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  double kind_d;
  float *h, *s;
  int64_t hl, sl, n;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 4) return throw_type(env, "activate: expected (kind, h, s, n)");
  if (!get_number(env, argv[0], "kind", &kind_d)) return NULL;
  if (!get_f32(env, argv[1], "h", &h, &hl)) return NULL;
  if (!get_f32(env, argv[2], "s", &s, &sl)) return NULL;
  if (!get_dim(env, argv[3], "n", 0, &n)) return NULL;
  if (n > hl || n > sl) return throw_range(env, "activate: n exceeds a buffer's length");
  if (!fre_activate_loop((int)kind_d, h, s, n)) return throw_range(env, "activate: kind must be 0 (tanh), 1 (hard-sigmoid) or 2 (sigmoid)");
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
    {"sgemm", NULL, Sgemm, NULL, NULL, NULL, napi_enumerable, NULL},
    {"sgemmBatch", NULL, SgemmBatch, NULL, NULL, NULL, napi_enumerable, NULL},
    {"setThreads", NULL, SetThreads, NULL, NULL, NULL, napi_enumerable, NULL},
    {"getThreads", NULL, GetThreads, NULL, NULL, NULL, napi_enumerable, NULL},
    {"config", NULL, Config, NULL, NULL, NULL, napi_enumerable, NULL},
    {"activate", NULL, Activate, NULL, NULL, NULL, napi_enumerable, NULL},
    {"adamStep", NULL, AdamStep, NULL, NULL, NULL, napi_enumerable, NULL},
    {"addNormal", NULL, fre_add_normal, NULL, NULL, NULL, napi_enumerable, NULL},
    {"fillUniform", NULL, fre_fill_uniform, NULL, NULL, NULL, napi_enumerable, NULL},
    {"addNormalVar", NULL, fre_add_normal_var, NULL, NULL, NULL, napi_enumerable, NULL},
    {"normalVarBegin", NULL, fre_normal_var_begin, NULL, NULL, NULL, napi_enumerable, NULL},
    {"normalVarSettle", NULL, fre_normal_var_settle, NULL, NULL, NULL, napi_enumerable, NULL},
    {"normalVarDefer", NULL, fre_normal_var_defer, NULL, NULL, NULL, napi_enumerable, NULL},
    {"quantize", NULL, fre_quantize, NULL, NULL, NULL, napi_enumerable, NULL},
    {"adcAccumulate", NULL, fre_adc_accumulate, NULL, NULL, NULL, napi_enumerable, NULL},
    {"adcConvert", NULL, fre_adc_convert, NULL, NULL, NULL, napi_enumerable, NULL},
    {"tableActivate", NULL, fre_table_activate, NULL, NULL, NULL, napi_enumerable, NULL},
    {"rowSumSquares", NULL, fre_row_sum_squares, NULL, NULL, NULL, napi_enumerable, NULL},
    {"pulsedCommit", NULL, fre_pulsed_commit, NULL, NULL, NULL, napi_enumerable, NULL},
    {"pulsedCommitQueue", NULL, fre_pulsed_commit_queue, NULL, NULL, NULL, napi_enumerable, NULL},
    {"pulsedCommitRun", NULL, fre_pulsed_commit_run, NULL, NULL, NULL, napi_enumerable, NULL},
    {"spreadFill", NULL, fre_spread_fill, NULL, NULL, NULL, napi_enumerable, NULL},
    {"pulsedCommitOneSided", NULL, fre_pulsed_commit_one_sided, NULL, NULL, NULL, napi_enumerable, NULL},
    {"coincide", NULL, fre_coincide, NULL, NULL, NULL, napi_enumerable, NULL},
    {"setChipThreads", NULL, fre_set_chip_threads, NULL, NULL, NULL, napi_enumerable, NULL},
    {"setChipSimd", NULL, fre_set_chip_simd, NULL, NULL, NULL, napi_enumerable, NULL},
    {"readPrep", NULL, fre_read_prep, NULL, NULL, NULL, napi_enumerable, NULL},
    {"adcConvertScaled", NULL, fre_adc_convert_scaled, NULL, NULL, NULL, napi_enumerable, NULL},
    {"adcConvertAccumulate", NULL, fre_adc_convert_accumulate, NULL, NULL, NULL, napi_enumerable, NULL},
    {"readBatch", NULL, fre_read_batch, NULL, NULL, NULL, napi_enumerable, NULL},
    {"chipThreads", NULL, fre_chip_threads, NULL, NULL, NULL, napi_enumerable, NULL},
    {"neuronUpdate", NULL, fre_neuron_update, NULL, NULL, NULL, napi_enumerable, NULL},
    {"heldNeuronUpdate", NULL, fre_held_neuron_update, NULL, NULL, NULL, napi_enumerable, NULL},
    {"addRowBias", NULL, fre_add_row_bias, NULL, NULL, NULL, napi_enumerable, NULL},
    {"accumulateBatch", NULL, fre_accumulate_batch, NULL, NULL, NULL, napi_enumerable, NULL},
    {"squareRows", NULL, fre_square_rows, NULL, NULL, NULL, napi_enumerable, NULL},
    {"im2row", NULL, fre_im2row, NULL, NULL, NULL, napi_enumerable, NULL},
    {"row2im", NULL, fre_row2im, NULL, NULL, NULL, napi_enumerable, NULL},
    {"maxPoolRows", NULL, fre_max_pool_rows, NULL, NULL, NULL, napi_enumerable, NULL},
    {"maxUnpoolRows", NULL, fre_max_unpool_rows, NULL, NULL, NULL, napi_enumerable, NULL},
    {"repoolRows", NULL, fre_repool_rows, NULL, NULL, NULL, napi_enumerable, NULL},
    {"convForwardMax", NULL, fre_conv_forward_max, NULL, NULL, NULL, napi_enumerable, NULL},
    {"convBackwardMax", NULL, fre_conv_backward_max, NULL, NULL, NULL, napi_enumerable, NULL},
    {"setLayoutThreads", NULL, fre_set_layout_threads, NULL, NULL, NULL, napi_enumerable, NULL},
    {"layoutThreads", NULL, fre_layout_threads, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  NAPI_CALL(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}
