/**
 * The neuron unit's learning-signal path (chip.neuron.learningSignal, stateRange): the δ register's
 * quantiser by hand, the interpreter forming s⁰ and δ at the declared precision, the fields' round trip
 * through the netlist, and the validator's messages.
 */
import { compile } from '../compiler/pipeline';
import type { ChipDescription } from '../hw-models/chip';
import { chipFingerprint } from '../hw-models/compare';
import { PRESETS } from '../hw-models/presets';
import { validateChip } from '../hw-models/validate';
import { chipFromMsg, chipToMsg } from '../netlist/chip-proto';
import { decodeNetlist, encodeNetlist } from '../netlist/codec';
import { validateNetlist } from '../netlist/validate';
import { initParams } from '../graph/params';
import { makeInterpreter } from '../simulator/chip/run';
import { deltaQuantiser } from '../simulator/chip/periphery';
import { selectKernels } from '../simulator/kernels/select';
import { makeRng } from '../util/rng';
import { chainNet, oneHotRows, randomInputs } from './helpers/nets';

const kernels = selectKernels('auto');

function withNeuron(base: ChipDescription, neuron: Partial<ChipDescription['neuron']>): ChipDescription {
  const c = structuredClone(base);
  Object.assign(c.neuron, neuron);
  return c;
}

describe('the δ register', () => {
  test('3 bits over [−0.25, 0.25): step 0.0625, codes −4 … 3, round to nearest, clip at the ends', () => {
    const q = deltaQuantiser(3, 0.25);
    const src = Float32Array.from([0.03, 0.032, -0.1, 0.5, -0.5, 0.2, 0]);
    const dst = new Float32Array(7);
    q.apply(src, dst, 7);
    // 0.03/0.0625 = 0.48 → 0; 0.512 → 1; −1.6 → −2; 8 → 3 (clip); −8 → −4 (clip); 3.2 → 3; 0 → 0.
    expect(Array.from(dst)).toEqual([0, 0.0625, -0.125, 0.1875, -0.25, 0.1875, 0]);
  });

  test('stochastic rounding: up with probability equal to the remainder, so the mean is the input', () => {
    const rng = makeRng(5);
    const noise = {
      addNormal: () => undefined,
      addNormalVar: () => undefined,
      fillUniform: (o: Float32Array, n: number) => o.fill(0.3, 0, n),
    };
    // u = 0.3: ⌊v/step + 0.3⌋ — 0.75 steps rounds up, 0.6 steps down, −0.75 steps to −1 (⌊−0.45⌋), −0.6 to −1 (⌊−0.3⌋).
    const q = deltaQuantiser(3, 0.25, { noise, scratch: new Float32Array(0) });
    const dst = new Float32Array(4);
    q.apply(Float32Array.from([0.75 * 0.0625, 0.6 * 0.0625, -0.75 * 0.0625, -0.6 * 0.0625]), dst, 4);
    expect(Array.from(dst)).toEqual([0.0625, 0, -0.0625, -0.0625]);
    // With uniform draws, 0.3 steps rounds to one step about 30 % of the time: the mean is kept.
    const uniform = {
      ...noise,
      fillUniform: (o: Float32Array, n: number) => {
        for (let i = 0; i < n; i++) o[i] = rng.uniform();
      },
    };
    const qs = deltaQuantiser(3, 0.25, { noise: uniform, scratch: new Float32Array(0) });
    const n = 20000;
    const out = new Float32Array(n);
    qs.apply(new Float32Array(n).fill(0.3 * 0.0625), out, n);
    const ups = out.filter((v) => v === 0.0625).length;
    expect(out.every((v) => v === 0 || v === 0.0625)).toBe(true);
    // Binomial(20000, 0.3): σ ≈ 65; 5σ bounds.
    expect(Math.abs(ups - 0.3 * n)).toBeLessThan(5 * Math.sqrt(n * 0.3 * 0.7));
  });

  test('"float" is the identity', () => {
    const q = deltaQuantiser('float', 1);
    const src = Float32Array.from([0.001234, -3]);
    const dst = new Float32Array(2);
    q.apply(src, dst, 2);
    expect(Array.from(dst)).toEqual(Array.from(src));
    expect(q.active).toBe(false);
  });
});

