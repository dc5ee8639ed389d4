/**
 * Shapes of the convolution building blocks (simulator/conv). Every tensor is a Float32Array laid
 * out [m × C × H × W], row-major and batch-major (the engine's state layout): element (b, c, y, x)
 * of a batch of m feature maps with shape {channels C, height H, width W} sits at
 *   ((b·C + c)·H + y)·W + x.
 * See docs/conv-layout.md for the unrolled (im2col) layout that the compiler maps onto crossbars.
 */

/** A feature map's shape (one sample): C × H × W. */
export interface FeatureShape {
  channels: number;
  height: number;
  width: number;
}

/**
 * A 2-D convolution layer: square kernel, equal stride and zero padding on both axes, no dilation,
 * no groups, no bias. height/width are the INPUT spatial size.
 */
export interface ConvSpec {
  inChannels: number;
  outChannels: number;
  /** Kernel side k (k × k). */
  kernel: number;
  /** Stride s ≥ 1 (both axes). */
  stride: number;
  /** Zero padding p ≥ 0 on every side. */
  padding: number;
  /** Input height H. */
  height: number;
  /** Input width W. */
  width: number;
}

/** Pooling: square window `size`, stride ≥ 1, no padding, floor mode (only whole windows). */
export interface PoolSpec {
  kind: 'max' | 'avg';
  size: number;
  stride: number;
  /** Max pooling's argmax key (graph/spec.ts PoolEdgeSpec.argmax). Absent: the pre-activation (the
   *  conv value). 'activation': hard-sigmoid of the unit's own pre-activation, clamp(α·(x + b), 0, 1) in
   *  float64, first unit in row-major window order on ties; the pooled value is still the window's
   *  maximum of x. Only hard-sigmoid `to` layers and α > 0 (validated, FRE028). */
  argmax?: 'activation';
  /** Max pooling's feedback source (graph/spec.ts PoolEdgeSpec.feedback). Absent: the winners (the `to`
   *  state unpooled). 'map': the whole pre-pool map, winners carrying the `to` state and every other unit
   *  ρ_to(α·(x + b)); non-overlapping windows only (validated, FRE028). */
  feedback?: 'map';
  /** Max pooling's winner rule (graph/spec.ts PoolEdgeSpec.winner). Absent: the read's argmax. 'state': the
   *  edge keeps a pre-pool state map, the rest of the pooled unit's drive placed on the previous winner, and
   *  the winner is chosen over that map; non-overlapping windows, one such edge into a layer (FRE028). */
  winner?: 'state';
}

/** Output side of a sliding window: floor((n + 2p − k)/s) + 1. */
export function windowOut(n: number, k: number, s: number, p: number): number {
  return Math.floor((n + 2 * p - k) / s) + 1;
}

function isPosInt(v: number): boolean {
  return Number.isInteger(v) && v >= 1;
}

/** Throws on a malformed spec or one whose output would be empty. */
export function validateConvSpec(spec: ConvSpec): void {
  const { inChannels, outChannels, kernel, stride, padding, height, width } = spec;
  for (const [name, v] of [
    ['inChannels', inChannels],
    ['outChannels', outChannels],
    ['kernel', kernel],
    ['stride', stride],
    ['height', height],
    ['width', width],
  ] as const) {
    if (!isPosInt(v)) throw new Error(`conv: ${name} must be a positive integer (got ${v})`);
  }
  if (!Number.isInteger(padding) || padding < 0) throw new Error(`conv: padding must be an integer ≥ 0 (got ${padding})`);
  if (height + 2 * padding < kernel || width + 2 * padding < kernel) {
    throw new Error(`conv: kernel ${kernel} larger than the padded input ${height + 2 * padding}×${width + 2 * padding}`);
  }
}

