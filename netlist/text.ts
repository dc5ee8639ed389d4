/**
 * A netlist message as protobuf text format, printed the way `protoc --decode` prints it (fields
 * in tag order, proto3 defaults omitted, repeated fields one line per element, floats as %.6g/%.9g
 * and doubles as %.15g/%.17g — whichever round-trips —, strings and bytes C-escaped), so the golden
 * files can be checked against protoc itself.
 */
import type protobuf from 'protobufjs';
import { netlistType } from './schema';

/** C's %.<p>g. */
function fmtG(v: number, p: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const e = v.toExponential(p - 1);
  const [mant, expS] = e.split('e');
  const exp = Number(expS);
  const strip = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exp < -4 || exp >= p) return `${strip(mant)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return strip(v.toFixed(p - 1 - exp));
}

function fmtFloat(v: number): string {
  const s = fmtG(v, 6);
  return Math.fround(Number(s)) === v || !Number.isFinite(v) ? s : fmtG(v, 9);
}

function fmtDouble(v: number): string {
  const s = fmtG(v, 15);
  return Number(s) === v || !Number.isFinite(v) ? s : fmtG(v, 17);
}

function cEscape(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) {
    if (b === 0x0a) s += '\\n';
    else if (b === 0x0d) s += '\\r';
    else if (b === 0x09) s += '\\t';
    else if (b === 0x22) s += '\\"';
    else if (b === 0x27) s += "\\'";
    else if (b === 0x5c) s += '\\\\';
    else if (b < 0x20 || b >= 0x7f) s += `\\${b.toString(8).padStart(3, '0')}`;
    else s += String.fromCharCode(b);
  }
  return s;
}

const snake = (camel: string) => camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function isDefault(f: protobuf.Field, v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (f.resolvedType && (f.resolvedType as protobuf.Enum).values) {
    const e = f.resolvedType as protobuf.Enum;
    return v === 0 || v === e.valuesById[0];
  }
  if (f.resolvedType) return false; // a present message, even empty
  if (typeof v === 'number') return v === 0 && !Object.is(v, -0);
  if (typeof v === 'string') return v === '';
  if (typeof v === 'boolean') return !v;
  if (v instanceof Uint8Array) return v.length === 0;
  return false;
}

function scalar(f: protobuf.Field, v: unknown): string {
  if (f.resolvedType && (f.resolvedType as protobuf.Enum).values) {
    const e = f.resolvedType as protobuf.Enum;
    return typeof v === 'number' ? (e.valuesById[v] ?? String(v)) : String(v);
  }
  switch (f.type) {
    case 'float':
      return fmtFloat(v as number);
    case 'double':
      return fmtDouble(v as number);
    case 'string':
      return `"${cEscape(Buffer.from(v as string, 'utf8'))}"`;
    case 'bytes':
      return `"${cEscape(v as Uint8Array)}"`;
    case 'bool':
      return v ? 'true' : 'false';
    default:
      return String(v);
  }
}

function printMessage(type: protobuf.Type, obj: Record<string, unknown>, indent: string, out: string[]): void {
  for (const f of [...type.fieldsArray].sort((a, b) => a.id - b.id)) {
    f.resolve();
    const v = obj[f.name];
    const name = snake(f.name);
    const items = f.repeated ? ((v as unknown[] | undefined) ?? []) : isDefault(f, v) ? [] : [v];
    for (const item of items) {
      if (f.resolvedType instanceof (type.constructor as typeof protobuf.Type)) {
        out.push(`${indent}${name} {`);
        printMessage(f.resolvedType as protobuf.Type, item as Record<string, unknown>, `${indent}  `, out);
        out.push(`${indent}}`);
      } else {
        out.push(`${indent}${name}: ${scalar(f, item)}`);
      }
    }
  }
}

/** The text form of a decoded (or freshly emitted) netlist. */
export function netlistToText(n: object): string {
  const out: string[] = [];
  printMessage(netlistType(), n as Record<string, unknown>, '', out);
  return `${out.join('\n')}\n`;
}
