// Session 9 (branch chip9): wall ms of a reram (or other preset) 2HL-512 epoch's training steps, commits (the
// interpreter's, which runs the queued native commits; DeviceMatrix.commit and commitPulsed queue them) and test pass,
// by wrapping methods. From the repository root; <root> holds dist/ and native/build of the tree to time:
//   OPENBLAS_NUM_THREADS=1 FRE_CHIP_THREADS=2 node bench/results/speed/session9-chip9-phases.js <root> [preset]
const root = require('path').resolve(process.argv[2] || '.');
const R = (p) => require(root + '/dist/' + p);
const { NetlistInterpreter } = R('simulator/chip/interpreter.js');
const { DeviceMatrix } = R('simulator/chip/devices.js');
const T = {};
const now = () => Number(process.hrtime.bigint()) / 1e6;
const wrap = (proto, name, key) => {
  const f = proto[name];
  if (typeof f !== 'function') { console.log('no', name); return; }
  proto[name] = function (...a) {
    const t = now();
    try { return f.apply(this, a); } finally { T[key] = (T[key] || 0) + now() - t; }
  };
};
wrap(DeviceMatrix.prototype, 'commit', 'commit');
wrap(DeviceMatrix.prototype, 'commitPulsed', 'commitPulsed');
wrap(DeviceMatrix.prototype, 'squaredUnits', 'squaredUnits');
wrap(NetlistInterpreter.prototype, 'step', 'step');
wrap(NetlistInterpreter.prototype, 'commit', 'it.commit');
wrap(NetlistInterpreter.prototype, 'infer', 'infer');
const { loadNetData } = R('datasets/net-data.js');
const { compile } = R('compiler/pipeline.js');
const { loadGraph } = R('graph/load.js');
const { resolveNet } = R('graph/net.js');
const { initParams } = R('graph/params.js');
const { PRESETS } = R('hw-models/presets/index.js');
const { runOnChip } = R('simulator/chip/run.js');
const { selectKernels } = R('simulator/kernels/select.js');
const { makeRng } = R('util/rng.js');
const spec = 'examples/mnist-2hl.json';
const net = resolveNet(loadGraph(spec));
const data = loadNetData(net, spec, { trainLimit: 10000, testLimit: 1667 });
const p0 = initParams(net, makeRng(0));
(async () => {
  const preset = process.argv[3] || 'reram';
  const netlist = compile(net, PRESETS[preset], p0, { wMax: { kind: 'max' }, specFile: spec, producerVersion: 'bench' }).netlist;
  const t = now(); const c0 = process.cpuUsage();
  const r = await runOnChip(netlist, data, { mode: 'train', epochs: 1, seed: 0, kernels: selectKernels('auto') });
  const c = process.cpuUsage(c0);
  console.log(`${preset}: runOnChip ${(now() - t).toFixed(0)} ms wall, ${((c.user + c.system) / 1e3).toFixed(0)} ms CPU; epoch ${(r.epochs[0].seconds * 1000).toFixed(0)} ms`);
  for (const [k, v] of Object.entries(T)) console.log(`  ${k.padEnd(20)} ${v.toFixed(0)}`);
})();
