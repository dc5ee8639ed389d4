/**
 * Generators for the paper's deep topologies (docs/references.md#topologies), as ordinary graph specs with
 * explicit edges:
 *  - residual: bidirectional chain h_i ↔ h_{i+1} plus bidirectional skips h_1 ↔ h_4, h_4 ↔ h_7, …
 *    (every 3 layers), all symmetric (feedback = forward matrix read transposed, scaled by β_i) and
 *    trained;
 *  - AGT: the chain with fixed random feedback, plus a directed edge for each ordered pair of
 *    non-adjacent hidden layers with probability P (seeded). A random edge that points forward
 *    (i < j) is a trained feedforward edge (scale α); one that points backward is a fixed random
 *    matrix scaled by β_i, i.e. extra random feedback. The output feedback is fixed random.
 */
import { GraphBuilder } from './builder';
import type { Activation, DynamicsSpec, GraphSpec, TrainingSpec } from './spec';
import { makeRng } from '../util/rng';

export interface DeepOptions {
  name: string;
  description?: string;
  dataset?: 'mnist' | 'fashion-mnist' | 'cifar10' | 'synthetic';
  inputSize: number;
  classes: number;
  depth: number;
  width: number;
  activation?: Activation;
  alpha?: number;
  betaI: number;
  dynamics: DynamicsSpec;
  training: TrainingSpec;
}

function start(o: DeepOptions): { b: GraphBuilder; names: string[] } {
  const b = new GraphBuilder(o.name).input(o.inputSize).output(o.classes).dynamics(o.dynamics).training(o.training);
  if (o.description) b.description(o.description);
  if (o.dataset) b.data(o.dataset);
  const names = Array.from({ length: o.depth }, (_, i) => `h${i + 1}`);
  names.forEach((n) => b.layer(n, o.width, o.activation ?? 'tanh'));
  return { b, names };
}

/** Skip pairs (1-based layer numbers) of the residual net: 1↔4, 4↔7, … while the target exists. */
export function residualSkips(depth: number): [number, number][] {
  const out: [number, number][] = [];
  for (let a = 1; a + 3 <= depth; a += 3) out.push([a, a + 3]);
  return out;
}

export function residualGraph(o: DeepOptions & { skips?: boolean }): GraphSpec {
  const { b } = start(o);
  b.chain({ betaI: o.betaI, alpha: o.alpha });
  if (o.skips !== false) {
    for (const [a, c] of residualSkips(o.depth)) {
      b.edge({ name: `S${a}_${c}`, from: `h${a}`, to: `h${c}`, alpha: o.alpha ?? 1, feedback: { kind: 'symmetric', beta: o.betaI } });
    }
  }
  return b.build();
}

/** Random directed edges of the AGT net as [from, to] (1-based), drawn with probability p per ordered pair. */
export function agtRandomEdges(depth: number, p: number, seed: number): [number, number][] {
  const rng = makeRng(seed).fork('agt-edges');
  const out: [number, number][] = [];
  for (let i = 1; i <= depth; i++) {
    for (let j = 1; j <= depth; j++) {
      if (Math.abs(i - j) < 2) continue;
      if (rng.uniform() < p) out.push([i, j]);
    }
  }
  return out;
}

export function agtGraph(o: DeepOptions & { p: number; edgeSeed?: number }): GraphSpec {
  const { b } = start(o);
  b.chain({ betaI: o.betaI, alpha: o.alpha, feedback: 'random', outputFeedback: 'random' });
  for (const [i, j] of agtRandomEdges(o.depth, o.p, o.edgeSeed ?? o.training.seed)) {
    if (i < j) b.edge({ name: `R${i}_${j}`, from: `h${i}`, to: `h${j}`, alpha: o.alpha ?? 1 });
    else b.edge({ name: `R${i}_${j}`, from: `h${i}`, to: `h${j}`, alpha: o.betaI, trainable: false });
  }
  return b.build();
}
