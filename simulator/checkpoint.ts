/**
 * Training checkpoints: everything `train()` needs to continue a run exactly where an epoch ended,
 * in one .npz written atomically (io/npz: temp file, fsync, rename), so a run killed at any moment
 * leaves either the previous checkpoint or the new one.
 *
 * What a later epoch depends on, and where it is kept:
 * - weights, biases and the fixed random feedback matrices (FA, random-feedback edges): arrays;
 * - the optimiser: its per-slot buffers (Adam m and v, SGD velocity) as arrays, its step count
 *   (Adam's bias correction) and current learning rates in `meta`;
 * - the learning-rate schedule's position: the epoch (train() calls setEpoch(epoch − 1));
 * - the random generators: the initialisation draws happened before epoch 1 and their results are
 *   the arrays above; each epoch's shuffle comes from a generator forked by the label
 *   `shuffle/<epoch>` from the seed (util/rng.ts), whose numbers do not depend on earlier draws, so
 *   its position is the epoch number. The engines and the ideal executor hold no state across
 *   batches.
 * So resuming from the checkpoint of epoch e gives the same numbers from epoch e + 1 on as the
 * uninterrupted run, for the same kernel backend and OpenBLAS thread count.
 *
 * `meta` (a uint8 array of UTF-8 JSON) also records what the run must match to be resumed (spec
 * hash, algorithm, seed, sample counts, backend), the per-epoch results so far and the code version.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { DataSplit } from '../datasets/dataset';
import { NATIVE_BACKEND_NAME, nativeBlasCore } from './kernels/native';
import { backendChoiceFor } from './kernels/select';
import { SpecError } from '../graph/diagnostics';
import type { Net } from '../graph/net';
import type { Params } from '../graph/params';
import { NpzError, type NpyArray } from '../io/npy';
import { readNpz, writeNpz } from '../io/npz';
import { expectArray } from '../io/weights';
import { codeVersion, type CodeVersion } from '../util/code-version';
import type { OptimizerState } from './optim/optimizer';
import type { EpochResult, TrainCheckpoint } from './train';

export const CHECKPOINT_FORMAT = 'fre-checkpoint';
export const CHECKPOINT_VERSION = 1;

/** What a run must share with a checkpoint to continue it. */
export interface RunIdentity {
  /** sha256 of the spec's canonical JSON (the resolved spec, not the file's bytes). */
  specHash: string;
  specName: string;
  algo: string;
  seed: number;
  trainSamples: number;
  testSamples: number;
  batchSize: number;
  /** Kernel backend name: other backends round differently. */
  backend: string;
  /**
   * The OpenBLAS core whose kernels the native backend runs (the CPU model, OPENBLAS_CORETYPE): each
   * core's sgemm rounds differently. Absent on the reference backend, and in checkpoints written
   * before it was recorded (those continue as before: their core is unknown).
   */
  blasCore?: string;
}

/** One stretch of a run's epochs run by one process (a run resumed after an interruption has several). */
export interface RunSession {
  /** The first epoch this process ran. */
  firstEpoch: number;
  /** When the process started it (absent for the one session of a checkpoint written before sessions were recorded). */
  started?: string;
  code: CodeVersion;
}

interface Meta {
  format: string;
  version: number;
  identity: RunIdentity;
  epochsDone: number;
  epochsPlanned: number;
  history: EpochResult[];
  optimizer: { kind: OptimizerState['kind']; step: number; lrs: number[]; buffers: string[] };
  /** Where the generators stand (documentation: the shuffle generator is re-derived from these). */
  rng: { seed: number; nextShuffleLabel: string };
  code: CodeVersion;
  /** The processes that ran the epochs so far (absent in checkpoints written before they were recorded). */
  sessions?: RunSession[];
  written: string;
}

/** Stable JSON (sorted keys) so the hash does not depend on key order in the spec file. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function specHash(spec: unknown): string {
  return createHash('sha256').update(canonical(spec)).digest('hex');
}

/** The identity of a training run of `net` (its resolved spec) with `algo` and `seed` on `data` and `backend`. */
export function runIdentity(net: Net, algo: string, seed: number, data: DataSplit, backend: string): RunIdentity {
  const blasCore = backend === NATIVE_BACKEND_NAME ? nativeBlasCore() : null;
  return {
    specHash: specHash(net.spec),
    specName: net.spec.name,
    algo,
    seed,
    trainSamples: data.train.count,
    testSamples: data.test.count,
    batchSize: net.spec.training.batchSize,
    backend,
    ...(blasCore ? { blasCore } : {}),
  };
}

const key = {
  W: (edge: string) => `W.${edge}`,
  B: (edge: string) => `feedback.${edge}`,
  bias: (edge: string) => `bias.${edge}`,
  opt: (buffer: string, slot: number) => `opt.${buffer}.${slot}`,
};

