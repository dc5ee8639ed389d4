/**
 * The fast backend: OpenBLAS's cblas_sgemm through the Node-API addon in native/ (built by
 * `bash scripts/setup.sh` into native/build/Release/fre_blas.node). Optional by design: when the
 * addon is missing or broken, loadNativeKernels() returns null, nativeUnavailableReason() says why,
 * and select.ts falls back to the reference kernels.
 *
 * The addon path is resolved from the project root, found by walking up from this file's
 * directory to the first folder holding package.json and native/binding.gyp — the same answer from
 * the TS sources (jest) and from dist/ (compiled), even if dist/ ever gets a package.json copy.
 * FRE_NATIVE_ADDON=/path/to/fre_blas.node overrides the path (tests use it to simulate absence).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Activation } from '../../graph/spec';
import type { Kernels } from './kernels';
import { checkGemmArgs } from './reference';
import { chooseOpenblasCore, chosenOpenblasCore } from './openblas-core';
import { envInt } from '../../util/env';

/** neuronUpdate's arguments (heldNeuronUpdate takes the same and the held drive). */
type NeuronUpdateArgs = [
  kind: number,
  h: Float32Array,
  s: Float32Array,
  n: number,
  pre: Float32Array,
  lo: number,
  hi: number,
  step: number,
  clear: boolean,
];

/** The devices' arrays every native update kernel takes first (the chip's stream state, then DeviceMatrix's fields). */
type DeviceArgs = [
  state: Uint32Array,
  W: Float32Array,
  held: Float32Array,
  uPlus: Float32Array,
  uMinus: Float32Array,
  frozen: Uint8Array,
  stepUp: Float32Array,
  stepDown: Float32Array,
  bMax: Float32Array,
  bMin: Float32Array,
  saturated: Uint8Array,
];

/** normalVarBegin's and normalVarDefer's arguments: addNormalVar's draws (state, rows m × cols, the per-row,
 *  per-element and constant variances) into noise. */
type NormalVarArgs = [
  state: Uint32Array,
  noise: Float32Array,
  m: number,
  cols: number,
  rowVar: Float32Array,
  elemVar: Float32Array,
  constVar: number,
];

