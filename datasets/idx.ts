/**
 * Reader for LeCun's IDX format (MNIST, Fashion-MNIST), plain or gzip-compressed.
 * Header: two zero bytes, a data-type byte, a dimension-count byte, then one big-endian uint32 per
 * dimension. Every structural inconsistency is a DatasetError: a silently misaligned read would
 * train on garbage and only show up as mysteriously poor accuracy.
 */
import { existsSync, statSync } from 'node:fs';
import { formatBytes, LIMITS } from '../util/limits';
import { readBounded, ReadError } from '../util/read-bounded';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DataSplit, Dataset, DatasetError, emptyLike, scaleBytes } from './dataset';

const IDX_DTYPES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'short',
  0x0c: 'int',
  0x0d: 'float',
  0x0e: 'double',
};

export interface IdxArray {
  dims: number[];
  /** Raw element bytes (header stripped). */
  data: Uint8Array;
}

/** File contents, transparently gunzipped when the gzip magic is present (regardless of suffix). */
export function readMaybeGzip(file: string): Uint8Array {
  let raw: Buffer;
  try {
    raw = readBounded(file, LIMITS.dataFileBytes);
  } catch (e) {
    if (!(e instanceof ReadError)) throw e;
    if (e.reason === 'missing')
      throw new DatasetError(file, 'missing', 'file does not exist', 'check the path, or pass --data-dir <the folder holding it>');
    if (e.reason === 'too-large') {
      throw new DatasetError(
        file,
        'too-large',
        e.detail,
        `use the dataset's own file: one may have at most ${formatBytes(LIMITS.dataFileBytes)} (docs/limits.md)`,
      );
    }
    throw new DatasetError(file, 'unreadable', e.detail, 'check the path and its permissions');
  }
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      // The budget stops a gzip bomb at the limit instead of after gigabytes of output.
      return gunzipSync(raw, { maxOutputLength: LIMITS.dataInflatedBytes });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
        throw new DatasetError(
          file,
          'too-large',
          `gunzips to more than ${formatBytes(LIMITS.dataInflatedBytes)}, the limit for one dataset file (docs/limits.md)`,
          'it is not a dataset file, or a damaged one: re-download or re-install it',
        );
      }
      throw new DatasetError(
        file,
        'bad-gzip',
        `gzip stream is corrupt or truncated (${(e as Error).message})`,
        're-download or re-install the file',
      );
    }
  }
  return raw;
}

