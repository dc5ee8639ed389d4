/**
 * `fre analyze SPEC.json`: dynamics analysis of a graph (docs/references.md#dynamics-analysis, the paper's Figure 5):
 * spectral radius of the hidden-to-hidden operator, FTMLE / MLE of the free dynamics on real test
 * inputs, convergence time and saturation; optionally over a sweep of β_i, with SVG plots.
 */
import type { Argv } from 'yargs';
import { loadGraph } from '../graph/load';
import { resolveNet, type Net } from '../graph/net';
import { figure, type PlotSpec } from '../plot/svg-plot';
import { analyze, sweepBetaI, SATURATION_THRESHOLD, type Analysis, type AnalysisPoint } from '../simulator/analysis/analyze';
import { isHiddenFeedback } from '../simulator/analysis/operator';
import { initParams } from '../graph/params';
import { loadParams } from '../graph/weights-file';
import { Progress } from '../util/progress';
import { makeRng } from '../util/rng';
import { loadNetData } from '../datasets/net-data';
import { UsageError } from './errors';
import { writeAtomic } from '../util/atomic-write';
import { provenance } from '../util/provenance';

export interface AnalyzeArgs {
  spec: string;
  init?: string;
  json: boolean;
  plot?: string;
  sweepBeta?: string;
  samples: number;
  seed?: number;
  dataDir?: string;
  te?: number;
  ftmleSteps?: number;
  maxSteps: number;
}

export const DEFAULT_SWEEP = [0.001, 0.01, 0.1, 0.25, 1, 2, 4];

export function analyzeOptions<T>(y: Argv<T>) {
  return y
    .positional('spec', { type: 'string', demandOption: true, describe: 'graph description (JSON)' })
    .option('init', { type: 'string', describe: 'analyse these weights (.npz) instead of the seeded initialisation' })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object with the results, last' })
    .option('plot', { type: 'string', describe: 'write an SVG: the β_i sweep figure with --sweep-beta, else the state trajectory' })
    .option('sweep-beta', {
      type: 'string',
      describe: `comma-separated β_i values for every hidden feedback edge (e.g. ${DEFAULT_SWEEP.join(',')})`,
    })
    .option('samples', { type: 'number', default: 64, describe: 'the first N test samples drive the dynamics' })
    .option('seed', { type: 'number', describe: 'override training.seed (initialisation, tangent vectors)' })
    .option('data-dir', { type: 'string', describe: 'folder with the dataset files (default: the installed package)' })
    .option('te', { type: 'number', describe: 'MLE horizon t_e (default 500 untrained, 1000 with --init)' })
    .option('ftmle-steps', { type: 'number', describe: "FTMLE horizon (default: the spec's T)" })
    .option('max-steps', { type: 'number', default: 2000, describe: 'cap on the convergence time' });
}

function intAtLeast(name: string, v: number | undefined, min: number): void {
  if (v !== undefined && (!Number.isInteger(v) || v < min)) throw new UsageError(`--${name} must be an integer ≥ ${min}, got ${v}`);
}

export function parseBetaList(text: string): number[] {
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (parts.length === 0) throw new UsageError('--sweep-beta needs at least one value, e.g. --sweep-beta 0.01,0.1,1');
  return parts.map((p) => {
    const v = Number(p);
    if (!Number.isFinite(v) || v < 0) throw new UsageError(`--sweep-beta: '${p}' is not a number ≥ 0`);
    return v;
  });
}

const f = (v: number, d = 4): string => (Number.isFinite(v) ? v.toFixed(d) : v === -Infinity ? '-inf' : String(v));
const pm = (mean: number, std: number): string =>
  mean === -Infinity ? "-inf (the tangent vanishes: M is nilpotent or ρ' = 0)" : `${f(mean)} ± ${f(std)}`;

function pointLine(p: AnalysisPoint, maxSteps: number): string {
  const conv =
    p.capped === p.samples ? `none within ${maxSteps}` : `${p.convergenceSteps}${p.capped ? ` (${p.capped}/${p.samples} capped)` : ''}`;
  return `${(p.betaI !== undefined ? String(p.betaI) : '-').padEnd(7)} ${f(p.spectralRadius).padStart(8)} ${f(p.ftmle).padStart(8)} ${f(p.mle).padStart(8)}  ${conv.padEnd(22)} ${f(p.saturation, 3)}${p.saturated ? ' saturated' : ''}`;
}

