/** The OPENBLAS_CORETYPE chosen from /proc/cpuinfo (simulator/kernels/openblas-core.ts). */
import { openblasCoreFor } from '../simulator/kernels/openblas-core';

const info = (vendor: string, flags: string) =>
  `processor\t: 0\nvendor_id\t: ${vendor}\ncpu family\t: 6\nmodel\t\t: 207\nflags\t\t: ${flags}\n\nprocessor\t: 1\n`;
const BASE = 'fpu vme sse sse2 ssse3 sse4_1 sse4_2 avx';

describe('openblasCoreFor', () => {
  test('Intel with the AVX-512 set (an Emerald Rapids VM OpenBLAS 0.3.21 calls Prescott) → SkylakeX', () => {
    expect(openblasCoreFor(info('GenuineIntel', `${BASE} fma avx2 avx512f avx512dq avx512cd avx512bw avx512vl avx512_bf16`))).toBe(
      'SkylakeX',
    );
  });
  test('Intel with AVX2 + FMA and no (or partial) AVX-512 → Haswell', () => {
    expect(openblasCoreFor(info('GenuineIntel', `${BASE} fma avx2`))).toBe('Haswell');
    expect(openblasCoreFor(info('GenuineIntel', `${BASE} fma avx2 avx512f avx512cd`))).toBe('Haswell');
  });
  test('AMD and Hygon with the AVX-512 set (Zen 4, Zen 5: OpenBLAS 0.3.21 calls them Haswell) → SkylakeX', () => {
    const avx512 = `${BASE} fma avx2 avx512f avx512dq avx512cd avx512bw avx512vl avx512_bf16`;
    expect(openblasCoreFor(info('AuthenticAMD', avx512))).toBe('SkylakeX');
    expect(openblasCoreFor(info('HygonGenuine', avx512))).toBe('SkylakeX');
  });
  test('older Intel, AMD without AVX-512, other vendors and unreadable text are left to OpenBLAS', () => {
    expect(openblasCoreFor(info('GenuineIntel', BASE))).toBeNull();
    expect(openblasCoreFor(info('AuthenticAMD', `${BASE} fma avx2`))).toBeNull();
    expect(openblasCoreFor(info('AuthenticAMD', `${BASE} fma avx2 avx512f avx512cd`))).toBeNull();
    expect(openblasCoreFor(info('CentaurHauls', `${BASE} fma avx2 avx512f avx512dq avx512cd avx512bw avx512vl`))).toBeNull();
    expect(openblasCoreFor('')).toBeNull();
  });
});
