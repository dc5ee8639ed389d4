/**
 * The chip simulator's cost model (simulator/chip/costs.ts) and trace (simulator/chip/trace.ts):
 * cycle counts of a one-core and a two-core case equal timelines derived by hand from the chip's
 * action latencies and the netlist semantics of docs/netlist.md (each phase iteration a barrier,
 * ops list-scheduled over their resources); energy = Σ action counts × the table (+ leakage × time)
 * by an independent recomputation; actual vs nominal update pulses; early exit and T scaling;
 * agreement with the compiler's estimate; the Chrome trace's timing and size bound.
 */
import { estimate } from '../compiler/estimate';
import type { NetlistMsg } from '../netlist/types';
import { compile } from '../compiler/pipeline';
import { GraphBuilder } from '../graph/builder';
import { loadGraph } from '../graph/load';
import { resolveNet, type Net } from '../graph/net';
import { ACTION_KEYS, COMMIT_ACTIONS, LEAKAGE_KEYS, type ActionKey, type ChipDescription } from '../hw-models/chip';
import { resolveChipObject } from '../hw-models/load';
import { preset } from '../hw-models/presets';
import { actionCycles } from '../hw-models/timing';
import { chipCosts, schedulePhases, type ChipCosts } from '../netlist/costs';
import { chipTrace } from '../simulator/chip/trace';
import { initParams } from '../graph/params';
import type { TraceEvent } from '../simulator/timing/trace';
import { makeRng } from '../util/rng';
import { join } from 'node:path';

/** Latencies in ns; at 1000 MHz one ns is one cycle. Distinct values so that a wrong term shows. */
const LATENCY_NS: Record<ActionKey, number> = {
  buffer_access: 2,
  dac_drive: 3,
  array_read: 7,
  array_read_transposed: 11,
  adc_conversion: 5,
  accumulate: 2,
  neuron_update: 4,
  router_hop_flit: 1,
  update_pulse: 6,
  shift_add: 1,
  outer_product_mac: 2,
  accumulator_access: 1,
  optimizer_step: 3,
};
const HOP = 3;

/** reram with 4×4 arrays, one lane per neuron unit, 4 lines per ADC (AdcConvert of n ≤ 4 lines = n·c(adc)). */
function tinyChip(o: { mesh: [number, number]; arraysPerCore: number; update: 'pulsed' | 'exact' }): ChipDescription {
  return resolveChipObject(
    {
      base: 'reram',
      name: `tiny-${o.mesh.join('x')}-${o.update}`,
      crossbar: {
        rows: 4,
        cols: 4,
        levels: 16,
        update: o.update === 'pulsed' ? { kind: 'pulsed', pulsesPerUpdate: 5 } : { kind: 'exact' },
      },
      periphery: { adc: { linesPerAdc: 4 } },
      neuron: { lanes: 1 },
      noc: { meshWidth: o.mesh[0], meshHeight: o.mesh[1], arraysPerCore: o.arraysPerCore, hopLatencyCycles: HOP, linkWidthBits: 64 },
      clock: { frequencyMhz: 1000 },
      // A chip team's measured table: every action's latency (and an energy of half its latency in pJ) replaces the estimator's.
      costModel: { overrides: Object.fromEntries(ACTION_KEYS.map((a) => [a, { latencyNs: LATENCY_NS[a], energyPj: LATENCY_NS[a] / 2 }])) },
    },
    'chip-costs.test',
  );
}

function chainNet(name: string, input: number, hidden: number[], classes: number, T: number, K: number): Net {
  const b = new GraphBuilder(name).input(input);
  hidden.forEach((n, i) => b.layer(`h${i + 1}`, n));
  b.output(classes)
    .chain({ betaI: 0.1 })
    .dynamics({ T, K, betaF: 0.1, nudge: 'held' })
    .training({ optimizer: { kind: 'adam', lr: 1e-3 }, batchSize: 4, epochs: 1, seed: 3 });
  return resolveNet(b.build());
}

function compileNet(net: Net, chip: ChipDescription): NetlistMsg {
  return compile(net, chip, initParams(net, makeRng(net.spec.training.seed)), {
    wMax: { kind: 'max' },
    specFile: 'spec.json',
    producerVersion: 'test',
  }).netlist;
}

const phaseCycles = (c: ChipCosts, name: string) => c.phases.find((p) => p.name === name)!.cyclesPerIteration;

/** Action counts by a plain walk over the ops (independent of costs.ts). */
function countActions(n: NetlistMsg, training: boolean): Record<string, number> {
  const out: Record<string, number> = {};
  for (const ph of n.schedule!.phases) {
    if (ph.trainingOnly && !training) continue;
    for (const op of ph.ops) for (const a of op.actions) out[a.action] = (out[a.action] ?? 0) + a.count * ph.repeat;
  }
  return out;
}

