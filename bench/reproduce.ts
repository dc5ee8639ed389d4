/**
 * The paper's Table-1 reproduction (issue 3): full MNIST, the example specs' settings, EP and BP,
 * one or more seeds. Each finished run is written at once to bench/results/<spec>-<algo>-seed<S>.json
 * (spec, seed, per-epoch accuracy and seconds, machine), so a long sweep loses nothing if stopped.
 *
 *   node dist/bench/reproduce.js examples/mnist-2hl.json --algo ep --seeds 0,1,2 [--epochs 50]
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadNetData } from '../datasets/net-data';
import { loadGraph } from '../graph/load';
import { resolveNet } from '../graph/net';
import { initParams } from '../graph/params';
import { selectKernels } from '../simulator/kernels/select';
import { train, type Algorithm, type EpochResult } from '../simulator/train';
import { makeRng } from '../util/rng';
import { machineInfo } from './machine';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const specFile = args[0];
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  if (!specFile) throw new Error('usage: reproduce.js SPEC.json [--algo ep|bp|fa] [--seeds 0,1,2] [--epochs N] [--out DIR]');
  const algo = (opt('algo') ?? 'ep') as Algorithm;
  const seeds = (opt('seeds') ?? '0').split(',').map(Number);
  const outDir = opt('out') ?? join(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const spec = loadGraph(specFile);
  const net = resolveNet(spec);
  const epochs = Number(opt('epochs') ?? spec.training.epochs);
  const kernels = selectKernels('auto');
  const data = loadNetData(net, specFile, {});
  for (const seed of seeds) {
    const started = new Date().toISOString();
    const file = join(outDir, `${basename(specFile, '.json')}-${algo}-seed${seed}.json`);
    const done: EpochResult[] = [];
    // Rewritten after every epoch (atomically), so a run stopped early still leaves its curve.
    const save = (finished: boolean): void => {
      const accs = done.map((e) => e.testAccuracy);
      const tmp = `${file}.tmp`;
      writeFileSync(tmp, JSON.stringify({
        spec, specFile, algo, seed, started, ...(finished ? { finished: new Date().toISOString() } : { partial: true, epochsPlanned: epochs }),
        machine: machineInfo(kernels),
        bestTestAccuracy: accs.length ? Math.max(...accs) : 0, finalTestAccuracy: accs.length ? accs[accs.length - 1] : 0,
        epochs: done,
      }, null, 1) + '\n');
      renameSync(tmp, file);
    };
    const { result } = await train(net, initParams(net, makeRng(seed)), data, {
      algo, epochs, seed, kernels,
      onEpoch: (r) => {
        done.push(r);
        save(false);
        process.stderr.write(`${spec.name} ${algo} seed ${seed} epoch ${r.epoch}: test ${(100 * r.testAccuracy).toFixed(2)}% (${r.seconds.toFixed(1)} s)\n`);
      },
    });
    save(true);
    process.stderr.write(`wrote ${file}: best ${(100 * result.bestTestAccuracy).toFixed(2)}%\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
