import { loadGraph } from '../graph/load';
import { resolveNet } from '../graph/net';
import { loadDataset } from '../datasets/registry';
import { sliceDataset } from '../datasets/dataset';
import { initParams } from '../simulator/engine/params';
import { train } from '../simulator/train';
import { referenceKernels } from '../simulator/kernels/reference';
import { makeRng } from '../util/rng';
const net = resolveNet(loadGraph('examples/mnist-demo.json'));
const d = loadDataset('mnist');
const data = { train: sliceDataset(d.train, 5000), test: sliceDataset(d.test, 1000) };
for (const algo of ['ep', 'bp', 'fa'] as const) {
  const { result } = train(net, initParams(net, makeRng(0)), data, { algo, epochs: 2, seed: 0, kernels: referenceKernels, onEpoch: (r) => console.log(algo, JSON.stringify(r)) });
}
