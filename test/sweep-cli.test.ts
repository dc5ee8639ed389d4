/**
 * `fre sweep` end to end (built CLI, worker processes, synthetic data): a killed sweep resumes with
 * every run exactly once and the same numbers as an uninterrupted sweep; a torn last line is cut
 * off; two shards merged equal the unsharded sweep; results of another sweep are refused; report.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deterministicMetrics, lineKey, readResults, type ResultLine } from '../sweep/results';
import { sweepDir, tinyGraph, tinySweep, until } from './sweep-fixtures';

const ROOT = join(__dirname, '..');
const FRE = join(ROOT, 'dist', 'cli', 'main.js');

// 3 β values × 2 methods × 3 seeds = 18 runs of a few hundred ms each.
const SWEEP = tinySweep({ data: { trainLimit: 1000, testLimit: 200 }, seeds: 3 });
const { dir, file } = sweepDir(SWEEP, tinyGraph({ hidden: 32, epochs: 2 }));
const RUNS = 18;

function fre(args: string[]) {
  return spawnSync(process.execPath, [FRE, ...args], { cwd: dir, encoding: 'utf8' });
}

/** key → deterministic metrics (timing metrics excluded). */
function byKey(lines: ResultLine[]): Map<string, Record<string, number | null>> {
  return new Map(lines.map((l) => [lineKey(l), deterministicMetrics(l)]));
}

function expectSameRuns(lines: ResultLine[], ref: ResultLine[]): void {
  expect(lines).toHaveLength(RUNS);
  expect(new Set(lines.map(lineKey)).size).toBe(RUNS); // every run exactly once
  expect(new Set(lines.map((l) => l.index))).toEqual(new Set(ref.map((l) => l.index)));
  const want = byKey(ref);
  for (const l of lines)
    expect({ key: lineKey(l), metrics: deterministicMetrics(l) }).toEqual({ key: lineKey(l), metrics: want.get(lineKey(l)) });
}

/** Processes whose command line mentions `text` (the workers carry their results file). */
function processesWith(text: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(text)) pids.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return pids;
}

