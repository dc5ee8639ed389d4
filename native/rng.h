/* The simulator's bulk random generator (xoshiro256**), shared by noise.c and devices.c. */
#ifndef FRE_RNG_H
#define FRE_RNG_H
#include <stdbool.h>
#include <stdint.h>
#include <node_api.h>

typedef struct { uint64_t s[4]; } xoshiro;

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t next64(xoshiro *g) {
  uint64_t *s = g->s;
  const uint64_t result = rotl(s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}


/* Uniform in (0, 1) and standard normal (ziggurat) draws. */
void fre_normal_init(void);
extern uint32_t fre_zig_kn[128];
extern double fre_zig_wn[128];
double fre_normal_rest(xoshiro *g, uint64_t b);
/* fre_normal with its fast path (≈ 99 % of draws) inlined: the same draws, the same values.
 * Call fre_normal_init() once first. */
static inline double fre_normal_inline(xoshiro *g) {
  const uint64_t b = next64(g);
  const int iz = (int)(b & 127);
  const int32_t hz = (int32_t)(uint32_t)(b >> 32);
  const uint32_t ahz = hz < 0 ? (uint32_t)(-(int64_t)hz) : (uint32_t)hz;
  if (ahz < fre_zig_kn[iz]) return hz * fre_zig_wn[iz];
  return fre_normal_rest(g, b);
}

double fre_uniform01(xoshiro *g);
double fre_normal(xoshiro *g);
/* The generator's state from / to the caller's Uint32Array(8); throws (returns false) on a bad one. */
bool fre_get_state(napi_env env, napi_value v, xoshiro *g, uint32_t **raw);
void fre_put_state(const xoshiro *g, uint32_t *raw);
#endif
