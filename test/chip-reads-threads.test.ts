/**
 * The chip's read path on several threads (native/noise.c addNormalVar, native/periphery.c readPrep and
 * adcConvertScaled): rows split into 8 fixed blocks, each with its own random stream keyed by one draw
 * of the chip's stream, so every output is a function of the seed alone, never of the thread count.
 * Also: the per-block streams still give standard normals (Kolmogorov–Smirnov, tails, blocks uncorrelated).
 */
import { execFileSync } from 'node:child_process';
import { compile } from '../compiler/pipeline';
import { syntheticDataset } from '../datasets/synthetic';
import { cloneParams, initParams } from '../graph/params';
import type { ChipDescription } from '../hw-models/chip';
import { PRESETS } from '../hw-models/presets';
import { ChipArrays } from '../simulator/chip/chip-arrays';
import { makeInterpreter, runOnChip } from '../simulator/chip/run';
import { loadNativeAddon, nativeAddonPath } from '../simulator/kernels/native';
import { addRowBias } from '../simulator/engine/edge-ops';
import { selectKernels } from '../simulator/kernels/select';
import { makeNoise } from '../simulator/noise';
import { makeGrads } from '../simulator/train';
import { makeRng } from '../util/rng';
import { bytesOf, withChipThreads, withChipThreadsAsync } from './helpers/native';
import { chainNet } from './helpers/nets';

const native = loadNativeAddon();
const run = native || process.env.CI ? describe : describe.skip;
const bytes = bytesOf;

const withThreads = <T>(threads: number, f: () => T): T => withChipThreads(native!, threads, f);
const withThreadsAsync = <T>(threads: number, f: () => Promise<T>): Promise<T> => withChipThreadsAsync(native!, threads, f);

/** The standard normal CDF (Abramowitz & Stegun 7.1.26 for erf, |error| < 1.5e-7). */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** Kolmogorov–Smirnov statistic of a sample against N(0, 1). */
function ksNormal(z: Float64Array): number {
  const s = Float64Array.from(z).sort();
  let d = 0;
  for (let i = 0; i < s.length; i++) {
    const f = phi(s[i]);
    d = Math.max(d, Math.abs(f - i / s.length), Math.abs((i + 1) / s.length - f));
  }
  return d;
}

