/**
 * `fre report`: the statistics of the sweep table against hand computation and published t
 * quantiles, coded errors for wrong inputs, and the page in a real browser (Debian chromium driven
 * by playwright-core): no console errors, the plots drawn with the series the inputs hold, and a
 * screenshot (FRE_UPDATE_DOCS_IMG=1 also rewrites docs/img/sweep-report.png).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tCritical } from '../util/confidence';
import { testNeeding } from './needs';

const ROOT = join(__dirname, '..');
const FRE = join(ROOT, 'dist', 'cli', 'main.js');
const FIX = join(ROOT, 'test', 'fixtures', 'report');
const fre = (args: string[], cwd = ROOT) => spawnSync(process.execPath, [FRE, ...args], { cwd, encoding: 'utf8' });

interface Line {
  index: number;
  point: Record<string, number>;
  seed: number;
  metrics: Record<string, number>;
}
const sweepLines = (): Line[] =>
  readFileSync(join(FIX, 'adc-array.results.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);

/** The chip run with the two optional blocks a run may carry: ADC saturation and provenance (values made up for the test). */
function chipWithExtras(dir: string): { file: string; adc: { edge: string; read: string; fraction: number }[] } {
  const chip = JSON.parse(readFileSync(join(FIX, 'chip-run.json'), 'utf8'));
  const adc = [
    { edge: 'W0', read: 'forward', fraction: 0.125 },
    { edge: 'W0', read: 'transposed', fraction: 0.5 },
    { edge: 'W1', read: 'forward', fraction: 0.0 },
    { edge: 'W1', read: 'transposed', fraction: 0.03 },
  ];
  chip.adcSaturation = adc;
  chip.provenance = { freVersion: '0.1.0', commit: 'abc1234', backend: chip.backend, machine: 'test-host' };
  const file = join(dir, 'chip-extras.json');
  writeFileSync(file, JSON.stringify(chip));
  return { file, adc };
}

describe('statistics of the sweep table', () => {
  test('t quantiles match the published table (NIST/SEMATECH e-Handbook, table 1.3.6.7.2, 97.5 %)', () => {
    const published: [number, number][] = [
      [1, 12.706],
      [2, 4.303],
      [4, 2.776],
      [9, 2.262],
      [29, 2.045],
      [100, 1.984],
    ];
    for (const [dof, t] of published) expect(tCritical(0.95, dof)).toBeCloseTo(t, 3);
    expect(tCritical(0.95, 0)).toBeNaN();
  });

  test('each point shows mean ± std and mean ± t·std/√n of the seeds, in percent for accuracy', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fre-report-'));
    const out = join(dir, 'r.html');
    const r = fre(['report', join(FIX, 'adc-array.results.jsonl'), '-o', out]);
    expect(r.status).toBe(0);
    const html = readFileSync(out, 'utf8');
    // Hand computation for the first point (adcBits 3, arraySize 64) from the raw lines.
    const acc = sweepLines()
      .filter((l) => l.point.adcBits === 3 && l.point.arraySize === 64)
      .map((l) => 100 * l.metrics.finalTestAccuracy);
    expect(acc).toHaveLength(3);
    const mean = (acc[0] + acc[1] + acc[2]) / 3;
    const std = Math.sqrt(acc.reduce((a, v) => a + (v - mean) ** 2, 0) / 2);
    const half = (4.302652729 * std) / Math.sqrt(3); // t(0.975, 2)
    const m = html.match(/data-lo="([^"]+)" data-hi="([^"]+)"/)!; // the first CI cell: first point, first metric
    expect(Number(m[1])).toBeCloseTo(mean - half, 6);
    expect(Number(m[2])).toBeCloseTo(mean + half, 6);
    expect(html).toContain(`${mean.toFixed(2)} ± ${std.toFixed(2)}`);
    expect(html).toContain('final test accuracy (%): mean ± std');
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/); // no network: only the SVG namespace
  });
});

