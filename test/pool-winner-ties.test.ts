/**
 * pool.winner "state" (graph-format.md, conv_ep.py point 15): the new winner is the window's FIRST largest
 * X (of clamp(X, 0, 1) under the activation argmax rule), X = α·(z + b) with the extra on the previous winner.
 * Checked through the engine's EdgeOps (so through the TypeScript reference kernels and the native ones) on
 * windows where the read's argmax is not X's first largest unit: float32 rounding of α·z + α·b ties an earlier
 * unit with the read's argmax, or a negative α makes the largest z the smallest X. A naive window scan over a
 * rebuilt X (written here, independent of pool-rows.ts) is the reference for data made to tie.
 */
import { GraphBuilder } from '../graph/builder';
import { resolveNet, type Net, type NetEdge } from '../graph/net';
import { initParams } from '../graph/params';
import type { Activation, PoolArgmax } from '../graph/spec';
import { EdgeOps } from '../simulator/engine/edge-ops';
import { IdealExecutor } from '../simulator/ideal-executor';
import type { Kernels } from '../simulator/kernels/kernels';
import { NATIVE_BACKEND_NAME } from '../simulator/kernels/native';
import { referenceKernels } from '../simulator/kernels/reference';
import { selectKernels } from '../simulator/kernels/select';
import { makeRng } from '../util/rng';

const auto = selectKernels('auto');
const KERNELS: [string, Kernels][] = [['reference', referenceKernels]];
if (auto.name === NATIVE_BACKEND_NAME) KERNELS.push(['native', auto]);

/** input → h1 [O, H, W] → (W1: 1×1 conv, identity weights, max pool `size`/`stride`, winner "state") → h2. */
function net(
  O: number,
  H: number,
  W: number,
  size: number,
  stride: number,
  alpha: number,
  bias: boolean,
  argmax?: PoolArgmax,
  opts: { activation?: Activation; feedback?: 'map' } = {},
): Net {
  const OH = Math.floor((H - size) / stride) + 1;
  const OW = Math.floor((W - size) / stride) + 1;
  const b = new GraphBuilder('winner-ties').input([O, H, W]).map('h1', [O, H, W]).map('h2', [O, OH, OW], opts.activation).output(2);
  b.edge({ name: 'W0', from: 'input', to: 'h1', conv: { kernel: 1 } });
  b.edge({
    name: 'W1',
    from: 'h1',
    to: 'h2',
    alpha,
    conv: { kernel: 1 },
    pool: {
      kind: 'max',
      size,
      stride,
      winner: 'state',
      ...(argmax ? { argmax } : {}),
      ...(opts.feedback ? { feedback: opts.feedback } : {}),
    },
    bias,
    feedback: { kind: 'symmetric', beta: 1 },
  });
  b.edge({ name: 'Wf', from: 'h2', to: 'output' });
  b.dynamics({ T: 2, K: 1, betaF: 0.1, nudge: 'recomputed' });
  b.training({ optimizer: { kind: 'sgd', lr: { W0: 0.1, W1: 0.1, Wf: 0.1 } }, batchSize: 4, epochs: 1, seed: 0 });
  return resolveNet(b.build());
}

/** EdgeOps over identity 1×1 weights on W1 (its conv values z are h1's state, exactly) and the given bias. */
function ops(n: Net, kernels: Kernels, maxBatch: number, bias: Float32Array | null): { ops: EdgeOps; e: NetEdge } {
  const params = initParams(n, makeRng('winner-ties'));
  const e = n.edges.find((x) => x.name === 'W1')!;
  const w = params.W[e.index].data;
  w.fill(0);
  for (let o = 0; o < e.rows; o++) w[o * e.cols + o] = 1;
  const biases = n.edges.map((x) => (x === e && bias ? bias : undefined));
  return { ops: new EdgeOps(n, new IdealExecutor(params, kernels), maxBatch, biases), e };
}

