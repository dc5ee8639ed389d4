/**
 * A seeded, learnable stand-in for real data: each class has a random prototype image and samples
 * are that prototype plus Gaussian noise. Tests and smoke runs use it to train in milliseconds
 * without depending on files on disk.
 */
import { Dataset } from './dataset';
import { makeRng, permutation } from '../util/rng';

export interface SyntheticOptions {
  count: number;
  dim: number;
  classes: number;
  seed: number | string;
  /** Standard deviation of the per-pixel noise (approximately Gaussian, bounded at ±3σ); default 0.15. */
  noise?: number;
  /**
   * Sample stream label. Prototypes depend only on the seed, so 'train' and 'test' streams of one
   * seed share classes but not samples (a proper held-out set). Default 'train'.
   */
  stream?: string;
}

export function syntheticDataset(opts: SyntheticOptions): Dataset {
  const { count, dim, classes, seed, noise = 0.15, stream = 'train' } = opts;
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`syntheticDataset: count must be an integer >= 0, got ${count}`);
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`syntheticDataset: dim must be an integer >= 1, got ${dim}`);
  if (!Number.isInteger(classes) || classes < 1 || classes > 256) {
    throw new RangeError(`syntheticDataset: classes must be an integer in [1, 256] (labels are bytes), got ${classes}`);
  }
  if (!(noise >= 0)) throw new RangeError(`syntheticDataset: noise must be >= 0, got ${noise}`);

  const root = makeRng(seed);
  const protoRng = root.fork('prototypes');
  const prototypes = new Float32Array(classes * dim);
  for (let i = 0; i < prototypes.length; i++) prototypes[i] = protoRng.uniform();

  const sampleRng = root.fork(`samples/${stream}`);
  // Balanced classes in shuffled order, so any prefix slice still sees every class.
  const order = permutation(count, sampleRng.fork('order'));
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) labels[i] = order[i] % classes;

  const images = new Float32Array(count * dim);
  for (let s = 0; s < count; s++) {
    const p = labels[s] * dim;
    const o = s * dim;
    for (let j = 0; j < dim; j++) {
      // Irwin-Hall: a sum of 3 uniforms, centred and scaled to unit variance, instead of rng.normal().
      // Box-Muller's log/sin/cos cost ~15x more per pixel under jest's VM, which dominated test time.
      const z = 2 * (sampleRng.uniform() + sampleRng.uniform() + sampleRng.uniform() - 1.5);
      const v = prototypes[p + j] + noise * z;
      images[o + j] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }
  const side = Math.round(Math.sqrt(dim));
  const shape: [number, number, number] = side * side === dim ? [1, side, side] : [1, 1, dim];
  return { name: `synthetic/${stream}`, images, labels, count, dim, classes, shape };
}
