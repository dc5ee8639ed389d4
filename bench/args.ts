/** `--name value` flags of the hand-run benchmarks (they take a few options; yargs would be overkill). */
export function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : def;
}

/** Whether `--name` was given. */
export function hasArg(name: string): boolean {
  return process.argv.includes(`--${name}`);
}
