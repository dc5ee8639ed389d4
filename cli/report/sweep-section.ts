/**
 * The sweep section of `fre report`: per point (the seeds are the repeats) the mean ± sample std
 * and the 95 % confidence interval of the mean (Student t with n − 1 degrees of freedom), the
 * plots of `fre sweep report`, the configuration and, when the results carry it, the provenance.
 */
import { metricInfo, metricLabel } from '../../plot/metrics';
import { formatNumber } from '../../plot/ticks';
import { SweepError } from '../../sweep/errors';
import { buildReport, plotSvg, type Report, type Stat } from '../../sweep/report';
import { readResults } from '../../sweep/results';
import { ciHalfWidth } from '../../util/confidence';
import { canonicalJson } from '../../sweep/canonical';
import { esc, facts, figureHtml, jsonDetails, provenanceHtml, table, type Section } from './html';

/** Shown mean, std and CI bounds of one metric at one point (in the metric's unit), with n. */
export interface CiCell {
  mean: number;
  std: number;
  lo: number;
  hi: number;
  n: number;
}

export function ciCell(metric: string, s: Stat): CiCell {
  const k = metricInfo(metric).scale;
  const h = ciHalfWidth(s.std, s.n);
  return { mean: s.mean * k, std: s.std * k, lo: (s.mean - h) * k, hi: (s.mean + h) * k, n: s.n };
}

/** Significant digits that tell the column's values apart (4 of its largest magnitude). */
function fmtFor(values: number[]): (v: number) => string {
  const a = Math.max(0, ...values.filter(Number.isFinite).map(Math.abs));
  const dec = a === 0 ? 4 : Math.min(6, Math.max(0, 3 - Math.floor(Math.log10(a))));
  // Below the column's last shown decimal a value prints as 0 (not as float noise like 4e-11).
  return (v) => (!Number.isFinite(v) ? 'n/a' : Math.abs(v) < 0.5 * 10 ** -dec ? '0' : formatNumber(v, dec));
}

const valueText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

export function sweepTable(r: Report): string {
  const head = [...r.axes, 'n'];
  const numeric = [...r.axes.map((a) => r.groups.every((g) => typeof g.point[a] === 'number')), true];
  const cols: { fmt: (v: number) => string; cells: CiCell[] }[] = r.metrics.map((m) => {
    const cells = r.groups.map((g) => ciCell(m, g.stats[m]));
    return { fmt: fmtFor(cells.map((c) => c.mean)), cells };
  });
  r.metrics.forEach((m) => {
    head.push(`${metricLabel(m)}: mean ± std`, '95 % CI');
    numeric.push(true, true);
  });
  const rows = r.groups.map((g, gi) => [
    ...r.axes.map((a) => valueText(g.point[a])),
    String(Math.max(...r.metrics.map((m) => g.stats[m].n), 0)),
    ...cols.flatMap(({ fmt, cells }) => {
      const c = cells[gi];
      if (c.n === 0) return ['n/a', 'n/a'];
      const ms = { html: `<span data-sort="${c.mean}">${esc(fmt(c.mean))}${Number.isFinite(c.std) ? ` ± ${esc(fmt(c.std))}` : ''}</span>` };
      const ci = Number.isFinite(c.lo)
        ? { html: `<span data-lo="${c.lo}" data-hi="${c.hi}">[${esc(fmt(c.lo))}, ${esc(fmt(c.hi))}]</span>` }
        : 'n/a (one seed)';
      return [ms, ci];
    }),
  ]);
  return table(head, rows, { numeric, cls: 'sweep-table' });
}

/** One sweep from one or more results files (its shards; buildReport refuses files of different sweeps). */
export function sweepSection(files: string[], cols: number): Section {
  const r: Report = buildReport(files);
  const lines = files.flatMap((f) => readResults(f).lines);
  const seeds = [...new Set(lines.map((l) => l.seed))].sort((a, b) => a - b);
  const parts: string[] = [
    facts([
      ['sweep', `${r.sweep} (hash ${r.sweepHash})`],
      ['runs', `${r.runs}${r.missing ? ` (${r.missing} of the grid missing: an unfinished sweep or one shard)` : ' (complete)'}`],
      ['points × seeds', `${r.groups.length} × ${seeds.length} (seeds ${seeds.join(', ')})`],
      ['axes', r.axes.map((a) => `${a}: ${[...new Set(r.groups.map((g) => valueText(g.point[a])))].join(', ')}`).join('; ') || 'none'],
      ['metrics', r.metrics.map(metricLabel).join(', ')],
    ]),
  ];
  for (const w of r.warnings) parts.push(`<p class="warning">warning: ${esc(w)}</p>`);
  parts.push(
    '<h3>Results by point</h3>',
    sweepTable(r),
    '<p class="files">Mean ± sample standard deviation over the seeds; 95 % confidence interval of the mean: mean ± t(0.975, n − 1) · std / √n.</p>',
  );
  try {
    parts.push('<h3>Plots</h3>', figureHtml('sweep', plotSvg(r, { cols }), 'Error bars: ± one sample standard deviation over the seeds.'));
  } catch (e) {
    if (!(e instanceof SweepError)) throw e;
    parts.push(`<p class="warning">no plots: ${esc(e.problems[0].message)}</p>`);
  }
  parts.push('<h3>Configuration</h3>');
  const first = [...lines].sort((a, b) => a.index - b.index)[0];
  parts.push(jsonDetails(`run ${first.index}'s full configuration (the other runs differ in the axes above and the seed)`, first.config));
  // Provenance: every distinct one (a merged sweep may come from several machines).
  const provs = new Map<string, unknown>();
  for (const l of lines) {
    const p = (l as unknown as { provenance?: unknown }).provenance;
    if (p !== undefined) provs.set(canonicalJson(p), p);
  }
  for (const p of provs.values()) parts.push(provenanceHtml(p));
  return { kind: 'sweep', title: `Sweep: ${r.sweep}`, file: files.join(', '), html: parts.join('\n') };
}
