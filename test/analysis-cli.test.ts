/** End-to-end: the built `fre analyze` on real MNIST — JSON, plots, weight files, errors. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGraph } from '../graph/load';
import { resolveNet } from '../graph/net';
import { findAll, parseXml, textContent } from '../plot/xml';
import { initParams } from '../graph/params';
import { saveParams } from '../graph/weights-file';
import { makeRng } from '../util/rng';

const ROOT = join(__dirname, '..');
const FRE = join(ROOT, 'dist', 'cli', 'main.js');
const fre = (args: string[]) => spawnSync(process.execPath, [FRE, ...args], { cwd: ROOT, encoding: 'utf8' });
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop()!);

describe('fre analyze (built CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fre-analyze-'));

  test('--sweep-beta --json --plot: one JSON object last, with points; the Figure-5 SVG', () => {
    const svg = join(dir, 'sweep.svg');
    const r = fre([
      'analyze',
      'examples/mnist-5l.json',
      '--samples',
      '4',
      '--te',
      '40',
      '--sweep-beta',
      '0.01, 1',
      '--json',
      '--plot',
      svg,
    ]);
    expect(r.status).toBe(0);
    const out = lastJson(r.stdout);
    for (const k of ['spectralRadius', 'ftmle', 'mle', 'convergenceSteps']) expect(typeof out[k]).toBe('number');
    expect(out.samples).toBe(4);
    expect(out.tE).toBe(40);
    expect(out.ftmleSteps).toBe(50);
    expect(out.points.map((p: { betaI: number }) => p.betaI)).toEqual([0.01, 1]);
    // The spec's own β_i is 0.1: the base analysis sits between the two sweep points.
    expect(out.points[0].spectralRadius).toBeLessThan(out.spectralRadius);
    expect(out.points[1].spectralRadius).toBeGreaterThan(out.spectralRadius);
    for (const p of out.points) for (const k of ['spectralRadius', 'ftmle', 'mle', 'convergenceSteps']) expect(typeof p[k]).toBe('number');
    const root = parseXml(readFileSync(svg, 'utf8'));
    const titles = findAll(root, (e) => e.attrs.class === 'title').map(textContent);
    expect(titles).toEqual([
      'Spectral radius of M',
      'Lyapunov exponents (mean ± std over samples)',
      'Convergence time (median over samples)',
      'Saturation of the final state',
    ]);
    expect(findAll(root, (e) => e.attrs.class === 'point').length).toBeGreaterThanOrEqual(2 * 6);
    expect(r.stderr).toContain(`plot written to ${svg}`);
  });

  test('human output by default; --plot without a sweep writes the trajectory', () => {
    const svg = join(dir, 'traj.svg');
    const r = fre(['analyze', 'examples/mnist-5l.json', '--samples', '3', '--te', '20', '--plot', svg]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/spectral radius\s+0\.83/);
    expect(r.stdout).toMatch(/convergence\s+median \d+ steps, all 3 converged/);
    const root = parseXml(readFileSync(svg, 'utf8'));
    const legend = findAll(root, (e) => e.attrs.class === 'legend-label').map(textContent);
    expect(legend).toEqual(expect.arrayContaining(['h1', 'h2', 'h3', 'h4', 'h5']));
  });

  test('--init analyses the given weights (t_e defaults to 1000)', () => {
    const spec = join(ROOT, 'examples', 'mnist-5l.json');
    const net = resolveNet(loadGraph(spec));
    const params = initParams(net, makeRng(0));
    for (const w of params.W) for (let i = 0; i < w.data.length; i++) w.data[i] *= 0.5;
    const file = join(dir, 'half.npz');
    saveParams(file, net, params);
    const base = lastJson(fre(['analyze', 'examples/mnist-5l.json', '--samples', '2', '--te', '20', '--json']).stdout);
    const r = fre(['analyze', 'examples/mnist-5l.json', '--samples', '2', '--json', '--init', file]);
    expect(r.status).toBe(0);
    const out = lastJson(r.stdout);
    expect(out.tE).toBe(1000);
    expect(out.init).toBe(file);
    expect(out.spectralRadius).toBeCloseTo(base.spectralRadius / 2, 6); // M is linear in the weights
  });

  test.each([
    [['--sweep-beta', '0.1,abc'], "'abc' is not a number"],
    [['--samples', '0'], '--samples must be an integer from 1 to 10000000 (docs/limits.md), got 0'],
    [['--te', '1'], '--te must be an integer from 2 to 100000 (docs/limits.md), got 1'],
  ])('bad flags %p: one clear message, exit 1, no stack', (flags, msg) => {
    const r = fre(['analyze', 'examples/mnist-5l.json', ...flags]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(msg);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
