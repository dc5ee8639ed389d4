/**
 * The im2row / row2im and the fused max pool / unpool (pool-rows.ts) the engines use: the native
 * addon's (native/conv.c) when the native backend is in use, else the TypeScript references. Same rule as the GEMM backend: FRE_BACKEND=
 * reference forces the TypeScript loops; an addon built before conv.c existed falls back too.
 */
import type { ConvSpec, FeatureShape, PoolSpec } from '../../graph/shapes';
import type { Activation } from '../../graph/spec';
import { im2row, row2im } from './im2row';
import { maxPoolRows, maxUnpoolRows, type repoolRows } from './pool-rows';
import type { Kernels } from '../kernels/kernels';
import { ACTIVATION_CODE, loadNativeAddon, NATIVE_BACKEND_NAME } from '../kernels/native';

export interface LayoutKernels {
  name: 'native' | 'reference';
  im2row(spec: ConvSpec, m: number, x: Float32Array, patches: Float32Array): void;
  row2im(spec: ConvSpec, m: number, patches: Float32Array, x: Float32Array): void;
  /** pool-rows.ts: max pool from position-major rows into the drive (+= scale·(max, then bias)). */
  maxPoolRows(
    pool: PoolSpec,
    shape: FeatureShape,
    m: number,
    rows: Float32Array,
    out: Float32Array,
    argmax: Int32Array,
    scale: number,
    bias: Float32Array | null,
  ): void;
  /** pool-rows.ts repoolRows: a 'state' winner's step (pool.winner); absent: the reference runs. */
  repoolRows?: typeof repoolRows;
  /** pool-rows.ts: unpool through argmax into position-major rows (overwritten). */
  maxUnpoolRows(pool: PoolSpec, shape: FeatureShape, m: number, post: Float32Array, argmax: Int32Array, rows: Float32Array): void;
  /**
   * Optional (native only): a max-pooled conv edge's whole exact read in one call, `chunk` samples at
   * a time, the chunks on both cores when the layout helper is on. The same floats as the engine's
   * loop of im2row, a β = 0 sgemm with w [O × C·k·k] and maxPoolRows per chunk (edge-ops.ts).
   */
  convForwardMax?(
    spec: ConvSpec,
    pool: PoolSpec,
    m: number,
    x: Float32Array,
    w: Float32Array,
    out: Float32Array,
    argmax: Int32Array,
    scale: number,
    bias: Float32Array | null,
    chunk: number,
  ): void;
  /**
   * Likewise maxUnpoolRows, a β = 0 sgemm scale·rows·w and row2im (out +=) per chunk. With `then`,
   * each chunk of out is first set to `then.base` (null: 0) and, after the feedback,
   * `then.s` = the activation of it: a layer whose whole drive is its input drive plus this feedback
   * is updated chunk by chunk while in cache (EpEngine), with the same floats as the separate passes.
   */
  convBackwardMax?(
    spec: ConvSpec,
    pool: PoolSpec,
    m: number,
    post: Float32Array,
    argmax: Int32Array,
    w: Float32Array,
    out: Float32Array,
    scale: number,
    chunk: number,
    then?: { base: Float32Array | null; s: Float32Array; activation: Activation },
  ): void;
}

export const referenceLayout: LayoutKernels = { name: 'reference', im2row, row2im, maxPoolRows, maxUnpoolRows };
const NO_BIAS = new Float32Array(0);

let chosen: LayoutKernels | null = null;

/** The layout moves that go with a GEMM backend: native with the native kernels, else the reference. */
export function layoutFor(kernels: Kernels): LayoutKernels {
  return kernels.name === NATIVE_BACKEND_NAME ? layoutKernels() : referenceLayout;
}

