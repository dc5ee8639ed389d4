/**
 * A small, dependency-free SVG line plot: framed axes with ticks, numbers and grid lines, axis
 * labels, a title, a legend, linear or log axes, several series with optional markers and
 * y ± error bars. Output is deterministic text (fixed palette, coordinates rounded to 0.01 px, no
 * timestamps or random ids), so figures can be committed and diffed.
 *
 *   linePlot({ title, xLabel, yLabel, logX: true, series: [{ label, x, y, yErr }] })  → one SVG
 *   figure([panelA, panelB, …], { cols: 2, title })                                 → panels in a grid
 *
 * Points whose x or y is not finite (or not > 0 on a log axis) are skipped and break the line.
 * Made to be printed: every series has its own marker shape and dash pattern besides its colour (so
 * series stay apart in greyscale and where they coincide), ranges taken from the data are padded
 * so no point sits on the frame, an axis whose values span two decades or more turns logarithmic
 * unless logX/logY say otherwise, markers are never clipped, and the legend can have a title and
 * sit outside the plot area ('outside') so it covers no data. Data attributes (data-series,
 * data-shape, data-x, data-y) let tests and browsers count what was drawn.
 */
import { formatNumber, linearTicks, logTicks, type Ticks } from './ticks';

export interface Series {
  label: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** Half-width of a vertical error bar at each point (y ± yErr); omitted/NaN entries draw none. */
  yErr?: ArrayLike<number>;
  /** CSS colour; default: the palette, in series order. */
  color?: string;
  /** Draw the connecting line (default true). */
  line?: boolean;
  /** Draw a marker at each point (default: true when the series has ≤ 60 points). */
  markers?: boolean;
  /** A dashed reference line ("5 3"); otherwise the series' own pattern (dash). */
  dashed?: boolean;
  /** SVG stroke-dasharray; default: DASHES by series order ('' = solid). */
  dash?: string;
  /** Marker shape; default: MARKERS by series order. */
  marker?: MarkerShape;
}

export type LegendPosition = 'top-right' | 'top-left' | 'bottom-right' | 'bottom-left' | 'outside' | 'none';

export type MarkerShape = 'circle' | 'square' | 'triangle' | 'diamond' | 'triangle-down' | 'cross' | 'plus';

/** Marker shapes and dash patterns, in series order: the n-th series differs from the others in all three of colour, shape and dash for n ≤ 7. */
export const MARKERS: readonly MarkerShape[] = ['circle', 'square', 'triangle', 'diamond', 'triangle-down', 'cross', 'plus'];
export const DASHES: readonly string[] = ['', '7 3', '2 2', '9 3 2 3', '4 2 1 2 1 2', '12 4', '3 4'];

export interface PlotSpec {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  series: Series[];
  logX?: boolean;
  logY?: boolean;
  /** Fixed axis ranges (otherwise from the data, widened to whole ticks or decades). */
  xDomain?: [number, number];
  yDomain?: [number, number];
  width?: number;
  height?: number;
  margin?: Partial<Margin>;
  legend?: LegendPosition;
  /** Shown above the legend's entries, e.g. the name of the axis the series stand for. */
  legendTitle?: string;
  grid?: boolean;
}

export interface Margin {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export const DEFAULT_WIDTH = 480;
export const DEFAULT_HEIGHT = 320;
export const DEFAULT_MARGIN: Margin = { left: 64, right: 16, top: 32, bottom: 48 };

/** Okabe–Ito colours (distinguishable with the common colour-vision deficiencies), then greys. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442', '#000000', '#777777', '#AA4499'];

export interface Layout {
  width: number;
  height: number;
  /** Plot area in pixels: x from x0 (left) to x1, y from y0 (top) to y1 (bottom). */
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  x: Ticks;
  y: Ticks;
  mapX(v: number): number;
  mapY(v: number): number;
}