/** The winners as the feedback routes them: feedback of ones through the winners, 1×1 identity weights. */
function winnersOf(o: EdgeOps, e: NetEdge, n: Net, m: number): number[] {
  const toSize = n.layers[e.to].size;
  const fromSize = n.layers[e.from].size;
  const out = new Float32Array(m * fromSize);
  o.feedback(e, new Float32Array(m * toSize).fill(1), m, 1, out);
  const w: number[] = [];
  out.forEach((v, i) => {
    if (v !== 0) w.push(i);
  });
  return w;
}

describe('pool winner "state": the first largest X wins, whatever the read picked', () => {
  const T26 = 2 ** -26; // 1 + 2^-26 rounds to 1 in float32

  test.each(KERNELS)('%s kernels: a rounding tie of X with the read argmax goes to the earlier unit', (_n, kernels) => {
    // α 1, b 1: X = fround(z + 1) = [1, 1, 0, 0] for z = [0, 2^-26, −1, −1]; the read's argmax is unit 1.
    const n = net(1, 2, 2, 2, 2, 1, true);
    const { ops: o, e } = ops(n, kernels, 1, Float32Array.of(1));
    const h = new Float32Array(1);
    o.forward(e, Float32Array.of(0, T26, -1, -1), 1, e.alpha, h);
    expect(h[0]).toBe(1);
    o.repool(e, h, 1); // the batch's first step: the extra (0) on the read's argmax
    expect(winnersOf(o, e, n, 1)).toEqual([0]);
    expect(h[0]).toBe(1);
  });

  test.each(KERNELS)('%s kernels: the previous winner elsewhere, an earlier tie of the read argmax wins', (_n, kernels) => {
    const n = net(1, 2, 2, 2, 2, 1, true);
    const { ops: o, e } = ops(n, kernels, 1, Float32Array.of(1));
    const h = new Float32Array(1);
    o.forward(e, Float32Array.of(-1, -1, 0.5, -1), 1, e.alpha, h);
    o.repool(e, h, 1);
    expect(winnersOf(o, e, n, 1)).toEqual([2]);
    // A new read: X = [1, 1, 0, 0] plus 0.25 on the previous winner (unit 2): unit 0 is X's first largest.
    h[0] = 0;
    o.forward(e, Float32Array.of(0, T26, -1, -1), 1, e.alpha, h);
    h[0] += 0.25;
    o.repool(e, h, 1);
    expect(winnersOf(o, e, n, 1)).toEqual([0]);
    expect(h[0]).toBe(1);
  });

  test.each(KERNELS)('%s kernels: a negative alpha, the largest X is the smallest z', (_n, kernels) => {
    const n = net(1, 2, 2, 2, 2, -1, false);
    const { ops: o, e } = ops(n, kernels, 1, null);
    const z = Float32Array.of(0.1, 0.5, 0.3, 0.2);
    const h = new Float32Array(1);
    o.forward(e, z, 1, e.alpha, h);
    const own = h[0];
    expect(own).toBe(Math.fround(-0.5));
    o.repool(e, h, 1); // X = −z: unit 0
    expect(winnersOf(o, e, n, 1)).toEqual([0]);
    expect(h[0]).toBe(-z[0]);
    // The same read: −0.5 more on unit 0 → X = [−0.6, −0.5, −0.3, −0.2]: unit 3.
    h[0] = own - 0.5;
    o.repool(e, h, 1);
    expect(winnersOf(o, e, n, 1)).toEqual([3]);
    expect(h[0]).toBe(-z[3]);
  });

  test.each(KERNELS)('%s kernels: activation rule, a key the read sees above 0 and its float32 X sits at', (_n, kernels) => {
    // α 0.7, b = fround(−0.45), z1 the float after 0.45: the read's key 0.7·z1 + 0.7·b is 2.1e-8 > 0 and the
    // other units' keys clamp to 0, so the read picks unit 1; X = fround(fround(0.7·z1) + 0.7·b) = 6.0e-9 > 0
    // (with α·b rounded to float32 first, X would be 0 and tie with every unit of the window).
    const n = net(1, 2, 2, 2, 2, 0.7, true, 'activation');
    const b = Math.fround(-0.45);
    const { ops: o, e } = ops(n, kernels, 1, Float32Array.of(b));
    const z1 = new Float32Array(Int32Array.of(new Int32Array(Float32Array.of(0.45).buffer)[0] + 1).buffer)[0];
    expect(0.7 * z1 + 0.7 * b).toBeGreaterThan(0);
    const h = new Float32Array(1);
    o.forward(e, Float32Array.of(0.2, z1, 0.2, 0.2), 1, e.alpha, h);
    o.repool(e, h, 1);
    expect(winnersOf(o, e, n, 1)).toEqual([1]);
    expect(h[0]).toBe(Math.fround(Math.fround(0.7 * z1) + 0.7 * b));
    expect(h[0]).toBeGreaterThan(0);
  });

  // Many windows made to tie under rounding, both rules, a positive and a negative α, fresh reads and steps
  // on the same read, maps with units outside every window (stride 3 > size 2, stride 2 > size 1), windows of
  // one unit and of nine: against a naive scan.
  const RANDOM: [string, number, number, PoolArgmax | undefined, number, number][] = [
    ['preactivation, α 0.7', 0.7, 0.75, undefined, 2, 3],
    ['preactivation, α −0.7', -0.7, 0.75, undefined, 2, 3],
    ['activation, α 0.7, keys near 0', 0.7, -0.3, 'activation', 2, 3],
    ['preactivation, windows of one unit', 0.7, 0.75, undefined, 1, 2],
    ['preactivation, windows of 3×3, stride 3', 0.7, 0.75, undefined, 3, 3],
  ];
  for (const [kname, kernels] of KERNELS)
    test.each(RANDOM)(`${kname} kernels, %s: the naive window scan`, (_t, alpha, b0, rule, size, stride) => {
      const [O, H, W, m] = [3, 8, 7, 4];
      const OH = Math.floor((H - size) / stride) + 1;
      const OW = Math.floor((W - size) / stride) + 1;
      const P = H * W;
      const n = net(O, H, W, size, stride, alpha, true, rule);
      const bias = Float32Array.from({ length: O }, (_, o) => b0 + o * 2 ** -20);
      const { ops: o, e } = ops(n, kernels, m, bias);
      const rng = makeRng(`winner ties ${kname} ${_t}`);
      const center = rule ? -b0 : 0; // keys near 0: z ≈ −b
      const key = (x: number) => (rule ? (x < 0 ? 0 : x > 1 ? 1 : x) : x);
      // The naive state: X [m, O, H, W] (NCHW here), winners per pooled unit as (b, o, q).
      let X = new Float64Array(0);
      let prev: number[] = [];
      let z = new Float32Array(0);
      let zmax: number[] = [];
      let mismatches = 0;
      let drives = 0;
      let moved = 0;
      for (let step = 0; step < 8; step++) {
        const fresh = step % 3 === 0;
        const h = new Float32Array(m * O * OH * OW);
        if (fresh) {
          // z in the rows layout [m·P × O] is h1's NCHW state transposed: build NCHW, the engine reads it.
          z = Float32Array.from({ length: m * O * P }, () => Math.fround(center + rng.normal() * 1e-7));
          o.forward(e, z, m, alpha, h);
          zmax = [];
          const argmax: number[] = [];
          for (let b = 0; b < m; b++)
            for (let c = 0; c < O; c++)
              for (let oy = 0; oy < OH; oy++)
                for (let ox = 0; ox < OW; ox++) {
                  let best = -Infinity;
                  let bq = -1;
                  let bk = -Infinity;
                  let kq = -1;
                  for (let ky = 0; ky < size; ky++)
                    for (let kx = 0; kx < size; kx++) {
                      const q = (oy * stride + ky) * W + ox * stride + kx;
                      const v = z[(b * O + c) * P + q];
                      if (v > best) [best, bq] = [v, q];
                      const kk = rule ? Math.min(1, Math.max(0, alpha * v + alpha * bias[c])) : v;
                      if (kk > bk) [bk, kq] = [kk, q];
                    }
                  zmax.push(best);
                  argmax.push(rule ? kq : bq);
                }
          // The batch's first step: the read's argmax; later reads: the previous step's winners.
          if (step === 0) prev = argmax;
        } else {
          for (let i = 0; i < h.length; i++) h[i] = Math.fround(Math.fround(alpha * zmax[i]) + alpha * bias[Math.floor(i / (OH * OW)) % O]);
        }
        for (let i = 0; i < h.length; i++) if (rng.uniform() < 0.5) h[i] = Math.fround(h[i] + rng.normal() * 3e-7);
        // Naive: X = fround(fround(α z) + α b), the extra on the previous winner, the first largest key.
        X = Float64Array.from(z, (v, i) => Math.fround(Math.fround(alpha * v) + alpha * bias[Math.floor(i / P) % O]));
        const want: number[] = [];
        let i = 0;
        for (let b = 0; b < m; b++)
          for (let c = 0; c < O; c++)
            for (let oy = 0; oy < OH; oy++)
              for (let ox = 0; ox < OW; ox++, i++) {
                const plane = (b * O + c) * P;
                const extra = h[i] - Math.fround(Math.fround(alpha * zmax[i]) + alpha * bias[c]);
                X[plane + prev[i]] = Math.fround(X[plane + prev[i]] + extra);
                let bq = -1;
                let bk = -Infinity;
                for (let ky = 0; ky < size; ky++)
                  for (let kx = 0; kx < size; kx++) {
                    const q = (oy * stride + ky) * W + ox * stride + kx;
                    const kk = key(X[plane + q]);
                    if (kk > bk) [bk, bq] = [kk, q];
                  }
                want.push(bq);
                if (bq !== prev[i]) moved++;
              }
        o.repool(e, h, m);
        // Each unit the feedback reaches is its window's winner (windows do not overlap): per pooled unit.
        const got = new Array<number>(want.length).fill(-1);
        const units = winnersOf(o, e, n, m);
        expect(units.length).toBe(want.length);
        for (const j of units) {
          const q = j % P;
          got[(Math.floor(j / P) * OH + Math.floor(Math.floor(q / W) / stride)) * OW + Math.floor((q % W) / stride)] = q;
        }
        for (let k = 0; k < want.length; k++) if (got[k] !== want[k]) mismatches++;
        // The drive is X at the winner, bit for bit (X is built with α·b in double, as the read adds it).
        for (let k = 0; k < want.length; k++) if (h[k] !== X[Math.floor(k / (OH * OW)) * P + want[k]]) drives++;
        prev = want;
      }
      expect({ mismatches, of: 8 * m * O * OH * OW }).toEqual({ mismatches: 0, of: 8 * m * O * OH * OW });
      expect(drives).toBe(0);
      // A window of one unit never moves its winner.
      if (size > 1) expect(moved).toBeGreaterThan(0);
      else expect(moved).toBe(0);
    });
});

