/**
 * One writer per output. Two processes writing one output (a sweep's results file, a reproduction
 * run's results and checkpoint) — a second terminal, a job submitted twice — would each run the
 * missing work, append duplicate lines and overwrite each other's checkpoints. So the writer holds
 * `<output>.lock` while it runs: created exclusively, holding who owns it, its modification time
 * renewed every HEARTBEAT_MS.
 *
 * A lock whose owner is gone must not block the next attempt, least of all a cluster re-queue after
 * a node died. It is taken over when:
 * - its owner ran on this machine and its process no longer exists (a killed run), or it names
 *   this process's own pid without this process holding it (a restarted container: same host name,
 *   same pid);
 * - it belongs to this same Slurm job on another machine (a re-queued job keeps its id: its earlier
 *   run is over; on this machine its process decides, as two runs in one allocation share the id);
 * - it was not renewed for LEASE_MS (an owner on another machine that died with it).
 * Otherwise the taker stops with a LockError naming the owner and the lock file.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { constants, hostname } from 'node:os';
import { resolve } from 'node:path';
import { processAlive } from './process-alive';

/** How often the owner renews the lock, and how long an unrenewed lock of another machine counts as live. */
export const HEARTBEAT_MS = 30_000;
export const LEASE_MS = 5 * 60_000;

/** Signals that end a process without the 'exit' event. */
const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP'];

/** The output is another live process's (or the lock cannot be made): `file` is the output. */
export class LockError extends Error {
  constructor(
    public readonly file: string,
    public readonly detail: string,
    public readonly hint: string,
  ) {
    super(`${file}: error: ${detail}\n  fix: ${hint}`);
    this.name = 'LockError';
  }
}

/** Who takes the lock, in the messages: the command (`fre sweep`) and what it writes (`this results file`). */
export interface LockUser {
  command: string;
  output: string;
  /** How to write elsewhere instead (`write to another file with --out`). */
  elsewhere: string;
}

export interface LockOwner {
  host: string;
  pid: number;
  started: string;
  /** The Slurm job (array job and task) the owner ran in, if any. */
  job?: string;
}

function currentJob(): string | undefined {
  const e = process.env;
  if (e.SLURM_ARRAY_JOB_ID && e.SLURM_ARRAY_TASK_ID) return `slurm:${e.SLURM_ARRAY_JOB_ID}_${e.SLURM_ARRAY_TASK_ID}`;
  return e.SLURM_JOB_ID ? `slurm:${e.SLURM_JOB_ID}` : undefined;
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockOwner>;
    return typeof v.host === 'string' && Number.isInteger(v.pid) ? (v as LockOwner) : undefined;
  } catch {
    return undefined; // unreadable, or caught between its creation and its first write
  }
}

/** The locks this process holds (resolved paths): one naming this pid that is not here is an earlier process's. */
const held = new Set<string>();

/** Why the lock's owner is gone (it may be taken over), or undefined when it may still be writing. */
function goneReason(owner: LockOwner | undefined, ageMs: number, now: LockOwner, heldHere: boolean): string | undefined {
  if (owner && owner.host === now.host) {
    // Our own pid: a container restarted with the same host name (a Kubernetes Indexed Job's pod is
    // named after its index) starts its process with the same pid as the one that left the lock.
    if (owner.pid === now.pid)
      return heldHere ? undefined : `it names this process's id ${owner.pid} on this machine, an earlier process's (a restarted container)`;
    // On this machine whether its process lives decides, whatever its job: two sweeps started in one
    // Slurm allocation (salloc, a batch script) share the job id, and the first is still writing.
    if (!processAlive(owner.pid)) return `its process ${owner.pid} on this machine has ended`;
  } else if (owner?.job && owner.job === now.job) {
    return `it belongs to this job (${owner.job}), which was started again`;
  }
  if (ageMs > LEASE_MS) return `it was not renewed for ${Math.round(ageMs / 60_000)} minutes`;
  return undefined;
}

/**
 * Whether the lock moved aside is the one judged gone: the same owner, or, when that one was
 * unreadable (only an expired lease makes it gone), still unreadable and still expired — a fresh
 * lock moved while its creator had not yet written it is unreadable too, but new.
 */
