/**
 * NumPy .npy format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
 * parse versions 1.0 / 2.0 / 3.0 and write 1.0 headers byte-for-byte the way np.save does, so a
 * file we write is indistinguishable from one numpy wrote.
 *
 * The header is a Python dict literal. It is parsed by a small literal parser, never evaluated,
 * so a hostile file can only produce an NpzError.
 *
 * Decoded arrays are always native-endian, C-ordered and own a fresh buffer: big-endian files
 * are byte-swapped and fortran_order files transposed at load time, so callers never have to
 * care how the file was laid out, and the (possibly large) file buffer is not kept alive by a
 * view into it.
 *
 * int64 ('<i8') decodes to a BigInt64Array: weights files also carry label and index arrays
 * (np.int64 is numpy's default integer on Linux), and silently rounding values past 2^53 would
 * be the kind of garbage this module exists to prevent. toFloat32 / toFloat64 convert when a
 * plain number array is wanted.
 */
import { endianness } from 'node:os';

/** Every failure of the npy/npz layer: names the file, the array (if any) and what to do. */
export class NpzError extends Error {
  /** The file (or '<buffer>' label) being read or written. */
  readonly file: string;
  /** The array key inside an .npz, when the problem is specific to one array. */
  readonly key: string | undefined;
  constructor(file: string, key: string | undefined, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NpzError';
    this.file = file;
    this.key = key;
  }

  /** The message without its leading "<file>: ", for a coded diagnostic that names the file itself
   *  ("w.npz: error FRE040: does not exist", not "w.npz: error FRE040: w.npz: does not exist"). */
  get detail(): string {
    const prefix = `${this.file}: `;
    return this.message.startsWith(prefix) ? this.message.slice(prefix.length) : this.message;
  }
}

/** dtype strings of decoded arrays (always the little-endian / byte-order-free spelling). */
export type NpyDtype = '<f4' | '<f8' | '<i4' | '<i8' | '|u1' | '<u4' | '|b1';

export type NpyData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Uint32Array;

export interface NpyArray {
  /** Describes `data` (native order), not necessarily the bytes in the file ('>f4' reads as '<f4'). */
  dtype: NpyDtype;
  /** C-order shape; [] for a 0-d scalar. */
  shape: number[];
  /** Row-major (C-order) values; '|b1' is a Uint8Array of 0/1. */
  data: NpyData;
}

/** What the writers accept: a decoded NpyArray, or a typed array plus shape (dtype inferred). */
export interface NpyInput {
  data: NpyData;
  shape: readonly number[];
  /** Only needed to write booleans ('|b1') from a Uint8Array; otherwise inferred from `data`. */
  dtype?: NpyDtype;
}

