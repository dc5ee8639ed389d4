/** The SVG plot module: well-formed, readable (labels, legend, ticks), points where they belong, deterministic. */
import { findAll, parseXml, textContent, XmlError, type XmlElement } from '../plot/xml';
import { barPlot } from '../plot/bar-plot';
import { metricInfo, metricLabel, metricValue } from '../plot/metrics';
import { figure, layout, linePlot, spansDecades, type PlotSpec } from '../plot/svg-plot';
import { formatNumber, linearTicks, logTicks } from '../plot/ticks';

const byClass = (root: XmlElement, cls: string) => findAll(root, (e) => (e.attrs.class ?? '').split(' ').includes(cls));
const texts = (root: XmlElement, cls: string) => byClass(root, cls).map(textContent);

describe('the XML well-formedness check', () => {
  test('accepts a document and gives its tree', () => {
    const root = parseXml('<?xml version="1.0"?>\n<!-- c --><a x="1" y=\'&lt;2&gt;\'><b/>t &amp; u<c z="&#65;&#x42;">v</c></a>\n');
    expect(root.name).toBe('a');
    expect(root.attrs).toEqual({ x: '1', y: '<2>' });
    expect(textContent(root)).toBe('t & uv');
    expect(findAll(root, (e) => e.name === 'c')[0].attrs.z).toBe('AB');
  });

  test.each([
    ['<a><b></a>', 'mismatched'],
    ['<a x=1/>', 'unquoted'],
    ['<a x="1" x="2"/>', 'duplicate'],
    ['<a>&nbsp;</a>', 'unknown entity'],
    ['<a>x < y</a>', 'stray <'],
    ['<a>AT&T</a>', 'bare &'],
    ['<a></a><b/>', 'two roots'],
    ['<a x="1"y="2"/>', 'no space between attributes'],
    ['<a>', 'unclosed'],
    ['', 'empty'],
  ])('rejects %p (%s)', (text) => {
    expect(() => parseXml(text)).toThrow(XmlError);
  });
});

describe('ticks and numbers', () => {
  test('linear ticks are nice numbers covering the data', () => {
    expect(linearTicks(0.03, 0.97, 5).ticks.map((t) => t.label)).toEqual(['0', '0.2', '0.4', '0.6', '0.8', '1']);
    expect(linearTicks(-2.6, 0.2, 5).domain).toEqual([-3, 0.5]);
    expect(linearTicks(0.1, 0.3, 3).ticks.map((t) => t.value)).toEqual([0.1, 0.2, 0.3]);
    expect(linearTicks(5, 5).ticks.length).toBeGreaterThan(1); // a flat series still gets an axis
  });

  test('log ticks per decade, 2× and 5× on short ranges, one label style per axis', () => {
    expect(logTicks(0.001, 4).ticks.map((t) => t.label)).toEqual(['0.001', '0.01', '0.1', '1', '10']);
    expect(logTicks(0.001, 4).domain).toEqual([0.001, 10]);
    expect(logTicks(3, 40).ticks.map((t) => t.label)).toEqual(['1', '2', '5', '10', '20', '50', '100']);
    expect(logTicks(1e-16, 1).ticks.map((t) => t.label)).toEqual(['1e-16', '1e-13', '1e-10', '1e-7', '1e-4', '1e-1']);
    expect(() => logTicks(0, 1)).toThrow(RangeError);
  });

  test('formatNumber: short, exact, no -0', () => {
    expect(formatNumber(0.30000000000000004)).toBe('0.3');
    expect(formatNumber(-0)).toBe('0');
    expect(formatNumber(2e-5)).toBe('2e-5');
    expect(formatNumber(1234.5, 1)).toBe('1234.5');
  });
});

