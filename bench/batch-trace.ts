/**
 * Per-batch trace of a software training run, for finding where a run that collapses goes wrong:
 * each batch's loss and train accuracy, and each edge's max |W| and Frobenius norm after the
 * optimiser step. The run is the one bench/reproduce makes (same seed → same numbers), so the trace
 * of seed s shows what reproduce's seed s did. Weights at chosen batches can be saved for
 * `fre analyze --init` (spectral radius, convergence time of the dynamics at that point).
 *
 *   node dist/bench/batch-trace.js SPEC.json --seed 0 --epochs 2 --out trace.jsonl [--save-at 130,140 --save-prefix w]
 */
import { renameSync, writeFileSync } from 'node:fs';
import type { DataSplit } from '../datasets/dataset';
import { loadNetData } from '../datasets/net-data';
import { loadGraph } from '../graph/load';
import { resolveNet, type Net } from '../graph/net';
import { initParams, type Params } from '../graph/params';
import { saveParams } from '../graph/weights-file';
import { selectKernels } from '../simulator/kernels/select';
import { train, type Algorithm, type EpochResult } from '../simulator/train';
import { makeRng } from '../util/rng';

const USAGE =
  'usage: batch-trace.js SPEC.json [--algo ep|bp|fa] [--seed N] [--epochs N] --out FILE.jsonl [--save-at B1,B2 --save-prefix P]';

function fail(msg: string): never {
  process.stderr.write(`${msg}\n${USAGE}\n`);
  process.exit(2);
}

/** One batch's record: its loss and, per edge, max |W| and the Frobenius norm after the optimiser step. */
export interface BatchRecord {
  epoch: number;
  batch: number;
  global: number;
  loss: number;
  edges: { edge: string; maxAbs: number; norm: number }[];
}

/** Per-edge max |W| and Frobenius norm of the current weights. */
export function edgeStats(net: Net, params: Params): BatchRecord['edges'] {
  return net.edges.map((e) => {
    const w = params.W[e.index].data;
    let max = 0;
    let sq = 0;
    for (let i = 0; i < w.length; i++) {
      const a = Math.abs(w[i]);
      if (a > max) max = a;
      sq += w[i] * w[i];
    }
    return { edge: e.name, maxAbs: max, norm: Math.sqrt(sq) };
  });
}

/**
 * Trains `params` in place as bench/reproduce does (same seed, same numbers) and calls `record` after
 * every batch's optimiser step (global batch numbers count from 1 across epochs) and after every epoch.
 */
export async function traceRun(
  net: Net,
  params: Params,
  data: DataSplit,
  o: { algo: Algorithm; seed: number; epochs: number },
  record: { batch: (r: BatchRecord) => void; epoch: (r: EpochResult) => void },
): Promise<void> {
  let global = 0;
  await train(net, params, data, {
    ...o,
    kernels: selectKernels('auto'),
    // The engine trains `params` in place (makeModel keeps the arrays it is given).
    onBatch: (epoch, batch, _batches, loss) => record.batch({ epoch, batch, global: ++global, loss, edges: edgeStats(net, params) }),
    onEpoch: record.epoch,
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const specFile = args[0];
  if (!specFile || specFile.startsWith('--')) fail('batch-trace: give the spec file first');
  const out = opt('out') ?? fail('batch-trace: --out FILE.jsonl is required');
  const seed = Number(opt('seed') ?? '0');
  const epochs = Number(opt('epochs') ?? '1');
  if (!Number.isInteger(seed) || !Number.isInteger(epochs) || epochs < 1) fail('batch-trace: --seed and --epochs must be integers');
  // Global batch numbers (1-based, counted across epochs) at which to save the weights.
  const saveAt = new Set((opt('save-at') ?? '').split(',').filter(Boolean).map(Number));
  const prefix = opt('save-prefix') ?? out.replace(/\.jsonl$/, '');
  const algo = (opt('algo') ?? 'ep') as Algorithm;

  const spec = loadGraph(specFile);
  const net = resolveNet(spec);
  const data = loadNetData(net, specFile, {});
  const params = initParams(net, makeRng(seed));
  const lines: string[] = [];
  const p4 = (v: number): number => +v.toPrecision(4);
  await traceRun(
    net,
    params,
    data,
    { algo, seed, epochs },
    {
      batch: (r) => {
        const edges = r.edges.map((e) => ({ edge: e.edge, maxAbs: p4(e.maxAbs), norm: p4(e.norm) }));
        lines.push(JSON.stringify({ ...r, loss: +r.loss.toPrecision(5), edges }));
        if (saveAt.has(r.global)) saveParams(`${prefix}-b${r.global}.npz`, net, params);
      },
      epoch: (r) => {
        process.stderr.write(`epoch ${r.epoch}: test ${(100 * r.testAccuracy).toFixed(2)}%, train loss ${r.trainLoss.toFixed(4)}\n`);
        lines.push(JSON.stringify({ epoch: r.epoch, testAccuracy: r.testAccuracy, trainLoss: r.trainLoss }));
        writeFileSync(`${out}.tmp`, lines.join('\n') + '\n');
        renameSync(`${out}.tmp`, out);
      },
    },
  );
}

if (require.main === module) void main();
