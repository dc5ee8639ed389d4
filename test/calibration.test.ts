/**
 * The calibration presets (docs/calibration.md): one whole-array MVM (netlist/costs.ts mvmCost)
 * recomputed by hand from the presets' constants, and the published figures met within 2×.
 */
import { chipArea } from '../hw-models/area';
import { preset } from '../hw-models/presets';
import { mvmCost } from '../netlist/costs';
import { neurramAreaRows } from '../bench/calibration';

describe('one MVM, by hand', () => {
  test('isaac: 128×128, 16 bit planes, one SAR ADC for 128 columns, 1.2 GHz', () => {
    const c = preset('isaac')!;
    const m = mvmCost(c);
    const planes = 16;
    // Energies (pJ): DACs 0.5 mW × 100 ns / 128 per line and plane; the array 16384 devices × 9 µS ×
    // 0.2² V² × 10 ns × 0.5 per plane; the ADC 16 mW / 9.6 GS/s per conversion; the shift-add
    // psum bits (8 + 15 + 16 = 39 → capped at 32) × 0.1/32 × 0.6 per line and plane.
    expect(m.energyByComponent['dynamic.dac_drive'] * 1e12).toBeCloseTo(128 * planes * ((0.5e-3 * 100e-9) / 128) * 1e12, 6);
    expect(m.energyByComponent['dynamic.array_read'] * 1e12).toBeCloseTo(planes * 128 * 128 * 9 * 0.04 * 10 * 0.5 * 1e-3, 6);
    expect(m.energyByComponent['dynamic.adc_conversion'] * 1e12).toBeCloseTo(128 * planes * (16e-3 / 9.6e9) * 1e12, 6);
    expect(m.energyByComponent['dynamic.shift_add'] * 1e12).toBeCloseTo(128 * planes * 32 * (0.1 / 32) * 0.6, 6);
    // Cycles at 1.2 GHz: the 10 ns read is 12 cycles per plane; a conversion (0.83 ns) one cycle,
    // 128 of them per plane through the one ADC, then one shift-add cycle.
    expect(m.cycles).toBe(planes * 12 + planes * 128 + 1);
    expect(m.latencyNs).toBeCloseTo(m.cycles / 1.2, 9);
    // 2·128·127 operations (one column is the offset reference).
    expect(m.ops).toBe(2 * 128 * 127);
  });

  test('hermes: 256×256, 8-bit PWM inputs, one CCO ADC per column', () => {
    const m = mvmCost(preset('hermes')!);
    // 1 cycle DAC set-up + 2^8 × 0.25 ns PWM + 2^8 × 0.3 ns CCO conversion (77 cycles).
    expect(m.cycles).toBe(1 + 64 + 77);
    // ADC: 256 conversions × 20 fJ × 2^8; array: 2·256² devices × 12.625 µS × 0.04 × 64 ns × 0.25.
    expect(m.energyByComponent['dynamic.adc_conversion'] * 1e12).toBeCloseTo(256 * 20 * 256 * 1e-3, 6);
    expect(m.energyByComponent['dynamic.array_read'] * 1e12).toBeCloseTo(2 * 65536 * 12.625 * 0.04 * 64 * 0.25 * 1e-3, 6);
  });
});

describe('one MVM, by hand (neurram)', () => {
  test('neurram: 128×256 differential weights, 7 integrated pulses, one conversion per neuron (6-bit, one step per bit)', () => {
    const m = mvmCost(preset('neurram')!);
    // 4-bit signed inputs: 3 magnitude bits → 1 + 2 + 4 = 7 unit pulses, each a sample-and-integrate step.
    const pulses = 7;
    // DACs 0.1 pJ per line and pulse; the array 2·128·256 devices × 22 µS × 0.1² V² × 10 ns × 0.5 per
    // pulse; the neuron converts once: 20 fJ × 2^6 per column.
    expect(m.energyByComponent['dynamic.dac_drive'] * 1e12).toBeCloseTo(128 * pulses * 0.1, 9);
    expect(m.energyByComponent['dynamic.array_read'] * 1e12).toBeCloseTo(pulses * 2 * 128 * 256 * 22 * 0.01 * 10 * 0.5 * 1e-3, 6);
    expect(m.energyByComponent['dynamic.adc_conversion'] * 1e12).toBeCloseTo(256 * 20 * 64 * 1e-3, 6);
    expect(m.energyByComponent['dynamic.shift_add']).toBe(0);
    // Time at 100 MHz: 300 ns sampling set-up, 7 × 270 ns integrations, 6 × 300 ns conversion steps
    // (one neuron per column, converted in parallel): 399 cycles, 3.99 µs.
    expect(m.cycles).toBe(30 + 7 * 27 + 6 * 30);
    expect(m.latencyNs).toBeCloseTo(3990, 9);
    // Leakage: 256 neurons × 5 µW over the 3.99 µs.
    expect(m.energyByComponent['leakage.adc'] * 1e12).toBeCloseTo(256 * 5e-6 * 3.99e-6 * 1e12, 6);
    expect(m.ops).toBe(2 * 128 * 256);
  });
});

