import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DataSplit, DatasetError, oneHot, sliceDataset } from '../datasets/dataset';
import { loadIdxDir, loadIdxPair, readIdx } from '../datasets/idx';
import { fashionMnistDir, mnistDir } from '../datasets/mnist';
import { loadCifarBatches, loadCifarDir } from '../datasets/cifar';
import { syntheticDataset } from '../datasets/synthetic';
import { loadDataset } from '../datasets/registry';

let tmp: string;
let mnist: DataSplit;

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'datasets-test-'));
  mnist = loadDataset('mnist');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Encodes an unsigned-byte IDX file (optionally gzipped) the way LeCun's files are laid out. */
function writeIdx(file: string, dims: number[], data: Uint8Array, gzip = false): string {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  const bytes = Buffer.concat([header, data]);
  writeFileSync(file, gzip ? gzipSync(bytes) : bytes);
  return file;
}

function tmpFile(name: string): string {
  return path.join(tmp, name);
}

/** A string as a literal inside a RegExp. */
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Asserts fn throws a DatasetError with the given reason and diagnostic code whose message names the file. */
function expectDatasetError(fn: () => unknown, file: string, code: string, fre: 'FRE033' | 'FRE034' = 'FRE034'): DatasetError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(DatasetError);
  const err = caught as DatasetError;
  expect(err.code).toBe(code);
  expect(err.file).toBe(file);
  expect(err.message).toContain(file);
  // Every data error is coded, names the file once and ends with a fix: FRE033 for a folder, FRE034 for a file.
  expect(err.diagnostic.code).toBe(fre);
  expect(err.message).toMatch(new RegExp(`^${escape(file)}: error ${fre}: [^\\n]+\\n  fix: \\S`));
  expect(err.message.split(file)).toHaveLength(2);
  return err;
}

describe('real MNIST', () => {
  it('has the canonical sizes, first labels and pixel range', () => {
    const { train, test } = mnist;
    expect([train.count, train.dim, train.images.length]).toEqual([60000, 784, 60000 * 784]);
    expect([test.count, test.dim, test.labels.length]).toEqual([10000, 784, 10000]);
    expect(train.shape).toEqual([1, 28, 28]);
    expect(train.classes).toBe(10);
    expect(train.labels[0]).toBe(5);
    expect(test.labels[0]).toBe(7);
    let min = Infinity;
    let max = -Infinity;
    for (const v of train.images) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
  });

  it('loads the full train set: every label in range and the pixel sum of a known image', () => {
    const dir = mnistDir();
    const ds = loadIdxPair(path.join(dir, 'train-images-idx3-ubyte'), path.join(dir, 'train-labels-idx1-ubyte'), 'mnist');
    expect(ds.count).toBe(60000);
    expect(ds.labels.every((l) => l < 10)).toBe(true);
    // The last image is not blank: the whole file was read, not a prefix. (Load time is measured by
    // hand, not asserted: tests never assert on time.)
    let sum = 0;
    for (let i = 59999 * 784; i < 60000 * 784; i++) sum += ds.images[i];
    expect(sum).toBeGreaterThan(10);
  });

  it('slices a prefix and clamps oversize limits', () => {
    const s = sliceDataset(mnist.train, 100);
    expect(s.count).toBe(100);
    expect(s.images.length).toBe(100 * 784);
    expect(s.labels[0]).toBe(5);
    expect(s.images[783]).toBe(mnist.train.images[783]);
    expect(sliceDataset(mnist.test, 1e9).count).toBe(10000);
  });
});

const fashionDir = fashionMnistDir();
(fashionDir ? it : it.skip)('Fashion-MNIST from the Debian gz files', () => {
  const { train, test } = loadDataset('fashion-mnist');
  expect([train.count, test.count, train.dim]).toEqual([60000, 10000, 784]);
  expect(train.labels[0]).toBe(9); // ankle boot, per the Fashion-MNIST README
});

