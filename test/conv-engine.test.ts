/**
 * Conv layers in the engines (issue 5): the edge operations against the direct float64 definitions,
 * adjointness of the conv feedback path, the whole EP step of a small conv net against a plain
 * float64 EP written here, BP against finite differences, and the weak limit EP ≈ BP.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphBuilder } from '../graph/builder';
import { INPUT, OUTPUT, resolveNet, type Net, type NetEdge } from '../graph/net';
import type { Activation, EdgeSpec, PoolKind } from '../graph/spec';
import { im2col } from '../simulator/conv/im2col';
import { im2row, mapsToRows, row2im, rowsToMaps } from '../simulator/conv/im2row';
import { layoutKernels } from '../simulator/conv/layout-kernels';
import {
  avgPoolDirect,
  avgPoolTransposeDirect,
  convForwardDirect,
  convTransposeDirect,
  convWeightGradDirect,
  maxPoolDirect,
  maxUnpoolDirect,
} from '../simulator/conv/reference';
import { convDims, type ConvSpec } from '../graph/shapes';
import { BackpropEngine } from '../simulator/engine/backprop';
import { EdgeOps } from '../simulator/engine/edge-ops';
import { EpEngine } from '../simulator/engine/ep';
import { initParams, type Params } from '../graph/params';
import { IdealExecutor } from '../simulator/ideal-executor';
import { referenceKernels } from '../simulator/kernels/reference';
import { makeGrads } from '../simulator/train';
import { makeRng, type Rng } from '../util/rng';
import { cosine, oneHotRows, randomInputs } from './helpers/nets';

type F64 = Float64Array;

function randn(n: number, rng: Rng, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (2 * rng.uniform() - 1) * scale;
  return a;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxRelErr(fast: ArrayLike<number>, ref: ArrayLike<number>): number {
  let scale = 0;
  let err = 0;
  for (let i = 0; i < ref.length; i++) {
    scale = Math.max(scale, Math.abs(ref[i]));
    err = Math.max(err, Math.abs(fast[i] - ref[i]));
  }
  return err / Math.max(scale, 1e-30);
}

describe('im2row (patch-major im2col)', () => {
  const spec: ConvSpec = { inChannels: 3, outChannels: 2, kernel: 3, stride: 2, padding: 1, height: 7, width: 6 };
  const d = convDims(spec);
  const m = 2;
  const rng = makeRng(1);
  const x = randn(m * d.inSize, rng);

  test('is the transpose of im2col, sample by sample', () => {
    const col = new Float32Array(m * d.colRows * d.colCols);
    im2col(spec, m, x, col);
    const rows = new Float32Array(m * d.colCols * d.colRows);
    im2row(spec, m, x, rows);
    for (let b = 0; b < m; b++) {
      for (let r = 0; r < d.colRows; r++) {
        for (let q = 0; q < d.colCols; q++) {
          expect(rows[(b * d.colCols + q) * d.colRows + r]).toBe(col[(b * d.colRows + r) * d.colCols + q]);
        }
      }
    }
  });

  test('row2im is its adjoint: ⟨im2row(x), P⟩ = ⟨x, row2im(P)⟩', () => {
    const P = randn(m * d.colCols * d.colRows, rng);
    const rows = new Float32Array(P.length);
    im2row(spec, m, x, rows);
    const back = new Float32Array(x.length);
    row2im(spec, m, P, back);
    expect(dot(rows, P)).toBeCloseTo(dot(x, back), 3);
  });

  test('the selected (native when built) im2row/row2im equal the TypeScript ones on odd shapes', () => {
    const lk = layoutKernels();
    for (const sp of [spec, { ...spec, stride: 1, padding: 2, kernel: 5 }, { ...spec, padding: 0, kernel: 1, stride: 3 }]) {
      const dd = convDims(sp);
      const xx = randn(m * dd.inSize, rng);
      const a = new Float32Array(m * dd.colCols * dd.colRows).fill(7);
      const b = new Float32Array(a.length).fill(-7);
      im2row(sp, m, xx, a);
      lk.im2row(sp, m, xx, b);
      expect(Array.from(b)).toEqual(Array.from(a));
      const P = randn(a.length, rng);
      const xa = randn(xx.length, rng);
      const xb = xa.slice();
      row2im(sp, m, P, xa);
      lk.row2im(sp, m, P, xb);
      expect(maxRelErr(xb, xa)).toBeLessThan(1e-6);
    }
  });

  test('rowsToMaps and mapsToRows are inverse transposes', () => {
    const a = randn(2 * 5 * 3, rng);
    const maps = new Float32Array(a.length);
    const back = new Float32Array(a.length);
    rowsToMaps(2, 5, 3, a, maps);
    expect(maps[(1 * 3 + 2) * 5 + 4]).toBe(a[(1 * 5 + 4) * 3 + 2]);
    mapsToRows(2, 5, 3, maps, back);
    expect(Array.from(back)).toEqual(Array.from(a));
  });
});

/** input [2,7,7] → conv k3 p1 + pool → h1 [3,3,3] → conv k2 → h2 [4,2,2] → dense h3 (5) → output (3). */
function smallConvNet(
  o: {
    nudge?: 'held' | 'recomputed';
    pool?: PoolKind;
    poolW1?: PoolKind;
    act?: Activation;
    betaI?: number;
    betaF?: number;
    T?: number;
    K?: number;
    bias?: boolean;
    feedback?: 'symmetric' | 'random';
  } = {},
): Net {
  const act = o.act ?? 'tanh';
  const beta = o.betaI ?? 0.3;
  const fb = o.feedback ?? 'symmetric';
  const edges: EdgeSpec[] = [
    {
      name: 'W0',
      from: 'input',
      to: 'h1',
      conv: { kernel: 3, padding: 1 },
      ...(o.pool !== undefined ? { pool: { kind: o.pool, size: 2 } } : {}),
      bias: o.bias ?? true,
    },
    {
      name: 'W1',
      from: 'h1',
      to: 'h2',
      conv: { kernel: 2 },
      ...(o.poolW1 !== undefined ? { pool: { kind: o.poolW1, size: 2 } } : {}),
      feedback: { kind: fb, beta },
      bias: o.bias ?? true,
    },
    { name: 'W2', from: 'h2', to: 'h3', feedback: { kind: fb, beta }, bias: o.bias ?? true },
    { name: 'Wf', from: 'h3', to: 'output', bias: o.bias ?? true },
  ];
  const side = o.pool !== undefined ? 3 : 7;
  const h2side = o.poolW1 !== undefined ? Math.floor((side - 1 - 2) / 2) + 1 : side - 1;
  const b = new GraphBuilder('small-conv')
    .input([2, 7, 7])
    .map('h1', [3, side, side], act)
    .map('h2', [4, h2side, h2side], act)
    .layer('h3', 5, act)
    .output(3);
  edges.forEach((e) => b.edge(e));
  b.dynamics({ T: o.T ?? 12, K: o.K ?? 8, betaF: o.betaF ?? 0.5, nudge: o.nudge ?? 'held' }).training({
    optimizer: { kind: 'sgd', lr: 0.1 },
    batchSize: 4,
    epochs: 1,
    seed: 0,
  });
  return resolveNet(b.build());
}

