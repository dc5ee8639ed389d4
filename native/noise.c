/*
 * Bulk Gaussian and uniform noise for the chip simulator: device read noise, programming noise,
 * state noise and stochastic pulses need millions of draws per batch, which seedrandom + Box-Muller
 * in JS cannot supply fast enough. The generator is xoshiro256** (Blackman & Vigna), its 256-bit
 * state held by the caller in a Uint32Array(8) that is seeded from the project's seeded Rng and
 * advanced in place — so the numbers are a pure function of the seed, like everything else.
 * Normals by the Marsaglia-Tsang ziggurat (128 layers), taking the layer index and the value from
 * separate bits of one 64-bit draw (avoiding the correlation Doornik pointed out in the original).
 *
 *   addNormal(state, out, n, std): out[i] += std · N(0, 1)
 *   fillUniform(state, out, n):    out[i] = U[0, 1)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "napi_args.h"
#include "noise.h"

#include "rng.h"
#include "blocks.h"

/* Uniform in (0, 1) with 24 random bits (never exactly 0, so logs are finite). */
double fre_uniform01(xoshiro *g) { return ((double)(next64(g) >> 40) + 0.5) * (1.0 / 16777216.0); }

static inline double uni(xoshiro *g) { return ((double)(next64(g) >> 40) + 0.5) * (1.0 / 16777216.0); }

uint32_t fre_zig_kn[128];
double fre_zig_wn[128];
static double fn[128];
static int zig_ready = 0;

/* Tables of Marsaglia & Tsang (2000), "The Ziggurat Method for Generating Random Variables". */
static void zig_init(void) {
  const double m1 = 2147483648.0;
  double dn = 3.442619855899, tn = dn, vn = 9.91256303526217e-3;
  const double q = vn / exp(-0.5 * dn * dn);
  fre_zig_kn[0] = (uint32_t)((dn / q) * m1);
  fre_zig_kn[1] = 0;
  fre_zig_wn[0] = q / m1;
  fre_zig_wn[127] = dn / m1;
  fn[0] = 1.0;
  fn[127] = exp(-0.5 * dn * dn);
  for (int i = 126; i >= 1; i--) {
    dn = sqrt(-2.0 * log(vn / dn + exp(-0.5 * dn * dn)));
    fre_zig_kn[i + 1] = (uint32_t)((dn / tn) * m1);
    tn = dn;
    fn[i] = exp(-0.5 * dn * dn);
    fre_zig_wn[i] = dn / m1;
  }
  zig_ready = 1;
}

static double normal_draw(xoshiro *g);

double fre_normal(xoshiro *g) {
  if (!zig_ready) zig_init();
  return normal_draw(g);
}

void fre_normal_init(void) {
  if (!zig_ready) zig_init();
}

/* The rest of a draw whose 64 bits b failed the ziggurat's fast test (or, b = 0 with first = false, a new draw). */
static double normal_rest(xoshiro *g, uint64_t b, bool first) {
  const double r = 3.442620;
  for (;; first = false) {
    if (!first) b = next64(g);
    const int iz = (int)(b & 127);
    const int32_t hz = (int32_t)(uint32_t)(b >> 32);
    const uint32_t ahz = hz < 0 ? (uint32_t)(-(int64_t)hz) : (uint32_t)hz;
    const double x = hz * fre_zig_wn[iz];
    if (ahz < fre_zig_kn[iz]) return x;
    if (iz == 0) {
      double xx, yy;
      do {
        xx = -log(uni(g)) * 0.2904764;
        yy = -log(uni(g));
      } while (yy + yy < xx * xx);
      return hz > 0 ? r + xx : -r - xx;
    }
    if (fn[iz] + uni(g) * (fn[iz - 1] - fn[iz]) < exp(-0.5 * x * x)) return x;
  }
}

static double normal_draw(xoshiro *g) { return normal_rest(g, 0, false); }

double fre_normal_rest(xoshiro *g, uint64_t b) { return normal_rest(g, b, true); }

