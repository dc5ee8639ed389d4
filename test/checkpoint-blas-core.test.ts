/**
 * A checkpoint continues only on the OpenBLAS kernels that wrote it. The native backend's name is
 * the same whichever core OpenBLAS runs (the CPU model, OPENBLAS_CORETYPE, or openblas-core.ts's
 * choice from the CPU flags), but each core's sgemm rounds differently: a sweep run checkpointed on
 * one core (a Slurm task pre-empted on one node type) and continued on another (re-queued on another)
 * gave numbers neither uninterrupted run gives, with no word. It must be refused, naming the file.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadNativeAddon } from '../simulator/kernels/native';
import { sweepDir, tinyGraph, tinySweep } from './sweep-fixtures';

const FRE = join(__dirname, '..', 'dist', 'cli', 'main.js');
const DIST = join(__dirname, '..', 'dist');

/** The core OpenBLAS runs in a fresh process with OPENBLAS_CORETYPE=`core` (null without the addon). */
function coreUnder(core: string): string | null {
  const code = `const a = require(${JSON.stringify(join(DIST, 'simulator', 'kernels', 'native.js'))}).loadNativeAddon();
process.stdout.write(a ? (/; core (\\S+)/.exec(a.config()) ?? [])[1] ?? '' : '')`;
  const out = execFileSync(process.execPath, ['-e', code], { env: { ...process.env, OPENBLAS_CORETYPE: core }, encoding: 'utf8' });
  return out || null;
}

// Two cores every x86-64 DYNAMIC_ARCH OpenBLAS has; other builds ignore OPENBLAS_CORETYPE (skipped).
const A = 'Prescott';
const B = 'Haswell';
const twoCores = loadNativeAddon() !== null && process.arch === 'x64' && coreUnder(A) === A && coreUnder(B) === B;
const run = twoCores ? describe : describe.skip;

run('fre sweep --resume on other OpenBLAS kernels', () => {
  test(`a checkpoint written on ${A} kernels is refused on ${B}, naming the file and the cores`, () => {
    const { dir, file } = sweepDir(
      tinySweep({ axes: [], seeds: [1], method: 'ep', data: { trainLimit: 300, testLimit: 100 } }),
      tinyGraph({ epochs: 3 }),
    );
    const out = join(dir, 'r.jsonl');
    const ckpt = `${out}.ckpt/run-0.ckpt.npz`;
    mkdirSync(`${out}.ckpt`, { recursive: true });
    // Run 0 trained for one epoch on core A, then stopped (a pre-empted task).
    const first = `const { loadSweep } = require(${JSON.stringify(join(DIST, 'sweep', 'definition.js'))});
const { configOf, enumerateRuns } = require(${JSON.stringify(join(DIST, 'sweep', 'grid.js'))});
const { trainRunner, RunAborted } = require(${JSON.stringify(join(DIST, 'sweep', 'runners', 'train.js'))});
const def = loadSweep(${JSON.stringify(file)});
const stop = new AbortController();
const log = (l) => { if (l.startsWith('epoch 1:')) stop.abort(); };
trainRunner.run(configOf(def, enumerateRuns(def)[0]), { signal: stop.signal, log, checkpoint: ${JSON.stringify(ckpt)} })
  .then(() => process.exit(2), (e) => process.exit(e instanceof RunAborted ? 0 : 3));`;
    execFileSync(process.execPath, ['-e', first], { env: { ...process.env, OPENBLAS_CORETYPE: A, OPENBLAS_NUM_THREADS: '1' } });

    const r = spawnSync(process.execPath, [FRE, 'sweep', file, '-o', out, '--resume', '--workers', '1'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, OPENBLAS_CORETYPE: B },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(ckpt);
    expect(r.stderr).toContain(A);
    expect(r.stderr).toContain(B);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
