/**
 * ADC ranges per array and read kind (issue 13, item 1): the calibrate pass sets each range to the
 * nearest-rank percentile of |partial sum| over a calibration batch, checked against partial sums
 * formed here independently (float64, from the weights the netlist stands for); the interpreter
 * converts over the netlist's ranges and counts exactly the conversions beyond them; the fields
 * are validated (step consistent with the range, finite).
 */
import { compile } from '../compiler/pipeline';
import type { AdcRangePolicy, CalibrationBatch } from '../compiler/ir';
import type { Net } from '../graph/net';
import { initParams, type Params } from '../graph/params';
import type { ChipDescription } from '../hw-models/chip';
import { PRESETS } from '../hw-models/presets';
import { edgeTiles, netlistParams } from '../netlist/tiles';
import { adcRangeOf, type AdcReadKind, type NetlistMsg } from '../netlist/types';
import { validateNetlist } from '../netlist/validate';
import { syntheticDataset } from '../datasets/synthetic';
import { calibrationInputs } from '../simulator/calibration-batch';
import { makeInterpreter } from '../simulator/chip/run';
import { ChipArrays } from '../simulator/chip/chip-arrays';
import { makeNoise } from '../simulator/noise';
import { selectKernels } from '../simulator/kernels/select';
import { makeRng } from '../util/rng';
import { chainNet, oneHotRows } from './helpers/nets';
import { summarise } from '../cli/inspect-command';
import { chipCosts, rereadCosts } from '../netlist/costs';
import { chipFromMsg } from '../netlist/chip-proto';
import { readsPerMvm } from '../hw-models/estimators';
import { opCycles } from '../hw-models/timing';

const kernels = selectKernels('auto');

/** input 20 → h1 12 → h2 8 → output 4, on 8×8 arrays: every matrix but the last is tiled. */
const net: Net = chainNet([20, 12, 8], 4, { betaI: 0.1, betaF: 0.5, T: 4, K: 2 });
const params: Params = initParams(net, makeRng(3));
/** The ideal chip with an 8-bit DAC and a 6-bit ADC over ±fullScale, noise-free, small arrays. */
function chipWith(fullScale: number | 'unbounded', bits: number | 'float' = 6): ChipDescription {
  const c = JSON.parse(JSON.stringify(PRESETS.ideal)) as ChipDescription;
  c.crossbar.rows = 8;
  c.crossbar.cols = 8;
  c.noc.meshWidth = 4;
  c.noc.meshHeight = 4;
  c.periphery.dac.bits = 8;
  c.periphery.adc = { ...c.periphery.adc, bits, fullScale };
  return c;
}

function batch(count: number): CalibrationBatch {
  const r = makeRng(11);
  const fill = (n: number, lo: number) => Float32Array.from({ length: n }, () => lo + (1 - lo) * r.uniform());
  return {
    count,
    source: 'test',
    states: [fill(count * 20, 0), fill(count * 12, -1), fill(count * 8, -1)],
    error: fill(count * 4, -1),
  };
}

function compileWith(chip: ChipDescription, adcRange: AdcRangePolicy, calibration?: CalibrationBatch): NetlistMsg {
  return compile(net, chip, params, { wMax: { kind: 'max' }, adcRange, calibration, specFile: 'test', producerVersion: 'test' }).netlist;
}

/** The chip's DAC, written out again: clip to [−1, 1], round to 255 steps. */
function dac(v: number): number {
  const step = 2 / 255;
  const c = Math.min(1, Math.max(-1, v));
  return -1 + Math.round((c + 1) / step) * step;
}

/**
 * |partial sums| of one array for one read, float64: Σ over the tile's input lines of
 * (W/w_max)·DAC(x), one per sample and sensed line.
 */
function absSums(
  u: Float32Array,
  cols: number,
  t: { rowBegin: number; rowEnd: number; colBegin: number; colEnd: number },
  transposed: boolean,
  x: Float32Array,
  ldx: number,
  n: number,
): number[] {
  const out: number[] = [];
  for (let s = 0; s < n; s++) {
    if (transposed) {
      for (let c = t.colBegin; c < t.colEnd; c++) {
        let acc = 0;
        for (let r = t.rowBegin; r < t.rowEnd; r++) acc += u[r * cols + c] * dac(x[s * ldx + r]);
        out.push(Math.abs(acc));
      }
    } else {
      for (let r = t.rowBegin; r < t.rowEnd; r++) {
        let acc = 0;
        for (let c = t.colBegin; c < t.colEnd; c++) acc += u[r * cols + c] * dac(x[s * ldx + c]);
        out.push(Math.abs(acc));
      }
    }
  }
  return out;
}