describe('chip costs: hand-derived cycle counts', () => {
  const c = (a: ActionKey, chip: ChipDescription) => actionCycles(chip, a);

  test('one core (1×1 mesh): every matrix in one array, no mesh traffic', () => {
    const chip = tinyChip({ mesh: [1, 1], arraysPerCore: 4, update: 'pulsed' });
    const T = 3,
      K = 2;
    const netlist = compileNet(chainNet('one-core', 3, [4, 3], 2, T, K), chip);
    // 3 → h1 4 → h2 3 → out 2: W0 [4×3] array 0, W1 [3×4] array 1 (symmetric), Wf [2×3] array 2; one core.
    expect(netlist.arrays).toHaveLength(3);
    expect(netlist.cores).toHaveLength(1);
    expect(netlist.schedule!.phases.flatMap((p) => p.ops).some((o) => o.opType === 'Send')).toBe(false);
    const b = c('buffer_access', chip),
      d = c('dac_drive', chip),
      r = c('array_read', chip),
      rt = c('array_read_transposed', chip);
    const a = c('adc_conversion', chip),
      s = c('accumulate', chip),
      n = c('neuron_update', chip),
      p = c('update_pulse', chip);
    expect([b, d, r, rt, a, s, n, p]).toEqual([2, 3, 7, 11, 5, 2, 4, 6]);
    // Element-wise ops take elements·c (lanes = 1); AdcConvert of m ≤ 4 lines m·a; a read d + r (or d + rt).
    //
    // INPUT: LoadInput x (3 values, buffer) → read W0 → adc 4 lines (rows) → accumulate 4 into h1's input drive.
    const input = 3 * b + (d + r) + 4 * a + 4 * s;
    // FREE, one iteration, ops in schedule order:
    //  1 read W1 (array 1)              [0, d+r]
    //  2 adc W1, 3 lines                [d+r, d+r+3a]
    //  3 acc → h2, 3 values (neuron)    [d+r+3a, d+r+3a+3s]
    //  4 read W1ᵀ: array 1 free at d+r  [d+r, 2d+r+rt]
    //  5 adc W1ᵀ, 4 lines: waits for the read and for the ADC (free at d+r+3a)
    //                                   [max(2d+r+rt, d+r+3a), … + 4a]
    //  6 acc W1ᵀ → h1, 4 values: neuron free at op 3's end, which is earlier (4a > 3s) → starts at op 5's end
    //  7 acc held input drive → h1 (no deps) queues behind op 6 on the neuron unit: + 4s
    //  8 update h1 (deps 6, 7): + 4n;   9 update h2 (dep 3) queues behind op 8: + 3n
    const adcT = Math.max(2 * d + r + rt, d + r + 3 * a);
    expect(adcT + 4 * a).toBeGreaterThan(d + r + 3 * a + 3 * s); // the case assumed at op 6
    const free = adcT + 4 * a + 4 * s + 4 * s + 4 * n + 3 * n;
    // READOUT: read Wf → adc 2 lines → accumulate 2 logits.
    const readout = d + r + 2 * a + 2 * s;
    // ERROR: SaveState h1 (4b), SaveState h2 (3b), LoadTarget (2b) all on the one buffer; ReadoutError 2n;
    // e read back through Wfᵀ (d + rt), adc 3 lines (Wf's columns), accumulate 3 into h2's nudge drive.
    const error = 4 * b + 3 * b + 2 * b + 2 * n + (d + rt) + 3 * a + 3 * s;
    // NUDGED: FREE plus the held nudge drive accumulated into h2 (3s) after op 7, before the updates.
    const nudged = free + 3 * s;
    // UPDATE (one sample): StateDelta h1 [0, 4s], StateDelta h2 [4s, 7s] on the neuron unit; the digital
    // outer products of W0 (12 cells), W1 (12) and Wf (6) then queue on the same unit, cells·m each (lanes 1).
    const m = c('outer_product_mac', chip),
      o = c('optimizer_step', chip);
    const update = 7 * s + (12 + 12 + 6) * m;
    // The batch commit (every 4 samples): per array its optimiser steps (cells·o), then row-programmed
    // writes of 5 pulse slots of p per row (4 rows); arrays commit in parallel, so the slowest (12 cells,
    // 4 rows) sets it; a sample carries a quarter.
    const commit = 12 * o + 4 * 5 * p;

    const costs = chipCosts(netlist, chip);
    expect(costs.phases.map((ph) => [ph.name, ph.repeat])).toEqual([
      ['input', 1],
      ['free', T],
      ['readout', 1],
      ['error', 1],
      ['nudged', K],
      ['update', 1],
    ]);
    expect([
      phaseCycles(costs, 'input'),
      phaseCycles(costs, 'free'),
      phaseCycles(costs, 'readout'),
      phaseCycles(costs, 'error'),
      phaseCycles(costs, 'nudged'),
      phaseCycles(costs, 'update'),
    ]).toEqual([input, free, readout, error, nudged, update]);
    expect([input, free, readout, error, nudged, update]).toEqual([44, 89, 24, 61, 95, 74]);
    expect(costs.commit).toMatchObject({ batchSize: 4, cyclesPerCommit: commit });
    expect(costs.phases.find((ph) => ph.name === 'update')!.cycles).toBe(update + commit / 4);
    // Iterations are barriers: a phase is repeat × one iteration; a sample the sum of its phases.
    expect(costs.cyclesPerInference).toBe(input + T * free + readout);
    expect(costs.cyclesPerTrainingSample).toBe(input + T * free + readout + error + K * nudged + update + commit / 4);
    expect(costs.secondsPerInference).toBeCloseTo(costs.cyclesPerInference * 1e-9, 18);
    expect(costs.secondsPerTrainingSample).toBeCloseTo(costs.cyclesPerTrainingSample * 1e-9, 18);
    expect(costs.freeSteps).toBe(T);
    expect(costs.nudgedSteps).toBe(K);
    // Leakage footprint: 3 arrays, 3 × ceil(4/4) ADCs, a DAC bank per array, one neuron unit and buffer, one router.
    expect(costs.leakage.instances).toEqual({ array: 3, adc: 3, dac: 3, neuron_unit: 1, buffer: 1, router: 1 });
    // Nominal pulses: (12 + 12 + 6 cells) × 5 pulse slots, once per batch of 4.
    expect(costs.nominalUpdatePulsesPerSample).toBe(150 / 4);
    expect(costs.actionCounts.training.update_pulse).toBe(150 / 4);
    expect(costs.updatePulseCount).toBe('nominal');
  });

  test('two cores (2×1 mesh): Wf split over two arrays on two cores, states, errors and partial sums cross the mesh', () => {
    const chip = tinyChip({ mesh: [2, 1], arraysPerCore: 2, update: 'exact' });
    const T = 4,
      K = 3;
    const netlist = compileNet(chainNet('two-core', 3, [4], 6, T, K), chip);
    // 3 → h1 4 → out 6: W0 [4×3] array 0 and Wf[0,0] (rows 0–3) array 1 on core P; Wf[1,0] (rows 4–5)
    // array 2 on core Q. h1 and the output live on P (most partial-sum lines), so Q's read needs s(h1)
    // sent P→Q and sends its partial sums Q→P; one hop each way.
    expect(netlist.arrays.map((x) => [x.edge, x.rowBegin, x.rowEnd])).toEqual([
      [0, 0, 4],
      [1, 0, 4],
      [1, 4, 6],
    ]);
    const P = netlist.arrays[0].core,
      Q = netlist.arrays[2].core;
    expect(netlist.arrays[1].core).toBe(P);
    expect(Q).not.toBe(P);
    expect(netlist.groups.slice(1).map((g) => g.homeCore)).toEqual([P, P]);
    const sends = netlist.schedule!.phases.flatMap((ph) => ph.ops).filter((o) => o.opType === 'Send');
    expect(sends.length).toBeGreaterThan(0);
    expect(sends.every((o) => o.hops === 1)).toBe(true);
    const b = c('buffer_access', chip),
      d = c('dac_drive', chip),
      r = c('array_read', chip),
      rt = c('array_read_transposed', chip);
    const a = c('adc_conversion', chip),
      s = c('accumulate', chip),
      n = c('neuron_update', chip),
      f = c('router_hop_flit', chip),
      p = c('update_pulse', chip);
    const h = HOP;
    // A Send of m values of w bits over one hop: h + ceil(m·w/64)·f (wormhole); states travel at 8 bits
    // (reram stateBits), partial sums at 32 (accumulatorBits). A Receive of m values: m·b on the receiver's buffer.
    const send = (m: number, w: number) => h + Math.ceil((m * w) / 64) * f;
    // INPUT: as one core: load x (3b) → read W0 → adc 4 → acc 4 (W0 is not split).
    const input = 3 * b + (d + r) + 4 * a + 4 * s;
    // FREE: no hidden→hidden edge: acc held input drive → h1 (4s), update h1 (4n).
    const free = 4 * s + 4 * n;
    // READOUT:
    //  Wf[0,0] on P: read d+r, adc 4a, acc out[0:4) 4s on neuron:P         → ends eA
    //  Wf[1,0]: send s(h1) P→Q (4 × 8 bits = 1 flit), recv 4b at Q, read d+r, adc 2 lines 2a,
    //           send psum Q→P (2 × 32 bits = 1 flit), recv 2b at P           → ready at eB
    //  acc out[4:6) (2s) waits for eB and for neuron:P (free at eA)
    const eA = d + r + 4 * a + 4 * s;
    const eB = send(4, 8) + 4 * b + (d + r) + 2 * a + send(2, 32) + 2 * b;
    const readout = Math.max(eA, eB) + 2 * s;
    // ERROR: SaveState h1 (4b) then LoadTarget (6b) on buffer:P, ReadoutError 6n on neuron:P → E.
    //  Wfᵀ[0,0] on P: read d+rt, adc 4 columns 4a, acc → h1 4s              → ends e1
    //  Wfᵀ[1,0]: send e P→Q (6 × 8 bits = 1 flit), recv 6b at Q, read d+rt, adc 4a,
    //            send psum Q→P (4 × 32 bits = 2 flits), recv 4b at P          → ready at e2
    //  acc → h1 (4s) waits for e2 and for neuron:P (free at e1)
    const E = 4 * b + 6 * b + 6 * n;
    const e1 = E + (d + rt) + 4 * a + 4 * s;
    const e2 = E + send(6, 8) + 6 * b + (d + rt) + 4 * a + send(4, 32) + 4 * b;
    const error = Math.max(e1, e2) + 4 * s;
    // NUDGED: held input drive (4s) and held nudge drive (4s) into h1, then update h1 (4n).
    const nudged = 4 * s + 4 * s + 4 * n;
    // UPDATE (exact: rows·p): StateDelta h1 [0, 4s] on neuron:P;
    //  the digital outer products queue on neuron:P behind δ: W0 (12 cells) then Wf[0,0] (16 cells), cells·m;
    //  Wf[1,0] (8 cells): send e P→Q [0, h+f], recv 6b at Q; send s⁰(h1) P→Q queues on the link
    //  [h+f, 2(h+f)], its recv queues on buffer:Q behind e's (ends h+f+6b) → h+f+10b; then 8m on neuron:Q.
    const m = c('outer_product_mac', chip);
    const linkPath = Math.max(send(6, 8) + 6 * b, 2 * send(4, 8)) + 4 * b + 8 * m;
    const update = Math.max(4 * s + (12 + 16) * m, linkPath);

    const costs = chipCosts(netlist, chip);
    expect([
      phaseCycles(costs, 'input'),
      phaseCycles(costs, 'free'),
      phaseCycles(costs, 'readout'),
      phaseCycles(costs, 'error'),
      phaseCycles(costs, 'nudged'),
      phaseCycles(costs, 'update'),
    ]).toEqual([input, free, readout, error, nudged, update]);
    // The mesh path is the critical one in READOUT, ERROR and UPDATE with these latencies.
    expect(eB).toBeGreaterThan(eA);
    expect(e2).toBeGreaterThan(e1);
    // UPDATE is bound by P's neuron unit now that the outer product is digital.
    expect(4 * s + 28 * m).toBeGreaterThan(linkPath);
    expect([input, free, readout, error, nudged, update]).toEqual([44, 24, 44, 115, 32, 64]);
    expect(costs.cyclesPerInference).toBe(input + T * free + readout);
    // Exact (row-programmed) commit per array: cells·o optimiser steps + rows·p writes; the slowest is
    // Wf[0,0] (16 cells, 4 rows); a sample carries a quarter of it (batch 4).
    const o = c('optimizer_step', chip);
    expect(costs.commit.cyclesPerCommit).toBe(Math.max(12 * o + 4 * p, 16 * o + 4 * p, 8 * o + 2 * p));
    expect(costs.cyclesPerTrainingSample).toBe(input + T * free + readout + error + K * nudged + update + (16 * o + 4 * p) / 4);
    // Leakage footprint: 3 arrays, 3 ADCs, 3 DAC banks, 2 neuron units and buffers, 2 routers;
    // reram: 3·200 + 3·20 + 2·50 + 2·50 + 2·100 µW.
    expect(costs.leakage.instances).toEqual({ array: 3, adc: 3, dac: 3, neuron_unit: 2, buffer: 2, router: 2 });
    expect(costs.leakage.powerWatts).toBeCloseTo(1060e-6, 15);
    expect(costs.leakageEnergyJoules.inference).toBeCloseTo(1060e-6 * costs.cyclesPerInference * 1e-9, 20);
    // Router hops: every Send counts hops·flits router_hop_flit actions (1 hop here).
    const flitsPerTraining = netlist.schedule!.phases.reduce(
      (t, ph) => t + ph.repeat * ph.ops.filter((o) => o.opType === 'Send').reduce((u, o) => u + o.flits, 0),
      0,
    );
    expect(costs.actionCounts.training.router_hop_flit).toBe(flitsPerTraining);
    // Links are busy only while a Send holds them.
    expect(costs.utilisation.training.link.instances).toBe(2);
    expect(costs.utilisation.training.link.maxBusy).toBeGreaterThan(0);
    expect(costs.utilisation.training.link.maxBusy).toBeLessThan(1);
  });
});

