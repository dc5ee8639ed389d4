// Session 8 (branch read8): the chip periphery's element loops on a 500 × 512 block (2HL-512's batch × layer),
// per addon, interleaved; prints the min CPU ms of 20 rounds of 10 calls, and whether the addons' outputs are
// byte-identical.
//   FRE_CHIP_THREADS=1 node bench/results/speed/read8-loops.js <old fre_blas.node> <new fre_blas.node>
const { Buffer } = require('buffer');
const addons = process.argv.slice(2).map((p) => require(p));
const n = 500 * 512, rows = 500, lines = 512, step = 2 / 255;
let sd = 12345;
const rnd = () => ((sd = (sd * 1103515245 + 12345) % 2147483648) / 2147483648);
const h0 = Float32Array.from({ length: n }, () => (rnd() - 0.5) * 4);
const x = Float32Array.from({ length: n }, () => -1 + Math.round((Math.tanh(3 * (rnd() - 0.5)) + 1) / step) * step);
const sc = Float32Array.from({ length: rows }, () => 0.5 + rnd());
const tests = {
  activate: (a, o) => a.activate(0, h0, o.s, n),
  neuronUpdate: (a, o) => { o.h.set(h0); a.neuronUpdate(0, o.h, o.s, n, new Float32Array(0), -1, 1, step, true); },
  readPrep: (a, o) => a.readPrep(x, rows, lines, 0, lines, true, 1, -1, 1, step, 0.01, o.xs, o.sc, o.nm),
  convAcc: (a, o) => a.adcConvertAccumulate(h0, rows, lines, 1.5, 3 / 255, sc, 1.1, o.out, 0, lines, 0.9),
};
const outs = addons.map(() => ({ s: new Float32Array(n), h: new Float32Array(n), xs: new Float32Array(n), sc: new Float32Array(rows), nm: new Float32Array(rows), out: new Float32Array(n) }));
for (const [name, f] of Object.entries(tests)) {
  const best = addons.map(() => Infinity);
  for (let rep = 0; rep < 20; rep++)
    addons.forEach((a, k) => {
      const t0 = process.cpuUsage();
      for (let j = 0; j < 10; j++) f(a, outs[k]);
      const t = process.cpuUsage(t0);
      best[k] = Math.min(best[k], (t.user + t.system) / 10 / 1000);
    });
  console.log(name.padEnd(14), best.map((b) => b.toFixed(3)).join('  '));
}
const same = (k) => outs.every((o) => Buffer.compare(Buffer.from(o[k].buffer), Buffer.from(outs[0][k].buffer)) === 0);
console.log('same bytes s, xs, nm:', same('s'), same('xs'), same('nm'));
