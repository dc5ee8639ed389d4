/* In-situ pulsed device writes (devices.c). */
#ifndef FRE_DEVICES_H
#define FRE_DEVICES_H
#include <node_api.h>
napi_value fre_pulsed_commit(napi_env env, napi_callback_info info);
napi_value fre_pulsed_commit_queue(napi_env env, napi_callback_info info);
napi_value fre_pulsed_commit_run(napi_env env, napi_callback_info info);
napi_value fre_spread_fill(napi_env env, napi_callback_info info);
napi_value fre_coincide(napi_env env, napi_callback_info info);
napi_value fre_pulsed_commit_one_sided(napi_env env, napi_callback_info info);
napi_value fre_set_chip_threads(napi_env env, napi_callback_info info);
napi_value fre_set_chip_simd(napi_env env, napi_callback_info info);
#endif