describe('the interpreter forms s⁰ and δ where and at the precision the chip declares', () => {
  const net = chainNet([12, 6, 3], 3, { betaI: 0.1, betaF: 0.5, T: 8, K: 4 });
  const p = initParams(net, makeRng(3));
  const m = 8;
  const x = randomInputs(m, 12, makeRng(11));
  const y = oneHotRows([0, 1, 2, 0, 1, 2, 0, 1], 3);
  const hidden = 1;

  /** s⁰ and δ of the hidden group after one training step (no weight change: no gradient buffers). */
  function signal(chip: ChipDescription): { s0: number[]; delta: number[] } {
    const netlist = compile(net, chip, p, { wMax: { kind: 'max' }, specFile: 'test', producerVersion: 'test' }).netlist;
    const it = makeInterpreter(decodeNetlist(encodeNetlist(netlist)), 1, kernels, m);
    it.step(x, y, m, []);
    const { s0, delta } = it.learningSignal(hidden);
    return { s0: Array.from(s0.subarray(0, m * 6)), delta: Array.from(delta.subarray(0, m * 6)) };
  }

  // 6-bit states over [−1, 1] (step 2/63): the nudged phase iterates on these registers in every variant.
  const base = withNeuron(PRESETS.ideal, { stateBits: 6, stateRange: [-1, 1] });

  test('state-registers: s⁰ is a state-register value and δ a whole number of state steps', () => {
    const { s0, delta } = signal(withNeuron(base, { learningSignal: { kind: 'state-registers' } }));
    const step = 2 / 63;
    for (const v of s0) expect(Math.abs((v + 1) / step - Math.round((v + 1) / step))).toBeLessThan(1e-4);
    for (const d of delta) expect(Math.abs(d / step - Math.round(d / step))).toBeLessThan(1e-4);
    expect(delta.some((d) => d !== 0)).toBe(true);
  });

  test('difference-register: s⁰ = Q_free(ŝ⁰), δ = Q_δ(ŝ^β − s⁰), derived from the float path by hand', () => {
    // The float variant exposes ŝ⁰ (as s⁰) and ŝ^β − ŝ⁰ (as δ) of the same dynamics.
    const f = signal(
      withNeuron(base, {
        learningSignal: {
          kind: 'difference-register',
          freeStateBits: 'float',
          deltaBits: 'float',
          deltaRange: 1,
          deltaRounding: 'nearest',
        },
      }),
    );
    const q = signal(
      withNeuron(base, {
        learningSignal: { kind: 'difference-register', freeStateBits: 10, deltaBits: 5, deltaRange: 0.125, deltaRounding: 'nearest' },
      }),
    );
    const freeStep = 2 / 1023; // 10 bits over [−1, 1], ends included
    const dStep = 0.125 / 16; // 5 bits two's complement over [−0.125, 0.125)
    const expS0 = f.s0.map((v) => -1 + Math.round((v + 1) / freeStep) * freeStep);
    const expDelta = f.delta.map((d, i) => {
      const sBeta = f.s0[i] + d;
      const k = Math.round((sBeta - expS0[i]) / dStep);
      return Math.min(15, Math.max(-16, k)) * dStep;
    });
    q.s0.forEach((v, i) => expect(v).toBeCloseTo(expS0[i], 5));
    q.delta.forEach((v, i) => expect(v).toBeCloseTo(expDelta[i], 5));
    // The δ register resolves changes the 6-bit state register cannot: some δ are below one state step.
    expect(q.delta.some((d) => d !== 0 && Math.abs(d) < 2 / 63 / 2)).toBe(true);
  });
});