run('chip reads on several threads: the same bytes for 1, 2 and 3 threads', () => {
  const m = 300; // rows: 8 blocks of 37–38
  const cols = 256; // m·cols = 76 800, above the size at which the calls start threads
  const r = makeRng(4);
  const rowVar = Float32Array.from({ length: m }, () => r.uniform() * 0.5);
  const elemVar = Float32Array.from({ length: m * cols }, () => r.uniform() - 0.1); // some ≤ 0: no draw there

  function noiseOut(threads: number, elem: boolean, seed = 7) {
    return withThreads(threads, () => {
      const out = new Float32Array(m * cols);
      const noise = makeNoise(makeRng(seed), 'native');
      noise.addNormalVar(out, m, cols, rowVar, elem ? elemVar : null, 0.01);
      noise.addNormalVar(out, m, cols, rowVar, elem ? elemVar : null, 0.01); // the chip stream advanced: new keys
      return { out, state: Uint32Array.from(noise.nativeState!) };
    });
  }

  test.each([false, true])('addNormalVar (per-element variance: %s)', (elem) => {
    const one = noiseOut(1, elem);
    expect(one.out.some((v) => v !== 0)).toBe(true);
    for (const threads of [2, 3]) {
      const many = noiseOut(threads, elem);
      expect(bytes(many.out).equals(bytes(one.out))).toBe(true);
      expect(Array.from(many.state)).toEqual(Array.from(one.state));
    }
    expect(bytes(noiseOut(2, elem, 8).out).equals(bytes(one.out))).toBe(false);
  });

  test('readPrep, adcConvertScaled and tableActivate', () => {
    const len = 200;
    const x = Float32Array.from({ length: m * (len + 3) }, () => (r.uniform() - 0.5) * 3);
    const P0 = Float32Array.from({ length: m * cols }, () => (r.uniform() - 0.5) * 40);
    const step = 2 / 255;
    const table = Float32Array.from({ length: 256 }, (_, i) => Math.tanh((i / 255) * 30 - 15));
    const prep = (threads: number) =>
      withThreads(threads, () => {
        const xs = new Float32Array(m * len);
        const scales = new Float32Array(m);
        const norms = new Float32Array(m);
        native!.readPrep!(x, m, len + 3, 2, len, true, 0.5, -1, 1, step, 0.3, xs, scales, norms);
        const P = P0.slice();
        const clipped = native!.adcConvertScaled!(P, m, cols, 12, 0.1, scales, 1.5);
        const act = new Float32Array(m * cols);
        native!.tableActivate(P, act, m * cols, table, -15, 255 / 30, true);
        return { xs, scales, norms, P, act, clipped };
      });
    const one = prep(1);
    expect(one.clipped).toBeGreaterThan(0);
    for (const threads of [2, 3]) {
      const many = prep(threads);
      for (const k of ['xs', 'scales', 'norms', 'P', 'act'] as const) expect(bytes(many[k]).equals(bytes(one[k]))).toBe(true);
      expect(many.clipped).toBe(one.clipped);
    }
  });

  // A whole training slice on the chip: read noise on every read, per-device variances (pcm), batch 128
  // so the hidden layers' reads (128 × 300 lines) run on threads.
  test.each(['reram', 'pcm'])('%s: a training epoch gives the same weights and losses', async (preset) => {
    const net = chainNet([196, 300, 10], 10, { betaI: 0.01, betaF: 0.1, T: 4, K: 2, batch: 128 });
    const data = {
      train: syntheticDataset({ count: 256, dim: 196, classes: 10, seed: 1 }),
      test: syntheticDataset({ count: 128, dim: 196, classes: 10, seed: 1, stream: 'test' }),
    };
    const p0 = initParams(net, makeRng(5));
    const netlist = compile(net, PRESETS[preset], cloneParams(p0), {
      wMax: { kind: 'max' },
      specFile: 'test',
      producerVersion: 'test',
    }).netlist;
    const epoch = (threads: number) =>
      withThreadsAsync(threads, async () => {
        const res = await runOnChip(netlist, data, { mode: 'train', epochs: 1, seed: 3, kernels: selectKernels('auto') });
        return { loss: res.epochs[0].trainLoss, acc: res.testAccuracy, W: res.interpreter.weights().map((w) => Float32Array.from(w)) };
      });
    const one = await epoch(1);
    expect(one.W[0].some((v, i) => v !== p0.W[0].data[i])).toBe(true); // training moved the devices
    for (const threads of [2, 3]) {
      const many = await epoch(threads);
      expect(many.loss).toBe(one.loss);
      expect(many.acc).toBe(one.acc);
      many.W.forEach((w, e) => expect(bytes(w).equals(bytes(one.W[e]))).toBe(true));
    }
  });
});

