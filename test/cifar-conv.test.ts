/**
 * The CIFAR-10 conv example end to end on a few batches of a CIFAR-10-format folder made here (no
 * public copy is reachable from CI): reader → shaped input → three conv+pool edges → EP training.
 * And the shaped-input check against a dataset's sample shape.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadNetData } from '../datasets/net-data';
import { CIFAR_TEST_FILE, CIFAR_TRAIN_FILES } from '../datasets/cifar';
import { SpecError } from '../graph/diagnostics';
import { loadGraph } from '../graph/load';
import { resolveNet } from '../graph/net';
import { cloneParams, initParams } from '../graph/params';
import { selectKernels } from '../simulator/kernels/select';
import { train } from '../simulator/train';
import { makeRng } from '../util/rng';

const ROOT = path.join(__dirname, '..');
const RECORD = 1 + 3072;

/** A CIFAR-10 binary folder: `perFile` records per batch file, seeded bytes, labels cycling 0..9. */
function fakeCifar(perFile: number): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fre-cifar-'));
  const rng = makeRng(123);
  let n = 0;
  for (const f of [...CIFAR_TRAIN_FILES, CIFAR_TEST_FILE]) {
    const buf = Buffer.alloc(perFile * RECORD);
    for (let r = 0; r < perFile; r++, n++) {
      buf[r * RECORD] = n % 10;
      for (let i = 1; i < RECORD; i++) buf[r * RECORD + i] = Math.floor(rng.uniform() * 256);
    }
    writeFileSync(path.join(dir, f), buf);
  }
  return dir;
}

describe('examples/cifar10-conv.json on a CIFAR-10-format folder', () => {
  const specFile = path.join(ROOT, 'examples', 'cifar10-conv.json');

  test('reads the folder, runs two EP batches through three conv edges, and changes every trained array', async () => {
    const dir = fakeCifar(3);
    const spec = loadGraph(specFile);
    // Two batches of 4 (the example's batch is 128); dynamics, optimiser, schedule and clip as written.
    const net = resolveNet({ ...spec, training: { ...spec.training, batchSize: 4 } });
    const data = loadNetData(net, specFile, { dataDir: dir, trainLimit: 8, testLimit: 3 });
    expect(data.train.count).toBe(8);
    expect(data.train.shape).toEqual([3, 32, 32]);
    const p0 = initParams(net, makeRng(0));
    const before = cloneParams(p0);
    const { result, params } = await train(net, p0, data, { algo: 'ep', epochs: 1, seed: 0, kernels: selectKernels('auto') });
    expect(result.epochs).toHaveLength(1);
    expect(Number.isFinite(result.epochs[0].trainLoss)).toBe(true);
    // 3 test samples: the accuracy is a count of them.
    const acc3 = result.epochs[0].testAccuracy * 3;
    expect(Math.abs(acc3 - Math.round(acc3))).toBeLessThan(1e-9);
    expect(acc3).toBeLessThanOrEqual(3);
    for (const e of net.edges) {
      const moved = params.W[e.index].data.some((v, i) => v !== before.W[e.index].data[i]);
      expect(moved).toBe(true);
      expect(params.bias[e.index]!.some((v) => v !== 0)).toBe(true);
    }
  });

  test("a shaped input that disagrees with the dataset's sample shape is FRE030 at /input/shape", () => {
    const spec = loadGraph(path.join(ROOT, 'examples', 'mnist-2hl.json'));
    const net = resolveNet({ ...spec, input: { size: 784, shape: [4, 14, 14] } });
    let err: unknown;
    try {
      loadNetData(net, 'flat.json', { trainLimit: 10, testLimit: 10 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpecError);
    const d = (err as SpecError).diagnostics[0];
    expect(d.code).toBe('FRE030');
    expect(d.path).toBe('/input/shape');
    expect(d.message).toContain('[1, 28, 28]');
    expect(d.hint).toContain('"shape": [1, 28, 28]');
  });
});