function nearestRank(v: number[], p: number): number {
  const a = [...v].sort((x, y) => x - y);
  return a[Math.min(a.length - 1, Math.max(0, Math.ceil((p / 100) * a.length) - 1))];
}

describe('the calibrate pass', () => {
  const b = batch(30);

  test.each([100, 99, 50])("percentile:%s sets every array's range per read kind to that percentile of |partial sum|", (p) => {
    const n = compileWith(chipWith(3), { kind: 'percentile', p }, b);
    const W = netlistParams(n);
    let checked = 0;
    for (const e of edgeTiles(n)) {
      const w = W.W[e.edge];
      const u = Float32Array.from(w.data, (v) => v / e.wMax);
      const toOut = e.edge === net.edges.length - 1;
      for (const t of e.weight) {
        const want: [AdcReadKind, number][] = [
          ['forward', nearestRank(absSums(u, e.cols, t, false, b.states[e.edge], e.cols, b.count), p)],
        ];
        if (t.reads.includes('transposed')) {
          const kind: AdcReadKind = toOut ? 'nudge' : 'transposed';
          const x = toOut ? b.error : b.states[e.edge + 1];
          want.push([kind, nearestRank(absSums(u, e.cols, t, true, x, e.rows, b.count), p)]);
        }
        for (const [kind, v] of want) {
          const got = adcRangeOf(t.gains, kind);
          expect(got.fullScale).toBeCloseTo(v, 5);
          expect(got.step).toBeCloseTo((2 * got.fullScale) / 63, 7);
          checked++;
        }
      }
    }
    // W0: 2×3 tiles forward; W1: 2×1 tiles forward + transposed; Wf: 1 tile forward + nudge.
    expect(checked).toBe(6 + 2 * 2 + 2);
    expect(validateNetlist(n, 'cal.pb').diagnostics).toEqual([]);
  });

  test("fixed: every range is the chip's full scale; an unbounded ADC stays unbounded under any policy", () => {
    const fixed = compileWith(chipWith(3), { kind: 'fixed' });
    for (const a of fixed.arrays) {
      expect([a.gains!.adcFullScaleForward, a.gains!.adcFullScaleTransposed, a.gains!.adcFullScaleNudge]).toEqual([3, 3, 3]);
      expect(a.gains!.adcStep).toBeCloseTo(6 / 63, 7);
    }
    const unbounded = compileWith(chipWith('unbounded', 'float'), { kind: 'percentile', p: 99 }, b);
    for (const a of unbounded.arrays)
      expect([a.gains!.adcFullScaleForward, a.gains!.adcStep, a.gains!.adcFullScaleNudge]).toEqual([0, 0, 0]);
  });

  test("the calibration batch is the engine's free phase: the input as given, e⁰ = y − p⁰ (rows sum to 0)", () => {
    const ds = syntheticDataset({ count: 25, dim: 20, classes: 4, seed: 2 });
    const c = calibrationInputs(net, params, ds, 25, kernels, 10);
    expect(c.count).toBe(25);
    expect(Array.from(c.states[0])).toEqual(Array.from(ds.images.subarray(0, 25 * 20)));
    expect(c.states.map((s) => s.length)).toEqual([25 * 20, 25 * 12, 25 * 8]);
    for (let s = 0; s < 25; s++) {
      let sum = 0;
      for (let k = 0; k < 4; k++) sum += c.error[s * 4 + k];
      expect(Math.abs(sum)).toBeLessThan(1e-5);
      expect(c.error[s * 4 + ds.labels[s]]).toBeGreaterThan(0);
    }
    // Hidden states are tanh outputs: inside (−1, 1) and not all zero.
    expect(c.states[1].some((v) => v !== 0)).toBe(true);
    expect(c.states[1].every((v) => Math.abs(v) < 1)).toBe(true);
  });
});

