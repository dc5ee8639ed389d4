/**
 * Tests that need a system program (protoc, ngspice, chromium, python3 with numpy, slurm): outside
 * CI they are skipped — and counted as skipped in the closing line — when the program is missing;
 * in CI (CI=true) they run and fail with the Debian package to install, so nothing skips silently.
 */
import { spawnSync } from 'node:child_process';

const cache = new Map<string, boolean>();

/** Whether `cmd args…` runs and exits 0 (e.g. ['python3', '-c', 'import numpy']). */
export function runs(cmd: string, args: readonly string[] = ['--version']): boolean {
  const key = [cmd, ...args].join(' ');
  let ok = cache.get(key);
  if (ok === undefined) {
    const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 20000 });
    ok = !r.error && r.status === 0;
    cache.set(key, ok);
  }
  return ok;
}

/**
 * `test` when every probe runs; otherwise `test.skip` outside CI, and in CI a test that fails naming
 * what is missing. probes: [cmd, args] pairs; what: the Debian package(s) that provide them.
 */
export function testNeeding(probes: ReadonlyArray<readonly [string, readonly string[]]>, what: string): jest.It {
  const missing = probes.filter(([c, a]) => !runs(c, a)).map(([c]) => c);
  if (missing.length === 0) return test;
  if (process.env.CI) return failingTest(`${missing.join(', ')} not available: CI must install ${what} (.ci/run)`);
  return test.skip;
}

/**
 * A `test` whose every test fails with `message` instead of running — `.each` included, so a file
 * that writes `needs.each(table)(name, fn)` reports the missing program per row rather than failing
 * to load with "needs.each is not a function".
 */
export function failingTest(message: string): jest.It {
  const fail = () => {
    throw new Error(message);
  };
  const failing = ((name: string, _fn: unknown, timeout?: number) => test(name, fail, timeout)) as unknown as jest.It;
  const each = test.each as unknown as (...table: unknown[]) => (name: string, fn: () => void, timeout?: number) => void;
  (failing as unknown as { each: unknown }).each =
    (...table: unknown[]) =>
    (name: string, _fn: unknown, timeout?: number) =>
      each(...table)(name, fail, timeout);
  return failing;
}

/** A python3 that imports numpy: the one on PATH, else Debian's (python3-numpy installs for /usr/bin/python3). */
export function pythonWithNumpy(): string {
  for (const p of ['python3', '/usr/bin/python3']) if (runs(p, ['-c', 'import numpy'])) return p;
  return 'python3';
}

/** testNeeding for numpy through pythonWithNumpy(). */
export function testNeedingNumpy(): jest.It {
  return testNeeding([[pythonWithNumpy(), ['-c', 'import numpy']]], 'python3-numpy');
}

/** A python3 that runs `import <modules>` (e.g. 'numpy, google.protobuf'): the one on PATH, else Debian's. */
export function pythonImporting(modules: string): string {
  for (const p of ['python3', '/usr/bin/python3']) if (runs(p, ['-c', `import ${modules}`])) return p;
  return 'python3';
}
