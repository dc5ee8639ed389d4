/**
 * results.jsonl: one JSON object per finished run, appended by the sweep's parent process only,
 * each with a single write() on a file opened O_APPEND and fsync'd before the run counts as done.
 * A process killed mid-write can leave at most a torn last line (no newline); readers ignore it
 * with a warning and --resume cuts it off before appending.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, ftruncateSync, writeFileSync, writeSync } from 'node:fs';
import { getRunner } from './runner';
import { SweepError } from './errors';
import type { RunConfig } from './runner';
import { runKey } from './grid';
import type { Provenance } from '../util/provenance';

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
}

export function lineKey(l: ResultLine): string {
  return runKey(l.point, l.seed, l.method);
}

export interface ReadResult {
  lines: ResultLine[];
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
    buf = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !opts.mustExist) return { lines: [], validBytes: 0 };
    throw SweepError.one(file, '', `cannot read the results file (${code ?? (err as Error).message})`, 'check the path');
  }
  const end = buf.lastIndexOf(0x0a) + 1; // bytes up to and including the last newline
  const text = buf.subarray(0, end).toString('utf8');
  const lines: ResultLine[] = [];
  const rows = text.split('\n');
  rows.pop(); // after the final newline
  rows.forEach((row, i) => {
    if (row.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(row);
    } catch (err) {
      throw SweepError.one(file, `line ${i + 1}`, `not valid JSON (${(err as Error).message}); the file was edited or damaged`,
        'delete that line (its run is redone on the next --resume) or restore the file');
    }
    const bad = checkLine(v);
    if (bad) throw SweepError.one(file, `line ${i + 1}`, `not a sweep result: ${bad}`, 'results files are written by `fre sweep`; pass one of those');
    lines.push(v as ResultLine);
  });
  const out: ReadResult = { lines, validBytes: end };
  if (end < buf.length) {
    out.torn = `${file}: the last line is incomplete (${buf.length - end} bytes without a newline — a run killed while writing?); ignoring it`;
  }
  return out;
}

function checkLine(v: unknown): string | undefined {
  if (!isObj(v)) return 'a line must be a JSON object';
  if (typeof v.sweepHash !== 'string') return 'no "sweepHash"';
  if (typeof v.index !== 'number' || !Number.isInteger(v.index)) return 'no run "index"';
  if (!isObj(v.point)) return 'no "point"';
  if (typeof v.seed !== 'number') return 'no "seed"';
  if (typeof v.method !== 'string') return 'no "method"';
  if (!isObj(v.metrics)) return 'no "metrics"';
  return undefined;
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
  const all: { line: ResultLine; file: string }[] = [];
  for (const f of files) {
    const r = readResults(f, { mustExist: true });
    if (r.torn) warnings.push(r.torn);
    r.lines.forEach((line) => {
      const h = byHash.get(line.sweepHash) ?? { sweep: line.sweep, files: [] };
      if (!h.files.includes(f)) h.files.push(f);
      byHash.set(line.sweepHash, h);
      all.push({ line, file: f });
    });
    if (r.lines.length === 0) warnings.push(`${f}: no finished runs`);
  }
  if (byHash.size > 1) {
    const desc = [...byHash.entries()].map(([h, v]) => `sweep "${v.sweep}" (hash ${h}) in ${v.files.join(', ')}`).join('; ');
    throw SweepError.one(files.join(', '), '', `these results come from ${byHash.size} different sweeps: ${desc}`,
      'merge only shards of one sweep file (same graph, axes, seeds, metrics); run `fre sweep merge` once per sweep');
  }
  const seen = new Map<string, ResultLine>();
  let duplicates = 0;
  let conflicts = 0;
  for (const { line, file } of all) {
    const k = lineKey(line);
    const prev = seen.get(k);
    if (!prev) { seen.set(k, line); continue; }
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
  const tmp = `${out}.tmp-${process.pid}`;
  writeFileSync(tmp, merged.map((l) => `${JSON.stringify(l)}\n`).join(''));
  const fd = openSync(tmp, 'r');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, out);
  return { runs: merged.length, duplicates, conflicts, total, missing, warnings };
}

export function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
