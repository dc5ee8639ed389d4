/*
 * In-situ pulsed writes of simulator/chip/devices.ts (commitPulsed there is the reference): for
 * every cell whose requested weight differs from what the devices hold, the pulse count
 * k = Δw/(w_max·dw_min) (per weight unit: ×½ for an offset-column cell) rounded stochastically or
 * to nearest, capped at ±pulsesPerUpdate; each pulse moves u_eff by dw_min·(1 ± asymmetry), shrunk
 * by soft bounds (1 ∓ u_eff), plus cycle-to-cycle noise √|k|·c2c·dw_min·N(0,1); u_eff clipped to
 * [−1, 1]. Frozen (stuck) cells keep their value. Random draws only for cells that change.
 *
 *   pulsedCommit(state, W, held, uPlus, uMinus, frozen, n, wMax, dwMin, c2c, asym, softBounds,
 *                maxPulses, stochastic) → pulses applied
 * uMinus of length 0 = offset-column cells (u_eff = 2u − 1).
 */
#include <math.h>
#include "napi_args.h"
#include "rng.h"
#include "devices.h"

static bool get_u8(napi_env env, napi_value v, const char *name, uint8_t **data, int64_t *len) {
  bool is_ta = false;
  napi_typedarray_type type;
  size_t length = 0;
  void *ptr = NULL;
  char msg[128];
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &type, &length, &ptr, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    snprintf(msg, sizeof msg, "%s must be a Uint8Array", name);
    throw_type(env, msg);
    return false;
  }
  *data = (uint8_t *)ptr;
  *len = (int64_t)length;
  return true;
}

napi_value fre_pulsed_commit(napi_env env, napi_callback_info info) {
  size_t argc = 14;
  napi_value argv[14], result;
  xoshiro g;
  uint32_t *raw;
  float *w, *held, *up, *um;
  uint8_t *frozen;
  int64_t wl, hl, ul, ml, fl, n;
  double wmax, dw, c2c, asym, maxp;
  bool soft, stochastic;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 14) return throw_type(env, "pulsedCommit: expected 14 arguments");
  if (!fre_get_state(env, argv[0], &g, &raw) || !get_f32(env, argv[1], "W", &w, &wl) ||
      !get_f32(env, argv[2], "held", &held, &hl) || !get_f32(env, argv[3], "uPlus", &up, &ul) ||
      !get_f32(env, argv[4], "uMinus", &um, &ml) || !get_u8(env, argv[5], "frozen", &frozen, &fl) ||
      !get_dim(env, argv[6], "n", 0, &n) || !get_number(env, argv[7], "wMax", &wmax) ||
      !get_number(env, argv[8], "dwMin", &dw) || !get_number(env, argv[9], "c2c", &c2c) ||
      !get_number(env, argv[10], "asym", &asym) || !get_bool(env, argv[11], "softBounds", &soft) ||
      !get_number(env, argv[12], "maxPulses", &maxp) || !get_bool(env, argv[13], "stochastic", &stochastic)) return NULL;
  const bool diff = ml > 0;
  if (n > wl || n > hl || n > ul || n > fl || (diff && n > ml)) return throw_range(env, "pulsedCommit: n exceeds a buffer's length");
  if (!(wmax > 0) || !(dw > 0)) return throw_range(env, "pulsedCommit: wMax and dwMin must be > 0");
  double pulses = 0;
  const double per = diff ? 1.0 : 0.5;
  for (int64_t i = 0; i < n; i++) {
    if (frozen[i] || w[i] == held[i]) continue;
    const double ueff = diff ? (double)up[i] - (double)um[i] : 2.0 * (double)up[i] - 1.0;
    const double want = ((double)w[i] - (double)held[i]) / wmax * per / dw;
    double k;
    if (stochastic) {
      const double fl0 = floor(want);
      k = fl0 + (fre_uniform01(&g) < want - fl0 ? 1.0 : 0.0);
    } else {
      k = floor(want + 0.5);
    }
    if (k > maxp) k = maxp;
    else if (k < -maxp) k = -maxp;
    double u = ueff;
    if (k != 0) {
      const bool upward = k > 0;
      double bound = soft ? (upward ? 1.0 - u : 1.0 + u) : 1.0;
      if (bound < 0) bound = 0;
      const double step = dw * (upward ? 1.0 + asym : 1.0 - asym) * bound;
      u += k * step + sqrt(fabs(k)) * c2c * dw * fre_normal(&g);
      u = u > 1 ? 1 : (u < -1 ? -1 : u);
      pulses += fabs(k);
    }
    if (diff) {
      up[i] = (float)(u > 0 ? u : 0);
      um[i] = (float)(u < 0 ? -u : 0);
    } else {
      up[i] = (float)((1 + u) / 2);
    }
    w[i] = (float)(u * wmax);
  }
  fre_put_state(&g, raw);
  NAPI_CALL(env, napi_create_double(env, pulses, &result));
  return result;
}
