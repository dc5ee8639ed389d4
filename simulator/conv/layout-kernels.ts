/**
 * The im2row / row2im the engines use: the native addon's (native/conv.c) when the native backend
 * is in use, else the TypeScript reference (im2row.ts). Same rule as the GEMM backend: FRE_BACKEND=
 * reference forces the TypeScript loops; an addon built before conv.c existed falls back too.
 */
import type { ConvSpec } from '../../graph/shapes';
import { im2row, row2im } from './im2row';
import type { Kernels } from '../kernels/kernels';
import { loadNativeAddon, NATIVE_BACKEND_NAME } from '../kernels/native';

export interface LayoutKernels {
  name: 'native' | 'reference';
  im2row(spec: ConvSpec, m: number, x: Float32Array, patches: Float32Array): void;
  row2im(spec: ConvSpec, m: number, patches: Float32Array, x: Float32Array): void;
}

export const referenceLayout: LayoutKernels = { name: 'reference', im2row, row2im };

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
  chosen = i2r && r2i ? {
    name: 'native',
    im2row: (s, m, x, p) => i2r(x, p, m, s.inChannels, s.height, s.width, s.kernel, s.stride, s.padding),
    row2im: (s, m, p, x) => r2i(p, x, m, s.inChannels, s.height, s.width, s.kernel, s.stride, s.padding),
  } : referenceLayout;
  return chosen;
}
