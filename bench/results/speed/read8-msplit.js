// Session 8 (branch read8): does OpenBLAS give C's bytes when a β = 0 sgemm is split into row blocks (a read run
// in row blocks, README "Session 8")? One BLAS thread; per shape and block size: same, or how many elements differ.
//   node bench/results/speed/read8-msplit.js   (repository root, after npx tsc -p .)
const { Buffer } = require('buffer');
const { loadNativeAddon } = require(process.cwd() + '/dist/simulator/kernels/native.js');
const a = loadNativeAddon();
a.setThreads(1);
let sd = 7;
const rnd = () => ((sd = (sd * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5);
for (const [M, N, K, tb] of [[500, 512, 512, true], [500, 512, 512, false], [500, 512, 784, true], [500, 10, 512, true], [500, 512, 10, false]]) {
  const A = Float32Array.from({ length: M * K }, rnd);
  const B = Float32Array.from({ length: N * K }, rnd);
  const C = new Float32Array(M * N);
  a.sgemm(false, tb, M, N, K, 1 / 3, A, K, B, tb ? K : N, 0, C, N);
  for (const rows of [16, 32, 64, 100]) {
    const D = new Float32Array(M * N);
    for (let r = 0; r < M; r += rows) {
      const m = Math.min(rows, M - r);
      a.sgemm(false, tb, m, N, K, 1 / 3, A.subarray(r * K), K, B, tb ? K : N, 0, D.subarray(r * N), N);
    }
    const same = Buffer.compare(Buffer.from(C.buffer), Buffer.from(D.buffer)) === 0;
    let diff = 0; for (let i = 0; i < C.length; i++) if (C[i] !== D[i]) diff++;
    console.log(M, N, K, tb ? 'NT' : 'NN', 'rows', rows, same ? 'same' : `differ ${diff}`);
  }
}
