/**
 * Every size and count the toolchain accepts has a documented ceiling (docs/limits.md), checked
 * before anything is allocated: a hostile or mistyped number must end in a coded error naming the
 * field, not in a RangeError, a V8 heap abort or an hour of silent work. The values sit well above
 * what the paper's nets need (the largest, a 20-layer residual MNIST net, has ~5 M weights) and well
 * below what a 2–8 GB machine can hold. One table, so docs, diagnostics and tests quote the same numbers.
 */
export const LIMITS = {
  /** Bytes read from one JSON document (graph spec, chip description, sweep file). */
  jsonFileBytes: 16 * 2 ** 20,
  /** Bytes of one netlist (.pb) and of one external-data file. */
  netlistFileBytes: 256 * 2 ** 20,
  /** Bytes of one weights file (.npz/.npy) on disk, and the sum of its members once inflated. */
  weightsFileBytes: 512 * 2 ** 20,
  weightsInflatedBytes: 512 * 2 ** 20,
  /** Bytes of one dataset file (IDX, CIFAR batch) on disk, and once gunzipped. */
  dataFileBytes: 256 * 2 ** 20,
  dataInflatedBytes: 256 * 2 ** 20,
  /** Bytes of one sweep results file (.jsonl). */
  resultsFileBytes: 256 * 2 ** 20,

  /** Units in one layer (input, hidden, output). */
  layerUnits: 2 ** 20,
  /** Extent of one dimension of a [channels, height, width] shape. */
  shapeExtent: 2 ** 14,
  /** Output classes. */
  classes: 10000,
  /** Weights of the whole graph (sum over edges of rows × cols, or the conv kernel's size). */
  totalWeights: 2 ** 26,
  /** Samples per batch, and batch × (sum of layer units): the state arrays of one batch. */
  batchSize: 65536,
  batchUnits: 2 ** 26,
  /** Free-phase steps T, nudged-phase steps K, and analysis horizons. */
  steps: 100000,
  /** Training epochs. */
  epochs: 100000,
  /** Samples drawn from a dataset (--train-limit, --test-limit, --samples). */
  samples: 10_000_000,
  /** Samples in a chip trace. */
  traceSamples: 1000,
  /** Slots of a stochastic-coincidence pulse train (crossbar.update.pulsesPerUpdate): drawn per line per sample. */
  coincidenceSlots: 4096,
  /** Runs in one sweep grid (points × seeds), values on one axis, seeds. */
  sweepRuns: 100000,
  axisValues: 10000,
  seeds: 10000,
  /** Worker processes of a sweep, and retries of a run whose worker died. */
  workers: 256,
  retries: 10,
  /** Seconds of device drift (PCM): 10 years. */
  driftSeconds: 10 * 365 * 86400,
} as const;

export type LimitName = keyof typeof LIMITS;

/** "1 GiB", "16 MiB", "512 KiB" for byte limits in messages. */
export function formatBytes(n: number): string {
  for (const [unit, size] of [
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const) {
    if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  }
  return `${n} bytes`;
}
