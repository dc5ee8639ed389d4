/**
 * Dataset lookup by name, with each dataset's default location, for the CLI and trainers.
 */
import { DataSplit, DatasetError } from './dataset';
import { loadIdxDir } from './idx';
import { FASHION_MNIST_DEBIAN_DIR, fashionMnistDir, mnistDir } from './mnist';
import { loadCifarDir } from './cifar';
import { syntheticDataset } from './synthetic';

export const DATASET_NAMES = ['mnist', 'fashion-mnist', 'cifar10', 'synthetic'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export function isDatasetName(name: string): name is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(name);
}

export interface LoadOptions {
  /** Folder with the dataset's files; overrides the default location. Ignored by 'synthetic'. */
  dataDir?: string;
  /** Seed for 'synthetic'; default 0. */
  seed?: number;
  /** Read the test split only (evaluation); the training split is then empty and its files need not exist. */
  testOnly?: boolean;
}

/** Synthetic sizes mirror MNIST's shape (784 = 28×28, 10 classes) so the same graphs train on both. */
const SYNTHETIC = { train: 2000, test: 500, dim: 784, classes: 10 };

export function loadDataset(name: DatasetName, opts: LoadOptions = {}): DataSplit {
  switch (name) {
    case 'mnist':
      return loadIdxDir(opts.dataDir ?? mnistDir(), 'mnist', 10, opts.testOnly);
    case 'fashion-mnist': {
      const dir = opts.dataDir ?? fashionMnistDir();
      if (dir === undefined) {
        throw new DatasetError(
          FASHION_MNIST_DEBIAN_DIR,
          'missing',
          'Fashion-MNIST is not installed here',
          'run `apt-get install dataset-fashion-mnist`, or pass --data-dir <folder with the four IDX files>',
          'FRE033',
        );
      }
      return loadIdxDir(dir, 'fashion-mnist', 10, opts.testOnly);
    }
    case 'cifar10':
      if (opts.dataDir === undefined) {
        throw new DatasetError(
          'cifar-10-batches-bin',
          'missing',
          'CIFAR-10 has no default location',
          'pass --data-dir <folder with data_batch_1.bin … data_batch_5.bin and test_batch.bin> (the extracted CIFAR-10 binary version)',
          'FRE033',
        );
      }
      return loadCifarDir(opts.dataDir, opts.testOnly);
    case 'synthetic': {
      const seed = opts.seed ?? 0;
      const base = { dim: SYNTHETIC.dim, classes: SYNTHETIC.classes, seed };
      return {
        train: syntheticDataset({ ...base, count: opts.testOnly ? 0 : SYNTHETIC.train, stream: 'train' }),
        test: syntheticDataset({ ...base, count: SYNTHETIC.test, stream: 'test' }),
      };
    }
    default: {
      // Reached only when an unchecked string is cast to DatasetName (e.g. from argv).
      const bad: string = name;
      throw new Error(`unknown dataset '${bad}'; choose one of ${DATASET_NAMES.join(', ')}`);
    }
  }
}