/** The raw addon surface (native/blas.c). Validates its own arguments and throws on bad ones. */
export interface FreBlasAddon {
  sgemm(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: Float32Array,
    lda: number,
    B: Float32Array,
    ldb: number,
    beta: number,
    C: Float32Array,
    ldc: number,
  ): void;
  /** openblas_set_num_threads; false if the linked BLAS has no such function. */
  setThreads(n: number): boolean;
  /** openblas_get_num_threads, or -1 if unavailable. */
  getThreads(): number;
  /** openblas_get_config() and core name, or '' if unavailable. */
  config(): string;
  /** s[i] = ρ(h[i]); kind 0 tanh (rational approximation, ≤ 3e-7 from Math.tanh), 1 hard-sigmoid, 2 sigmoid. */
  activate(kind: number, h: Float32Array, s: Float32Array, n: number): void;
  /** out[i] += std·N(0,1) for i < n; xoshiro256** state (Uint32Array(8)) advanced in place. */
  addNormal(state: Uint32Array, out: Float32Array, n: number, std: number): void;
  /** out[r·cols + j] += sqrt(rowVar[r] + elemVar[i] + constVar)·N(0,1); empty buffers count as zero. */
  addNormalVar(
    state: Uint32Array,
    out: Float32Array,
    m: number,
    cols: number,
    rowVar: Float32Array,
    elemVar: Float32Array,
    constVar: number,
  ): void;
  /** out[i] = U[0,1) for i < n; state advanced in place. */
  fillUniform(state: Uint32Array, out: Float32Array, n: number): void;
  /** Chip periphery loops (native/periphery.c). */
  quantize(src: Float32Array, dst: Float32Array, n: number, lo: number, hi: number, step: number): void;
  adcAccumulate(
    P: Float32Array,
    m: number,
    cols: number,
    out: Float32Array,
    offset: number,
    ld: number,
    gain: number,
    fs: number,
    step: number,
  ): void;
  /** In place: clip to ±fs (fs ≤ 0: nothing) and round to the step; returns how many values clipped. */
  adcConvert(P: Float32Array, n: number, fs: number, step: number): number;
  tableActivate(h: Float32Array, s: Float32Array, n: number, table: Float32Array, lo: number, scale: number, linear: boolean): void;
  rowSumSquares(x: Float32Array, m: number, ld: number, offset: number, len: number, scale: number, out: Float32Array): void;
  /** One pass over a read's inputs (native/periphery.c; ChipArrays.read is the reference): noise
   *  management's per-row scale, the DAC (step 0: none), normK·Σ xs² per row (normK 0: skipped). Older builds lack it. */
  readPrep?(
    x: Float32Array,
    n: number,
    ldx: number,
    x0: number,
    len: number,
    absMax: boolean,
    inputScale: number,
    lo: number,
    hi: number,
    step: number,
    normK: number,
    xs: Float32Array,
    scales: Float32Array,
    norms: Float32Array,
  ): void;
  /** out[r·len + i] = x[offset + r·ld + i]² (native/periphery.c). Older builds lack it. */
  squareRows?(x: Float32Array, m: number, ld: number, offset: number, len: number, out: Float32Array): void;
  /** adcConvert, then each row times its scale (empty: 1) × gain; returns how many values clipped. */
  adcConvertScaled?(P: Float32Array, rows: number, lines: number, fs: number, step: number, scales: Float32Array, gain: number): number;
  /** adcConvertScaled's values added into out[offset + r·ld + j] as adcAccumulate adds them (× accGain),
   *  in one pass, P unchanged; returns how many values clipped. Older builds lack it. */
  adcConvertAccumulate?(
    P: Float32Array,
    rows: number,
    lines: number,
    fs: number,
    step: number,
    scales: Float32Array,
    gain: number,
    out: Float32Array,
    offset: number,
    ld: number,
    accGain: number,
    noise?: Float32Array,
  ): number;
  /** addNormalVar's draws (the same key and streams) into noise alone, started on the chip threads while
   *  the caller goes on; adcConvertAccumulate(…, noise) or normalVarSettle adds them. Returns false and draws
   *  nothing when they would not run on a worker (one chip thread, a small call). Older builds lack it. */
  normalVarBegin?(...args: NormalVarArgs): boolean;
  /** Finishes a normalVarBegin, then P[i] += noise[i] for i < n; for a normalVarDefer of noise, its draws added
   *  to P in place (n = 0: dropped). */
  normalVarSettle?(P: Float32Array, noise: Float32Array, n: number): void;
  /** When normalVarBegin declines: addNormalVar's key taken now and its draws kept for later, named by noise (never
   *  written); adcConvertAccumulate(…, noise) draws each row and converts it while in cache, or normalVarSettle adds
   *  them in place. False when m·cols is 0 (nothing drawn). Older builds lack it. */
  normalVarDefer?(...args: NormalVarArgs): boolean;
  /** The independent array reads of one iteration side by side on the chip threads (native/periphery.c):
   *  per read its GEMM, read noise (keys from the chip's stream in read order) and ADC conversion with the
   *  rescale into its own partial sums, as ChipArrays.read then convertAndRescale; bufs holds 5 and nums 16
   *  entries per read (ChipArrays.runReads), nums[16·t + 15] ← read t's clipped count. First the prepCount
   *  input preparations (readPrep's x, xs, scales, norms in prepBufs; n, ldx, x0, len, absMax, inputScale, lo,
   *  hi, step, normK in prepNums), on the same threads. Older builds lack it. */
  readBatch?(
    state: Uint32Array,
    bufs: Float32Array[],
    nums: Float64Array,
    count: number,
    prepBufs: Float32Array[],
    prepNums: Float64Array,
    prepCount: number,
  ): void;
  /** Independent products side by side (native/blas.c): bufs holds A, B, C and nums transA, transB, M, N, K, alpha,
   *  lda, ldb, beta, ldc (0/1 for the flags) per product, each computed as sgemm computes it; whole products on
   *  the chip threads when OpenBLAS runs one thread, else one after another. No product may write what another
   *  reads. Older builds lack it. */
  sgemmBatch?(bufs: Float32Array[], nums: Float64Array, count: number): void;
  /** A run's Accumulates and bias adds in the order given, the samples split over the chip threads
   *  (native/periphery.c): bufs holds src and out, nums kind, m, lines, offset, ld, gain per entry; kind 0 is
   *  adcAccumulate(src, m, lines, out, offset, ld, gain, 0, 0), kind 1 addRowBias(out, src, m, lines, 1, gain)
   *  (offset 0) — the same bytes as those calls one by one. Older builds lack it. */
  accumulateBatch?(bufs: Float32Array[], nums: Float64Array, count: number): void;
  /** The chip threads now (FRE_CHIP_THREADS / setChipThreads). Older builds lack it. */
  chipThreads?(): number;
  /** out[(b·R + r)·per + q] += scale·bias[r] with edge-ops.ts addRowBias's double arithmetic (the same bytes),
   *  rows on the chip threads (native/periphery.c). Older builds lack it. */
  addRowBias?(out: Float32Array, bias: Float32Array, m: number, R: number, per: number, scale: number): void;
  /** The neuron unit's exact activation on the chip threads (native/periphery.c): s = ρ(h) (kind as activate's),
   *  pre = s (pre not empty), s quantised to [lo, hi] in steps of step (step > 0), h = 0 (clear), element by
   *  element as activate, a copy, quantize and a fill do it. Older builds lack it. */
  neuronUpdate?(...args: NeuronUpdateArgs): void;
  /** h += held (adcAccumulate's gain-1 add: a held drive's Accumulate), then neuronUpdate, per piece of h while it
   *  is in cache (native/periphery.c). Older builds lack it. */
  heldNeuronUpdate?(...args: [...NeuronUpdateArgs, held: Float32Array]): void;
  /** In-situ pulsed writes (native/devices.c; DeviceMatrix.commitPulsed is the reference); params
   *  [eps, cap, stochastic, softBounds, c2c, wMax]; out ← [pulses, cells newly at a bound]. */
  pulsedCommit?(...args: [...DeviceArgs, chi: Float32Array, params: Float64Array, out: Float64Array]): void;
  /** pulsedCommit's key drawn now (the chip's stream as after pulsedCommit), its work left for pulsedCommitRun,
   *  which runs every queued commit at once on the chip threads and fills each out; the buffers must stay as
   *  they are until then. The same bytes as pulsedCommit one by one. Older builds lack them. */
  pulsedCommitQueue?(...args: [...DeviceArgs, chi: Float32Array, params: Float64Array, out: Float64Array]): void;
  pulsedCommitRun?(): void;
  /** update-schemes.ts drawSpread's loop over its normals z [4n] (same bytes): params [unit step, dwMin, asymmetry,
   *  asymmetry spread, wMax spread, wMin spread] into up, down, bMax, bMin. Older builds lack it. */
  spreadFill?(
    z: Float32Array,
    n: number,
    params: Float64Array,
    up: Float32Array,
    down: Float32Array,
    bMax: Float32Array,
    bMin: Float32Array,
  ): void;
  /** pulsedCommit for potentiate-only pairs (native/devices.c; DeviceMatrix.commitPulsed's loop is the reference,
   *  byte for byte): G+'s spread in stepUp … bMin, G−'s step and bound in stepUpM, bMaxM; z, u the PulseNoise
   *  buffers; params [eps, cap, stochastic, softBounds, c2c, wMax, refreshUpper, refreshLower, levels (0:
   *  continuous), pcm-aihwkit, gMinUS, gMaxUS, programming σ, σ relative to target, dwMin, zi, ui];
   *  out ← [pulses, cells newly at a bound, refreshes, refresh pulses, zi, ui]. */
  pulsedCommitOneSided?(
    ...args: [
      ...DeviceArgs,
      chi: Float32Array,
      stepUpM: Float32Array,
      bMaxM: Float32Array,
      z: Float32Array,
      u: Float32Array,
      params: Float64Array,
      out: Float64Array,
    ]
  ): void;
  /** Threads of the update kernels pulsedCommit and coincide (1 … 8; default FRE_CHIP_THREADS or the
   *  CPUs the process may use: its affinity mask). Their work is split in 8 fixed blocks with a random stream each, so the result does
   *  not depend on this count. Returns the previous count. */
  setChipThreads?(n: number): number;
  /** The coincidence kernel's trains and pulse normals on AVX-512 where the CPU has it (true, the default
   *  unless FRE_NO_AVX512=1) or the same eight lanes one by one (false): the same bytes either way.
   *  Returns the previous setting. */
  setChipSimd?(on: boolean): boolean;
  /** stochastic-coincidence (native/devices.c; DeviceMatrix.coincide is the reference); geometry
   *  [C, rowBegin, rows, colBegin, cols, ldPost, ldPre, samples], params [eta, eps, desiredBl,
   *  softBounds, c2c, wMax, fresh, check]; out ← [pulses, cells newly at a bound]. packed: room for the
   *  matrix's cells packed as the kernel works on them, kept across calls ((cells + 1)·8 doubles; empty:
   *  packed per call); fresh = 1: the tile's kept cells are what the devices hold (not packed again);
   *  check = 1: compared with a fresh pack instead (throws where they differ). */
  coincide?(
    ...args: [
      ...DeviceArgs,
      geometry: Float64Array,
      post: Float32Array,
      pre: Float32Array,
      params: Float64Array,
      out: Float64Array,
      packed?: Float64Array,
    ]
  ): void;
  /** Conv layout moves (native/conv.c; simulator/conv/im2row.ts is the reference). Older builds lack them. */
  im2row?(x: Float32Array, patches: Float32Array, m: number, C: number, H: number, W: number, k: number, stride: number, pad: number): void;
  row2im?(patches: Float32Array, x: Float32Array, m: number, C: number, H: number, W: number, k: number, stride: number, pad: number): void;
  /** Max pool / unpool fused with the position-major layout (native/conv.c; simulator/conv/pool-rows.ts is the reference). */
  maxPoolRows?(
    rows: Float32Array,
    out: Float32Array,
    argmax: Int32Array,
    bias: Float32Array,
    m: number,
    O: number,
    H: number,
    W: number,
    size: number,
    stride: number,
    scale: number,
    /** 1: argmax by the hard-sigmoid key (pool.argmax 'activation'); absent: by the conv value. An addon built before the rule throws on it. */
    rule?: number,
  ): void;
  maxUnpoolRows?(
    post: Float32Array,
    argmax: Int32Array,
    rows: Float32Array,
    m: number,
    O: number,
    H: number,
    W: number,
    size: number,
    stride: number,
  ): void;
  /** simulator/conv/pool-rows.ts repoolRows (pool.winner 'state'), the same floats; returns the first
   *  pooled unit whose previous winner (or, when not fresh, whose extraAt, first or runner) lies outside its
   *  plane, or −1. `fresh` and `rule` are 0 or 1. */
  repoolRows?(
    z: Float32Array,
    bias: Float32Array,
    prev: Int32Array,
    h: Float32Array,
    X: Float32Array,
    winners: Int32Array,
    extraAt: Int32Array,
    zmax: Float32Array,
    first: Int32Array,
    runner: Int32Array,
    m: number,
    O: number,
    H: number,
    W: number,
    size: number,
    stride: number,
    chunk: number,
    alpha: number,
    fresh: number,
    rule: number,
  ): number;
  /**
   * A max-pooled conv edge's whole read, chunk by chunk (native/conv.c): per chunk of `chunk` samples
   * im2row → sgemm (β = 0) → maxPoolRows, or maxUnpoolRows → sgemm (α = scale, β = 0) → row2im, the
   * chunks shared between two threads when the layout helper is on. Older builds lack them.
   */
  convForwardMax?(
    x: Float32Array,
    w: Float32Array,
    out: Float32Array,
    argmax: Int32Array,
    bias: Float32Array,
    m: number,
    C: number,
    H: number,
    W: number,
    k: number,
    stride: number,
    pad: number,
    O: number,
    poolSize: number,
    poolStride: number,
    chunk: number,
    scale: number,
    /** As maxPoolRows's rule. */
    rule?: number,
  ): void;
  /** Threads of the native layout moves and fused conv reads: 1 (the caller) or 2 (+ a helper); returns the mode in effect. */
  setLayoutThreads?(n: number): number;
  /** The mode in effect (decided from FRE_LAYOUT_THREADS, else OpenBLAS's thread count, on first use). */
  layoutThreads?(): number;
  convBackwardMax?(
    post: Float32Array,
    argmax: Int32Array,
    w: Float32Array,
    out: Float32Array,
    m: number,
    C: number,
    H: number,
    W: number,
    k: number,
    stride: number,
    pad: number,
    O: number,
    poolSize: number,
    poolStride: number,
    chunk: number,
    scale: number,
    base?: Float32Array,
    act?: Float32Array,
    kind?: number,
  ): void;
  /** Kernels.adamStep, computed in float32. */
  adamStep(
    w: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    n: number,
    b1: number,
    b2: number,
    c1: number,
    c2: number,
    eps: number,
  ): void;
}

