/*
 * The chip simulator's periphery loops (simulator/chip/periphery.ts and chip-executor.ts hold the
 * reference TypeScript versions): per-element clipping and rounding run at ≈ 10–15 ns an element
 * in JS and dominated a noisy epoch; here they vectorise.
 *
 *   quantize(src, dst, n, lo, hi, step):   dst = lo + round((clip(src, lo, hi) − lo)/step)·step
 *   adcAccumulate(P, m, cols, out, offset, ld, gain, fs, step):
 *       v = clip(P[r, j], −fs, fs) (fs ≤ 0: no clipping), rounded to the step when step > 0,
 *       out[offset + r·ld + j] += gain·v
 *   adcConvert(P, n, fs, step) → clipped:
 *       in place, P = clip(P, −fs, fs) rounded to the step (fs ≤ 0: nothing); returns how many |P| > fs
 *   tableActivate(h, s, n, table, lo, scale, linear):
 *       x = (h − lo)·scale; nearest table entry (linear = 0) or interpolation (linear = 1), flat outside.
 *   readPrep(x, n, ldx, x0, len, absMax, inputScale, lo, hi, step, normK, xs, scales, norms):
 *       one pass over a read's inputs (ChipArrays.read): noise management (each row divided by its
 *       largest magnitude, times inputScale), the DAC (step > 0: clip to [lo, hi], round to the step)
 *       and the read-noise variance normK·Σ xs² per row (normK 0: not computed); xs is [n × len].
 *   squareRows(x, m, ld, offset, len, out): out[r·len + i] = x[offset + r·ld + i]².
 *   adcConvertAccumulate(P, rows, lines, fs, step, scales, gain, out, offset, ld, accGain) → clipped:
 *       adcConvertScaled's values added as adcAccumulate adds them (accGain·v into out), P unchanged.
 *   adcConvertScaled(P, rows, lines, fs, step, scales, gain) → clipped:
 *       adcConvert, then the digital rescale by the row's noise-management scale (empty: 1) × gain.
 * Rounding to a code is the one rule of docs/netlist.md ("Rounding at a code boundary"), in double whatever
 * the caller's precision: v (the float value, clipped to [lo, hi] in double), k = floor((v − lo)/step + 0.5)
 * with a division (not a reciprocal), the code (float)(lo + k·step); lo, hi and step are the caller's doubles
 * (fre_code below). The LUT index is floor((h − lo)·scale + 0.5) in double. simulator/chip/periphery.ts
 * evaluates the same expressions in JavaScript's doubles, so both backends give the same bytes — also at a
 * tie (0 on a symmetric range of 2^bits codes: a zero pixel, a clamped state, a sum of zeros). The addon is
 * built with -ffp-contract=off (binding.gyp): lo + k·step and (h − lo)·scale + 0.5 must not become FMAs.
 * readPrep, adcConvertScaled and tableActivate split a large call's rows (elements) into FRE_BLOCKS blocks on up to chip_threads()
 * threads (blocks.h); nothing there draws, so the bytes are the same for any thread count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "napi_args.h"
#include "periphery.h"
#include "blocks.h"
#include "conv.h" /* fre_activate_loop */
#include "noise.h" /* the deferred read noise */

/* FRE_CLONES512 adds an AVX-512 clone (16 floats a step) to the element-wise loops that gain from it here
 * (convert_acc 0.134 → 0.090 ms for 500 × 512, the neuron unit's quantize; session 8). -mavx512f implies
 * no FMA, and these loops have no float reduction, so every clone gives the same bytes. prep_loop (in double)
 * gains a little (readPrep 0.257 → 0.242 ms); absmax and sumsq8 lose (readPrep 0.28 → 0.42–0.48 ms with theirs). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define FRE_CLONES __attribute__((target_clones("avx2", "default")))
#define FRE_CLONES512 __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define FRE_CLONES
#define FRE_CLONES512
#endif

/* The code of v (already clipped to [lo, hi]): docs/netlist.md, "Rounding at a code boundary" — in double,
 * (v − lo)/step by division, + 0.5, floor; lo + k·step rounded once to float. Every quantising loop below
 * (DAC, ADC, state register) calls this, so there is one definition; inlined, it vectorises (vdivpd). */
static inline __attribute__((always_inline)) float fre_code(double v, double lo, double step) {
  return (float)(lo + floor((v - lo) / step + 0.5) * step);
}

FRE_CLONES512 static void quantize_loop(const float *restrict src, float *restrict dst, int64_t n, double lo, double hi, double step) {
  for (int64_t i = 0; i < n; i++) {
    const double x = src[i];
    const double v = x < lo ? lo : (x > hi ? hi : x);
    dst[i] = fre_code(v, lo, step);
  }
}

napi_value fre_quantize(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  float *src, *dst;
  int64_t sl, dl, n;
  double lo, hi, step;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 6) return throw_type(env, "quantize: expected (src, dst, n, lo, hi, step)");
  if (!get_f32(env, argv[0], "src", &src, &sl) || !get_f32(env, argv[1], "dst", &dst, &dl) ||
      !get_dim(env, argv[2], "n", 0, &n) || !get_number(env, argv[3], "lo", &lo) ||
      !get_number(env, argv[4], "hi", &hi) || !get_number(env, argv[5], "step", &step)) return NULL;
  if (n > sl || n > dl) return throw_range(env, "quantize: n exceeds a buffer's length");
  if (!(step > 0)) return throw_range(env, "quantize: step must be > 0");
  quantize_loop(src, dst, n, lo, hi, step);
  return NULL;
}

/* fs and step in double (fre_code); the clipped value without a step is -fs or fs rounded to float. */
FRE_CLONES512 static void adc_loop(float *restrict p, float *restrict out, int64_t cols, float gain, double fs, double step) {
  if (step > 0) {
    for (int64_t j = 0; j < cols; j++) {
      const double x = p[j];
      const float v = fre_code(x < -fs ? -fs : (x > fs ? fs : x), -fs, step);
      out[j] += gain * v;
    }
  } else if (fs > 0) {
    for (int64_t j = 0; j < cols; j++) {
      const double x = p[j];
      const float v = (float)(x < -fs ? -fs : (x > fs ? fs : x));
      out[j] += gain * v;
    }
  } else {
    for (int64_t j = 0; j < cols; j++) out[j] += gain * p[j];
  }
}

napi_value fre_adc_accumulate(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  float *p, *out;
  int64_t pl, ol, m, cols, offset, ld;
  double gain, fs, step;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 9) return throw_type(env, "adcAccumulate: expected (P, m, cols, out, offset, ld, gain, fs, step)");
  if (!get_f32(env, argv[0], "P", &p, &pl) || !get_dim(env, argv[1], "m", 0, &m) ||
      !get_dim(env, argv[2], "cols", 0, &cols) || !get_f32(env, argv[3], "out", &out, &ol) ||
      !get_dim(env, argv[4], "offset", 0, &offset) || !get_dim(env, argv[5], "ld", 0, &ld) ||
      !get_number(env, argv[6], "gain", &gain) || !get_number(env, argv[7], "fs", &fs) ||
      !get_number(env, argv[8], "step", &step)) return NULL;
  if (m * cols > pl) return throw_range(env, "adcAccumulate: P is shorter than m·cols");
  if (m > 0 && (cols > ld || offset + (m - 1) * ld + cols > ol)) return throw_range(env, "adcAccumulate: out is too short for offset, ld and m rows");
  for (int64_t r = 0; r < m; r++) adc_loop(p + r * cols, out + offset + r * ld, cols, (float)gain, fs, step);
  return NULL;
}

