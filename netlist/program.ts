/**
 * The net a netlist describes, rebuilt from its NORMATIVE fields only (groups, edges, the schedule's
 * phase lengths, dynamics, training_info) — never from the graph spec in metadata_props, which is
 * provenance. The chip simulator uses it for what is not an op: the optimiser's parameter slots and
 * rates, and the dataset's shape and name. `fre validate` has checked the fields it reads.
 */
import { resolveNet, type Net } from '../graph/net';
import {
  GRAPH_FORMAT,
  type Activation,
  type DatasetName,
  type EdgeSpec,
  type GraphSpec,
  type MapShape,
  type OptimizerSpec,
  type TrainingSpec,
} from '../graph/spec';
import type { NetlistMsg, TrainingInfoMsg } from './types';

const ACT: Record<string, Activation> = { ACTIVATION_TANH: 'tanh', ACTIVATION_HARD_SIGMOID: 'hard-sigmoid', ACTIVATION_SIGMOID: 'sigmoid' };

/** The FREE and NUDGED phases' repeat counts: T and K as the chip runs them. */
export function phaseSteps(n: NetlistMsg): { T: number; K: number } {
  const rep = (k: string) => n.schedule?.phases.find((p) => p.kind === k)?.repeat ?? 0;
  return { T: rep('PHASE_KIND_FREE'), K: rep('PHASE_KIND_NUDGED') };
}

function shapeOf(s: number[]): MapShape | undefined {
  return s.length === 3 ? [s[0], s[1], s[2]] : undefined;
}

function trainingOf(t: TrainingInfoMsg | null, edgeNames: string[]): TrainingSpec {
  if (!t) {
    // Inference-only netlist: a recipe that never steps (no training_info, nothing to train with).
    return { optimizer: { kind: 'sgd', lr: 0 }, batchSize: 100, epochs: 0, seed: 0 };
  }
  const same = t.edgeLr.every((v) => v === t.edgeLr[0]);
  let optimizer: OptimizerSpec;
  if (t.optimizer === 'OPTIMIZER_KIND_SGD') {
    const lr = same ? (t.edgeLr[0] ?? 0) : Object.fromEntries(edgeNames.map((name, i) => [name, t.edgeLr[i] ?? 0]));
    optimizer = { kind: 'sgd', lr, momentum: t.momentum, weightDecay: t.weightDecay };
  } else {
    optimizer = {
      kind: t.optimizer === 'OPTIMIZER_KIND_ADAMW' ? 'adamw' : 'adam',
      lr: t.edgeLr[0] ?? 0,
      beta1: t.beta1,
      beta2: t.beta2,
      eps: t.eps,
      weightDecay: t.weightDecay,
    };
  }
  return {
    optimizer,
    batchSize: t.batchSize,
    epochs: t.epochs,
    seed: t.seed,
    schedule:
      t.schedule === 'LR_SCHEDULE_KIND_COSINE'
        ? { kind: 'cosine', ...(t.scheduleEpochs ? { epochs: t.scheduleEpochs } : {}), minLr: t.minLr }
        : { kind: 'constant' },
    ...(t.clipGradNorm > 0 ? { clipGradNorm: t.clipGradNorm } : {}),
  };
}

/** The graph the netlist's normative fields describe, as a GraphSpec (for resolveNet). */
export function specOfNetlist(n: NetlistMsg): GraphSpec {
  const out = n.groups.length - 1;
  const name = (g: number) => (g === 0 ? 'input' : g === out ? 'output' : n.groups[g].name);
  const edges: EdgeSpec[] = n.edges.map((e) => {
    const c = e.conv;
    return {
      name: e.name,
      from: name(e.fromGroup),
      to: name(e.toGroup),
      alpha: e.alpha,
      trainable: e.trainable,
      feedback: {
        kind: e.feedback === 'FEEDBACK_KIND_SYMMETRIC' ? 'symmetric' : e.feedback === 'FEEDBACK_KIND_RANDOM' ? 'random' : 'none',
        beta: e.beta,
      },
      ...(c ? { conv: { kernel: c.kernel, stride: c.stride, padding: c.padding } } : {}),
      ...(c && (c.pool === 'POOL_KIND_MAX' || c.pool === 'POOL_KIND_AVG')
        ? { pool: { kind: c.pool === 'POOL_KIND_MAX' ? 'max' : 'avg', size: c.poolSize, stride: c.poolStride } }
        : {}),
      ...(e.bias.length ? { bias: true } : {}),
    } as EdgeSpec;
  });
  const d = n.dynamics!;
  const { T, K } = phaseSteps(n);
  const inShape = shapeOf(n.groups[0].shape);
  return {
    format: GRAPH_FORMAT,
    name: n.graphName,
    data: { dataset: (n.trainingInfo?.dataset || 'mnist') as DatasetName },
    input: { size: n.groups[0].size, ...(inShape ? { shape: inShape } : {}) },
    layers: n.groups.slice(1, out).map((g) => {
      const sh = shapeOf(g.shape);
      return { name: g.name, size: g.size, activation: ACT[g.activation] ?? 'tanh', ...(sh ? { shape: sh } : {}) };
    }),
    output: { classes: n.groups[out].size },
    edges,
    dynamics: {
      T,
      K,
      betaF: d.betaF,
      nudge: d.nudge === 'NUDGE_MODE_RECOMPUTED' ? 'recomputed' : d.nudge === 'NUDGE_MODE_GRAPH' ? 'graph' : 'held',
      ...(n.trainingInfo?.divideByBetaF ? { divideByBetaF: true } : {}),
    },
    training: trainingOf(
      n.trainingInfo,
      n.edges.map((e) => e.name),
    ),
  };
}

/** The resolved net of a (validated) netlist. */
export function netOfNetlist(n: NetlistMsg): Net {
  return resolveNet(specOfNetlist(n));
}
