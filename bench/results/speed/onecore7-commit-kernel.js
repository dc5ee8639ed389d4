// pulsedCommit alone: one 784 × 512 reram-like tile (differential pair, soft bounds, cycle-to-cycle noise,
// stochastic rounding, cap 15), the weights moved by up to ±16 steps (≈ 28 % of cells unwritten, as 2HL-512's
// row-programmed commits: 72 % written, ≈ 5.8 pulses each). The same inputs every call (restored outside the
// timing); CPU ms per call, min and median of R calls, for each addon given, interleaved. ONE=1: every written
// cell takes one pulse (the per-cell part of the cost); ZERO=1: no cell written (the scan alone).
// Usage (repository root): FRE_CHIP_THREADS=1 node bench/results/speed/onecore7-commit-kernel.js <addon.node> [<addon.node> …]
const addons = process.argv.slice(2).map((p) => require(require('path').resolve(p)));
const R = Number(process.env.R || 15);
const n = 784 * 512;
let s = 12345;
const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
const eps = 0.01;
const W0 = new Float32Array(n), held0 = new Float32Array(n), up0 = new Float32Array(n), um0 = new Float32Array(n);
const stepUp = new Float32Array(n), stepDown = new Float32Array(n), bMax = new Float32Array(n), bMin = new Float32Array(n);
for (let i = 0; i < n; i++) {
  const u = rnd() - 0.5;
  up0[i] = Math.max(u, 0);
  um0[i] = Math.max(-u, 0);
  held0[i] = u;
  const k = process.env.ZERO ? 0 : rnd() < 0.28 ? 0 : process.env.ONE ? (rnd() < 0.5 ? -1 : 1) : Math.round((rnd() - 0.5) * 32);
  W0[i] = u + k * eps;
  stepUp[i] = 0.01 * (0.8 + 0.4 * rnd());
  stepDown[i] = 0.01 * (0.8 + 0.4 * rnd());
  bMax[i] = 1 + 0.1 * (rnd() - 0.5);
  bMin[i] = -1 + 0.1 * (rnd() - 0.5);
}
const frozen = new Uint8Array(n);
const params = new Float64Array([eps, 15, 1, 1, 0.1, 1]);
const times = addons.map(() => []);
const hashes = addons.map(() => 0);
for (let r = 0; r <= R; r++)
  addons.forEach((a, ai) => {
    const W = W0.slice(), held = held0.slice(), up = up0.slice(), um = um0.slice(), sat = new Uint8Array(n);
    const state = new Uint32Array([1, 2, 3, 4, 5, 6, 7, 8 + r]);
    const out = new Float64Array(2);
    a.setChipThreads(Number(process.env.FRE_CHIP_THREADS || 1));
    const t0 = process.cpuUsage();
    a.pulsedCommit(state, W, held, up, um, frozen, stepUp, stepDown, bMax, bMin, sat, new Float32Array(0), params, out);
    const d = process.cpuUsage(t0);
    if (r > 0) times[ai].push((d.user + d.system) / 1000);
    if (r === 1) {
      let h = 0;
      for (let i = 0; i < n; i += 97) h = (h * 31 + Math.round(up[i] * 1e7) + Math.round(um[i] * 1e7)) % 1000000007;
      hashes[ai] = `${h} pulses ${out[0]}`;
    }
  });
addons.forEach((_, ai) => {
  const t = times[ai].sort((x, y) => x - y);
  console.log(`${process.argv[2 + ai]}: CPU ms per call min ${t[0].toFixed(1)} median ${t[t.length >> 1].toFixed(1)} (${t.length} calls); check ${hashes[ai]}`);
});
