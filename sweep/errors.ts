/**
 * Problems with a sweep file, a results file or a sweep command, found before (or instead of) any
 * run. Like graph diagnostics they name the file, the place in it and what to change; the CLI
 * prints them as one message without a stack trace.
 */

export interface SweepProblem {
  file: string;
  /** JSON pointer into the file (/axes/0/values/2), or `line N` for results files; '' for the whole file. */
  where: string;
  message: string;
  /** What to change. */
  hint: string;
}

export function formatProblem(p: SweepProblem): string {
  return `${p.where ? `${p.file}:${p.where}` : p.file}: error: ${p.message}\n  fix: ${p.hint}`;
}

export class SweepError extends Error {
  constructor(public readonly problems: SweepProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'SweepError';
  }

  static one(file: string, where: string, message: string, hint: string): SweepError {
    return new SweepError([{ file, where, message, hint }]);
  }
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (typeof v === 'object') return 'an object';
  return typeof v === 'number' && !Number.isFinite(v)
    ? `${v} (JSON numbers like 1e999 overflow to infinity)`
    : `${typeof v} ${JSON.stringify(v)}`;
}

export { closest } from '../util/suggest';
