/**
 * Reads that match device physics (issue 13 item 3), each field against an expectation derived by
 * hand: the low-frequency read noise (held per sample or per phase), each-side conversion of a
 * differential pair (its own clipping per side, twice the conversions), and aihwkit's PCM model
 * (the documented fits, and the moments of the conductance after drift and 1/f noise).
 */
import { compile } from '../compiler/pipeline';
import type { Net } from '../graph/net';
import { initParams, type Params } from '../graph/params';
import type { ChipDescription } from '../hw-models/chip';
import { PRESETS } from '../hw-models/presets';
import { validateChip } from '../hw-models/validate';
import { chipFromMsg, chipToMsg } from '../netlist/chip-proto';
import { chipCosts } from '../netlist/costs';
import { edgeTiles } from '../netlist/tiles';
import type { NetlistMsg } from '../netlist/types';
import { ChipArrays } from '../simulator/chip/chip-arrays';
import { pcmDriftNu, pcmFlickerQs, pcmProgramSigmaUS, PCM_T_READ_S } from '../simulator/chip/devices';
import { makeInterpreter } from '../simulator/chip/run';
import { selectKernels } from '../simulator/kernels/select';
import { makeNoise } from '../simulator/noise';
import { makeRng } from '../util/rng';
import { chainNet, randomInputs } from './helpers/nets';

const kernels = selectKernels('auto');

function withChip(base: ChipDescription, patch: (c: ChipDescription) => void): ChipDescription {
  const c = JSON.parse(JSON.stringify(base)) as ChipDescription;
  patch(c);
  return c;
}

function compileOn(net: Net, chip: ChipDescription, params: Params): NetlistMsg {
  return compile(net, chip, params, { wMax: { kind: 'max' }, specFile: 'test', producerVersion: 'test' }).netlist;
}

function variance(v: ArrayLike<number>): number {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < v.length; i++) {
    s += v[i];
    s2 += v[i] * v[i];
  }
  const m = s / v.length;
  return s2 / v.length - m * m;
}

// One 128 × 256 array (W0 of a 256 → 128 chain): every read below is of that array, forward.
const net = chainNet([256, 128], 10, { betaI: 0.1, betaF: 0.5, T: 2, K: 1 });
const params = initParams(net, makeRng(7));
const ideal = withChip(PRESETS.ideal, (c) => {
  c.crossbar.levels = 256;
});

describe('low-frequency read noise', () => {
  const sigma = 0.03;
  const chip = withChip(ideal, (c) => {
    c.crossbar.lowFrequencyReadNoise = { sigma, relativeTo: 'range', redraw: 'sample' };
  });
  const n = compileOn(net, chip, params);
  const t = edgeTiles(n)[0].weight[0];
  const S = 100;
  const inputs = 256;
  const lines = 128;
  // Every sample drives the same input: all of the spread across samples is the held offsets.
  const x = new Float32Array(S * inputs).fill(0.5);
  const arrays = new ChipArrays(edgeTiles(n), chip, kernels, makeNoise(makeRng(3)), { driftSeconds: 0, pulseRounding: 'deterministic' });
  const read = (): Float32Array => {
    const part = new Float32Array(S * lines);
    arrays.read(t.array, false, x, inputs, 0, S, part);
    return part;
  };

  it('is identical between two reads of one draw, and varies across samples as 2σ²·Σx² (two devices a cell)', () => {
    arrays.drawLowFrequency(S);
    const a = read();
    const b = read();
    expect(Array.from(b)).toEqual(Array.from(a));
    // Per line: subtract the noiseless value (the mean over samples) — across samples only the
    // offsets Σ_i (δ+_i − δ−_i)·x_i differ, each N(0, 2σ²·Σ x²) = N(0, 2·0.03²·256·0.25) = N(0, 0.1152).
    const dev = new Float64Array(S * lines);
    for (let j = 0; j < lines; j++) {
      let m = 0;
      for (let s = 0; s < S; s++) m += a[s * lines + j] / S;
      for (let s = 0; s < S; s++) dev[s * lines + j] = (a[s * lines + j] - m) * Math.sqrt(S / (S - 1));
    }
    const expected = 2 * sigma ** 2 * inputs * 0.25;
    expect(expected).toBeCloseTo(0.1152, 10);
    // 12 800 values: the sample variance's relative σ is √(2/12800) ≈ 1.3 %.
    expect(variance(dev) / expected).toBeGreaterThan(0.95);
    expect(variance(dev) / expected).toBeLessThan(1.05);
  });

  it('a redraw changes each read by the difference of two independent offsets: variance 2 × 2σ²·Σx²', () => {
    arrays.drawLowFrequency(S);
    const a = read();
    arrays.drawLowFrequency(S);
    const b = read();
    const d = a.map((v, i) => b[i] - v);
    const expected = 2 * 2 * sigma ** 2 * inputs * 0.25;
    expect(variance(d) / expected).toBeGreaterThan(0.95);
    expect(variance(d) / expected).toBeLessThan(1.05);
  });

  it('is drawn once per batch when held per sample (free and nudged phases share it), once per phase otherwise', () => {
    for (const redraw of ['sample', 'phase'] as const) {
      const c = withChip(ideal, (cc) => {
        cc.crossbar.lowFrequencyReadNoise = { sigma, relativeTo: 'range', redraw };
      });
      const nl = compileOn(net, c, params);
      const ip = makeInterpreter(nl, 1, kernels, 4);
      const spy = jest.spyOn(ip.chip, 'drawLowFrequency');
      const m = 4;
      const xs = randomInputs(m, 256, makeRng(5));
      const y = new Float32Array(m * 10);
      for (let s = 0; s < m; s++) y[s * 10 + (s % 10)] = 1;
      ip.step(
        xs,
        y,
        m,
        nl.edges.map(() => null),
      );
      const phases = nl.schedule!.phases.length;
      expect(phases).toBeGreaterThan(1);
      expect(spy).toHaveBeenCalledTimes(redraw === 'sample' ? 1 : phases);
      expect(spy).toHaveBeenLastCalledWith(m);
    }
  });
});

