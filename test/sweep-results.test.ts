/** results.jsonl: torn lines, merge (and refusing mixed sweeps), report statistics, table, CSV, SVG. */
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseXml, findAll } from '../plot/xml';
import { SweepError } from '../sweep/errors';
import { buildReport, formatCsv, formatTable, plotSvg, stat } from '../sweep/report';
import { mergeResults, readResults, truncateTorn, type ResultLine } from '../sweep/results';

const dir = mkdtempSync(join(tmpdir(), 'fre-sweep-results-'));
let fileNo = 0;

function line(
  index: number,
  point: Record<string, unknown>,
  seed: number,
  metrics: Record<string, number | null>,
  o: { hash?: string; total?: number } = {},
): ResultLine {
  return {
    sweep: 'unit',
    sweepHash: o.hash ?? 'aaaa',
    index,
    total: o.total ?? 8,
    point,
    seed,
    method: (point.method as string) ?? 'ep',
    metrics,
    config: { runner: 'train', graph: {} as ResultLine['config']['graph'], method: (point.method as string) ?? 'ep', seed, data: {} },
    seconds: 1,
    finished: '2026-01-01T00:00:00.000Z',
  };
}

function write(lines: ResultLine[], tail = ''): string {
  const f = join(dir, `r${fileNo++}.jsonl`);
  writeFileSync(f, lines.map((l) => `${JSON.stringify(l)}\n`).join('') + tail);
  return f;
}

/** 2 noise levels × 2 methods × seeds; accuracies chosen so mean/std are easy by hand. */
function sample(): ResultLine[] {
  return [
    line(0, { noise: 0, method: 'ep' }, 0, { acc: 0.9, energy: 10 }),
    line(1, { noise: 0, method: 'ep' }, 1, { acc: 0.8, energy: 12 }),
    line(2, { noise: 0, method: 'ep' }, 2, { acc: 0.7, energy: 14 }),
    line(3, { noise: 0, method: 'bp' }, 0, { acc: 0.5, energy: 1 }),
    line(4, { noise: 0, method: 'bp' }, 1, { acc: 0.6, energy: 1 }),
    line(6, { noise: 0.1, method: 'ep' }, 0, { acc: 0.4, energy: null }),
    line(7, { noise: 0.1, method: 'bp' }, 0, { acc: 0.25, energy: 2 }),
  ];
}

