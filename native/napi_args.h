/*
 * Argument checking shared by the addon's functions: every argument is validated before any
 * pointer is touched, and a bad one throws a JS TypeError/RangeError naming it (never a crash).
 */
#ifndef FRE_NAPI_ARGS_H
#define FRE_NAPI_ARGS_H
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <node_api.h>

/* Largest value that fits CBLAS's integer type (blasint is int in the LP64 builds we link). */
#define FRE_MAX_DIM ((int64_t)INT_MAX)

/* Throws (if no exception is pending yet) and returns NULL from the enclosing napi callback. */
#define NAPI_CALL(env, call)                                                                    \
  do {                                                                                          \
    if ((call) != napi_ok) {                                                                    \
      bool pending_ = false;                                                                    \
      napi_is_exception_pending((env), &pending_);                                              \
      if (!pending_) napi_throw_error((env), "FRE_BLAS_NAPI", "fre_blas: Node-API call failed: " #call); \
      return NULL;                                                                              \
    }                                                                                           \
  } while (0)

static inline napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, "FRE_BLAS_ARG", msg);
  return NULL;
}

static inline napi_value throw_range(napi_env env, const char *msg) {
  napi_throw_range_error(env, "FRE_BLAS_ARG", msg);
  return NULL;
}

static inline bool get_bool(napi_env env, napi_value v, const char *name, bool *out) {
  napi_valuetype t;
  char msg[128];
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_boolean) {
    snprintf(msg, sizeof msg, "%s must be a boolean", name);
    throw_type(env, msg);
    return false;
  }
  return napi_get_value_bool(env, v, out) == napi_ok;
}

static inline bool get_number(napi_env env, napi_value v, const char *name, double *out) {
  napi_valuetype t;
  char msg[128];
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) {
    snprintf(msg, sizeof msg, "%s must be a number", name);
    throw_type(env, msg);
    return false;
  }
  if (napi_get_value_double(env, v, out) != napi_ok) return false;
  return true;
}

/* An integer in [min, INT_MAX] (CBLAS takes int). Leading dimensions may be 0 like the reference
 * allows when the stored matrix has no columns; the lda ≥ cols checks below handle the rest. */
static inline bool get_dim(napi_env env, napi_value v, const char *name, int64_t min, int64_t *out) {
  double d;
  char msg[160];
  if (!get_number(env, v, name, &d)) return false;
  if (!(d == d) || d < (double)min || d > (double)FRE_MAX_DIM || d != (double)(int64_t)d) {
    snprintf(msg, sizeof msg, "%s must be an integer in [%lld, %lld], got %g", name,
             (long long)min, (long long)FRE_MAX_DIM, d);
    throw_range(env, msg);
    return false;
  }
  *out = (int64_t)d;
  return true;
}

static inline bool get_f32(napi_env env, napi_value v, const char *name, float **data, int64_t *len) {
  bool is_ta = false;
  napi_typedarray_type type;
  size_t length = 0;
  void *ptr = NULL;
  char msg[128];
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) {
    snprintf(msg, sizeof msg, "%s must be a Float32Array", name);
    throw_type(env, msg);
    return false;
  }
  /* `ptr` already points at element 0 of the view (Node-API applies byteOffset). */
  if (napi_get_typedarray_info(env, v, &type, &length, &ptr, NULL, NULL) != napi_ok) return false;
  if (type != napi_float32_array) {
    snprintf(msg, sizeof msg, "%s must be a Float32Array (got another typed array)", name);
    throw_type(env, msg);
    return false;
  }
  if (length > 0 && ptr == NULL) {
    snprintf(msg, sizeof msg, "%s is detached", name);
    throw_type(env, msg);
    return false;
  }
  *data = (float *)ptr;
  *len = (int64_t)length;
  return true;
}

#endif
