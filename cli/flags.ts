/**
 * One place that makes every command's flags strict, typed and bounded, so no command can forget:
 * a string or number flag needs a value (`--save` alone is an error, not "no value"); a flag given
 * twice is an error (yargs would make it a list, "--train-limit 10000,1000"); a number flag must be
 * a number (yargs turns `--seed abc` into NaN) inside its documented range (docs/limits.md); and an
 * output path must be writable before the command starts its work, not after an hour of training.
 */
import type { Argv } from 'yargs';
import { checkOutputPath, WriteError } from '../util/atomic-write';
import { LIMITS } from '../util/limits';
import { UsageError } from './errors';

interface Range {
  min: number;
  max: number;
  integer: boolean;
}

/** Ranges of the number flags, by flag name (the same name means the same quantity in every command). */
export const FLAG_RANGES: Record<string, Range> = {
  epochs: { min: 1, max: LIMITS.epochs, integer: true },
  seed: { min: -(2 ** 31), max: 2 ** 32 - 1, integer: true },
  'train-limit': { min: 1, max: LIMITS.samples, integer: true },
  'test-limit': { min: 1, max: LIMITS.samples, integer: true },
  samples: { min: 1, max: LIMITS.samples, integer: true },
  te: { min: 2, max: LIMITS.steps, integer: true },
  'ftmle-steps': { min: 1, max: LIMITS.steps, integer: true },
  'max-steps': { min: 1, max: LIMITS.steps, integer: true },
  'trace-samples': { min: 1, max: LIMITS.traceSamples, integer: true },
  'drift-seconds': { min: 0, max: LIMITS.driftSeconds, integer: false },
  workers: { min: 1, max: LIMITS.workers, integer: true },
  retries: { min: 0, max: LIMITS.retries, integer: true },
};

/** Flags that name a file the command writes (checked before any work). */
export const OUTPUT_FLAGS = ['out', 'save', 'report', 'trace', 'plot', 'svg'] as const;

const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The command line as typed, for what the parsed form hides (yargs merges `--n 1 --n 1` into 2). */
let rawArgv: readonly string[] = [];
export function setRawArgv(argv: readonly string[]): void {
  rawArgv = argv;
}

/** How often each flag was typed, by its canonical (kebab-case) name, aliases folded in. */
export function flagCounts(raw: readonly string[], alias: Record<string, string[]>): Map<string, number> {
  const canonical = new Map<string, string>();
  for (const [k, as] of Object.entries(alias)) for (const a of [k, ...as]) canonical.set(kebab(a), kebab(k));
  const counts = new Map<string, number>();
  const add = (name: string) => {
    const n = kebab(name);
    const c = canonical.get(n) ?? canonical.get(n.replace(/^no-/, '')) ?? n.replace(/^no-/, '');
    counts.set(c, (counts.get(c) ?? 0) + 1);
  };
  for (const tok of raw) {
    if (tok === '--') break;
    if (tok.startsWith('--')) add(tok.slice(2).split('=')[0]);
    else if (/^-[A-Za-z]/.test(tok)) for (const ch of /^[A-Za-z]+/.exec(tok.slice(1))![0]) add(ch); // -j2 is -j 2
  }
  return counts;
}

/** Applies the rules above to a command's builder; call it on the builder's result. */
export function strictFlags<T>(y: Argv<T>, extraOutputs: (argv: Record<string, unknown>) => string[] = () => []): Argv<T> {
  const o = (
    y as unknown as {
      getOptions(): { string: string[]; number: string[]; array: string[]; boolean: string[]; alias: Record<string, string[]> };
    }
  ).getOptions();
  const valued = [...new Set([...o.string, ...o.number])].filter((k) => !o.array.includes(k));
  if (valued.length) y.requiresArg(valued);
  return y.check((argv) => {
    const typed = flagCounts(rawArgv, o.alias);
    for (const key of [...o.string, ...o.number, ...o.boolean]) {
      const n = typed.get(kebab(key)) ?? 0;
      if (n > 1 && !o.array.includes(key)) throw new UsageError(`--${kebab(key)} is given ${n} times; give it once`);
    }
    checkArgv(argv as Record<string, unknown>, { string: o.string, number: o.number, array: o.array, boolean: o.boolean });
    for (const f of [...OUTPUT_FLAGS.map((k) => argv[k]), ...extraOutputs(argv as Record<string, unknown>)]) {
      if (typeof f !== 'string') continue;
      try {
        checkOutputPath(f);
      } catch (e) {
        if (e instanceof WriteError) throw new UsageError(`${e.message} (nothing was run)`);
        throw e;
      }
    }
    return true;
  });
}

/** The value checks on parsed flags (exported for tests). */
export function checkArgv(
  argv: Record<string, unknown>,
  o: { string: string[]; number: string[]; array: string[]; boolean: string[] },
): void {
  const seen = new Set<string>();
  for (const key of [...o.string, ...o.number, ...o.boolean]) {
    const name = kebab(key);
    if (seen.has(name) || !(key in argv)) continue;
    seen.add(name);
    const v = argv[key];
    if (v === undefined) continue;
    if (Array.isArray(v) && !o.array.includes(key)) {
      throw new UsageError(`--${name} is given ${v.length} times (${v.map(String).join(', ')}); give it once`);
    }
    if (o.string.includes(key) && !o.array.includes(key) && (v === '' || typeof v !== 'string')) {
      throw new UsageError(`--${name} needs a value (got ${v === '' ? 'an empty one' : JSON.stringify(v)}), e.g. --${name} <file>`);
    }
    if (o.number.includes(key)) {
      for (const x of Array.isArray(v) ? v : [v]) {
        if (typeof x !== 'number' || Number.isNaN(x))
          throw new UsageError(
            `--${name} must be a number, and what follows it is not one; write e.g. --${name} ${Math.max(FLAG_RANGES[name]?.min ?? 1, 0)}`,
          );
        const r = FLAG_RANGES[name];
        if (!r) continue;
        if (!Number.isFinite(x) || (r.integer && !Number.isInteger(x)) || x < r.min || x > r.max) {
          throw new UsageError(
            `--${name} must be ${r.integer ? 'an integer' : 'a number'} from ${r.min} to ${r.max} (docs/limits.md), got ${x}`,
          );
        }
      }
    }
  }
}