describe("the interpreter converts over the netlist's ranges and counts saturation", () => {
  const m = 16;
  // No input on a DAC rounding tie (0 is one: 255 steps over [−1, 1] have no zero code).
  const x = Float32Array.from({ length: m * 20 }, (_, i) => (((i * 37) % 101) + 0.3) / 101);
  const y = oneHotRows(
    Array.from({ length: m }, (_, i) => i % 4),
    4,
  );

  /**
   * W0's forward reads (the INPUT phase, once per sample) over range fs(tile): conversions, and the
   * clipped count bracketed by the sums clearly beyond fs and those within float32 rounding of it
   * (the chip sums in float32, this in float64).
   */
  function expectedW0(n: NetlistMsg, fs: (t: number) => number): { conversions: number; atLeast: number; atMost: number } {
    const e = edgeTiles(n)[0];
    const w = netlistParams(n).W[0];
    const u = Float32Array.from(w.data, (v) => v / e.wMax);
    let atLeast = 0,
      atMost = 0,
      conversions = 0;
    e.weight.forEach((t, k) => {
      const sums = absSums(u, e.cols, t, false, x, 20, m);
      conversions += sums.length;
      atLeast += sums.filter((v) => v > fs(k) * (1 + 1e-5)).length;
      atMost += sums.filter((v) => v > fs(k) * (1 - 1e-5)).length;
    });
    expect(atMost - atLeast).toBeLessThanOrEqual(3);
    return { conversions, atLeast, atMost };
  }

  function expectWithin(
    got: { conversions: number; clipped: number },
    want: { conversions: number; atLeast: number; atMost: number },
  ): void {
    expect(got.conversions).toBe(want.conversions);
    expect(got.clipped).toBeGreaterThanOrEqual(want.atLeast);
    expect(got.clipped).toBeLessThanOrEqual(want.atMost);
  }

  test("fixed ±0.4: W0's clipped forward conversions are exactly those beyond 0.4", () => {
    const n = compileWith(chipWith(0.4, 'float'), { kind: 'fixed' });
    const it = makeInterpreter(n, 1, kernels, m);
    it.infer(x, m);
    const sat = it.adcSaturation();
    const w0 = sat.find((s) => s.edge === 'W0' && s.read === 'forward')!;
    const want = expectedW0(n, () => 0.4);
    expect(want.atLeast).toBeGreaterThan(0);
    expect(want.atMost).toBeLessThan(want.conversions);
    expectWithin(w0, want);
    expect(w0.fraction).toBeCloseTo(w0.clipped / want.conversions, 12);
    // Inference carries no error: forward reads and W1's symmetric feedback only.
    expect(sat.map((s) => `${s.edge}:${s.read}`).sort()).toEqual(['W0:forward', 'W1:forward', 'W1:transposed', 'Wf:forward']);
    it.resetAdcSaturation();
    expect(it.adcSaturation()).toEqual([]);
  });

  test("an edit of one array's adc_full_scale_forward changes what that array clips, and only that", () => {
    const n = compileWith(chipWith(0.4, 'float'), { kind: 'fixed' });
    const first = edgeTiles(n)[0].weight[0].array;
    n.arrays[first].gains!.adcFullScaleForward = 0.9;
    const it = makeInterpreter(n, 1, kernels, m);
    it.infer(x, m);
    const w0 = it.adcSaturation().find((s) => s.edge === 'W0' && s.read === 'forward')!;
    const want = expectedW0(n, (k) => (k === 0 ? 0.9 : 0.4));
    expectWithin(w0, want);
    // The edit is felt: fewer clips than with tile 0 at 0.4.
    expect(want.atMost).toBeLessThan(expectedW0(n, () => 0.4).atLeast);
  });

  test('training counts the transposed and nudge reads of the kinds the schedule performs', () => {
    const n = compileWith(chipWith(0.05, 'float'), { kind: 'fixed' });
    const it = makeInterpreter(n, 1, kernels, m);
    it.step(x, y, m, []);
    const kinds = it
      .adcSaturation()
      .map((s) => `${s.edge}:${s.read}`)
      .sort();
    expect(kinds).toEqual(['W0:forward', 'W1:forward', 'W1:transposed', 'Wf:forward', 'Wf:nudge']);
    for (const s of it.adcSaturation()) expect(s.fraction).toBeCloseTo(s.clipped / s.conversions, 12);
  });
});

