/**
 * `fre sweep SWEEP.json`: check the sweep file, list the runs (of this shard), skip those already
 * in the results file (--resume), run the rest on worker processes and append each finished run.
 */
import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { loadSweep, type SweepDef } from './definition';
import { SweepError } from './errors';
import { configOf, enumerateRuns, runCount, shardRuns, type Run, type Shard } from './grid';
import { runPool, RunFailedError } from './pool';
import { formatDuration, Progress } from '../util/progress';
import { plural } from '../util/format';
import { fileSize, lineKey, readResults, ResultsWriter, truncateTorn, type ResultLine } from './results';
import { provenance } from '../util/provenance';
import { LockError, lockOutput } from '../util/output-lock';

export interface SweepOptions {
  file: string;
  out?: string;
  resume: boolean;
  workers: number;
  /** Runs again a run whose worker process died, up to this many times (default 1). */
  retries?: number;
  shard?: Shard;
  dataDir?: string;
  dryRun?: boolean;
  /** 'bar' on a terminal, 'lines' (one line per finished run) otherwise, or 'none'. */
  progress: 'bar' | 'lines' | 'none';
  log: (line: string) => void;
  /** Where --dry-run lists the runs (default: log). */
  print?: (line: string) => void;
  /** A run was handed to the worker process `pid` (progress displays, fault-injection tests). */
  onRunStart?: (index: number, pid: number | undefined) => void;
  /** Extra worker environment (tests, benchmarks). */
  workerEnv?: Record<string, string>;
}

export interface SweepSummary {
  def: SweepDef;
  out: string;
  /** Runs of this shard, already done before this invocation, done now. */
  planned: number;
  skipped: number;
  ran: number;
  stopped: boolean;
  seconds: number;
}

/** Default results file: <sweep file name>[.shard-I-of-N].results.jsonl in the current folder. */
export function defaultOut(file: string, shard?: Shard): string {
  const base = basename(file).replace(/\.json$/, '');
  return `${base}${shard ? `.shard-${shard.index}-of-${shard.count}` : ''}.results.jsonl`;
}

export function describePoint(point: Record<string, unknown>): string {
  return (
    Object.entries(point)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ') || '(single point)'
  );
}

function fmtSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.round(s - 60 * m)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export async function runSweep(o: SweepOptions): Promise<SweepSummary> {
  const t0 = Date.now();
  const def = loadSweep(o.file, { dataDir: o.dataDir });
  const all = enumerateRuns(def);
  const runs = shardRuns(all, o.shard);
  const out = o.out ?? defaultOut(o.file, o.shard);
  const shardText = o.shard ? `, shard ${o.shard.index}/${o.shard.count}` : '';
  const logAxes = def.axes.filter((a) => a.scale === 'log').map((a) => a.name);

  if (o.dryRun) {
    const print = o.print ?? o.log;
    print(
      `sweep "${def.name}" (hash ${def.hash}): runner ${def.runner.name}, ${plural(def.axes.length, 'axis', 'axes')}, ${plural(def.seeds.length, 'seed')}, ${plural(runCount(def), 'run')}${shardText ? `; this shard ${runs.length}` : ''}`,
    );
    for (const a of def.axes) {
      print(
        `  axis ${a.name}: ${a.values.map((v) => JSON.stringify(v)).join(', ')}${a.targets.length ? `  → ${a.targets.map((t) => `${t.doc}${t.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('')}`).join(', ')}` : ''}`,
      );
    }
    print(`  seeds: ${def.seeds.join(', ')}; metrics: ${def.metrics.join(', ')}`);
    for (const r of runs) print(`  run ${r.index}: ${describePoint(r.point)} seed=${r.seed}`);
    return { def, out, planned: runs.length, skipped: 0, ran: 0, stopped: false, seconds: 0 };
  }

  // One writer per results file (util/output-lock.ts), from reading what is done to the last line.
  const release = lockResultsFile(out, o.log);
  try {
    return await sweepUnlocked(o, def, all, runs, out, shardText, logAxes, t0);
  } finally {
    release();
  }
}

/** The results file's lock (util/output-lock.ts), its refusal as the sweep's own error. */
export function lockResultsFile(out: string, log: (line: string) => void): () => void {
  try {
    return lockOutput(out, { command: 'fre sweep', output: 'this results file', elsewhere: 'write to another file with --out' }, log);
  } catch (err) {
    if (err instanceof LockError) throw SweepError.one(err.file, '', err.detail, err.hint);
    throw err;
  }
}

