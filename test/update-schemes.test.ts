/**
 * In-situ update schemes (simulator/chip/update-schemes.ts, DeviceMatrix.commit / coincide) against
 * hand-derived expectations: the moments of a coincidence update for a given pulse-train pair, χ
 * carry-over in mixed precision, soft bounds pulse by pulse, device-to-device spread, and the ideal
 * limit (long trains, no noise: the exact outer product).
 */
import { CompileError } from '../compiler/diagnostics';
import { parseWMaxPolicy } from '../compiler/options';
import type { ChipDescription, PulsedUpdate } from '../hw-models/chip';
import { chooseWMax } from '../hw-models/conductance';
import { priceActions, refreshPulseCount } from '../hw-models/estimators';
import { chipCosts } from '../netlist/costs';
import { chipFromMsg, chipToMsg } from '../netlist/chip-proto';
import { PRESETS } from '../hw-models/presets';
import { validateChip } from '../hw-models/validate';
import { DeviceMatrix, pcmProgramSigmaUS } from '../simulator/chip/devices';
import { coincidenceTrainingProblem, mixedPrecisionPulses, planTrains, refreshDue } from '../simulator/chip/update-schemes';
import { makeNoise } from '../simulator/noise';
import { compile } from '../compiler/pipeline';
import { initParams } from '../graph/params';
import { makeInterpreter } from '../simulator/chip/run';
import { selectKernels } from '../simulator/kernels/select';
import { makeGrads } from '../simulator/train';
import { idealWithPulsedUpdate, wholeTile } from './helpers/chips';
import { graphNet, randomInputs } from './helpers/nets';
import { makeRng } from '../util/rng';

const NO_SPREAD = { dwMin: 0, wMax: 0, wMin: 0, upDownAsymmetry: 0 };

const chipWith = (update: Partial<PulsedUpdate>): ChipDescription => idealWithPulsedUpdate({ deviceToDevice: NO_SPREAD, ...update });

/** A rows × cols differential matrix holding u+ − u− = u0 everywhere, w_max 1, one tile. */
function matrix(
  chip: ChipDescription,
  rows: number,
  cols: number,
  u0 = 0,
  seed = 1,
): { dev: DeviceMatrix; noise: ReturnType<typeof makeNoise> } {
  const n = rows * cols;
  const tile = wholeTile(rows, cols, new Float32Array(n).fill(u0 > 0 ? u0 : 0), new Float32Array(n).fill(u0 < 0 ? -u0 : 0));
  const noise = makeNoise(makeRng(seed), 'reference');
  return { dev: new DeviceMatrix(rows, cols, 1, [tile], chip, noise, { driftSeconds: 0, pulseRounding: 'deterministic' }), noise };
}

function moments(v: number[]): { mean: number; variance: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return { mean, variance: v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1) };
}

