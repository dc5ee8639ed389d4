/**
 * Activations ρ and their derivatives, on whole buffers. The derivative is written in terms of the
 * state s = ρ(h) where the activation allows it (tanh, sigmoid), so BP/FA need not keep h.
 */
import type { Activation } from '../../graph/spec';

/** s[i] = ρ(h[i]) for i < n. */
export function activate(kind: Activation, h: Float32Array, s: Float32Array, n: number): void {
  switch (kind) {
    case 'tanh':
      for (let i = 0; i < n; i++) s[i] = Math.tanh(h[i]);
      return;
    case 'hard-sigmoid':
      for (let i = 0; i < n; i++) {
        const x = h[i];
        s[i] = x < 0 ? 0 : x > 1 ? 1 : x;
      }
      return;
    case 'sigmoid':
      // The prototype-EP sigmoid 1/(1+e^{-4(x-0.5)}) (docs/references.md#baselines).
      for (let i = 0; i < n; i++) s[i] = 1 / (1 + Math.exp(-4 * (h[i] - 0.5)));
      return;
  }
}

/** d[i] *= ρ'(h[i]), given h and s = ρ(h). */
export function mulDerivative(kind: Activation, h: Float32Array, s: Float32Array, d: Float32Array, n: number): void {
  switch (kind) {
    case 'tanh':
      for (let i = 0; i < n; i++) d[i] *= 1 - s[i] * s[i];
      return;
    case 'hard-sigmoid':
      for (let i = 0; i < n; i++) {
        const x = h[i];
        if (x <= 0 || x >= 1) d[i] = 0;
      }
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) d[i] *= 4 * s[i] * (1 - s[i]);
      return;
  }
}

/** ρ(0): a layer at the zero state stays exactly zero after an update only if this is 0. */
export function activationOfZero(kind: Activation): number {
  return kind === 'tanh' ? 0 : kind === 'hard-sigmoid' ? 0 : 1 / (1 + Math.exp(2));
}
