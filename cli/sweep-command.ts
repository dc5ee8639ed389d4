/**
 * `fre sweep SWEEP.json` (run), `fre sweep merge A.jsonl B.jsonl -o all.jsonl`,
 * `fre sweep report results.jsonl [--csv] [--svg out.svg]`. The machinery lives in sweep/;
 * the format and the cluster recipes in docs/sweeps.md.
 */
import { availableParallelism } from 'node:os';
import type { Argv } from 'yargs';
import { SweepError } from '../sweep/errors';
import { runSweep } from '../sweep/execute';
import { parseShard } from '../sweep/grid';
import { formatCsv, formatTable, plotSvg, buildReport } from '../sweep/report';
import { mergeResults } from '../sweep/results';
import { writeAtomic } from '../util/atomic-write';
import { quietOnClosedPipe } from './closed-pipe';
import { UsageError } from './errors';
import { strictFlags } from './flags';

interface RunArgs {
  file: string;
  out?: string;
  resume: boolean;
  workers?: number;
  retries: number;
  shard?: string;
  dataDir?: string;
  dryRun: boolean;
  progress?: 'bar' | 'lines' | 'none';
}
interface MergeArgs {
  files: string[];
  out: string;
}
interface ReportArgs {
  files: string[];
  csv: boolean;
  svg?: string;
  x?: string;
  series?: string;
  metric?: string[];
  logX?: boolean;
  cols?: number;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Sweep problems are user errors: one message, exit code 1, no stack. */
async function userErrors(f: () => Promise<void> | void): Promise<void> {
  try {
    await f();
  } catch (err) {
    if (err instanceof SweepError) throw new UsageError(err.message);
    throw err;
  }
}

export function sweepCommands<T>(y: Argv<T>) {
  return y
    .command(
      'merge <files..>',
      'join results files of one sweep (e.g. its shards) into one, refusing mixed sweeps',
      (b) =>
        strictFlags(
          b
            .positional('files', {
              type: 'string',
              array: true,
              demandOption: true,
              default: undefined,
              describe: 'results files (.jsonl)',
            })
            .option('out', { alias: 'o', type: 'string', demandOption: true, describe: 'the merged results file' }),
        ),
      (a) => userErrors(() => runMerge(a as unknown as MergeArgs)),
    )
    .command(
      'report <files..>',
      'mean ± std over seeds per point: a table (or --csv) and SVG plots',
      (b) =>
        strictFlags(
          b
            .positional('files', {
              type: 'string',
              array: true,
              demandOption: true,
              default: undefined,
              describe: 'results file(s) of one sweep',
            })
            .option('csv', { type: 'boolean', default: false, describe: 'print CSV instead of the table' })
            .option('svg', { type: 'string', describe: 'write plots (one panel per metric) to this SVG file' })
            .option('x', { type: 'string', describe: 'axis on the x axis (default: the first numeric axis)' })
            .option('series', { type: 'string', describe: 'one line per value of this axis (default: method)' })
            .option('metric', { type: 'string', array: true, describe: 'metrics to show (default: all recorded)' })
            .option('log-x', {
              type: 'boolean',
              describe: 'logarithmic x axis (default: on for axes swept with a log range or spanning ≥ 2 decades)',
            })
            .option('cols', { type: 'number', describe: 'panels per row of the plot grid (default 3)' }),
        ),
      (a) => userErrors(() => runReport(a as unknown as ReportArgs)),
    )
    .command(
      '$0 <file>',
      'run a sweep file on worker processes (all cores), appending each finished run to a results file',
      (b) =>
        strictFlags(
          b
            .positional('file', { type: 'string', demandOption: true, describe: 'sweep file (fre-sweep/1 JSON)' })
            .option('out', {
              alias: 'o',
              type: 'string',
              describe: 'results file (default: <sweep>.results.jsonl, or <sweep>.shard-I-of-N.results.jsonl)',
            })
            .option('resume', { type: 'boolean', default: false, describe: 'continue a results file: skip the runs it holds' })
            .option('workers', {
              alias: 'j',
              type: 'number',
              describe: `worker processes (default: the number of cores, ${availableParallelism()} here)`,
            })
            .option('shard', {
              type: 'string',
              describe: 'I/N: run only the runs whose index mod N = I (0 ≤ I < N), for cluster job arrays',
            })
            .option('data-dir', { type: 'string', describe: 'folder with the dataset files (overrides the sweep file)' })
            .option('dry-run', { type: 'boolean', default: false, describe: 'check the sweep file and list its runs; run nothing' })
            .option('progress', {
              choices: ['bar', 'lines', 'none'] as const,
              describe: 'progress display (default: bar on a terminal, else one line per run)',
            })
            .option('retries', {
              type: 'number',
              default: 1,
              describe: 'run again a run whose worker process died (killed, out of memory) up to N times before the sweep fails',
            }),
        ),
      (a) => userErrors(() => runSweepCommand(a as unknown as RunArgs)),
    )
    .demandCommand(1);
}

async function runSweepCommand(a: RunArgs): Promise<void> {
  quietOnClosedPipe();
  const workers = a.workers ?? availableParallelism();
  if (!Number.isInteger(workers) || workers < 1) throw new UsageError(`--workers must be an integer ≥ 1, got ${a.workers}`);
  let shard;
  if (a.shard !== undefined) {
    shard = parseShard(String(a.shard));
    if (!shard) throw new UsageError(`--shard must be I/N with 0 ≤ I < N (e.g. --shard 0/4 … 3/4), got "${a.shard}"`);
  }
  const s = await runSweep({
    file: a.file,
    out: a.out,
    resume: a.resume,
    workers,
    retries: a.retries,
    shard,
    dataDir: a.dataDir,
    dryRun: a.dryRun,
    progress: a.progress ?? (process.stderr.isTTY ? 'bar' : 'lines'),
    log,
    print: (line) => process.stdout.write(`${line}\n`),
  });
  if (s.stopped) process.exitCode = 130;
}

function runMerge(a: MergeArgs): void {
  const s = mergeResults(a.files, a.out);
  for (const w of s.warnings) log(`warning: ${w}`);
  log(
    `merged ${a.files.length} file${a.files.length === 1 ? '' : 's'}: ${s.runs} runs${s.duplicates ? ` (${s.duplicates} duplicate${s.duplicates === 1 ? '' : 's'} dropped)` : ''} → ${a.out}; ` +
      (s.missing.length
        ? `${s.missing.length} of ${s.total} runs of the grid are missing (e.g. run ${s.missing.slice(0, 5).join(', ')})`
        : `complete (${s.total} of ${s.total} runs)`),
  );
}

function runReport(a: ReportArgs): void {
  quietOnClosedPipe();
  const r = buildReport(a.files);
  for (const w of r.warnings) log(`warning: ${w}`);
  const metrics = a.metric?.flatMap((m) => m.split(',')).filter(Boolean);
  if (metrics) {
    for (const m of metrics)
      if (!r.metrics.includes(m))
        throw new UsageError(`--metric ${m}: the results have no metric "${m}" (they have ${r.metrics.join(', ')})`);
  }
  if (r.missing > 0) log(`note: ${r.missing} run(s) of the grid are not in these results (an unfinished sweep or a single shard)`);
  process.stdout.write(a.csv ? formatCsv(r, metrics) : formatTable(r, metrics));
  if (a.cols !== undefined && (!Number.isInteger(a.cols) || a.cols < 1))
    throw new UsageError(`--cols must be an integer ≥ 1, got ${a.cols}`);
  if (a.svg) {
    writeAtomic(a.svg, plotSvg(r, { x: a.x, series: a.series, metrics, logX: a.logX, cols: a.cols }));
    log(`plots written to ${a.svg}`);
  }
}
