/**
 * One writer per results file (util/output-lock.ts): a second `fre sweep` on a file another one is
 * writing stops with a message naming the owner and the lock; a lock whose owner is gone (killed
 * here, a re-queued Slurm job, a dead machine that stopped renewing it) is taken over.
 */
import { spawn, spawnSync } from 'node:child_process';
// The fs module itself (not an import's copy of it), to spy on what util/output-lock.ts calls.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import fs = require('node:fs');
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { SweepError } from '../sweep/errors';
import { lockResultsFile } from '../sweep/execute';
import { LEASE_MS } from '../util/output-lock';
import { readResults } from '../sweep/results';
import { sweepDir, tinyGraph, tinySweep, until } from './sweep-fixtures';

const FRE = join(__dirname, '..', 'dist', 'cli', 'main.js');
/** The lock as `fre sweep` takes it, in this process. */
const lockResults = lockResultsFile;
const { dir, file } = sweepDir(
  tinySweep({ axes: [], seeds: [1], method: 'ep', data: { trainLimit: 300, testLimit: 100 } }),
  tinyGraph({ epochs: 1 }),
);

function fre(args: string[], env: Record<string, string> = {}) {
  // No Slurm job of the machine running the tests leaks into the lock's owner.
  const clean = { SLURM_JOB_ID: '', SLURM_ARRAY_JOB_ID: '', SLURM_ARRAY_TASK_ID: '' };
  return spawnSync(process.execPath, [FRE, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...clean, ...env } });
}

