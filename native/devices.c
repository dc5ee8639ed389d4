/*
 * In-situ pulsed writes of simulator/chip/devices.ts (DeviceMatrix.commitPulsed, .coincide and
 * .applyHits there are the references; test/chip-native-conformance.test.ts compares them):
 *
 *   pulsedCommit(state, W, held, uPlus, uMinus, frozen, stepUp, stepDown, bMax, bMin, saturated, chi,
 *                params, out)      row-programmed (chi empty) and mixed-precision writes at a commit
 *   coincide(state, W, held, uPlus, uMinus, frozen, stepUp, stepDown, bMax, bMin, saturated, geometry,
 *            post, pre, params, out)   stochastic-coincidence, sample by sample
 *   pulsedCommitOneSided(…)   pulsedCommit for potentiate-only pairs (PCM), with their refreshes: serial,
 *            the TypeScript loop's draws and bytes exactly (see its comment at the end of this file)
 *
 * pulsedCommit and coincide apply every pulse on its own by the device rule of update-schemes.ts (soft
 * bounds, the device's own step, bounds and asymmetry, cycle-to-cycle noise per pulse): the same distributions as the
 * TypeScript loops, another order of draws. Their work runs in 8 fixed blocks on up to 8 threads
 * (run_blocks), each block drawing from its own xoshiro256** streams seeded from draws of the chip's
 * stream per call (fre_block_stream), so a run is a pure function of its seed whatever the thread
 * count. coincide draws its trains on eight streams and its pulses' normals on sixteen side by side
 * (AVX-512 where the CPU has it, else the same lanes one by one: the same bytes). uMinus of length 0 =
 * offset-column cells (u_eff = 2u − 1).
 */
#include <immintrin.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "napi_args.h"
#include "rng.h"
#include "devices.h"
#include "blocks.h"
#include "zig16.h"

/*
 * Both cores: each kernel splits its work into FRE_BLOCKS fixed blocks of cells (disjoint, by rows of
 * the tile or by cell index), each with its own random stream (fre_block_stream), and runs the blocks
 * on up to chipThreads threads (the caller's and pool.c's persistent workers). The block count is
 * fixed, not the thread count, so the result is the same
 * for 1 or 8 threads. chipThreads: FRE_CHIP_THREADS, else the CPUs the process may use (its affinity mask, at
 * most FRE_BLOCKS);
 * setChipThreads(n) from JS.
 */
#define FRE_BLOCKS 8
static int chipThreads = 0;

int chip_threads(void) {
  if (chipThreads > 0) return chipThreads;
  const char *e = fre_getenv("FRE_CHIP_THREADS");
  long n = e ? strtol(e, NULL, 10) : fre_usable_cpus();
  chipThreads = n < 1 ? 1 : n > FRE_BLOCKS ? FRE_BLOCKS : (int)n;
  return chipThreads;
}

/* fn(ctx, b) for b < n, on up to chip_threads() threads: pool.c's persistent workers, which the read path
 * uses too. Starting threads per call cost the commits more than the second core gave them: a commit is a
 * few milliseconds a tile, and the caller had to join a thread the scheduler had not run yet (session 7:
 * 655 → 436 ms of row-programmed commits per 10 000 samples, the same bytes). Which thread runs a block
 * never changes its numbers. */
void run_blocks(int n, void (*fn)(void *, int), void *ctx) { fre_pool_run(n, fn, ctx); }

static bool use_avx512(void);
static bool cpu_avx512(void);
static int have_avx512;
/* setChipSimd(on): AVX-512 for the coincidence kernel's trains and normals where the CPU has it (on, the
 * default unless FRE_NO_AVX512=1), or the same lanes one by one; returns the previous setting. Both give
 * the same bytes (the tests compare them). */
napi_value fre_set_chip_simd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  bool on;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_bool(env, argv[0], &on) != napi_ok) return throw_type(env, "setChipSimd: expected a boolean");
  const bool prev = use_avx512();
  have_avx512 = on && cpu_avx512() ? 1 : 0;
  NAPI_CALL(env, napi_get_boolean(env, prev, &result));
  return result;
}

/* setChipThreads(n): threads for the update kernels (1 … 8); returns the previous count. */
napi_value fre_set_chip_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  double n;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_double(env, argv[0], &n) != napi_ok) return throw_type(env, "setChipThreads: expected a number");
  if (!(n >= 1 && n <= FRE_BLOCKS && n == (double)(int)n)) return throw_range(env, "setChipThreads: n must be an integer in [1, 8]");
  const int prev = chip_threads();
  chipThreads = (int)n;
  NAPI_CALL(env, napi_create_int32(env, prev, &result));
  return result;
}

/* a < b ? a : b and a > b ? a : b as one minsd / maxsd, never a branch: the bounds of the devices
 * scatter around ±1 (device-to-device spread), so "bMax < 1" is a coin toss per cell and a
 * branch on it mispredicts half the time. Same values as the ternaries, NaN included. */
static inline double min_lt(double a, double b) { return _mm_cvtsd_f64(_mm_min_sd(_mm_set_sd(a), _mm_set_sd(b))); }
static inline double max_gt(double a, double b) { return _mm_cvtsd_f64(_mm_max_sd(_mm_set_sd(a), _mm_set_sd(b))); }

static bool get_typed(napi_env env, napi_value v, const char *name, napi_typedarray_type want, void **data, int64_t *len) {
  bool is_ta = false;
  napi_typedarray_type type;
  size_t length = 0;
  void *ptr = NULL;
  char msg[128];
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &type, &length, &ptr, NULL, NULL) != napi_ok || type != want) {
    snprintf(msg, sizeof msg, "%s must be a %s", name,
             want == napi_uint8_array ? "Uint8Array" : want == napi_float64_array ? "Float64Array" : "typed array of the right type");
    throw_type(env, msg);
    return false;
  }
  *data = ptr;
  *len = (int64_t)length;
  return true;
}

typedef struct {
  float *W, *held, *up, *um, *stepUp, *stepDown, *bMax, *bMin;
  uint8_t *frozen, *saturated;
  int64_t n;
  bool diff, soft;
  double c2c, wMax;
  double boundHits;
} devices;

/* The device fields shared by pulsedCommit and coincide: argv[1 … 11]. */
static bool get_devices(napi_env env, napi_value *argv, devices *d) {
  int64_t wl, hl, ul, ml, sul, sdl, bxl, bnl, fl, sl;
  void *fr, *sa;
  if (!get_f32(env, argv[0], "W", &d->W, &wl) || !get_f32(env, argv[1], "held", &d->held, &hl) ||
      !get_f32(env, argv[2], "uPlus", &d->up, &ul) || !get_f32(env, argv[3], "uMinus", &d->um, &ml) ||
      !get_typed(env, argv[4], "frozen", napi_uint8_array, &fr, &fl) || !get_f32(env, argv[5], "stepUp", &d->stepUp, &sul) ||
      !get_f32(env, argv[6], "stepDown", &d->stepDown, &sdl) || !get_f32(env, argv[7], "bMax", &d->bMax, &bxl) ||
      !get_f32(env, argv[8], "bMin", &d->bMin, &bnl) || !get_typed(env, argv[9], "saturated", napi_uint8_array, &sa, &sl)) return false;
  d->frozen = fr;
  d->saturated = sa;
  d->n = wl;
  d->diff = ml > 0;
  if (hl != wl || ul != wl || (d->diff && ml != wl) || fl != wl || sul != wl || sdl != wl || bxl != wl || bnl != wl || sl != wl) {
    throw_range(env, "device buffers must all have the matrix's length (uMinus: that or 0)");
    return false;
  }
  return true;
}

/* The device value of cell i (update-schemes.ts): u+ − u−, or 2u − 1 for an offset cell. */
static inline double u_of(const devices *d, int64_t i) {
  return d->diff ? (double)d->up[i] - (double)d->um[i] : 2.0 * (double)d->up[i] - 1.0;
}

/* Stores u on cell i and marks it at its bound (markBound of devices.ts) when it ends within 5 % of its range of one. */
static inline void store_cell(devices *d, int64_t i, double u, double hi, double lo) {
  if (d->diff) {
    /* max(u, 0) and max(−u, 0) without a branch on the sign (exact: u + |u| is 2u or 0). */
    d->up[i] = (float)((u + fabs(u)) * 0.5);
    d->um[i] = (float)((fabs(u) - u) * 0.5);
  } else d->up[i] = (float)((1 + u) / 2);
  d->W[i] = (float)(u * d->wMax);
  d->held[i] = d->W[i];
  const double margin = 0.05 * (hi - lo) / 2;
  if (u >= hi - margin || u <= lo + margin) {
    const double uq = u_of(d, i);
    if (!(uq < hi - margin && uq > lo + margin) && !d->saturated[i]) {
      d->saturated[i] = 1;
      d->boundHits += 1;
    }
  }
}

/* Scratch of apply_cells: the work sorted by pulse count (grown as needed, freed by the caller). */
typedef struct {
  int64_t *order;
  int64_t *count;
  int64_t cap, countCap;
} sort_scratch;

static bool scratch_fit(sort_scratch *s, int64_t n, int64_t mMax) {
  if (n > s->cap) {
    free(s->order);
    s->order = malloc(sizeof(int64_t) * (size_t)n);
    s->cap = s->order ? n : 0;
  }
  if (mMax + 2 > s->countCap) {
    free(s->count);
    s->count = malloc(sizeof(int64_t) * (size_t)(mMax + 2));
    s->countCap = s->count ? mMax + 2 : 0;
  }
  return s->order && s->count;
}

/*
 * k[h] pulses (sign = direction) on cell[h], h < n: applyHits of devices.ts, each pulse on its own:
 *   dw = step·max(0, 1 − u/bound)·(1 + c2c·ξ), u ± dw clipped to [lo, hi].
 * A cell's pulses form one serial chain of multiplies and adds. The cells are sorted by their pulse
 * count (a counting sort) and stepped four at a time with equal counts, so the four chains advance
 * together in one vector and no lane idles; each cell still takes its pulses one by one. Cells are
 * independent, so the order they are taken in changes only which draw goes to which pulse.
 * Returns the pulses applied; false in *ok when out of memory.
 */
