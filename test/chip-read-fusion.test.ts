/**
 * The chip read path's fused kernels give the bytes of the passes they replace:
 * - normalVarBegin (the read noise drawn on the chip threads while the GEMM runs) then
 *   adcConvertAccumulate(…, noise) = addNormalVar, adcConvertScaled, adcAccumulate; normalVarSettle =
 *   addNormalVar; for 2 and 3 threads (with one thread, or a small read, begin declines and draws nothing);
 * - normalVarDefer (the key taken, the draws made row by row by the conversion) then adcConvertAccumulate(…,
 *   noise) = the same three passes; normalVarSettle after it = addNormalVar;
 * - the interpreter with them (and the prepared inputs shared by arrays reading one slice, the all-zero
 *   reads without a GEMM, and the held drives folded into the neuron updates) = the interpreter with all
 *   of them removed (the separate passes, a readPrep and a GEMM per read), on reram, pcm and the ideal chip.
 */
import { compile } from '../compiler/pipeline';
import { syntheticDataset } from '../datasets/synthetic';
import { initParams } from '../graph/params';
import { PRESETS } from '../hw-models/presets';
import type { NetlistInterpreter } from '../simulator/chip/interpreter';
import { makeInterpreter } from '../simulator/chip/run';
import { loadNativeAddon } from '../simulator/kernels/native';
import { selectKernels } from '../simulator/kernels/select';
import { makeNoise } from '../simulator/noise';
import { makeGrads } from '../simulator/train';
import { makeRng } from '../util/rng';
import { bytesOf, withChipThreads } from './helpers/native';
import { chainNet } from './helpers/nets';

const native = loadNativeAddon();
const run = native?.normalVarBegin || process.env.CI ? describe : describe.skip;
const EMPTY = new Float32Array(0);

