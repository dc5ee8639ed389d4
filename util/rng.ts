/**
 * The project's one source of randomness. Determinism is a contract: every random draw in the
 * toolchain comes from an Rng built from a seed and passed in explicitly (never the global JS generator).
 * Backed by seedrandom's alea (fast, 32-bit state, reproducible across platforms).
 */
import seedrandom from 'seedrandom';

export interface Rng {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal N(0, 1) (Box-Muller; the spare value is cached). */
  normal(): number;
  /** Integer uniform in [0, n). */
  int(n: number): number;
  /** A fresh, independent generator derived from this one and a label (per-array, per-worker seeds). */
  fork(label: string): Rng;
}

class AleaRng implements Rng {
  private readonly prng: seedrandom.PRNG;
  private spare: number | null = null;
  constructor(private readonly seedText: string) {
    this.prng = seedrandom.alea(seedText);
  }
  uniform(): number {
    return this.prng();
  }
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.prng();
    const v = this.prng();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
  int(n: number): number {
    return Math.floor(this.prng() * n);
  }
  fork(label: string): Rng {
    // Derive from the parent's seed text and a label, not from the parent's stream position, so the
    // child's numbers do not depend on how many draws the parent made before forking.
    return new AleaRng(`${this.seedText}/${label}`);
  }
}

export function makeRng(seed: number | string): Rng {
  return new AleaRng(String(seed));
}

/** Fisher-Yates shuffle of [0, n) with the given generator. */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}
