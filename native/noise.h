/* Bulk random numbers for the chip simulator's noise (noise.c). */
#ifndef FRE_NOISE_H
#define FRE_NOISE_H
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
napi_value fre_add_normal(napi_env env, napi_callback_info info);
napi_value fre_fill_uniform(napi_env env, napi_callback_info info);
napi_value fre_add_normal_var(napi_env env, napi_callback_info info);
napi_value fre_normal_var_begin(napi_env env, napi_callback_info info);
napi_value fre_normal_var_settle(napi_env env, napi_callback_info info);
napi_value fre_normal_var_defer(napi_env env, napi_callback_info info);
/* The calling thread's deferred read noise (normalVarDefer) named by noise, of m rows of cols, or NULL. */
const void *fre_noise_deferred(const float *noise, int64_t m, int64_t cols);
/* Block b's rows of a deferred job's draws (addNormalVar's blocks, streams and order), on any thread: each row
 * r copied from src + r·cols into row, its noise added there, then fn(ctx, r, row). */
void fre_noise_deferred_rows(const void *job, int b, const float *src, float *row, void (*fn)(void *, int64_t, const float *), void *ctx);
void fre_noise_deferred_done(void);
/* The normals' tables and code path, made once (readBatch calls it before its workers draw). */
void fre_normals_ready(void);
/* One read's noise (addNormalVar's draws, every block in order, in place) from a key of the chip's stream. */
void fre_read_noise(float *out, const float *rv, int64_t rl, int64_t m, int64_t cols, double cv, uint64_t key);
#endif