/** The Figure-5-style panels for a sweep. */
export function sweepFigure(name: string, points: AnalysisPoint[], a: { ftmleSteps: number; tE: number; maxSteps: number }): string {
  const x = points.map((p) => p.betaI ?? NaN);
  const common = { logX: true, xLabel: 'feedback scale β_i', width: 440, height: 300 };
  const panels: PlotSpec[] = [
    {
      ...common,
      title: 'Spectral radius of M',
      yLabel: 'SR',
      legend: 'top-left',
      series: [
        { label: 'SR', x, y: points.map((p) => p.spectralRadius) },
        { label: 'SR = 1', x: [x[0], x[x.length - 1]], y: [1, 1], color: '#777777', dashed: true, markers: false },
      ],
    },
    {
      ...common,
      title: 'Lyapunov exponents (mean ± std over samples)',
      yLabel: 'exponent per step',
      legend: 'bottom-right',
      series: [
        { label: `FTMLE (T = ${a.ftmleSteps})`, x, y: points.map((p) => p.ftmle), yErr: points.map((p) => p.ftmleStd) },
        { label: `MLE (t_e = ${a.tE})`, x, y: points.map((p) => p.mle), yErr: points.map((p) => p.mleStd) },
        { label: '0', x: [x[0], x[x.length - 1]], y: [0, 0], color: '#777777', dashed: true, markers: false },
      ],
    },
    {
      ...common,
      title: 'Convergence time (median over samples)',
      yLabel: 'steps',
      logY: true,
      legend: 'top-left',
      series: [{ label: `median steps (cap ${a.maxSteps})`, x, y: points.map((p) => p.convergenceSteps) }],
    },
    {
      ...common,
      title: 'Saturation of the final state',
      yLabel: 'mean |s|',
      yDomain: [0, 1],
      legend: 'top-left',
      series: [
        { label: 'mean |s|', x, y: points.map((p) => p.saturation) },
        { label: 'units with |s| > 0.99', x, y: points.map((p) => p.saturatedUnits) },
        {
          label: `threshold ${SATURATION_THRESHOLD}`,
          x: [x[0], x[x.length - 1]],
          y: [SATURATION_THRESHOLD, SATURATION_THRESHOLD],
          color: '#777777',
          dashed: true,
          markers: false,
        },
      ],
    },
  ];
  return figure(panels, { cols: 2, title: `${name}: free-phase dynamics vs β_i (${points[0]?.samples ?? 0} test samples)` });
}

export function trajectoryFigure(name: string, net: Net, an: Analysis): string {
  const tr = an.trajectory;
  if (!tr) throw new Error('no trajectory recorded');
  const steps = Array.from({ length: tr.steps }, (_, i) => i + 1);
  const panels: PlotSpec[] = [
    {
      title: 'Mean |s| per layer',
      xLabel: 'step t',
      logX: true,
      yLabel: 'mean |s_t|',
      width: 480,
      height: 320,
      legend: 'bottom-right',
      series: net.layers.map((l, j) => ({ label: l.name, x: steps, y: tr.meanAbs[j], markers: false })),
    },
    {
      title: 'State change per step (mean over samples)',
      xLabel: 'step t',
      logX: true,
      yLabel: '‖s_t − s_(t−1)‖',
      logY: true,
      width: 480,
      height: 320,
      legend: 'top-right',
      series: [
        { label: '‖Δs‖', x: steps, y: tr.diffNorm, markers: false },
        { label: 'tolerance 1e-6', x: [1, tr.steps], y: [1e-6, 1e-6], color: '#777777', dashed: true, markers: false },
      ],
    },
  ];
  return figure(panels, {
    cols: 2,
    title: `${name}: free-phase trajectory (SR ${an.point.spectralRadius.toFixed(3)}, median convergence ${an.point.convergenceSteps} steps)`,
  });
}