FRE_CLONES512 static int64_t convert_loop(float *restrict p, int64_t n, double fs, double step) {
  int64_t clipped = 0;
  for (int64_t i = 0; i < n; i++) {
    double v = p[i];
    clipped += (v < -fs) | (v > fs);
    v = v < -fs ? -fs : (v > fs ? fs : v);
    p[i] = step > 0 ? fre_code(v, -fs, step) : (float)v;
  }
  return clipped;
}

napi_value fre_adc_convert(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  float *p;
  int64_t pl, n;
  double fs, step;
  napi_value result;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 4) return throw_type(env, "adcConvert: expected (P, n, fs, step)");
  if (!get_f32(env, argv[0], "P", &p, &pl) || !get_dim(env, argv[1], "n", 0, &n) ||
      !get_number(env, argv[2], "fs", &fs) || !get_number(env, argv[3], "step", &step)) return NULL;
  if (n > pl) return throw_range(env, "adcConvert: n exceeds P's length");
  const int64_t clipped = fs > 0 ? convert_loop(p, n, fs, step) : 0;
  NAPI_CALL(env, napi_create_int64(env, clipped, &result));
  return result;
}

/* In double, as simulator/chip/periphery.ts (NeuronUnit.tabulated) computes it, so the bytes are the same:
 * the LUT's index floor((h − lo)·scale + 0.5) clamped to [0, last] (docs/netlist.md, "Rounding at a code
 * boundary"), and the interpolation t[k] + (t[k+1] − t[k])·(x − k), x = (h − lo)·scale, flat outside
 * (t[0] for x ≤ 0, t[last] for x ≥ last). A NaN h gives NaN (JavaScript's t[NaN] is undefined). */
FRE_CLONES512 static void table_loop(const float *restrict h, float *restrict s, int64_t n, const float *restrict t,
                                  int64_t last, double lo, double scale, int linear) {
  if (!linear) {
    for (int64_t i = 0; i < n; i++) {
      const double x = floor(((double)h[i] - lo) * scale + 0.5);
      const int64_t k = x > 0 ? (x < (double)last ? (int64_t)x : last) : 0;
      s[i] = x == x ? t[k] : NAN;
    }
  } else {
    for (int64_t i = 0; i < n; i++) {
      const double x = ((double)h[i] - lo) * scale;
      if (x <= 0) s[i] = t[0];
      else if (x >= (double)last) s[i] = t[last];
      else if (x == x) {
        const int64_t k = (int64_t)x;
        s[i] = (float)((double)t[k] + ((double)t[k + 1] - (double)t[k]) * (x - (double)k));
      } else s[i] = NAN;
    }
  }
}

/* A read's rows in FRE_BLOCKS fixed blocks on up to chip_threads() threads (blocks.h, pool.c) when the
 * call is large enough to pay for waking them; rows are independent and nothing here draws, so the
 * result is the same for any thread count. */
#define FRE_PAR_MIN 32768
static void run_rows(int64_t elems, void (*fn)(void *, int), void *ctx) {
  if (elems >= FRE_PAR_MIN && chip_threads() > 1) {
    fre_pool_run(FRE_BLOCKS, fn, ctx);
  } else {
    for (int b = 0; b < FRE_BLOCKS; b++) fn(ctx, b);
  }
}

typedef struct {
  const float *h;
  float *s;
  int64_t n;
  const float *t;
  int64_t last;
  double lo, scale;
  int linear;
} table_job;

/* Elements [b·n/8, (b+1)·n/8) of a tableActivate (element-wise: the same bytes for any split). */
static void table_block(void *p, int b) {
  const table_job *J = p;
  const int64_t i0 = J->n * b / FRE_BLOCKS, i1 = J->n * (b + 1) / FRE_BLOCKS;
  table_loop(J->h + i0, J->s + i0, i1 - i0, J->t, J->last, J->lo, J->scale, J->linear);
}

napi_value fre_table_activate(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  float *h, *s, *t;
  int64_t hl, sl, tl, n;
  double lo, scale;
  bool linear;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 7) return throw_type(env, "tableActivate: expected (h, s, n, table, lo, scale, linear)");
  if (!get_f32(env, argv[0], "h", &h, &hl) || !get_f32(env, argv[1], "s", &s, &sl) ||
      !get_dim(env, argv[2], "n", 0, &n) || !get_f32(env, argv[3], "table", &t, &tl) ||
      !get_number(env, argv[4], "lo", &lo) || !get_number(env, argv[5], "scale", &scale) ||
      !get_bool(env, argv[6], "linear", &linear)) return NULL;
  if (n > hl || n > sl) return throw_range(env, "tableActivate: n exceeds a buffer's length");
  if (tl < 2) return throw_range(env, "tableActivate: the table needs at least 2 entries");
  table_job J = {h, s, n, t, tl - 1, lo, scale, linear ? 1 : 0};
  run_rows(n, table_block, &J);
  return NULL;
}

/* rowSumSquares(x, m, ld, offset, len, scale, out): out[r] = scale·Σ_i x[offset + r·ld + i]², i < len
 * (the per-line read-noise variance of a tile's inputs). */
FRE_CLONES static float sumsq_loop(const float *restrict x, int64_t len) {
  float s = 0;
  for (int64_t i = 0; i < len; i++) s += x[i] * x[i];
  return s;
}

napi_value fre_row_sum_squares(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  float *x, *out;
  int64_t xl, ol, m, ld, offset, len;
  double scale;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 7) return throw_type(env, "rowSumSquares: expected (x, m, ld, offset, len, scale, out)");
  if (!get_f32(env, argv[0], "x", &x, &xl) || !get_dim(env, argv[1], "m", 0, &m) ||
      !get_dim(env, argv[2], "ld", 0, &ld) || !get_dim(env, argv[3], "offset", 0, &offset) ||
      !get_dim(env, argv[4], "len", 0, &len) || !get_number(env, argv[5], "scale", &scale) ||
      !get_f32(env, argv[6], "out", &out, &ol)) return NULL;
  if (m > ol || (m > 0 && (len > ld || offset + (m - 1) * ld + len > xl))) return throw_range(env, "rowSumSquares: a buffer is too short");
  for (int64_t r = 0; r < m; r++) out[r] = (float)(scale * sumsq_loop(x + offset + r * ld, len));
  return NULL;
}

/* max |x|: for finite floats the order of |x| is the order of its bit pattern as an unsigned integer,
 * and an integer max vectorises (a float compare-and-select chain does not, without fast-math). */