// The reads of one iteration side by side (ChipArrays.runReads, native readBatch: whole reads on the chip
// threads, each its GEMM on one BLAS thread, its noise keyed in read order, its conversion into its own
// buffer; the accumulation in program order): the bytes of the sequential reads (one chip thread).
run('reads side by side: the sequential reads\u2019 bytes', () => {
  // Two hidden layers of 300 on 256 × 256 tiles: the free phase reads W2's four tiles forward and then the
  // same four transposed (each array twice in one run), W1's two row tiles share one prepared input.
  const net = chainNet([196, 300, 300, 10], 10, { betaI: 0.01, betaF: 0.1, T: 4, K: 2, batch: 128 });
  const ds = syntheticDataset({ count: 3 * 128, dim: 196, classes: 10, seed: 2 });
  const p0 = initParams(net, makeRng(6));
  // The ideal chip with white read noise relative to the range: a float DAC and no noise management, so the
  // batch computes the per-row variances itself (readPrep does not run).
  const noisyIdeal: ChipDescription = JSON.parse(JSON.stringify(PRESETS.ideal));
  noisyIdeal.crossbar.readNoise = { sigma: 0.02, relativeTo: 'range' };
  const chips: Record<string, ChipDescription> = {
    reram: PRESETS.reram,
    pcm: PRESETS.pcm,
    ideal: PRESETS.ideal,
    'ideal + read noise': noisyIdeal,
  };

  /** Three training steps' loss, probabilities, gradients, states and ADC counts; and how many reads ran in batches. */
  function steps(chip: ChipDescription, threads: number, blasThreads = 1) {
    const prevBlas = native!.getThreads();
    native!.setThreads(blasThreads);
    const runReads = jest.spyOn(ChipArrays.prototype, 'runReads');
    try {
      return withThreads(threads, () => {
        const netlist = compile(net, chip, p0, { wMax: { kind: 'max' }, specFile: 'test', producerVersion: 'test' }).netlist;
        const it = makeInterpreter(netlist, 4, selectKernels('auto'), 128);
        const grads = makeGrads(net);
        const out: Buffer[] = [];
        const x = new Float32Array(128 * 196);
        const y = new Float32Array(128 * 10);
        for (let s = 0; s < 3; s++) {
          x.set(ds.images.subarray(s * 128 * 196, (s + 1) * 128 * 196));
          y.fill(0);
          for (let i = 0; i < 128; i++) y[i * 10 + ds.labels[s * 128 + i]] = 1;
          const { loss, probs } = it.step(x, y, 128, grads);
          out.push(Buffer.from(Float64Array.of(loss).buffer), Buffer.from(bytes(probs)));
          for (const g of grads) if (g) out.push(Buffer.from(bytes(g)));
          for (let gI = 1; gI < 4; gI++) out.push(Buffer.from(bytes(it.state(gI))));
        }
        out.push(Buffer.from(JSON.stringify(it.adcSaturation())));
        return { bytes: Buffer.concat(out), batches: runReads.mock.calls.length };
      });
    } finally {
      runReads.mockRestore();
      if (prevBlas > 0) native!.setThreads(prevBlas);
    }
  }

  test.each(Object.keys(chips))('%s: 2 and 3 chip threads (batched) give 1 thread\u2019s bytes', (name) => {
    const one = steps(chips[name], 1);
    expect(one.batches).toBe(0); // one chip thread: the sequential reads
    for (const threads of [2, 3]) {
      const many = steps(chips[name], threads);
      expect(many.batches).toBeGreaterThan(0);
      expect(many.bytes.equals(one.bytes)).toBe(true);
    }
  });

  test('another seed of the chip stream gives other bytes (the comparison can fail)', () => {
    const a = steps(PRESETS.reram, 2);
    const other = { ...PRESETS.reram, crossbar: { ...PRESETS.reram.crossbar, readNoise: { sigma: 0.011, relativeTo: 'range' as const } } };
    expect(steps(other, 2).bytes.equals(a.bytes)).toBe(false);
  });

  test('with several BLAS threads the chip still reads on one BLAS thread: batched, the same bytes, the count restored', () => {
    if (native!.getThreads() < 0) return; // a CBLAS without OpenBLAS's thread control: nothing to check
    const one = steps(PRESETS.reram, 1, 1);
    const two = steps(PRESETS.reram, 2, 2);
    expect(two.batches).toBeGreaterThan(0);
    expect(two.bytes.equals(one.bytes)).toBe(true);
    expect(steps(PRESETS.reram, 1, 2).bytes.equals(one.bytes)).toBe(true);
    // withOneBlasThread restores the caller's count (the ideal executor in the same process keeps its threads).
    const prev = native!.getThreads();
    native!.setThreads(2);
    try {
      const it = makeInterpreter(
        compile(net, PRESETS.reram, p0, { wMax: { kind: 'max' }, specFile: 'test', producerVersion: 'test' }).netlist,
        4,
        selectKernels('auto'),
        8,
      );
      it.infer(new Float32Array(8 * 196), 8);
      expect(native!.getThreads()).toBe(2);
    } finally {
      native!.setThreads(prev);
    }
  });

  test('a run of more reads than one readBatch takes (256): in slices, the sequential reads\u2019 bytes', () => {
    // 32 × 32 arrays: W1 (500 × 500) alone is 256 tiles, read forward and transposed in the free phase's runs.
    const big = chainNet([196, 500, 500, 10], 10, { betaI: 0.01, betaF: 0.1, T: 2, K: 1, batch: 16 });
    const chip: ChipDescription = JSON.parse(JSON.stringify(PRESETS.reram));
    chip.crossbar.rows = 32;
    chip.crossbar.cols = 32;
    const netlist = compile(big, chip, initParams(big, makeRng(6)), {
      wMax: { kind: 'max' },
      specFile: 'test',
      producerVersion: 'test',
    }).netlist;
    const x = Float32Array.from(ds.images.subarray(0, 16 * 196));
    const y = new Float32Array(16 * 10);
    for (let i = 0; i < 16; i++) y[i * 10 + ds.labels[i]] = 1;
    const go = (threads: number) => {
      const runReads = jest.spyOn(ChipArrays.prototype, 'runReads');
      const prevBlas = native!.getThreads();
      native!.setThreads(1);
      try {
        return withThreads(threads, () => {
          const it = makeInterpreter(netlist, 4, selectKernels('auto'), 16);
          const grads = makeGrads(big);
          const { loss, probs } = it.step(x, y, 16, grads);
          const longest = Math.max(0, ...runReads.mock.results.map((r) => (r.value as number[]).length));
          const out = [Buffer.from(Float64Array.of(loss).buffer), Buffer.from(bytes(probs))];
          for (const g of grads) if (g) out.push(Buffer.from(bytes(g)));
          return { bytes: Buffer.concat(out), longest };
        });
      } finally {
        runReads.mockRestore();
        if (prevBlas > 0) native!.setThreads(prevBlas);
      }
    };
    const one = go(1);
    const two = go(2);
    expect(two.longest).toBeGreaterThan(256);
    expect(two.bytes.equals(one.bytes)).toBe(true);
  });

  test('an empty batch (m = 0) takes no noise key from the chip stream, as the sequential reads: the next batch\u2019s bytes', () => {
    const netlist = compile(net, PRESETS.reram, p0, { wMax: { kind: 'max' }, specFile: 'test', producerVersion: 'test' }).netlist;
    const x = Float32Array.from(ds.images.subarray(0, 16 * 196));
    const go = (threads: number) => {
      const prevBlas = native!.getThreads();
      native!.setThreads(1);
      try {
        return withThreads(threads, () => {
          const it = makeInterpreter(netlist, 4, selectKernels('auto'), 16);
          it.infer(x, 0);
          return Buffer.from(bytes(it.infer(x, 16)));
        });
      } finally {
        if (prevBlas > 0) native!.setThreads(prevBlas);
      }
    };
    expect(go(2).equals(go(1))).toBe(true);
  });

  test('readBatch rejects buffers too short for the reads it is given, naming them', () => {
    const nums = new Float64Array(16);
    // n 4, ld 8, off 0, iLen 8, oLen 8, forward, W at 0 with ld 8, α 1, no noise, normK 0, constVar 0, fs 0, step 0, gain 1.
    nums.set([4, 8, 0, 8, 8, 0, 0, 8, 1, 0, 0, 0, 0, 0, 1, 0]);
    const E = new Float32Array(0);
    const call = (P: Float32Array) =>
      native!.readBatch!(new Uint32Array(8), [new Float32Array(32), new Float32Array(64), P, E, E], nums, 1, [], new Float64Array(0), 0);
    expect(() => call(new Float32Array(31))).toThrow(/readBatch: P is shorter than n·oLen/);
    call(new Float32Array(32));
    expect(() => native!.readBatch!(new Uint32Array(8), [], nums, 1, [], new Float64Array(0), 0)).toThrow(/bufs is shorter/);
    expect(() => native!.readBatch!(new Uint32Array(8), [], nums, 0, [], new Float64Array(10), 1)).toThrow(/prepBufs is shorter/);
  });
});

