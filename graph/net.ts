/**
 * The resolved network: a validated GraphSpec turned into indexed layers and edges, the form the
 * engines, the compiler and the simulator all read. Node ids: INPUT, 0..L-1 for hidden layers, OUTPUT.
 */
import { windowOut, type ConvSpec, type FeatureShape, type PoolSpec } from './shapes';
import type { Activation, EdgeSpec, FeedbackKind, GraphSpec, MapShape } from './spec';

export const INPUT = -1;
export const OUTPUT = -2;

export interface NetLayer {
  name: string;
  index: number;
  size: number;
  /** Feature-map shape when the layer is a conv map (size = C·H·W, NCHW per sample). */
  shape?: FeatureShape;
  activation: Activation;
}

/** A conv edge's geometry. The edge's matrix is the unrolled kernel [rows = C_out, cols = C_in·k·k]. */
export interface NetConv {
  conv: ConvSpec;
  pool?: PoolSpec;
  /** Conv output positions per sample before pooling (OH·OW): the crossbar reads per sample. */
  positions: number;
  /** Shape of the conv output before pooling. */
  convShape: FeatureShape;
}

export interface NetEdge {
  name: string;
  index: number;
  from: number;
  to: number;
  /** Rows of the weight matrix = size of `to`; columns = size of `from` ([out, in], as PyTorch). */
  rows: number;
  cols: number;
  alpha: number;
  feedback: FeedbackKind;
  /** β_i of this edge's feedback (β_f for the output edge). */
  beta: number;
  trainable: boolean;
  /** Present on conv edges: then rows/cols are the unrolled kernel's, not the layer sizes. */
  conv?: NetConv;
  /** A learned bias of `rows` entries (one per output unit, or per output channel on conv edges). */
  bias: boolean;
}

export interface Net {
  spec: GraphSpec;
  inputSize: number;
  /** The input's feature-map shape, when given (conv nets). */
  inputShape?: FeatureShape;
  classes: number;
  layers: NetLayer[];
  edges: NetEdge[];
  /** The single edge into the output (the readout W_f). */
  readout: NetEdge;
}

export function resolveNet(spec: GraphSpec): Net {
  const layers: NetLayer[] = spec.layers.map((l, index) => ({
    name: l.name,
    index,
    size: l.size,
    ...(l.shape ? { shape: featureShape(l.shape) } : {}),
    activation: l.activation ?? 'tanh',
  }));
  const inputShape = spec.input.shape ? featureShape(spec.input.shape) : undefined;
  const id = (name: string): number => {
    if (name === 'input') return INPUT;
    if (name === 'output') return OUTPUT;
    const i = layers.findIndex((l) => l.name === name);
    if (i < 0) throw new Error(`unknown node ${name} (the spec was not validated)`);
    return i;
  };
  const size = (node: number): number => (node === INPUT ? spec.input.size : node === OUTPUT ? spec.output.classes : layers[node].size);
  const shape = (node: number): FeatureShape | undefined =>
    node === INPUT ? inputShape : node === OUTPUT ? undefined : layers[node].shape;
  const edges: NetEdge[] = spec.edges.map((e, index) => {
    const from = id(e.from);
    const to = id(e.to);
    const feedback = e.feedback?.kind ?? (to === OUTPUT ? 'symmetric' : 'none');
    const base = {
      name: e.name,
      index,
      from,
      to,
      alpha: e.alpha ?? 1,
      feedback,
      beta: to === OUTPUT ? spec.dynamics.betaF : (e.feedback?.beta ?? 0),
      trainable: e.trainable ?? true,
      bias: e.bias ?? false,
    };
    if (!e.conv) return { ...base, rows: size(to), cols: size(from) };
    const inS = shape(from);
    const outS = shape(to);
    if (!inS || !outS) throw new Error(`conv edge ${e.name} joins a node without a shape (the spec was not validated)`);
    const conv: ConvSpec = {
      inChannels: inS.channels,
      outChannels: outS.channels,
      kernel: e.conv.kernel,
      stride: e.conv.stride ?? 1,
      padding: e.conv.padding ?? 0,
      height: inS.height,
      width: inS.width,
    };
    const oh = windowOut(conv.height, conv.kernel, conv.stride, conv.padding);
    const ow = windowOut(conv.width, conv.kernel, conv.stride, conv.padding);
    const pool: PoolSpec | undefined = e.pool
      ? {
          kind: e.pool.kind,
          size: e.pool.size,
          stride: e.pool.stride ?? e.pool.size,
          ...(e.pool.argmax === 'activation' ? { argmax: poolActivationArgmax(e, layers[to]) } : {}),
          ...(e.pool.feedback === 'map' ? { feedback: 'map' as const } : {}),
          ...(e.pool.winner === 'state' ? { winner: 'state' as const } : {}),
        }
      : undefined;
    return {
      ...base,
      rows: conv.outChannels,
      cols: conv.inChannels * conv.kernel * conv.kernel,
      conv: { conv, ...(pool ? { pool } : {}), positions: oh * ow, convShape: { channels: conv.outChannels, height: oh, width: ow } },
    };
  });
  const readout = edges.find((e) => e.to === OUTPUT);
  if (!readout) throw new Error('graph has no edge into the output (the spec was not validated)');
  return { spec, inputSize: spec.input.size, ...(inputShape ? { inputShape } : {}), classes: spec.output.classes, layers, edges, readout };
}

/** The kernels' activation key is hard-sigmoid's clamp(·, 0, 1) with α > 0 (graph/shapes.ts PoolSpec):
 *  checked again here, since a spec that skipped validation would otherwise pool with the wrong key. */
function poolActivationArgmax(e: EdgeSpec, to: NetLayer): 'activation' {
  if (to.activation !== 'hard-sigmoid' || !((e.alpha ?? 1) > 0))
    throw new Error(`edge ${e.name}: pool argmax "activation" needs a hard-sigmoid "to" layer and alpha > 0 (the spec was not validated)`);
  return 'activation';
}

export function featureShape(s: MapShape): FeatureShape {
  return { channels: s[0], height: s[1], width: s[2] };
}

/** Number of entries of an edge's bias (0 without one). */
export function biasSize(e: NetEdge): number {
  return e.bias ? e.rows : 0;
}

export function nodeName(net: Net, node: number): string {
  return node === INPUT ? 'input' : node === OUTPUT ? 'output' : net.layers[node].name;
}

/** Forward-direction edges (from earlier to later node in the order input, hidden 0..L-1, output):
 *  the feedforward net that BP and FA train. */
export function isForward(e: NetEdge): boolean {
  const rank = (n: number): number => (n === INPUT ? -1 : n === OUTPUT ? Number.MAX_SAFE_INTEGER : n);
  return rank(e.from) < rank(e.to);
}
