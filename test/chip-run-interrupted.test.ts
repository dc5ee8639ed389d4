/**
 * An interrupted in-situ training run (Ctrl-C: runOnChip's shouldStop) reports its per-sample counts
 * over the samples it actually trained — the finished batches of the unfinished epoch included — not
 * over the finished epochs' samples only (which gave 0 pulses per sample in epoch 1, and too many later).
 */
import { compile } from '../compiler/pipeline';
import { syntheticDataset } from '../datasets/synthetic';
import { initParams } from '../graph/params';
import { PRESETS } from '../hw-models/presets';
import { runOnChip } from '../simulator/chip/run';
import { selectKernels } from '../simulator/kernels/select';
import { makeRng } from '../util/rng';
import { chainNet } from './helpers/nets';

const kernels = selectKernels('auto');

describe('an interrupted in-situ training run', () => {
  // 95 samples in batches of 10: nine full batches and one of 5 per epoch.
  const net = chainNet([20, 12], 4, { betaI: 0.05, betaF: 0.5, T: 4, K: 2, batch: 10 });
  const data = {
    train: syntheticDataset({ count: 95, dim: 20, classes: 4, seed: 1 }),
    test: syntheticDataset({ count: 20, dim: 20, classes: 4, seed: 1, stream: 'test' }),
  };
  // pcm: pulsed updates (counted) and potentiate-only pairs (refreshes, priced per sample too).
  const netlist = compile(net, PRESETS.pcm, initParams(net, makeRng(3)), {
    wMax: { kind: 'max' },
    specFile: 'test',
    producerVersion: 'test',
  }).netlist;

  /** Trains 2 epochs and stops after `batches` batches in all (as Ctrl-C does: after the current batch). */
  async function stoppedAfter(batches: number) {
    let done = 0;
    return runOnChip(netlist, data, {
      mode: 'train',
      epochs: 2,
      seed: 7,
      kernels,
      onBatch: () => done++,
      shouldStop: () => done >= batches,
    });
  }

  test('in epoch 1: the 4 finished batches are the samples trained, and their pulses are counted per sample', async () => {
    const r = await stoppedAfter(4);
    expect(r.interrupted).toBe(true);
    expect(r.epochs).toHaveLength(0);
    expect([r.samplesTrained, r.trainSamples]).toEqual([40, 40]);
    const pulses = r.interpreter.chip.pulses();
    expect(pulses).toBeGreaterThan(0);
    expect(r.updatePulsesPerSample).toBeCloseTo(pulses / 40, 9);
  });

  test('in epoch 2: the finished epoch (95, its last batch short) and 2 batches of the next (20)', async () => {
    const r = await stoppedAfter(12);
    expect(r.interrupted).toBe(true);
    expect(r.epochs).toHaveLength(1);
    expect([r.samplesTrained, r.trainSamples]).toEqual([115, 115]);
    const chip = r.interpreter.chip;
    expect(r.updatePulsesPerSample).toBeCloseTo(chip.pulses() / 115, 9);
    expect(r.refreshPulsesPerSample).toBeCloseTo(chip.refreshPulses() / 115, 9);
    expect(r.refreshesPerSample).toBeCloseTo(chip.refreshes().reduce((a, b) => a + b, 0) / 115, 9);
  });

  test('a clean run trains every sample of every epoch', async () => {
    const r = await stoppedAfter(Infinity);
    expect(r.interrupted).toBe(false);
    expect(r.epochs).toHaveLength(2);
    expect([r.samplesTrained, r.trainSamples]).toEqual([190, 190]);
    expect(r.updatePulsesPerSample).toBeCloseTo(r.interpreter.chip.pulses() / 190, 9);
  });
});