/** Where a buffer came from, for error messages. */
export interface NpyContext {
  file: string;
  key?: string;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ARRAY_ALIGN = 64;
// np.save leaves room for the leading axis to grow to 21 digits so the header can be patched
// in place; we copy it so our bytes match numpy's exactly.
const GROWTH_AXIS_MAX_DIGITS = 21;
const HOST_LITTLE = endianness() === 'LE';

type TypedCtor = {
  new (buffer: ArrayBuffer, byteOffset?: number, length?: number): NpyData;
  new (length: number): NpyData;
};

interface DtypeInfo {
  dtype: NpyDtype;
  itemsize: number;
  ctor: TypedCtor;
}

const DTYPES: Record<string, DtypeInfo> = {
  f4: { dtype: '<f4', itemsize: 4, ctor: Float32Array },
  f8: { dtype: '<f8', itemsize: 8, ctor: Float64Array },
  i4: { dtype: '<i4', itemsize: 4, ctor: Int32Array },
  i8: { dtype: '<i8', itemsize: 8, ctor: BigInt64Array },
  u1: { dtype: '|u1', itemsize: 1, ctor: Uint8Array },
  u4: { dtype: '<u4', itemsize: 4, ctor: Uint32Array },
  b1: { dtype: '|b1', itemsize: 1, ctor: Uint8Array },
};

export const SUPPORTED_DTYPES: readonly NpyDtype[] = Object.values(DTYPES).map((d) => d.dtype);

function subject(ctx: NpyContext): string {
  return ctx.key !== undefined ? `${ctx.file}: array '${ctx.key}'` : `${ctx.file}: array`;
}

function fail(ctx: NpyContext, message: string, cause?: unknown): never {
  throw new NpzError(ctx.file, ctx.key, `${subject(ctx)} ${message}`, cause === undefined ? undefined : { cause });
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

// ---------------------------------------------------------------------------------------------
// Python literal parsing (the subset np.save emits, plus Python-2 style "3L" integers that old
// numpy versions wrote into shapes).

type PyValue = string | number | boolean | null | PySeq | PyDict;
interface PySeq {
  kind: 'tuple' | 'list';
  items: PyValue[];
}
interface PyDict {
  kind: 'dict';
  entries: Map<string, PyValue>;
}

class LiteralParser {
  private pos = 0;
  constructor(private readonly src: string) {}

  parseAll(): PyValue {
    const v = this.value();
    this.ws();
    if (this.pos !== this.src.length) throw new Error(`unexpected text at offset ${this.pos}`);
    return v;
  }

  private ws(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos]!)) this.pos++;
  }

  private value(): PyValue {
    this.ws();
    const c = this.src[this.pos];
    if (c === undefined) throw new Error('unexpected end of header');
    if (c === '{') return this.dict();
    if (c === '(') return this.seq('(', ')', 'tuple');
    if (c === '[') return this.seq('[', ']', 'list');
    if (c === "'" || c === '"') return this.str();
    if (/[-+0-9]/.test(c)) return this.int();
    const word = /^[A-Za-z_]+/.exec(this.src.slice(this.pos))?.[0];
    if (word === 'True' || word === 'False' || word === 'None') {
      this.pos += word.length;
      return word === 'None' ? null : word === 'True';
    }
    throw new Error(`unexpected '${c}' at offset ${this.pos}`);
  }

  private dict(): PyDict {
    this.pos++;
    const entries = new Map<string, PyValue>();
    for (;;) {
      this.ws();
      if (this.src[this.pos] === '}') {
        this.pos++;
        return { kind: 'dict', entries };
      }
      const k = this.value();
      if (typeof k !== 'string') throw new Error('dict key is not a string');
      this.ws();
      if (this.src[this.pos] !== ':') throw new Error(`expected ':' at offset ${this.pos}`);
      this.pos++;
      entries.set(k, this.value());
      this.ws();
      if (this.src[this.pos] === ',') this.pos++;
      else if (this.src[this.pos] !== '}') throw new Error(`expected ',' or '}' at offset ${this.pos}`);
    }
  }

  private seq(open: string, close: string, kind: 'tuple' | 'list'): PySeq {
    this.pos++;
    const items: PyValue[] = [];
    for (;;) {
      this.ws();
      if (this.src[this.pos] === close) {
        this.pos++;
        return { kind, items };
      }
      items.push(this.value());
      this.ws();
      if (this.src[this.pos] === ',') this.pos++;
      else if (this.src[this.pos] !== close) throw new Error(`expected ',' or '${close}' after '${open}...' at offset ${this.pos}`);
    }
  }

  private str(): string {
    const q = this.src[this.pos]!;
    this.pos++;
    let out = '';
    for (;;) {
      const c = this.src[this.pos++];
      if (c === undefined) throw new Error('unterminated string');
      if (c === q) return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.src[this.pos++];
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', "'": "'", '"': '"' };
      if (e !== undefined && e in simple) out += simple[e];
      else if (e === 'x' || e === 'u') {
        const n = e === 'x' ? 2 : 4;
        const hex = this.src.slice(this.pos, this.pos + n);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) throw new Error('bad escape in string');
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += n;
      } else throw new Error('unsupported escape in string');
    }
  }

  private int(): number {
    const m = /^[-+]?[0-9]+[lL]?/.exec(this.src.slice(this.pos));
    if (!m) throw new Error(`bad number at offset ${this.pos}`);
    this.pos += m[0].length;
    if (/^[0-9.eEjJ]/.test(this.src[this.pos] ?? '')) throw new Error('only integer numbers are expected in an npy header');
    const n = Number(m[0].replace(/[lL]$/, ''));
    if (!Number.isSafeInteger(n)) throw new Error(`integer ${m[0]} is too large`);
    return n;
  }
}

