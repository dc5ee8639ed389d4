/**
 * Two typing mistakes yargs reads as something else, caught before it parses:
 * - a flag before the command (`fre --bogus train x`): yargs takes `train` as the flag's value and
 *   then reports "Unknown command x", naming the wrong word;
 * - a mistyped sweep subcommand (`fre sweep reprot x`): `fre sweep FILE` runs a sweep file, so the
 *   typo is read as a file name and the next word as an extra argument.
 */
import { existsSync } from 'node:fs';
import { closest } from '../util/suggest';

/** Flags yargs accepts before a command. */
const GLOBAL_FLAGS = new Set(['--help', '-h', '--version']);

/** The words `fre sweep` takes as a subcommand rather than a sweep file (sweep-command.ts declares them). */
const SWEEP_SUBCOMMANDS = ['merge', 'report'] as const;

/** The usage error for argv's leading words, or undefined when they read as the user meant. */
export function leadingWordsError(argv: readonly string[]): string | undefined {
  const cmd = argv.findIndex((a) => !a.startsWith('-'));
  const before = (cmd < 0 ? argv : argv.slice(0, cmd)).filter((a) => a !== '--');
  const misplaced = before.find((a) => !GLOBAL_FLAGS.has(a.split('=')[0]));
  if (misplaced !== undefined && cmd >= 0 && !argv.slice(0, cmd).includes('--'))
    return `${misplaced} comes before the command: flags go after it (fre ${argv[cmd]} … ${misplaced})`;
  if (argv[cmd] === 'sweep') {
    const word = argv[cmd + 1];
    // A sweep file is a path; a bare word close to a subcommand that names no file is the subcommand mistyped.
    if (
      word !== undefined &&
      !SWEEP_SUBCOMMANDS.some((c) => c === word) &&
      !word.startsWith('-') &&
      !/[./\\]/.test(word) &&
      !existsSync(word)
    ) {
      const meant = closest(word, SWEEP_SUBCOMMANDS);
      if (meant !== undefined)
        return `Unknown command "${word}"; did you mean "${meant}"? (fre sweep FILE runs a sweep file, and there is no file ${word})`;
    }
  }
  return undefined;
}