run('neuronUpdate: the bytes of activate, a copy, quantize and a fill, on any thread count', () => {
  const n = 500 * 96; // above the size at which the call starts threads; not a multiple of 8 blocks of 16
  const r = makeRng(21);
  const h0 = Float32Array.from({ length: n }, () => (r.uniform() - 0.5) * 6);
  test.each([
    [0, 8],
    [1, 8],
    [2, 'float'],
  ] as const)('kind %d, state bits %s', (kind, bits) => {
    const [lo, hi] = [-1, 1];
    const step = bits === 'float' ? 0 : (hi - lo) / (2 ** bits - 1);
    // The separate calls NeuronUnit.apply made before (one thread).
    const ref = new Float32Array(n);
    native!.activate(kind, h0, ref, n);
    const refPre = ref.slice();
    if (step > 0) native!.quantize(ref, ref, n, lo, hi, step);
    expect(refPre.some((v, i) => v !== ref[i])).toBe(step > 0);
    for (const threads of [1, 2, 3]) {
      const h = h0.slice();
      const s = new Float32Array(n);
      const pre = new Float32Array(n);
      withThreads(threads, () => native!.neuronUpdate!(kind, h, s, n, pre, lo, hi, step, true));
      expect(bytes(s).equals(bytes(ref))).toBe(true);
      expect(bytes(pre).equals(bytes(refPre))).toBe(true);
      expect(h.every((v) => v === 0)).toBe(true);
      // Without pre and clear: h untouched.
      const h2 = h0.slice();
      const s2 = new Float32Array(n);
      withThreads(threads, () => native!.neuronUpdate!(kind, h2, s2, n, new Float32Array(0), lo, hi, step, false));
      expect(bytes(s2).equals(bytes(ref))).toBe(true);
      expect(bytes(h2).equals(bytes(h0))).toBe(true);
    }
  });

  test.each([0, 1])('heldNeuronUpdate, kind %d: adcAccumulate(held) then neuronUpdate, on any thread count', (kind) => {
    const [lo, hi, step] = [-1, 1, 2 / 255];
    const held = Float32Array.from({ length: n }, () => (r.uniform() - 0.5) * 2);
    // The separate calls: the held drive's Accumulate (as the interpreter adds it), then the update.
    const hRef = h0.slice();
    native!.adcAccumulate(held, 1, n, hRef, 0, n, 1, 0, 0);
    const ref = new Float32Array(n);
    const refPre = new Float32Array(n);
    native!.neuronUpdate!(kind, hRef, ref, n, refPre, lo, hi, step, true);
    const unheld = new Float32Array(n);
    native!.neuronUpdate!(kind, h0.slice(), unheld, n, new Float32Array(0), lo, hi, step, true);
    expect(bytes(unheld).equals(bytes(ref))).toBe(false); // the held drive changes the states
    for (const threads of [1, 2, 3]) {
      const h = h0.slice();
      const s = new Float32Array(n);
      const pre = new Float32Array(n);
      withThreads(threads, () => native!.heldNeuronUpdate!(kind, h, s, n, pre, lo, hi, step, true, held));
      expect(bytes(s).equals(bytes(ref))).toBe(true);
      expect(bytes(pre).equals(bytes(refPre))).toBe(true);
      expect(h.every((v) => v === 0)).toBe(true);
    }
    expect(() =>
      native!.heldNeuronUpdate!(kind, h0.slice(), new Float32Array(n), n, new Float32Array(0), lo, hi, step, true, held.subarray(1)),
    ).toThrow(/exceeds/);
    expect(() => native!.heldNeuronUpdate!(kind, held, new Float32Array(n), n, new Float32Array(0), lo, hi, step, true, held)).toThrow(
      /of its own/,
    );
  });

  test('rejects a kind it does not know and a buffer too short', () => {
    const b = new Float32Array(8);
    expect(() => native!.neuronUpdate!(3, b, new Float32Array(8), 8, new Float32Array(0), -1, 1, 0, false)).toThrow(/neuronUpdate: kind/);
    expect(() => native!.neuronUpdate!(0, b, new Float32Array(4), 8, new Float32Array(0), -1, 1, 0, false)).toThrow(/exceeds/);
  });
});

