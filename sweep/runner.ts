/**
 * What executes one run of a sweep. The sweep machinery (grid, workers, results, resume, shards,
 * report) is the same for every runner; a runner turns one fully-specified configuration into a
 * few numbers. Two exist by design: `train` (ideal software training, sweep/runners/train.ts) and
 * `chip` (the analog-chip simulator: in-situ / ex-situ training and evaluation with accuracy,
 * cycles, energy — registered by the simulator's author; docs/sweeps.md says how).
 *
 * Contract:
 *  - run() must depend only on its config (and therefore be reproducible from a results line):
 *    all randomness from util/rng.ts seeded with config.seed (never the global JS generator), never the worker
 *    id, the time or the order of runs.
 *  - run() executes inside a worker process (OPENBLAS_NUM_THREADS=1); caching read-only things
 *    (datasets, chip tables) in module scope across runs of one worker is fine.
 *  - Errors the user can fix (a dataset that is missing, a chip value out of range) should be thrown
 *    as SweepError/SpecError/DatasetError so they are printed as one message; anything else is a bug.
 */
import type { GraphSpec } from '../graph/spec';
import type { RunSession } from '../simulator/checkpoint';

/** Data options of a sweep file ("data": {...}); the same for every run. */
export interface SweepData {
  /** Use the first N training samples. */
  trainLimit?: number;
  /** Use the first N test samples. */
  testLimit?: number;
  /** Folder with the dataset files (default: the installed package). Not part of the sweep hash. */
  dataDir?: string;
}

/** One run, fully specified: this object (and nothing else) determines the run's metrics. */
export interface RunConfig {
  runner: string;
  /** The base graph with this run's axis values applied, validated, every default filled in. */
  graph: GraphSpec;
  /** The chip description with this run's axis values applied (runners with a chip only). */
  chip?: unknown;
  method: string;
  seed: number;
  data: SweepData;
}

export interface RunContext {
  /** Aborted when the sweep stops (Ctrl-C twice, parent gone); stop between steps and throw. */
  signal: AbortSignal;
  /** Progress inside the run (e.g. epochs), for logs; optional. */
  log?: (line: string) => void;
  /**
   * A file for the run's checkpoint. A runner that trains for epochs writes it after every epoch
   * and, when it exists at the start, continues from it (the same numbers as an uninterrupted run),
   * so a sweep killed mid-run loses at most one epoch of each running run. The sweep deletes it
   * once the run's results line is written. Runners that cannot resume ignore it.
   */
  checkpoint?: string;
  /**
   * Called by a runner that continued a checkpoint with the processes that ran the run's epochs
   * (each with its code version): the results line records them, so a run resumed after a code
   * change names every commit that contributed, not only the last.
   */
  recordSessions?: (sessions: RunSession[]) => void;
}

/** A problem with the sweep file that only the runner can judge; paths relative to the document. */
export interface RunnerProblem {
  /** A concrete path such as `chip.crossbar.adcBits`, or '' for the whole document. */
  path: string;
  message: string;
  hint: string;
}

export interface SweepRunner {
  /** The value of "runner" in sweep files. */
  name: string;
  /** One line for `fre sweep --help` and error messages. */
  description: string;
  /** Values of the `method` axis this runner understands (train: ep, bp, fa). */
  methods: readonly string[];
  /** Used when the sweep has no `method` axis and no "method" field. */
  defaultMethod: string;
  /** Every metric run() returns; a sweep file's "metrics" must be a subset. */
  metrics: readonly string[];
  /** Recorded when the sweep file has no "metrics". */
  defaultMetrics: readonly string[];
  /** run() writes and continues from RunContext.checkpoint (the sweep then hands every run one). */
  checkpoints?: boolean;
  /** Metrics that measure time and therefore differ between identical runs (excluded from identity checks). */
  timingMetrics?: readonly string[];
  /**
   * Chip runners only. Turns the sweep file's "chip" value (a preset name such as "reram", or an
   * inline object) into the JSON-able chip description that `chip.*` axis paths address. Paths are
   * resolved against this object: a path that does not exist in it is an "unknown path" error.
   * `file` is the sweep file (resolve relative file names against its folder). Throw a SweepError
   * (or return problems) for an unknown preset. Runners without this hook refuse "chip" and chip.* paths.
   */
  resolveChip?(chip: unknown, file: string): { chip: unknown } | { problems: RunnerProblem[] };
  /**
   * Chip runners only. Checks one chip description after a point's axis values are applied (types,
   * ranges, consistency with the graph), before any run starts. Return [] when it is fine.
   */
  validateChip?(chip: unknown, graph: GraphSpec): RunnerProblem[];
  /** Runs one configuration; resolves to every metric in `metrics` (numbers; NaN if undefined). */
  run(config: RunConfig, ctx: RunContext): Promise<Record<string, number>>;
}

const registry = new Map<string, SweepRunner>();

export function registerRunner(r: SweepRunner): void {
  if (registry.has(r.name)) throw new Error(`sweep runner "${r.name}" is registered twice`);
  registry.set(r.name, r);
}

export function getRunner(name: string): SweepRunner | undefined {
  return registry.get(name);
}

export function runnerNames(): string[] {
  return [...registry.keys()];
}