run('normalVarBegin + adcConvertAccumulate: the bytes of addNormalVar, adcConvertScaled and adcAccumulate', () => {
  const m = 300; // 8 blocks of 37–38 rows
  const cols = 256; // m·cols above the size at which the calls use the threads
  const r = makeRng(11);
  const rowVar = Float32Array.from({ length: m }, () => r.uniform() * 0.5);
  const elemVar = Float32Array.from({ length: m * cols }, () => r.uniform() - 0.1); // some ≤ 0: no draw there
  const P0 = Float32Array.from({ length: m * cols }, () => (r.uniform() - 0.5) * 8);
  const scales = Float32Array.from({ length: m }, () => 0.5 + r.uniform());
  const ld = cols + 40;
  const dst0 = Float32Array.from({ length: m * ld }, () => r.uniform() - 0.5);

  test.each([
    [false, 3, 0.05],
    [true, 3, 0.05],
    [false, 0, 0], // unbounded, float ADC: the noise and the scale only
  ])('per-element variance %s, full scale %d, step %d', (elem, fs, step) => {
    const ev = elem ? elemVar : EMPTY;
    // The separate passes: noise into the partial sums, the ADC and rescale, the accumulation.
    const noise = makeNoise(makeRng(3), 'native');
    const P = Float32Array.from(P0);
    noise.addNormalVar(P, m, cols, rowVar, elem ? elemVar : null, 0.01);
    const clipped = native!.adcConvertScaled!(P, m, cols, fs, step, scales, 1.25);
    const dst = Float32Array.from(dst0);
    native!.adcAccumulate(P, m, cols, dst, 20, ld, 0.75, 0, 0);
    if (fs > 0) expect(clipped).toBeGreaterThan(0);
    expect(dst.some((v, i) => v !== dst0[i])).toBe(true);
    withChipThreads(native!, 1, () => {
      const n1 = makeNoise(makeRng(3), 'native');
      const before = Array.from(n1.nativeState!);
      expect(native!.normalVarBegin!(n1.nativeState!, new Float32Array(m * cols), m, cols, rowVar, ev, 0.01)).toBe(false);
      expect(Array.from(n1.nativeState!)).toEqual(before); // declined: nothing drawn
    });
    withChipThreads(native!, 2, () => {
      const n1 = makeNoise(makeRng(3), 'native');
      expect(native!.normalVarBegin!(n1.nativeState!, new Float32Array(64), 8, 8, rowVar, EMPTY, 0.01)).toBe(false); // too small
    });
    for (const threads of [2, 3]) {
      withChipThreads(native!, threads, () => {
        const n2 = makeNoise(makeRng(3), 'native');
        const nz = new Float32Array(m * cols).fill(7); // stale values: the begin zeroes them
        expect(native!.normalVarBegin!(n2.nativeState!, nz, m, cols, rowVar, ev, 0.01)).toBe(true);
        const Q = Float32Array.from(P0);
        const d2 = Float32Array.from(dst0);
        const c2 = native!.adcConvertAccumulate!(Q, m, cols, fs, step, scales, 1.25, d2, 20, ld, 0.75, nz);
        expect(c2).toBe(clipped);
        expect(bytesOf(d2).equals(bytesOf(dst))).toBe(true);
        expect(bytesOf(Q).equals(bytesOf(P0))).toBe(true); // the partial sums are left as they were
        expect(Array.from(n2.nativeState!)).toEqual(Array.from(noise.nativeState!)); // one key drawn, as addNormalVar
      });
    }
  });

  test.each([
    [false, 3, 0.05, 1],
    [true, 3, 0.05, 1],
    [false, 0, 0, 1],
    [false, 3, 0.05, 2], // called directly at a size the threads take: the deferred rows run on the workers
  ])(
    'normalVarDefer (per-element variance %s, full scale %d, step %d, %d threads): the rows drawn by the conversion',
    (elem, fs, step, threads) => {
      const ev = elem ? elemVar : EMPTY;
      const noise = makeNoise(makeRng(4), 'native');
      const P = Float32Array.from(P0);
      noise.addNormalVar(P, m, cols, rowVar, elem ? elemVar : null, 0.01);
      const clipped = native!.adcConvertScaled!(P, m, cols, fs, step, scales, 1.25);
      const dst = Float32Array.from(dst0);
      native!.adcAccumulate(P, m, cols, dst, 20, ld, 0.75, 0, 0);
      withChipThreads(native!, threads, () => {
        const n2 = makeNoise(makeRng(4), 'native');
        const nz = new Float32Array(m * cols).fill(7);
        expect(native!.normalVarDefer!(n2.nativeState!, nz, m, cols, rowVar, ev, 0.01)).toBe(true);
        expect(Array.from(n2.nativeState!)).toEqual(Array.from(noise.nativeState!)); // the key taken now, as addNormalVar
        const Q = Float32Array.from(P0);
        const d2 = Float32Array.from(dst0);
        expect(native!.adcConvertAccumulate!(Q, m, cols, fs, step, scales, 1.25, d2, 20, ld, 0.75, nz)).toBe(clipped);
        expect(bytesOf(d2).equals(bytesOf(dst))).toBe(true);
        expect(bytesOf(Q).equals(bytesOf(P0))).toBe(true); // the partial sums are left as they were
        expect(nz.every((v) => v === 7)).toBe(true); // the buffer only names the job
        // Consumed: the same call again is a plain conversion with nz (all 7) as its noise.
        const d3 = Float32Array.from(dst0);
        native!.adcConvertAccumulate!(Q, m, cols, fs, step, scales, 1.25, d3, 20, ld, 0.75, nz);
        expect(bytesOf(d3).equals(bytesOf(dst))).toBe(false);
      });
    },
  );

  test('normalVarDefer then normalVarSettle: addNormalVar\u2019s bytes in place; n = 0 drops the draws; one at a time', () => {
    const noise = makeNoise(makeRng(9), 'native');
    const P = Float32Array.from(P0);
    noise.addNormalVar(P, m, cols, rowVar, null, 0.02);
    withChipThreads(native!, 1, () => {
      const n2 = makeNoise(makeRng(9), 'native');
      const nz = new Float32Array(m * cols);
      expect(native!.normalVarDefer!(n2.nativeState!, nz, m, cols, rowVar, EMPTY, 0.02)).toBe(true);
      expect(() => native!.normalVarDefer!(n2.nativeState!, nz, m, cols, rowVar, EMPTY, 0.02)).toThrow(/pending/);
      const Q = Float32Array.from(P0);
      native!.normalVarSettle!(Q, nz, m * cols);
      expect(bytesOf(Q).equals(bytesOf(P))).toBe(true);
      expect(native!.normalVarDefer!(n2.nativeState!, nz, 0, cols, rowVar, EMPTY, 0.02)).toBe(false); // nothing to draw
      expect(native!.normalVarDefer!(n2.nativeState!, nz, m, cols, rowVar, EMPTY, 0.02)).toBe(true);
      const R = Float32Array.from(P0);
      native!.normalVarSettle!(R, nz, 0);
      expect(bytesOf(R).equals(bytesOf(P0))).toBe(true);
      expect(native!.normalVarDefer!(n2.nativeState!, nz, m, cols, rowVar, EMPTY, 0.02)).toBe(true); // dropped: none pending
      native!.normalVarSettle!(R, nz, 0);
    });
  });

  test('normalVarSettle adds the started draws: addNormalVar\u2019s bytes', () => {
    const noise = makeNoise(makeRng(9), 'native');
    const P = Float32Array.from(P0);
    noise.addNormalVar(P, m, cols, rowVar, null, 0.02);
    for (const threads of [2, 3]) {
      withChipThreads(native!, threads, () => {
        const n2 = makeNoise(makeRng(9), 'native');
        const nz = new Float32Array(m * cols);
        expect(native!.normalVarBegin!(n2.nativeState!, nz, m, cols, rowVar, EMPTY, 0.02)).toBe(true);
        const Q = Float32Array.from(P0);
        native!.normalVarSettle!(Q, nz, m * cols);
        expect(bytesOf(Q).equals(bytesOf(P))).toBe(true);
      });
    }
    // And a different seed gives different noise (the comparison can fail).
    withChipThreads(native!, 2, () => {
      const n3 = makeNoise(makeRng(10), 'native');
      const nz = new Float32Array(m * cols);
      native!.normalVarBegin!(n3.nativeState!, nz, m, cols, rowVar, EMPTY, 0.02);
      const Q = Float32Array.from(P0);
      native!.normalVarSettle!(Q, nz, m * cols);
      expect(bytesOf(Q).equals(bytesOf(P))).toBe(false);
    });
  });

  test('a pool job started while a begin is pending finishes it first (no lost or mixed draws)', () => {
    const noise = makeNoise(makeRng(5), 'native');
    const P = Float32Array.from(P0);
    noise.addNormalVar(P, m, cols, rowVar, null, 0.01);
    withChipThreads(native!, 2, () => {
      const n2 = makeNoise(makeRng(5), 'native');
      const nz = new Float32Array(m * cols);
      expect(native!.normalVarBegin!(n2.nativeState!, nz, m, cols, rowVar, EMPTY, 0.01)).toBe(true);
      // readPrep runs on the pool too: it must wait for the pending draws, not interleave with them.
      const x = Float32Array.from({ length: m * cols }, (_, i) => Math.sin(i));
      native!.readPrep!(x, m, cols, 0, cols, true, 1, -1, 1, 0, 0, new Float32Array(m * cols), new Float32Array(m), new Float32Array(m));
      const Q = Float32Array.from(P0);
      native!.normalVarSettle!(Q, nz, m * cols);
      expect(bytesOf(Q).equals(bytesOf(P))).toBe(true);
    });
  });
});

