/** Small nets and parameter setters shared by the engine tests. */
import { GraphBuilder } from '../../graph/builder';
import { resolveNet, type Net } from '../../graph/net';
import type { EdgeSpec, NudgeMode, OptimizerSpec } from '../../graph/spec';

export function chainNet(
  sizes: number[],
  classes: number,
  o: {
    betaI: number;
    betaF: number;
    T: number;
    K: number;
    nudge?: NudgeMode;
    feedback?: 'symmetric' | 'random';
    alpha?: number;
    batch?: number;
  },
): Net {
  const b = new GraphBuilder('test-chain').input(sizes[0]);
  sizes.slice(1).forEach((n, i) => b.layer(`h${i + 1}`, n));
  b.output(classes)
    .chain({ betaI: o.betaI, feedback: o.feedback, alpha: o.alpha })
    .dynamics({ T: o.T, K: o.K, betaF: o.betaF, nudge: o.nudge ?? 'held' })
    .training({ optimizer: { kind: 'adam', lr: 1e-3 }, batchSize: o.batch ?? 8, epochs: 1, seed: 0 });
  return resolveNet(b.build());
}

export function graphNet(
  input: number,
  layers: number[],
  classes: number,
  edges: EdgeSpec[],
  o: { betaF: number; T: number; K: number; nudge?: NudgeMode; optimizer?: OptimizerSpec },
): Net {
  const b = new GraphBuilder('test-graph').input(input);
  layers.forEach((n, i) => b.layer(`h${i + 1}`, n));
  b.output(classes);
  edges.forEach((e) => b.edge(e));
  b.dynamics({ T: o.T, K: o.K, betaF: o.betaF, nudge: o.nudge ?? 'held' }).training({
    optimizer: o.optimizer ?? { kind: 'adam', lr: 1e-3 },
    batchSize: 8,
    epochs: 1,
    seed: 0,
  });
  return resolveNet(b.build());
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0,
    aa = 0,
    bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

export function randomInputs(m: number, n: number, seedRng: { uniform(): number }): Float32Array {
  const x = new Float32Array(m * n);
  for (let i = 0; i < x.length; i++) x[i] = seedRng.uniform();
  return x;
}

export function oneHotRows(labels: number[], classes: number): Float32Array {
  const y = new Float32Array(labels.length * classes);
  labels.forEach((l, r) => {
    y[r * classes + l] = 1;
  });
  return y;
}