describe('published figures within 2× (docs/calibration.md)', () => {
  const within2 = (ours: number, published: number) => {
    expect(ours / published).toBeGreaterThan(0.5);
    expect(ours / published).toBeLessThan(2);
  };
  test('hermes: 133 ns per MVM, 0.62 mm² per core', () => {
    const c = preset('hermes')!;
    const m = mvmCost(c);
    within2(m.latencyNs, ((2 * 256 * 256) / (63.1e12 / 64)) * 1e9);
    within2(chipArea(c).totalMm2 / 64, 63.1 / 64 / 1.59);
  });
  test('isaac: 1.6 µs per 16-bit MVM, 7.3 TOPS/W from its component table, an IMA of 0.0131 mm²', () => {
    const m = mvmCost(preset('isaac')!);
    within2(m.latencyNs, 1600);
    within2(m.topsPerWatt, (2 * 128 * 128) / (16 * (4e-3 / 8 + 0.3e-3 + 16e-3 / 8) * 100e-9) / 1e12);
    // Table I: 12 IMAs (8 crossbars, 8 ADCs, 8×128 DACs each) in 0.157 mm².
    const c = preset('isaac')!;
    const a = chipArea(c);
    within2((a.mm2.array + a.mm2.adc + a.mm2.dac) / (c.noc.meshWidth * c.noc.meshHeight), 0.157 / 12);
  });
  test('neurram: 15.95 TOPS/W at 4-bit in, 6-bit out (Extended Data Fig. 12e), 4.23 µs per MVM (Fig. 12d)', () => {
    const m = mvmCost(preset('neurram')!);
    within2(m.topsPerWatt, 15.95);
    within2(m.latencyNs, ((2 * 128 * 256) / (0.744e12 / 48)) * 1e9);
  });
});

describe('areas: like for like (docs/calibration.md)', () => {
  const core = (1270 * 256) / 0.28 / 1e6;
  const mm2 = chipArea(preset('neurram')!).mm2;
  test('neurram core without buffers and router within 2× of the published 1.16 mm²; with them, above 2×', () => {
    const without = (mm2.array + mm2.adc + mm2.dac + mm2.neuron_unit) / 48;
    expect(without / core).toBeGreaterThan(0.5);
    expect(without / core).toBeLessThan(2);
    expect(chipArea(preset('neurram')!).totalMm2 / 48 / core).toBeGreaterThan(2);
  });
  test('neurram by component (Extended Data Fig. 11f): neurons 28 % of the core by hand, drivers and array > 2× under', () => {
    const rows = neurramAreaRows();
    // 256 ADCs of 6 bits at 1000/64 µm² per level = 1000 µm² each.
    expect(rows[0].ours).toBeCloseTo((256 * 1000) / 1e6, 12);
    expect(rows[0].published).toBeCloseTo(0.28 * core, 12);
    // 256 lines × 50 µm²; 2·128·256 devices × 12 × 0.13² µm².
    expect(rows[1].ours).toBeCloseTo((256 * 50) / 1e6, 12);
    expect(rows[2].ours).toBeCloseTo((2 * 128 * 256 * 12 * 0.13 ** 2) / 1e6, 12);
    expect(rows[1].ratio!).toBeLessThan(0.5);
    expect(rows[2].ratio!).toBeLessThan(0.5);
  });
  test('isaac: area per crossbar, a whole core per IMA, above 2× of the tile / 96', () => {
    const c = preset('isaac')!;
    const cores = c.noc.meshWidth * c.noc.meshHeight;
    expect(chipArea(c).totalMm2 / cores / c.noc.arraysPerCore / (0.372 / 96)).toBeGreaterThan(2);
  });
});

describe('published figures the model misses by more than 2× (stated and explained in docs/calibration.md)', () => {
  test('hermes TOPS/W: component-derived constants price one MVM > 2× cheaper than the chip measured', () => {
    // No fitted constant: the CCO ADC at Murmann's 20 fJ/step upper end. The gap is energy the model
    // does not price (docs/calibration.md); if it closes, update the docs.
    expect(mvmCost(preset('hermes')!).topsPerWatt / 9.76).toBeGreaterThan(2);
  });
});
