/**
 * bench/reproduce.js takes the tuning variables and its output paths as input like the CLI (util/env.ts: a bad value is
 * the user's error, named with what to write, never a stack trace): FRE_BACKEND=foo printed the
 * EnvError with its stack, as a bug.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

const REPRODUCE = join(__dirname, '..', 'dist', 'bench', 'reproduce.js');

test.each([
  [{ FRE_BACKEND: 'foo' }, /^FRE_BACKEND=foo is not a kernel backend; use one of auto, native, reference\n$/],
  [{ FRE_BACKEND: 'auto', FRE_CHIP_THREADS: 'two' }, /^FRE_CHIP_THREADS=two is not valid: .* from 1 to 64 \(or unset for the default\)\n$/],
])('bench/reproduce with %j: one message, exit 1', (env, message) => {
  const out = mkdtempSync(join(tmpdir(), 'fre-reproduce-'));
  const r = spawnSync(
    process.execPath,
    [
      REPRODUCE,
      'examples/mnist-2hl.json',
      '--algo',
      'ep',
      '--seeds',
      '0',
      '--epochs',
      '1',
      '--train-limit',
      '100',
      '--test-limit',
      '100',
      '--out',
      out,
    ],
    { cwd: join(__dirname, '..'), encoding: 'utf8', env: { ...process.env, ...env } },
  );
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.status).toBe(1);
});

/** The output folder and file are the user's too: one message naming them, never a stack trace. */
describe('bench/reproduce outputs', () => {
  const run = (out: string) =>
    spawnSync(
      process.execPath,
      [REPRODUCE, 'examples/mnist-2hl.json', '--seeds', '0', '--epochs', '1', '--train-limit', '64', '--test-limit', '64', '--out', out],
      { cwd: join(__dirname, '..'), encoding: 'utf8' },
    );

  test('an --out that cannot be a folder is named with the fix', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'fre-reproduce-')), 'a-file');
    writeFileSync(file, 'x');
    const r = run(join(file, 'sub'));
    expect(r.stderr).toMatch(/^--out .*a-file\/sub: cannot create the folder \(ENOTDIR\); pass a writable --out\n$/);
    expect(r.status).toBe(1);
  });

  test('a results file that cannot be written is named, and nothing half-written is left', () => {
    const out = mkdtempSync(join(tmpdir(), 'fre-reproduce-'));
    mkdirSync(join(out, 'mnist-2hl-ep-seed0.json')); // a folder where the results file goes
    const r = run(out);
    expect(r.stderr).toMatch(/mnist-2hl-ep-seed0\.json: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.status).toBe(1);
    expect(readdirSync(out).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  test('a seed another live process is running is refused naming it; a killed one’s lock is taken over', () => {
    const out = mkdtempSync(join(tmpdir(), 'fre-reproduce-'));
    const results = join(out, 'mnist-2hl-ep-seed0.json');
    // The owner: this test's own process, alive on this machine.
    writeFileSync(`${results}.lock`, JSON.stringify({ host: hostname(), pid: process.pid, started: '2026-01-01T00:00:00.000Z' }));
    const refused = run(out);
    expect(refused.stderr).toContain(
      `${results}: error: another bench/reproduce is writing this seed's results and checkpoint: process ${process.pid}`,
    );
    expect(refused.stderr).toContain(`delete ${results}.lock`);
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    expect(refused.status).toBe(1);
    expect(existsSync(results)).toBe(false);

    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(`${results}.lock`, JSON.stringify({ host: hostname(), pid: Number(dead), started: '2026-01-01T00:00:00.000Z' }));
    const taken = run(out);
    expect(taken.stderr).toContain(`warning: taking over ${results}.lock: its process ${dead} on this machine has ended`);
    expect(taken.status).toBe(0);
    expect(existsSync(results)).toBe(true);
    expect(existsSync(`${results}.lock`)).toBe(false); // released when the seed is done
  });

  test('Ctrl-C (SIGINT) removes the running seed’s lock and still ends the process by SIGINT; --resume continues without a takeover', async () => {
    const out = mkdtempSync(join(tmpdir(), 'fre-reproduce-'));
    const results = join(out, 'mnist-2hl-ep-seed0.json');
    const flags = ['--seeds', '0', '--train-limit', '1000', '--test-limit', '64', '--out', out];
    const child = spawn(process.execPath, [REPRODUCE, 'examples/mnist-2hl.json', ...flags, '--epochs', '50'], {
      cwd: join(__dirname, '..'),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    let lockedWhileRunning = false;
    const ended = await new Promise<NodeJS.Signals | number | null>((resolve) => {
      child.stderr.on('data', (b) => {
        err += b;
        if (/epoch 1:/.test(err) && !child.killed) {
          lockedWhileRunning = existsSync(`${results}.lock`);
          child.kill('SIGINT');
        }
      });
      child.on('exit', (c, sig) => resolve(sig ?? c));
    });
    expect(lockedWhileRunning).toBe(true);
    // By the signal, not exit(130): a shell script running one reproduction after another stops too.
    expect(ended).toBe('SIGINT');
    expect(existsSync(`${results}.lock`)).toBe(false);
    expect(err).toContain('interrupted: --resume continues');

    const resumed = spawnSync(process.execPath, [REPRODUCE, 'examples/mnist-2hl.json', ...flags, '--epochs', '2', '--resume'], {
      cwd: join(__dirname, '..'),
      encoding: 'utf8',
    });
    expect(resumed.stderr).not.toContain('taking over');
    expect(resumed.status).toBe(0);
    expect(existsSync(`${results}.lock`)).toBe(false);
  }, 120000);
});