FRE_CLONES static float absmax_loop(const float *restrict x, int64_t len) {
  uint32_t m = 0;
  for (int64_t i = 0; i < len; i++) {
    uint32_t b;
    memcpy(&b, x + i, sizeof b);
    b &= 0x7fffffffu;
    m = b > m ? b : m;
  }
  float f;
  memcpy(&f, &m, sizeof f);
  return f;
}

/* In double, as the TypeScript: x·inv rounded to float (the scaled input), then the DAC's code (fre_code). */
FRE_CLONES512 static void prep_loop(const float *restrict x, float *restrict xs, int64_t len, double inv, double lo, double hi, double step) {
  if (step > 0) {
    for (int64_t i = 0; i < len; i++) {
      double v = (double)(float)((double)x[i] * inv);
      v = v < lo ? lo : v;
      v = v > hi ? hi : v;
      xs[i] = fre_code(v, lo, step);
    }
  } else {
    for (int64_t i = 0; i < len; i++) xs[i] = (float)((double)x[i] * inv);
  }
}

/* Σ x² with eight partial sums (vectorises without reassociating one chain). */
FRE_CLONES static double sumsq8(const float *restrict x, int64_t len) {
  float acc[8] = {0};
  int64_t i = 0;
  for (; i + 8 <= len; i += 8)
    for (int j = 0; j < 8; j++) acc[j] += x[i + j] * x[i + j];
  double s = 0;
  for (; i < len; i++) s += (double)x[i] * x[i];
  for (int j = 0; j < 8; j++) s += acc[j];
  return s;
}

typedef struct {
  const float *x;
  float *xs, *sc, *nm;
  int64_t n, ldx, x0, len;
  bool absMax;
  double inputScale, lo, hi, step, normK;
} prep_job;

static void prep_block(void *p, int b) {
  const prep_job *J = p;
  const int64_t r1 = J->n * (b + 1) / FRE_BLOCKS, len = J->len;
  for (int64_t r = J->n * b / FRE_BLOCKS; r < r1; r++) {
    const float *row = J->x + r * J->ldx + J->x0;
    float s = 1;
    if (J->absMax) {
      const float m = absmax_loop(row, len);
      s = m > 0 ? m : 1;
    }
    J->sc[r] = s;
    prep_loop(row, J->xs + r * len, len, J->inputScale / (double)s, J->lo, J->hi, J->step);
    if (J->normK > 0) J->nm[r] = (float)(J->normK * sumsq8(J->xs + r * len, len));
  }
}

napi_value fre_read_prep(napi_env env, napi_callback_info info) {
  size_t argc = 14;
  napi_value argv[14];
  float *x, *xs, *sc, *nm;
  int64_t xl, xsl, scl, nml, n, ldx, x0, len;
  double inputScale, lo, hi, step, normK;
  bool absMax;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 14) return throw_type(env, "readPrep: expected (x, n, ldx, x0, len, absMax, inputScale, lo, hi, step, normK, xs, scales, norms)");
  if (!get_f32(env, argv[0], "x", &x, &xl) || !get_dim(env, argv[1], "n", 0, &n) || !get_dim(env, argv[2], "ldx", 0, &ldx) ||
      !get_dim(env, argv[3], "x0", 0, &x0) || !get_dim(env, argv[4], "len", 0, &len) || !get_bool(env, argv[5], "absMax", &absMax) ||
      !get_number(env, argv[6], "inputScale", &inputScale) || !get_number(env, argv[7], "lo", &lo) ||
      !get_number(env, argv[8], "hi", &hi) || !get_number(env, argv[9], "step", &step) || !get_number(env, argv[10], "normK", &normK) ||
      !get_f32(env, argv[11], "xs", &xs, &xsl) || !get_f32(env, argv[12], "scales", &sc, &scl) ||
      !get_f32(env, argv[13], "norms", &nm, &nml)) return NULL;
  if (n > 0 && x0 + (n - 1) * ldx + len > xl) return throw_range(env, "readPrep: x is too short for n rows of ldx");
  if (n * len > xsl || n > scl || (normK > 0 && n > nml)) return throw_range(env, "readPrep: an output buffer is too short");
  prep_job J = {x, xs, sc, nm, n, ldx, x0, len, absMax, inputScale, lo, hi, step, normK};
  run_rows(n * len, prep_block, &J);
  return NULL;
}

FRE_CLONES512 static int64_t convert_scaled_loop(float *restrict p, int64_t n, double fs, double step, float k) {
  int64_t clipped = 0;
  if (fs > 0) {
    for (int64_t i = 0; i < n; i++) {
      double x = p[i];
      clipped += (x < -fs) | (x > fs);
      x = x < -fs ? -fs : (x > fs ? fs : x);
      const float v = step > 0 ? fre_code(x, -fs, step) : (float)x;
      p[i] = v * k;
    }
  } else if (k != 1.0f) {
    for (int64_t i = 0; i < n; i++) p[i] *= k;
  }
  return clipped;
}

typedef struct {
  float *p;
  const float *sc;
  int64_t rows, lines, scl;
  double fs, step, gain;
  int64_t clipped[FRE_BLOCKS];
} conv_job;

static void conv_block(void *q, int b) {
  conv_job *J = q;
  const int64_t r1 = J->rows * (b + 1) / FRE_BLOCKS;
  int64_t clipped = 0;
  for (int64_t r = J->rows * b / FRE_BLOCKS; r < r1; r++) {
    const float k = (float)((J->scl > 0 ? (double)J->sc[r] : 1.0) * J->gain);
    clipped += convert_scaled_loop(J->p + r * J->lines, J->lines, J->fs, J->step, k);
  }
  J->clipped[b] = clipped;
}

napi_value fre_adc_convert_scaled(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7], result;
  float *p, *sc;
  int64_t pl, scl, rows, lines;
  double fs, step, gain;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 7) return throw_type(env, "adcConvertScaled: expected (P, rows, lines, fs, step, scales, gain)");
  if (!get_f32(env, argv[0], "P", &p, &pl) || !get_dim(env, argv[1], "rows", 0, &rows) || !get_dim(env, argv[2], "lines", 0, &lines) ||
      !get_number(env, argv[3], "fs", &fs) || !get_number(env, argv[4], "step", &step) || !get_f32(env, argv[5], "scales", &sc, &scl) ||
      !get_number(env, argv[6], "gain", &gain)) return NULL;
  if (rows * lines > pl || (scl > 0 && scl < rows)) return throw_range(env, "adcConvertScaled: a buffer is too short");
  conv_job J = {p, sc, rows, lines, scl, fs, step, gain, {0}};
  run_rows(rows * lines, conv_block, &J);
  int64_t clipped = 0;
  for (int b = 0; b < FRE_BLOCKS; b++) clipped += J.clipped[b];
  NAPI_CALL(env, napi_create_int64(env, clipped, &result));
  return result;
}


