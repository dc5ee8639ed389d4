#!/usr/bin/env node
/** The `fre` command line. Each command lives in its own file; this one only wires them. */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { reportAndExit, UsageError } from './errors';
import { runTrain, trainOptions, type TrainArgs } from './train-command';

async function main(argv: string[]): Promise<void> {
  await yargs(argv)
    .scriptName('fre')
    .command('train <spec>', 'train an FRE-RNN graph in software (ideal executor)', (y) => trainOptions(y),
      (args) => runTrain(args as unknown as TrainArgs))
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
