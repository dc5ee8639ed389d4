/**
 * Errors a user can cause (bad spec, bad data file, bad weight file, bad flag, an unreadable input
 * or unwritable output) are printed as one clear message and exit code 1 — never a stack trace.
 * Anything else is a bug and keeps its stack.
 */
import { DatasetError } from '../datasets/dataset';
import { SpecError } from '../graph/diagnostics';
import { NpzError } from '../io/npy';
import { DiagnosticsError } from '../hw-models/diagnostics';
import { WriteError } from '../util/atomic-write';
import { ReadError } from '../util/read-bounded';
import { EnvError } from '../util/env';
import { LockError } from '../util/output-lock';

export class UsageError extends Error {}

export function isUserError(err: unknown): err is Error {
  return (
    err instanceof SpecError ||
    err instanceof DatasetError ||
    err instanceof NpzError ||
    err instanceof UsageError ||
    err instanceof DiagnosticsError ||
    err instanceof ReadError ||
    err instanceof WriteError ||
    err instanceof EnvError ||
    err instanceof LockError
  );
}

/** Prints the error and returns the exit code (1 for a user's error, 2 for a bug). */
export function reportError(err: unknown): number {
  if (isUserError(err)) {
    process.stderr.write(`fre: ${err.message}\n`);
    return 1;
  }
  process.stderr.write(`fre: internal error (please report): ${(err as Error)?.stack ?? String(err)}\n`);
  return 2;
}

export function reportAndExit(err: unknown): never {
  process.exit(reportError(err));
}
