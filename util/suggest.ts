/** "Did you mean" suggestions for typos in names, shared by every validator that reports one. */

/** The allowed word a typo most likely meant: a unique option the word abbreviates
 *  (bestTestAcc → bestTestAccuracy), else the closest option within edit distance 2. */
export function closest(word: string, options: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  const prefixed = w.length >= 3 ? options.filter((o) => o.toLowerCase().startsWith(w)) : [];
  if (prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestD = 3;
  for (const o of options) {
    const d = editDistance(w, o.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = o;
    }
  }
  return best;
}

/** Levenshtein distance, one row at a time. */
export function editDistance(a: string, b: string): number {
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
