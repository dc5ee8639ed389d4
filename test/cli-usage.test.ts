/**
 * The built `fre`'s own usage errors (yargs' checks) in the terms of the command line the user typed:
 * flags with their dashes and short form, each unknown flag once with the nearest flag, a mistyped
 * command named with the nearest command, the help pointed to once; and help pages without a
 * default of [] on a required list.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { usageMessage } from '../cli/flags';

const ROOT = join(__dirname, '..');
const FRE = join(ROOT, 'dist', 'cli', 'main.js');
const SPEC = 'test/golden/tiny-chain.spec.json';

function fre(args: string[]) {
  return spawnSync(process.execPath, [FRE, ...args], { cwd: ROOT, encoding: 'utf8' });
}

/** A usage error: exit 1, one clean message, no stack trace. */
function usageError(args: string[]): string {
  const r = fre(args);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/^fre: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return r.stderr;
}

beforeAll(() => {
  if (!existsSync(FRE)) throw new Error('dist/cli/main.js is missing: run `npx tsc -p .` (npm test does)');
});

describe('fre usage errors (built CLI)', () => {
  test('a missing required flag is named as typed, with its short form: -o/--out', () => {
    expect(usageError(['compile', SPEC, '--chip', 'reram'])).toBe('fre: Missing required argument: -o/--out\n(see fre --help)\n');
    expect(usageError(['compile', SPEC])).toContain('Missing required arguments: --chip, -o/--out\n');
  });

  test('an unknown flag is shown once, as typed (not also as its camelCase twin), with the nearest flag', () => {
    const e = usageError(['train', SPEC, '--tst-limit', '4', '-z']);
    expect(e).toContain('Unknown arguments: --tst-limit (did you mean --test-limit?), -z\n');
    expect(e).not.toContain('tstLimit');
    expect(usageError(['validate', 'x.pb', '--chp', 'reram'])).toContain('Unknown argument: --chp (did you mean --chip?)\n');
  });

  test('a mistyped command names the nearest command', () => {
    expect(usageError(['trian', 'x'])).toContain('Unknown command "trian"; did you mean "train"?');
    expect(usageError(['export', 'spcie', 'n.pb'])).toContain('Unknown command "spcie"; did you mean "spice"?');
  });

  test('a flag before the command is named as misplaced, not its command word as unknown', () => {
    const e = usageError(['--bogus', 'train', 'x']);
    expect(e).toContain('--bogus comes before the command: flags go after it (fre train … --bogus)');
    expect(e).not.toContain('Unknown command');
    // The flags yargs takes before a command still work there.
    const help = fre(['--help', 'train']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('fre train <spec>');
  });

  test('a mistyped sweep subcommand names the subcommand, not a missing sweep file or an extra argument', () => {
    expect(usageError(['sweep', 'reprot', 'x.jsonl'])).toContain('Unknown command "reprot"; did you mean "report"?');
    expect(usageError(['sweep', 'merg', 'a.jsonl', '-o', 'b.jsonl'])).toContain('did you mean "merge"?');
    // A path is a sweep file, however close its name: the sweep runner's own error names it.
    const file = usageError(['sweep', './report']);
    expect(file).not.toContain('did you mean');
    expect(file).toContain('./report');
  });

  test('an extra file argument stays an unknown argument, not an unknown command', () => {
    expect(usageError(['inspect', 'a.pb', 'b.pb'])).toContain('Unknown argument: b.pb\n');
  });

  test('bare fre points to the help once', () => {
    const e = usageError([]);
    expect(e).toBe('fre: name a command (fre --help lists them)\n');
  });

  test('a command after "--" is a usage error, not a silent exit 0; "--" after the command still passes words', () => {
    expect(usageError(['--', 'compile'])).toBe('fre: name a command before "--" (fre --help lists them)\n');
    expect(usageError(['compile', '--', 'x'])).toMatch(/Not enough non-option arguments/);
  });

  test('help of a required list shows [required] without [default: []]', () => {
    for (const args of [['report'], ['sweep', 'report'], ['sweep', 'merge']]) {
      const r = fre([...args, '--help']);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/\[array\] \[required\]\n/);
      expect(r.stdout).not.toContain('[default: []]');
    }
  });
});

describe('usageMessage', () => {
  const o = { key: { out: true, o: true, 'test-limit': true, testLimit: true, spec: true }, alias: { out: ['o'] }, positionals: ['spec'] };

  test('finds the flag as typed in a cluster (-zj2) and after --no-', () => {
    expect(usageMessage('Unknown arguments: z', o, ['train', 'x', '-zj2'])).toBe('Unknown argument: -z');
    expect(usageMessage('Unknown arguments: color', o, ['train', 'x', '--no-color'])).toBe('Unknown argument: --no-color');
  });

  test('an unknown flag named as a word typed earlier is shown as the flag; a word and a flag of one name, each once', () => {
    expect(usageMessage('Unknown arguments: x, y, z', o, ['train', 'x', '-xyz'])).toBe('Unknown arguments: -x, -y, -z');
    expect(usageMessage('Unknown argument: a', o, ['inspect', 'a', '-a'])).toBe('Unknown argument: -a');
    expect(usageMessage('Unknown arguments: jsn, jsn', o, ['inspect', 'a.pb', 'jsn', '--jsn'])).toBe('Unknown arguments: --jsn, jsn');
  });

  test('never suggests a positional as a flag, and leaves messages it does not know alone', () => {
    expect(usageMessage('Unknown argument: spc', o, ['train', 'x', '--spc'])).toBe('Unknown argument: --spc');
    expect(usageMessage('Not enough non-option arguments: got 0, need at least 1', o, [])).toBe(
      'Not enough non-option arguments: got 0, need at least 1',
    );
  });
});
