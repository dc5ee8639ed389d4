/**
 * `fre report RESULT… -o report.html`: one self-contained HTML page (inline SVG, a few lines of
 * inline script, no network) for training runs (fre train --json), chip runs (fre simulate/run
 * --json) and sweeps (results .jsonl), in the order given. Written atomically.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import type { Argv } from 'yargs';
import { SweepError } from '../sweep/errors';
import { readResults } from '../sweep/results';
import { UsageError } from './errors';
import { page, type Section } from './report/html';
import { readInput, repError } from './report/inputs';
import { chipSection, trainSection } from './report/run-sections';
import { sweepSection } from './report/sweep-section';

export interface ReportArgs {
  results: string[];
  out: string;
  title?: string;
  cols: number;
}

export function reportOptions<T>(y: Argv<T>) {
  return y
    .positional('results', {
      type: 'string',
      array: true,
      demandOption: true,
      // A required list has no default: yargs would show "[required] [default: []]".
      default: undefined,
      describe: 'fre train/simulate/run --json outputs (.json) and sweep results (.jsonl)',
    })
    .option('out', { alias: 'o', type: 'string', demandOption: true, describe: 'the HTML file to write' })
    .option('title', { type: 'string', describe: 'page title (default: from the inputs)' })
    .option('cols', { type: 'number', default: 2, describe: 'plot panels per row' });
}

/** The sweep a results file belongs to ('' for an empty file: buildReport then says what is wrong). */
function sweepHashOf(file: string): string {
  return readResults(file, { mustExist: true }).lines[0]?.sweepHash ?? `empty:${file}`;
}

/** The page as text (exported for tests). */
export function buildReportPage(files: string[], o: { title?: string; cols?: number } = {}): string {
  const cols = o.cols ?? 2;
  // Results files of one sweep (its shards) make one section, where the first of them stands.
  const inputs = files.map(readInput);
  const shards = new Map<string, string[]>();
  for (const i of inputs) {
    if (i.kind !== 'sweep') continue;
    const hash = sweepHashOf(i.file);
    shards.set(hash, [...(shards.get(hash) ?? []), i.file]);
  }
  const sections: Section[] = [];
  const done = new Set<string>();
  for (const i of inputs) {
    if (i.kind === 'train') sections.push(trainSection(i.file, i.result, cols));
    else if (i.kind === 'chip') sections.push(chipSection(i.file, i.result, cols));
    else {
      const hash = sweepHashOf(i.file);
      if (done.has(hash)) continue;
      done.add(hash);
      sections.push(sweepSection(shards.get(hash)!, cols));
    }
  }
  const title = o.title ?? `fre report: ${files.map((f) => basename(f)).join(', ')}`;
  return page(title, sections);
}

/** Readers never see a half-written page: a sibling temp file, fsynced, renamed over the target. */
function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w');
    writeSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined)
      try {
        closeSync(fd);
      } catch {
        /* the first error matters */
      }
    try {
      unlinkSync(tmp);
    } catch {
      /* may not exist */
    }
    throw repError(
      'REP005',
      path,
      '',
      `cannot be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); any previous file is unchanged`,
      'choose a writable path for -o (its folder must exist)',
    );
  }
}

export function runReportCommand(a: ReportArgs): void {
  if (!Number.isInteger(a.cols) || a.cols < 1) throw new UsageError(`--cols must be an integer ≥ 1, got ${a.cols}`);
  let html: string;
  try {
    html = buildReportPage(a.results, { title: a.title, cols: a.cols });
  } catch (e) {
    if (e instanceof SweepError) throw new UsageError(e.message);
    throw e;
  }
  writeAtomic(a.out, html);
  process.stderr.write(`report of ${a.results.length} result${a.results.length === 1 ? '' : 's'} written to ${a.out}\n`);
}
