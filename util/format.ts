/** Number and word formatting shared by the commands' human-readable lines (JSON keeps full precision). */

/** "1 epoch", "2 epochs": a count with its noun in the right number (the plural adds -s unless given). */
export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : nouns}`;
}

/**
 * A cycle count for display: whole counts as they are, amortised ones (per-batch work shared by the
 * batch's samples) to one decimal — a float sum such as 8944.279999999999 must not show its rounding
 * noise as if it were precision.
 */
export function formatCycles(cycles: number): string {
  return String(+cycles.toFixed(1));
}
