/** Dynamics analysis: the hidden-to-hidden operator, its spectral radius, Lyapunov exponents, convergence. */
export { analyze, sweepBetaI, SATURATION_THRESHOLD, type Analysis, type AnalysisOptions, type AnalysisPoint } from './analyze';
export {
  runDynamics,
  median,
  IDENTITY,
  type DynamicsOptions,
  type DynamicsResult,
  type PointwiseActivation,
  type Trajectory,
} from './dynamics';
export { HiddenOperator, isHiddenFeedback, withBetaI, type Block } from './operator';
export {
  hessenbergEigenvalues,
  spectralRadius,
  type LinearOperator,
  type SpectralRadiusOptions,
  type SpectralRadiusResult,
} from './spectral';
