/**
 * The calibration presets (docs/calibration.md): one whole-array MVM (netlist/costs.ts mvmCost)
 * recomputed by hand from the presets' constants, and the published figures met within 2×.
 */
import { chipArea } from '../hw-models/area';
import { preset } from '../hw-models/presets';
import { mvmCost } from '../netlist/costs';
import { isaacAreaRows, isaacIma, isaacTile, neurramAreaRows } from '../bench/calibration';

function within2(ours: number, published: number): void {
  expect(ours / published).toBeGreaterThan(0.5);
  expect(ours / published).toBeLessThan(2);
}

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
  test('hermes: 133 ns per MVM, 0.62 mm² per core', () => {
    const c = preset('hermes')!;
    const m = mvmCost(c);
    within2(m.latencyNs, ((2 * 256 * 256) / (63.1e12 / 64)) * 1e9);
    within2(chipArea(c).totalMm2 / 64, 63.1 / 64 / 1.59);
  });
  test('isaac: 1.6 µs per 16-bit MVM, 7.3 TOPS/W from its component table, an IMA of 0.0131 mm², a tile of 0.372 mm²', () => {
    const m = mvmCost(preset('isaac')!);
    within2(m.latencyNs, 1600);
    within2(m.topsPerWatt, (2 * 128 * 128) / (16 * (4e-3 / 8 + 0.3e-3 + 16e-3 / 8) * 100e-9) / 1e12);
    // Table I: 12 IMAs (8 crossbars, 8 ADCs, 8×128 DACs, S+H, S+A, IR, OR each) in 0.157 mm²; a tile 0.372 mm².
    const c = preset('isaac')!;
    within2(isaacIma(c).totalMm2, 0.157 / 12);
    within2(isaacTile(c).totalMm2 / 96, 0.372 / 96);
  });
  test('neurram: 15.95 TOPS/W at 4-bit in, 6-bit out (Extended Data Fig. 12e), 4.23 µs per MVM (Fig. 12d)', () => {
    const m = mvmCost(preset('neurram')!);
    within2(m.topsPerWatt, 15.95);
    within2(m.latencyNs, ((2 * 128 * 256) / (0.744e12 / 48)) * 1e9);
  });
});

describe('areas: the published organisations (docs/calibration.md)', () => {
  test('neurram: a core is its array, 256 neurons and drivers (28 + 21 + 12 % of 1.16 mm²), no buffers, router or digital unit', () => {
    const c = preset('neurram')!;
    const core = (1270 * 256) / 0.28 / 1e6;
    const a = chipArea(c);
    // By hand: 256 neurons × 1270 µm²; 256 lines × 0.21·core/256; 2·128·256 devices × (0.12·core / 65536 / 0.13²) F² × 0.13² µm².
    expect(a.mm2.adc / 48).toBeCloseTo((256 * 1270) / 1e6, 12);
    expect(a.mm2.dac / 48).toBeCloseTo(0.21 * core, 12);
    expect(a.mm2.array / 48).toBeCloseTo(0.12 * core, 12);
    expect(a.mm2.buffer + a.mm2.router + a.mm2.neuron_unit).toBe(0);
    expect(a.totalMm2 / 48).toBeCloseTo(0.61 * core, 12);
    // The cell the breakdown implies (125.8 F²) is CiMLoop's NeuRRAM cell (125.74 F²) within 0.1 %.
    expect(Math.abs(c.costModel.cellAreaF2 / 125.74 - 1)).toBeLessThan(1e-3);
    within2(a.totalMm2 / 48, core);
    const rows = neurramAreaRows();
    expect(rows.slice(0, 3).map((r) => r.ratio)).toEqual([expect.closeTo(1, 12), expect.closeTo(1, 12), expect.closeTo(1, 12)]);
    expect(rows[3].ours).toBe(0);
  });
  test('isaac: a tile of 12 IMAs sharing 64 KB eDRAM, digital units and a quarter router, by hand from Table I', () => {
    const c = preset('isaac')!;
    // One IMA: 8 arrays (0.0002 mm²), 8 ADCs (0.0096), 8×128 DACs (0.00017), IR + OR 2304 B at 83000/(65536·8) µm²/bit.
    const regs = (2304 * 8 * 83000) / (65536 * 8) / 1e6;
    expect(isaacIma(c).totalMm2).toBeCloseTo(0.0002 + 0.0096 + 0.00017 + regs, 12);
    // The tile: 12 IMAs + eDRAM 0.083 + a quarter of the 0.15 mm² router + sigmoid/S+A/max-pool 0.0009.
    expect(isaacTile(c).totalMm2).toBeCloseTo(12 * (0.0002 + 0.0096 + 0.00017 + regs) + 0.083 + 0.15 / 4 + 0.0009, 12);
    // Table I's components sum to its tile (0.372 mm²); ours misses the bus, S+H, IMA S+A and tile OR.
    const rows = isaacAreaRows();
    expect(rows.reduce((s, r) => s + r.published!, 0)).toBeCloseTo(0.372, 3);
    expect(rows.reduce((s, r) => s + r.ours, 0)).toBeCloseTo(isaacTile(c).totalMm2, 12);
  });
});

describe('published figures the model misses by more than 2× (stated and explained in docs/calibration.md)', () => {
  test('hermes TOPS/W: component-derived constants price one MVM > 2× cheaper than the chip measured', () => {
    // No fitted constant: the CCO ADC at Murmann's 20 fJ/step upper end. The gap is energy the model
    // does not price (docs/calibration.md); if it closes, update the docs.
    expect(mvmCost(preset('hermes')!).topsPerWatt / 9.76).toBeGreaterThan(2);
  });
});