function pyRepr(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return `'${v}'`;
  if (v.kind === 'dict') return `{${[...v.entries].map(([k, x]) => `'${k}': ${pyRepr(x)}`).join(', ')}}`;
  const inner = v.items.map(pyRepr).join(', ');
  return v.kind === 'tuple' ? `(${inner}${v.items.length === 1 ? ',' : ''})` : `[${inner}]`;
}

// ---------------------------------------------------------------------------------------------
// dtype handling

interface ParsedDescr {
  info: DtypeInfo;
  /** Bytes in the file are little-endian (or single bytes, where order is moot). */
  little: boolean;
}

function parseDescr(descr: PyValue, ctx: NpyContext): ParsedDescr {
  const supported = `supported: ${SUPPORTED_DTYPES.join(', ')} (either byte order)`;
  if (typeof descr !== 'string') {
    fail(
      ctx,
      `has a structured (record) dtype ${pyRepr(descr)}, which is not supported (${supported}); ` +
        'save each field as its own plain numeric array',
    );
  }
  const m = /^([<>|=]?)([a-zA-Z])(\d+)$/.exec(descr);
  const info = m ? DTYPES[`${m[2]}${m[3]}`] : undefined;
  if (!m || !info) {
    const hint = descr.includes('O')
      ? 'object arrays are pickled Python objects and cannot be read here'
      : 'convert it in numpy first, e.g. arr.astype(np.float32)';
    fail(ctx, `has dtype '${descr}', which is not supported (${supported}); ${hint}`);
  }
  const order = m[1];
  const little = order === '<' || order === '|' || ((order === '=' || order === '') && HOST_LITTLE);
  return { info, little: info.itemsize === 1 || little };
}

function inferDtype(input: NpyInput, ctx: NpyContext): DtypeInfo {
  const d = input.data;
  const fromData: NpyDtype | undefined =
    d instanceof Float32Array
      ? '<f4'
      : d instanceof Float64Array
        ? '<f8'
        : d instanceof Int32Array
          ? '<i4'
          : d instanceof BigInt64Array
            ? '<i8'
            : d instanceof Uint32Array
              ? '<u4'
              : d instanceof Uint8Array
                ? '|u1'
                : undefined;
  if (fromData === undefined) {
    fail(
      ctx,
      `has data of type ${Object.prototype.toString.call(d)}, which cannot be saved; ` +
        `use one of Float32Array, Float64Array, Int32Array, BigInt64Array, Uint32Array, Uint8Array`,
    );
  }
  const want = input.dtype ?? fromData;
  const ok = want === fromData || (want === '|b1' && fromData === '|u1');
  if (!ok) fail(ctx, `is declared as dtype '${want}' but its data is a ${d.constructor.name}; make them agree`);
  return DTYPES[want.slice(1)]!;
}

// ---------------------------------------------------------------------------------------------
// Decoding

function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

function checkShape(shape: readonly unknown[], ctx: NpyContext, what: string): number[] {
  for (const s of shape) {
    if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0) {
      fail(ctx, `has an invalid ${what} ${formatShape(shape as number[])}: dimensions must be non-negative integers`);
    }
  }
  return shape as number[];
}

