import { markdown, readRun, seedRows } from '../bench/seeds-table';

const result = (name: string, seed: number, accs: number[], nudge?: string, planned = accs.length): string =>
  JSON.stringify({
    spec: { name, dynamics: nudge ? { nudge } : {} },
    algo: 'ep',
    seed,
    epochsRun: accs.length,
    epochsPlanned: planned,
    epochs: accs.map((a, i) => ({ epoch: i + 1, testAccuracy: a })),
  });

describe('bench/seeds-table', () => {
  test('best epoch per seed, mean and sample std (ddof 1) per spec and nudge', () => {
    const runs = [
      readRun('a2', result('net', 2, [0.9, 0.97, 0.95], 'graph')),
      readRun('a0', result('net', 0, [0.96, 0.95], 'graph')),
      readRun('a1', result('net', 1, [0.98], 'graph')),
      readRun('h0', result('net', 0, [0.5, 0.6])),
    ];
    const rows = seedRows(runs);
    expect(rows).toHaveLength(2);
    const g = rows.find((r) => r.nudge === 'graph')!;
    expect(g.runs.map((r) => [r.seed, r.best, r.bestEpoch])).toEqual([
      [0, 0.96, 1],
      [1, 0.98, 1],
      [2, 0.97, 2],
    ]);
    // 0.96, 0.98, 0.97: mean 0.97, sample variance (1e-4 + 1e-4 + 0) / 2 = 1e-4 → std 0.01.
    expect(g.mean).toBeCloseTo(0.97, 12);
    expect(g.std).toBeCloseTo(0.01, 12);
    const h = rows.find((r) => r.nudge === 'held')!;
    expect(h.runs).toHaveLength(1);
    expect(markdown([h])).toContain('| net | ep | held | 1 | 0: 60.00 (2), 2/2 | 60.00 (one seed) |');
  });

  test('an unfinished run is marked, not averaged silently', () => {
    const rows = seedRows([readRun('x', result('n', 0, [0.5], 'graph', 50)), readRun('y', result('n', 1, [0.7], 'graph', 1))]);
    expect(rows[0].complete).toBe(false);
    expect(markdown(rows)).toContain('60.00 ± 14.14 (unfinished)');
  });

  test('a file that is not a result file is named with the missing field', () => {
    expect(() => readRun('f.json', '{')).toThrow(/f\.json: not JSON/);
    expect(() => readRun('g.json', JSON.stringify({ spec: { name: 'n' }, algo: 'ep', seed: 0, epochs: [] }))).toThrow(
      /g\.json: field "epochs\[\]\.testAccuracy"/,
    );
  });
});
