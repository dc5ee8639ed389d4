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

/** A bench/reproduce results file: `epochs` epochs at `acc` test accuracy. */
function run(dir: string, seed: number, epochs: number, acc: number): string {
  const file = join(dir, `run-seed${seed}.json`);
  writeFileSync(file, JSON.stringify({ seed, epochs: Array.from({ length: epochs }, () => ({ testAccuracy: acc })) }));
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

  pyTest('a run longer than the authors’ 40 epochs is compared over their 40', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fre-conv-compare-'));
    const r = compare(run(dir, 0, 45, 0.99));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/ours, best of 40: 99\.00 → 99\.00; authors' best of their first 40: /);
  });
});
