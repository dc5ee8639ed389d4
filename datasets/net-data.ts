/** Loading the dataset a spec names, with the CLI's limits, checked against the graph's ends. */
import { sliceDataset, type DataSplit } from './dataset';
import { loadDataset } from './registry';
import { SpecError } from '../graph/diagnostics';
import type { Net } from '../graph/net';

export interface DataOptions {
  dataDir?: string;
  trainLimit?: number;
  testLimit?: number;
  seed?: number;
  /** Load the test split only (evaluation reads no training sample): the training split comes back empty. */
  testOnly?: boolean;
}

export function loadNetData(net: Net, specFile: string, o: DataOptions): DataSplit {
  const name = net.spec.data?.dataset ?? 'mnist';
  const full = loadDataset(name, { dataDir: o.dataDir, seed: o.seed, testOnly: o.testOnly });
  const data = {
    train: o.trainLimit !== undefined ? sliceDataset(full.train, o.trainLimit) : full.train,
    test: o.testLimit !== undefined ? sliceDataset(full.test, o.testLimit) : full.test,
  };
  checkSplits(data, name, o.dataDir, o.testOnly === true);
  // Checked against the test split, which checkSplits has matched with the training split when both are loaded.
  if (data.test.dim !== net.inputSize) {
    throw new SpecError([
      {
        code: 'FRE030',
        file: specFile,
        path: '/input/size',
        message: `input size is ${net.inputSize} but ${name} samples have ${data.test.dim} values (${data.test.shape.join('×')})`,
        hint: `set "input": { "size": ${data.test.dim} } or use a dataset with ${net.inputSize} inputs`,
      },
    ]);
  }
  const want = net.inputShape;
  const got = data.test.shape;
  if (want && (want.channels !== got[0] || want.height !== got[1] || want.width !== got[2])) {
    throw new SpecError([
      {
        code: 'FRE030',
        file: specFile,
        path: '/input/shape',
        message: `input shape is [${want.channels}, ${want.height}, ${want.width}] but ${name} samples are [${got.join(', ')}] (channels, height, width)`,
        hint: `set "input": { "shape": [${got.join(', ')}] }`,
      },
    ]);
  }
  if (data.test.classes !== net.classes) {
    throw new SpecError([
      {
        code: 'FRE031',
        file: specFile,
        path: '/output/classes',
        message: `the output has ${net.classes} classes but ${name} has ${data.test.classes}`,
        hint: `set "output": { "classes": ${data.test.classes} }`,
      },
    ]);
  }
  return data;
}

/**
 * The two splits must describe the same task: a test set of 14×14 images next to a 28×28 training
 * set would "evaluate" on misread pixels, and an empty split would report 0 % (or NaN) as a result.
 */
function checkSplits(data: DataSplit, name: string, dataDir: string | undefined, testOnly: boolean): void {
  const where = dataDir ?? `${name} (its default location)`;
  for (const split of testOnly ? (['test'] as const) : (['train', 'test'] as const)) {
    if (data[split].count === 0) {
      throw new SpecError([
        {
          code: 'FRE032',
          file: where,
          path: `/${split}`,
          message: `the ${split} split of ${name} holds no samples, so no ${split === 'train' ? 'training' : 'accuracy'} can be measured`,
          hint: `give the ${split} files at least one sample (and --${split}-limit at least 1)`,
        },
      ]);
    }
  }
  if (testOnly) return;
  const a = data.train.shape;
  const b = data.test.shape;
  if (a.length !== b.length || a.some((x, i) => x !== b[i]) || data.train.dim !== data.test.dim) {
    throw new SpecError([
      {
        code: 'FRE032',
        file: where,
        path: '/test/shape',
        message: `the test samples are [${b.join(', ')}] but the training samples are [${a.join(', ')}] (channels, height, width)`,
        hint: 'use a test set of the same image size as the training set (both from one dataset)',
      },
    ]);
  }
  if (data.train.classes !== data.test.classes) {
    throw new SpecError([
      {
        code: 'FRE032',
        file: where,
        path: '/test/classes',
        message: `the test split has ${data.test.classes} classes but the training split ${data.train.classes}`,
        hint: 'use train and test files of one dataset',
      },
    ]);
  }
}