function paramsWithBias(net: Net, rng: Rng): Params {
  const p = initParams(net, rng);
  p.bias.forEach((b) => {
    if (b) b.set(randn(b.length, rng, 0.2));
  });
  return p;
}

// ---- the plain float64 reference of one edge -------------------------------------------------

interface RefFwd {
  y: F64;
  argmax?: Int32Array;
}

function refForward(e: NetEdge, p: Params, x: ArrayLike<number>, m: number): RefFwd {
  const W = p.W[e.index].data;
  const bias = p.bias[e.index];
  if (!e.conv) {
    const y = new Float64Array(m * e.rows);
    for (let b = 0; b < m; b++)
      for (let r = 0; r < e.rows; r++) {
        let s = bias ? bias[r] : 0;
        for (let c = 0; c < e.cols; c++) s += W[r * e.cols + c] * x[b * e.cols + c];
        y[b * e.rows + r] = s;
      }
    return { y };
  }
  const z = convForwardDirect(e.conv.conv, m, x, W);
  let y = z;
  let argmax: Int32Array | undefined;
  let per = e.conv.positions;
  if (e.conv.pool?.kind === 'max') ({ y, argmax } = maxPoolDirect(e.conv.pool, e.conv.convShape, m, z));
  else if (e.conv.pool?.kind === 'avg') y = avgPoolDirect(e.conv.pool, e.conv.convShape, m, z);
  per = y.length / (m * e.rows);
  if (bias) for (let i = 0; i < y.length; i++) y[i] += bias[Math.floor(i / per) % e.rows];
  return { y, argmax };
}

