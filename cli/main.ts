#!/usr/bin/env node
/** The `fre` command line. Each command lives in its own file; this one only wires them. */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { analyzeOptions, runAnalyze, type AnalyzeArgs } from './analyze-command';
import { compileOptions, runCompile, type CompileArgs } from './compile-command';
import { reportAndExit, UsageError } from './errors';
import { exportCommands } from './export-command';
import { inspectOptions, runInspect, type InspectArgs } from './inspect-command';
import { sweepCommands } from './sweep-command';
import { runTrain, trainOptions, type TrainArgs } from './train-command';
import { runOptions, runRun, runSimulate, simulateOptions, type SimulateArgs } from './simulate-command';
import { runValidate, validateOptions, type ValidateArgs } from './validate-command';

async function main(argv: string[]): Promise<void> {
  await yargs(argv)
    .scriptName('fre')
    .command('train <spec>', 'train an FRE-RNN graph in software (ideal executor)', (y) => trainOptions(y),
      (args) => runTrain(args as unknown as TrainArgs))
    .command('compile <spec>', 'compile a graph onto a chip: protobuf netlist and report', (y) => compileOptions(y),
      (args) => runCompile(args as unknown as CompileArgs))
    .command('inspect <netlist>', 'summarise a compiled netlist', (y) => inspectOptions(y),
      (args) => runInspect(args as unknown as InspectArgs))
    .command('validate <netlist>', 'check a netlist (schema and semantics); exit 0 valid, 1 not', (y) => validateOptions(y),
      (args) => runValidate(args as unknown as ValidateArgs))
    .command('analyze <spec>', 'dynamics analysis: spectral radius, Lyapunov exponents, convergence time (optionally over a β_i sweep)',
      (y) => analyzeOptions(y), (args) => runAnalyze(args as unknown as AnalyzeArgs))
    .command('simulate <netlist>', 'run a compiled netlist on the simulated chip: accuracy (evaluation or --train in situ), cycles and energy',
      (y) => simulateOptions(y), (args) => runSimulate(args as unknown as SimulateArgs))
    .command('run <spec>', 'compile for a chip and simulate in one step (fre compile + fre simulate)',
      (y) => runOptions(y), (args) => runRun(args as unknown as SimulateArgs & { wMax: string }))
    .command('export', 'write part of a netlist for other tools: `export spice` (one array as a SPICE circuit)', (y) => exportCommands(y))
    .command('sweep', 'run a sweep file on all cores (or a --shard of it), merge shards, report mean ± std (docs/sweeps.md)', (y) => sweepCommands(y))
    .demandCommand(1, 'name a command (fre --help lists them)')
    .strict()
    .fail((msg, err) => {
      if (err) reportAndExit(err);
      reportAndExit(new UsageError(`${msg}\n(see fre --help)`));
    })
    .help()
    .parseAsync();
}

main(hideBin(process.argv)).catch(reportAndExit);
