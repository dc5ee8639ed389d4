/**
 * bench/results/conv/conv-compare.py: our conv runs against the authors' 5 × 40-epoch curves. A run
 * still going is compared over the epochs it has — also beside a finished run — and a run longer
 * than the authors' 40 epochs is compared over their 40, not an IndexError.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testNeeding } from './needs';

const SCRIPT = join(__dirname, '..', 'bench', 'results', 'conv', 'conv-compare.py');
const pyTest = testNeeding([['python3', ['--version']]], 'python3');

/** A bench/reproduce results file: `epochs` epochs at `acc` test accuracy (a function of the epoch, or one value). */
function run(dir: string, seed: number, epochs: number, acc: number | ((k: number) => number), name = `run-seed${seed}`): string {
  const file = join(dir, `${name}.json`);
  const at = typeof acc === 'number' ? () => acc : acc;
  writeFileSync(file, JSON.stringify({ seed, epochs: Array.from({ length: epochs }, (_, k) => ({ testAccuracy: at(k) })) }));
  return file;
}

function compare(...files: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync('python3', [SCRIPT, 'table1-ep-sgd', ...files], { encoding: 'utf8' });
}

describe('conv-compare.py', () => {
  pyTest('a run still going beside a finished one: both are compared over the epochs every run has', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fre-conv-compare-'));
    const r = compare(run(dir, 0, 40, 0.99), run(dir, 1, 3, 0.99));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // The 3-epoch run's best is set beside the authors' best of their first 3 epochs, not of 40.
    expect(r.stdout).toMatch(/ours, best of 3: 99\.00 99\.00 → 99\.00 ± 0\.00; authors' best of their first 3: /);
  });

  pyTest('a paired run (two runs of one seed, labelled) gets its epoch-by-epoch difference, each run on its own', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fre-conv-compare-'));
    const base = run(dir, 0, 40, (k) => 0.98 + k * 1e-4, 'base');
    const variant = run(dir, 0, 10, (k) => (k < 6 ? 0.98 + k * 1e-4 + 0.001 : 0.98 + k * 1e-4 - 0.002), 'variant');
    const r = compare(`baseline=${base}`, `lagged=${variant}`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(' 1 | baseline: 98.00 lagged: 98.10 |');
    // 6 epochs +0.1, 4 epochs −0.2: mean −0.02, over the 10 epochs both have.
    expect(r.stdout).toContain(
      'paired, lagged − baseline over epochs 1–10: mean -0.020 points, 6 higher / 4 lower / 0 equal; best 98.15 against 98.09',
    );
    // Not a sample of two seeds: no mean ± std of the two.
    expect(r.stdout).toMatch(/ours, best of 10: baseline 98\.09 \([-+]\d+\.\d std\); lagged 98\.15 \([-+]\d+\.\d std\);/);
  });

  pyTest('a run longer than the authors’ 40 epochs is compared over their 40', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fre-conv-compare-'));
    const r = compare(run(dir, 0, 45, 0.99));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/ours, best of 40: 99\.00 → 99\.00; authors' best of their first 40: /);
  });
});
