/**
 * The native addon's chip settings for a test's duration: thread count and SIMD path, restored afterwards
 * whatever the callback does, so one test's setting never leaks into the next.
 */
import type { FreBlasAddon } from '../../simulator/kernels/native';

/** The bytes of a float array (for byte-for-byte comparisons of two runs). */
export const bytesOf = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

export function withChipThreads<T>(native: FreBlasAddon, threads: number, f: () => T): T {
  const prev = native.setChipThreads!(threads);
  try {
    return f();
  } finally {
    native.setChipThreads!(prev);
  }
}

export async function withChipThreadsAsync<T>(native: FreBlasAddon, threads: number, f: () => Promise<T>): Promise<T> {
  const prev = native.setChipThreads!(threads);
  try {
    return await f();
  } finally {
    native.setChipThreads!(prev);
  }
}

export function withChipSimd<T>(native: FreBlasAddon, on: boolean, f: () => T): T {
  const prev = native.setChipSimd!(on);
  try {
    return f();
  } finally {
    native.setChipSimd!(prev);
  }
}
