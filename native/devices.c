/*
 * In-situ pulsed writes of simulator/chip/devices.ts (DeviceMatrix.commitPulsed, .coincide and
 * .applyHits there are the references; test/chip-native-conformance.test.ts compares them):
 *
 *   pulsedCommit(state, W, held, uPlus, uMinus, frozen, stepUp, stepDown, bMax, bMin, saturated, chi,
 *                params, out)      row-programmed (chi empty) and mixed-precision writes at a commit
 *   coincide(state, W, held, uPlus, uMinus, frozen, stepUp, stepDown, bMax, bMin, saturated, geometry,
 *            post, pre, params, out)   stochastic-coincidence, sample by sample
 *
 * Both apply every pulse on its own by the device rule of update-schemes.ts (soft bounds, the device's
 * own step, bounds and asymmetry, cycle-to-cycle noise per pulse): the same distributions as the
 * TypeScript loops, another order of draws. Their work runs in 8 fixed blocks of cells on up to 8
 * threads (run_blocks), each block drawing from its own xoshiro256** stream seeded from one draw of the
 * chip's stream per call (fre_block_stream), so a run is a pure function of its seed whatever the
 * thread count. uMinus of length 0 = offset-column cells (u_eff = 2u − 1).
 */
#include <emmintrin.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>
#include "napi_args.h"
#include "rng.h"
#include "devices.h"
#include "blocks.h"

/*
 * Both cores: each kernel splits its work into FRE_BLOCKS fixed blocks of cells (disjoint, by rows of
 * the tile or by cell index), each with its own random stream (fre_block_stream), and runs the blocks
 * on up to chipThreads threads (the caller's plus chipThreads − 1 started per call: a call is one
 * tile's update of a whole batch or one commit, milliseconds of work, so starting a thread costs
 * little against it). The block count is fixed, not the thread count, so the result is the same
 * for 1 or 8 threads. chipThreads: FRE_CHIP_THREADS, else the online cores (at most FRE_BLOCKS);
 * setChipThreads(n) from JS.
 */
#define FRE_BLOCKS 8
static int chipThreads = 0;