describe('stochastic-coincidence', () => {
  test('update management: E[Δw] = BL·p_x·p_δ·dw_min = η·x·δ, probabilities balanced', () => {
    const eps = 1e-3;
    // η·x_max·δ_max / ε = 7.5 → BL = 8; k_x = k_δ = sqrt(7.5/8) when x_max = δ_max = 1.
    const plan = planTrains(7.5e-3, 1, 1, eps, 31)!;
    expect(plan.bl).toBe(8);
    expect(plan.kx).toBeCloseTo(Math.sqrt(7.5 / 8), 12);
    expect(plan.kd).toBeCloseTo(Math.sqrt(7.5 / 8), 12);
    // Capped at the desired BL: 31 slots, k_x·k_δ = η/(BL·ε), balanced k_x·x_max = k_δ·δ_max.
    const capped = planTrains(0.1, 2, 0.5, eps, 31)!;
    expect(capped.bl).toBe(31);
    expect(capped.kx * capped.kd).toBeCloseTo(0.1 / (31 * eps), 9);
    expect(capped.kx * 2).toBeCloseTo(capped.kd * 0.5, 9);
  });

  test('one pulse-train pair: mean and variance of the device change (binomial coincidences, c2c per pulse)', () => {
    const c2c = 0.3;
    const chip = chipWith({ scheme: 'stochastic-coincidence', dwMin: 1e-4, cycleToCycle: c2c });
    const { dev, noise } = matrix(chip, 1, 2);
    const eps = 1e-4;
    // x = [1, 0.5], δ = ±1, η = 7.5ε: BL = 8, p_δ = p_x1 = sqrt(7.5/8), p_x2 = p_x1/2.
    const eta = 7.5 * eps;
    const p = Math.sqrt(7.5 / 8);
    const q1 = p * p;
    const q2 = p * p * 0.5;
    const d1: number[] = [];
    const d2: number[] = [];
    const x = Float32Array.from([1, 0.5]);
    for (let s = 0; s < 20000; s++) {
      // Alternating δ keeps the device near 0 (hard bounds never reached); the sign is undone below.
      const sign = s % 2 === 0 ? 1 : -1;
      const before = [dev.W[0], dev.W[1]];
      dev.coincide(0, 1, 0, 2, Float32Array.of(sign), 1, x, 2, 1, eta, noise);
      d1.push((sign * (dev.W[0] - before[0])) / eps);
      d2.push((sign * (dev.W[1] - before[1])) / eps);
    }
    // n ~ Binomial(BL, q): E[Δw/ε] = BL·q, Var = BL·q(1 − q) + E[n]·c2c² (independent per-pulse noise).
    const m1 = moments(d1);
    const m2 = moments(d2);
    expect(m1.mean).toBeCloseTo(8 * q1, 1);
    expect(m2.mean).toBeCloseTo(8 * q2, 1);
    expect(8 * q2).toBeCloseTo(7.5 * 0.5, 9); // = η·x·δ/ε
    const v2 = 8 * q2 * (1 - q2) + 8 * q2 * c2c ** 2;
    expect(m2.variance / v2).toBeGreaterThan(0.95);
    expect(m2.variance / v2).toBeLessThan(1.05);
    const v1 = 8 * q1 * (1 - q1) + 8 * q1 * c2c ** 2;
    expect(m1.variance / v1).toBeGreaterThan(0.93);
    expect(m1.variance / v1).toBeLessThan(1.07);
    expect(dev.pulses).toBeGreaterThan(0);
  });

  test('ideal limit: long trains and fine steps without noise approach the exact outer product η·δ·xᵀ', () => {
    const rng = makeRng(3);
    const R = 6,
      C = 7;
    const d = Float32Array.from({ length: R }, () => rng.uniform() * 2 - 1);
    const x = Float32Array.from({ length: C }, () => rng.uniform() * 2 - 1);
    const eta = 0.05;
    const errorAt = (dwMin: number, bl: number): number => {
      const chip = chipWith({ scheme: 'stochastic-coincidence', dwMin, pulsesPerUpdate: bl });
      const { dev, noise } = matrix(chip, R, C, 0, 5);
      dev.coincide(0, R, 0, C, d, R, x, C, 1, eta, noise);
      let num = 0,
        den = 0;
      for (let r = 0; r < R; r++)
        for (let c = 0; c < C; c++) {
          const exact = eta * d[r] * x[c];
          num += (dev.W[r * C + c] - exact) ** 2;
          den += exact ** 2;
        }
      return Math.sqrt(num / den);
    };
    // The step that makes update-BL management choose exactly BL slots (no probability clipped).
    const xm = Math.max(...Array.from(x, Math.abs));
    const dm = Math.max(...Array.from(d, Math.abs));
    // Relative error of a binomial count ∝ 1/sqrt(BL): 31 slots vs 4000 (ratio ≈ 0.09).
    const coarse = errorAt((eta * xm * dm) / 31, 31);
    const fine = errorAt((eta * xm * dm) / 4000, 4000);
    expect(fine).toBeLessThan(0.05);
    expect(fine).toBeLessThan(coarse * 0.25);
  });

  test('the optimiser does not write coincidence devices: commit() restores what they hold', () => {
    const chip = chipWith({ scheme: 'stochastic-coincidence' });
    const { dev, noise } = matrix(chip, 2, 2, 0.2);
    const held = dev.W.slice();
    dev.W[0] += 0.3;
    dev.commit(noise);
    expect(Array.from(dev.W)).toEqual(Array.from(held));
  });
});

describe('mixed-precision', () => {
  test('χ collects sub-step requests and keeps the remainder after each pulse', () => {
    const eps = 0.01;
    const chip = chipWith({ scheme: 'mixed-precision', dwMin: eps, pulsesPerUpdate: 5 });
    const { dev, noise } = matrix(chip, 1, 1);
    const step = (request: number): number => {
      const before = dev.W[0];
      dev.W[0] += request * eps;
      dev.commit(noise);
      return Math.round(((dev.W[0] - before) / eps) * 1e4) / 1e4;
    };
    expect(step(0.4)).toBe(0); // χ = 0.4ε
    expect(step(0.7)).toBe(1); // χ = 1.1ε → 1 pulse, χ = 0.1ε
    expect(step(0.8)).toBe(0); // χ = 0.9ε
    expect(step(0.2)).toBe(1); // χ = 1.1ε → 1 pulse, χ = 0.1ε
    expect(step(-0.3)).toBe(0); // χ = −0.2ε
    expect(step(-0.9)).toBe(-1); // χ = −1.1ε → −1 pulse, χ = −0.1ε
    expect(step(40.1)).toBe(5); // χ = 40ε: capped at 5 pulses, χ = 35ε
    expect(step(0)).toBe(5); // no new request: χ still holds 35ε → 5 more, χ = 30ε
    expect(dev.pulses).toBe(1 + 1 + 1 + 5 + 5);
  });
});