bool fre_get_state(napi_env env, napi_value v, xoshiro *g, uint32_t **raw) {
  bool is_ta = false;
  napi_typedarray_type type;
  size_t length = 0;
  void *ptr = NULL;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &type, &length, &ptr, NULL, NULL) != napi_ok ||
      type != napi_uint32_array || length != 8) {
    throw_type(env, "state must be a Uint32Array of length 8");
    return false;
  }
  *raw = (uint32_t *)ptr;
  for (int i = 0; i < 4; i++) g->s[i] = ((uint64_t)(*raw)[2 * i + 1] << 32) | (*raw)[2 * i];
  if ((g->s[0] | g->s[1] | g->s[2] | g->s[3]) == 0) {
    throw_range(env, "state must not be all zero (seed it from the Rng)");
    return false;
  }
  return true;
}

void fre_put_state(const xoshiro *g, uint32_t *raw) {
  for (int i = 0; i < 4; i++) {
    raw[2 * i] = (uint32_t)g->s[i];
    raw[2 * i + 1] = (uint32_t)(g->s[i] >> 32);
  }
}

napi_value fre_add_normal(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  xoshiro g;
  uint32_t *raw;
  float *out;
  int64_t len, n;
  double std;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 4) return throw_type(env, "addNormal: expected (state, out, n, std)");
  if (!fre_get_state(env, argv[0], &g, &raw) || !get_f32(env, argv[1], "out", &out, &len) ||
      !get_dim(env, argv[2], "n", 0, &n) || !get_number(env, argv[3], "std", &std)) return NULL;
  if (n > len) return throw_range(env, "addNormal: n exceeds the buffer's length");
  if (!zig_ready) zig_init();
  for (int64_t i = 0; i < n; i++) out[i] += (float)(std * fre_normal_inline(&g));
  fre_put_state(&g, raw);
  return NULL;
}

napi_value fre_fill_uniform(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  xoshiro g;
  uint32_t *raw;
  float *out;
  int64_t len, n;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 3) return throw_type(env, "fillUniform: expected (state, out, n)");
  if (!fre_get_state(env, argv[0], &g, &raw) || !get_f32(env, argv[1], "out", &out, &len) ||
      !get_dim(env, argv[2], "n", 0, &n)) return NULL;
  if (n > len) return throw_range(env, "fillUniform: n exceeds the buffer's length");
  for (int64_t i = 0; i < n; i++) out[i] = (float)((double)(next64(&g) >> 40) * (1.0 / 16777216.0));
  fre_put_state(&g, raw);
  return NULL;
}

/*
 * The read path's normals, in FRE_BLOCKS fixed blocks of rows on up to chip_threads() threads (the
 * persistent workers of pool.c): block b draws from its own streams (16 lanes and a scalar one for the
 * ziggurat's slow path, below), seeded by SplitMix64 from one draw of the chip's stream per call and b
 * (fre_block_stream), so the numbers are a pure function of the seed whatever the thread count. The
 * draws are the ziggurat's, as before, so the distribution is unchanged; the stream changed, and σ·z
 * is formed in float (it was formed in double and rounded to float).
 */
/* Calls with fewer elements than this stay on the calling thread (waking a worker costs µs to tens of
 * µs; 32 k normals ≈ 60 µs). Which thread runs a block never changes its numbers. */
#define FRE_PAR_MIN 32768

typedef struct {
  float *out;
  const float *rv, *ev;
  int64_t m, cols, rl, el;
  double cv;
  uint64_t key;
  int zero; /* normalVarBegin: each row of out is zeroed first (out holds the noise alone) */
} normal_job;