function usable(v: number, log: boolean): boolean {
  return Number.isFinite(v) && (!log || v > 0);
}

function dataRange(spec: PlotSpec, axis: 'x' | 'y'): [number, number] | null {
  const log = axis === 'x' ? !!spec.logX : !!spec.logY;
  let lo = Infinity,
    hi = -Infinity;
  for (const s of spec.series) {
    for (let i = 0; i < s.x.length; i++) {
      const x = s.x[i],
        y = s.y[i];
      if (!usable(x, !!spec.logX) || !usable(y, !!spec.logY)) continue;
      if (axis === 'x') {
        lo = Math.min(lo, x);
        hi = Math.max(hi, x);
      } else {
        const e = s.yErr ? s.yErr[i] : NaN;
        const lows = Number.isFinite(e) ? [y - e, y] : [y];
        const highs = Number.isFinite(e) ? [y + e] : [y];
        for (const v of lows) if (usable(v, log)) lo = Math.min(lo, v);
        for (const v of highs) hi = Math.max(hi, v);
      }
    }
  }
  return lo <= hi ? [lo, hi] : null;
}

/** Two decades or more between the smallest and the largest value, all positive: a log axis shows them better. */
export function spansDecades(values: Iterable<number>, decades = 2): boolean {
  let lo = Infinity,
    hi = -Infinity,
    any = false;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v <= 0) return false;
    any = true;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return any && Math.log10(hi / lo) >= decades - 1e-9;
}

/** The spec with logX/logY decided: as given, else automatic (spansDecades of the data, error bars included). */
export function resolveAxes(spec: PlotSpec): PlotSpec {
  if (spec.logX !== undefined && spec.logY !== undefined) return spec;
  const xs: number[] = [],
    ys: number[] = [];
  for (const s of spec.series) {
    for (let i = 0; i < Math.min(s.x.length, s.y.length); i++) {
      xs.push(s.x[i]);
      ys.push(s.y[i]);
    }
  }
  const dom = (d: [number, number] | undefined) => (d ? [d[0], d[1]] : []);
  return {
    ...spec,
    logX: spec.logX ?? spansDecades([...xs, ...dom(spec.xDomain)]),
    logY: spec.logY ?? spansDecades([...ys, ...dom(spec.yDomain)]),
  };
}

/** Fraction of the data span added on each side of a range taken from the data (on log axes: of the decades). */
export const PAD = 0.05;

/**
 * Ticks of a range taken from the data: padded by PAD so no point (nor its marker) sits on the
 * frame, ticks inside the padded range; widened to whole ticks instead when that leaves fewer
 * than two ticks.
 */
function paddedTicks(lo: number, hi: number, log: boolean, target: number): Ticks {
  if (log) {
    const l0 = Math.log10(lo),
      l1 = Math.log10(hi);
    const pad = l1 > l0 ? PAD * (l1 - l0) : 0.15;
    const t = logTicks(10 ** (l0 - pad), 10 ** (l1 + pad), true);
    return t.ticks.length >= 2 ? t : logTicks(lo, hi);
  }
  const span = hi - lo;
  const pad = span > 0 ? PAD * span : lo === 0 ? 1 : Math.abs(lo) * 0.1;
  const t = linearTicks(lo - pad, hi + pad, target, true);
  return t.ticks.length >= 2 ? t : linearTicks(lo, hi, target);
}

const LEGEND_ROW = 15;

/** Width and height of the legend box (0 × 0 without one). */
function legendBox(spec: PlotSpec): { w: number; h: number } {
  const labelled = spec.series.filter((s) => s.label !== '');
  if ((spec.legend ?? 'top-right') === 'none' || labelled.length === 0) return { w: 0, h: 0 };
  const chars = Math.max(...labelled.map((s) => s.label.length), spec.legendTitle ? spec.legendTitle.length * 1.1 : 0);
  return { w: 40 + chars * 6.2, h: (labelled.length + (spec.legendTitle ? 1 : 0)) * LEGEND_ROW + 8 };
}

