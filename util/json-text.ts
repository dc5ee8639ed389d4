/** JSON.parse's errors for people: editors go to a line and column, not to a character offset. */

/** 1-based line and column of character `offset` in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lastBreak = before.lastIndexOf('\n');
  return { line: before.split('\n').length, column: before.length - lastBreak };
}

/**
 * The message of a JSON.parse failure on `text`, led by where it is: "not valid JSON at line 40,
 * column 3 (Expected double-quoted property name in JSON at position 1088)". The engine gives an
 * offset ("at position N"), an end of input, or (newer V8) its own line and column; a message with
 * none of these (an unexpected token quoted with its context) is kept as it is.
 */
export function jsonSyntaxMessage(err: unknown, text: string): string {
  const engine = (err as Error).message;
  if (/\(line \d+ column \d+\)/.test(engine)) return `not valid JSON (${engine})`;
  const at = /at position (\d+)/.exec(engine);
  const offset = at ? Number(at[1]) : /Unexpected end of JSON input/.test(engine) ? text.length : undefined;
  if (offset === undefined) return `not valid JSON (${engine})`;
  const { line, column } = lineColumn(text, offset);
  return `not valid JSON at line ${line}, column ${column} (${engine})`;
}
