/**
 * The two initialisations of graph/params.ts against the laws they claim: Glorot-uniform with zero
 * biases (the default), and PyTorch's nn.Linear / nn.Conv2d defaults, U(±1/√fan_in) for weights and
 * biases (torch.nn.Linear and torch.nn.Conv2d docs: k = 1/in_features, k = 1/(C_in·∏kernel)).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGraph } from '../graph/load';
import { resolveNet } from '../graph/net';
import { initParams, withRandomFeedback } from '../graph/params';
import { loadParams, saveParams } from '../graph/weights-file';
import { validateGraph } from '../graph/validate';
import { makeRng } from '../util/rng';

const ROOT = join(__dirname, '..');

/** The example with `training.init` set to `init`, or left out (the default) when `init` is undefined. */
function net(file: string, init?: 'glorot' | 'pytorch') {
  const spec = loadGraph(join(ROOT, 'examples', file));
  const { init: _given, ...training } = spec.training;
  return resolveNet({ ...spec, training: init ? { ...training, init } : training });
}

/** max |x| and the mean of x² — a uniform U(±a) has max → a and mean square a²/3. */
function stats(x: Float32Array): { max: number; meanSquare: number } {
  let max = 0;
  let sq = 0;
  for (const v of x) {
    max = Math.max(max, Math.abs(v));
    sq += v * v;
  }
  return { max, meanSquare: sq / x.length };
}

describe('initialisation', () => {
  test('pytorch: every conv and dense weight and bias is U(±1/√fan_in), fan_in = C_in·k² or in_features', () => {
    const n = net('mnist-conv.json', 'pytorch');
    const p = initParams(n, makeRng(0));
    // mnist-conv: W0 1·5·5 = 25 inputs per output, W1 32·5·5 = 800, Wf 64·4·4 = 1024.
    const fanIn: Record<string, number> = { W0: 25, W1: 800, Wf: 1024 };
    n.edges.forEach((e, i) => {
      const a = 1 / Math.sqrt(fanIn[e.name]!);
      const w = stats(p.W[i]!.data);
      expect(w.max).toBeLessThanOrEqual(a);
      expect(w.max).toBeGreaterThan(0.97 * a);
      expect(w.meanSquare).toBeGreaterThan((0.85 * (a * a)) / 3);
      expect(w.meanSquare).toBeLessThan((1.15 * (a * a)) / 3);
      const b = p.bias[i]!;
      expect(b.length).toBe(e.rows);
      expect(stats(b).max).toBeLessThanOrEqual(a);
      expect(b.some((v) => v !== 0)).toBe(true);
    });
  });

  test('glorot (the default) keeps its values and zero biases; naming it changes nothing', () => {
    const dflt = initParams(net('mnist-conv.json'), makeRng(3));
    const named = initParams(net('mnist-conv.json', 'glorot'), makeRng(3));
    dflt.W.forEach((w, i) => expect(named.W[i]!.data).toEqual(w.data));
    for (const b of dflt.bias) expect(b!.every((v) => v === 0)).toBe(true);
    // W0 of mnist-conv: Glorot with conv fans, √(6/(25 + 32·25)).
    expect(stats(dflt.W[0]!.data).max).toBeLessThanOrEqual(Math.sqrt(6 / (25 + 800)));
  });

  test('pytorch changes only the law: the same generator forks give weights in the same ratio', () => {
    const g = initParams(net('mnist-2hl.json'), makeRng(5));
    const t = initParams(net('mnist-2hl.json', 'pytorch'), makeRng(5));
    const e = net('mnist-2hl.json').edges[0]!;
    const ratio = 1 / Math.sqrt(e.cols) / Math.sqrt(6 / (e.rows + e.cols));
    expect(t.W[0]!.data[7]! / g.W[0]!.data[7]!).toBeCloseTo(ratio, 4);
  });

  test('random feedback (fixed B and feedback alignment) follows the law of the net', () => {
    const n = net('mnist-2hl.json', 'pytorch');
    const p = withRandomFeedback(n, initParams(n, makeRng(2)), makeRng(9));
    n.edges.forEach((e, i) => expect(stats(p.B[i]!.data).max).toBeLessThanOrEqual(1 / Math.sqrt(e.cols)));
  });

  test('pytorch: a weight file without biases loads them as zero, not as a fresh draw', () => {
    const n = net('mnist-conv.json', 'pytorch');
    const p = initParams(n, makeRng(4));
    const file = join(mkdtempSync(join(tmpdir(), 'fre-init-')), 'w-only.npz');
    saveParams(file, n, { ...p, bias: p.bias.map(() => undefined) });
    const back = loadParams(file, n, makeRng(4));
    n.edges.forEach((e, i) => {
      expect(back.W[i]!.data).toEqual(p.W[i]!.data);
      expect(back.bias[i]!.every((v) => v === 0)).toBe(true);
    });
  });

  test('the validated spec keeps init only when given (older specs keep their exact form)', () => {
    const spec = loadGraph(join(ROOT, 'examples', 'mnist-2hl.json'));
    expect('init' in spec.training).toBe(false);
    const r = validateGraph({ ...spec, training: { ...spec.training, init: 'pytorch' } }, 'spec.json');
    expect(r.diagnostics).toEqual([]);
    expect(r.spec?.training.init).toBe('pytorch');
  });
});
