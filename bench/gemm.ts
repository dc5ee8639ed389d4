/**
 * sgemm throughput of the kernel backends on the EP engine's hot shapes, with numpy's sgemm on the
 * same shapes measured in the same run (when python3 + numpy are present) for an outside yardstick.
 *
 *   npx tsc && node dist/bench/gemm.js [--seconds=1] [--json]
 *
 * GFLOP/s = 2·M·N·K / median time per call. Each backend is warmed up once, then timed until it has
 * run for --seconds (at least 3 calls; the reference at least 2). Operands are seeded (util/rng).
 */
import { spawnSync } from 'node:child_process';
import type { Kernels, Trans } from '../simulator/kernels/kernels';
import { loadNativeAddon, loadNativeKernels, nativeInfo, nativeUnavailableReason, setNativeThreads } from '../simulator/kernels/native';
import { referenceKernels } from '../simulator/kernels/reference';
import { makeRng, type Rng } from '../util/rng';

interface Shape {
  label: string;
  role: string;
  ta: Trans;
  tb: Trans;
  M: number;
  N: number;
  K: number;
}

const SHAPES: Shape[] = [
  { label: 'NT 500×512×784', role: 'x·Wᵀ, input layer', ta: 'N', tb: 'T', M: 500, N: 512, K: 784 },
  { label: 'NT 500×512×512', role: 'h·Wᵀ, hidden layer', ta: 'N', tb: 'T', M: 500, N: 512, K: 512 },
  { label: 'NN 500×512×512', role: 'h·W', ta: 'N', tb: 'N', M: 500, N: 512, K: 512 },
  { label: 'TN 512×784 K=500', role: 'ΔW = δᵀ·x', ta: 'T', tb: 'N', M: 512, N: 784, K: 500 },
];

const flops = (s: Shape): number => 2 * s.M * s.N * s.K;

interface Operands {
  A: Float32Array;
  lda: number;
  B: Float32Array;
  ldb: number;
  C: Float32Array;
}

function operands(s: Shape, rng: Rng): Operands {
  const fill = (n: number): Float32Array => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = 2 * rng.uniform() - 1;
    return a;
  };
  return {
    A: fill(s.M * s.K),
    lda: s.ta === 'N' ? s.K : s.M,
    B: fill(s.K * s.N),
    ldb: s.tb === 'N' ? s.N : s.K,
    C: new Float32Array(s.M * s.N),
  };
}

