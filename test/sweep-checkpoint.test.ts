/**
 * A sweep's training runs outlive their process: the train runner saves a checkpoint after every
 * epoch (RunContext.checkpoint) and continues from it, so a run stopped mid-way and continued gives
 * the uninterrupted run's numbers; `fre sweep` keeps those files in <out>.ckpt/ and continues them
 * only with --resume.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpecError } from '../graph/diagnostics';
import { readNpz } from '../io/npz';
import { loadSweep } from '../sweep/definition';
import { configOf, enumerateRuns } from '../sweep/grid';
import { deterministicMetrics, readResults } from '../sweep/results';
import { RunAborted, trainRunner } from '../sweep/runners/train';
import { processWithArg, sweepDir, tinyGraph, tinySweep, until } from './sweep-fixtures';

const FRE = join(__dirname, '..', 'dist', 'cli', 'main.js');
const EPOCHS = 4;
// One run: a single point and seed, four epochs of a few hundred ms each.
const SWEEP = tinySweep({ axes: [], seeds: [1], method: 'ep', data: { trainLimit: 1500, testLimit: 200 } });
const { dir, file } = sweepDir(SWEEP, tinyGraph({ hidden: 32, epochs: EPOCHS }));
const config = configOf(loadSweep(file), enumerateRuns(loadSweep(file))[0]);
const timing = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).filter(([k]) => k !== 'secondsPerEpoch'));
const epochsDone = (path: string) =>
  (JSON.parse(new TextDecoder().decode(readNpz(path).get('meta')!.data as Uint8Array)) as { epochsDone: number }).epochsDone;

function fre(args: string[]) {
  return spawnSync(process.execPath, [FRE, ...args], { cwd: dir, encoding: 'utf8' });
}

describe('the train runner with a checkpoint file', () => {
  let whole: Record<string, number>;
  beforeAll(async () => {
    whole = await trainRunner.run(config, { signal: new AbortController().signal });
  });

  test('stopped after epoch 2 and continued: the uninterrupted run’s metrics', async () => {
    const ckpt = join(dir, 'runner.ckpt.npz');
    const stop = new AbortController();
    const log = (line: string) => {
      if (line.startsWith('epoch 2:')) stop.abort();
    };
    await expect(trainRunner.run(config, { signal: stop.signal, log, checkpoint: ckpt })).rejects.toThrow(RunAborted);
    expect(epochsDone(ckpt)).toBe(2);

    const lines: string[] = [];
    const continued = await trainRunner.run(config, { signal: new AbortController().signal, log: (l) => lines.push(l), checkpoint: ckpt });
    expect(lines[0]).toBe(`continuing from ${ckpt} after epoch 2`);
    expect(lines.slice(1)).toEqual([expect.stringMatching(/^epoch 3: /), expect.stringMatching(/^epoch 4: /)]);
    expect(timing(continued)).toEqual(timing(whole));
    expect(epochsDone(ckpt)).toBe(EPOCHS);

    // Continued again from its finished checkpoint (a sweep killed between the last checkpoint and
    // the results line): no epoch runs, so no process is added to the two that ran it.
    const recorded: number[][] = [];
    await trainRunner.run(config, {
      signal: new AbortController().signal,
      checkpoint: ckpt,
      recordSessions: (s) => recorded.push(s.map((x) => x.firstEpoch)),
    });
    expect(recorded).toEqual([[1, 3]]);
  });

  test('a checkpoint of another run (other seed) is refused with the file named, not restarted silently', async () => {
    const ckpt = join(dir, 'other.ckpt.npz');
    const stop = new AbortController();
    const log = (line: string) => {
      if (line.startsWith('epoch 1:')) stop.abort();
    };
    await expect(trainRunner.run({ ...config, seed: 7 }, { signal: stop.signal, log, checkpoint: ckpt })).rejects.toThrow(RunAborted);
    const refused = await trainRunner.run(config, { signal: new AbortController().signal, checkpoint: ckpt }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(SpecError);
    const diag = (refused as SpecError).diagnostics[0];
    expect([diag.code, diag.file, diag.path]).toEqual(['FRE042', ckpt, '/meta/identity/seed']);
    // A sweep has no --seed flag: the fix is the sweep file, or redoing the run.
    expect(diag.hint).toBe(`restore the sweep file (and graph) that wrote it, or delete ${ckpt} to redo this run from its first epoch`);
  });
});

describe('fre sweep keeps running runs’ checkpoints beside the results file', () => {
  let ref: ReturnType<typeof deterministicMetrics>;
  beforeAll(() => {
    const r = fre(['sweep', file, '-o', 'ref.jsonl', '--workers', '1']);
    expect(r.status).toBe(0);
    ref = deterministicMetrics(readResults(join(dir, 'ref.jsonl')).lines[0]);
    // Finished runs leave no checkpoint behind.
    expect(existsSync(join(dir, 'ref.jsonl.ckpt'))).toBe(false);
  });

  test('killed mid-run (SIGKILL) and resumed: it continues from its last epoch with the same numbers', async () => {
    const out = join(dir, 'killed.jsonl');
    const ckpt = `${out}.ckpt/run-0.ckpt.npz`;
    const child = spawn(process.execPath, [FRE, 'sweep', file, '-o', out, '--workers', '1'], { cwd: dir, stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    expect(await until(() => existsSync(ckpt), 60000)).toBe(true);
    expect(processWithArg(out)).toBe(true); // the worker is seen, so the wait below is not vacuous
    child.kill('SIGKILL');
    await exited;
    const k = epochsDone(ckpt);
    expect(k).toBeGreaterThanOrEqual(1);
    expect(k).toBeLessThan(EPOCHS); // really killed mid-run
    expect(existsSync(out) ? readResults(out).lines : []).toHaveLength(0);
    // The orphaned worker (labelled with the results file) must notice and exit before the resume.
    expect(await until(() => !processWithArg(out), 30000)).toBe(true);
    // It may have finished one more epoch meanwhile: where the resume starts.
    const resumeAfter = epochsDone(ckpt);

    const r = fre(['sweep', file, '-o', out, '--resume', '--workers', '1']);
    expect(r.status).toBe(0);
    const line = readResults(out).lines[0];
    expect(deterministicMetrics(line)).toEqual(ref);
    expect(existsSync(`${out}.ckpt`)).toBe(false);
    // The line names both processes that ran the run, each from its first epoch, with its code version.
    expect(line.sessions?.map((s) => s.firstEpoch)).toEqual([1, resumeAfter + 1]);
    expect(line.sessions?.every((s) => s.code.version === line.provenance?.version)).toBe(true);
    // An uninterrupted run's line has none (its provenance says it all).
    expect(readResults(join(dir, 'ref.jsonl')).lines[0].sessions).toBeUndefined();
  });

  test('only --resume continues a checkpoint: without it the run starts over', () => {
    const out = join(dir, 'stale.jsonl');
    mkdirSync(`${out}.ckpt`, { recursive: true });
    writeFileSync(`${out}.ckpt/run-0.ckpt.npz`, 'not a checkpoint');
    const resumed = fre(['sweep', file, '-o', out, '--resume', '--workers', '1']);
    expect(resumed.status).not.toBe(0);
    expect(resumed.stderr).toContain(`${out}.ckpt/run-0.ckpt.npz`);
    expect(resumed.stderr).toContain(`not a readable checkpoint: delete ${out}.ckpt/run-0.ckpt.npz to redo this run from its first epoch`);
    expect(resumed.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace

    const fresh = fre(['sweep', file, '-o', out, '--workers', '1']);
    expect(fresh.status).toBe(0);
    expect(deterministicMetrics(readResults(out).lines[0])).toEqual(ref);
    expect(readFileSync(out, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
  });
});
