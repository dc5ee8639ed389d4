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
 *  lagged: as recomputed but from the state one step older (s_{T−1} at the first nudged step): the
 *  authors' Table 1 conv notebook keeps the logits as a state updated with the others. A training-time
 *  study mode; the compiler refuses it (CMP008);
 *  graph: the authors' graph model — the held error's drive grows as k·β_f·B_f·e at nudged step k,
 *  and the readout update uses the nudged output's error on the free state (docs/references.md#fre-rnn-model, the graph variant). */
export type NudgeMode = 'held' | 'recomputed' | 'lagged' | 'graph';
export const NUDGE_MODES: readonly NudgeMode[] = ['held', 'recomputed', 'lagged', 'graph'];

export type DatasetName = 'mnist' | 'fashion-mnist' | 'cifar10' | 'synthetic';
export const DATASETS: readonly DatasetName[] = ['mnist', 'fashion-mnist', 'cifar10', 'synthetic'];

/** A feature-map shape [channels, height, width] (a conv layer's state is C·H·W units, NCHW per sample). */
export type MapShape = [number, number, number];

export interface LayerSpec {
  name: string;
  /** Number of units. With `shape`, optional (and if given must equal C·H·W). */
  size: number;
  /** Feature-map shape, required on layers that conv edges read or write (docs/graph-format.md). */
  shape?: MapShape;
  /** Default 'tanh'. */
  activation?: Activation;
}

export type PoolKind = 'max' | 'avg';
export const POOL_KINDS: readonly PoolKind[] = ['max', 'avg'];

/** A convolution on an edge: the matrix is the unrolled kernel [C_out × C_in·k·k] (docs/conv-layout.md).
 *  C_out is the `to` layer's channel count; the `to` layer's H×W must equal the (pooled) output size. */
export interface ConvEdgeSpec {
  /** Square kernel side k. */
  kernel: number;
  /** Default 1. */
  stride?: number;
  /** Zero padding on every side. Default 0. */
  padding?: number;
}

/** Pooling after the convolution, inside the edge (square window, no padding, floor mode). Its
 *  feedback path is the unpool through the stored argmax (max) or the spread over the window (avg). */
export interface PoolEdgeSpec {
  kind: PoolKind;
  size: number;
  /** Default = size. */
  stride?: number;
  /** Max pooling only: which value the window's argmax (the unit the unpool routes through) is taken over.
   *  'preactivation' (default): the conv value. 'activation': ρ_to(α·(conv value + b)), ties to the first
   *  unit in row-major window order — the authors' PyTorch rule, where a window clamped at 0 throughout
   *  routes through its top-left unit. The pooled value is the same under both (docs/graph-format.md). */
  argmax?: PoolArgmax;
  /** Max pooling only: what the edge's β_i feedback into its `from` layer reads. 'winners' (default): the
   *  `to` layer's state unpooled, zero at the other units of each window. 'map': the whole pre-pool map,
   *  each window's winner carrying the `to` layer's state and every other unit its own activation
   *  ρ_to(α·(conv value + b)) of the same step's read — the authors' Table 1 conv notebook, whose state is
   *  the pre-pool map (docs/graph-format.md). Windows must not overlap (stride ≥ size). */
  feedback?: PoolFeedback;
  /** Max pooling only: how a window's winner is chosen at each step. 'feedforward' (default): by the read
   *  (the conv value, or its activation under `argmax`), feedback and nudge added to the pooled unit. 'state':
   *  the edge keeps a pre-pool state map whose previous winner carries the rest of the pooled unit's drive
   *  (feedback, nudge, other edges); the winner is chosen over that map and the unit's drive is the map
   *  there — the authors' Table 1 conv notebook, which pools its pre-pool state with the feedback and
   *  nudge already placed (docs/graph-format.md). EP engine only; windows must not overlap. */
  winner?: PoolWinner;
}

