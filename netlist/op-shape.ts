/** A phase's ops with their durations (netlist/ops.ts), in the form the timing engine schedules. */
import type { ChipDescription } from '../hw-models/chip';
import { opDuration } from './ops';
import type { PhaseMsg } from './types';

export { opDuration, opRepeats } from './ops';

/** One op as a timing engine wants it (the shape of netlist/timing-engine.ts TimedOp). */
export interface TimedPhaseOp {
  name: string;
  kind: string;
  resources: string[];
  cycles: number;
  deps: number[];
}

/** A phase iteration's ops with their durations on `chip`, ready to schedule. */
export function timedOps(chip: ChipDescription, phase: PhaseMsg): TimedPhaseOp[] {
  return phase.ops.map((op) => ({ name: op.label, kind: op.opType, resources: op.resources, cycles: opDuration(chip, op), deps: op.deps }));
}