describe('mixed-precision: carry-over', () => {
  test('a step of 2.5ε gives 2 pulses and leaves 0.5ε in χ; the next 0.5ε completes a third pulse', () => {
    expect(mixedPrecisionPulses(2.5e-3, 1e-3, 31)).toBe(2);
    expect(mixedPrecisionPulses(-2.5e-3, 1e-3, 31)).toBe(-2);
    const eps = 0.01;
    const chip = chipWith({ scheme: 'mixed-precision', dwMin: eps, pulsesPerUpdate: 31 });
    const { dev, noise } = matrix(chip, 1, 1);
    dev.W[0] += 2.5 * eps;
    dev.commit(noise);
    expect(dev.W[0] / eps).toBeCloseTo(2, 5);
    expect(dev.pulses).toBe(2);
    // χ = 0.5ε is kept: 0.4ε more is still below one step (χ = 0.9ε), 0.1ε more reaches it (χ = 1.0ε).
    dev.W[0] += 0.4 * eps;
    dev.commit(noise);
    expect(dev.pulses).toBe(2);
    dev.W[0] += 0.1 * eps + 1e-9;
    dev.commit(noise);
    expect(dev.pulses).toBe(3);
    expect(dev.W[0] / eps).toBeCloseTo(3, 5);
  });
});

describe('row-programmed', () => {
  test('stochastic rounding of a request of 2.3 steps: k ∈ {2, 3}, E[k] = 2.3, Var[k] = 0.3·0.7', () => {
    const eps = 1e-3;
    const chip = chipWith({ scheme: 'row-programmed', dwMin: eps });
    const n = 4000;
    const noise = makeNoise(makeRng(7), 'reference');
    // Stochastic rounding (the run's default; the matrix helper builds deterministic ones). No tiles: all cells at 0.
    const stochastic = new DeviceMatrix(1, n, 1, [], chip, noise, { driftSeconds: 0, pulseRounding: 'stochastic' });
    for (let i = 0; i < n; i++) stochastic.W[i] += 2.3 * eps;
    stochastic.commit(noise);
    const k = Array.from(stochastic.W, (w) => Math.round(w / eps));
    expect(new Set(k)).toEqual(new Set([2, 3]));
    const m = moments(k);
    // Binomial-like: σ of the mean over 4000 cells ≈ sqrt(0.21/4000) ≈ 0.007.
    expect(m.mean).toBeGreaterThan(2.3 - 0.03);
    expect(m.mean).toBeLessThan(2.3 + 0.03);
    expect(m.variance).toBeGreaterThan(0.21 * 0.9);
    expect(m.variance).toBeLessThan(0.21 * 1.1);
    expect(stochastic.pulses).toBe(k.reduce((a, b) => a + b, 0));
  });
});

