/**
 * processWithArg, the SIGKILL resume test's witness of the orphaned sweep worker: `fre sweep -o OUT`
 * names OUT on its own command line too, so a match on any process would see the parent sweep and
 * make "the worker is seen" hold with no worker at all. Only a sweep worker (sweep/worker.js)
 * labelled with OUT counts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processWithArg, until } from './sweep-fixtures';

const children: ChildProcess[] = [];

/** A node process running `script` (or an inline sleeper) with `args`, until the test ends. */
async function sleeper(script: string | null, args: string[]): Promise<ChildProcess> {
  const argv = script ? [script, ...args] : ['-e', 'setInterval(() => {}, 1000)', ...args];
  const child = spawn(process.execPath, argv, { stdio: 'ignore' });
  children.push(child);
  // /proc/PID/cmdline holds the new argv once node has exec'd: wait for it, so a `false` below is not vacuous.
  const named = () => {
    try {
      return readFileSync(`/proc/${child.pid}/cmdline`, 'utf8')
        .split('\0')
        .includes(args[args.length - 1]!);
    } catch {
      return false;
    }
  };
  expect(await until(named, 5000)).toBe(true);
  return child;
}

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

describe('processWithArg', () => {
  test('the parent `fre sweep -o OUT` is not the worker; a sweep/worker.js labelled OUT is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fre-proc-'));
    const out = join(dir, 'killed.jsonl');
    // The parent's command line: node dist/cli/main.js sweep sweep.json -o OUT --workers 1
    await sleeper(null, ['sweep', 'sweep.json', '--workers', '1', '-o', out]);
    expect(processWithArg(out)).toBe(false);

    // The worker's: node …/sweep/worker.js OUT (sweep/pool.ts forks it with the results file as its label).
    mkdirSync(join(dir, 'sweep'));
    const worker = join(dir, 'sweep', 'worker.js');
    writeFileSync(worker, 'setInterval(() => {}, 1000);\n');
    await sleeper(worker, [out]);
    expect(await until(() => processWithArg(out), 5000)).toBe(true);
  });
});
