/**
 * One rounding rule for every converter and register, whatever the backend (docs/netlist.md, "Rounding at a
 * code boundary"): the native loops (native/periphery.c) and the TypeScript reference loops
 * (simulator/chip/periphery.ts) must give the same bytes on tie-heavy data — exact zeros (a tie on a symmetric
 * range of 2^bits codes), exact code midpoints lo + (k + ½)·step (formed in double, rounded to float32), the
 * float32 neighbours one ulp either side, the codes themselves and values beyond the range. Covers the DAC
 * (quantize and readPrep's DAC), the ADC (adcConvert, adcAccumulate, adcConvertScaled and the fused
 * adcConvertAccumulate, with and without a noise buffer), the state register (neuronUpdate and
 * heldNeuronUpdate's quantize) and the LUT / piecewise-linear neuron unit (tableActivate).
 * Runs wherever the native backend is built; in CI it must be.
 */
import type { ChipDescription } from '../hw-models/chip';
import { PRESETS } from '../hw-models/presets';
import { adcOf, convertOver, NeuronUnit, quantiser } from '../simulator/chip/periphery';
import { loadNativeAddon, loadNativeKernels } from '../simulator/kernels/native';
import { referenceKernels } from '../simulator/kernels/reference';
import { makeNoise } from '../simulator/noise';
import { makeRng } from '../util/rng';

const native = loadNativeAddon();
const run = native || process.env.CI ? describe : describe.skip;

/** The float32 one ulp above / below x (x finite). */
function nextF32(x: number, dir: 1 | -1): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  if (f[0] === 0) {
    u[0] = 1; // the smallest subnormal
    return dir > 0 ? f[0] : -f[0];
  }
  u[0] += f[0] > 0 === dir > 0 ? 1 : -1;
  return f[0];
}

/**
 * Tie-heavy inputs for a quantiser of codes lo + k·step over [lo, hi]: every midpoint (k + ½) formed in double
 * and rounded to float32, its float32 neighbours, every code, exact zeros (±0), the ends and beyond, and a few
 * random values; in an order mixed enough that every SIMD lane sees ties.
 */
function tieData(lo: number, hi: number, step: number, seed: number): Float32Array {
  const v: number[] = [0, -0, 0, lo, hi, lo - step, hi + step, 2 * lo - 1, 2 * hi + 1];
  const codes = Math.round((hi - lo) / step);
  for (let k = -1; k <= codes; k++) {
    const mid = Math.fround(lo + (k + 0.5) * step);
    v.push(mid, nextF32(mid, 1), nextF32(mid, -1), Math.fround(lo + k * step), 0);
  }
  for (const z of [0, nextF32(0, 1), nextF32(0, -1)]) v.push(z, nextF32(z, 1), nextF32(z, -1));
  const rng = makeRng(seed);
  for (let i = 0; i < 200; i++) v.push((rng.uniform() * 2 - 1) * 1.2 * Math.max(Math.abs(lo), Math.abs(hi)));
  // Shuffle (deterministically) and repeat so the vector loops' every lane and the scalar tails see each kind.
  for (let i = v.length - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [v[i], v[j]] = [v[j], v[i]];
  }
  return Float32Array.from([...v, ...v.slice(0, 37)]);
}

/** Indices where a and b differ in their bytes (−0 and +0 count as different; NaN as equal to the same NaN bits). */
function differing(a: Float32Array, b: Float32Array): number[] {
  expect(b.length).toBe(a.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) if (ua[i] !== ub[i]) out.push(i);
  return out;
}

/** Bit-for-bit equality with a readable failure: the first differing inputs and both outputs. */
function expectSameBytes(label: string, input: Float32Array, ref: Float32Array, nat: Float32Array): void {
  const d = differing(ref, nat);
  const show = d.slice(0, 5).map((i) => `x=${input[i % input.length]} ref=${ref[i]} native=${nat[i]}`);
  expect({ label, differing: d.length, first: show }).toEqual({ label, differing: 0, first: [] });
}

/**
 * How many inputs are ties of the rule — (v − lo)/step + ½ an integer in double, so that the rounding decides —
 * and how many lie within 1e-4·step of a code boundary (a float32 midpoint that is not exactly one, its neighbours).
 */