describe('ADC range fields are validated', () => {
  test('NET041: a step that is not 2·full_scale/(2^bits − 1); NET043: a NaN range', () => {
    const n = compileWith(chipWith(3), { kind: 'fixed' });
    n.arrays[1].gains!.adcStepNudge = 0.5;
    n.arrays[2].gains!.adcFullScaleTransposed = NaN;
    const ds = validateNetlist(n, 'bad.pb').diagnostics;
    const a = ds.find((d) => d.path === 'arrays.1.gains.adc_step_nudge')!;
    expect(a.code).toBe('NET041');
    expect(a.hint).toContain(`${Math.fround(6 / 63)}`);
    expect(ds.find((d) => d.path === 'arrays.2.gains.adc_full_scale_transposed')!.code).toBe('NET043');
  });
});

describe("noise management (abs-max): each sample's inputs span the DAC, the output is scaled back", () => {
  const chip = chipWith('unbounded', 'float');
  chip.periphery.adc.noiseManagement = 'abs-max';
  const plain = chipWith('unbounded', 'float');
  const m = 6;
  // Small inputs (|x| ≤ 0.02): a plain 8-bit DAC over [−1, 1] resolves them to a few codes.
  const r = makeRng(4);
  const x = Float32Array.from({ length: m * 20 }, () => 0.02 * (r.uniform() - 0.3));
  x.fill(0, 5 * 20, 6 * 20); // an all-zero sample: scale 1, output 0

  function readTile0(c: ChipDescription): { part: Float32Array; want: number[]; wantPlain: number[] } {
    const n = compileWith(c, { kind: 'fixed' });
    const arrays = new ChipArrays(edgeTiles(n), c, kernels, makeNoise(makeRng(1)), { driftSeconds: 0, pulseRounding: 'deterministic' });
    const t = edgeTiles(n)[0].weight[0];
    const lines = t.rowEnd - t.rowBegin;
    const part = new Float32Array(m * lines);
    arrays.read(t.array, false, x, 20, t.colBegin, m, part);
    arrays.rescale(t.array, part, m, lines);
    const e = edgeTiles(n)[0];
    const u = Float32Array.from(netlistParams(n).W[0].data, (v) => v / e.wMax);
    const want: number[] = [];
    const wantPlain: number[] = [];
    for (let s = 0; s < m; s++) {
      let mx = 0;
      for (let c2 = t.colBegin; c2 < t.colEnd; c2++) mx = Math.max(mx, Math.abs(x[s * 20 + c2]));
      const k = mx > 0 ? mx : 1;
      for (let r2 = t.rowBegin; r2 < t.rowEnd; r2++) {
        let a = 0,
          b = 0;
        for (let c2 = t.colBegin; c2 < t.colEnd; c2++) {
          a += u[r2 * 20 + c2] * dac(x[s * 20 + c2] / k);
          b += u[r2 * 20 + c2] * dac(x[s * 20 + c2]);
        }
        want.push(k * a);
        wantPlain.push(b);
      }
    }
    return { part, want, wantPlain };
  }

  test('the read equals max|x|·Σ u·DAC(x / max|x|) per sample (float64 reference); without it, Σ u·DAC(x)', () => {
    // Samples 0…4 (sample 5 is all zero, and 0 sits on a DAC rounding tie: 255 steps over [−1, 1]
    // have no zero code, so it reads ±half a step whichever way float32 rounds).
    const nm = readTile0(chip);
    const L = nm.part.length / m;
    nm.want.slice(0, 5 * L).forEach((v, i) => expect(nm.part[i]).toBeCloseTo(v, 6));
    const pl = readTile0(plain);
    pl.wantPlain.slice(0, 5 * L).forEach((v, i) => expect(pl.part[i]).toBeCloseTo(v, 6));
    // The exact product, and how far each read is from it: abs-max scaling is the closer by far.
    const exact = readTile0(chipWith('unbounded', 'float'));
    const n = compileWith(chip, { kind: 'fixed' });
    const e = edgeTiles(n)[0];
    const u = Float32Array.from(netlistParams(n).W[0].data, (v) => v / e.wMax);
    const t = e.weight[0];
    let errNm = 0,
      errPlain = 0,
      k = 0;
    for (let s = 0; s < 5; s++) {
      for (let r2 = t.rowBegin; r2 < t.rowEnd; r2++, k++) {
        let ex = 0;
        for (let c2 = t.colBegin; c2 < t.colEnd; c2++) ex += u[r2 * 20 + c2] * x[s * 20 + c2];
        errNm += (nm.part[k] - ex) ** 2;
        errPlain += (pl.part[k] - ex) ** 2;
      }
    }
    expect(exact.part.length).toBe(nm.part.length);
    expect(errNm).toBeLessThan(errPlain / 100);
    // The all-zero sample reads at most half a DAC step times Σ|u| of its line.
    const lines = t.rowEnd - t.rowBegin;
    for (let j = 5 * lines; j < 6 * lines; j++) {
      let su = 0;
      for (let c2 = t.colBegin; c2 < t.colEnd; c2++) su += Math.abs(u[(t.rowBegin + j - 5 * lines) * 20 + c2]);
      expect(Math.abs(nm.part[j])).toBeLessThanOrEqual((1 / 255) * su * (1 + 1e-5));
    }
  });
});

