/** Parsing of user-facing compiler options (CLI flags) into their typed form. */
import type { WMaxPolicy } from '../hw-models/conductance';
import { CompileError, diag } from './diagnostics';
import type { AdcRangePolicy } from './ir';

/** "max", "pNN" (a percentile of |W| in (0, 100], e.g. p99.9), "xF" (F × max|W|, F ≥ 1, e.g. x4) or
 *  a number (a fixed w_max for every matrix, e.g. 0.4). */
export function parseWMaxPolicy(text: string, file: string): WMaxPolicy {
  if (text === 'max') return { kind: 'max' };
  const h = /^x(\d+(?:\.\d+)?)$/.exec(text);
  if (h && Number(h[1]) >= 1 && Number.isFinite(Number(h[1])))
    return Number(h[1]) === 1 ? { kind: 'max' } : { kind: 'headroom', factor: Number(h[1]) };
  if (/^\d*\.?\d+(?:e[-+]?\d+)?$/i.test(text) && Number(text) > 0 && Number.isFinite(Number(text)))
    return { kind: 'fixed', wMax: Number(text) };
  const m = /^p(\d+(?:\.\d+)?)$/.exec(text);
  const p = m ? Number(m[1]) : NaN;
  if (!(p > 0 && p <= 100)) {
    throw new CompileError([
      diag(
        'CMP004',
        file,
        '',
        `--w-max "${text}" is not a weight-scale policy`,
        'write max (w_max = max|W|, nothing clipped), pNN with 0 < NN ≤ 100 (e.g. p99.9: w_max = the 99.9th percentile of |W|, larger weights clipped), ' +
          'xF with F ≥ 1 (e.g. x4: w_max = 4·max|W|, headroom for in-situ learning) or a positive number (a fixed w_max, e.g. 0.4)',
      ),
    ]);
  }
  return p === 100 ? { kind: 'max' } : { kind: 'percentile', p };
}

/** "fixed" or "percentile:P" (0 < P ≤ 100, e.g. percentile:99.9). */
export function parseAdcRangePolicy(text: string, file: string): AdcRangePolicy {
  if (text === 'fixed') return { kind: 'fixed' };
  const m = /^percentile:(\d+(?:\.\d+)?)$/.exec(text);
  const p = m ? Number(m[1]) : NaN;
  if (!(p > 0 && p <= 100)) {
    throw new CompileError([
      diag(
        'CMP006',
        file,
        '',
        `--adc-range "${text}" is not an ADC range policy`,
        "write fixed (every array converts over the chip's periphery.adc.fullScale) or percentile:P with 0 < P ≤ 100 " +
          "(e.g. percentile:99.9: each array's range per read kind = the 99.9th percentile of |partial sum| over the calibration batch)",
      ),
    ]);
  }
  return { kind: 'percentile', p };
}
