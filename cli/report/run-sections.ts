/** The sections of `fre report` for one training run (fre train --json) and one chip run (fre simulate/run --json). */
import { barPlot } from '../../plot/bar-plot';
import { metricLabel, metricValue } from '../../plot/metrics';
import { figure, type PlotSpec } from '../../plot/svg-plot';
import { formatNumber } from '../../plot/ticks';
import { facts, figureHtml, provenanceHtml, table, type Section } from './html';
import type { ChipResult, EpochRow, TrainResult } from './inputs';

const pct = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? `${(100 * v).toFixed(2)} %` : 'n/a');
const num = (v: number | null | undefined, d = 4) => (typeof v === 'number' ? formatNumber(v, d) : 'n/a');

/** Accuracy (%) and training loss per epoch, two panels; null when there are no epochs. */
function epochFigure(rows: EpochRow[], cols: number): string | null {
  if (rows.length === 0) return null;
  const x = rows.map((r) => r.epoch);
  const acc: PlotSpec = {
    title: 'Accuracy per epoch',
    xLabel: 'epoch',
    yLabel: metricLabel('testAccuracy').replace('test ', ''),
    logX: false,
    legend: 'outside',
    legendTitle: 'data',
    width: 520,
    height: 320,
    series: [
      { label: 'test', x, y: rows.map((r) => metricValue('testAccuracy', r.testAccuracy)) },
      ...(rows.some((r) => typeof r.trainAccuracy === 'number')
        ? [{ label: 'training', x, y: rows.map((r) => metricValue('trainAccuracy', r.trainAccuracy)) }]
        : []),
    ],
  };
  const loss: PlotSpec = {
    title: 'Training loss per epoch',
    xLabel: 'epoch',
    yLabel: metricLabel('trainLoss'),
    logX: false,
    legend: 'none',
    width: 440,
    height: 320,
    series: [{ label: 'training loss', x, y: rows.map((r) => r.trainLoss) }],
  };
  return figure([acc, loss], { cols });
}

function epochTable(rows: EpochRow[]): string {
  return table(
    ['epoch', 'training loss', 'training accuracy', 'test accuracy', 'seconds'],
    rows.map((r) => [String(r.epoch), num(r.trainLoss), pct(r.trainAccuracy), pct(r.testAccuracy), num(r.seconds, 2)]),
    { numeric: [true, true, true, true, true] },
  );
}

export function trainSection(file: string, r: TrainResult, cols: number): Section {
  const secs = r.perEpoch.map((e) => e.seconds).filter((s) => typeof s === 'number');
  const parts: string[] = [
    facts([
      ['graph', r.spec],
      ['algorithm', r.algo],
      ['seed', String(r.seed)],
      ['backend', String(r.backend)],
      ['samples', `${r.trainSamples} training / ${r.testSamples} test`],
      ['epochs', `${r.perEpoch.length}${r.interrupted ? ' (interrupted)' : ''}`],
      ['best test accuracy', pct(r.bestTestAccuracy)],
      ['final test accuracy', pct(r.finalTestAccuracy)],
      ['seconds per epoch (mean)', secs.length ? num(secs.reduce((a, b) => a + b, 0) / secs.length, 2) : 'n/a'],
    ]),
  ];
  const fig = epochFigure(r.perEpoch, cols);
  if (fig)
    parts.push(
      figureHtml('epochs', fig, "Accuracy in percent of the test (and training) samples; loss averaged over the epoch's batches."),
    );
  if (r.perEpoch.length) parts.push(epochTable(r.perEpoch));
  parts.push(provenanceHtml(r.provenance));
  return { kind: 'train', title: `Training run: ${r.spec} (${r.algo})`, file, html: parts.join('\n') };
}

/** 'dynamic.adc_read' → 'adc read (dynamic)'. */
function componentName(k: string): string {
  const [kind, ...rest] = k.split('.');
  const name = rest.join('.').replace(/_/g, ' ');
  return name ? `${name} (${kind})` : kind;
}