describe('chip costs: energy', () => {
  const chip = tinyChip({ mesh: [2, 1], arraysPerCore: 2, update: 'pulsed' });
  const netlist = compileNet(chainNet('two-core-pulsed', 3, [4], 6, 4, 3), chip);

  test('energy = Σ action counts × table (+ leakage × time), recomputed independently from the ops', () => {
    const costs = chipCosts(netlist, chip);
    const table = costs.actionTable;
    for (const [mode, training] of [
      ['inference', false],
      ['training', true],
    ] as const) {
      const counts = countActions(netlist, training);
      const cycles =
        netlist.schedule!.phases.reduce((t, ph) => t + (ph.trainingOnly && !training ? 0 : ph.repeat * phaseCycles(costs, ph.name)), 0) +
        (training ? costs.commit.cyclesPerCommit / costs.commit.batchSize : 0);
      const seconds = cycles / (chip.clock.frequencyMhz * 1e6);
      let dynamic = 0;
      // The commit actions are charged once per batch of 4: a quarter per sample.
      for (const k of COMMIT_ACTIONS) counts[k] = (counts[k] ?? 0) / 4;
      for (const [k, v] of Object.entries(counts)) {
        expect(costs.actionCounts[mode][k as ActionKey]).toBe(v);
        expect(costs.energyByComponent[mode][`dynamic.${k}`]).toBeCloseTo(v * table.perAction[k as ActionKey].energyPj * 1e-12, 20);
        dynamic += v * table.perAction[k as ActionKey].energyPj * 1e-12;
      }
      // Instances recounted: arrays, ADCs per array = ceil(4/4), neuron units per core, routers on cores and routes.
      const sites = new Set([...netlist.cores.map((x) => x.id), ...netlist.routes.flatMap((x) => x.path)]);
      const leakW =
        (netlist.arrays.length * (table.leakageUw.array + table.leakageUw.adc + table.leakageUw.dac) +
          netlist.cores.length * (table.leakageUw.neuron_unit + table.leakageUw.buffer) +
          sites.size * table.leakageUw.router) *
        1e-6;
      const total = mode === 'inference' ? costs.energyPerInferenceJoules : costs.energyPerTrainingSampleJoules;
      expect(costs.dynamicEnergyJoules[mode] / dynamic).toBeCloseTo(1, 12);
      expect(costs.leakageEnergyJoules[mode] / (leakW * seconds)).toBeCloseTo(1, 12);
      expect(total / (dynamic + leakW * seconds)).toBeCloseTo(1, 12);
      // The breakdown names every action and leakage component and sums to the total.
      expect(Object.keys(costs.energyByComponent[mode]).sort()).toEqual(
        [...ACTION_KEYS.map((k) => `dynamic.${k}`), ...LEAKAGE_KEYS.map((k) => `leakage.${k}`)].sort(),
      );
      const sum = Object.values(costs.energyByComponent[mode]).reduce((x, y) => x + y, 0);
      expect(sum / total).toBeCloseTo(1, 12);
    }
    // Per-phase dynamic energy adds up to the sample's.
    expect(costs.phases.reduce((t, ph) => t + ph.dynamicEnergyJoules, 0) / costs.dynamicEnergyJoules.training).toBeCloseTo(1, 12);
    expect(costs.actionCounts.inference.update_pulse).toBe(0);
  });

  test('updatePulsesPerSample changes only the update_pulse energy, by (actual − nominal) × its energy', () => {
    const nominal = chipCosts(netlist, chip);
    // (4·3 + 4·4 + 2·4 cells) × 5 pulse slots, once per batch of 4 samples.
    expect(nominal.nominalUpdatePulsesPerSample).toBe(((12 + 16 + 8) * 5) / 4);
    const actual = chipCosts(netlist, chip, { updatePulsesPerSample: 37.5 });
    expect(actual.updatePulseCount).toBe('actual');
    expect(actual.nominalUpdatePulsesPerSample).toBe(45);
    expect(actual.actionCounts.training.update_pulse).toBe(37.5);
    const ePulse = nominal.actionTable.perAction.update_pulse.energyPj * 1e-12;
    expect(actual.energyByComponent.training['dynamic.update_pulse']).toBeCloseTo(37.5 * ePulse, 20);
    expect(nominal.energyPerTrainingSampleJoules - actual.energyPerTrainingSampleJoules).toBeCloseTo((45 - 37.5) * ePulse, 18);
    for (const k of Object.keys(nominal.energyByComponent.training)) {
      if (k !== 'dynamic.update_pulse') expect(actual.energyByComponent.training[k]).toBe(nominal.energyByComponent.training[k]);
    }
    expect(actual.energyByComponent.inference).toEqual(nominal.energyByComponent.inference);
    expect(actual.cyclesPerTrainingSample).toBe(nominal.cyclesPerTrainingSample);
    expect(actual.energyPerInferenceJoules).toBe(nominal.energyPerInferenceJoules);
    // A netlist whose update ops count no pulses: actual pulses are still priced, in the UPDATE phase.
    const noPulses = structuredClone(netlist);
    for (const op of noPulses.schedule!.phases.flatMap((ph) => ph.ops)) op.actions = op.actions.filter((x) => x.action !== 'update_pulse');
    const orphan = chipCosts(noPulses, chip, { updatePulsesPerSample: 10 });
    expect(orphan.nominalUpdatePulsesPerSample).toBe(0);
    expect(orphan.actionCounts.training.update_pulse).toBe(10);
    expect(orphan.phases.find((ph) => ph.kind === 'PHASE_KIND_UPDATE')!.actionCounts.update_pulse).toBe(10);
    expect(() => chipCosts(netlist, chip, { updatePulsesPerSample: -1 })).toThrow(/updatePulsesPerSample/);
    expect(() => chipCosts(netlist, chip, { updatePulsesPerSample: NaN })).toThrow(/updatePulsesPerSample/);
  });
});

