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
 * own step, bounds and asymmetry, cycle-to-cycle noise per pulse) and draw from the chip's xoshiro256**
 * stream as they go: the same distributions as the TypeScript loops, another order of draws (still a
 * pure function of the seed). uMinus of length 0 = offset-column cells (u_eff = 2u − 1).
 */
#include <math.h>
#include <stdlib.h>
#include "napi_args.h"
#include "rng.h"
#include "devices.h"

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
    d->up[i] = (float)(u > 0 ? u : 0);
    d->um[i] = (float)(u < 0 ? -u : 0);
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
      hi[l] = d->bMax[i] < 1 ? d->bMax[i] : 1;
      lo[l] = d->bMin[i] > -1 ? d->bMin[i] : -1;
    }
    for (int64_t p = 0; p < m; p++) {
      if (c2c > 0)
        for (int l = 0; l < nl; l++) z[l] = (double)(float)fre_normal_inline(g);
      for (int l = 0; l < LANES; l++) {
        double f = 1 - u[l] * invB[l];
        f = f > 0 ? f : 0;
        double v = u[l] + sgn[l] * (step[l] * f * (1 + c2c * z[l]));
        v = v > hi[l] ? hi[l] : v;
        u[l] = v < lo[l] ? lo[l] : v;
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
  int64_t nHit = 0;
  for (int64_t i = 0; i < d.n; i++) {
    if (d.frozen[i]) {
      d.W[i] = d.held[i];
      continue;
    }
    if (d.W[i] == d.held[i] && !(chl > 0 && fabs((double)chi[i]) >= eps)) continue;
    double k;
    if (chl > 0) {
      chi[i] = (float)((double)chi[i] + ((double)d.W[i] - (double)d.held[i]));
      k = trunc((double)chi[i] / eps);
      k = k > cap ? cap : k < -cap ? -cap : k;
      chi[i] = (float)((double)chi[i] - k * eps);
    } else {
      const double want = ((double)d.W[i] - (double)d.held[i]) / eps;
      const double f = floor(want);
      if (stochastic) {
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
  const double pulses = apply_cells(&d, &g, cells, ks, nHit, &sc, &ok);
  free(cells), free(ks), free(sc.order), free(sc.count);
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
      if (u < t) m |= (uint32_t)1 << s;
    }
    out[w] = m;
  }
}

/*
 * coincide(state, W, held, uPlus, uMinus, frozen, stepUp, stepDown, bMax, bMin, saturated,
 *          geometry [C, rowBegin, rows, colBegin, cols, ldPost, ldPre, samples], post, pre,
 *          params [eta, eps, desiredBl, softBounds, c2c, wMax], out [pulses, boundHits added])
 * DeviceMatrix.coincide of devices.ts: per sample, update-BL and update management (planTrains),
 * a Bernoulli train per active row (rate ∝ |δ|) and column (rate ∝ |x|), and on every cell the
 * coincident slots as pulses in the direction of sign(δ)·sign(x), one at a time. The trains do not
 * depend on the devices, so the coincidences of all samples are formed first and then applied cell
 * by cell, each cell's samples in order (what one cell receives, and when, is unchanged).
 * post[s·ldPost + r] and pre[s·ldPre + c] index the tile's own rows and columns.
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
  uint32_t *rowMask = malloc(sizeof(uint32_t) * (size_t)(rows * maxWords + 1));
  uint32_t *colMask = malloc(sizeof(uint32_t) * (size_t)(cols * maxWords + 1));
  int64_t *activeRows = malloc(sizeof(int64_t) * (size_t)(rows + 1));
  int64_t *activeCols = malloc(sizeof(int64_t) * (size_t)(cols + 1));
  int32_t *hits = calloc((size_t)(cols + 1), sizeof(int32_t));
  int64_t *touched = malloc(sizeof(int64_t) * (size_t)(cols + 1));
  int64_t *slotStart = malloc(sizeof(int64_t) * (size_t)(32 * maxWords + 2));
  int64_t *slotFill = malloc(sizeof(int64_t) * (size_t)(32 * maxWords + 2));
  int64_t *slotCols = malloc(sizeof(int64_t) * (size_t)(cols * 32 * maxWords + 1));
  /* Every coincidence of the call (tile cell, signed count), in sample order: the trains depend on
   * the samples' x and δ only, never on the devices, so all of them can be drawn first and the
   * pulses applied cell by cell afterwards, each cell's in sample order (cells are independent). */
  int64_t hitCap = rows * cols + 1024, nAll = 0;
  int32_t *hl = malloc(sizeof(int32_t) * (size_t)hitCap);
  int32_t *hk = malloc(sizeof(int32_t) * (size_t)hitCap);
  int64_t *start = calloc((size_t)(rows * cols + 1), sizeof(int64_t));
  bool ok = true;
  if (!rowMask || !colMask || !activeRows || !activeCols || !hits || !hl || !hk || !start || !touched || !slotStart || !slotFill || !slotCols) {
    free(rowMask), free(colMask), free(activeRows), free(activeCols), free(hits), free(hl), free(hk), free(start);
    free(touched), free(slotStart), free(slotFill), free(slotCols);
    return throw_range(env, "coincide: out of memory");
  }
  double pulses = 0;
  for (int64_t s = 0; s < samples; s++) {
    const float *dl = post + s * ldPost;
    const float *x = pre + s * ldPre;
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
    const double kx = kk * sqrt(dMax / xMax), kd = kk * sqrt(xMax / dMax);
    const int64_t words = (bl + 31) / 32;
    int64_t nr = 0, nc = 0;
    for (int64_t r = 0; r < rows; r++) {
      const double p = fmin(1, kd * fabs((double)dl[r]));
      if (!(p > 0)) continue;
      train(&g, p, bl, rowMask + nr * words, words);
      uint32_t any = 0;
      for (int64_t w = 0; w < words; w++) any |= rowMask[nr * words + w];
      if (any) activeRows[nr++] = r;
    }
    for (int64_t c = 0; c < cols; c++) {
      const double p = fmin(1, kx * fabs((double)x[c]));
      if (!(p > 0)) continue;
      train(&g, p, bl, colMask + nc * words, words);
      uint32_t any = 0;
      for (int64_t w = 0; w < words; w++) any |= colMask[nc * words + w];
      if (any) activeCols[nc++] = c;
    }
    /* Coincidences without visiting every (row, column) pair: the active columns listed per time
     * slot (CSR), then each row's count per column summed over the slots its own train fires in.
     * The work is the coincidences themselves, not rows × columns. */
    const int64_t slots = bl;
    for (int64_t t = 0; t <= slots; t++) slotStart[t] = 0;
    for (int64_t ci = 0; ci < nc; ci++)
      for (int64_t w = 0; w < words; w++)
        for (uint32_t m = colMask[ci * words + w]; m; m &= m - 1) slotStart[32 * w + __builtin_ctz(m) + 1]++;
    for (int64_t t = 0; t < slots; t++) slotStart[t + 1] += slotStart[t];
    for (int64_t t = 0; t < slots; t++) slotFill[t] = slotStart[t];
    for (int64_t ci = 0; ci < nc; ci++)
      for (int64_t w = 0; w < words; w++)
        for (uint32_t m = colMask[ci * words + w]; m; m &= m - 1) slotCols[slotFill[32 * w + __builtin_ctz(m)]++] = ci;
    for (int64_t ri = 0; ri < nr; ri++) {
      const int64_t r = activeRows[ri];
      const int64_t base = (r0 + r) * C + c0;
      const bool negRow = dl[r] < 0;
      int64_t nTouched = 0;
      for (int64_t w = 0; w < words; w++)
        for (uint32_t m = rowMask[ri * words + w]; m; m &= m - 1) {
          const int64_t t = 32 * w + __builtin_ctz(m);
          for (int64_t q = slotStart[t]; q < slotStart[t + 1]; q++) {
            const int64_t ci = slotCols[q];
            if (hits[ci]++ == 0) touched[nTouched++] = ci;
          }
        }
      for (int64_t q = 0; q < nTouched; q++) {
        const int64_t ci = touched[q];
        const int h = hits[ci];
        hits[ci] = 0;
        const int64_t c = activeCols[ci];
        const int64_t i = base + c;
        if (d.frozen[i]) continue;
        /* The sign travels with the pulses: ΔW ∝ +δ·x. */
        if (nAll == hitCap) {
          hitCap *= 2;
          int32_t *a = realloc(hl, sizeof(int32_t) * (size_t)hitCap);
          if (a) hl = a;
          int32_t *b = realloc(hk, sizeof(int32_t) * (size_t)hitCap);
          if (b) hk = b;
          if (!a || !b) {
            ok = false;
            break;
          }
        }
        hl[nAll] = (int32_t)(r * cols + c);
        hk[nAll++] = negRow != (x[c] < 0) ? -h : h;
      }
      if (!ok) break;
    }
    if (!ok) break;
  }
  /* The coincidences by cell, stable (a counting sort keeps each cell's samples in order). */
  int32_t *sk = ok ? malloc(sizeof(int32_t) * (size_t)(nAll + 1)) : NULL;
  if (ok && !sk) ok = false;
  if (ok) {
    for (int64_t q = 0; q < nAll; q++) start[hl[q] + 1]++;
    for (int64_t li = 0; li < rows * cols; li++) start[li + 1] += start[li];
    for (int64_t q = 0; q < nAll; q++) sk[start[hl[q]]++] = hk[q];
    /* start[li] is now the end of cell li's run (and the start of li + 1's). */
    const double c2c = d.c2c;
    int64_t b = 0;
    for (int64_t li = 0; li < rows * cols; li++) {
      const int64_t e = start[li];
      if (e == b) continue;
      const int64_t i = (r0 + li / cols) * C + c0 + li % cols;
      const double bx = d.bMax[i], bn = d.bMin[i];
      const double hi = bx < 1 ? bx : 1;
      const double lo = bn > -1 ? bn : -1;
      const double invUp = d.soft ? 1.0 / bx : 0, invDown = d.soft ? 1.0 / bn : 0;
      for (int64_t q = b; q < e; q++) {
        /* One sample's pulses on this cell, one by one (applyHits of devices.ts); u as the devices
         * hold it between samples (stored in float). */
        const int32_t k = sk[q];
        const bool isUp = k > 0;
        const int32_t m = isUp ? k : -k;
        const double step = isUp ? d.stepUp[i] : d.stepDown[i];
        const double invB = isUp ? invUp : invDown;
        const double sg = isUp ? 1 : -1;
        double u = u_of(&d, i);
        for (int32_t p = 0; p < m; p++) {
          double fb = 1 - u * invB;
          fb = fb > 0 ? fb : 0;
          const double z = c2c > 0 ? (double)(float)fre_normal_inline(&g) : 0;
          double v = u + sg * (step * fb * (1 + c2c * z));
          v = v > hi ? hi : v;
          u = v < lo ? lo : v;
        }
        store_cell(&d, i, u, hi, lo);
        pulses += m;
      }
      b = e;
    }
  }
  free(sk);
  free(rowMask), free(colMask), free(activeRows), free(activeCols), free(hits), free(hl), free(hk), free(start);
  free(touched), free(slotStart), free(slotFill), free(slotCols);
  if (!ok) return throw_range(env, "coincide: out of memory");
  fre_put_state(&g, raw);
  out[0] = pulses;
  out[1] = d.boundHits;
  return NULL;
}
