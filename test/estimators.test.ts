/**
 * The cost model's estimators (hw-models/estimators.ts, hw-models/area.ts) against values derived by
 * hand from their formulas and the constants of hw-models/cost-constants.ts, and the cost model
 * (netlist/costs.ts) against an independent walk over the netlist's ops: for every action kind,
 * counts × priced table = the reported energy; commit actions per batch; power gating.
 */
import { GraphBuilder } from '../graph/builder';
import { resolveNet, type Net } from '../graph/net';
import { initParams } from '../graph/params';
import { compile } from '../compiler/pipeline';
import { adcsPerArray, areaOf, chipArea, clusterSummary, clustersOf, unitAreaUm2 } from '../hw-models/area';
import { estimate } from '../compiler/estimate';
import { ACTION_KEYS, COMMIT_ACTIONS, type ActionKey, type ChipDescription } from '../hw-models/chip';
import {
  adcConversionCost,
  arrayReadEnergyPj,
  conversionsPerMvm,
  dacDriveCost,
  inputMagnitudeBits,
  optimizerOps,
  partialSumBits,
  priceActions,
  readConductionNs,
  readDurationNs,
  readsPerMvm,
  wireReadEnergyPj,
} from '../hw-models/estimators';
import { solveCrossbar } from '../hw-models/ir-drop';
import { resolveChipObject } from '../hw-models/load';
import { validateChip } from '../hw-models/validate';
import { preset } from '../hw-models/presets';
import { actionCycles, opCycles } from '../hw-models/timing';
import { chipCosts, leakageOfResource, schedulePhases } from '../netlist/costs';
import type { NetlistMsg } from '../netlist/types';
import { makeRng } from '../util/rng';

const reram = (): ChipDescription => preset('reram')!;
const withCost = (c: ChipDescription, m: Partial<ChipDescription['costModel']>): ChipDescription => ({
  ...c,
  costModel: { ...c.costModel, ...m },
});