describe('potentiate-only pairs (PCM) and refresh', () => {
  /** A 1 × n potentiate-only pair matrix on a 1001-level chip (level step 0.001), no noise, hard bounds. */
  const pairChip = (over: Partial<PulsedUpdate> = {}): ChipDescription => {
    const c = chipWith({ dwMin: 0.01, pulsesPerUpdate: 200, pairMode: 'potentiate-only', ...over });
    c.crossbar.levels = 1001;
    return c;
  };
  const units = (dev: DeviceMatrix, chip: ChipDescription, i: number): [number, number] => {
    const { plus, minus } = dev.conductancesUS();
    const span = chip.crossbar.gMaxUS - chip.crossbar.gMinUS;
    return [(plus[i] - chip.crossbar.gMinUS) / span, (minus![i] - chip.crossbar.gMinUS) / span];
  };

  test('a positive step SETs G+, a negative step SETs G− (never a RESET); W = (u+ − u−)·w_max', () => {
    const chip = pairChip();
    const { dev, noise } = matrix(chip, 1, 1);
    dev.W[0] += 0.3;
    dev.commit(noise);
    expect(units(dev, chip, 0)[0]).toBeCloseTo(0.3, 5);
    expect(units(dev, chip, 0)[1]).toBeCloseTo(0, 5);
    dev.W[0] -= 0.1;
    dev.commit(noise);
    // G+ keeps 0.3; G− rises to 0.1.
    expect(units(dev, chip, 0)[0]).toBeCloseTo(0.3, 5);
    expect(units(dev, chip, 0)[1]).toBeCloseTo(0.1, 5);
    expect(dev.W[0]).toBeCloseTo(0.2, 5);
    expect(dev.pulses).toBe(40);
    expect(dev.refreshes).toBe(0);
  });

  test('refresh when a device saturates: both RESET, the weight reprogrammed onto one device, G+ can rise again', () => {
    const chip = pairChip();
    const { dev, noise } = matrix(chip, 1, 1);
    dev.W[0] += 1.2; // 120 SET pulses: G+ saturates at 1 (hard bound)
    dev.commit(noise);
    expect(units(dev, chip, 0)).toEqual([1, 0]);
    dev.W[0] -= 0.2; // G− = 0.2: not yet above the lower threshold 0.25 → no refresh
    dev.commit(noise);
    expect(dev.refreshes).toBe(0);
    expect(units(dev, chip, 0)[1]).toBeCloseTo(0.2, 5);
    dev.W[0] -= 0.1; // G− = 0.3 > 0.25 while G+ = 1 > 0.75 → refresh: G+ = 0.7, G− = 0
    dev.commit(noise);
    expect(dev.refreshes).toBe(1);
    const [gp, gm] = units(dev, chip, 0);
    expect(gp).toBeCloseTo(0.7, 5);
    expect(gm).toBe(0);
    expect(dev.W[0]).toBeCloseTo(0.7, 5);
    // Priced: two RESETs + round(0.7 / dw_min) = 70 rewrite pulses; update pulses counted apart.
    expect(dev.refreshPulses).toBe(72);
    expect(dev.pulses).toBe(120 + 20 + 10);
    // The refreshed pair has range again: 20 more SET pulses on G+ raise W to 0.9 (no refresh yet: G− = 0).
    dev.W[0] += 0.2;
    dev.commit(noise);
    expect(dev.W[0]).toBeCloseTo(0.9, 5);
    expect(dev.refreshes).toBe(1);
  });

  test('a refresh is a full programming: the rewritten weight carries the programming noise σ', () => {
    const chip = pairChip({ dwMin: 0.05, pulsesPerUpdate: 31 });
    chip.crossbar.levels = 'continuous';
    const n = 3000;
    const { dev, noise } = matrix(chip, 1, n);
    // Programming noise only after the (noiseless) initial programming: the refresh alone draws it.
    const sigma = 0.04;
    chip.crossbar.programmingNoise = { sigma, relativeTo: 'range' };
    for (let i = 0; i < n; i++) dev.W[i] += 16 * 0.05; // G+ = 0.8
    dev.commit(noise);
    for (let i = 0; i < n; i++) dev.W[i] -= 6 * 0.05; // G− = 0.3 → refresh of w = 0.5
    dev.commit(noise);
    expect(dev.refreshes).toBe(n);
    const m = moments(Array.from(dev.W));
    expect(m.mean).toBeCloseTo(0.5, 2);
    expect(Math.sqrt(m.variance) / sigma).toBeGreaterThan(0.93);
    expect(Math.sqrt(m.variance) / sigma).toBeLessThan(1.07);
  });

  test("under aihwkit's PCM model a refresh carries that model's programming σ(g_T), not the (zero) constant σ", () => {
    const chip = pairChip({ dwMin: 0.05, pulsesPerUpdate: 31 });
    chip.crossbar.levels = 'continuous';
    const n = 3000;
    const { dev, noise } = matrix(chip, 1, n);
    chip.crossbar.noiseModel = 'pcm-aihwkit'; // programmingNoise stays 0, as the validator demands with this model
    for (let i = 0; i < n; i++) dev.W[i] += 16 * 0.05;
    dev.commit(noise);
    for (let i = 0; i < n; i++) dev.W[i] -= 6 * 0.05; // refresh of w = 0.5 onto G+
    dev.commit(noise);
    expect(dev.refreshes).toBe(n);
    const { gMinUS, gMaxUS } = chip.crossbar;
    const span = gMaxUS - gMinUS;
    const sigma = pcmProgramSigmaUS((gMinUS + 0.5 * span) / gMaxUS, gMaxUS) / span;
    const m = moments(Array.from(dev.W));
    expect(m.mean).toBeCloseTo(0.5, 2);
    expect(Math.sqrt(m.variance) / sigma).toBeGreaterThan(0.93);
    expect(Math.sqrt(m.variance) / sigma).toBeLessThan(1.07);
  });

  test('aihwkit criterion: refresh only when the larger device is above the upper and the smaller above the lower threshold', () => {
    expect(refreshDue(0.8, 0.3, 1, 1, 0.75, 0.25)).toBe(true);
    expect(refreshDue(0.8, 0.2, 1, 1, 0.75, 0.25)).toBe(false);
    expect(refreshDue(0.3, 0.8, 1, 1, 0.75, 0.25)).toBe(true);
    expect(refreshDue(0.7, 0.7, 1, 1, 0.75, 0.25)).toBe(false);
    // Thresholds are fractions of each device's own upper bound.
    expect(refreshDue(0.7, 0.3, 0.9, 1, 0.75, 0.25)).toBe(true);
    expect(refreshPulseCount(-0.42, 0.01)).toBe(44);
  });

  test('pricing: refresh pulses are update pulses of the UPDATE phase, timed one after another', () => {
    const net = graphNet(
      10,
      [6],
      3,
      [
        { name: 'W0', from: 'input', to: 'h1' },
        { name: 'Wf', from: 'h1', to: 'output', feedback: { kind: 'symmetric' } },
      ],
      { betaF: 0.5, T: 4, K: 2, optimizer: { kind: 'sgd', lr: 0.1 } },
    );
    const chip = PRESETS.pcm;
    const netlist = compile(net, chip, initParams(net, makeRng(1)), { wMax: { kind: 'max' }, specFile: 't', producerVersion: 't' }).netlist;
    const base = chipCosts(netlist, chip, { updatePulsesPerSample: 100 });
    const withRefresh = chipCosts(netlist, chip, { updatePulsesPerSample: 100, refreshPulsesPerSample: 7 });
    const table = priceActions(chip).perAction.update_pulse;
    const cyc = Math.max(1, Math.ceil((table.latencyNs * chip.clock.frequencyMhz) / 1000));
    expect(withRefresh.actionCounts.training.update_pulse - base.actionCounts.training.update_pulse).toBeCloseTo(7, 9);
    expect(withRefresh.cyclesPerTrainingSample - base.cyclesPerTrainingSample).toBeCloseTo(7 * cyc, 6);
    expect(withRefresh.cyclesPerInference).toBe(base.cyclesPerInference);
    expect(() => chipCosts(netlist, chip, { refreshPulsesPerSample: -1 })).toThrow(/refreshPulsesPerSample/);
  });

  test('the netlist carries the pair mode; a netlist from before pair modes (UNSPECIFIED) reads as a bipolar pair', () => {
    expect(chipFromMsg(chipToMsg(PRESETS.pcm)).crossbar.update).toEqual(PRESETS.pcm.crossbar.update);
    const old = chipToMsg(PRESETS.reram);
    const pu = old.crossbar!.pulsedUpdate!;
    Object.assign(pu, { pairMode: 'PAIR_MODE_UNSPECIFIED', refreshUpperThreshold: 0, refreshLowerThreshold: 0 });
    const u = chipFromMsg(old).crossbar.update as PulsedUpdate;
    expect([u.pairMode, u.refreshUpperThreshold, u.refreshLowerThreshold]).toEqual(['bipolar', 0.75, 0.25]);
  });

  test('the pcm preset pairs potentiate-only; validation: an offset-column cell or lower > upper threshold is HW021', () => {
    const pcm = PRESETS.pcm.crossbar.update as PulsedUpdate;
    expect([pcm.pairMode, pcm.refreshUpperThreshold, pcm.refreshLowerThreshold]).toEqual(['potentiate-only', 0.75, 0.25]);
    expect((PRESETS.reram.crossbar.update as PulsedUpdate).pairMode).toBe('bipolar');
    const offset = pairChip();
    offset.crossbar.cell = 'offset-column';
    expect(validateChip(offset, 'c.json').diagnostics.map((d) => [d.code, d.path])).toEqual([['HW021', '/crossbar/update/pairMode']]);
    const crossed = pairChip({ refreshUpperThreshold: 0.2, refreshLowerThreshold: 0.5 });
    expect(validateChip(crossed, 'c.json').diagnostics.map((d) => [d.code, d.path])).toEqual([
      ['HW021', '/crossbar/update/refreshLowerThreshold'],
    ]);
    const bad = pairChip();
    (bad.crossbar.update as unknown as { pairMode: string }).pairMode = 'unipolar';
    expect(validateChip(bad, 'c.json').diagnostics.map((d) => [d.code, d.path])).toEqual([['HW013', '/crossbar/update/pairMode']]);
  });
});

