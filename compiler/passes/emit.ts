/**
 * emit: assemble the netlist message (proto/netlist.proto) from the IR: the chip description, the
 * groups and edges with their mappings, cores, arrays with their conductance tensors (little-endian,
 * row-major slices of the mapped planes) and gains, reductions, routes and the schedule.
 */
import { INPUT, OUTPUT } from '../../graph/net';
import { ADAM_DEFAULTS } from '../../graph/spec';
import type { Plane } from '../../hw-models/conductance';
import { chipToMsg } from '../../netlist/chip-proto';
import { convGeometryMsg } from '../../netlist/conv';
import {
  IR_VERSION,
  OPSET_VERSION,
  OP_DOMAIN,
  PRODUCER_NAME,
  type ActivationName,
  type ArrayMsg,
  type EdgeMsg,
  type GroupRoleName,
  type MatrixMappingMsg,
  type NeuronGroupMsg,
  type NudgeModeName,
  type TensorMsg,
  type TrainingInfoMsg,
} from '../../netlist/types';
import type { CompilerIR, IrMatrix, IrTile, Pass } from '../ir';

const ROLE: Record<string, GroupRoleName> = { input: 'GROUP_ROLE_INPUT', hidden: 'GROUP_ROLE_HIDDEN', output: 'GROUP_ROLE_OUTPUT' };
const ACT: Record<string, ActivationName> = {
  identity: 'ACTIVATION_IDENTITY',
  tanh: 'ACTIVATION_TANH',
  'hard-sigmoid': 'ACTIVATION_HARD_SIGMOID',
  sigmoid: 'ACTIVATION_SIGMOID',
  softmax: 'ACTIVATION_SOFTMAX',
};
const NUDGE: Record<string, NudgeModeName> = { held: 'NUDGE_MODE_HELD', recomputed: 'NUDGE_MODE_RECOMPUTED', graph: 'NUDGE_MODE_GRAPH' };

/** Quantisation step of `bits` codes over a range (0 when not quantised). */
export function codeStep(bits: number | 'float', lo: number, hi: number): number {
  return bits === 'float' ? 0 : (hi - lo) / (2 ** bits - 1);
}

function tileTensor(plane: Plane, matrixCols: number, t: IrTile): TensorMsg {
  const rows = t.rowEnd - t.rowBegin;
  const cols = t.colEnd - t.colBegin;
  const width = plane instanceof Uint8Array ? 1 : plane instanceof Uint16Array ? 2 : 4;
  const out = new Uint8Array(rows * cols * width);
  const view = new DataView(out.buffer);
  let k = 0;
  for (let r = t.rowBegin; r < t.rowEnd; r++) {
    const base = r * matrixCols;
    for (let c = t.colBegin; c < t.colEnd; c++, k++) {
      const v = plane[base + c];
      if (width === 1) out[k] = v;
      else if (width === 2) view.setUint16(2 * k, v, true);
      else view.setFloat32(4 * k, v, true);
    }
  }
  return {
    dataType: width === 1 ? 'DATA_TYPE_UINT8' : width === 2 ? 'DATA_TYPE_UINT16' : 'DATA_TYPE_FLOAT32',
    dims: [rows, cols],
    rawData: out,
    externalData: null,
  };
}

const POLICY_NAME = {
  max: 'W_MAX_POLICY_MAX',
  percentile: 'W_MAX_POLICY_PERCENTILE',
  headroom: 'W_MAX_POLICY_HEADROOM',
  fixed: 'W_MAX_POLICY_FIXED',
} as const;

function mappingMsg(ir: CompilerIR, m: IrMatrix | undefined): MatrixMappingMsg | null {
  if (!m) return null;
  const s = m.mapped.stats;
  const pol = ir.options.wMax;
  return {
    wMax: m.mapped.wMax,
    policy: POLICY_NAME[pol.kind],
    percentile: pol.kind === 'percentile' ? pol.p : 0,
    headroom: pol.kind === 'headroom' ? pol.factor : 0,
    maxAbs: s.maxAbs,
    clipped: s.clipped,
    maxError: s.maxError,
    rmsError: s.rmsError,
    levelStep: s.levelStep,
  };
}

/** The edge's bias as the netlist stores it (the compiled values; empty without a bias). */
function biasValues(ir: CompilerIR, edge: number): number[] {
  const e = ir.net.edges[edge];
  if (!e.bias) return [];
  const b = ir.params.bias[edge];
  if (!b || b.length !== e.rows)
    throw new Error(`emit: edge ${e.name} has a bias but the parameters hold ${b ? b.length : 'no'} entries for its ${e.rows} rows`);
  return Array.from(b);
}