/** Median seconds per call after one warm-up call. */
function time(fn: () => void, seconds: number, minReps: number): number {
  fn();
  const times: number[] = [];
  const start = process.hrtime.bigint();
  for (;;) {
    const t0 = process.hrtime.bigint();
    fn();
    const t1 = process.hrtime.bigint();
    times.push(Number(t1 - t0) / 1e9);
    if (times.length >= minReps && Number(t1 - start) / 1e9 >= seconds) break;
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function gflops(k: Kernels, s: Shape, ops: Operands, seconds: number, minReps: number): number {
  const t = time(() => k.gemm(s.ta, s.tb, s.M, s.N, s.K, 1, ops.A, ops.lda, ops.B, ops.ldb, 0, ops.C, s.N), seconds, minReps);
  return flops(s) / t / 1e9;
}

// numpy: the same shapes and layouts (op(A) = A or a transposed view, no copies), np.dot into a
// preallocated C, which numpy hands to its own cblas_sgemm.
const NUMPY_SCRIPT = String.raw`
import json, sys, time
try:
    import numpy as np
except Exception as e:
    print(json.dumps({"error": "numpy not importable: %s" % e})); sys.exit(0)
shapes, seconds = json.loads(sys.argv[1]), float(sys.argv[2])
rng = np.random.default_rng(1234)
info = "numpy " + np.__version__
try:
    blas = np.__config__.CONFIG["Build Dependencies"]["blas"]
    info += ", %s %s" % (blas.get("name", "?"), blas.get("version", "?"))
except Exception:
    pass
try:
    from threadpoolctl import threadpool_info
    info += ", %s threads" % ",".join(str(p["num_threads"]) for p in threadpool_info() if p.get("user_api") == "blas")
except Exception:
    pass
out = []
for s in shapes:
    M, N, K = s["M"], s["N"], s["K"]
    A = rng.uniform(-1, 1, (M, K) if s["ta"] == "N" else (K, M)).astype(np.float32)
    B = rng.uniform(-1, 1, (K, N) if s["tb"] == "N" else (N, K)).astype(np.float32)
    opA = A if s["ta"] == "N" else A.T
    opB = B if s["tb"] == "N" else B.T
    C = np.empty((M, N), dtype=np.float32)
    np.dot(opA, opB, out=C)
    times = []
    start = time.perf_counter()
    while True:
        t0 = time.perf_counter(); np.dot(opA, opB, out=C); t1 = time.perf_counter()
        times.append(t1 - t0)
        if len(times) >= 3 and t1 - start >= seconds:
            break
    times.sort()
    out.append(2.0 * M * N * K / times[len(times) // 2] / 1e9)
print(json.dumps({"info": info, "gflops": out}))
`;

interface NumpyResult {
  info: string;
  gflops: number[];
}

function numpyGflops(seconds: number): NumpyResult | string {
  const r = spawnSync('python3', ['-c', NUMPY_SCRIPT, JSON.stringify(SHAPES), String(seconds)], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (r.error) return `python3 not runnable (${r.error.message})`;
  if (r.status !== 0) return `python3 exited ${r.status}: ${(r.stderr || '').trim().split('\n').pop()}`;
  try {
    const j = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as Partial<NumpyResult> & { error?: string };
    if (j.error) return j.error;
    if (!j.info || !Array.isArray(j.gflops)) return 'unexpected output from python3';
    return { info: j.info, gflops: j.gflops };
  } catch {
    return `unparsable output from python3: ${r.stdout.slice(0, 200)}`;
  }
}

function fmt(x: number | null, digits = 1): string {
  return x === null || !Number.isFinite(x) ? '—' : x.toFixed(digits);
}

function main(): void {
  const args = process.argv.slice(2);
  const secArg = args.find((a) => a.startsWith('--seconds='));
  const seconds = secArg ? Number(secArg.slice('--seconds='.length)) : 1;
  const asJson = args.includes('--json');
  if (!(seconds > 0)) throw new Error(`bad --seconds: ${secArg}`);

  const native = loadNativeKernels();
  const addon = loadNativeAddon();
  // numpy first, while our OpenBLAS's worker threads are idle, so the two never share the cores.
  const np = numpyGflops(seconds);

  const rng = makeRng('bench/gemm');
  const rows = SHAPES.map((s) => {
    const ops = operands(s, rng.fork(s.label));
    const ref = gflops(referenceKernels, s, ops, seconds, 2);
    let nat: number | null = null;
    let nat1: number | null = null;
    if (native !== null && addon !== null) {
      nat = gflops(native, s, ops, seconds, 3);
      const threads = addon.getThreads();
      if (threads > 1 && setNativeThreads(1)) {
        nat1 = gflops(native, s, ops, seconds, 3);
        setNativeThreads(threads);
      }
    }
    return { shape: s.label, role: s.role, M: s.M, N: s.N, K: s.K, reference: ref, native: nat, native1: nat1 };
  });
  const numpy = typeof np === 'string' ? null : np.gflops;

  if (asJson) {
    console.log(
      JSON.stringify(
        {
          native: native ? nativeInfo() : `unavailable: ${nativeUnavailableReason()}`,
          numpy: typeof np === 'string' ? `unavailable: ${np}` : np.info,
          rows: rows.map((r, i) => ({ ...r, numpy: numpy ? numpy[i] : null })),
        },
        null,
        2,
      ),
    );
    return;
  }

  console.log(`sgemm GFLOP/s (2·M·N·K / median call time, ${seconds}s per backend per shape)`);
  console.log(`  reference: ${referenceKernels.name} (TypeScript, float64 accumulation)`);
  console.log(`  native:    ${native ? `${native.name} — ${nativeInfo()}` : `unavailable — ${nativeUnavailableReason()}`}`);
  console.log(`  numpy:     ${typeof np === 'string' ? `unavailable — ${np}` : np.info}`);
  console.log('');
  const header = ['shape', 'reference', 'native', 'native 1thr', 'native/ref', 'numpy', 'native/numpy'];
  const table = rows.map((r, i) => [
    r.shape,
    fmt(r.reference, 2),
    fmt(r.native),
    fmt(r.native1),
    r.native === null ? '—' : `${(r.native / r.reference).toFixed(0)}×`,
    fmt(numpy ? numpy[i] : null),
    r.native === null || !numpy ? '—' : (r.native / numpy[i]).toFixed(2),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...table.map((row) => row[c].length)));
  const line = (cells: string[]): string => cells.map((x, c) => (c === 0 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of table) console.log(line(row));
}

main();
