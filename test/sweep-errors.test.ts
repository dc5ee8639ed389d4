/**
 * Bad sweep files: every problem named with the file, the place in it and what to change, all
 * found before any run starts (no results file is created). Chip paths are checked through the
 * chip runner's hooks.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkSweep, loadSweep } from '../sweep/definition';
import { SweepError } from '../sweep/errors';
import { registerRunner, type SweepRunner } from '../sweep/runner';
import { sweepDir, tinyGraph, tinySweep } from './sweep-fixtures';

const ROOT = join(__dirname, '..');
const FRE = join(ROOT, 'dist', 'cli', 'main.js');

/** The problems of a sweep as "where: message | hint" strings. */
function problems(sweep: unknown, graph = tinyGraph()): string[] {
  const { file } = sweepDir(sweep as Record<string, unknown>, graph);
  try {
    checkSweep(sweep, file);
  } catch (err) {
    if (!(err instanceof SweepError)) throw err;
    for (const p of err.problems) expect(p.file).toBe(file);
    return err.problems.map((p) => `${p.where}: ${p.message} | ${p.hint}`);
  }
  return [];
}

function axis(a: Record<string, unknown>) {
  return tinySweep({ axes: [a] });
}

describe('sweep file checks', () => {
  test('a valid file has no problems', () => {
    expect(problems(tinySweep())).toEqual([]);
  });

  test('unknown paths name the axis, the path, where it stops and a suggestion', () => {
    const p = problems(
      tinySweep({
        axes: [
          { path: 'graph.edges[*].feedback.betta', values: [0.1] },
          { path: 'graph.dynamcs.T', values: [3] },
          { path: 'graph.edges[4].alpha', values: [1] },
          { path: 'graph.edges[name=W9].alpha', values: [1] },
          { path: 'weights.T', values: [1] },
          { path: 'chip.crossbar.rows', values: [64] },
        ],
      }),
    );
    expect(p).toEqual([
      expect.stringMatching(
        /^\/axes\/0\/path: unknown path "graph.edges\[\*\].feedback.betta": graph.edges\[1\].feedback has no field "betta" \| did you mean "beta"\?/,
      ),
      expect.stringMatching(/^\/axes\/1\/path: unknown path "graph.dynamcs.T": graph has no field "dynamcs" \| did you mean "dynamics"\?/),
      expect.stringMatching(/^\/axes\/2\/path: .*graph.edges has 4 elements, so \[4\] does not exist \| use an index from 0 to 3/),
      expect.stringMatching(/^\/axes\/3\/path: .*no element of graph.edges has name = "W9" \| did you mean \[name=W0\]/),
      expect.stringMatching(/^\/axes\/4\/path: bad path: a path starts with "graph." or "chip."/),
      expect.stringMatching(/^\/axes\/5\/path: unknown path "chip.crossbar.rows": runner "train" has no chip description/),
    ]);
  });

  test('empty axes and empty ranges', () => {
    expect(problems(axis({ path: 'graph.dynamics.T', values: [] }))).toEqual([
      expect.stringMatching(/^\/axes\/0\/values: the axis is empty/),
    ]);
    expect(problems(axis({ path: 'graph.dynamics.T', values: { from: 1, to: 5, steps: 0 } }))).toEqual([
      expect.stringMatching(/^\/axes\/0\/values\/steps: the range is empty/),
    ]);
    expect(problems(axis({ path: 'graph.dynamics.T' }))).toEqual([expect.stringMatching(/^\/axes\/0\/values: the axis has no "values"/)]);
    expect(problems(tinySweep({ seeds: [] }))).toEqual([expect.stringMatching(/^\/seeds: "seeds" is empty/)]);
  });

  test("wrong value types, against the base graph's field and against the graph validator", () => {
    expect(problems(axis({ path: 'graph.dynamics.K', values: [2, '3'] }))).toEqual([
      expect.stringMatching(
        /^\/axes\/0\/values\/1: wrong type: graph.dynamics.K is a number \(base value 2\) but the axis gives the string "3" \| write the number without quotes: 3/,
      ),
    ]);
    expect(problems(axis({ path: 'graph.edges[1].feedback.kind', values: ['random', 'mirror'] }))).toEqual([
      expect.stringMatching(
        /^\/axes\/0\/values\/1: axis .* value "mirror" makes the graph invalid at graph.edges\[1\].feedback.kind: FRE013: .* \| use one of none, symmetric, random/,
      ),
    ]);
    // A wildcard reaches the input edge too: one message per bad value and problem, at its first location.
    expect(problems(axis({ name: 'fb', path: 'graph.edges[*].feedback.kind', values: ['symmetric', 'mirror'] }))).toEqual([
      expect.stringMatching(
        /^\/axes\/0\/values\/0: axis "fb" value "symmetric" makes the graph invalid at graph.edges\[0\].feedback: FRE025: edge "W0" from the input/,
      ),
      expect.stringMatching(
        /^\/axes\/0\/values\/1: axis "fb" value "mirror" makes the graph invalid at graph.edges\[0\].feedback.kind: FRE013/,
      ),
    ]);
    // A range of integers-only field: the non-integer values are pointed at.
    expect(problems(axis({ name: 'T', path: 'graph.dynamics.T', values: { from: 2, to: 3, steps: 3 } }))).toEqual([
      expect.stringMatching(
        /^\/axes\/0\/values: axis "T" value 2.5 makes the graph invalid at graph.dynamics.T: FRE011: "T" must be an integer/,
      ),
    ]);
    expect(problems(axis({ path: 'graph.edges[*].feedback.beta', values: [0.1, -0.1] }))).toEqual([
      expect.stringMatching(/^\/axes\/0\/values\/1: .*value -0.1 makes the graph invalid at graph.edges\[1\].feedback.beta: FRE012/),
    ]);
    expect(problems(axis({ path: 'graph.dynamics.T', values: { from: 'a', to: 5, steps: 2 } }))).toEqual([
      expect.stringMatching(/^\/axes\/0\/values\/from: "from" must be a number/),
    ]);
    expect(problems(axis({ path: 'graph.dynamics.betaF', values: { from: 0, to: 1, steps: 3, scale: 'log' } }))).toEqual([
      expect.stringMatching(/log range needs from and to > 0/),
    ]);
    expect(problems(tinySweep({ seeds: [0, 1.5] }))).toEqual([expect.stringMatching(/^\/seeds: .*list of integers/)]);
    expect(problems(tinySweep({ data: { trainLimit: '300' } }))).toEqual([
      expect.stringMatching(/^\/data\/trainLimit: "trainLimit" must be an integer/),
    ]);
  });

  test('unknown methods, metrics, runners and fields', () => {
    expect(problems(axis({ path: 'method', values: ['ep', 'ep-insitu'] }))).toEqual([
      expect.stringMatching(
        /^\/axes\/0\/values\/1: unknown method "ep-insitu" for runner "train" \| use methods of runner "train": ep, bp, fa/,
      ),
    ]);
    expect(problems(tinySweep({ metrics: ['bestTestAcc'] }))).toEqual([
      expect.stringMatching(/^\/metrics\/0: .*"bestTestAcc" \| did you mean "bestTestAccuracy"/),
    ]);
    expect(problems(tinySweep({ runner: 'gpu' }))).toEqual([expect.stringMatching(/^\/runner: unknown runner "gpu"/)]);
    // The chip runner exists: the train runner's methods and metrics are refused by name.
    expect(problems(tinySweep({ runner: 'chip' }))).toEqual([
      expect.stringMatching(/unknown method "ep" for runner "chip"/),
      expect.stringMatching(/unknown method "bp" for runner "chip"/),
      expect.stringMatching(/runner "chip" does not report a metric "finalTrainLoss"/),
    ]);
    expect(problems(tinySweep({ axis: [] }))).toEqual([expect.stringMatching(/^\/axis: unknown field "axis" \| did you mean "axes"/)]);
    expect(problems(tinySweep({ format: 'fre-sweep/0' }))).toEqual([expect.stringMatching(/^\/format: .*"fre-sweep\/1"/)]);
    expect(problems(tinySweep({ axes: [{ path: 'graph.dynamics.T', values: [3], step: 1 }] }))).toEqual([
      expect.stringMatching(/^\/axes\/0\/step: unknown field/),
    ]);
    expect(problems(tinySweep({ axes: [{ path: ['graph.dynamics.T', 'graph.dynamics.K'], values: [3] }] }))).toEqual([
      expect.stringMatching(/needs a "name"/),
    ]);
    expect(problems(tinySweep({ axes: [{ path: 'graph.training.seed', values: [3] }] }))).toEqual([
      expect.stringMatching(/sets from "seeds"/),
    ]);
    expect(problems(tinySweep({ axes: [{ path: 'graph.dynamics.T', values: [3, 3] }] }))).toEqual([
      expect.stringMatching(/^\/axes\/0\/values\/1: value 3 is listed twice/),
    ]);
    expect(
      problems(
        tinySweep({
          axes: [
            { name: 'a', path: 'graph.edges[1].feedback.beta', values: [1] },
            { name: 'b', path: 'graph.edges[*].feedback.beta', values: [2] },
          ],
        }),
      ),
    ).toEqual([expect.stringMatching(/axes "a" and "b" both set graph.edges\[1\].feedback.beta/)]);
  });

  test('the base graph: missing file, invalid graph', () => {
    expect(problems(tinySweep({ graph: 'nope.json' }))).toEqual([
      expect.stringMatching(/^\/graph: the base graph "nope.json" does not exist/),
    ]);
    const g = tinyGraph();
    (g.dynamics as Record<string, unknown>).K = 0;
    expect(problems(tinySweep(), g)).toEqual([
      expect.stringMatching(/^\/graph: the base graph is invalid:\n.*graph.json:\/dynamics\/K: error FRE012/),
    ]);
  });

  test('malformed JSON and unreadable files name the file', () => {
    const { dir } = sweepDir();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{\n  "format": "fre-sweep/1",\n}');
    expect(() => loadSweep(bad)).toThrow(new RegExp(`^${bad}: error: not valid JSON at line 3, column 1`));
    const badGraph = sweepDir();
    writeFileSync(join(badGraph.dir, 'graph.json'), '{\n "layers": [\n');
    expect(() => loadSweep(badGraph.file)).toThrow(/the base graph .*graph.json is not valid JSON at line 3, column 1/);
    expect(() => loadSweep(join(dir, 'missing.json'))).toThrow(/cannot read the sweep file: it does not exist \(ENOENT\)/);
  });
});