run('addRowBias natively: edge-ops.ts addRowBias\u2019s bytes on any thread count', () => {
  test.each([1, 4])('per %d', (per) => {
    const m = 300;
    const R = 130; // m·R·per ≥ 32 768 for per 4 (threads), below for per 1
    const r = makeRng(31);
    const out0 = Float32Array.from({ length: m * R * per }, () => (r.uniform() - 0.5) * 3);
    const bias = Float32Array.from({ length: R }, () => (r.uniform() - 0.5) * 0.2);
    const scale = 0.3; // not exact in float: v = scale·bias[r] is a double the float sum then rounds once
    const ref = out0.slice();
    addRowBias(ref, bias, m, R, per, scale);
    // The double arithmetic matters: adding v rounded to float first gives other bytes somewhere.
    const viaFloat = out0.slice();
    for (let i = 0; i < viaFloat.length; i++) viaFloat[i] += Math.fround(scale * bias[Math.floor(i / per) % R]);
    expect(bytes(viaFloat).equals(bytes(ref))).toBe(false);
    for (const threads of [1, 2, 3]) {
      const out = out0.slice();
      withThreads(threads, () => native!.addRowBias!(out, bias, m, R, per, scale));
      expect(bytes(out).equals(bytes(ref))).toBe(true);
    }
    expect(() => native!.addRowBias!(new Float32Array(10), bias, m, R, per, scale)).toThrow(/addRowBias: /);
  });
});

