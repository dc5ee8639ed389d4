/**
 * The human-readable lines the commands share: counts with their noun, cycle counts for display, the
 * compile summary (fre compile and fre run print the same one) and the ADC saturation hint of
 * fre simulate / fre run.
 */
import { join } from 'node:path';
import { compileSummary } from '../cli/compile-command';
import { formatCycles, plural } from '../util/format';
import { SATURATION_HINT_FRACTION, saturationHint } from '../cli/saturation-hint';
import { compileFiles } from '../compiler/compile-files';
import type { AdcSaturation } from '../simulator/chip/interpreter';

const ROOT = join(__dirname, '..');

describe('counts and cycles for display', () => {
  test('plural: one epoch, two epochs, zero epochs; an irregular plural', () => {
    expect([plural(1, 'epoch'), plural(2, 'epoch'), plural(0, 'epoch')]).toEqual(['1 epoch', '2 epochs', '0 epochs']);
    expect([plural(1, 'axis', 'axes'), plural(3, 'axis', 'axes')]).toEqual(['1 axis', '3 axes']);
  });

  test('formatCycles: whole counts unchanged, amortised ones to one decimal without float noise', () => {
    expect([formatCycles(740), formatCycles(8944.279999999999), formatCycles(0.25), formatCycles(12.04)]).toEqual([
      '740',
      '8944.3',
      '0.3',
      '12',
    ]);
  });
});

describe('the compile summary', () => {
  const { report } = compileFiles({
    spec: join(ROOT, 'test/golden/tiny-chain.spec.json'),
    chip: join(ROOT, 'test/golden/tiny-chain.chip.json'),
    wMax: { kind: 'percentile', p: 50 },
  });

  test('the head, one line per edge with its clipped weights and share, the estimate and the area', () => {
    const lines = compileSummary(report, 'fre run tiny-chain');
    expect(lines[0]).toMatch(/^fre run tiny-chain: 4\/8 arrays, 2\/\d+ cores/);
    expect(lines).toHaveLength(1 + report.edges.length + 2);
    const w0 = report.edges[0];
    // p50 of |W| clips about half of each matrix's weights.
    expect(w0.clipped).toBeGreaterThan(0);
    expect(lines[1]).toContain(`clipped ${w0.clipped} (${(100 * w0.clippedFraction).toFixed(1)}%)`);
    expect(lines[1]).toMatch(/max err \d\.\d\de-?\d+ {2}rms err \d\.\d\de-?\d+$/);
    expect(lines[lines.length - 1]).toMatch(/^ {2}area: \S+ mm² used of \S+ mm²/);
  });

  test("the estimate's cycle counts print rounded, not with float noise", () => {
    const r = { ...report, estimate: { ...report.estimate, cyclesPerInference: 740, cyclesPerTrainingSample: 8944.279999999999 } };
    const estimate = compileSummary(r, 'fre compile tiny-chain').find((l) => l.startsWith('  estimate:'));
    expect(estimate).toContain('740 cycles/inference');
    expect(estimate).toContain('8944.3 cycles/training sample');
  });
});

describe('the ADC saturation hint', () => {
  const read = (edge: string, kind: AdcSaturation['read'], fraction: number): AdcSaturation => ({
    edge,
    read: kind,
    conversions: 10000,
    clipped: Math.round(fraction * 10000),
    fraction,
    rereads: 0,
    rereadLinesDriven: 0,
    rereadLinesSensed: 0,
  });
  const sat = [read('W0', 'forward', 0.0036), read('W1', 'transposed', 0.19), read('Wf', 'forward', 0.0752)];

  test('none while every edge clips at most the threshold', () => {
    const low = [read('W0', 'forward', 0.0036), read('Wf', 'forward', SATURATION_HINT_FRACTION)];
    expect(saturationHint(low, { command: 'run', mode: 'train', adcRangePolicy: 'fixed' })).toBeUndefined();
    expect(saturationHint([], { command: 'run', mode: 'eval', adcRangePolicy: 'fixed' })).toBeUndefined();
  });

  test('fre run, in-situ training: names the edges over it and both options with their price', () => {
    const h = saturationHint(sat, { command: 'run', mode: 'train', adcRangePolicy: 'fixed' })!;
    expect(h).toMatch(/^hint: W1 transposed 19\.00%, Wf forward 7\.52% of conversions clipped \(over 2%\)/);
    expect(h).not.toContain('W0');
    expect(h).toContain('--w-max x4 (weight headroom');
    expect(h).toContain('less resolution');
    expect(h).toContain('--adc-range percentile:99.9 (');
    expect(h).toContain('grows the weights past it');
    expect(h).not.toContain('fre compile');
    expect(h).toContain('docs/chip-simulator.md "ADC saturation"');
  });

  test("fre simulate: the options are fre compile's flags; evaluation has no weight headroom option", () => {
    const h = saturationHint(sat, { command: 'simulate', mode: 'eval', adcRangePolicy: 'fixed' })!;
    expect(h).toContain('fre compile … --adc-range percentile:99.9');
    expect(h).toContain('coarser ADC step');
    expect(h).not.toContain('--w-max');
  });

  test('a netlist already calibrated is not offered the calibration again', () => {
    const train = saturationHint(sat, { command: 'run', mode: 'train', adcRangePolicy: 'percentile:99.9' })!;
    expect(train).toContain('--w-max x4');
    expect(train).not.toContain('--adc-range');
    const evaluation = saturationHint(sat, { command: 'simulate', mode: 'eval', adcRangePolicy: 'percentile:99.9' })!;
    expect(evaluation).toBe(
      'hint: W1 transposed 19.00%, Wf forward 7.52% of conversions clipped (over 2%). See docs/chip-simulator.md "ADC saturation".',
    );
  });
});