export function layoutKernels(): LayoutKernels {
  if (chosen) return chosen;
  const forced = process.env.FRE_BACKEND?.trim().toLowerCase() === 'reference';
  const addon = forced ? null : loadNativeAddon();
  const i2r = addon?.im2row?.bind(addon);
  const r2i = addon?.row2im?.bind(addon);
  const pr = addon?.maxPoolRows?.bind(addon);
  const ur = addon?.maxUnpoolRows?.bind(addon);
  const rr = addon?.repoolRows?.bind(addon);
  // FRE_CONV_FUSED=0 keeps the engine's call-by-call chunk loop (the same floats; for comparisons).
  const fused = process.env.FRE_CONV_FUSED?.trim() !== '0';
  const cf = fused ? addon?.convForwardMax?.bind(addon) : undefined;
  const cb = fused ? addon?.convBackwardMax?.bind(addon) : undefined;
  chosen =
    i2r && r2i && pr && ur
      ? {
          name: 'native',
          im2row: (s, m, x, p) => i2r(x, p, m, s.inChannels, s.height, s.width, s.kernel, s.stride, s.padding),
          row2im: (s, m, p, x) => r2i(p, x, m, s.inChannels, s.height, s.width, s.kernel, s.stride, s.padding),
          // The rule argument only for the activation argmax: the default call stays the one older addons take.
          maxPoolRows: (pool, sh, m, rows, out, argmax, scale, bias) =>
            pool.argmax === 'activation'
              ? pr(rows, out, argmax, bias ?? NO_BIAS, m, sh.channels, sh.height, sh.width, pool.size, pool.stride, scale, 1)
              : pr(rows, out, argmax, bias ?? NO_BIAS, m, sh.channels, sh.height, sh.width, pool.size, pool.stride, scale),
          maxUnpoolRows: (pool, sh, m, post, argmax, rows) =>
            ur(post, argmax, rows, m, sh.channels, sh.height, sh.width, pool.size, pool.stride),
          ...(rr
            ? {
                repoolRows: (pool, sh, m, chunk, z, alpha, bias, fresh, prev, h, X, winners, extraAt, zmax, first, runner) =>
                  rr(
                    z,
                    bias ?? NO_BIAS,
                    prev,
                    h,
                    X,
                    winners,
                    extraAt,
                    zmax,
                    first,
                    runner,
                    m,
                    sh.channels,
                    sh.height,
                    sh.width,
                    pool.size,
                    pool.stride,
                    chunk,
                    alpha,
                    fresh ? 1 : 0,
                    pool.argmax === 'activation' ? 1 : 0,
                  ),
              }
            : {}),
          ...(cf && cb
            ? {
                convForwardMax: (s, pool, m, x, w, out, argmax, scale, bias, chunk) => {
                  const { inChannels: C, height: H, width: W, kernel: k, stride, padding, outChannels: O } = s;
                  const args = [
                    x,
                    w,
                    out,
                    argmax,
                    bias ?? NO_BIAS,
                    m,
                    C,
                    H,
                    W,
                    k,
                    stride,
                    padding,
                    O,
                    pool.size,
                    pool.stride,
                    chunk,
                    scale,
                  ] as const;
                  if (pool.argmax === 'activation') cf(...args, 1);
                  else cf(...args);
                },
                convBackwardMax: (s, pool, m, post, argmax, w, out, scale, chunk, then) => {
                  const { inChannels: C, height: H, width: W, kernel: k, stride, padding, outChannels: O } = s;
                  const args = [post, argmax, w, out, m, C, H, W, k, stride, padding, O, pool.size, pool.stride, chunk, scale] as const;
                  // The native call tells the fused-activation form by its argument count (19, not 16): no
                  // trailing undefineds for the plain one.
                  if (then) cb(...args, then.base ?? NO_BIAS, then.s, ACTIVATION_CODE[then.activation]);
                  else cb(...args);
                },
              }
            : {}),
        }
      : referenceLayout;
  return chosen;
}

/**
 * Threads of the native layout moves and fused conv reads (native/conv.c): 1 = the calling thread,
 * 2 = it and a helper, sharing samples or chunks (the same floats either way). Without a call the
 * addon decides on first use: FRE_LAYOUT_THREADS if set, else 2 when OpenBLAS may use several
 * threads on a machine with two or more cores. Returns the count in effect, or 1 without the addon.
 */
export function setLayoutThreads(n: 1 | 2): number {
  const addon = process.env.FRE_BACKEND?.trim().toLowerCase() === 'reference' ? null : loadNativeAddon();
  return addon?.setLayoutThreads?.(n) ?? 1;
}

/** The layout thread count in effect (see setLayoutThreads), or 1 without the addon. */
export function layoutThreads(): number {
  const addon = process.env.FRE_BACKEND?.trim().toLowerCase() === 'reference' ? null : loadNativeAddon();
  return addon?.layoutThreads?.() ?? 1;
}