/* adcConvertAccumulate(P, rows, lines, fs, step, scales, gain, out, offset, ld, accGain) → clipped: an
 * AdcConvert and the Accumulate that follows it in one pass (the interpreter fuses the pair when nothing
 * else reads the partial sums in between): per element exactly adcConvertScaled's value v·k, then
 * adcAccumulate's out[offset + r·ld + j] += accGain·(v·k), both in float as those two loops do, so the
 * bytes are theirs; P is left as it was (nothing reads it afterwards). */
FRE_CLONES512 static int64_t convert_acc_loop(const float *restrict p, const float *restrict nz, float *restrict out, int64_t n, double fs,
                                           double step, float k, float g) {
  int64_t clipped = 0;
  if (nz && fs > 0) {
    /* The read's noise (normalVarBegin) first, as addNormalVar would have added it to P. */
    for (int64_t i = 0; i < n; i++) {
      double x = (float)(p[i] + nz[i]);
      clipped += (x < -fs) | (x > fs);
      x = x < -fs ? -fs : (x > fs ? fs : x);
      const float v = step > 0 ? fre_code(x, -fs, step) : (float)x;
      const float q = v * k;
      out[i] += g * q;
    }
    return clipped;
  }
  if (nz) {
    /* No clipping: v·k (k = 1 leaves v as it is, as adcConvertScaled does). */
    for (int64_t i = 0; i < n; i++) {
      const float q = (p[i] + nz[i]) * k;
      out[i] += g * q;
    }
    return 0;
  }
  if (fs > 0) {
    for (int64_t i = 0; i < n; i++) {
      double x = p[i];
      clipped += (x < -fs) | (x > fs);
      x = x < -fs ? -fs : (x > fs ? fs : x);
      const float v = step > 0 ? fre_code(x, -fs, step) : (float)x;
      const float q = v * k;
      out[i] += g * q;
    }
  } else if (k != 1.0f) {
    for (int64_t i = 0; i < n; i++) {
      const float q = p[i] * k;
      out[i] += g * q;
    }
  } else {
    for (int64_t i = 0; i < n; i++) out[i] += g * p[i];
  }
  return clipped;
}

typedef struct {
  const float *p, *nz;
  float *out;
  const float *sc;
  int64_t rows, lines, scl, offset, ld;
  double fs, step, gain, accGain;
  int64_t clipped[FRE_BLOCKS];
  const void *deferred; /* a deferred read noise (fre_noise_deferred) drawn row by row, or NULL */
} conv_acc_job;

static void conv_acc_block(void *q, int b) {
  conv_acc_job *J = q;
  const int64_t r1 = J->rows * (b + 1) / FRE_BLOCKS;
  int64_t clipped = 0;
  for (int64_t r = J->rows * b / FRE_BLOCKS; r < r1; r++) {
    const float k = (float)((J->scl > 0 ? (double)J->sc[r] : 1.0) * J->gain);
    clipped += convert_acc_loop(J->p + r * J->lines, J->nz ? J->nz + r * J->lines : NULL, J->out + J->offset + r * J->ld, J->lines,
                                J->fs, J->step, k, (float)J->accGain);
  }
  J->clipped[b] = clipped;
}

/* A deferred read noise's rows (normalVarDefer), each converted and accumulated as soon as it is drawn. */
typedef struct {
  conv_acc_job *J;
  int64_t clipped;
} conv_acc_row_ctx;

static void conv_acc_row(void *q, int64_t r, const float *row) {
  conv_acc_row_ctx *C = q;
  const conv_acc_job *J = C->J;
  const float k = (float)((J->scl > 0 ? (double)J->sc[r] : 1.0) * J->gain);
  C->clipped += convert_acc_loop(row, NULL, J->out + J->offset + r * J->ld, J->lines, J->fs, J->step, k, (float)J->accGain);
}

static void conv_acc_deferred_block(void *q, int b) {
  conv_acc_job *J = q;
  static _Thread_local float *row = NULL;
  static _Thread_local int64_t rowLen = 0;
  if (rowLen < J->lines) {
    float *grown = realloc(row, (size_t)J->lines * sizeof(float));
    if (!grown) abort(); /* a few kB; nothing sensible is left to do without them */
    row = grown;
    rowLen = J->lines;
  }
  conv_acc_row_ctx C = {J, 0};
  fre_noise_deferred_rows(J->deferred, b, J->p, row, conv_acc_row, &C);
  J->clipped[b] = C.clipped;
}

static napi_value adc_convert_accumulate(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12], result;
  float *p, *sc, *out, *nz = NULL;
  int64_t pl, scl, ol, rows, lines, offset, ld, nzl = 0;
  double fs, step, gain, accGain;
  /* A started normalVarBegin (its noise, or buffers it reads) is finished first, before any argument
   * check can throw: the caller has let go of the job by now, so an exception must not leave it running. */
  fre_pool_finish();
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 11 && argc != 12)
    return throw_type(env, "adcConvertAccumulate: expected (P, rows, lines, fs, step, scales, gain, out, offset, ld, accGain[, noise])");
  if (!get_f32(env, argv[0], "P", &p, &pl) || !get_dim(env, argv[1], "rows", 0, &rows) || !get_dim(env, argv[2], "lines", 0, &lines) ||
      !get_number(env, argv[3], "fs", &fs) || !get_number(env, argv[4], "step", &step) || !get_f32(env, argv[5], "scales", &sc, &scl) ||
      !get_number(env, argv[6], "gain", &gain) || !get_f32(env, argv[7], "out", &out, &ol) || !get_dim(env, argv[8], "offset", 0, &offset) ||
      !get_dim(env, argv[9], "ld", 0, &ld) || !get_number(env, argv[10], "accGain", &accGain)) return NULL;
  if (argc == 12 && !get_f32(env, argv[11], "noise", &nz, &nzl)) return NULL;
  if (nzl == 0) nz = NULL;
  if (rows * lines > pl || (scl > 0 && scl < rows) || (nz && rows * lines > nzl))
    return throw_range(env, "adcConvertAccumulate: P, scales or noise is too short");
  if (rows > 0 && (lines > ld || offset + (rows - 1) * ld + lines > ol))
    return throw_range(env, "adcConvertAccumulate: out is too short for offset, ld and rows");
  conv_acc_job J = {p, nz, out, sc, rows, lines, scl, offset, ld, fs, step, gain, accGain, {0}, NULL};
  if ((J.deferred = fre_noise_deferred(nz, rows, lines))) {
    /* The deferred read noise (normalVarDefer) drawn row by row into a copy of the row (P stays as it was),
     * each row converted and accumulated while in L1: the values P + noise of addNormalVar in place, then
     * the loop below without noise (P[i] + σ·z rounds as in place, since noise[i] = 0 + σ·z is σ·z). */
    J.nz = NULL;
    run_rows(rows * lines, conv_acc_deferred_block, &J);
  } else run_rows(rows * lines, conv_acc_block, &J);
  int64_t clipped = 0;
  for (int b = 0; b < FRE_BLOCKS; b++) clipped += J.clipped[b];
  NAPI_CALL(env, napi_create_int64(env, clipped, &result));
  return result;
}