describe('round trip and validation', () => {
  const chip = withNeuron(PRESETS.pcm, {
    stateRange: [-1.5, 1.5],
    learningSignal: { kind: 'difference-register', freeStateBits: 12, deltaBits: 16, deltaRange: 0.5, deltaRounding: 'stochastic' },
  });

  test('chip → message → chip is exact, through an encoded netlist too', () => {
    expect(chipFromMsg(chipToMsg(chip))).toEqual(chip);
    const net = chainNet([5, 4, 3], 3, { betaI: 0.1, betaF: 0.1, T: 2, K: 1 });
    const n = compile(net, chip, initParams(net, makeRng(1)), { wMax: { kind: 'max' }, specFile: 's', producerVersion: 't' }).netlist;
    const back = decodeNetlist(encodeNetlist(n));
    expect(back.chip!.neuron!.learningSignal).toEqual({
      kind: 'LEARNING_SIGNAL_KIND_DIFFERENCE_REGISTER',
      freeStateBits: 12,
      deltaBits: 16,
      deltaRange: 0.5,
      deltaRounding: 'DELTA_ROUNDING_STOCHASTIC',
    });
    expect(chipFromMsg(back.chip!).neuron).toEqual(chip.neuron);
    expect(validateNetlist(back, 'rt').diagnostics).toEqual([]);
    // The state register's step follows stateRange: 3 / 255.
    expect(back.groups[1].stateStep).toBeCloseTo(3 / 255, 6);
  });

  test('a netlist written before the fields decodes to the old behaviour, with an unchanged fingerprint', () => {
    const old = chipToMsg(PRESETS.ideal);
    const legacy = { ...old, neuron: { ...old.neuron!, stateMin: 0, stateMax: 0, learningSignal: null } };
    const c = chipFromMsg(legacy);
    expect(c.neuron.stateRange).toEqual(PRESETS.ideal.periphery.dac.inputRange);
    expect(c.neuron.learningSignal).toEqual({ kind: 'state-registers' });
    expect(chipFingerprint(c)).toBe(old.fingerprint);
  });

  test('a chip file without the fields gets the old behaviour', () => {
    const raw = structuredClone(PRESETS.reram) as unknown as Record<string, Record<string, unknown>>;
    raw.periphery.dac = { ...(raw.periphery.dac as object), inputRange: [-2, 2] };
    delete raw.neuron.stateRange;
    delete raw.neuron.learningSignal;
    const { chip: c, diagnostics } = validateChip(raw, 'old.json');
    expect(diagnostics).toEqual([]);
    expect(c!.neuron.stateRange).toEqual([-2, 2]);
    expect(c!.neuron.learningSignal).toEqual({ kind: 'state-registers' });
    // A difference register written without deltaRounding rounds to nearest.
    raw.neuron.learningSignal = { kind: 'difference-register', freeStateBits: 12, deltaBits: 12, deltaRange: 0.25 };
    expect(validateChip(raw, 'old.json').chip!.neuron.learningSignal).toMatchObject({ deltaRounding: 'nearest' });
  });

  test.each([
    [
      { kind: 'difference-register', freeStateBits: 12, deltaBits: 1, deltaRange: 0.5 },
      'HW012',
      '/neuron/learningSignal/deltaBits',
      '"deltaBits" is 1; it must be ≥ 2',
    ],
    [
      { kind: 'difference-register', freeStateBits: 12, deltaBits: 8, deltaRange: 0 },
      'HW012',
      '/neuron/learningSignal/deltaRange',
      '"deltaRange" is 0; it must be > 0',
    ],
    [
      { kind: 'difference-register', freeStateBits: 'half', deltaBits: 8, deltaRange: 0.5 },
      'HW013',
      '/neuron/learningSignal/freeStateBits',
      '"freeStateBits" is "half"; it must be a number or "float"',
    ],
    [
      { kind: 'difference-register', freeStateBits: 12, deltaBits: 8 },
      'HW010',
      '/neuron/learningSignal/deltaRange',
      '"deltaRange" is missing',
    ],
    [
      { kind: 'difference' },
      'HW013',
      '/neuron/learningSignal/kind',
      '"kind" is "difference"; allowed: state-registers, difference-register',
    ],
    [
      { kind: 'difference-register', freeStateBits: 12, deltaBits: 8, deltaRange: 3 },
      'HW021',
      '/neuron/learningSignal/deltaRange',
      'deltaRange 3 exceeds the span 2 of neuron.stateRange',
    ],
  ])('rejects learningSignal %j with %s at %s', (ls, code, path, message) => {
    const raw = structuredClone(PRESETS.reram) as unknown as { neuron: Record<string, unknown> };
    raw.neuron.learningSignal = ls;
    const { chip: c, diagnostics } = validateChip(raw, 'bad.json');
    expect(c).toBeUndefined();
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ code, file: 'bad.json', path });
    expect(diagnostics[0].message).toContain(message);
  });

  test('rejects a reversed state range', () => {
    const raw = structuredClone(PRESETS.reram) as unknown as { neuron: Record<string, unknown> };
    raw.neuron.stateRange = [1, -1];
    const { diagnostics } = validateChip(raw, 'bad.json');
    expect(diagnostics.map((d) => [d.code, d.path])).toEqual([['HW021', '/neuron/stateRange']]);
  });
});
