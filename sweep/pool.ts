/**
 * A pool of worker processes (child_process.fork of sweep/worker.js), each with
 * OPENBLAS_NUM_THREADS=1 and FRE_CHIP_THREADS=1 so N workers use N cores without BLAS or chip threads
 * fighting over them.
 * Runs are handed out one at a time to whichever worker is free; results come back to the parent,
 * which alone writes them. Which worker runs what never affects a run's numbers.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { RunSession } from '../simulator/checkpoint';
import type { RunConfig } from './runner';
import { WORKER_SCRIPT, type FromWorker, type ToWorker } from './worker';

export interface PoolTask {
  id: number;
  config: () => RunConfig;
  /** Where the run keeps its per-epoch checkpoint (runners that train; see RunContext.checkpoint). */
  checkpoint?: string;
}

export interface PoolResult {
  id: number;
  metrics: Record<string, number>;
  seconds: number;
  backend: string;
  /** The processes that ran a run continued from its checkpoint (RunContext.recordSessions). */
  sessions?: RunSession[];
}

export class RunFailedError extends Error {
  constructor(
    readonly id: number,
    readonly detail: string,
    readonly user: boolean,
  ) {
    super(detail);
  }
}

export interface PoolOptions {
  workers: number;
  /** Extra environment for the workers (OPENBLAS_NUM_THREADS=1 and FRE_CHIP_THREADS=1 are always set). */
  env?: Record<string, string>;
  onResult: (r: PoolResult) => void;
  /** Shown in the workers' command line (ps), e.g. the results file. */
  label?: string;
  /** A run started (for progress displays). */
  onStart?: (id: number, worker: number, pid: number | undefined) => void;
  /** How many times a run whose worker process died (killed, out of memory) is run again (default 1). */
  retries?: number;
  /** A worker died during a run that will be run again. */
  onRetry?: (id: number, detail: string, attempt: number) => void;
}

export interface PoolControl {
  /** Stop handing out runs; running ones finish and are recorded. */
  drain(): void;
  /** Kill the workers now; running runs are lost (and redone on --resume). */
  kill(): void;
  done: Promise<{ stopped: boolean }>;
}

/** The built worker script: this module's sibling, or its dist/ copy when running from sources. */
export function workerScript(): string {
  if (WORKER_SCRIPT.endsWith('.js')) return WORKER_SCRIPT;
  const root = resolve(__dirname, '..');
  const built = join(root, 'dist', relative(root, WORKER_SCRIPT)).replace(/\.ts$/, '.js');
  if (!existsSync(built)) throw new Error(`the sweep worker is not built (${built}); run \`npx tsc -p .\``);
  return built;
}

/** How a worker process ended, for people: "killed by SIGKILL" or "exit code 3". */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}

export function runPool(tasks: PoolTask[], o: PoolOptions): PoolControl {
  const script = workerScript();
  const retries = o.retries ?? 1;
  let next = 0;
  /** Runs whose worker died, to be handed out again before new ones. */
  const again: PoolTask[] = [];
  const attempts = new Map<number, number>();
  const byId = new Map(tasks.map((t) => [t.id, t]));
  let draining = false;
  let finished = false;
  let spawned = 0;
  const children: { proc: ChildProcess; busy: number | null; n: number }[] = [];
  let resolveDone!: (v: { stopped: boolean }) => void;
  let rejectDone!: (e: Error) => void;
  const done = new Promise<{ stopped: boolean }>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });

  const killAll = () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  };
  const finish = (err?: Error) => {
    if (finished) return;
    finished = true;
    if (err) {
      killAll();
      rejectDone(err);
      return;
    }
    for (const c of children) if (c.proc.connected) c.proc.send({ type: 'stop' } satisfies ToWorker);
    resolveDone({ stopped: draining });
  };
  const hasWork = () => !draining && (again.length > 0 || next < tasks.length);
  const dispatch = (c: (typeof children)[number]) => {
    if (finished) return;
    if (hasWork()) {
      const t = again.shift() ?? tasks[next++];
      c.busy = t.id;
      let config: RunConfig;
      try {
        config = t.config();
      } catch (err) {
        finish(err as Error);
        return;
      }
      c.proc.send({ type: 'run', id: t.id, config, checkpoint: t.checkpoint } satisfies ToWorker);
      o.onStart?.(t.id, c.n, c.proc.pid);
      return;
    }
    if (children.every((x) => x.busy === null)) finish();
  };

  const spawn = () => {
    const k = spawned++;
    const proc = fork(script, o.label ? [o.label] : [], {
      // One chip thread too: the chip kernels' threads would fight the other workers for the same cores
      // (results do not depend on the thread count).
      env: { ...process.env, ...o.env, OPENBLAS_NUM_THREADS: '1', FRE_CHIP_THREADS: '1' },
      serialization: 'advanced',
      stdio: ['ignore', 2, 2, 'ipc'],
    });
    const c = { proc, busy: null as number | null, n: k };
    children.push(c);
    proc.on('message', (m: FromWorker) => {
      if (m.type === 'ready') {
        dispatch(c);
        return;
      }
      if (m.type === 'result') {
        c.busy = null;
        try {
          o.onResult({
            id: m.id,
            metrics: m.metrics,
            seconds: m.seconds,
            backend: m.backend,
            ...(m.sessions ? { sessions: m.sessions } : {}),
          });
        } catch (err) {
          finish(err as Error);
          return;
        }
        dispatch(c);
        return;
      }
      if (m.type === 'error') {
        c.busy = null;
        finish(new RunFailedError(m.id, m.message, m.user));
      }
    });
    proc.on('exit', (code, signal) => {
      if (finished) return;
      children.splice(children.indexOf(c), 1);
      const id = c.busy;
      c.busy = null;
      if (id === null) {
        // An idle worker died: replace it if there is work left, else nothing is lost.
        if (hasWork()) spawn();
        else if (children.every((x) => x.busy === null)) finish();
        return;
      }
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      const detail = `its worker process ${proc.pid} died during the run (${describeExit(code, signal)}${signal === 'SIGKILL' ? ': killed, perhaps for lack of memory' : ''})`;
      if (attempt <= retries && !draining) {
        o.onRetry?.(id, detail, attempt);
        again.push(byId.get(id)!);
        spawn();
        return;
      }
      // A dead worker is the run's failure, reported like a user's error: exit code 1, no stack.
      finish(new RunFailedError(id, `${detail}; ${attempt === 1 ? 'not retried (--retries 0)' : `tried ${attempt} times`}`, true));
    });
    proc.on('error', (err) => finish(err));
  };

  const n = Math.max(1, Math.min(o.workers, tasks.length));
  if (tasks.length === 0) {
    resolveDone({ stopped: false });
    return { drain() {}, kill() {}, done };
  }
  for (let k = 0; k < n; k++) spawn();
  return {
    drain() {
      draining = true;
      if (children.every((x) => x.busy === null)) finish();
    },
    kill() {
      draining = true;
      if (finished) return;
      finished = true;
      killAll();
      resolveDone({ stopped: true });
    },
    done,
  };
}