napi_value fre_adc_convert_accumulate(napi_env env, napi_callback_info info) {
  napi_value r = adc_convert_accumulate(env, info);
  /* A deferred read noise is this call's to add (ChipArrays.convertAccumulate settles any other first): none is
   * left pending after it, whether it was added or an argument check threw. */
  fre_noise_deferred_done();
  return r;
}

/* squareRows(x, m, ld, offset, len, out): out[r·len + i] = x[offset + r·ld + i]², i < len (the inputs'
 * squares that weigh each device's read-noise variance when it is relative to the target conductance). */
FRE_CLONES512 static void square_loop(const float *restrict x, float *restrict out, int64_t len) {
  for (int64_t i = 0; i < len; i++) out[i] = x[i] * x[i];
}

napi_value fre_square_rows(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  float *x, *out;
  int64_t xl, ol, m, ld, offset, len;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 6) return throw_type(env, "squareRows: expected (x, m, ld, offset, len, out)");
  if (!get_f32(env, argv[0], "x", &x, &xl) || !get_dim(env, argv[1], "m", 0, &m) || !get_dim(env, argv[2], "ld", 0, &ld) ||
      !get_dim(env, argv[3], "offset", 0, &offset) || !get_dim(env, argv[4], "len", 0, &len) || !get_f32(env, argv[5], "out", &out, &ol)) return NULL;
  if (m * len > ol || (m > 0 && offset + (m - 1) * ld + len > xl)) return throw_range(env, "squareRows: a buffer is too short");
  for (int64_t r = 0; r < m; r++) square_loop(x + offset + r * ld, out + r * len, len);
  return NULL;
}

/*
 * readBatch(state, bufs, nums, count, prepBufs, prepNums, prepCount): the array reads of one iteration that do not depend on each
 * other, run side by side, each on one thread (the pool's workers and the caller claim whole reads):
 * per read its GEMM (one BLAS thread each), its read noise, and its ADC conversion with the digital
 * rescale, into its own partial-sum buffer — ChipArrays.read then convertAndRescale with the same
 * float operations, so the bytes are the sequential path's for any thread count. The keys of the reads'
 * noise are taken from the chip's stream here, in read order, as the sequential reads take them; the
 * accumulation into the drives stays with the caller, in program order.
 *   bufs[5t …]: x (the prepared input), W (the read weights), P (out, [n × oLen]), rowVar (empty: none,
 *   or computed here when normK > 0), scales (empty: 1).
 *   nums[READ_NUMS·t …]: n, ld, off, iLen, oLen, transposed, w0, ldw, alpha, noise (0/1), normK,
 *   constVar, fs, step, gain, then the clipped count written back.
 *   First the reads' input preparations (readPrep's passes, its blocks, on the same threads): prepBufs[4k …]
 *   x, xs, scales, norms; prepNums[10k …] n, ldx, x0, len, absMax, inputScale, lo, hi, step, normK.
 */
#include <sched.h>
#include <stdatomic.h>
#include <cblas.h>
int openblas_get_num_threads(void);
#pragma weak openblas_get_num_threads
#include "noise.h"
#include "rng.h"

#define READ_NUMS 16
#define READ_MAX 256

typedef struct {
  const float *x, *w, *sc;
  float *p, *rv;
  int64_t n, ld, off, iLen, oLen, w0, ldw, rl, scl;
  int transposed, noise;
  double alpha, normK, cv, fs, step, gain;
  uint64_t key;
  int64_t clipped;
} read_tile;

/* One whole read (block b of the batch is read b). */
static void read_block(void *q, int b) {
  read_tile *T = (read_tile *)q + b;
  const int64_t n = T->n, oLen = T->oLen, iLen = T->iLen;
  const float *x = T->x + T->off;
  /* An all-zero input (a state that has not moved, through a float DAC) fills +0, as OpenBLAS returns
   * (ChipArrays.gemmOrZero); otherwise the β = 0 GEMM writes P itself, as Sgemm's (blas.c), which clears C
   * first only for a BLAS that reads it (fre_blas_overwrites_c, probed before the batch runs). */
  int zero = 1;
  for (int64_t r = 0; r < n && zero; r++)
    for (int64_t i = 0; i < iLen; i++)
      if (x[r * T->ld + i] != 0) {
        zero = 0;
        break;
      }
  if (zero || !fre_blas_overwrites_c()) memset(T->p, 0, (size_t)(n * oLen) * sizeof(float));
  if (!zero)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, T->transposed ? CblasNoTrans : CblasTrans, (int)n, (int)oLen, (int)iLen, (float)T->alpha, x,
                (int)T->ld, T->w + T->w0, (int)T->ldw, 0.0f, T->p, (int)oLen);
  if (T->noise) {
    /* Per-row variances k·Σ x² when the read did not bring them (rowSumSquares' loop and rounding). */
    if (T->normK > 0)
      for (int64_t r = 0; r < n; r++) T->rv[r] = (float)(T->normK * sumsq_loop(x + r * T->ld, iLen));
    fre_read_noise(T->p, T->rv, T->rl, n, oLen, T->cv, T->key);
  }
  conv_job J = {T->p, T->sc, n, oLen, T->scl, T->fs, T->step, T->gain, {0}};
  int64_t clipped = 0;
  for (int k = 0; k < FRE_BLOCKS; k++) {
    conv_block(&J, k);
    clipped += J.clipped[k];
  }
  T->clipped = clipped;
}

/* A Float64Array argument (readBatch's nums). */
static bool get_f64(napi_env env, napi_value v, const char *msg, double **data, int64_t *len) {
  bool is_ta = false;
  napi_typedarray_type type;
  size_t length = 0;
  void *ptr = NULL;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta || napi_get_typedarray_info(env, v, &type, &length, &ptr, NULL, NULL) != napi_ok ||
      type != napi_float64_array) {
    throw_type(env, msg);
    return false;
  }
  *data = ptr;
  *len = (int64_t)length;
  return true;
}

/* An array of at least `want` elements (readBatch's bufs). */
static bool get_array(napi_env env, napi_value v, int64_t want, const char *type_msg, const char *len_msg) {
  uint32_t blen = 0;
  bool is_arr = false;
  if (napi_is_array(env, v, &is_arr) != napi_ok || !is_arr || napi_get_array_length(env, v, &blen) != napi_ok) {
    throw_type(env, type_msg);
    return false;
  }
  if ((int64_t)blen < want) {
    throw_range(env, len_msg);
    return false;
  }
  return true;
}

/* The batch's work: first the input preparations' row blocks (readPrep's blocks), then whole reads, each
 * waiting until every preparation is done (the preparations are claimed first, so a read waits at most for
 * the blocks other threads are finishing). */
typedef struct {
  read_tile *t;
  prep_job *p;
  int preps;
  atomic_int prepped;
} read_batch_job;

static void read_item(void *q, int b) {
  read_batch_job *B = q;
  const int pb = B->preps * FRE_BLOCKS;
  if (b < pb) {
    prep_block(&B->p[b / FRE_BLOCKS], b % FRE_BLOCKS);
    atomic_fetch_add_explicit(&B->prepped, 1, memory_order_release);
    return;
  }
  while (atomic_load_explicit(&B->prepped, memory_order_acquire) < pb) sched_yield();
  read_block(B->t, b - pb);
}