/*
 * Sixteen lanes for the read noise (one σ per row, or one per element from the variances).
 * Lane l (< 16) is its own xoshiro256** stream; each step takes one draw per lane for the next 16
 * elements, element j + l from lane l. The ziggurat's fast test and value run on all 16 at once in
 * float (z = (float)hz · wn[iz], wn rounded to float; the sums are float anyway); the ≈ 2.7 % of draws
 * the fast test rejects add nothing in the pass and are finished afterwards, in element order, by the
 * exact slow path (fre_normal_rest) from the block's scalar stream, o[p] += σ·z. With AVX-512 the
 * table look-ups are register permutes (gathers are slow on this CPU: without look-ups the loop ran at
 * 0.77 ns a normal, with two gathers 2.3–2.8 ns); lanes_generic computes the same bytes in plain C for
 * other CPUs (and, forced by FRE_NORMALS=generic, for the test that compares the two).
 */
#define FRE_LANES 16
typedef struct {
  uint64_t s[4][FRE_LANES]; /* s[word][lane] */
  uint64_t rb[FRE_LANES];   /* rejected draws of one step, and where they go */
  int64_t rp[FRE_LANES];
} lanes;

static float wnf[128];
static int wnf_ready = 0;

static void lanes_seed(lanes *L, uint64_t key, uint64_t block) {
  for (int l = 0; l < FRE_LANES; l++) {
    xoshiro t;
    fre_block_stream(&t, key ^ 0x6A09E667F3BCC909ull, block * FRE_LANES + (uint64_t)l);
    for (int w = 0; w < 4; w++) L->s[w][l] = t.s[w];
  }
}

/* The slow path for the rejected draws of a row, in element order. */
static void finish_rejected(xoshiro *g, float *o, const float *rs, const uint64_t *rb, const int64_t *rp, int nr) {
  for (int i = 0; i < nr; i++) o[rp[i]] += rs[i] * (float)fre_normal_rest(g, rb[i]);
}

/* σ of element j: sd, or with per-element variances (e non-null) sqrt(base + e[j]) rounded to float
 * (0 where the variance is not positive: that element's draw adds nothing). */
static inline float elem_sd(float sd, const float *e, double base, int64_t j) {
  if (!e) return sd;
  const double v = base + (double)e[j];
  return v > 0 ? (float)sqrt(v) : 0.0f;
}

