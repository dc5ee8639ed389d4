/*
 * im2row / row2im for the conv edges (simulator/conv/im2row.ts holds the reference TypeScript
 * versions and the layout): the per-element JS loops took half of a conv EP step; here the
 * k-long kernel rows are contiguous copies.
 *
 *   im2row(x, patches, m, C, H, W, k, stride, pad):
 *       patches[(b·OH·OW + oy·OW + ox)·C·k·k + (c·k + ky)·k + kx] = x[b, c, oy·s − p + ky, ox·s − p + kx]
 *       (0 in the padding)
 *   row2im(patches, x, m, C, H, W, k, stride, pad):  x += the adjoint (accumulates)
 *
 * and max pooling fused with the layout change around the read (simulator/conv/pool-rows.ts is the
 * reference and explains the layouts): the conv read comes back position-major, rows [m·P × O].
 *
 *   maxPoolRows(rows, out, argmax, bias, m, O, H, W, size, stride, scale[, rule]):
 *       out[b,o,y',x'] += scale·max_window rows[b·P + q, o]; then += scale·bias[o] (bias may be empty);
 *       argmax = (b·O + o)·P + q of the maximum (first in row-major window order on ties).
 *       rule 1 (the graph's pool.argmax "activation"): argmax = the first q of the largest
 *       clamp(scale·rows + scale·bias[o], 0, 1), in double (pool-rows.ts poolKey); out unchanged.
 *   maxUnpoolRows(post, argmax, rows, m, O, H, W, size, stride):
 *       rows = 0; rows[b·P + q, o] += post[b,o,y',x'] at q = argmax − (b·O + o)·P
 *
 * Sums are formed in double and rounded once per assignment, as the TypeScript reference's `+=` on
 * a Float32Array does, so both give the same floats.
 */
#define _POSIX_C_SOURCE 200809L /* sysconf, pthreads and sched_yield under -std=c11 */
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <cblas.h>
#include "napi_args.h"
#include "conv.h"
#include "blocks.h"

/* OpenBLAS's thread count (weak, as in blas.c: absent from another CBLAS). */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
#pragma weak openblas_set_num_threads
#pragma weak openblas_get_num_threads

/*
 * Both cores for the layout moves. OpenBLAS threads the GEMMs, but im2row, row2im and the fused
 * pool/unpool ran on the calling thread only (a sixth of a conv EP step). Each call here is split
 * by sample between the caller and one helper thread: samples are claimed one at a time from a
 * shared counter, so the caller never waits for a helper that is slow to wake (it then takes every
 * sample itself) and only waits for a sample the helper has claimed. A sample's work is the same
 * loop in the same order whichever thread runs it, and samples write disjoint memory, so the
 * results are bit-identical to one thread. FRE_LAYOUT_THREADS=1|2 or setLayoutThreads chooses; the default
 * follows OpenBLAS's thread count (share_mode). The fused conv reads (convForwardMax, below) share
 * whole chunks — GEMM included — this way.
 *
 * Claims carry the job's generation (state = gen << 32 | next sample): a helper that wakes late
 * cannot claim a sample of a later job with the earlier job's arguments. The helper spins briefly
 * after a job (the calls come every ~0.1 ms during a conv step), then sleeps on a condition variable.
 */
/* worker: 0 on the caller, 1 on the helper (for per-thread scratch). */
typedef void (*piece_fn)(void *job, int64_t b, int worker);

static struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  _Atomic uint64_t state;
  _Atomic int64_t finished;
  int64_t total;
  piece_fn fn;
  void *job;
  int mode; /* 0: not decided yet, 1: caller only, 2: caller + helper */
} share = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, NULL, NULL, 0};

#if defined(__x86_64__) || defined(__i386__)
#define CPU_RELAX() __builtin_ia32_pause()
#else
#define CPU_RELAX() ((void)0)
#endif
#define SHARE_SPINS 400 /* pause instructions (~40 to ~140 cycles each) before the helper sleeps, or the caller yields */

static void claim_and_run(uint32_t gen, int worker) {
  for (;;) {
    uint64_t st = atomic_load_explicit(&share.state, memory_order_acquire);
    if ((uint32_t)(st >> 32) != gen || (int64_t)(uint32_t)st >= share.total) return;
    if (!atomic_compare_exchange_weak_explicit(&share.state, &st, st + 1, memory_order_acq_rel, memory_order_relaxed)) continue;
    /* The job cannot change while this claimed sample is unfinished: its caller waits for it. */
    share.fn(share.job, (int64_t)(uint32_t)st, worker);
    atomic_fetch_add_explicit(&share.finished, 1, memory_order_release);
  }
}

static void *share_helper(void *arg) {
  (void)arg;
  uint32_t seen = 0;
  for (;;) {
    uint32_t gen = (uint32_t)(atomic_load_explicit(&share.state, memory_order_acquire) >> 32);
    for (int spins = 0; gen == seen; spins++) {
      if (spins < SHARE_SPINS) {
        CPU_RELAX();
      } else {
        pthread_mutex_lock(&share.mu);
        while ((uint32_t)(atomic_load_explicit(&share.state, memory_order_acquire) >> 32) == seen)
          pthread_cond_wait(&share.cv, &share.mu);
        pthread_mutex_unlock(&share.mu);
      }
      gen = (uint32_t)(atomic_load_explicit(&share.state, memory_order_acquire) >> 32);
    }
    seen = gen;
    claim_and_run(gen, 1);
  }
  return NULL;
}

static int helper_started = 0;

/* The helper thread, started once; false if it cannot be. */
static bool share_start_helper(void) {
  if (helper_started) return true;
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  helper_started = pthread_create(&t, &attr, share_helper, NULL) == 0;
  pthread_attr_destroy(&attr);
  return helper_started;
}

static int share_mode(void) {
  if (share.mode) return share.mode;
  /* FRE_LAYOUT_THREADS = 1 or 2 if set; else both cores when OpenBLAS may use several threads (its
     default, one per core) and the machine has two: the conv chunks then run on the caller and the
     helper with one BLAS thread each (run_chunks). OPENBLAS_NUM_THREADS=1 keeps the caller only,
     as for parallel training runs that each get one core. */
  const char *env = fre_getenv("FRE_LAYOUT_THREADS");
  long want;
  if (env) want = strtol(env, NULL, 10);
  else {
    const int blas = openblas_get_num_threads != NULL ? openblas_get_num_threads() : 1;
    want = blas >= 2 && sysconf(_SC_NPROCESSORS_ONLN) >= 2 ? 2 : 1;
  }
  share.mode = want >= 2 && share_start_helper() ? 2 : 1;
  return share.mode;
}

/* fn(job, b) for b in [0, total), on the caller and the helper; returns when all have run. Called
 * from the Node main thread only (one job at a time). */
