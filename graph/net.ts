/**
 * The resolved network: a validated GraphSpec turned into indexed layers and edges, the form the
 * engines, the compiler and the simulator all read. Node ids: INPUT, 0..L-1 for hidden layers, OUTPUT.
 */
import type { Activation, FeedbackKind, GraphSpec } from './spec';

export const INPUT = -1;
export const OUTPUT = -2;

export interface NetLayer {
  name: string;
  index: number;
  size: number;
  activation: Activation;
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
}

export interface Net {
  spec: GraphSpec;
  inputSize: number;
  classes: number;
  layers: NetLayer[];
  edges: NetEdge[];
  /** The single edge into the output (the readout W_f). */
  readout: NetEdge;
}

export function resolveNet(spec: GraphSpec): Net {
  const layers: NetLayer[] = spec.layers.map((l, index) => ({
    name: l.name, index, size: l.size, activation: l.activation ?? 'tanh',
  }));
  const id = (name: string): number => {
    if (name === 'input') return INPUT;
    if (name === 'output') return OUTPUT;
    const i = layers.findIndex((l) => l.name === name);
    if (i < 0) throw new Error(`unknown node ${name} (the spec was not validated)`);
    return i;
  };
  const size = (node: number): number =>
    node === INPUT ? spec.input.size : node === OUTPUT ? spec.output.classes : layers[node].size;
  const edges: NetEdge[] = spec.edges.map((e, index) => {
    const from = id(e.from);
    const to = id(e.to);
    const feedback = e.feedback?.kind ?? (to === OUTPUT ? 'symmetric' : 'none');
    return {
      name: e.name, index, from, to, rows: size(to), cols: size(from), alpha: e.alpha ?? 1,
      feedback, beta: to === OUTPUT ? spec.dynamics.betaF : (e.feedback?.beta ?? 0), trainable: e.trainable ?? true,
    };
  });
  const readout = edges.find((e) => e.to === OUTPUT);
  if (!readout) throw new Error('graph has no edge into the output (the spec was not validated)');
  return { spec, inputSize: spec.input.size, classes: spec.output.classes, layers, edges, readout };
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