#define LANES 4
static double apply_cells(devices *d, xoshiro *g, const int64_t *cell, const int32_t *kk, int64_t n, sort_scratch *sc, bool *ok) {
  if (n == 0) return 0;
  const double c2c = d->c2c;
  const bool soft = d->soft;
  int64_t mMax = 0;
  for (int64_t h = 0; h < n; h++) {
    const int64_t m = kk[h] > 0 ? kk[h] : -(int64_t)kk[h];
    if (m > mMax) mMax = m;
  }
  if (!scratch_fit(sc, n, mMax)) {
    *ok = false;
    return 0;
  }
  int64_t *count = sc->count, *order = sc->order;
  for (int64_t m = 0; m <= mMax + 1; m++) count[m] = 0;
  /* Most cells take one pulse a sample: their count and cursor live in registers (one counter in
   * memory incremented n times in a row would be a chain of store-to-load round trips). */
  int64_t ones = 0;
  for (int64_t h = 0; h < n; h++) {
    const int64_t m = kk[h] > 0 ? kk[h] : -(int64_t)kk[h];
    if (m == 1) ones++;
    else count[m + 1]++;
  }
  count[2] += ones;
  for (int64_t m = 1; m <= mMax + 1; m++) count[m] += count[m - 1];
  int64_t oneAt = count[1];
  for (int64_t h = 0; h < n; h++) {
    const int64_t m = kk[h] > 0 ? kk[h] : -(int64_t)kk[h];
    if (m == 1) order[oneAt++] = h;
    else order[count[m]++] = h;
  }
  if (mMax >= 1) count[1] = oneAt;
  /* count[m] is now the end of bucket m (and the start of bucket m + 1). */
  double pulses = 0;
  int64_t h0 = 0;
  while (h0 < n) {
    const int32_t k0 = kk[order[h0]];
    const int64_t m = k0 > 0 ? k0 : -(int64_t)k0;
    const int64_t end = count[m];
    const int nl = end - h0 < LANES ? (int)(end - h0) : LANES;
    double u[LANES], step[LANES], invB[LANES], hi[LANES], lo[LANES], sgn[LANES], z[LANES] = {0};
    for (int l = 0; l < LANES; l++) {
      if (l >= nl) {
        u[l] = 0, step[l] = 0, invB[l] = 0, hi[l] = 1, lo[l] = -1, sgn[l] = 1, z[l] = 0;
        continue;
      }
      const int64_t i = cell[order[h0 + l]];
      const bool isUp = kk[order[h0 + l]] > 0;
      u[l] = u_of(d, i);
      sgn[l] = isUp ? 1 : -1;
      step[l] = isUp ? d->stepUp[i] : d->stepDown[i];
      /* Soft bounds by the reciprocal of the bound: a multiply in the chain, not a divide. */
      invB[l] = soft ? 1.0 / (isUp ? d->bMax[i] : d->bMin[i]) : 0;
      hi[l] = min_lt(d->bMax[i], 1);
      lo[l] = max_gt(d->bMin[i], -1);
    }
    for (int64_t p = 0; p < m; p++) {
      if (c2c > 0)
        for (int l = 0; l < nl; l++) z[l] = (double)(float)fre_normal_inline(g);
      for (int l = 0; l < LANES; l++) {
        double f = 1 - u[l] * invB[l];
        f = max_gt(f, 0);
        double v = u[l] + sgn[l] * (step[l] * f * (1 + c2c * z[l]));
        v = min_lt(hi[l], v); /* v > hi ? hi : v */
        u[l] = max_gt(lo[l], v); /* v < lo ? lo : v */
      }
    }
    for (int l = 0; l < nl; l++) store_cell(d, cell[order[h0 + l]], u[l], hi[l], lo[l]);
    pulses += (double)(m * nl);
    h0 += nl;
  }
  return pulses;
}

static bool get_params(napi_env env, napi_value v, int64_t want, double **p) {
  void *ptr;
  int64_t len;
  if (!get_typed(env, v, "params", napi_float64_array, &ptr, &len)) return false;
  if (len < want) {
    throw_range(env, "params is too short");
    return false;
  }
  *p = ptr;
  return true;
}

/* pulsedCommit's work on cells [b·n/B, (b+1)·n/B): the pulse counts, then the pulses (apply_cells). */
typedef struct {
  devices d;
  float *chi;
  double eps, cap;
  bool stochastic;
  int64_t *cells;
  int32_t *ks;
  uint64_t key;
  double pulses[FRE_BLOCKS], boundHits[FRE_BLOCKS];
  bool failed[FRE_BLOCKS];
} commit_job;

static void commit_block(void *ctx, int b) {
  commit_job *j = ctx;
  devices d = j->d;
  d.boundHits = 0;
  xoshiro g;
  fre_block_stream(&g, j->key, (uint64_t)b);
  float *chi = j->chi;
  const double eps = j->eps, cap = j->cap;
  const int64_t begin = d.n * b / FRE_BLOCKS, end = d.n * (b + 1) / FRE_BLOCKS;
  int64_t *cells = j->cells + begin;
  int32_t *ks = j->ks + begin;
  int64_t nHit = 0;
  for (int64_t i = begin; i < end; i++) {
    if (d.frozen[i]) {
      d.W[i] = d.held[i];
      continue;
    }
    if (d.W[i] == d.held[i] && !(chi && fabs((double)chi[i]) >= eps)) continue;
    double k;
    if (chi) {
      chi[i] = (float)((double)chi[i] + ((double)d.W[i] - (double)d.held[i]));
      k = trunc((double)chi[i] / eps);
      k = k > cap ? cap : k < -cap ? -cap : k;
      chi[i] = (float)((double)chi[i] - k * eps);
    } else {
      const double want = ((double)d.W[i] - (double)d.held[i]) / eps;
      const double f = floor(want);
      if (j->stochastic) {
        /* A 24-bit uniform, as fillUniform's. */
        const double u = (double)(next64(&g) >> 40) * (1.0 / 16777216.0);
        k = f + (u < want - f ? 1 : 0);
      } else k = floor(want + 0.5); /* Math.round: halves round up */
      k = k > cap ? cap : k < -cap ? -cap : k;
    }
    /* k is NaN for a NaN request (a diverged optimiser): no pulses, as the TypeScript path's Int32Array
     * makes of it (casting NaN to int32 is undefined: INT32_MIN on x86-64, 2^31 pulses). */
    if (k == 0 || k != k) {
      d.W[i] = d.held[i];
      continue;
    }
    cells[nHit] = i;
    ks[nHit++] = (int32_t)k;
  }
  sort_scratch sc = {0};
  bool ok = true;
  j->pulses[b] = apply_cells(&d, &g, cells, ks, nHit, &sc, &ok);
  free(sc.order), free(sc.count);
  j->failed[b] = !ok;
  j->boundHits[b] = d.boundHits;
}

/*
 * pulsedCommit(state, W, held, uPlus, uMinus, frozen, stepUp, stepDown, bMax, bMin, saturated, chi,
 *              params [eps, cap, stochastic, softBounds, c2c, wMax], out [pulses, boundHits added])
 * commitPulsed of devices.ts for row-programmed (chi empty) and mixed-precision (chi the accumulator).
 */
/* Commits queued by pulsedCommitQueue for one pulsedCommitRun: their blocks run as one pool job. One queue per
 * calling thread (Node worker threads each load the addon and run their own chips; the pool serialises their
 * jobs): a run executes only the commits its own thread queued. The pool's workers reach it through ctx. */
typedef struct {
  commit_job job;
  double *out;
} queued_commit;
static _Thread_local queued_commit *Queue;
static _Thread_local int queued, queueCap;

static void queue_clear(void) {
  for (int q = 0; q < queued; q++) free(Queue[q].job.cells), free(Queue[q].job.ks);
  queued = 0;
}

/* Block b of the queued commits: block b % FRE_BLOCKS of commit b / FRE_BLOCKS (commit_block, the same work). */
static void queued_block(void *ctx, int b) {
  queued_commit *q = ctx;
  commit_block(&q[b / FRE_BLOCKS].job, b % FRE_BLOCKS);
}

/* The job's totals into out; false if a block ran out of memory. */
static bool commit_totals(const commit_job *job, double *out) {
  double pulses = 0, boundHits = 0;
  bool ok = true;
  for (int bl = 0; bl < FRE_BLOCKS; bl++) pulses += job->pulses[bl], boundHits += job->boundHits[bl], ok = ok && !job->failed[bl];
  out[0] = pulses;
  out[1] = boundHits;
  return ok;
}

static napi_value pulsed_commit(napi_env env, napi_callback_info info, bool queue) {
  size_t argc = 14;
  napi_value argv[14];
  xoshiro g;
  uint32_t *raw;
  devices d;
  float *chi;
  int64_t chl;
  double *pa, *out;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 14) return throw_type(env, "pulsedCommit: expected (state, W, held, uPlus, uMinus, frozen, stepUp, stepDown, bMax, bMin, saturated, chi, params, out)");
  if (!fre_get_state(env, argv[0], &g, &raw) || !get_devices(env, argv + 1, &d) || !get_f32(env, argv[11], "chi", &chi, &chl) ||
      !get_params(env, argv[12], 6, &pa) || !get_params(env, argv[13], 2, &out)) return NULL;
  if (chl > 0 && chl != d.n) return throw_range(env, "pulsedCommit: chi must have the matrix's length (or 0)");
  const double eps = pa[0], cap = pa[1];
  const bool stochastic = pa[2] != 0;
  d.soft = pa[3] != 0;
  d.c2c = pa[4];
  d.wMax = pa[5];
  d.boundHits = 0;
  fre_normal_init();
  if (!(eps > 0)) return throw_range(env, "pulsedCommit: eps must be > 0");
  if (queue && queued == queueCap) {
    const int cap2 = queueCap ? 2 * queueCap : 8;
    queued_commit *q = realloc(Queue, sizeof(queued_commit) * (size_t)cap2);
    if (!q) return throw_range(env, "pulsedCommitQueue: out of memory");
    Queue = q, queueCap = cap2;
  }
  int64_t *cells = malloc(sizeof(int64_t) * (size_t)(d.n + 1));
  int32_t *ks = malloc(sizeof(int32_t) * (size_t)(d.n + 1));
  if (!cells || !ks) {
    free(cells), free(ks);
    return throw_range(env, "pulsedCommit: out of memory");
  }
  /* FRE_BLOCKS blocks of cells, each on its own stream (rounding draws and pulse noise), on both cores. The
   * key is the only draw from the chip's stream, taken here whether the blocks run now or at pulsedCommitRun. */
  commit_job job = {d, chl > 0 ? chi : NULL, eps, cap, stochastic, cells, ks, next64(&g), {0}, {0}, {0}};
  fre_put_state(&g, raw);
  if (queue) {
    Queue[queued++] = (queued_commit){job, out};
    return NULL;
  }
  run_blocks(FRE_BLOCKS, commit_block, &job);
  free(cells), free(ks);
  if (!commit_totals(&job, out)) return throw_range(env, "pulsedCommit: out of memory");
  return NULL;
}

/*
 * pulsedCommit(state, W, held, uPlus, uMinus, frozen, stepUp, stepDown, bMax, bMin, saturated, chi,
 *              params [eps, cap, stochastic, softBounds, c2c, wMax], out [pulses, boundHits added])
 * commitPulsed of devices.ts for row-programmed (chi empty) and mixed-precision (chi the accumulator).
 */
napi_value fre_pulsed_commit(napi_env env, napi_callback_info info) { return pulsed_commit(env, info, false); }

/*
 * pulsedCommitQueue(the same arguments): pulsedCommit's key drawn now (the chip's stream advances as
 * pulsedCommit's does), its blocks left for pulsedCommitRun, which runs every queued commit's blocks as one
 * pool job and then writes each out. The buffers must stay as they are until then. Why: a training step's
 * commits (2HL-512: three matrices) ran as three pool jobs of 8 blocks each, and each ended on one busy
 * thread while the other waited; one job of 24 blocks leaves less of that tail. The same blocks, streams
 * and keys: the same bytes.
 */
napi_value fre_pulsed_commit_queue(napi_env env, napi_callback_info info) { return pulsed_commit(env, info, true); }

napi_value fre_pulsed_commit_run(napi_env env, napi_callback_info info) {
  (void)info;
  if (queued == 0) return NULL;
  run_blocks(queued * FRE_BLOCKS, queued_block, Queue);
  bool ok = true;
  for (int q = 0; q < queued; q++) ok = commit_totals(&Queue[q].job, Queue[q].out) && ok;
  queue_clear();
  if (!ok) return throw_range(env, "pulsedCommit: out of memory");
  return NULL;
}

/*
 * The pulse trains' coin tosses, eight xoshiro256** streams side by side (one 512-bit vector):
 * a step draws eight 64-bit words, sixteen 32-bit uniforms, one per slot; a slot fires when its
 * uniform is below ⌊p·2³²⌋. A 31-slot train is then two vector steps and two compares (≈ 30
 * instructions) where one stream took sixteen draws and 31 compares (≈ 240): the trains were ≈ 5
 * draws per applied pulse on 2HL-512 (a train per active row and column of every tile, 31 slots).
 * With AVX-512 the lanes run in one register; otherwise the same lanes one by one, so a run draws the
 * same trains on any x86-64 (lane l's 64-bit draw gives slots 2l (low half) and 2l + 1 (high half)).
 * A word's second step is drawn only when the word has more than 16 slots (since session 7: 2HL-512's
 * trains have 2.6 slots on average, and the unused half was half the trains' draws).
 */
