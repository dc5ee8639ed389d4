/**
 * Confidence intervals of a mean from n samples: mean ± t(1 − α/2, n − 1) · s / √n, with the
 * Student t quantile from jstat (a maintained statistics library, rather than hand-written
 * incomplete-beta inversion). Needs n ≥ 2 (NaN otherwise: one seed says nothing about spread).
 */
import { jStat } from 'jstat';

/** The two-sided Student t critical value t(1 − (1 − level)/2, dof), e.g. 2.262 for level 0.95, dof 9. */
export function tCritical(level: number, dof: number): number {
  if (!(level > 0 && level < 1) || !(dof >= 1)) return NaN;
  return jStat.studentt.inv(1 - (1 - level) / 2, dof);
}

/** Half-width of the confidence interval of the mean: t · std / √n (std with n − 1 in the denominator). */
export function ciHalfWidth(std: number, n: number, level = 0.95): number {
  if (!(n >= 2) || !Number.isFinite(std)) return NaN;
  return (tCritical(level, n - 1) * std) / Math.sqrt(n);
}