function sameLock(owner: LockOwner | undefined, moved: LockOwner | undefined, aside: string): boolean {
  if (owner) return moved !== undefined && moved.pid === owner.pid && moved.host === owner.host && moved.started === owner.started;
  try {
    return moved === undefined && Date.now() - statSync(aside).mtimeMs > LEASE_MS;
  } catch {
    return false;
  }
}

function describe(owner: LockOwner | undefined): string {
  if (!owner) return 'another process (its lock is being written)';
  return `process ${owner.pid} on ${owner.host}${owner.job ? ` (${owner.job})` : ''}, since ${owner.started}`;
}

/**
 * Takes `<out>.lock` for this process, or throws a LockError naming its live owner. Returns the
 * release function (also run at process exit and on SIGTERM/SIGHUP); `log` reports a lock taken
 * over from a gone owner.
 */
export function lockOutput(out: string, user: LockUser, log: (line: string) => void): () => void {
  const file = `${out}.lock`;
  const live = (owner: LockOwner | undefined) =>
    new LockError(
      out,
      `another ${user.command} is writing ${user.output}: ${describe(owner)}`,
      `wait for it to finish, or ${user.elsewhere}; if that ${user.command} is no longer running (its machine died), delete ${file}`,
    );
  const me: LockOwner = {
    host: hostname(),
    pid: process.pid,
    started: new Date().toISOString(),
    ...(currentJob() ? { job: currentJob() } : {}),
  };
  for (let attempt = 0; ; attempt++) {
    if (attempt > 10) throw live(readOwner(file)); // a lock that keeps coming and going: someone is using it
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new LockError(
          out,
          `cannot create the lock ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
          `${user.elsewhere}, in a folder you can write`,
        );
      }
      let ageMs = 0;
      try {
        ageMs = Date.now() - statSync(file).mtimeMs;
      } catch {
        continue; // released between the two calls: try again
      }
      const owner = readOwner(file);
      const gone = attempt < 3 ? goneReason(owner, ageMs, me, held.has(resolve(file))) : undefined;
      if (!gone) throw live(owner);
      // Moved aside, then checked: of two processes taking over the same gone owner's lock at once,
      // the later one would move the lock the earlier one has just created; it sees another owner
      // in what it moved (or an empty lock, caught between its creation and its first write), puts
      // it back and stops.
      const aside = `${file}.gone-${me.pid}`;
      try {
        renameSync(file, aside);
      } catch {
        continue; // the other taker moved it first
      }
      const moved = readOwner(aside);
      if (!sameLock(owner, moved, aside)) {
        renameSync(aside, file);
        throw live(moved);
      }
      log(`warning: taking over ${file}: ${gone}`);
      unlinkSync(aside);
      continue;
    }
    writeSync(fd, `${JSON.stringify(me)}\n`);
    fsyncSync(fd);
    closeSync(fd);
    break;
  }
  held.add(resolve(file));
  const ours = () => {
    const o = readOwner(file);
    return o !== undefined && o.pid === me.pid && o.host === me.host && o.started === me.started;
  };
  const renew = setInterval(() => {
    // Renewing a lock another process has taken over (ours deleted by hand, or judged gone) would keep
    // the new owner's alive on our behalf: stop, and say so.
    if (!ours()) {
      clearInterval(renew);
      log(`warning: ${file} is no longer this ${user.command}'s (deleted, or taken over by another); another may now write ${out} too`);
      return;
    }
    try {
      const t = new Date();
      utimesSync(file, t, t);
    } catch {
      /* removed by hand between the two calls: the next round says so */
    }
  }, HEARTBEAT_MS);
  renew.unref();
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    held.delete(resolve(file));
    clearInterval(renew);
    process.off('exit', release);
    for (const sig of SIGNALS) process.off(sig, onSignal);
    // Only our own lock: one taken over after ours was deleted by hand belongs to someone else.
    if (ours()) {
      try {
        unlinkSync(file);
      } catch {
        /* already gone */
      }
    }
  };
  // 'exit' does not fire when a signal ends the process: scancel and a Slurm time limit send
  // SIGTERM, a closed terminal SIGHUP. Release, then exit with the signal's status (re-raising it
  // would be ignored by a process running as pid 1 in a container).
  const onSignal = (sig: NodeJS.Signals) => {
    release();
    process.exit(128 + (constants.signals[sig] ?? 0));
  };
  process.on('exit', release);
  for (const sig of SIGNALS) process.on(sig, onSignal);
  return release;
}