describe('linePlot', () => {
  const spec: PlotSpec = {
    title: 'SR & FTMLE <test>',
    xLabel: 'feedback scale β_i',
    yLabel: 'value',
    width: 400,
    height: 300,
    margin: { left: 60, right: 20, top: 40, bottom: 50 },
    xDomain: [0, 10],
    yDomain: [0, 1],
    series: [
      { label: 'first', x: [0, 5, 10], y: [0, 0.5, 1], yErr: [0.1, 0.2, NaN] },
      { label: 'second', x: [2, 4, 6, 8], y: [0.2, NaN, 0.6, 0.8], dashed: true },
    ],
  };

  test('is well-formed SVG with title, axis labels, tick numbers and a legend', () => {
    const svg = linePlot(spec);
    const root = parseXml(svg);
    expect(root.name).toBe('svg');
    expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(root.attrs.width).toBe('400');
    expect(texts(root, 'title')).toEqual(['SR & FTMLE <test>']); // escaped in the text, intact after parsing
    expect(svg).toContain('SR &amp; FTMLE &lt;test&gt;');
    expect(texts(root, 'axis-label')).toEqual(['feedback scale β_i', 'value']);
    expect(texts(root, 'tick-label')).toEqual(['0', '2', '4', '6', '8', '10', '0', '0.2', '0.4', '0.6', '0.8', '1']);
    expect(texts(root, 'legend-label')).toEqual(['first', 'second']);
    expect(byClass(root, 'series').map((g) => g.attrs['data-label'])).toEqual(['first', 'second']);
  });

  test('points land on the right pixels (linear axes)', () => {
    // Plot area: x 60 … 380, y 40 … 250 (top … bottom).
    const root = parseXml(linePlot(spec));
    const pts = byClass(root, 'point').map((c) => [Number(c.attrs['data-cx']), Number(c.attrs['data-cy'])]);
    expect(pts.slice(0, 3)).toEqual([
      [60, 250],
      [220, 145],
      [380, 40],
    ]);
    // The NaN point is skipped and breaks the second series' line into two pieces.
    expect(pts.slice(3)).toEqual([
      [124, 208],
      [252, 124],
      [316, 82],
    ]);
    const lines = findAll(byClass(root, 'series')[1], (e) => e.name === 'polyline');
    expect(lines.map((l) => l.attrs.points)).toEqual(['252,124 316,82']); // a lone point draws no line
    // Error bars: y ± e, none where e is NaN.
    const bars = byClass(root, 'errorbar');
    expect(bars.map((b) => [Number(b.attrs['data-lo']), Number(b.attrs['data-hi'])])).toEqual([
      [-0.1, 0.1],
      [0.3, 0.7],
    ]);
    expect(bars[1].attrs.d.startsWith('M220,187V103')).toBe(true); // 0.3 → y 187, 0.7 → y 103
  });

  test('log-x puts decades at equal distances', () => {
    const L = layout({ ...spec, logX: true, xDomain: [0.001, 10], series: [{ label: 'a', x: [0.001, 0.1, 10], y: [0, 0.5, 1] }] });
    expect(L.mapX(0.001)).toBeCloseTo(60, 9);
    expect(L.mapX(0.1)).toBeCloseTo(220, 9);
    expect(L.mapX(10)).toBeCloseTo(380, 9);
    expect(L.mapX(1)).toBeCloseTo(300, 9);
    const root = parseXml(
      linePlot({
        ...spec,
        logX: true,
        xDomain: undefined,
        series: [{ label: 'a', x: [0.001, 0.01, 0.1, 1, 4], y: [0, 0.2, 0.5, 0.9, 1] }],
      }),
    );
    // Data range 1e-3 … 4 padded by 5 % of its 3.6 decades on each side: 10^-3.18 … 10^0.78.
    expect(texts(root, 'tick-label').slice(0, 4)).toEqual(['0.001', '0.01', '0.1', '1']);
    const l0 = -3 - 0.05 * Math.log10(4000),
      l1 = Math.log10(4) + 0.05 * Math.log10(4000);
    expect(Number(byClass(root, 'point')[2].attrs['data-cx'])).toBeCloseTo(60 + ((-1 - l0) / (l1 - l0)) * 320, 1);
  });

  test('log axes skip non-positive values instead of failing', () => {
    const root = parseXml(linePlot({ title: 't', series: [{ label: 'a', x: [1, 2, 3, 4], y: [0, 1e-3, 1e-1, -1] }], logY: true }));
    expect(byClass(root, 'point')).toHaveLength(2);
  });

  test('output is deterministic text', () => {
    expect(linePlot(spec)).toBe(linePlot(JSON.parse(JSON.stringify(spec)) as PlotSpec));
  });
});

describe('figure (panels in a grid)', () => {
  test('lays panels out with unique clip ids and stays well-formed', () => {
    const p: PlotSpec = { title: 'p', series: [{ label: 's', x: [1, 2], y: [1, 2] }], width: 300, height: 200 };
    const svg = figure([p, { ...p, title: 'q' }, { ...p, title: 'r' }], { cols: 2, title: 'Figure & co' });
    const root = parseXml(svg);
    expect(root.attrs.width).toBe('600');
    expect(root.attrs.height).toBe(String(28 + 400));
    const panels = byClass(root, 'panel');
    expect(panels.map((g) => g.attrs.transform)).toEqual(['translate(0 28)', 'translate(300 28)', 'translate(0 228)']);
    const ids = findAll(root, (e) => e.name === 'clipPath').map((e) => e.attrs.id);
    expect(new Set(ids).size).toBe(3);
    expect(texts(root, 'figure-title')).toEqual(['Figure & co']);
    expect(texts(root, 'title')).toEqual(['p', 'q', 'r']);
  });
});