export type PoolArgmax = 'preactivation' | 'activation';
export const POOL_ARGMAX: readonly PoolArgmax[] = ['preactivation', 'activation'];
export type PoolFeedback = 'winners' | 'map';
export const POOL_FEEDBACK: readonly PoolFeedback[] = ['winners', 'map'];
export type PoolWinner = 'feedforward' | 'state';
export const POOL_WINNER: readonly PoolWinner[] = ['feedforward', 'state'];

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
  /** Convolution instead of a dense matrix (both ends must have a `shape`, or be the shaped input). */
  conv?: ConvEdgeSpec;
  /** Pooling after the convolution (conv edges only). */
  pool?: PoolEdgeSpec;
  /** A learned bias added to the drive (one per output channel on conv edges). Default false. */
  bias?: boolean;
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
  /** Divide the hidden edges' EP updates by β_f: ΔW = (s^β − s⁰)·pre⁰ᵀ/(β_f·m), the convention of
   *  Ernoult et al. 2019 and Laborieux et al. 2021 whose SGD learning rates the conv runs reuse; the
   *  readout's delta rule is unchanged. Default false (the authors' layered code has no 1/β). */
  divideByBetaF?: boolean;
}

export interface AdamSpec {
  /** adam: L2 weight decay added to the gradient (PyTorch Adam); adamw: decoupled decay
   *  w ← w − lr·wd·w before the Adam step (PyTorch AdamW, Loshchilov & Hutter). */
  kind: 'adam' | 'adamw';
  lr: number;
  /** Defaults 0.9, 0.999, 1e-8 (docs/references.md#optimisers-and-initialisation). */
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Default 0 for adam, 0.01 for adamw (PyTorch's defaults). */
  weightDecay?: number;
}

/** Adam's defaults when a spec leaves them out (PyTorch's). */
export const ADAM_DEFAULTS = { beta1: 0.9, beta2: 0.999, eps: 1e-8 } as const;

export interface SgdSpec {
  kind: 'sgd';
  /** One learning rate, or one per trained edge (by edge name). */
  lr: number | Record<string, number>;
  /** Default 0. PyTorch form: v ← μ·v + g; w ← w − lr·v. */
  momentum?: number;
  /** L2 weight decay added to the gradient (g ← g + wd·w), as PyTorch SGD. Default 0. */
  weightDecay?: number;
}

export type OptimizerSpec = AdamSpec | SgdSpec;

/** Learning-rate schedule, stepped once per epoch. */
export type ScheduleSpec =
  | { kind: 'constant' }
  /** PyTorch CosineAnnealingLR: lr_e = minLr + (lr − minLr)(1 + cos(π·e/epochs))/2 at epoch e = 0, 1, …;
   *  `epochs` (T_max) defaults to training.epochs, minLr (η_min, absolute) to 0. */
  | { kind: 'cosine'; epochs?: number; minLr?: number };

export interface TrainingSpec {
  optimizer: OptimizerSpec;
  batchSize: number;
  epochs: number;
  seed: number;
  /** Default constant. */
  schedule?: ScheduleSpec;
  /** Clip the global L2 norm of all update directions (weights and biases) to this value before the
   *  optimiser step (PyTorch clip_grad_norm_). Default: no clipping. */
  clipGradNorm?: number;
  /** Initial parameters (graph/params.ts). `glorot` (default): Glorot-uniform W and B, zero biases.
   *  `pytorch`: PyTorch's nn.Linear / nn.Conv2d defaults, W and biases U(±1/√fan_in) — what the
   *  authors' conv notebooks start from. */
  init?: InitKind;
}

export const INIT_KINDS = ['glorot', 'pytorch'] as const;
export type InitKind = (typeof INIT_KINDS)[number];

export interface DataSpec {
  dataset: DatasetName;
}

export interface GraphSpec {
  format: typeof GRAPH_FORMAT;
  name: string;
  description?: string;
  data?: DataSpec;
  /** `size` units, or a feature map `shape` [C, H, W] (then size = C·H·W) for conv nets. */
  input: { size: number; shape?: MapShape };
  layers: LayerSpec[];
  output: { classes: number };
  edges: EdgeSpec[];
  dynamics: DynamicsSpec;
  training: TrainingSpec;
}
