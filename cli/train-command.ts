/** `fre train SPEC.json`: train a graph in software (the ideal executor) with EP, BP or FA. */
import type { Argv } from 'yargs';
import { loadGraph } from '../graph/load';
import { resolveNet } from '../graph/net';
import { initParams } from '../graph/params';
import { backendChoiceFor, describeBackend, selectKernels } from '../simulator/kernels/select';
import { ALGORITHMS, train, type Algorithm } from '../simulator/train';
import { loadParams, saveParams } from '../graph/weights-file';
import { Progress } from '../util/progress';
import { makeRng } from '../util/rng';
import { codeVersion } from '../util/code-version';
import { provenance } from '../util/provenance';
import { loadNetData } from '../datasets/net-data';
import { loadCheckpoint, runIdentity, runSessions, saveCheckpoint, type CheckpointHints } from '../simulator/checkpoint';
import { UsageError } from './errors';
import { plural } from '../util/format';

/** A refused checkpoint's fixes, in `fre train`'s flags. */
const TRAIN_HINTS: CheckpointHints = {
  restart: 'start over without --resume',
  missing: "run without --resume first (it writes the checkpoint after every epoch), or pass the checkpoint's path",
  match(field, saved) {
    switch (field) {
      case 'algo':
        return `pass --algo ${String(saved)}`;
      case 'seed':
        return `pass --seed ${String(saved)}`;
      case 'trainSamples':
        return `pass the same --train-limit (the checkpoint was trained on ${String(saved)} samples)`;
      case 'testSamples':
        return `pass the same --test-limit (the checkpoint was tested on ${String(saved)} samples)`;
      case 'backend':
        return `pass --backend ${backendChoiceFor(saved) ?? String(saved)} (other backends round differently)`;
      default:
        return undefined;
    }
  },
};
export interface TrainArgs {
  spec: string;
  algo: Algorithm;
  epochs?: number;
  seed?: number;
  trainLimit?: number;
  testLimit?: number;
  dataDir?: string;
  init?: string;
  save?: string;
  checkpoint?: string;
  resume: boolean;
  json: boolean;
  backend: 'auto' | 'native' | 'reference';
}

export function trainOptions<T>(y: Argv<T>) {
  return y
    .positional('spec', { type: 'string', demandOption: true, describe: 'graph description (JSON)' })
    .option('algo', {
      choices: ALGORITHMS,
      default: 'ep' as Algorithm,
      describe: 'ep (equilibrium propagation), bp (backprop baseline), fa (feedback alignment)',
    })
    .option('epochs', { type: 'number', describe: 'override training.epochs' })
    .option('seed', { type: 'number', describe: 'override training.seed' })
    .option('train-limit', { type: 'number', describe: 'use the first N training samples' })
    .option('test-limit', { type: 'number', describe: 'use the first N test samples' })
    .option('data-dir', { type: 'string', describe: 'folder with the dataset files (default: the installed package)' })
    .option('init', { type: 'string', describe: 'start from these weights (.npz)' })
    .option('save', { type: 'string', describe: 'write the trained weights here (.npz)' })
    .option('checkpoint', {
      type: 'string',
      describe: 'after every epoch, write all a run needs to continue (weights, optimiser state, results so far) here (.npz, atomically)',
    })
    .option('resume', {
      type: 'boolean',
      default: false,
      describe: 'continue the run saved in --checkpoint from its last finished epoch (same numbers as an uninterrupted run)',
    })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object with the results, last' })
    .option('backend', { choices: ['auto', 'native', 'reference'] as const, default: 'auto' as const, describe: 'kernel backend' });
}

function positiveInt(name: string, v: number | undefined, min = 1): void {
  if (v !== undefined && (!Number.isInteger(v) || v < min)) throw new UsageError(`--${name} must be an integer ≥ ${min}, got ${v}`);
}