describe('chip costs: scaling and consistency', () => {
  const chip = tinyChip({ mesh: [1, 1], arraysPerCore: 4, update: 'pulsed' });

  test('a bigger T gives proportionally more free-phase cycles; early exit prices fewer steps', () => {
    const c2 = chipCosts(compileNet(chainNet('t2', 3, [4, 3], 2, 2, 2), chip), chip);
    const c6 = chipCosts(compileNet(chainNet('t6', 3, [4, 3], 2, 6, 2), chip), chip);
    const free = (c: ChipCosts) => c.phases.find((p) => p.kind === 'PHASE_KIND_FREE')!;
    expect(free(c6).cycles).toBe(3 * free(c2).cycles);
    expect(c6.cyclesPerInference - c2.cyclesPerInference).toBe(4 * free(c2).cyclesPerIteration);
    expect(c6.actionCounts.inference.neuron_update - c2.actionCounts.inference.neuron_update).toBe(4 * (4 + 3));
    // Early exit after 2 of 6 steps costs what a T = 2 netlist costs.
    const exit2 = chipCosts(compileNet(chainNet('t6', 3, [4, 3], 2, 6, 2), chip), chip, { freeSteps: 2 });
    expect(exit2.cyclesPerInference).toBe(c2.cyclesPerInference);
    expect(exit2.energyPerInferenceJoules).toBeCloseTo(c2.energyPerInferenceJoules, 18);
    expect(exit2.freeSteps).toBe(2);
    expect(() => chipCosts(compileNet(chainNet('t6', 3, [4, 3], 2, 6, 2), chip), chip, { nudgedSteps: 1.5 })).toThrow(/nudgedSteps/);
  });

  test('training ≥ inference; mnist-2hl on every preset matches the compiler estimate', () => {
    const net = resolveNet(loadGraph(join(__dirname, '..', 'examples', 'mnist-2hl.json')));
    for (const name of ['ideal', 'reram', 'pcm', 'sram-8b']) {
      const ch = preset(name)!;
      const netlist = compileNet(net, ch);
      const costs = chipCosts(netlist, ch);
      expect(costs.cyclesPerTrainingSample).toBeGreaterThan(costs.cyclesPerInference);
      expect(costs.energyPerTrainingSampleJoules).toBeGreaterThan(costs.energyPerInferenceJoules);
      for (const a of ACTION_KEYS) expect(costs.actionCounts.training[a]).toBeGreaterThanOrEqual(costs.actionCounts.inference[a]);
      // One cost model: the compiler's estimate is this cost model, leakage included.
      const est = estimate(ch, netlist);
      expect(costs.leakageEnergyJoules.training / (est.leakageEnergyPjPerTrainingSample * 1e-12)).toBeCloseTo(1, 12);
      expect(costs.cyclesPerInference).toBe(est.cyclesPerInference);
      expect(costs.cyclesPerTrainingSample).toBe(est.cyclesPerTrainingSample);
      expect(costs.actionCounts.training).toEqual(est.actionsPerTrainingSample);
      expect(costs.dynamicEnergyJoules.training / (est.dynamicEnergyPjPerTrainingSample * 1e-12)).toBeCloseTo(1, 12);
      const sites = new Set([...netlist.cores.map((x) => x.id), ...netlist.routes.flatMap((x) => x.path)]);
      expect(costs.leakage.instances).toEqual({
        array: netlist.arrays.length,
        adc: netlist.arrays.length * Math.ceil(Math.max(ch.crossbar.rows, ch.crossbar.cols) / ch.periphery.adc.linesPerAdc),
        dac: netlist.arrays.length,
        buffer: netlist.cores.length,
        neuron_unit: netlist.cores.length,
        router: sites.size,
      });
      if (sites.size === netlist.cores.length) {
        const leakPj = est.leakageEnergyPjPerTrainingSample;
        expect(costs.leakageEnergyJoules.training / (leakPj * 1e-12)).toBeCloseTo(1, 12);
      }
      // Utilisation is a fraction; critical phases are ranked and their shares sum to 1.
      for (const mode of ['inference', 'training'] as const) {
        for (const u of Object.values(costs.utilisation[mode])) {
          expect(u.meanBusy).toBeGreaterThan(0); // every kind listed is used by some op
          expect(u.maxBusy).toBeLessThanOrEqual(1);
          expect(u.meanBusy).toBeLessThanOrEqual(u.maxBusy);
        }
        const ranked = costs.criticalPhases[mode];
        expect(ranked.map((x) => x.cycles)).toEqual([...ranked.map((x) => x.cycles)].sort((x, y) => y - x));
        expect(ranked.reduce((t, x) => t + x.share, 0)).toBeCloseTo(1, 12);
      }
      expect(costs.criticalPhases.inference[0].name).toBe('free');
      expect(Object.keys(costs.utilisation.training).sort()).toEqual(['adc', 'array', 'buffer', 'dac', 'link', 'neuron']);
    }
  });
});

