/**
 * The compiler's cycle and energy estimate of a schedule: each phase iteration is list-scheduled
 * the way the chip simulator's timing engine does it (ops issued in list order; an op starts when
 * its deps have ended and its resources are free; durations from hw-models/timing.ts), then
 * multiplied by the phase's repeat count. Energy = action counts × the chip's action table, plus
 * leakage × time for the components in use.
 */
import { ACTION_KEYS, type ActionKey, type ChipDescription } from '../hw-models/chip';
import { dynamicEnergyPj } from '../hw-models/timing';
import { timedOps } from '../netlist/op-shape';
import type { PhaseMsg } from '../netlist/types';

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

export function phaseCycles(chip: ChipDescription, phase: PhaseMsg): number {
  const ops = timedOps(chip, phase);
  const end = new Float64Array(ops.length);
  const free = new Map<string, number>();
  let makespan = 0;
  ops.forEach((op, i) => {
    let t = 0;
    for (const d of op.deps) t = Math.max(t, end[d]);
    for (const r of op.resources) t = Math.max(t, free.get(r) ?? 0);
    end[i] = t + op.cycles;
    for (const r of op.resources) free.set(r, end[i]);
    makespan = Math.max(makespan, end[i]);
  });
  return makespan;
}

export function estimate(chip: ChipDescription, phases: PhaseMsg[], used: { arrays: number; cores: number }): Estimate {
  const zero = () => Object.fromEntries(ACTION_KEYS.map((a) => [a, 0])) as Record<ActionKey, number>;
  const inf = zero();
  const train = zero();
  const per: PhaseEstimate[] = [];
  let cInf = 0;
  let cTrain = 0;
  for (const ph of phases) {
    const cycles = phaseCycles(chip, ph);
    per.push({ name: ph.name, repeat: ph.repeat, trainingOnly: ph.trainingOnly, ops: ph.ops.length, cycles });
    cTrain += cycles * ph.repeat;
    if (!ph.trainingOnly) cInf += cycles * ph.repeat;
    for (const op of ph.ops) {
      for (const a of op.actions) {
        const k = a.action as ActionKey;
        train[k] += a.count * ph.repeat;
        if (!ph.trainingOnly) inf[k] += a.count * ph.repeat;
      }
    }
  }
  const adcsPerArray = Math.ceil(Math.max(chip.crossbar.rows, chip.crossbar.cols) / chip.periphery.adc.linesPerAdc);
  const lk = chip.actionTable.leakageUw;
  const leakUw = used.arrays * (lk.array + adcsPerArray * lk.adc) + used.cores * (lk.neuron_unit + lk.router);
  // µW × ns = 1e-15 J = 1e-3 pJ.
  const leakPj = (cycles: number) => leakUw * (cycles * 1000 / chip.clock.frequencyMhz) * 1e-3;
  return {
    phases: per,
    cyclesPerInference: cInf,
    cyclesPerTrainingSample: cTrain,
    actionsPerInference: inf,
    actionsPerTrainingSample: train,
    dynamicEnergyPjPerInference: dynamicEnergyPj(chip, new Map(Object.entries(inf) as [ActionKey, number][])),
    dynamicEnergyPjPerTrainingSample: dynamicEnergyPj(chip, new Map(Object.entries(train) as [ActionKey, number][])),
    leakageEnergyPjPerInference: leakPj(cInf),
    leakageEnergyPjPerTrainingSample: leakPj(cTrain),
  };
}
