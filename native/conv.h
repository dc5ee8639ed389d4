/* im2row / row2im and fused max pool / unpool for conv edges (conv.c). */
#ifndef FRE_CONV_H
#define FRE_CONV_H
#include <node_api.h>
napi_value fre_im2row(napi_env env, napi_callback_info info);
napi_value fre_row2im(napi_env env, napi_callback_info info);
napi_value fre_max_pool_rows(napi_env env, napi_callback_info info);
napi_value fre_max_unpool_rows(napi_env env, napi_callback_info info);
napi_value fre_conv_forward_max(napi_env env, napi_callback_info info);
napi_value fre_conv_backward_max(napi_env env, napi_callback_info info);
napi_value fre_set_layout_threads(napi_env env, napi_callback_info info);
napi_value fre_layout_threads(napi_env env, napi_callback_info info);
#endif