export const NATIVE_BACKEND_NAME = 'openblas-native';

/** Activation codes of the addon's activate(). */
export const ACTIVATION_CODE: Record<Activation, number> = { tanh: 0, 'hard-sigmoid': 1, sigmoid: 2 };
/** How to get the native backend; appended to every 'unavailable' message by select.ts. */
export const NATIVE_BUILD_HINT = 'build it with: bash scripts/setup.sh (needs OpenBLAS, e.g. apt-get install libopenblas-dev)';

/** The folder holding package.json and native/binding.gyp, walking up from `start`; null if none. */
export function findProjectRoot(start: string = __dirname): string | null {
  let dir = path.resolve(start);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'native', 'binding.gyp'))) {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** Where the addon is expected (FRE_NATIVE_ADDON overrides); null if the project root is not found. */
export function nativeAddonPath(): string | null {
  const override = process.env.FRE_NATIVE_ADDON;
  if (override) return path.resolve(override);
  const root = findProjectRoot();
  return root === null ? null : path.join(root, 'native', 'build', 'Release', 'fre_blas.node');
}

interface LoadResult {
  addon: FreBlasAddon | null;
  kernels: Kernels | null;
  reason: string | null;
}

let cached: LoadResult | null = null;

/** The addon's own environment variables, checked before it reads them (with C's lenient strtol). */
function checkNativeEnv(): void {
  envInt('FRE_CHIP_THREADS', 1, 64, "the chip simulator's threads (more than 8 run as 8)");
  envInt('FRE_POOL_SPIN_US', 0, 1_000_000, 'how long an idle chip thread waits for the next job before it sleeps, in µs');
  envInt('FRE_LAYOUT_THREADS', 1, 2, "the conv layout's threads");
}

function tryLoad(): LoadResult {
  checkNativeEnv();
  const file = nativeAddonPath();
  const fail = (reason: string): LoadResult => ({ addon: null, kernels: null, reason });
  if (file === null) return fail(`project root (package.json + native/binding.gyp) not found above ${__dirname}`);
  if (!fs.existsSync(file)) return fail(`${file} is not built`);
  let addon: FreBlasAddon;
  chooseOpenblasCore(); // before OpenBLAS loads: it reads OPENBLAS_CORETYPE once (openblas-core.ts)
  try {
    // A computed path: bundlers and tsc leave it alone; Node's loader dlopens the .node file.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a .node addon loads only through require
    addon = require(file) as FreBlasAddon;
  } catch (e) {
    return fail(`${file} failed to load (${(e as Error).message})`);
  }
  if (typeof addon?.sgemm !== 'function' || typeof addon.activate !== 'function' || typeof addon.adamStep !== 'function') {
    return fail(`${file} does not export sgemm, activate and adamStep (rebuild it: bash scripts/setup.sh)`);
  }
  // Self-test: catches an ABI mismatch (e.g. a 64-bit-integer BLAS) before it corrupts training.
  try {
    const c = new Float32Array([Number.NaN, Number.NaN, Number.NaN, Number.NaN]);
    // [1 2; 3 4] · [5 6; 7 8]ᵀ = [17 23; 39 53]
    addon.sgemm(false, true, 2, 2, 2, 1, new Float32Array([1, 2, 3, 4]), 2, new Float32Array([5, 6, 7, 8]), 2, 0, c, 2);
    if (c[0] !== 17 || c[1] !== 23 || c[2] !== 39 || c[3] !== 53) {
      return fail(`${file} self-test gave [${Array.from(c).join(', ')}] instead of [17, 23, 39, 53]`);
    }
  } catch (e) {
    return fail(`${file} self-test threw (${(e as Error).message})`);
  }
  return { addon, kernels: wrap(addon), reason: null };
}

function wrap(addon: FreBlasAddon): Kernels {
  return {
    name: NATIVE_BACKEND_NAME,
    gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) {
      // Parameters typed by Kernels.gemm (kernels.ts), where they are documented.
      // Same checks and messages as the reference backend; the addon re-checks in C regardless.
      checkGemmArgs(transA, transB, M, N, K, A, lda, B, ldb, C, ldc);
      addon.sgemm(transA === 'T', transB === 'T', M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    },
    activate(kind: Activation, h: Float32Array, s: Float32Array, n: number): void {
      addon.activate(ACTIVATION_CODE[kind], h, s, n);
    },
    adamStep(
      w: Float32Array,
      g: Float32Array,
      m: Float32Array,
      v: Float32Array,
      n: number,
      b1: number,
      b2: number,
      c1: number,
      c2: number,
      eps: number,
    ): void {
      addon.adamStep(w, g, m, v, n, b1, b2, c1, c2, eps);
    },
  };
}

function load(): LoadResult {
  if (cached === null) cached = tryLoad();
  return cached;
}

/** The OpenBLAS-backed Kernels, or null if the addon can't be loaded (see nativeUnavailableReason). */
export function loadNativeKernels(): Kernels | null {
  return load().kernels;
}

/** Why loadNativeKernels() returned null; null when the native backend is available. */
export function nativeUnavailableReason(): string | null {
  return load().reason;
}

/** The raw addon (argument-validation tests, thread control); null if unavailable. */
export function loadNativeAddon(): FreBlasAddon | null {
  return load().addon;
}

/** OpenBLAS build/core and thread count, e.g. "OpenBLAS 0.3.21 … Cooperlake; 2 threads"; null if unavailable. */
export function nativeInfo(): string | null {
  const addon = load().addon;
  if (addon === null) return null;
  const cfg = addon.config();
  const threads = addon.getThreads();
  const core = chosenOpenblasCore();
  return `${cfg || 'unknown CBLAS'}${core ? ` (OPENBLAS_CORETYPE=${core} from the CPU flags)` : ''}${threads > 0 ? `; ${threads} thread${threads === 1 ? '' : 's'}` : ''}`;
}

/** The core whose kernels OpenBLAS runs (openblas_get_corename, e.g. "Haswell"); null if unavailable. */
export function nativeBlasCore(): string | null {
  const addon = load().addon;
  return addon === null ? null : (/; core (\S+)/.exec(addon.config())?.[1] ?? null);
}

/** Sets OpenBLAS's thread count; false if unavailable (no addon, or a BLAS without the call). */
export function setNativeThreads(n: number): boolean {
  const addon = load().addon;
  return addon !== null && addon.setThreads(n);
}
