/**
 * Diagnostics are data (a stable code, the file, a JSON path, what is wrong and what to change);
 * rendering is separate. Codes never change meaning once released: tests pin every one.
 */
export interface Diagnostic {
  code: DiagnosticCode;
  file: string;
  /** JSON pointer into the file, e.g. /edges/1/feedback/beta. */
  path: string;
  message: string;
  /** What to change. */
  hint: string;
}

export const DIAGNOSTIC_CODES = {
  FRE001: 'file unreadable or not valid JSON',
  FRE002: 'unsupported format version',
  FRE010: 'required field missing',
  FRE011: 'wrong type',
  FRE012: 'value out of range',
  FRE013: 'unknown enum value',
  FRE014: 'unknown field',
  FRE015: 'size or count over its documented limit (docs/limits.md)',
  FRE020: 'duplicate name',
  FRE021: 'edge names an unknown node',
  FRE022: 'edge direction not allowed',
  FRE023: 'output must have exactly one incoming edge',
  FRE024: 'hidden layer not driven from the input',
  FRE025: 'feedback not allowed on this edge',
  FRE026: 'feedback scale missing or misplaced',
  FRE027: 'learning rate names an unknown or untrained edge',
  FRE028: 'conv or pool edge does not fit its layers',
  FRE029: 'edge name not allowed (it would collide with a weight-file key)',
  FRE030: 'input size does not match the dataset',
  FRE031: 'classes do not match the dataset',
  FRE032: 'dataset splits disagree or are empty',
  FRE033: 'dataset folder missing or incomplete (--data-dir)',
  FRE034: 'dataset file unreadable, corrupt or inconsistent',
  FRE040: 'weight file does not match the graph',
  FRE041: 'weight file holds NaN or infinite values',
  FRE042: 'checkpoint does not match the run',
} as const;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.path ? `${d.file}:${d.path}` : d.file;
  return `${where}: error ${d.code}: ${d.message}\n  fix: ${d.hint}`;
}

/** Thrown by loaders when validation fails; carries every diagnostic, not just the first. */
export class SpecError extends Error {
  constructor(public readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
    this.name = 'SpecError';
  }
}
