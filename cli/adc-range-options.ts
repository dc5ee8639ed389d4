/**
 * The ADC range options shared by `fre compile` and `fre run`: --adc-range fixed|percentile:P and
 * the calibration batch a percentile policy draws (the software engine on the first N training
 * samples of the net's dataset; see compiler/passes/calibrate.ts).
 */
import type { Argv } from 'yargs';
import { loadNetData } from '../datasets/net-data';
import type { CalibrationBatch } from '../compiler/ir';
import type { Net } from '../graph/net';
import type { Params } from '../graph/params';
import { calibrationInputs } from '../simulator/calibration-batch';
import { selectKernels } from '../simulator/kernels/select';
import { UsageError } from './errors';

export function adcRangeOptions<T>(y: Argv<T>) {
  return y
    .option('adc-range', {
      type: 'string',
      default: 'fixed',
      describe:
        "ADC range per array and read kind: fixed (the chip's full scale) or percentile:P of |partial sum| over a calibration batch (e.g. percentile:99.9)",
    })
    .option('calibration-samples', {
      type: 'number',
      default: 256,
      describe: 'training samples in the calibration batch of --adc-range percentile:P',
    });
}

/** The calibration batch maker for compileFiles: the engine on the first `samples` training samples. */
export function calibrationMaker(specFile: string, samples: number, dataDir?: string): (net: Net, params: Params) => CalibrationBatch {
  if (!Number.isInteger(samples) || samples < 1) throw new UsageError(`--calibration-samples must be an integer ≥ 1, got ${samples}`);
  return (net, params) => {
    const data = loadNetData(net, specFile, { dataDir, trainLimit: samples });
    return calibrationInputs(net, params, data.train, samples, selectKernels('auto'));
  };
}
