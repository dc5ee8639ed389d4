/** End-to-end: the built `fre` binary on a real MNIST slice, its JSON, its errors and weight files. */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const FRE = join(ROOT, 'dist', 'cli', 'main.js');

function fre(args: string[]) {
  return spawnSync(process.execPath, [FRE, ...args], { cwd: ROOT, encoding: 'utf8' });
}

describe('fre train (built CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fre-cli-'));

  test('trains the demo net on real MNIST, prints JSON last, saves and restarts from weights', () => {
    const save = join(dir, 'w.npz');
    const r = fre([
      'train',
      'examples/mnist-demo.json',
      '--epochs',
      '2',
      '--train-limit',
      '1000',
      '--test-limit',
      '300',
      '--json',
      '--save',
      save,
    ]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const out = JSON.parse(lines[lines.length - 1]);
    expect(out.epochs).toBe(2);
    expect(out.epochSeconds).toHaveLength(2);
    expect(out.bestTestAccuracy).toBeGreaterThan(0.5); // 10 classes: chance is 0.1
    expect(out.bestTestAccuracy).toBeLessThanOrEqual(1);
    expect(out.finalTestAccuracy).toBe(out.perEpoch[1].testAccuracy);
    expect(r.stderr).toMatch(/epoch 1 .*test acc/);

    // Same seed, same numbers.
    const again = JSON.parse(
      fre(['train', 'examples/mnist-demo.json', '--epochs', '2', '--train-limit', '1000', '--test-limit', '300', '--json'])
        .stdout.trim()
        .split('\n')
        .pop()!,
    );
    expect(again.perEpoch.map((e: { testAccuracy: number; trainLoss: number }) => [e.testAccuracy, e.trainLoss])).toEqual(
      out.perEpoch.map((e: { testAccuracy: number; trainLoss: number }) => [e.testAccuracy, e.trainLoss]),
    );

    // Starting from the saved weights, the first epoch's test accuracy is at least where training ended.
    const resumed = fre([
      'train',
      'examples/mnist-demo.json',
      '--epochs',
      '1',
      '--train-limit',
      '1000',
      '--test-limit',
      '300',
      '--json',
      '--init',
      save,
    ]);
    expect(resumed.status).toBe(0);
    expect(JSON.parse(resumed.stdout.trim().split('\n').pop()!).finalTestAccuracy).toBeGreaterThan(out.finalTestAccuracy - 0.05);
  });

  test.each(['bp', 'fa'])('--algo %s runs on the same net', (algo) => {
    const r = fre([
      'train',
      'examples/mnist-demo.json',
      '--algo',
      algo,
      '--epochs',
      '1',
      '--train-limit',
      '500',
      '--test-limit',
      '200',
      '--json',
    ]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!).algo).toBe(algo);
  });

  test('a spec error names the file, the path and the fix, with no stack trace', () => {
    const spec = JSON.parse(readFileSync(join(ROOT, 'examples/mnist-demo.json'), 'utf8'));
    spec.edges[1].feedback.beta = -0.1;
    spec.dynamics.K = 0;
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify(spec));
    const r = fre(['train', bad]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${bad}:/edges/1/feedback/beta: error FRE012`);
    expect(r.stderr).toContain(`${bad}:/dynamics/K: error FRE012`);
    expect(r.stderr).toContain('fix:');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test('weights whose widths do not match the spec are rejected with FRE040', () => {
    const spec = JSON.parse(readFileSync(join(ROOT, 'examples/mnist-demo.json'), 'utf8'));
    const save = join(dir, 'w64.npz');
    spec.layers[0].size = 64;
    const small = join(dir, 'small.json');
    writeFileSync(small, JSON.stringify(spec));
    expect(fre(['train', small, '--epochs', '1', '--train-limit', '100', '--test-limit', '100', '--save', save]).status).toBe(0);
    const r = fre(['train', 'examples/mnist-demo.json', '--init', save, '--epochs', '1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('FRE040');
    expect(r.stderr).toContain("'W0'");
    expect(r.stderr).toMatch(/\[128, 784\]/);
  });

  test('an input size that does not match the dataset is FRE030', () => {
    const spec = JSON.parse(readFileSync(join(ROOT, 'examples/mnist-demo.json'), 'utf8'));
    spec.input.size = 100;
    const bad = join(dir, 'input.json');
    writeFileSync(bad, JSON.stringify(spec));
    const r = fre(['train', bad]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('FRE030');
    expect(r.stderr).toContain('"size": 784');
  });

  test('Ctrl-C stops after the current batch, still saves the weights and exits 130', async () => {
    const save = join(dir, 'interrupted.npz');
    const child = spawn(
      process.execPath,
      [
        FRE,
        'train',
        'examples/mnist-demo.json',
        '--epochs',
        '50',
        '--train-limit',
        '2000',
        '--test-limit',
        '200',
        '--json',
        '--save',
        save,
      ],
      { cwd: ROOT },
    );
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        if (stderr.includes('epoch 1 ') && !child.killed) child.kill('SIGINT');
      });
      child.on('exit', (c) => resolve(c));
    });
    expect(code).toBe(130); // interrupted: 128 + SIGINT, as every fre command (the weights are still saved)
    expect(stderr).toContain('interrupted');
    expect(existsSync(save)).toBe(true);
    const out = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(out.interrupted).toBe(true);
    expect(out.epochs).toBeLessThan(50);
  });

  test('classes that do not match the dataset are FRE031', () => {
    const spec = JSON.parse(readFileSync(join(ROOT, 'examples/mnist-demo.json'), 'utf8'));
    spec.output.classes = 5;
    const bad = join(dir, 'classes.json');
    writeFileSync(bad, JSON.stringify(spec));
    const r = fre(['train', bad]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${bad}:/output/classes: error FRE031`);
  });

  test('bad flags are usage errors', () => {
    const r = fre(['train', 'examples/mnist-demo.json', '--epochs', '0']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--epochs must be an integer');
    const u = fre(['train', 'examples/mnist-demo.json', '--algo', 'xx']);
    expect(u.status).toBe(1);
    expect(execFileSync(process.execPath, [FRE, '--help'], { encoding: 'utf8' })).toContain('train <spec>');
  });
});
