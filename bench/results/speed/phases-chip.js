// Where the chip executor's epoch goes: wall ms per phase kind and per op kind (and the queued reads, the
// commit) of one reram epoch of 2HL-512 (10 000 + 1 667 samples), by wrapping the interpreter's methods.
// From the repository root; <root> holds dist/ and native/build of the tree to profile:
//   OPENBLAS_NUM_THREADS=1 FRE_CHIP_THREADS=2 node bench/results/speed/phases-chip.js <root> [preset]
const root = require('path').resolve(process.argv[2] || '.');
const R = (p) => require(root + '/dist/' + p);
const { NetlistInterpreter } = R('simulator/chip/interpreter.js');
const { ChipArrays } = R('simulator/chip/chip-arrays.js');
const { DeviceMatrix } = R('simulator/chip/devices.js');
const T = {};
const now = () => Number(process.hrtime.bigint()) / 1e6;
const wrap = (proto, name, key) => {
  const f = proto[name];
  if (typeof f !== 'function') return; // not in this tree
  proto[name] = function (...a) {
    const t = now();
    try {
      return f.apply(this, a);
    } finally {
      const k = typeof key === 'function' ? key(a) : key;
      T[k] = (T[k] || 0) + now() - t;
    }
  };
};
wrap(NetlistInterpreter.prototype, 'runPhase', (a) => 'phase ' + a[0].phase.kind.replace('PHASE_KIND_', ''));
wrap(NetlistInterpreter.prototype, 'step', 'step (all phases)');
wrap(NetlistInterpreter.prototype, 'infer', 'infer (test pass)');
wrap(NetlistInterpreter.prototype, 'exec', (a) => 'op ' + a[0].type);
wrap(NetlistInterpreter.prototype, 'runReads', 'op runs of reads (runReads)');
wrap(ChipArrays.prototype, 'queueRead', '  queueRead (input prep)');
wrap(ChipArrays.prototype, 'runReads', '  native readBatch');
wrap(NetlistInterpreter.prototype, 'accumulate', '  accumulate (in runs and alone)');
wrap(DeviceMatrix.prototype, 'commit', 'commit (devices)');
wrap(DeviceMatrix.prototype, 'commitPulsed', '  commitPulsed (queued in chip9)');
wrap(DeviceMatrix.prototype, 'squaredUnits', '  squaredUnits');
wrap(NetlistInterpreter.prototype, 'commit', 'commit (interpreter: runs the queued commits)');
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
  const t = now();
  const c0 = process.cpuUsage();
  const r = await runOnChip(netlist, data, { mode: 'train', epochs: 1, seed: 0, kernels: selectKernels('auto') });
  const c = process.cpuUsage(c0);
  console.log(`${preset}: runOnChip ${(now() - t).toFixed(0)} ms wall, ${((c.user + c.system) / 1e3).toFixed(0)} ms CPU; epoch ${(r.epochs[0].seconds * 1000).toFixed(0)} ms`);
  for (const [k, v] of Object.entries(T).sort((a, b) => (a[0] < b[0] ? -1 : 1))) if (v >= 1) console.log(`  ${k.padEnd(34)} ${v.toFixed(0)}`);
})();
