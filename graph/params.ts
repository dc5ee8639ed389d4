/**
 * The weights of a net: one matrix per edge ([rows = size of `to`] × [cols = size of `from`],
 * row-major, the PyTorch Linear layout) plus one fixed random matrix per edge with random
 * feedback ([cols × rows]: it maps the `to` state back to the `from` layer).
 * Names in .npz files: the edge name for W, `<edge>.feedback` for B.
 */
import type { Net, NetEdge } from './net';
import type { Rng } from '../util/rng';
import type { InitKind } from './spec';

export interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

export interface Params {
  /** Indexed by edge index. */
  W: Matrix[];
  /** Random feedback matrices, indexed by edge index (undefined unless feedback is 'random'). */
  B: (Matrix | undefined)[];
  /** Biases, indexed by edge index (undefined unless the edge has `bias`); zero at the start unless `training.init` is `pytorch`. */
  bias: (Float32Array | undefined)[];
}

export function biasKey(edge: NetEdge): string {
  return `${edge.name}.bias`;
}

export function feedbackKey(edge: NetEdge): string {
  return `${edge.name}.feedback`;
}

/** Glorot-uniform U(−1,1)·sqrt(6/(fan_in+fan_out)), the init of docs/references.md#optimisers-and-initialisation for W and B alike. */
export function glorot(rows: number, cols: number, rng: Rng): Matrix {
  return { rows, cols, data: uniform(rows * cols, Math.sqrt(6 / (rows + cols)), rng) };
}

/** n draws of U(−a, a), in order from `rng`. */
function uniform(n: number, a: number, rng: Rng): Float32Array {
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (2 * rng.uniform() - 1) * a;
  return data;
}

/** PyTorch's default bound for nn.Linear and nn.Conv2d, weights and biases alike: 1/√fan_in, with
 *  fan_in = in_features or C_in·k² — the unrolled W's column count either way. */
function pytorchBound(e: NetEdge): number {
  return 1 / Math.sqrt(e.cols);
}

/** `glorot`: Glorot for a dense edge; for a conv edge Glorot with the conv fans (fan_in = C_in·k²,
 *  fan_out = C_out·k², PyTorch's xavier_uniform_ on a Conv2d weight), laid out as the unrolled
 *  [C_out × C_in·k²]. `pytorch`: U(±1/√fan_in) (kaiming_uniform_ with a = √5, PyTorch's default). */
export function initWeight(e: NetEdge, rng: Rng, init: InitKind = 'glorot'): Matrix {
  if (init === 'pytorch') return { rows: e.rows, cols: e.cols, data: uniform(e.rows * e.cols, pytorchBound(e), rng) };
  if (!e.conv) return glorot(e.rows, e.cols, rng);
  const k2 = e.conv.conv.kernel * e.conv.conv.kernel;
  return { rows: e.rows, cols: e.cols, data: uniform(e.rows * e.cols, Math.sqrt(6 / (e.cols + e.rows * k2)), rng) };
}

/** A fixed random feedback matrix [cols × rows], at the same init law and scale as W. */
export function initFeedback(e: NetEdge, rng: Rng, init: InitKind = 'glorot'): Matrix {
  const w = initWeight(e, rng, init);
  return { rows: e.cols, cols: e.rows, data: w.data };
}

/** Zero under `glorot`; U(±1/√fan_in) under `pytorch`, each bias from its own generator. */
function initBias(e: NetEdge, rng: Rng, init: InitKind): Float32Array {
  return init === 'pytorch' ? uniform(e.rows, pytorchBound(e), rng.fork(`init/${biasKey(e)}`)) : new Float32Array(e.rows);
}

/**
 * Fresh parameters. Each matrix draws from its own generator forked by name, so adding an edge
 * does not change the initial values of the others.
 */
export function initParams(net: Net, rng: Rng): Params {
  const init = net.spec.training.init ?? 'glorot';
  const W = net.edges.map((e) => initWeight(e, rng.fork(`init/${e.name}`), init));
  const B = net.edges.map((e) => (e.feedback === 'random' ? initFeedback(e, rng.fork(`init/${feedbackKey(e)}`), init) : undefined));
  const bias = net.edges.map((e) => (e.bias ? initBias(e, rng, init) : undefined));
  return { W, B, bias };
}

/** Random matrices for every edge that lacks one: feedback alignment needs them on any net. */
export function withRandomFeedback(net: Net, params: Params, rng: Rng): Params {
  const B = net.edges.map((e, i) => params.B[i] ?? initFeedback(e, rng.fork(`fa/${feedbackKey(e)}`), net.spec.training.init));
  return { W: params.W, B, bias: params.bias };
}

export function cloneParams(p: Params): Params {
  const copy = (m: Matrix): Matrix => ({ rows: m.rows, cols: m.cols, data: m.data.slice() });
  return { W: p.W.map(copy), B: p.B.map((m) => (m ? copy(m) : undefined)), bias: (p.bias ?? []).map((b) => b?.slice()) };
}
