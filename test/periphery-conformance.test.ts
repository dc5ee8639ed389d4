/**
 * The chip periphery's native loops (native/periphery.c) against their TypeScript references
 * (simulator/chip/periphery.ts) on the same data: DAC quantiser, ADC conversion with its clip count,
 * the gain-and-accumulate pass, the LUT / piecewise-linear neuron unit, and the read-noise variance
 * (Σ x² per row). Runs wherever the native backend is built; in CI it must be (FRE_REQUIRE_NATIVE).
 */
import type { ChipDescription } from '../hw-models/chip';
import { PRESETS } from '../hw-models/presets';
import { adcOf, convertOver, NeuronUnit, quantiser } from '../simulator/chip/periphery';
import { loadNativeAddon } from '../simulator/kernels/native';
import { selectKernels } from '../simulator/kernels/select';
import { makeNoise } from '../simulator/noise';
import { makeRng } from '../util/rng';

const native = loadNativeAddon();
const run = native || process.env.CI ? describe : describe.skip;
const rng = makeRng(77);
const data = (n: number, scale: number) => Float32Array.from({ length: n }, () => (rng.uniform() * 2 - 1) * scale);

run('native periphery loops equal the TypeScript ones', () => {
  test('the native addon is there (CI builds it)', () => {
    expect(native).not.toBeNull();
  });

  test('DAC quantiser: the same code for every input, including beyond the range', () => {
    const x = data(5000, 1.5);
    const a = new Float32Array(x.length);
    const b = new Float32Array(x.length);
    quantiser(6, -1, 1, null).apply(x, a, x.length);
    quantiser(6, -1, 1, native).apply(x, b, x.length);
    // One rounding rule on both backends (docs/netlist.md, "Rounding at a code boundary"): the same values.
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  test.each([
    [8, 4],
    [4, 1],
    [0, 2],
  ])('ADC conversion (%i bits, full scale %d): same values and the same clip count', (bits, fs) => {
    const p = data(4000, 2 * fs);
    const a = p.slice();
    const b = p.slice();
    const step = bits ? (2 * fs) / (2 ** bits - 1) : 0;
    const ca = convertOver(a, a.length, fs, step, null);
    const cb = convertOver(b, b.length, fs, step, native);
    const expected = Array.from(p).filter((v) => Math.abs(v) > fs).length;
    expect(ca).toBe(expected);
    expect(cb).toBe(expected);
    expect(expected).toBeGreaterThan(0);
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  test('gain and accumulate into a strided block, and the fused convert-accumulate', () => {
    const chip = JSON.parse(JSON.stringify(PRESETS.reram)) as ChipDescription;
    const m = 7;
    const cols = 13;
    const ld = 20;
    const p = data(m * cols, 20);
    const outA = data(m * ld, 1);
    const outB = outA.slice();
    adcOf(chip, null).accumulate(p.slice(), m, cols, outA, 3, ld, 0.37, makeNoise(makeRng(1), 'reference'), true);
    adcOf(chip, native).accumulate(p.slice(), m, cols, outB, 3, ld, 0.37, makeNoise(makeRng(1), 'reference'), true);
    for (let i = 0; i < outA.length; i++) expect(outB[i]).toBeCloseTo(outA[i], 3);
  });

  test.each(['lut', 'piecewise-linear'] as const)('neuron unit (%s): the same activation table', (kind) => {
    const chip = JSON.parse(JSON.stringify(PRESETS.ideal)) as ChipDescription;
    chip.neuron.activation =
      kind === 'lut' ? { kind: 'lut', entries: 64, inputRange: [-3, 3] } : { kind: 'piecewise-linear', segments: 16, inputRange: [-3, 3] };
    const h = data(3000, 4);
    const a = new Float32Array(h.length);
    const b = new Float32Array(h.length);
    new NeuronUnit(chip, selectKernels('reference'), makeNoise(makeRng(1), 'reference'), null).apply('tanh', h, a, h.length);
    new NeuronUnit(chip, selectKernels('auto'), makeNoise(makeRng(1), 'reference'), native).apply('tanh', h, b, h.length);
    expect(Array.from(b)).toEqual(Array.from(a)); // the same index rule and interpolation in double
  });

  test('read-noise variance: Σ x² of each row over a column window, times k', () => {
    const n = 9;
    const ld = 30;
    const x = data(n * ld, 2);
    const out = new Float32Array(n);
    native!.rowSumSquares(x, n, ld, 4, 17, 0.25, out);
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let i = 0; i < 17; i++) s += x[r * ld + 4 + i] ** 2;
      expect(out[r]).toBeCloseTo(0.25 * s, 3);
    }
  });
});
