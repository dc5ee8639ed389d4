/**
 * Global gradient-norm clipping (TrainingSpec.clipGradNorm), PyTorch torch.nn.utils.clip_grad_norm_
 * with the L2 norm.
 */

/** L2 norm over every element of every non-null slot (accumulated in float64). */
export function globalNorm(grads: readonly (Float32Array | null)[]): number {
  let sum = 0;
  for (const g of grads) {
    if (!g) continue;
    for (let k = 0; k < g.length; k++) sum += g[k] * g[k];
  }
  return Math.sqrt(sum);
}

/**
 * Scales all slots in place by maxNorm / (norm + 1e-6) when that factor is below 1 (as PyTorch),
 * so the global norm becomes maxNorm; leaves them alone otherwise. Returns the norm before clipping.
 */
export function clipGradNorm(grads: readonly (Float32Array | null)[], maxNorm: number): number {
  const norm = globalNorm(grads);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) {
    for (const g of grads) {
      if (!g) continue;
      for (let k = 0; k < g.length; k++) g[k] *= coef;
    }
  }
  return norm;
}
