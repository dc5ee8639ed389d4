/** Sweep files → grid: lists, lin/log ranges, wildcard and name selectors, seeds, order, shards, hash. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkSweep, materialise, pointIndex, rangeValues } from '../sweep/definition';
import { enumerateRuns, inShard, parseShard, runCount, shardRuns } from '../sweep/grid';
import { parsePath, resolvePath } from '../sweep/paths';
import { sweepDir, tinyGraph, tinySweep } from './sweep-fixtures';

function load(sweep: Record<string, unknown>, graph = tinyGraph()) {
  const { file } = sweepDir(sweep, graph);
  return checkSweep(sweep, file);
}

describe('values', () => {
  test('linear and log ranges include both ends, rounded to 12 digits', () => {
    expect(rangeValues(0, 0.3, 4, 'lin')).toEqual([0, 0.1, 0.2, 0.3]);
    expect(rangeValues(0.001, 0.1, 3, 'log')).toEqual([0.001, 0.01, 0.1]);
    expect(rangeValues(1e-4, 1, 5, 'log')).toEqual([1e-4, 1e-3, 1e-2, 1e-1, 1]);
    expect(rangeValues(5, 9, 1, 'lin')).toEqual([5]);
    expect(rangeValues(2, 1, 3, 'lin')).toEqual([2, 1.5, 1]);
  });
});

describe('paths', () => {
  const g = tinyGraph();
  test('an index, a wildcard (only elements where the rest exists) and a name selector', () => {
    const r = (t: string) => {
      const x = resolvePath(g, parsePath(t));
      return 'paths' in x ? x.paths : x.error.message;
    };
    expect(r('graph.edges[1].feedback.beta')).toEqual([['edges', 1, 'feedback', 'beta']]);
    expect(r('graph.edges[*].feedback.beta')).toEqual([
      ['edges', 1, 'feedback', 'beta'],
      ['edges', 2, 'feedback', 'beta'],
    ]);
    expect(r('graph.edges[name=W2].feedback.beta')).toEqual([['edges', 2, 'feedback', 'beta']]);
    expect(r('graph.edges[*].name')).toHaveLength(4);
    expect(r('graph.dynamics.T')).toEqual([['dynamics', 'T']]);
    expect(r('graph.dynamics.TT')).toMatch(/graph.dynamics has no field "TT"/);
    expect(r('graph.edges[9].alpha')).toMatch(/has 4 elements/);
  });
  test('bad syntax is refused', () => {
    expect(() => parsePath('model.T')).toThrow(/starts with "graph." or "chip."/);
    expect(() => parsePath('graph.edges[1')).toThrow(/not closed/);
    expect(() => parsePath('graph.edges[-1].alpha')).toThrow(/not an index/);
    expect(() => parsePath('graph')).toThrow(/whole graph/);
  });
});

describe('grid', () => {
  test('cartesian product, first axis slowest, seeds innermost; method from its axis', () => {
    const def = load(tinySweep());
    expect(def.axes.map((a) => a.values)).toEqual([
      [0.001, 0.01, 0.1],
      ['ep', 'bp'],
    ]);
    expect(def.seeds).toEqual([0, 1]);
    const runs = enumerateRuns(def);
    expect(runs).toHaveLength(12);
    expect(runCount(def)).toBe(12);
    expect(runs.map((r) => [r.point.beta, r.method, r.seed])).toEqual([
      [0.001, 'ep', 0],
      [0.001, 'ep', 1],
      [0.001, 'bp', 0],
      [0.001, 'bp', 1],
      [0.01, 'ep', 0],
      [0.01, 'ep', 1],
      [0.01, 'bp', 0],
      [0.01, 'bp', 1],
      [0.1, 'ep', 0],
      [0.1, 'ep', 1],
      [0.1, 'bp', 0],
      [0.1, 'bp', 1],
    ]);
    expect(runs.map((r) => r.index)).toEqual(runs.map((_, i) => i));
    expect(new Set(runs.map((r) => r.key)).size).toBe(12);
  });

  test('a wildcard axis sets every β_i; a list of paths sets them together; the seed goes into the graph', () => {
    const def = load(
      tinySweep({
        axes: [
          { name: 'beta', path: 'graph.edges[*].feedback.beta', values: [0.05] },
          { name: 'steps', path: ['graph.dynamics.T', 'graph.dynamics.K'], values: [3, 6] },
        ],
        seeds: [7, 11],
      }),
    );
    const m = materialise(def, pointIndex(def, 1)) as { graph: ReturnType<typeof tinyGraph> };
    expect(m.graph.edges.map((e) => e.feedback?.beta)).toEqual([undefined, 0.05, 0.05, undefined]);
    expect([m.graph.dynamics.T, m.graph.dynamics.K]).toEqual([6, 6]);
    const runs = enumerateRuns(def);
    expect(runs.map((r) => r.seed)).toEqual([7, 11, 7, 11]);
    expect(runs.every((r) => r.method === 'ep')).toBe(true); // the runner's default method
  });

  test('no axes: one point, one run per seed; "seeds" defaults to the graph\'s training seed', () => {
    const g = tinyGraph();
    g.training.seed = 42;
    const def = load({ format: 'fre-sweep/1', graph: 'graph.json' }, g);
    expect(enumerateRuns(def).map((r) => [r.point, r.seed])).toEqual([[{}, 42]]);
  });

  test('the hash changes with what decides the runs, not with the name or the data folder', () => {
    const a = load(tinySweep());
    expect(load(tinySweep({ name: 'other', description: 'x' })).hash).toBe(a.hash);
    expect(load(tinySweep({ data: { trainLimit: 300, testLimit: 100, dataDir: '/elsewhere' } })).hash).toBe(a.hash);
    expect(load(tinySweep({ seeds: 3 })).hash).not.toBe(a.hash);
    expect(load(tinySweep({ data: { trainLimit: 301, testLimit: 100 } })).hash).not.toBe(a.hash);
    const g = tinyGraph();
    g.dynamics.betaF = 0.2;
    expect(load(tinySweep(), g).hash).not.toBe(a.hash);
  });

  test('a chip file that modifies a preset without a name hashes as before the "preset+file" names (--resume of older results)', () => {
    // fre names such a chip "ideal+chip.json" now; results files written when it was called "ideal" carry
    // the hash of that name, and the name decides no run: the same sweep must keep its hash.
    const hashWith = (chip: Record<string, unknown>) => {
      const { dir, file } = sweepDir(tinySweep({ runner: 'chip', chip: 'chip.json', axes: [], seeds: 1, metrics: ['bestTestAccuracy'] }));
      writeFileSync(join(dir, 'chip.json'), JSON.stringify(chip));
      return checkSweep(JSON.parse(readFileSync(file, 'utf8')), file).hash;
    };
    const modified = { base: 'ideal', neuron: { stateNoise: 0.01 } };
    expect(hashWith(modified)).toBe(hashWith({ ...modified, name: 'ideal' }));
    // Other fields still count.
    expect(hashWith(modified)).not.toBe(hashWith({ ...modified, neuron: { stateNoise: 0.02 } }));
  });

  test('relative graph paths resolve against the sweep file', () => {
    const { dir, file } = sweepDir();
    expect(checkSweep(tinySweep(), file).graphFile).toBe(join(dir, 'graph.json'));
  });
});

describe('shards', () => {
  test('index mod N: disjoint, together exactly the grid, sizes differ by at most one', () => {
    const def = load(tinySweep({ seeds: 3 })); // 18 runs
    const runs = enumerateRuns(def);
    for (const n of [1, 2, 3, 4, 5, 7, 18, 25]) {
      const parts = Array.from({ length: n }, (_, i) => shardRuns(runs, { index: i, count: n }));
      const all = parts
        .flat()
        .map((r) => r.index)
        .sort((a, b) => a - b);
      expect(all).toEqual(runs.map((r) => r.index));
      const sizes = parts.map((p) => p.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      parts.forEach((p, i) => expect(p.every((r) => r.index % n === i)).toBe(true));
    }
    expect(inShard(5, { index: 1, count: 2 })).toBe(true);
    expect(inShard(5, { index: 0, count: 2 })).toBe(false);
  });

  test('I/N parsing', () => {
    expect(parseShard('0/4')).toEqual({ index: 0, count: 4 });
    expect(parseShard(' 3 / 4 ')).toEqual({ index: 3, count: 4 });
    expect(parseShard('4/4')).toBeNull();
    expect(parseShard('1/0')).toBeNull();
    expect(parseShard('1')).toBeNull();
    expect(parseShard('-1/2')).toBeNull();
  });
});

describe('"set": fixed changes of the base documents', () => {
  test('applied before the axes, part of every run and of the hash; checked like axes', () => {
    const def = load(tinySweep({ set: { 'graph.training.epochs': 3, 'graph.layers[*].size': 8 } }));
    const runs = enumerateRuns(def);
    expect(runs).toHaveLength(12);
    for (const r of [runs[0], runs[11]]) {
      const m = materialise(def, r.pointIndex) as { graph: ReturnType<typeof tinyGraph> };
      expect(m.graph.training.epochs).toBe(3);
      expect(m.graph.layers.map((l) => l.size)).toEqual([8, 8, 8]);
    }
    expect(def.hash).not.toBe(load(tinySweep()).hash);
    expect(() => load(tinySweep({ set: { 'graph.edges[1].feedback.beta': 0.5 } }))).toThrow(
      /"set" and axis "beta" both set graph.edges\[1\].feedback.beta/,
    );
    expect(() => load(tinySweep({ set: { 'graph.training.epoch': 3 } }))).toThrow(
      /\/set\/graph.training.epoch: error: unknown path [\s\S]* did you mean "epochs"/,
    );
    expect(() => load(tinySweep({ set: { 'graph.training.epochs': '3' } }))).toThrow(
      /wrong type: graph.training.epochs is a number .* but "set" gives the string "3"/,
    );
    expect(() => load(tinySweep({ set: { 'graph.training.epochs': 0 } }))).toThrow(
      /\/set: error: with these values the graph is invalid at graph.training.epochs: FRE012/,
    );
  });
});
