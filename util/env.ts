/**
 * Environment variables that tune fre (kernel backend, thread counts) are inputs like flags: a bad
 * value is the user's error, named with what to write instead — never a stack trace, and never read
 * leniently (C's strtol took FRE_POOL_SPIN_US=2ms as 2 µs and FRE_CHIP_THREADS=two as 1).
 */
export class EnvError extends Error {}

/** The integer in `name`, or undefined when it is unset or empty; an EnvError for anything else. */
export function envInt(name: string, min: number, max: number, meaning: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const v = Number(raw.trim());
  if (!/^[+]?\d+$/.test(raw.trim()) || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new EnvError(`${name}=${raw} is not valid: it is ${meaning}, a whole number from ${min} to ${max} (or unset for the default)`);
  }
  return v;
}
