/**
 * The compiler report's cycle and energy estimate: the chip simulator's own cost model
 * (netlist/costs.ts, the one timing engine) run on the emitted netlist, in the report's units (pJ,
 * per phase iteration). One cost model: the compiler prices exactly what `fre simulate` prices.
 */
import type { ActionKey, ChipDescription } from '../hw-models/chip';
import { chipCosts } from '../netlist/costs';
import type { NetlistMsg } from '../netlist/types';

export interface PhaseEstimate {
  name: string;
  repeat: number;
  trainingOnly: boolean;
  ops: number;
  /** Cycles of one iteration. */
  cycles: number;
}

export interface Estimate {
  phases: PhaseEstimate[];
  cyclesPerInference: number;
  cyclesPerTrainingSample: number;
  actionsPerInference: Record<ActionKey, number>;
  actionsPerTrainingSample: Record<ActionKey, number>;
  dynamicEnergyPjPerInference: number;
  dynamicEnergyPjPerTrainingSample: number;
  leakageEnergyPjPerInference: number;
  leakageEnergyPjPerTrainingSample: number;
}

export function estimate(chip: ChipDescription, netlist: NetlistMsg): Estimate {
  const c = chipCosts(netlist, chip);
  const pj = (j: number) => j * 1e12;
  return {
    phases: c.phases.map((p) => ({ name: p.name, repeat: p.repeat, trainingOnly: p.trainingOnly, ops: p.ops, cycles: p.cyclesPerIteration })),
    cyclesPerInference: c.cyclesPerInference,
    cyclesPerTrainingSample: c.cyclesPerTrainingSample,
    actionsPerInference: c.actionCounts.inference,
    actionsPerTrainingSample: c.actionCounts.training,
    dynamicEnergyPjPerInference: pj(c.dynamicEnergyJoules.inference),
    dynamicEnergyPjPerTrainingSample: pj(c.dynamicEnergyJoules.training),
    leakageEnergyPjPerInference: pj(c.leakageEnergyJoules.inference),
    leakageEnergyPjPerTrainingSample: pj(c.leakageEnergyJoules.training),
  };
}
