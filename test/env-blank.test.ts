/**
 * A tuning variable set to an empty or blank value is unset (util/env.ts: "or unset for the default"),
 * for the addon too: its C code read FRE_CHIP_THREADS="" with strtol as 0 (so 1 chip thread, not the
 * CPUs the process may use) and FRE_LAYOUT_THREADS=" " as 0 (1 layout thread, not the default). A
 * job script's `FRE_CHIP_THREADS=$SLURM_CPUS_PER_TASK` outside an allocation is such a value.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { loadNativeAddon } from '../simulator/kernels/native';

const run = loadNativeAddon() !== null || process.env.CI ? describe : describe.skip;
const NATIVE = join(__dirname, '..', 'dist', 'simulator', 'kernels', 'native.js');

/** chipThreads() and layoutThreads() of a fresh process that loads the addon through fre's loader. */
function threads(env: Record<string, string | undefined>): { chip: number; layout: number } {
  const code = `const a = require(${JSON.stringify(NATIVE)}).loadNativeAddon();
process.stdout.write(JSON.stringify({ chip: a.chipThreads(), layout: a.layoutThreads() }))`;
  const e: NodeJS.ProcessEnv = { ...process.env };
  delete e.FRE_CHIP_THREADS;
  delete e.FRE_LAYOUT_THREADS;
  delete e.FRE_POOL_SPIN_US;
  for (const [k, v] of Object.entries(env)) if (v !== undefined) e[k] = v;
  return JSON.parse(execFileSync(process.execPath, ['-e', code], { env: e, encoding: 'utf8' })) as { chip: number; layout: number };
}

run('blank tuning variables mean the default', () => {
  const unset = threads({});
  test.each(['', ' ', '\t'])('FRE_CHIP_THREADS=%j: the default chip threads', (v) => {
    expect(threads({ FRE_CHIP_THREADS: v }).chip).toBe(unset.chip);
  });
  test.each(['', ' '])('FRE_LAYOUT_THREADS=%j: the default layout threads', (v) => {
    expect(threads({ FRE_LAYOUT_THREADS: v }).layout).toBe(unset.layout);
  });
  test('set values still decide', () => {
    expect(threads({ FRE_CHIP_THREADS: ' 1' }).chip).toBe(1);
    expect(threads({ FRE_LAYOUT_THREADS: '1' }).layout).toBe(1);
  });
});
