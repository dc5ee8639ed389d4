/**
 * A sweep run whose checkpoint belongs to another run (the sweep file's seeds changed before any run
 * was recorded, or the kernel backend differs) stops with a message naming the file and what to do
 * in a sweep: restore what changed or delete the checkpoint — never `fre train`'s flags (--seed,
 * --algo, --backend, --train-limit), which `fre sweep` does not have.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadSweep } from '../sweep/definition';
import { configOf, enumerateRuns } from '../sweep/grid';
import { RunAborted, trainRunner } from '../sweep/runners/train';
import { selectKernels } from '../simulator/kernels/select';
import { loadNativeKernels } from '../simulator/kernels/native';
import { sweepDir, tinyGraph, tinySweep } from './sweep-fixtures';

const FRE = join(__dirname, '..', 'dist', 'cli', 'main.js');
const SWEEP = tinySweep({ axes: [], seeds: [1], method: 'ep', data: { trainLimit: 300, testLimit: 100 } });
const { dir, file } = sweepDir(SWEEP, tinyGraph({ epochs: 3 }));
const config = configOf(loadSweep(file), enumerateRuns(loadSweep(file))[0]);

/** Trains `c` for one epoch into `ckpt`, then stops (a run killed after epoch 1). */
async function oneEpoch(c: typeof config, ckpt: string): Promise<void> {
  const stop = new AbortController();
  const log = (line: string) => {
    if (line.startsWith('epoch 1:')) stop.abort();
  };
  await expect(trainRunner.run(c, { signal: stop.signal, log, checkpoint: ckpt })).rejects.toThrow(RunAborted);
}

function resume(out: string, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [FRE, 'sweep', file, '-o', out, '--resume', '--workers', '1'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
}

describe('fre sweep --resume with a checkpoint of another run', () => {
  test('another seed: names the file and says to delete it, not `pass --seed`', async () => {
    const out = join(dir, 'seed.jsonl');
    const ckpt = `${out}.ckpt/run-0.ckpt.npz`;
    mkdirSync(`${out}.ckpt`, { recursive: true });
    await oneEpoch({ ...config, seed: 7 }, ckpt);
    const r = resume(out);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(ckpt);
    expect(r.stderr).toMatch(/seed/);
    expect(r.stderr).not.toMatch(/pass --(seed|algo|backend|train-limit|test-limit)/);
    expect(r.stderr).toMatch(new RegExp(`delete ${ckpt.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  const native = loadNativeKernels() !== null;
  (native ? test : test.skip)('another kernel backend: says FRE_BACKEND (fre sweep has no --backend) or delete it', async () => {
    expect(selectKernels('auto').name).toBe('openblas-native');
    const out = join(dir, 'backend.jsonl');
    const ckpt = `${out}.ckpt/run-0.ckpt.npz`;
    mkdirSync(`${out}.ckpt`, { recursive: true });
    await oneEpoch(config, ckpt); // on the native kernels
    const r = resume(out, { FRE_BACKEND: 'reference' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(ckpt);
    expect(r.stderr).not.toMatch(/pass --backend/);
    expect(r.stderr).toMatch(/FRE_BACKEND=native\b/); // the value that selects the checkpoint's kernels
    expect(r.stderr).toMatch(new RegExp(`delete ${ckpt.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });
});
