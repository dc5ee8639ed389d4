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
 * Energy (Accelergy style): dynamic = Σ action counts × the priced table (`pricedTable`: the
 * estimators of hw-models/estimators.ts on the chip's attributes, the netlist's mean programmed
 * conductance and its optimiser), the counts being each op's action counts × its phase's repeat.
 * The commit actions (optimizer_step, update_pulse) happen once per batch: a training sample carries
 * 1/batch_size of them, and of the commit's cycles (`commit`). `update_pulse` is the netlist's
 * nominal count (an upper bound for pulsed devices) unless `updatePulsesPerSample` (the pulses the
 * chip executor actually applied, per sample) is given. Leakage = Σ_component µW × instances × time
 * — the whole sample, or, with `costModel.powerGating`, only the cycles the schedule keeps each
 * resource busy (see `leakageInstances`, `leakageEnergy`). Units: cycles at
 * `chip.clock.frequencyMhz`, seconds, joules.
 *
 * The `chip` argument supplies the design point; pass the netlist's own (`chipFromMsg(netlist.chip)`)
 * or a chip with other attributes or cost constants to re-price the same schedule.
 */
import { areaOf, adcsPerArray, clustersOf, instancesOf, type AreaBreakdown } from '../hw-models/area';
import {
  ACTION_KEYS,
  COMMIT_ACTIONS,
  conversionsPerLine,
  LEAKAGE_KEYS,
  type ActionKey,
  type ActionTable,
  type ChipDescription,
  type LeakageKey,
  type Placement,
} from '../hw-models/chip';
import { conversionsPerMvm, priceActions, readsPerMvm, type OptimizerKind, type PricingContext } from '../hw-models/estimators';
import { actionCycles as actionCyclesOf, commitCycles, isCoincidence, opCycles as opCyclesOf } from '../hw-models/timing';
import type { TensorMsg } from './types';
import { timedOps } from './op-shape';
import type { NetlistMsg, PhaseKindName, PhaseMsg } from './types';
import { scheduleOps, type TimedOp, type TimingResult } from './timing-engine';

export interface ChipCostOptions {
  /** Update pulses the chip executor actually applied per training sample (may be an average over
   *  samples, so need not be an integer). Without it, the netlist's nominal count is used. */
  updatePulsesPerSample?: number;
  /** potentiate-only pairs (crossbar.update.pairMode): device pulses of pair refreshes per training
   *  sample, as the chip executor applied them (RESETs and rewrites, hw-models/estimators.ts
   *  refreshPulseCount). Priced as update_pulse actions in the UPDATE phase, and timed one pulse
   *  after another (a refresh programs single devices: no parallelism across cells is assumed). */
  refreshPulsesPerSample?: number;
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
  /** The sample's share of the batch commit (cyclesPerCommit / batch size; UPDATE phase only, else 0),
   *  plus the sample's pair-refresh pulses one after another (refreshPulsesPerSample). */
  commitCycles: number;
  /** repeat × cyclesPerIteration + commitCycles. */
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
  /** Instances per leakage component (see leakageInstances; also the area footprint). */
  instances: Record<LeakageKey, number>;
  /** Leaking units per component: instances, except the buffer, whose input and state parts are weighted
   *  by their bits when they sit in different places (see leakageInstances). */
  leakingUnits: Record<LeakageKey, number>;
  /** Σ leakage µW × leaking units, in watts (all powered; with power gating an upper bound). */
  powerWatts: number;
  /** Whether idle components were power-gated (chip.costModel.powerGating). */
  powerGated: boolean;
  /** Mesh sites whose routers are counted (cores used and every site a route passes through). */
  routerSites: number[];
}

/** The batch commit: the optimiser steps every trainable weight and the devices are written, once per batch. */
export interface CommitCost {
  /** training_info.batch_size (1 when the netlist has none). */
  batchSize: number;
  /** Cycles of one commit: the slowest array's optimiser steps and writes (arrays commit in parallel). */
  cyclesPerCommit: number;
  /** Commit action counts of one whole commit (nominal update pulses). */
  actionCountsPerCommit: Record<ActionKey, number>;
}

