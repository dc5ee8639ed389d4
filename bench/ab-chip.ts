/**
 * A/B of two builds of the chip executor in one process (same data, same machine state, alternated):
 * CPU seconds (all threads) of one in-situ training epoch per chip, each build's own dist/ and addon.
 *   node dist/bench/ab-chip.js --before /path/to/other/tree --spec bench/results/updates/mnist-2hl-sgd.json \
 *     --chips bench/results/updates/reram-row-programmed.json,reram,pcm --train-limit 5000 --reps 3
 * A chip is a preset name or a chip file. The other tree must be built (npx tsc -p .) with its addon.
 */
import * as path from 'node:path';
import { arg } from './args';

interface Build {
  name: string;
  loadNetData: typeof import('../datasets/net-data').loadNetData;
  compile: typeof import('../compiler/pipeline').compile;
  loadGraph: typeof import('../graph/load').loadGraph;
  resolveNet: typeof import('../graph/net').resolveNet;
  loadChip: typeof import('../hw-models/load').loadChip;
  runOnChip: typeof import('../simulator/chip/run').runOnChip;
  initParams: typeof import('../graph/params').initParams;
  selectKernels: typeof import('../simulator/kernels/select').selectKernels;
  makeRng: typeof import('../util/rng').makeRng;
}

function build(name: string, dist: string): Build {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const r = (m: string) => require(path.join(dist, m));
  return {
    name,
    loadNetData: r('datasets/net-data').loadNetData,
    compile: r('compiler/pipeline').compile,
    loadGraph: r('graph/load').loadGraph,
    resolveNet: r('graph/net').resolveNet,
    loadChip: r('hw-models/load').loadChip,
    runOnChip: r('simulator/chip/run').runOnChip,
    initParams: r('graph/params').initParams,
    selectKernels: r('simulator/kernels/select').selectKernels,
    makeRng: r('util/rng').makeRng,
  };
}

async function main(): Promise<void> {
  const before = path.resolve(arg('before', ''));
  const specFile = arg('spec', 'bench/results/updates/mnist-2hl-sgd.json');
  const chips = arg('chips', 'bench/results/updates/reram-row-programmed.json').split(',');
  const limit = Number(arg('train-limit', '5000'));
  const reps = Number(arg('reps', '3'));
  const builds = [build('before', path.join(before, 'dist')), build('after', path.resolve(__dirname, '..'))];
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  for (let rep = 0; rep < reps; rep++) {
    for (const chipArg of chips) {
      const line: string[] = [];
      for (const b of builds) {
        const net = b.resolveNet(b.loadGraph(specFile));
        const data = b.loadNetData(net, specFile, { trainLimit: limit, testLimit: 1 });
        const p0 = b.initParams(net, b.makeRng(0));
        const chip = b.loadChip(chipArg);
        const netlist = b.compile(net, chip, p0, { wMax: { kind: 'max' }, specFile, producerVersion: 'bench' }).netlist;
        const c0 = cpu();
        const r = await b.runOnChip(netlist, data, { mode: 'train', epochs: 1, seed: 0, kernels: b.selectKernels('auto') });
        line.push(`${b.name} ${(cpu() - c0).toFixed(2)} s CPU (epoch ${r.epochs[0].seconds.toFixed(2)} s wall, acc ${r.testAccuracy})`);
      }
      console.log(`rep ${rep + 1} ${path.basename(chipArg)}: ${line.join(' | ')}`);
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
