// Session 8 (branch read8): CPU per chip-executor call on 2HL-512 (the SGD spec of bench/results/updates), one batch
// of 500 MNIST samples, one chip thread and one BLAS thread: `infer` (the free phase's reads, conversions and neuron
// updates: the read path alone) and `step` (a training step: + the nudged phase and the update), on reram with
// stochastic coincidence. Prints min and median CPU ms over R calls of each (after 2 warm-up steps); INFER_ONLY=1
// times infer alone (for a profile of the read path).
// Usage (repository root; <root> holds dist/ and native/build of the tree to time):
//   OPENBLAS_NUM_THREADS=1 FRE_CHIP_THREADS=1 R=30 node bench/results/speed/read8-steps.js <root>
const root = require('path').resolve(process.argv[2] || '.');
const R = (p) => require(root + '/dist/' + p);
const { loadNetData } = R('datasets/net-data.js');
const { compile } = R('compiler/pipeline.js');
const { loadGraph } = R('graph/load.js');
const { resolveNet } = R('graph/net.js');
const { initParams } = R('graph/params.js');
const { PRESETS } = R('hw-models/presets/index.js');
const { makeInterpreter } = R('simulator/chip/run.js');
const { selectKernels } = R('simulator/kernels/select.js');
const { makeGrads } = R('simulator/train.js');
const { makeRng } = R('util/rng.js');
const spec = 'bench/results/updates/mnist-2hl-sgd.json';
const net = resolveNet(loadGraph(spec));
const data = loadNetData(net, spec, { trainLimit: 500, testLimit: 1 });
const chip = JSON.parse(JSON.stringify(PRESETS.reram));
chip.crossbar.update = { ...chip.crossbar.update, scheme: 'stochastic-coincidence' };
const netlist = compile(net, chip, initParams(net, makeRng(0)), { wMax: { kind: 'max' }, specFile: spec, producerVersion: 'bench' }).netlist;
const it = makeInterpreter(netlist, 0, selectKernels('auto'), 500);
const m = 500;
const x = data.train.images.subarray(0, m * 784);
const y = new Float32Array(m * 10);
for (let i = 0; i < m; i++) y[i * 10 + data.train.labels[i]] = 1;
const grads = makeGrads(net);
const cpu = (f) => {
  const t0 = process.cpuUsage();
  f();
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / 1000;
};
for (let w = 0; w < 2; w++) it.step(x, y, m, grads);
const reps = Number(process.env.R || 30);
const inf = [];
const stp = [];
for (let r = 0; r < reps; r++) {
  inf.push(cpu(() => it.infer(x, m)));
  if (!process.env.INFER_ONLY) stp.push(cpu(() => it.step(x, y, m, grads)));
}
const stat = (a) => {
  const s = [...a].sort((u, v) => u - v);
  return `min ${s[0].toFixed(1)} median ${s[s.length >> 1].toFixed(1)}`;
};
console.log(`${root}: infer ${stat(inf)} ms; step ${stp.length ? stat(stp) : '-'} ms (CPU, ${reps} calls each, load ${require('fs').readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`);