/** Where everything goes: the plot area and the value → pixel maps (exported for tests and reuse). */
export function layout(spec0: PlotSpec): Layout {
  const spec = resolveAxes(spec0);
  const width = spec.width ?? DEFAULT_WIDTH;
  const height = spec.height ?? DEFAULT_HEIGHT;
  const m = { ...DEFAULT_MARGIN, ...spec.margin };
  if (spec.legend === 'outside' && spec.margin?.right === undefined) m.right = Math.max(m.right, legendBox(spec).w + 16);
  const axis = (a: 'x' | 'y'): Ticks => {
    const log = a === 'x' ? !!spec.logX : !!spec.logY;
    const fixed = a === 'x' ? spec.xDomain : spec.yDomain;
    const target =
      a === 'x' ? Math.max(3, Math.round((width - m.left - m.right) / 70)) : Math.max(3, Math.round((height - m.top - m.bottom) / 45));
    if (fixed) return log ? logTicks(fixed[0], fixed[1], true) : linearTicks(fixed[0], fixed[1], target, true);
    const range = dataRange(spec, a);
    if (!range) return log ? logTicks(1, 10) : linearTicks(0, 1, target);
    return paddedTicks(range[0], range[1], log, target);
  };
  const y = axis('y');
  // Room for the longest y tick label plus the rotated axis label (unless the margin is given).
  if (spec.margin?.left === undefined) {
    const longest = Math.max(0, ...y.ticks.map((t) => t.label.length));
    m.left = Math.max(m.left, Math.ceil(34 + 6.6 * longest));
  }
  const x = axis('x');
  const x0 = m.left,
    x1 = width - m.right,
    y0 = m.top,
    y1 = height - m.bottom;
  const f = (v: number, d: [number, number], log: boolean): number =>
    log ? (Math.log10(v) - Math.log10(d[0])) / (Math.log10(d[1]) - Math.log10(d[0])) : (v - d[0]) / (d[1] - d[0]);
  return {
    width,
    height,
    x0,
    x1,
    y0,
    y1,
    x,
    y,
    mapX: (v) => x0 + f(v, x.domain, !!spec.logX) * (x1 - x0),
    mapY: (v) => y1 - f(v, y.domain, !!spec.logY) * (y1 - y0),
  };
}