static void run_samples(piece_fn fn, void *job, int64_t total) {
  if (total < 2 || total >= UINT32_MAX || share_mode() < 2) {
    for (int64_t b = 0; b < total; b++) fn(job, b, 0);
    return;
  }
  pthread_mutex_lock(&share.mu);
  share.total = total;
  share.fn = fn;
  share.job = job;
  atomic_store_explicit(&share.finished, 0, memory_order_relaxed);
  const uint32_t gen = (uint32_t)(atomic_load_explicit(&share.state, memory_order_relaxed) >> 32) + 1;
  atomic_store_explicit(&share.state, (uint64_t)gen << 32, memory_order_release);
  pthread_cond_signal(&share.cv);
  pthread_mutex_unlock(&share.mu);
  claim_and_run(gen, 0);
  for (int spins = 0; atomic_load_explicit(&share.finished, memory_order_acquire) < total; spins++) {
    if (spins < SHARE_SPINS) CPU_RELAX();
    else sched_yield(); /* the helper was descheduled mid-sample */
  }
}

typedef struct { int64_t m, C, H, W, k, s, p, OH, OW; } geom_t;

static bool get_geom(napi_env env, napi_value *argv, geom_t *g, const char *what) {
  if (!get_dim(env, argv[0], "m", 1, &g->m) || !get_dim(env, argv[1], "C", 1, &g->C) ||
      !get_dim(env, argv[2], "H", 1, &g->H) || !get_dim(env, argv[3], "W", 1, &g->W) ||
      !get_dim(env, argv[4], "k", 1, &g->k) || !get_dim(env, argv[5], "stride", 1, &g->s) ||
      !get_dim(env, argv[6], "pad", 0, &g->p)) return false;
  if (g->H + 2 * g->p < g->k || g->W + 2 * g->p < g->k) {
    throw_range(env, what);
    return false;
  }
  g->OH = (g->H + 2 * g->p - g->k) / g->s + 1;
  g->OW = (g->W + 2 * g->p - g->k) / g->s + 1;
  return true;
}

/*
 * The loops are written once with the kernel side `k` as a parameter and instantiated for the common
 * sides 3 and 5 (always_inline + a constant k): the k-long copies and sums then compile to a few
 * vector moves instead of memcpy calls of 12–20 bytes, which dominated im2row for 5×5 kernels.
 * The order of the additions in row2im is the same in every instance.
 */
static inline __attribute__((always_inline)) void im2row_body(const float *restrict x, float *restrict out,
                                                               const geom_t *g, const int64_t k) {
  const int64_t C = g->C, H = g->H, W = g->W, s = g->s, p = g->p;
  float *o = out;
  for (int64_t b = 0; b < g->m; b++) {
    const float *xb = x + b * C * H * W;
    for (int64_t oy = 0; oy < g->OH; oy++) {
      for (int64_t ox = 0; ox < g->OW; ox++) {
        const int64_t x0 = ox * s - p;
        const int inside = x0 >= 0 && x0 + k <= W;
        for (int64_t c = 0; c < C; c++) {
          const float *xc = xb + c * H * W;
          for (int64_t ky = 0; ky < k; ky++, o += k) {
            const int64_t iy = oy * s - p + ky;
            if (iy < 0 || iy >= H) {
              for (int64_t kx = 0; kx < k; kx++) o[kx] = 0.0f;
              continue;
            }
            const float *row = xc + iy * W;
            if (inside) {
              const float *r = row + x0;
#if defined(__SSE2__)
              if (k == 5) { /* one 4-wide move and one scalar: GCC leaves the 5-long copy scalar */
                _mm_storeu_ps(o, _mm_loadu_ps(r));
                o[4] = r[4];
                continue;
              }
#endif
              for (int64_t kx = 0; kx < k; kx++) o[kx] = r[kx];
              continue;
            }
            for (int64_t kx = 0; kx < k; kx++) {
              const int64_t ix = x0 + kx;
              o[kx] = ix >= 0 && ix < W ? row[ix] : 0.0f;
            }
          }
        }
      }
    }
  }
}

/* zero: also set each k-long piece of the patches to 0 once it is added up (while it is in L1), for
   the next β = 1 sgemm (backward_chunk); pieces that fall in the padding are cleared too. */
static inline __attribute__((always_inline)) void row2im_body(float *restrict in, float *restrict x,
                                                               const geom_t *g, const int64_t k, const int zero) {
  const int64_t C = g->C, H = g->H, W = g->W, s = g->s, p = g->p;
  float *o = in;
  for (int64_t b = 0; b < g->m; b++) {
    float *xb = x + b * C * H * W;
    for (int64_t oy = 0; oy < g->OH; oy++) {
      for (int64_t ox = 0; ox < g->OW; ox++) {
        const int64_t x0 = ox * s - p;
        const int inside = x0 >= 0 && x0 + k <= W;
#if defined(__SSE2__)
        if (k == 5 && inside && oy * s - p >= 0 && oy * s - p + k <= H) {
          /* The window is inside the image (always without padding): no bounds tests, and the k pieces
             of a channel unrolled. Same adds, same order as the general loop below. */
          float *r0 = xb + (oy * s - p) * W + x0;
          float *const o0 = o;
          for (int64_t c = 0; c < C; c++, r0 += H * W) {
            for (int64_t ky = 0; ky < 5; ky++, o += 5) {
              float *r = r0 + ky * W;
              _mm_storeu_ps(r, _mm_add_ps(_mm_loadu_ps(r), _mm_loadu_ps(o)));
              r[4] += o[4];
            }
          }
          if (zero) { /* the position's patch row, just read (in L1), cleared */
            float *z = o0;
            for (; z + 4 <= o; z += 4) _mm_storeu_ps(z, _mm_setzero_ps());
            for (; z < o; z++) *z = 0.0f;
          }
          continue;
        }
#endif
        for (int64_t c = 0; c < C; c++) {
          float *xc = xb + c * H * W;
          for (int64_t ky = 0; ky < k; ky++, o += k) {
            const int64_t iy = oy * s - p + ky;
            if (iy < 0 || iy >= H) {
              if (zero)
                for (int64_t kx = 0; kx < k; kx++) o[kx] = 0.0f;
              continue;
            }
            float *row = xc + iy * W;
            if (inside) {
              float *r = row + x0;
#if defined(__SSE2__)
              if (k == 5) { /* element-wise float adds, the same as the scalar loop's */
                _mm_storeu_ps(r, _mm_add_ps(_mm_loadu_ps(r), _mm_loadu_ps(o)));
                r[4] += o[4];
                if (zero) {
                  _mm_storeu_ps(o, _mm_setzero_ps());
                  o[4] = 0.0f;
                }
                continue;
              }
#endif
              for (int64_t kx = 0; kx < k; kx++) r[kx] += o[kx];
              if (zero)
                for (int64_t kx = 0; kx < k; kx++) o[kx] = 0.0f;
              continue;
            }
            for (int64_t kx = 0; kx < k; kx++) {
              const int64_t ix = x0 + kx;
              if (ix >= 0 && ix < W) row[ix] += o[kx];
            }
            if (zero)
              for (int64_t kx = 0; kx < k; kx++) o[kx] = 0.0f;
          }
        }
      }
    }
  }
}

