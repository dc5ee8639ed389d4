// Micro-bench: pcm preset potentiate-only row-programmed commits on a 512x512 matrix, native vs TS.
// Usage (from the repository root): node bench/results/speed/onesided8-kernel.js <root> [ts]   (ts: the TypeScript loop;
// FRE_NATIVE_ADDON=<fre_blas.node> picks the addon). CPU ms of 10 commits, the hash of W, pulses, refreshes.
const root = require("path").resolve(process.argv[2] || ".");
const { DeviceMatrix } = require(root + '/dist/simulator/chip/devices.js');
const { PRESETS } = require(root + '/dist/hw-models/presets/index.js');
const { makeNoise } = require(root + '/dist/simulator/noise.js');
const { makeRng } = require(root + '/dist/util/rng.js');
const { loadNativeAddon } = require(root + '/dist/simulator/kernels/native.js');
const crypto = require('crypto');
const { Buffer } = require('buffer');
const useNative = process.argv[3] !== 'ts';
const chip = JSON.parse(JSON.stringify(PRESETS.pcm));
const rows = 512, cols = 512, n = rows * cols;
const r = makeRng(11);
const u = Float32Array.from({ length: n }, () => r.uniform() * 1.6 - 0.8);
const tile = { array: 0, core: 0, slot: 0, role: 'weight', rowBegin: 0, rowEnd: rows, colBegin: 0, colEnd: cols, tileRow: 0, tileCol: 0,
  reads: ['forward'], trainable: true, gains: {}, plus: u.map((v) => (v > 0 ? v : 0)), minus: u.map((v) => (v < 0 ? -v : 0)) };
const noise = makeNoise(makeRng(5), 'native');
const dev = new DeviceMatrix(rows, cols, 1, [tile], chip, noise, { driftSeconds: 0, pulseRounding: 'stochastic' });
dev.native = useNative ? loadNativeAddon() : null;
const eps = dev.stepWeight(chip.crossbar.update);
let t = 0;
for (let k = 0; k < 12; k++) {
  for (let i = 0; i < n; i++) dev.W[i] += (((i * 7919 + k * 131) % 97) - 48) * 0.11 * eps * (k % 2 ? -1 : 1);
  const t0 = process.cpuUsage();
  dev.commit(noise);
  const d = process.cpuUsage(t0);
  if (k >= 2) t += (d.user + d.system) / 1e3;
}
const h = crypto.createHash('sha256').update(Buffer.from(dev.W.buffer)).digest('hex').slice(0, 12);
console.log(useNative ? 'native' : 'ts', t.toFixed(0) + ' ms', h, dev.pulses, dev.refreshes);
