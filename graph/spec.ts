/**
 * The FRE-RNN graph description: the JSON file format (and the object the builder produces).
 * Edges are explicit so residual skips, random AGT edges and conv layers fit without a new format.
 * Field-by-field documentation with defaults: docs/graph-format.md.
 */

export const GRAPH_FORMAT = 'fre-graph/1';

export type Activation = 'tanh' | 'hard-sigmoid' | 'sigmoid';
export const ACTIVATIONS: readonly Activation[] = ['tanh', 'hard-sigmoid', 'sigmoid'];

/** symmetric: feedback reads the forward matrix transposed; random: a fixed random matrix, never trained. */
export type FeedbackKind = 'none' | 'symmetric' | 'random';
export const FEEDBACK_KINDS: readonly FeedbackKind[] = ['none', 'symmetric', 'random'];

/** held: the output error is computed once from the free state (the authors' layered code, default);
 *  recomputed: from the nudged state at every nudged step (the paper's Algorithm 1);
 *  graph: the authors' graph model — the held error's drive grows as k·β_f·B_f·e at nudged step k,
 *  and the readout update uses the nudged output and state (fre-rnn.md §3, last bullet). */
export type NudgeMode = 'held' | 'recomputed' | 'graph';
export const NUDGE_MODES: readonly NudgeMode[] = ['held', 'recomputed', 'graph'];

export type DatasetName = 'mnist' | 'fashion-mnist' | 'cifar10' | 'synthetic';
export const DATASETS: readonly DatasetName[] = ['mnist', 'fashion-mnist', 'cifar10', 'synthetic'];

export interface LayerSpec {
  name: string;
  size: number;
  /** Default 'tanh'. */
  activation?: Activation;
}

export interface FeedbackSpec {
  kind: FeedbackKind;
  /** β_i: scale of the feedback drive. Required for hidden-to-hidden feedback; on the output edge
   *  the scale is dynamics.betaF instead. */
  beta?: number;
}

export interface EdgeSpec {
  name: string;
  /** 'input', a hidden layer name, or (for `to`) 'output'. */
  from: string;
  to: string;
  /** α: scale of the forward drive. Default 1. */
  alpha?: number;
  /** Default {kind:'none'} for hidden edges, {kind:'symmetric'} for the edge into the output. */
  feedback?: FeedbackSpec;
  /** Whether the local rule updates this edge's matrix. Default true. */
  trainable?: boolean;
}

export interface DynamicsSpec {
  /** Free-phase steps from the zero state. */
  T: number;
  /** Nudged-phase steps from the free state. */
  K: number;
  /** β_f: scale of the output error fed back into the last layer. */
  betaF: number;
  /** Default 'held'. */
  nudge?: NudgeMode;
}

export interface AdamSpec {
  kind: 'adam';
  lr: number;
  /** Defaults 0.9, 0.999, 1e-8 (fre-rnn.md §1). */
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export interface SgdSpec {
  kind: 'sgd';
  /** One learning rate, or one per trained edge (by edge name). */
  lr: number | Record<string, number>;
  /** Default 0. */
  momentum?: number;
}

export type OptimizerSpec = AdamSpec | SgdSpec;

export interface TrainingSpec {
  optimizer: OptimizerSpec;
  batchSize: number;
  epochs: number;
  seed: number;
}

export interface DataSpec {
  dataset: DatasetName;
}

export interface GraphSpec {
  format: typeof GRAPH_FORMAT;
  name: string;
  description?: string;
  data?: DataSpec;
  input: { size: number };
  layers: LayerSpec[];
  output: { classes: number };
  edges: EdgeSpec[];
  dynamics: DynamicsSpec;
  training: TrainingSpec;
}
