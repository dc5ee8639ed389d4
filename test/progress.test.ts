/** util/progress.ts with an injected clock: the overall ETA, the periodic status line off a terminal, the redrawn line on one; and the CLI's use of it. */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { formatDuration, Progress } from '../util/progress';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return {
    chunks,
    stream: {
      isTTY,
      write: (s: string) => {
        chunks.push(s);
        return true;
      },
    },
  };
}

describe('Progress', () => {
  test('ETA = units left × elapsed / units done in this invocation (resumed units do not count towards the rate)', () => {
    let t = 1000;
    const { stream } = sink(false);
    const p = new Progress({ label: 'x', total: 100, unit: 'runs', initial: 20, stream, now: () => t, intervalMs: 1e9 });
    expect(p.eta()).toBeNaN(); // nothing run yet
    t += 30_000;
    p.update(30); // 10 runs in 30 s → 3 s per run, 70 left
    expect(p.eta()).toBeCloseTo(210, 9);
    expect(p.line()).toBe('x: 30/100 runs (30%), elapsed 30 s, eta 3m30s');
  });

  test('off a terminal: one status line per interval, none in between, a last one at the end', () => {
    let t = 0;
    const { chunks, stream } = sink(false);
    const p = new Progress({ label: 'train demo', total: 10, unit: 'batches', stream, now: () => t, intervalMs: 5000 });
    expect(p.mode).toBe('lines');
    for (let b = 1; b <= 10; b++) {
      t += 1000; // one batch per second
      p.update(b, `epoch 1 loss ${b}`);
    }
    // Lines at t = 5 s and t = 10 s, then finish() adds nothing (the 10 s line is the last state).
    expect(chunks).toEqual([
      'train demo: 5/10 batches (50%), elapsed 5 s, eta 5 s | epoch 1 loss 5\n',
      'train demo: 10/10 batches (100%), elapsed 10 s, eta 0 s | epoch 1 loss 10\n',
    ]);
    p.finish();
    expect(chunks).toHaveLength(2);
  });

  test('on a terminal: one line redrawn with \\r, cleared around log lines and at the end', () => {
    let t = 0;
    const { chunks, stream } = sink(true);
    const p = new Progress({ label: 's', total: 4, unit: 'runs', stream, now: () => t, redrawMs: 0 });
    expect(p.mode).toBe('bar');
    t = 1000;
    p.update(1);
    p.log('hello');
    t = 2000;
    p.update(2);
    p.finish();
    const text = chunks.join('');
    expect(text.startsWith('\rs: 1/4 runs (25%), elapsed 1 s, eta 3 s')).toBe(true);
    expect(text).toMatch(/\r +\rhello\n\rs: 1\/4/); // the line is cleared, the log line printed, the line redrawn
    expect(text.endsWith('\r')).toBe(true); // cleared
    expect(text).not.toMatch(/\n.*\n.*\n/); // no line feeds besides the log line's
  });

  test("'none' prints nothing", () => {
    const { chunks, stream } = sink(false);
    const p = new Progress({ label: 'n', total: 2, unit: 'x', stream, mode: 'none', now: () => 5e3, intervalMs: 0 });
    p.update(1);
    p.log('x'.slice(1));
    p.finish();
    expect(chunks.filter((c) => c !== '\n')).toEqual([]);
  });

  test('formatDuration', () => {
    expect([formatDuration(42.4), formatDuration(185), formatDuration(7620), formatDuration(NaN)]).toEqual(['42 s', '3m05s', '2h07m', '?']);
  });
});