describe('fre sweep (built CLI)', () => {
  let ref: ResultLine[];

  beforeAll(() => {
    const r = fre(['sweep', file, '-o', 'ref.jsonl', '--workers', '2']);
    expect(r.stderr).toMatch(/done: 18 runs/);
    expect(r.status).toBe(0);
    ref = readResults(join(dir, 'ref.jsonl')).lines;
  });

  test('every run once, with its point, seed, method, metrics, sweep hash and full configuration', () => {
    expectSameRuns(ref, ref);
    const l = ref.find((x) => x.index === 9)!;
    expect(l.point).toEqual({ beta: 0.01, method: 'bp' });
    expect(l.seed).toBe(0);
    expect(Object.keys(l.metrics)).toEqual(['bestTestAccuracy', 'finalTestAccuracy', 'finalTrainLoss']);
    expect(l.config.graph.edges.map((e) => e.feedback?.beta)).toEqual([undefined, 0.01, 0.01, undefined]);
    expect(l.config.graph.training.seed).toBe(0);
    expect(l.config).toMatchObject({ runner: 'train', method: 'bp', seed: 0, data: { trainLimit: 1000, testLimit: 200 } });
    expect(new Set(ref.map((x) => x.sweepHash)).size).toBe(1);
    expect(Math.max(...ref.map((x) => x.metrics.bestTestAccuracy as number))).toBeGreaterThan(0.5); // it learned (chance is 0.1)
  });

  test('killed mid-way (SIGKILL), then --resume: every run exactly once, identical values', async () => {
    const out = join(dir, 'killed.jsonl');
    const child = spawn(process.execPath, [FRE, 'sweep', file, '-o', out, '--workers', '2'], { cwd: dir, stdio: 'ignore' });
    const lines = () => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').length - 1 : 0);
    expect(await until(() => lines() >= 4, 30000)).toBe(true);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const partial = readResults(out).lines.length;
    expect(partial).toBeGreaterThanOrEqual(4);
    expect(partial).toBeLessThan(RUNS); // really killed mid-way
    // The orphaned workers notice their parent is gone and exit.
    expect(await until(() => processesWith(out).length === 0, 10000)).toBe(true);

    const again = fre(['sweep', file, '-o', out]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already exists with \d+ finished runs?\n\s+fix: add --resume/);

    const r = fre(['sweep', file, '-o', out, '--resume', '--workers', '2']);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`${partial} already in ${out}, ${RUNS - partial} to run`);
    expectSameRuns(readResults(out).lines, ref);

    // Resuming a complete sweep runs nothing.
    const done = fre(['sweep', file, '-o', out, '--resume']);
    expect(done.stderr).toMatch(/18 already in .*, 0 to run/);
    expect(readResults(out).lines).toHaveLength(RUNS);
  });

  test('Ctrl-C (SIGINT) lets the running runs finish and be recorded, exits 130; --resume completes', async () => {
    const out = join(dir, 'sigint.jsonl');
    const child = spawn(process.execPath, [FRE, 'sweep', file, '-o', out, '--workers', '2'], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    const lines = () => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').length - 1 : 0);
    expect(await until(() => lines() >= 2, 30000)).toBe(true);
    child.kill('SIGINT');
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted: letting the running runs finish/);
    const kept = readResults(out).lines.length;
    expect(stderr).toContain(`stopped: ${kept} of 18 runs in ${out}; continue with: fre sweep ${file} --resume`);
    expect(kept).toBeLessThan(RUNS);
    expect(readResults(out).torn).toBeUndefined();
    expect(fre(['sweep', file, '-o', out, '--resume']).status).toBe(0);
    expectSameRuns(readResults(out).lines, ref);
  });

  test('a torn last line is cut off with a warning and its run redone', () => {
    const out = join(dir, 'torn.jsonl');
    const text = readFileSync(join(dir, 'ref.jsonl'), 'utf8').split('\n');
    writeFileSync(out, `${text.slice(0, 5).join('\n')}\n${text[5].slice(0, 40)}`);
    const r = fre(['sweep', file, '-o', out, '--resume', '--workers', '2']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/warning: .*torn\.jsonl: the last line is incomplete/);
    expect(r.stderr).toContain('5 already in');
    expectSameRuns(readResults(out).lines, ref);
  });

  test('two shards (one worker each) merged equal the unsharded sweep', () => {
    for (const s of ['0/2', '1/2']) {
      const r = fre(['sweep', file, '--shard', s, '--workers', '1']);
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(/9 runs, shard \d\/2 \(18 in the grid\)/);
    }
    const a = readResults(join(dir, 'sweep.shard-0-of-2.results.jsonl')).lines;
    expect(a.every((l) => l.index % 2 === 0)).toBe(true);
    const m = fre(['sweep', 'merge', 'sweep.shard-0-of-2.results.jsonl', 'sweep.shard-1-of-2.results.jsonl', '-o', 'all.jsonl']);
    expect(m.status).toBe(0);
    expect(m.stderr).toMatch(/18 runs → all.jsonl; complete \(18 of 18 runs\)/);
    const merged = readResults(join(dir, 'all.jsonl')).lines;
    expectSameRuns(merged, ref);
    expect(merged.map((l) => l.index)).toEqual([...Array(RUNS).keys()]);
  });

  test('results of a different sweep are refused by --resume and by merge', () => {
    const other = join(dir, 'other.json');
    writeFileSync(other, JSON.stringify({ ...SWEEP, seeds: 2 }));
    const r = fre(['sweep', other, '-o', 'ref.jsonl', '--resume']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/ref\.jsonl:line 1: error: this file holds runs of a different sweep \("tiny", hash [0-9a-f]{16}\)/);
    expect(r.stderr).not.toMatch(/\n\s+at /);

    const o = fre(['sweep', other, '-o', 'other.jsonl', '--shard', '0/9']);
    expect(o.status).toBe(0);
    const m = fre(['sweep', 'merge', 'ref.jsonl', 'other.jsonl', '-o', 'mixed.jsonl']);
    expect(m.status).toBe(1);
    expect(m.stderr).toMatch(/2 different sweeps/);
    expect(existsSync(join(dir, 'mixed.jsonl'))).toBe(false);
  });

  test('report: table, CSV and SVG from a results file', () => {
    const t = fre(['sweep', 'report', 'ref.jsonl']);
    expect(t.status).toBe(0);
    expect(t.stdout.split('\n')[0]).toMatch(/^ beta\s+method\s+n\s+bestTestAccuracy\s+finalTestAccuracy\s+finalTrainLoss$/);
    expect(t.stdout.trim().split('\n')).toHaveLength(2 + 6);
    const c = fre(['sweep', 'report', 'ref.jsonl', '--csv', '--svg', 'plot.svg', '--metric', 'finalTestAccuracy']);
    expect(c.status).toBe(0);
    const rows = c.stdout.trim().split('\n');
    expect(rows[0]).toBe('beta,method,n,finalTestAccuracy_mean,finalTestAccuracy_std');
    const ep001 = ref.filter((l) => l.point.beta === 0.001 && l.method === 'ep').map((l) => l.metrics.finalTestAccuracy as number);
    const mean = ep001.reduce((a, b) => a + b, 0) / 3;
    expect(rows[1].split(',').slice(0, 3)).toEqual(['0.001', 'ep', '3']);
    expect(Number(rows[1].split(',')[3])).toBeCloseTo(mean, 12);
    const svg = readFileSync(join(dir, 'plot.svg'), 'utf8');
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain('data-label="ep"');
    expect(svg).toContain('data-label="bp"');
    const bad = fre(['sweep', 'report', 'ref.jsonl', '--metric', 'energy']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--metric energy: the results have no metric "energy"/);
  });

  test('--dry-run names the grid in words: one axis, one seed; 2 runs', () => {
    const one = sweepDir(tinySweep({ axes: [{ path: 'method', values: ['ep', 'bp'] }], seeds: 1 }));
    const r = spawnSync(process.execPath, [FRE, 'sweep', one.file, '--dry-run'], { cwd: one.dir, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/runner train, 1 axis, 1 seed, 2 runs/);
  });

  afterAll(() => {
    // Nothing of ours left running.
    expect(processesWith(dir)).toEqual([]);
  });
});