describe('estimators: hand-derived', () => {
  test('ADC: Walden energy FoM·2^bits, SAR time bits·step, flash one step, CCO 2^bits steps, adder tree', () => {
    const c = reram(); // ISAAC's ADC: 16 mW for 8 converters at 1.2 GS/s → 1.6667 pJ and 0.8333 ns at 8 bits
    expect(adcConversionCost(c).energyPj).toBeCloseTo((16e-3 / 9.6e9) * 1e12, 12);
    expect(adcConversionCost(c).latencyNs).toBeCloseTo(1 / 1.2, 12);
    c.periphery.adc.bits = 3;
    // 2^3/2^8 of the energy, 3/8 of the time.
    expect(adcConversionCost(c).energyPj).toBeCloseTo(1.666666667 / 32, 9);
    expect(adcConversionCost(c).latencyNs).toBeCloseTo(3 / 9.6, 12);
    expect(adcConversionCost(withCost(c, { adcArchitecture: 'flash', adcNsPerStep: 0.5 })).latencyNs).toBe(0.5);
    expect(adcConversionCost(withCost(c, { adcArchitecture: 'cco', adcNsPerStep: 0.3 })).latencyNs).toBeCloseTo(8 * 0.3, 12);
    // sram-8b: 128 rows, 128 levels → (128 − 1) adders of 7 + 7 bits at 0.1/32 pJ per bit.
    expect(adcConversionCost(preset('sram-8b')!).energyPj).toBeCloseTo((127 * 14 * 0.1) / 32, 12);
  });

  test('DAC and input encoding: analog per bit, pwm 2^bits slots, bit-serial one read per bit', () => {
    const c = reram();
    expect(dacDriveCost(c).energyPj).toBeCloseTo(0.05, 12); // 8 bits × 0.05/8 pJ
    expect(readsPerMvm(c)).toBe(1);
    expect(readDurationNs(c)).toBe(10);
    const pwm = withCost(c, { inputEncoding: 'pwm', readPulseNs: 0.5 });
    expect(readDurationNs(pwm)).toBe(128);
    expect(dacDriveCost(pwm).energyPj).toBeCloseTo(0.05 / 8, 12);
    const serial = withCost(c, { inputEncoding: 'bit-serial', readPulseNs: 2 });
    expect(readsPerMvm(serial)).toBe(8);
    expect(readDurationNs(serial)).toBe(2);
    // Cycles of a read: DAC settle (1) + R reads; a bit-serial conversion: R passes over the muxed lines + one shift-add.
    expect(opCycles(serial, { opType: 'ArrayRead' })).toBe(1 + 8 * 2);
    expect(opCycles(serial, { opType: 'AdcConvert', lines: 256 })).toBe(8 * 8 * 1 + 1);
  });

  test('pulse-count: 2^m − 1 integrated unit pulses for m magnitude bits, one conversion, read energy over the pulse only', () => {
    // 8-bit DAC on a signed range [−1, 1]: 7 magnitude bits → 1 + 2 + … + 64 = 127 pulses.
    const c = withCost(reram(), { inputEncoding: 'pulse-count', readPulseNs: 10, integrationStepNs: 270, dacSettleNs: 300 });
    expect(inputMagnitudeBits(c)).toBe(7);
    expect(readsPerMvm(c)).toBe(127);
    expect(conversionsPerMvm(c)).toBe(1);
    // A step lasts the integration (270 ns); the array conducts for the 10 ns pulse of it.
    expect(readDurationNs(c)).toBe(270);
    expect(readConductionNs(c)).toBe(10);
    // Energy per read: devices × Ḡ × V² × 10 ns × activity, exactly as an analog 10 ns read.
    expect(arrayReadEnergyPj(c, 10)).toBeCloseTo(arrayReadEnergyPj(reram(), 10), 12);
    // A driver pulse costs dacEnergyPj, not per bit.
    expect(dacDriveCost(c).energyPj).toBe(c.costModel.dacEnergyPj);
    // Unsigned range [0, 1]: all 8 bits are magnitude → 255 pulses.
    const u = structuredClone(c);
    u.periphery.dac.inputRange = [0, 1];
    expect(readsPerMvm(u)).toBe(255);
    // Cycles at 1 GHz (reram): the set-up (300) + 127 steps of 270; the conversion once — one pass
    // over each ADC's 8 multiplexed lines at 1 cycle each (bit-serial above: 8 passes) — no shift-add.
    expect(opCycles(c, { opType: 'ArrayRead' })).toBe(300 + 127 * 270);
    expect(opCycles(c, { opType: 'AdcConvert', lines: 256 })).toBe(8 * 1);
    // Partial sums do not widen: the neuron's code is the sum.
    expect(partialSumBits(withCost(c, { sendAdcCodes: true }))).toBe(8);
  });

  test('array read energy Σ G·V²·t over the devices: rises with g_max and with the programmed conductance', () => {
    const c = reram();
    // 256·256 cells × 2 devices × 22 µS (mid of 4–40) × 0.2² V² × 10 ns × activity 0.25 = 288 358.4 fJ.
    expect(arrayReadEnergyPj(c, 22)).toBeCloseTo(256 * 256 * 2 * 22 * 0.04 * 10 * 0.25 * 1e-3, 9);
    expect(priceActions(c).perAction.array_read.energyPj).toBeCloseTo(288.3584, 9);
    const hi = reram();
    hi.crossbar.gMaxUS = 80;
    expect(priceActions(hi).perAction.array_read.energyPj).toBeCloseTo((288.3584 * 42) / 22, 9);
    expect(priceActions(c, { meanConductanceUS: 11 }).perAction.array_read.energyPj).toBeCloseTo(288.3584 / 2, 9);
  });

  test('wire dissipation, first order in r: Σ over segments of r·I² at the ideal cell currents (hand sums)', () => {
    const c = reram();
    c.crossbar.rows = 2;
    c.crossbar.cols = 1; // differential: 2 device columns
    c.crossbar.wireResistanceOhm = 3;
    // Forward: 2 driven columns of 2 cells carry g·V then 2·g·V from the port: (1 + 4)·g²V² each;
    // 2 sensed rows of 2 cells, zero-mean independent inputs: mean squares (1 + 2)·g²E[V²] each.
    // E[V²] = 0.25 · 0.2², t = 10 ns, g = 22 µS: 3 Ω·(22e-6 S)²·0.01 V²·10e-9 s·(2·5 + 2·3) → pJ.
    const unit = 3 * 22e-6 ** 2 * 0.25 * 0.04 * 10e-9 * 1e12;
    expect(wireReadEnergyPj(c, 22, false)).toBeCloseTo(unit * (2 * 5 + 2 * 3), 15);
    // Transposed with 2 × 2 physical lines: the same sums.
    expect(wireReadEnergyPj(c, 22, true)).toBeCloseTo(unit * (2 * 5 + 2 * 3), 15);
    c.crossbar.rows = 3; // 3 × 2: forward 2·S2(3) + 3·S1(2) = 28 + 9, transposed 3·S2(2) + 2·S1(3) = 15 + 12
    expect(wireReadEnergyPj(c, 22, false)).toBeCloseTo(unit * 37, 15);
    expect(wireReadEnergyPj(c, 22, true)).toBeCloseTo(unit * 27, 15);
    // The read's price carries it, reported apart; quadratic in g, linear in r; none without wires.
    const t = priceActions(c, { meanConductanceUS: 22 });
    expect(t.perAction.array_read.energyPj).toBeCloseTo(arrayReadEnergyPj(c, 22) + unit * 37, 12);
    expect(t.wirePj!.array_read).toBeCloseTo(unit * 37, 15);
    expect(wireReadEnergyPj(c, 44, false) / wireReadEnergyPj(c, 22, false)).toBeCloseTo(4, 12);
    c.crossbar.wireResistanceOhm = 0;
    expect(wireReadEnergyPj(c, 22, false)).toBe(0);
    expect(priceActions(c).wirePj).toBeUndefined();
  });

  test('wire dissipation against the exact circuit: E over independent zero-mean inputs of Σ ΔV²/r (small r)', () => {
    // The wires' power is a quadratic form in the port voltages, so over independent zero-mean inputs
    // E[P] = E[V²]·Σ_j P(line j alone at 1 V): one exact solve per driven line.
    const c = reram();
    c.crossbar.rows = 6;
    c.crossbar.cols = 4; // differential: 8 device columns
    c.crossbar.wireResistanceOhm = 0.05; // r·g·n² ≈ 7·10⁻⁵: first order is exact to ~10⁻⁴
    const R = 6,
      C = 8,
      g = 22;
    const a = { rows: R, cols: C, g: new Float64Array(R * C).fill(g * 1e-6), wireOhm: 0.05 };
    const ev2 = c.costModel.inputActivity * c.periphery.dac.readVoltageV ** 2;
    const exact = (transposed: boolean) => {
      let p = 0;
      for (let k = 0; k < (transposed ? R : C); k++) {
        const rows = new Float64Array(R);
        const cols = new Float64Array(C);
        (transposed ? rows : cols)[k] = 1;
        p += solveCrossbar(a, { rows, cols }).wirePowerW;
      }
      return p * ev2 * readConductionNs(c) * 1e3; // W·ns → pJ
    };
    for (const t of [false, true]) {
      const e = exact(t);
      expect(e).toBeGreaterThan(0);
      expect(wireReadEnergyPj(c, g, t) / e).toBeCloseTo(1, 3);
    }
    // No wires: the exact circuit dissipates nothing in them either.
    expect(solveCrossbar({ ...a, wireOhm: 0 }, { rows: new Float64Array(R), cols: new Float64Array(C).fill(1) }).wirePowerW).toBe(0);
  });

  test('partial sums at their real width; ADC codes when the chip sends them', () => {
    const c = reram(); // 8-bit ADC, 16-bit gain, 32-bit accumulator
    expect(partialSumBits(c)).toBe(24);
    expect(partialSumBits(withCost(c, { sendAdcCodes: true }))).toBe(8);
    expect(partialSumBits(withCost(c, { sendAdcCodes: true, inputEncoding: 'bit-serial' }))).toBe(8 + 7);
    expect(partialSumBits(preset('ideal')!)).toBe(32);
  });

  test('digital actions: accumulate, buffer, NoC, outer product, accumulator, optimiser (Horowitz 45 nm)', () => {
    const c = reram();
    const t = priceActions(c).perAction;
    const mul = 3.1 / 1024,
      add = 0.1 / 32,
      sram = 5 / 32;
    expect(t.accumulate.energyPj).toBeCloseTo(16 * 24 * mul + 32 * add, 12);
    expect(t.buffer_access.energyPj).toBeCloseTo(8 * sram, 12);
    expect(t.router_hop_flit.energyPj).toBeCloseTo((64 * 2) / 64, 12);
    // δ of two 8-bit state registers: 9 bits (a sign bit more) × the 8-bit pre state.
    expect(t.outer_product_mac.energyPj).toBeCloseTo(9 * 8 * mul + 32 * add, 12);
    const d16 = structuredClone(c);
    d16.neuron.learningSignal = {
      kind: 'difference-register',
      freeStateBits: 12,
      deltaBits: 16,
      deltaRange: 0.25,
      deltaRounding: 'nearest',
    };
    expect(priceActions(d16).perAction.outer_product_mac.energyPj).toBeCloseTo(16 * 8 * mul + 32 * add, 12);
    expect(t.accumulator_access.energyPj).toBeCloseTo(2 * 32 * sram, 12);
    expect(t.optimizer_step.energyPj).toBeCloseTo(16 * 16 * mul + 32 * add, 12);
    expect(optimizerOps('adam')).toEqual({ multiplies: 9, adds: 5, stateWords: 2 });
    expect(priceActions(c, { optimizer: 'adam' }).perAction.optimizer_step.energyPj).toBeCloseTo(
      9 * 256 * mul + 5 * 32 * add + 2 * 2 * 32 * sram,
      12,
    );
    expect(t.update_pulse).toEqual({ latencyNs: 10, energyPj: 1 });
    expect(t.neuron_update.energyPj).toBe(1);
    // A chip team's override replaces the estimate (and its latency sets the cycles).
    const o = withCost(c, { overrides: { adc_conversion: { latencyNs: 3, energyPj: 7 } } });
    expect(priceActions(o).perAction.adc_conversion).toEqual({ latencyNs: 3, energyPj: 7 });
    expect(actionCycles(o, 'adc_conversion')).toBe(3);
  });

  test('area per component: hand-derived for reram', () => {
    const c = reram();
    const u = unitAreaUm2(c);
    expect(u.array).toBeCloseTo(256 * 256 * 2 * 12 * 0.045 ** 2, 6);
    expect(u.adc).toBeCloseTo(1200, 9);
    expect(u.dac).toBe(2560);
    expect(u.neuron_unit).toBe(32000);
    expect(u.buffer).toBeCloseTo(0.35 * 8 * (16384 + 65536), 6);
    expect(u.router).toBe(50000);
    expect(adcsPerArray(c)).toBe(32);
    const a = areaOf(c, { arrays: 2, cores: 1, routers: 3 });
    expect(a.mm2.adc).toBeCloseTo(2 * 32 * 1200e-6, 12);
    expect(a.totalMm2).toBeCloseTo((2 * (u.array + 32 * u.adc + u.dac) + u.neuron_unit + u.buffer + 3 * u.router) * 1e-6, 12);
    // The whole chip: 64 cores × 8 arrays.
    expect(chipArea(c).mm2.array).toBeCloseTo(512 * u.array * 1e-6, 12);
    // ADC area doubles per bit.
    c.periphery.adc.bits = 4;
    expect(unitAreaUm2(c).adc).toBeCloseTo(1200 / 16, 9);
  });

  test('area with shared and absent resources (noc.cluster): hand-derived for reram, clusters of 4 cores', () => {
    const c = reram();
    c.noc.cluster = { cores: 4, inputBuffer: 'core', stateBuffer: 'cluster', router: 'cluster', neuronUnit: 'none' };
    // Per instance (µm²): input buffer 0.35·8·16384 = 45875.2; state buffer 0.35·8·65536 = 183500.8; router 50000.
    const inBuf = 0.35 * 8 * 16384;
    const stBuf = 0.35 * 8 * 65536;
    // 10 cores in 3 clusters, routers at 12 sites in 4 clusters.
    const a = areaOf(c, { arrays: 20, cores: 10, routers: 12, clusters: 3, routerClusters: 4 });
    expect(a.mm2.buffer).toBeCloseTo((10 * inBuf + 3 * stBuf) * 1e-6, 12);
    expect(a.mm2.router).toBeCloseTo(4 * 50000 * 1e-6, 12);
    expect(a.mm2.neuron_unit).toBe(0);
    expect(a.mm2.adc).toBeCloseTo(20 * 32 * 1200e-6, 12);
    // The whole chip: 64 cores → 16 clusters; 512 arrays.
    const w = chipArea(c);
    expect(w.mm2.buffer).toBeCloseTo((64 * inBuf + 16 * stBuf) * 1e-6, 12);
    expect(w.mm2.router).toBeCloseTo(16 * 50000 * 1e-6, 12);
    // A partial last cluster keeps its shared resources: 64 cores in clusters of 12 → 6.
    c.noc.cluster = { ...c.noc.cluster, cores: 12 };
    expect(chipArea(c).mm2.router).toBeCloseTo(6 * 50000 * 1e-6, 12);
    expect(clustersOf(c, [0, 11, 12, 35])).toBe(3);
    expect(clusterSummary(c)).toBe('shared by each cluster of 12 cores: state buffer, router; not on the chip: neuron unit');
    expect(clusterSummary(reram())).toBeNull();
  });

  test("a compiled netlist's area counts each cluster it uses once (compile report and fre inspect)", () => {
    // 2×2 mesh, one cluster of all 4 cores.
    const own = smallChip('reram');
    const shared = smallChip('reram', {
      noc: {
        meshWidth: 2,
        meshHeight: 2,
        arraysPerCore: 1,
        cluster: { cores: 4, inputBuffer: 'core', stateBuffer: 'cluster', router: 'none', neuronUnit: 'cluster' },
      },
    });
    const netlist = compileOn(shared);
    const ids = netlist.cores.map((k) => k.id);
    const clusters = new Set(ids.map((id) => Math.floor(id / 4))).size;
    expect(ids.length).toBeGreaterThan(clusters); // at least two used cores share a cluster
    const a = chipCosts(netlist, shared).area.mm2;
    const u = unitAreaUm2(shared);
    const inBuf = shared.costModel.sramAreaUm2PerBit * 8 * shared.noc.inputBufferBytes;
    const stBuf = shared.costModel.sramAreaUm2PerBit * 8 * shared.noc.stateBufferBytes;
    expect(a.neuron_unit).toBeCloseTo(clusters * u.neuron_unit * 1e-6, 12);
    expect(a.buffer).toBeCloseTo((ids.length * inBuf + clusters * stBuf) * 1e-6, 12);
    expect(a.router).toBe(0);
    // Arrays, converters and drivers are per core either way.
    const b = chipCosts(compileOn(own), own).area.mm2;
    expect(a.array).toBeCloseTo(b.array, 12);
    expect(b.neuron_unit).toBeCloseTo(ids.length * u.neuron_unit * 1e-6, 12);
    expect(estimate(shared, netlist).areaLayout).toBe(
      'shared by each cluster of 4 cores: state buffer, neuron unit; not on the chip: router',
    );
  });
});