describe('calibration under noise management', () => {
  test('percentile:100 with abs-max: the largest |partial sum| of the abs-max-scaled inputs', () => {
    const b = batch(20);
    const c = chipWith(40);
    c.periphery.adc.noiseManagement = 'abs-max';
    const n = compileWith(c, { kind: 'percentile', p: 100 }, b);
    const e = edgeTiles(n)[1]; // W1: 12 → 8, read forward by h1 and transposed by h2
    const u = Float32Array.from(netlistParams(n).W[1].data, (v) => v / e.wMax);
    const scaled = (x: Float32Array, ld: number, a: number, z: number) => {
      const out = x.slice();
      for (let s = 0; s < b.count; s++) {
        let mx = 0;
        for (let i = a; i < z; i++) mx = Math.max(mx, Math.abs(x[s * ld + i]));
        for (let i = a; i < z; i++) out[s * ld + i] = mx > 0 ? x[s * ld + i] / mx : 0;
      }
      return out;
    };
    for (const t of e.weight) {
      const fw = Math.max(...absSums(u, 12, t, false, scaled(b.states[1], 12, t.colBegin, t.colEnd), 12, b.count));
      const tr = Math.max(...absSums(u, 12, t, true, scaled(b.states[2], 8, t.rowBegin, t.rowEnd), 8, b.count));
      expect(t.gains.adcFullScaleForward).toBeCloseTo(fw, 5);
      expect(t.gains.adcFullScaleTransposed).toBeCloseTo(tr, 5);
    }
  });
});

