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
import { closest, editDistance } from '../util/suggest';
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

/** What a command declares, as yargs' getOptions()/getGroups() report it at the time of a failure. */
export interface DeclaredFlags {
  key: Record<string, unknown>;
  alias: Record<string, string[]>;
  positionals: readonly string[];
}

/**
 * yargs' own messages in the terms of the command line the user typed: a flag with its dashes and
 * short form (`-o/--out`, not `out`); an unknown flag once, as typed (yargs adds its camelCase twin),
 * with the nearest flag the command has; a mistyped command named beside yargs' suggestion; a
 * conflict as the two flags. Anything else passes through unchanged.
 */
export function usageMessage(msg: string, o: DeclaredFlags, raw: readonly string[] = rawArgv): string {
  const flag = (k: string) => {
    const short = (o.alias[k] ?? []).filter((a) => a.length === 1);
    return [...short.map((a) => `-${a}`), `--${k}`].join('/');
  };
  const list = (s: string) => s.split(', ').filter(Boolean);
  let m = /^Missing required arguments?: ([^\n]+)$/.exec(msg);
  if (m) {
    const names = list(m[1]).map((k) => (o.positionals.includes(k) ? `<${k}>` : flag(k)));
    return `Missing required argument${names.length > 1 ? 's' : ''}: ${names.join(', ')}`;
  }
  m = /^Unknown arguments?: ([^\n]+)$/.exec(msg);
  if (m) {
    const options = Object.keys(o.key).filter((k) => k.length > 1 && k === kebab(k) && !o.positionals.includes(k));
    const seen = new Set<string>();
    const shown = list(m[1]).flatMap((name) => {
      // yargs lists the unknown flags before the unknown words: a name met again is a word typed so.
      const typed = typedAs(name, raw, seen.has(name));
      seen.add(name);
      if (typed === undefined) return [];
      if (!typed.startsWith('-')) return [typed];
      const near = name.length > 1 ? closest(name, options) : undefined;
      return [near ? `${typed} (did you mean --${near}?)` : typed];
    });
    // Nothing recognisable (a form typedAs does not know): yargs' words are better than none.
    if (shown.length === 0) return msg;
    return `Unknown argument${shown.length > 1 ? 's' : ''}: ${shown.join(', ')}`;
  }
  m = /^Did you mean (\S+)\?$/.exec(msg);
  if (m) {
    const suggestion = m[1];
    const words = raw.filter((t) => !t.startsWith('-'));
    const typed = words.reduce<string | undefined>(
      (best, w) => (best === undefined || editDistance(w, suggestion) < editDistance(best, suggestion) ? w : best),
      undefined,
    );
    return typed === undefined ? msg : `Unknown command "${typed}"; did you mean "${suggestion}"?`;
  }
  m = /^Arguments (\S+) and (\S+) are mutually exclusive$/.exec(msg);
  if (m) return `${flag(m[1])} and ${flag(m[2])} cannot be given together; give one of them`;
  return msg;
}

/**
 * How the user typed the flag or word yargs calls `name` (undefined for yargs' camelCase twins): a flag
 * first (`fre inspect x -x`: the unknown `x` is the flag), a word typed as `name` only when no flag is,
 * or when `word` asks for the word.
 */
function typedAs(name: string, raw: readonly string[], word = false): string | undefined {
  const args = raw.includes('--') ? raw.slice(0, raw.indexOf('--')) : raw;
  if (!word) {
    for (const t of args) {
      const long = /^--([^=]+)/.exec(t)?.[1];
      if (long === name || long === `no-${name}`) return `--${long}`;
      if (
        name.length === 1 &&
        /^-[A-Za-z]+/.test(t) &&
        t
          .slice(1)
          .split(/[^A-Za-z]/)[0]
          .includes(name)
      )
        return `-${name}`;
    }
  }
  return args.find((t) => t === name);
}