function smallNet(): Net {
  const b = new GraphBuilder('est-net').input(6).layer('h1', 5);
  b.output(3)
    .chain({ betaI: 0.1 })
    .dynamics({ T: 3, K: 2, betaF: 0.1, nudge: 'held' })
    .training({ optimizer: { kind: 'sgd', lr: 0.01 }, batchSize: 8, epochs: 1, seed: 1 });
  return resolveNet(b.build());
}

function compileOn(chip: ChipDescription): NetlistMsg {
  const net = smallNet();
  return compile(net, chip, initParams(net, makeRng(1)), { wMax: { kind: 'max' }, specFile: 'spec.json', producerVersion: 'test' }).netlist;
}

/** Action counts of a training sample by a plain walk over the ops (commit actions per batch). */
function walkCounts(n: NetlistMsg): Record<string, number> {
  const out: Record<string, number> = {};
  for (const ph of n.schedule!.phases)
    for (const op of ph.ops) for (const a of op.actions) out[a.action] = (out[a.action] ?? 0) + a.count * ph.repeat;
  for (const a of COMMIT_ACTIONS) out[a] = (out[a] ?? 0) / n.trainingInfo!.batchSize;
  return out;
}

const smallChip = (base: string, extra: Record<string, unknown> = {}): ChipDescription =>
  resolveChipObject(
    {
      base,
      name: `est-${base}`,
      crossbar: { rows: 8, cols: 8 },
      periphery: { adc: { linesPerAdc: 2 } },
      noc: { meshWidth: 2, meshHeight: 2, arraysPerCore: 1 },
      ...extra,
    },
    'estimators.test',
  );