/**
 * Writes the checkpoint atomically. `epochsPlanned`: how many epochs the run is meant to have;
 * `sessions`: the processes that ran its epochs (runSessions), so a resumed run's record names every
 * code version that contributed, not only the last.
 */
export function saveCheckpoint(
  path: string,
  net: Net,
  identity: RunIdentity,
  c: TrainCheckpoint,
  epochsPlanned: number,
  sessions?: RunSession[],
): void {
  const entries = new Map<string, { data: Float32Array | Uint8Array; shape: number[] }>();
  net.edges.forEach((e) => {
    const w = c.params.W[e.index];
    entries.set(key.W(e.name), { data: w.data, shape: [w.rows, w.cols] });
    const b = c.params.B[e.index];
    if (b) entries.set(key.B(e.name), { data: b.data, shape: [b.rows, b.cols] });
    const bias = c.params.bias[e.index];
    if (bias) entries.set(key.bias(e.name), { data: bias, shape: [bias.length] });
  });
  for (const [name, slots] of Object.entries(c.optimizer.buffers)) {
    slots.forEach((buf, slot) => {
      if (buf) entries.set(key.opt(name, slot), { data: buf, shape: [buf.length] });
    });
  }
  const meta: Meta = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    identity,
    epochsDone: c.epochsDone,
    epochsPlanned,
    history: c.history,
    optimizer: { kind: c.optimizer.kind, step: c.optimizer.step, lrs: c.optimizer.lrs, buffers: Object.keys(c.optimizer.buffers) },
    rng: { seed: identity.seed, nextShuffleLabel: `shuffle/${c.epochsDone + 1}` },
    code: codeVersion(),
    ...(sessions ? { sessions } : {}),
    written: new Date().toISOString(),
  };
  const text = new TextEncoder().encode(JSON.stringify(meta));
  entries.set('meta', { data: text, shape: [text.length] });
  writeNpz(path, entries);
}

/** Sessions as saveCheckpoint writes them (a damaged list would be copied into results lines that then fail to read). */
function validSessions(v: unknown): v is RunSession[] {
  return (
    Array.isArray(v) &&
    v.length > 0 &&
    v.every(
      (x) =>
        typeof x === 'object' &&
        x !== null &&
        Number.isInteger((x as RunSession).firstEpoch) &&
        typeof (x as RunSession).code === 'object' &&
        (x as RunSession).code !== null,
    )
  );
}

function mismatch(file: string, path: string, message: string, hint: string): SpecError {
  return new SpecError([{ code: 'FRE042', file, path, message, hint }]);
}

export interface LoadedCheckpoint {
  checkpoint: TrainCheckpoint;
  epochsPlanned: number;
  /** The code version that wrote the checkpoint. */
  code: CodeVersion;
  /**
   * The processes that ran its epochs. A checkpoint written before they were recorded gives one
   * session from epoch 1 with the code that wrote it (the earlier processes' code is unknown).
   */
  sessions: RunSession[];
}

/**
 * The sessions to record for a run of `epochsPlanned` epochs that starts (`loaded` undefined) or
 * continues now, this process last; a finished checkpoint's own (this process runs no epoch of it).
 */
export function runSessions(loaded: LoadedCheckpoint | undefined, epochsPlanned: number): RunSession[] {
  if (loaded && loaded.checkpoint.epochsDone >= epochsPlanned) return loaded.sessions;
  const now: RunSession = { firstEpoch: (loaded?.checkpoint.epochsDone ?? 0) + 1, started: new Date().toISOString(), code: codeVersion() };
  return [...(loaded?.sessions ?? []), now];
}

/**
 * The caller's words for the fixes of a refused checkpoint: each command has its own flags (`fre
 * train --seed`, bench/reproduce's `--seeds`, none in `fre sweep`), so the simulator names none.
 */
export interface CheckpointHints {
  /** How to give up on the checkpoint and start the run over (the second half of every hint). */
  restart: string;
  /** How to make this run match the checkpoint's `field` (whose value is `saved`); undefined: the generic fix. */
  match?(field: keyof RunIdentity, saved: unknown): string | undefined;
  /** The hint when the checkpoint file does not exist. */
  missing?: string;
}

/** Fixes that are no command's flag: the spec, the backend, the CPU's OpenBLAS core. */
function genericMatch(field: keyof RunIdentity, saved: unknown): string {
  switch (field) {
    case 'specHash':
      return 'resume with the spec the checkpoint was written for (the spec file changed)';
    case 'blasCore':
      return `run where OpenBLAS uses the ${String(saved)} kernels (OPENBLAS_CORETYPE=${String(saved)}; other cores round differently)`;
    case 'backend':
      return `run on the ${String(saved)} kernels (FRE_BACKEND=${backendChoiceFor(saved) ?? String(saved)}; other backends round differently)`;
    default:
      return `resume with the ${field} it was written with (${JSON.stringify(saved)})`;
  }
}

