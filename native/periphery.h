/* Chip periphery loops for the simulator (periphery.c). */
#ifndef FRE_PERIPHERY_H
#define FRE_PERIPHERY_H
#include <node_api.h>
napi_value fre_quantize(napi_env env, napi_callback_info info);
napi_value fre_adc_accumulate(napi_env env, napi_callback_info info);
napi_value fre_adc_convert(napi_env env, napi_callback_info info);
napi_value fre_table_activate(napi_env env, napi_callback_info info);
napi_value fre_row_sum_squares(napi_env env, napi_callback_info info);
napi_value fre_read_prep(napi_env env, napi_callback_info info);
napi_value fre_adc_convert_scaled(napi_env env, napi_callback_info info);
napi_value fre_adc_convert_accumulate(napi_env env, napi_callback_info info);
napi_value fre_square_rows(napi_env env, napi_callback_info info);
napi_value fre_read_batch(napi_env env, napi_callback_info info);
napi_value fre_chip_threads(napi_env env, napi_callback_info info);
napi_value fre_neuron_update(napi_env env, napi_callback_info info);
napi_value fre_held_neuron_update(napi_env env, napi_callback_info info);
napi_value fre_add_row_bias(napi_env env, napi_callback_info info);
napi_value fre_accumulate_batch(napi_env env, napi_callback_info info);
#endif
