/**
 * Mean ± std over seeds of bench/reproduce's result files (issue 18: "tables with 3 seeds"), one row per spec,
 * algorithm and nudge, as the paper reports its rows: best test accuracy over the epochs run, sample std (ddof 1).
 * Unfinished runs are shown as such (epochs run / planned), never averaged silently with finished ones.
 *
 *   node dist/bench/seeds-table.js DIR|FILE.json ...
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { stat } from '../sweep/report';

/** The fields of a reproduce result file this table reads. */
export interface SeedRun {
  file: string;
  spec: string;
  algo: string;
  nudge: string;
  seed: number;
  epochsRun: number;
  epochsPlanned: number;
  best: number;
  bestEpoch: number;
}

export interface SeedRow {
  spec: string;
  algo: string;
  nudge: string;
  runs: SeedRun[];
  mean: number;
  std: number;
  /** Every run finished its planned epochs. */
  complete: boolean;
}

class InputError extends Error {}

/** One result file, checked field by field so a wrong file is named with what is missing. */
export function readRun(file: string, text: string): SeedRun {
  let d: Record<string, unknown>;
  try {
    d = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new InputError(`${file}: not JSON (${(e as Error).message}); pass bench/reproduce result files`);
  }
  const spec = d.spec as { name?: unknown; dynamics?: { nudge?: unknown }; training?: { epochs?: unknown } } | undefined;
  const epochs = d.epochs as { epoch: number; testAccuracy: number }[] | undefined;
  const need = (ok: boolean, field: string): void => {
    if (!ok) throw new InputError(`${file}: field "${field}" missing or wrong; is this a bench/reproduce result file?`);
  };
  need(typeof spec?.name === 'string', 'spec.name');
  need(typeof d.algo === 'string', 'algo');
  need(Number.isInteger(d.seed), 'seed');
  need(Array.isArray(epochs) && epochs.length > 0 && epochs.every((e) => Number.isFinite(e.testAccuracy)), 'epochs[].testAccuracy');
  // Files written before checkpoints (session 3) have no epochsRun/epochsPlanned: they ran what they list.
  const planned = d.epochsPlanned ?? spec?.training?.epochs ?? epochs!.length;
  need(Number.isInteger(planned), 'epochsPlanned');
  const bestAt = epochs!.reduce((b, e) => (e.testAccuracy > b.testAccuracy ? e : b));
  return {
    file,
    spec: spec!.name as string,
    algo: d.algo as string,
    // The nudge shapes EP's phases only; BP and FA ignore it.
    nudge: d.algo !== 'ep' ? '-' : typeof spec!.dynamics?.nudge === 'string' ? spec!.dynamics.nudge : 'held',
    seed: d.seed as number,
    epochsRun: epochs!.length,
    epochsPlanned: planned as number,
    best: bestAt.testAccuracy,
    bestEpoch: bestAt.epoch,
  };
}

/** Rows by spec, algorithm and nudge, seeds in order. */
export function seedRows(runs: SeedRun[]): SeedRow[] {
  const groups = new Map<string, SeedRun[]>();
  for (const r of runs) {
    const key = `${r.spec}\u0000${r.algo}\u0000${r.nudge}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((g) => {
    const sorted = [...g].sort((a, b) => a.seed - b.seed);
    const { mean, std } = stat(sorted.map((r) => r.best));
    return {
      spec: sorted[0].spec,
      algo: sorted[0].algo,
      nudge: sorted[0].nudge,
      runs: sorted,
      mean,
      std,
      complete: sorted.every((r) => r.epochsRun >= r.epochsPlanned),
    };
  });
}

const pct = (x: number): string => (100 * x).toFixed(2);

export function markdown(rows: SeedRow[]): string {
  const lines = [
    '| spec | algo | nudge | seeds | per seed: best % (epoch), epochs run/planned | mean ± std (%) |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const per = r.runs.map((s) => `${s.seed}: ${pct(s.best)} (${s.bestEpoch}), ${s.epochsRun}/${s.epochsPlanned}`).join('; ');
    const ms = r.runs.length < 2 ? `${pct(r.mean)} (one seed)` : `${pct(r.mean)} ± ${pct(r.std)}`;
    lines.push(`| ${r.spec} | ${r.algo} | ${r.nudge} | ${r.runs.length} | ${per} | ${ms}${r.complete ? '' : ' (unfinished)'} |`);
  }
  return lines.join('\n') + '\n';
}

function resultFiles(arg: string): string[] {
  let isDir: boolean;
  try {
    isDir = statSync(arg).isDirectory();
  } catch {
    throw new InputError(`${arg}: no such file or directory`);
  }
  if (!isDir) return [arg];
  return readdirSync(arg)
    .filter((f) => /-seed\d+\.json$/.test(f))
    .map((f) => join(arg, f));
}

function main(): void {
  const args = process.argv.slice(2);
  if (args.length === 0) throw new InputError('usage: seeds-table.js DIR|FILE.json ... (bench/reproduce result files)');
  const files = args.flatMap(resultFiles);
  if (files.length === 0) throw new InputError(`no *-seed<S>.json result files in ${args.join(', ')}`);
  process.stdout.write(markdown(seedRows(files.map((f) => readRun(f, readFileSync(f, 'utf8'))))));
}

if (require.main === module) {
  try {
    main();
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}