describe('counts × table = reported energy, per action kind', () => {
  // reram exercises the analog path and pulsed writes; sram-8b the bit-serial path (shift_add) and row writes.
  const chips = [smallChip('reram'), smallChip('sram-8b')];
  const runs = chips.map((chip) => {
    const netlist = compileOn(chip);
    return { chip, netlist, costs: chipCosts(netlist, chip), counts: walkCounts(netlist) };
  });
  test.each([...ACTION_KEYS])('%s', (action: ActionKey) => {
    let seen = 0;
    for (const { costs, counts } of runs) {
      const n = counts[action] ?? 0;
      seen += n;
      expect(costs.actionCounts.training[action]).toBeCloseTo(n, 9);
      expect(costs.energyByComponent.training[`dynamic.${action}`]).toBeCloseTo(
        n * costs.actionTable.perAction[action].energyPj * 1e-12,
        22,
      );
    }
    expect(seen).toBeGreaterThan(0); // every action kind is exercised by one of the two chips
  });

  test("with wire resistance the reads' wire share is its own component, counts × wirePj, and the parts still sum to the total", () => {
    const chip = smallChip('reram', { crossbar: { rows: 8, cols: 8, wireResistanceOhm: 2 } });
    const netlist = compileOn(chip);
    const costs = chipCosts(netlist, chip);
    const counts = walkCounts(netlist);
    const t = costs.actionTable;
    expect(t.wirePj!.array_read).toBeGreaterThan(0);
    const wire = (counts.array_read ?? 0) * t.wirePj!.array_read! + (counts.array_read_transposed ?? 0) * t.wirePj!.array_read_transposed!;
    expect(wire).toBeGreaterThan(0);
    const e = costs.energyByComponent.training;
    expect(e['dynamic.wire_dissipation']).toBeCloseTo(wire * 1e-12, 22);
    expect(e['dynamic.array_read']).toBeCloseTo(
      (counts.array_read ?? 0) * (t.perAction.array_read.energyPj - t.wirePj!.array_read!) * 1e-12,
      22,
    );
    const sum = Object.values(e).reduce((a, v) => a + v, 0);
    expect(sum / costs.energyPerTrainingSampleJoules).toBeCloseTo(1, 12);
  });

  test('a larger batch divides the commit energy and cycles per sample', () => {
    const { chip, netlist } = runs[0];
    const b8 = chipCosts(netlist, chip);
    const n32 = structuredClone(netlist);
    n32.trainingInfo!.batchSize = 32;
    const b32 = chipCosts(n32, chip);
    expect(b32.energyByComponent.training['dynamic.update_pulse'] * 4).toBeCloseTo(
      b8.energyByComponent.training['dynamic.update_pulse'],
      22,
    );
    expect(b32.energyByComponent.training['dynamic.outer_product_mac']).toBe(b8.energyByComponent.training['dynamic.outer_product_mac']);
    expect(b8.cyclesPerTrainingSample - b32.cyclesPerTrainingSample).toBeCloseTo(b8.commit.cyclesPerCommit * (1 / 8 - 1 / 32), 9);
  });

  test('power gating: each resource leaks only for its busy cycles', () => {
    const chip = withCost(smallChip('reram'), { powerGating: true });
    const netlist = compileOn(chip);
    const costs = chipCosts(netlist, chip);
    // Recount inference leakage from the timing engine's busy cycles.
    const hz = chip.clock.frequencyMhz * 1e6;
    const uw = chip.costModel.leakageUw;
    let adc = 0;
    let neuron = 0;
    for (const s of schedulePhases(netlist, chip)) {
      if (s.phase.trainingOnly) continue;
      for (const [r, b] of s.timing.busy) {
        const l = leakageOfResource(r, chip);
        if (l?.key === 'adc') adc += (b * s.phase.repeat * l.instances * uw.adc * 1e-6) / hz;
        if (l?.key === 'neuron_unit') neuron += (b * s.phase.repeat * uw.neuron_unit * 1e-6) / hz;
      }
    }
    expect(costs.energyByComponent.inference['leakage.adc']).toBeCloseTo(adc, 22);
    expect(costs.energyByComponent.inference['leakage.neuron_unit']).toBeCloseTo(neuron, 22);
    const ungated = chipCosts(netlist, withCost(chip, { powerGating: false }));
    expect(costs.leakageEnergyJoules.inference).toBeLessThan(ungated.leakageEnergyJoules.inference);
    expect(costs.dynamicEnergyJoules.inference).toBe(ungated.dynamicEnergyJoules.inference);
  });

  test('the design point moves the price: more ADC bits cost more energy and cycles; a higher g_max more read energy', () => {
    const price = (bits: number, gMax: number) => {
      // A 4 GHz clock resolves the sub-nanosecond SAR conversion times into cycles.
      const chip = smallChip('reram', {
        periphery: { adc: { bits, linesPerAdc: 2 } },
        crossbar: { rows: 8, cols: 8, gMaxUS: gMax },
        clock: { frequencyMhz: 4000 },
      });
      return chipCosts(compileOn(chip), chip);
    };
    const e = [3, 4, 5, 6, 8].map((b) => price(b, 40));
    for (let i = 1; i < e.length; i++) {
      expect(e[i].energyPerInferenceJoules).toBeGreaterThan(e[i - 1].energyPerInferenceJoules);
      expect(e[i].cyclesPerInference).toBeGreaterThanOrEqual(e[i - 1].cyclesPerInference);
    }
    expect(e[4].cyclesPerInference).toBeGreaterThan(e[0].cyclesPerInference);
    expect(price(8, 80).energyByComponent.inference['dynamic.array_read']).toBeGreaterThan(
      price(8, 40).energyByComponent.inference['dynamic.array_read'],
    );
  });
});