/* o[0 .. n) += σ_j·z, the 16-lane way, in plain C (σ_j: elem_sd). */
static void lanes_generic(lanes *L, xoshiro *g, float *o, float sd, const float *e, double base, int64_t n) {
  float rs[FRE_LANES];
  for (int64_t j = 0; j < n; j += FRE_LANES) {
    int nr = 0;
    for (int l = 0; l < FRE_LANES; l++) {
      xoshiro t = {{L->s[0][l], L->s[1][l], L->s[2][l], L->s[3][l]}};
      const uint64_t b = next64(&t);
      for (int w = 0; w < 4; w++) L->s[w][l] = t.s[w];
      if (j + l >= n) continue;
      const int iz = (int)(b & 127);
      const int32_t hz = (int32_t)(uint32_t)(b >> 32);
      const uint32_t ahz = hz < 0 ? (uint32_t)(-(int64_t)hz) : (uint32_t)hz;
      const int ok = ahz < fre_zig_kn[iz];
      const float z = ok ? (float)hz * wnf[iz] : 0.0f;
      const float s = elem_sd(sd, e, base, j + l);
      o[j + l] = o[j + l] + s * z;
      if (!ok) {
        rs[nr] = s;
        L->rb[nr] = b;
        L->rp[nr++] = j + l;
      }
    }
    finish_rejected(g, o, rs, L->rb, L->rp, nr);
  }
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
#define FRE_HAVE_512 1
#define FRE_T512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl")))
#include "zig16.h"
/* The whole steps of lanes_generic (n rounded down to 16); the same bytes. Returns the elements done. */
FRE_T512 static int64_t lanes_512(lanes *L, xoshiro *g, float *o, float sd, const float *e, double base, int64_t n) {
  __m512i a0 = _mm512_loadu_si512(&L->s[0][0]), a1 = _mm512_loadu_si512(&L->s[1][0]);
  __m512i a2 = _mm512_loadu_si512(&L->s[2][0]), a3 = _mm512_loadu_si512(&L->s[3][0]);
  __m512i c0 = _mm512_loadu_si512(&L->s[0][8]), c1 = _mm512_loadu_si512(&L->s[1][8]);
  __m512i c2 = _mm512_loadu_si512(&L->s[2][8]), c3 = _mm512_loadu_si512(&L->s[3][8]);
  fre_zig16 T;
  fre_zig16_load(&T, wnf);
  const __m512 vsd = _mm512_set1_ps(sd);
  const __m512d vbase = _mm512_set1_pd(base), zero = _mm512_setzero_pd();
  uint64_t rb[256];
  int64_t rp[256];
  float rs[256];
  int nr = 0;
  int64_t j = 0;
  for (; j + FRE_LANES <= n; j += FRE_LANES) {
    const __m512i bA = fre_xoshiro8_step(&a0, &a1, &a2, &a3), bB = fre_xoshiro8_step(&c0, &c1, &c2, &c3);
    __mmask16 rej;
    const __m512 zAll = fre_zig16_fast(&T, bA, bB, &rej);
    const __m512 z = _mm512_maskz_mov_ps((__mmask16)~rej, zAll); /* the rejected lanes add 0 here, their slow value below */
    __m512 s = vsd;
    if (e) {
      /* elem_sd, 8 at a time in double: sqrt(base + e) where positive, else 0, rounded to float. */
      const __m512d v0 = _mm512_add_pd(vbase, _mm512_cvtps_pd(_mm256_loadu_ps(e + j)));
      const __m512d v1 = _mm512_add_pd(vbase, _mm512_cvtps_pd(_mm256_loadu_ps(e + j + 8)));
      const __m256 s0 = _mm512_cvtpd_ps(_mm512_maskz_sqrt_pd(_mm512_cmp_pd_mask(v0, zero, _CMP_GT_OQ), v0));
      const __m256 s1 = _mm512_cvtpd_ps(_mm512_maskz_sqrt_pd(_mm512_cmp_pd_mask(v1, zero, _CMP_GT_OQ), v1));
      s = _mm512_insertf32x8(_mm512_castps256_ps512(s0), s1, 1);
    }
    _mm512_storeu_ps(o + j, _mm512_add_ps(_mm512_loadu_ps(o + j), _mm512_mul_ps(s, z)));
    if (rej) {
      uint64_t bb[16];
      float ss[16];
      _mm512_storeu_si512(bb, bA);
      _mm512_storeu_si512(bb + 8, bB);
      _mm512_storeu_ps(ss, s);
      /* Lane order, one iteration per rejected lane (a test per lane mispredicted: ≈ 10 % of the time). */
      for (unsigned msk = rej; msk; msk &= msk - 1) {
        const int l = __builtin_ctz(msk);
        rs[nr] = ss[l];
        rb[nr] = bb[l];
        rp[nr++] = j + l;
      }
      if (nr > 256 - 16) {
        finish_rejected(g, o, rs, rb, rp, nr);
        nr = 0;
      }
    }
  }
  _mm512_storeu_si512(&L->s[0][0], a0);
  _mm512_storeu_si512(&L->s[1][0], a1);
  _mm512_storeu_si512(&L->s[2][0], a2);
  _mm512_storeu_si512(&L->s[3][0], a3);
  _mm512_storeu_si512(&L->s[0][8], c0);
  _mm512_storeu_si512(&L->s[1][8], c1);
  _mm512_storeu_si512(&L->s[2][8], c2);
  _mm512_storeu_si512(&L->s[3][8], c3);
  _mm256_zeroupper();
  finish_rejected(g, o, rs, rb, rp, nr);
  return j;
}
#endif

static int use_512 = -1;

static void lanes_row(lanes *L, xoshiro *g, float *o, float sd, const float *e, double base, int64_t n) {
  int64_t done = 0;
#ifdef FRE_HAVE_512
  if (use_512) done = lanes_512(L, g, o, sd, e, base, n);
#endif
  if (done < n) lanes_generic(L, g, o + done, sd, e ? e + done : NULL, base, n - done);
}

/* Row r's draws of a job (its block's streams L and g, rows in order) added to o[0, cols). */
static void noise_row(lanes *L, xoshiro *g, const normal_job *J, int64_t r, float *o) {
  const double base = J->cv + (J->rl > 0 ? (double)J->rv[r] : 0.0);
  if (J->el == 0) {
    /* One σ per row (read noise relative to the range, ADC noise): one sqrt, no draws if σ is 0. */
    if (base > 0) lanes_row(L, g, o, (float)sqrt(base), NULL, 0, J->cols);
  } else {
    /* σ per element (read noise relative to the target conductance). */
    lanes_row(L, g, o, 0, J->ev + r * J->cols, base, J->cols);
  }
}

/* Rows [b·m/8, (b+1)·m/8) of an addNormalVar. */
static void normal_block(void *p, int b) {
  const normal_job *J = p;
  const int64_t r0 = J->m * b / FRE_BLOCKS, r1 = J->m * (b + 1) / FRE_BLOCKS;
  if (r0 >= r1) return;
  xoshiro g;
  fre_block_stream(&g, J->key, (uint64_t)b);
  const int64_t cols = J->cols;
  lanes L;
  lanes_seed(&L, J->key, (uint64_t)b);
  for (int64_t r = r0; r < r1; r++) {
    if (J->zero) memset(J->out + r * cols, 0, (size_t)cols * sizeof(float));
    noise_row(&L, &g, J, r, J->out + r * cols);
  }
}

static void run_normals(normal_job *J) {
  if (J->m * J->cols >= FRE_PAR_MIN && chip_threads() > 1) {
    fre_pool_run(FRE_BLOCKS, normal_block, J);
  } else {
    for (int b = 0; b < FRE_BLOCKS; b++) normal_block(J, b);
  }
}

/*
 * addNormalVar(state, out, m, cols, rowVar, elemVar, constVar):
 *   out[r·cols + j] += sqrt(rowVar[r] + elemVar[r·cols + j] + constVar)·N(0, 1)
 * rowVar / elemVar of length 0 count as zero. Independent Gaussian noise sources on one line (device
 * read noise, ADC output noise) add in variance, so one draw per line serves them all. The draws come
 * from per-block streams keyed by one draw of the chip's stream (see normal_block above).
 */
/* Makes the ziggurat's tables and picks the normals' code path (once). */
void fre_normals_ready(void) {
  if (!zig_ready) zig_init();
  if (!wnf_ready) {
    for (int i = 0; i < 128; i++) wnf[i] = (float)fre_zig_wn[i];
    wnf_ready = 1;
  }
  if (use_512 < 0) {
    const char *f = getenv("FRE_NORMALS");
#ifdef FRE_HAVE_512
    use_512 = !(f && strcmp(f, "generic") == 0) && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
              __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
#else
    (void)f;
    use_512 = 0;
#endif
  }
}

/* The arguments addNormalVar and normalVarBegin share, (state, out, m, cols, rowVar, elemVar, constVar),
 * checked; J gets everything but the key and the zero flag. name prefixes the errors. */
static bool normal_var_args(napi_env env, napi_callback_info info, const char *name, const char *outName, xoshiro *g, uint32_t **raw,
                            normal_job *J) {
  size_t argc = 7;
  napi_value argv[7];
  float *out, *rv, *ev;
  int64_t ol, rl, el, m, cols;
  double cv;
  char msg[128];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    throw_type(env, "could not read the arguments");
    return false;
  }
  if (argc != 7) {
    snprintf(msg, sizeof msg, "%s: expected (state, %s, m, cols, rowVar, elemVar, constVar)", name, outName);
    throw_type(env, msg);
    return false;
  }
  if (!fre_get_state(env, argv[0], g, raw) || !get_f32(env, argv[1], outName, &out, &ol) || !get_dim(env, argv[2], "m", 0, &m) ||
      !get_dim(env, argv[3], "cols", 0, &cols) || !get_f32(env, argv[4], "rowVar", &rv, &rl) ||
      !get_f32(env, argv[5], "elemVar", &ev, &el) || !get_number(env, argv[6], "constVar", &cv))
    return false;
  const int64_t n = m * cols;
  if (n > ol) {
    snprintf(msg, sizeof msg, "%s: %s is shorter than m·cols", name, outName);
    throw_range(env, msg);
    return false;
  }
  if ((rl > 0 && rl < m) || (el > 0 && el < n)) {
    snprintf(msg, sizeof msg, "%s: a variance buffer is too short", name);
    throw_range(env, msg);
    return false;
  }
  *J = (normal_job){out, rv, ev, m, cols, rl, el, cv, 0, 0};
  return true;
}

