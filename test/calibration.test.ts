/**
 * The calibration presets (docs/calibration.md): one whole-array MVM (netlist/costs.ts mvmCost)
 * recomputed by hand from the presets' constants, and the published figures met within 2×.
 */
import { chipArea } from '../hw-models/area';
import { preset } from '../hw-models/presets';
import { mvmCost } from '../netlist/costs';

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
  test('neurram: 128×256 differential weights, 4 bit planes, one neuron (6-bit SAR-like) per column', () => {
    const m = mvmCost(preset('neurram')!);
    const planes = 4;
    // DACs 0.1 pJ per line and plane; the array 2·128·256 devices × 22 µS × 0.1² V² × 100 ns × 0.5
    // per plane; conversions 20 fJ × 2^6 per column and plane.
    expect(m.energyByComponent['dynamic.dac_drive'] * 1e12).toBeCloseTo(128 * planes * 0.1, 9);
    expect(m.energyByComponent['dynamic.array_read'] * 1e12).toBeCloseTo(planes * 2 * 128 * 256 * 22 * 0.01 * 100 * 0.5 * 1e-3, 6);
    expect(m.energyByComponent['dynamic.adc_conversion'] * 1e12).toBeCloseTo(256 * planes * 20 * 64 * 1e-3, 6);
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
  test('neurram: 15.95 TOPS/W at 4-bit in, 6-bit out (Extended Data Fig. 12e)', () => {
    within2(mvmCost(preset('neurram')!).topsPerWatt, 15.95);
  });
});

describe('published figures the model misses by more than 2× (stated and explained in docs/calibration.md)', () => {
  test('hermes TOPS/W: component-derived constants price one MVM > 2× cheaper than the chip measured', () => {
    // No fitted constant: the CCO ADC at Murmann's 20 fJ/step upper end. The gap is energy the model
    // does not price (docs/calibration.md); if it closes, update the docs.
    expect(mvmCost(preset('hermes')!).topsPerWatt / 9.76).toBeGreaterThan(2);
  });
  test('neurram latency: ESTIMATE timing is > 2× faster than the derived 4.23 µs per MVM', () => {
    expect(mvmCost(preset('neurram')!).latencyNs / (((2 * 128 * 256) / (0.744e12 / 48)) * 1e9)).toBeLessThan(0.5);
  });
});
