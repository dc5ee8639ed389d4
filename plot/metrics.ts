/**
 * How a metric is shown: a readable label, a unit, the factor from the recorded value to the shown
 * one, and whether it is a fraction shown in percent. Every plot and table of fre (sweep report,
 * `fre report`) goes through this one table, so `bestTestAccuracy` 0.9712 is "best test accuracy
 * (%)" 97.12 everywhere and `energyPjPerInference` is "energy per inference (pJ)".
 */

export interface MetricInfo {
  label: string;
  /** Unit of the shown value ('' for a pure number). */
  unit: string;
  /** Shown value = recorded value × scale. */
  scale: number;
  /** A fraction shown in percent (scale 100, unit '%'). */
  percent: boolean;
}

const pct = (label: string): MetricInfo => ({ label, unit: '%', scale: 100, percent: true });
const plain = (label: string, unit = '', scale = 1): MetricInfo => ({ label, unit, scale, percent: false });

export const METRIC_TABLE: Readonly<Record<string, MetricInfo>> = {
  bestTestAccuracy: pct('best test accuracy'),
  finalTestAccuracy: pct('final test accuracy'),
  finalTrainAccuracy: pct('final training accuracy'),
  testAccuracy: pct('test accuracy'),
  trainAccuracy: pct('training accuracy'),
  finalTrainLoss: plain('final training loss'),
  trainLoss: plain('training loss'),
  secondsPerEpoch: plain('time per epoch', 's'),
  cyclesPerInference: plain('cycles per inference', 'cycles'),
  cyclesPerTrainingSample: plain('cycles per training sample', 'cycles'),
  energyPjPerInference: plain('energy per inference', 'pJ'),
  energyPjPerTrainingSample: plain('energy per training sample', 'pJ'),
  energyPerInferenceJoules: plain('energy per inference', 'nJ', 1e9),
  energyPerTrainingSampleJoules: plain('energy per training sample', 'nJ', 1e9),
  secondsPerInference: plain('time per inference', 'µs', 1e6),
  secondsPerTrainingSample: plain('time per training sample', 'µs', 1e6),
  updatePulsesPerTrainingSample: plain('update pulses per training sample', 'pulses'),
  spectralRadius: plain('spectral radius'),
  adcClippedFraction: pct('ADC reads clipped'),
  adcClippedMaxFraction: pct('ADC reads clipped (worst edge and read kind)'),
  refreshesPerTrainingSample: plain('PCM pair refreshes per training sample', 'refreshes'),
  boundHitFraction: pct('weights at a bound of their range'),
  utilisation: pct('utilisation'),
};

/** "finalTrainLoss" → "final train loss" (for names the table does not know). */
export function humanize(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .split(' ')
    .map((w) => (/^[A-Z0-9]+$/.test(w) && w.length > 1 ? w : w.toLowerCase()))
    .join(' ')
    .trim();
}

/** The table's entry, or one derived from the name (humanised, unscaled). */
export function metricInfo(name: string): MetricInfo {
  return METRIC_TABLE[name] ?? plain(humanize(name));
}

/** "best test accuracy (%)", "final training loss". */
export function metricLabel(name: string): string {
  const m = metricInfo(name);
  return m.unit ? `${m.label} (${m.unit})` : m.label;
}

/** The shown value of a recorded one (NaN and null stay NaN). */
export function metricValue(name: string, v: number | null | undefined): number {
  return typeof v === 'number' ? v * metricInfo(name).scale : NaN;
}
