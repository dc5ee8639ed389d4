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
import { loadNetData } from '../datasets/net-data';
import { loadGraph } from '../graph/load';
import { resolveNet } from '../graph/net';
import { initParams } from '../graph/params';
import { saveParams } from '../graph/weights-file';
import { selectKernels } from '../simulator/kernels/select';
import { train, type Algorithm } from '../simulator/train';
import { makeRng } from '../util/rng';

const USAGE =
  'usage: batch-trace.js SPEC.json [--algo ep|bp|fa] [--seed N] [--epochs N] --out FILE.jsonl [--save-at B1,B2 --save-prefix P]';

function fail(msg: string): never {
  process.stderr.write(`${msg}\n${USAGE}\n`);
  process.exit(2);
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
  const kernels = selectKernels('auto');
  const data = loadNetData(net, specFile, {});
  const params = initParams(net, makeRng(seed));
  const lines: string[] = [];
  let global = 0;
  await train(net, params, data, {
    algo,
    epochs,
    seed,
    kernels,
    onBatch: (epoch, batch, _batches, loss) => {
      global++;
      // The engine trains `params` in place (makeModel keeps the arrays it is given).
      const edges = net.edges.map((e) => {
        const w = params.W[e.index].data;
        let max = 0;
        let sq = 0;
        for (let i = 0; i < w.length; i++) {
          const a = Math.abs(w[i]);
          if (a > max) max = a;
          sq += w[i] * w[i];
        }
        return { edge: e.name, maxAbs: +max.toPrecision(4), norm: +Math.sqrt(sq).toPrecision(4) };
      });
      lines.push(JSON.stringify({ epoch, batch, global, loss: +loss.toPrecision(5), edges }));
      if (saveAt.has(global)) saveParams(`${prefix}-b${global}.npz`, net, params);
    },
    onEpoch: (r) => {
      process.stderr.write(`epoch ${r.epoch}: test ${(100 * r.testAccuracy).toFixed(2)}%, train loss ${r.trainLoss.toFixed(4)}\n`);
      lines.push(JSON.stringify({ epoch: r.epoch, testAccuracy: r.testAccuracy, trainLoss: r.trainLoss }));
      writeFileSync(`${out}.tmp`, lines.join('\n') + '\n');
      renameSync(`${out}.tmp`, out);
    },
  });
}

void main();