/** The pooled post map unpooled to the conv output map (identity without pooling). */
function refUnpool(e: NetEdge, post: ArrayLike<number>, m: number, argmax?: Int32Array): F64 {
  const pool = e.conv!.pool;
  if (!pool) return Float64Array.from(post);
  if (pool.kind === 'max') return maxUnpoolDirect(e.conv!.convShape, m, post, argmax!);
  return avgPoolTransposeDirect(pool, e.conv!.convShape, m, post);
}

function refFeedback(e: NetEdge, p: Params, post: ArrayLike<number>, m: number, argmax?: Int32Array): F64 {
  const random = e.feedback === 'random';
  const M = random ? null : p.W[e.index].data;
  if (!e.conv) {
    const out = new Float64Array(m * e.cols);
    for (let b = 0; b < m; b++)
      for (let c = 0; c < e.cols; c++) {
        let s = 0;
        for (let r = 0; r < e.rows; r++) s += (M ? M[r * e.cols + c] : p.B[e.index]!.data[c * e.rows + r]) * post[b * e.rows + r];
        out[b * e.cols + c] = s;
      }
    return out;
  }
  // A random conv feedback B [C·k·k × O] read like a kernel: K[o, r] = B[r, o].
  const B = p.B[e.index]?.data;
  const kernel = M ?? Float64Array.from({ length: e.rows * e.cols }, (_, i) => B![(i % e.cols) * e.rows + Math.floor(i / e.cols)]);
  return convTransposeDirect(e.conv.conv, m, refUnpool(e, post, m, argmax), kernel);
}

function refUpdate(e: NetEdge, p: Params, post: ArrayLike<number>, pre: ArrayLike<number>, m: number): { g: F64; gb: F64 } {
  const gb = new Float64Array(e.rows);
  if (!e.conv) {
    const g = new Float64Array(e.rows * e.cols);
    for (let b = 0; b < m; b++)
      for (let r = 0; r < e.rows; r++) {
        gb[r] += post[b * e.rows + r];
        for (let c = 0; c < e.cols; c++) g[r * e.cols + c] += post[b * e.rows + r] * pre[b * e.cols + c];
      }
    return { g, gb };
  }
  const { argmax } = refForward(e, p, pre, m);
  const dy = refUnpool(e, post, m, argmax);
  const per = dy.length / (m * e.rows);
  for (let i = 0; i < dy.length; i++) gb[Math.floor(i / per) % e.rows] += dy[i];
  return { g: convWeightGradDirect(e.conv.conv, m, pre, dy), gb };
}

function act(kind: Activation, h: number): number {
  return kind === 'tanh' ? Math.tanh(h) : kind === 'hard-sigmoid' ? Math.min(1, Math.max(0, h)) : 1 / (1 + Math.exp(-4 * (h - 0.5)));
}

