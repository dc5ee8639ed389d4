/**
 * Reading conv edges a chunk of samples at a time (Executor.convChunkBytes) changes where the
 * patches live, not the math: a whole EP step and a BP step with chunks of 1, 3 and all samples give
 * the same states, gradients and bias gradients (7 samples: a partial last chunk). Equal to float
 * rounding, not bit for bit: OpenBLAS picks its small-matrix kernels by size, so on these tiny
 * matrices a GEMM of 9 rows may round differently from one of 63. (On mnist-conv's shapes the
 * weights after 256 samples were bit-identical: docs/conv-layout.md.)
 */
import { GraphBuilder } from '../graph/builder';
import { resolveNet, type Net } from '../graph/net';
import { initParams, type Params } from '../graph/params';
import type { EdgeSpec } from '../graph/spec';
import { BackpropEngine } from '../simulator/engine/backprop';
import { EpEngine } from '../simulator/engine/ep';
import { IdealExecutor } from '../simulator/ideal-executor';
import { selectKernels } from '../simulator/kernels/select';
import { makeGrads } from '../simulator/train';
import { makeRng } from '../util/rng';

const kernels = selectKernels('auto');

/** input [2,8,8] → conv 3×3 p1 + max pool 2 → c1 [4,4,4] → conv 2×2 → c2 [6,3,3] → output 3. */
function net(): Net {
  const b = new GraphBuilder('chunks').input([2, 8, 8]).map('c1', [4, 4, 4], 'hard-sigmoid').map('c2', [6, 3, 3], 'hard-sigmoid').output(3);
  const edges: EdgeSpec[] = [
    { name: 'W0', from: 'input', to: 'c1', conv: { kernel: 3, padding: 1 }, pool: { kind: 'max', size: 2 }, bias: true },
    { name: 'W1', from: 'c1', to: 'c2', conv: { kernel: 2 }, feedback: { kind: 'symmetric', beta: 0.3 }, bias: true },
    { name: 'Wf', from: 'c2', to: 'output', bias: true },
  ];
  edges.forEach((e) => b.edge(e));
  return resolveNet(
    b
      .dynamics({ T: 6, K: 4, betaF: 0.5, nudge: 'held' })
      .training({ optimizer: { kind: 'sgd', lr: 0.1 }, batchSize: 7, epochs: 1, seed: 0 })
      .build(),
  );
}

/** The ideal executor asking for `bytes` of patches per conv read. */
function executor(params: Params, bytes: number): IdealExecutor {
  return new (class extends IdealExecutor {
    override readonly convChunkBytes = bytes;
  })(params, kernels);
}

function paramsWithBias(n: Net): Params {
  const rng = makeRng('chunk-params');
  const p = initParams(n, rng);
  p.bias.forEach((b) =>
    b?.forEach((_, i) => {
      b[i] = 0.3 * rng.normal();
    }),
  );
  return p;
}

function batch(n: Net, m: number) {
  const rng = makeRng('chunk-batch');
  const x = Float32Array.from({ length: m * n.inputSize }, () => rng.uniform());
  const y = new Float32Array(m * n.classes);
  for (let r = 0; r < m; r++) y[r * n.classes + (r % n.classes)] = 1;
  return { x, y };
}

const copy = (a: (Float32Array | null)[]) => a.map((g) => (g ? Float32Array.from(g) : null));

/** Every entry within float32 rounding of a short sum (a few ulps), nulls in the same places. */
function expectClose(got: (Float32Array | null)[], want: (Float32Array | null)[]): void {
  expect(got.map((g) => g?.length ?? null)).toEqual(want.map((w) => w?.length ?? null));
  let worst = 0;
  got.forEach((g, i) =>
    g?.forEach((v, k) => {
      worst = Math.max(worst, Math.abs(v - want[i]![k]) / (1e-3 + Math.abs(want[i]![k])));
    }),
  );
  expect(worst).toBeLessThan(1e-5);
}

describe('conv reads in chunks = in one read', () => {
  const n = net();
  const m = 7;
  const { x, y } = batch(n, m);
  // Bytes per sample of W1's patches: P·cols·4 = 9·16·4; of W0's: 64·18·4.
  const sizes: [string, number][] = [
    ['1 sample', 1],
    ['3 samples of W1', 3 * 9 * 16 * 4],
    ['whole batch', 1e12],
  ];

  test('EP step: free and nudged states, weight and bias gradients', () => {
    const out = sizes.map(([, bytes]) => {
      const params = paramsWithBias(n);
      const eng = new EpEngine(n, executor(params, bytes), m, params.bias);
      const grads = makeGrads(n);
      const r = eng.step(x, y, m, grads);
      return {
        loss: r.loss,
        grads: copy(grads),
        free: copy(n.layers.map((_, j) => eng.freeState(j))),
        nudged: copy(n.layers.map((_, j) => eng.state(j))),
      };
    });
    expect(out[0].grads.some((g) => g !== null && g.some((v) => v !== 0))).toBe(true);
    for (const o of out.slice(1)) {
      expect(o.loss).toBeCloseTo(out[0].loss, 6);
      expectClose(o.grads, out[0].grads);
      expectClose(o.free, out[0].free);
      expectClose(o.nudged, out[0].nudged);
    }
  });

  test('BP step: gradients', () => {
    const out = sizes.map(([, bytes]) => {
      const params = paramsWithBias(n);
      const eng = new BackpropEngine(n, executor(params, bytes), m, 'bp', params.bias);
      const grads = makeGrads(n);
      eng.step(x, y, m, grads);
      return copy(grads);
    });
    expectClose(out[1], out[0]);
    expectClose(out[2], out[0]);
  });
});
