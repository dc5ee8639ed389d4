/**
 * Session 9's batched native calls give the bytes of the calls they replace, for any chip-thread count:
 * sgemmBatch (the UPDATE phase's tile GEMMs side by side) = sgemm one product at a time; accumulateBatch (a
 * read run's Accumulates and bias adds, samples split over the threads) = adcAccumulate and addRowBias in
 * order; pulsedCommitQueue + pulsedCommitRun (a step's commits as one pool job) = pulsedCommit one matrix at a
 * time. And the interpreter with them = the interpreter without them (an addon copy lacking the three), with a
 * count of the batched calls so that equal bytes cannot come from the batched path not being taken. spreadFill
 * (drawSpread's loop in C) = drawSpread's TypeScript loop.
 */
import { compile } from '../compiler/pipeline';
import { syntheticDataset } from '../datasets/synthetic';
import { resolveNet } from '../graph/net';
import { initParams } from '../graph/params';
import { PRESETS } from '../hw-models/presets';
import type { NetlistInterpreter } from '../simulator/chip/interpreter';
import { makeInterpreter } from '../simulator/chip/run';
import { drawSpread } from '../simulator/chip/update-schemes';
import { loadNativeAddon, type FreBlasAddon } from '../simulator/kernels/native';
import { selectKernels } from '../simulator/kernels/select';
import { makeNoise } from '../simulator/noise';
import { makeGrads } from '../simulator/train';
import { makeRng } from '../util/rng';
import { bytesOf, withChipThreads } from './helpers/native';
import { chainNet } from './helpers/nets';

const native = loadNativeAddon();
const run = native || process.env.CI ? describe : describe.skip;

const filled = (n: number, seed: number): Float32Array => {
  const rng = makeRng(seed);
  return Float32Array.from({ length: n }, () => rng.uniform() * 2 - 1);
};

run('sgemmBatch', () => {
  // [transA, transB, M, N, K, alpha, beta]: the outer products' shape (T, N, 256 × 256 × 500), small and
  // degenerate ones (K = 0, alpha = 0), every transpose pair, beta 0 and not.
  const shapes = [
    [1, 0, 256, 256, 500, -0.002, 0],
    [1, 0, 37, 256, 500, 0.5, 0],
    [0, 1, 50, 33, 70, 1, 0],
    [0, 0, 19, 7, 3, 1.5, 0.25],
    [1, 1, 5, 64, 9, 1, 1],
    [0, 0, 8, 8, 0, 1, 0.5],
    [0, 1, 8, 8, 4, 0, 0],
  ];
  const make = () =>
    shapes.map(([ta, tb, M, N, K, alpha, beta], i) => {
      const lda = (ta ? M : K) + 3;
      const ldb = (tb ? K : N) + 1;
      const ldc = N + 2;
      const A = filled((ta ? K : M) * lda + 5, 10 + i);
      const B = filled((tb ? N : K) * ldb + 5, 20 + i);
      const C = filled(M * ldc, 30 + i);
      return { ta, tb, M, N, K, alpha, beta, lda, ldb, ldc, A, B, C };
    });
  test.each([1, 2, 3])('the bytes of sgemm one by one, %i chip threads', (threads) => {
    const one = make();
    const all = make();
    const bufs = all.flatMap((g) => [g.A.subarray(2), g.B.subarray(1), g.C]);
    const nums = Float64Array.from(all.flatMap((g) => [g.ta, g.tb, g.M, g.N, g.K, g.alpha, g.lda, g.ldb, g.beta, g.ldc]));
    const prev = native!.getThreads();
    native!.setThreads(1); // the chip's setting (withOneBlasThread): whole products on the chip threads
    try {
      for (const g of one)
        native!.sgemm(!!g.ta, !!g.tb, g.M, g.N, g.K, g.alpha, g.A.subarray(2), g.lda, g.B.subarray(1), g.ldb, g.beta, g.C, g.ldc);
      withChipThreads(native!, threads, () => native!.sgemmBatch!(bufs, nums, all.length));
    } finally {
      native!.setThreads(prev);
    }
    all.forEach((g, i) => expect(bytesOf(g.C).equals(bytesOf(one[i].C))).toBe(true));
  });
  test('checks its arguments as sgemm does', () => {
    const A = new Float32Array(4);
    expect(() => native!.sgemmBatch!([A, A, A], Float64Array.of(0, 0, 2, 2, 2, 1, 2, 2, 0, 2), 1)).not.toThrow();
    expect(() => native!.sgemmBatch!([A, A, new Float32Array(3)], Float64Array.of(0, 0, 2, 2, 2, 1, 2, 2, 0, 2), 1)).toThrow(/too short/);
    expect(() => native!.sgemmBatch!([A, A, A], Float64Array.of(0, 0, 2, 2, 2, 1, 1, 2, 0, 2), 1)).toThrow(/leading dimension/);
    expect(() => native!.sgemmBatch!([A, A], Float64Array.of(0, 0, 2, 2, 2, 1, 2, 2, 0, 2), 1)).toThrow(/bufs/);
    expect(() => native!.sgemmBatch!([A, A, A], new Float64Array(9), 1)).toThrow(/nums/);
  });
});