/** Parses an unsigned-byte IDX file that must have exactly `ndims` dimensions. */
export function readIdx(file: string, ndims: 1 | 3): IdxArray {
  const buf = readMaybeGzip(file);
  const kind = ndims === 3 ? 'images (magic 0x00000803)' : 'labels (magic 0x00000801)';
  if (buf.length < 4) {
    throw new DatasetError(file, 'truncated', `only ${buf.length} bytes, too short for an IDX header`, 're-download it');
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = view.getUint32(0, false);
  if (buf[0] !== 0 || buf[1] !== 0) {
    throw new DatasetError(
      file,
      'bad-magic',
      `starts with 0x${magic.toString(16).padStart(8, '0')}, not an IDX file (expected ${kind})`,
      'the file is corrupt or of another format: use the IDX files of the dataset (re-download them)',
    );
  }
  const dtype = buf[2];
  if (dtype !== 0x08) {
    const what = IDX_DTYPES[dtype] ?? 'unknown';
    throw new DatasetError(
      file,
      'bad-dtype',
      `IDX data type 0x${dtype.toString(16).padStart(2, '0')} (${what}) is not supported`,
      'only 0x08 (unsigned byte) image and label files can be read: convert the file to bytes',
    );
  }
  if (buf[3] !== ndims) {
    throw new DatasetError(
      file,
      'bad-magic',
      `has ${buf[3]} dimensions (magic 0x${magic.toString(16).padStart(8, '0')}) but ${kind} with ${ndims} ` +
        `dimension${ndims === 1 ? '' : 's'} was expected`,
      'check that the images and labels files are not swapped',
    );
  }
  const headerLen = 4 + 4 * ndims;
  if (buf.length < headerLen) {
    throw new DatasetError(file, 'truncated', `only ${buf.length} bytes, header needs ${headerLen}`, 're-download it');
  }
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  if (ndims === 3 && (dims[1] === 0 || dims[2] === 0)) {
    throw new DatasetError(file, 'bad-dims', `image size ${dims[1]}×${dims[2]} is empty: the header is corrupt`, 're-download it');
  }
  const expected = headerLen + dims.reduce((a, b) => a * b, 1);
  if (buf.length < expected) {
    throw new DatasetError(
      file,
      'truncated',
      `header declares ${dims.join('×')} (${expected} bytes) but the file has ${buf.length}: it is truncated`,
      're-download it',
    );
  }
  if (buf.length > expected) {
    throw new DatasetError(
      file,
      'size-mismatch',
      `header declares ${dims.join('×')} (${expected} bytes) but the file has ${buf.length} ` +
        '(trailing data): the header or the file is corrupt',
      're-download it',
    );
  }
  return { dims, data: buf.subarray(headerLen) };
}

/** An images/labels IDX pair as one Dataset; labels must be < classes. */
export function loadIdxPair(imagesPath: string, labelsPath: string, name: string, classes = 10): Dataset {
  const images = readIdx(imagesPath, 3);
  const labels = readIdx(labelsPath, 1);
  const [count, rows, cols] = images.dims;
  if (labels.dims[0] !== count) {
    throw new DatasetError(
      labelsPath,
      'count-mismatch',
      `holds ${labels.dims[0]} labels but ${imagesPath} holds ${count} images`,
      'use an images and a labels file of the same split (train-* with train-*, t10k-* with t10k-*)',
    );
  }
  const labelBytes = new Uint8Array(labels.data); // copy: detach from the (possibly pooled) file buffer
  for (let i = 0; i < count; i++) {
    if (labelBytes[i] >= classes) {
      throw new DatasetError(
        labelsPath,
        'bad-label',
        `label ${labelBytes[i]} at index ${i} is not below ${classes} classes: the file is corrupt`,
        're-download it',
      );
    }
  }
  const dim = rows * cols;
  const pixels = new Float32Array(count * dim);
  scaleBytes(images.data, pixels);
  return { name, images: pixels, labels: labelBytes, count, dim, classes, shape: [1, rows, cols] };
}

const IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** Accepts the canonical name, its .gz form, and the dotted variant (train-images.idx3-ubyte) some mirrors use. */
function findIdxFile(dir: string, base: string): string | undefined {
  const dotted = base.replace(/-(idx\d-ubyte)$/, '.$1');
  for (const candidate of [base, `${base}.gz`, dotted, `${dotted}.gz`]) {
    const p = path.join(dir, candidate);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/**
 * Train and test splits from a folder holding the four standard MNIST-layout IDX files; with testOnly,
 * the two test files only (the training split is then empty: evaluation reads no training sample).
 */
export function loadIdxDir(dir: string, name: string, classes = 10, testOnly = false): DataSplit {
  const needed = (Object.keys(IDX_FILES) as (keyof typeof IDX_FILES)[]).filter((k) => !testOnly || k.startsWith('test'));
  const expectedList = needed
    .map((k) => IDX_FILES[k])
    .map((f) => `${f}[.gz]`)
    .join(', ');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new DatasetError(
      dir,
      'missing',
      'the dataset folder does not exist or is not a directory',
      `pass --data-dir <folder holding ${expectedList}>`,
      'FRE033',
    );
  }
  const found: Record<keyof typeof IDX_FILES, string | undefined> = {
    trainImages: findIdxFile(dir, IDX_FILES.trainImages),
    trainLabels: findIdxFile(dir, IDX_FILES.trainLabels),
    testImages: findIdxFile(dir, IDX_FILES.testImages),
    testLabels: findIdxFile(dir, IDX_FILES.testLabels),
  };
  const missing = needed.filter((k) => !found[k]);
  if (missing.length > 0) {
    throw new DatasetError(
      dir,
      'missing',
      `the dataset folder lacks ${missing.map((k) => IDX_FILES[k]).join(', ')}`,
      `put them there, or pass --data-dir <folder holding ${expectedList}>`,
      'FRE033',
    );
  }
  const test = loadIdxPair(found.testImages!, found.testLabels!, `${name}/test`, classes);
  return {
    train: testOnly ? emptyLike(test, `${name}/train`) : loadIdxPair(found.trainImages!, found.trainLabels!, `${name}/train`, classes),
    test,
  };
}
