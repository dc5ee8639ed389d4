/**
 * results.jsonl: one JSON object per finished run, appended by the sweep's parent process only,
 * each with a single write() on a file opened O_APPEND and fsync'd before the run counts as done.
 * A process killed mid-write can leave at most a torn last line (no newline); readers ignore it
 * with a warning and --resume cuts it off before appending.
 */
import { closeSync, fsyncSync, openSync, statSync, ftruncateSync, writeSync } from 'node:fs';
import { writeAtomic } from '../util/atomic-write';
import { formatBytes, LIMITS } from '../util/limits';
import { readBounded, ReadError } from '../util/read-bounded';
import { getRunner } from './runner';
import { SweepError } from './errors';
import type { RunConfig } from './runner';
import { runKey } from './grid';
import type { Provenance } from '../util/provenance';
import type { RunSession } from '../simulator/checkpoint';

export interface ResultLine {
  /** The sweep's name (for people) and hash (for machines: lines of different sweeps never mix). */
  sweep: string;
  sweepHash: string;
  /** Run index in the whole grid, and the grid's size (so a merge knows what is missing). */
  index: number;
  total: number;
  /** Axis values by axis name, in axis order. */
  point: Record<string, unknown>;
  seed: number;
  method: string;
  /** The recorded metrics (NaN is written as null). */
  metrics: Record<string, number | null>;
  /** Axes whose values came from a log range (a plotting hint). */
  logAxes?: string[];
  /** The run's full configuration: graph with axis values applied, chip, method, seed, data. */
  config: RunConfig;
  /** Wall-clock seconds of the run, and when it finished (not part of the run's identity). */
  seconds: number;
  finished: string;
  /** fre version, commit, kernel backend and machine of the run (absent in files of older versions). */
  provenance?: Provenance;
  /**
   * Present when the run was continued from its checkpoint: the processes that ran its epochs, each
   * with its first epoch and code version (`seconds` and `provenance` are the last one's).
   */
  sessions?: RunSession[];
}

export function lineKey(l: ResultLine): string {
  return runKey(l.point, l.seed, l.method);
}