describe('device physics', () => {
  test('soft bounds, pulse by pulse: u_k = 1 − (1 − u0)(1 − s_up)^k up, −1 + (1 + u0)(1 − s_down)^k down', () => {
    const s = 0.02,
      a = 0.25;
    const chip = chipWith({ dwMin: s, upDownAsymmetry: a, softBounds: true, pulsesPerUpdate: 31 });
    const { dev, noise } = matrix(chip, 1, 2, 0.5);
    dev.W[0] += 10 * s; // 10 up pulses on cell 0
    dev.W[1] -= 10 * s; // 10 down pulses on cell 1
    dev.commit(noise);
    expect(dev.W[0]).toBeCloseTo(1 - 0.5 * (1 - s * (1 + a)) ** 10, 6);
    expect(dev.W[1]).toBeCloseTo(-1 + 1.5 * (1 - s * (1 - a)) ** 10, 6);
    expect(dev.pulses).toBe(20);
  });

  test('device-to-device spread: one pulse moves each device by its own step, σ/step = dw_min_dtod', () => {
    const chip = chipWith({ dwMin: 1e-3, deviceToDevice: { dwMin: 0.3, wMax: 0, wMin: 0, upDownAsymmetry: 0 } });
    const { dev, noise } = matrix(chip, 50, 100);
    for (let i = 0; i < dev.W.length; i++) dev.W[i] += 1e-3;
    dev.commit(noise);
    const m = moments(Array.from(dev.W, (w) => w / 1e-3));
    expect(m.mean).toBeCloseTo(1, 1);
    expect(Math.sqrt(m.variance)).toBeGreaterThan(0.28);
    expect(Math.sqrt(m.variance)).toBeLessThan(0.32);
    // The spread is drawn once: a second pulse repeats each device's own step exactly.
    const first = dev.W.slice();
    for (let i = 0; i < dev.W.length; i++) dev.W[i] += 1e-3;
    dev.commit(noise);
    for (let i = 0; i < 20; i++) expect(dev.W[i]).toBeCloseTo(2 * first[i], 6);
  });

  test('the chip fields are validated with coded errors', () => {
    const bad = chipWith({ scheme: 'stochastic-coincidence', pulsesPerUpdate: 5000 });
    const r = validateChip(bad, 'chip.json');
    expect(r.diagnostics.map((d) => [d.code, d.path])).toEqual([['HW021', '/crossbar/update/pulsesPerUpdate']]);
    const unknown = chipWith({});
    (unknown.crossbar.update as unknown as { scheme: string }).scheme = 'coincidence';
    expect(validateChip(unknown, 'chip.json').diagnostics.map((d) => [d.code, d.path])).toEqual([['HW013', '/crossbar/update/scheme']]);
  });
});