describe('chip trace', () => {
  const chip = tinyChip({ mesh: [2, 1], arraysPerCore: 2, update: 'exact' });
  const netlist = compileNet(chainNet('two-core', 3, [4], 6, 4, 3), chip);
  const costs = chipCosts(netlist, chip);
  const us = 1e6 / (chip.clock.frequencyMhz * 1e6);

  function check(trace: unknown, samples: number, cyclesPerSample: number): TraceEvent[] {
    const parsed = JSON.parse(JSON.stringify(trace)) as { traceEvents: TraceEvent[]; metadata: { detail: string } };
    const ev = parsed.traceEvents;
    const x = ev.filter((e) => e.ph === 'X');
    for (const e of x) {
      expect(typeof e.ts).toBe('number');
      expect(e.dur).toBeCloseTo((e.args!.cycles as number) * us, 9);
      expect(e.ts).toBeCloseTo((e.args!.startCycle as number) * us, 9);
    }
    const names = new Map(ev.filter((e) => e.name === 'thread_name').map((e) => [e.tid, String(e.args!.name)]));
    const phases = x.filter((e) => names.get(e.tid) === 'phases');
    const sampleEv = x.filter((e) => names.get(e.tid) === 'samples');
    expect(sampleEv).toHaveLength(samples);
    sampleEv.forEach((e, i) => {
      expect(e.ts).toBeCloseTo(i * cyclesPerSample * us, 9);
      expect(e.dur).toBeCloseTo(cyclesPerSample * us, 9);
    });
    // Phase iterations tile the samples end to end.
    let t = 0;
    for (const e of phases) {
      expect(e.args!.startCycle).toBe(t);
      t += e.args!.cycles as number;
    }
    expect(t).toBe(samples * cyclesPerSample);
    // Every op event lies inside its phase iteration's event.
    const ops = x.filter((e) => e.cat !== 'phase' && e.cat !== 'sample');
    for (const e of ops) {
      const ph = phases.find(
        (q) => q.args!.sample === e.args!.sample && q.args!.phase === e.args!.phase && q.args!.iteration === e.args!.iteration,
      )!;
      expect(ph.args!.detail).toBe('ops traced');
      expect(e.args!.startCycle as number).toBeGreaterThanOrEqual(ph.args!.startCycle as number);
      expect((e.args!.startCycle as number) + (e.args!.cycles as number)).toBeLessThanOrEqual(
        (ph.args!.startCycle as number) + (ph.args!.cycles as number),
      );
      expect(names.get(e.tid)).toBeDefined();
      expect(e.tid).not.toBe(phases[0].tid);
    }
    return ops;
  }

  test('training samples in full: valid JSON, ts/dur consistent with the cycles and the clock', () => {
    const trace = chipTrace(netlist, chip, { samples: 2, training: true });
    expect(trace.metadata.detail).toBe('full');
    // The trace draws one sample's phases; the batch commit (amortised into the costs) is not drawn.
    const drawn = costs.cyclesPerTrainingSample - costs.commit.cyclesPerCommit / costs.commit.batchSize;
    expect(trace.metadata.cyclesPerSample).toBe(drawn);
    const ops = check(trace, 2, drawn);
    // One op event per op, resource and iteration.
    const perSample = netlist.schedule!.phases.reduce((t, ph) => t + ph.repeat * ph.ops.reduce((u, o) => u + o.resources.length, 0), 0);
    expect(ops).toHaveLength(2 * perSample);
    expect(trace.metadata.opEvents).toBe(2 * perSample);
    // Each op event sits on the track of one of the resources its op holds (Sends on link tracks).
    const names = new Map(trace.traceEvents.filter((e) => e.name === 'thread_name').map((e) => [e.tid, String(e.args!.name)]));
    const held = new Map<string, Set<string>>();
    for (const ph of netlist.schedule!.phases) {
      for (const o of ph.ops) {
        const k = `${ph.name}/${o.label}`;
        held.set(k, new Set([...(held.get(k) ?? []), ...o.resources]));
      }
    }
    for (const e of ops) expect(held.get(`${e.args!.phase}/${e.name}`)!.has(names.get(e.tid)!)).toBe(true);
    const sendTracks = new Set(ops.filter((e) => e.cat === 'Send').map((e) => names.get(e.tid)!));
    expect([...sendTracks].sort()).toEqual([...new Set(netlist.routes.map((r) => `link:${r.path[0]}->${r.path[1]}`))].sort());
  });

  test('inference trace: only the inference phases', () => {
    const trace = chipTrace(netlist, chip, { samples: 3, training: false });
    check(trace, 3, costs.cyclesPerInference);
    expect(trace.metadata.phases.map((p) => p.name)).toEqual(['input', 'free', 'readout']);
  });

  test('bounded size: repeats are summarised on the phases track and the metadata says so', () => {
    const full = chipTrace(netlist, chip, { samples: 2, training: true });
    const perIterFirst = netlist.schedule!.phases.reduce((t, ph) => t + ph.ops.reduce((u, o) => u + o.resources.length, 0), 0);
    const small = chipTrace(netlist, chip, { samples: 2, training: true, maxEvents: 2 * perIterFirst });
    expect(small.metadata.detail).toBe('first-iteration');
    expect(small.metadata.note).toMatch(/first iteration/);
    expect(small.metadata.opEvents).toBe(2 * perIterFirst);
    expect(small.metadata.fullOpEvents).toBe(full.metadata.opEvents);
    const ops = check(small, 2, costs.cyclesPerTrainingSample - costs.commit.cyclesPerCommit / costs.commit.batchSize);
    expect(ops.every((e) => e.args!.iteration === 0)).toBe(true);
    const tiny = chipTrace(netlist, chip, { samples: 2, training: true, maxEvents: 1 });
    expect(tiny.metadata.detail).toBe('first-sample');
    expect(
      check(tiny, 2, costs.cyclesPerTrainingSample - costs.commit.cyclesPerCommit / costs.commit.batchSize).every(
        (e) => e.args!.sample === 0 && e.args!.iteration === 0,
      ),
    ).toBe(true);
    // Phase-level events are kept for every iteration at every level.
    const phaseEvents = (t: typeof full) => t.traceEvents.filter((e) => e.cat === 'phase').length;
    expect(phaseEvents(tiny)).toBe(2 * (1 + 4 + 1 + 1 + 3 + 1));
    expect(phaseEvents(small)).toBe(phaseEvents(full));
    expect(() => chipTrace(netlist, chip, { samples: 0, training: true })).toThrow(/samples/);
  });
});