/*
 * addNormalVar(state, out, m, cols, rowVar, elemVar, constVar):
 *   out[r·cols + j] += sqrt(rowVar[r] + elemVar[r·cols + j] + constVar)·N(0, 1)
 * rowVar / elemVar of length 0 count as zero. Independent Gaussian noise sources on one line (device
 * read noise, ADC output noise) add in variance, so one draw per line serves them all. The draws come
 * from per-block streams keyed by one draw of the chip's stream (see normal_block above).
 */
napi_value fre_add_normal_var(napi_env env, napi_callback_info info) {
  xoshiro g;
  uint32_t *raw;
  normal_job J;
  if (!normal_var_args(env, info, "addNormalVar", "out", &g, &raw, &J)) return NULL;
  fre_normals_ready();
  if (J.m * J.cols == 0) return NULL;
  J.key = next64(&g);
  fre_put_state(&g, raw);
  run_normals(&J);
  return NULL;
}

/* addNormalVar's draws for one read on the calling thread (all blocks, in order): out[r·cols + j] +=
 * sqrt(rowVar[r] + constVar)·N(0, 1) from the key the caller took from the chip's stream (readBatch). */
void fre_read_noise(float *out, const float *rv, int64_t rl, int64_t m, int64_t cols, double cv, uint64_t key) {
  normal_job J = {out, rv, NULL, m, cols, rl, 0, cv, key, 0};
  for (int b = 0; b < FRE_BLOCKS; b++) normal_block(&J, b);
}

