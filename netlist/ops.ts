/**
 * The op set ai.fre.crossbar, version 2: every op type defined once (ONNX's OpSchema is the model) —
 * the operands it uses, the resources it occupies, the actions it counts, its cycles, its numeric
 * meaning and its validation rule. The compiler's schedule pass builds resources and actions from
 * here, `fre validate` checks every op against it, the timing engine and cost model take cycles and
 * actions from it, the chip simulator's interpreter has one handler per type listed here, and the op
 * table of docs/netlist.md is generated from it (test/netlist-ops.test.ts checks the doc matches).
 */
import { conversionsPerLine, type ActionKey, type ChipDescription } from '../hw-models/chip';
import { conversionsPerMvm, readsPerMvm } from '../hw-models/estimators';
import { opCycles, type OpShape } from '../hw-models/timing';
import type { ActionCountMsg, OpMsg, OpType } from './types';

/** What an op definition needs to know about the netlist around an op. */
export interface OpContext {
  chip: ChipDescription;
  /** A route's core path (Send), or undefined if the route does not exist. */
  routePath(route: number): readonly number[] | undefined;
}

export interface OpDef {
  /** Operand fields the op uses (the rest must be 0 / unspecified). */
  operands: string;
  /** Resource rule, for the doc. */
  resourceDoc: string;
  /** Action rule, for the doc. */
  actionDoc: string;
  /** Cycle rule, for the doc. */
  cycleDoc: string;
  /** What it computes (the interpreter's contract). */
  meaning: string;
  /** The resources the op holds, derived from its operands. */
  resources(op: OpMsg, ctx: OpContext): string[];
  /** The actions one execution counts, derived from its operands. */
  actions(op: OpMsg, ctx: OpContext): ActionCountMsg[];
  /** The structural facts its duration depends on (hw-models/timing.ts). */
  shape(op: OpMsg): OpShape;
  /** True for the array ops that stream a conv edge's `positions` patches back to back. */
  streams: boolean;
}

const act = (action: ActionKey, count: number): ActionCountMsg => ({ action, count });
const P = (op: OpMsg): number => Math.max(1, op.positions);

/** Element-wise op of a core's buffer or neuron unit: `elements` values, `lanes` per action time. */
function elementwise(kind: 'buffer' | 'neuron', action: ActionKey, meaning: string, opType: OpType, operands: string): OpDef {
  return {
    operands,
    resourceDoc: `${kind}:core`,
    actionDoc: `${action} × elements`,
    cycleDoc: `ceil(elements/lanes)·c(${action})`,
    meaning,
    resources: (op) => [`${kind}:${op.core}`],
    actions: (op) => [act(action, op.elements)],
    shape: (op) => ({ opType: opType as 'Receive', elements: op.elements }),
    streams: false,
  };
}

function arrayRead(transposed: boolean): OpDef {
  const action: ActionKey = transposed ? 'array_read_transposed' : 'array_read';
  return {
    operands: 'core, array, edge, group (the driving side), begin/end (its unit range on the driven lines), lines, source, positions',
    resourceDoc: 'array:id, dac:id',
    actionDoc: `dac_drive × lines·P·R, ${action} × P·R (R = reads per MVM: dac bits when bit-serial, 2^m − 1 for m magnitude bits when pulse-count, else 1)`,
    cycleDoc: `P·(c(dac_drive) + R·c(${action}))`,
    meaning: transposed
      ? "drive the array's rows with the source values of its row range (through the DAC), sense its columns: p = DAC(x)·Ŵ_tile / w_max, plus the read noise of every device; conv edges: x is the to-group's values unpooled through the latest forward argmax, one patch row per position"
      : "drive the array's columns with the source values of its column range (through the DAC), sense its rows: p = Ŵ_tile·DAC(x) / w_max, plus the read noise of every device; conv edges: x is the im2row patch of the group's map at each position",
    resources: (op) => [`array:${op.array}`, `dac:${op.array}`],
    actions: (op, ctx) => {
      const R = readsPerMvm(ctx.chip);
      return [act('dac_drive', op.lines * P(op) * R), act(action, P(op) * R)];
    },
    shape: () => ({ opType: transposed ? 'ArrayReadTransposed' : 'ArrayRead' }),
    streams: true,
  };
}

