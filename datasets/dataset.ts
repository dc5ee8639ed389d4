/**
 * The in-memory dataset shape shared by every reader and every trainer. Pixels are stored once as a
 * flat Float32Array so a batch is a contiguous subarray and no per-sample objects are allocated.
 */
import { formatDiagnostic, type Diagnostic } from '../graph/diagnostics';

export interface Dataset {
  name: string;
  /** count × dim, row-major, values scaled to [0, 1]. */
  images: Float32Array;
  labels: Uint8Array;
  count: number;
  dim: number;
  classes: number;
  /** [channels, height, width]; channels × height × width === dim. */
  shape: [number, number, number];
}

export interface DataSplit {
  train: Dataset;
  test: Dataset;
}

/**
 * A data file or folder that is missing, unreadable or malformed: a coded diagnostic that names the
 * file, says what is wrong and what to change. FRE033 is about the folder (--data-dir, or the
 * dataset's default location), FRE034 about one file in it. `code` is the machine-readable reason:
 * missing | unreadable | too-large | bad-gzip | bad-magic | bad-dtype | bad-dims | truncated |
 * size-mismatch | count-mismatch | bad-label | empty.
 */
export class DatasetError extends Error {
  readonly diagnostic: Diagnostic;

  constructor(
    public readonly file: string,
    public readonly code: string,
    message: string,
    fix: string,
    diagnosticCode: 'FRE033' | 'FRE034' = 'FRE034',
  ) {
    const diagnostic: Diagnostic = { code: diagnosticCode, file, path: '', message, hint: fix };
    super(formatDiagnostic(diagnostic));
    this.name = 'DatasetError';
    this.diagnostic = diagnostic;
  }
}

/** A split of no samples in another's format: the training split of a load that needs the test split only. */
export function emptyLike(ds: Dataset, name: string): Dataset {
  return { ...ds, name, images: new Float32Array(0), labels: new Uint8Array(0), count: 0, shape: [...ds.shape] };
}

/** The first `limit` samples (views, not copies); a limit beyond the count yields the whole set. */
export function sliceDataset(ds: Dataset, limit: number): Dataset {
  if (!(limit >= 0)) throw new RangeError(`sliceDataset: limit must be >= 0, got ${limit}`);
  const n = Math.min(Math.floor(limit), ds.count);
  if (n === ds.count) return ds;
  return {
    ...ds,
    images: ds.images.subarray(0, n * ds.dim),
    labels: ds.labels.subarray(0, n),
    count: n,
    shape: [...ds.shape],
  };
}

/**
 * Fills `out` (m × classes, row-major) with one-hot targets for labels[offset .. offset+m).
 * Trainers call this per batch, so it writes into a caller-owned buffer instead of allocating.
 */
export function oneHot(labels: ArrayLike<number>, offset: number, m: number, classes: number, out: Float32Array): Float32Array {
  if (offset < 0 || offset + m > labels.length) {
    throw new RangeError(`oneHot: samples [${offset}, ${offset + m}) outside ${labels.length} labels`);
  }
  if (out.length < m * classes) {
    throw new RangeError(`oneHot: out holds ${out.length} values, needs ${m} × ${classes}`);
  }
  out.fill(0, 0, m * classes);
  for (let i = 0; i < m; i++) {
    const label = labels[offset + i];
    // An out-of-range label would silently set a bit in the next row.
    if (label >= classes) throw new RangeError(`oneHot: label ${label} at ${offset + i} >= ${classes} classes`);
    out[i * classes + label] = 1;
  }
  return out;
}

/** byte/255 precomputed: a table lookup keeps the 47M-pixel MNIST conversion a single tight loop. */
const UNIT_SCALE = new Float32Array(256).map((_, b) => b / 255);

/** Writes src bytes scaled to [0, 1] into out starting at outOffset. */
export function scaleBytes(src: Uint8Array, out: Float32Array, outOffset = 0): void {
  const n = src.length;
  for (let i = 0; i < n; i++) out[outOffset + i] = UNIT_SCALE[src[i]];
}
