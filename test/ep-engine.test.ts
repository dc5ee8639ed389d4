import { OUTPUT } from '../graph/net';
import { EpEngine } from '../simulator/engine/ep';
import { BackpropEngine } from '../simulator/engine/backprop';
import { initParams, type Params } from '../graph/params';
import { IdealExecutor } from '../simulator/ideal-executor';
import { referenceKernels } from '../simulator/kernels/reference';
import { makeRng } from '../util/rng';
import { chainNet, cosine, graphNet, oneHotRows, randomInputs } from './helpers/nets';

describe('EP engine on a 1-1-1-2 net, against values derived by hand', () => {
  // x → h1 (w0) → h2 (w1, feedback β) → output (wf, feedback β_f); tanh; T = 2, K = 1.
  // Free phase from 0: t1: s1 = tanh(w0 x), s2 = tanh(0) = 0; t2: s1 = tanh(w0 x), s2 = tanh(w1 s1).
  // Nudged step from the free state: s1β = tanh(w0 x + β w1 s2⁰), s2β = tanh(w1 s1⁰ + β_f Σ_k wf_k e_k),
  // e = y − softmax(wf s2⁰). Descent directions: g0 = −(s1β − s1⁰) x, g1 = −(s2β − s2⁰) s1⁰, gf = −e s2⁰.
  const w0 = 0.8,
    w1 = -1.2,
    wf = [0.7, -0.3],
    beta = 0.3,
    betaF = 0.5;
  const xs = [0.5, -0.25];
  const labels = [0, 1];

  function byHand(nudge: 'held' | 'recomputed' | 'lagged') {
    const g = { g0: 0, g1: 0, gf: [0, 0] };
    xs.forEach((x, r) => {
      const s1 = Math.tanh(w0 * x);
      const s2 = Math.tanh(w1 * s1);
      const z = wf.map((w) => w * s2);
      const ez = z.map(Math.exp);
      const p = ez.map((v) => v / (ez[0] + ez[1]));
      const e = p.map((pk, k) => (k === labels[r] ? 1 : 0) - pk);
      // One nudged step: the recomputed error at step 1 equals the held one (same state). The lagged
      // one is the error of s_{T−1} = (tanh(w0·x), 0): logits 0, p = (½, ½).
      const en = nudge === 'lagged' ? e.map((_, k) => (k === labels[r] ? 1 : 0) - 0.5) : e;
      const s1b = Math.tanh(w0 * x + beta * w1 * s2);
      const s2b = Math.tanh(w1 * s1 + betaF * (wf[0] * en[0] + wf[1] * en[1]));
      g.g0 += (-(s1b - s1) * x) / xs.length;
      g.g1 += (-(s2b - s2) * s1) / xs.length;
      g.gf[0] += (-e[0] * s2) / xs.length;
      g.gf[1] += (-e[1] * s2) / xs.length;
    });
    return g;
  }

  test.each(['held', 'recomputed', 'lagged'] as const)('local updates equal the hand-derived ones (%s error)', (nudge) => {
    const net = chainNet([1, 1, 1], 2, { betaI: beta, betaF, T: 2, K: 1, nudge });
    const params: Params = initParams(net, makeRng(1));
    params.W[0].data.set([w0]);
    params.W[1].data.set([w1]);
    params.W[2].data.set(wf);
    const engine = new EpEngine(net, new IdealExecutor(params, referenceKernels), 2);
    const grads = net.edges.map((e) => new Float32Array(e.rows * e.cols));
    engine.step(Float32Array.from(xs), oneHotRows(labels, 2), 2, grads);
    const want = byHand(nudge);
    expect(grads[0][0]).toBeCloseTo(want.g0, 6);
    expect(grads[1][0]).toBeCloseTo(want.g1, 6);
    expect(grads[2][0]).toBeCloseTo(want.gf[0], 6);
    expect(grads[2][1]).toBeCloseTo(want.gf[1], 6);
    expect(Math.abs(grads[0][0])).toBeGreaterThan(1e-4);
  });
});

/**
 * A dense reference: the stacked (Σn)² matrix of all blocks, the form of the authors' code, in
 * float64. The block-sparse engine must give the same states and updates.
 */
