/**
 * `fre sweep report`: results grouped by point (every axis; the seeds are the repeats), with the
 * mean, the sample standard deviation (n − 1 in the denominator) and n of every metric — as an
 * aligned table, as CSV, and as SVG line plots (x = one axis, one line per value of another, error
 * bars ± std) drawn with plot/svg-plot.ts.
 */
import { metricInfo, metricLabel, metricValue } from '../plot/metrics';
import { figure, type PlotSpec, type Series } from '../plot/svg-plot';
import { canonicalJson } from './canonical';
import { SweepError } from './errors';
import { checkConsistent, lineKey, readResults, type ResultLine } from './results';

export interface Stat {
  mean: number;
  std: number;
  n: number;
}

export interface Group {
  point: Record<string, unknown>;
  /** Smallest run index of the group (groups are listed in grid order). */
  firstIndex: number;
  /** Seeds present. */
  seeds: number[];
  stats: Record<string, Stat>;
}

export interface Report {
  sweep: string;
  sweepHash: string;
  axes: string[];
  metrics: string[];
  logAxes: string[];
  groups: Group[];
  runs: number;
  /** Runs of the grid not present (from `total`), so a partial report says so. */
  missing: number;
  warnings: string[];
}

/** Mean, sample standard deviation (ddof 1; NaN for one value) and count of the finite values. */
export function stat(values: (number | null)[]): Stat {
  const v = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  const n = v.length;
  if (n === 0) return { mean: NaN, std: NaN, n: 0 };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const std = n < 2 ? NaN : Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return { mean, std, n };
}

