/* Bulk random numbers for the chip simulator's noise (noise.c). */
#ifndef FRE_NOISE_H
#define FRE_NOISE_H
#include <node_api.h>
napi_value fre_add_normal(napi_env env, napi_callback_info info);
napi_value fre_fill_uniform(napi_env env, napi_callback_info info);
napi_value fre_add_normal_var(napi_env env, napi_callback_info info);
napi_value fre_normal_var_begin(napi_env env, napi_callback_info info);
napi_value fre_normal_var_settle(napi_env env, napi_callback_info info);
#endif