int chip_threads(void) {
  if (chipThreads > 0) return chipThreads;
  const char *e = getenv("FRE_CHIP_THREADS");
  long n = e ? strtol(e, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
  chipThreads = n < 1 ? 1 : n > FRE_BLOCKS ? FRE_BLOCKS : (int)n;
  return chipThreads;
}

typedef struct {
  void (*fn)(void *, int);
  void *ctx;
  int n;
  atomic_int next;
} block_job;

static void *block_worker(void *p) {
  block_job *j = p;
  for (int b; (b = atomic_fetch_add(&j->next, 1)) < j->n;) j->fn(j->ctx, b);
  return NULL;
}

/* fn(ctx, b) for b < n, on up to chip_threads() threads; blocks taken in any order by any thread. */
void run_blocks(int n, void (*fn)(void *, int), void *ctx) {
  block_job j = {fn, ctx, n, 0};
  pthread_t th[FRE_BLOCKS];
  int want = chip_threads() < n ? chip_threads() : n, started = 0;
  for (int t = 1; t < want; t++)
    if (pthread_create(&th[started], NULL, block_worker, &j) == 0) started++;
  block_worker(&j); /* the caller works too; if a thread failed to start, it takes that share */
  for (int t = 0; t < started; t++) pthread_join(th[t], NULL);
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
    if (k == 0) {
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
napi_value fre_pulsed_commit(napi_env env, napi_callback_info info) {
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
  int64_t *cells = malloc(sizeof(int64_t) * (size_t)(d.n + 1));
  int32_t *ks = malloc(sizeof(int32_t) * (size_t)(d.n + 1));
  if (!cells || !ks) {
    free(cells), free(ks);
    return throw_range(env, "pulsedCommit: out of memory");
  }
  /* FRE_BLOCKS blocks of cells, each on its own stream (rounding draws and pulse noise), on both cores. */
  commit_job job = {d, chl > 0 ? chi : NULL, eps, cap, stochastic, cells, ks, next64(&g), {0}, {0}, {0}};
  run_blocks(FRE_BLOCKS, commit_block, &job);
  free(cells), free(ks);
  double pulses = 0;
  bool ok = true;
  for (int bl = 0; bl < FRE_BLOCKS; bl++) pulses += job.pulses[bl], d.boundHits += job.boundHits[bl], ok = ok && !job.failed[bl];
  if (!ok) return throw_range(env, "pulsedCommit: out of memory");
  fre_put_state(&g, raw);
  out[0] = pulses;
  out[1] = d.boundHits;
  return NULL;
}

/* A Bernoulli(p) train of bl slots, 32 per word, from 32-bit halves of the generator's draws. */
static inline void train(xoshiro *g, double p, int64_t bl, uint32_t *out, int64_t words) {
  const uint64_t t = p >= 1 ? ((uint64_t)1 << 32) : (uint64_t)(p * 4294967296.0);
  uint64_t pool = 0;
  int have = 0;
  for (int64_t w = 0; w < words; w++) {
    uint32_t m = 0;
    const int64_t end = bl - 32 * w < 32 ? bl - 32 * w : 32;
    for (int64_t s = 0; s < end; s++) {
      if (!have) {
        pool = next64(g);
        have = 2;
      }
      const uint64_t u = pool & 0xffffffffu;
      pool >>= 32;
      have--;
      m |= (uint32_t)(u < t) << s; /* no branch: the outcome is a coin toss */
    }
    out[w] = m;
  }
}

/*
 * coincide works in two phases. First, on the chip's stream, each sample's plan (planTrains) and its
 * column trains, kept for all the call's samples as per-slot column lists (CSR). Then FRE_BLOCKS blocks
 * of the tile's rows, on both cores, each on its own stream: per sample, the row trains of the block's
 * rows, each row's coincidences with the sample's column lists, and the pulses on those cells at once.
 * A block's cells (rows/8 × cols, ≈ 10 floats each) stay in the core's cache across the samples.
 */
typedef struct {
  double kd;       /* row train rate per |δ| (update management) */
  int64_t bl;      /* train length; 0 = no update for this sample */
  int64_t slotOff; /* the sample's slotStart in coincide_job.slotStart (bl + 1 entries) */
  int64_t actOff;  /* the sample's active columns in coincide_job.activeCols */
} sample_plan;

typedef struct {
  devices d;
  const float *post, *pre;
  int64_t ldPost, ldPre, samples, r0, rows, cols, C, c0, maxWords;
  const sample_plan *plan;
  const int64_t *slotStart; /* per sample: offsets into slotCols, by slot */
  const int32_t *slotCols;  /* active-column indices (into the sample's activeCols) firing in each slot */
  const int32_t *activeCols;
  uint64_t key;
  double pulses[FRE_BLOCKS], boundHits[FRE_BLOCKS];
  bool failed[FRE_BLOCKS];
} coincide_job;

/* m pulses on cell i, up (δ·x > 0) or down, one by one (applyHits of devices.ts): soft bounds, the
 * device's own step and bounds, cycle-to-cycle noise per pulse. Frozen (stuck) cells take none. */
static inline int32_t pulse_cell(devices *d, xoshiro *g, int64_t i, int32_t m, bool isUp) {
  if (d->frozen[i]) return 0;
  /* The direction is a coin toss per cell: selected by arithmetic, not branches (exact: one term
   * is x·1, the other y·0). */
  const double up = isUp, down = 1 - up, c2c = d->c2c;
  const double bx = d->bMax[i], bn = d->bMin[i];
  const double hi = min_lt(bx, 1);
  const double lo = max_gt(bn, -1);
  const double step = up * d->stepUp[i] + down * d->stepDown[i];
  const double invB = d->soft ? 1.0 / (up * bx + down * bn) : 0; /* one division: the bound of the direction */
  const double sg = up - down;
  double u = u_of(d, i);
  for (int32_t k = 0; k < m; k++) {
    double fb = 1 - u * invB;
    fb = max_gt(fb, 0);
    const double z = c2c > 0 ? (double)(float)fre_normal_inline(g) : 0;
    double v = u + sg * (step * fb * (1 + c2c * z));
    v = min_lt(hi, v); /* v > hi ? hi : v */
    u = max_gt(lo, v); /* v < lo ? lo : v */
  }
  store_cell(d, i, u, hi, lo);
  return m;
}

static void coincide_block(void *ctx, int b) {
  coincide_job *j = ctx;
  devices d = j->d;
  d.boundHits = 0;
  xoshiro g;
  fre_block_stream(&g, j->key, (uint64_t)b);
  const int64_t cols = j->cols, C = j->C, r0 = j->r0, c0 = j->c0;
  const int64_t rBegin = j->rows * b / FRE_BLOCKS, rEnd = j->rows * (b + 1) / FRE_BLOCKS;
  uint32_t *mask = malloc(sizeof(uint32_t) * (size_t)(j->maxWords + 1));
  int32_t *hits = calloc((size_t)(cols + 1), sizeof(int32_t));
  int32_t *touched = malloc(sizeof(int32_t) * (size_t)(cols + 1));
  int32_t *one = malloc(sizeof(int32_t) * (size_t)(3 * cols + 1)), *many = one + cols, *manyK = one + 2 * cols;
  double pulses = 0;
  if (!mask || !hits || !touched || !one) {
    free(mask), free(hits), free(touched), free(one);
    j->failed[b] = true;
    return;
  }
  for (int64_t s = 0; s < j->samples && rBegin < rEnd; s++) {
    const sample_plan *pl = &j->plan[s];
    if (pl->bl == 0) continue;
    const float *dl = j->post + s * j->ldPost;
    const float *x = j->pre + s * j->ldPre;
    const int64_t bl = pl->bl, words = (bl + 31) / 32;
    const int64_t *slotStart = j->slotStart + pl->slotOff;
    const int32_t *act = j->activeCols + pl->actOff;
    const int32_t *slotCols = j->slotCols;
    for (int64_t r = rBegin; r < rEnd; r++) {
      const double p = fmin(1, pl->kd * fabs((double)dl[r]));
      if (!(p > 0)) continue;
      train(&g, p, bl, mask, words);
      /* This row's count per column: the columns listed in each slot its own train fires in. */
      int64_t nTouched = 0;
      for (int64_t w = 0; w < words; w++)
        for (uint32_t m = mask[w]; m; m &= m - 1) {
          const int64_t t = 32 * w + __builtin_ctz(m);
          for (int64_t q = slotStart[t]; q < slotStart[t + 1]; q++) {
            const int32_t ci = slotCols[q];
            /* Listed on its first hit; written every time so that no branch depends on it. */
            touched[nTouched] = ci;
            nTouched += hits[ci]++ == 0;
          }
        }
      const int64_t base = (r0 + r) * C + c0;
      const bool negRow = dl[r] < 0;
      /* Most cells take one pulse from a row (82 % of pulses on 2HL-512): those first, with no
       * per-cell loop whose trip count the branch predictor would have to guess, then the rest.
       * The cells of one row are distinct, so the order only decides which draw goes to which pulse. */
      int64_t n1 = 0, nm = 0;
      for (int64_t q = 0; q < nTouched; q++) {
        const int32_t ci = touched[q];
        const int32_t m = hits[ci];
        hits[ci] = 0;
        one[n1] = ci;
        many[nm] = ci;
        manyK[nm] = m;
        n1 += m == 1;
        nm += m != 1;
      }
      int64_t applied = 0;
      for (int64_t q = 0; q < n1; q++) applied += pulse_cell(&d, &g, base + act[one[q]], 1, negRow == (x[act[one[q]]] < 0));
      for (int64_t q = 0; q < nm; q++) applied += pulse_cell(&d, &g, base + act[many[q]], manyK[q], negRow == (x[act[many[q]]] < 0));
      pulses += (double)applied;
    }
  }
  free(mask), free(hits), free(touched), free(one);
  j->pulses[b] = pulses;
  j->boundHits[b] = d.boundHits;
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
 * coincide(state, W, held, uPlus, uMinus, frozen, stepUp, stepDown, bMax, bMin, saturated,
 *          geometry [C, rowBegin, rows, colBegin, cols, ldPost, ldPre, samples], post, pre,
 *          params [eta, eps, desiredBl, softBounds, c2c, wMax], out [pulses, boundHits added])
 * DeviceMatrix.coincide of devices.ts: per sample, update-BL and update management (planTrains),
 * a Bernoulli train per active row (rate ∝ |δ|) and column (rate ∝ |x|), and on every cell the
 * coincident slots as pulses in the direction of sign(δ)·sign(x), one at a time, each cell's samples
 * in order. post[s·ldPost + r] and pre[s·ldPre + c] index the tile's own rows and columns.
 */
napi_value fre_coincide(napi_env env, napi_callback_info info) {
  size_t argc = 16;
  napi_value argv[16];
  xoshiro g;
  uint32_t *raw;
  devices d;
  float *post, *pre;
  int64_t pol, prl;
  double *geo, *pa, *out;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 16) return throw_type(env, "coincide: expected (state, W, held, uPlus, uMinus, frozen, stepUp, stepDown, bMax, bMin, saturated, geometry, post, pre, params, out)");
  if (!fre_get_state(env, argv[0], &g, &raw) || !get_devices(env, argv + 1, &d) || !get_params(env, argv[11], 8, &geo) ||
      !get_f32(env, argv[12], "post", &post, &pol) || !get_f32(env, argv[13], "pre", &pre, &prl) ||
      !get_params(env, argv[14], 6, &pa) || !get_params(env, argv[15], 2, &out)) return NULL;
  const int64_t C = (int64_t)geo[0], r0 = (int64_t)geo[1], rows = (int64_t)geo[2], c0 = (int64_t)geo[3], cols = (int64_t)geo[4];
  const int64_t ldPost = (int64_t)geo[5], ldPre = (int64_t)geo[6], samples = (int64_t)geo[7];
  if (rows < 0 || cols < 0 || samples < 0 || r0 < 0 || c0 < 0 || c0 + cols > C || (r0 + rows) * C > d.n)
    return throw_range(env, "coincide: the tile lies outside the matrix");
  if (samples > 0 && ((samples - 1) * ldPost + rows > pol || (samples - 1) * ldPre + cols > prl || rows > ldPost || cols > ldPre))
    return throw_range(env, "coincide: post or pre is too short for the samples");
  const double eta = pa[0], eps = pa[1], desiredBl = pa[2];
  d.soft = pa[3] != 0;
  d.c2c = pa[4];
  d.wMax = pa[5];
  d.boundHits = 0;
  fre_normal_init();
  if (!(eps > 0) || !(desiredBl >= 1)) return throw_range(env, "coincide: eps must be > 0 and the train length ≥ 1");
  const int64_t maxWords = ((int64_t)desiredBl + 31) / 32;
  uint32_t *colMask = malloc(sizeof(uint32_t) * (size_t)(cols * maxWords + 1));
  sample_plan *plan = malloc(sizeof(sample_plan) * (size_t)(samples + 1));
  int64_t slotCap = 1024, colsCap = 4096, actCap = cols + 1, slotN = 0, colsN = 0, actN = 0;
  int64_t *slotStart = malloc(sizeof(int64_t) * (size_t)slotCap);
  int32_t *slotCols = malloc(sizeof(int32_t) * (size_t)colsCap);
  int32_t *activeCols = malloc(sizeof(int32_t) * (size_t)actCap);
  bool ok = colMask && plan && slotStart && slotCols && activeCols;
  /* Phase one, on the chip's stream: each sample's plan and column trains, as per-slot column lists. */
  for (int64_t s = 0; s < samples && ok; s++) {
    const float *dl = post + s * ldPost;
    const float *x = pre + s * ldPre;
    sample_plan *pl = &plan[s];
    pl->bl = 0;
    double dMax = 0, xMax = 0;
    for (int64_t r = 0; r < rows; r++) {
      const double a = fabs((double)dl[r]);
      dMax = a > dMax ? a : dMax;
    }
    for (int64_t c = 0; c < cols; c++) {
      const double a = fabs((double)x[c]);
      xMax = a > xMax ? a : xMax;
    }
    if (!(xMax > 0) || !(dMax > 0) || !(eta > 0)) continue;
    /* planTrains (update-BL management, then update management). */
    const double blWant = ceil(eta * xMax * dMax / eps);
    const int64_t bl = (int64_t)fmin(desiredBl, fmax(1, blWant));
    const double kk = sqrt(eta / ((double)bl * eps));
    const double kx = kk * sqrt(dMax / xMax);
    const int64_t words = (bl + 31) / 32;
    pl->kd = kk * sqrt(xMax / dMax);
    if (!grow((void **)&activeCols, &actCap, actN + cols + 1, sizeof(int32_t)) ||
        !grow((void **)&slotStart, &slotCap, slotN + bl + 2, sizeof(int64_t))) {
      ok = false;
      break;
    }
    pl->actOff = actN;
    pl->slotOff = slotN;
    int32_t *act = activeCols + actN;
    int64_t nc = 0, fired = 0;
    for (int64_t c = 0; c < cols; c++) {
      const double p = fmin(1, kx * fabs((double)x[c]));
      if (!(p > 0)) continue;
      train(&g, p, bl, colMask + nc * words, words);
      int64_t ones = 0;
      for (int64_t w = 0; w < words; w++) ones += __builtin_popcount(colMask[nc * words + w]);
      if (ones) act[nc++] = (int32_t)c, fired += ones;
    }
    actN += nc;
    /* The active columns listed per time slot (CSR): the rows' coincidences are then the
     * coincidences themselves, not rows × columns. */
    int64_t *st = slotStart + slotN;
    for (int64_t t = 0; t <= bl; t++) st[t] = 0;
    for (int64_t ci = 0; ci < nc; ci++)
      for (int64_t w = 0; w < words; w++)
        for (uint32_t m = colMask[ci * words + w]; m; m &= m - 1) st[32 * w + __builtin_ctz(m) + 1]++;
    st[0] = colsN;
    for (int64_t t = 0; t < bl; t++) st[t + 1] += st[t];
    if (!grow((void **)&slotCols, &colsCap, colsN + fired + 1, sizeof(int32_t))) {
      ok = false;
      break;
    }
    /* Fill by slot, using st[t] as the cursor of slot t (then restored to its start). */
    for (int64_t ci = 0; ci < nc; ci++)
      for (int64_t w = 0; w < words; w++)
        for (uint32_t m = colMask[ci * words + w]; m; m &= m - 1) slotCols[st[32 * w + __builtin_ctz(m)]++] = (int32_t)ci;
    for (int64_t t = bl; t > 0; t--) st[t] = st[t - 1];
    st[0] = colsN;
    colsN += fired;
    slotN += bl + 1;
    pl->bl = bl;
  }
  double pulses = 0;
  if (ok) {
    /* Phase two: the row blocks on both cores, each on its own stream. */
    coincide_job job = {d, post, pre, ldPost, ldPre, samples, r0, rows, cols, C, c0, maxWords, plan, slotStart, slotCols, activeCols,
                        next64(&g), {0}, {0}, {0}};
    run_blocks(FRE_BLOCKS, coincide_block, &job);
    for (int b = 0; b < FRE_BLOCKS; b++) pulses += job.pulses[b], d.boundHits += job.boundHits[b], ok = ok && !job.failed[b];
  }
  free(colMask), free(plan), free(slotStart), free(slotCols), free(activeCols);
  if (!ok) return throw_range(env, "coincide: out of memory");
  fre_put_state(&g, raw);
  out[0] = pulses;
  out[1] = d.boundHits;
  return NULL;
}