export interface ReadResult {
  lines: ResultLine[];
  /** Line number in the file of each of `lines`. */
  rows: number[];
  /** Byte length of the complete lines; less than the file size when the last line is torn. */
  validBytes: number;
  /** Set when the last line was incomplete (and ignored). */
  torn?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads a results file; a missing file is empty. A torn last line is reported in `torn`, not thrown. */
export function readResults(file: string, opts: { mustExist?: boolean } = {}): ReadResult {
  let buf: Buffer;
  try {
    buf = readBounded(file, LIMITS.resultsFileBytes);
  } catch (err) {
    if (!(err instanceof ReadError)) throw err;
    if (err.reason === 'missing' && !opts.mustExist) return { lines: [], rows: [], validBytes: 0 };
    throw SweepError.one(
      file,
      '',
      `cannot read the results file: it ${err.detail}`,
      err.reason === 'too-large'
        ? `a results file holds at most ${formatBytes(LIMITS.resultsFileBytes)} (docs/limits.md); split the sweep into shards`
        : 'check the path',
    );
  }
  const end = buf.lastIndexOf(0x0a) + 1; // bytes up to and including the last newline
  const text = buf.subarray(0, end).toString('utf8');
  const lines: ResultLine[] = [];
  const rowsOf: number[] = [];
  const rows = text.split('\n');
  rows.pop(); // after the final newline
  rows.forEach((row, i) => {
    if (row.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(row);
    } catch (err) {
      throw SweepError.one(
        file,
        `line ${i + 1}`,
        `not valid JSON (${(err as Error).message}); the file was edited or damaged`,
        'delete that line (its run is redone on the next --resume) or restore the file',
      );
    }
    const bad = checkLine(v);
    if (bad)
      throw SweepError.one(
        file,
        `line ${i + 1}`,
        `not a sweep result: ${bad}`,
        'results files are written by `fre sweep`; delete or restore that line (its run is redone on --resume)',
      );
    lines.push(v as ResultLine);
    rowsOf.push(i + 1);
  });
  checkConsistent(lines.map((line, k) => ({ line, file, row: rowsOf[k] })));
  const out: ReadResult = { lines, rows: rowsOf, validBytes: end };
  if (end < buf.length) {
    out.torn = `${file}: the last line is incomplete (${buf.length - end} bytes without a newline — a run killed while writing?); ignoring it`;
  }
  return out;
}

/**
 * One line's fields, each against what `fre sweep` writes: a damaged or hand-edited line must be
 * refused by resume, merge and report alike (an index of -1 or 1e20, a "total" that would make a
 * merge list 1e9 missing runs, a metric that is a string), naming the line and the field.
 */
export function checkLine(v: unknown): string | undefined {
  if (!isObj(v)) return 'a line must be a JSON object';
  if (typeof v.sweep !== 'string') return '"sweep" (the sweep\'s name) is missing or not a string';
  if (typeof v.sweepHash !== 'string' || v.sweepHash === '') return '"sweepHash" is missing or not a string';
  if (typeof v.total !== 'number' || !Number.isInteger(v.total) || v.total < 1 || v.total > LIMITS.sweepRuns) {
    return `"total" must be the grid's run count, an integer from 1 to ${LIMITS.sweepRuns} (docs/limits.md), got ${JSON.stringify(v.total)}`;
  }
  if (typeof v.index !== 'number' || !Number.isInteger(v.index) || v.index < 0 || v.index >= v.total) {
    return `"index" must be a run index, an integer from 0 to total − 1 = ${v.total - 1}, got ${JSON.stringify(v.index)}`;
  }
  if (!isObj(v.point)) return '"point" is missing or not an object';
  if (typeof v.seed !== 'number' || !Number.isInteger(v.seed)) return `"seed" must be an integer, got ${JSON.stringify(v.seed)}`;
  if (typeof v.method !== 'string') return '"method" is missing or not a string';
  if (!isObj(v.metrics)) return '"metrics" is missing or not an object';
  for (const [k, m] of Object.entries(v.metrics)) {
    if (m !== null && (typeof m !== 'number' || !Number.isFinite(m)))
      return `metric "${k}" must be a number or null, got ${JSON.stringify(m)}`;
  }
  if (v.seconds !== undefined && (typeof v.seconds !== 'number' || !Number.isFinite(v.seconds) || v.seconds < 0))
    return `"seconds" must be a number ≥ 0, got ${JSON.stringify(v.seconds)}`;
  if (v.sessions !== undefined && (!Array.isArray(v.sessions) || !v.sessions.every((s) => isObj(s) && Number.isInteger(s.firstEpoch))))
    return '"sessions" must be a list of {firstEpoch, code} (the processes that ran a resumed run)';
  return undefined;
}

/**
 * Lines of one sweep must agree with each other: one grid size, and one run (point, seed, method)
 * per index. A line that breaks this has a point outside the grid the others describe.
 */
export function checkConsistent(lines: { line: ResultLine; file: string; row: number }[]): void {
  const byIndex = new Map<number, { key: string; file: string; row: number }>();
  const totals = new Map<string, { total: number; file: string; row: number }>();
  const axes = new Map<string, { names: string; file: string; row: number }>();
  for (const { line, file, row } of lines) {
    // Every point of one grid names the same axes, in the same order.
    const names = JSON.stringify(Object.keys(line.point));
    const a = axes.get(line.sweepHash);
    if (a && a.names !== names) {
      throw SweepError.one(
        file,
        `line ${row}`,
        `the point has axes ${names}, but ${a.file} line ${a.row} of the same sweep has ${a.names}: a point outside the grid`,
        'the line was edited or comes from another grid; delete it (its run is redone on --resume)',
      );
    }
    if (!a) axes.set(line.sweepHash, { names, file, row });
    const t = totals.get(line.sweepHash);
    if (t && t.total !== line.total) {
      throw SweepError.one(
        file,
        `line ${row}`,
        `"total" is ${line.total}, but ${t.file} line ${t.row} of the same sweep says ${t.total}`,
        'the line was edited or comes from another grid; delete it (its run is redone on --resume)',
      );
    }
    if (!t) totals.set(line.sweepHash, { total: line.total, file, row });
    const k = lineKey(line);
    const prev = byIndex.get(line.index);
    if (prev && prev.key !== k) {
      throw SweepError.one(
        file,
        `line ${row}`,
        `run ${line.index} is ${k}, but ${prev.file} line ${prev.row} has run ${line.index} as ${prev.key}: a point outside the grid`,
        'the line was edited or comes from another grid; delete it (its run is redone on --resume)',
      );
    }
    if (!prev) byIndex.set(line.index, { key: k, file, row });
  }
}

/** Cuts a torn last line off so that the next append starts on a fresh line. */
export function truncateTorn(file: string, r: ReadResult): void {
  if (r.torn === undefined) return;
  const fd = openSync(file, 'r+');
  try {
    ftruncateSync(fd, r.validBytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The parent's append-only handle on results.jsonl. */
export class ResultsWriter {
  private readonly fd: number;
  constructor(readonly file: string) {
    this.fd = openSync(file, 'a'); // O_WRONLY | O_CREAT | O_APPEND
  }
  append(line: ResultLine): void {
    const buf = Buffer.from(`${JSON.stringify(line)}\n`, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off); // one call in practice
    fsyncSync(this.fd);
  }
  close(): void {
    closeSync(this.fd);
  }
}

export function isTimingMetric(runner: string, metric: string): boolean {
  return getRunner(runner)?.timingMetrics?.includes(metric) ?? false;
}

/** Metrics without the timing ones (which differ between identical runs). */
export function deterministicMetrics(l: ResultLine): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(l.metrics)) if (!isTimingMetric(l.config?.runner ?? '', k)) out[k] = v;
  return out;
}

export interface MergeSummary {
  runs: number;
  duplicates: number;
  /** Duplicates whose (non-timing) metrics differ: the first one is kept. */
  conflicts: number;
  total: number;
  missing: number[];
  warnings: string[];
}

/** Joins results files of one sweep (e.g. shards) into `out`, sorted by run index. */
export function mergeResults(files: string[], out: string): MergeSummary {
  const warnings: string[] = [];
  const byHash = new Map<string, { sweep: string; files: string[] }>();
  const all: { line: ResultLine; file: string; row: number }[] = [];
  for (const f of files) {
    const r = readResults(f, { mustExist: true });
    if (r.torn) warnings.push(r.torn);
    r.lines.forEach((line, k) => {
      const h = byHash.get(line.sweepHash) ?? { sweep: line.sweep, files: [] };
      if (!h.files.includes(f)) h.files.push(f);
      byHash.set(line.sweepHash, h);
      all.push({ line, file: f, row: r.rows[k] });
    });
    if (r.lines.length === 0) warnings.push(`${f}: no finished runs`);
  }
  if (byHash.size > 1) {
    const desc = [...byHash.entries()].map(([h, v]) => `sweep "${v.sweep}" (hash ${h}) in ${v.files.join(', ')}`).join('; ');
    throw SweepError.one(
      files.join(', '),
      '',
      `these results come from ${byHash.size} different sweeps: ${desc}`,
      'merge only shards of one sweep file (same graph, axes, seeds, metrics); run `fre sweep merge` once per sweep',
    );
  }
  checkConsistent(all);
  const seen = new Map<string, ResultLine>();
  let duplicates = 0;
  let conflicts = 0;
  for (const { line, file } of all) {
    const k = lineKey(line);
    const prev = seen.get(k);
    if (!prev) {
      seen.set(k, line);
      continue;
    }
    duplicates++;
    if (JSON.stringify(deterministicMetrics(prev)) !== JSON.stringify(deterministicMetrics(line))) {
      conflicts++;
      warnings.push(`${file}: run ${line.index} (${k}) appears twice with different metrics; keeping the first`);
    }
  }
  const merged = [...seen.values()].sort((a, b) => a.index - b.index);
  const total = merged.length ? Math.max(...merged.map((l) => l.total ?? 0)) : 0;
  const have = new Set(merged.map((l) => l.index));
  const missing: number[] = [];
  for (let i = 0; i < total; i++) if (!have.has(i)) missing.push(i);
  writeAtomic(out, merged.map((l) => `${JSON.stringify(l)}\n`).join(''));
  return { runs: merged.length, duplicates, conflicts, total, missing, warnings };
}

export function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