describe('shards of one sweep', () => {
  test('make one section with the same numbers as the whole results file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fre-report-shards-'));
    const text = readFileSync(join(FIX, 'adc-array.results.jsonl'), 'utf8').trim().split('\n');
    const a = join(dir, 'shard-0.jsonl'),
      b = join(dir, 'shard-1.jsonl');
    writeFileSync(a, `${text.filter((_, i) => i % 2 === 0).join('\n')}\n`);
    writeFileSync(b, `${text.filter((_, i) => i % 2 === 1).join('\n')}\n`);
    expect(fre(['report', a, join(FIX, 'train.json'), b, '-o', join(dir, 'shards.html')]).status).toBe(0);
    expect(fre(['report', join(FIX, 'adc-array.results.jsonl'), '-o', join(dir, 'whole.html')]).status).toBe(0);
    const shards = readFileSync(join(dir, 'shards.html'), 'utf8');
    const whole = readFileSync(join(dir, 'whole.html'), 'utf8');
    expect(shards.match(/<section data-kind="[a-z]+"/g)).toEqual(['<section data-kind="sweep"', '<section data-kind="train"']);
    const table = (h: string) =>
      h.slice(h.indexOf('<table class="sweep-table">'), h.indexOf('</table>', h.indexOf('<table class="sweep-table">')));
    expect(table(shards)).toBe(table(whole));
    expect(table(whole).length).toBeGreaterThan(1000);
  });
});

describe('bad inputs: a coded error naming the file, the field and the fix; no page', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fre-report-bad-'));
  const write = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const out = join(dir, 'never.html');

  test.each([
    ['not JSON', 'garbage.json', 'hello {', /garbage\.json: error REP002: not JSON/],
    ['an unknown object', 'other.json', '{"name": 1}', /other\.json: error REP003: .*neither a training result/],
    [
      'a training result without perEpoch',
      'train.json',
      '{"spec": "x", "algo": "ep", "bestTestAccuracy": 1, "finalTestAccuracy": 1}',
      /train\.json:perEpoch: error REP004: field "perEpoch" is missing/,
    ],
    [
      'a chip run with a bad ADC fraction',
      'chip.json',
      null,
      /chip\.json:adcSaturation\[1\]\.fraction: error REP004: .*not a fraction in \[0, 1\]/,
    ],
    ['a missing file', 'absent.json', undefined, /absent\.json: error REP001: cannot be read \(ENOENT\)/],
  ])('%s', (_what, name, text, message) => {
    let file = join(dir, name as string);
    if (text === null) {
      const chip = JSON.parse(readFileSync(join(FIX, 'chip-run.json'), 'utf8'));
      chip.adcSaturation = [
        { edge: 'W0', read: 'forward', fraction: 0.1 },
        { edge: 'W0', read: 'forward', fraction: 1.5 },
      ];
      file = write(name as string, JSON.stringify(chip));
    } else if (typeof text === 'string') file = write(name as string, text);
    const r = fre(['report', file, '-o', out]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stderr).toContain('fix: ');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(existsSync(out)).toBe(false);
  });

  test('an unwritable output: REP005, nothing half-written', () => {
    const r = fre(['report', join(FIX, 'train.json'), '-o', join(dir, 'no-such-folder', 'r.html')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error REP005: cannot be written \(ENOENT\)/);
  });
});