/** A pid that existed and has ended. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

function writeLock(out: string, owner: Record<string, unknown>, ageMs = 0): string {
  const lock = `${out}.lock`;
  writeFileSync(lock, JSON.stringify({ started: '2026-01-01T00:00:00.000Z', ...owner }));
  const t = new Date(Date.now() - ageMs);
  utimesSync(lock, t, t);
  return lock;
}

describe('the results file lock', () => {
  test('a sweep ended by SIGTERM (scancel, a time limit) removes its lock', async () => {
    const long = sweepDir(
      tinySweep({ axes: [], seeds: [1], method: 'ep', data: { trainLimit: 1500, testLimit: 200 } }),
      tinyGraph({ epochs: 50 }),
    );
    const out = join(long.dir, 'term.jsonl');
    const child = spawn(process.execPath, [FRE, 'sweep', long.file, '-o', out, '--workers', '1'], { cwd: long.dir, stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    // The checkpoint folder is made after the lock is taken: the sweep is past its start.
    expect(await until(() => existsSync(`${out}.ckpt`), 60000)).toBe(true);
    expect(existsSync(`${out}.lock`)).toBe(true);
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(existsSync(`${out}.lock`)).toBe(false);
  });

  test('held while the sweep holds it: a second taker is refused naming the owner; released, it is gone', () => {
    const out = join(dir, 'held.jsonl');
    const logs: string[] = [];
    const release = lockResults(out, (l) => logs.push(l));
    const owner = JSON.parse(readFileSync(`${out}.lock`, 'utf8'));
    expect([owner.host, owner.pid]).toEqual([hostname(), process.pid]);
    expect(() => lockResults(out, (l) => logs.push(l))).toThrow(SweepError);
    expect(() => lockResults(out, () => {})).toThrow(
      new RegExp(`another fre sweep is writing this results file: process ${process.pid} on ${hostname()}[\\s\\S]*delete ${out}\\.lock`),
    );
    release();
    expect(existsSync(`${out}.lock`)).toBe(false);
    expect(logs).toEqual([]);
    lockResults(out, () => {})(); // free again
  });

  test('fre sweep on a file another live sweep writes: exit 1, one message, nothing written', () => {
    const out = join(dir, 'live.jsonl');
    // The owner: this test's own process, alive on this machine.
    const lock = writeLock(out, { host: hostname(), pid: process.pid });
    const r = fre(['sweep', file, '-o', out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`another fre sweep is writing this results file: process ${process.pid} on ${hostname()}`);
    expect(r.stderr).toContain(`delete ${lock}`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(lock)).toBe(true); // the owner's lock is left alone
  });

  test('a killed sweep’s lock on this machine is taken over; the run is recorded and the lock removed', () => {
    const out = join(dir, 'dead.jsonl');
    const pid = deadPid();
    const lock = writeLock(out, { host: hostname(), pid });
    const r = fre(['sweep', file, '-o', out]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`warning: taking over ${lock}: its process ${pid} on this machine has ended`);
    expect(readResults(out).lines).toHaveLength(1);
    expect(existsSync(lock)).toBe(false);
  });

  test('a lock naming this pid on this host that this process does not hold is an earlier process’s (a restarted container)', () => {
    // A Kubernetes Indexed Job's retried pod has its index's host name, and its sweep the same pid
    // (1 after `exec`) as the killed one that left the lock: it must not wait for the lease.
    const out = join(dir, 'restarted.jsonl');
    writeLock(out, { host: hostname(), pid: process.pid });
    const logs: string[] = [];
    const release = lockResults(out, (l) => logs.push(l));
    expect(logs).toEqual([
      `warning: taking over ${out}.lock: it names this process's id ${process.pid} on this machine, an earlier process's (a restarted container)`,
    ]);
    expect(JSON.parse(readFileSync(`${out}.lock`, 'utf8')).started).not.toBe('2026-01-01T00:00:00.000Z');
    // Held now: this process's own second attempt is refused, not taken over.
    expect(() => lockResults(out, () => {})).toThrow(/another fre sweep is writing this results file/);
    release();
    expect(existsSync(`${out}.lock`)).toBe(false);
  });

  test('two takers of one gone lock: the later one, moving the earlier one’s lock before its first write, puts it back and stops', () => {
    const out = join(dir, 'two-takers.jsonl');
    const lock = writeLock(out, { host: hostname(), pid: deadPid() });
    const real = { renameSync: fs.renameSync, unlinkSync: fs.unlinkSync };
    // Just before this taker moves the gone lock aside, the other taker has moved and deleted it and
    // created its own: O_EXCL done, owner not yet written.
    const spy = jest.spyOn(fs, 'renameSync').mockImplementation((from, to) => {
      if (from === lock && !existsSync(`${lock}.other`)) {
        real.unlinkSync(lock);
        fs.closeSync(fs.openSync(lock, 'wx'));
        fs.writeFileSync(`${lock}.other`, '');
      }
      real.renameSync(from, to);
    });
    const logs: string[] = [];
    try {
      expect(() => lockResults(out, (l) => logs.push(l))).toThrow(/another fre sweep is writing this results file: another process/);
    } finally {
      spy.mockRestore();
    }
    expect(logs).toEqual([]); // nothing was taken over
    expect(readFileSync(lock, 'utf8')).toBe(''); // the other taker's lock, back in place for its write
  });

  test('another machine’s lock: refused while renewed, taken over once the lease ran out', () => {
    const out = join(dir, 'remote.jsonl');
    writeLock(out, { host: 'node-that-died', pid: 1 });
    expect(() => lockResults(out, () => {})).toThrow(/process 1 on node-that-died/);
    writeLock(out, { host: 'node-that-died', pid: 1 }, LEASE_MS + 60_000);
    const logs: string[] = [];
    const release = lockResults(out, (l) => logs.push(l));
    expect(logs).toEqual([`warning: taking over ${out}.lock: it was not renewed for 6 minutes`]);
    expect(JSON.parse(readFileSync(`${out}.lock`, 'utf8')).pid).toBe(process.pid);
    release();
  });

  test('a re-queued Slurm job takes over its own earlier lock at once, not another job’s', () => {
    const out = join(dir, 'requeue.jsonl');
    writeLock(out, { host: 'node-that-died', pid: 1, job: 'slurm:4242' });
    const other = fre(['sweep', file, '-o', out], { SLURM_JOB_ID: '4343' });
    expect(other.status).toBe(1);
    expect(other.stderr).toContain('process 1 on node-that-died (slurm:4242)');
    const same = fre(['sweep', file, '-o', out], { SLURM_JOB_ID: '4242' });
    expect(same.status).toBe(0);
    expect(same.stderr).toContain('it belongs to this job (slurm:4242), which was started again');
    expect(existsSync(`${out}.lock`)).toBe(false);
  });

  test('a live sweep of the same Slurm job on this machine keeps its lock (two sweeps in one allocation)', () => {
    const out = join(dir, 'same-job.jsonl');
    const saved = process.env.SLURM_JOB_ID;
    process.env.SLURM_JOB_ID = '4444';
    try {
      const release = lockResults(out, () => {});
      const logs: string[] = [];
      expect(() => lockResults(out, (l) => logs.push(l))).toThrow(
        /another fre sweep is writing this results file: process \d+ on .* \(slurm:4444\)/,
      );
      expect(logs).toEqual([]);
      release();
    } finally {
      if (saved === undefined) delete process.env.SLURM_JOB_ID;
      else process.env.SLURM_JOB_ID = saved;
    }
  });
});
