import { BackpropEngine } from '../simulator/engine/backprop';
import { initParams, withRandomFeedback } from '../graph/params';
import { softmaxRows } from '../simulator/engine/softmax';
import { IdealExecutor } from '../simulator/ideal-executor';
import { referenceKernels } from '../simulator/kernels/reference';
import { makeRng } from '../util/rng';
import { chainNet, cosine, graphNet, oneHotRows, randomInputs } from './helpers/nets';

function meanCE(engine: BackpropEngine, x: Float32Array, y: Float32Array, m: number, C: number): number {
  const z = engine.infer(x, m);
  const p = new Float32Array(m * C);
  softmaxRows(z, p, m, C);
  let l = 0;
  for (let i = 0; i < m * C; i++) if (y[i] > 0) l -= Math.log(p[i]);
  return l / m;
}

describe('BP gradients against central finite differences of the loss', () => {
  test.each([
    ['tanh chain with α = 0.7', chainNet([5, 4, 3], 3, { betaI: 0.1, betaF: 0.1, T: 1, K: 1, alpha: 0.7 })],
    [
      'graph with a skip edge',
      graphNet(
        5,
        [4, 3],
        3,
        [
          { name: 'W0', from: 'input', to: 'h1' },
          { name: 'W1', from: 'h1', to: 'h2' },
          { name: 'S0', from: 'input', to: 'h2', alpha: 0.5 },
          { name: 'Wf', from: 'h2', to: 'output' },
        ],
        { betaF: 0.1, T: 1, K: 1 },
      ),
    ],
  ])('%s', (_name, net) => {
    const rng = makeRng(11);
    const p = initParams(net, rng);
    for (const w of p.W) for (let i = 0; i < w.data.length; i++) w.data[i] *= 3; // leave the linear regime
    const m = 4;
    const x = randomInputs(m, net.inputSize, rng);
    const y = oneHotRows([0, 1, 2, 1], 3);
    const engine = new BackpropEngine(net, new IdealExecutor(p, referenceKernels), m, 'bp');
    const grads = net.edges.map((e) => new Float32Array(e.rows * e.cols));
    engine.step(x, y, m, grads);
    const h = 1e-2;
    for (const e of net.edges) {
      const w = p.W[e.index].data;
      for (let i = 0; i < w.length; i++) {
        const keep = w[i];
        w[i] = keep + h;
        const up = meanCE(engine, x, y, m, 3);
        w[i] = keep - h;
        const down = meanCE(engine, x, y, m, 3);
        w[i] = keep;
        expect(grads[e.index][i]).toBeCloseTo((up - down) / (2 * h), 3);
      }
    }
  });
});

describe('feedback alignment', () => {
  const net = chainNet([6, 5, 4], 3, { betaI: 0.1, betaF: 0.1, T: 1, K: 1 });
  const m = 4;

  function run(setB?: 'transpose') {
    const rng = makeRng(5);
    const p = withRandomFeedback(net, initParams(net, rng), rng.fork('fa'));
    if (setB === 'transpose') {
      // With B = Wᵀ for every edge, FA's backward pass is exactly BP's.
      net.edges.forEach((e) => {
        const W = p.W[e.index].data;
        const B = p.B[e.index]!.data;
        for (let r = 0; r < e.rows; r++) for (let c = 0; c < e.cols; c++) B[c * e.rows + r] = W[r * e.cols + c];
      });
    }
    const x = randomInputs(m, 6, makeRng(9));
    const y = oneHotRows([0, 1, 2, 0], 3);
    const ex = new IdealExecutor(p, referenceKernels);
    const gFa = net.edges.map((e) => new Float32Array(e.rows * e.cols));
    const gBp = net.edges.map((e) => new Float32Array(e.rows * e.cols));
    new BackpropEngine(net, ex, m, 'fa').step(x, y, m, gFa);
    new BackpropEngine(net, ex, m, 'bp').step(x, y, m, gBp);
    return { gFa, gBp };
  }

  test('the readout update is the exact gradient (it needs no feedback)', () => {
    const { gFa, gBp } = run();
    const f = net.readout.index;
    gFa[f].forEach((v, i) => expect(v).toBeCloseTo(gBp[f][i], 6));
  });

  test('random feedback gives a different hidden update; B = Wᵀ gives BP exactly', () => {
    const random = run();
    expect(cosine(random.gFa[0], random.gBp[0])).toBeLessThan(0.99);
    const tied = run('transpose');
    tied.gFa.forEach((g, k) => g.forEach((v, i) => expect(v).toBeCloseTo(tied.gBp[k][i], 6)));
  });
});