run('accumulateBatch', () => {
  const m = 500; // enough elements (≥ 32 768) for run_rows to use the threads
  // Two column tiles adding into the same half of a drive, a bias add after them, then the other half's tiles
  // (one of them after the bias), and a second drive.
  const R = 24;
  const entries: [kind: number, src: number, out: number, lines: number, offset: number, ld: number, gain: number][] = [
    [0, 0, 0, 12, 0, R, 0.75],
    [0, 1, 0, 12, 0, R, 1.25],
    [0, 2, 0, 12, 12, R, 1],
    [1, 3, 0, R, 0, R, 0.5],
    [0, 4, 0, 12, 12, R, -2],
    [0, 5, 1, 7, 3, 10, 1],
  ];
  const srcs = [...[0, 1, 2].map((k) => filled(m * 12, 40 + k)), filled(R, 43), filled(m * 12, 44), filled(m * 7, 45)];
  const outs = () => [filled(m * R, 50), filled(m * 10, 51)];
  test.each([1, 2, 3])('the bytes of adcAccumulate and addRowBias in order, %i chip threads', (threads) => {
    const one = outs();
    for (const [kind, s, o, lines, offset, ld, gain] of entries) {
      if (kind === 0) native!.adcAccumulate(srcs[s], m, lines, one[o], offset, ld, gain, 0, 0);
      else native!.addRowBias!(one[o], srcs[s], m, lines, 1, gain);
    }
    const all = outs();
    const bufs = entries.flatMap(([, s, o]) => [srcs[s], all[o]]);
    const nums = Float64Array.from(entries.flatMap(([kind, , , lines, offset, ld, gain]) => [kind, m, lines, offset, ld, gain]));
    withChipThreads(native!, threads, () => native!.accumulateBatch!(bufs, nums, entries.length));
    all.forEach((a, i) => expect(bytesOf(a).equals(bytesOf(one[i]))).toBe(true));
  });
  test('checks its arguments', () => {
    const a = new Float32Array(8);
    expect(() => native!.accumulateBatch!([a, a], Float64Array.of(0, 2, 4, 0, 4, 1), 1)).not.toThrow();
    expect(() => native!.accumulateBatch!([a, a], Float64Array.of(0, 3, 4, 0, 4, 1), 1)).toThrow(/src/);
    expect(() => native!.accumulateBatch!([a, a], Float64Array.of(0, 2, 4, 1, 4, 1), 1)).toThrow(/out/);
    expect(() => native!.accumulateBatch!([a, a], Float64Array.of(2, 2, 4, 0, 4, 1), 1)).toThrow(/kind/);
    expect(() => native!.accumulateBatch!([a, a], Float64Array.of(1, 2, 9, 0, 9, 1), 1)).toThrow(/bias/);
  });
});