describe('bound management (iterative): a sample that clips is read again with its input halved', () => {
  const m = 16;
  const x = Float32Array.from({ length: m * 20 }, (_, i) => (((i * 37) % 101) + 0.3) / 101);
  const fs = 0.4;
  /** Per sample of W0's forward reads, per tile: the largest |partial sum| (float64). */
  function rowMaxima(n: NetlistMsg): number[][] {
    const e = edgeTiles(n)[0];
    const u = Float32Array.from(netlistParams(n).W[0].data, (v) => v / e.wMax);
    return e.weight.map((t) => {
      const sums = absSums(u, e.cols, t, false, x, 20, m);
      const lines = t.rowEnd - t.rowBegin;
      return Array.from({ length: m }, (_, s) => Math.max(...sums.slice(s * lines, (s + 1) * lines)));
    });
  }
  function chipBm(maxRereads: number): ChipDescription {
    const c = chipWith(fs, 'float');
    c.periphery.adc.boundManagement = 'iterative';
    c.periphery.adc.maxRereads = maxRereads;
    return c;
  }

  test('enough re-reads: nothing stays clipped; each clipping sample is re-read until DAC(x/2^k) fits', () => {
    const n = compileWith(chipBm(6), { kind: 'fixed' });
    const e = edgeTiles(n)[0];
    const u = Float32Array.from(netlistParams(n).W[0].data, (v) => v / e.wMax);
    // The re-read input is x/2^k through the DAC again: count halvings on exactly that.
    let want = 0,
      flaggedRows = 0;
    for (const t of e.weight) {
      const lines = t.rowEnd - t.rowBegin;
      const rowMax = (k: number) => {
        const xs = Float32Array.from(x, (v) => v / 2 ** k);
        const sums = absSums(u, e.cols, t, false, xs, 20, m);
        return Array.from({ length: m }, (_, s) => Math.max(...sums.slice(s * lines, (s + 1) * lines)));
      };
      const levels = [0, 1, 2, 3, 4, 5, 6].map(rowMax);
      for (let s = 0; s < m; s++) {
        // No sample within float32 rounding of the range (either decision would be right).
        for (const l of levels) expect(Math.abs(l[s] - fs)).toBeGreaterThan(1e-5);
        if (levels[0][s] <= fs) continue;
        flaggedRows++;
        let k = 1;
        while (levels[k][s] > fs) k++;
        want += k;
      }
    }
    expect(want).toBeGreaterThan(flaggedRows); // some need two halvings or more
    const it = makeInterpreter(n, 1, kernels, m);
    it.infer(x, m);
    const w0 = it.adcSaturation().find((s) => s.edge === 'W0' && s.read === 'forward')!;
    expect(w0.clipped).toBe(0);
    expect(w0.rereads).toBe(want);
  });

  test('each-side conversion: nothing stays clipped, and it re-reads at least as often as the difference', () => {
    // x ≥ 0 here, so both side sums are ≥ 0 and |G+ sum − G− sum| ≤ max(side sums): a sample whose
    // difference clips has a clipping side, and a side needs at least as many halvings.
    const reads = (pair: 'difference' | 'each-side') => {
      const c = chipBm(8);
      c.periphery.adc.pairConversion = pair;
      const it = makeInterpreter(compileWith(c, { kind: 'fixed' }), 1, kernels, m);
      it.infer(x, m);
      return it.adcSaturation().find((s) => s.edge === 'W0' && s.read === 'forward')!;
    };
    const diff = reads('difference');
    const sides = reads('each-side');
    expect(diff.rereads).toBeGreaterThan(0);
    expect(sides.clipped).toBe(0);
    expect(sides.rereads).toBeGreaterThanOrEqual(diff.rereads);
    expect(sides.conversions).toBe(2 * diff.conversions);
  });

  test('one re-read at most: what still exceeds the range after one halving stays clipped', () => {
    const n = compileWith(chipBm(1), { kind: 'fixed' });
    const flagged = rowMaxima(n)
      .flat()
      .filter((v) => v > fs).length;
    const e = edgeTiles(n)[0];
    const u = Float32Array.from(netlistParams(n).W[0].data, (v) => v / e.wMax);
    let stay = 0;
    for (const t of e.weight) {
      const sums = absSums(u, e.cols, t, false, x, 20, m);
      const lines = t.rowEnd - t.rowBegin;
      for (let s = 0; s < m; s++) {
        const row = sums.slice(s * lines, (s + 1) * lines);
        if (Math.max(...row) > fs) stay += row.filter((v) => v / 2 > fs).length;
      }
    }
    const it = makeInterpreter(n, 1, kernels, m);
    it.infer(x, m);
    const w0 = it.adcSaturation().find((s) => s.edge === 'W0' && s.read === 'forward')!;
    expect(w0.rereads).toBe(flagged);
    expect(stay).toBeGreaterThan(0);
    expect(w0.clipped).toBe(stay);
  });
});