describe('cost model fields: bad input is a coded diagnostic naming the field', () => {
  const bad = (edit: (c: { costModel: Record<string, unknown> }) => void) => {
    const c = structuredClone(preset('reram')!) as unknown as { costModel: Record<string, unknown> };
    edit(c);
    return validateChip(c, 'chip.json').diagnostics.map((d) => `${d.code} ${d.path}`);
  };
  test('a pulse-count integration step shorter than its read pulse', () => {
    expect(
      bad((c) => {
        c.costModel.inputEncoding = 'pulse-count';
        c.costModel.readPulseNs = 10;
        c.costModel.integrationStepNs = 5;
      }),
    ).toEqual(['HW021 /costModel/integrationStepNs']);
    expect(
      bad((c) => {
        c.costModel.inputEncoding = 'pulse-count';
        c.costModel.integrationStepNs = 270;
      }),
    ).toEqual([]);
  });

  test('noc.cluster: zero cores, an unknown placement, a cluster larger than the mesh', () => {
    const badNoc = (edit: (n: Record<string, unknown>) => void) => {
      const c = structuredClone(preset('reram')!) as unknown as { noc: Record<string, unknown> };
      edit(c.noc);
      return validateChip(c, 'chip.json').diagnostics;
    };
    expect(badNoc((n) => ((n.cluster as Record<string, unknown>).cores = 0)).map((d) => `${d.code} ${d.path}`)).toEqual([
      'HW012 /noc/cluster/cores',
    ]);
    const tile = badNoc((n) => ((n.cluster as Record<string, unknown>).router = 'tile'));
    expect(tile.map((d) => `${d.code} ${d.path}`)).toEqual(['HW013 /noc/cluster/router']);
    expect(`${tile[0].message} ${tile[0].hint}`).toMatch(/cluster/);
    const big = badNoc((n) => ((n.cluster as Record<string, unknown>).cores = 65));
    expect(big.map((d) => `${d.code} ${d.path}`)).toEqual(['HW020 /noc/cluster/cores']);
    expect(big[0].message).toContain('8×8 = 64 cores');
    expect(big[0].hint).toContain('at most 64');
    expect(badNoc((n) => ((n.cluster as Record<string, unknown>).cores = 64))).toEqual([]);
  });

  test('unknown encoding, negative energy, NaN, an override of an unknown action, a half override', () => {
    expect(
      bad((c) => {
        c.costModel.inputEncoding = 'serial';
      }),
    ).toEqual(['HW013 /costModel/inputEncoding']);
    expect(
      bad((c) => {
        c.costModel.adcWaldenFomFj = -1;
      }),
    ).toEqual(['HW012 /costModel/adcWaldenFomFj']);
    expect(
      bad((c) => {
        c.costModel.inputActivity = NaN;
      }),
    ).toEqual(['HW011 /costModel/inputActivity']);
    expect(
      bad((c) => {
        c.costModel.overrides = { adc_conversoin: { latencyNs: 1, energyPj: 1 } };
      }),
    ).toEqual(['HW014 /costModel/overrides/adc_conversoin']);
    expect(
      bad((c) => {
        c.costModel.overrides = { adc_conversion: { latencyNs: 1 } };
      }),
    ).toEqual(['HW010 /costModel/overrides/adc_conversion/energyPj']);
    expect(
      bad((c) => {
        c.costModel.overrides = { adc_conversion: { latencyNs: 1, energyPj: 2 } };
      }),
    ).toEqual([]);
  });
});