run('the interpreter with the batched calls = without them', () => {
  const batch = 24;
  const dims = [64, 300, 280, 10]; // tiles of 256: two column tiles and two row tiles per hidden edge
  const ds = syntheticDataset({ count: batch, dim: dims[0], classes: 10, seed: 3 });
  const x = ds.images.subarray(0, batch * dims[0]);
  const y = new Float32Array(batch * 10);
  for (let i = 0; i < batch; i++) y[i * 10 + ds.labels[i]] = 1;
  const BATCHED = ['sgemmBatch', 'accumulateBatch', 'pulsedCommitQueue', 'pulsedCommitRun'] as const;

  /** The interpreter's addon: the real one with its batched calls counted, or a copy without them. */
  const useAddon = (it: NetlistInterpreter, batched: boolean, calls: Record<string, number>): void => {
    const a: Record<string, unknown> = { ...native! };
    for (const k of BATCHED) {
      if (!batched) delete a[k];
      else {
        const f = native![k] as (...args: unknown[]) => void;
        a[k] = (...args: unknown[]) => {
          calls[k] = (calls[k] ?? 0) + 1;
          return f(...args);
        };
      }
    }
    const addon = a as unknown as FreBlasAddon;
    (it.chip as { native: unknown }).native = addon;
    for (const d of it.chip.W) d.native = addon;
  };

  test.each([
    ['reram', 2],
    ['reram', 3],
    ['reram', 1],
    ['ideal', 2],
    ['pcm', 2],
  ] as const)('%s, %i chip threads', (preset, threads) => {
    // With biases: the bias add after an edge's last Accumulate is one of accumulateBatch's entries.
    const chain = chainNet(dims, 10, { betaI: 0.01, betaF: 0.1, T: 3, K: 2, batch, nudge: 'held', feedback: 'symmetric' });
    const net = resolveNet({ ...chain.spec, edges: chain.spec.edges.map((e) => ({ ...e, bias: true })) });
    const netlist = compile(net, PRESETS[preset], initParams(net, makeRng(5)), {
      wMax: { kind: 'max' },
      specFile: 'test',
      producerVersion: 'test',
    }).netlist;
    const go = (batched: boolean) => {
      const calls: Record<string, number> = {};
      const out = withChipThreads(native!, threads, () => {
        const it = makeInterpreter(netlist, 7, selectKernels('auto'), batch);
        useAddon(it, batched, calls);
        const grads = makeGrads(net);
        const bufs: Buffer[] = [];
        for (let s = 0; s < 3; s++) {
          const { loss, probs } = it.step(x, y, batch, grads);
          bufs.push(Buffer.from(Float64Array.of(loss).buffer), Buffer.from(bytesOf(probs)));
          for (const g of grads) if (g) bufs.push(Buffer.from(bytesOf(g)));
          // An optimiser-like request, then the commit that realises it on the devices.
          it.weights().forEach((w, e) => {
            const g = grads[e];
            if (g) for (let i = 0; i < w.length; i++) w[i] -= 0.05 * g[i];
          });
          const nW = it.weights().length;
          it.biases().forEach((b, e) => {
            const g = grads[nW + e];
            if (b && g) for (let i = 0; i < b.length; i++) b[i] -= 0.05 * g[i];
          });
          it.commit();
          for (const w of it.weights()) bufs.push(Buffer.from(bytesOf(w)));
          for (const b of it.biases()) if (b) bufs.push(Buffer.from(bytesOf(b)));
          bufs.push(Buffer.from(bytesOf(it.infer(x, batch))));
        }
        return Buffer.concat(bufs);
      });
      return { out, calls };
    };
    const plain = go(false);
    const batched = go(true);
    expect(plain.calls).toEqual({});
    expect(batched.out.equals(plain.out)).toBe(true);
    // The batched paths ran: the GEMMs and Accumulates with more than one chip thread, the commits on
    // the row-programmed (bipolar) devices.
    if (threads > 1) {
      expect(batched.calls.sgemmBatch).toBeGreaterThan(0);
      expect(batched.calls.accumulateBatch).toBeGreaterThan(0);
    }
    if (preset === 'reram') expect(batched.calls.pulsedCommitRun).toBe(3);
  });
});

run('spreadFill', () => {
  const base = PRESETS.reram.crossbar.update;
  if (base.kind !== 'pulsed') throw new Error('reram updates by pulses');
  // The preset's spread; spreads wide enough that steps and bounds clip (a negative step, 1 − a < 0, a bound
  // under 1e-3); the mean asymmetry alone.
  const d2d = [
    base.deviceToDevice,
    { dwMin: 2.5, wMax: 3, wMin: 4, upDownAsymmetry: 1.5 },
    { dwMin: 0, wMax: 0, wMin: 0, upDownAsymmetry: 0.2 },
  ];
  test.each(d2d.map((d, i) => [i, d] as const))('the bytes of drawSpread in TypeScript, spread %i', (_i, deviceToDevice) => {
    const spec = { ...base, upDownAsymmetry: 0.3, deviceToDevice };
    const n = 5000;
    for (const differential of [true, false]) {
      const ts = drawSpread(n, spec, differential, makeNoise(makeRng(9)), null);
      let calls = 0;
      const counted = {
        spreadFill: (...a: Parameters<NonNullable<FreBlasAddon['spreadFill']>>) => {
          calls++;
          native!.spreadFill!(...a);
        },
      };
      const c = drawSpread(n, spec, differential, makeNoise(makeRng(9)), counted);
      expect(calls).toBe(1);
      for (const k of ['up', 'down', 'bMax', 'bMin'] as const) expect(bytesOf(c[k]).equals(bytesOf(ts[k]))).toBe(true);
    }
  });
});
