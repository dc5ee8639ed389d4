/**
 * The `train` runner: ideal software training (simulator/train.ts) of the run's graph with EP, BP
 * or FA — exactly what `fre train SPEC --algo METHOD --seed SEED --train-limit … --test-limit …`
 * does with the run's graph, so any results line can be reproduced by hand.
 */
import { resolveNet } from '../../graph/net';
import { initParams } from '../../graph/params';
import type { Kernels } from '../../simulator/kernels/kernels';
import { selectKernels } from '../../simulator/kernels/select';
import { ALGORITHMS, train, type Algorithm } from '../../simulator/train';
import { makeRng } from '../../util/rng';
import { dataFor } from '../run-data';
import type { RunConfig, RunContext, SweepRunner } from '../runner';

const METRICS = ['bestTestAccuracy', 'finalTestAccuracy', 'finalTrainAccuracy', 'finalTrainLoss', 'secondsPerEpoch'] as const;

let kernels: Kernels | undefined;

export class RunAborted extends Error {}

export const trainRunner: SweepRunner = {
  name: 'train',
  description: 'ideal software training (the ideal executor) with EP, BP or FA',
  methods: ALGORITHMS,
  defaultMethod: 'ep',
  metrics: METRICS,
  defaultMetrics: ['bestTestAccuracy', 'finalTestAccuracy'],
  timingMetrics: ['secondsPerEpoch'],

  async run(config: RunConfig, ctx: RunContext): Promise<Record<string, number>> {
    const net = resolveNet(config.graph);
    const data = dataFor(net, config);
    kernels ??= selectKernels('auto');
    const rng = makeRng(config.seed);
    const { result } = await train(net, initParams(net, rng), data, {
      algo: config.method as Algorithm,
      epochs: config.graph.training.epochs,
      seed: config.seed,
      kernels,
      shouldStop: () => ctx.signal.aborted,
      onEpoch: ctx.log ? (r) => ctx.log!(`epoch ${r.epoch}: test ${(100 * r.testAccuracy).toFixed(2)}%`) : undefined,
    });
    if (result.interrupted) throw new RunAborted('run stopped');
    const last = result.epochs[result.epochs.length - 1];
    const secs = result.epochSeconds;
    return {
      bestTestAccuracy: result.bestTestAccuracy,
      finalTestAccuracy: result.finalTestAccuracy,
      finalTrainAccuracy: last?.trainAccuracy ?? NaN,
      finalTrainLoss: last?.trainLoss ?? NaN,
      secondsPerEpoch: secs.length ? secs.reduce((a, b) => a + b, 0) / secs.length : NaN,
    };
  },
};