/** Output spatial size of a conv layer. */
export function convOutSize(spec: ConvSpec): { outHeight: number; outWidth: number } {
  validateConvSpec(spec);
  return {
    outHeight: windowOut(spec.height, spec.kernel, spec.stride, spec.padding),
    outWidth: windowOut(spec.width, spec.kernel, spec.stride, spec.padding),
  };
}

/** Input feature shape of a conv layer. */
export function convInShape(spec: ConvSpec): FeatureShape {
  return { channels: spec.inChannels, height: spec.height, width: spec.width };
}

/** Output feature shape of a conv layer. */
export function convOutShape(spec: ConvSpec): FeatureShape {
  const { outHeight, outWidth } = convOutSize(spec);
  return { channels: spec.outChannels, height: outHeight, width: outWidth };
}

/** Derived sizes used by im2col/GEMM (all per sample). */
export interface ConvDims {
  outHeight: number;
  outWidth: number;
  /** Rows of the column matrix = columns of W_unrolled: inChannels·k·k. */
  colRows: number;
  /** Columns of the column matrix: outHeight·outWidth. */
  colCols: number;
  /** inChannels·height·width. */
  inSize: number;
  /** outChannels·outHeight·outWidth. */
  outSize: number;
  /** outChannels·inChannels·k·k (the weight tensor [O × C × k × k] = W_unrolled [O × colRows]). */
  weightSize: number;
}

export function convDims(spec: ConvSpec): ConvDims {
  const { outHeight, outWidth } = convOutSize(spec);
  const colRows = spec.inChannels * spec.kernel * spec.kernel;
  const colCols = outHeight * outWidth;
  return {
    outHeight,
    outWidth,
    colRows,
    colCols,
    inSize: spec.inChannels * spec.height * spec.width,
    outSize: spec.outChannels * colCols,
    weightSize: spec.outChannels * colRows,
  };
}

/** Elements of the per-sample im2col workspace the conv functions need: colRows·colCols. */
export function convWorkspaceSize(spec: ConvSpec): number {
  const d = convDims(spec);
  return d.colRows * d.colCols;
}

/** Throws on a malformed pool spec or an input smaller than one window. */
export function validatePool(pool: PoolSpec, shape: FeatureShape): void {
  if (pool.kind !== 'max' && pool.kind !== 'avg') throw new Error(`pool: kind must be 'max' or 'avg' (got ${String(pool.kind)})`);
  if (!isPosInt(pool.size) || !isPosInt(pool.stride)) {
    throw new Error(`pool: size and stride must be positive integers (got ${pool.size}, ${pool.stride})`);
  }
  for (const [name, v] of [
    ['channels', shape.channels],
    ['height', shape.height],
    ['width', shape.width],
  ] as const) {
    if (!isPosInt(v)) throw new Error(`pool: ${name} must be a positive integer (got ${v})`);
  }
  if (shape.height < pool.size || shape.width < pool.size) {
    throw new Error(`pool: window ${pool.size} larger than the input ${shape.height}×${shape.width}`);
  }
}

/** Output shape of pooling (channels unchanged): floor((n − size)/stride) + 1 per axis. */
export function poolOutShape(pool: PoolSpec, shape: FeatureShape): FeatureShape {
  validatePool(pool, shape);
  return {
    channels: shape.channels,
    height: windowOut(shape.height, pool.size, pool.stride, 0),
    width: windowOut(shape.width, pool.size, pool.stride, 0),
  };
}

/** C·H·W. */
export function shapeSize(s: FeatureShape): number {
  return s.channels * s.height * s.width;
}

/** Throws unless `m` is a batch size ≥ 1 and `buf` holds at least m·perSample elements. */
export function checkBatch(what: string, m: number, buf: ArrayLike<number>, perSample: number): void {
  if (!isPosInt(m)) throw new Error(`${what}: batch size must be a positive integer (got ${m})`);
  if (buf.length < m * perSample) {
    throw new Error(`${what}: buffer too short (${buf.length} < ${m}×${perSample})`);
  }
}