describe("chip paths go through the chip runner's hooks", () => {
  const fakeChip: SweepRunner = {
    name: 'fake-chip',
    description: 'test double',
    methods: ['ep-insitu', 'bp-exsitu'],
    defaultMethod: 'ep-insitu',
    metrics: ['accuracy', 'energy'],
    defaultMetrics: ['accuracy'],
    resolveChip: (chip) =>
      chip === 'reram'
        ? { chip: { crossbar: { rows: 128, cols: 128, programmingNoise: 0.05 }, adc: { bits: 6 } } }
        : { problems: [{ path: '', message: `unknown chip preset ${JSON.stringify(chip)}`, hint: 'use "reram"' }] },
    validateChip: (chip, graph) => {
      const c = chip as { adc: { bits: number }; crossbar: { rows: number } };
      // The net must fit the chip: a problem of the chip document that a graph value causes.
      if (graph.layers[0].size > 1000)
        return [{ path: 'chip', message: 'the net needs more arrays than the chip has', hint: 'a bigger chip' }];
      if (c.adc.bits < 1 || c.adc.bits > 12)
        return [{ path: 'chip.adc.bits', message: `ADC bits must be 1–12, got ${c.adc.bits}`, hint: 'use 1…12 bits' }];
      // A constraint between fields, reported at the one no axis below sets.
      return c.crossbar.rows < c.adc.bits
        ? [{ path: 'chip.adc.bits', message: `${c.adc.bits} bits need ${c.adc.bits} rows`, hint: 'fewer bits or more rows' }]
        : [];
    },
    run: async () => ({ accuracy: 1, energy: 0 }),
  };
  registerRunner(fakeChip);
  const chipSweep = (axes: unknown[], chip: unknown = 'reram') => ({
    format: 'fre-sweep/1',
    runner: 'fake-chip',
    graph: 'graph.json',
    chip,
    axes,
  });

  test("paths resolve against the runner's chip description; values are checked by validateChip", () => {
    expect(
      problems(
        chipSweep([
          { path: 'chip.crossbar.programmingNoise', values: [0, 0.1] },
          { path: 'method', values: ['ep-insitu', 'bp-exsitu'] },
        ]),
      ),
    ).toEqual([]);
    expect(problems(chipSweep([{ path: 'chip.crossbar.programingNoise', values: [0] }]))).toEqual([
      expect.stringMatching(
        /^\/axes\/0\/path: unknown path "chip.crossbar.programingNoise": chip.crossbar has no field "programingNoise" \| did you mean "programmingNoise"/,
      ),
    ]);
    expect(problems(chipSweep([{ name: 'bits', path: 'chip.adc.bits', values: [4, 16] }]))).toEqual([
      expect.stringMatching(/^\/axes\/0\/values\/1: axis "bits" value 16 makes the chip invalid at chip.adc.bits: ADC bits must be 1–12/),
    ]);
    // The field at fault is not swept: the one axis that sets the chip is blamed at its value; with two
    // such axes, neither can be singled out and the point is named at /axes.
    expect(problems(chipSweep([{ name: 'rows', path: 'chip.crossbar.rows', values: [128, 4] }]))).toEqual([
      expect.stringMatching(/^\/axes\/0\/values\/1: axis "rows" value 4 makes the chip invalid at chip.adc.bits: 6 bits need 6 rows/),
    ]);
    expect(
      problems(
        chipSweep([
          { name: 'rows', path: 'chip.crossbar.rows', values: [4] },
          { name: 'noise', path: 'chip.crossbar.programmingNoise', values: [0] },
        ]),
      ),
    ).toEqual([expect.stringMatching(/^\/axes: at the point rows=4, noise=0 the chip is invalid at chip.adc.bits/)]);
    // One axis sets the chip, but a graph axis also varies and the chip's check reads the graph (the net must
    // fit): the chip axis's value is not the cause, so the point is named, not "change or drop this value".
    expect(
      problems(
        chipSweep([
          { name: 'rows', path: 'chip.crossbar.rows', values: [128] },
          { name: 'h', path: 'graph.layers[0].size', values: [16, 5000] },
        ]),
      ),
    ).toEqual([expect.stringMatching(/^\/axes: at the point rows=128, h=5000 the chip is invalid/)]);
    // The only chip axis varies, but the problem is there at each of its values (a base graph too large for
    // the chip): no value is its cause; it is said once, for the whole grid, at the whole chip.
    const big = tinyGraph();
    (big.layers as { size: number }[])[0].size = 5000;
    expect(problems(chipSweep([{ name: 'noise', path: 'chip.crossbar.programmingNoise', values: [0, 0.1] }]), big)).toEqual([
      expect.stringMatching(
        /^\/axes: at every point of the grid \(the first: noise=0\) the chip is invalid at chip: the net needs more arrays/,
      ),
    ]);
    expect(problems(chipSweep([], 'pcm-x'))).toEqual([expect.stringMatching(/^\/chip: unknown chip preset "pcm-x"/)]);
    const { chip: _, ...noChip } = chipSweep([{ path: 'chip.adc.bits', values: [4] }]);
    expect(problems(noChip)).toEqual([expect.stringMatching(/^\/axes\/0\/path: unknown path "chip.adc.bits": the sweep names no chip/)]);
  });
});

