/**
 * The compiler report's cycle and energy estimate: the chip simulator's own cost model
 * (netlist/costs.ts, the one timing engine) run on the emitted netlist, in the report's units (pJ,
 * per phase iteration). One cost model: the compiler prices exactly what `fre simulate` prices.
 */
import { chipArea, clusterSummary } from '../hw-models/area';
import type { ActionKey, ChipDescription, LeakageKey } from '../hw-models/chip';
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
  /** The cost model that priced it (chip.costModel.version). */
  costModel: string;
  /** mm² per component of the netlist's footprint (arrays, their ADCs and DACs, the cores' neuron
   *  units and buffers, the routers used) and in total; the whole chip's total beside it. */
  areaMm2: Record<LeakageKey, number>;
  areaTotalMm2: number;
  chipAreaMm2: number;
  /** How buffers, routers and neuron units are laid out (chip.noc.cluster); null: every core its own. */
  areaLayout: string | null;
}

export function estimate(chip: ChipDescription, netlist: NetlistMsg): Estimate {
  const c = chipCosts(netlist, chip);
  const pj = (j: number) => j * 1e12;
  return {
    phases: c.phases.map((p) => ({
      name: p.name,
      repeat: p.repeat,
      trainingOnly: p.trainingOnly,
      ops: p.ops,
      cycles: p.cyclesPerIteration,
    })),
    cyclesPerInference: c.cyclesPerInference,
    cyclesPerTrainingSample: c.cyclesPerTrainingSample,
    actionsPerInference: c.actionCounts.inference,
    actionsPerTrainingSample: c.actionCounts.training,
    dynamicEnergyPjPerInference: pj(c.dynamicEnergyJoules.inference),
    dynamicEnergyPjPerTrainingSample: pj(c.dynamicEnergyJoules.training),
    leakageEnergyPjPerInference: pj(c.leakageEnergyJoules.inference),
    leakageEnergyPjPerTrainingSample: pj(c.leakageEnergyJoules.training),
    costModel: c.actionTableVersion,
    areaMm2: c.area.mm2,
    areaTotalMm2: c.area.totalMm2,
    chipAreaMm2: chipArea(chip).totalMm2,
    areaLayout: clusterSummary(chip),
  };
}
