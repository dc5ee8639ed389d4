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

/** The allowed word within edit distance 2 of a typo, if any. */
export function closest(word: string, options: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  // A unique option that the word abbreviates (bestTestAcc → bestTestAccuracy).
  const prefixed = w.length >= 3 ? options.filter((o) => o.toLowerCase().startsWith(w)) : [];
  if (prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestD = 3;
  for (const o of options) {
    const d = editDistance(word.toLowerCase(), o.toLowerCase());
    if (d < bestD) { bestD = d; best = o; }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}
