/**
 * The hint `fre simulate` / `fre run` print under their ADC saturation line when an edge's reads clip
 * often: which edges, and the options a designer has with the flags that exist, each with its price
 * (docs/chip-simulator.md "ADC saturation"). Options, not a recommendation: which price is worth
 * paying depends on the chip and the study.
 */
import type { AdcSaturation } from '../simulator/chip/interpreter';

/**
 * The share of an edge's conversions (of one read kind) clipped above which the hint is printed. A
 * calibrated range clips a tail by design (percentile:99.9 clips 0.1 % of its calibration sums), and
 * a fraction of a percent is that kind of tail; at a few percent the range cuts into the bulk of the
 * partial sums. 2 % is a judgement where the one becomes the other, not a measured break-even.
 */
export const SATURATION_HINT_FRACTION = 0.02;

export interface SaturationHintContext {
  /** `run` takes the compile flags itself; `simulate` runs a compiled netlist (they belong to fre compile). */
  command: 'run' | 'simulate';
  mode: 'train' | 'eval';
  /** The netlist's `compile.adc_range_policy` ('fixed', 'percentile:P'); undefined when not recorded. */
  adcRangePolicy: string | undefined;
}

/** The hint line, or undefined when no edge clips more than SATURATION_HINT_FRACTION of its conversions. */
export function saturationHint(sat: readonly AdcSaturation[], c: SaturationHintContext): string | undefined {
  const high = sat.filter((x) => x.fraction > SATURATION_HINT_FRACTION);
  if (high.length === 0) return undefined;
  const flag = (f: string) => (c.command === 'run' ? f : `fre compile … ${f}`);
  const options: string[] = [];
  if (c.mode === 'train') {
    options.push(
      `${flag('--w-max x4')} (weight headroom: w_max = 4·max|W|, so partial sums shrink and the weights can grow; ` +
        'each level and device step is then a larger weight change, i.e. less resolution)',
    );
  }
  // A netlist already calibrated has nothing to gain from the same option again.
  if (!c.adcRangePolicy?.startsWith('percentile')) {
    options.push(
      `${flag('--adc-range percentile:99.9')} (each array's ADC range calibrated on the programmed weights: ` +
        (c.mode === 'train' ? 'in-situ training grows the weights past it, so it can clip more)' : 'a wider range is a coarser ADC step)'),
    );
  }
  const edges = high.map((x) => `${x.edge} ${x.read} ${(100 * x.fraction).toFixed(2)}%`).join(', ');
  return (
    `hint: ${edges} of conversions clipped (over ${100 * SATURATION_HINT_FRACTION}%)` +
    (options.length ? `; options, each with a price: ${options.join('; ')}` : '') +
    '. See docs/chip-simulator.md "ADC saturation".'
  );
}
