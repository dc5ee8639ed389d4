/**
 * bench/batch-trace: its per-batch records are those of the run bench/reproduce makes (same seed,
 * same final accuracy and weights as a plain train()), and its norms are the weights' own.
 */
import { traceRun, edgeStats, type BatchRecord } from '../bench/batch-trace';
import { syntheticDataset } from '../datasets/synthetic';
import { GraphBuilder } from '../graph/builder';
import { resolveNet, type Net } from '../graph/net';
import { initParams } from '../graph/params';
import { selectKernels } from '../simulator/kernels/select';
import { train, type EpochResult } from '../simulator/train';
import { makeRng } from '../util/rng';

function net(): Net {
  const b = new GraphBuilder('trace').input(12).layer('h1', 8).output(3);
  b.edge({ name: 'W0', from: 'input', to: 'h1' });
  b.edge({ name: 'Wf', from: 'h1', to: 'output', feedback: { kind: 'symmetric' } });
  return resolveNet(
    b
      .dynamics({ T: 6, K: 3, betaF: 0.5, nudge: 'held' })
      .training({ batchSize: 10, epochs: 2, seed: 3, optimizer: { kind: 'adam', lr: 0.01 } })
      .build(),
  );
}

function data(n: Net) {
  const common = { dim: n.inputSize, classes: n.classes, seed: 'trace' };
  return {
    train: syntheticDataset({ ...common, count: 35, stream: 'train' }),
    test: syntheticDataset({ ...common, count: 20, stream: 'test' }),
  };
}

describe('bench/batch-trace', () => {
  test('one record per batch with global numbering, and the same run as train()', async () => {
    const n = net();
    const traced = initParams(n, makeRng(3));
    const batches: BatchRecord[] = [];
    const epochs: EpochResult[] = [];
    await traceRun(n, traced, data(n), { algo: 'ep', seed: 3, epochs: 2 }, { batch: (r) => batches.push(r), epoch: (r) => epochs.push(r) });
    // 35 samples in batches of 10: 4 batches per epoch, numbered 1..8 across both epochs.
    expect(batches.map((r) => [r.epoch, r.batch, r.global])).toEqual([
      [1, 1, 1],
      [1, 2, 2],
      [1, 3, 3],
      [1, 4, 4],
      [2, 1, 5],
      [2, 2, 6],
      [2, 3, 7],
      [2, 4, 8],
    ]);
    expect(batches.every((r) => Number.isFinite(r.loss) && r.loss > 0)).toBe(true);

    const plain = initParams(n, makeRng(3));
    const { result } = await train(n, plain, data(n), { algo: 'ep', seed: 3, epochs: 2, kernels: selectKernels('auto') });
    expect(epochs.map((e) => e.testAccuracy)).toEqual(result.epochs.map((e) => e.testAccuracy));
    expect(epochs.map((e) => e.trainLoss)).toEqual(result.epochs.map((e) => e.trainLoss));
    // The last record describes the final weights, which are train()'s.
    expect(batches[7].edges).toEqual(edgeStats(n, plain));
  });

  test('edgeStats is max |W| and the Frobenius norm', () => {
    const n = net();
    const p = initParams(n, makeRng(1));
    p.W[0].data.fill(0);
    p.W[0].data[5] = -3;
    p.W[0].data[7] = 4;
    const s = edgeStats(n, p);
    expect(s[0]).toEqual({ edge: 'W0', maxAbs: 4, norm: 5 });
    expect(s[1].edge).toBe('Wf');
  });
});