describe('bound-management re-reads are priced (issue 13): the measured counts × the table = the reported extra energy', () => {
  const m = 16;
  const x = Float32Array.from({ length: m * 20 }, (_, i) => (((i * 37) % 101) + 0.3) / 101);
  test("each re-read drives its tile's input lines, reads the array once and converts its sensed lines", () => {
    const c = chipWith(0.4, 'float');
    c.periphery.adc.boundManagement = 'iterative';
    c.periphery.adc.maxRereads = 6;
    const n = compileWith(c, { kind: 'fixed' });
    const it = makeInterpreter(n, 1, kernels, m);
    it.infer(x, m);
    expect(it.samplesRun()).toBe(m);
    const sat = it.adcSaturation();
    const w0 = sat.find((s) => s.edge === 'W0' && s.read === 'forward')!;
    expect(w0.rereads).toBeGreaterThan(0);
    // Per tile, the re-reads each sample needs (halvings until DAC(x/2^k) fits, as above), times the
    // tile's driven lines (its columns) and sensed lines (its rows).
    const e0 = edgeTiles(n)[0];
    const u = Float32Array.from(netlistParams(n).W[0].data, (v) => v / e0.wMax);
    let driven = 0,
      sensed = 0,
      count = 0;
    for (const t of e0.weight) {
      const lines = t.rowEnd - t.rowBegin;
      const rowMax = (k: number) => {
        const sums = absSums(
          u,
          e0.cols,
          t,
          false,
          Float32Array.from(x, (v) => v / 2 ** k),
          20,
          m,
        );
        return Array.from({ length: m }, (_, s) => Math.max(...sums.slice(s * lines, (s + 1) * lines)));
      };
      const levels = [0, 1, 2, 3, 4, 5, 6].map(rowMax);
      for (let s = 0; s < m; s++) {
        if (levels[0][s] <= 0.4) continue;
        let k = 1;
        while (levels[k][s] > 0.4) k++;
        count += k;
        driven += k * (t.colEnd - t.colBegin);
        sensed += k * lines;
      }
    }
    expect(w0.rereads).toBe(count);
    expect(w0.rereadLinesDriven).toBe(driven);
    expect(w0.rereadLinesSensed).toBe(sensed);
    expect(new Set(e0.weight.map((t) => t.colEnd - t.colBegin)).size).toBeGreaterThan(1); // tiles of different widths

    const chip = chipFromMsg(n.chip!);
    const table = chipCosts(n, chip).actionTable;
    const rr = rereadCosts(chip, table, sat, it.samplesRun());
    const R = readsPerMvm(chip);
    const e = table.perAction;
    let rereads = 0,
      pj = 0;
    for (const s of sat) {
      rereads += s.rereads;
      const read = s.read === 'transposed' ? e.array_read_transposed : e.array_read;
      pj += R * (s.rereads * read.energyPj + s.rereadLinesDriven * e.dac_drive.energyPj + s.rereadLinesSensed * e.adc_conversion.energyPj);
      if (R > 1) pj += R * s.rereadLinesSensed * e.shift_add.energyPj;
    }
    expect(rr.rereads).toBe(rereads);
    expect(rr.actionCounts.array_read + rr.actionCounts.array_read_transposed).toBe(R * rereads);
    expect(rr.energyJoules).toBeCloseTo(pj * 1e-12, 18);
    expect(rr.energyJoules).toBeGreaterThan(0);
    expect(rr.perSample.energyJoules).toBeCloseTo(rr.energyJoules / m, 20);
    // Cycles: each re-read a serial ArrayRead + AdcConvert of its lines (hw-models/timing.ts).
    const lines = w0.rereadLinesSensed / w0.rereads;
    const onlyW0 = sat.filter((s) => s.rereads > 0).length === 1;
    if (onlyW0)
      expect(rr.cycles).toBeCloseTo(
        w0.rereads * (opCycles(chip, { opType: 'ArrayRead' }) + opCycles(chip, { opType: 'AdcConvert', lines })),
        9,
      );
  });

  test('no bound management: no re-reads, nothing priced', () => {
    const n = compileWith(chipWith(0.4, 'float'), { kind: 'fixed' });
    const it = makeInterpreter(n, 1, kernels, m);
    it.infer(x, m);
    const chip = chipFromMsg(n.chip!);
    const rr = rereadCosts(chip, chipCosts(n, chip).actionTable, it.adcSaturation(), it.samplesRun());
    expect(it.adcSaturation().some((s) => s.clipped > 0)).toBe(true);
    expect(rr.rereads).toBe(0);
    expect(rr.energyJoules).toBe(0);
    expect(rr.cycles).toBe(0);
  });
});

describe('fre inspect shows the ADC ranges', () => {
  test("per edge and read kind: [min, max] over the edge's arrays, as float32", () => {
    const n = compileWith(chipWith(3), { kind: 'percentile', p: 100 }, batch(20));
    const s = summarise(n);
    // Shown as the shortest decimal of the same float32.
    const same = (got: number[] | undefined, want: number[]) => got!.forEach((v, k) => expect(Math.fround(v)).toBe(Math.fround(want[k])));
    edgeTiles(n).forEach((e, i) => {
      const fw = e.weight.map((t) => t.gains.adcFullScaleForward);
      expect(Math.min(...fw)).toBeLessThan(Math.max(...fw) + (i === 0 ? 0 : 1)); // W0's tiles differ
      same(s.edges[i].adcRanges.forward, [Math.min(...fw), Math.max(...fw)]);
    });
    const wf = edgeTiles(n)[2].weight[0].gains.adcFullScaleNudge;
    same(s.edges[2].adcRanges.nudge, [wf, wf]);
    expect(s.edges[1].adcRanges.transposed).toBeDefined();
    expect(s.edges[0].adcRanges.transposed).toBeUndefined();
  });
});