describe('each-side conversion of a differential pair', () => {
  // Line 0 of W0 holds +w_max on 3/4 of its inputs and −w_max on 1/4: u+ = 1 on 192 devices, u− = 1
  // on 64. With every input 0.02 the G+ line sums 192·0.02 = 3.84, the G− line 64·0.02 = 1.28.
  const W0 = params.W[0];
  expect(W0.rows * W0.cols).toBe(128 * 256);
  const data = W0.data.map((v) => Math.max(-1, Math.min(1, v)));
  for (let c = 0; c < 256; c++) data[c] = c < 192 ? 1 : -1;
  const p1: Params = { ...params, W: params.W.map((w, e) => (e === 0 ? { ...w, data } : w)) };

  function line0(pair: 'difference' | 'each-side'): { value: number; clipped: number } {
    const chip = withChip(ideal, (c) => {
      c.crossbar.levels = 'continuous';
      c.periphery.adc = { ...c.periphery.adc, fullScale: 2, pairConversion: pair };
    });
    const n = compileOn(net, chip, p1);
    const t = edgeTiles(n)[0].weight[0];
    const arrays = new ChipArrays(edgeTiles(n), chip, kernels, makeNoise(makeRng(1)), { driftSeconds: 0, pulseRounding: 'deterministic' });
    const x = new Float32Array(256).fill(0.02);
    const part = new Float32Array(128);
    arrays.read(t.array, false, x, 256, 0, 1, part);
    const clipped = arrays.eachSide ? arrays.convertSides(t.array, 128, 2, 0, part) : 0;
    if (!arrays.eachSide) for (let j = 0; j < 128; j++) part[j] = Math.max(-2, Math.min(2, part[j]));
    return { value: part[0], clipped };
  }

  it('clips each side at ±full scale before the digital subtraction: 2 − 1.28, not clip(3.84 − 1.28) = 2', () => {
    expect(line0('difference').value).toBeCloseTo(2, 5);
    const s = line0('each-side');
    expect(s.value).toBeCloseTo(2 - 1.28, 5);
    expect(s.clipped).toBeGreaterThanOrEqual(1);
  });

  it('counts two conversions per sensed line in the interpreter (adcSaturation)', () => {
    const conversions = (pair: 'difference' | 'each-side'): number => {
      const c = withChip(PRESETS.reram, (cc) => {
        cc.periphery.adc.pairConversion = pair;
      });
      const ip = makeInterpreter(compileOn(net, c, params), 1, kernels, 4);
      ip.infer(randomInputs(4, 256, makeRng(5)), 4);
      return ip.adcSaturation().reduce((a, r) => a + r.conversions, 0);
    };
    const one = conversions('difference');
    expect(one).toBeGreaterThan(0);
    expect(conversions('each-side')).toBe(2 * one);
  });

  it('doubles the ADC conversions priced by the cost model and nothing else', () => {
    const base = withChip(PRESETS.reram, () => undefined);
    const each = withChip(PRESETS.reram, (c) => {
      c.periphery.adc.pairConversion = 'each-side';
    });
    const a = chipCosts(compileOn(net, base, params), base);
    const b = chipCosts(compileOn(net, each, params), each);
    const A = a.actionCounts.inference;
    const B = b.actionCounts.inference;
    expect(A.adc_conversion).toBeGreaterThan(0);
    expect(B.adc_conversion).toBe(2 * A.adc_conversion);
    expect(B.array_read).toBe(A.array_read);
    expect(B.dac_drive).toBe(A.dac_drive);
  });

  it('calibrates the range on the side sums: alternating ±w_max lines sum to 0 but each side to 128·x', () => {
    // Every line of W0 alternates +1, −1: with every input 0.02 the difference is 0 on every line
    // (no range to find: the chip's fixed 12 stays), each side sums 128·0.02 = 2.56.
    const alt = new Float32Array(128 * 256).map((_v, i) => (i % 2 === 0 ? 1 : -1));
    const pa: Params = { ...params, W: params.W.map((w, e) => (e === 0 ? { ...w, data: alt } : w)) };
    const count = 4;
    const calibration = {
      count,
      states: [new Float32Array(count * 256).fill(0.02), new Float32Array(count * 128), new Float32Array(count * 10)],
      error: new Float32Array(count * 10),
      source: 'test',
    };
    const range = (pair: 'difference' | 'each-side'): number => {
      const c = withChip(PRESETS.reram, (cc) => {
        cc.periphery.adc = { ...cc.periphery.adc, noiseManagement: 'none', pairConversion: pair };
        cc.periphery.dac.bits = 'float';
        cc.crossbar.levels = 'continuous';
      });
      const nl = compile(net, c, pa, {
        wMax: { kind: 'max' },
        adcRange: { kind: 'percentile', p: 99.9 },
        calibration,
        specFile: 'test',
        producerVersion: 'test',
      }).netlist;
      return edgeTiles(nl)[0].weight[0].gains.adcFullScaleForward;
    };
    expect(range('difference')).toBe(12);
    expect(range('each-side')).toBeCloseTo(2.56, 5);
  });

  it('is rejected for offset-column cells, naming the field', () => {
    const c = withChip(PRESETS.reram, (cc) => {
      cc.crossbar.cell = 'offset-column';
      cc.periphery.adc.pairConversion = 'each-side';
    });
    const r = validateChip(c, 'chip.json');
    expect(r.diagnostics.map((d) => [d.code, d.path])).toEqual([['HW021', '/periphery/adc/pairConversion']]);
  });
});

