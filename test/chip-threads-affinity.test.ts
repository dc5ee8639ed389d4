/**
 * The chip's default thread count is the CPUs the process may use (its affinity mask: taskset, a Slurm
 * task's or a container's cpuset), not the machine's online cores: a 2-CPU job on a 64-core node used to
 * start 8 chip threads and keep them spinning on 2 CPUs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { loadNativeAddon, nativeAddonPath } from '../simulator/kernels/native';

const native = loadNativeAddon();
const taskset = spawnSync('taskset', ['--version']).status === 0;
// Outside CI a missing addon or taskset (util-linux) skips; in CI it fails.
const run = (native && taskset) || process.env.CI ? describe : describe.skip;

/** chipThreads() of a fresh process with FRE_CHIP_THREADS unset, optionally under `taskset -c cpus`. */
function defaultThreads(cpus?: string): number {
  const env = { ...process.env };
  delete env.FRE_CHIP_THREADS;
  const code = `process.stdout.write(String(require(${JSON.stringify(nativeAddonPath())}).chipThreads()))`;
  const [cmd, args] = cpus ? ['taskset', ['-c', cpus, process.execPath, '-e', code]] : [process.execPath, ['-e', code]];
  return Number(execFileSync(cmd, args, { env, encoding: 'utf8' }));
}

run('chip threads by default', () => {
  test('the whole machine: its CPUs, at most 8', () => {
    expect(native).not.toBeNull();
    expect(taskset).toBe(true);
    expect(defaultThreads()).toBe(Math.min(availableParallelism(), 8));
  });
  test('under taskset -c 0: one thread', () => {
    expect(defaultThreads('0')).toBe(1);
  });
  test('FRE_CHIP_THREADS still decides when set', () => {
    const code = `process.stdout.write(String(require(${JSON.stringify(nativeAddonPath())}).chipThreads()))`;
    const out = execFileSync('taskset', ['-c', '0', process.execPath, '-e', code], {
      env: { ...process.env, FRE_CHIP_THREADS: '2' },
      encoding: 'utf8',
    });
    expect(Number(out)).toBe(2);
  });
});