napi_value fre_read_batch(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  int64_t count, nl, pcount, pnl;
  double *nums, *pnums;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 7) return throw_type(env, "readBatch: expected (state, bufs, nums, count, prepBufs, prepNums, prepCount)");
  if (!get_dim(env, argv[3], "count", 0, &count) || !get_dim(env, argv[6], "prepCount", 0, &pcount)) return NULL;
  if (count > READ_MAX || pcount > READ_MAX) return throw_range(env, "readBatch: at most 256 reads and 256 preparations per batch");
  if (!get_f64(env, argv[2], "readBatch: nums must be a Float64Array", &nums, &nl) ||
      !get_f64(env, argv[5], "readBatch: prepNums must be a Float64Array", &pnums, &pnl))
    return NULL;
  if (nl < count * READ_NUMS) return throw_range(env, "readBatch: nums is shorter than 16 per read");
  if (pnl < pcount * 10) return throw_range(env, "readBatch: prepNums is shorter than 10 per preparation");
  if (!get_array(env, argv[1], 5 * count, "readBatch: bufs must be an array", "readBatch: bufs is shorter than 5 per read") ||
      !get_array(env, argv[4], 4 * pcount, "readBatch: prepBufs must be an array", "readBatch: prepBufs is shorter than 4 per preparation"))
    return NULL;
  /* Per calling thread (the pool's workers read them through pointers while this call lasts). */
  static _Thread_local prep_job Pj[READ_MAX];
  for (int64_t k = 0; k < pcount; k++) {
    float *f[4];
    int64_t len[4];
    static const char *names[4] = {"x", "xs", "scales", "norms"};
    for (int i = 0; i < 4; i++) {
      napi_value v;
      NAPI_CALL(env, napi_get_element(env, argv[4], (uint32_t)(4 * k + i), &v));
      if (!get_f32(env, v, names[i], &f[i], &len[i])) return NULL;
    }
    const double *d = pnums + 10 * k;
    for (int i = 0; i < 4; i++) /* the range first: casting a double outside int64_t's is undefined */
      if (!(d[i] >= 0 && d[i] < 2147483648.0 && d[i] == (double)(int64_t)d[i]))
        return throw_range(env, "readBatch: a preparation's size is not a non-negative integer");
    const int64_t n = (int64_t)d[0], ldx = (int64_t)d[1], x0 = (int64_t)d[2], plen = (int64_t)d[3];
    if (n > 0 && x0 + (n - 1) * ldx + plen > len[0]) return throw_range(env, "readBatch: a preparation's x is too short for n rows of ldx");
    if (n * plen > len[1] || n > len[2] || (d[9] > 0 && n > len[3])) return throw_range(env, "readBatch: a preparation's output buffer is too short");
    Pj[k] = (prep_job){f[0], f[1], f[2], f[3], n, ldx, x0, plen, d[4] != 0, d[5], d[6], d[7], d[8], d[9]};
  }
  static _Thread_local read_tile T[READ_MAX];
  int noisy = 0;
  for (int64_t t = 0; t < count; t++) {
    float *f[5];
    int64_t len[5];
    static const char *names[5] = {"x", "W", "P", "rowVar", "scales"};
    for (int k = 0; k < 5; k++) {
      napi_value v;
      NAPI_CALL(env, napi_get_element(env, argv[1], (uint32_t)(5 * t + k), &v));
      if (!get_f32(env, v, names[k], &f[k], &len[k])) return NULL;
    }
    const double *d = nums + READ_NUMS * t;
    for (int k = 0; k < 8; k++)
      if (!(d[k] >= 0 && d[k] == (double)(int64_t)d[k] && d[k] < 2147483648.0)) return throw_range(env, "readBatch: a size is not a non-negative integer");
    read_tile *R = &T[t];
    *R = (read_tile){f[0], f[1], f[4], f[2], f[3], (int64_t)d[0], (int64_t)d[1], (int64_t)d[2], (int64_t)d[3], (int64_t)d[4], (int64_t)d[6],
                     (int64_t)d[7], len[3], len[4], d[5] != 0, d[9] != 0, d[8], d[10], d[11], d[12], d[13], d[14], 0, 0};
    const int64_t n = R->n, iLen = R->iLen, oLen = R->oLen;
    if (iLen < 1 || oLen < 1 || iLen > R->ld) return throw_range(env, "readBatch: iLen and oLen must be ≥ 1, iLen ≤ ld");
    if (n > 0 && R->off + (n - 1) * R->ld + iLen > len[0]) return throw_range(env, "readBatch: x is too short for n rows of ld");
    const int64_t wr = R->transposed ? iLen : oLen, wc = R->transposed ? oLen : iLen;
    if (wc > R->ldw || R->w0 + (wr - 1) * R->ldw + wc > len[1]) return throw_range(env, "readBatch: W is too short for the tile");
    if (n * oLen > len[2]) return throw_range(env, "readBatch: P is shorter than n·oLen");
    if ((R->rl > 0 && R->rl < n) || (R->normK > 0 && R->rl < n)) return throw_range(env, "readBatch: rowVar is too short");
    if (R->scl > 0 && R->scl < n) return throw_range(env, "readBatch: scales is too short");
    noisy |= R->noise;
  }
  if (noisy) {
    xoshiro g;
    uint32_t *raw;
    if (!fre_get_state(env, argv[0], &g, &raw)) return NULL;
    fre_normals_ready();
    /* No key for a read of no rows: addNormalVar takes none when m·cols is 0 (the sequential read's draw). */
    for (int64_t t = 0; t < count; t++)
      if (T[t].noise && T[t].n > 0) T[t].key = next64(&g);
    fre_put_state(&g, raw);
  }
  /* Whole reads on the chip threads, each GEMM on one BLAS thread. Only when OpenBLAS runs one thread
   * anyway: its threaded sgemm does not always give the single-threaded bytes, so running the batch's
   * GEMMs on one BLAS thread each while the sequential reads use several would make the results depend on
   * the chip threads. With several BLAS threads (or a BLAS that does not say) the reads run here, in
   * order, each GEMM as the sequential read calls it (ChipArrays.batching does not queue them then). */
  const int blas = openblas_get_num_threads != NULL ? openblas_get_num_threads() : -1;
  fre_blas_overwrites_c(); /* probed here, on this thread, before the workers ask */
  static _Thread_local read_batch_job B;
  B.t = T;
  B.p = Pj;
  B.preps = (int)pcount;
  atomic_store_explicit(&B.prepped, 0, memory_order_relaxed);
  const int items = (int)(pcount * FRE_BLOCKS + count);
  if (items >= 2 && chip_threads() > 1 && blas == 1) fre_pool_run(items, read_item, &B);
  else
    for (int b = 0; b < items; b++) read_item(&B, b);
  for (int64_t t = 0; t < count; t++) nums[READ_NUMS * t + 15] = (double)T[t].clipped;
  return NULL;
}