__attribute__((noinline)) static void im2row_loop(const float *restrict x, float *restrict out, const geom_t *g) {
  switch (g->k) {
    case 3: im2row_body(x, out, g, 3); break;
    case 5: im2row_body(x, out, g, 5); break;
    default: im2row_body(x, out, g, g->k); break;
  }
}

__attribute__((noinline)) static void row2im_loop(const float *restrict in, float *restrict x, const geom_t *g) {
  float *src = (float *)in; /* not written: zero = 0 */
  switch (g->k) {
    case 3: row2im_body(src, x, g, 3, 0); break;
    case 5: row2im_body(src, x, g, 5, 0); break;
    default: row2im_body(src, x, g, g->k, 0); break;
  }
}

/* row2im, then in = 0 (row by row, as each is consumed). */
__attribute__((noinline)) static void row2im_zero_loop(float *restrict in, float *restrict x, const geom_t *g) {
  switch (g->k) {
    case 3: row2im_body(in, x, g, 3, 1); break;
    case 5: row2im_body(in, x, g, 5, 1); break;
    default: row2im_body(in, x, g, g->k, 1); break;
  }
}

typedef struct {
  const float *src;
  float *dst;
  geom_t g1; /* the geometry of one sample (m = 1) */
  int which;
} layout_job_t;

/* One sample's im2row or row2im (row2im only adds into that sample's x). */
static void layout_piece(void *arg, int64_t b, int worker) {
  (void)worker;
  const layout_job_t *j = arg;
  const int64_t xs = j->g1.C * j->g1.H * j->g1.W, ps = j->g1.OH * j->g1.OW * j->g1.C * j->g1.k * j->g1.k;
  if (j->which == 0) im2row_loop(j->src + b * xs, j->dst + b * ps, &j->g1);
  else row2im_loop(j->src + b * ps, j->dst + b * xs, &j->g1);
}

/* (src, dst, m, C, H, W, k, stride, pad); which = 0: im2row(x → patches), 1: row2im(patches → x). */
static napi_value run(napi_env env, napi_callback_info info, int which) {
  size_t argc = 9;
  napi_value argv[9];
  float *src, *dst;
  int64_t sl, dl;
  geom_t g;
  const char *name = which == 0 ? "im2row" : "row2im";
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 9) return throw_type(env, which == 0 ? "im2row: expected (x, patches, m, C, H, W, k, stride, pad)"
                                                   : "row2im: expected (patches, x, m, C, H, W, k, stride, pad)");
  if (!get_f32(env, argv[0], which == 0 ? "x" : "patches", &src, &sl) ||
      !get_f32(env, argv[1], which == 0 ? "patches" : "x", &dst, &dl) ||
      !get_geom(env, argv + 2, &g, which == 0 ? "im2row: kernel larger than the padded input" : "row2im: kernel larger than the padded input")) return NULL;
  int64_t xs, ps;
  if (__builtin_mul_overflow(g.m, g.C, &xs) || __builtin_mul_overflow(xs, g.H, &xs) || __builtin_mul_overflow(xs, g.W, &xs) ||
      __builtin_mul_overflow(g.m, g.OH, &ps) || __builtin_mul_overflow(ps, g.OW, &ps) || __builtin_mul_overflow(ps, g.C, &ps) ||
      __builtin_mul_overflow(ps, g.k, &ps) || __builtin_mul_overflow(ps, g.k, &ps)) {
    return throw_range(env, which == 0 ? "im2row: sizes overflow" : "row2im: sizes overflow");
  }
  if (src == dst) return throw_range(env, which == 0 ? "im2row: x and patches must not alias" : "row2im: patches and x must not alias");
  if ((which == 0 ? sl : dl) < xs) return throw_range(env, which == 0 ? "im2row: x shorter than m·C·H·W" : "row2im: x shorter than m·C·H·W");
  if ((which == 0 ? dl : sl) < ps) return throw_range(env, which == 0 ? "im2row: patches shorter than m·OH·OW·C·k·k" : "row2im: patches shorter than m·OH·OW·C·k·k");
  (void)name;
  layout_job_t job = {src, dst, g, which};
  job.g1.m = 1;
  run_samples(layout_piece, &job, g.m);
  return NULL;
}

napi_value fre_im2row(napi_env env, napi_callback_info info) { return run(env, info, 0); }
napi_value fre_row2im(napi_env env, napi_callback_info info) { return run(env, info, 1); }

static bool get_i32(napi_env env, napi_value v, const char *name, int32_t **data, int64_t *len) {
  bool is_ta = false;
  napi_typedarray_type type;
  size_t length;
  void *ptr = NULL;
  char msg[128];
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &type, &length, &ptr, NULL, NULL) != napi_ok || type != napi_int32_array) {
    snprintf(msg, sizeof msg, "%s must be an Int32Array", name);
    throw_type(env, msg);
    return false;
  }
  if (length > 0 && ptr == NULL) {
    snprintf(msg, sizeof msg, "%s is detached", name);
    throw_type(env, msg);
    return false;
  }
  *data = (int32_t *)ptr;
  *len = (int64_t)length;
  return true;
}

typedef struct { int64_t m, O, H, W, k, s, P, OH, OW; } pool_geom_t;

/* (m, O, H, W, size, stride) from argv; the pooled sizes in floor mode, no padding (graph/shapes.ts). */
static bool get_pool_geom(napi_env env, napi_value *argv, pool_geom_t *g, const char *what) {
  if (!get_dim(env, argv[0], "m", 0, &g->m) || !get_dim(env, argv[1], "O", 1, &g->O) ||
      !get_dim(env, argv[2], "H", 1, &g->H) || !get_dim(env, argv[3], "W", 1, &g->W) ||
      !get_dim(env, argv[4], "size", 1, &g->k) || !get_dim(env, argv[5], "stride", 1, &g->s)) return false;
  if (g->k > g->H || g->k > g->W) {
    throw_range(env, what);
    return false;
  }
  g->P = g->H * g->W;
  g->OH = (g->H - g->k) / g->s + 1;
  g->OW = (g->W - g->k) / g->s + 1;
  /* Every index below is < m·O·P; argmax entries are int32. */
  if ((double)g->m * (double)g->O * (double)g->P >= 2147483647.0) {
    throw_range(env, "pool: m·O·H·W must stay below 2^31");
    return false;
  }
  return true;
}

#define POOL_BLOCK 256 /* channels handled per pass of a window (stack buffers) */

/* pool-rows.ts poolKey: hard-sigmoid of the unit's own pre-activation, two products and a sum in
   double (-std=c11 keeps GCC from contracting them into an FMA, so the doubles are the reference's). */
static inline double pool_key(float x, double scale, double sb) {
  const double z = scale * (double)x + sb;
  return z < 0.0 ? 0.0 : z > 1.0 ? 1.0 : z;
}

