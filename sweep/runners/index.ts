/**
 * The runners `fre sweep` knows. Both the CLI process and every worker import this file, so a
 * runner registered here is available everywhere (docs/sweeps.md, "Runners").
 */
import { registerRunner } from '../runner';
import { chipRunner } from '../chip-runner';
import { trainRunner } from './train';

registerRunner(trainRunner);
registerRunner(chipRunner);

export { getRunner, runnerNames } from '../runner';