/*
 * normalVarBegin(state, noise, m, cols, rowVar, elemVar, constVar) → started: addNormalVar's draws (the
 * same key from the chip's stream, the same blocks and streams) into noise, zeroed first, started on the
 * pool's workers while the caller goes on (the array's GEMM). noise[i] = 0 + σ·z is σ·z, so adding it
 * later (adcConvertAccumulate, normalVarSettle) gives addNormalVar's bytes. The buffers must stay
 * untouched until then; every pool job, adcConvertAccumulate and normalVarSettle finish it first.
 * Returns false, drawing nothing, when the draws would not run on a worker (one chip thread, or a call
 * below the threads' size): the caller then adds them in place with addNormalVar after its GEMM, which
 * costs no extra buffer pass.
 */
static _Thread_local normal_job AJ; /* the started job's context (the workers read it until it finishes) */

napi_value fre_normal_var_begin(napi_env env, napi_callback_info info) {
  xoshiro g;
  uint32_t *raw;
  normal_job J;
  if (!normal_var_args(env, info, "normalVarBegin", "noise", &g, &raw, &J)) return NULL;
  fre_pool_finish();
  fre_normals_ready();
  napi_value result;
  const bool start = J.m * J.cols >= FRE_PAR_MIN && chip_threads() > 1;
  NAPI_CALL(env, napi_get_boolean(env, start, &result));
  if (!start) return result;
  J.key = next64(&g);
  J.zero = 1;
  fre_put_state(&g, raw);
  AJ = J;
  fre_pool_start(FRE_BLOCKS, normal_block, &AJ);
  return result;
}

