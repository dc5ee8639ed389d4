/**
 * The chip executor's training steps alone (no data loading, compiling or programming inside the
 * markers): B batches of 2HL-512 in situ — step, the spec's optimiser step, commit() — as simulator/train.ts
 * runs them; `--chip exec` runs the ideal executor's the same way. For instruction counts under callgrind
 * (bench/callgrind-chip.sh), a load-independent measure on a shared machine. --dist runs another tree's
 * build (before/after comparisons).
 *   node dist/bench/chip-steps.js [--dist /other/tree/dist] [--chip reram|exec|file.json] [--batches 2] [--callgrind-markers]
 */
import * as path from 'node:path';
import { arg } from './args';

async function main(): Promise<void> {
  const dist = path.resolve(arg('dist', path.resolve(__dirname, '..')));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const r = (m: string) => require(path.join(dist, m));
  const specFile = arg('spec', 'examples/mnist-2hl.json');
  const chipArg = arg('chip', 'reram');
  const batches = Number(arg('batches', '2'));
  const markers = process.argv.includes('--callgrind-markers');
  const net = r('graph/net').resolveNet(r('graph/load').loadGraph(specFile));
  const batch = 500;
  const data = r('datasets/net-data').loadNetData(net, specFile, { trainLimit: batch * batches, testLimit: 1 });
  const p0 = r('graph/params').initParams(net, r('util/rng').makeRng(0));
  const kernels = r('simulator/kernels/select').selectKernels('auto');
  const grads: (Float32Array | null)[] = r('simulator/train').makeGrads(net);
  let model: { step(x: Float32Array, y: Float32Array, m: number, g: (Float32Array | null)[]): unknown };
  let weights: Float32Array[];
  let commit = () => {};
  if (chipArg === 'exec') {
    const params = r('graph/params').cloneParams(p0);
    model = r('simulator/train').makeModel(net, params, 'ep', kernels, batch, r('util/rng').makeRng(0)).model;
    weights = [
      ...params.W.map((w: { data: Float32Array }) => w.data),
      ...net.edges.map((e: { index: number }) => params.bias[e.index] ?? new Float32Array(0)),
    ];
  } else {
    const chip = r('hw-models/load').loadChip(chipArg);
    const netlist = r('compiler/pipeline').compile(net, chip, p0, { wMax: { kind: 'max' }, specFile, producerVersion: 'bench' }).netlist;
    const it = r('simulator/chip/run').makeInterpreter(netlist, 0, kernels, batch);
    model = it;
    weights = [...it.weights(), ...it.biases().map((b: Float32Array | null) => b ?? new Float32Array(0))];
    commit = () => it.commit();
  }
  const optimizer = r('simulator/optim/optimizer').makeOptimizer(net, net.spec.training, kernels);
  const { images, labels, dim, classes } = data.train;
  const y = new Float32Array(batch * classes);
  if (markers) console.log('steps: start');
  const t0 = process.cpuUsage();
  for (let b = 0; b < batches; b++) {
    const x = images.subarray(b * batch * dim, (b + 1) * batch * dim);
    y.fill(0);
    for (let i = 0; i < batch; i++) y[i * classes + labels[b * batch + i]] = 1;
    model.step(x, y, batch, grads);
    optimizer.step(weights, grads);
    commit();
  }
  const u = process.cpuUsage(t0);
  if (markers) console.log('steps: end');
  console.log(`${chipArg}, ${batches} × ${batch} samples: ${((u.user + u.system) / 1e6).toFixed(2)} s CPU (${dist})`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
