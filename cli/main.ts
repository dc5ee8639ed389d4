#!/usr/bin/env node
/** The `fre` command line. Each command lives in its own file; this one only wires them. */
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { analyzeOptions, runAnalyze, type AnalyzeArgs } from './analyze-command';
import { quietOnClosedPipe } from './closed-pipe';
import { compileOptions, runCompile, type CompileArgs } from './compile-command';
import { reportError, UsageError } from './errors';
import { exportCommands } from './export-command';
import { setRawArgv, strictFlags, usageMessage } from './flags';
import { leadingWordsError } from './leading-words';
import { inspectOptions, runInspect, type InspectArgs } from './inspect-command';
import { reportOptions, runReportCommand, type ReportArgs } from './report-command';
import { sweepCommands } from './sweep-command';
import { runTrain, trainOptions, type TrainArgs } from './train-command';
import { runOptions, runRun, runSimulate, simulateOptions, type SimulateArgs } from './simulate-command';
import { runValidate, validateOptions, type ValidateArgs } from './validate-command';

/**
 * The whole command line as a function: runs `fre ARGV…` in this process and resolves to the exit
 * code (0, 1 for a user's error with one clean message, 2 for a bug, 130 interrupted). The fuzz
 * suite calls it in-process; the binary below only adds process.exit.
 */
export async function cli(argv: string[]): Promise<number> {
  process.exitCode = undefined;
  // Every command's output may be piped into `head`: a reader that leaves early is not an error (its output is dropped).
  quietOnClosedPipe();
  setRawArgv(argv);
  try {
    // `fre -- compile …`: everything after "--" is a plain word to yargs, so no command would run and
    // the call would exit 0 having done nothing.
    if (argv.find((a) => a === '--' || !a.startsWith('-')) === '--')
      throw new UsageError('name a command before "--" (fre --help lists them)');
    const misread = leadingWordsError(argv);
    if (misread) throw new UsageError(`${misread}\n(see fre --help)`);
    await parser(argv).parseAsync();
  } catch (err) {
    return reportError(err);
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}

function parser(argv: string[]) {
  const p = yargs(argv);
  return (
    p
      .scriptName('fre')
      .command(
        'train <spec>',
        'train an FRE-RNN graph in software (ideal executor)',
        (y) => strictFlags(trainOptions(y)),
        (args) => runTrain(args as unknown as TrainArgs),
      )
      .command(
        'compile <spec>',
        'compile a graph onto a chip: protobuf netlist and report',
        (y) => strictFlags(compileOptions(y), externalDataOut),
        (args) => runCompile(args as unknown as CompileArgs),
      )
      .command(
        'inspect <netlist>',
        'summarise a compiled netlist',
        (y) => strictFlags(inspectOptions(y)),
        (args) => runInspect(args as unknown as InspectArgs),
      )
      .command(
        'validate <netlist>',
        'check a netlist (schema and semantics); exit 0 valid, 1 not',
        (y) => strictFlags(validateOptions(y)),
        (args) => runValidate(args as unknown as ValidateArgs),
      )
      .command(
        'analyze <spec>',
        'dynamics analysis: spectral radius, Lyapunov exponents, convergence time (optionally over a β_i sweep)',
        (y) => strictFlags(analyzeOptions(y)),
        (args) => runAnalyze(args as unknown as AnalyzeArgs),
      )
      .command(
        'simulate <netlist>',
        'run a compiled netlist on the simulated chip: accuracy (evaluation or --train in situ), cycles and energy',
        (y) => strictFlags(simulateOptions(y)),
        (args) => runSimulate(args as unknown as SimulateArgs),
      )
      .command(
        'run <spec>',
        'compile for a chip and simulate in one step (fre compile + fre simulate)',
        (y) => strictFlags(runOptions(y)),
        (args) => runRun(args as unknown as SimulateArgs & { wMax: string }),
      )
      .command('export', 'write part of a netlist for other tools: `export spice` (one array as a SPICE circuit)', (y) => exportCommands(y))
      .command('sweep', 'run a sweep file on all cores (or a --shard of it), merge shards, report mean ± std (docs/sweeps.md)', (y) =>
        sweepCommands(y),
      )
      .command(
        'report <results..>',
        'one self-contained HTML page for training runs, chip runs and sweeps (fre train/simulate/run --json outputs, sweep .jsonl)',
        (y) => reportOptions(y),
        (args) => runReportCommand(args as unknown as ReportArgs),
      )
      .demandCommand(1, 'name a command (fre --help lists them)')
      .strict()
      // A mistyped command is an error naming the nearest command, not "Unknown arguments: trian, x".
      // (Not strictCommands: it would call an extra file argument, `fre inspect a.pb b.pb`, a command.)
      .recommendCommands()
      .fail((msg, err) => {
        // yargs' own validation errors (unknown flag, missing value, bad choice) are the user's.
        if (!err || err.name === 'YError') throw new UsageError(usageText(msg ?? err?.message ?? '', p));
        throw err;
      })
      .exitProcess(false)
      .help()
  );
}

/** A yargs message in the command line's terms (flags as typed), pointing to the help once. */
function usageText(msg: string, p: Argv): string {
  // At a failure the parser holds the failing command's options (yargs resets it per command).
  const q = p as unknown as {
    getOptions(): { key: Record<string, unknown>; alias: Record<string, string[]> };
    getGroups(): Record<string, string[]>;
  };
  const o = q.getOptions();
  const text = usageMessage(msg, { key: o.key, alias: o.alias, positionals: q.getGroups()['Positionals:'] ?? [] });
  return text.includes('--help') ? text : `${text}\n(see fre --help)`;
}

/** `fre compile --external-data -o NET.pb` also writes NET.pb.data. */
function externalDataOut(a: Record<string, unknown>): string[] {
  return a.externalData === true && typeof a.out === 'string' ? [`${a.out}.data`] : [];
}

if (require.main === module) {
  cli(hideBin(process.argv)).then(
    (code) => {
      // A failure exits at once (workers and timers die with it); success ends when the work is done.
      if (code !== 0) process.exit(code);
    },
    (err) => process.exit(reportError(err)),
  );
}