function countTies(x: Float32Array, lo: number, step: number): { exact: number; near: number } {
  let exact = 0;
  let near = 0;
  for (const v of x) {
    const t = (v - lo) / step + 0.5;
    if (v > lo && Number.isInteger(t)) exact++;
    if (v > lo && Math.abs(t - Math.round(t)) < 1e-4) near++;
  }
  return { exact, near };
}

const DAC_RANGES: [number, number, number][] = [
  [8, -1, 1],
  [6, -1, 1],
  [4, 0, 1],
  [7, -0.9, 1],
  [8, Math.fround(-0.7), Math.fround(1.3)],
];

/** ADC ranges: full scale and step as the netlist carries them (float32), and as adcOf forms them (double). */
const ADC_RANGES: [number, number][] = [
  [12, (2 * 12) / 255],
  [12, Math.fround((2 * 12) / 255)],
  [Math.fround(3.14159), Math.fround((2 * Math.fround(3.14159)) / 255)],
  [Math.fround(0.51234), Math.fround((2 * Math.fround(0.51234)) / 63)],
  [1, 2 / 15],
];

run('converters and registers round the same on both backends (bit for bit, at ties)', () => {
  test('the native addon is there (CI builds it)', () => {
    expect(native).not.toBeNull();
  });

  test.each(DAC_RANGES)('DAC (%i bits over [%d, %d]): quantize and readPrep', (bits, lo, hi) => {
    const step = (hi - lo) / (2 ** bits - 1);
    const x = tieData(lo, hi, step, bits);
    const ties = countTies(x, lo, step);
    if (lo === -hi) expect(ties.exact).toBeGreaterThan(0); // 0, at least
    expect(ties.near).toBeGreaterThan(2 ** bits);
    const ref = new Float32Array(x.length);
    const nat = new Float32Array(x.length);
    quantiser(bits, lo, hi, null).apply(x, ref, x.length);
    quantiser(bits, lo, hi, native).apply(x, nat, x.length);
    expectSameBytes('quantize', x, ref, nat);
    // The rule's tie at 0 on a symmetric range: (0 − lo)/step + ½ = 2^(bits−1) in double, k = 2^(bits−1) (up).
    if (lo === -hi) {
      const z = new Float32Array(4);
      quantiser(bits, lo, hi, native).apply(new Float32Array(4), z, 4);
      expect(z[0]).toBe(Math.fround(lo + 2 ** (bits - 1) * step));
      expect(z[0]).toBeGreaterThan(0);
    }
    // readPrep's DAC (no noise management, input scale 1): the same codes, rows of 29.
    const len = 29;
    const n = Math.floor(x.length / len);
    const xs = new Float32Array(n * len);
    native!.readPrep!(x, n, len, 0, len, false, 1, lo, hi, step, 0, xs, new Float32Array(n), new Float32Array(n));
    expectSameBytes('readPrep', x, ref.subarray(0, n * len), xs);
  });

  test.each(ADC_RANGES)('ADC (full scale %d, step %d): adcConvert with its clip count, adcAccumulate', (fs, step) => {
    const p = tieData(-fs, fs, step, 3);
    expect(countTies(p, -fs, step).exact).toBeGreaterThan(0);
    const a = p.slice();
    const b = p.slice();
    const ca = convertOver(a, a.length, fs, step, null);
    const cb = convertOver(b, b.length, fs, step, native);
    expect(cb).toBe(ca);
    expect(ca).toBeGreaterThan(0);
    expectSameBytes('adcConvert', p, a, b);

    // adcAccumulate through adcOf (full scale and bits of a chip; gain 1 and ½: a product that rounds in
    // float32 is the accumulation's own matter, not the converter's).
    const chip = JSON.parse(JSON.stringify(PRESETS.reram)) as ChipDescription;
    const bits = Math.round((2 * fs) / step + 1);
    if (Number.isInteger(Math.log2(bits))) {
      chip.periphery.adc = { ...chip.periphery.adc, bits: Math.log2(bits), fullScale: fs, outputNoise: 0 };
      const cols = 23;
      const m = Math.floor(p.length / cols);
      for (const gain of [1, 0.5]) {
        const outA = new Float32Array(m * 30);
        const outB = new Float32Array(m * 30);
        const noise = makeNoise(makeRng(1), 'reference');
        adcOf(chip, null).accumulate(p.slice(), m, cols, outA, 2, 30, gain, noise, true);
        adcOf(chip, native).accumulate(p.slice(), m, cols, outB, 2, 30, gain, noise, true);
        expectSameBytes(`adcAccumulate gain ${gain}`, p, outA, outB);
      }
    }
  });

  test.each(ADC_RANGES)('ADC (full scale %d, step %d): the fused adcConvertScaled and adcConvertAccumulate', (fs, step) => {
    const p = tieData(-fs, fs, step, 5);
    const lines = 17;
    const rows = Math.floor(p.length / lines);
    const n = rows * lines;
    const scales = Float32Array.from({ length: rows }, (_, r) => (r % 3 === 0 ? 1 : 0.5 + r / 64));
    const gain = 1.25;
    // Reference: the conversion, then the rescale by the row's scale × gain in float32 (ChipArrays.rescale).
    const conv = p.slice(0, n);
    const clipped = convertOver(conv, n, fs, step, null);
    const ref = conv.slice();
    for (let r = 0; r < rows; r++) {
      const k = Math.fround(scales[r] * gain);
      for (let j = 0; j < lines; j++) ref[r * lines + j] = Math.fround(conv[r * lines + j] * k);
    }
    const nat = p.slice(0, n);
    expect(native!.adcConvertScaled!(nat, rows, lines, fs, step, scales, gain)).toBe(clipped);
    expectSameBytes('adcConvertScaled', p, ref, nat);

    // Fused with the Accumulate (accGain 1: out = 0 + v·k), and with a noise buffer: P + noise, the noise −P
    // in every third element (an exact 0, a tie on these symmetric ranges), 0 elsewhere.
    const out = new Float32Array(n);
    expect(native!.adcConvertAccumulate!(p.slice(0, n), rows, lines, fs, step, scales, gain, out, 0, lines, 1)).toBe(clipped);
    expectSameBytes('adcConvertAccumulate', p, ref, out);
    const nz = Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? -p[i] : 0));
    const pn = Float32Array.from({ length: n }, (_, i) => p[i] + nz[i]);
    const convN = pn.slice();
    const clippedN = convertOver(convN, n, fs, step, null);
    const refN = Float32Array.from(convN, (v, i) => Math.fround(v * Math.fround(scales[Math.floor(i / lines)] * gain)));
    const outN = new Float32Array(n);
    expect(native!.adcConvertAccumulate!(p.slice(0, n), rows, lines, fs, step, scales, gain, outN, 0, lines, 1, nz)).toBe(clippedN);
    expectSameBytes('adcConvertAccumulate with noise', pn, refN, outN);
  });

  /** The ideal chip with a quantising state register and an exact hard-sigmoid (s = h on [0, 1], 0 below). */
  function registerChip(bits: number, lo: number, hi: number): ChipDescription {
    const chip = JSON.parse(JSON.stringify(PRESETS.ideal)) as ChipDescription;
    chip.neuron = { ...chip.neuron, activation: { kind: 'exact' }, stateNoise: 0, stateBits: bits, stateRange: [lo, hi] };
    return chip;
  }

  test.each(DAC_RANGES)('state register (%i bits over [%d, %d]): neuronUpdate and heldNeuronUpdate', (bits, lo, hi) => {
    const chip = registerChip(bits, lo, hi);
    const step = (hi - lo) / (2 ** bits - 1);
    const h = tieData(lo, hi, step, 7 + bits);
    const n = h.length;
    const refUnit = new NeuronUnit(chip, referenceKernels, makeNoise(makeRng(1), 'reference'), null);
    const natKernels = loadNativeKernels()!;
    const natUnit = new NeuronUnit(chip, natKernels, makeNoise(makeRng(1), 'native'), native);
    expect(natUnit.foldsHeld).toBe(true); // the fused native pass runs
    // hard-sigmoid is the identity on [0, 1] (and 0 below): the register sees the tie data's non-negative half as
    // it is, and the clamp's exact zeros.
    const sRef = new Float32Array(n);
    const sNat = new Float32Array(n);
    const preRef = new Float32Array(n);
    const preNat = new Float32Array(n);
    refUnit.apply('hard-sigmoid', h.slice(), sRef, n, preRef);
    natUnit.apply('hard-sigmoid', h.slice(), sNat, n, preNat);
    expectSameBytes('activation (hard-sigmoid)', h, preRef, preNat);
    expectSameBytes('state register (neuronUpdate)', h, sRef, sNat);
    // With a held drive folded in (h + held, held = −h in every other element: exact zeros).
    const held = Float32Array.from(h, (v, i) => (i % 2 ? -v : 0));
    const hRef = Float32Array.from(h, (v, i) => v + held[i]);
    const tRef = new Float32Array(n);
    const tNat = new Float32Array(n);
    refUnit.apply('hard-sigmoid', hRef, tRef, n);
    natUnit.apply('hard-sigmoid', h.slice(), tNat, n, null, true, held);
    expectSameBytes('state register (heldNeuronUpdate)', h, tRef, tNat);
    // A zero state is a tie on the symmetric ranges: it must round the same way (up: −1 + 128·step) in both.
    if (lo === -hi) {
      const z = new Float32Array(8);
      const s = new Float32Array(8);
      natUnit.apply('hard-sigmoid', z.slice(), s, 8);
      expect(s[0]).toBe(Math.fround(lo + 2 ** (bits - 1) * step));
    }
  });

  test('state register on the tie data itself (quantize, in place): [0, 1] with 4 and 8 bits', () => {
    for (const bits of [4, 8]) {
      const chip = registerChip(bits, 0, 1);
      const step = 1 / (2 ** bits - 1);
      const h = tieData(0, 1, step, bits);
      expect(countTies(h, 0, step).near).toBeGreaterThan(2 ** bits);
      const sRef = new Float32Array(h.length);
      const sNat = new Float32Array(h.length);
      new NeuronUnit(chip, referenceKernels, makeNoise(makeRng(1), 'reference'), null).apply('hard-sigmoid', h.slice(), sRef, h.length);
      new NeuronUnit(chip, loadNativeKernels()!, makeNoise(makeRng(1), 'native'), native).apply('hard-sigmoid', h.slice(), sNat, h.length);
      expectSameBytes(`state register ${bits} bits over [0, 1]`, h, sRef, sNat);
    }
  });

  test.each([
    ['lut', 64, -3, 3],
    ['lut', 16, -4, 4],
    ['lut', 33, Math.fround(-2.5), 3],
    ['piecewise-linear', 16, -4, 4],
    ['piecewise-linear', 10, -3, 3],
  ] as const)('neuron unit (%s, %i points over [%d, %d]): tableActivate', (kind, points, lo, hi) => {
    const chip = JSON.parse(JSON.stringify(PRESETS.ideal)) as ChipDescription;
    chip.neuron = {
      ...chip.neuron,
      stateNoise: 0,
      stateBits: 'float',
      activation: kind === 'lut' ? { kind, entries: points, inputRange: [lo, hi] } : { kind, segments: points, inputRange: [lo, hi] },
    };
    const last = kind === 'lut' ? points - 1 : points;
    // The LUT's boundaries: h with (h − lo)·scale + ½ an integer, scale = last/(hi − lo) as the unit forms it.
    const scale = last / (hi - lo);
    const h = tieData(lo, hi, 1 / scale, points);
    if (kind === 'lut') expect(h.filter((v) => v > lo && Number.isInteger((v - lo) * scale + 0.5)).length).toBeGreaterThan(points / 4);
    for (const act of ['tanh', 'sigmoid', 'hard-sigmoid'] as const) {
      const sRef = new Float32Array(h.length);
      const sNat = new Float32Array(h.length);
      new NeuronUnit(chip, referenceKernels, makeNoise(makeRng(1), 'reference'), null).apply(act, h.slice(), sRef, h.length);
      new NeuronUnit(chip, loadNativeKernels()!, makeNoise(makeRng(1), 'native'), native).apply(act, h.slice(), sNat, h.length);
      expectSameBytes(`${kind} ${act}`, h, sRef, sNat);
    }
  });
});