export async function runTrain(a: TrainArgs): Promise<void> {
  positiveInt('epochs', a.epochs);
  positiveInt('train-limit', a.trainLimit);
  positiveInt('test-limit', a.testLimit);
  if (a.seed !== undefined && !Number.isInteger(a.seed)) throw new UsageError(`--seed must be an integer, got ${a.seed}`);
  const spec = loadGraph(a.spec);
  const net = resolveNet(spec);
  const seed = a.seed ?? spec.training.seed;
  const epochs = a.epochs ?? spec.training.epochs;
  const kernels = selectKernels(a.backend);
  const data = loadNetData(net, a.spec, { dataDir: a.dataDir, trainLimit: a.trainLimit, testLimit: a.testLimit, seed });
  if (a.resume && !a.checkpoint) throw new UsageError('--resume needs --checkpoint FILE (the checkpoint to continue)');
  const identity = runIdentity(net, a.algo, seed, data, kernels.name);
  const loaded = a.resume && a.checkpoint ? loadCheckpoint(a.checkpoint, net, identity, TRAIN_HINTS) : undefined;
  const resume = loaded?.checkpoint;
  const sessions = runSessions(loaded, epochs);
  const rng = makeRng(seed);
  const initial = resume ? resume.params : a.init ? loadParams(a.init, net, rng) : initParams(net, rng);

  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(
    `fre train ${spec.name}: ${a.algo}, ${plural(epochs, 'epoch')}, ${data.train.count} train / ${data.test.count} test samples, seed ${seed}, ${describeBackend(kernels)}`,
  );
  if (resume) log(`resuming from ${a.checkpoint} after epoch ${resume.epochsDone}`);

  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(130);
    stop = true;
    log('\ninterrupted: finishing the current batch' + (a.save ? ` and saving to ${a.save}` : '') + ' (Ctrl-C again to quit now)');
  };
  process.on('SIGINT', onSigint);

  // One counter over every epoch's batches: the ETA is for the whole run, not the epoch.
  const batches = Math.ceil(data.train.count / net.spec.training.batchSize);
  const progress = new Progress({ label: `train ${spec.name}`, total: epochs * batches, unit: 'batches' });
  const { result, params } = await train(net, initial, data, {
    algo: a.algo,
    epochs,
    seed,
    kernels,
    shouldStop: () => stop,
    resume,
    onCheckpoint: a.checkpoint ? (c) => saveCheckpoint(a.checkpoint!, net, identity, c, epochs, sessions) : undefined,
    // "batch loss": the last batch's, which differs from the epoch line's train loss (the epoch's mean).
    onBatch: (epoch, b, total, loss) => progress.update((epoch - 1) * total + b, `epoch ${epoch}/${epochs} batch loss ${loss.toFixed(4)}`),
    onEpoch: (r) =>
      progress.log(
        `epoch ${r.epoch}  train loss ${r.trainLoss.toFixed(4)}  train acc ${(100 * r.trainAccuracy).toFixed(2)}%  test acc ${(100 * r.testAccuracy).toFixed(2)}%  ${r.seconds.toFixed(1)} s`,
      ),
  });
  progress.finish();
  process.off('SIGINT', onSigint);

  if (a.save) {
    saveParams(a.save, net, params, {
      backend: kernels.name,
      extra: { algo: a.algo, seed, epochs: result.epochs.length, bestTestAccuracy: result.bestTestAccuracy },
    });
    log(`weights written to ${a.save}`);
  }
  // No finished epoch means no accuracy was measured: null, not 0 %, which would read as a result.
  const measured = result.epochs.length > 0;
  if (a.json) {
    process.stdout.write(
      JSON.stringify({
        spec: spec.name,
        algo: a.algo,
        seed,
        backend: kernels.name,
        trainSamples: data.train.count,
        testSamples: data.test.count,
        epochs: result.epochs.length,
        epochsPlanned: epochs,
        epochsDone: result.epochs.length,
        epochsThisRun: result.epochs.length - (resume?.epochsDone ?? 0),
        resumedAfter: resume?.epochsDone ?? null,
        code: codeVersion(),
        // Every process that ran this run's epochs, with its code version (one entry unless resumed).
        sessions,
        bestTestAccuracy: measured ? result.bestTestAccuracy : null,
        finalTestAccuracy: measured ? result.finalTestAccuracy : null,
        epochSeconds: result.epochSeconds,
        perEpoch: result.epochs,
        interrupted: result.interrupted,
        provenance: provenance(kernels.name),
      }) + '\n',
    );
  } else if (measured) {
    log(
      `best test accuracy ${(100 * result.bestTestAccuracy).toFixed(2)}%, final ${(100 * result.finalTestAccuracy).toFixed(2)}%${result.interrupted ? ` (interrupted after ${result.epochs.length} of ${epochs} epochs)` : ''}`,
    );
  } else {
    log(`interrupted before the first epoch ended: no accuracy measured`);
  }
  // Interrupted commands exit 130 (128 + SIGINT) everywhere, after saving what they have.
  if (result.interrupted) process.exitCode = 130;
}
