import { resolveNet } from '../graph/net';
import { agtGraph, agtRandomEdges, residualGraph, residualSkips, type DeepOptions } from '../graph/topologies';

const base = (depth: number): DeepOptions => ({
  name: `t${depth}`,
  inputSize: 20,
  classes: 3,
  depth,
  width: 8,
  betaI: 0.1,
  dynamics: { T: 10, K: 5, betaF: 0.1 },
  training: { optimizer: { kind: 'adam', lr: 1e-3 }, batchSize: 4, epochs: 1, seed: 3 },
});

const pairs = (spec: ReturnType<typeof residualGraph>) => spec.edges.map((e) => `${e.from}>${e.to}`).sort();

describe('residual topology', () => {
  test('10 layers: chain plus bidirectional skips 1↔4, 4↔7, 7↔10, all symmetric and trained', () => {
    const spec = residualGraph(base(10));
    const want = ['input>h1', 'h10>output'];
    for (let i = 1; i < 10; i++) want.push(`h${i}>h${i + 1}`);
    want.push('h1>h4', 'h4>h7', 'h7>h10');
    expect(pairs(spec)).toEqual(want.sort());
    for (const e of spec.edges.filter((x) => x.from !== 'input' && x.to !== 'output')) {
      expect(e.feedback).toEqual({ kind: 'symmetric', beta: 0.1 });
      expect(e.trainable).toBe(true);
    }
  });

  test('20 layers continue the skips every 3 layers; without skips it is the plain chain', () => {
    expect(residualSkips(20)).toEqual([
      [1, 4],
      [4, 7],
      [7, 10],
      [10, 13],
      [13, 16],
      [16, 19],
    ]);
    expect(residualGraph(base(20)).edges).toHaveLength(21 + 6);
    expect(residualGraph({ ...base(10), skips: false }).edges).toHaveLength(11);
  });
});

describe('AGT topology', () => {
  test('chain with random feedback, plus exactly the drawn random edges, seeded', () => {
    const drawn = agtRandomEdges(10, 0.2, 3);
    expect(agtRandomEdges(10, 0.2, 3)).toEqual(drawn);
    expect(agtRandomEdges(10, 0.2, 4)).not.toEqual(drawn);
    const spec = agtGraph({ ...base(10), p: 0.2 });
    const net = resolveNet(spec);
    const random = spec.edges.filter((e) => e.name.startsWith('R'));
    expect(random.map((e) => [Number(e.from.slice(1)), Number(e.to.slice(1))])).toEqual(drawn);
    for (const [i, j] of drawn) expect(Math.abs(i - j)).toBeGreaterThanOrEqual(2);
    for (const e of net.edges) {
      if (e.name.startsWith('W') && e.from >= 0 && e.to >= 0) expect(e.feedback).toBe('random');
      if (e.name.startsWith('R')) {
        expect(e.feedback).toBe('none');
        // Backward-pointing random edges are fixed (never trained) and scaled like feedback.
        expect(e.trainable).toBe(e.from < e.to);
        if (e.from > e.to) expect(e.alpha).toBe(0.1);
      }
    }
    expect(net.readout.feedback).toBe('random');
  });

  test('edge probability is P (40 layers: 1482 candidate pairs)', () => {
    const n = agtRandomEdges(40, 0.2, 1).length;
    expect(n / (40 * 39 - 2 * 39)).toBeGreaterThan(0.17);
    expect(n / (40 * 39 - 2 * 39)).toBeLessThan(0.23);
  });

  test('the committed examples are what the generators produce', () => {
    // examples/generate.ts writes them; a hand edit that breaks the topology shows up here.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const agt = require('../examples/mnist-10l-agt.json');
    const again = agtGraph({
      ...base(10),
      name: agt.name,
      description: agt.description,
      dataset: 'mnist',
      inputSize: 784,
      classes: 10,
      width: 64,
      dynamics: agt.dynamics,
      training: agt.training,
      p: 0.2,
      edgeSeed: 0,
    });
    expect(again).toEqual(agt);
  });
});
