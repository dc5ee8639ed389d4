/**
 * A conv edge's geometry on the wire (proto/netlist.proto ConvGeometryProto) ↔ graph/net.ts NetConv,
 * and the group sizes it implies (docs/conv-layout.md): the `from` group holds C·H·W units, the `to`
 * group O·(pooled OH·OW), the matrix is the unrolled kernel [O × C·k·k].
 */
import type { NetConv } from '../graph/net';
import { windowOut } from '../graph/shapes';
import type { ConvGeometryMsg } from './types';

export function convGeometryMsg(c: NetConv): ConvGeometryMsg {
  const { conv, pool, positions, convShape } = c;
  return {
    kernel: conv.kernel,
    stride: conv.stride,
    padding: conv.padding,
    inChannels: conv.inChannels,
    inHeight: conv.height,
    inWidth: conv.width,
    outChannels: conv.outChannels,
    outHeight: convShape.height,
    outWidth: convShape.width,
    positions,
    pool: !pool ? 'POOL_KIND_NONE' : pool.kind === 'max' ? 'POOL_KIND_MAX' : 'POOL_KIND_AVG',
    poolSize: pool?.size ?? 0,
    poolStride: pool?.stride ?? 0,
  };
}

/** Output positions per channel after pooling (OH·OW without a pool). */
export function pooledPositions(g: ConvGeometryMsg): number {
  if (g.pool !== 'POOL_KIND_MAX' && g.pool !== 'POOL_KIND_AVG') return g.outHeight * g.outWidth;
  return windowOut(g.outHeight, g.poolSize, g.poolStride, 0) * windowOut(g.outWidth, g.poolSize, g.poolStride, 0);
}

/** The sizes a consistent conv edge implies: matrix rows/cols and its two groups. */
export function convSizes(g: ConvGeometryMsg): { rows: number; cols: number; fromSize: number; toSize: number } {
  return {
    rows: g.outChannels,
    cols: g.inChannels * g.kernel * g.kernel,
    fromSize: g.inChannels * g.inHeight * g.inWidth,
    toSize: g.outChannels * pooledPositions(g),
  };
}

/** Problems with a geometry's internal consistency (empty when sound). */
export function convGeometryProblems(g: ConvGeometryMsg): string[] {
  const out: string[] = [];
  for (const k of ['kernel', 'stride', 'inChannels', 'inHeight', 'inWidth', 'outChannels'] as const) {
    if (!(g[k] >= 1)) out.push(`${k} is ${g[k]}`);
  }
  if (out.length) return out;
  const oh = windowOut(g.inHeight, g.kernel, g.stride, g.padding);
  const ow = windowOut(g.inWidth, g.kernel, g.stride, g.padding);
  if (g.outHeight !== oh || g.outWidth !== ow)
    out.push(
      `output ${g.outHeight}×${g.outWidth}, but a ${g.kernel}×${g.kernel} kernel (stride ${g.stride}, padding ${g.padding}) on ${g.inHeight}×${g.inWidth} gives ${oh}×${ow}`,
    );
  if (g.positions !== g.outHeight * g.outWidth)
    out.push(`positions ${g.positions}, but the output has ${g.outHeight}×${g.outWidth} = ${g.outHeight * g.outWidth}`);
  const pooled = g.pool === 'POOL_KIND_MAX' || g.pool === 'POOL_KIND_AVG';
  if (g.pool === 'POOL_KIND_UNSPECIFIED') out.push('pool kind is unspecified (NONE, MAX or AVG)');
  if (pooled && !(g.poolSize >= 1 && g.poolStride >= 1 && g.poolSize <= Math.min(g.outHeight, g.outWidth))) {
    out.push(`pool window ${g.poolSize} stride ${g.poolStride} does not fit the ${g.outHeight}×${g.outWidth} output`);
  }
  return out;
}