/* chipThreads(): the chip threads now (FRE_CHIP_THREADS / setChipThreads). */
napi_value fre_chip_threads(napi_env env, napi_callback_info info) {
  napi_value result;
  NAPI_CALL(env, napi_create_int32(env, chip_threads(), &result));
  return result;
}

/*
 * neuronUpdate(kind, h, s, n, pre, lo, hi, step, clear): the neuron unit's exact activation, element-wise
 * on the chip threads — s = ρ(h) (activate's loop), pre = s when pre is not empty (the value before the
 * state register), s = the state register's quantisation of s when step > 0 (quantize's loop), and h = 0
 * when clear (the drive, consumed). Every element is computed as those calls compute it, so the bytes are
 * the same for any thread count and any split.
 */
/* quantize_loop's values in place (the same expression; no restrict: source and destination are one). */
FRE_CLONES512 static void quantize_inplace_loop(float *s, int64_t n, double lo, double hi, double step) {
  for (int64_t i = 0; i < n; i++) {
    const double x = s[i];
    const double v = x < lo ? lo : (x > hi ? hi : x);
    s[i] = fre_code(v, lo, step);
  }
}

typedef struct {
  int kind;
  float *h, *s, *pre;
  int64_t n;
  double lo, hi, step;
  bool clear;
  const float *held; /* heldNeuronUpdate: h += held first (adcAccumulate's gain-1 add), or NULL */
} neuron_job;

/* The four steps run on pieces of NEURON_PIECE elements, each piece's through all four while its h and s are
 * in L1 (a block of a 500 × 512 update is 128 kB, beyond it: four passes over a block went to L2/L3). */
#define NEURON_PIECE 1024
static void neuron_block(void *q, int b) {
  const neuron_job *J = q;
  const int64_t i0 = J->n * b / FRE_BLOCKS, i1 = J->n * (b + 1) / FRE_BLOCKS;
  for (int64_t p = i0; p < i1; p += NEURON_PIECE) {
    const int64_t len = i1 - p < NEURON_PIECE ? i1 - p : NEURON_PIECE;
    if (J->held) adc_loop((float *)J->held + p, J->h + p, len, 1.0f, 0.0f, 0.0f);
    fre_activate_loop(J->kind, J->h + p, J->s + p, len);
    if (J->pre) memcpy(J->pre + p, J->s + p, (size_t)len * sizeof(float));
    if (J->step > 0) quantize_inplace_loop(J->s + p, len, J->lo, J->hi, J->step);
    if (J->clear) memset(J->h + p, 0, (size_t)len * sizeof(float));
  }
}

/* heldNeuronUpdate(kind, h, s, n, pre, lo, hi, step, clear, held): the held drive's Accumulate (h += held, as
 * adcAccumulate(held, 1, n, h, 0, n, 1, 0, 0) adds it) and then neuronUpdate, per piece while h is in L1; the
 * interpreter folds an Accumulate of a held drive into the NeuronUpdate that follows it (its own name, so an
 * older build, which would ignore a tenth argument, is never asked). */
static napi_value neuron_update(napi_env env, napi_callback_info info, bool withHeld) {
  size_t argc = 10;
  napi_value argv[10];
  float *h, *s, *pre, *held = NULL;
  int64_t hl, sl, pl, n, heldl = 0;
  double kind, lo, hi, step;
  bool clear;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (withHeld && argc != 10) return throw_type(env, "heldNeuronUpdate: expected (kind, h, s, n, pre, lo, hi, step, clear, held)");
  if (!withHeld && argc != 9) return throw_type(env, "neuronUpdate: expected (kind, h, s, n, pre, lo, hi, step, clear)");
  if (withHeld && !get_f32(env, argv[9], "held", &held, &heldl)) return NULL;
  if (!get_number(env, argv[0], "kind", &kind) || !get_f32(env, argv[1], "h", &h, &hl) || !get_f32(env, argv[2], "s", &s, &sl) ||
      !get_dim(env, argv[3], "n", 0, &n) || !get_f32(env, argv[4], "pre", &pre, &pl) || !get_number(env, argv[5], "lo", &lo) ||
      !get_number(env, argv[6], "hi", &hi) || !get_number(env, argv[7], "step", &step) || !get_bool(env, argv[8], "clear", &clear))
    return NULL;
  if (!(kind == 0 || kind == 1 || kind == 2)) return throw_range(env, "neuronUpdate: kind must be 0 (tanh), 1 (hard-sigmoid) or 2 (sigmoid)");
  if (n > hl || n > sl || (pl > 0 && n > pl) || (held && n > heldl)) return throw_range(env, "neuronUpdate: n exceeds a buffer's length");
  if (h == s) return throw_range(env, "neuronUpdate: h and s must be different buffers");
  if (held && (held == h || held == s)) return throw_range(env, "heldNeuronUpdate: held must be a buffer of its own");
  neuron_job J = {(int)kind, h, s, pl > 0 ? pre : NULL, n, lo, hi, step, clear, held};
  run_rows(n, neuron_block, &J);
  return NULL;
}

napi_value fre_neuron_update(napi_env env, napi_callback_info info) { return neuron_update(env, info, false); }
napi_value fre_held_neuron_update(napi_env env, napi_callback_info info) { return neuron_update(env, info, true); }

/*
 * addRowBias(out, bias, m, R, per, scale): out[(b·R + r)·per + q] += scale·bias[r] for b < m, r < R, q < per
 * — simulator/engine/edge-ops.ts addRowBias, whose JavaScript forms v = scale·bias[r] and the sum in double
 * and rounds the sum to float: the same here, so the bytes are its. Rows (samples) split over the chip threads.
 */
typedef struct {
  float *out;
  const float *bias;
  int64_t m, R, per;
  double scale;
} bias_job;

FRE_CLONES512 static void bias_rows(float *restrict out, const float *restrict bias, int64_t R, int64_t per, double scale) {
  if (per == 1) {
    for (int64_t r = 0; r < R; r++) out[r] = (float)((double)out[r] + scale * (double)bias[r]);
    return;
  }
  for (int64_t r = 0; r < R; r++) {
    const double v = scale * (double)bias[r];
    for (int64_t q = 0; q < per; q++) out[r * per + q] = (float)((double)out[r * per + q] + v);
  }
}

static void bias_block(void *q, int b) {
  const bias_job *J = q;
  const int64_t row = J->R * J->per;
  for (int64_t s = J->m * b / FRE_BLOCKS; s < J->m * (b + 1) / FRE_BLOCKS; s++) bias_rows(J->out + s * row, J->bias, J->R, J->per, J->scale);
}

napi_value fre_add_row_bias(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  float *out, *bias;
  int64_t ol, bl, m, R, per;
  double scale;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 6) return throw_type(env, "addRowBias: expected (out, bias, m, R, per, scale)");
  if (!get_f32(env, argv[0], "out", &out, &ol) || !get_f32(env, argv[1], "bias", &bias, &bl) || !get_dim(env, argv[2], "m", 0, &m) ||
      !get_dim(env, argv[3], "R", 0, &R) || !get_dim(env, argv[4], "per", 0, &per) || !get_number(env, argv[5], "scale", &scale))
    return NULL;
  if (R > bl || m * R * per > ol) return throw_range(env, "addRowBias: bias shorter than R, or out shorter than m·R·per");
  bias_job J = {out, bias, m, R, per, scale};
  run_rows(m * R * per, bias_block, &J);
  return NULL;
}

