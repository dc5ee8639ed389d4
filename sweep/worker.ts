/**
 * A sweep worker process (forked by sweep/pool.ts with OPENBLAS_NUM_THREADS=1). It receives one run
 * configuration at a time, runs it with the named runner and sends the metrics back; only the
 * parent writes results. It exits when the parent says stop or disappears (killed sweep).
 */
import { DatasetError } from '../datasets/dataset';
import { SpecError } from '../graph/diagnostics';
import { NpzError } from '../io/npy';
import { EnvError } from '../util/env';
import { SweepError } from './errors';
import type { RunSession } from '../simulator/checkpoint';
import type { RunConfig } from './runner';
import { getRunner } from './runners/index';
import { selectKernels } from '../simulator/kernels/select';

/** This file, for fork(); the pool maps a .ts path (tests under swc) to the built dist/ copy. */
export const WORKER_SCRIPT = __filename;

export type ToWorker = { type: 'run'; id: number; config: RunConfig; checkpoint?: string } | { type: 'stop' };
export type FromWorker =
  | { type: 'ready'; pid: number }
  | { type: 'result'; id: number; metrics: Record<string, number>; seconds: number; backend: string; sessions?: RunSession[] }
  | { type: 'error'; id: number; message: string; user: boolean };

/** Errors a user can fix: ours, and any error carrying coded diagnostics (graph SpecError, the
 *  chip descriptions' DiagnosticsError, …) — printed as one message instead of a stack trace. */
function isUserError(err: unknown): boolean {
  return (
    err instanceof SpecError ||
    err instanceof DatasetError ||
    err instanceof NpzError ||
    err instanceof SweepError ||
    err instanceof EnvError ||
    (err instanceof Error && Array.isArray((err as { diagnostics?: unknown }).diagnostics))
  );
}

export function workerMain(): void {
  const send = (m: FromWorker) => {
    process.send?.(m);
  };
  const abort = new AbortController();
  // Ctrl-C reaches the whole process group; the parent decides what happens to running runs.
  process.on('SIGINT', () => {});
  process.on('disconnect', () => {
    abort.abort();
    process.exit(0);
  });
  process.on('message', (m: ToWorker) => {
    if (m.type === 'stop') {
      process.disconnect?.();
      process.exit(0);
    }
    if (m.type !== 'run') return;
    const t0 = process.hrtime.bigint();
    const runner = getRunner(m.config.runner);
    let sessions: RunSession[] | undefined;
    const recordSessions = (s: RunSession[]) => {
      sessions = s;
    };
    const work = runner
      ? runner.run(m.config, { signal: abort.signal, checkpoint: m.checkpoint, recordSessions })
      : Promise.reject(
          new SweepError([
            { file: '(worker)', where: '', message: `unknown runner "${m.config.runner}"`, hint: 'register it in sweep/runners/index.ts' },
          ]),
        );
    work.then(
      // The runners compute on selectKernels('auto') in this process: that is the run's backend.
      (metrics) =>
        send({
          type: 'result',
          id: m.id,
          metrics,
          seconds: Number(process.hrtime.bigint() - t0) / 1e9,
          backend: selectKernels('auto').name,
          ...(sessions ? { sessions } : {}),
        }),
      (err: unknown) =>
        send({
          type: 'error',
          id: m.id,
          message: isUserError(err) ? (err as Error).message : ((err as Error)?.stack ?? String(err)),
          user: isUserError(err),
        }),
    );
  });
  send({ type: 'ready', pid: process.pid });
}

if (require.main === module) workerMain();
