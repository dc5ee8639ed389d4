/**
 * One array read of the chip executor (2HL-512 on reram: 500 samples × 256 input lines × 256 sensed lines)
 * as the native calls make it, before and after session 6, interleaved: wall ms, min and median of many
 * reads, with 1 and 2 chip threads. Before: readPrep, sgemm, addNormalVar, adcConvertScaled, adcAccumulate.
 * After: readPrep, normalVarBegin (the noise on a worker), sgemm, adcConvertAccumulate. The minimum shows
 * what a free second core gives on a shared machine.
 *   OPENBLAS_NUM_THREADS=1 node dist/bench/read-kernel.js [--reps 200]
 */
import { loadNativeAddon } from '../simulator/kernels/native';
import { makeNoise } from '../simulator/noise';
import { makeRng } from '../util/rng';
import { arg } from './args';

function main(): void {
  const a = loadNativeAddon();
  if (!a?.normalVarBegin || !a.adcConvertAccumulate || !a.readPrep || !a.adcConvertScaled || !a.setChipThreads) {
    throw new Error('read-kernel: the native addon lacks the read kernels (rebuild it: bash scripts/setup.sh)');
  }
  const reps = Number(arg('reps', '200'));
  const m = 500;
  const k = 256;
  const lines = 256;
  const r = makeRng(1);
  const x = Float32Array.from({ length: m * 512 }, () => Math.tanh(r.normal()));
  const W = Float32Array.from({ length: 512 * 512 }, () => r.normal() * 0.05);
  const xq = new Float32Array(m * k);
  const scales = new Float32Array(m);
  const norms = new Float32Array(m);
  const part = new Float32Array(m * lines);
  const nz = new Float32Array(m * lines);
  const h = new Float32Array(m * 512);
  const noise = makeNoise(makeRng(2), 'native');
  const step = 2 / 255;
  const prep = () => a.readPrep!(x, m, 512, 0, k, true, 1, -1, 1, step, 1e-4, xq, scales, norms);
  const gemm = () => a.sgemm(false, true, m, lines, k, 1, xq, k, W, 512, 0, part, lines);
  const before = () => {
    prep();
    gemm();
    a.addNormalVar(noise.nativeState!, part, m, lines, norms, new Float32Array(0), 0.0036);
    a.adcConvertScaled!(part, m, lines, 12, 24 / 255, scales, 1);
    a.adcAccumulate(part, m, lines, h, 0, 512, 1, 0, 0);
  };
  const after = () => {
    prep();
    const started = a.normalVarBegin!(noise.nativeState!, nz, m, lines, norms, new Float32Array(0), 0.0036);
    gemm();
    if (!started) a.addNormalVar(noise.nativeState!, part, m, lines, norms, new Float32Array(0), 0.0036);
    a.adcConvertAccumulate!(part, m, lines, 12, 24 / 255, scales, 1, h, 0, 512, 1, started ? nz : new Float32Array(0));
  };
  const time = (f: () => void) => {
    const t = process.hrtime.bigint();
    f();
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  for (const threads of [1, 2]) {
    const prev = a.setChipThreads(threads);
    const tb: number[] = [];
    const ta: number[] = [];
    for (let i = 0; i < 20; i++) {
      before();
      after();
    }
    for (let i = 0; i < reps; i++) {
      tb.push(time(before));
      ta.push(time(after));
    }
    a.setChipThreads(prev);
    const stat = (t: number[]) => {
      const s = [...t].sort((p, q) => p - q);
      return `min ${s[0].toFixed(3)} / median ${s[s.length >> 1].toFixed(3)} ms`;
    };
    console.log(`${threads} chip thread(s): before ${stat(tb)}; after ${stat(ta)} (one read, ${reps} interleaved)`);
  }
  const g: number[] = [];
  for (let i = 0; i < reps; i++) g.push(time(gemm));
  g.sort((p, q) => p - q);
  console.log(`the GEMM alone: min ${g[0].toFixed(3)} / median ${g[g.length >> 1].toFixed(3)} ms`);
}

main();
