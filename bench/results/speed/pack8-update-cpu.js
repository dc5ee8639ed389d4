// CPU milliseconds of the chip's update side in one epoch (session 8, branch pack8): DeviceMatrix.coincide (the
// native kernel and its JS wrapper), DeviceMatrix.commit, the interpreter's outer() minus coincide (its per-tile
// gradient clear), the optimiser's step on the chip's slots, and periphery formDelta; wrapped on the prototypes
// with process.cpuUsage (FRE_CHIP_THREADS=1: the kernels run on the calling thread). Printed at exit.
// Usage (repository root, or any tree's root as ROOT): OPENBLAS_NUM_THREADS=1 FRE_CHIP_THREADS=1 node -r
//   ./bench/results/speed/pack8-update-cpu.js dist/bench/chip-epoch.js --spec bench/results/updates/mnist-2hl-sgd.json
//   --presets reram:stochastic-coincidence --test-limit 1
const root = process.env.ROOT || process.cwd();
const t = {};
let chipStarted = false;
function wrap(proto, name, label, onlyChip) {
  const orig = proto[name];
  if (typeof orig !== 'function') return;
  proto[name] = function (...args) {
    const c0 = process.cpuUsage();
    const r = orig.apply(this, args);
    const d = process.cpuUsage(c0);
    if (!onlyChip || chipStarted) {
      const e = (t[label] ??= { calls: 0, us: 0 });
      e.calls++;
      e.us += d.user + d.system;
    }
    return r;
  };
}
const { DeviceMatrix } = require(root + '/dist/simulator/chip/devices.js');
const { NetlistInterpreter: Interpreter } = require(root + '/dist/simulator/chip/interpreter.js');
const opt = require(root + '/dist/simulator/optim/optimizer.js');
const per = require(root + '/dist/simulator/chip/periphery.js');
wrap(DeviceMatrix.prototype, 'coincide', 'coincide', false);
wrap(DeviceMatrix.prototype, 'commit', 'commit', false);
wrap(Interpreter.prototype, 'outer', 'outer (incl. coincide)', false);
wrap(Interpreter.prototype, 'commit', 'interpreter commit', false);
for (const k of ['Sgd', 'Adam']) if (opt[k]) wrap(opt[k].prototype, 'step', `${k}.step (chip run)`, true);
for (const k of Object.keys(per)) if (per[k]?.prototype?.formDelta) wrap(per[k].prototype, 'formDelta', `${k}.formDelta`, false);
const origStep = Interpreter.prototype.step;
Interpreter.prototype.step = function (...a) {
  chipStarted = true;
  return origStep.apply(this, a);
};
process.on('exit', () => {
  for (const [k, v] of Object.entries(t)) console.error(`${k}: ${v.calls} calls, ${(v.us / 1000).toFixed(0)} ms CPU`);
});
