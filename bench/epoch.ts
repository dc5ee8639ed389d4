/**
 * Seconds per training epoch of the Table-1 nets (issue 3), run by hand:
 *   node dist/bench/epoch.js [--train-limit N] [--reference-limit N] [--specs a.json,b.json]
 * For each spec: one EP epoch on the fast backend (full MNIST unless limited, scaled to 60000
 * samples), the same on the reference TypeScript kernels for a small slice (the in-run baseline),
 * their ratio, the peer figure (the authors' PyTorch code on this kind of machine: ≈ 21 s per
 * 2HL-512 epoch, docs/references.md#speed-anchors), and the peak resident memory of this process.
 */
import { loadNetData } from '../datasets/net-data';
import { sliceDataset } from '../datasets/dataset';
import { loadGraph } from '../graph/load';
import { resolveNet } from '../graph/net';
import { initParams } from '../graph/params';
import { referenceKernels } from '../simulator/kernels/reference';
import { selectKernels } from '../simulator/kernels/select';
import type { Kernels } from '../simulator/kernels/kernels';
import { train } from '../simulator/train';
import { makeRng } from '../util/rng';
import { machineInfo } from './machine';
import { arg } from './args';

const PEER_2HL_SECONDS = 21;

async function epochSeconds(
  specFile: string,
  kernels: Kernels,
  limit: number,
): Promise<{ seconds: number; perFullEpoch: number; accuracy: number }> {
  const net = resolveNet(loadGraph(specFile));
  const full = loadNetData(net, specFile, {});
  const data = { train: sliceDataset(full.train, limit), test: sliceDataset(full.test, Math.max(1, Math.round(limit / 6))) };
  const { result } = await train(net, initParams(net, makeRng(0)), data, { algo: 'ep', epochs: 1, seed: 0, kernels });
  const seconds = result.epochSeconds[0];
  return { seconds, perFullEpoch: (seconds * 60000) / data.train.count, accuracy: result.finalTestAccuracy };
}

async function main(): Promise<void> {
  const specs = arg('specs', 'examples/mnist-2hl.json,examples/mnist-3hl.json').split(',');
  const limit = Number(arg('train-limit', '60000'));
  const refLimit = Number(arg('reference-limit', '1000'));
  const fast = selectKernels('auto');
  console.log(JSON.stringify(machineInfo(fast)));
  console.log('spec                fast s/epoch   reference s/epoch (extrapolated)   speed-up   vs peer 21 s (2HL)');
  for (const spec of specs) {
    const f = await epochSeconds(spec, fast, limit);
    const r = await epochSeconds(spec, referenceKernels, refLimit);
    const peer = spec.includes('2hl') ? `${(PEER_2HL_SECONDS / f.perFullEpoch).toFixed(2)}× faster` : '—';
    console.log(
      `${spec.padEnd(28)} ${f.perFullEpoch.toFixed(1).padStart(6)}   ${r.perFullEpoch.toFixed(0).padStart(10)}   ${(r.perFullEpoch / f.perFullEpoch).toFixed(0).padStart(12)}×   ${peer}`,
    );
  }
  console.log(`peak resident memory: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