/** The whole EP step (held nudge) in float64 with the direct definitions; returns g = −ΔW and −Δb. */
function referenceEpStep(net: Net, p: Params, x: Float32Array, y: Float32Array, m: number): { g: F64[]; gb: F64[] } {
  const { T, K, betaF } = net.spec.dynamics;
  const L = net.layers.length;
  const C = net.classes;
  const ro = net.readout;
  const relax = (s0: F64[], steps: number, nudgeOf: ((s: F64[]) => F64) | null): F64[] => {
    let s = s0.map((a) => a.slice());
    for (let t = 0; t < steps; t++) {
      const nudge = nudgeOf ? nudgeOf(s) : null;
      const h = net.layers.map((l) => new Float64Array(m * l.size));
      const argmax = new Map<number, Int32Array | undefined>();
      for (const e of net.edges) {
        if (e.to === OUTPUT) continue;
        const f = refForward(e, p, e.from === INPUT ? x : s[e.from], m);
        argmax.set(e.index, f.argmax);
        for (let i = 0; i < f.y.length; i++) h[e.to][i] += e.alpha * f.y[i];
      }
      for (const e of net.edges) {
        if (e.to === OUTPUT || e.from === INPUT || e.feedback === 'none') continue;
        const fb = refFeedback(e, p, s[e.to], m, argmax.get(e.index));
        for (let i = 0; i < fb.length; i++) h[e.from][i] += e.beta * fb[i];
      }
      if (nudge) for (let i = 0; i < nudge.length; i++) h[ro.from][i] += nudge[i];
      s = h.map((hj, j) => hj.map((v) => act(net.layers[j].activation, v)));
    }
    return s;
  };
  const errorOf = (s: F64[]): F64 => {
    const logits = refForward(ro, p, s[ro.from], m).y;
    const err = new Float64Array(m * C);
    for (let b = 0; b < m; b++) {
      let mx = -Infinity;
      for (let c = 0; c < C; c++) mx = Math.max(mx, logits[b * C + c]);
      let z = 0;
      for (let c = 0; c < C; c++) z += Math.exp(logits[b * C + c] - mx);
      for (let c = 0; c < C; c++) err[b * C + c] = y[b * C + c] - Math.exp(logits[b * C + c] - mx) / z;
    }
    return err;
  };
  const s0 = relax(
    net.layers.map((l) => new Float64Array(m * l.size)),
    T,
    null,
  );
  const err = errorOf(s0);
  const held = refFeedback(ro, p, err, m).map((v) => betaF * v);
  // held: e from the free state throughout; recomputed: e from the current state at every nudged
  // step. The readout's delta rule uses the free error either way.
  const sb = relax(
    s0,
    K,
    net.spec.dynamics.nudge === 'recomputed' ? (s) => refFeedback(ro, p, errorOf(s), m).map((v) => betaF * v) : () => held,
  );
  const g: F64[] = [];
  const gb: F64[] = [];
  for (const e of net.edges) {
    const post = e.to === OUTPUT ? err : sb[e.to].map((v, i) => v - s0[e.to][i]);
    const u = refUpdate(e, p, post, e.from === INPUT ? x : s0[e.from], m);
    g[e.index] = u.g.map((v) => -v / m);
    gb[e.index] = u.gb.map((v) => -v / m);
  }
  void L;
  return { g, gb };
}