function swapBytes(bytes: Uint8Array, itemsize: number): void {
  for (let i = 0; i + itemsize <= bytes.length; i += itemsize) {
    for (let a = i, b = i + itemsize - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

type Indexable = { [i: number]: number | bigint; length: number };

/** Reorders column-major (Fortran) data into row-major order; same dtype, fresh array. */
function fortranToC(src: NpyData, shape: readonly number[], ctor: TypedCtor): NpyData {
  const n = src.length;
  const nd = shape.length;
  // 0-d and 1-d layouts are identical in both orders.
  if (nd < 2 || n === 0) return src;
  const dst = new ctor(n);
  const s = src as unknown as Indexable;
  const d = dst as unknown as Indexable;
  // Fortran strides: axis 0 is contiguous.
  const fstride: number[] = new Array<number>(nd);
  let acc = 1;
  for (let k = 0; k < nd; k++) {
    fstride[k] = acc;
    acc *= shape[k]!;
  }
  const idx = new Array<number>(nd).fill(0);
  const last = nd - 1;
  const lastStride = fstride[last]!;
  const lastDim = shape[last]!;
  let off = 0;
  let i = 0;
  // Walk C order one row (last axis) at a time, carrying into the earlier axes.
  while (i < n) {
    for (let j = 0; j < lastDim; j++) d[i++] = s[off + j * lastStride]!;
    let k = last - 1;
    while (k >= 0) {
      idx[k]!++;
      off += fstride[k]!;
      if (idx[k]! < shape[k]!) break;
      off -= shape[k]! * fstride[k]!;
      idx[k] = 0;
      k--;
    }
  }
  return dst;
}

/**
 * Parses a complete .npy byte buffer. `ctx` names the source in errors (defaults to '<buffer>').
 * Trailing bytes after the data are an error: np.save never writes them, so they mean the header
 * and data disagree (or several arrays were appended to one file, which is not supported).
 */
export function parseNpy(bytes: Uint8Array, ctx: NpyContext = { file: '<buffer>' }): NpyArray {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) {
    if (bytes.length >= 2 && bytes[0] === 0x50 && bytes[1] === 0x4b) {
      fail(ctx, 'is a zip archive (.npz), not a .npy file; read it with readNpz');
    }
    const shown = Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(' ');
    fail(
      ctx,
      bytes.length < 10
        ? `is truncated or not a .npy file: only ${bytes.length} bytes, less than the 10-byte .npy preamble; re-export it with np.save`
        : `is not a .npy file (bad magic: starts with ${shown}, expected 93 4e 55 4d 50 59 = '\\x93NUMPY'); re-export it with np.save`,
    );
  }
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if ((major !== 1 && major !== 2 && major !== 3) || minor !== 0) {
    fail(ctx, `uses .npy format version ${major}.${minor}; only 1.0, 2.0 and 3.0 are supported — re-save with a current numpy`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) fail(ctx, 'is truncated inside the .npy preamble; re-export it');
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const dataStart = 8 + lenBytes + headerLen;
  if (dataStart > bytes.length) {
    fail(ctx, `is truncated: the header claims ${headerLen} bytes but the file ends after ${bytes.length - 8 - lenBytes}; re-export it`);
  }
  const headerBytes = bytes.subarray(8 + lenBytes, dataStart);
  // Versions 1 and 2 are latin1 by definition; 3.0 exists precisely to allow utf8.
  const headerText = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(headerBytes);

  let header: PyValue;
  try {
    header = new LiteralParser(headerText).parseAll();
  } catch (e) {
    const snippet = JSON.stringify(headerText.length > 120 ? `${headerText.slice(0, 120)}...` : headerText);
    fail(ctx, `has a corrupt .npy header (${(e as Error).message}): ${snippet}; re-export it with np.save`, e);
  }
  if (header === null || typeof header !== 'object' || header.kind !== 'dict') {
    fail(ctx, `has a .npy header that is not a dict (got ${pyRepr(header)}); the file is corrupt — re-export it with np.save`);
  }
  const keys = [...header.entries.keys()].sort();
  if (keys.join(',') !== 'descr,fortran_order,shape') {
    fail(
      ctx,
      `has a .npy header with keys [${keys.join(', ')}] instead of exactly [descr, fortran_order, shape]; ` +
        'the file was not written by numpy or is corrupt — re-export it with np.save',
    );
  }
  const shapeV = header.entries.get('shape')!;
  const fortranV = header.entries.get('fortran_order')!;
  if (shapeV === null || typeof shapeV !== 'object' || shapeV.kind === 'dict') {
    fail(ctx, `has a .npy header whose shape is ${pyRepr(shapeV)}, not a tuple of integers; re-export it`);
  }
  if (typeof fortranV !== 'boolean') {
    fail(ctx, `has a .npy header whose fortran_order is ${pyRepr(fortranV)}, not True/False; re-export it`);
  }
  const shape = checkShape(shapeV.items, ctx, 'shape');
  const { info, little } = parseDescr(header.entries.get('descr')!, ctx);

  const count = shapeSize(shape);
  const nbytes = count * info.itemsize;
  const have = bytes.length - dataStart;
  if (!Number.isSafeInteger(nbytes) || nbytes > have) {
    fail(
      ctx,
      `is truncated: shape ${formatShape(shape)} of dtype ${info.dtype} needs ${nbytes} bytes of data but only ` +
        `${have} are present; the file was cut short or its header is wrong — re-export it`,
    );
  }
  if (nbytes < have) {
    fail(
      ctx,
      `has ${have - nbytes} unexpected bytes after its data (shape ${formatShape(shape)} needs ${nbytes}); the header ` +
        'does not match the data, or several arrays were saved back to back into one file (not supported) — re-export it',
    );
  }

  // Copying into a fresh, aligned buffer is required anyway: the data offset inside a zip
  // member is rarely a multiple of the element size.
  const raw = new Uint8Array(nbytes);
  raw.set(bytes.subarray(dataStart, dataStart + nbytes));
  if (little !== HOST_LITTLE && info.itemsize > 1) swapBytes(raw, info.itemsize);
  if (info.dtype === '|b1') {
    for (let i = 0; i < raw.length; i++) raw[i] = raw[i] ? 1 : 0;
  }
  let data = new info.ctor(raw.buffer, 0, count);
  if (fortranV) data = fortranToC(data, shape, info.ctor);
  return { dtype: info.dtype, shape: [...shape], data };
}

// ---------------------------------------------------------------------------------------------
// Encoding

function buildHeader(descr: string, shape: readonly number[]): Uint8Array {
  const shapeRepr = `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeRepr}, }`;
  if (shape.length > 0) dict += ' '.repeat(GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length);
  // Same version choice and padding rule as numpy's _wrap_header (including a full extra 64
  // bytes when already aligned), so headers are byte-identical to np.save's.
  const hlen = dict.length + 1;
  const pad = (prefix: number): number => ARRAY_ALIGN - ((prefix + hlen) % ARRAY_ALIGN);
  const v1 = hlen + pad(10) <= 0xffff;
  const prefix = v1 ? 10 : 12;
  const total = prefix + hlen + pad(prefix);
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  out[6] = v1 ? 1 : 2;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  if (v1) dv.setUint16(8, total - prefix, true);
  else dv.setUint32(8, total - prefix, true);
  for (let i = 0; i < dict.length; i++) out[prefix + i] = dict.charCodeAt(i);
  out.fill(0x20, prefix + dict.length, total - 1);
  out[total - 1] = 0x0a;
  return out;
}

/** Encodes any supported array as a C-order .npy (version 1.0 unless the header needs 2.0). */
export function encodeNpyArray(input: NpyInput, ctx: NpyContext = { file: '<buffer>' }): Uint8Array {
  const info = inferDtype(input, ctx);
  const shape = checkShape([...input.shape], ctx, 'shape');
  const count = shapeSize(shape);
  if (count !== input.data.length) {
    fail(
      ctx,
      `has ${input.data.length} values but shape ${formatShape(shape)} needs ${count}; ` + 'fix the shape or the data before saving',
    );
  }
  const header = buildHeader(info.dtype, shape);
  const nbytes = count * info.itemsize;
  const out = new Uint8Array(header.length + nbytes);
  out.set(header, 0);
  out.set(new Uint8Array(input.data.buffer, input.data.byteOffset, nbytes), header.length);
  const body = out.subarray(header.length);
  if (!HOST_LITTLE && info.itemsize > 1) swapBytes(body, info.itemsize);
  if (info.dtype === '|b1') {
    for (let i = 0; i < body.length; i++) body[i] = body[i] ? 1 : 0;
  }
  return out;
}

/** Encodes a float32 array as '<f4', C order, v1.0 header padded to 64 bytes (as np.save). */
export function encodeNpy(data: Float32Array, shape: readonly number[]): Uint8Array {
  return encodeNpyArray({ data, shape });
}

// ---------------------------------------------------------------------------------------------
// Conversions

/** The values as float32 (the same array, not a copy, when already '<f4'). */
export function toFloat32(arr: Pick<NpyArray, 'data'>): Float32Array {
  const d = arr.data;
  if (d instanceof Float32Array) return d;
  const out = new Float32Array(d.length);
  if (d instanceof BigInt64Array) {
    for (let i = 0; i < d.length; i++) out[i] = Number(d[i]!);
  } else {
    out.set(d);
  }
  return out;
}

/** The values as float64 (the same array when already '<f8'); int64 beyond 2^53 rounds. */
export function toFloat64(arr: Pick<NpyArray, 'data'>): Float64Array {
  const d = arr.data;
  if (d instanceof Float64Array) return d;
  const out = new Float64Array(d.length);
  if (d instanceof BigInt64Array) {
    for (let i = 0; i < d.length; i++) out[i] = Number(d[i]!);
  } else {
    out.set(d);
  }
  return out;
}