describe('pool winner "state" with feedback "map": nothing is fed back before the batch\'s first step', () => {
  // graph-format.md: the edge's feedback reads ρ(X) over the whole map, 0 before the first step (conv_ep.py
  // point 15: zeros). Not ρ(0), which is 1/(1 + e²) for the sigmoid.
  test.each(KERNELS)('%s kernels, a sigmoid layer', (_n, kernels) => {
    for (const activation of ['sigmoid', 'hard-sigmoid', 'tanh'] as const) {
      const n = net(2, 4, 4, 2, 2, 1, true, undefined, { activation, feedback: 'map' });
      const { ops: o, e } = ops(n, kernels, 3, Float32Array.of(0.25, -0.5));
      const m = 3;
      const h = new Float32Array(m * n.layers[e.to].size);
      o.forward(
        e,
        Float32Array.from({ length: m * n.layers[e.from].size }, (_, i) => (i % 7) / 7),
        m,
        e.alpha,
        h,
      );
      const out = new Float32Array(m * n.layers[e.from].size);
      o.feedback(e, new Float32Array(h.length).fill(0.5), m, 1, out);
      expect([activation, out.every((v) => v === 0)]).toEqual([activation, true]);
      // After a step, ρ(X): not zero.
      o.repool(e, h, m);
      o.feedback(e, new Float32Array(h.length).fill(0.5), m, 1, out);
      expect([activation, out.some((v) => v !== 0)]).toEqual([activation, true]);
    }
  });
});