typedef struct {
  uint64_t s[4][8];
} xoshiro8;

static void xoshiro8_seed(xoshiro8 *x, uint64_t key, uint64_t index) {
  for (int l = 0; l < 8; l++) {
    xoshiro g;
    fre_block_stream(&g, key, index * 8 + (uint64_t)l);
    for (int k = 0; k < 4; k++) x->s[k][l] = g.s[k];
  }
}

static int have_avx512 = -1;
static bool cpu_avx512(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512cd");
}
static bool use_avx512(void) {
  if (have_avx512 < 0) {
    /* FRE_NO_AVX512=1 takes the lane-by-lane path (setChipSimd(false) from JS). */
    const char *off = getenv("FRE_NO_AVX512");
    have_avx512 = cpu_avx512() && !(off && off[0] == '1') ? 1 : 0;
  }
  return have_avx512 == 1;
}

/* A Bernoulli(p) train of bl slots, 32 per word (words = ⌈bl / 32⌉), the eight streams' lanes one by one. */
static void train8_scalar(xoshiro8 *x, uint32_t t, int64_t bl, uint32_t *out, int64_t words) {
  for (int64_t w = 0; w < words; w++) {
    uint32_t m = 0;
    for (int h = 0; h < (bl - 32 * w > 16 ? 2 : 1); h++)
      for (int l = 0; l < 8; l++) {
        xoshiro g = {{x->s[0][l], x->s[1][l], x->s[2][l], x->s[3][l]}};
        const uint64_t r = next64(&g);
        for (int k = 0; k < 4; k++) x->s[k][l] = g.s[k];
        m |= (uint32_t)((uint32_t)r < t) << (16 * h + 2 * l);
        m |= (uint32_t)((uint32_t)(r >> 32) < t) << (16 * h + 2 * l + 1);
      }
    const int64_t left = bl - 32 * w;
    out[w] = left >= 32 ? m : m & ((1u << left) - 1);
  }
}

/*
 * The pulses' cycle-to-cycle normals, drawn ZN at a time into a buffer: the ziggurat's fast path
 * (Marsaglia & Tsang 2000, as fre_normal) on sixteen streams side by side (two sets of eight lanes, v
 * and v2, a draw of each per round: pool slot k + l takes lane l of v for l < 8, lane l − 8 of v2 else),
 * each lane's draw a 64-bit word of its stream (7 bits for the layer, 32 for the value), the value
 * (float)hz · wn[iz] formed in float as the read noise's (noise.c); a lane whose word fails the fast
 * test (≈ 1 %) finishes on the block's own scalar stream (fre_normal_rest), in slot order. Drawing
 * them apart from the pulses takes the generator's state out of the pulses' dependency chain. Until
 * session 7: eight lanes, the value hz · wn[iz] in double then rounded to float, wn[iz] and kn[iz]
 * gathered (the same distribution; 1.75 ns a normal in the epoch, the loop bound by the gathers and
 * one generator's chain); now the tables are register permutes and two generators interleave.
 */
#define ZN 512
static float zig_wnf[128]; /* fre_zig_wn as floats (set by coincide before its blocks run) */
typedef struct {
  xoshiro8 v, v2;
  xoshiro g;
  double c2c;
  double buf[ZN + 8]; /* 1 + c2c·ξ, ξ rounded to float as the pulses always had it (+ 8 read, unused, by a masked tail) */
} normal_pool;

__attribute__((target("avx512f,avx512vl,avx512dq"))) static void pool_fill_avx512(normal_pool *np) {
  __m512i a0 = _mm512_loadu_si512(np->v.s[0]), a1 = _mm512_loadu_si512(np->v.s[1]);
  __m512i a2 = _mm512_loadu_si512(np->v.s[2]), a3 = _mm512_loadu_si512(np->v.s[3]);
  __m512i c0 = _mm512_loadu_si512(np->v2.s[0]), c1 = _mm512_loadu_si512(np->v2.s[1]);
  __m512i c2 = _mm512_loadu_si512(np->v2.s[2]), c3 = _mm512_loadu_si512(np->v2.s[3]);
  fre_zig16 T;
  fre_zig16_load(&T, zig_wnf);
  const __m512d one = _mm512_set1_pd(1), c2c = _mm512_set1_pd(np->c2c);
  for (int k = 0; k < ZN; k += 16) {
    const __m512i bA = fre_xoshiro8_step(&a0, &a1, &a2, &a3), bB = fre_xoshiro8_step(&c0, &c1, &c2, &c3);
    __mmask16 rej;
    const __m512 z = fre_zig16_fast(&T, bA, bB, &rej);
    _mm512_storeu_pd(np->buf + k, _mm512_add_pd(one, _mm512_mul_pd(c2c, _mm512_cvtps_pd(_mm512_castps512_ps256(z)))));
    _mm512_storeu_pd(np->buf + k + 8, _mm512_add_pd(one, _mm512_mul_pd(c2c, _mm512_cvtps_pd(_mm512_extractf32x8_ps(z, 1)))));
    if (rej) {
      uint64_t bb[16];
      _mm512_storeu_si512(bb, bA);
      _mm512_storeu_si512(bb + 8, bB);
      for (unsigned m = rej; m; m &= m - 1) {
        const int l = __builtin_ctz(m);
        np->buf[k + l] = 1 + np->c2c * (double)(float)fre_normal_rest(&np->g, bb[l]);
      }
    }
  }
  _mm512_storeu_si512(np->v.s[0], a0), _mm512_storeu_si512(np->v.s[1], a1);
  _mm512_storeu_si512(np->v.s[2], a2), _mm512_storeu_si512(np->v.s[3], a3);
  _mm512_storeu_si512(np->v2.s[0], c0), _mm512_storeu_si512(np->v2.s[1], c1);
  _mm512_storeu_si512(np->v2.s[2], c2), _mm512_storeu_si512(np->v2.s[3], c3);
}

static void pool_fill_scalar(normal_pool *np) {
  for (int k = 0; k < ZN; k += 16)
    for (int l = 0; l < 16; l++) {
      xoshiro8 *x = l < 8 ? &np->v : &np->v2;
      const int q = l & 7;
      xoshiro g = {{x->s[0][q], x->s[1][q], x->s[2][q], x->s[3][q]}};
      const uint64_t b = next64(&g);
      for (int w = 0; w < 4; w++) x->s[w][q] = g.s[w];
      const int iz = (int)(b & 127);
      const int32_t hz = (int32_t)(uint32_t)(b >> 32);
      const uint32_t ahz = hz < 0 ? (uint32_t)(-(int64_t)hz) : (uint32_t)hz;
      const float z = ahz < fre_zig_kn[iz] ? (float)hz * zig_wnf[iz] : (float)fre_normal_rest(&np->g, b);
      np->buf[k + l] = 1 + np->c2c * (double)z;
    }
}

static void pool_fill(normal_pool *np) {
  if (use_avx512()) pool_fill_avx512(np);
  else pool_fill_scalar(np);
}

/* The next 1 + c2c·ξ of the pool; *at = ZN means empty. */
static inline double pool_next(normal_pool *np, int *at) {
  if (*at == ZN) {
    pool_fill(np);
    *at = 0;
  }
  return np->buf[(*at)++];
}

/* The trains of n lines at once, line i at rate p[i] into out[i·words, (i+1)·words): p ≤ 0 (or NaN)
 * draws nothing and fires nothing, p ≥ 1 fires in every slot and draws nothing, else a Bernoulli(p)
 * train from the eight streams. One call per sample and block keeps the streams in registers. */
__attribute__((target("avx512f"))) static void trains_any_avx512(xoshiro8 *x, const double *p, int64_t n, int64_t bl, int64_t words,
                                                              uint32_t *out) {
  __m512i s0 = _mm512_loadu_si512(x->s[0]), s1 = _mm512_loadu_si512(x->s[1]);
  __m512i s2 = _mm512_loadu_si512(x->s[2]), s3 = _mm512_loadu_si512(x->s[3]);
  for (int64_t i = 0; i < n; i++) {
    uint32_t *o = out + i * words;
    if (!(p[i] > 0)) {
      for (int64_t w = 0; w < words; w++) o[w] = 0;
      continue;
    }
    if (p[i] >= 1) {
      for (int64_t w = 0; w < words; w++) o[w] = bl - 32 * w >= 32 ? 0xffffffffu : (1u << (bl - 32 * w)) - 1;
      continue;
    }
    const __m512i tv = _mm512_set1_epi32((int)(uint32_t)(p[i] * 4294967296.0));
    for (int64_t w = 0; w < words; w++) {
      uint32_t m = 0;
      for (int h = 0; h < (bl - 32 * w > 16 ? 2 : 1); h++) {
        const __m512i r = fre_xoshiro8_step(&s0, &s1, &s2, &s3);
        m |= (uint32_t)_mm512_cmplt_epu32_mask(r, tv) << (16 * h);
      }
      const int64_t left = bl - 32 * w;
      o[w] = left >= 32 ? m : m & ((1u << left) - 1);
    }
  }
  _mm512_storeu_si512(x->s[0], s0), _mm512_storeu_si512(x->s[1], s1);
  _mm512_storeu_si512(x->s[2], s2), _mm512_storeu_si512(x->s[3], s3);
}

/* trains_avx512 for one-word trains (bl ≤ 32, every train of 2HL-512's coincidence runs): the lines that
 * draw nothing (p ≤ 0, NaN, p ≥ 1) are written eight at a time and the drawing ones listed first, so the
 * draws run in one straight loop in line order, the same draws as line by line (those branches, half of
 * them taken at random on MNIST's blank pixels, were most of the trains' time). */
__attribute__((target("avx512f,avx512vl"))) static void trains1_avx512(xoshiro8 *x, const double *p, int64_t n, int64_t bl, uint32_t *out) {
  const uint32_t full = bl >= 32 ? 0xffffffffu : (1u << bl) - 1;
  const __m256i fullv = _mm256_set1_epi32((int)full), iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m512d zero = _mm512_setzero_pd(), one = _mm512_set1_pd(1);
  __m512i s0 = _mm512_loadu_si512(x->s[0]), s1 = _mm512_loadu_si512(x->s[1]);
  __m512i s2 = _mm512_loadu_si512(x->s[2]), s3 = _mm512_loadu_si512(x->s[3]);
  int32_t list[256 + 8];
  for (int64_t i0 = 0; i0 < n; i0 += 256) {
    const int64_t i1 = n - i0 < 256 ? n : i0 + 256;
    int64_t nl = 0;
    for (int64_t i = i0; i < i1; i += 8) {
      const __mmask8 in = i1 - i >= 8 ? 0xff : (__mmask8)((1u << (i1 - i)) - 1);
      const __m512d pv = _mm512_maskz_loadu_pd(in, p + i);
      const __mmask8 fires = _mm512_mask_cmp_pd_mask(in, pv, one, _CMP_GE_OQ);
      const __mmask8 draws = _mm512_mask_cmp_pd_mask(in, pv, zero, _CMP_GT_OQ) & ~fires;
      _mm256_mask_storeu_epi32(out + i, in, _mm256_maskz_mov_epi32(fires, fullv));
      _mm256_storeu_si256((__m256i *)(list + nl), _mm256_maskz_compress_epi32(draws, _mm256_add_epi32(iota, _mm256_set1_epi32((int)i))));
      nl += __builtin_popcount(draws);
    }
    for (int64_t k = 0; k < nl; k++) {
      const int64_t i = list[k];
      const __m512i tv = _mm512_set1_epi32((int)(uint32_t)(p[i] * 4294967296.0));
      uint32_t m = (uint32_t)_mm512_cmplt_epu32_mask(fre_xoshiro8_step(&s0, &s1, &s2, &s3), tv);
      if (bl > 16) m |= (uint32_t)_mm512_cmplt_epu32_mask(fre_xoshiro8_step(&s0, &s1, &s2, &s3), tv) << 16;
      out[i] = m & full;
    }
  }
  _mm512_storeu_si512(x->s[0], s0), _mm512_storeu_si512(x->s[1], s1);
  _mm512_storeu_si512(x->s[2], s2), _mm512_storeu_si512(x->s[3], s3);
}

