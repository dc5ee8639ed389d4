// CPU seconds and pulses of the row-programmed commits (DeviceMatrix.commitPulsed, wrapped on the prototype with
// process.cpuUsage: with FRE_CHIP_THREADS=1 the commit's blocks run on the calling thread). Printed at exit.
// Usage (repository root): OPENBLAS_NUM_THREADS=1 FRE_CHIP_THREADS=1 node -r ./bench/results/speed/onecore7-count-commit.js dist/bench/chip-epoch.js --presets reram
const root = process.cwd();
const { DeviceMatrix } = require(root + '/dist/simulator/chip/devices.js');
const orig = DeviceMatrix.prototype.commitPulsed;
let calls = 0, pulses = 0, cells = 0, t = 0;
DeviceMatrix.prototype.commitPulsed = function (...args) { const p0 = this.pulses; const t0 = process.cpuUsage(); const r = orig.apply(this, args); const d = process.cpuUsage(t0); t += (d.user + d.system) * 1000; calls++; pulses += this.pulses - p0; cells += this.uPlus.length; return r; };
process.on('exit', () => console.error(`commitPulsed calls ${calls} cells ${cells} pulses ${pulses} ms ${(t/1e6).toFixed(0)}`));