run('the read path\u2019s per-block normal streams', () => {
  // One call of 64 rows × 4 096 lines (8 blocks of 8 rows, each its own stream), σ² per row.
  const m = 64;
  const cols = 4096;
  const rowVar = Float32Array.from({ length: m }, (_, r) => 0.25 + (r % 5));
  const out = new Float32Array(m * cols);
  makeNoise(makeRng(12), 'native').addNormalVar(out, m, cols, rowVar, null, 0);
  const z = Float64Array.from(out, (v, i) => v / Math.sqrt(rowVar[Math.floor(i / cols)]));

  test('standardised draws pass Kolmogorov–Smirnov against N(0, 1); a 5 % wrong σ would not', () => {
    // Critical value at p = 0.001: 1.95 / √n (n = 262 144: 0.0038).
    const crit = 1.95 / Math.sqrt(z.length);
    expect(ksNormal(z)).toBeLessThan(crit);
    expect(ksNormal(z.map((v) => v * 1.05))).toBeGreaterThan(crit);
  });

  test('per-element variances (the pcm path): standardised draws pass Kolmogorov–Smirnov too', () => {
    const r = makeRng(13);
    const ev = Float32Array.from({ length: m * cols }, () => 0.05 + r.uniform() * 3);
    const o = new Float32Array(m * cols);
    makeNoise(makeRng(14), 'native').addNormalVar(o, m, cols, rowVar, ev, 0.01);
    const ze = Float64Array.from(o, (v, i) => v / Math.sqrt(rowVar[Math.floor(i / cols)] + ev[i] + 0.01));
    const crit = 1.95 / Math.sqrt(ze.length);
    expect(ksNormal(ze)).toBeLessThan(crit);
    expect(ksNormal(ze.map((v) => v * 1.05))).toBeGreaterThan(crit);
  });

  test('tails: P(|z| > 3.5) = 4.65e-4 (the ziggurat’s base strip starts at 3.44)', () => {
    let k = 0;
    for (const v of z) if (Math.abs(v) > 3.5) k++;
    const want = 4.653e-4 * z.length; // ≈ 122, binomial sd ≈ 11
    expect(Math.abs(k - want)).toBeLessThan(5 * Math.sqrt(want));
  });

  test('rows of different blocks are uncorrelated, and no two blocks repeat a stream', () => {
    const row = (r: number) => z.subarray(r * cols, (r + 1) * cols);
    for (const [a, b] of [
      [0, 8],
      [7, 8],
      [3, 63],
    ]) {
      const x = row(a);
      const y = row(b);
      let s = 0;
      for (let i = 0; i < cols; i++) s += x[i] * y[i];
      expect(Math.abs(s / cols)).toBeLessThan(5 / Math.sqrt(cols));
    }
    const firsts = new Set(Array.from({ length: 8 }, (_, b) => out[b * 8 * cols]));
    expect(firsts.size).toBe(8);
  });
});

