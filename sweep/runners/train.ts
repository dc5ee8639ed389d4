/**
 * The `train` runner: ideal software training (simulator/train.ts) of the run's graph with EP, BP
 * or FA — exactly what `fre train SPEC --algo METHOD --seed SEED --train-limit … --test-limit …`
 * does with the run's graph, so any results line can be reproduced by hand. With a checkpoint file
 * (RunContext.checkpoint) it saves the run after every epoch and continues from that file when it
 * exists, as `bench/reproduce --resume` does (simulator/checkpoint.ts says why that is exact).
 */
import { existsSync } from 'node:fs';
import { resolveNet } from '../../graph/net';
import { initParams } from '../../graph/params';
import { loadCheckpoint, runIdentity, runSessions, saveCheckpoint, type CheckpointHints } from '../../simulator/checkpoint';
import type { Kernels } from '../../simulator/kernels/kernels';
import { selectKernels } from '../../simulator/kernels/select';
import { ALGORITHMS, train, type Algorithm } from '../../simulator/train';
import { makeRng } from '../../util/rng';
import { dataFor } from '../run-data';
import type { RunConfig, RunContext, SweepRunner } from '../runner';

const METRICS = ['bestTestAccuracy', 'finalTestAccuracy', 'finalTrainAccuracy', 'finalTrainLoss', 'secondsPerEpoch'] as const;

let kernels: Kernels | undefined;

export class RunAborted extends Error {}

/**
 * A refused checkpoint's fixes in a sweep's words: the run's seed, method, sample counts and graph
 * come from the sweep file, not from flags.
 */
function sweepHints(file: string): CheckpointHints {
  return {
    restart: `delete ${file} to redo this run from its first epoch`,
    match: (field) => (field === 'backend' || field === 'blasCore' ? undefined : 'restore the sweep file (and graph) that wrote it'),
  };
}

export const trainRunner: SweepRunner = {
  name: 'train',
  description: 'ideal software training (the ideal executor) with EP, BP or FA',
  methods: ALGORITHMS,
  defaultMethod: 'ep',
  metrics: METRICS,
  defaultMetrics: ['bestTestAccuracy', 'finalTestAccuracy'],
  timingMetrics: ['secondsPerEpoch'],
  checkpoints: true,

  async run(config: RunConfig, ctx: RunContext): Promise<Record<string, number>> {
    const net = resolveNet(config.graph);
    const data = dataFor(net, config);
    kernels ??= selectKernels('auto');
    const epochs = config.graph.training.epochs;
    const file = ctx.checkpoint;
    // What a checkpoint must match to be continued: the resolved graph with this run's axis values,
    // method, seed, data and backend (a mismatch is an error naming the file, never a silent restart).
    const identity = runIdentity(net, config.method, config.seed, data, kernels.name);
    const loaded = file && existsSync(file) ? loadCheckpoint(file, net, identity, sweepHints(file)) : undefined;
    const resume = loaded?.checkpoint;
    const sessions = runSessions(loaded, epochs);
    if (resume) ctx.log?.(`continuing from ${file} after epoch ${resume.epochsDone}`);
    const initial = resume ? resume.params : initParams(net, makeRng(config.seed));
    const { result } = await train(net, initial, data, {
      algo: config.method as Algorithm,
      epochs,
      seed: config.seed,
      kernels,
      resume,
      shouldStop: () => ctx.signal.aborted,
      onEpoch: ctx.log ? (r) => ctx.log!(`epoch ${r.epoch}: test ${(100 * r.testAccuracy).toFixed(2)}%`) : undefined,
      onCheckpoint: file ? (c) => saveCheckpoint(file, net, identity, c, epochs, sessions) : undefined,
    });
    if (result.interrupted) throw new RunAborted('run stopped');
    if (sessions.length > 1) ctx.recordSessions?.(sessions);
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