describe('reading results', () => {
  test('a torn last line is ignored with a warning and can be cut off; a damaged middle line is an error', () => {
    const good = sample().slice(0, 3);
    const f = write(good, '{"sweep":"unit","sweepHash":"aa');
    const r = readResults(f);
    expect(r.lines).toHaveLength(3);
    expect(r.torn).toMatch(/last line is incomplete .* ignoring it/);
    truncateTorn(f, r);
    expect(readFileSync(f, 'utf8')).toBe(good.map((l) => `${JSON.stringify(l)}\n`).join(''));
    expect(readResults(f).torn).toBeUndefined();

    const g = write(good);
    appendFileSync(g, 'garbage\n');
    appendFileSync(g, `${JSON.stringify(good[0])}\n`);
    expect(() => readResults(g)).toThrow(/:line 4: error: not valid JSON/);
    const h = write([], '{"a": 1}\n');
    expect(() => readResults(h)).toThrow(/:line 1: error: not a sweep result: "sweep" \(the sweep's name\) is missing/);

    const resumed = {
      ...good[0],
      sessions: [
        { firstEpoch: 1, code: { version: '1' } },
        { firstEpoch: 3, code: { version: '1' } },
      ],
    };
    expect(readResults(write([resumed])).lines[0].sessions).toHaveLength(2);
    const bad = { ...good[0], sessions: [{ code: { version: '1' } }] } as unknown as ResultLine;
    expect(() => readResults(write([bad]))).toThrow(
      /:line 1: error: not a sweep result: "sessions" must be a list of \{firstEpoch, code\}/,
    );
  });
});

describe('merge', () => {
  test('shards join into one file sorted by run index; duplicates dropped; missing runs counted', () => {
    const all = sample();
    const a = write(all.filter((l) => l.index % 2 === 0));
    const b = write([...all.filter((l) => l.index % 2 === 1).reverse(), all[0]]);
    const out = join(dir, 'merged.jsonl');
    const s = mergeResults([a, b], out);
    expect(s).toMatchObject({ runs: 7, duplicates: 1, conflicts: 0, total: 8, missing: [5] });
    expect(readResults(out).lines).toEqual(all);
  });

  test('refuses results of different sweeps, naming them', () => {
    const a = write(sample().slice(0, 2));
    const b = write([line(2, { noise: 0, method: 'ep' }, 2, { acc: 0.7 }, { hash: 'bbbb' })]);
    expect(() => mergeResults([a, b], join(dir, 'x.jsonl'))).toThrow(SweepError);
    expect(() => mergeResults([a, b], join(dir, 'x.jsonl'))).toThrow(
      /2 different sweeps: sweep "unit" \(hash aaaa\) in .*; sweep "unit" \(hash bbbb\) in /,
    );
  });
});

describe('report', () => {
  test('mean and sample std (n − 1) per point, against hand-computed values', () => {
    expect(stat([0.9, 0.8, 0.7])).toEqual({ mean: expect.closeTo(0.8, 12), std: expect.closeTo(0.1, 12), n: 3 });
    expect(stat([0.5, 0.6]).std).toBeCloseTo(Math.SQRT1_2 * 0.1, 12);
    expect(stat([2, 4, 4, 4, 5, 5, 7, 9]).std).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(stat([0.4]).std).toBeNaN();
    expect(stat([null, 3]).n).toBe(1);
    expect(stat([]).n).toBe(0);

    const r = buildReport([write(sample())]);
    expect(r.axes).toEqual(['noise', 'method']);
    expect(r.metrics).toEqual(['acc', 'energy']);
    expect(r.missing).toBe(1);
    expect(r.groups.map((g) => [g.point, g.seeds, g.stats.acc.n])).toEqual([
      [{ noise: 0, method: 'ep' }, [0, 1, 2], 3],
      [{ noise: 0, method: 'bp' }, [0, 1], 2],
      [{ noise: 0.1, method: 'ep' }, [0], 1],
      [{ noise: 0.1, method: 'bp' }, [0], 1],
    ]);
    expect(r.groups[0].stats.energy).toEqual({ mean: 12, std: 2, n: 3 });
    expect(r.groups[2].stats.energy.n).toBe(0);
  });

  test('the aligned table', () => {
    const table = formatTable(buildReport([write(sample())]));
    expect(table).toBe(
      [
        'noise  method  n              acc        energy',
        '-----  ------  -  ---------------  ------------',
        '    0  ep      3  0.8000 ± 0.1000  12.00 ± 2.00',
        '    0  bp      2  0.5500 ± 0.0707   1.00 ± 0.00',
        '  0.1  ep      1           0.4000           n/a',
        '  0.1  bp      1           0.2500          2.00',
        '',
      ].join('\n'),
    );
  });

  test('CSV: axes, n, <metric>_mean and _std at full precision (empty when undefined)', () => {
    const csv = formatCsv(buildReport([write(sample())]))
      .trim()
      .split('\n')
      .map((l) => l.split(','));
    expect(csv[0]).toEqual(['noise', 'method', 'n', 'acc_mean', 'acc_std', 'energy_mean', 'energy_std']);
    expect(csv).toHaveLength(5);
    expect(csv[1].slice(0, 3)).toEqual(['0', 'ep', '3']);
    expect(Number(csv[1][3])).toBeCloseTo(0.8, 12);
    expect(Number(csv[1][4])).toBeCloseTo(0.1, 12);
    expect(Number(csv[2][4])).toBeCloseTo(0.0707106781, 9);
    expect(csv[3].slice(3)).toEqual(['0.4', '', '', '']);
  });

  test('SVG: one panel per metric, one line per method along the x axis, error bars = std', () => {
    const r = buildReport([write(sample())]);
    const svg = parseXml(plotSvg(r, { metrics: ['acc'] }));
    const series = findAll(svg, (e) => e.name === 'g' && e.attrs.class === 'series');
    expect(series.map((s) => s.attrs['data-label'])).toEqual(['ep', 'bp']);
    const pts = findAll(svg, (e) => e.attrs.class === 'point' && e.attrs['data-series'] === '0').map((p) => [
      Number(p.attrs['data-x']),
      Number(p.attrs['data-y']),
    ]);
    expect(pts).toEqual([
      [0, expect.closeTo(0.8, 9)],
      [0.1, 0.4],
    ]);
    const bars = findAll(series[0], (e) => e.attrs.class === 'errorbar');
    expect(bars).toHaveLength(1); // one seed at noise 0.1: no bar
    expect(Number(bars[0].attrs['data-lo'])).toBeCloseTo(0.7, 9);
    expect(Number(bars[0].attrs['data-hi'])).toBeCloseTo(0.9, 9);
    expect(findAll(parseXml(plotSvg(r)), (e) => e.attrs.class === 'panel')).toHaveLength(2);
    // --series noise with --x noise is refused; an unknown axis is named.
    expect(() => plotSvg(r, { x: 'noise', series: 'noise' })).toThrow(/both "noise"/);
    expect(() => plotSvg(r, { x: 'beta' })).toThrow(/no axis "beta"/);
    expect(() => plotSvg(r, { x: 'method' })).toThrow(/not all numbers/);
  });

  test('refuses to mix sweeps', () => {
    const a = write(sample().slice(0, 2));
    const b = write([line(2, { noise: 0, method: 'ep' }, 2, { acc: 0.7 }, { hash: 'bbbb' })]);
    expect(() => buildReport([a, b])).toThrow(/2 different sweeps/);
  });
});

describe('results lines are checked field by field and against each other (issue 16)', () => {
  const bad = (l: Record<string, unknown>) => write([line(0, { noise: 0 }, 0, { acc: 0.5 }), l as unknown as ResultLine]);
  test.each([
    ['index -1', { index: -1 }, /line 2: .*"index" must be a run index, an integer from 0 to total − 1 = 7, got -1/],
    ['index 1e20', { index: 1e20 }, /"index" .* got 100000000000000000000/],
    ['index = total', { index: 8 }, /"index" .* got 8/],
    ['total 1e9', { total: 1e9 }, /"total" must be .* from 1 to 100000 .*got 1000000000/],
    ['a string metric', { metrics: { acc: 'high' } }, /metric "acc" must be a number or null, got "high"/],
    ['a fractional seed', { seed: 0.5 }, /"seed" must be an integer, got 0.5/],
  ])('%s is refused by read, merge and report', (_t, o, re) => {
    const f = bad({ ...line(1, { noise: 1 }, 0, { acc: 0.5 }), ...o });
    expect(() => readResults(f)).toThrow(re);
    expect(() => mergeResults([f], join(dir, 'm.jsonl'))).toThrow(re);
    expect(() => buildReport([f])).toThrow(re);
  });

  test('points outside the grid: an index reused for another point, other axes, another total', () => {
    const reused = write([line(0, { noise: 0 }, 0, { acc: 0.5 }), line(0, { noise: 1 }, 0, { acc: 0.5 })]);
    expect(() => readResults(reused)).toThrow(
      /line 2: .*run 0 is .*"noise":1.*but .* line 1 has run 0 as .*"noise":0.*a point outside the grid/,
    );
    const axes = write([line(0, { noise: 0 }, 0, { acc: 0.5 }), line(1, { beta: 1 }, 0, { acc: 0.5 })]);
    expect(() => buildReport([axes])).toThrow(/line 2: .*axes \["beta"\].*\["noise"\]/);
    const a = write([line(0, { noise: 0 }, 0, { acc: 0.5 })]);
    const b = write([line(1, { noise: 1 }, 0, { acc: 0.5 }, { total: 9 })]);
    expect(() => mergeResults([a, b], join(dir, 'm2.jsonl'))).toThrow(/"total" is 9, but .* says 8/);
  });
});