describe('IDX round trip', () => {
  const dims = [3, 2, 4];
  const pixels = Uint8Array.from({ length: 24 }, (_, i) => (i * 37) % 256);
  const labels = Uint8Array.from([2, 0, 9]);

  it.each([false, true])('reads back identical bytes (gzip=%s)', (gz) => {
    const sfx = gz ? '.gz' : '';
    const img = writeIdx(tmpFile(`rt-img${sfx}`), dims, pixels, gz);
    const lab = writeIdx(tmpFile(`rt-lab${sfx}`), [3], labels, gz);
    expect(readIdx(img, 3)).toEqual({ dims, data: pixels });
    const ds = loadIdxPair(img, lab, 'rt');
    expect(ds.shape).toEqual([1, 2, 4]);
    expect(Array.from(ds.labels)).toEqual([2, 0, 9]);
    expect(Array.from(ds.images, (v) => Math.round(v * 255))).toEqual(Array.from(pixels));
  });

  it('finds .gz files in a directory', () => {
    const dir = mkdtempSync(path.join(tmp, 'gzdir-'));
    for (const split of ['train', 't10k']) {
      writeIdx(path.join(dir, `${split}-images-idx3-ubyte.gz`), dims, pixels, true);
      writeIdx(path.join(dir, `${split}-labels-idx1-ubyte.gz`), [3], labels, true);
    }
    const { train, test } = loadIdxDir(dir, 'tiny');
    expect([train.count, test.count]).toEqual([3, 3]);
  });
});

describe('IDX corruption', () => {
  const dir = () => mnistDir();
  const copyReal = (name: string, to: string): { file: string; bytes: Buffer } => {
    const file = tmpFile(to);
    copyFileSync(path.join(dir(), name), file);
    return { file, bytes: readFileSync(file) };
  };

  it('rejects a truncated images file', () => {
    const { file, bytes } = copyReal('t10k-images-idx3-ubyte', 'trunc-images');
    writeFileSync(file, bytes.subarray(0, bytes.length - 1000));
    expectDatasetError(() => loadIdxPair(file, path.join(dir(), 't10k-labels-idx1-ubyte'), 'x'), file, 'truncated');
  });

  it('rejects trailing bytes', () => {
    const { file, bytes } = copyReal('t10k-labels-idx1-ubyte', 'long-labels');
    writeFileSync(file, Buffer.concat([bytes, Buffer.from([1, 2])]));
    expectDatasetError(() => readIdx(file, 1), file, 'size-mismatch');
  });

  it('rejects a flipped magic', () => {
    const { file, bytes } = copyReal('t10k-labels-idx1-ubyte', 'magic-labels');
    bytes[0] = 0xff;
    writeFileSync(file, bytes);
    expectDatasetError(() => readIdx(file, 1), file, 'bad-magic');
  });

  it('rejects images and labels swapped', () => {
    const labels = path.join(dir(), 't10k-labels-idx1-ubyte');
    expectDatasetError(() => loadIdxPair(labels, labels, 'x'), labels, 'bad-magic');
  });

  it('rejects a non-byte data type', () => {
    const { file, bytes } = copyReal('t10k-labels-idx1-ubyte', 'dtype-labels');
    bytes[2] = 0x0d;
    writeFileSync(file, bytes);
    const err = expectDatasetError(() => readIdx(file, 1), file, 'bad-dtype');
    expect(err.message).toContain('float');
  });

  it('rejects a label count that differs from the image count', () => {
    const images = path.join(dir(), 't10k-images-idx3-ubyte');
    const labels = path.join(dir(), 'train-labels-idx1-ubyte');
    expectDatasetError(() => loadIdxPair(images, labels, 'x'), labels, 'count-mismatch');
  });

  it('rejects a label outside the class range', () => {
    const img = writeIdx(tmpFile('lbl-img'), [2, 1, 1], Uint8Array.from([0, 255]));
    const lab = writeIdx(tmpFile('lbl-lab'), [2], Uint8Array.from([3, 10]));
    const err = expectDatasetError(() => loadIdxPair(img, lab, 'x'), lab, 'bad-label');
    expect(err.message).toContain('index 1');
  });

  it('rejects a truncated gzip stream', () => {
    const gz = gzipSync(readFileSync(path.join(dir(), 't10k-labels-idx1-ubyte')));
    const file = tmpFile('trunc.gz');
    writeFileSync(file, gz.subarray(0, gz.length >> 1));
    expectDatasetError(() => readIdx(file, 1), file, 'bad-gzip');
  });

  it('lists the expected names when a directory lacks files', () => {
    const empty = mkdtempSync(path.join(tmp, 'empty-'));
    const err = expectDatasetError(() => loadIdxDir(empty, 'x'), empty, 'missing', 'FRE033');
    expect(err.message).toContain('train-images-idx3-ubyte');
    expect(err.message).toContain('t10k-labels-idx1-ubyte');
    // A coded error with a fix line, as the other data errors (FRE030–FRE032) have.
    expect(err.message).toMatch(
      new RegExp(`^${escape(empty)}: error FRE033: the dataset folder lacks .*\n  fix: put them there, or pass --data-dir`),
    );
  });

  it('a --data-dir that is not a folder: FRE033, the file named once, the fix names --data-dir', () => {
    const nowhere = path.join(tmp, 'no-such-folder');
    const err = expectDatasetError(() => loadIdxDir(nowhere, 'x'), nowhere, 'missing', 'FRE033');
    expect(err.diagnostic).toMatchObject({
      code: 'FRE033',
      file: nowhere,
      message: 'the dataset folder does not exist or is not a directory',
    });
    expect(err.message.split(nowhere)).toHaveLength(2);
    expect(err.diagnostic!.hint).toMatch(/^pass --data-dir <folder holding train-images-idx3-ubyte\[\.gz\]/);
  });

  it('reports a missing file', () => {
    const file = tmpFile('does-not-exist');
    expectDatasetError(() => readIdx(file, 1), file, 'missing');
  });
});