describe('conv edge operations against the direct definitions', () => {
  for (const pool of ['max', 'avg', undefined] as const) {
    test(`forward, feedback and update of a conv edge${pool ? ` with ${pool} pool` : ' without pooling'}`, () => {
      const net = smallConvNet({ pool });
      const rng = makeRng(7);
      const p = paramsWithBias(net, rng);
      const m = 3;
      const e = net.edges[0];
      const ops = new EdgeOps(net, new IdealExecutor(p, referenceKernels), m, p.bias);
      const x = randomInputs(m, net.inputSize, rng);
      const toSize = net.layers[e.to].size;
      const out = randn(m * toSize, rng);
      const before = out.slice();
      ops.forward(e, x, m, 0.7, out);
      const ref = refForward(e, p, x, m);
      const drive = out.map((v, i) => (v - before[i]) / 0.7);
      expect(maxRelErr(drive, ref.y)).toBeLessThan(1e-5);

      // feedback of the second conv edge (h2 → h1) through the argmax of its forward read
      const e1 = net.edges[1];
      const s1 = randn(m * net.layers[0].size, rng);
      ops.forward(e1, s1, m, 1, new Float32Array(m * net.layers[1].size));
      const f1 = refForward(e1, p, s1, m);
      const post = randn(m * net.layers[1].size, rng);
      const fb = new Float32Array(m * net.layers[0].size);
      ops.feedback(e1, post, m, 1, fb);
      expect(maxRelErr(fb, refFeedback(e1, p, post, m, f1.argmax))).toBeLessThan(1e-5);

      // update of the first edge: weight and bias gradients
      const g = new Float32Array(e.rows * e.cols);
      const gb = new Float32Array(e.rows);
      const d = randn(m * toSize, rng);
      ops.update(e, d, x, m, 1, g, gb);
      const u = refUpdate(e, p, d, x, m);
      expect(maxRelErr(g, u.g)).toBeLessThan(1e-5);
      expect(maxRelErr(gb, u.gb)).toBeLessThan(1e-5);
    });
  }

  for (const pool of ['max', 'avg', undefined] as const) {
    test(`adjointness ⟨conv(x), y⟩ = ⟨x, convᵀ(y)⟩ through the edge (${pool ?? 'no'} pool, argmax fixed)`, () => {
      const net = smallConvNet({ pool, bias: false });
      const rng = makeRng(11);
      const p = initParams(net, rng);
      const m = 2;
      const e = net.edges[0];
      // Use W0 (input → h1) as a map between the input and h1; its feedback path is what a
      // hidden conv edge uses (reading the same matrix transposed).
      const ops = new EdgeOps(net, new IdealExecutor(p, referenceKernels), m, p.bias);
      const x0 = randomInputs(m, net.inputSize, rng);
      const toSize = net.layers[e.to].size;
      ops.forward(e, x0, m, 1, new Float32Array(m * toSize)); // fixes the argmax
      const argmax = refForward(e, p, x0, m).argmax;
      const x = randn(m * net.inputSize, rng);
      const yv = randn(m * toSize, rng);
      // The linear map at fixed argmax: select(conv(x)) for max, pool(conv(x)) otherwise.
      const z = convForwardDirect(e.conv!.conv, m, x, p.W[e.index].data);
      let lin: ArrayLike<number> = z;
      if (pool === 'max') lin = Float64Array.from(argmax!, (a) => z[a]);
      else if (pool === 'avg') lin = avgPoolDirect(e.conv!.pool!, e.conv!.convShape, m, z);
      const back = new Float32Array(m * net.inputSize);
      ops.backward(e, yv, m, 1, back, 'transposed');
      expect(Math.abs(dot(lin, yv) - dot(x, back))).toBeLessThan(1e-4 * Math.max(1, Math.abs(dot(lin, yv))));
    });
  }
});

describe('the EP step of a conv net equals a plain float64 EP', () => {
  // The hidden conv edge pooled: its feedback unpools through the argmax of the same step's forward
  // read and its update through the free phase's; ordering or a stale argmax breaks these.
  for (const [title, o] of [
    ['max-pooled hidden conv edge, no biases', { poolW1: 'max', bias: false }],
    ['avg-pooled hidden conv edge, biases', { poolW1: 'avg', bias: true }],
    ['both conv edges max-pooled, sigmoid (ρ(0) ≠ 0)', { pool: 'max', poolW1: 'max', act: 'sigmoid', bias: false }],
    ['random conv feedback, max-pooled hidden edge', { poolW1: 'max', feedback: 'random' }],
    ['recomputed nudge (e from the nudged state at every step)', { poolW1: 'max', nudge: 'recomputed' }],
  ] as const) {
    test(title, () => {
      const net = smallConvNet({ ...o, betaI: 0.5, T: 10, K: 6 });
      const rng = makeRng(31);
      const p = paramsWithBias(net, rng);
      const m = 3;
      const x = randomInputs(m, net.inputSize, rng);
      const y = oneHotRows([2, 0, 1], 3);
      const grads = makeGrads(net);
      // maxBatch 5 > m: buffers longer than the batch must not leak into the result.
      new EpEngine(net, new IdealExecutor(p, referenceKernels), 5, p.bias).step(x, y, m, grads);
      const ref = referenceEpStep(net, p, x, y, m);
      const E = net.edges.length;
      for (const e of net.edges) {
        expect(maxRelErr(grads[e.index]!, ref.g[e.index])).toBeLessThan(2e-4);
        if (e.bias) expect(maxRelErr(grads[E + e.index]!, ref.gb[e.index])).toBeLessThan(2e-4);
      }
    });
  }

  for (const pool of ['max', 'avg'] as const) {
    test(`${pool}-pooled conv net, tanh, biases, β_i 0.3, β_f 0.5`, () => {
      const net = smallConvNet({ pool });
      const rng = makeRng(5);
      const p = paramsWithBias(net, rng);
      const m = 4;
      const x = randomInputs(m, net.inputSize, rng);
      const y = oneHotRows([0, 1, 2, 1], 3);
      const grads = makeGrads(net);
      new EpEngine(net, new IdealExecutor(p, referenceKernels), m, p.bias).step(x, y, m, grads);
      const ref = referenceEpStep(net, p, x, y, m);
      const E = net.edges.length;
      for (const e of net.edges) {
        expect(maxRelErr(grads[e.index]!, ref.g[e.index])).toBeLessThan(2e-4);
        expect(maxRelErr(grads[E + e.index]!, ref.gb[e.index])).toBeLessThan(2e-4);
      }
    });
  }
});