describe('the weight range of a trainable array', () => {
  test('--w-max: xF is F × max|W| (headroom), a number a fixed w_max; bad text is CMP004 naming the forms', () => {
    expect(parseWMaxPolicy('x4', 's.json')).toEqual({ kind: 'headroom', factor: 4 });
    expect(parseWMaxPolicy('x1', 's.json')).toEqual({ kind: 'max' });
    expect(parseWMaxPolicy('0.4', 's.json')).toEqual({ kind: 'fixed', wMax: 0.4 });
    const w = Float32Array.from([0.1, -0.25, 0.05]);
    expect(chooseWMax(w, { kind: 'headroom', factor: 4 }, 1000)).toBe(1);
    expect(chooseWMax(w, { kind: 'fixed', wMax: 0.4 }, 1000)).toBe(Math.fround(0.4));
    for (const bad of ['x0.5', 'x', '-1', '0']) {
      let err: unknown;
      try {
        parseWMaxPolicy(bad, 's.json');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CompileError);
      const d = (err as CompileError).diagnostics[0];
      expect([d.code, d.file]).toEqual(['CMP004', 's.json']);
      expect(d.hint).toContain('x4');
    }
  });

  test('bound hits: a cell counts once when an update leaves it within 5 % of its bound', () => {
    const chip = chipWith({ dwMin: 0.01, softBounds: false });
    const { dev, noise } = matrix(chip, 1, 3, 0.9);
    // Cell 0: 0.9 + 0.01·1 = 0.91 (not within 5 % of the range, i.e. u < 0.95); cell 1: 0.9 + 0.01·6 = 0.96
    // (counted); cell 2: 0.9 − 0.01·2 = 0.88 (away from the bound).
    dev.W[0] += 0.01;
    dev.W[1] += 0.06;
    dev.W[2] -= 0.02;
    dev.commit(noise);
    expect(dev.boundHits).toBe(1);
    dev.W[1] += 0.02; // still at the bound: the same cell is not counted twice
    dev.W[0] += 0.05; // 0.96: counted
    dev.commit(noise);
    expect(dev.boundHits).toBe(2);
  });
});