run('the interpreter: fused reads give the bytes of the separate passes', () => {
  // W1 is 300 × 196 on 256 × 256 tiles: two row tiles read the same input slice (shared prepared input).
  const net = chainNet([196, 300, 10], 10, { betaI: 0.01, betaF: 0.1, T: 4, K: 2, batch: 128 });
  const ds = syntheticDataset({ count: 128, dim: 196, classes: 10, seed: 2 });
  const x = ds.images.subarray(0, 128 * 196);
  const y = new Float32Array(128 * 10);
  for (let i = 0; i < 128; i++) y[i * 10 + ds.labels[i]] = 1;
  const p0 = initParams(net, makeRng(6));

  function steps(preset: string, fused: boolean, threads: number) {
    return withChipThreads(native!, threads, () => {
      const netlist = compile(net, PRESETS[preset], p0, { wMax: { kind: 'max' }, specFile: 'test', producerVersion: 'test' }).netlist;
      const it: NetlistInterpreter = makeInterpreter(netlist, 4, selectKernels('auto'), 128);
      if (!fused) {
        // The addon without the fused kernels: the interpreter falls back to the separate passes.
        const {
          adcConvertAccumulate: _a,
          normalVarBegin: _b,
          normalVarSettle: _c,
          normalVarDefer: _d,
          heldNeuronUpdate: _e,
          ...rest
        } = native!;
        Object.defineProperty(it.chip, 'native', { value: rest });
        // And no held drive folded into the neuron update (the interpreter plans that at construction).
        Object.defineProperty(it.chip.neuron, 'native', { value: rest });
        for (const ph of (it as unknown as { plans: { ops: { held: unknown; folded: boolean }[] }[] }).plans)
          for (const op of ph.ops) [op.held, op.folded] = [null, false];
        // And the read path as it was before them: every read prepares its own input (no buffer version,
        // so no shared prepared input) and runs its GEMM even on an all-zero input.
        const chip = it.chip;
        const read = chip.read.bind(chip);
        Object.defineProperty(chip, 'read', {
          value: (...a: Parameters<typeof chip.read>) => read(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10]),
        });
        Object.defineProperty(chip, 'gemmOrZero', {
          value: (mm: (a: number, M: Float32Array, out: Float32Array) => void, ...rest: unknown[]) => {
            const dev = rest[6] as { wMax: number; readWeights(): Float32Array };
            mm(1 / dev.wMax, dev.readWeights(), rest[7] as Float32Array);
          },
        });
      }
      const grads = makeGrads(net);
      const out: Buffer[] = [];
      for (let s = 0; s < 2; s++) {
        const { loss, probs } = it.step(x, y, 128, grads);
        out.push(Buffer.from(Float64Array.of(loss).buffer), Buffer.from(bytesOf(probs)));
        for (const g of grads) if (g) out.push(Buffer.from(bytesOf(g)));
        for (let gI = 1; gI < 3; gI++) out.push(Buffer.from(bytesOf(it.state(gI))));
      }
      return Buffer.concat(out);
    });
  }

  test.each(['reram', 'pcm', 'ideal'])('%s', (preset) => {
    const ref = steps(preset, false, 1);
    expect(steps(preset, true, 1).equals(ref)).toBe(true);
    expect(steps(preset, true, 2).equals(ref)).toBe(true);
    expect(steps(preset, true, 3).equals(ref)).toBe(true);
  });
});
