/* im2row / row2im and fused max pool / unpool for conv edges (conv.c). */
#ifndef FRE_CONV_H
#define FRE_CONV_H
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
/* blas.c: s = ρ(h) for the addon's activation kinds (0 tanh, 1 hard-sigmoid, 2 sigmoid); false for another. */
bool fre_activate_loop(int kind, const float *h, float *s, int64_t n);
/* blas.c: cblas_sgemm with β = 0 writes C without reading it (probed once; first call on the JS thread). */
bool fre_blas_overwrites_c(void);
napi_value fre_im2row(napi_env env, napi_callback_info info);
napi_value fre_row2im(napi_env env, napi_callback_info info);
napi_value fre_max_pool_rows(napi_env env, napi_callback_info info);
napi_value fre_max_unpool_rows(napi_env env, napi_callback_info info);
napi_value fre_repool_rows(napi_env env, napi_callback_info info);
napi_value fre_conv_forward_max(napi_env env, napi_callback_info info);
napi_value fre_conv_backward_max(napi_env env, napi_callback_info info);
napi_value fre_set_layout_threads(napi_env env, napi_callback_info info);
napi_value fre_layout_threads(napi_env env, napi_callback_info info);
#endif
