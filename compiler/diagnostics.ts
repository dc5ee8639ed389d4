/**
 * Diagnostic codes of the compiler (CMP…) and of netlist reading and validation (NET…), in the
 * shape of graph/diagnostics.ts. Codes never change meaning once released; tests pin every one.
 */
import { DiagnosticsError, type CodedDiagnostic } from '../hw-models/diagnostics';
import { NET_CODES, NetlistError, type NetCode } from '../netlist/diagnostics';

export { NET_CODES, NetlistError, type NetCode };

export const CMP_CODES = {
  CMP001: 'the net does not fit the chip (arrays)',
  CMP002: "a core's state buffer is too small for the groups it hosts",
  CMP003: 'unknown compiler pass name',
  CMP004: 'invalid weight-scale policy',
  CMP006: 'invalid ADC range policy, or a calibrated one without a calibration batch',
  CMP007: 'a conv edge pools with the activation argmax rule, which the netlist cannot carry',
  CMP008: 'the nudge mode "lagged" (a training-time study of the authors\' notebook), which the netlist cannot carry',
  CMP009:
    'a conv edge pools with a rule of the authors\' notebook (pool.feedback "map", pool.winner "state") that the netlist cannot carry',
  // CMP005 (conv and bias edges refused) is retired: the netlist carries them now. Do not reuse it.
  CMP090: 'IR invariant violated after a pass (a compiler bug)',
} as const;
export type CmpCode = keyof typeof CMP_CODES;

/** The compiler cannot lower this net onto this chip; the diagnostics say what to change. */
export class CompileError extends DiagnosticsError {}

export function diag(code: CmpCode | NetCode, file: string, path: string, message: string, hint: string): CodedDiagnostic {
  return { code, file, path, message, hint };
}