export function chipSection(file: string, r: ChipResult, cols: number): Section {
  const parts: string[] = [
    facts([
      ['graph', r.graph],
      ['chip', r.chip],
      ['mode', r.mode === 'train' ? 'in-situ training (EP)' : 'evaluation of the programmed weights'],
      ['seed', String(r.seed)],
      ['backend', String(r.backend)],
      ['samples', `${r.trainSamples} training / ${r.testSamples} test`],
      ['test accuracy', pct(r.testAccuracy)],
      ...(r.mode === 'train' ? [['best test accuracy', pct(r.bestTestAccuracy)] as [string, string]] : []),
      ['cycles per inference', String(r.cyclesPerInference)],
      ['cycles per training sample', String(r.cyclesPerTrainingSample)],
      ['time per inference', `${num(r.secondsPerInference * 1e6, 3)} µs`],
      ['time per training sample', `${num(r.secondsPerTrainingSample * 1e6, 3)} µs`],
      ['energy per inference', `${num(r.energyPerInferenceJoules * 1e9, 4)} nJ`],
      ['energy per training sample', `${num(r.energyPerTrainingSampleJoules * 1e9, 4)} nJ`],
      ...(r.mode === 'train' ? [['update pulses per training sample', num(r.updatePulsesPerTrainingSample, 1)] as [string, string]] : []),
      ...(r.interrupted ? [['interrupted', 'yes'] as [string, string]] : []),
    ]),
  ];
  const fig = epochFigure(r.perEpoch, cols);
  if (fig) parts.push('<h3>In-situ training</h3>', figureHtml('epochs', fig));

  // Energy by component, pJ, inference and training sample side by side; components that cost nothing are left out.
  const keys = [...new Set([...Object.keys(r.energyByComponent.inference), ...Object.keys(r.energyByComponent.training)])]
    .filter((k) => (r.energyByComponent.inference[k] ?? 0) > 0 || (r.energyByComponent.training[k] ?? 0) > 0)
    .sort((a, b) => (r.energyByComponent.training[b] ?? 0) - (r.energyByComponent.training[a] ?? 0));
  const pj = (v: number | undefined) => (v ?? 0) * 1e12;
  parts.push('<h3>Energy by component</h3>');
  parts.push(
    figureHtml(
      'energy',
      barPlot({
        title: 'Energy by component',
        valueLabel: 'energy (pJ)',
        legendTitle: 'per',
        categories: keys.map(componentName),
        series: [
          { label: 'inference', values: keys.map((k) => pj(r.energyByComponent.inference[k])) },
          { label: 'training sample', values: keys.map((k) => pj(r.energyByComponent.training[k])) },
        ],
      }),
    ),
  );
  parts.push(
    table(
      ['component', 'inference (pJ)', 'share', 'training sample (pJ)', 'share'],
      keys.map((k) => [
        componentName(k),
        num(pj(r.energyByComponent.inference[k]), 3),
        pct((r.energyByComponent.inference[k] ?? 0) / r.energyPerInferenceJoules),
        num(pj(r.energyByComponent.training[k]), 3),
        pct((r.energyByComponent.training[k] ?? 0) / r.energyPerTrainingSampleJoules),
      ]),
      { numeric: [false, true, true, true, true] },
    ),
  );

  // Utilisation: busy fraction per resource kind (mean over instances and the busiest one).
  const kinds = Object.keys(r.utilisation.inference);
  if (kinds.length) {
    parts.push('<h3>Utilisation</h3>');
    parts.push(
      figureHtml(
        'utilisation',
        barPlot({
          title: 'Busy fraction per resource kind (inference)',
          valueLabel: metricLabel('utilisation'),
          legendTitle: 'instances',
          domain: [0, 100],
          categories: kinds,
          series: [
            { label: 'mean', values: kinds.map((k) => 100 * r.utilisation.inference[k].meanBusy) },
            { label: 'busiest', values: kinds.map((k) => 100 * r.utilisation.inference[k].maxBusy) },
          ],
        }),
      ),
    );
    const u = (ph: 'inference' | 'training', k: string) => r.utilisation[ph][k];
    parts.push(
      table(
        [
          'resource kind',
          'instances',
          'mean busy (inference)',
          'busiest (inference)',
          'busiest instance',
          'mean busy (training)',
          'busiest (training)',
        ],
        kinds.map((k) => [
          k,
          String(u('inference', k).instances),
          pct(u('inference', k).meanBusy),
          pct(u('inference', k).maxBusy),
          u('inference', k).busiest,
          pct(u('training', k)?.meanBusy),
          pct(u('training', k)?.maxBusy),
        ]),
        { numeric: [false, true, true, true, false, true, true] },
      ),
    );
  }

  // ADC saturation, when the run recorded it: the fraction of reads clipped, per edge and read kind.
  if (r.adcSaturation && r.adcSaturation.length) {
    const reads = [...new Set(r.adcSaturation.map((a) => a.read))];
    const edges = [...new Set(r.adcSaturation.map((a) => a.edge))];
    const at = (e: string, k: string) => r.adcSaturation!.find((a) => a.edge === e && a.read === k)?.fraction ?? NaN;
    parts.push('<h3>ADC saturation</h3>');
    parts.push(
      figureHtml(
        'adc',
        barPlot({
          title: 'ADC reads clipped',
          valueLabel: metricLabel('adcClippedFraction'),
          legendTitle: 'read',
          categories: edges,
          series: reads.map((k) => ({ label: k, values: edges.map((e) => 100 * at(e, k)) })),
        }),
      ),
    );
    parts.push(
      table(
        ['edge', 'read', 'clipped'],
        r.adcSaturation.map((a) => [a.edge, a.read, pct(a.fraction)]),
        { numeric: [false, false, true] },
      ),
    );
  }
  if (r.perEpoch.length) parts.push(epochTable(r.perEpoch));
  parts.push(provenanceHtml(r.provenance));
  return { kind: 'chip', title: `Chip run: ${r.graph} on ${r.chip} (${r.mode})`, file, html: parts.join('\n') };
}
