/** Number and word formatting shared by the commands' human-readable lines (JSON keeps full precision). */

/** "1 epoch", "2 epochs": a count with its noun in the right number (nouns whose plural adds -s). */
export function plural(n: number, noun: string): string {
  return `${n} ${n === 1 ? noun : `${noun}s`}`;
}

/**
 * A cycle count for display: whole counts as they are, amortised ones (per-batch work shared by the
 * batch's samples) to one decimal — a float sum such as 8944.279999999999 must not show its rounding
 * noise as if it were precision.
 */
export function formatCycles(cycles: number): string {
  return String(+cycles.toFixed(1));
}