describe('fre sweep (built CLI) refuses bad files before any run', () => {
  test('one clear message per problem, exit code 1, no stack trace, no results file', () => {
    const sweep = tinySweep({
      axes: [
        { path: 'graph.edges[*].feedback.betta', values: [0.1] },
        { path: 'graph.dynamics.T', values: [] },
        { path: 'method', values: ['ep', 'bp-exsitu'] },
      ],
    });
    const { dir, file } = sweepDir(sweep);
    const out = join(dir, 'r.jsonl');
    const r = spawnSync(process.execPath, [FRE, 'sweep', file, '-o', out], { cwd: dir, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${file}:/axes/0/path: error: unknown path "graph.edges[*].feedback.betta"`);
    expect(r.stderr).toContain(`${file}:/axes/1/values: error: the axis is empty`);
    expect(r.stderr).toContain(`${file}:/axes/2/values/1: error: unknown method "bp-exsitu"`);
    expect(r.stderr.match(/fix: /g)).toHaveLength(3);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
  });

  test('bad flags', () => {
    const { dir, file } = sweepDir();
    const shard = spawnSync(process.execPath, [FRE, 'sweep', file, '--shard', '2/2'], { cwd: dir, encoding: 'utf8' });
    expect(shard.status).toBe(1);
    expect(shard.stderr).toMatch(/--shard must be I\/N with 0 ≤ I < N/);
    const workers = spawnSync(process.execPath, [FRE, 'sweep', file, '--workers', '0'], { cwd: dir, encoding: 'utf8' });
    expect(workers.status).toBe(1);
    expect(workers.stderr).toMatch(/--workers must be an integer from 1 to 256 \(docs\/limits.md\), got 0/);
  });
});