describe('stochastic-coincidence in the interpreter', () => {
  test('one EP sample: the pulse trains realise −lr·g of the exact outer product (long trains, no noise)', () => {
    const kernels = selectKernels('auto');
    const lr = 0.1;
    const net = graphNet(
      20,
      [12],
      4,
      [
        { name: 'W0', from: 'input', to: 'h1' },
        { name: 'Wf', from: 'h1', to: 'output', feedback: { kind: 'symmetric' } },
      ],
      { betaF: 0.5, T: 8, K: 4, optimizer: { kind: 'sgd', lr } },
    );
    const p0 = initParams(net, makeRng(2));
    const opts = { wMax: { kind: 'max' as const }, specFile: 'test', producerVersion: 'test' };
    const x = randomInputs(1, 20, makeRng(3));
    const y = Float32Array.from([0, 0, 1, 0]);
    // The exact chip's gradient of Wf for this sample.
    const exact = makeInterpreter(compile(net, PRESETS.ideal, p0, opts).netlist, 1, kernels, 1);
    const g = makeGrads(net);
    exact.step(x, y, 1, g);
    const gf = g[1]!;
    const gMax = gf.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(gMax).toBeGreaterThan(0);
    // A step that makes update-BL management choose ~2000 slots for Wf: ε = lr·max|g|/2000.
    const probe = compile(net, PRESETS.ideal, p0, opts).netlist;
    const wMaxF = probe.edges[1].weights!.wMax;
    const chip = chipWith({ scheme: 'stochastic-coincidence', pulsesPerUpdate: 4096, dwMin: (lr * gMax) / 2000 / wMaxF });
    const it = makeInterpreter(compile(net, chip, p0, opts).netlist, 1, kernels, 1);
    const before = it.weights()[1].slice();
    const g2 = makeGrads(net);
    it.step(x, y, 1, g2);
    expect(g2[1]!.every((v) => v === 0)).toBe(true); // no digital outer product
    const after = it.weights()[1];
    let num = 0,
      den = 0;
    for (let i = 0; i < gf.length; i++) {
      num += (after[i] - before[i] + lr * gf[i]) ** 2;
      den += (lr * gf[i]) ** 2;
    }
    expect(Math.sqrt(num / den)).toBeLessThan(0.1);
  });

  test('the arrays learn without gradient slots (train() hands none to an in-situ chip): the same weights as with them', () => {
    const kernels = selectKernels('auto');
    const net = graphNet(
      20,
      [12],
      4,
      [
        { name: 'W0', from: 'input', to: 'h1' },
        { name: 'Wf', from: 'h1', to: 'output', feedback: { kind: 'symmetric' } },
      ],
      { betaF: 0.5, T: 8, K: 4, optimizer: { kind: 'sgd', lr: 0.1 } },
    );
    const p0 = initParams(net, makeRng(2));
    const opts = { wMax: { kind: 'max' as const }, specFile: 'test', producerVersion: 'test' };
    const chip = chipWith({ scheme: 'stochastic-coincidence', dwMin: 1e-3 });
    const x = randomInputs(4, 20, makeRng(3));
    const y = new Float32Array(16).map((_, i) => (i % 5 === 0 ? 1 : 0));
    const run = (slots: boolean) => {
      const it = makeInterpreter(compile(net, chip, p0, opts).netlist, 1, kernels, 4);
      const g = makeGrads(net);
      if (!slots) g.fill(null, 0, net.edges.length);
      const before = it.weights().map((w) => w.slice());
      it.step(x, y, 4, g);
      return { it, before, after: it.weights().map((w) => w.slice()) };
    };
    const withSlots = run(true);
    const without = run(false);
    expect(without.it.updatesInSitu).toBe(true);
    expect(makeInterpreter(compile(net, PRESETS.ideal, p0, opts).netlist, 1, kernels, 4).updatesInSitu).toBe(false);
    for (let e = 0; e < 2; e++) {
      expect(without.after[e].some((v, i) => v !== without.before[e][i])).toBe(true); // the devices moved
      expect(Buffer.from(without.after[e].buffer).equals(Buffer.from(withSlots.after[e].buffer))).toBe(true);
    }
  });
});