describe('plots worth printing', () => {
  const three: PlotSpec = {
    title: 't',
    legendTitle: 'method',
    series: [0, 1, 2].map((k) => ({ label: `s${k}`, x: [1, 2, 3], y: [k, k, k] })), // identical shapes, stacked
  };

  test('every series has its own marker shape and dash pattern, markers outside the clip', () => {
    const root = parseXml(linePlot(three));
    const shapes = byClass(root, 'markers').map((g) => g.attrs['data-shape']);
    expect(new Set(shapes).size).toBe(3);
    const dashes = byClass(root, 'line').map((l) => l.attrs['stroke-dasharray'] ?? '');
    expect(new Set(dashes).size).toBe(3);
    for (const g of byClass(root, 'markers')) expect(g.attrs['clip-path']).toBeUndefined();
    expect(byClass(root, 'point')).toHaveLength(9);
  });

  test('a legend title above the entries', () => {
    expect(texts(parseXml(linePlot(three)), 'legend-title')).toEqual(['method']);
  });

  test('ranges from the data are padded: no point on the frame', () => {
    const spec: PlotSpec = {
      width: 400,
      height: 300,
      margin: { left: 60, right: 20, top: 40, bottom: 50 },
      series: [{ label: 'a', x: [0, 10], y: [0, 1] }],
    };
    const L = layout(spec);
    // 5 % of the span on each side: x −0.5 … 10.5, y −0.05 … 1.05.
    expect(L.x.domain[0]).toBeCloseTo(-0.5, 12);
    expect(L.x.domain[1]).toBeCloseTo(10.5, 12);
    expect(L.y.domain).toEqual([-0.05, 1.05]);
    expect(L.mapX(0)).toBeCloseTo(60 + (0.5 / 11) * 320, 9);
    expect(L.y.ticks.map((t) => t.label)).toEqual(['0', '0.2', '0.4', '0.6', '0.8', '1']);
  });

  test('log axes chosen for data spanning ≥ 2 decades (not for 1.9), overridable', () => {
    const wide: PlotSpec = { series: [{ label: 'e', x: [1, 2, 3], y: [1, 30, 100] }] };
    const narrow: PlotSpec = { series: [{ label: 'e', x: [1, 2, 3], y: [1, 30, 79] }] };
    expect(spansDecades([1, 30, 100])).toBe(true);
    expect(spansDecades([1, 30, 79])).toBe(false);
    expect(spansDecades([0, 1, 1000])).toBe(false); // a zero cannot go on a log axis
    const tick = (s: PlotSpec) =>
      byClass(parseXml(linePlot(s)), 'tick-label')
        .filter((e) => e.attrs.class.split(' ').includes('y'))
        .map(textContent);
    expect(tick(wide)).toEqual(['1', '10', '100']); // decade ticks
    expect(tick(narrow)).toEqual(['0', '20', '40', '60', '80']);
    expect(tick({ ...wide, logY: false })).toEqual(['0', '20', '40', '60', '80', '100']);
  });

  test("an 'outside' legend sits right of the plot area, which shrinks to make room", () => {
    const root = parseXml(linePlot({ ...three, legend: 'outside', width: 500, margin: { left: 60, top: 30, bottom: 40 } }));
    const frame = byClass(root, 'frame')[0];
    const box = findAll(byClass(root, 'legend')[0], (e) => e.name === 'rect')[0];
    const right = Number(frame.attrs.x) + Number(frame.attrs.width);
    expect(Number(box.attrs.x)).toBeGreaterThan(right);
    expect(Number(box.attrs.x) + Number(box.attrs.width)).toBeLessThanOrEqual(500);
  });
});

describe('metric table', () => {
  test('label, unit, scale and percent', () => {
    expect(metricLabel('bestTestAccuracy')).toBe('best test accuracy (%)');
    expect(metricValue('bestTestAccuracy', 0.9712)).toBeCloseTo(97.12, 12);
    expect(metricLabel('energyPjPerInference')).toBe('energy per inference (pJ)');
    expect(metricInfo('energyPerInferenceJoules')).toEqual({ label: 'energy per inference', unit: 'nJ', scale: 1e9, percent: false });
    expect(metricLabel('someNewMetricADC')).toBe('some new metric ADC'); // unknown names are humanised, unscaled
    expect(metricValue('someNewMetricADC', 3)).toBe(3);
    expect(metricValue('finalTestAccuracy', null)).toBeNaN();
  });
});

describe('barPlot', () => {
  test('one bar per category and series with its value; lengths proportional', () => {
    const root = parseXml(
      barPlot({
        title: 'E',
        valueLabel: 'energy (pJ)',
        legendTitle: 'per',
        categories: ['adc', 'dac', 'none'],
        series: [
          { label: 'inference', values: [40, 10, NaN] },
          { label: 'training', values: [80, 20, 0] },
        ],
      }),
    );
    const bars = byClass(root, 'bar');
    expect(bars.map((b) => [b.attrs['data-category'], b.attrs['data-series'], Number(b.attrs['data-value'])])).toEqual([
      ['adc', '0', 40],
      ['dac', '0', 10],
      ['adc', '1', 80],
      ['dac', '1', 20],
      ['none', '1', 0],
    ]);
    expect(Number(bars[2].attrs.width) / Number(bars[0].attrs.width)).toBeCloseTo(2, 2);
    expect(texts(root, 'legend-title')).toEqual(['per']);
  });
});