describe('chip costs: leakage follows noc.cluster placement', () => {
  // 4×1 mesh, clusters of 2 cores: the chain's 3 arrays sit on cores 1, 2, 3 → clusters 0 and 1.
  const base = tinyChip({ mesh: [4, 1], arraysPerCore: 1, update: 'exact' });
  const netlist = compileNet(chainNet('two-cluster', 3, [4], 6, 4, 3), base);
  // Input buffer per core, state buffer absent, neuron unit and router shared per cluster; 1 KiB input and
  // 3 KiB state buffer, so the input buffer holds a quarter of a core's buffer leakage.
  const placed = (powerGating: boolean): ChipDescription => ({
    ...base,
    noc: {
      ...base.noc,
      inputBufferBytes: 1024,
      stateBufferBytes: 3072,
      cluster: { cores: 2, inputBuffer: 'core', stateBuffer: 'none', router: 'cluster', neuronUnit: 'cluster' },
    },
    costModel: { ...base.costModel, powerGating },
  });

  test('ungated: core per used core, cluster once per used cluster, none nothing (hand-derived)', () => {
    expect(netlist.cores.map((c) => c.id).sort()).toEqual([1, 2, 3]);
    const chip = placed(false);
    const costs = chipCosts(netlist, chip);
    const uw = chip.costModel.leakageUw;
    // reram: array 0 (non-volatile), adc 200, dac 20, neuron unit 50, buffer 50, router 100 µW.
    expect([uw.array, uw.adc, uw.dac, uw.neuron_unit, uw.buffer, uw.router]).toEqual([0, 200, 20, 50, 50, 100]);
    expect(costs.leakage.instances).toEqual({ array: 3, adc: 3, dac: 3, neuron_unit: 2, buffer: 3, router: 2 });
    // buffer: 3 cores × ¼ (input share) + 0 (no state buffer) = 0.75 units.
    expect(costs.leakage.leakingUnits).toEqual({ array: 3, adc: 3, dac: 3, neuron_unit: 2, buffer: 0.75, router: 2 });
    // 3·0 + 3·200 + 3·20 + 2·50 + 0.75·50 + 2·100 µW.
    const watts = (600 + 60 + 100 + 37.5 + 200) * 1e-6;
    expect(costs.leakage.powerWatts).toBeCloseTo(watts, 15);
    const seconds = costs.cyclesPerInference / (chip.clock.frequencyMhz * 1e6);
    expect(costs.energyByComponent.inference['leakage.buffer']).toBeCloseTo(37.5e-6 * seconds, 20);
    expect(costs.energyByComponent.inference['leakage.router']).toBeCloseTo(200e-6 * seconds, 20);
    expect(costs.leakageEnergyJoules.inference / (watts * seconds)).toBeCloseTo(1, 12);
    // The same chip with every unit per core leaks more: 3 neuron units, 3 buffers, 3 routers.
    const perCore = chipCosts(netlist, { ...base, noc: { ...base.noc, inputBufferBytes: 1024, stateBufferBytes: 3072 } });
    expect(perCore.leakage.powerWatts).toBeCloseTo((600 + 60 + 150 + 150 + 300) * 1e-6, 15);
    // Dynamic energy is unchanged by placement (an access costs what it costs): counts × table per action,
    // and the components still sum to the total.
    expect(costs.dynamicEnergyJoules.training).toBe(perCore.dynamicEnergyJoules.training);
    for (const mode of ['inference', 'training'] as const) {
      for (const a of ACTION_KEYS) {
        const j = costs.actionCounts[mode][a] * costs.actionTable.perAction[a].energyPj * 1e-12;
        expect(costs.energyByComponent[mode][`dynamic.${a}`]).toBeCloseTo(j, 22);
      }
      const total = mode === 'inference' ? costs.energyPerInferenceJoules : costs.energyPerTrainingSampleJoules;
      const sum = Object.values(costs.energyByComponent[mode]).reduce((x, y) => x + y, 0);
      expect(sum / total).toBeCloseTo(1, 12);
    }
    expect(costs.actionCounts.training.buffer_access).toBeGreaterThan(0);
  });

  test('gated: a shared unit leaks while the busiest of its cluster users is busy; an absent one never', () => {
    const chip = placed(true);
    const costs = chipCosts(netlist, chip);
    const hz = chip.clock.frequencyMhz * 1e6;
    // Busy cycles of every resource over an inference, from the timing engine.
    const busy = new Map<string, number>();
    for (const ph of schedulePhases(netlist, chip)) {
      if (ph.phase.trainingOnly) continue;
      for (const [r, b] of ph.timing.busy) busy.set(r, (busy.get(r) ?? 0) + b * ph.phase.repeat);
    }
    const uw = chip.costModel.leakageUw;
    const of = (r: string): number => busy.get(r) ?? 0;
    // Cluster 0 holds core 1 only; cluster 1 (cores 2, 3) is on while the busier of its two neuron users is.
    const neuronJ = (uw.neuron_unit * 1e-6 * (of('neuron:1') + Math.max(of('neuron:2'), of('neuron:3')))) / hz;
    // The input buffers (a quarter of the buffer leakage) per core; the absent state buffer nothing.
    const bufferJ = (uw.buffer * 0.25 * 1e-6 * (of('buffer:1') + of('buffer:2') + of('buffer:3'))) / hz;
    expect(costs.energyByComponent.inference['leakage.neuron_unit']).toBeCloseTo(neuronJ, 22);
    expect(costs.energyByComponent.inference['leakage.buffer']).toBeCloseTo(bufferJ, 22);
    expect(neuronJ).toBeGreaterThan(0);
    expect(bufferJ).toBeGreaterThan(0);
  });
});
