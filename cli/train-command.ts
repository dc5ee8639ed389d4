/** `fre train SPEC.json`: train a graph in software (the ideal executor) with EP, BP or FA. */
import { SingleBar } from 'cli-progress';
import type { Argv } from 'yargs';
import { loadGraph } from '../graph/load';
import { resolveNet } from '../graph/net';
import { initParams } from '../graph/params';
import { describeBackend, selectKernels } from '../simulator/kernels/select';
import { ALGORITHMS, train, type Algorithm } from '../simulator/train';
import { loadParams, saveParams } from '../graph/weights-file';
import { makeRng } from '../util/rng';
import { provenance } from '../util/provenance';
import { loadNetData } from '../datasets/net-data';
import { UsageError } from './errors';

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
  json: boolean;
  backend: 'auto' | 'native' | 'reference';
}

export function trainOptions<T>(y: Argv<T>) {
  return y
    .positional('spec', { type: 'string', demandOption: true, describe: 'graph description (JSON)' })
    .option('algo', { choices: ALGORITHMS, default: 'ep' as Algorithm, describe: 'ep (equilibrium propagation), bp (backprop baseline), fa (feedback alignment)' })
    .option('epochs', { type: 'number', describe: 'override training.epochs' })
    .option('seed', { type: 'number', describe: 'override training.seed' })
    .option('train-limit', { type: 'number', describe: 'use the first N training samples' })
    .option('test-limit', { type: 'number', describe: 'use the first N test samples' })
    .option('data-dir', { type: 'string', describe: 'folder with the dataset files (default: the installed package)' })
    .option('init', { type: 'string', describe: 'start from these weights (.npz)' })
    .option('save', { type: 'string', describe: 'write the trained weights here (.npz)' })
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
  const rng = makeRng(seed);
  const initial = a.init ? loadParams(a.init, net, rng) : initParams(net, rng);

  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(`fre train ${spec.name}: ${a.algo}, ${epochs} epochs, ${data.train.count} train / ${data.test.count} test samples, seed ${seed}, ${describeBackend(kernels)}`);

  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(130);
    stop = true;
    log('\ninterrupted: finishing the current batch' + (a.save ? ` and saving to ${a.save}` : '') + ' (Ctrl-C again to quit now)');
  };
  process.on('SIGINT', onSigint);

  const bar = process.stderr.isTTY && !a.json
    ? new SingleBar({ format: 'epoch {epoch} [{bar}] {value}/{total} batches | loss {loss} | eta {eta}s', stream: process.stderr })
    : null;
  const { result, params } = await train(net, initial, data, {
    algo: a.algo, epochs, seed, kernels,
    shouldStop: () => stop,
    onBatch: bar ? (epoch, b, total, loss) => {
      if (b === 1) bar.start(total, 0, { epoch, loss: loss.toFixed(4) });
      bar.update(b, { epoch, loss: loss.toFixed(4) });
      if (b === total) bar.stop();
    } : undefined,
    onEpoch: (r) => log(`epoch ${r.epoch}  train loss ${r.trainLoss.toFixed(4)}  train acc ${(100 * r.trainAccuracy).toFixed(2)}%  test acc ${(100 * r.testAccuracy).toFixed(2)}%  ${r.seconds.toFixed(1)} s`),
  });
  bar?.stop();
  process.off('SIGINT', onSigint);

  if (a.save) {
    saveParams(a.save, net, params, { backend: kernels.name, extra: { algo: a.algo, seed, epochs: result.epochs.length, bestTestAccuracy: result.bestTestAccuracy } });
    log(`weights written to ${a.save}`);
  }
  if (a.json) {
    process.stdout.write(JSON.stringify({
      spec: spec.name, algo: a.algo, seed, backend: kernels.name,
      trainSamples: data.train.count, testSamples: data.test.count,
      epochs: result.epochs.length, bestTestAccuracy: result.bestTestAccuracy, finalTestAccuracy: result.finalTestAccuracy,
      epochSeconds: result.epochSeconds, perEpoch: result.epochs, interrupted: result.interrupted,
      provenance: provenance(kernels.name),
    }) + '\n');
  } else {
    log(`best test accuracy ${(100 * result.bestTestAccuracy).toFixed(2)}%, final ${(100 * result.finalTestAccuracy).toFixed(2)}%`);
  }
}
