/**
 * A sweep killed after a run's results line was written (fsynced) but before its checkpoint was
 * deleted leaves that checkpoint behind. `--resume` skips the run (it is recorded), and used to keep
 * the file and its folder for good — though docs/sweeps.md says a checkpoint is deleted once its
 * results line is written and an empty folder means no run is half done. The line is durable, so
 * the resumed sweep deletes the checkpoint of every recorded run of its shard.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readResults } from '../sweep/results';
import { sweepDir, tinyGraph, tinySweep } from './sweep-fixtures';

const FRE = join(__dirname, '..', 'dist', 'cli', 'main.js');
// Two runs (seeds 1 and 2), two epochs each, on a few hundred samples.
const { dir, file } = sweepDir(
  tinySweep({ axes: [], seeds: [1, 2], method: 'ep', data: { trainLimit: 300, testLimit: 100 } }),
  tinyGraph({ epochs: 2 }),
);
const fre = (args: string[]) =>
  spawnSync(process.execPath, [FRE, 'sweep', file, ...args, '--workers', '1'], { cwd: dir, encoding: 'utf8' });

describe('fre sweep --resume after a kill between a results line and its checkpoint delete', () => {
  test('the recorded runs’ checkpoints are deleted, and the emptied folder with them', () => {
    const out = join(dir, 'r.jsonl');
    expect(fre(['-o', out]).status).toBe(0);
    expect(readResults(out).lines).toHaveLength(2);
    // What the kill leaves: the results lines, and run 0's checkpoint.
    mkdirSync(`${out}.ckpt`);
    writeFileSync(`${out}.ckpt/run-0.ckpt.npz`, 'the last epoch of run 0');
    const r = fre(['-o', out, '--resume']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/2 already in .*, 0 to run/);
    expect(existsSync(`${out}.ckpt/run-0.ckpt.npz`)).toBe(false);
    expect(existsSync(`${out}.ckpt`)).toBe(false);
  });

  test('with a run left to do: the recorded run’s checkpoint goes, the folder once the sweep is done', () => {
    const out = join(dir, 'half.jsonl');
    expect(fre(['-o', out]).status).toBe(0);
    // Keep run 0's line only: run 1 is redone.
    const lines = readResults(out).lines;
    writeFileSync(out, `${JSON.stringify(lines.find((l) => l.index === 0))}\n`);
    mkdirSync(`${out}.ckpt`);
    writeFileSync(`${out}.ckpt/run-0.ckpt.npz`, 'the last epoch of run 0');
    const r = fre(['-o', out, '--resume']);
    expect(r.status).toBe(0);
    expect(readResults(out).lines).toHaveLength(2);
    expect(existsSync(`${out}.ckpt`)).toBe(false);
  });
});