/** Mean cross-entropy of the feedforward net (BP's loss) at the current parameters. */
function bpLoss(net: Net, p: Params, x: Float32Array, y: Float32Array, m: number): number {
  const eng = new BackpropEngine(net, new IdealExecutor(p, referenceKernels), m, 'bp', p.bias);
  const logits = eng.infer(x, m);
  let loss = 0;
  const C = net.classes;
  for (let b = 0; b < m; b++) {
    let mx = -Infinity;
    for (let c = 0; c < C; c++) mx = Math.max(mx, logits[b * C + c]);
    let z = 0;
    for (let c = 0; c < C; c++) z += Math.exp(logits[b * C + c] - mx);
    for (let c = 0; c < C; c++) if (y[b * C + c] > 0) loss -= Math.log(Math.exp(logits[b * C + c] - mx) / z);
  }
  return loss / m;
}

describe('BP through conv edges', () => {
  test('weight and bias gradients match central finite differences (max pool, tanh)', () => {
    const net = smallConvNet({ pool: 'max' });
    const rng = makeRng(9);
    const p = paramsWithBias(net, rng);
    const m = 3;
    const x = randomInputs(m, net.inputSize, rng);
    const y = oneHotRows([2, 0, 1], 3);
    const grads = makeGrads(net);
    new BackpropEngine(net, new IdealExecutor(p, referenceKernels), m, 'bp', p.bias).step(x, y, m, grads);
    const E = net.edges.length;
    const h = 1e-2;
    const probe = (arr: Float32Array, i: number): number => {
      const v = arr[i];
      arr[i] = v + h;
      const lp = bpLoss(net, p, x, y, m);
      arr[i] = v - h;
      const lm = bpLoss(net, p, x, y, m);
      arr[i] = v;
      return (lp - lm) / (2 * h);
    };
    for (const e of net.edges) {
      const W = p.W[e.index].data;
      for (const i of [0, Math.floor(W.length / 3), W.length - 1]) {
        expect(grads[e.index]![i]).toBeCloseTo(probe(W, i), 3);
      }
      const b = p.bias[e.index]!;
      expect(grads[E + e.index]![0]).toBeCloseTo(probe(b, 0), 3);
    }
  });
});

describe('weak limit on a conv net: EP updates align with BP', () => {
  test('β_i 0.02, β_f 0.01: cosine > 0.99 on every edge, conv edges included', () => {
    // Hard-sigmoid as in the paper's conv runs; biases keep the units off the clamp at 0.
    const net = smallConvNet({ pool: 'max', act: 'hard-sigmoid', betaI: 0.02, betaF: 0.01, T: 60, K: 60 });
    const rng = makeRng(3);
    const p = paramsWithBias(net, rng);
    p.bias.forEach((b) => b?.fill(0.4));
    const m = 8;
    const x = randomInputs(m, net.inputSize, rng);
    const y = oneHotRows([0, 1, 2, 0, 1, 2, 0, 1], 3);
    const ex = new IdealExecutor(p, referenceKernels);
    const gEp = makeGrads(net);
    const gBp = makeGrads(net);
    new EpEngine(net, ex, m, p.bias).step(x, y, m, gEp);
    new BackpropEngine(net, ex, m, 'bp', p.bias).step(x, y, m, gBp);
    const cos = net.edges.map((e) => cosine(gEp[e.index]!, gBp[e.index]!));
    for (const c of cos) expect(c).toBeGreaterThan(0.99);
  });
});