/*
 * accumulateBatch(bufs, nums, count): a run's Accumulates (and the bias adds after them) in program order, the
 * samples split over the chip threads. Entry e is bufs[2e] (src) and bufs[2e + 1] (out), nums[6e..6e + 5] =
 * [kind, m, lines, offset, ld, gain]:
 *   kind 0: out[offset + r·ld + j] += gain·src[r·lines + j] for r < m, j < lines — adcAccumulate with fs 0,
 *           step 0 (adc_loop, the same bytes);
 *   kind 1: out[r·lines + j] += gain·src[j] in double, rounded to float — addRowBias with per 1 (bias_rows).
 * Each element of an out sees the entries that touch it in the order given, whichever thread runs its sample,
 * so the sums are the floats of the ops one by one. Why: the Accumulates after a run of reads ran one by one
 * on the calling thread while the other chip thread waited (≈ 5 % of a reram epoch's wall on two cores).
 */
#define ACC_NUMS 6
typedef struct {
  const float *src;
  float *out;
  int kind;
  int64_t m, lines, offset, ld;
  double gain;
} acc_entry;

typedef struct {
  const acc_entry *e;
  int64_t count, m;
} acc_job;

static void acc_block(void *q, int b) {
  const acc_job *J = q;
  const int64_t r0 = J->m * b / FRE_BLOCKS, r1 = J->m * (b + 1) / FRE_BLOCKS;
  for (int64_t k = 0; k < J->count; k++) {
    const acc_entry *E = &J->e[k];
    const int64_t e1 = r1 < E->m ? r1 : E->m;
    if (E->kind == 0)
      for (int64_t r = r0; r < e1; r++) adc_loop((float *)E->src + r * E->lines, E->out + E->offset + r * E->ld, E->lines, (float)E->gain, 0, 0);
    else
      for (int64_t r = r0; r < e1; r++) bias_rows(E->out + r * E->lines, E->src, E->lines, 1, E->gain);
  }
}

napi_value fre_accumulate_batch(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int64_t count, nl;
  double *nums;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 3) return throw_type(env, "accumulateBatch: expected (bufs, nums, count)");
  if (!get_dim(env, argv[2], "count", 0, &count)) return NULL;
  if (count > READ_MAX) return throw_range(env, "accumulateBatch: at most 256 entries");
  if (!get_f64(env, argv[1], "accumulateBatch: nums must be a Float64Array", &nums, &nl)) return NULL;
  if (nl < count * ACC_NUMS) return throw_range(env, "accumulateBatch: nums is shorter than 6 per entry");
  if (!get_array(env, argv[0], 2 * count, "accumulateBatch: bufs must be an array", "accumulateBatch: bufs is shorter than 2 per entry")) return NULL;
  static _Thread_local acc_entry E[READ_MAX];
  int64_t m = 0, elems = 0;
  for (int64_t k = 0; k < count; k++) {
    float *f[2];
    int64_t len[2];
    static const char *names[2] = {"src", "out"};
    for (int i = 0; i < 2; i++) {
      napi_value v;
      NAPI_CALL(env, napi_get_element(env, argv[0], (uint32_t)(2 * k + i), &v));
      if (!get_f32(env, v, names[i], &f[i], &len[i])) return NULL;
    }
    const double *d = nums + ACC_NUMS * k;
    for (int i = 0; i < 5; i++) /* the range first: casting a double outside int64_t's is undefined */
      if (!(d[i] >= 0 && d[i] < 2147483648.0 && d[i] == (double)(int64_t)d[i])) return throw_range(env, "accumulateBatch: a size is not a non-negative integer");
    const int kind = (int)d[0];
    const int64_t em = (int64_t)d[1], lines = (int64_t)d[2], off = (int64_t)d[3], ld = (int64_t)d[4];
    if (kind == 0) {
      if (em * lines > len[0]) return throw_range(env, "accumulateBatch: src is shorter than m·lines");
      if (em > 0 && (lines > ld || off + (em - 1) * ld + lines > len[1])) return throw_range(env, "accumulateBatch: out is too short for offset, ld and m rows");
      /* Sample r's adds stay in row r (out + r·ld): the samples run on different threads. */
      if (em > 0 && lines > 0 && off + lines > ld) return throw_range(env, "accumulateBatch: offset + lines exceeds ld (a sample's adds would reach the next sample's row)");
    } else if (kind == 1) {
      if (lines > len[0] || em * lines > len[1] || off != 0) return throw_range(env, "accumulateBatch: bias shorter than lines, or out shorter than m·lines");
    } else
      return throw_range(env, "accumulateBatch: kind must be 0 (add) or 1 (bias)");
    E[k] = (acc_entry){f[0], f[1], kind, em, lines, off, ld, d[5]};
    if (em > m) m = em;
    elems += em * lines;
  }
  /* Every element written must belong to one sample's row of each entry writing it, and no entry may read what
   * another writes (a thread would add into, or read, another thread's sample): entries whose outputs overlap
   * write through one view with one row stride (ld; a bias add: lines), and no source overlaps an output but row
   * for row. */
  for (int64_t k = 0; k < count; k++) {
    const acc_entry *a = &E[k];
    if (a->m == 0 || a->lines == 0) continue;
    const int64_t sa = a->kind == 0 ? a->ld : a->lines;
    /* Byte ranges as integers (a row of stride ld may reach past the buffer's end: no pointer is formed there). */
    const uintptr_t a0 = (uintptr_t)a->out, a1 = a0 + (uintptr_t)(a->m * sa) * sizeof(float);
    for (int64_t j = 0; j < count; j++) {
      const acc_entry *b = &E[j];
      if (b->m == 0 || b->lines == 0) continue;
      const uintptr_t s0 = (uintptr_t)b->src, s1 = s0 + (uintptr_t)(b->kind == 0 ? b->m * b->lines : b->lines) * sizeof(float);
      /* Allowed only row for row (an add's source the very rows of an output of its stride: each sample reads
       * its own row, e.g. out += gain·out in place). */
      const bool rowForRow = b->kind == 0 && (const float *)b->src == a->out && b->lines == sa;
      if (s0 < a1 && a0 < s1 && !rowForRow) return throw_range(env, "accumulateBatch: an entry reads what an entry writes");
      if (j <= k) continue;
      const int64_t sb = b->kind == 0 ? b->ld : b->lines;
      const uintptr_t b0 = (uintptr_t)b->out, b1 = b0 + (uintptr_t)(b->m * sb) * sizeof(float);
      if (b0 < a1 && a0 < b1 && (b->out != a->out || sb != sa))
        return throw_range(env, "accumulateBatch: entries writing one buffer must use one view of it and one row stride");
    }
  }
  acc_job J = {E, count, m};
  run_rows(elems, acc_block, &J);
  return NULL;
}
