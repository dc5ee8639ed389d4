/**
 * Bulk noise for the chip simulator. A NoiseSource is seeded from the project's Rng (so its
 * numbers are a pure function of the run's seed) and fills or perturbs whole buffers at once.
 * With the native addon it uses xoshiro256** + ziggurat in C (millions of draws per batch);
 * without it, the Rng itself (slower, and different numbers: determinism holds per backend).
 */
import type { Rng } from '../util/rng';
import { loadNativeAddon } from './kernels/native';

export interface NoiseSource {
  /** out[i] += std · N(0, 1) for i < n. */
  addNormal(out: Float32Array, n: number, std: number): void;
  /** out[i] = U[0, 1) for i < n. */
  fillUniform(out: Float32Array, n: number): void;
  /**
   * out[r·cols + j] += sqrt(rowVar[r] + elemVar[r·cols + j] + constVar)·N(0, 1) over an m × cols block
   * (null buffers count as zero): independent Gaussian sources on one line in a single draw.
   */
  addNormalVar(
    out: Float32Array,
    m: number,
    cols: number,
    rowVar: Float32Array | null,
    elemVar: Float32Array | null,
    constVar: number,
  ): void;
  /** The native generator's state (xoshiro256**), for native loops that draw as they go; absent in JS. */
  readonly nativeState?: Uint32Array;
}

class NativeNoise implements NoiseSource {
  private readonly state = new Uint32Array(8);
  get nativeState(): Uint32Array {
    return this.state;
  }
  constructor(
    rng: Rng,
    private readonly addon: NonNullable<ReturnType<typeof loadNativeAddon>>,
  ) {
    for (let i = 0; i < 8; i++) this.state[i] = Math.floor(rng.uniform() * 4294967296) >>> 0;
    if (this.state.every((v) => v === 0)) this.state[0] = 1;
  }
  addNormal(out: Float32Array, n: number, std: number): void {
    if (std !== 0) this.addon.addNormal(this.state, out, n, std);
  }
  fillUniform(out: Float32Array, n: number): void {
    this.addon.fillUniform(this.state, out, n);
  }
  addNormalVar(
    out: Float32Array,
    m: number,
    cols: number,
    rowVar: Float32Array | null,
    elemVar: Float32Array | null,
    constVar: number,
  ): void {
    this.addon.addNormalVar(this.state, out, m, cols, rowVar ?? EMPTY, elemVar ?? EMPTY, constVar);
  }
}

const EMPTY = new Float32Array(0);

class RngNoise implements NoiseSource {
  constructor(private readonly rng: Rng) {}
  addNormal(out: Float32Array, n: number, std: number): void {
    if (std === 0) return;
    for (let i = 0; i < n; i++) out[i] += std * this.rng.normal();
  }
  fillUniform(out: Float32Array, n: number): void {
    for (let i = 0; i < n; i++) out[i] = this.rng.uniform();
  }
  addNormalVar(
    out: Float32Array,
    m: number,
    cols: number,
    rowVar: Float32Array | null,
    elemVar: Float32Array | null,
    constVar: number,
  ): void {
    for (let r = 0; r < m; r++) {
      for (let j = 0; j < cols; j++) {
        const i = r * cols + j;
        const v = constVar + (rowVar ? rowVar[r] : 0) + (elemVar ? elemVar[i] : 0);
        if (v > 0) out[i] += Math.sqrt(v) * this.rng.normal();
      }
    }
  }
}

export function makeNoise(rng: Rng, backend: 'native' | 'reference' = 'native'): NoiseSource {
  const addon = backend === 'native' ? loadNativeAddon() : null;
  return addon && typeof addon.addNormal === 'function' ? new NativeNoise(rng, addon) : new RngNoise(rng);
}