export function buildReport(files: string[]): Report {
  const warnings: string[] = [];
  const lines: ResultLine[] = [];
  const located: { line: ResultLine; file: string; row: number }[] = [];
  const origin = new Map<string, string>();
  for (const f of files) {
    const r = readResults(f, { mustExist: true });
    if (r.torn) warnings.push(r.torn);
    for (const [k, l] of r.lines.entries()) {
      lines.push(l);
      located.push({ line: l, file: f, row: r.rows[k] });
      if (!origin.has(l.sweepHash)) origin.set(l.sweepHash, `sweep "${l.sweep}" (hash ${l.sweepHash}) in ${f}`);
    }
  }
  if (lines.length === 0)
    throw SweepError.one(files.join(', '), '', 'no finished runs to report', 'run the sweep first (fre sweep SWEEP.json)');
  if (origin.size > 1) {
    throw SweepError.one(
      files.join(', '),
      '',
      `these results come from ${origin.size} different sweeps: ${[...origin.values()].join('; ')}`,
      'report one sweep at a time',
    );
  }
  checkConsistent(located);
  const seen = new Set<string>();
  const unique = lines.filter((l) => {
    const k = lineKey(l);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  if (unique.length < lines.length) warnings.push(`${lines.length - unique.length} duplicate run(s) ignored (first kept)`);
  const axes = Object.keys(unique[0].point);
  const metrics = Object.keys(unique[0].metrics);
  const groups = new Map<string, { point: Record<string, unknown>; first: number; seeds: number[]; rows: ResultLine[] }>();
  for (const l of unique) {
    const k = canonicalJson(l.point);
    const g = groups.get(k) ?? { point: l.point, first: l.index, seeds: [], rows: [] };
    g.first = Math.min(g.first, l.index);
    g.seeds.push(l.seed);
    g.rows.push(l);
    groups.set(k, g);
  }
  const out: Group[] = [...groups.values()]
    .sort((a, b) => a.first - b.first)
    .map((g) => ({
      point: g.point,
      firstIndex: g.first,
      seeds: g.seeds.sort((a, b) => a - b),
      stats: Object.fromEntries(metrics.map((m) => [m, stat(g.rows.map((r) => r.metrics[m]))])),
    }));
  const total = Math.max(...unique.map((l) => l.total ?? 0));
  return {
    sweep: unique[0].sweep,
    sweepHash: unique[0].sweepHash,
    axes,
    metrics,
    logAxes: unique[0].logAxes ?? [],
    groups: out,
    runs: unique.length,
    missing: Math.max(0, total - unique.length),
    warnings,
  };
}

function valueText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Decimals that show a column of means to about 4 significant digits of its largest entry. */
function decimalsFor(values: number[]): number {
  const a = Math.max(...values.filter(Number.isFinite).map(Math.abs), 0);
  if (a === 0) return 4;
  return Math.min(6, Math.max(0, 3 - Math.floor(Math.log10(a))));
}

function useExp(values: number[]): boolean {
  const a = Math.max(...values.filter(Number.isFinite).map(Math.abs), 0);
  return a >= 1e6 || (a > 0 && a < 1e-3);
}

export function formatStat(s: Stat, dec: number, exp: boolean): string {
  if (s.n === 0) return 'n/a';
  const f = (x: number) => (exp ? x.toExponential(3) : x.toFixed(dec));
  return Number.isFinite(s.std) ? `${f(s.mean)} ± ${f(s.std)}` : f(s.mean);
}

/** The aligned table: one row per point, the axes, n, and mean ± std of every metric. */
export function formatTable(r: Report, metrics = r.metrics): string {
  const head = [...r.axes, 'n', ...metrics];
  const fmt = metrics.map((m) => {
    const means = r.groups.map((g) => g.stats[m].mean);
    return { dec: decimalsFor(means), exp: useExp(means) };
  });
  const rows = r.groups.map((g) => [
    ...r.axes.map((a) => valueText(g.point[a])),
    String(g.stats[metrics[0]]?.n ?? g.seeds.length),
    ...metrics.map((m, k) => formatStat(g.stats[m], fmt[k].dec, fmt[k].exp)),
  ]);
  const numeric = head.map((_, c) => c >= r.axes.length || r.groups.every((g) => typeof g.point[r.axes[c]] === 'number'));
  const width = head.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const line = (cells: string[]) =>
    cells
      .map((s, c) => (numeric[c] ? s.padStart(width[c]) : s.padEnd(width[c])))
      .join('  ')
      .trimEnd();
  const out = [line(head), width.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  return `${out.join('\n')}\n`;
}

function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV: the axes, n, then <metric>_mean, <metric>_std per metric (full precision; empty when undefined). */
export function formatCsv(r: Report, metrics = r.metrics): string {
  const num = (x: number) => (Number.isFinite(x) ? String(x) : '');
  const head = [...r.axes, 'n', ...metrics.flatMap((m) => [`${m}_mean`, `${m}_std`])];
  const rows = r.groups.map((g) => [
    ...r.axes.map((a) => valueText(g.point[a])),
    String(g.stats[metrics[0]]?.n ?? g.seeds.length),
    ...metrics.flatMap((m) => [num(g.stats[m].mean), num(g.stats[m].std)]),
  ]);
  return `${[head, ...rows].map((row) => row.map(csvCell).join(',')).join('\n')}\n`;
}

export interface PlotOptions {
  /** The x axis (default: the first axis whose values are all numbers and not all equal). */
  x?: string;
  /** One line per value of this axis (default: method, when it is an axis). Other varying axes are folded into the line labels. */
  series?: string;
  metrics?: string[];
  logX?: boolean;
  title?: string;
  /** Panels per row (default: up to 3). */
  cols?: number;
}

export function chooseAxes(r: Report, o: PlotOptions): { x: string; series?: string } {
  const varying = (a: string) => new Set(r.groups.map((g) => canonicalJson(g.point[a]))).size > 1;
  const numeric = (a: string) => r.groups.every((g) => typeof g.point[a] === 'number');
  const check = (flag: string, a: string | undefined) => {
    if (a !== undefined && !r.axes.includes(a)) {
      throw SweepError.one('report', '', `--${flag} ${a}: the sweep has no axis "${a}"`, `use one of: ${r.axes.join(', ')}`);
    }
  };
  check('x', o.x);
  check('series', o.series);
  const x = o.x ?? r.axes.find((a) => numeric(a) && varying(a));
  if (x === undefined)
    throw SweepError.one(
      'report',
      '',
      'no axis with numeric values to put on the x axis',
      `name one with --x (axes: ${r.axes.join(', ') || 'none'})`,
    );
  if (!numeric(x))
    throw SweepError.one(
      'report',
      '',
      `--x ${x}: its values are not all numbers, so it cannot be an x axis`,
      'choose a numeric axis for --x and use this one as --series',
    );
  let series = o.series;
  if (series === undefined && x !== 'method' && r.axes.includes('method')) series = 'method';
  if (series === x) throw SweepError.one('report', '', `--series and --x are both "${x}"`, 'choose two different axes');
  return { x, ...(series !== undefined ? { series } : {}) };
}

/** One panel per metric: y = mean, error bars = sample std over seeds. */
export function plotSvg(r: Report, o: PlotOptions = {}): string {
  const { x, series } = chooseAxes(r, o);
  const metrics = o.metrics ?? r.metrics;
  for (const m of metrics) {
    if (!r.metrics.includes(m))
      throw SweepError.one('report', '', `--metric ${m}: the results have no metric "${m}"`, `use one of: ${r.metrics.join(', ')}`);
  }
  // Line identity: the series axis first, then every other axis that varies (not x).
  const varying = r.axes.filter((a) => a !== x && new Set(r.groups.map((g) => canonicalJson(g.point[a]))).size > 1);
  const lineAxes = series ? [series, ...varying.filter((a) => a !== series)] : varying;
  const lines = new Map<string, { label: string; groups: Group[] }>();
  for (const g of r.groups) {
    const label = lineAxes.map((a) => valueText(g.point[a])).join(', '); // the legend's title names the axes
    const e = lines.get(label) ?? { label, groups: [] };
    e.groups.push(g);
    lines.set(label, e);
  }
  // Log x when asked, when the axis was swept on a log scale, or (the plot decides) when its values span ≥ 2 decades.
  const logX = o.logX ?? (r.logAxes.includes(x) ? true : undefined);
  // Labels, units and scale (accuracy in %) from the metric table; the legend sits outside the
  // plot area, titled with the axes its lines stand for, so it never covers data.
  const panels: PlotSpec[] = metrics.map((m) => ({
    title: metricInfo(m).label,
    xLabel: x,
    yLabel: `${metricLabel(m)}, mean ± std`,
    logX,
    legend: lineAxes.length ? 'outside' : 'none',
    legendTitle: lineAxes.join(', '),
    width: 560,
    height: 360,
    series: [...lines.values()].map((l): Series => {
      const gs = [...l.groups].sort((a, b) => (a.point[x] as number) - (b.point[x] as number));
      return {
        label: l.label,
        x: gs.map((g) => g.point[x] as number),
        y: gs.map((g) => metricValue(m, g.stats[m].mean)),
        yErr: gs.map((g) => metricValue(m, g.stats[m].std)),
      };
    }),
  }));
  const n = Math.min(...r.groups.map((g) => g.seeds.length));
  const N = Math.max(...r.groups.map((g) => g.seeds.length));
  return figure(panels, {
    cols: Math.min(panels.length, o.cols ?? 3),
    title: o.title ?? `${r.sweep}: mean ± std over ${n === N ? n : `${n}–${N}`} seed${N === 1 ? '' : 's'}`,
  });
}