/* The trains of n lines at once (see trains). */
static void trains_avx512(xoshiro8 *x, const double *p, int64_t n, int64_t bl, int64_t words, uint32_t *out) {
  if (words == 1) trains1_avx512(x, p, n, bl, out);
  else trains_any_avx512(x, p, n, bl, words, out);
}

static void trains(xoshiro8 *x, const double *p, int64_t n, int64_t bl, int64_t words, uint32_t *out) {
  if (use_avx512()) {
    trains_avx512(x, p, n, bl, words, out);
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    uint32_t *o = out + i * words;
    if (!(p[i] > 0))
      for (int64_t w = 0; w < words; w++) o[w] = 0;
    else if (p[i] >= 1)
      for (int64_t w = 0; w < words; w++) o[w] = bl - 32 * w >= 32 ? 0xffffffffu : (1u << (bl - 32 * w)) - 1;
    else train8_scalar(x, (uint32_t)(p[i] * 4294967296.0), bl, o, words);
  }
}

/* max |v[i]| over i < n, from 0, NaNs passed over (the loops' a > m ? a : m): in float, 16 at a time (the
 * float's magnitude order is its double's, so the same value). */
__attribute__((target("avx512f,avx512dq"))) static double absmax_avx512(const float *v, int64_t n) {
  __m512 m = _mm512_setzero_ps();
  const __m512 absMask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff));
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 in = n - i >= 16 ? 0xffff : (__mmask16)((1u << (n - i)) - 1);
    const __m512 a = _mm512_and_ps(_mm512_maskz_loadu_ps(in, v + i), absMask);
    m = _mm512_max_ps(a, m); /* a > m ? a : m, lane by lane */
  }
  return (double)_mm512_reduce_max_ps(m);
}

static double absmax(const float *v, int64_t n) {
  if (use_avx512()) return absmax_avx512(v, n);
  double m = 0;
  for (int64_t i = 0; i < n; i++) {
    const double a = fabs((double)v[i]);
    m = a > m ? a : m;
  }
  return m;
}

/* p[i] = min(k·|v[i]|, 1) in double (min_lt's NaN rule: a NaN rate becomes 1, as before), 8 at a time. */
__attribute__((target("avx512f,avx512vl"))) static void rates_avx512(const float *v, int64_t n, double k, double *p) {
  const __m512d kv = _mm512_set1_pd(k), one = _mm512_set1_pd(1);
  const __m256 absMask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m512d a = _mm512_cvtps_pd(_mm256_and_ps(_mm256_loadu_ps(v + i), absMask));
    _mm512_storeu_pd(p + i, _mm512_min_pd(_mm512_mul_pd(kv, a), one)); /* a < 1 ? a : 1 */
  }
  for (; i < n; i++) p[i] = min_lt(k * fabs((double)v[i]), 1);
}

static void rates(const float *v, int64_t n, double k, double *p) {
  if (use_avx512()) {
    rates_avx512(v, n, k, p);
    return;
  }
  for (int64_t i = 0; i < n; i++) p[i] = min_lt(k * fabs((double)v[i]), 1);
}

/* The per-slot column lists of a one-word train (bl ≤ 32) straight from the columns' masks: for each slot,
 * the firing columns of 16 at a time compressed into place, in column order (the lists the scalar
 * counting and filling below make, the same bytes). out needs 16 entries of slack. st[0..bl] = base + the
 * slots' starts. Returns the entries. */
__attribute__((target("avx512f"))) static int64_t lists1_avx512(const uint32_t *colMask, const float *x, int64_t cols, int64_t bl,
                                                               int64_t *st, uint32_t *out, int64_t base) {
  const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
  int64_t n = 0;
  for (int64_t t = 0; t < bl; t++) {
    st[t] = base + n;
    const __m512i bit = _mm512_set1_epi32((int)(1u << t));
    for (int64_t c = 0; c < cols; c += 16) {
      const __mmask16 in = cols - c >= 16 ? 0xffff : (__mmask16)((1u << (cols - c)) - 1);
      const __mmask16 f = _mm512_test_epi32_mask(_mm512_maskz_loadu_epi32(in, colMask + c), bit);
      if (!f) continue;
      const __mmask16 neg = _mm512_mask_cmp_ps_mask(in, _mm512_maskz_loadu_ps(in, x + c), _mm512_setzero_ps(), _CMP_LT_OQ);
      __m512i e = _mm512_add_epi32(_mm512_set1_epi32((int)c), iota);
      e = _mm512_mask_or_epi32(e, neg, e, sign);
      _mm512_storeu_si512(out + n, _mm512_maskz_compress_epi32(f, e));
      n += __builtin_popcount(f);
    }
  }
  st[bl] = base + n;
  return n;
}

/*
 * coincide works in two phases, each in FRE_BLOCKS blocks on the chip threads. Phase one (plan_block,
 * blocks of samples): each sample's plan (planTrains) and its column trains, kept as per-slot column
 * lists (CSR). Phase two (coincide_block, blocks of the tile's rows): per sample, the row trains of
 * the block's rows and, slot by slot, one pulse on every cell whose column fires in the same slot.
 * A block's cells (rows/8 × cols, one 64-byte packed_cell each) stay in the core's L2 across the samples.
 */
typedef struct {
  double kd;       /* row train rate per |δ| (update management) */
  int64_t bl;      /* train length; 0 = no update for this sample */
  int64_t blk;     /* the phase-one block that listed it */
  int64_t slotOff; /* its bl + 1 slot starts in that block's slotStart (offsets into its slotCols) */
} sample_plan;

/* Phase one's work on samples [k·S/B, (k+1)·S/B): its own train stream and growing lists. */
typedef struct {
  int64_t *slotStart;
  uint32_t *slotCols; /* the tile columns firing in each slot, with x < 0 in the top bit */
  int64_t slotCap, colsCap, slotN, colsN;
  bool failed;
} plan_block_out;

/*
 * A cell of the tile as coincide_block works on it: the device's constants (its own signed step and
 * soft-bound reciprocal per direction, its bounds, the 5 % band that counts as "at the bound") next to
 * its value, one 64-byte line per cell instead of the ten per-cell arrays of the matrix (u+, u−, W,
 * held, step up/down, bounds, frozen, saturated), with what the pulse needs in the form it needs it
 * (no sign multiply, no float-to-double conversion of the constants in the pulse's chain). Packed per
 * block at the start of a call, written back at its end (only cells that took a pulse) — or kept across
 * calls in the matrix's own buffer (coincide's `packed`; devices.ts keepPacked), valid until devices.ts
 * writes the devices. Kept records did not pay here: 64 bytes a cell from memory at every call against
 * the pack's ≈ 30 bytes into a warm buffer (bench/results/speed/README.md, session 8).
 *   u: the value the next pulse starts from, u+ − u− (or 2u − 1) as the devices store it (a float).
 *   W: (float)(u·wMax) of the last pulse's unrounded u (store_cell's W and held).
 *   markBound's band (hi − 5 % of the range, lo + 5 %) is formed from hi and lo in double when tested,
 *   as devices.ts forms it: rounded to float it moved the band's edge by up to half an ulp, and a cell
 *   whose stored value lay on that float (0.95f < 0.95 is in the band) was counted at a bound.
 */
typedef struct {
  double u;
  double invB[2]; /* 1 / bMax (up), 1 / bMin (down); 0 without soft bounds */
  double hi, lo;  /* min(bMax, 1), max(bMin, −1) */
  float step[2];  /* +stepUp, −stepDown: the signed step of each direction */
  float pad[2];   /* (the 64-byte line) */
  float W;
  uint32_t flags; /* CELL_FROZEN, CELL_TOUCHED, CELL_SATURATED */
} __attribute__((aligned(64))) packed_cell;
#define CELL_FROZEN 1u
#define CELL_TOUCHED 2u
#define CELL_SATURATED 4u

typedef struct {
  devices d;
  const float *post, *pre;
  int64_t ldPost, ldPre, samples, r0, rows, cols, C, c0, maxWords;
  double eta, eps, desiredBl;
  sample_plan *plan;
  /* The matrix's packed cells kept across calls (record i = cell i, 64-byte aligned), NULL: packed per call
   * into the block's own buffer. fresh: the tile's records are the devices (the caller knows: devices.ts
   * drops the mark at every device write); check: compare them with a fresh pack instead of trusting it. */
  packed_cell *store;
  bool fresh, check;
  plan_block_out ph1[FRE_BLOCKS];
  uint64_t planKey, key;
  double pulses[FRE_BLOCKS], boundHits[FRE_BLOCKS];
  bool failed[FRE_BLOCKS], stale[FRE_BLOCKS];
} coincide_job;

static inline void pack_cell(const devices *d, int64_t i, packed_cell *c) {
  const double bx = d->bMax[i], bn = d->bMin[i];
  c->u = u_of(d, i);
  c->invB[0] = d->soft ? 1.0 / bx : 0;
  c->invB[1] = d->soft ? 1.0 / bn : 0;
  c->hi = min_lt(bx, 1);
  c->lo = max_gt(bn, -1);
  c->step[0] = d->stepUp[i];
  c->step[1] = -d->stepDown[i];
  c->pad[0] = c->pad[1] = 0;
  c->W = d->W[i];
  c->flags = (d->frozen[i] ? CELL_FROZEN : 0) | (d->saturated[i] ? CELL_SATURATED : 0);
}

/* One pulse on a packed cell in direction dir (0 up: δ·x > 0, 1 down), by the device rule of applyHits
 * (devices.ts): dw = step·max(0, 1 − u/bound)·(1 + c2c·ξ), u + dw clipped to [lo, hi]; then the value
 * the devices store (u+ / u− as floats). n = 1 + c2c·ξ from the pool (1 without cycle-to-cycle noise).
 * Frozen (stuck) cells take none. Returns 0 or 1. */
static inline int pulse_one(bool diff, double wMax, packed_cell *c, int dir, double n) {
  const uint32_t flags = c->flags;
  if (flags & CELL_FROZEN) return 0;
  const double u0 = c->u;
  const double fb = max_gt(1 - u0 * c->invB[dir], 0);
  double v = u0 + (double)c->step[dir] * fb * n;
  v = min_lt(c->hi, v); /* v > hi ? hi : v */
  const double u = max_gt(c->lo, v); /* v < lo ? lo : v */
  /* u+ − u− as stored: one of them is 0 and round-to-nearest is symmetric, so it is (float)u. */
  c->u = diff ? (double)(float)u : 2.0 * (double)(float)((1 + u) / 2) - 1.0; /* an offset cell's stored u */
  c->W = (float)(u * wMax);
  c->flags = flags | CELL_TOUCHED;
  return 1;
}

/* The eight packed cells of columns e[0..8) (top bit masked off) as the qwords of their 64-byte lines,
 * transposed: q[k] lane l = qword k of cell l (q[0] u, q[1] invB up, q[2] invB down, q[3] hi, q[4] lo,
 * q[5] the two steps, q[7] W | flags << 32; q[6], the pad, is not formed). Eight aligned line loads and
 * 23 register shuffles instead of six gathers: this CPU's gathers cost several times their loads. */