export interface ChipCosts {
  chip: string;
  actionTableVersion: string;
  /** The priced table used (per action latency and energy, leakage per component). */
  actionTable: ActionTable;
  /** The pricing inputs taken from the netlist. */
  pricing: Required<PricingContext>;
  commit: CommitCost;
  /** mm² per component and total of the netlist's footprint (hw-models/area.ts). */
  area: AreaBreakdown;
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
   *  for every LEAKAGE_KEYS entry, plus 'dynamic.wire_dissipation' when the reads dissipate in the
   *  wires (crossbar.wireResistanceOhm > 0; the read entries are then the cells' share); each map sums
   *  to the energy per inference / training sample. */
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
 * are assumed power-gated), placed as the area is (chip.noc.cluster, hw-models/area.ts):
 * - array: every array of the netlist;
 * - adc: per array, ceil(max(rows, cols) / linesPerAdc) converters (the ADCs of the longer side,
 *   shared by forward and transposed reads, as the AdcConvert duration assumes);
 * - neuron_unit, buffer: one per core of the netlist (`core`), one per cluster holding a core of the
 *   netlist (`cluster`: shared hardware leaks once), none (`none`: the chip has no such unit);
 * - router: one per mesh site that is a core of the netlist or lies on any route's path (`core`), one per
 *   cluster holding such a site (`cluster`), none (`none`).
 * The input and state buffers may sit in different places (ISAAC: input registers per IMA, eDRAM per
 * tile); their leakage splits by bits (leakageUw.buffer is one core's input + state buffer), so
 * `leakingUnits.buffer` may be fractional while `instances.buffer` counts places (the area footprint).
 */
export function leakageInstances(netlist: NetlistMsg, chip: ChipDescription): LeakageFootprint {
  const sites = new Set<number>(netlist.cores.map((c) => c.id));
  for (const r of netlist.routes) for (const s of r.path) sites.add(s);
  const coreIds = netlist.cores.map((c) => c.id);
  const footprint = {
    arrays: netlist.arrays.length,
    cores: netlist.cores.length,
    routers: sites.size,
    clusters: clustersOf(chip, coreIds),
    routerClusters: clustersOf(chip, sites),
  };
  const instances = instancesOf(chip, footprint);
  const cl = chip.noc.cluster;
  const places = (p: Placement): number => (p === 'none' ? 0 : p === 'core' ? footprint.cores : footprint.clusters);
  const w = bufferLeakShares(chip);
  const leakingUnits: Record<LeakageKey, number> = {
    ...instances,
    buffer: w.input * places(cl.inputBuffer) + w.state * places(cl.stateBuffer),
  };
  let uw = 0;
  for (const k of LEAKAGE_KEYS) uw += leakingUnits[k] * chip.costModel.leakageUw[k];
  return {
    instances,
    leakingUnits,
    powerWatts: uw * 1e-6,
    powerGated: chip.costModel.powerGating,
    routerSites: [...sites].sort((a, b) => a - b),
  };
}

/** Shares of leakageUw.buffer held by the input and by the state buffer: SRAM/eDRAM leaks per bit. */
export function bufferLeakShares(chip: ChipDescription): { input: number; state: number } {
  const i = chip.noc.inputBufferBytes;
  const s = chip.noc.stateBufferBytes;
  return i + s > 0 ? { input: i / (i + s), state: s / (i + s) } : { input: 0.5, state: 0.5 };
}

/** The leakage component a resource belongs to, and how many instances of it the resource stands for. */
export function leakageOfResource(resource: string, chip: ChipDescription): { key: LeakageKey; instances: number; router?: number } | null {
  switch (resourceKind(resource)) {
    case 'array':
      return { key: 'array', instances: 1 };
    case 'adc':
      return { key: 'adc', instances: adcsPerArray(chip) };
    case 'dac':
      return { key: 'dac', instances: 1 };
    case 'neuron':
      return { key: 'neuron_unit', instances: 1 };
    case 'buffer':
      return { key: 'buffer', instances: 1 };
    // link:a->b is driven by router a.
    case 'link':
      return { key: 'router', instances: 1, router: Number(resource.slice(5, resource.indexOf('->'))) };
    default:
      return null;
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Sum and count of a conductance tensor's stored values (level indices or u), read in place
 *  (a typed view when aligned on a little-endian host, else a DataView). */
function tensorSum(t: TensorMsg): { sum: number; count: number } {
  const b = t.rawData;
  const count = t.dims.reduce((a, d) => a * d, 1);
  const width = t.dataType === 'DATA_TYPE_UINT8' ? 1 : t.dataType === 'DATA_TYPE_UINT16' ? 2 : t.dataType === 'DATA_TYPE_FLOAT32' ? 4 : 0;
  if (width === 0 || b.byteLength < count * width) return { sum: 0, count: 0 };
  let sum = 0;
  if (width === 1) {
    for (let k = 0; k < count; k++) sum += b[k];
  } else if (LITTLE_ENDIAN && b.byteOffset % width === 0) {
    const a = width === 2 ? new Uint16Array(b.buffer, b.byteOffset, count) : new Float32Array(b.buffer, b.byteOffset, count);
    for (let k = 0; k < count; k++) sum += a[k];
  } else {
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let k = 0; k < count; k++) sum += width === 2 ? v.getUint16(2 * k, true) : v.getFloat32(4 * k, true);
  }
  return { sum, count };
}

/** The pricing inputs of a netlist: its programmed devices' mean conductance and its optimiser. */
export function pricingContext(netlist: NetlistMsg, chip: ChipDescription): Required<PricingContext> {
  const x = chip.crossbar;
  let sum = 0;
  let n = 0;
  const span = x.levels === 'continuous' ? 1 : x.levels - 1;
  for (const a of netlist.arrays) {
    for (const t of [a.gPlus, a.gMinus]) {
      // External (not inlined) tensors are not read here; the mean of the inlined ones stands for all.
      if (!t || t.externalData || t.rawData.length === 0) continue;
      const m = tensorSum(t);
      sum += m.sum / span;
      n += m.count;
    }
  }
  const meanU = n > 0 ? sum / n : 0.5;
  const o = netlist.trainingInfo;
  const optimizer: OptimizerKind = !o
    ? 'sgd'
    : o.optimizer === 'OPTIMIZER_KIND_ADAM' || o.optimizer === 'OPTIMIZER_KIND_ADAMW'
      ? 'adam'
      : o.momentum > 0
        ? 'sgd-momentum'
        : 'sgd';
  return { meanConductanceUS: x.gMinUS + meanU * (x.gMaxUS - x.gMinUS), optimizer };
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
  checkCount('refreshPulsesPerSample', opts.refreshPulsesPerSample, false);
  checkCount('freeSteps', opts.freeSteps, true);
  checkCount('nudgedSteps', opts.nudgedSteps, true);
  const scheduled = schedulePhases(netlist, chip);
  const hz = chip.clock.frequencyMhz * 1e6;
  const pricing = pricingContext(netlist, chip);
  const priced = priceActions(chip, pricing);
  const table = priced.perAction;
  const batchSize = Math.max(1, netlist.trainingInfo?.batchSize ?? 1);

  // stochastic-coincidence counts its update pulses per sample: a commit (batch) holds batchSize of them.
  const perSampleScale = (a: string): number => (a === 'update_pulse' && isCoincidence(chip) ? batchSize : 1);
  // The batch commit: per-commit action counts and the slowest array's commit cycles.
  const perCommit = zeroActions();
  let cyclesPerCommit = 0;
  const commitBusy = new Map<string, number>();
  for (const { phase } of scheduled) {
    for (const op of phase.ops) {
      for (const a of op.actions)
        if ((COMMIT_ACTIONS as readonly string[]).includes(a.action))
          perCommit[a.action as ActionKey] += a.count * phaseRepeat(phase, opts) * perSampleScale(a.action);
      if (op.opType === 'OuterProductUpdate') {
        const c = commitCycles(chip, op.lines, op.elements / Math.max(1, op.positions));
        cyclesPerCommit = Math.max(cyclesPerCommit, c);
        for (const r of [`array:${op.array}`, `dac:${op.array}`]) commitBusy.set(r, (commitBusy.get(r) ?? 0) + c / batchSize);
      }
    }
  }
  const commitIndex = scheduled.findIndex((s) => s.phase.kind === 'PHASE_KIND_UPDATE');

  // Nominal update pulses per training sample (the commit's, shared by the batch).
  const nominalPulses = perCommit.update_pulse / batchSize;
  // Actual pulses (per sample) replace the nominal ones phase by phase in proportion (all of them sit
  // in UPDATE); a netlist without update ops gets them in its UPDATE phase (or its last phase).
  const actual = opts.updatePulsesPerSample;
  const orphanPulses = actual !== undefined && nominalPulses === 0 ? actual : 0;
  const orphanPhase = commitIndex >= 0 ? commitIndex : scheduled.length - 1;

  const phases: PhaseCost[] = scheduled.map(({ phase, timing }, index) => {
    const repeat = phaseRepeat(phase, opts);
    const counts = zeroActions();
    for (const op of phase.ops) {
      for (const a of op.actions) {
        if (!(a.action in counts)) throw new Error(`chipCosts: op "${op.label}" counts unknown action "${a.action}"`);
        counts[a.action as ActionKey] += a.count * repeat * perSampleScale(a.action);
      }
    }
    for (const a of COMMIT_ACTIONS) counts[a] /= batchSize;
    if (actual !== undefined) counts.update_pulse = nominalPulses === 0 ? 0 : actual * (counts.update_pulse / nominalPulses);
    if (index === orphanPhase) counts.update_pulse += orphanPulses;
    // Pair refreshes are device writes of the commit: their pulses and their (serial) time.
    const refreshPulses = index === orphanPhase ? (opts.refreshPulsesPerSample ?? 0) : 0;
    counts.update_pulse += refreshPulses;
    const refreshCycles = refreshPulses * actionCyclesOf(chip, 'update_pulse');
    let pj = 0;
    for (const a of ACTION_KEYS) pj += counts[a] * table[a].energyPj;
    let busiest: PhaseCost['busiest'] = null;
    for (const [resource, busyCycles] of timing.busy) if (!busiest || busyCycles > busiest.busyCycles) busiest = { resource, busyCycles };
    const commitShare = (index === commitIndex ? cyclesPerCommit / batchSize : 0) + refreshCycles;
    return {
      index,
      name: phase.name,
      kind: phase.kind,
      repeat,
      trainingOnly: phase.trainingOnly,
      ops: phase.ops.length,
      cyclesPerIteration: timing.makespan,
      commitCycles: commitShare,
      cycles: repeat * timing.makespan + commitShare,
      busiest,
      actionCounts: counts,
      dynamicEnergyJoules: pj * 1e-12,
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
  // Busy cycles of every resource over a sample (iteration busy × repeat), for power gating and utilisation.
  const busyOver = (ps: PhaseCost[], withCommit: boolean): Map<string, number> => {
    const busy = new Map<string, number>();
    for (const p of ps) {
      for (const [r, b] of scheduled[p.index].timing.busy) busy.set(r, (busy.get(r) ?? 0) + b * p.repeat);
      for (const op of scheduled[p.index].ops) for (const r of op.resources) if (!busy.has(r)) busy.set(r, 0);
    }
    if (withCommit) for (const [r, b] of commitBusy) busy.set(r, (busy.get(r) ?? 0) + b);
    return busy;
  };
  /** Leakage joules per component: gated — each resource's busy time; ungated — every instance the whole sample.
   *  Gated shared (`cluster`) hardware is on while any of its cluster's users is (the longest of them: their
   *  busy spans overlap at most fully); absent (`none`) hardware leaks nothing. */
  const leakageJoules = (busy: Map<string, number>, seconds: number): Record<LeakageKey, number> => {
    const out = Object.fromEntries(LEAKAGE_KEYS.map((k) => [k, 0])) as Record<LeakageKey, number>;
    const uw = chip.costModel.leakageUw;
    if (!chip.costModel.powerGating) {
      for (const k of LEAKAGE_KEYS) out[k] = leakage.leakingUnits[k] * uw[k] * 1e-6 * seconds;
      return out;
    }
    const cl = chip.noc.cluster;
    const clusterOf = (id: number): number => Math.floor(id / cl.cores);
    // Busy cycles per holder (core id, router site, or cluster id), per placed component.
    const holders = {
      neuron: new Map<number, number>(),
      input: new Map<number, number>(),
      state: new Map<number, number>(),
      router: new Map<number, number>(),
    };
    const hold = (m: Map<number, number>, p: Placement, id: number, b: number): void => {
      if (p === 'none') return;
      const h = p === 'core' ? id : clusterOf(id);
      m.set(h, Math.max(m.get(h) ?? 0, b));
    };
    for (const [r, b] of busy) {
      const l = leakageOfResource(r, chip);
      if (!l) continue;
      const id = Number(r.slice(r.indexOf(':') + 1));
      // A router is busy while any of its links is (links of one router overlap in time at most fully).
      if (l.router !== undefined) hold(holders.router, cl.router, l.router, b);
      else if (l.key === 'neuron_unit') hold(holders.neuron, cl.neuronUnit, id, b);
      else if (l.key === 'buffer') {
        hold(holders.input, cl.inputBuffer, id, b);
        hold(holders.state, cl.stateBuffer, id, b);
      } else out[l.key] += l.instances * uw[l.key] * 1e-6 * (b / hz);
    }
    const sum = (m: Map<number, number>): number => [...m.values()].reduce((a, b) => a + b, 0) / hz;
    const w = bufferLeakShares(chip);
    out.neuron_unit += uw.neuron_unit * 1e-6 * sum(holders.neuron);
    out.buffer += uw.buffer * 1e-6 * (w.input * sum(holders.input) + w.state * sum(holders.state));
    out.router += uw.router * 1e-6 * sum(holders.router);
    return out;
  };
  const components = (counts: Record<ActionKey, number>, seconds: number, busy: Map<string, number>) => {
    const out: Record<string, number> = {};
    let dynamic = 0;
    let leak = 0;
    let wire = 0;
    for (const a of ACTION_KEYS) {
      const j = counts[a] * table[a].energyPj * 1e-12;
      // The wires' share of a read is reported as its own component (only with wire resistance).
      const w = counts[a] * (priced.wirePj?.[a] ?? 0) * 1e-12;
      out[`dynamic.${a}`] = j - w;
      wire += w;
      dynamic += j;
    }
    if (priced.wirePj) out['dynamic.wire_dissipation'] = wire;
    const lj = leakageJoules(busy, seconds);
    for (const k of LEAKAGE_KEYS) {
      out[`leakage.${k}`] = lj[k];
      leak += lj[k];
    }
    return { out, dynamic, leak };
  };
  const busyInference = busyOver(inferencePhases, false);
  const busyTraining = busyOver(phases, true);
  const inf = components(actionCounts.inference, secondsPerInference, busyInference);
  const trn = components(actionCounts.training, secondsPerTrainingSample, busyTraining);
  const commit: CommitCost = { batchSize, cyclesPerCommit, actionCountsPerCommit: perCommit };
  const area = areaOf(chip, {
    arrays: leakage.instances.array,
    cores: netlist.cores.length,
    routers: leakage.routerSites.length,
    // Resources shared within a cluster of cores (noc.cluster) are counted once per cluster used.
    clusters: clustersOf(
      chip,
      netlist.cores.map((c) => c.id),
    ),
    routerClusters: clustersOf(chip, leakage.routerSites),
  });

  // Utilisation: busy cycles of each resource over the sample, / the sample's cycles.
  const utilisationOf = (busy: Map<string, number>, total: number): Record<string, KindUtilisation> => {
    const byKind = new Map<string, { n: number; sum: number; max: number; busiest: string }>();
    for (const [r, b] of [...busy].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))) {
      const f = total > 0 ? b / total : 0;
      const k = resourceKind(r);
      const u = byKind.get(k) ?? { n: 0, sum: 0, max: -1, busiest: '' };
      u.n++;
      u.sum += f;
      if (f > u.max) {
        u.max = f;
        u.busiest = r;
      }
      byKind.set(k, u);
    }
    const out: Record<string, KindUtilisation> = {};
    for (const [k, u] of [...byKind].sort((x, y) => (x[0] < y[0] ? -1 : 1))) {
      out[k] = { instances: u.n, meanBusy: u.sum / u.n, maxBusy: u.max, busiest: u.busiest };
    }
    return out;
  };

  const rank = (ps: PhaseCost[], total: number): PhaseShare[] =>
    ps
      .map((p) => ({ name: p.name, kind: p.kind, cycles: p.cycles, share: total > 0 ? p.cycles / total : 0 }))
      .sort((a, b) => b.cycles - a.cycles);

  const free = phases.find((p) => p.kind === 'PHASE_KIND_FREE');
  const nudged = phases.find((p) => p.kind === 'PHASE_KIND_NUDGED');
  return {
    chip: chip.name,
    actionTableVersion: priced.version,
    actionTable: priced,
    pricing,
    commit,
    area,
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
    utilisation: {
      inference: utilisationOf(busyInference, cyclesPerInference),
      training: utilisationOf(busyTraining, cyclesPerTrainingSample),
    },
    criticalPhases: { inference: rank(inferencePhases, cyclesPerInference), training: rank(phases, cyclesPerTrainingSample) },
  };
}

/** One full-array MVM priced by the same estimators and op durations (the calibration workload). */
export interface MvmCost {
  /** Multiply-accumulates counted as two operations each: 2·rows·weight columns. */
  ops: number;
  /** ArrayRead (DAC settle + R reads) then AdcConvert of every column (C passes, shift-add when C > 1), cycles and ns. */
  cycles: number;
  latencyNs: number;
  /** Joules per action of one MVM, plus the leakage of the array, its ADCs and DAC bank over the MVM. */
  energyByComponent: Record<string, number>;
  energyJoules: number;
  topsPerWatt: number;
}

/**
 * One MVM of a whole array (every row driven, every column converted), the shape the published
 * chips quote their TOPS/W and latency for: dac_drive × rows·R, array_read × R, adc_conversion ×
 * cols·C (+ shift_add when bit-serial; R reads, C of them converted: hw-models/estimators.ts), all from hw-models/estimators.ts, durations from
 * hw-models/timing.ts; leakage of the array, its ADCs and its DAC bank for the MVM's time.
 */
export function mvmCost(chip: ChipDescription, ctx: PricingContext = {}): MvmCost {
  const x = chip.crossbar;
  const t = priceActions(chip, ctx).perAction;
  const R = readsPerMvm(chip);
  const C = conversionsPerMvm(chip);
  const cols = x.cell === 'offset-column' ? x.cols - 1 : x.cols;
  const cycles = opCyclesOf(chip, { opType: 'ArrayRead' }) + opCyclesOf(chip, { opType: 'AdcConvert', lines: x.cols });
  const latencyNs = (cycles * 1000) / chip.clock.frequencyMhz;
  const counts: Partial<Record<ActionKey, number>> = {
    dac_drive: x.rows * R,
    array_read: R,
    adc_conversion: x.cols * C * conversionsPerLine(chip),
    shift_add: C > 1 ? x.cols * C : 0,
  };
  const out: Record<string, number> = {};
  let e = 0;
  for (const [a, n] of Object.entries(counts)) {
    const j = n! * t[a as ActionKey].energyPj * 1e-12;
    out[`dynamic.${a}`] = j;
    e += j;
  }
  const uw = chip.costModel.leakageUw;
  for (const [k, n] of [
    ['array', 1],
    ['adc', adcsPerArray(chip)],
    ['dac', 1],
  ] as const) {
    const j = n * uw[k] * 1e-6 * latencyNs * 1e-9;
    out[`leakage.${k}`] = j;
    e += j;
  }
  const ops = 2 * x.rows * cols;
  return { ops, cycles, latencyNs, energyByComponent: out, energyJoules: e, topsPerWatt: ops / e / 1e12 };
}

/** Bound-management re-reads of one edge and read kind, as the chip simulator measured them
 *  (simulator/chip/interpreter.ts AdcSaturation: each re-read drives the array's input lines
 *  through the DAC again, reads the array and converts every sensed line). */
export interface MeasuredRereads {
  edge: string;
  read: 'forward' | 'transposed' | 'nudge';
  rereads: number;
  rereadLinesDriven: number;
  rereadLinesSensed: number;
}

/** What the measured re-reads of a run cost, priced by the same table and op durations as the schedule. */
export interface RereadCosts {
  rereads: number;
  /** Samples the counts were measured over (the run's inferences and training steps). */
  samples: number;
  /** Action counts of all the re-reads. */
  actionCounts: Record<ActionKey, number>;
  /** Joules per action of all the re-reads (Σ counts × the table's energy). */
  energyByComponent: Record<string, number>;
  energyJoules: number;
  /** Cycles of all the re-reads, each a serial ArrayRead then AdcConvert of its lines (not overlapped). */
  cycles: number;
  /** energyJoules / samples and cycles / samples (0 without samples). */
  perSample: { energyJoules: number; cycles: number };
}

/**
 * Prices measured bound-management re-reads (issue 13's `boundManagement: 'iterative'`) as real
 * reads: per re-read R array reads (`array_read_transposed` for the transposed kind, else
 * `array_read`; R = reads per MVM), dac_drive × driven lines·R, adc_conversion × sensed lines·C and,
 * bit-serial, shift_add × sensed lines·C (C = converted reads per MVM) — the counts of netlist/ops.ts ArrayRead + AdcConvert for
 * one sample. Cycles per re-read: opCycles(ArrayRead) + opCycles(AdcConvert) at the record's mean
 * sensed lines per re-read. `table` is the run's priced table (ChipCosts.actionTable).
 */
export function rereadCosts(chip: ChipDescription, table: ActionTable, measured: readonly MeasuredRereads[], samples: number): RereadCosts {
  const R = readsPerMvm(chip);
  const C = conversionsPerMvm(chip);
  const counts = zeroActions();
  let rereads = 0;
  let cycles = 0;
  for (const m of measured) {
    if (m.rereads <= 0) continue;
    const transposed = m.read === 'transposed';
    rereads += m.rereads;
    counts[transposed ? 'array_read_transposed' : 'array_read'] += m.rereads * R;
    counts.dac_drive += m.rereadLinesDriven * R;
    counts.adc_conversion += m.rereadLinesSensed * C;
    if (C > 1) counts.shift_add += m.rereadLinesSensed * C;
    const lines = m.rereadLinesSensed / m.rereads;
    cycles +=
      m.rereads *
      (opCyclesOf(chip, { opType: transposed ? 'ArrayReadTransposed' : 'ArrayRead' }) + opCyclesOf(chip, { opType: 'AdcConvert', lines }));
  }
  const energyByComponent: Record<string, number> = {};
  let energyJoules = 0;
  for (const a of ACTION_KEYS) {
    const j = counts[a] * table.perAction[a].energyPj * 1e-12;
    energyByComponent[`dynamic.${a}`] = j;
    energyJoules += j;
  }
  const per = (v: number) => (samples > 0 ? v / samples : 0);
  return {
    rereads,
    samples,
    actionCounts: counts,
    energyByComponent,
    energyJoules,
    cycles,
    perSample: { energyJoules: per(energyJoules), cycles: per(cycles) },
  };
}