/* Samples [b0, b1) of the batch. rule 0: argmax by the conv value; 1: by pool_key (first on ties). */
static void max_pool_rows(const float *restrict rows, float *restrict out, int32_t *restrict argmax,
                          const float *restrict bias, const pool_geom_t *g, double scale, int rule, int64_t b0, int64_t b1) {
  const int64_t O = g->O, W = g->W, P = g->P, k = g->k, s = g->s, OH = g->OH, OW = g->OW;
  float best[POOL_BLOCK];
  int32_t where[POOL_BLOCK];
  for (int64_t b = b0; b < b1; b++) {
    const float *rb = rows + b * P * O;
    for (int64_t oy = 0; oy < OH; oy++) {
      for (int64_t ox = 0; ox < OW; ox++) {
        for (int64_t o0 = 0; o0 < O; o0 += POOL_BLOCK) {
          const int64_t n = O - o0 < POOL_BLOCK ? O - o0 : POOL_BLOCK;
          const int64_t q0 = oy * s * W + ox * s;
          const float *first = rb + q0 * O + o0;
          for (int64_t j = 0; j < n; j++) { best[j] = first[j]; where[j] = (int32_t)q0; }
          /* Window in row-major order, strict >: the first maximum wins, as maxPool. */
          for (int64_t ky = 0; ky < k; ky++) {
            for (int64_t kx = 0; kx < k; kx++) {
              const int64_t q = (oy * s + ky) * W + ox * s + kx;
              const float *r = rb + q * O + o0;
              /* Branch-free (selects, not jumps), so it vectorises: on real data the comparison
                 is unpredictable and the branchy loop spent its time in mispredictions. */
              const int32_t qq = (int32_t)q;
              int64_t j0 = 0;
#if defined(__SSE2__)
              /* GCC keeps this loop scalar (its vector version is guarded by an aliasing check that
                 fails here); by hand: compare, then select with and/andnot/or. */
              const __m128i qv = _mm_set1_epi32(qq);
              for (; j0 + 4 <= n; j0 += 4) {
                const __m128 v = _mm_loadu_ps(r + j0), bv = _mm_loadu_ps(best + j0);
                const __m128 gt = _mm_cmpgt_ps(v, bv);
                const __m128i gi = _mm_castps_si128(gt), wv = _mm_loadu_si128((const __m128i *)(where + j0));
                _mm_storeu_ps(best + j0, _mm_or_ps(_mm_and_ps(gt, v), _mm_andnot_ps(gt, bv)));
                _mm_storeu_si128((__m128i *)(where + j0), _mm_or_si128(_mm_and_si128(gi, qv), _mm_andnot_si128(gi, wv)));
              }
#endif
              for (int64_t j = j0; j < n; j++) {
                const float v = r[j];
                const int gt = v > best[j];
                best[j] = gt ? v : best[j];
                where[j] = gt ? qq : where[j];
              }
            }
          }
          /* The activation rule moves only the argmax (best, the pooled value, stays the maximum):
             a second, scalar pass over the window by key; strict >, so the first saturated unit wins. */
          if (rule == 1) {
            for (int64_t j = 0; j < n; j++) {
              const double sb = bias ? scale * (double)bias[o0 + j] : 0.0;
              double kbest = pool_key(first[j], scale, sb);
              int32_t kq = (int32_t)q0;
              for (int64_t ky = 0; ky < k; ky++) {
                for (int64_t kx = 0; kx < k; kx++) {
                  const int64_t q = (oy * s + ky) * W + ox * s + kx;
                  const double key = pool_key(rb[q * O + o0 + j], scale, sb);
                  if (key > kbest) {
                    kbest = key;
                    kq = (int32_t)q;
                  }
                }
              }
              where[j] = kq;
            }
          }
          for (int64_t j = 0; j < n; j++) {
            const int64_t o = o0 + j;
            const int64_t i = ((b * O + o) * OH + oy) * OW + ox;
            argmax[i] = (int32_t)((b * O + o) * P + where[j]);
            float v = (float)((double)out[i] + scale * (double)best[j]);
            if (bias) v = (float)((double)v + scale * (double)bias[o]);
            out[i] = v;
          }
        }
      }
    }
  }
}

/* Sample b; returns the first bad argmax index, or -1. */
static int64_t max_unpool_rows(const float *restrict post, const int32_t *restrict argmax, float *restrict rows,
                               const pool_geom_t *g, int64_t b) {
  const int64_t O = g->O, P = g->P, per = g->OH * g->OW;
  {
    float *rb = rows + b * P * O;
    memset(rb, 0, (size_t)(P * O) * sizeof(float));
    for (int64_t o = 0; o < O; o++) {
      const int64_t plane = (b * O + o) * P;
      const int64_t i0 = (b * O + o) * per;
      for (int64_t i = i0; i < i0 + per; i++) {
        const int64_t q = (int64_t)argmax[i] - plane;
        if (q < 0 || q >= P) return i;
        float *r = rb + q * O + o;
        *r = (float)((double)*r + (double)post[i]);
      }
    }
  }
  return -1;
}

typedef struct {
  const float *rows, *bias, *post;
  float *out;
  int32_t *argmax;
  pool_geom_t g;
  double scale;
  int rule; /* max_pool_rows's argmax rule */
  _Atomic int64_t bad; /* unpool: the smallest bad argmax index, or INT64_MAX */
} pool_job_t;

static void pool_piece(void *arg, int64_t b, int worker) {
  (void)worker;
  pool_job_t *j = arg;
  max_pool_rows(j->rows, j->out, j->argmax, j->bias, &j->g, j->scale, j->rule, b, b + 1);
}

static void unpool_piece(void *arg, int64_t b, int worker) {
  (void)worker;
  pool_job_t *j = arg;
  const int64_t bad = max_unpool_rows(j->post, j->argmax, j->out, &j->g, b);
  if (bad < 0) return;
  int64_t cur = atomic_load(&j->bad);
  while (bad < cur && !atomic_compare_exchange_weak(&j->bad, &cur, bad)) {
  }
}

/* maxPoolRows(rows, out, argmax, bias, m, O, H, W, size, stride, scale[, rule]) */
napi_value fre_max_pool_rows(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  float *rows, *out, *bias;
  int32_t *argmax;
  int64_t rl, ol, al, bl;
  double scale;
  pool_geom_t g;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 11 && argc != 12) return throw_type(env, "maxPoolRows: expected (rows, out, argmax, bias, m, O, H, W, size, stride, scale[, rule])");
  int64_t rule = 0;
  if (argc == 12 && !get_dim(env, argv[11], "rule", 0, &rule)) return NULL;
  if (rule > 1) return throw_range(env, "maxPoolRows: rule must be 0 (pre-activation) or 1 (hard-sigmoid activation)");
  if (!get_f32(env, argv[0], "rows", &rows, &rl) || !get_f32(env, argv[1], "out", &out, &ol) ||
      !get_i32(env, argv[2], "argmax", &argmax, &al) || !get_f32(env, argv[3], "bias", &bias, &bl) ||
      !get_pool_geom(env, argv + 4, &g, "maxPoolRows: pool window larger than the map") ||
      !get_number(env, argv[10], "scale", &scale)) return NULL;
  const int64_t n = g.m * g.O * g.OH * g.OW;
  if (rl < g.m * g.P * g.O) return throw_range(env, "maxPoolRows: rows shorter than m·H·W·O");
  if (ol < n || al < n) return throw_range(env, "maxPoolRows: out or argmax shorter than m·O·OH·OW");
  if (bl != 0 && bl < g.O) return throw_range(env, "maxPoolRows: bias must be empty or hold O values");
  if (rows == out) return throw_range(env, "maxPoolRows: rows and out must not alias");
  pool_job_t job = {.rows = rows, .bias = bl ? bias : NULL, .out = out, .argmax = argmax, .g = g, .scale = scale, .rule = (int)rule, .bad = INT64_MAX};
  run_samples(pool_piece, &job, g.m);
  return NULL;
}