__attribute__((target("avx512f,avx512vl,avx512dq"), always_inline)) static inline void load8(packed_cell *rowCells, const uint32_t *e,
                                                                                            __m512d q[8]) {
  __m512d c[8];
  for (int l = 0; l < 8; l++) c[l] = _mm512_load_pd((const double *)(rowCells + (e[l] & 0x7fffffffu)));
  /* Stage 1: pairs of cells; t[2i] = even qwords of cells 2i, 2i+1 interleaved, t[2i+1] the odd ones. */
  __m512d t[8];
  for (int i = 0; i < 4; i++) {
    t[2 * i] = _mm512_unpacklo_pd(c[2 * i], c[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_pd(c[2 * i], c[2 * i + 1]);
  }
  /* Stage 2: quads; lanes 0-3 one qword of cells 0-3 (or 4-7), lanes 4-7 the qword four further. */
  const __m512i lo2 = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13), hi2 = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
  const __m512d s0 = _mm512_permutex2var_pd(t[0], lo2, t[2]); /* q0 | q4, cells 0-3 */
  const __m512d s1 = _mm512_permutex2var_pd(t[0], hi2, t[2]); /* q2 | q6 */
  const __m512d s2 = _mm512_permutex2var_pd(t[1], lo2, t[3]); /* q1 | q5 */
  const __m512d s3 = _mm512_permutex2var_pd(t[1], hi2, t[3]); /* q3 | q7 */
  const __m512d s4 = _mm512_permutex2var_pd(t[4], lo2, t[6]);
  const __m512d s5 = _mm512_permutex2var_pd(t[4], hi2, t[6]);
  const __m512d s6 = _mm512_permutex2var_pd(t[5], lo2, t[7]);
  const __m512d s7 = _mm512_permutex2var_pd(t[5], hi2, t[7]);
  /* Stage 3: the halves of cells 0-3 and 4-7. */
  q[0] = _mm512_shuffle_f64x2(s0, s4, 0x44);
  q[4] = _mm512_shuffle_f64x2(s0, s4, 0xee);
  q[2] = _mm512_shuffle_f64x2(s1, s5, 0x44);
  q[1] = _mm512_shuffle_f64x2(s2, s6, 0x44);
  q[5] = _mm512_shuffle_f64x2(s2, s6, 0xee);
  q[3] = _mm512_shuffle_f64x2(s3, s7, 0x44);
  q[7] = _mm512_shuffle_f64x2(s3, s7, 0xee);
  q[6] = _mm512_setzero_pd();
}

/* pulse_one on the eight cells of entries e[0..8) (distinct columns of one slot, x < 0 in the top bit) of a
 * differential row, lanes outside `valid` untouched, with n[l] = 1 + c2c·ξ (NULL: 1): the same operations
 * in the same order lane by lane (no contraction: -std=c11). The cells come in as eight line loads (load8;
 * six gathers took as long) and the new u and W | flags go back in two scatters (until session 7: three). Lists the columns in touched[0..8); with hits (the row's only slot: each cell's one pulse is
 * its last), markBound's test too. Returns the pulses applied (frozen cells take none). */
__attribute__((target("avx512f,avx512vl,avx512dq"), always_inline)) static inline int pulses8l(double wMax, packed_cell *rowCells, const uint32_t *e,
                                                                          uint32_t negRow, const double *n, uint32_t *touched,
                                                                          int64_t *hits, __mmask8 valid) {
  const __m256i ev = _mm256_loadu_si256((const __m256i *)e);
  _mm256_storeu_si256((__m256i *)touched, _mm256_and_si256(ev, _mm256_set1_epi32(0x7fffffff)));
  const __mmask8 down = _mm256_test_epi32_mask(_mm256_xor_si256(ev, _mm256_set1_epi32((int)(negRow << 31))), _mm256_set1_epi32((int)0x80000000u));
  __m512d q[8];
  load8(rowCells, e, q);
  const __m512i q7 = _mm512_castpd_si512(q[7]);
  const __m256i flags = _mm512_cvtepi64_epi32(_mm512_srli_epi64(q7, 32));
  const __mmask8 live = _mm256_testn_epi32_mask(flags, _mm256_set1_epi32(CELL_FROZEN)) & valid;
  const __m512d u0 = q[0];
  const __m512d invB = _mm512_mask_blend_pd(down, q[1], q[2]);
  const __m512i st = _mm512_castpd_si512(q[5]);
  const __m512d step = _mm512_cvtps_pd(_mm256_castsi256_ps(_mm512_cvtepi64_epi32(_mm512_mask_srli_epi64(st, down, st, 32))));
  const __m512d hi = q[3], lo = q[4];
  const __m512d nv = n ? _mm512_loadu_pd(n) : _mm512_set1_pd(1);
  const __m512d fb = _mm512_max_pd(_mm512_sub_pd(_mm512_set1_pd(1), _mm512_mul_pd(u0, invB)), _mm512_setzero_pd());
  __m512d v = _mm512_add_pd(u0, _mm512_mul_pd(_mm512_mul_pd(step, fb), nv));
  v = _mm512_min_pd(hi, v);
  const __m512d u = _mm512_max_pd(lo, v);
  const __m512d uq = _mm512_cvtps_pd(_mm512_cvtpd_ps(u));
  const __m256 W = _mm512_cvtpd_ps(_mm512_mul_pd(u, _mm512_set1_pd(wMax)));
  __m256i nf = _mm256_or_si256(flags, _mm256_set1_epi32(CELL_TOUCHED));
  if (hits) {
    const __m512d margin = _mm512_div_pd(_mm512_mul_pd(_mm512_set1_pd(0.05), _mm512_sub_pd(hi, lo)), _mm512_set1_pd(2));
    const __m512d hiM = _mm512_sub_pd(hi, margin), loM = _mm512_add_pd(lo, margin);
    const __mmask8 in = _mm512_cmp_pd_mask(uq, hiM, _CMP_LT_OQ) & _mm512_cmp_pd_mask(uq, loM, _CMP_GT_OQ);
    const __mmask8 hit = (__mmask8)(~in & live & _mm256_testn_epi32_mask(flags, _mm256_set1_epi32(CELL_SATURATED)));
    nf = _mm256_mask_or_epi32(nf, hit, nf, _mm256_set1_epi32(CELL_SATURATED));
    *hits += __builtin_popcount(hit);
  }
  const __m512i wf = _mm512_or_si512(_mm512_cvtepu32_epi64(_mm256_castps_si256(W)), _mm512_slli_epi64(_mm512_cvtepu32_epi64(nf), 32));
  const __m512d wfd = _mm512_castsi512_pd(wf);
  /* Two scatters (u; W and flags as one qword): a permute and a masked line store per cell was slower (port 5). */
  const __m512i off = _mm512_slli_epi64(_mm512_cvtepu32_epi64(_mm256_and_si256(ev, _mm256_set1_epi32(0x7fffffff))), 6);
  _mm512_mask_i64scatter_pd((char *)rowCells + offsetof(packed_cell, u), live, off, uq, 1);
  _mm512_mask_i64scatter_pd((char *)rowCells + offsetof(packed_cell, W), live, off, wfd, 1);
  return __builtin_popcount(live);
}

/* One slot's k pulses on a differential row (entries e[0..k), distinct columns, x < 0 in the top bit), eight at
 * a time, the last < 8 under a mask (the lanes past them reload the first entry's cell and store nothing):
 * pulses8l in order, so the same bytes as pulse_one entry by entry. n: k values of 1 + c2c·ξ (8 more
 * readable) or NULL. Lists the columns in touched[0..k) (+ 8 of slack). */
__attribute__((target("avx512f,avx512vl,avx512dq"))) static int64_t slot_avx512(double wMax, packed_cell *rowCells, const uint32_t *e,
                                                                                int64_t k, uint32_t negRow, const double *n,
                                                                                uint32_t *touched, int64_t *hits) {
  int64_t pulses = 0, h = 0, q = 0;
  for (; q + 8 <= k; q += 8) pulses += pulses8l(wMax, rowCells, e + q, negRow, n ? n + q : NULL, touched + q, hits ? &h : NULL, 0xff);
  if (q < k) {
    uint32_t pad[8];
    const int cnt = (int)(k - q);
    for (int l = 0; l < 8; l++) pad[l] = e[q + (l < cnt ? l : 0)];
    pulses += pulses8l(wMax, rowCells, pad, negRow, n ? n + q : NULL, touched + q, hits ? &h : NULL, (__mmask8)((1u << cnt) - 1));
  }
  if (hits) *hits += h;
  return pulses;
}

/* markBound after a cell's pulses of a sample: counted once when its stored value ends within the 5 %
 * band at a bound. Without a branch on the outcome: cells sit at their bounds often (15 % of W1's on
 * 2HL-512), so that branch was a coin toss. Returns 1 when newly counted. */
static inline int64_t mark_bound(packed_cell *c) {
  const uint32_t flags = c->flags;
  const double u = c->u;
  const double margin = 0.05 * (c->hi - c->lo) / 2; /* markBound's band, in double as devices.ts forms it */
  const uint32_t in = (uint32_t)(u < c->hi - margin) & (uint32_t)(u > c->lo + margin);
  const uint32_t hit = !in & !(flags & CELL_SATURATED) & !(flags & CELL_FROZEN);
  c->flags = flags | hit * CELL_SATURATED;
  return hit;
}

/* mark_bound on the cells of columns c[0..8) of a row, in order: a column listed twice (two slots of the
 * row) is counted once, by its first lane (AVX-512CD's conflict detection), as the scalar loop does. */
__attribute__((target("avx512f,avx512vl,avx512dq,avx512cd"))) static int64_t mark_bound8(packed_cell *rowCells, const uint32_t *c) {
  const __m256i col = _mm256_loadu_si256((const __m256i *)c);
  const __m512i off = _mm512_slli_epi64(_mm512_cvtepu32_epi64(col), 6);
  const char *base = (const char *)rowCells;
  const __m256i flags = _mm512_i64gather_epi32(off, base + offsetof(packed_cell, flags), 1);
  const __m512d u = _mm512_i64gather_pd(off, base + offsetof(packed_cell, u), 1);
  const __m512d hi = _mm512_i64gather_pd(off, base + offsetof(packed_cell, hi), 1);
  const __m512d lo = _mm512_i64gather_pd(off, base + offsetof(packed_cell, lo), 1);
  const __m512d margin = _mm512_div_pd(_mm512_mul_pd(_mm512_set1_pd(0.05), _mm512_sub_pd(hi, lo)), _mm512_set1_pd(2));
  const __m512d hiM = _mm512_sub_pd(hi, margin), loM = _mm512_add_pd(lo, margin);
  const __mmask8 in = _mm512_cmp_pd_mask(u, hiM, _CMP_LT_OQ) & _mm512_cmp_pd_mask(u, loM, _CMP_GT_OQ);
  const __mmask8 free8 = _mm256_testn_epi32_mask(flags, _mm256_set1_epi32(CELL_SATURATED | CELL_FROZEN));
  const __mmask8 hit = (__mmask8)(~in & free8);
  const __mmask8 first = _mm256_testn_epi32_mask(_mm256_conflict_epi32(col), _mm256_set1_epi32(0xff));
  _mm512_mask_i64scatter_epi32((char *)rowCells + offsetof(packed_cell, flags), hit, off,
                               _mm256_or_si256(flags, _mm256_set1_epi32(CELL_SATURATED)), 1);
  return __builtin_popcount(hit & first);
}

/* The write-back (see coincide_block's end) of the eight consecutive cells rec[0..8) of a differential row, device
 * index i on, lanes in `valid`: of those that took a pulse, u+ / u−, W, held and saturated, and their mark cleared.
 * The same values as the cell-by-cell loop (u + |u| and |u| − u halved in double, rounded to float; W's bits), with
 * no branch on the mark (half the cells of a call are marked, at random: the scalar loop's branch missed often). */
__attribute__((target("avx512f,avx512vl,avx512dq"))) static void writeback8(const devices *d, packed_cell *rec, int64_t i, __mmask8 valid) {
  const __m512i idx = _mm512_setr_epi64(0, 64, 128, 192, 256, 320, 384, 448);
  const __m512i wf = _mm512_mask_i64gather_epi64(_mm512_setzero_si512(), valid, idx, (const char *)rec + offsetof(packed_cell, W), 1);
  const __m256i flags = _mm512_cvtepi64_epi32(_mm512_srli_epi64(wf, 32));
  const __mmask8 t = _mm256_mask_test_epi32_mask(valid, flags, _mm256_set1_epi32(CELL_TOUCHED));
  if (!t) return;
  const __m512d u = _mm512_mask_i64gather_pd(_mm512_setzero_pd(), t, idx, (const char *)rec + offsetof(packed_cell, u), 1);
  const __m512d a = _mm512_abs_pd(u), half = _mm512_set1_pd(0.5);
  _mm256_mask_storeu_ps(d->up + i, t, _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_add_pd(u, a), half)));
  _mm256_mask_storeu_ps(d->um + i, t, _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_sub_pd(a, u), half)));
  _mm512_mask_cvtepi64_storeu_epi32(d->W + i, t, wf);
  _mm512_mask_cvtepi64_storeu_epi32(d->held + i, t, wf);
  /* CELL_SATURATED (4) is bit 34 of the W | flags qword: 1 or 0, one byte a cell. */
  _mm512_mask_cvtepi64_storeu_epi8(d->saturated + i, t, _mm512_and_si512(_mm512_srli_epi64(wf, 34), _mm512_set1_epi64(1)));
  _mm512_mask_i64scatter_epi32((char *)rec + offsetof(packed_cell, flags), t, idx,
                               _mm256_andnot_si256(_mm256_set1_epi32(CELL_TOUCHED), flags), 1);
}

