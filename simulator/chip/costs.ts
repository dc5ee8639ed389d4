/**
 * The chip simulator's data-independent cost model (docs/ARCHITECTURE.md, "Timing is data-independent";
 * docs/references.md#cycle-and-energy-reporting): cycles, seconds, action counts, dynamic and leakage energy, resource
 * utilisation and per-phase cycles of one inference and one training sample of a compiled netlist
 * on a chip. Timing does not depend on the data for a fixed schedule, so this runs once per
 * netlist (or per distinct early-exit step count) while the numerics run batched.
 *
 * Semantics follow docs/netlist.md "The schedule" exactly:
 * - phases run in order; an inference is the phases with `trainingOnly = false` (INPUT, FREE,
 *   READOUT), a training sample all of them (+ ERROR, NUDGED, UPDATE);
 * - a phase runs `repeat` iterations (T for FREE, K for NUDGED) and **every iteration is a
 *   barrier** (hidden states are double-buffered: the next state becomes current when the
 *   iteration ends), so iterations never overlap: phase cycles = repeat × one iteration's makespan,
 *   and the sample's cycles are the sum over its phases;
 * - within an iteration the ops are list-scheduled by simulator/timing/resources.ts `scheduleOps`
 *   over `timedOps(chip, phase)` (durations from hw-models/timing.ts): an op starts when its deps
 *   have ended and all its resources are free, each resource serving its ops in list order.
 *
 * Energy (Accelergy style): dynamic = Σ action counts × `chip.actionTable.perAction[a].energyPj`,
 * the counts being each op's action counts × its phase's repeat; `update_pulse` is the netlist's
 * nominal count (an upper bound for pulsed devices) unless `updatePulsesPerSample` (the pulses the
 * chip executor actually applied) is given. Leakage = Σ_component µW × instances × time, the
 * instances being those of the netlist's footprint (see `leakageInstances`). Units: cycles at
 * `chip.clock.frequencyMhz`, seconds, joules.
 *
 * The `chip` argument supplies the latencies and the energy table; pass the netlist's own
 * (`chipFromMsg(netlist.chip)`) or a chip with another action table to re-price the same schedule.
 */
import { ACTION_KEYS, LEAKAGE_KEYS, type ActionKey, type ChipDescription, type LeakageKey } from '../../hw-models/chip';
import { timedOps } from '../../netlist/op-shape';
import type { NetlistMsg, PhaseKindName, PhaseMsg } from '../../netlist/types';
import { scheduleOps, type TimedOp, type TimingResult } from '../timing/resources';

export interface ChipCostOptions {
  /** Update pulses the chip executor actually applied per training sample (may be an average over
   *  samples, so need not be an integer). Without it, the netlist's nominal count is used. */
  updatePulsesPerSample?: number;
  /** Early exit: free-phase steps actually run (default: the FREE phase's `repeat`, = T). */
  freeSteps?: number;
  /** Early exit: nudged-phase steps actually run (default: the NUDGED phase's `repeat`, = K). */
  nudgedSteps?: number;
}

/** One phase of the schedule, timed. */
export interface PhaseCost {
  /** Index in the netlist's schedule. */
  index: number;
  name: string;
  kind: PhaseKindName;
  /** Iterations run (the netlist's repeat, or the early-exit override for FREE/NUDGED). */
  repeat: number;
  trainingOnly: boolean;
  /** Ops in one iteration. */
  ops: number;
  /** Makespan of one iteration (cycles). */
  cyclesPerIteration: number;
  /** repeat × cyclesPerIteration. */
  cycles: number;
  /** The resource busy longest within one iteration, and for how many cycles (the phase's bottleneck
   *  when busyCycles is close to cyclesPerIteration; otherwise the phase is latency-bound). */
  busiest: { resource: string; busyCycles: number } | null;
  /** Action counts of the whole phase (all iterations; update_pulse as priced, see updatePulseCount). */
  actionCounts: Record<ActionKey, number>;
  /** Dynamic energy of the whole phase, joules. */
  dynamicEnergyJoules: number;
}

/** A phase's share of a sample, for the critical-phase ranking. */
export interface PhaseShare {
  name: string;
  kind: PhaseKindName;
  cycles: number;
  /** cycles / the sample's cycles. */
  share: number;
}