/* maxUnpoolRows(post, argmax, rows, m, O, H, W, size, stride) */
napi_value fre_max_unpool_rows(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  float *post, *rows;
  int32_t *argmax;
  int64_t pl, al, rl;
  pool_geom_t g;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 9) return throw_type(env, "maxUnpoolRows: expected (post, argmax, rows, m, O, H, W, size, stride)");
  if (!get_f32(env, argv[0], "post", &post, &pl) || !get_i32(env, argv[1], "argmax", &argmax, &al) ||
      !get_f32(env, argv[2], "rows", &rows, &rl) ||
      !get_pool_geom(env, argv + 3, &g, "maxUnpoolRows: pool window larger than the map")) return NULL;
  const int64_t n = g.m * g.O * g.OH * g.OW;
  if (pl < n || al < n) return throw_range(env, "maxUnpoolRows: post or argmax shorter than m·O·OH·OW");
  if (rl < g.m * g.P * g.O) return throw_range(env, "maxUnpoolRows: rows shorter than m·H·W·O");
  if (post == rows) return throw_range(env, "maxUnpoolRows: post and rows must not alias");
  pool_job_t job = {.post = post, .out = rows, .argmax = (int32_t *)argmax, .g = g, .bad = INT64_MAX};
  run_samples(unpool_piece, &job, g.m);
  const int64_t bad = atomic_load(&job.bad);
  if (bad != INT64_MAX) {
    char msg[160];
    snprintf(msg, sizeof msg, "maxUnpoolRows: argmax[%lld] = %d is outside its plane", (long long)bad, argmax[bad]);
    return throw_range(env, msg);
  }
  return NULL;
}

/*
 * repoolRows(z, bias, prev, h, X, winners, extraAt, zmax, first, runner, m, O, H, W, size, stride, chunk, alpha, fresh, rule)
 *   A 'state' winner's step (graph pool.winner): simulator/conv/pool-rows.ts repoolRows, whose comment says
 *   what each array holds, the same loop per sample with the same double sums rounded once per store.
 *   Samples write disjoint rows of X and disjoint pooled units, so they share the layout threads. Argmax-
 *   format indices are chunk-local (sample b is b mod chunk). Returns the first pooled unit whose prev (or,
 *   when not fresh, whose extraAt, first or runner) lies outside its plane, or -1: every index read from
 *   those arrays is checked before it addresses X.
 */
typedef struct {
  const float *z, *bias;
  const int32_t *prev;
  float *h, *X, *zmax;
  int32_t *winners, *extraAt, *first, *runner;
  pool_geom_t g;
  int64_t chunk;
  double alpha;
  int fresh, rule;
  _Atomic int64_t bad;
} repool_job_t;

static void repool_bad(repool_job_t *j, int64_t i) {
  int64_t cur = atomic_load(&j->bad);
  while (i < cur && !atomic_compare_exchange_weak(&j->bad, &cur, i)) {
  }
}

static inline double repool_key(double x, int rule) { return rule ? (x < 0.0 ? 0.0 : x > 1.0 ? 1.0 : x) : x; }

static void repool_piece(void *arg, int64_t b, int worker) {
  (void)worker;
  repool_job_t *j = arg;
  const int64_t O = j->g.O, P = j->g.P, Wd = j->g.W, k = j->g.k, st = j->g.s, OH = j->g.OH, OW = j->g.OW;
  const double alpha = j->alpha;
  const float *z = j->z, *bias = j->bias;
  float *X = j->X, *h = j->h, *zmax = j->zmax;
  int32_t *winners = j->winners, *extraAt = j->extraAt, *first = j->first, *runner = j->runner;
  const int64_t bl = b % j->chunk;
  const int rule = j->rule;
  if (j->fresh)
    for (int64_t i = b * P * O; i < (b + 1) * P * O; i += O)
      for (int64_t o = 0; o < O; o++)
        X[i + o] = (float)((double)(float)(alpha * (double)z[i + o]) + (bias ? alpha * (double)bias[o] : 0.0));
  /* Channel innermost: a window's positions are rows of O contiguous floats in z and X, and the pooled
     arrays' entries of the next window (ox + 1) sit next to this one's. Units are independent (disjoint
     windows), so the order does not change a float; the TypeScript reference loops channel-outermost. A bad
     unit is reported (the smallest index over all samples) and skipped. */
  for (int64_t oy = 0; oy < OH; oy++) {
    for (int64_t ox = 0; ox < OW; ox++) {
      const int64_t q0 = oy * st * Wd + ox * st;
      for (int64_t o = 0; o < O; o++) {
        const int64_t plane = (bl * O + o) * P;
        const int64_t i = ((b * O + o) * OH + oy) * OW + ox;
        const double sb = bias ? alpha * (double)bias[o] : 0.0;
        if (j->fresh) {
          float zm = z[(b * P + q0) * O + o];
          for (int64_t ky = 0; ky < k; ky++)
            for (int64_t kx = 0; kx < k; kx++) {
              const float v = z[(b * P + q0 + ky * Wd + kx) * O + o];
              if (v > zm) zm = v;
            }
          zmax[i] = zm;
          extraAt[i] = -1;
          /* The first largest key of X (q0 if none is > -inf) and the first largest among the others. */
          int64_t f = -1, r = -1;
          double fk = -INFINITY, rk = -INFINITY;
          for (int64_t ky = 0; ky < k; ky++)
            for (int64_t kx = 0; kx < k; kx++) {
              const int64_t q = q0 + ky * Wd + kx;
              const double key = repool_key((double)X[(b * P + q) * O + o], rule);
              if (key > fk) {
                r = f;
                rk = fk;
                f = q;
                fk = key;
              } else if (key > rk) {
                r = q;
                rk = key;
              }
            }
          first[i] = (int32_t)(f < 0 ? q0 : f);
          runner[i] = (int32_t)r;
        } else {
          const int64_t ea = extraAt[i], fq = first[i], rq = runner[i];
          if (ea < -1 || ea >= P || fq < 0 || fq >= P || rq < -1 || rq >= P) {
            repool_bad(j, i);
            continue;
          }
          if (ea >= 0) {
            const int64_t xa = (b * P + ea) * O + o;
            X[xa] = (float)((double)(float)(alpha * (double)z[xa]) + sb);
          }
        }
        const float zm = zmax[i];
        const double extra = (double)h[i] - (double)(float)((double)(float)(alpha * (double)zm) + sb);
        const int64_t qp = (int64_t)j->prev[i] - plane;
        if (qp < 0 || qp >= P) {
          repool_bad(j, i);
          continue;
        }
        const int64_t xp = (b * P + qp) * O + o;
        X[xp] = (float)((double)X[xp] + extra);
        extraAt[i] = (int32_t)qp;
        /* Only qp's X moved from the X that first and runner were formed on: the window's first largest key
           is qp's or that of the best other unit, first (when qp is not first) or the runner-up (when it
           is); on equal keys the earlier position (row-major window order) wins, as a scan would, and a key
           that is not a number never wins (the scan's strict >). No branch on the data (they mispredict
           half the time): both units are read and the choice is a select. A window of one unit (c < 0)
           keeps qp. */
        const int64_t f = (int64_t)first[i];
        const int64_t c = qp == f ? (int64_t)runner[i] : f;
        const int64_t cq = c >= 0 ? c : qp;
        const double kq = repool_key((double)X[xp], rule), kc = repool_key((double)X[(b * P + cq) * O + o], rule);
        const int takeQ = (c < 0) | (kq > kc) | ((kq == kc) & (qp < c));
        const int64_t bestQ = takeQ ? qp : cq;
        winners[i] = (int32_t)(plane + bestQ);
        /* The previous winner wins again with the read's largest z: h is X there already. */
        const float hx = X[(b * P + bestQ) * O + o];
        const int keep = (bestQ == qp) & (z[xp] == zm);
        h[i] = keep ? h[i] : hx;
      }
    }
  }
}

