/**
 * Coded diagnostics for everything below the graph format — chip descriptions (HW…), the compiler
 * (CMP…) and netlists (NET…) — in the shape of graph/diagnostics.ts: data (a stable code, the file,
 * a path, what is wrong, what to change), rendered separately. Codes never change meaning once
 * released; tests pin every one.
 */

export interface CodedDiagnostic {
  code: string;
  file: string;
  /** JSON pointer into a chip description (/noc/meshWidth), or a dotted path into a netlist (arrays.3.core). */
  path: string;
  message: string;
  /** What to change. */
  hint: string;
}

export const HW_CODES = {
  HW001: 'chip file unreadable or not valid JSON',
  HW002: 'unsupported chip format version',
  HW003: 'unknown chip preset',
  HW010: 'required field missing',
  HW011: 'wrong type',
  HW012: 'value out of range',
  HW013: 'unknown enum value',
  HW014: 'unknown field',
  HW020: 'contradictory sizes',
  HW021: 'contradictory values',
} as const;
export type HwCode = keyof typeof HW_CODES;

export function formatCoded(d: CodedDiagnostic): string {
  const where = d.path ? `${d.file}:${d.path}` : d.file;
  return `${where}: error ${d.code}: ${d.message}\n  fix: ${d.hint}`;
}

/** Base of the user-facing errors that carry diagnostics (the CLI prints them without a stack). */
export class DiagnosticsError extends Error {
  constructor(readonly diagnostics: CodedDiagnostic[]) {
    super(diagnostics.map(formatCoded).join('\n'));
    this.name = new.target.name;
  }
}

/** A chip description that cannot be used (unknown preset, bad file, invalid field). */
export class ChipError extends DiagnosticsError {}