/** The spec's training recipe as the netlist's normative TrainingInfoProto. */
function trainingInfo(ir: CompilerIR): TrainingInfoMsg {
  const { net } = ir;
  const t = net.spec.training;
  const o = t.optimizer;
  const lr = o.lr;
  const sched = t.schedule ?? { kind: 'constant' };
  return {
    optimizer: o.kind === 'sgd' ? 'OPTIMIZER_KIND_SGD' : o.kind === 'adam' ? 'OPTIMIZER_KIND_ADAM' : 'OPTIMIZER_KIND_ADAMW',
    // SGD may give rates per edge name (an edge it does not name is not stepped: rate 0).
    edgeLr: net.edges.map((e) => (typeof lr === 'number' ? lr : (lr[e.name] ?? 0))),
    momentum: o.kind === 'sgd' ? (o.momentum ?? 0) : 0,
    beta1: o.kind === 'sgd' ? 0 : (o.beta1 ?? ADAM_DEFAULTS.beta1),
    beta2: o.kind === 'sgd' ? 0 : (o.beta2 ?? ADAM_DEFAULTS.beta2),
    eps: o.kind === 'sgd' ? 0 : (o.eps ?? ADAM_DEFAULTS.eps),
    weightDecay: o.weightDecay ?? (o.kind === 'adamw' ? 0.01 : 0),
    batchSize: t.batchSize,
    epochs: t.epochs,
    seed: t.seed,
    schedule: sched.kind === 'cosine' ? 'LR_SCHEDULE_KIND_COSINE' : 'LR_SCHEDULE_KIND_CONSTANT',
    scheduleEpochs: sched.kind === 'cosine' ? (sched.epochs ?? 0) : 0,
    minLr: sched.kind === 'cosine' ? (sched.minLr ?? 0) : 0,
    clipGradNorm: t.clipGradNorm ?? 0,
    divideByBetaF: net.spec.dynamics.divideByBetaF ?? false,
    dataset: net.spec.data?.dataset ?? 'mnist',
  };
}

/** Provenance of the ADC ranges (the ranges themselves are the arrays' normative gains fields). */
function adcRangeMetadata(ir: CompilerIR): { key: string; value: string }[] {
  const a = ir.options.adcRange ?? { kind: 'fixed' };
  if (a.kind === 'fixed') return [{ key: 'compile.adc_range_policy', value: 'fixed' }];
  const c = ir.options.calibration;
  return [
    { key: 'compile.adc_range_policy', value: `percentile:${a.p}` },
    { key: 'compile.adc_calibration', value: c ? `${c.count} samples: ${c.source}` : 'none' },
  ];
}

