#!/usr/bin/env node
/** The `fre` command line. Each command lives in its own file; this one only wires them. */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { reportAndExit, UsageError } from './errors';
import { sweepCommands } from './sweep-command';
import { runTrain, trainOptions, type TrainArgs } from './train-command';

async function main(argv: string[]): Promise<void> {
  await yargs(argv)
    .scriptName('fre')
    .command('train <spec>', 'train an FRE-RNN graph in software (ideal executor)', (y) => trainOptions(y),
      (args) => runTrain(args as unknown as TrainArgs))
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