napi_value fre_repool_rows(napi_env env, napi_callback_info info) {
  size_t argc = 20;
  napi_value argv[20];
  float *z, *bias, *h, *X, *zmax;
  int32_t *prev, *winners, *extraAt, *first, *runner;
  int64_t zl, bl, pl, hl, xl, wl, el, ml, fl, rnl, chunk, fresh, rule;
  double alpha;
  pool_geom_t g;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 20)
    return throw_type(env, "repoolRows: expected (z, bias, prev, h, X, winners, extraAt, zmax, first, runner, m, O, H, W, size, stride, chunk, alpha, fresh, rule)");
  if (!get_f32(env, argv[0], "z", &z, &zl) || !get_f32(env, argv[1], "bias", &bias, &bl) ||
      !get_i32(env, argv[2], "prev", &prev, &pl) || !get_f32(env, argv[3], "h", &h, &hl) ||
      !get_f32(env, argv[4], "X", &X, &xl) || !get_i32(env, argv[5], "winners", &winners, &wl) ||
      !get_i32(env, argv[6], "extraAt", &extraAt, &el) || !get_f32(env, argv[7], "zmax", &zmax, &ml) ||
      !get_i32(env, argv[8], "first", &first, &fl) || !get_i32(env, argv[9], "runner", &runner, &rnl) ||
      !get_pool_geom(env, argv + 10, &g, "repoolRows: pool window larger than the map") ||
      !get_dim(env, argv[16], "chunk", 1, &chunk) || !get_number(env, argv[17], "alpha", &alpha) ||
      !get_dim(env, argv[18], "fresh", 0, &fresh) || !get_dim(env, argv[19], "rule", 0, &rule)) return NULL;
  if (fresh > 1 || rule > 1) return throw_range(env, "repoolRows: fresh and rule must be 0 or 1");
  if (g.s < g.k) return throw_range(env, "repoolRows: windows must not overlap (stride >= size)");
  const int64_t n = g.m * g.O * g.OH * g.OW;
  if (zl < g.m * g.P * g.O || xl < g.m * g.P * g.O) return throw_range(env, "repoolRows: z or X shorter than m·H·W·O");
  if (pl < n || hl < n || wl < n || el < n || ml < n || fl < n || rnl < n)
    return throw_range(env, "repoolRows: prev, h, winners, extraAt, zmax, first or runner shorter than m·O·OH·OW");
  if (bl != 0 && bl < g.O) return throw_range(env, "repoolRows: bias must be empty or hold O values");
  if (z == X || h == X || z == h) return throw_range(env, "repoolRows: z, h and X must not alias");
  repool_job_t job = {.z = z, .bias = bl ? bias : NULL, .prev = prev, .h = h, .X = X, .zmax = zmax, .winners = winners,
                      .extraAt = extraAt, .first = first, .runner = runner, .g = g, .chunk = chunk, .alpha = alpha,
                      .fresh = (int)fresh, .rule = (int)rule, .bad = INT64_MAX};
  run_samples(repool_piece, &job, g.m);
  const int64_t bad = atomic_load(&job.bad);
  napi_value out;
  NAPI_CALL(env, napi_create_double(env, bad == INT64_MAX ? -1.0 : (double)bad, &out));
  return out;
}

/*
 * A max-pooled conv edge's whole read, chunk by chunk, in one call: the loops of the engine
 * (simulator/engine/edge-ops.ts) moved here so that the chunks can run on both cores. Each chunk is
 * the engine's sequence exactly — im2row → sgemm (β = 0) → max pool, or unpool → sgemm (β = 0) →
 * row2im — with the same chunk boundaries, the same sgemm arguments and the same loops, so the floats
 * are those of the call-by-call path; chunks write disjoint samples, so which thread runs a chunk does
 * not matter. With the helper on, the chunks are shared between the caller and the helper and each
 * sgemm runs on one BLAS thread (its own core's worth); without it the caller runs every chunk with
 * the BLAS threads as configured.
 *
 *   convForwardMax(x, w, out, argmax, bias, m, C, H, W, k, stride, pad, O, poolSize, poolStride, chunk, scale[, rule])
 *       per chunk of samples [s0, s0 + mc): rows = im2row(x) · wᵀ; out += scale·(max pool(rows), then bias);
 *       argmax chunk-local as maxPoolRows (sample index relative to s0), by maxPoolRows's rule
 *   convBackwardMax(post, argmax, w, out, m, C, H, W, k, stride, pad, O, poolSize, poolStride, chunk, scale)
 *       per chunk: rows = unpool(post, argmax); out += row2im(scale · rows · w)
 *
 * w is the edge's [O × C·k·k] matrix, x/out images [m × C × H × W], out/post pooled [m × O × PH × PW].
 */

/* Per-worker scratch (worker 0: the caller, 1: the helper), grown on demand by its own thread. */
static struct { float *buf; size_t n; } scratch[2][3]; /* [worker][patches, rows, back] */

/* Zeroed when (re)allocated: convBackwardMax keeps its transposed-read buffer at zero between chunks. */
static float *scratch_get(int worker, int which, size_t n) {
  if (scratch[worker][which].n < n) {
    const size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    free(scratch[worker][which].buf);
    scratch[worker][which].buf = aligned_alloc(64, bytes);
    if (scratch[worker][which].buf) memset(scratch[worker][which].buf, 0, bytes);
    scratch[worker][which].n = scratch[worker][which].buf ? n : 0;
  }
  return scratch[worker][which].buf;
}

