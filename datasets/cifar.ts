/**
 * Reader for the CIFAR-10 binary version: fixed 3073-byte records of one label byte followed by
 * 3×32×32 pixels stored as whole R, G and B planes. That plane order is kept as-is (channel-major),
 * matching Dataset.shape [3, 32, 32].
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { DataSplit, Dataset, DatasetError, emptyLike, scaleBytes } from './dataset';
import { readMaybeGzip } from './idx';

const CLASSES = 10;
const PIXELS = 3 * 32 * 32;
const RECORD = 1 + PIXELS;

export const CIFAR_TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
export const CIFAR_TEST_FILE = 'test_batch.bin';

export function loadCifarBatches(files: string[], name = 'cifar10'): Dataset {
  const buffers = files.map((file) => {
    const buf = readMaybeGzip(file);
    if (buf.length === 0) throw new DatasetError(file, 'empty', 'file is empty', 're-download the CIFAR-10 binary version');
    if (buf.length % RECORD !== 0) {
      throw new DatasetError(
        file,
        'size-mismatch',
        `${buf.length} bytes is not a multiple of the ${RECORD}-byte record: the file is truncated or not the ` + 'CIFAR-10 binary version',
        're-download the CIFAR-10 binary version (cifar-10-binary.tar.gz)',
      );
    }
    return buf;
  });
  const count = buffers.reduce((n, b) => n + b.length / RECORD, 0);
  const images = new Float32Array(count * PIXELS);
  const labels = new Uint8Array(count);
  let s = 0;
  buffers.forEach((buf, f) => {
    for (let off = 0; off < buf.length; off += RECORD, s++) {
      const label = buf[off];
      if (label >= CLASSES) {
        throw new DatasetError(
          files[f],
          'bad-label',
          `label ${label} in record ${off / RECORD} is not below ${CLASSES}: the file is corrupt or is CIFAR-100, ` +
            'which this reader does not handle',
          're-download the CIFAR-10 binary version',
        );
      }
      labels[s] = label;
      scaleBytes(buf.subarray(off + 1, off + RECORD), images, s * PIXELS);
    }
  });
  return { name, images, labels, count, dim: PIXELS, classes: CLASSES, shape: [3, 32, 32] };
}

/**
 * Accepts the extraction root too, since the tarball unpacks into cifar-10-batches-bin/. With testOnly,
 * only test_batch.bin is needed (the training split is then empty: evaluation reads no training sample).
 */
export function loadCifarDir(dir: string, testOnly = false): DataSplit {
  const expected = testOnly ? [CIFAR_TEST_FILE] : [...CIFAR_TRAIN_FILES, CIFAR_TEST_FILE];
  const nested = path.join(dir, 'cifar-10-batches-bin');
  const root = !existsSync(path.join(dir, CIFAR_TEST_FILE)) && existsSync(nested) ? nested : dir;
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new DatasetError(
      dir,
      'missing',
      'the dataset folder does not exist or is not a directory',
      `pass --data-dir <folder holding ${expected.join(', ')}> (the CIFAR-10 binary version)`,
      'FRE033',
    );
  }
  const missing = expected.filter((f) => !existsSync(path.join(root, f)));
  if (missing.length > 0) {
    throw new DatasetError(
      root,
      'missing',
      `the dataset folder lacks ${missing.join(', ')}`,
      `put them there, or pass --data-dir <folder holding ${expected.join(', ')}> (the CIFAR-10 binary version)`,
      'FRE033',
    );
  }
  const test = loadCifarBatches([path.join(root, CIFAR_TEST_FILE)], 'cifar10/test');
  return {
    train: testOnly
      ? emptyLike(test, 'cifar10/train')
      : loadCifarBatches(
          CIFAR_TRAIN_FILES.map((f) => path.join(root, f)),
          'cifar10/train',
        ),
    test,
  };
}
