/** End-to-end: fre run / fre compile + fre simulate on real MNIST slices, through the built CLI. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const FRE = join(ROOT, 'dist', 'cli', 'main.js');
const fre = (args: string[]) => spawnSync(process.execPath, [FRE, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1' } });
const lastJson = (out: string) => JSON.parse(out.trim().split('\n').pop()!);
const LIMITS = ['--train-limit', '600', '--test-limit', '200', '--epochs', '1'];

describe('fre run / fre simulate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fre-sim-'));

  test('in-situ training on the ideal chip gives exactly the software run\'s accuracy; JSON has the cost fields', () => {
    const soft = fre(['train', 'examples/mnist-demo.json', ...LIMITS, '--json']);
    expect(soft.status).toBe(0);
    const chip = fre(['run', 'examples/mnist-demo.json', '--chip', 'ideal', '--train', ...LIMITS, '--json']);
    expect(chip.status).toBe(0);
    const s = lastJson(soft.stdout);
    const c = lastJson(chip.stdout);
    expect(c.testAccuracy).toBe(s.finalTestAccuracy);
    for (const k of ['cyclesPerInference', 'cyclesPerTrainingSample', 'energyPerInferenceJoules', 'energyPerTrainingSampleJoules']) {
      expect(c[k]).toBeGreaterThan(0);
    }
    expect(c.cyclesPerTrainingSample).toBeGreaterThan(c.cyclesPerInference);
    const parts = Object.values(c.energyByComponent.inference as Record<string, number>).reduce((a, v) => a + v, 0);
    expect(parts).toBeCloseTo(c.energyPerInferenceJoules, 15);
    expect(chip.stderr).toMatch(/per inference: \d+ cycles/);
  });

  test('compile then simulate a noisy chip: evaluation and in-situ training, with a trace', () => {
    const pb = join(dir, 'demo.pb');
    expect(fre(['compile', 'examples/mnist-demo.json', '--chip', 'reram', '-o', pb]).status).toBe(0);
    const ev = fre(['simulate', pb, '--eval-only', '--test-limit', '200', '--json']);
    expect(ev.status).toBe(0);
    const e = lastJson(ev.stdout);
    expect(e.mode).toBe('eval');
    expect(e.testAccuracy).toBeGreaterThanOrEqual(0);
    const trace = join(dir, 't.json');
    const tr = fre(['simulate', pb, '--train', ...LIMITS, '--json', '--trace', trace]);
    expect(tr.status).toBe(0);
    const t = lastJson(tr.stdout);
    expect(t.testAccuracy).toBeGreaterThan(0.2); // learns: chance is 0.1
    expect(t.updatePulsesPerTrainingSample).toBeGreaterThan(0);
    const events = JSON.parse(readFileSync(trace, 'utf8')).traceEvents as { ph: string }[];
    expect(events.filter((x) => x.ph === 'X').length).toBeGreaterThan(10);
  });

  test('bad input: unknown preset, conflicting flags', () => {
    const r = fre(['run', 'examples/mnist-demo.json', '--chip', 'rerram']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/did you mean "reram"/);
    const c = fre(['run', 'examples/mnist-demo.json', '--chip', 'ideal', '--train', '--eval-only']);
    expect(c.status).toBe(1);
    expect(c.stderr).toContain('exclude each other');
  });
});
