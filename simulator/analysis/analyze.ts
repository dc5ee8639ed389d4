/**
 * Dynamics analysis of a net (docs/references.md#dynamics-analysis, Figure 5 of the paper): spectral radius of the
 * hidden-to-hidden operator, FTMLE and asymptotic MLE of the free dynamics on real inputs,
 * convergence time and saturation; and the same over a sweep of β_i.
 */
import type { Net } from '../../graph/net';
import type { Params } from '../../graph/params';
import type { Rng } from '../../util/rng';
import { runDynamics, type PointwiseActivation, type Trajectory } from './dynamics';
import { HiddenOperator, withBetaI } from './operator';
import { spectralRadius } from './spectral';

export interface AnalysisOptions {
  /** The analysis' own generator (tangent vectors, Arnoldi start); forked by label, so every sweep point uses the same draws. */
  rng: Rng;
  /** FTMLE horizon (default: the spec's T). */
  ftmleSteps?: number;
  /** MLE horizon t_e (default 500; the CLI uses 1000 for trained weights). */
  tE?: number;
  /** Convergence cap (default 2000). */
  maxSteps?: number;
  tol?: number;
  consecutive?: number;
  krylov?: number;
  activation?: PointwiseActivation;
  trajectory?: boolean;
}

export interface AnalysisPoint {
  /** β_i applied to every hidden feedback edge (sweep points only). */
  betaI?: number;
  spectralRadius: number;
  spectralRadiusConverged: boolean;
  ftmle: number;
  ftmleStd: number;
  mle: number;
  mleStd: number;
  /** Median over the batch (capped samples count as maxSteps). */
  convergenceSteps: number;
  /** Samples that did not converge within maxSteps. */
  capped: number;
  samples: number;
  /** Mean saturation of the final state (|s| for tanh) and the fraction of units above 0.99. */
  saturation: number;
  saturatedUnits: number;
  saturated: boolean;
}

export interface Analysis {
  point: AnalysisPoint;
  trajectory: Trajectory | null;
  /** The horizons used. */
  ftmleSteps: number;
  tE: number;
  maxSteps: number;
}

/** Saturation threshold: mean |s| of the final state above this counts as saturated. */
export const SATURATION_THRESHOLD = 0.9;

export function analyze(net: Net, params: Params, x: ArrayLike<number>, m: number, o: AnalysisOptions): Analysis {
  const ftmleSteps = o.ftmleSteps ?? net.spec.dynamics.T;
  const tE = o.tE ?? 500;
  const maxSteps = o.maxSteps ?? 2000;
  if (!(Number.isInteger(ftmleSteps) && ftmleSteps >= 1)) throw new RangeError(`FTMLE steps must be an integer ≥ 1, got ${ftmleSteps}`);
  if (!(Number.isInteger(tE) && tE >= 2)) throw new RangeError(`t_e must be an integer ≥ 2, got ${tE}`);
  if (!(Number.isInteger(maxSteps) && maxSteps >= 1)) throw new RangeError(`the convergence cap must be an integer ≥ 1, got ${maxSteps}`);
  if (!(Number.isInteger(m) && m >= 1)) throw new RangeError(`need at least one sample, got ${m}`);
  const op = new HiddenOperator(net, params);
  const sr = op.isNilpotent()
    ? { value: 0, converged: true }
    : spectralRadius(op, { rng: o.rng.fork('analysis/arnoldi'), krylov: o.krylov });
  const dyn = runDynamics(op, op.inputDrive(x, m), m, {
    ftmleSteps,
    tE,
    maxSteps,
    tol: o.tol,
    consecutive: o.consecutive,
    rng: o.rng.fork('analysis/tangent'),
    activation: o.activation,
    trajectory: o.trajectory,
  });
  return {
    point: {
      spectralRadius: sr.value,
      spectralRadiusConverged: sr.converged,
      ftmle: dyn.ftmle.mean,
      ftmleStd: dyn.ftmle.std,
      mle: dyn.mle.mean,
      mleStd: dyn.mle.std,
      convergenceSteps: dyn.convergenceMedian,
      capped: dyn.capped,
      samples: m,
      saturation: dyn.saturation,
      saturatedUnits: dyn.saturatedUnits,
      saturated: dyn.saturation > SATURATION_THRESHOLD,
    },
    trajectory: dyn.trajectory,
    ftmleSteps,
    tE,
    maxSteps,
  };
}

/** The analysis at each β_i (every hidden feedback edge set to it; β_f and the weights unchanged). */
export function sweepBetaI(
  net: Net,
  params: Params,
  x: ArrayLike<number>,
  m: number,
  betas: number[],
  o: AnalysisOptions,
  onPoint?: (p: AnalysisPoint, i: number) => void,
): AnalysisPoint[] {
  return betas.map((beta, i) => {
    const p = { betaI: beta, ...analyze(withBetaI(net, beta), params, x, m, { ...o, trajectory: false }).point };
    onPoint?.(p, i);
    return p;
  });
}
