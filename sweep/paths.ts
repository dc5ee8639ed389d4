/**
 * Field paths of a sweep axis: `graph.edges[1].feedback.beta`, `graph.dynamics.T`,
 * `chip.crossbar.programmingNoise`. The first word names the document (the graph spec or the chip
 * description); then `.key` selects an object field and `[...]` an array element:
 *   [3]          the element at index 3
 *   [*]          every element where the rest of the path exists (e.g. every edge with a β_i)
 *   [name=W1]    the element(s) whose field `name` equals "W1"
 * A pattern resolves against a concrete document into concrete paths (keys and indices only).
 */
import { closest } from './errors';

export type Doc = 'graph' | 'chip';
export const DOCS: readonly Doc[] = ['graph', 'chip'];

export type Segment =
  { kind: 'key'; key: string } | { kind: 'index'; index: number } | { kind: 'all' } | { kind: 'match'; key: string; value: string };

export interface PathPattern {
  text: string;
  doc: Doc;
  segments: Segment[];
}

/** A concrete location inside one document: object keys and array indices. */
export type Concrete = (string | number)[];

export class PathSyntaxError extends Error {}

const KEY = /^[A-Za-z_][A-Za-z0-9_-]*/;

export function parsePath(text: string): PathPattern {
  const m = KEY.exec(text);
  const doc = m?.[0];
  if (!doc || !(DOCS as readonly string[]).includes(doc)) {
    throw new PathSyntaxError(`a path starts with "graph." or "chip.", got "${text}"`);
  }
  const segments: Segment[] = [];
  let i = doc.length;
  while (i < text.length) {
    const c = text[i];
    if (c === '.') {
      const k = KEY.exec(text.slice(i + 1));
      if (!k) throw new PathSyntaxError(`expected a field name after "." at character ${i + 1} of "${text}"`);
      segments.push({ kind: 'key', key: k[0] });
      i += 1 + k[0].length;
    } else if (c === '[') {
      const end = text.indexOf(']', i);
      if (end < 0) throw new PathSyntaxError(`"[" at character ${i} of "${text}" is not closed`);
      const inner = text.slice(i + 1, end).trim();
      if (inner === '*') segments.push({ kind: 'all' });
      else if (/^\d+$/.test(inner)) segments.push({ kind: 'index', index: Number(inner) });
      else if (/^[A-Za-z_][A-Za-z0-9_-]*=.+$/.test(inner)) {
        const eq = inner.indexOf('=');
        segments.push({ kind: 'match', key: inner.slice(0, eq), value: inner.slice(eq + 1).replace(/^"(.*)"$/, '$1') });
      } else {
        throw new PathSyntaxError(`"[${inner}]" in "${text}" is not an index, [*] or [field=value]`);
      }
      i = end + 1;
    } else {
      throw new PathSyntaxError(`unexpected "${c}" at character ${i} of "${text}" (use .field or [index])`);
    }
  }
  if (segments.length === 0)
    throw new PathSyntaxError(
      `"${text}" names the whole ${doc}; name a field inside it, e.g. ${doc === 'graph' ? 'graph.dynamics.T' : 'chip.crossbar.rows'}`,
    );
  return { text, doc: doc as Doc, segments };
}

/** `graph.edges[1].feedback.beta` */
export function concreteText(doc: Doc, path: Concrete): string {
  return doc + path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
}

