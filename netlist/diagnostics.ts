/**
 * Diagnostic codes of netlist reading and validation (NET…), in the shape of graph/diagnostics.ts.
 * Codes never change meaning once released; tests pin every one.
 */
import { DiagnosticsError, type CodedDiagnostic } from '../hw-models/diagnostics';

export const NET_CODES = {
  NET001: 'netlist file unreadable',
  NET002: 'not a valid netlist protobuf (malformed or truncated)',
  NET003: 'ir_version missing',
  NET004: 'unsupported ir_version',
  NET005: 'op set missing or unsupported',
  NET010: 'embedded chip description invalid',
  NET011: 'chip description differs from the given chip',
  NET020: 'tiles do not cover a matrix exactly',
  NET021: 'array or core placement invalid',
  NET022: 'conductance data invalid',
  NET023: 'external data missing or corrupt',
  NET030: 'route invalid',
  NET040: 'schedule invalid',
  NET041: 'an execution field (dynamics, phases, groups, training info) out of range or inconsistent',
  NET042: 'an op does not match its op-set definition or the objects it names',
  NET043: 'a normative number is not finite (NaN or infinite)',
  NET050: 'missing block or dangling reference',
} as const;
export type NetCode = keyof typeof NET_CODES;

/** A netlist that cannot be read or fails its checks. */
export class NetlistError extends DiagnosticsError {}

export function netDiag(code: NetCode, file: string, path: string, message: string, hint: string): CodedDiagnostic {
  return { code, file, path, message, hint };
}