/** Busy fractions of the resources of one kind (array, dac, adc, neuron, buffer, link). */
export interface KindUtilisation {
  /** Distinct resources of this kind named by the ops of the sample's phases. */
  instances: number;
  /** Mean over those instances of busy cycles / the sample's cycles. */
  meanBusy: number;
  /** The busiest instance's fraction, and its name. */
  maxBusy: number;
  busiest: string;
}

export interface LeakageFootprint {
  /** Instances per leakage component (see leakageInstances). */
  instances: Record<LeakageKey, number>;
  /** Σ leakage µW × instances, in watts. */
  powerWatts: number;
  /** Mesh sites whose routers are counted (cores used and every site a route passes through). */
  routerSites: number[];
}

export interface ChipCosts {
  chip: string;
  actionTableVersion: string;
  clockMhz: number;
  graph: string;
  /** FREE and NUDGED iterations priced (T, K unless overridden for early exit). */
  freeSteps: number;
  nudgedSteps: number;
  /** Every phase in schedule order. */
  phases: PhaseCost[];
  cyclesPerInference: number;
  cyclesPerTrainingSample: number;
  secondsPerInference: number;
  secondsPerTrainingSample: number;
  /** Action counts per inference and per training sample. */
  actionCounts: { inference: Record<ActionKey, number>; training: Record<ActionKey, number> };
  /** Whether update_pulse counts are the executor's ('actual') or the netlist's upper bound ('nominal'). */
  updatePulseCount: 'actual' | 'nominal';
  /** The netlist's nominal update_pulse count per training sample (whichever was priced). */
  nominalUpdatePulsesPerSample: number;
  dynamicEnergyJoules: { inference: number; training: number };
  leakageEnergyJoules: { inference: number; training: number };
  energyPerInferenceJoules: number;
  energyPerTrainingSampleJoules: number;
  /** Joules per component: 'dynamic.<action>' for every ACTION_KEYS entry and 'leakage.<component>'
   *  for every LEAKAGE_KEYS entry; each map sums to the energy per inference / training sample. */
  energyByComponent: { inference: Record<string, number>; training: Record<string, number> };
  leakage: LeakageFootprint;
  /** Per resource kind, busy fraction over an inference / a training sample. */
  utilisation: { inference: Record<string, KindUtilisation>; training: Record<string, KindUtilisation> };
  /** Phases ranked by cycles (largest first), with their share of the sample. */
  criticalPhases: { inference: PhaseShare[]; training: PhaseShare[] };
}

/** One phase iteration, scheduled. */
export interface PhaseSchedule {
  phase: PhaseMsg;
  ops: TimedOp[];
  timing: TimingResult;
}

/** Schedules one iteration of every phase of the netlist (the data-independent part). */
export function schedulePhases(netlist: NetlistMsg, chip: ChipDescription): PhaseSchedule[] {
  if (!netlist.schedule) throw new Error('chipCosts: the netlist has no schedule');
  return netlist.schedule.phases.map((phase) => {
    const ops = timedOps(chip, phase);
    return { phase, ops, timing: scheduleOps(ops) };
  });
}

/** The iterations a phase runs, with the early-exit overrides applied. */
export function phaseRepeat(phase: PhaseMsg, opts: { freeSteps?: number; nudgedSteps?: number } = {}): number {
  if (phase.kind === 'PHASE_KIND_FREE' && opts.freeSteps !== undefined) return opts.freeSteps;
  if (phase.kind === 'PHASE_KIND_NUDGED' && opts.nudgedSteps !== undefined) return opts.nudgedSteps;
  return phase.repeat;
}

/** Resource kind of a resource name: 'array:3' → 'array', 'link:0->1' → 'link'. */
export function resourceKind(resource: string): string {
  const i = resource.indexOf(':');
  return i < 0 ? resource : resource.slice(0, i);
}

/**
 * The instances that leak while the netlist runs (the powered footprint; unused arrays and cores
 * are assumed power-gated):
 * - array: every array of the netlist;
 * - adc: per array, ceil(max(rows, cols) / linesPerAdc) converters (the ADCs of the longer side,
 *   shared by forward and transposed reads, as the AdcConvert duration assumes);
 * - neuron_unit: one per core of the netlist;
 * - router: one per mesh site that is a core of the netlist or lies on any route's path.
 */