/** `/edges/1/feedback/beta` (the JSON pointer the graph validator reports). */
export function concretePointer(path: Concrete): string {
  return path.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

export interface ResolveFailure {
  /** How far the pattern resolved, e.g. `graph.edges[1].feedback`. */
  at: string;
  message: string;
  hint: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Every concrete path the pattern selects in `root`. A wildcard or [field=value] keeps the elements
 * where the rest of the pattern exists; the pattern fails when nothing is selected, with the reason
 * from the first element tried.
 */
export function resolvePath(root: unknown, p: PathPattern): { paths: Concrete[] } | { error: ResolveFailure } {
  const out: Concrete[] = [];
  const failures: ResolveFailure[] = [];
  const walk = (node: unknown, i: number, prefix: Concrete): void => {
    if (i === p.segments.length) {
      out.push(prefix);
      return;
    }
    const s = p.segments[i];
    const here = concreteText(p.doc, prefix);
    const fail = (message: string, hint: string) => {
      failures.push({ at: here, message, hint });
    };
    if (s.kind === 'key') {
      if (!isObj(node)) {
        fail(
          `${here} is ${Array.isArray(node) ? 'a list' : 'a value'}, not an object with field "${s.key}"`,
          Array.isArray(node) ? `select an element first, e.g. ${here}[0].${s.key} or ${here}[*].${s.key}` : `end the path at ${here}`,
        );
        return;
      }
      if (!(s.key in node)) {
        const keys = Object.keys(node);
        const near = closest(s.key, keys);
        fail(
          `${here} has no field "${s.key}"`,
          near ? `did you mean "${near}"? (fields: ${keys.join(', ')})` : `use one of its fields: ${keys.join(', ') || '(none)'}`,
        );
        return;
      }
      walk(node[s.key], i + 1, [...prefix, s.key]);
      return;
    }
    if (!Array.isArray(node)) {
      fail(
        `${here} is not a list, so it has no elements to select`,
        isObj(node) ? `use a field: ${Object.keys(node).join(', ')}` : `end the path at ${here}`,
      );
      return;
    }
    if (s.kind === 'index') {
      if (s.index >= node.length) {
        fail(
          `${here} has ${node.length} element${node.length === 1 ? '' : 's'}, so [${s.index}] does not exist`,
          node.length
            ? `use an index from 0 to ${node.length - 1}${node.every((e) => isObj(e) && typeof e.name === 'string') ? ` (or select by name: ${here}[name=${(node[0] as Obj).name}])` : ''}`
            : 'the list is empty',
        );
        return;
      }
      walk(node[s.index], i + 1, [...prefix, s.index]);
      return;
    }
    let matched = 0;
    node.forEach((el, j) => {
      if (s.kind === 'match' && !(isObj(el) && String(el[s.key]) === s.value)) return;
      matched++;
      walk(el, i + 1, [...prefix, j]);
    });
    if (s.kind === 'match' && matched === 0) {
      const names = node
        .filter(isObj)
        .map((el) => el[s.key])
        .filter((v) => v !== undefined)
        .map(String);
      const near = closest(s.value, names);
      fail(
        `no element of ${here} has ${s.key} = "${s.value}"`,
        near
          ? `did you mean [${s.key}=${near}]? (${s.key}s: ${names.join(', ')})`
          : names.length
            ? `use one of: ${names.join(', ')}`
            : `its elements have no field "${s.key}"`,
      );
    }
    if (s.kind === 'all' && node.length === 0)
      fail(`${here} is empty, so [*] selects nothing`, 'remove this axis or add elements to the base document');
  };
  walk(root, 0, []);
  if (out.length === 0) {
    // Under a wildcard several elements fail; the most useful reason is a typo suggestion, else the
    // one that got furthest along the path.
    const best = failures.find((f) => f.hint.startsWith('did you mean')) ?? [...failures].sort((a, b) => b.at.length - a.at.length)[0];
    return { error: best ?? { at: p.doc, message: `${p.text} selects nothing`, hint: 'check the path' } };
  }
  return { paths: out };
}

export function getAt(root: unknown, path: Concrete): unknown {
  let node = root;
  for (const k of path) node = (node as Record<string | number, unknown>)[k];
  return node;
}

/** Sets a value in place (the caller clones the base document first). */
export function setAt(root: unknown, path: Concrete, value: unknown): void {
  let node = root as Record<string | number, unknown>;
  for (let i = 0; i < path.length - 1; i++) node = node[path[i]] as Record<string | number, unknown>;
  node[path[path.length - 1]] = value;
}