describe('progress and interruption in the CLI', () => {
  const ROOT = join(__dirname, '..');
  const FRE = join(ROOT, 'dist', 'cli', 'main.js');
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', FRE_PROGRESS_SECONDS: '0' };

  test('piped fre train prints status lines with an overall ETA on stderr, only the JSON on stdout', () => {
    const r = spawnSync(
      process.execPath,
      [FRE, 'train', 'examples/mnist-demo.json', '--epochs', '2', '--train-limit', '200', '--test-limit', '100', '--json'],
      { cwd: ROOT, encoding: 'utf8', env },
    );
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.stdout).epochs).toBe(2);
    // 200 samples in batches of the demo's size over 2 epochs: the counter runs over both epochs.
    const status = r.stderr.split('\n').filter((l) => l.startsWith('train mnist-demo: '));
    expect(status.length).toBeGreaterThan(1);
    const last = status[status.length - 1].match(/: (\d+)\/(\d+) batches/)!;
    expect(last[1]).toBe(last[2]);
    // The status line's loss is the last batch's, named so beside the epoch line's mean train loss.
    expect(status.some((l) => / eta /.test(l) && / epoch 2\/2 batch loss \d+\.\d{4}$/.test(l))).toBe(true);
  });

  /** Runs `fre CMD… --json` and sends Ctrl-C (SIGINT) once the first progress line is out: within the first epoch's batches. */
  async function interrupted(cmd: string[]): Promise<{ code: number | null; out: string; err: string }> {
    const child = spawn(process.execPath, [FRE, ...cmd, '--json'], { cwd: ROOT, env });
    let out = '',
      err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (d) => {
        err += d;
        if (/batches/.test(err) && !child.killed) child.kill('SIGINT');
      });
      child.on('close', (c) => resolve(c));
    });
    return { code, out, err };
  }

  test.each([
    ['train', ['train', 'examples/mnist-demo.json']],
    ['run (in-situ training on a chip)', ['run', 'examples/mnist-demo.json', '--chip', 'ideal', '--train']],
  ])('an interrupted fre %s exits 130 (as fre sweep does), after printing its JSON', async (_what, cmd) => {
    const { code, out, err } = await interrupted([...cmd, '--epochs', '200', '--train-limit', '2000', '--test-limit', '100']);
    expect(code).toBe(130);
    expect(JSON.parse(out.trim()).interrupted).toBe(true);
    expect(err).toContain('interrupted');
  });

  test('fre run interrupted in its first epoch: accuracy not measured, not 0 %; pulses per sample over the batches trained', async () => {
    const { code, out, err } = await interrupted([
      'run',
      'examples/mnist-demo.json',
      '--chip',
      'reram',
      '--train',
      '--epochs',
      '2',
      '--train-limit',
      '5000',
      '--test-limit',
      '100',
    ]);
    expect(code).toBe(130);
    const j = JSON.parse(out.trim());
    expect(j.perEpoch).toEqual([]);
    expect(j.testAccuracy).toBeNull();
    expect(j.bestTestAccuracy).toBeNull();
    // Whole batches of 100, fewer than the epoch's 50: the pulses they applied count per sample.
    expect(j.samplesTrained % 100).toBe(0);
    expect(j.samplesTrained).toBeGreaterThan(0);
    expect(j.samplesTrained).toBeLessThan(5000);
    expect(j.updatePulsesPerTrainingSample).toBeGreaterThan(0);
    expect(err).toContain('test accuracy: not measured (interrupted before the first epoch ended)');
    expect(err).not.toMatch(/test accuracy 0\.00%/);
    expect(err).toContain(`update pulses (over the ${j.samplesTrained} samples trained)`);
    expect(err).toMatch(/ epoch 1\/2 batch loss \d+\.\d{4}$/m);
  });

  test('fre analyze reports its points on stderr; stdout keeps the JSON', () => {
    const r = spawnSync(
      process.execPath,
      [FRE, 'analyze', 'examples/mnist-5l.json', '--samples', '2', '--te', '10', '--sweep-beta', '0.01,1', '--json'],
      { cwd: ROOT, encoding: 'utf8', env },
    );
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).points).toHaveLength(2);
    // 1 base analysis + 2 β_i points, and the last status line counts them all.
    const status = r.stderr.split('\n').filter((l) => /^analyze \S+: \d+\/3 points/.test(l));
    expect(status[status.length - 1]).toMatch(/: 3\/3 points \(100%\)/);
  });
});