export function leakageInstances(netlist: NetlistMsg, chip: ChipDescription): LeakageFootprint {
  const adcsPerArray = Math.ceil(Math.max(chip.crossbar.rows, chip.crossbar.cols) / chip.periphery.adc.linesPerAdc);
  const sites = new Set<number>(netlist.cores.map((c) => c.id));
  for (const r of netlist.routes) for (const s of r.path) sites.add(s);
  const instances: Record<LeakageKey, number> = {
    array: netlist.arrays.length,
    adc: netlist.arrays.length * adcsPerArray,
    neuron_unit: netlist.cores.length,
    router: sites.size,
  };
  let uw = 0;
  for (const k of LEAKAGE_KEYS) uw += instances[k] * chip.actionTable.leakageUw[k];
  return { instances, powerWatts: uw * 1e-6, routerSites: [...sites].sort((a, b) => a - b) };
}

const zeroActions = (): Record<ActionKey, number> => Object.fromEntries(ACTION_KEYS.map((a) => [a, 0])) as Record<ActionKey, number>;

function checkCount(name: string, v: number | undefined, integer: boolean): void {
  if (v === undefined) return;
  if (!Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) {
    throw new Error(`chipCosts: ${name} must be a ${integer ? 'non-negative integer' : 'finite number ≥ 0'}, got ${v}`);
  }
}