function denseEp(net: ReturnType<typeof graphNet>, p: Params, x: Float32Array, y: Float32Array, m: number, graphNudge = false) {
  const offs: number[] = [];
  let N = 0;
  net.layers.forEach((l) => {
    offs.push(N);
    N += l.size;
  });
  const M = Array.from({ length: N }, () => new Float64Array(N));
  const bIn = (xr: Float32Array) => {
    const b = new Float64Array(N);
    for (const e of net.edges)
      if (e.from === -1) {
        for (let r = 0; r < e.rows; r++)
          for (let c = 0; c < e.cols; c++) b[offs[e.to] + r] += e.alpha * p.W[e.index].data[r * e.cols + c] * xr[c];
      }
    return b;
  };
  for (const e of net.edges) {
    if (e.from < 0 || e.to < 0) continue;
    const W = p.W[e.index].data;
    for (let r = 0; r < e.rows; r++)
      for (let c = 0; c < e.cols; c++) {
        M[offs[e.to] + r][offs[e.from] + c] += e.alpha * W[r * e.cols + c];
        if (e.feedback === 'symmetric') M[offs[e.from] + c][offs[e.to] + r] += e.beta * W[r * e.cols + c];
      }
    if (e.feedback === 'random') {
      const B = p.B[e.index]!.data; // cols × rows
      for (let c = 0; c < e.cols; c++) for (let r = 0; r < e.rows; r++) M[offs[e.from] + c][offs[e.to] + r] += e.beta * B[c * e.rows + r];
    }
  }
  const ro = net.readout;
  const Wf = p.W[ro.index].data;
  const C = net.classes;
  const step = (s: Float64Array, b: Float64Array, extra: Float64Array | null, k = 1) => {
    const out = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      let h = b[i] + (extra ? k * extra[i] : 0);
      for (let j = 0; j < N; j++) h += M[i][j] * s[j];
      out[i] = Math.tanh(h);
    }
    return out;
  };
  const free: Float64Array[] = [];
  const nudged: Float64Array[] = [];
  const nudgedErrs: Float64Array[] = [];
  const errs: Float64Array[] = [];
  for (let r = 0; r < m; r++) {
    const b = bIn(x.subarray(r * net.inputSize, (r + 1) * net.inputSize));
    let s = new Float64Array(N);
    for (let t = 0; t < net.spec.dynamics.T; t++) s = step(s, b, null);
    free.push(s);
    const o = offs[ro.from];
    const z = Array.from({ length: C }, (_, k) => {
      let v = 0;
      for (let c = 0; c < ro.cols; c++) v += Wf[k * ro.cols + c] * s[o + c];
      return v;
    });
    const mx = Math.max(...z);
    const ez = z.map((v) => Math.exp(v - mx));
    const sum = ez.reduce((a, v) => a + v, 0);
    const e = Float64Array.from(ez.map((v, k) => y[r * C + k] - v / sum));
    errs.push(e);
    const extra = new Float64Array(N);
    for (let c = 0; c < ro.cols; c++) for (let k = 0; k < C; k++) extra[o + c] += net.spec.dynamics.betaF * Wf[k * ro.cols + c] * e[k];
    let sb = s;
    for (let t = 0; t < net.spec.dynamics.K; t++) sb = step(sb, b, extra, graphNudge ? t + 1 : 1);
    nudged.push(sb);
    if (graphNudge) {
      // The graph model's readout update uses the nudged output.
      const zb = Array.from({ length: C }, (_, k) => {
        let v = 0;
        for (let c = 0; c < ro.cols; c++) v += Wf[k * ro.cols + c] * sb[o + c];
        return v;
      });
      const mb = Math.max(...zb);
      const ezb = zb.map((v) => Math.exp(v - mb));
      const sumb = ezb.reduce((a, v) => a + v, 0);
      nudgedErrs.push(Float64Array.from(ezb.map((v, k) => y[r * C + k] - v / sumb)));
    }
  }
  return { offs, free, nudged, errs, nudgedErrs };
}