/*
 * normalVarDefer(state, noise, m, cols, rowVar, elemVar, constVar) → deferred: for a read whose draws would
 * not run on a worker (normalVarBegin declined: one chip thread, a small call), addNormalVar's key taken from
 * the chip's stream now (the same draw of the stream as addNormalVar after the GEMM: nothing between draws)
 * and the job kept, drawing nothing yet; noise only names it (never written). adcConvertAccumulate(…, noise)
 * then draws each row's noise as addNormalVar would, into a copy of the row, and converts and accumulates
 * that row while it is in L1 (one pass over the partial sums instead of two); normalVarSettle(P, noise, n)
 * adds the draws to P in place (n = 0: drops them). False, drawing nothing, when m·cols is 0 (addNormalVar
 * takes no key then). One deferred job at a time per thread: settle it before the next.
 */
static _Thread_local normal_job DJ; /* the deferred job (DJ.out: the noise buffer naming it; NULL: none) */

napi_value fre_normal_var_defer(napi_env env, napi_callback_info info) {
  xoshiro g;
  uint32_t *raw;
  normal_job J;
  if (!normal_var_args(env, info, "normalVarDefer", "noise", &g, &raw, &J)) return NULL;
  if (DJ.out) return throw_range(env, "normalVarDefer: a deferred read noise is pending (normalVarSettle or adcConvertAccumulate it first)");
  fre_normals_ready();
  napi_value result;
  const bool defer = J.m * J.cols > 0;
  NAPI_CALL(env, napi_get_boolean(env, defer, &result));
  if (!defer) return result;
  J.key = next64(&g);
  fre_put_state(&g, raw);
  DJ = J;
  return result;
}

const void *fre_noise_deferred(const float *noise, int64_t m, int64_t cols) {
  return noise && DJ.out == noise && DJ.m == m && DJ.cols == cols ? &DJ : NULL;
}

void fre_noise_deferred_rows(const void *job, int b, const float *src, float *row, void (*fn)(void *, int64_t, const float *), void *ctx) {
  const normal_job *J = job;
  const int64_t r0 = J->m * b / FRE_BLOCKS, r1 = J->m * (b + 1) / FRE_BLOCKS, cols = J->cols;
  if (r0 >= r1) return;
  xoshiro g;
  fre_block_stream(&g, J->key, (uint64_t)b);
  lanes L;
  lanes_seed(&L, J->key, (uint64_t)b);
  for (int64_t r = r0; r < r1; r++) {
    memcpy(row, src + r * cols, (size_t)cols * sizeof(float));
    noise_row(&L, &g, J, r, row);
    fn(ctx, r, row);
  }
}

void fre_noise_deferred_done(void) { DJ.out = NULL; }

/* normalVarSettle(P, noise, n): finishes a started normalVarBegin, then P[i] += noise[i] (i < n; n = 0: finish only);
 * for a deferred job (normalVarDefer) of noise, its draws added to P in place (addNormalVar's), or dropped when n = 0. */
napi_value fre_normal_var_settle(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  float *p, *nz;
  int64_t pl, nl, n;
  /* Finished before any argument check can throw (an exception must not leave the job running). */
  fre_pool_finish();
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 3) return throw_type(env, "normalVarSettle: expected (P, noise, n)");
  if (!get_f32(env, argv[0], "P", &p, &pl) || !get_f32(env, argv[1], "noise", &nz, &nl) || !get_dim(env, argv[2], "n", 0, &n)) {
    DJ.out = NULL; /* a deferred job is dropped rather than left pending by an exception */
    return NULL;
  }
  if (DJ.out && DJ.out == nz) {
    normal_job J = DJ;
    DJ.out = NULL;
    if (n == 0) return NULL;
    if (n != J.m * J.cols || n > pl) return throw_range(env, "normalVarSettle: n is not the deferred read's m·cols, or P is shorter");
    J.out = p;
    run_normals(&J);
    return NULL;
  }
  if (n > pl || n > nl) return throw_range(env, "normalVarSettle: n exceeds a buffer's length");
  for (int64_t i = 0; i < n; i++) p[i] += nz[i];
  return NULL;
}
