/** Parsing of user-facing compiler options (CLI flags) into their typed form. */
import type { WMaxPolicy } from '../hw-models/conductance';
import { CompileError, diag } from './diagnostics';

/** "max" or "pNN" (a percentile of |W| in (0, 100], e.g. p99.9). */
export function parseWMaxPolicy(text: string, file: string): WMaxPolicy {
  if (text === 'max') return { kind: 'max' };
  const m = /^p(\d+(?:\.\d+)?)$/.exec(text);
  const p = m ? Number(m[1]) : NaN;
  if (!(p > 0 && p <= 100)) {
    throw new CompileError([diag('CMP004', file, '', `--w-max "${text}" is not a weight-scale policy`,
      'write max (w_max = max|W|, nothing clipped) or pNN with 0 < NN ≤ 100 (e.g. p99.9: w_max = the 99.9th percentile of |W|, larger weights clipped)')]);
  }
  return p === 100 ? { kind: 'max' } : { kind: 'percentile', p };
}
