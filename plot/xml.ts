/**
 * A tiny, regex-free XML reader: enough to check that generated SVG is well formed and to walk it in
 * tests (elements, attributes, text; comments, processing instructions and the five predefined
 * entities plus numeric character references). It throws on anything malformed — unclosed or
 * mismatched tags, unquoted or duplicate attributes, stray `<` or `&`, unknown entities, text
 * after the root. Not a validating parser: no DTDs, no namespaces beyond keeping `xmlns` as an
 * attribute.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
}
export type XmlNode = XmlElement | string;

export class XmlError extends Error {}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function isNameStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === ':';
}
function isNameChar(c: string): boolean {
  return isNameStart(c) || (c >= '0' && c <= '9') || c === '-' || c === '.';
}
function isSpace(c: string): boolean {
  return c === ' ' || c === '\n' || c === '\t' || c === '\r';
}

/** Parses a whole document and returns its root element. */
export function parseXml(text: string): XmlElement {
  let i = 0;
  const fail = (msg: string): never => {
    let line = 1;
    for (let k = 0; k < i && k < text.length; k++) if (text[k] === '\n') line++;
    throw new XmlError(`${msg} (line ${line}, offset ${i})`);
  };
  const startsWith = (s: string): boolean => text.startsWith(s, i);
  const skipSpace = (): void => {
    while (i < text.length && isSpace(text[i])) i++;
  };
  const readName = (): string => {
    if (i >= text.length || !isNameStart(text[i])) fail('expected a name');
    const start = i;
    while (i < text.length && isNameChar(text[i])) i++;
    return text.slice(start, i);
  };
  const decode = (raw: string): string => {
    let out = '';
    for (let k = 0; k < raw.length; k++) {
      const c = raw[k];
      if (c === '<') fail('"<" inside text or attribute value');
      if (c !== '&') {
        out += c;
        continue;
      }
      const end = raw.indexOf(';', k);
      if (end < 0) fail('"&" without a terminating ";"');
      const ent = raw.slice(k + 1, end);
      if (ent.startsWith('#x')) {
        const code = parseInt(ent.slice(2), 16);
        if (!Number.isFinite(code) || ent.length < 3) fail(`bad character reference &${ent};`);
        out += String.fromCodePoint(code);
      } else if (ent.startsWith('#')) {
        const code = parseInt(ent.slice(1), 10);
        if (!Number.isFinite(code) || ent.length < 2) fail(`bad character reference &${ent};`);
        out += String.fromCodePoint(code);
      } else if (ENTITIES[ent] !== undefined) {
        out += ENTITIES[ent];
      } else {
        fail(`unknown entity &${ent};`);
      }
      k = end;
    }
    return out;
  };
  const skipMisc = (): void => {
    for (;;) {
      skipSpace();
      if (startsWith('<?')) {
        const end = text.indexOf('?>', i);
        if (end < 0) fail('unterminated processing instruction');
        i = end + 2;
      } else if (startsWith('<!--')) {
        const end = text.indexOf('-->', i + 4);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
      } else {
        return;
      }
    }
  };
  const readElement = (): XmlElement => {
    if (text[i] !== '<') fail('expected "<"');
    i++;
    const name = readName();
    const attrs: Record<string, string> = {};
    for (;;) {
      const hadSpace = i < text.length && isSpace(text[i]);
      skipSpace();
      if (i >= text.length) fail(`unterminated start tag <${name}`);
      if (startsWith('/>')) {
        i += 2;
        return { name, attrs, children: [] };
      }
      if (text[i] === '>') {
        i++;
        break;
      }
      if (!hadSpace) fail(`expected whitespace before an attribute in <${name}>`);
      const an = readName();
      skipSpace();
      if (text[i] !== '=') fail(`attribute ${an} of <${name}> has no value`);
      i++;
      skipSpace();
      const q = text[i];
      if (q !== '"' && q !== "'") fail(`attribute ${an} of <${name}> is not quoted`);
      const end = text.indexOf(q, i + 1);
      if (end < 0) fail(`unterminated value of attribute ${an}`);
      if (Object.prototype.hasOwnProperty.call(attrs, an)) fail(`duplicate attribute ${an} in <${name}>`);
      attrs[an] = decode(text.slice(i + 1, end));
      i = end + 1;
    }
    const children: XmlNode[] = [];
    for (;;) {
      if (i >= text.length) fail(`element <${name}> is not closed`);
      if (startsWith('</')) {
        i += 2;
        const close = readName();
        if (close !== name) fail(`</${close}> closes <${name}>`);
        skipSpace();
        if (text[i] !== '>') fail(`malformed end tag </${close}`);
        i++;
        return { name, attrs, children };
      }
      if (startsWith('<!--')) {
        const end = text.indexOf('-->', i + 4);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
        continue;
      }
      if (startsWith('<![CDATA[')) {
        const end = text.indexOf(']]>', i);
        if (end < 0) fail('unterminated CDATA section');
        children.push(text.slice(i + 9, end));
        i = end + 3;
        continue;
      }
      if (text[i] === '<') {
        children.push(readElement());
        continue;
      }
      const start = i;
      while (i < text.length && text[i] !== '<') i++;
      children.push(decode(text.slice(start, i)));
    }
  };
  skipMisc();
  if (i >= text.length) fail('empty document');
  const root = readElement();
  skipMisc();
  if (i < text.length) fail('content after the root element');
  return root;
}

/** Every element in document order (the root first) that satisfies `pred`. */
export function findAll(root: XmlElement, pred: (e: XmlElement) => boolean): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement): void => {
    if (pred(e)) out.push(e);
    for (const c of e.children) if (typeof c !== 'string') walk(c);
  };
  walk(root);
  return out;
}

/** The concatenated text inside an element. */
export function textContent(e: XmlElement): string {
  return e.children.map((c) => (typeof c === 'string' ? c : textContent(c))).join('');
}
