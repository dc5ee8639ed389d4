// The coincidence kernel as the in-situ epoch calls it (session 8, branch pack8): 2HL-512's three matrices (512 × 784,
// 512 × 512, 10 × 512) in 256 × 256 tiles, one call per tile per batch of 500 samples in turn, and between batches a
// sweep over 64 MB (what the batch's reads and the other buffers do to the caches). CPU ms of the calls per batch
// (min and median over the batches), kept packed cells (FRE_KEEP_PACKED=1) or packed per call (default); SWEEP_MB
// sets the sweep (0: none).
//   OPENBLAS_NUM_THREADS=1 FRE_CHIP_THREADS=1 [FRE_NATIVE_ADDON=…] [FRE_KEEP_PACKED=1] node bench/results/speed/pack8-kernel.js [batches]
const root = process.env.ROOT || process.cwd();
const R = (p) => require(root + '/dist/' + p);
const { PRESETS } = R('hw-models/presets/index.js');
const { DeviceMatrix } = R('simulator/chip/devices.js');
const { loadNativeAddon } = R('simulator/kernels/native.js');
const { makeNoise } = R('simulator/noise.js');
const { makeRng } = R('util/rng.js');
const native = loadNativeAddon();
const chip = JSON.parse(JSON.stringify(PRESETS.reram));
chip.crossbar.update = { ...chip.crossbar.update, scheme: 'stochastic-coincidence' };
const batches = Number(process.argv[2] || 12);
const n = 500;
const r = makeRng(11);
const noise = makeNoise(makeRng(3), 'native');
const mats = [
  [512, 784],
  [512, 512],
  [10, 512],
].map(([rows, cols]) => {
  const u = Float32Array.from({ length: rows * cols }, () => r.uniform() * 1.6 - 0.8);
  const tiles = [];
  for (let r0 = 0; r0 < rows; r0 += 256)
    for (let c0 = 0; c0 < cols; c0 += 256) {
      const r1 = Math.min(rows, r0 + 256);
      const c1 = Math.min(cols, c0 + 256);
      const plus = new Float32Array((r1 - r0) * (c1 - c0));
      const minus = new Float32Array(plus.length);
      for (let i = r0; i < r1; i++)
        for (let j = c0; j < c1; j++) {
          const v = u[i * cols + j];
          plus[(i - r0) * (c1 - c0) + j - c0] = v > 0 ? v : 0;
          minus[(i - r0) * (c1 - c0) + j - c0] = v < 0 ? -v : 0;
        }
      tiles.push({ array: 0, core: 0, slot: 0, role: 'weight', rowBegin: r0, rowEnd: r1, colBegin: c0, colEnd: c1, tileRow: 0, tileCol: 0, reads: ['forward'], trainable: true, gains: {}, plus, minus });
    }
  const dev = new DeviceMatrix(rows, cols, 1, tiles, chip, noise, { driftSeconds: 0, pulseRounding: 'deterministic' });
  dev.native = native;
  // δ small (a tenth of the rows 5× larger), x: half the inputs 0 (MNIST's blank pixels), the rest U(0, 1).
  const post = Float32Array.from({ length: n * rows }, () => (r.uniform() - 0.5) * 0.02 * (r.uniform() < 0.1 ? 5 : 1));
  const pre = Float32Array.from({ length: n * cols }, () => (r.uniform() < 0.5 ? 0 : r.uniform()));
  return { dev, rows, cols, tiles, post, pre };
});
const sweep = new Float64Array(Number(process.env.SWEEP_MB ?? 64) << 17);
const ms = [];
for (let b = 0; b < batches; b++) {
  for (let i = 0; i < sweep.length; i += 8) sweep[i] += 1;
  const c0 = process.cpuUsage();
  for (const m of mats)
    for (const t of m.tiles)
      m.dev.coincide(t.rowBegin, t.rowEnd - t.rowBegin, t.colBegin, t.colEnd - t.colBegin, m.post.subarray(t.rowBegin), m.rows, m.pre.subarray(t.colBegin), m.cols, n, 0.02, noise);
  const c = process.cpuUsage(c0);
  ms.push((c.user + c.system) / 1000);
}
const s = ms.slice(1).sort((a, b) => a - b);
console.log(`keep ${DeviceMatrix.keepPacked} addon ${process.env.FRE_NATIVE_ADDON ?? 'default'}: CPU ms per batch min ${s[0].toFixed(1)} median ${s[s.length >> 1].toFixed(1)} (pulses ${mats.reduce((a, m) => a + m.dev.pulses, 0)})`);