typedef struct {
  const float *src, *w, *bias;
  float *out;
  int32_t *argmax;
  geom_t g;        /* the conv, m = the whole batch */
  pool_geom_t pg;  /* the pool on the conv's output, m = the whole batch */
  int64_t chunk, m;
  double scale;
  _Atomic int64_t bad;     /* backward: the smallest bad argmax index, or INT64_MAX */
  _Atomic int oom;         /* a worker could not allocate its scratch */
  /* backward with activation (feedbackActivate): per chunk out = base (NULL: 0) + the feedback, then act = ρ(out) */
  const float *base;
  float *act;
  int kind; /* -1: no activation */
  int rule; /* forward: max_pool_rows's argmax rule */
} fused_job_t;

static void fused_bad(fused_job_t *j, int64_t bad) {
  int64_t cur = atomic_load(&j->bad);
  while (bad < cur && !atomic_compare_exchange_weak(&j->bad, &cur, bad)) {
  }
}

static void forward_chunk(void *arg, int64_t ci, int worker) {
  fused_job_t *j = arg;
  const int64_t s0 = ci * j->chunk, mc = j->m - s0 < j->chunk ? j->m - s0 : j->chunk;
  const int64_t P = j->g.OH * j->g.OW, K = j->g.C * j->g.k * j->g.k, O = j->pg.O;
  const int64_t inSize = j->g.C * j->g.H * j->g.W, toSize = O * j->pg.OH * j->pg.OW;
  float *patches = scratch_get(worker, 0, (size_t)(j->chunk * P * K));
  float *rows = scratch_get(worker, 1, (size_t)(j->chunk * P * O));
  if (!patches || !rows) {
    atomic_store(&j->oom, 1);
    return;
  }
  geom_t g = j->g;
  g.m = mc;
  im2row_loop(j->src + s0 * inSize, patches, &g);
  /* β = 0 as forwardInto; no memset of C first as the Sgemm binding does (OpenBLAS zeroes C itself
     for β = 0 before it accumulates, so the floats are the same; a megabyte per transposed chunk). */
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(mc * P), (int)O, (int)K, 1.0f, patches, (int)K, j->w, (int)K, 0.0f, rows,
              (int)O);
  pool_geom_t pg = j->pg;
  pg.m = mc;
  max_pool_rows(rows, j->out + s0 * toSize, j->argmax + s0 * toSize, j->bias, &pg, j->scale, j->rule, 0, mc);
}

static void backward_chunk(void *arg, int64_t ci, int worker) {
  fused_job_t *j = arg;
  const int64_t s0 = ci * j->chunk, mc = j->m - s0 < j->chunk ? j->m - s0 : j->chunk;
  const int64_t P = j->g.OH * j->g.OW, K = j->g.C * j->g.k * j->g.k, O = j->pg.O;
  const int64_t inSize = j->g.C * j->g.H * j->g.W, toSize = O * j->pg.OH * j->pg.OW;
  float *rows = scratch_get(worker, 1, (size_t)(j->chunk * P * O));
  float *back = scratch_get(worker, 2, (size_t)(j->chunk * P * K));
  if (!rows || !back) {
    atomic_store(&j->oom, 1);
    return;
  }
  if (j->kind >= 0) {
    float *o = j->out + s0 * inSize;
    if (j->base) memcpy(o, j->base + s0 * inSize, (size_t)(mc * inSize) * sizeof(float));
    else memset(o, 0, (size_t)(mc * inSize) * sizeof(float));
  }
  pool_geom_t pg = j->pg;
  pg.m = mc;
  for (int64_t b = 0; b < mc; b++) {
    const int64_t bad = max_unpool_rows(j->src + s0 * toSize, j->argmax + s0 * toSize, rows, &pg, b);
    if (bad >= 0) fused_bad(j, s0 * toSize + bad);
  }
  /* transposedInto is α = scale, β = 0: OpenBLAS zeroes C (a 1 MB pass per chunk), then adds α·AB.
     Here C is kept at zero instead (row2im below clears each patch row as it consumes it; fresh
     scratch is zeroed) and β = 1: 0 + α·AB is the same float, signed zeros included (+0 + −0 = +0
     either way), and the separate pass over C is gone. */
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(mc * P), (int)K, (int)O, (float)j->scale, rows, (int)O, j->w, (int)K, 1.0f,
              back, (int)K);
  geom_t g = j->g;
  g.m = mc;
  row2im_zero_loop(back, j->out + s0 * inSize, &g);
  /* The layer's activation on this chunk of its drive while it is in cache (the same loop as activate). */
  if (j->kind >= 0) fre_activate_loop(j->kind, j->out + s0 * inSize, j->act + s0 * inSize, mc * inSize);
}

/* The chunks on the caller and the helper; with the helper, one BLAS thread per sgemm. */
static void run_chunks(piece_fn fn, fused_job_t *job) {
  const int64_t chunks = (job->m + job->chunk - 1) / job->chunk;
  const int shared = chunks >= 2 && share_mode() >= 2;
  const int blas = shared && openblas_get_num_threads != NULL ? openblas_get_num_threads() : 1;
  if (blas > 1 && openblas_set_num_threads != NULL) openblas_set_num_threads(1);
  run_samples(fn, job, chunks);
  if (blas > 1 && openblas_set_num_threads != NULL) openblas_set_num_threads(blas);
}

/* The arguments both calls share: (a, b, w, out, m, C, H, W, k, stride, pad, O, poolSize, poolStride, chunk, scale). */
static bool fused_args(napi_env env, napi_value *argv, const char *name, fused_job_t *j, int64_t *wl, int64_t *ol) {
  char msg[160];
  float *w, *out;
  int64_t O, ps, pst;
  if (!get_f32(env, argv[2], "w", &w, wl) || !get_f32(env, argv[3], "out", &out, ol)) return false;
  snprintf(msg, sizeof msg, "%s: kernel larger than the padded input", name);
  if (!get_geom(env, argv + 4, &j->g, msg)) return false;
  if (!get_dim(env, argv[11], "O", 1, &O) || !get_dim(env, argv[12], "poolSize", 1, &ps) ||
      !get_dim(env, argv[13], "poolStride", 1, &pst) || !get_dim(env, argv[14], "chunk", 1, &j->chunk) ||
      !get_number(env, argv[15], "scale", &j->scale))
    return false;
  j->w = w;
  j->out = out;
  j->m = j->g.m;
  j->pg = (pool_geom_t){.m = j->g.m, .O = O, .H = j->g.OH, .W = j->g.OW, .k = ps, .s = pst};
  if (ps > j->g.OH || ps > j->g.OW) {
    snprintf(msg, sizeof msg, "%s: pool window larger than the conv output", name);
    throw_range(env, msg);
    return false;
  }
  j->pg.P = j->g.OH * j->g.OW;
  j->pg.OH = (j->g.OH - ps) / pst + 1;
  j->pg.OW = (j->g.OW - ps) / pst + 1;
  /* Sizes within int (cblas) and int32 (argmax) for every chunk and the whole batch. */
  const double K = (double)j->g.C * j->g.k * j->g.k, P = (double)j->pg.P, m = (double)j->m;
  if (m * P * (K > O ? K : O) >= 2147483647.0 || m * O * P >= 2147483647.0 || m * j->g.C * j->g.H * j->g.W >= 2147483647.0) {
    snprintf(msg, sizeof msg, "%s: sizes overflow", name);
    throw_range(env, msg);
    return false;
  }
  if (*wl < O * (int64_t)K) {
    snprintf(msg, sizeof msg, "%s: w shorter than O·C·k·k", name);
    throw_range(env, msg);
    return false;
  }
  return true;
}

