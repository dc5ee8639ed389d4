/** A netlist op's structural facts for the timing formulas of hw-models/timing.ts. */
import type { OpShape } from '../../hw-models/timing';
import type { OpMsg } from './types';

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