/** Pixel coordinates as text: rounded to 0.01 px, no "-0". */
function px(v: number): string {
  const r = Math.round(v * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

export function escapeXml(s: string): string {
  let out = '';
  for (const c of s) {
    out += c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : c === "'" ? '&apos;' : c;
  }
  return out;
}

function seriesStyle(s: Series, si: number): { color: string; dash: string; marker: MarkerShape } {
  return {
    color: s.color ?? PALETTE[si % PALETTE.length],
    dash: s.dash ?? (s.dashed ? '5 3' : DASHES[si % DASHES.length]),
    marker: s.marker ?? MARKERS[si % MARKERS.length],
  };
}

/** One marker centred at (X, Y); filled shapes, or stroked for cross and plus. data-cx/data-cy: its centre. */
export function markerSvg(shape: MarkerShape, X: number, Y: number, color: string, attrs: string): string {
  const r = 3.2;
  const at = `${attrs} data-shape="${shape}" data-cx="${px(X)}" data-cy="${px(Y)}"`;
  const poly = (pts: [number, number][]) => `M${pts.map(([a, b]) => `${px(X + a)},${px(Y + b)}`).join('L')}Z`;
  switch (shape) {
    case 'circle':
      return `<circle ${at} cx="${px(X)}" cy="${px(Y)}" r="${r}" fill="${color}"/>`;
    case 'square':
      return `<path ${at} d="${poly([
        [-r * 0.9, -r * 0.9],
        [r * 0.9, -r * 0.9],
        [r * 0.9, r * 0.9],
        [-r * 0.9, r * 0.9],
      ])}" fill="${color}"/>`;
    case 'triangle':
      return `<path ${at} d="${poly([
        [0, -r * 1.2],
        [r * 1.1, r * 0.8],
        [-r * 1.1, r * 0.8],
      ])}" fill="${color}"/>`;
    case 'triangle-down':
      return `<path ${at} d="${poly([
        [0, r * 1.2],
        [r * 1.1, -r * 0.8],
        [-r * 1.1, -r * 0.8],
      ])}" fill="${color}"/>`;
    case 'diamond':
      return `<path ${at} d="${poly([
        [0, -r * 1.3],
        [r * 1.1, 0],
        [0, r * 1.3],
        [-r * 1.1, 0],
      ])}" fill="${color}"/>`;
    case 'cross':
      return `<path ${at} d="M${px(X - r)},${px(Y - r)}L${px(X + r)},${px(Y + r)}M${px(X - r)},${px(Y + r)}L${px(X + r)},${px(Y - r)}" stroke="${color}" stroke-width="1.8" fill="none"/>`;
    case 'plus':
      return `<path ${at} d="M${px(X - r * 1.2)},${px(Y)}H${px(X + r * 1.2)}M${px(X)},${px(Y - r * 1.2)}V${px(Y + r * 1.2)}" stroke="${color}" stroke-width="1.8" fill="none"/>`;
  }
}

/** The inner elements of one panel (no <svg> wrapper); ids are prefixed with `id` so panels can share a document. */
function renderPanel(spec0: PlotSpec, id: string): string {
  const spec = resolveAxes(spec0);
  const L = layout(spec);
  const out: string[] = [];
  const grid = spec.grid ?? true;
  const { x0, x1, y0, y1 } = L;
  out.push(`<rect class="background" x="0" y="0" width="${px(L.width)}" height="${px(L.height)}" fill="#ffffff"/>`);
  out.push(
    `<defs><clipPath id="${id}clip"><rect x="${px(x0)}" y="${px(y0)}" width="${px(x1 - x0)}" height="${px(y1 - y0)}"/></clipPath></defs>`,
  );
  if (spec.title)
    out.push(
      `<text class="title" x="${px((x0 + x1) / 2)}" y="${px(y0 - 12)}" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(spec.title)}</text>`,
    );

  // Grid, ticks and numbers.
  const xt = L.x.ticks;
  const yt = L.y.ticks;
  const axisParts: string[] = [];
  for (const t of xt) {
    const X = px(L.mapX(t.value));
    if (grid) axisParts.push(`<line class="grid" x1="${X}" y1="${px(y0)}" x2="${X}" y2="${px(y1)}" stroke="#e4e4e4" stroke-width="1"/>`);
    axisParts.push(`<line class="tick" x1="${X}" y1="${px(y1)}" x2="${X}" y2="${px(y1 + 5)}" stroke="#333333"/>`);
    axisParts.push(`<text class="tick-label x" x="${X}" y="${px(y1 + 17)}" text-anchor="middle">${escapeXml(t.label)}</text>`);
  }
  for (const t of yt) {
    const Y = px(L.mapY(t.value));
    if (grid) axisParts.push(`<line class="grid" x1="${px(x0)}" y1="${Y}" x2="${px(x1)}" y2="${Y}" stroke="#e4e4e4" stroke-width="1"/>`);
    axisParts.push(`<line class="tick" x1="${px(x0 - 5)}" y1="${Y}" x2="${px(x0)}" y2="${Y}" stroke="#333333"/>`);
    axisParts.push(
      `<text class="tick-label y" x="${px(x0 - 8)}" y="${px(L.mapY(t.value) + 4)}" text-anchor="end">${escapeXml(t.label)}</text>`,
    );
  }
  out.push(`<g class="axes" font-size="11">${axisParts.join('')}</g>`);
  out.push(`<rect class="frame" x="${px(x0)}" y="${px(y0)}" width="${px(x1 - x0)}" height="${px(y1 - y0)}" fill="none" stroke="#333333"/>`);
  if (spec.xLabel)
    out.push(
      `<text class="axis-label x" x="${px((x0 + x1) / 2)}" y="${px(L.height - 10)}" text-anchor="middle" font-size="12">${escapeXml(spec.xLabel)}</text>`,
    );
  if (spec.yLabel) {
    const cx = 16,
      cy = (y0 + y1) / 2;
    out.push(
      `<text class="axis-label y" x="${px(cx)}" y="${px(cy)}" text-anchor="middle" font-size="12" transform="rotate(-90 ${px(cx)} ${px(cy)})">${escapeXml(spec.yLabel)}</text>`,
    );
  }

  // Series: lines and error bars clipped to the plot area; markers drawn unclipped on top, so a
  // point at the edge of a fixed domain keeps its whole marker.
  const markerLayer: string[] = [];
  spec.series.forEach((s, si) => {
    const st = seriesStyle(s, si);
    const n = Math.min(s.x.length, s.y.length);
    const markers = s.markers ?? n <= 60;
    const parts: string[] = [];
    const segments: string[][] = [[]];
    const points: string[] = [];
    const bars: string[] = [];
    for (let i = 0; i < n; i++) {
      const x = s.x[i],
        y = s.y[i];
      if (!usable(x, !!spec.logX) || !usable(y, !!spec.logY)) {
        if (segments[segments.length - 1].length > 0) segments.push([]);
        continue;
      }
      const X = L.mapX(x),
        Y = L.mapY(y);
      segments[segments.length - 1].push(`${px(X)},${px(Y)}`);
      if (markers) points.push(markerSvg(st.marker, X, Y, st.color, `class="point" data-series="${si}" data-x="${x}" data-y="${y}"`));
      const e = s.yErr ? s.yErr[i] : NaN;
      if (Number.isFinite(e) && e > 0) {
        const lo = y - e,
          hi = y + e;
        const Ylo = usable(lo, !!spec.logY) ? L.mapY(lo) : y1;
        const Yhi = L.mapY(hi);
        bars.push(
          `<path class="errorbar" d="M${px(X)},${px(Ylo)}V${px(Yhi)}M${px(X - 3)},${px(Ylo)}H${px(X + 3)}M${px(X - 3)},${px(Yhi)}H${px(X + 3)}" stroke="${st.color}" fill="none" data-x="${x}" data-lo="${lo}" data-hi="${hi}"/>`,
        );
      }
    }
    if (s.line ?? true) {
      for (const seg of segments) {
        if (seg.length < 2) continue;
        parts.push(
          `<polyline class="line" points="${seg.join(' ')}" fill="none" stroke="${st.color}" stroke-width="1.6"${st.dash ? ` stroke-dasharray="${st.dash}"` : ''} data-series="${si}"/>`,
        );
      }
    }
    parts.push(...bars);
    out.push(`<g class="series" data-label="${escapeXml(s.label)}" data-series="${si}" clip-path="url(#${id}clip)">${parts.join('')}</g>`);
    if (points.length)
      markerLayer.push(
        `<g class="markers" data-label="${escapeXml(s.label)}" data-series="${si}" data-shape="${st.marker}">${points.join('')}</g>`,
      );
  });
  out.push(...markerLayer);

  // Legend: a line sample with the series' dash and marker, under an optional title.
  const pos = spec.legend ?? 'top-right';
  const labelled = spec.series.filter((s) => s.label !== '');
  if (pos !== 'none' && labelled.length > 0) {
    const { w, h } = legendBox(spec);
    const lx = pos === 'outside' ? x1 + 10 : pos.endsWith('right') ? x1 - w - 6 : x0 + 6;
    const ly = pos === 'outside' || pos.startsWith('top') ? y0 + (pos === 'outside' ? 0 : 6) : y1 - h - 6;
    const rows: string[] = [
      `<rect x="${px(lx)}" y="${px(ly)}" width="${px(w)}" height="${px(h)}" fill="#ffffff" fill-opacity="0.85" stroke="#bbbbbb"/>`,
    ];
    const top = spec.legendTitle ? 1 : 0;
    if (spec.legendTitle)
      rows.push(
        `<text class="legend-title" x="${px(lx + 6)}" y="${px(ly + 4 + LEGEND_ROW / 2 + 4)}" font-weight="bold">${escapeXml(spec.legendTitle)}</text>`,
      );
    spec.series.forEach((s, si) => {
      if (s.label === '') return;
      const r = labelled.indexOf(s) + top;
      const st = seriesStyle(s, si);
      const cy = ly + 4 + LEGEND_ROW * r + LEGEND_ROW / 2;
      if (s.line ?? true)
        rows.push(
          `<line x1="${px(lx + 6)}" y1="${px(cy)}" x2="${px(lx + 30)}" y2="${px(cy)}" stroke="${st.color}" stroke-width="2"${st.dash ? ` stroke-dasharray="${st.dash}"` : ''}/>`,
        );
      if (s.markers ?? Math.min(s.x.length, s.y.length) <= 60)
        rows.push(markerSvg(st.marker, lx + 18, cy, st.color, 'class="legend-marker"'));
      rows.push(`<text class="legend-label" x="${px(lx + 34)}" y="${px(cy + 4)}">${escapeXml(s.label)}</text>`);
    });
    out.push(`<g class="legend" font-size="11">${rows.join('')}</g>`);
  }
  return out.join('\n');
}

function svgOpen(width: number, height: number): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${px(width)}" height="${px(height)}" viewBox="0 0 ${px(width)} ${px(height)}" font-family="DejaVu Sans, Arial, sans-serif">`;
}

/** One plot as a complete SVG document. */
export function linePlot(spec: PlotSpec): string {
  const L = layout(spec);
  return `${svgOpen(L.width, L.height)}\n${renderPanel(spec, 'p0-')}\n</svg>\n`;
}

export interface FigureOptions {
  /** Panels per row (default: all in one row). */
  cols?: number;
  title?: string;
}

/** Several panels in a grid, as one SVG document. Each panel keeps its own width/height. */
export function figure(panels: PlotSpec[], o: FigureOptions = {}): string {
  const cols = Math.max(1, Math.min(o.cols ?? panels.length, panels.length));
  const top = o.title ? 28 : 0;
  const colW: number[] = [],
    rowH: number[] = [];
  panels.forEach((p, i) => {
    const c = i % cols,
      r = Math.floor(i / cols);
    colW[c] = Math.max(colW[c] ?? 0, p.width ?? DEFAULT_WIDTH);
    rowH[r] = Math.max(rowH[r] ?? 0, p.height ?? DEFAULT_HEIGHT);
  });
  const width = colW.reduce((a, b) => a + b, 0);
  const height = top + rowH.reduce((a, b) => a + b, 0);
  const body: string[] = [];
  body.push(`<rect class="background" x="0" y="0" width="${px(width)}" height="${px(height)}" fill="#ffffff"/>`);
  if (o.title)
    body.push(
      `<text class="figure-title" x="${px(width / 2)}" y="19" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(o.title)}</text>`,
    );
  panels.forEach((p, i) => {
    const c = i % cols,
      r = Math.floor(i / cols);
    const dx = colW.slice(0, c).reduce((a, b) => a + b, 0);
    const dy = top + rowH.slice(0, r).reduce((a, b) => a + b, 0);
    body.push(`<g class="panel" transform="translate(${px(dx)} ${px(dy)})">\n${renderPanel(p, `p${i}-`)}\n</g>`);
  });
  return `${svgOpen(width, height)}\n${body.join('\n')}\n</svg>\n`;
}

export { formatNumber };