describe('pricing per scheme (netlist/costs.ts, the one cost model)', () => {
  const net = graphNet(
    20,
    [12],
    4,
    [
      { name: 'W0', from: 'input', to: 'h1' },
      { name: 'Wf', from: 'h1', to: 'output', feedback: { kind: 'symmetric' } },
    ],
    { betaF: 0.5, T: 4, K: 2, optimizer: { kind: 'sgd', lr: 0.1 } },
  );
  const p0 = initParams(net, makeRng(2));
  const costsOn = (scheme: PulsedUpdate['scheme']) => {
    const c = JSON.parse(JSON.stringify(PRESETS.reram)) as ChipDescription;
    c.crossbar.update = { ...(c.crossbar.update as PulsedUpdate), scheme };
    const netlist = compile(net, c, p0, { wMax: { kind: 'max' }, specFile: 't', producerVersion: 't' }).netlist;
    return { costs: chipCosts(netlist, c), chip: c, netlist };
  };
  const cells = 12 * 20 + 4 * 12; // W0 and Wf, one array each on a 256×256 reram array
  const batch = 8;

  test('row-programmed: per commit every cell once to the optimiser and at most BL pulses; row by row', () => {
    const { costs, chip } = costsOn('row-programmed');
    expect(costs.commit.actionCountsPerCommit.optimizer_step).toBe(cells);
    expect(costs.commit.actionCountsPerCommit.update_pulse).toBe(cells * 31);
    expect(costs.actionCounts.training.update_pulse).toBeCloseTo((cells * 31) / batch, 9);
    // The slowest array (W0: 12 rows, 240 cells): ceil(240/lanes) optimiser clocks + 12 rows × 31 slots.
    const cyc = (a: 'optimizer_step' | 'update_pulse') =>
      Math.max(1, Math.ceil((priceActions(chip).perAction[a].latencyNs * chip.clock.frequencyMhz) / 1000));
    expect(costs.commit.cyclesPerCommit).toBe(Math.ceil(240 / chip.neuron.lanes) * cyc('optimizer_step') + 12 * 31 * cyc('update_pulse'));
  });

  test('mixed-precision: the same counts; each optimiser step also reads and writes χ and adds twice', () => {
    const rp = costsOn('row-programmed');
    const mp = costsOn('mixed-precision');
    const m = mp.chip.costModel;
    const chiBits = (mp.chip.crossbar.update as PulsedUpdate).accumulatorBits;
    expect(mp.costs.actionTable.perAction.optimizer_step.energyPj - rp.costs.actionTable.perAction.optimizer_step.energyPj).toBeCloseTo(
      2 * m.sramPjPerBit * chiBits + 2 * chiBits * m.addPjPerBit,
      9,
    );
    expect(mp.costs.commit.actionCountsPerCommit).toEqual(rp.costs.commit.actionCountsPerCommit);
  });

  test('stochastic-coincidence: no outer product, accumulator, optimiser or commit; ≤ BL pulses per cell per sample', () => {
    const { costs } = costsOn('stochastic-coincidence');
    const t = costs.actionCounts.training;
    expect([t.outer_product_mac, t.accumulator_access, t.optimizer_step]).toEqual([0, 0, 0]);
    expect(t.update_pulse).toBeCloseTo(cells * 31, 9);
    expect(costs.nominalUpdatePulsesPerSample).toBeCloseTo(cells * 31, 9);
    expect(costs.commit.cyclesPerCommit).toBe(0);
    expect(costs.commit.actionCountsPerCommit.update_pulse).toBe(cells * 31 * batch);
  });
});

test('stochastic-coincidence trains plain SGD only: another optimiser, momentum, a schedule or clipping is refused with the fix', () => {
  const chip = chipWith({ scheme: 'stochastic-coincidence' });
  const sgd = graphNet(
    20,
    [12],
    4,
    [
      { name: 'W0', from: 'input', to: 'h1' },
      { name: 'Wf', from: 'h1', to: 'output' },
    ],
    { betaF: 0.5, T: 4, K: 2, optimizer: { kind: 'sgd', lr: 0.1 } },
  );
  const infoOf = (net: typeof sgd) =>
    compile(net, chip, initParams(net, makeRng(1)), { wMax: { kind: 'max' }, specFile: 't', producerVersion: 't' }).netlist.trainingInfo;
  expect(coincidenceTrainingProblem(chip, infoOf(sgd))).toBeNull();
  const adam = { ...sgd, spec: { ...sgd.spec, training: { ...sgd.spec.training, optimizer: { kind: 'adam' as const, lr: 1e-3 } } } };
  const msg = coincidenceTrainingProblem(chip, infoOf(adam));
  expect(msg).toContain('asks for adam');
  expect(msg).toContain('"kind": "sgd"');
  const momentum = {
    ...sgd,
    spec: { ...sgd.spec, training: { ...sgd.spec.training, optimizer: { kind: 'sgd' as const, lr: 0.1, momentum: 0.9 } } },
  };
  expect(coincidenceTrainingProblem(chip, infoOf(momentum))).toContain('momentum 0.9');
  // Other schemes keep their digital optimiser: nothing to refuse.
  expect(coincidenceTrainingProblem(chipWith({ scheme: 'mixed-precision' }), infoOf(adam))).toBeNull();
});
