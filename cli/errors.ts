/**
 * Errors a user can cause (bad spec, bad data file, bad weight file, bad flag) are printed as one
 * clear message and exit code 1 — never a stack trace. Anything else is a bug and keeps its stack.
 */
import { DatasetError } from '../datasets/dataset';
import { SpecError } from '../graph/diagnostics';
import { NpzError } from '../io/npy';
import { DiagnosticsError } from '../hw-models/diagnostics';

export class UsageError extends Error {}

export function isUserError(err: unknown): err is Error {
  return err instanceof SpecError || err instanceof DatasetError || err instanceof NpzError || err instanceof UsageError || err instanceof DiagnosticsError;
}

export function reportAndExit(err: unknown): never {
  if (isUserError(err)) {
    process.stderr.write(`fre: ${err.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`fre: internal error (please report): ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(2);
}
