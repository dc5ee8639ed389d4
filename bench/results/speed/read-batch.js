// One iteration's eight array reads of 2HL-512 (500 samples, 256 × 256 tiles: four forward, four transposed,
// reram-like read noise and ADC) through the native readBatch, 1 and 2 chip threads alternating: wall and
// CPU ms per batch. From the repository root after the build:
//   OPENBLAS_NUM_THREADS=1 node bench/results/speed/read-batch.js
const a = require(require('path').resolve('dist/simulator/kernels/native.js')).loadNativeAddon();
const n = 500, L = 256, T = 8;
const x = Float32Array.from({ length: n * 512 }, (_, i) => Math.sin(i));
const W = Float32Array.from({ length: 512 * 512 }, (_, i) => Math.cos(i) * 0.1);
const parts = Array.from({ length: T }, () => new Float32Array(n * L));
const rv = Array.from({ length: T }, () => new Float32Array(n).fill(0.01));
const E = new Float32Array(0);
const bufs = [], nums = new Float64Array(16 * T);
for (let t = 0; t < T; t++) {
  bufs.push(x, W, parts[t], rv[t], E);
  const tr = t >= 4 ? 1 : 0, rb = (t & 2) ? 256 : 0, cb = (t & 1) ? 256 : 0;
  nums.set([n, 512, tr ? rb : cb, L, L, tr, rb * 512 + cb, 512, 1, 1, 0, 0.0036, 12, 0, 1, 0], 16 * t);
}
const st = new Uint32Array(8).fill(7);
const E64 = new Float64Array(0);
for (const th of [1, 2, 1, 2]) {
  a.setChipThreads(th);
  for (let i = 0; i < 5; i++) a.readBatch(st, bufs, nums, T, [], E64, 0);
  const c0 = process.cpuUsage(), w0 = process.hrtime.bigint(); const N = 40;
  for (let i = 0; i < N; i++) a.readBatch(st, bufs, nums, T, [], E64, 0);
  const w = Number(process.hrtime.bigint() - w0) / 1e6 / N, c = process.cpuUsage(c0);
  console.log(`threads ${th}: ${w.toFixed(2)} ms per batch of 8 reads (CPU ${((c.user + c.system) / 1e3 / N).toFixed(2)})`);
}