describe('the page in a real browser', () => {
  const chromium = '/usr/bin/chromium';
  const browserTest = testNeeding([[chromium, ['--headless=new', '--no-sandbox', '--disable-gpu', '--version']]], 'chromium');
  const shots = join(tmpdir(), 'fre-report-screenshots');

  async function open(file: string, width: number) {
    const { chromium: pw } = await import('playwright-core');
    // The flags of a root container without a GPU (Debian's chromium, no browser download).
    const browser = await pw.launch({ executablePath: chromium, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) problems.push(`network request: ${r.url()}`);
    });
    await page.goto(`file://${file}`);
    await page.waitForSelector('html[data-ready="1"]', { timeout: 10000 });
    return { browser, page, problems };
  }

  browserTest(
    'training run, chip run (with ADC saturation and provenance) and sweep on one page',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'fre-report-page-'));
      const extras = chipWithExtras(dir);
      const out = join(dir, 'report.html');
      const r = fre(['report', join(FIX, 'train.json'), extras.file, join(FIX, 'adc-array.results.jsonl'), '-o', out]);
      expect(r.status).toBe(0);
      const { browser, page, problems } = await open(out, 1280);
      try {
        expect(await page.locator('section').evaluateAll((s) => s.map((e) => e.getAttribute('data-kind')))).toEqual([
          'train',
          'chip',
          'sweep',
        ]);

        // Training: epochs figure with a test and a training series, one marker per epoch each.
        const train = JSON.parse(readFileSync(join(FIX, 'train.json'), 'utf8'));
        const tFig = page.locator('section[data-kind="train"] figure[data-plot="epochs"]');
        expect(await tFig.locator('g.series').count()).toBe(3); // accuracy: test, training; loss: one
        expect(await tFig.locator('.point').count()).toBe(3 * train.perEpoch.length);

        // Chip: energy bars for every component with energy, per inference and per training sample.
        const chip = JSON.parse(readFileSync(extras.file, 'utf8'));
        const comps = new Set(
          [...Object.entries(chip.energyByComponent.inference), ...Object.entries(chip.energyByComponent.training)]
            .filter(([, v]) => (v as number) > 0)
            .map(([k]) => k),
        );
        const bars = page.locator('section[data-kind="chip"] figure[data-plot="energy"] rect.bar');
        expect(await bars.count()).toBe(2 * comps.size); // a bar per phase for each, zero-length where a phase spends nothing
        expect(await page.locator('section[data-kind="chip"] figure[data-plot="utilisation"] rect.bar').count()).toBe(
          2 * Object.keys(chip.utilisation.inference).length,
        );
        const adcBars = page.locator('section[data-kind="chip"] figure[data-plot="adc"] rect.bar');
        expect(
          await adcBars.evaluateAll((b) => b.map((e) => [e.getAttribute('data-category'), Number(e.getAttribute('data-value'))])),
        ).toEqual([
          ['W0', 12.5],
          ['W1', 0],
          ['W0', 50],
          ['W1', 3],
        ]); // series = read kinds, in percent
        expect(await page.locator('section[data-kind="chip"] .provenance').innerText()).toContain('abc1234');

        // Sweep: one line per arraySize in each metric's panel, one marker per point, error bars where seeds differ.
        const lines = sweepLines();
        const sizes = new Set(lines.map((l) => l.point.arraySize)).size;
        const points = new Set(lines.map((l) => `${l.point.adcBits}/${l.point.arraySize}`)).size;
        const metrics = Object.keys(lines[0].metrics).length;
        const sFig = page.locator('section[data-kind="sweep"] figure[data-plot="sweep"]');
        expect(await sFig.locator('g.panel').count()).toBe(metrics);
        expect(await sFig.locator('g.series').count()).toBe(metrics * sizes);
        expect(await sFig.locator('.point').count()).toBe(metrics * points);
        expect(await sFig.locator('g.markers').evaluateAll((g) => new Set(g.map((e) => e.getAttribute('data-shape'))).size)).toBe(sizes);
        expect(await page.locator('table.sweep-table tbody tr').count()).toBe(points);
        // Drawn, not just present: the SVG has a size on screen.
        const box = await sFig.locator('svg').boundingBox();
        expect(box!.width).toBeGreaterThan(500);

        // The one script: sorting by a column reorders the rows.
        const firstCells = () =>
          page
            .locator('table.sweep-table tbody tr td:nth-child(4)')
            .evaluateAll((c) => c.map((e) => Number(e.querySelector('span')!.getAttribute('data-sort'))));
        await page.locator('table.sweep-table thead th').nth(3).click();
        const sorted = await firstCells();
        expect(sorted).toEqual([...sorted].sort((a, b) => a - b));

        expect(problems).toEqual([]);
        mkdirSync(shots, { recursive: true });
        await page.screenshot({ path: join(shots, 'report-all.png'), fullPage: true });
        expect(readFileSync(join(shots, 'report-all.png')).subarray(1, 4).toString()).toBe('PNG');
      } finally {
        await browser.close();
      }
    },
    120000,
  );

  browserTest(
    'the sweep report alone (the screenshot in docs/img/sweep-report.png)',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'fre-report-sweep-'));
      const out = join(dir, 'sweep-report.html');
      expect(
        fre(['report', 'adc-array.results.jsonl', '-o', out, '--title', 'fre report: ADC bits × array size (ReRAM, in-situ EP)'], FIX)
          .status,
      ).toBe(0);
      const { browser, page, problems } = await open(out, 1200);
      try {
        expect(problems).toEqual([]);
        mkdirSync(shots, { recursive: true });
        const png = join(shots, 'sweep-report.png');
        await page.screenshot({ path: png, fullPage: true });
        expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
        if (process.env.FRE_UPDATE_DOCS_IMG) copyFileSync(png, join(ROOT, 'docs', 'img', 'sweep-report.png'));
      } finally {
        await browser.close();
      }
    },
    120000,
  );
});