/*
 * Phase two on the rows [b·rows/B, (b+1)·rows/B) of the tile: per sample and row, the row's train, and
 * for each slot it fires in, one pulse on every cell whose column fires in that slot too. A cell whose
 * row and column coincide in m slots of a sample takes its m pulses one after another, each with its
 * own soft-bound factor and normal, as applyHits gives them: the pulses of one cell in one sample all
 * go the same way (sign(δ)·sign(x)), so taking them slot by slot is the same sequence, with no per-row
 * count of the coincidences per cell first (that count, the list of touched cells and the split into
 * single- and multi-pulse cells were three passes over every touched cell). The one change: a cell's
 * value is rounded to float (u+ / u−) after each pulse instead of after its last in the sample.
 */
__attribute__((target_clones("avx2", "default"))) static void coincide_block(void *ctx, int b) {
  coincide_job *j = ctx;
  const devices d = j->d;
  const bool diff = d.diff, noisy = d.c2c > 0, simd = use_avx512();
  const double wMax = d.wMax;
  int64_t hits = 0;
  xoshiro8 g8; /* the row trains' coin tosses */
  xoshiro8_seed(&g8, j->key, (uint64_t)(FRE_BLOCKS + b));
  /* the pulses' 1 + c2c·ξ; C11's aligned_alloc wants a size that is a multiple of the alignment */
  normal_pool *np = aligned_alloc(64, (sizeof(normal_pool) + 63) & ~(size_t)63);
  int at = ZN;
  if (np) {
    xoshiro8_seed(&np->v, j->key, (uint64_t)(2 * FRE_BLOCKS + b));
    xoshiro8_seed(&np->v2, j->key, (uint64_t)(3 * FRE_BLOCKS + b));
    fre_block_stream(&np->g, j->key, (uint64_t)b);
    np->c2c = d.c2c;
  }
  const int64_t cols = j->cols, C = j->C, r0 = j->r0, c0 = j->c0;
  const int64_t rBegin = j->rows * b / FRE_BLOCKS, rEnd = j->rows * (b + 1) / FRE_BLOCKS;
  /* The rows' rates and trains of a sample. */
  double *rowP = malloc(sizeof(double) * (size_t)(rEnd - rBegin + 1));
  int32_t *firing = malloc(sizeof(int32_t) * (size_t)(rEnd - rBegin + 1));
  uint32_t *rowMask = malloc(sizeof(uint32_t) * (size_t)((rEnd - rBegin) * j->maxWords + 1));
  const int64_t nCells = (rEnd - rBegin) * cols;
  /* Row r of the block is cells + (r − rBegin)·stride: the matrix's kept records (stride C) or this call's own. */
  packed_cell *own = !j->store && nCells > 0 ? aligned_alloc(64, sizeof(packed_cell) * (size_t)nCells) : NULL;
  packed_cell *cells = j->store ? j->store + (r0 + rBegin) * C + c0 : own;
  const int64_t stride = j->store ? C : cols;
  /* The row's pulsed columns (at most one per coincident slot: cols × the longest train). */
  uint32_t *touched = malloc(sizeof(uint32_t) * (size_t)(cols * 32 * j->maxWords + 8));
  int64_t pulses = 0;
  if (!rowP || !firing || !rowMask || !np || !touched || (nCells > 0 && !cells)) {
    free(rowP), free(firing), free(rowMask), free(own), free(np), free(touched);
    j->failed[b] = true;
    return;
  }
  if (j->store && j->fresh && j->check) {
    /* The caller says the kept records are the devices: check it (tests), record by record against a fresh pack. */
    for (int64_t r = rBegin; r < rEnd; r++)
      for (int64_t c = 0; c < cols; c++) {
        packed_cell want;
        pack_cell(&d, (r0 + r) * C + c0 + c, &want);
        const packed_cell *have = &cells[(r - rBegin) * stride + c];
        if (memcmp(&want, have, offsetof(packed_cell, W)) != 0 || want.flags != have->flags) j->stale[b] = true;
      }
  } else if (!(j->store && j->fresh))
    for (int64_t r = rBegin; r < rEnd; r++)
      for (int64_t c = 0; c < cols; c++) pack_cell(&d, (r0 + r) * C + c0 + c, &cells[(r - rBegin) * stride + c]);
  else
    /* Kept records were last used a whole batch ago (out of this core's caches): brought in line by line, in
     * order, as the pack would write them — the pulses reach them at random and would wait on each miss. */
    for (int64_t r = rBegin; r < rEnd; r++)
      for (int64_t c = 0; c < cols; c++) _mm_prefetch((const char *)&cells[(r - rBegin) * stride + c], _MM_HINT_T0);
  for (int64_t s = 0; s < j->samples && rBegin < rEnd; s++) {
    const sample_plan *pl = &j->plan[s];
    if (pl->bl == 0) continue;
    const float *dl = j->post + s * j->ldPost;
    const int64_t bl = pl->bl, words = (bl + 31) / 32;
    const int64_t *slotStart = j->ph1[pl->blk].slotStart + pl->slotOff;
    const uint32_t *slotCols = j->ph1[pl->blk].slotCols;
    rates(dl + rBegin, rEnd - rBegin, pl->kd, rowP);
    trains(&g8, rowP, rEnd - rBegin, bl, words, rowMask);
    /* The rows that fire at all (≈ a third of those with p > 0 on 2HL-512), listed without a branch: a row
     * whose train is empty pulses nothing and tests nothing. */
    int64_t nFiring = 0;
    for (int64_t r = rBegin; r < rEnd; r++) {
      uint32_t any = 0;
      for (int64_t w = 0; w < words; w++) any |= rowMask[(r - rBegin) * words + w];
      firing[nFiring] = (int32_t)r;
      nFiring += any != 0;
    }
    for (int64_t f = 0; f < nFiring; f++) {
      const int64_t r = firing[f];
      const uint32_t *mask = rowMask + (r - rBegin) * words;
      packed_cell *rowCells = cells + (r - rBegin) * stride;
      const uint32_t negRow = dl[r] < 0;
      /* A row that fires in one slot only (85 % of firing rows on 2HL-512) pulses each of its cells once:
       * markBound's test right after the pulse, no touched list. */
      int fired = 0;
      for (int64_t w = 0; w < words; w++) fired += __builtin_popcount(mask[w]);
      const bool single = fired == 1;
      int64_t nt = 0;
      for (int64_t w = 0; w < words; w++)
        for (uint32_t m = mask[w]; m; m &= m - 1) {
          const int64_t t = 32 * w + __builtin_ctz(m);
          int64_t q = slotStart[t];
          const int64_t qEnd = slotStart[t + 1];
          /* Eight cells at a time where the CPU has AVX-512 (a slot's columns are distinct cells, ≈ 70 a
           * slot on 2HL-512), in runs that end where the pool must be refilled; one by one on other CPUs:
           * the same arithmetic and the same pool values in the same order, so the same bytes. */
          if (simd && diff)
            while (q < qEnd) {
              if (noisy && at == ZN) {
                pool_fill(np);
                at = 0;
              }
              const int64_t k = noisy && qEnd - q > ZN - at ? ZN - at : qEnd - q;
              pulses += slot_avx512(wMax, rowCells, slotCols + q, k, negRow, noisy ? np->buf + at : NULL, touched + nt, single ? &hits : NULL);
              nt += single ? 0 : k;
              at += noisy ? (int)k : 0;
              q += k;
            }
          for (; q < qEnd; q++) {
            const uint32_t e = slotCols[q]; /* the column, and x < 0 in the top bit */
            const double n = noisy ? pool_next(np, &at) : 1;
            packed_cell *c = rowCells + (e & 0x7fffffffu);
            pulses += pulse_one(diff, wMax, c, (int)(negRow ^ (e >> 31)), n);
            if (single) hits += mark_bound(c);
            else touched[nt++] = e & 0x7fffffffu;
          }
        }
      /* The bound test once the row's pulses are in (a cell listed twice is tested twice: the same). */
      int64_t k = 0;
      if (simd)
        for (; k + 8 <= nt; k += 8) hits += mark_bound8(rowCells, touched + k);
      for (; k < nt; k++) hits += mark_bound(rowCells + touched[k]);
    }
  }
  /* Write back what the pulses changed: u+ / u− (or the offset cell's u), W, held, saturated; kept records
   * lose their mark (they stay what the devices hold). */
  for (int64_t r = rBegin; r < rEnd; r++) {
    int64_t c = 0;
    if (simd && diff)
      for (; c < cols; c += 8)
        writeback8(&d, &cells[(r - rBegin) * stride + c], (r0 + r) * C + c0 + c, cols - c >= 8 ? 0xff : (__mmask8)((1u << (cols - c)) - 1));
    for (; c < cols; c++) {
      packed_cell *pc = &cells[(r - rBegin) * stride + c];
      if (!(pc->flags & CELL_TOUCHED)) continue;
      pc->flags &= ~CELL_TOUCHED;
      const int64_t i = (r0 + r) * C + c0 + c;
      const double u = pc->u;
      if (diff) {
        d.up[i] = (float)((u + fabs(u)) * 0.5);
        d.um[i] = (float)((fabs(u) - u) * 0.5);
      } else d.up[i] = (float)((1 + u) / 2);
      d.W[i] = pc->W;
      d.held[i] = pc->W;
      d.saturated[i] = (pc->flags & CELL_SATURATED) ? 1 : 0;
    }
  }
  free(rowP), free(firing), free(rowMask), free(own), free(np), free(touched);
  j->pulses[b] = (double)pulses;
  j->boundHits[b] = (double)hits;
}

/* Appends room for `more` elements of `size` bytes to a growing array; false when out of memory. */
static bool grow(void **a, int64_t *cap, int64_t need, size_t size) {
  if (need <= *cap) return true;
  int64_t c = *cap * 2 > need ? *cap * 2 : need;
  void *p = realloc(*a, size * (size_t)c);
  if (!p) return false;
  *a = p;
  *cap = c;
  return true;
}

