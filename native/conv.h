/* im2row / row2im for conv edges (conv.c). */
#ifndef FRE_CONV_H
#define FRE_CONV_H
#include <node_api.h>
napi_value fre_im2row(napi_env env, napi_callback_info info);
napi_value fre_row2im(napi_env env, napi_callback_info info);
#endif