export function chipCosts(netlist: NetlistMsg, chip: ChipDescription, opts: ChipCostOptions = {}): ChipCosts {
  checkCount('updatePulsesPerSample', opts.updatePulsesPerSample, false);
  checkCount('freeSteps', opts.freeSteps, true);
  checkCount('nudgedSteps', opts.nudgedSteps, true);
  const scheduled = schedulePhases(netlist, chip);
  const hz = chip.clock.frequencyMhz * 1e6;
  const table = chip.actionTable.perAction;

  // Nominal update pulses per training sample, to scale by the actual count if one is given.
  let nominalPulses = 0;
  for (const { phase } of scheduled) {
    let perIter = 0;
    for (const op of phase.ops) for (const a of op.actions) if (a.action === 'update_pulse') perIter += a.count;
    nominalPulses += perIter * phaseRepeat(phase, opts);
  }
  // Actual pulses replace the nominal ones phase by phase in proportion (all of them sit in UPDATE);
  // a netlist without update ops gets them in its UPDATE phase (or its last phase).
  const actual = opts.updatePulsesPerSample;
  const orphanPulses = actual !== undefined && nominalPulses === 0 ? actual : 0;
  const updateIndex = scheduled.findIndex((s) => s.phase.kind === 'PHASE_KIND_UPDATE');
  const orphanPhase = updateIndex >= 0 ? updateIndex : scheduled.length - 1;

  const phases: PhaseCost[] = scheduled.map(({ phase, timing }, index) => {
    const repeat = phaseRepeat(phase, opts);
    const counts = zeroActions();
    for (const op of phase.ops) {
      for (const a of op.actions) {
        if (!(a.action in counts)) throw new Error(`chipCosts: op "${op.label}" counts unknown action "${a.action}"`);
        counts[a.action as ActionKey] += a.count * repeat;
      }
    }
    if (actual !== undefined) counts.update_pulse = nominalPulses === 0 ? 0 : actual * (counts.update_pulse / nominalPulses);
    if (index === orphanPhase) counts.update_pulse += orphanPulses;
    let pj = 0;
    for (const a of ACTION_KEYS) pj += counts[a] * table[a].energyPj;
    let busiest: PhaseCost['busiest'] = null;
    for (const [resource, busyCycles] of timing.busy) if (!busiest || busyCycles > busiest.busyCycles) busiest = { resource, busyCycles };
    return {
      index, name: phase.name, kind: phase.kind, repeat, trainingOnly: phase.trainingOnly, ops: phase.ops.length,
      cyclesPerIteration: timing.makespan, cycles: repeat * timing.makespan, busiest,
      actionCounts: counts, dynamicEnergyJoules: pj * 1e-12,
    };
  });

  const inferencePhases = phases.filter((p) => !p.trainingOnly);
  const sumCycles = (ps: PhaseCost[]) => ps.reduce((s, p) => s + p.cycles, 0);
  const cyclesPerInference = sumCycles(inferencePhases);
  const cyclesPerTrainingSample = sumCycles(phases);
  const secondsPerInference = cyclesPerInference / hz;
  const secondsPerTrainingSample = cyclesPerTrainingSample / hz;

  const sumActions = (ps: PhaseCost[]) => {
    const out = zeroActions();
    for (const p of ps) for (const a of ACTION_KEYS) out[a] += p.actionCounts[a];
    return out;
  };
  const actionCounts = { inference: sumActions(inferencePhases), training: sumActions(phases) };

  const leakage = leakageInstances(netlist, chip);
  const components = (counts: Record<ActionKey, number>, seconds: number) => {
    const out: Record<string, number> = {};
    let dynamic = 0;
    let leak = 0;
    for (const a of ACTION_KEYS) {
      const j = counts[a] * table[a].energyPj * 1e-12;
      out[`dynamic.${a}`] = j;
      dynamic += j;
    }
    for (const k of LEAKAGE_KEYS) {
      const j = leakage.instances[k] * chip.actionTable.leakageUw[k] * 1e-6 * seconds;
      out[`leakage.${k}`] = j;
      leak += j;
    }
    return { out, dynamic, leak };
  };
  const inf = components(actionCounts.inference, secondsPerInference);
  const trn = components(actionCounts.training, secondsPerTrainingSample);

  // Utilisation: busy cycles of each resource over the sample (iteration busy × repeat), / the sample's cycles.
  const utilisationOf = (ps: PhaseCost[], total: number): Record<string, KindUtilisation> => {
    const busy = new Map<string, number>();
    for (const p of ps) {
      for (const [r, b] of scheduled[p.index].timing.busy) busy.set(r, (busy.get(r) ?? 0) + b * p.repeat);
      for (const op of scheduled[p.index].ops) for (const r of op.resources) if (!busy.has(r)) busy.set(r, 0);
    }
    const byKind = new Map<string, { n: number; sum: number; max: number; busiest: string }>();
    for (const [r, b] of [...busy].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))) {
      const f = total > 0 ? b / total : 0;
      const k = resourceKind(r);
      const u = byKind.get(k) ?? { n: 0, sum: 0, max: -1, busiest: '' };
      u.n++;
      u.sum += f;
      if (f > u.max) { u.max = f; u.busiest = r; }
      byKind.set(k, u);
    }
    const out: Record<string, KindUtilisation> = {};
    for (const [k, u] of [...byKind].sort((x, y) => (x[0] < y[0] ? -1 : 1))) {
      out[k] = { instances: u.n, meanBusy: u.sum / u.n, maxBusy: u.max, busiest: u.busiest };
    }
    return out;
  };

  const rank = (ps: PhaseCost[], total: number): PhaseShare[] => ps
    .map((p) => ({ name: p.name, kind: p.kind, cycles: p.cycles, share: total > 0 ? p.cycles / total : 0 }))
    .sort((a, b) => b.cycles - a.cycles);

  const free = phases.find((p) => p.kind === 'PHASE_KIND_FREE');
  const nudged = phases.find((p) => p.kind === 'PHASE_KIND_NUDGED');
  return {
    chip: chip.name,
    actionTableVersion: chip.actionTable.version,
    clockMhz: chip.clock.frequencyMhz,
    graph: netlist.graphName,
    freeSteps: free?.repeat ?? 0,
    nudgedSteps: nudged?.repeat ?? 0,
    phases,
    cyclesPerInference,
    cyclesPerTrainingSample,
    secondsPerInference,
    secondsPerTrainingSample,
    actionCounts,
    updatePulseCount: actual === undefined ? 'nominal' : 'actual',
    nominalUpdatePulsesPerSample: nominalPulses,
    dynamicEnergyJoules: { inference: inf.dynamic, training: trn.dynamic },
    leakageEnergyJoules: { inference: inf.leak, training: trn.leak },
    energyPerInferenceJoules: inf.dynamic + inf.leak,
    energyPerTrainingSampleJoules: trn.dynamic + trn.leak,
    energyByComponent: { inference: inf.out, training: trn.out },
    leakage,
    utilisation: { inference: utilisationOf(inferencePhases, cyclesPerInference), training: utilisationOf(phases, cyclesPerTrainingSample) },
    criticalPhases: { inference: rank(inferencePhases, cyclesPerInference), training: rank(phases, cyclesPerTrainingSample) },
  };
}