/*
 * Phase one on samples [k·S/B, (k+1)·S/B), on both cores like phase two: each sample's plan
 * (planTrains: update-BL management, then update management) and its column trains (the block's own
 * eight streams), kept as per-slot column lists (CSR), so that the rows' coincidences are the
 * coincidences themselves, not rows × columns. The trains depend on x and δ only, never on the
 * devices, so the samples' lists can be drawn in any order; each block's streams make them a
 * function of the seed for any thread count.
 */
static void plan_block(void *ctx, int k) {
  coincide_job *j = ctx;
  plan_block_out *o = &j->ph1[k];
  const int64_t rows = j->rows, cols = j->cols, words0 = j->maxWords;
  const double eta = j->eta, eps = j->eps, desiredBl = j->desiredBl;
  xoshiro8 c8;
  xoshiro8_seed(&c8, j->planKey, (uint64_t)k);
  uint32_t *colMask = malloc(sizeof(uint32_t) * (size_t)(cols * words0 + 1));
  int32_t *act = malloc(sizeof(int32_t) * (size_t)(cols + 1));
  double *colP = malloc(sizeof(double) * (size_t)(cols + 1));
  o->slotCap = 1024, o->colsCap = 4096, o->slotN = 0, o->colsN = 0;
  o->slotStart = malloc(sizeof(int64_t) * (size_t)o->slotCap);
  o->slotCols = malloc(sizeof(uint32_t) * (size_t)o->colsCap);
  bool ok = colMask && act && colP && o->slotStart && o->slotCols;
  const int64_t sBegin = j->samples * k / FRE_BLOCKS, sEnd = j->samples * (k + 1) / FRE_BLOCKS;
  for (int64_t s = sBegin; s < sEnd && ok; s++) {
    const float *dl = j->post + s * j->ldPost;
    const float *x = j->pre + s * j->ldPre;
    sample_plan *pl = &j->plan[s];
    pl->bl = 0;
    pl->blk = k;
    const double dMax = absmax(dl, rows), xMax = absmax(x, cols);
    if (!(xMax > 0) || !(dMax > 0) || !(eta > 0)) continue;
    const double blWant = ceil(eta * xMax * dMax / eps);
    const int64_t bl = (int64_t)fmin(desiredBl, fmax(1, blWant));
    const double kk = sqrt(eta / ((double)bl * eps));
    const double kx = kk * sqrt(dMax / xMax);
    const int64_t words = (bl + 31) / 32;
    pl->kd = kk * sqrt(xMax / dMax);
    if (!grow((void **)&o->slotStart, &o->slotCap, o->slotN + bl + 2, sizeof(int64_t))) {
      ok = false;
      break;
    }
    pl->slotOff = o->slotN;
    int64_t nc = 0, fired = 0;
    rates(x, cols, kx, colP);
    trains(&c8, colP, cols, bl, words, colMask);
    if (words == 1 && use_avx512()) {
      if (!grow((void **)&o->slotCols, &o->colsCap, o->colsN + cols * bl + 16, sizeof(uint32_t))) {
        ok = false;
        break;
      }
      o->colsN += lists1_avx512(colMask, x, cols, bl, o->slotStart + o->slotN, o->slotCols + o->colsN, o->colsN);
      o->slotN += bl + 1;
      pl->bl = bl;
      continue;
    }
    /* The columns that fire at all, their trains moved down to the list's order. */
    for (int64_t c = 0; c < cols; c++) {
      uint32_t any = 0;
      for (int64_t w = 0; w < words; w++) any |= colMask[c * words + w];
      if (!any) continue;
      for (int64_t w = 0; w < words; w++) colMask[nc * words + w] = colMask[c * words + w];
      act[nc++] = (int32_t)c;
    }
    int64_t *st = o->slotStart + o->slotN;
    for (int64_t t = 0; t <= bl; t++) st[t] = 0;
    for (int64_t ci = 0; ci < nc; ci++)
      for (int64_t w = 0; w < words; w++)
        for (uint32_t m = colMask[ci * words + w]; m; m &= m - 1) st[32 * w + __builtin_ctz(m) + 1]++;
    for (int64_t t = 1; t <= bl; t++) fired += st[t];
    st[0] = o->colsN;
    for (int64_t t = 0; t < bl; t++) st[t + 1] += st[t];
    if (!grow((void **)&o->slotCols, &o->colsCap, o->colsN + fired + 1, sizeof(uint32_t))) {
      ok = false;
      break;
    }
    /* Fill by slot, using st[t] as the cursor of slot t (then restored to its start). */
    for (int64_t ci = 0; ci < nc; ci++) {
      const uint32_t e = (uint32_t)act[ci] | (uint32_t)(x[act[ci]] < 0) << 31;
      for (int64_t w = 0; w < words; w++)
        for (uint32_t m = colMask[ci * words + w]; m; m &= m - 1) o->slotCols[st[32 * w + __builtin_ctz(m)]++] = e;
    }
    for (int64_t t = bl; t > 0; t--) st[t] = st[t - 1];
    st[0] = o->colsN;
    o->colsN += fired;
    o->slotN += bl + 1;
    pl->bl = bl;
  }
  free(colMask), free(act), free(colP);
  o->failed = !ok;
}

/*
 * coincide(state, W, held, uPlus, uMinus, frozen, stepUp, stepDown, bMax, bMin, saturated,
 *          geometry [C, rowBegin, rows, colBegin, cols, ldPost, ldPre, samples], post, pre,
 *          params [eta, eps, desiredBl, softBounds, c2c, wMax(, fresh, check)], out [pulses, boundHits added][, packed])
 * DeviceMatrix.coincide of devices.ts: per sample, update-BL and update management (planTrains),
 * a Bernoulli train per active row (rate ∝ |δ|) and column (rate ∝ |x|), and on every cell the
 * coincident slots as pulses in the direction of sign(δ)·sign(x), one at a time, each cell's samples
 * in order. post[s·ldPost + r] and pre[s·ldPre + c] index the tile's own rows and columns.
 */
napi_value fre_coincide(napi_env env, napi_callback_info info) {
  size_t argc = 17;
  napi_value argv[17];
  xoshiro g;
  uint32_t *raw;
  devices d;
  float *post, *pre;
  int64_t pol, prl;
  double *geo, *pa, *out;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 16 && argc != 17)
    return throw_type(env, "coincide: expected (state, W, held, uPlus, uMinus, frozen, stepUp, stepDown, bMax, bMin, saturated, geometry, post, pre, params, out[, packed])");
  if (!fre_get_state(env, argv[0], &g, &raw) || !get_devices(env, argv + 1, &d) || !get_params(env, argv[11], 8, &geo) ||
      !get_f32(env, argv[12], "post", &post, &pol) || !get_f32(env, argv[13], "pre", &pre, &prl) ||
      !get_params(env, argv[14], argc == 17 ? 8 : 6, &pa) || !get_params(env, argv[15], 2, &out)) return NULL;
  /* packed (optional): room for the matrix's records kept across calls, (n + 1)·8 doubles (one line of slack
   * for the 64-byte alignment; the buffer never moves, so the same records every call); empty: per call. */
  packed_cell *store = NULL;
  if (argc == 17) {
    void *pk;
    int64_t pkl;
    if (!get_typed(env, argv[16], "packed", napi_float64_array, &pk, &pkl)) return NULL;
    if (pkl > 0 && pkl < (d.n + 1) * 8) return throw_range(env, "coincide: packed must hold (cells + 1)·8 doubles, or none");
    if (pkl > 0) store = (packed_cell *)(((uintptr_t)pk + 63) & ~(uintptr_t)63);
  }
  const int64_t C = (int64_t)geo[0], r0 = (int64_t)geo[1], rows = (int64_t)geo[2], c0 = (int64_t)geo[3], cols = (int64_t)geo[4];
  const int64_t ldPost = (int64_t)geo[5], ldPre = (int64_t)geo[6], samples = (int64_t)geo[7];
  if (rows < 0 || cols < 0 || cols > 0x7fffffff || samples < 0 || r0 < 0 || c0 < 0 || c0 + cols > C || (r0 + rows) * C > d.n)
    return throw_range(env, "coincide: the tile lies outside the matrix");
  if (samples > 0 && ((samples - 1) * ldPost + rows > pol || (samples - 1) * ldPre + cols > prl || rows > ldPost || cols > ldPre))
    return throw_range(env, "coincide: post or pre is too short for the samples");
  const double eta = pa[0], eps = pa[1], desiredBl = pa[2];
  d.soft = pa[3] != 0;
  d.c2c = pa[4];
  d.wMax = pa[5];
  d.boundHits = 0;
  fre_normal_init();
  for (int i = 0; i < 128; i++) zig_wnf[i] = (float)fre_zig_wn[i];
  if (!(eps > 0) || !(desiredBl >= 1)) return throw_range(env, "coincide: eps must be > 0 and the train length ≥ 1");
  const int64_t maxWords = ((int64_t)desiredBl + 31) / 32;
  sample_plan *plan = malloc(sizeof(sample_plan) * (size_t)(samples + 1));
  bool ok = plan != NULL;
  double pulses = 0;
  bool stale = false;
  if (ok) {
    coincide_job job = {d, post, pre, ldPost, ldPre, samples, r0, rows, cols, C, c0, maxWords, eta, eps, desiredBl, plan,
                        store, store && pa[6] != 0, store && pa[7] != 0, {{0}}, next64(&g), next64(&g), {0}, {0}, {0}, {0}};
    /* The SIMD choice is made here, once, on the calling thread: the blocks read it on the workers (its
     * lazy first setting there was a write that several threads raced on). */
    (void)use_avx512();
    /* Phase one: the samples' trains and column lists, in sample blocks; phase two: the pulses, in row blocks. */
    run_blocks(FRE_BLOCKS, plan_block, &job);
    for (int k = 0; k < FRE_BLOCKS; k++) ok = ok && !job.ph1[k].failed;
    if (ok) {
      run_blocks(FRE_BLOCKS, coincide_block, &job);
      for (int b = 0; b < FRE_BLOCKS; b++) pulses += job.pulses[b], d.boundHits += job.boundHits[b], ok = ok && !job.failed[b];
      for (int b = 0; b < FRE_BLOCKS; b++) stale = stale || job.stale[b];
    }
    for (int k = 0; k < FRE_BLOCKS; k++) free(job.ph1[k].slotStart), free(job.ph1[k].slotCols);
  }
  free(plan);
  if (!ok) return throw_range(env, "coincide: out of memory");
  if (stale) return throw_range(env, "coincide: the kept packed cells differ from the devices (a device write that did not drop them)");
  fre_put_state(&g, raw);
  out[0] = pulses;
  out[1] = d.boundHits;
  return NULL;
}

/*
 * Potentiate-only pairs (crossbar.update.pairMode 'potentiate-only', PCM; aihwkit OneSidedUnitCell):
 * commitPulsed of devices.ts with applyHitsOneSided, refreshPair and countBoundHit there as the
 * references, cell by cell in index order on the caller's thread. Unlike pulsedCommit it keeps the
 * TypeScript path's bytes: it draws through the same PulseNoise buffers (4096 normals, 4096 uniforms,
 * refilled from the chip's stream as PulseNoise refills them: addNormal's and fillUniform's draws),
 * in the same order, with the same double arithmetic and float stores (test/chip-native-conformance
 * .test.ts compares the two). The compiler contracts no a·b + c here: the build targets x86-64 without
 * FMA (binding.gyp has no -march), so every product is rounded as JS rounds it.
 */

/* The PulseNoise buffers of devices.ts: z (normals) and u (uniforms), with their next indices. */
typedef struct {
  xoshiro *g;
  float *z, *u;
  int64_t zn, un, zi, ui;
} pulse_noise;