/** runSweep after the dry-run check, holding the results file's lock. */
async function sweepUnlocked(
  o: SweepOptions,
  def: SweepDef,
  all: Run[],
  runs: Run[],
  out: string,
  shardText: string,
  logAxes: string[],
  t0: number,
): Promise<SweepSummary> {
  // What is already done.
  const done = new Set<string>();
  if (existsSync(out) && fileSize(out) > 0) {
    const prev = readResults(out);
    if (!o.resume) {
      throw SweepError.one(
        out,
        '',
        `the results file already exists with ${prev.lines.length} finished run${prev.lines.length === 1 ? '' : 's'}`,
        'add --resume to continue that sweep, or choose another file with --out (or delete it to start over)',
      );
    }
    const other = prev.lines.findIndex((l) => l.sweepHash !== def.hash);
    if (other >= 0) {
      const l = prev.lines[other];
      throw SweepError.one(
        out,
        `line ${other + 1}`,
        `this file holds runs of a different sweep ("${l.sweep}", hash ${l.sweepHash}) than ${o.file} (hash ${def.hash}) — the sweep file, its base graph or its data limits changed since`,
        'resume with the sweep file that wrote it, or write this sweep to another file with --out',
      );
    }
    // Every finished run must be a run of this grid, at its own index (a hand-edited or foreign
    // line would otherwise make --resume skip a run that never ran).
    const byKey = new Map(all.map((r) => [r.key, r]));
    prev.lines.forEach((l, k) => {
      const r = byKey.get(lineKey(l));
      if (!r || r.index !== l.index || l.total !== all.length) {
        throw SweepError.one(
          out,
          `line ${prev.rows[k]}`,
          r
            ? `run ${l.index} of ${l.total} does not match the grid of ${o.file}, where this point and seed are run ${r.index} of ${all.length}`
            : `its point ${describePoint(l.point)} seed=${l.seed} method=${l.method} is not in the grid of ${o.file}`,
          'delete that line (or restore the file), then resume again',
        );
      }
    });
    if (prev.torn) {
      o.log(`warning: ${prev.torn}; cutting it off (that run is redone)`);
      truncateTorn(out, prev);
    }
    for (const l of prev.lines) done.add(lineKey(l));
  }
  const todo = runs.filter((r) => !done.has(r.key));
  const skipped = runs.length - todo.length;
  const nWorkers = Math.min(o.workers, Math.max(todo.length, 1));
  o.log(
    `sweep "${def.name}": ${runs.length} runs${shardText} (${all.length} in the grid), ${skipped ? `${skipped} already in ${out}, ` : ''}${todo.length} to run${todo.length ? ` on ${nWorkers} worker${nWorkers === 1 ? '' : 's'}` : ''} → ${out}`,
  );

  // Runners that train keep each running run's checkpoint beside the results file (<out>.ckpt/run-N.ckpt.npz),
  // so a sweep killed mid-run continues those runs from their last epoch. Without --resume the sweep
  // starts over: checkpoints left by an earlier, unrecorded attempt are not continued.
  const ckptDir = def.runner.checkpoints ? `${out}.ckpt` : undefined;
  const ckptOf = (index: number) => (ckptDir ? join(ckptDir, `run-${index}.ckpt.npz`) : undefined);
  const removeEmptyCkptDir = () => {
    // An empty checkpoint folder means no run is half done (the same sweep's other shards may share it).
    if (ckptDir && existsSync(ckptDir) && readdirSync(ckptDir).length === 0) rmdirSync(ckptDir);
  };
  if (ckptDir && done.size > 0 && existsSync(ckptDir)) {
    // A recorded run's line is durable (fsynced): a checkpoint left beside it is from a sweep killed
    // between writing the line and deleting the file.
    for (const r of runs) if (done.has(r.key)) rmSync(ckptOf(r.index)!, { force: true });
    removeEmptyCkptDir();
  }
  if (todo.length === 0) return { def, out, planned: runs.length, skipped, ran: 0, stopped: false, seconds: (Date.now() - t0) / 1e3 };
  if (ckptDir) {
    if (!o.resume) for (const r of todo) rmSync(ckptOf(r.index)!, { force: true });
    mkdirSync(ckptDir, { recursive: true });
  }
  const writer = new ResultsWriter(out);
  const byId = new Map<number, Run>(todo.map((r) => [r.index, r]));
  const configs = new Map<number, ResultLine['config']>();
  // Runs done before this invocation count as done but not towards the rate (the ETA).
  const progress = new Progress({
    label: `sweep ${def.name}`,
    total: runs.length,
    initial: skipped,
    unit: 'runs',
    mode: o.progress,
    heartbeat: true,
    stream: o.progress === 'bar' ? process.stderr : { write: (t: string) => o.log(t.replace(/\n$/, '')) },
  });
  const say = (line: string) => (o.progress === 'bar' ? progress.log(line) : o.log(line));
  let ran = 0;

  const pool = runPool(
    todo.map((r) => ({
      id: r.index,
      checkpoint: ckptOf(r.index),
      config: () => {
        const c = configOf(def, r);
        configs.set(r.index, c);
        return c;
      },
    })),
    {
      workers: o.workers,
      retries: o.retries ?? 1,
      onStart: (id, _worker, pid) => o.onRunStart?.(id, pid),
      onRetry: (id, detail, attempt) => {
        const r = byId.get(id)!;
        o.log(
          `warning: run ${r.index} (${describePoint(r.point)} seed=${r.seed}): ${detail}; running it again (retry ${attempt} of ${o.retries ?? 1})`,
        );
      },
      env: o.workerEnv,
      label: resolve(out),
      onResult: ({ id, metrics, seconds, backend, sessions }) => {
        const r = byId.get(id)!;
        const recorded: Record<string, number | null> = {};
        for (const m of def.metrics) {
          if (!(m in metrics))
            throw new Error(`runner "${def.runner.name}" returned no metric "${m}" (it returned ${Object.keys(metrics).join(', ')})`);
          recorded[m] = Number.isFinite(metrics[m]) ? metrics[m] : null;
        }
        const line: ResultLine = {
          sweep: def.name,
          sweepHash: def.hash,
          index: r.index,
          total: all.length,
          point: r.point,
          seed: r.seed,
          method: r.method,
          metrics: recorded,
          ...(logAxes.length ? { logAxes } : {}),
          config: configs.get(id)!,
          seconds,
          finished: new Date().toISOString(),
          provenance: provenance(backend),
          ...(sessions ? { sessions } : {}),
        };
        writer.append(line);
        // The results line holds what the run produced; its checkpoint is no longer needed.
        if (ckptDir) rmSync(ckptOf(id)!, { force: true });
        configs.delete(id);
        ran++;
        progress.update(skipped + ran);
        if (o.progress === 'lines') {
          const eta = progress.eta();
          o.log(
            `[${skipped + ran}/${runs.length}] run ${r.index} ${describePoint(r.point)} seed=${r.seed}: ${def.metrics.map((m) => `${m} ${fmtMetric(recorded[m])}`).join(', ')} (${fmtSeconds(seconds)})${Number.isFinite(eta) && skipped + ran < runs.length ? `; eta ${formatDuration(eta)}` : ''}`,
          );
        }
      },
    },
  );

  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      progress.pause();
      say(
        '\ninterrupted: letting the running runs finish and recording them (Ctrl-C again to stop now; unfinished runs are redone by --resume)',
      );
      pool.drain();
    } else {
      say('stopping now');
      pool.kill();
    }
  };
  process.on('SIGINT', onSigint);
  let stopped = false;
  try {
    stopped = (await pool.done).stopped;
  } catch (err) {
    progress.finish();
    if (err instanceof RunFailedError) {
      const r = byId.get(err.id);
      const what = r ? `run ${r.index} (${describePoint(r.point)} seed=${r.seed})` : 'a run';
      const msg = `${what} failed: ${err.detail}\n  ${ran} run${ran === 1 ? '' : 's'} finished and kept in ${out}; fix the cause and continue with: fre sweep ${o.file} --resume${o.out ? ` --out ${o.out}` : ''}${o.shard ? ` --shard ${o.shard.index}/${o.shard.count}` : ''}`;
      throw err.user
        ? new SweepError([{ file: o.file, where: '', message: msg, hint: 'the message above names what to change' }])
        : new Error(msg);
    }
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
    writer.close();
    removeEmptyCkptDir();
  }
  progress.finish();
  const seconds = (Date.now() - t0) / 1e3;
  const total = skipped + ran;
  o.log(
    stopped
      ? `stopped: ${total} of ${runs.length} runs in ${out}; continue with: fre sweep ${o.file} --resume${o.out ? ` --out ${o.out}` : ''}${o.shard ? ` --shard ${o.shard.index}/${o.shard.count}` : ''}`
      : `done: ${ran} run${ran === 1 ? '' : 's'} in ${fmtSeconds(seconds)}${skipped ? ` (+${skipped} from before)` : ''}; ${total} of ${runs.length} in ${out}`,
  );
  return { def, out, planned: runs.length, skipped, ran, stopped, seconds };
}

export function fmtMetric(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return 'n/a';
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(3);
  return Number(v.toPrecision(4)).toString();
}