describe("aihwkit's PCM model", () => {
  it('takes the documented fits (hand-evaluated at g_T = 1 and 0.01)', () => {
    // σ_prog = −1.1731 + 1.9650 + 0.2635 = 1.0554 µS at g_max = 25 µS; doubled g_max doubles it.
    expect(pcmProgramSigmaUS(1, 25)).toBeCloseTo(1.0554, 10);
    expect(pcmProgramSigmaUS(1, 50)).toBeCloseTo(2.1108, 10);
    expect(pcmProgramSigmaUS(0, 25)).toBeCloseTo(0.2635, 10);
    // ν at g_T = 1: ln 1 = 0 → mean max(0.0244, 0.049) = 0.049, std max(−0.0059, 0.008) = 0.008.
    expect(pcmDriftNu(1).mean).toBeCloseTo(0.049, 12);
    expect(pcmDriftNu(1).std).toBeCloseTo(0.008, 12);
    // g_T = 0.01: −ln 0.01 = 4.60517 → mean 0.0244 + 0.0155·4.60517 = 0.095780, std 0.0125·4.60517 − 0.0059 = 0.051665 → 0.045.
    expect(pcmDriftNu(0.01).mean).toBeCloseTo(0.09578, 5);
    expect(pcmDriftNu(0.01).std).toBeCloseTo(0.045, 12);
    // Q_s: 0.0088 at g_T = 1; 0.0088 / 0.01^0.65 = 0.0088 / 0.0501187 = 0.175583; 0.2 at g_T → 0.
    expect(pcmFlickerQs(1)).toBeCloseTo(0.0088, 12);
    expect(pcmFlickerQs(0.01)).toBeCloseTo(0.175583, 5);
    expect(pcmFlickerQs(0)).toBe(0.2);
  });

  it('gives a device programmed to g_max the mean and variance of the model at 1 day', () => {
    // Every weight +w_max: every G+ targets g_max = 25 µS (g_T = 1), so ν ~ N(0.049, 0.008) and
    // Q_s = 0.0088. With L = ln((t0 + t)/t0) and D = e^{−νL} (lognormal): E[D] = e^{−μL + σ²L²/2},
    // E[D²] = e^{−2μL + 2σ²L²}; g_prog = 25 + 1.0554 z (clipping at 0 is 24 σ away);
    // g = g_prog·D·(1 + Q_s·F·z'), F = √ln((t + t_read)/(2 t_read)). So E[g] = 25·E[D] and
    // E[g²] = (25² + 1.0554²)·E[D²]·(1 + Q_s²F²).
    const chip = withChip(PRESETS.ideal, (c) => {
      c.crossbar.noiseModel = 'pcm-aihwkit';
      c.crossbar.gMinUS = 0;
      c.crossbar.gMaxUS = 25;
      c.crossbar.drift = { nu: 0, nuStd: 0, t0Seconds: 20, compensation: 'none' };
    });
    const ones: Params = { ...params, W: params.W.map((w) => ({ ...w, data: new Float32Array(w.data.length).fill(1) })) };
    const n = compileOn(net, chip, ones);
    const seconds = 86400;
    const arrays = new ChipArrays(edgeTiles(n), chip, kernels, makeNoise(makeRng(11)), {
      driftSeconds: seconds,
      pulseRounding: 'deterministic',
    });
    const g = arrays.W[0].conductancesUS().plus;
    expect(g.length).toBe(128 * 256);
    const L = Math.log((20 + seconds) / 20);
    const mu = 0.049;
    const sd = 0.008;
    const ED = Math.exp(-mu * L + (sd * sd * L * L) / 2);
    const ED2 = Math.exp(-2 * mu * L + 2 * sd * sd * L * L);
    const t = 20 + seconds;
    const F2 = Math.log((t + PCM_T_READ_S) / (2 * PCM_T_READ_S));
    const mean = 25 * ED;
    const second = (625 + 1.0554 ** 2) * ED2 * (1 + 0.0088 ** 2 * F2);
    const varExpected = second - mean * mean;
    let s = 0;
    for (const v of g) s += v;
    const m = s / g.length;
    // σ(g) ≈ 1.5 µS: the mean of 32 768 devices is within ±0.03 µS (4 σ).
    expect(Math.abs(m - mean)).toBeLessThan(0.03);
    expect(variance(g) / varExpected).toBeGreaterThan(0.95);
    expect(variance(g) / varExpected).toBeLessThan(1.05);
  });

  it('rejects constant programming noise or drift exponents left beside it', () => {
    const c = withChip(PRESETS.pcm, (cc) => {
      cc.crossbar.programmingNoise.sigma = 0.04;
      cc.crossbar.drift.nu = 0.05;
    });
    const r = validateChip(c, 'chip.json');
    expect(r.diagnostics.map((d) => d.path)).toEqual(['/crossbar/programmingNoise/sigma', '/crossbar/drift/nu']);
    expect(r.diagnostics[0].hint).toMatch(/set it to 0/);
  });
});

describe('the new fields travel in the netlist', () => {
  it('survive chipToMsg → chipFromMsg', () => {
    const c = withChip(PRESETS.pcm, (cc) => {
      cc.crossbar.lowFrequencyReadNoise = { sigma: 0.02, relativeTo: 'target', redraw: 'phase' };
      cc.periphery.adc.pairConversion = 'each-side';
    });
    const back = chipFromMsg(chipToMsg(c));
    expect(back.crossbar.noiseModel).toBe('pcm-aihwkit');
    expect(back.crossbar.lowFrequencyReadNoise).toEqual({ sigma: 0.02, relativeTo: 'target', redraw: 'phase' });
    expect(back.periphery.adc.pairConversion).toBe('each-side');
    expect(back).toEqual(c);
  });
});