static inline double pn_normal(pulse_noise *p) {
  if (p->zi == p->zn) {
    /* PulseNoise.normal(): z.fill(0), then addNormal(z, n, 1) — out[i] += (float)(1 · N(0, 1)). */
    for (int64_t i = 0; i < p->zn; i++) {
      p->z[i] = 0.0f;
      p->z[i] += (float)(1.0 * fre_normal_inline(p->g));
    }
    p->zi = 0;
  }
  return (double)p->z[p->zi++];
}

static inline double pn_uniform(pulse_noise *p) {
  if (p->ui == p->un) {
    /* PulseNoise.uniform(): fillUniform(u, n), as fre_fill_uniform draws. */
    for (int64_t i = 0; i < p->un; i++) p->u[i] = (float)((double)(next64(p->g) >> 40) * (1.0 / 16777216.0));
    p->ui = 0;
  }
  return (double)p->u[p->ui++];
}

/* Math.round of JS: the nearest integer, halves towards +∞ (floor(x + 0.5) rounds 0.49999999999999994 up). */
static inline double js_round(double x) {
  const double f = floor(x);
  return x - f >= 0.5 ? f + 1 : f;
}

typedef struct {
  bool stochastic, soft, pcm, relTarget;
  double eps, cap, c2c, wMax, upper, lower, levels, gMinUS, gMaxUS, sigma, dwMin;
} one_sided_params;

/*
 * pulsedCommitOneSided(state, W, held, uPlus, uMinus, frozen, stepUpP, stepDownP, bMaxP, bMinP, saturated, chi,
 *                      stepUpM, bMaxM, z, u, params, out)
 *   params [eps, cap, stochastic, softBounds, c2c, wMax, refreshUpper, refreshLower, levels (0: continuous),
 *           pcm-aihwkit, gMinUS, gMaxUS, programming σ, σ relative to target, dwMin, zi, ui]
 *   out ← [pulses, cells newly at a bound, refreshes, refresh pulses, zi, ui]
 * The G+ devices' spread is stepUpP … bMinP (down and bMin unused: G+ is only SET), the G− devices' stepUpM, bMaxM.
 */
napi_value fre_pulsed_commit_one_sided(napi_env env, napi_callback_info info) {
  size_t argc = 18;
  napi_value argv[18];
  xoshiro g;
  uint32_t *raw;
  devices d;
  float *chi, *sUpM, *bMaxM, *zb, *ub;
  int64_t chl, sml, bml, zl, ul;
  double *pa, *out;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 18)
    return throw_type(env, "pulsedCommitOneSided: expected (state, W, held, uPlus, uMinus, frozen, stepUpP, stepDownP, bMaxP, bMinP, "
                           "saturated, chi, stepUpM, bMaxM, z, u, params, out)");
  if (!fre_get_state(env, argv[0], &g, &raw) || !get_devices(env, argv + 1, &d) || !get_f32(env, argv[11], "chi", &chi, &chl) ||
      !get_f32(env, argv[12], "stepUpM", &sUpM, &sml) || !get_f32(env, argv[13], "bMaxM", &bMaxM, &bml) ||
      !get_f32(env, argv[14], "z", &zb, &zl) || !get_f32(env, argv[15], "u", &ub, &ul) || !get_params(env, argv[16], 17, &pa) ||
      !get_params(env, argv[17], 6, &out)) return NULL;
  if (!d.diff) return throw_range(env, "pulsedCommitOneSided: potentiate-only pairs need uMinus (differential cells)");
  if (chl > 0 && chl != d.n) return throw_range(env, "pulsedCommitOneSided: chi must have the matrix's length (or 0)");
  if (sml != d.n || bml != d.n) return throw_range(env, "pulsedCommitOneSided: stepUpM and bMaxM must have the matrix's length");
  const one_sided_params q = {
      .eps = pa[0], .cap = pa[1], .stochastic = pa[2] != 0, .soft = pa[3] != 0, .c2c = pa[4], .wMax = pa[5], .upper = pa[6],
      .lower = pa[7], .levels = pa[8], .pcm = pa[9] != 0, .gMinUS = pa[10], .gMaxUS = pa[11], .sigma = pa[12],
      .relTarget = pa[13] != 0, .dwMin = pa[14]};
  if (!(q.eps > 0)) return throw_range(env, "pulsedCommitOneSided: eps must be > 0");
  if (zl == 0 || ul == 0 || !(pa[15] >= 0 && pa[15] <= (double)zl) || !(pa[16] >= 0 && pa[16] <= (double)ul))
    return throw_range(env, "pulsedCommitOneSided: z, u must be non-empty and zi, ui within them");
  fre_normal_init();
  pulse_noise pn = {&g, zb, ub, zl, ul, (int64_t)pa[15], (int64_t)pa[16]};
  float *chiP = chl > 0 ? chi : NULL;
  float *up = d.up, *um = d.um;
  double pulses = 0, boundHits = 0, refreshes = 0, refreshPulses = 0;
  for (int64_t i = 0; i < d.n; i++) {
    if (d.frozen[i]) {
      d.W[i] = d.held[i];
      continue;
    }
    if (d.W[i] == d.held[i] && !(chiP && fabs((double)chiP[i]) >= q.eps)) continue;
    double k;
    if (chiP) {
      /* mixedPrecisionPulses */
      chiP[i] = (float)((double)chiP[i] + ((double)d.W[i] - (double)d.held[i]));
      k = trunc((double)chiP[i] / q.eps);
      k = k > q.cap ? q.cap : k < -q.cap ? -q.cap : k;
      chiP[i] = (float)((double)chiP[i] - k * q.eps);
    } else {
      /* roundPulses */
      const double want = ((double)d.W[i] - (double)d.held[i]) / q.eps;
      const double f = floor(want);
      if (q.stochastic) {
        const double uu = pn_uniform(&pn);
        k = f + (uu < want - f ? 1 : 0);
      } else k = js_round(want);
      k = k > q.cap ? q.cap : k < -q.cap ? -q.cap : k;
    }
    if (k == 0) {
      d.W[i] = d.held[i];
      continue;
    }
    /* applyHitsOneSided: m up pulses on G+ (k > 0) or G− (k < 0). */
    const bool isUp = k > 0;
    /* A NaN k (NaN request) takes no pulses but goes on to the bound count, refresh and W below, as
     * applyHitsOneSided does with the 0 its Int32Array makes of NaN (a cast of NaN is undefined in C). */
    const int64_t m = k != k ? 0 : (int64_t)(isUp ? k : -k);
    float *u = isUp ? up : um;
    const double step = isUp ? (double)d.stepUp[i] : (double)sUpM[i];
    const double bound = isUp ? (double)d.bMax[i] : (double)bMaxM[i];
    const double hi = bound < 1 ? bound : 1;
    double gv = (double)u[i];
    for (int64_t p = 0; p < m; p++) {
      double dw = step;
      if (q.soft) {
        const double f = 1 - gv / bound;
        dw *= f > 0 ? f : 0;
      }
      if (q.c2c > 0) dw *= 1 + q.c2c * pn_normal(&pn);
      gv += dw;
      if (gv > hi) gv = hi;
      else if (gv < 0) gv = 0;
    }
    u[i] = (float)gv;
    pulses += (double)m;
    /* countBoundHit */
    if (gv >= 0.95 * hi && !d.saturated[i]) {
      d.saturated[i] = 1;
      boundHits += 1;
    }
    /* refreshDue */
    const double hp = d.bMax[i] < 1 ? (double)d.bMax[i] : 1;
    const double hm = bMaxM[i] < 1 ? (double)bMaxM[i] : 1;
    const double gp = (double)up[i], gm = (double)um[i];
    const bool due = gp > gm ? gp > q.upper * hp && gm > q.lower * hm : gm > q.upper * hm && gp > q.lower * hp;
    if (due) {
      /* refreshPair: both RESET, the weight reprogrammed onto one device (nearest level, programming noise). */
      const double w = gp - gm;
      double r = fabs(w);
      if (q.levels > 0) r = js_round(r * (q.levels - 1)) / (q.levels - 1);
      if (q.pcm) {
        const double span = q.gMaxUS - q.gMinUS;
        const double gT = (q.gMinUS + r * span) / q.gMaxUS;
        const double s = -1.1731 * gT * gT + 1.965 * gT + 0.2635;
        const double sigmaUS = (s > 0 ? s : 0) * (q.gMaxUS / 25);
        r += (pn_normal(&pn) * sigmaUS) / span;
        const double uFloor = -q.gMinUS / span;
        r = r > uFloor ? r : uFloor;
      } else {
        if (q.sigma > 0) r += q.sigma * pn_normal(&pn) * (q.relTarget ? r : 1);
        r = r < 0 ? 0 : r > 1 ? 1 : r;
      }
      up[i] = (float)(w > 0 ? r : 0);
      um[i] = (float)(w > 0 ? 0 : r);
      refreshes += 1;
      refreshPulses += 2 + js_round(fabs(w) / q.dwMin); /* refreshPulseCount */
    }
    d.W[i] = (float)(((double)up[i] - (double)um[i]) * q.wMax);
    d.held[i] = d.W[i];
  }
  fre_put_state(&g, raw);
  out[0] = pulses;
  out[1] = boundHits;
  out[2] = refreshes;
  out[3] = refreshPulses;
  out[4] = (double)pn.zi;
  out[5] = (double)pn.ui;
  return NULL;
}

/*
 * spreadFill(z, n, params [s, dwMin, asymmetry, asymmetrySpread, wMax, wMin], up, down, bMax, bMin): the loop of
 * update-schemes.ts drawSpread over its normals z [4n] (drawn by addNormal there), in the same double
 * arithmetic and float roundings — Math.max as js_max (NaN, and +0 for max(0, −0)) — so the same bytes. Why:
 * drawSpread runs at a matrix's first in-situ update, inside the first training step; in JavaScript its loop
 * took ≈ 60–90 ms of a 2HL-512 reram epoch on one thread (its first calls before the optimiser has it).
 */
static inline double js_max(double a, double b) {
  if (a != a || b != b) return NAN;
  if (a == 0 && b == 0) return signbit(a) && signbit(b) ? -0.0 : 0.0;
  return a > b ? a : b;
}

napi_value fre_spread_fill(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  float *z, *up, *down, *bMax, *bMin;
  int64_t zl, ul, dl, xl, nl, n;
  double *pa;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 7) return throw_type(env, "spreadFill: expected (z, n, params, up, down, bMax, bMin)");
  if (!get_f32(env, argv[0], "z", &z, &zl) || !get_dim(env, argv[1], "n", 0, &n) || !get_params(env, argv[2], 6, &pa) ||
      !get_f32(env, argv[3], "up", &up, &ul) || !get_f32(env, argv[4], "down", &down, &dl) || !get_f32(env, argv[5], "bMax", &bMax, &xl) ||
      !get_f32(env, argv[6], "bMin", &bMin, &nl))
    return NULL;
  if (zl < 4 * n || ul < n || dl < n || xl < n || nl < n) return throw_range(env, "spreadFill: a buffer is shorter than n (z: 4n)");
  const double s = pa[0], dwMin = pa[1], asym = pa[2], asymSpread = pa[3], wMax = pa[4], wMin = pa[5];
  for (int64_t i = 0; i < n; i++) {
    const double step = js_max(0, s * (1 + dwMin * (double)z[4 * i]));
    const double a = asym + asymSpread * (double)z[4 * i + 1];
    up[i] = (float)(step * (1 + a));
    down[i] = (float)(step * js_max(0, 1 - a));
    bMax[i] = (float)js_max(1e-3, 1 + wMax * (double)z[4 * i + 2]);
    bMin[i] = (float)-js_max(1e-3, 1 + wMin * (double)z[4 * i + 3]);
  }
  return NULL;
}
