/*
 * The ziggurat's fast path on 16 lanes at once (AVX-512), shared by the read noise (noise.c lanes_512) and
 * the pulse normals (devices.c pool_fill_avx512). Two xoshiro256** steps of 8 lanes give 16 draws; lane l
 * takes draw l (lanes 0–7 from the first step, 8–15 from the second) and splits it as fre_normal_inline
 * does: the low 7 bits the layer, the high 32 bits the signed value. Include only where AVX-512 code is
 * compiled (x86-64 GCC); the callers keep their lane-by-lane C paths, which give the same bytes.
 */
#ifndef FRE_ZIG16_H
#define FRE_ZIG16_H
#include <immintrin.h>
#include "rng.h"

#define FRE_ZIG16_INLINE __attribute__((target("avx512f"), always_inline)) static inline

/* One xoshiro256** step of the eight lanes held in registers (the scalar next64, lane by lane): returns
 * the eight outputs, advances the state. Inlined, so the state stays in registers in the callers' loops. */
FRE_ZIG16_INLINE __m512i fre_xoshiro8_step(__m512i *s0, __m512i *s1, __m512i *s2, __m512i *s3) {
  __m512i r = _mm512_add_epi64(*s1, _mm512_slli_epi64(*s1, 2)); /* s1·5 */
  r = _mm512_rol_epi64(r, 7);
  r = _mm512_add_epi64(r, _mm512_slli_epi64(r, 3)); /* ·9 */
  const __m512i t = _mm512_slli_epi64(*s1, 17);
  *s2 = _mm512_xor_si512(*s2, *s0);
  *s3 = _mm512_xor_si512(*s3, *s1);
  *s1 = _mm512_xor_si512(*s1, *s2);
  *s0 = _mm512_xor_si512(*s0, *s3);
  *s2 = _mm512_xor_si512(*s2, t);
  *s3 = _mm512_rol_epi64(*s3, 45);
  return r;
}

/* The 128 layers' fast-test bounds (fre_zig_kn) and widths (fre_zig_wn as floats) in 16 registers, looked
 * up by two-source permutes of 32 entries and blends on the layer's bits 5 and 6. */
typedef struct {
  __m512i K[8];
  __m512 W[8];
} fre_zig16;

FRE_ZIG16_INLINE void fre_zig16_load(fre_zig16 *t, const float *wnf) {
  for (int i = 0; i < 8; i++) {
    t->K[i] = _mm512_loadu_si512(fre_zig_kn + 16 * i);
    t->W[i] = _mm512_loadu_ps(wnf + 16 * i);
  }
}

/* hz·wn[layer] per lane, and in *rej the lanes whose |hz| fails their layer's bound: those lanes' values
 * are the slow path's (fre_normal_rest on that lane's draw), which the caller supplies. */
FRE_ZIG16_INLINE __m512 fre_zig16_fast(const fre_zig16 *t, __m512i bA, __m512i bB, __mmask16 *rej) {
  const __m512i ihi = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  const __m512i ilo = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i m7 = _mm512_set1_epi32(127), b5 = _mm512_set1_epi32(32), b6 = _mm512_set1_epi32(64);
  const __m512i hz = _mm512_permutex2var_epi32(bA, ihi, bB); /* lane l: the high 32 bits of draw l */
  const __m512i iz = _mm512_and_si512(_mm512_permutex2var_epi32(bA, ilo, bB), m7);
  const __mmask16 k5 = _mm512_test_epi32_mask(iz, b5), k6 = _mm512_test_epi32_mask(iz, b6);
  const __m512i *K = t->K;
  const __m512 *W = t->W;
  const __m512i kn = _mm512_mask_blend_epi32(
      k6, _mm512_mask_blend_epi32(k5, _mm512_permutex2var_epi32(K[0], iz, K[1]), _mm512_permutex2var_epi32(K[2], iz, K[3])),
      _mm512_mask_blend_epi32(k5, _mm512_permutex2var_epi32(K[4], iz, K[5]), _mm512_permutex2var_epi32(K[6], iz, K[7])));
  const __m512 wn = _mm512_mask_blend_ps(
      k6, _mm512_mask_blend_ps(k5, _mm512_permutex2var_ps(W[0], iz, W[1]), _mm512_permutex2var_ps(W[2], iz, W[3])),
      _mm512_mask_blend_ps(k5, _mm512_permutex2var_ps(W[4], iz, W[5]), _mm512_permutex2var_ps(W[6], iz, W[7])));
  *rej = _mm512_cmpge_epu32_mask(_mm512_abs_epi32(hz), kn);
  return _mm512_mul_ps(_mm512_cvtepi32_ps(hz), wn);
}

#endif
