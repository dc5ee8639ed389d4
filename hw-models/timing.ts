/**
 * How long each scheduled op occupies its resources, from the chip description: the one set of
 * formulas behind the compiler's cycle estimate and (for consistency) the chip simulator's timing
 * engine. Ops and their resources are listed in docs/netlist.md; an action's cycles are its
 * latency at the chip clock, rounded up (at least 1 unless the latency is 0).
 */
import type { ActionKey, ChipDescription } from './chip';

export function actionCycles(chip: ChipDescription, action: ActionKey): number {
  const ns = chip.actionTable.perAction[action].latencyNs;
  if (ns === 0) return 0;
  return Math.max(1, Math.ceil(ns * chip.clock.frequencyMhz / 1000 - 1e-9));
}

/** The structural facts of an op that its duration depends on. */
export type OpShape =
  /** All input lines driven at once, one analog read. */
  | { opType: 'ArrayRead' | 'ArrayReadTransposed' }
  /** `lines` sense lines converted; the ADCs work in parallel, each over its multiplexed lines. */
  | { opType: 'AdcConvert'; lines: number }
  /** Wormhole: the head crosses `hops` routers, then the flits stream one per link cycle. */
  | { opType: 'Send'; hops: number; flits: number }
  /** Element-wise work of the core's neuron unit or buffer, `lanes` elements per action time. */
  | { opType: 'Receive' | 'LoadInput' | 'LoadTarget' | 'SaveState' | 'StateDelta' | 'Accumulate' | 'NeuronUpdate' | 'ReadoutError'; elements: number }
  /** An array's local outer-product update over `rows` used rows. */
  | { opType: 'OuterProductUpdate'; rows: number };

/** The action whose latency sets an element-wise op's pace. */
export const ELEMENTWISE_ACTION: Record<string, ActionKey> = {
  Receive: 'buffer_access',
  LoadInput: 'buffer_access',
  LoadTarget: 'buffer_access',
  SaveState: 'buffer_access',
  StateDelta: 'accumulate',
  Accumulate: 'accumulate',
  NeuronUpdate: 'neuron_update',
  ReadoutError: 'neuron_update',
};

export function opCycles(chip: ChipDescription, op: OpShape): number {
  switch (op.opType) {
    case 'ArrayRead':
      return actionCycles(chip, 'dac_drive') + actionCycles(chip, 'array_read');
    case 'ArrayReadTransposed':
      return actionCycles(chip, 'dac_drive') + actionCycles(chip, 'array_read_transposed');
    case 'AdcConvert':
      return Math.min(chip.periphery.adc.linesPerAdc, op.lines) * actionCycles(chip, 'adc_conversion');
    case 'Send':
      return op.hops * chip.noc.hopLatencyCycles + op.flits * actionCycles(chip, 'router_hop_flit');
    case 'OuterProductUpdate': {
      const u = chip.crossbar.update;
      // Exact: written row by row; pulsed: every cell at once, over the update's pulse slots.
      return (u.kind === 'exact' ? op.rows : u.pulsesPerUpdate) * actionCycles(chip, 'update_pulse');
    }
    default:
      return Math.ceil(op.elements / chip.neuron.lanes) * actionCycles(chip, ELEMENTWISE_ACTION[op.opType]);
  }
}

/** Flits to carry `elements` values of `bits` each over the chip's links. */
export function flitsFor(chip: ChipDescription, elements: number, bits: number): number {
  return Math.ceil((elements * bits) / chip.noc.linkWidthBits);
}

/** Bits of one state value on the mesh and in buffers (float states travel as float32). */
export function stateBits(chip: ChipDescription): number {
  return chip.neuron.stateBits === 'float' ? 32 : chip.neuron.stateBits;
}

/** Dynamic energy (pJ) of a bag of action counts. */
export function dynamicEnergyPj(chip: ChipDescription, counts: ReadonlyMap<ActionKey, number>): number {
  let e = 0;
  for (const [a, n] of counts) e += n * chip.actionTable.perAction[a].energyPj;
  return e;
}