describe('conv nets elsewhere in the engines', () => {
  test('divideByBetaF divides the hidden updates by β_f and leaves the readout rule alone', () => {
    const net = smallConvNet({ pool: 'max', betaF: 0.25 });
    const divided = resolveNet({ ...net.spec, dynamics: { ...net.spec.dynamics, divideByBetaF: true } });
    const rng = makeRng(21);
    const p = paramsWithBias(net, rng);
    const m = 4;
    const x = randomInputs(m, net.inputSize, rng);
    const y = oneHotRows([0, 1, 2, 0], 3);
    const g1 = makeGrads(net);
    const g2 = makeGrads(net);
    new EpEngine(net, new IdealExecutor(p, referenceKernels), m, p.bias).step(x, y, m, g1);
    new EpEngine(divided, new IdealExecutor(p, referenceKernels), m, p.bias).step(x, y, m, g2);
    const E = net.edges.length;
    for (const e of net.edges) {
      const f = e.to === OUTPUT ? 1 : 1 / 0.25;
      for (const slot of [e.index, E + e.index]) {
        expect(
          maxRelErr(
            g2[slot]!,
            Array.from(g1[slot]!, (v) => v * f),
          ),
        ).toBeLessThan(1e-6);
      }
    }
  });

  test('FA through conv edges sends the error back through fixed random kernels (finite, and not BP)', () => {
    const net = smallConvNet({ pool: 'max' });
    const rng = makeRng(4);
    const p = paramsWithBias(net, rng);
    const m = 3;
    const x = randomInputs(m, net.inputSize, rng);
    const y = oneHotRows([0, 1, 2], 3);
    const { withRandomFeedback } = jest.requireActual('../graph/params') as typeof import('../graph/params');
    const pf = withRandomFeedback(net, p, rng);
    const gFa = makeGrads(net);
    const gBp = makeGrads(net);
    new BackpropEngine(net, new IdealExecutor(pf, referenceKernels), m, 'fa', p.bias).step(x, y, m, gFa);
    new BackpropEngine(net, new IdealExecutor(p, referenceKernels), m, 'bp', p.bias).step(x, y, m, gBp);
    expect(gFa[0]!.every(Number.isFinite)).toBe(true);
    // The readout's gradient is the same (no feedback involved); the first conv's is not.
    expect(maxRelErr(gFa[net.readout.index]!, gBp[net.readout.index]!)).toBeLessThan(1e-6);
    expect(Math.abs(cosine(gFa[0]!, gBp[0]!))).toBeLessThan(0.9);
  });

  test('conv weights and biases round-trip through .npz as [C_out, C_in, k, k] and [C_out]', () => {
    const { saveParams, loadParams } = jest.requireActual('../graph/weights-file') as typeof import('../graph/weights-file');
    const { readNpz } = jest.requireActual('../io/npz') as typeof import('../io/npz');
    const net = smallConvNet({ pool: 'max' });
    const p = paramsWithBias(net, makeRng(8));
    const dir = mkdtempSync(join(tmpdir(), 'fre-conv-'));
    const file = join(dir, 'w.npz');
    saveParams(file, net, p);
    const npz = readNpz(file);
    expect(npz.get('W0')!.shape).toEqual([3, 2, 3, 3]);
    expect(npz.get('W1.bias')!.shape).toEqual([4]);
    const back = loadParams(file, net, makeRng(99));
    for (const e of net.edges) {
      expect(Array.from(back.W[e.index].data)).toEqual(Array.from(p.W[e.index].data));
      expect(Array.from(back.bias[e.index]!)).toEqual(Array.from(p.bias[e.index]!));
    }
  });
});