describe('block-sparse engine equals a dense stacked-matrix reference', () => {
  test.each(['held', 'graph'] as const)('random graph with skip, symmetric and random feedback, α ≠ 1 (%s nudge)', (nudge) => {
    const net = graphNet(
      6,
      [5, 4, 3],
      3,
      [
        { name: 'W0', from: 'input', to: 'h1' },
        { name: 'W1', from: 'h1', to: 'h2', alpha: 0.9, feedback: { kind: 'symmetric', beta: 0.3 } },
        { name: 'W2', from: 'h2', to: 'h3', feedback: { kind: 'random', beta: 0.2 } },
        { name: 'S13', from: 'h1', to: 'h3', alpha: 0.5, feedback: { kind: 'symmetric', beta: 0.1 } },
        { name: 'R31', from: 'h3', to: 'h1', alpha: 0.15, trainable: false },
        { name: 'Wf', from: 'h3', to: 'output' },
      ],
      { betaF: 0.4, T: 7, K: 4, nudge },
    );
    const rng = makeRng(7);
    const p = initParams(net, rng);
    const m = 3;
    const x = randomInputs(m, 6, rng);
    const y = oneHotRows([0, 2, 1], 3);
    const engine = new EpEngine(net, new IdealExecutor(p, referenceKernels), m);
    const grads = net.edges.map((e) => new Float32Array(e.rows * e.cols));
    engine.step(x, y, m, grads);
    const ref = denseEp(net, p, x, y, m, nudge === 'graph');
    for (let j = 0; j < net.layers.length; j++) {
      const n = net.layers[j].size;
      for (let r = 0; r < m; r++)
        for (let u = 0; u < n; u++) {
          expect(engine.freeState(j)[r * n + u]).toBeCloseTo(ref.free[r][ref.offs[j] + u], 5);
          expect(engine.state(j)[r * n + u]).toBeCloseTo(ref.nudged[r][ref.offs[j] + u], 5);
        }
    }
    // Updates: g = −(sβ_post − s⁰_post)(s⁰_pre)ᵀ/m for trained edges; the fixed random edge R31 untouched.
    for (const e of net.edges) {
      const g = grads[e.index];
      if (!e.trainable) {
        expect(Array.from(g).every((v) => v === 0)).toBe(true);
        continue;
      }
      for (let a = 0; a < e.rows; a++)
        for (let b = 0; b < e.cols; b++) {
          let want = 0;
          for (let r = 0; r < m; r++) {
            const toOut = e.to === OUTPUT;
            // Every update's presynaptic factor is the free state, the readout's in graph mode too.
            const pre = e.from === -1 ? x[r * net.inputSize + b] : ref.free[r][ref.offs[e.from] + b];
            const d = toOut
              ? nudge === 'graph'
                ? ref.nudgedErrs[r][a]
                : ref.errs[r][a]
              : ref.nudged[r][ref.offs[e.to] + a] - ref.free[r][ref.offs[e.to] + a];
            want -= (d * pre) / m;
          }
          expect(g[a * e.cols + b]).toBeCloseTo(want, 5);
        }
    }
  });
});

describe("weak limit: EP updates align with the BP gradient (the paper's theorem)", () => {
  function alignment(betaI: number): number[] {
    const net = chainNet([12, 10, 10, 10], 4, { betaI, betaF: 0.01, T: 60, K: 60, batch: 16 });
    const rng = makeRng(3);
    const p = initParams(net, rng);
    const m = 16;
    const x = randomInputs(m, 12, rng);
    const y = oneHotRows(
      Array.from({ length: m }, (_, i) => i % 4),
      4,
    );
    const ex = new IdealExecutor(p, referenceKernels);
    const gEp = net.edges.map((e) => new Float32Array(e.rows * e.cols));
    const gBp = net.edges.map((e) => new Float32Array(e.rows * e.cols));
    new EpEngine(net, ex, m).step(x, y, m, gEp);
    new BackpropEngine(net, ex, m, 'bp').step(x, y, m, gBp);
    return net.edges.map((e) => cosine(gEp[e.index], gBp[e.index]));
  }

  test('small β_f and β_i: cosine > 0.99 for every layer', () => {
    const cos = alignment(0.02);
    for (const c of cos) expect(c).toBeGreaterThan(0.99);
  });

  test('alignment of the hidden layers drifts away as β_i grows', () => {
    // Measured: W0 cosine 0.998 (β_i 0.02), 0.943 (0.1), 0.715 (0.3), ≈ 0 (0.5). Below β_i ≈ 0.01 the
    // lowest layer's nudge (∝ β_f·β_i²) falls under float32 resolution and alignment drops again.
    const cos = [0.02, 0.1, 0.3].map(alignment);
    for (let l = 0; l < 3; l++) {
      expect(cos[1][l]).toBeLessThan(cos[0][l]);
      expect(cos[2][l]).toBeLessThan(cos[1][l]);
    }
    expect(cos[2][0]).toBeLessThan(0.9);
  });
});