/**
 * Reads a checkpoint for a run with `identity` on `net`; every mismatch is an FRE042 diagnostic
 * naming the file, the field and the fix (in `hints`' words). Float arrays come back as fresh copies.
 */
export function loadCheckpoint(file: string, net: Net, identity: RunIdentity, hints: CheckpointHints): LoadedCheckpoint {
  const or = (fix: string) => `${fix}, or ${hints.restart}`;
  if (!existsSync(file)) {
    throw mismatch(file, '', 'no checkpoint file to resume from', hints.missing ?? "pass the checkpoint's path");
  }
  let npz: Map<string, NpyArray>;
  try {
    npz = readNpz(file);
  } catch (err) {
    if (err instanceof NpzError) throw mismatch(file, '', err.detail, `the file is not a readable checkpoint: ${hints.restart}`);
    throw err;
  }
  const rawMeta = npz.get('meta');
  let meta: Meta;
  try {
    if (!rawMeta || rawMeta.dtype !== '|u1') throw new Error('no meta');
    meta = JSON.parse(new TextDecoder().decode(rawMeta.data as Uint8Array)) as Meta;
  } catch {
    throw mismatch(file, '/meta', 'no readable checkpoint description (meta)', `the file is not a checkpoint fre wrote: ${hints.restart}`);
  }
  if (meta.format !== CHECKPOINT_FORMAT || meta.version !== CHECKPOINT_VERSION) {
    throw mismatch(
      file,
      '/meta/version',
      `format ${meta.format} version ${meta.version}, this build reads ${CHECKPOINT_FORMAT} version ${CHECKPOINT_VERSION}`,
      or('resume with the code version that wrote it (meta.code)'),
    );
  }
  const fields: (keyof RunIdentity)[] = [
    'specHash',
    'specName',
    'algo',
    'seed',
    'trainSamples',
    'testSamples',
    'batchSize',
    'backend',
    'blasCore',
  ];
  for (const field of fields) {
    const saved = meta.identity?.[field];
    if (field === 'blasCore' && saved === undefined) continue; // written before the core was recorded
    if (saved !== identity[field]) {
      // specName and batchSize are part of the spec: its fix, in every caller's words.
      const asked = field === 'specName' || field === 'batchSize' ? 'specHash' : field;
      const fix = hints.match?.(asked, saved) ?? genericMatch(asked, saved);
      throw mismatch(
        file,
        `/meta/identity/${field}`,
        `checkpoint has ${field} ${JSON.stringify(saved)}, this run has ${JSON.stringify(identity[field])}`,
        or(fix),
      );
    }
  }
  try {
    const W = net.edges.map((e) => ({
      rows: e.rows,
      cols: e.cols,
      data: expectArray(npz, key.W(e.name), [e.rows, e.cols], file, `weights of ${e.name}`).slice(),
    }));
    const B = net.edges.map((e) => {
      const a = npz.get(key.B(e.name));
      if (!a) return undefined;
      return {
        rows: e.cols,
        cols: e.rows,
        data: expectArray(npz, key.B(e.name), [e.cols, e.rows], file, `random feedback of ${e.name}`).slice(),
      };
    });
    const bias = net.edges.map((e) =>
      e.bias ? expectArray(npz, key.bias(e.name), [e.rows], file, `bias of ${e.name}`).slice() : undefined,
    );
    const params: Params = { W, B, bias };
    const buffers: Record<string, (Float32Array | null)[]> = {};
    // Two slots per edge (matrix, bias), as makeGrads; absent arrays are slots without a buffer.
    const slots = 2 * net.edges.length;
    for (const name of meta.optimizer.buffers) {
      buffers[name] = Array.from({ length: slots }, (_, s) => {
        const a = npz.get(key.opt(name, s));
        return a ? expectArray(npz, key.opt(name, s), a.shape, file, `optimizer ${name} of slot ${s}`).slice() : null;
      });
    }
    const optimizer: OptimizerState = { kind: meta.optimizer.kind, step: meta.optimizer.step, lrs: meta.optimizer.lrs, buffers };
    return {
      checkpoint: { epochsDone: meta.epochsDone, history: meta.history, params, optimizer },
      epochsPlanned: meta.epochsPlanned,
      code: meta.code,
      sessions: validSessions(meta.sessions) ? meta.sessions : [{ firstEpoch: 1, code: meta.code }],
    };
  } catch (err) {
    if (err instanceof NpzError) throw mismatch(file, '', err.detail, or('the checkpoint belongs to another graph: resume with its spec'));
    throw err;
  }
}
