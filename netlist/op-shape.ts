/** A netlist op's structural facts for the timing formulas of hw-models/timing.ts. */
import type { ChipDescription } from '../hw-models/chip';
import { opCycles, type OpShape } from '../hw-models/timing';
import type { OpMsg, PhaseMsg } from './types';

export function opShape(op: OpMsg): OpShape {
  switch (op.opType) {
    case 'ArrayRead':
    case 'ArrayReadTransposed':
      return { opType: op.opType };
    case 'AdcConvert':
      return { opType: 'AdcConvert', lines: op.lines };
    case 'Send':
      return { opType: 'Send', hops: op.hops, flits: op.flits };
    case 'OuterProductUpdate':
      return { opType: 'OuterProductUpdate', rows: op.lines };
    case 'Receive': case 'LoadInput': case 'LoadTarget': case 'SaveState': case 'StateDelta':
    case 'Accumulate': case 'NeuronUpdate': case 'ReadoutError':
      return { opType: op.opType, elements: op.elements };
    default:
      throw new Error(`op type ${op.opType} has no timing shape`);
  }
}

/** One op as a timing engine wants it (the shape of simulator/timing/resources.ts TimedOp). */
export interface TimedPhaseOp {
  name: string;
  kind: string;
  resources: string[];
  cycles: number;
  deps: number[];
}

/** Back-to-back repetitions of an op: a conv edge's array ops stream `positions` patches (0 = once). */
export function opRepeats(op: OpMsg): number {
  return op.opType === 'ArrayRead' || op.opType === 'ArrayReadTransposed' || op.opType === 'AdcConvert' || op.opType === 'OuterProductUpdate'
    ? Math.max(1, op.positions) : 1;
}

/** An op's duration on `chip`: one execution's cycles (hw-models/timing.ts) × its repetitions. */
export function opDuration(chip: ChipDescription, op: OpMsg): number {
  return opRepeats(op) * opCycles(chip, opShape(op));
}

/** A phase iteration's ops with their durations on `chip` (hw-models/timing.ts), ready to schedule. */
export function timedOps(chip: ChipDescription, phase: PhaseMsg): TimedPhaseOp[] {
  return phase.ops.map((op) => ({ name: op.label, kind: op.opType, resources: op.resources, cycles: opDuration(chip, op), deps: op.deps }));
}
