/** Reading a graph description from disk: parse, validate, and turn failures into diagnostics. */
import { jsonSyntaxMessage } from '../util/json-text';
import { formatBytes, LIMITS } from '../util/limits';
import { readTextBounded, ReadError } from '../util/read-bounded';
import { SpecError } from './diagnostics';
import type { GraphSpec } from './spec';
import { validateGraph } from './validate';

export function parseGraphText(text: string, file: string): GraphSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new SpecError([
      {
        code: 'FRE001',
        file,
        path: '',
        message: jsonSyntaxMessage(err, text),
        hint: 'fix the JSON syntax there (a trailing comma or a missing quote is the usual cause)',
      },
    ]);
  }
  const { spec, diagnostics } = validateGraph(raw, file);
  if (!spec) throw new SpecError(diagnostics);
  return spec;
}

export function loadGraph(file: string): GraphSpec {
  let text: string;
  try {
    text = readTextBounded(file, LIMITS.jsonFileBytes);
  } catch (err) {
    if (!(err instanceof ReadError)) throw err;
    throw new SpecError([
      {
        code: 'FRE001',
        file,
        path: '',
        message: `cannot read the file: it ${err.detail}`,
        hint:
          err.reason === 'too-large'
            ? `a graph spec is a JSON file of at most ${formatBytes(LIMITS.jsonFileBytes)} (docs/limits.md); pass the spec itself`
            : 'check the path; example specs live in examples/',
      },
    ]);
  }
  return parseGraphText(text, file);
}
