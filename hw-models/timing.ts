/**
 * How long each scheduled op occupies its resources, from the chip description: the one set of
 * formulas behind the compiler's cycle estimate and the chip simulator's timing engine. Ops and
 * their resources are listed in docs/netlist.md; an action's cycles are its latency (priced by
 * hw-models/estimators.ts from the design point) at the chip clock, rounded up (at least 1 unless
 * the latency is 0).
 */
import { conversionsPerLine, type ActionKey, type ChipDescription, type PulsedUpdate } from './chip';
import { actionLatencyNs, conversionsPerMvm, partialSumBits, readsPerMvm } from './estimators';

export function actionCycles(chip: ChipDescription, action: ActionKey): number {
  const ns = actionLatencyNs(chip, action);
  if (ns === 0) return 0;
  return Math.max(1, Math.ceil((ns * chip.clock.frequencyMhz) / 1000 - 1e-9));
}

/** The structural facts of an op that its duration depends on. */
export type OpShape =
  /** All input lines driven at once: one read per input bit plane (bit-serial) or one read. */
  | { opType: 'ArrayRead' | 'ArrayReadTransposed' }
  /** `lines` sense lines converted per read; the ADCs work in parallel, each over its multiplexed lines. */
  | { opType: 'AdcConvert'; lines: number }
  /** Wormhole: the head crosses `hops` routers, then the flits stream one per link cycle. */
  | { opType: 'Send'; hops: number; flits: number }
  /** Element-wise work of the core's neuron unit or buffer, `lanes` elements per action time. */
  | {
      opType: 'Receive' | 'LoadInput' | 'LoadTarget' | 'SaveState' | 'StateDelta' | 'Accumulate' | 'NeuronUpdate' | 'ReadoutError';
      elements: number;
    }
  /** One sample's digital outer product over `cells` cells (the write itself is a batch commit, commitCycles). */
  | { opType: 'OuterProductUpdate'; rows: number; cells: number };

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
  const R = readsPerMvm(chip);
  switch (op.opType) {
    case 'ArrayRead':
      return actionCycles(chip, 'dac_drive') + R * actionCycles(chip, 'array_read');
    case 'ArrayReadTransposed':
      return actionCycles(chip, 'dac_drive') + R * actionCycles(chip, 'array_read_transposed');
    case 'AdcConvert': {
      // Each ADC converts its multiplexed lines once per converted read (bit-serial: every bit plane;
      // pulse-count: once, after the last integration); bit-serial: the shift-add of a plane overlaps
      // the next plane's conversion, so only the last one adds a cycle.
      const C = conversionsPerMvm(chip);
      return (
        C * conversionsPerLine(chip) * Math.min(chip.periphery.adc.linesPerAdc, op.lines) * actionCycles(chip, 'adc_conversion') +
        (C > 1 ? actionCycles(chip, 'shift_add') : 0)
      );
    }
    case 'Send':
      return op.hops * chip.noc.hopLatencyCycles + op.flits * actionCycles(chip, 'router_hop_flit');
    case 'OuterProductUpdate':
      // stochastic-coincidence: the sample's pulse trains, BL slots with every cell of the array at once.
      if (isCoincidence(chip)) return (chip.crossbar.update as PulsedUpdate).pulsesPerUpdate * actionCycles(chip, 'update_pulse');
      // The outer product of one sample, `lanes` cells per cycle on the core's digital unit.
      return Math.ceil(op.cells / chip.neuron.lanes) * actionCycles(chip, 'outer_product_mac');
    default:
      return Math.ceil(op.elements / chip.neuron.lanes) * actionCycles(chip, ELEMENTWISE_ACTION[op.opType]);
  }
}

/**
 * Cycles of one array's batch commit: the optimiser steps its `cells` weights (`lanes` per cycle),
 * then the devices are written row by row — exact updates: one programming step per row;
 * row-programmed and mixed-precision pulsed updates: up to pulsesPerUpdate pulse slots per row.
 * stochastic-coincidence has no commit (its pulses are the UPDATE op's own cycles, per sample).
 */
export function commitCycles(chip: ChipDescription, rows: number, cells: number): number {
  const u = chip.crossbar.update;
  if (u.kind === 'pulsed' && u.scheme === 'stochastic-coincidence') return 0;
  const writes = rows * (u.kind === 'exact' ? 1 : u.pulsesPerUpdate) * actionCycles(chip, 'update_pulse');
  return Math.ceil(cells / chip.neuron.lanes) * actionCycles(chip, 'optimizer_step') + writes;
}

/** True when in-situ updates are per-sample coincidences of pulse trains (no optimiser, no commit). */
export function isCoincidence(chip: ChipDescription): boolean {
  const u = chip.crossbar.update;
  return u.kind === 'pulsed' && u.scheme === 'stochastic-coincidence';
}

/** Flits to carry `elements` values of `bits` each over the chip's links. */
export function flitsFor(chip: ChipDescription, elements: number, bits: number): number {
  return Math.ceil((elements * bits) / chip.noc.linkWidthBits);
}

/** Bits of one state value on the mesh and in buffers (float states travel as float32). */
export function stateBits(chip: ChipDescription): number {
  return chip.neuron.stateBits === 'float' ? 32 : chip.neuron.stateBits;
}

/** Bits of one partial sum on the mesh (hw-models/estimators.ts partialSumBits). */
export function psumBits(chip: ChipDescription): number {
  return partialSumBits(chip);
}
