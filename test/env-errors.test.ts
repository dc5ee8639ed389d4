/**
 * Environment variables that tune fre are inputs: a bad value stops the CLI with one message naming
 * the variable and what to write (exit 1, no stack trace). The addon used to read FRE_POOL_SPIN_US and
 * FRE_CHIP_THREADS with C's strtol, taking "2ms" as 2 µs and "two" as 1 thread without a word.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { envInt, EnvError } from '../util/env';

const FRE = join(__dirname, '..', 'dist', 'cli', 'main.js');

describe('envInt', () => {
  const name = 'FRE_TEST_ENV_INT';
  afterEach(() => {
    delete process.env[name];
  });
  test('unset or empty: undefined (the default applies)', () => {
    expect(envInt(name, 0, 10, 'a count')).toBeUndefined();
    process.env[name] = ' ';
    expect(envInt(name, 0, 10, 'a count')).toBeUndefined();
  });
  test('a whole number in range is read', () => {
    process.env[name] = ' 7 ';
    expect(envInt(name, 0, 10, 'a count')).toBe(7);
    process.env[name] = '0';
    expect(envInt(name, 0, 10, 'a count')).toBe(0);
  });
  test.each(['2ms', 'two', '1.5', '-1', '11', '1e3', '0x10', 'NaN'])('%s is refused with the variable, its meaning and the range', (v) => {
    process.env[name] = v;
    expect(() => envInt(name, 0, 10, 'a count')).toThrow(EnvError);
    expect(() => envInt(name, 0, 10, 'a count')).toThrow(`${name}=${v} is not valid: it is a count, a whole number from 0 to 10`);
  });
});

describe('the CLI with a bad tuning variable', () => {
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, [FRE, 'train', 'examples/mnist-2hl.json', '--epochs', '1', '--train-limit', '100', '--test-limit', '100'], {
      cwd: join(__dirname, '..'),
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
  test.each([
    [{ FRE_BACKEND: 'foo' }, /^fre: FRE_BACKEND=foo is not a kernel backend; use one of auto, native, reference\n$/],
    [{ FRE_POOL_SPIN_US: '2ms' }, /^fre: FRE_POOL_SPIN_US=2ms is not valid: .* from 0 to 1000000/],
    [{ FRE_CHIP_THREADS: 'two' }, /^fre: FRE_CHIP_THREADS=two is not valid: .* from 1 to 64/],
    [{ FRE_LAYOUT_THREADS: '3' }, /^fre: FRE_LAYOUT_THREADS=3 is not valid: .* from 1 to 2/],
  ])('%j: one message, exit 1', (env, message) => {
    const r = run(env);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  });
  test('valid values run', () => {
    const r = run({ FRE_POOL_SPIN_US: '500', FRE_CHIP_THREADS: '1', FRE_LAYOUT_THREADS: '1' });
    expect(r.stderr).toMatch(/best test accuracy/);
    expect(r.status).toBe(0);
  });
});
