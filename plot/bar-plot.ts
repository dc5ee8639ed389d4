/**
 * Horizontal grouped bar charts (energy by component, utilisation by resource kind, clipped ADC
 * reads by edge), in the style of svg-plot.ts: deterministic text, the Okabe–Ito palette, a
 * hatch-free distinction by colour plus a legend with a title, value labels at the bar ends, and
 * data attributes (data-category, data-series, data-value) to count what was drawn.
 *
 *   barPlot({ title, valueLabel: 'energy (pJ)', categories: ['dac', 'adc'], series: [{ label: 'inference', values: [1, 2] }] })
 */
import { escapeXml, PALETTE } from './svg-plot';
import { formatNumber, linearTicks } from './ticks';

export interface BarSeries {
  label: string;
  /** One value per category (NaN: no bar). */
  values: ArrayLike<number>;
  color?: string;
}

export interface BarSpec {
  title?: string;
  /** Label of the value axis, with its unit. */
  valueLabel?: string;
  categories: string[];
  series: BarSeries[];
  legendTitle?: string;
  width?: number;
  /** Fixed value range (default: 0 … the largest value, padded). */
  domain?: [number, number];
}

function px(v: number): string {
  const r = Math.round(v * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

/** One bar chart as a complete SVG document. */
export function barPlot(spec: BarSpec): string {
  const width = spec.width ?? 560;
  const nS = Math.max(1, spec.series.length);
  const barH = 11;
  const groupH = nS * barH + 8;
  const legendW =
    spec.series.length > 1 || spec.legendTitle
      ? 40 + 6.2 * Math.max(...spec.series.map((s) => s.label.length), (spec.legendTitle ?? '').length * 1.1)
      : 0;
  const longest = Math.max(4, ...spec.categories.map((c) => c.length));
  const x0 = Math.min(260, 14 + 6.4 * longest);
  const x1 = width - 16 - (legendW ? legendW + 12 : 0) - 40;
  const y0 = spec.title ? 32 : 12;
  const y1 = y0 + spec.categories.length * groupH;
  const height = y1 + (spec.valueLabel ? 44 : 28);
  let hi = 0;
  for (const s of spec.series) for (let i = 0; i < s.values.length; i++) if (Number.isFinite(s.values[i])) hi = Math.max(hi, s.values[i]);
  const ticks = spec.domain ? linearTicks(spec.domain[0], spec.domain[1], 5, true) : linearTicks(0, hi > 0 ? hi * 1.05 : 1, 5, true);
  const [d0, d1] = ticks.domain;
  const mapX = (v: number) => x0 + ((Math.min(Math.max(v, d0), d1) - d0) / (d1 - d0)) * (x1 - x0);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="bar-plot" width="${px(width)}" height="${px(height)}" viewBox="0 0 ${px(width)} ${px(height)}" font-family="DejaVu Sans, Arial, sans-serif">`,
  );
  out.push(`<rect class="background" x="0" y="0" width="${px(width)}" height="${px(height)}" fill="#ffffff"/>`);
  if (spec.title)
    out.push(
      `<text class="title" x="${px((x0 + x1) / 2)}" y="20" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(spec.title)}</text>`,
    );
  const axis: string[] = [];
  for (const t of ticks.ticks) {
    const X = px(mapX(t.value));
    axis.push(`<line class="grid" x1="${X}" y1="${px(y0)}" x2="${X}" y2="${px(y1)}" stroke="#e4e4e4"/>`);
    axis.push(`<text class="tick-label x" x="${X}" y="${px(y1 + 15)}" text-anchor="middle">${escapeXml(t.label)}</text>`);
  }
  spec.categories.forEach((c, ci) => {
    const cy = y0 + ci * groupH + groupH / 2;
    axis.push(`<text class="tick-label y" x="${px(x0 - 6)}" y="${px(cy + 4)}" text-anchor="end">${escapeXml(c)}</text>`);
  });
  out.push(`<g class="axes" font-size="11">${axis.join('')}</g>`);
  out.push(`<line class="baseline" x1="${px(x0)}" y1="${px(y0)}" x2="${px(x0)}" y2="${px(y1)}" stroke="#333333"/>`);
  if (spec.valueLabel)
    out.push(
      `<text class="axis-label x" x="${px((x0 + x1) / 2)}" y="${px(height - 8)}" text-anchor="middle" font-size="12">${escapeXml(spec.valueLabel)}</text>`,
    );
  spec.series.forEach((s, si) => {
    const color = s.color ?? PALETTE[si % PALETTE.length];
    const bars: string[] = [];
    spec.categories.forEach((c, ci) => {
      const v = s.values[ci];
      if (!Number.isFinite(v)) return;
      const y = y0 + ci * groupH + 4 + si * barH;
      const w = mapX(v) - x0;
      bars.push(
        `<rect class="bar" x="${px(x0)}" y="${px(y)}" width="${px(Math.max(w, 0.5))}" height="${px(barH - 2)}" fill="${color}" data-category="${escapeXml(c)}" data-series="${si}" data-value="${v}"/>`,
      );
      bars.push(
        `<text class="bar-value" x="${px(x0 + w + 3)}" y="${px(y + barH - 3)}" font-size="9">${escapeXml(formatNumber(v, 3))}</text>`,
      );
    });
    out.push(`<g class="bar-series" data-label="${escapeXml(s.label)}" data-series="${si}">${bars.join('')}</g>`);
  });
  if (legendW) {
    const lx = width - 16 - legendW,
      ly = y0;
    const top = spec.legendTitle ? 1 : 0;
    const rows: string[] = [
      `<rect x="${px(lx)}" y="${px(ly)}" width="${px(legendW)}" height="${px((spec.series.length + top) * 15 + 8)}" fill="#ffffff" stroke="#bbbbbb"/>`,
    ];
    if (spec.legendTitle)
      rows.push(`<text class="legend-title" x="${px(lx + 6)}" y="${px(ly + 15)}" font-weight="bold">${escapeXml(spec.legendTitle)}</text>`);
    spec.series.forEach((s, si) => {
      const cy = ly + 4 + 15 * (si + top) + 7.5;
      rows.push(`<rect x="${px(lx + 6)}" y="${px(cy - 5)}" width="20" height="10" fill="${s.color ?? PALETTE[si % PALETTE.length]}"/>`);
      rows.push(`<text class="legend-label" x="${px(lx + 32)}" y="${px(cy + 4)}">${escapeXml(s.label)}</text>`);
    });
    out.push(`<g class="legend" font-size="11">${rows.join('')}</g>`);
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