describe('CIFAR-10 binary', () => {
  /** Record whose R, G, B planes are filled with distinct constants so plane order is visible. */
  const record = (label: number, r: number, g: number, b: number): Uint8Array => {
    const rec = new Uint8Array(3073);
    rec[0] = label;
    rec.fill(r, 1, 1025);
    rec.fill(g, 1025, 2049);
    rec.fill(b, 2049, 3073);
    return rec;
  };

  it('keeps R, G, B planes in channel-major order', () => {
    const file = tmpFile('two.bin');
    const second = record(9, 0, 51, 255);
    second[1 + 32 + 1] = 255; // R plane, row 1, col 1
    writeFileSync(file, Buffer.concat([record(3, 255, 0, 51), second]));
    const ds = loadCifarBatches([file]);
    expect([ds.count, ds.dim, ds.classes]).toEqual([2, 3072, 10]);
    expect(ds.shape).toEqual([3, 32, 32]);
    expect(Array.from(ds.labels)).toEqual([3, 9]);
    const at = (s: number, c: number, y: number, x: number) => ds.images[s * 3072 + c * 1024 + y * 32 + x];
    expect([at(0, 0, 5, 5), at(0, 1, 5, 5), at(0, 2, 5, 5)]).toEqual([1, 0, 51 / 255].map(Math.fround));
    expect([at(1, 0, 0, 0), at(1, 1, 31, 31), at(1, 2, 0, 7)]).toEqual([0, 51 / 255, 1].map(Math.fround));
    expect(at(1, 0, 1, 1)).toBe(1);
  });

  it('rejects a length that is not a multiple of 3073', () => {
    const file = tmpFile('short.bin');
    writeFileSync(file, record(1, 0, 0, 0).subarray(0, 3000));
    expectDatasetError(() => loadCifarBatches([file]), file, 'size-mismatch');
  });

  it('rejects a label above 9', () => {
    const file = tmpFile('label.bin');
    writeFileSync(file, Buffer.concat([record(1, 0, 0, 0), record(10, 0, 0, 0)]));
    expectDatasetError(() => loadCifarBatches([file]), file, 'bad-label');
  });

  it('lists the expected batch files when a directory lacks them', () => {
    const empty = mkdtempSync(path.join(tmp, 'cifar-'));
    const err = expectDatasetError(() => loadCifarDir(empty), empty, 'missing', 'FRE033');
    expect(err.message).toContain('data_batch_5.bin');
    expect(err.message).toContain('test_batch.bin');
    expect(err.diagnostic?.code).toBe('FRE033');
    expect(err.message).toContain('\n  fix: put them there, or pass --data-dir');
  });

  it('testOnly needs test_batch.bin only and gives an empty training split of the same shape', () => {
    const only = mkdtempSync(path.join(tmp, 'cifar-test-'));
    writeFileSync(path.join(only, 'test_batch.bin'), Buffer.concat([record(3, 255, 0, 51), record(9, 0, 51, 255)]));
    const split = loadCifarDir(only, true);
    expect([split.test.count, split.train.count, split.train.images.length]).toEqual([2, 0, 0]);
    expect(split.train.shape).toEqual(split.test.shape);
    const err = expectDatasetError(() => loadCifarDir(only), only, 'missing', 'FRE033');
    expect(err.message).toContain('lacks data_batch_1.bin');
    expect(err.message).not.toContain('test_batch.bin,');
  });
});

