/*
 * im2row / row2im for the conv edges (simulator/conv/im2row.ts holds the reference TypeScript
 * versions and the layout): the per-element JS loops took half of a conv EP step; here the
 * k-long kernel rows are contiguous copies.
 *
 *   im2row(x, patches, m, C, H, W, k, stride, pad):
 *       patches[(b·OH·OW + oy·OW + ox)·C·k·k + (c·k + ky)·k + kx] = x[b, c, oy·s − p + ky, ox·s − p + kx]
 *       (0 in the padding)
 *   row2im(patches, x, m, C, H, W, k, stride, pad):  x += the adjoint (accumulates)
 */
#include <string.h>
#include "napi_args.h"
#include "conv.h"

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

static void im2row_loop(const float *restrict x, float *restrict out, const geom_t *g) {
  const int64_t C = g->C, H = g->H, W = g->W, k = g->k, s = g->s, p = g->p;
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
            if (iy < 0 || iy >= H) { memset(o, 0, (size_t)k * sizeof(float)); continue; }
            const float *row = xc + iy * W;
            if (inside) { memcpy(o, row + x0, (size_t)k * sizeof(float)); continue; }
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

static void row2im_loop(const float *restrict in, float *restrict x, const geom_t *g) {
  const int64_t C = g->C, H = g->H, W = g->W, k = g->k, s = g->s, p = g->p;
  const float *o = in;
  for (int64_t b = 0; b < g->m; b++) {
    float *xb = x + b * C * H * W;
    for (int64_t oy = 0; oy < g->OH; oy++) {
      for (int64_t ox = 0; ox < g->OW; ox++) {
        const int64_t x0 = ox * s - p;
        const int inside = x0 >= 0 && x0 + k <= W;
        for (int64_t c = 0; c < C; c++) {
          float *xc = xb + c * H * W;
          for (int64_t ky = 0; ky < k; ky++, o += k) {
            const int64_t iy = oy * s - p + ky;
            if (iy < 0 || iy >= H) continue;
            float *row = xc + iy * W;
            if (inside) {
              float *r = row + x0;
              for (int64_t kx = 0; kx < k; kx++) r[kx] += o[kx];
              continue;
            }
            for (int64_t kx = 0; kx < k; kx++) {
              const int64_t ix = x0 + kx;
              if (ix >= 0 && ix < W) row[ix] += o[kx];
            }
          }
        }
      }
    }
  }
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
  if (which == 0) im2row_loop(src, dst, &g);
  else row2im_loop(src, dst, &g);
  return NULL;
}

napi_value fre_im2row(napi_env env, napi_callback_info info) { return run(env, info, 0); }
napi_value fre_row2im(napi_env env, napi_callback_info info) { return run(env, info, 1); }