/* convForwardMax(x, w, out, argmax, bias, m, C, H, W, k, stride, pad, O, poolSize, poolStride, chunk, scale[, rule]) */
napi_value fre_conv_forward_max(napi_env env, napi_callback_info info) {
  size_t argc = 18;
  napi_value argv[18];
  float *x, *bias;
  int32_t *argmax;
  int64_t xl, al, bl, wl, ol;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 17 && argc != 18)
    return throw_type(env, "convForwardMax: expected (x, w, out, argmax, bias, m, C, H, W, k, stride, pad, O, poolSize, poolStride, chunk, scale[, rule])");
  fused_job_t job = {.bad = INT64_MAX, .oom = 0};
  int64_t rule = 0;
  if (argc == 18 && !get_dim(env, argv[17], "rule", 0, &rule)) return NULL;
  if (rule > 1) return throw_range(env, "convForwardMax: rule must be 0 (pre-activation) or 1 (hard-sigmoid activation)");
  job.rule = (int)rule;
  /* argv without argmax and bias, in the order fused_args reads: x, -, w, out, then the sizes. */
  napi_value a[16] = {argv[0], argv[0], argv[1], argv[2], argv[5], argv[6], argv[7], argv[8],
                      argv[9], argv[10], argv[11], argv[12], argv[13], argv[14], argv[15], argv[16]};
  if (!get_f32(env, argv[0], "x", &x, &xl) || !get_i32(env, argv[3], "argmax", &argmax, &al) || !get_f32(env, argv[4], "bias", &bias, &bl) ||
      !fused_args(env, a, "convForwardMax", &job, &wl, &ol))
    return NULL;
  const int64_t n = job.m * job.pg.O * job.pg.OH * job.pg.OW;
  if (xl < job.m * job.g.C * job.g.H * job.g.W) return throw_range(env, "convForwardMax: x shorter than m·C·H·W");
  if (ol < n || al < n) return throw_range(env, "convForwardMax: out or argmax shorter than m·O·PH·PW");
  if (bl != 0 && bl < job.pg.O) return throw_range(env, "convForwardMax: bias must be empty or hold O values");
  if (x == job.out || job.w == job.out) return throw_range(env, "convForwardMax: out must not alias x or w");
  job.src = x;
  job.bias = bl ? bias : NULL;
  job.argmax = argmax;
  run_chunks(forward_chunk, &job);
  if (job.oom) return throw_range(env, "convForwardMax: out of memory for the chunk scratch");
  return NULL;
}

/* convBackwardMax(post, argmax, w, out, m, C, H, W, k, stride, pad, O, poolSize, poolStride, chunk, scale[, base, act, kind]):
   with the last three, per chunk out = base (empty: 0) + the feedback, then act = ρ_kind(out). */
napi_value fre_conv_backward_max(napi_env env, napi_callback_info info) {
  size_t argc = 19;
  napi_value argv[19];
  float *post;
  int32_t *argmax;
  int64_t pl, al, wl, ol;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 16 && argc != 19)
    return throw_type(env, "convBackwardMax: expected (post, argmax, w, out, m, C, H, W, k, stride, pad, O, poolSize, poolStride, chunk, scale[, base, act, kind])");
  fused_job_t job = {.bad = INT64_MAX, .oom = 0, .kind = -1};
  int64_t bl = 0, actl = 0; /* checked below, once m is known */
  if (argc == 19) {
    float *base, *act;
    int64_t kind;
    if (!get_f32(env, argv[16], "base", &base, &bl) || !get_f32(env, argv[17], "act", &act, &actl) || !get_dim(env, argv[18], "kind", 0, &kind))
      return NULL;
    if (kind > 2) return throw_range(env, "convBackwardMax: kind must be 0 (tanh), 1 (hard-sigmoid) or 2 (sigmoid)");
    job.base = bl ? base : NULL;
    job.act = act;
    job.kind = (int)kind;
  }
  if (!get_f32(env, argv[0], "post", &post, &pl) || !get_i32(env, argv[1], "argmax", &argmax, &al) ||
      !fused_args(env, argv, "convBackwardMax", &job, &wl, &ol))
    return NULL;
  const int64_t n = job.m * job.pg.O * job.pg.OH * job.pg.OW;
  if (pl < n || al < n) return throw_range(env, "convBackwardMax: post or argmax shorter than m·O·PH·PW");
  if (ol < job.m * job.g.C * job.g.H * job.g.W) return throw_range(env, "convBackwardMax: out shorter than m·C·H·W");
  if (post == job.out || job.w == job.out) return throw_range(env, "convBackwardMax: out must not alias post or w");
  if (job.kind >= 0) {
    const int64_t xs = job.m * job.g.C * job.g.H * job.g.W;
    if (actl < xs || (job.base && bl < xs)) return throw_range(env, "convBackwardMax: base (unless empty) and act must hold m·C·H·W");
    if (job.act == job.out || job.base == job.out || job.act == post) return throw_range(env, "convBackwardMax: act and base must not alias out or post");
  }
  job.src = post;
  job.argmax = argmax;
  run_chunks(backward_chunk, &job);
  if (job.oom) return throw_range(env, "convBackwardMax: out of memory for the chunk scratch");
  const int64_t bad = atomic_load(&job.bad);
  if (bad != INT64_MAX) {
    char msg[160];
    snprintf(msg, sizeof msg, "convBackwardMax: argmax[%lld] = %d is outside its plane", (long long)bad, argmax[bad]);
    return throw_range(env, msg);
  }
  return NULL;
}

/* setLayoutThreads(n): 1 = the caller only, 2 = the caller and the helper (started on first use);
   overrides FRE_LAYOUT_THREADS and the default. Returns the mode in effect. Not during a call. */
napi_value fre_set_layout_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  int64_t n;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 1) return throw_type(env, "setLayoutThreads: expected (n)");
  if (!get_dim(env, argv[0], "n", 1, &n)) return NULL;
  if (n > 2) return throw_range(env, "setLayoutThreads: n must be 1 or 2");
  share.mode = n == 2 && share_start_helper() ? 2 : 1;
  NAPI_CALL(env, napi_create_int32(env, share.mode, &result));
  return result;
}

/* layoutThreads(): the mode in effect (deciding it from the environment if no call has yet). */
napi_value fre_layout_threads(napi_env env, napi_callback_info info) {
  napi_value result;
  NAPI_CALL(env, napi_create_int32(env, share_mode(), &result));
  return result;
}
