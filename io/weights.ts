/**
 * Trainer-facing checks on loaded .npz weights. Shape mistakes in exported weights are the most
 * common failure when moving between numpy and the toolchain, so the messages name the file,
 * the array, both shapes, what the dimensions mean and what to change.
 */
import { NpzError, formatShape, toFloat32, type NpyArray } from './npy';

/** "'W1' [512, 784] <f4, 'b1' [512] <f8", for listing what a file actually holds. */
export function describeArrays(npz: ReadonlyMap<string, NpyArray>): string {
  return [...npz].map(([k, a]) => `'${k}' ${formatShape(a.shape)} ${a.dtype}`).join(', ');
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The array `key` as float32 (shared with `npz` when already float32, converted otherwise),
 * after checking it exists and has exactly `shape`. `meaning` explains the expected shape in
 * the spec's terms, e.g. "edge h1->h2: rows = size of h2, cols = size of h1".
 */
export function expectArray(
  npz: ReadonlyMap<string, NpyArray>,
  key: string,
  shape: readonly number[],
  file: string,
  meaning?: string,
): Float32Array {
  const why = meaning ? ` (${meaning})` : '';
  const arr = npz.get(key);
  if (arr === undefined) {
    const present = npz.size === 0 ? 'the file holds no arrays at all' : `the file holds ${describeArrays(npz)}`;
    throw new NpzError(
      file,
      key,
      `${file}: no array '${key}' (the spec expects shape ${formatShape(shape)}${why}); ${present}; ` +
        'export the array under that name or fix the name in the spec',
    );
  }
  if (!sameShape(arr.shape, shape)) {
    let hint = 're-export the weights or fix the layer widths';
    if (shape.length === 2 && sameShape(arr.shape, [shape[1]!, shape[0]!])) {
      hint = 'it looks transposed — export W.T, or re-export with rows = outputs, cols = inputs';
    } else if (arr.data.length === shape.reduce((a, b) => a * b, 1)) {
      hint =
        'the number of values matches, so the array was probably reshaped or flattened on export — ' +
        `save it with shape ${formatShape(shape)}`;
    }
    throw new NpzError(
      file,
      key,
      `${file}: array '${key}' has shape ${formatShape(arr.shape)} but the spec expects ${formatShape(shape)}${why}; ${hint}`,
    );
  }
  return toFloat32(arr);
}