run('the read path\u2019s 16-lane normals: AVX-512 and plain C give the same bytes', () => {
  // The kernel is chosen once per process (FRE_NORMALS=generic forces the plain C one), so each runs in
  // a child process; 37 rows of 1 000 lines (not a multiple of 16: the tail steps too), a call with one σ
  // per row and one with per-element variances (some ≤ 0).
  const script = `
    const a = require(${JSON.stringify(nativeAddonPath())});
    const m = 37, cols = 1000, o = new Float32Array(m * cols), st = new Uint32Array(8).fill(9);
    const rv = new Float32Array(m).map((_, i) => i % 4);
    const ev = new Float32Array(m * cols).map((_, i) => ((i * 7919) % 13) / 8 - 0.4);
    a.addNormalVar(st, o, m, cols, rv, new Float32Array(0), 0.01);
    a.addNormalVar(st, o, m, cols, rv, ev, 0.01);
    process.stdout.write(Buffer.from(o.buffer).toString('base64'));`;
  const out = (env: Record<string, string>) =>
    execFileSync(process.execPath, ['-e', script], { env: { ...process.env, ...env } }).toString();
  test('byte-equal outputs', () => {
    const fast = out({});
    const generic = out({ FRE_NORMALS: 'generic' });
    expect(fast.length).toBeGreaterThan(1000);
    expect(generic).toBe(fast);
  });
});

describe('ChipArrays.withOneBlasThread', () => {
  /** A stand-in for the addon's thread controls: OpenBLAS's count, and conv.c's layout threads, which are
   *  decided once per process from that count at the first layout call (share_mode) and kept. */
  function fakeNative(blas: number) {
    const s = { blas, layout: 0 };
    const native = {
      getThreads: () => s.blas,
      setThreads: (n: number) => ((s.blas = n), true),
      layoutThreads: () => (s.layout ||= s.blas >= 2 ? 2 : 1),
    };
    return { s, self: Object.assign(Object.create(ChipArrays.prototype) as object, { native }) as ChipArrays };
  }

  test('a chip run that makes the first conv layout call does not fix the layout at one thread for the process', () => {
    const { s, self } = fakeNative(2);
    // f stands for a step on a conv net: its first im2row decides the layout threads.
    const got = self.withOneBlasThread(() => [s.blas, self.native!.layoutThreads!()]);
    expect(got[0]).toBe(1); // the chip ran on one BLAS thread
    expect(s.layout).toBe(2); // the process's count (2) decided the layout, as without the chip run
    expect(s.blas).toBe(2);
  });

  test('the BLAS count comes back after an exception, and a nested call leaves it to the outer one', () => {
    const { s, self } = fakeNative(3);
    expect(() =>
      self.withOneBlasThread(() => {
        self.withOneBlasThread(() => expect(s.blas).toBe(1));
        expect(s.blas).toBe(1);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(s.blas).toBe(3);
  });
});
