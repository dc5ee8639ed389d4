// The coincidence kernel's output bytes, for comparing two builds of the addon (session 7, branch coinc7):
//   OPENBLAS_NUM_THREADS=1 FRE_NATIVE_ADDON=<old fre_blas.node> node bench/results/speed/coincide-bytes.js
//   OPENBLAS_NUM_THREADS=1 node bench/results/speed/coincide-bytes.js
// Run from the repository root after `npx tsc -p .`. Per case (tile shape and offset, η from short to full
// 31-slot trains, chip threads 1/2/3, SIMD on/off): sha256 of u+, u−, W and saturated after three calls of
// 200 samples on a reram matrix (stuck cells frozen), and the pulses and bound hits. Within one build the six lines of
// a case (threads × SIMD) must be equal; between two builds with the same random streams, every line. (b3d581b changed
// the coincidence streams: the commits before it print what 54e16bf prints.)
const root = process.cwd();
const R = (p) => require(root + '/dist/' + p);
const crypto = require('crypto');
const { Buffer } = require('buffer');
const { PRESETS } = R('hw-models/presets/index.js');
const { DeviceMatrix } = R('simulator/chip/devices.js');
const { loadNativeAddon } = R('simulator/kernels/native.js');
const { makeNoise } = R('simulator/noise.js');
const { makeRng } = R('util/rng.js');
const native = loadNativeAddon();
const chip = JSON.parse(JSON.stringify(PRESETS.reram));
chip.crossbar.update = { ...chip.crossbar.update, scheme: 'stochastic-coincidence' };
const cases = [
  // rows, cols, tile rows/cols inside, η
  [256, 256, 0, 256, 0, 256, 0.002],
  [256, 256, 0, 256, 0, 256, 0.02],
  [256, 256, 0, 256, 0, 256, 0.3],
  [300, 203, 37, 200, 3, 197, 0.05],
  [10, 40, 0, 10, 0, 40, 0.05],
];
for (const [rows, cols, r0, nr, c0, nc, eta] of cases)
  for (const threads of [1, 2, 3])
    for (const simd of [true, false]) {
      native.setChipThreads(threads);
      native.setChipSimd(simd);
      const r = makeRng(11);
      const u = Float32Array.from({ length: rows * cols }, () => r.uniform() * 1.8 - 0.9);
      const tile = {
        array: 0, core: 0, slot: 0, role: 'weight', rowBegin: 0, rowEnd: rows, colBegin: 0, colEnd: cols, tileRow: 0, tileCol: 0,
        reads: ['forward'], trainable: true, gains: {}, plus: u.map((v) => (v > 0 ? v : 0)), minus: u.map((v) => (v < 0 ? -v : 0)),
      };
      const noise = makeNoise(makeRng(3), 'native');
      const dev = new DeviceMatrix(rows, cols, 1, [tile], chip, noise, { driftSeconds: 0, pulseRounding: 'deterministic' });
      dev.native = native;
      const n = 200;
      const post = Float32Array.from({ length: n * nr }, () => (r.uniform() - 0.5) * 0.02 * (r.uniform() < 0.1 ? 5 : 1));
      const pre = Float32Array.from({ length: n * nc }, () => (r.uniform() < 0.5 ? 0 : r.uniform() * (r.uniform() < 0.2 ? -1 : 1)));
      for (let k = 0; k < 3; k++) dev.coincide(r0, nr, c0, nc, post, nr, pre, nc, n, eta, noise);
      const h = crypto.createHash('sha256');
      for (const a of [dev.uPlus, dev.uMinus, dev.W, dev.saturated]) h.update(Buffer.from(a.buffer, a.byteOffset, a.byteLength));
      console.log(`${rows}x${cols} tile ${r0}+${nr} ${c0}+${nc} eta ${eta} threads ${threads} simd ${simd}: ` +
        `pulses ${dev.pulses} boundHits ${dev.boundHits} ${h.digest('hex').slice(0, 16)}`);
    }