export const emit: Pass = {
  name: 'emit',
  help: 'assemble the protobuf netlist message',
  run(ir: CompilerIR): void {
    const { net, chip } = ir;
    const site = (core: number) => ir.cores[core].site;
    const dac = chip.periphery.dac;
    const adc = chip.periphery.adc;
    const dacStep = codeStep(dac.bits, dac.inputRange[0], dac.inputRange[1]);
    // A range of 0 is unbounded: nothing to quantise over. Float32 like the fields that hold them,
    // so a compiled netlist executes the same before and after encoding.
    const adcStepOf = (fs: number) => (fs > 0 ? Math.fround(codeStep(adc.bits, -fs, fs)) : 0);
    const fixedFs = adc.fullScale === 'unbounded' ? 0 : Math.fround(adc.fullScale);
    const stateStep = codeStep(chip.neuron.stateBits, chip.neuron.stateRange[0], chip.neuron.stateRange[1]);
    const { T, K, betaF } = net.spec.dynamics;
    const readoutGroup = net.readout.from + 1;

    const shapeOf = (node: number): number[] => {
      const sh = node === INPUT ? net.inputShape : node === OUTPUT ? undefined : net.layers[node].shape;
      return sh ? [sh.channels, sh.height, sh.width] : [];
    };
    const groups: NeuronGroupMsg[] = ir.groups.map((g) => ({
      id: g.id,
      name: g.name,
      role: ROLE[g.role],
      node: g.node,
      size: g.size,
      activation: ACT[g.activation],
      betaF: g.id === readoutGroup ? betaF : 0,
      freeSteps: T,
      nudgedSteps: K,
      homeCore: site(g.home),
      stateStep: g.role === 'hidden' ? stateStep : 0,
      shape: shapeOf(g.node),
    }));

    const tilesOf = (edge: number, role: string) => ir.tiles.filter((t) => t.edge === edge && t.role === role);
    const edges: EdgeMsg[] = net.edges.map((e) => {
      const w = ir.matrices.find((m) => m.edge === e.index && m.role === 'weight');
      const b = ir.matrices.find((m) => m.edge === e.index && m.role === 'random-feedback');
      const wt = tilesOf(e.index, 'weight');
      const bt = tilesOf(e.index, 'random-feedback');
      const gridOf = (ts: IrTile[]) => (ts.length ? [ts[ts.length - 1].tileRow + 1, ts[ts.length - 1].tileCol + 1] : [0, 0]);
      return {
        id: e.index,
        name: e.name,
        fromGroup: e.from === INPUT ? 0 : e.from + 1,
        toGroup: e.to === OUTPUT ? net.layers.length + 1 : e.to + 1,
        rows: e.rows,
        cols: e.cols,
        alpha: e.alpha,
        feedback:
          e.feedback === 'none' ? 'FEEDBACK_KIND_NONE' : e.feedback === 'symmetric' ? 'FEEDBACK_KIND_SYMMETRIC' : 'FEEDBACK_KIND_RANDOM',
        beta: e.beta,
        trainable: e.trainable,
        weights: mappingMsg(ir, w),
        feedbackWeights: mappingMsg(ir, b),
        tileGridRows: gridOf(wt)[0],
        tileGridCols: gridOf(wt)[1],
        arrays: wt.map((t) => t.id),
        feedbackTileGridRows: gridOf(bt)[0],
        feedbackTileGridCols: gridOf(bt)[1],
        feedbackArrays: bt.map((t) => t.id),
        conv: e.conv ? convGeometryMsg(e.conv) : null,
        bias: biasValues(ir, e.index),
      };
    });

    const gainsFor = (t: IrTile) => {
      const e = net.edges[t.edge];
      const m = ir.matrices[t.matrix];
      const fs = t.adcFullScale ?? { forward: fixedFs, transposed: fixedFs, nudge: fixedFs };
      return {
        forward: t.role === 'weight' ? e.alpha * m.mapped.wMax : e.beta * m.mapped.wMax,
        transposed: t.reads.includes('transposed') ? e.beta * m.mapped.wMax : 0,
        dacStep,
        adcStep: adcStepOf(fs.forward),
        adcFullScaleForward: fs.forward,
        adcFullScaleTransposed: fs.transposed,
        adcFullScaleNudge: fs.nudge,
        adcStepTransposed: adcStepOf(fs.transposed),
        adcStepNudge: adcStepOf(fs.nudge),
      };
    };
    const arrays: ArrayMsg[] = ir.tiles.map((t) => {
      const m = ir.matrices[t.matrix];
      return {
        id: t.id,
        core: site(t.core),
        slot: t.slot,
        edge: t.edge,
        role: t.role === 'weight' ? 'ARRAY_ROLE_WEIGHT' : 'ARRAY_ROLE_RANDOM_FEEDBACK',
        rowBegin: t.rowBegin,
        rowEnd: t.rowEnd,
        colBegin: t.colBegin,
        colEnd: t.colEnd,
        tileRow: t.tileRow,
        tileCol: t.tileCol,
        gPlus: tileTensor(m.mapped.plus, m.cols, t),
        gMinus: m.mapped.minus ? tileTensor(m.mapped.minus, m.cols, t) : null,
        gains: gainsFor(t),
        reads: t.reads.map((r) => (r === 'forward' ? 'READ_KIND_FORWARD' : 'READ_KIND_TRANSPOSED')),
        trainable: t.trainable,
      };
    });

    const cores = [...ir.cores]
      .sort((a, b) => a.site - b.site)
      .map((c) => ({
        id: c.site,
        x: c.site % chip.noc.meshWidth,
        y: Math.floor(c.site / chip.noc.meshWidth),
        arrays: [...c.tiles],
        groups: [...c.groups].sort((a, b) => a - b),
      }));

    const pol = ir.options.wMax;
    ir.netlist = {
      irVersion: IR_VERSION,
      opsetImport: [{ domain: OP_DOMAIN, version: OPSET_VERSION }],
      producerName: PRODUCER_NAME,
      producerVersion: ir.options.producerVersion,
      graphName: net.spec.name,
      docString: net.spec.description ?? '',
      chip: chipToMsg(chip),
      dynamics: { freeSteps: T, nudgedSteps: K, betaF, nudge: NUDGE[net.spec.dynamics.nudge ?? 'held'], readoutGroup },
      groups,
      edges,
      cores,
      arrays,
      reductions: ir.reductions,
      routes: ir.routes.map((r) => ({ id: r.id, srcCore: r.src, dstCore: r.dst, path: [...r.path], algorithm: 'ROUTING_ALGORITHM_XY' })),
      schedule: { phases: ir.phases },
      producerCommit: ir.options.producerCommit ?? 'unknown',
      trainingInfo: trainingInfo(ir),
      metadataProps: [
        {
          key: 'compile.w_max_policy',
          value:
            pol.kind === 'max'
              ? 'max'
              : pol.kind === 'percentile'
                ? `percentile:${pol.p}`
                : pol.kind === 'headroom'
                  ? `headroom:${pol.factor}`
                  : `fixed:${pol.wMax}`,
        },
        ...adcRangeMetadata(ir),
        { key: 'graph.format', value: net.spec.format },
        { key: 'graph.training_seed', value: String(net.spec.training.seed) },
        // Provenance only: the graph spec the netlist was compiled from. Nothing executes it.
        { key: 'graph.spec', value: JSON.stringify(net.spec) },
      ],
    };
  },
};