export const OPS: Record<OpType, OpDef> = {
  LoadInput: elementwise(
    'buffer',
    'buffer_access',
    "x of the sample into the core's input buffer; at the start of a sample every state and drive buffer is zero",
    'LoadInput',
    'core, group 0, begin/end, elements',
  ),
  LoadTarget: elementwise(
    'buffer',
    'buffer_access',
    "the one-hot target y into the output group's home",
    'LoadTarget',
    'core, group (output), elements',
  ),
  ArrayRead: arrayRead(false),
  ArrayReadTransposed: arrayRead(true),
  AdcConvert: {
    operands: 'core, array, edge, lines, positions',
    resourceDoc: 'adc:id',
    actionDoc:
      'adc_conversion × lines·P·C·S (C = converted reads per MVM: dac bits when bit-serial, else 1; S = 2 for each-side pair conversion, else 1); bit-serial (C > 1): shift_add × lines·P·C',
    cycleDoc: 'P·(C·S·min(lines_per_adc, lines)·c(adc_conversion) + (C > 1 ? c(shift_add) : 0))',
    meaning:
      "convert the array's sensed lines: output noise, clip to ±full scale, round to the nearest code −full scale + k·adc_step (normalised units; ties: Rounding at a code boundary)",
    resources: (op) => [`adc:${op.array}`],
    actions: (op, ctx) => {
      const C = conversionsPerMvm(ctx.chip);
      const S = conversionsPerLine(ctx.chip);
      return C > 1
        ? [act('adc_conversion', op.lines * P(op) * C * S), act('shift_add', op.lines * P(op) * C)]
        : [act('adc_conversion', op.lines * P(op) * S)];
    },
    shape: (op) => ({ opType: 'AdcConvert', lines: op.lines }),
    streams: true,
  },
  Send: {
    operands: 'core (sender), route, hops, flits, elements, bits, source, group, array',
    resourceDoc: 'every link of the route',
    actionDoc: 'router_hop_flit × hops·flits',
    cycleDoc: 'hops·hop_latency_cycles + flits·c(router_hop_flit)',
    meaning: 'move values between cores (numerically the identity)',
    resources: (op, ctx) => {
      const p = ctx.routePath(op.route) ?? [];
      return p.slice(1).map((b, i) => `link:${p[i]}->${b}`);
    },
    actions: (op) => [act('router_hop_flit', op.hops * op.flits)],
    shape: (op) => ({ opType: 'Send', hops: op.hops, flits: op.flits }),
    streams: false,
  },
  Receive: elementwise(
    'buffer',
    'buffer_access',
    "store values that arrived in the core's buffer (numerically the identity)",
    'Receive',
    'core (receiver), route, elements, source, group, array',
  ),
  Accumulate: {
    ...elementwise('neuron', 'accumulate', '', 'Accumulate', ''),
    operands:
      'core, reduction, array, group, begin/end, gain, target (source PARTIAL_SUM); or core, group, begin/end, held, target, scale_by_step (source HELD_DRIVE)',
    meaning:
      "PARTIAL_SUM: target[begin:end) += gain·(converted lines of the array); the last Accumulate of an edge's reads of one kind in an iteration then adds α·bias (forward reads of W) and, on conv edges, pools (forward) or row2im-sums (feedback) the combined patches into the drive. HELD_DRIVE: target += (iteration index + 1 if scale_by_step, else 1)·held",
  },
  NeuronUpdate: elementwise(
    'neuron',
    'neuron_update',
    "s_next = ρ(h) with the group's activation as chip.neuron implements it, state noise, state register (state_step); h cleared; s_next becomes s when the iteration ends",
    'NeuronUpdate',
    'core, group, elements',
  ),
  ReadoutError: elementwise(
    'neuron',
    'neuron_update',
    'p = softmax(logits), e = y − p; logits cleared; in the ERROR phase also latches e⁰ = e (OPERAND_FREE_ERROR)',
    'ReadoutError',
    'core, group (output), elements',
  ),
  SaveState: elementwise('buffer', 'buffer_access', 's⁰ = s', 'SaveState', 'core, group, elements'),
  StateDelta: elementwise('neuron', 'accumulate', 'δ = s − s⁰', 'StateDelta', 'core, group, elements'),
  OuterProductUpdate: {
    operands: 'core, array, edge, lines (rows), elements (cells·P), post_group/post, pre_group/pre, positions',
    resourceDoc: 'array:id, dac:id, neuron:core',
    actionDoc:
      'per sample: outer_product_mac × cells·P, accumulator_access × cells·P; per batch commit: optimizer_step × cells (mixed-precision: with its χ read-modify-write), update_pulse × cells (× pulses_per_update when pulsed); stochastic-coincidence: per sample update_pulse × cells·P·pulses_per_update only',
    cycleDoc:
      'per sample P·ceil(cells/lanes)·c(outer_product_mac); per commit ceil(cells/lanes)·c(optimizer_step) + rows·(exact: 1; pulsed: pulses_per_update)·c(update_pulse); stochastic-coincidence: per sample P·pulses_per_update·c(update_pulse), no commit',
    meaning:
      "g_tile = scale·post[rows]ᵀ·pre[cols] summed over the batch (scale from training_info), and the edge's bias gradient with its first tile; conv edges: post unpooled through, and pre the patches of, the first nudged iteration's forward read (which reads s⁰); the optimiser steps the weights once per batch and the devices realise the step (the commit)",
    resources: (op) => [`array:${op.array}`, `dac:${op.array}`, `neuron:${op.core}`],
    actions: (op, ctx) => {
      const u = ctx.chip.crossbar.update;
      const cells = op.elements / P(op);
      // stochastic-coincidence: no digital outer product, accumulator or optimiser; per sample (and
      // position) at most BL coincident pulses per cell (the nominal upper bound), not per commit.
      if (u.kind === 'pulsed' && u.scheme === 'stochastic-coincidence') return [act('update_pulse', op.elements * u.pulsesPerUpdate)];
      return [
        act('outer_product_mac', op.elements),
        act('accumulator_access', op.elements),
        act('optimizer_step', cells),
        act('update_pulse', cells * (u.kind === 'pulsed' ? u.pulsesPerUpdate : 1)),
      ];
    },
    shape: (op) => ({ opType: 'OuterProductUpdate', rows: op.lines, cells: op.elements / P(op) }),
    streams: true,
  },
};

export function isOpType(t: string): t is OpType {
  return Object.prototype.hasOwnProperty.call(OPS, t);
}

/** Back-to-back repetitions of an op: a conv edge's array ops stream `positions` patches (0 = once). */
export function opRepeats(op: OpMsg): number {
  return isOpType(op.opType) && OPS[op.opType].streams ? P(op) : 1;
}

/** An op's duration on `chip`: one execution's cycles (hw-models/timing.ts) × its repetitions. */
export function opDuration(chip: ChipDescription, op: OpMsg): number {
  if (!isOpType(op.opType)) throw new Error(`op type ${op.opType} is not in op set ai.fre.crossbar`);
  return opRepeats(op) * opCycles(chip, OPS[op.opType].shape(op));
}

/** The op table of docs/netlist.md, generated from OPS. */
export function opTableMarkdown(): string {
  const rows = Object.entries(OPS).map(
    ([t, d]) => `| ${t} | ${d.operands} | ${d.resourceDoc} | ${d.actionDoc} | ${d.cycleDoc} | ${d.meaning} |`,
  );
  return ['| op_type | operands | resources | actions (count) | cycles | meaning |', '|---|---|---|---|---|---|', ...rows].join('\n');
}
