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

/* SplitMix64 (Steele, Lea & Flood 2014), the seeding generator Vigna recommends for xoshiro. */
static inline uint64_t fre_splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* The stream of block `index` of one kernel call: a xoshiro state seeded by SplitMix64 from a 64-bit
 * key drawn from the chip's stream for the call and the block index. Every block draws from its own
 * stream, so what a block draws depends on (chip seed, call, block) only, never on which thread ran it
 * or how many threads there are. */
static inline void fre_block_stream(xoshiro *g, uint64_t key, uint64_t index) {
  uint64_t x = key ^ (index * 0xD1B54A32D192ED03ull);
  for (int i = 0; i < 4; i++) g->s[i] = fre_splitmix64(&x);
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