export async function runAnalyze(a: AnalyzeArgs): Promise<void> {
  intAtLeast('samples', a.samples, 1);
  intAtLeast('te', a.te, 2);
  intAtLeast('ftmle-steps', a.ftmleSteps, 1);
  intAtLeast('max-steps', a.maxSteps, 1);
  if (a.seed !== undefined && !Number.isInteger(a.seed)) throw new UsageError(`--seed must be an integer, got ${a.seed}`);
  const betas = a.sweepBeta !== undefined ? parseBetaList(a.sweepBeta) : null;
  const spec = loadGraph(a.spec);
  const net = resolveNet(spec);
  const conv = net.edges.find((e) => e.conv || e.bias);
  if (conv) {
    // The spectral radius is taken on the dense hidden-to-hidden blocks; a conv edge's operator is
    // im2row + kernel + pooling, which HiddenOperator does not build yet.
    throw new UsageError(
      `${a.spec}: edge ${conv.name} ${conv.conv ? 'is a convolution' : 'has a bias'}; \`fre analyze\` handles dense, unbiased edges only so far. Analyse a dense net without "bias", or train this net with \`fre train\``,
    );
  }
  if (betas && !net.edges.some((e) => isHiddenFeedback(net, e.index))) {
    throw new UsageError(`--sweep-beta: ${a.spec} has no hidden edge with feedback, so β_i changes nothing`);
  }
  const seed = a.seed ?? spec.training.seed;
  const rng = makeRng(seed);
  const params = a.init ? loadParams(a.init, net, rng) : initParams(net, rng);
  const data = loadNetData(net, a.spec, { dataDir: a.dataDir, trainLimit: 1, testLimit: a.samples, seed });
  const m = data.test.count;
  const x = data.test.images;
  const tE = a.te ?? (a.init ? 1000 : 500);
  const opts = { rng: rng.fork('analysis'), tE, ftmleSteps: a.ftmleSteps, maxSteps: a.maxSteps };

  // Progress over the base analysis and every β_i point (stderr; cleared before stdout lines).
  const progress = new Progress({ label: `analyze ${spec.name}`, total: 1 + (betas?.length ?? 0), unit: 'points' });
  const log = (line: string) => progress.log(line);
  const out = a.json
    ? log
    : (line: string) => {
        progress.pause();
        process.stdout.write(`${line}\n`);
      };
  out(
    `fre analyze ${spec.name}: ${a.init ? `weights ${a.init}` : `untrained (seed ${seed})`}, ${m} test samples, ` +
      `FTMLE over T = ${opts.ftmleSteps ?? spec.dynamics.T}, MLE over steps ${Math.floor(tE / 2) + 1}..${tE}, convergence cap ${a.maxSteps}`,
  );
  const base = analyze(net, params, x, m, { ...opts, trajectory: !!a.plot && !betas });
  progress.tick(1, betas ? 'β_i sweep' : '');
  const p = base.point;
  out(`  spectral radius   ${f(p.spectralRadius)}${p.spectralRadiusConverged ? '' : ' (Arnoldi did not reach its tolerance)'}`);
  out(`  FTMLE             ${pm(p.ftmle, p.ftmleStd)}`);
  out(`  MLE               ${pm(p.mle, p.mleStd)}`);
  out(
    `  convergence       median ${p.convergenceSteps} steps${p.capped ? `, ${p.capped}/${m} capped at ${a.maxSteps}` : `, all ${m} converged`}`,
  );
  out(
    `  saturation        mean |s| ${f(p.saturation, 3)}, ${(100 * p.saturatedUnits).toFixed(1)}% of units above 0.99${p.saturated ? ' (saturated)' : ''}`,
  );

  let points: AnalysisPoint[] | undefined;
  if (betas) {
    out('');
    out(`β_i sweep (every hidden feedback edge; β_f stays ${spec.dynamics.betaF})`);
    out('β_i           SR    FTMLE      MLE  convergence (median)   mean|s|');
    points = sweepBetaI(net, params, x, m, betas, opts, (pt) => {
      out(pointLine(pt, a.maxSteps));
      progress.tick(1, `β_i = ${pt.betaI}`);
    });
  }
  progress.finish();
  if (a.plot) {
    const svg = points ? sweepFigure(spec.name, points, base) : trajectoryFigure(spec.name, net, base);
    writeAtomic(a.plot, svg);
    log(`plot written to ${a.plot}`);
  }
  if (a.json) {
    process.stdout.write(
      JSON.stringify({
        spec: spec.name,
        seed,
        init: a.init ?? null,
        ftmleSteps: base.ftmleSteps,
        tE: base.tE,
        maxSteps: base.maxSteps,
        ...p,
        ...(points ? { points } : {}),
        // The analysis computes in its own float64 TypeScript code, not on a kernel backend.
        provenance: provenance('float64-ts'),
      }) + '\n',
    );
  }
}
