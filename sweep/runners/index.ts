/**
 * The runners `fre sweep` knows. Both the CLI process and every worker import this file, so a
 * runner registered here is available everywhere.
 *
 * Adding the chip simulator's runner (see docs/sweeps.md, "The chip runner"):
 *   1. write sweep/chip-runner.ts exporting `export const chipRunner: SweepRunner = {…}`
 *      (name 'chip', methods ['ep-insitu', 'ep-exsitu', 'bp-exsitu', each also -calibrated], resolveChip, validateChip, run);
 *   2. add below:  import { chipRunner } from '../chip-runner';
 *                  registerRunner(chipRunner);
 */
import { registerRunner } from '../runner';
import { chipRunner } from '../chip-runner';
import { trainRunner } from './train';

registerRunner(trainRunner);
registerRunner(chipRunner);

export { getRunner, runnerNames } from '../runner';