describe('synthetic', () => {
  const opts = { count: 200, dim: 16, classes: 4, seed: 7 };

  it('is byte-identical for the same seed and differs for another', () => {
    const a = syntheticDataset(opts);
    const b = syntheticDataset(opts);
    const c = syntheticDataset({ ...opts, seed: 8 });
    expect(Buffer.from(a.images.buffer)).toEqual(Buffer.from(b.images.buffer));
    expect(a.labels).toEqual(b.labels);
    expect(Buffer.from(a.images.buffer).equals(Buffer.from(c.images.buffer))).toBe(false);
  });

  it('is in [0,1], balanced, and learnable by nearest class mean', () => {
    const train = syntheticDataset(opts);
    const test = syntheticDataset({ ...opts, count: 100, stream: 'test' });
    expect(train.images.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(train.shape).toEqual([1, 4, 4]);
    const counts = new Array(4).fill(0);
    train.labels.forEach((l) => counts[l]++);
    expect(counts).toEqual([50, 50, 50, 50]);

    const means = new Float64Array(4 * 16);
    for (let s = 0; s < train.count; s++) for (let j = 0; j < 16; j++) means[train.labels[s] * 16 + j] += train.images[s * 16 + j] / 50;
    let correct = 0;
    for (let s = 0; s < test.count; s++) {
      let best = -1;
      let bestD = Infinity;
      for (let k = 0; k < 4; k++) {
        let d = 0;
        for (let j = 0; j < 16; j++) d += (test.images[s * 16 + j] - means[k * 16 + j]) ** 2;
        if (d < bestD) [best, bestD] = [k, d];
      }
      if (best === test.labels[s]) correct++;
    }
    expect(correct / test.count).toBeGreaterThan(0.9);
  });
});

describe('helpers and registry', () => {
  it('oneHot fills a batch of targets', () => {
    const out = new Float32Array(3 * 4).fill(7);
    oneHot(Uint8Array.from([0, 1, 3, 2]), 1, 3, 4, out);
    expect(Array.from(out)).toEqual([0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0]);
    expect(() => oneHot(Uint8Array.from([5]), 0, 1, 4, new Float32Array(4))).toThrow(RangeError);
  });

  it('cifar10 without a data dir says to pass one', () => {
    expect(() => loadDataset('cifar10', {})).toThrow(/--data-dir/);
  });

  it('synthetic split is seeded and shaped like MNIST', () => {
    const a = loadDataset('synthetic', { seed: 3 });
    const b = loadDataset('synthetic', { seed: 3 });
    expect(a.train.dim).toBe(784);
    expect(Buffer.from(a.test.images.buffer).equals(Buffer.from(b.test.images.buffer))).toBe(true);
  });
});
