/**
 * .npz (np.savez / np.savez_compressed) and .npy file I/O.
 *
 * Reading uses our own bounds-checked central-directory walk with fflate's inflateSync for
 * DEFLATE members, rather than fflate's unzipSync: unzipSync neither verifies CRC-32 nor checks
 * that members lie inside the file (a cut-short archive can come back as silently short or
 * zero-filled data). Here every offset is checked, every member's CRC is verified, and ZIP64
 * records (which np.savez always emits in local headers, and large archives need in the central
 * directory) are understood. Members that are not .npy arrays are ignored, as np.load does.
 *
 * Writing uses fflate's zipSync: STORED members like np.savez, or DEFLATE with
 * `{ compress: true }` like np.savez_compressed. zipSync cannot write ZIP64, so archives of
 * 4 GiB or more are rejected up front with an NpzError. Member timestamps are fixed at
 * 1980-01-01 so identical weights always produce identical bytes (stable hashes and caches).
 *
 * Files are replaced atomically through util/atomic-write.ts (a temp file in the same folder,
 * fsynced, renamed over the target), so a crash leaves either the old file or the new one, never a
 * torn one. Every input is validated and encoded before the filesystem is touched. Reads are
 * bounded (util/read-bounded.ts) and inflation has a budget (docs/limits.md).
 */
import { resolve } from 'node:path';
import { inflateSync, zipSync, type Zippable } from 'fflate';
import { NpzError, encodeNpyArray, parseNpy, type NpyArray, type NpyInput } from './npy';
import { writeAtomic, WriteError } from '../util/atomic-write';
import { formatBytes, LIMITS } from '../util/limits';
import { readBounded, ReadError } from '../util/read-bounded';

export { NpzError, encodeNpy, encodeNpyArray, parseNpy, toFloat32, toFloat64, formatShape, SUPPORTED_DTYPES } from './npy';
export type { NpyArray, NpyData, NpyDtype, NpyInput } from './npy';

/** Arrays to save, keyed by name (stored as '<name>.npy', so np.load(path)[name] works). */
export type NpzEntries = ReadonlyMap<string, NpyInput> | Readonly<Record<string, NpyInput>> | Iterable<readonly [string, NpyInput]>;

export interface WriteNpzOptions {
  /** DEFLATE members like np.savez_compressed (default: STORED, like np.savez). */
  compress?: boolean;
  /**
   * Non-array members written verbatim under their full name (e.g. `__fre__.json`, provenance).
   * np.load lists them in `.files` and returns their bytes; decodeNpz skips them, as np.load does
   * for arrays; readNpzMember reads one.
   */
  members?: Readonly<Record<string, Uint8Array | string>>;
}

const ZIP32_LIMIT = 0xffffffff;
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);
const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;

function err(file: string, message: string, key?: string, cause?: unknown): never {
  throw new NpzError(file, key, `${file}: ${message}`, cause === undefined ? undefined : { cause });
}

// ---------------------------------------------------------------------------------------------
// CRC-32 (Node 20's zlib has no crc32, and fflate does not export its own).

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Zip reading

interface Member {
  name: string;
  nameBytes: Uint8Array;
  method: number;
  flags: number;
  crc: number;
  csize: number;
  usize: number;
  localOffset: number;
}

function u64(dv: DataView, off: number, file: string, what: string): number {
  const v = dv.getBigUint64(off, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) err(file, `is a corrupt zip archive: ${what} ${v} is out of range; re-export it`);
  return Number(v);
}

function notZip(bytes: Uint8Array, file: string): never {
  if (bytes.length === 0) err(file, 'is empty (0 bytes); the write that produced it never completed — re-export it with np.savez');
  if (NPY_MAGIC.every((b, i) => bytes[i] === b)) {
    err(file, 'is a single .npy array, not an .npz archive; read it with readNpy, or save with np.savez');
  }
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) {
    err(
      file,
      `is a truncated or corrupt .npz: it starts like a zip archive but has no end-of-central-directory ` +
        `record (${bytes.length} bytes); the file was probably cut short while writing or copying — re-export it`,
    );
  }
  const shown = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  err(
    file,
    `is not an .npz (zip) archive (starts with bytes ${shown}, expected 50 4b 03 04 'PK'); ` +
      'save weights with np.savez / np.savez_compressed or writeNpz',
  );
}

function findEocd(bytes: Uint8Array, dv: DataView, file: string): number {
  let fallback = -1;
  const stop = Math.max(0, bytes.length - 22 - 0xffff);
  for (let p = bytes.length - 22; p >= stop; p--) {
    if (dv.getUint32(p, true) !== SIG_EOCD) continue;
    // The comment length must reach exactly to the end; otherwise this may be a stray
    // signature inside member data, so keep looking but remember it.
    if (p + 22 + dv.getUint16(p + 20, true) === bytes.length) return p;
    if (fallback < 0) fallback = p;
  }
  if (fallback >= 0) return fallback;
  notZip(bytes, file);
}

function readCentralDirectory(bytes: Uint8Array, file: string): Member[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 22) notZip(bytes, file);
  const eocd = findEocd(bytes, dv, file);
  let count = dv.getUint16(eocd + 10, true);
  let cdSize = dv.getUint32(eocd + 12, true);
  let cdOffset = dv.getUint32(eocd + 16, true);
  let disk = dv.getUint16(eocd + 4, true);

  const loc = eocd - 20;
  if (loc >= 0 && dv.getUint32(loc, true) === SIG_ZIP64_LOCATOR) {
    const z = u64(dv, loc + 8, file, 'ZIP64 end record offset');
    if (z + 56 > loc || dv.getUint32(z, true) !== SIG_ZIP64_EOCD) {
      err(file, 'is a corrupt ZIP64 archive: the ZIP64 end-of-central-directory record is missing or misplaced; re-export it');
    }
    disk = dv.getUint32(z + 16, true);
    count = u64(dv, z + 32, file, 'entry count');
    cdSize = u64(dv, z + 40, file, 'central directory size');
    cdOffset = u64(dv, z + 48, file, 'central directory offset');
  }
  if (disk !== 0) err(file, 'is a multi-part (split/spanned) zip archive, which is not supported; re-create it as a single file');
  if (cdOffset + cdSize > eocd) {
    err(
      file,
      `is a truncated or corrupt .npz: its central directory (offset ${cdOffset}, ${cdSize} bytes) lies outside ` +
        `the ${bytes.length}-byte file; re-export it`,
    );
  }

  const members: Member[] = [];
  let p = cdOffset;
  const end = cdOffset + cdSize;
  for (let i = 0; i < count; i++) {
    if (p + 46 > end || dv.getUint32(p, true) !== SIG_CENTRAL) {
      err(file, `is a corrupt .npz: central directory entry ${i + 1} of ${count} is damaged; re-export it`);
    }
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    const crc = dv.getUint32(p + 16, true);
    let csize = dv.getUint32(p + 20, true);
    let usize = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    let localOffset = dv.getUint32(p + 42, true);
    const next = p + 46 + nameLen + extraLen + commentLen;
    if (next > end) err(file, `is a corrupt .npz: central directory entry ${i + 1} runs past the directory; re-export it`);
    const nameBytes = bytes.subarray(p + 46, p + 46 + nameLen);
    // Bit 11 marks UTF-8; without it the spec says CP437, but numpy keys are ASCII in practice
    // and Info-ZIP on Unix writes UTF-8 unflagged, so UTF-8 is the useful reading either way.
    const name = new TextDecoder('utf-8').decode(nameBytes);

    // ZIP64 extra field: only the fields saturated in the fixed header are present, in order.
    let e = p + 46 + nameLen;
    const eEnd = e + extraLen;
    while (e + 4 <= eEnd) {
      const id = dv.getUint16(e, true);
      const len = dv.getUint16(e + 2, true);
      if (id === 0x0001) {
        let q = e + 4;
        const take = (): number => {
          if (q + 8 > e + 4 + len || q + 8 > eEnd)
            err(file, `is a corrupt .npz: member '${name}' has a short ZIP64 extra field; re-export it`);
          const v = u64(dv, q, file, `ZIP64 field of '${name}'`);
          q += 8;
          return v;
        };
        if (usize === ZIP32_LIMIT) usize = take();
        if (csize === ZIP32_LIMIT) csize = take();
        if (localOffset === ZIP32_LIMIT) localOffset = take();
      }
      e += 4 + len;
    }
    members.push({ name, nameBytes, method, flags, crc, csize, usize, localOffset });
    p = next;
  }
  return members;
}

const METHOD_NAMES: Record<number, string> = { 12: 'bzip2', 14: 'LZMA', 93: 'Zstandard', 95: 'XZ', 98: 'PPMd' };

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function extract(bytes: Uint8Array, m: Member, file: string, key: string): Uint8Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (m.flags & 1) err(file, `member '${m.name}' is encrypted, which is not supported; save it without a password`, key);
  if (m.method !== 0 && m.method !== 8) {
    const what = METHOD_NAMES[m.method] ?? `method ${m.method}`;
    err(
      file,
      `member '${m.name}' uses ${what} compression, which is not supported (only stored and deflate, as written by ` +
        'np.savez / np.savez_compressed); re-save it with numpy',
      key,
    );
  }
  const lo = m.localOffset;
  if (lo + 30 > bytes.length || dv.getUint32(lo, true) !== SIG_LOCAL) {
    err(file, `is a truncated or corrupt .npz: the local header of member '${m.name}' is missing at offset ${lo}; re-export it`, key);
  }
  const localNameLen = dv.getUint16(lo + 26, true);
  const start = lo + 30 + localNameLen + dv.getUint16(lo + 28, true);
  // Names have no checksum; the duplicate in the local header is the only way to catch a
  // damaged one (Python's zipfile makes the same check).
  if (lo + 30 + localNameLen > bytes.length || !bytesEqual(bytes.subarray(lo + 30, lo + 30 + localNameLen), m.nameBytes)) {
    err(
      file,
      `is corrupt: member '${m.name}' has a different name in its local header than in the central directory; ` + 're-export it',
      key,
    );
  }
  if (start + m.csize > bytes.length) {
    err(
      file,
      `is truncated: member '${m.name}' needs ${m.csize} bytes at offset ${start} but the file is only ` +
        `${bytes.length} bytes; re-export it`,
      key,
    );
  }
  const raw = bytes.subarray(start, start + m.csize);
  let out: Uint8Array;
  if (m.method === 0) {
    if (m.csize !== m.usize) err(file, `is a corrupt .npz: stored member '${m.name}' has mismatched sizes; re-export it`, key);
    out = raw;
  } else {
    // DEFLATE cannot expand more than ~1032:1; a larger claim is a corrupt header, and
    // trusting it would mean allocating an arbitrary amount of memory.
    if (m.usize > m.csize * 1032 + 1024) {
      err(file, `is a corrupt .npz: member '${m.name}' claims ${m.usize} bytes from ${m.csize} compressed; re-export it`, key);
    }
    try {
      out = inflateSync(raw, { out: new Uint8Array(m.usize) });
    } catch (e) {
      err(file, `is corrupt: member '${m.name}' does not decompress (${(e as Error).message}); re-export it`, key, e);
    }
    if (out.length !== m.usize) {
      err(file, `is corrupt: member '${m.name}' decompresses to ${out.length} bytes, not the ${m.usize} recorded; re-export it`, key);
    }
  }
  const crc = crc32(out);
  if (crc !== m.crc) {
    err(
      file,
      `is corrupt: member '${m.name}' fails its CRC-32 check (stored ${m.crc.toString(16)}, computed ` +
        `${crc.toString(16)}); the file was damaged after writing — re-export or re-download it`,
      key,
    );
  }
  return out;
}

/**
 * Decodes an in-memory .npz. Keys are member names without '.npy'; members that are neither
 * named '*.npy' nor start with the npy magic are skipped, matching np.load.
 */
export function decodeNpz(bytes: Uint8Array, file = '<buffer>', maxInflated: number = LIMITS.weightsInflatedBytes): Map<string, NpyArray> {
  const out = new Map<string, NpyArray>();
  let inflated = 0;
  for (const m of readCentralDirectory(bytes, file)) {
    if (m.name.endsWith('/')) continue;
    // The decompression budget, checked against the recorded sizes before any member is inflated:
    // a small deflate bomb would otherwise allocate its claimed size first.
    inflated += m.usize;
    if (inflated > maxInflated) {
      err(
        file,
        `expands to more than ${formatBytes(maxInflated)} (member '${m.name}' brings it to ${inflated} bytes), the limit for a ` +
          'weights file (docs/limits.md); it is not a weights file, or a damaged one — re-export it',
        m.name,
      );
    }
    const isNpyName = m.name.endsWith('.npy');
    const key = isNpyName ? m.name.slice(0, -4) : m.name;
    const data = extract(bytes, m, file, key);
    if (!isNpyName && !NPY_MAGIC.every((b, i) => data[i] === b)) continue;
    if (out.has(key)) {
      err(file, `holds two members that both map to array '${key}'; the archive is ambiguous — re-export it`, key);
    }
    out.set(key, parseNpy(data, { file, key }));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Zip writing

function entryList(entries: NpzEntries, file: string): Array<[string, NpyInput]> {
  const list: Array<[string, NpyInput]> =
    entries instanceof Map
      ? [...(entries as ReadonlyMap<string, NpyInput>)]
      : Symbol.iterator in entries
        ? [...(entries as Iterable<readonly [string, NpyInput]>)].map(([k, v]) => [k, v])
        : Object.entries(entries as Record<string, NpyInput>);
  const seen = new Set<string>();
  for (const [key] of list) {
    if (typeof key !== 'string' || key.length === 0) {
      err(file, `cannot be written: array key ${JSON.stringify(key)} is not a non-empty string; name every array`);
    }
    if (key.endsWith('/')) err(file, `cannot be written: array key '${key}' ends with '/', which zip reserves for folders; rename it`, key);
    if (seen.has(key)) err(file, `cannot be written: array key '${key}' appears twice; array names must be unique`, key);
    seen.add(key);
  }
  return list;
}

/** Encodes arrays into .npz bytes (validates everything first; `file` only labels errors). */
export function encodeNpz(entries: NpzEntries, options: WriteNpzOptions = {}, file = '<buffer>'): Uint8Array {
  const list = entryList(entries, file);
  const zippable: Zippable = Object.create(null) as Zippable;
  let total = 22;
  for (const [key, input] of list) {
    if (input === null || typeof input !== 'object' || !ArrayBuffer.isView(input.data) || !Array.isArray(input.shape)) {
      err(file, `cannot be written: array '${key}' must be { data: <typed array>, shape: number[] }`, key);
    }
    const npy = encodeNpyArray(input, { file, key });
    const nameLen = Buffer.byteLength(`${key}.npy`);
    total += 2 * nameLen + 76 + npy.length;
    if (npy.length >= ZIP32_LIMIT || total >= ZIP32_LIMIT) {
      err(
        file,
        `cannot be written: array '${key}' takes the archive past 4 GiB, which needs ZIP64, and the zip writer ` +
          '(fflate zipSync) cannot produce ZIP64; split the weights across several files',
        key,
      );
    }
    zippable[`${key}.npy`] = [npy, { level: options.compress ? 6 : 0, mtime: FIXED_MTIME }];
  }
  for (const [name, content] of Object.entries(options.members ?? {})) {
    if (name.endsWith('.npy') || name.endsWith('/') || name.length === 0 || name in zippable) {
      err(file, `cannot be written: extra member '${name}' is empty, ends with '.npy' or '/', or clashes with an array; rename it`, name);
    }
    const data = typeof content === 'string' ? new TextEncoder().encode(content) : content;
    total += 2 * Buffer.byteLength(name) + 76 + data.length;
    zippable[name] = [data, { level: options.compress ? 6 : 0, mtime: FIXED_MTIME }];
  }
  if (total >= ZIP32_LIMIT)
    err(file, 'cannot be written: the archive would pass 4 GiB, which needs ZIP64 (fflate zipSync cannot write it); split it');
  return zipSync(zippable);
}

// ---------------------------------------------------------------------------------------------
// Files

function readWhole(path: string, what: string): Uint8Array {
  try {
    return readBounded(path, LIMITS.weightsFileBytes);
  } catch (e) {
    if (!(e instanceof ReadError)) throw e;
    if (e.reason === 'missing')
      err(path, `does not exist (looked for ${resolve(path)}); check the path, or export the file first`, undefined, e);
    if (e.reason === 'directory') err(path, `is a directory, not ${what}; pass the path of the file itself`, undefined, e);
    if (e.reason === 'too-large')
      err(path, `${e.detail}; a weights file may have at most ${formatBytes(LIMITS.weightsFileBytes)} (docs/limits.md)`, undefined, e);
    err(path, `${e.detail}; check the path and permissions`, undefined, e);
  }
}

/** Reads an .npz from disk: array name (without '.npy') -> array, in archive order. */
export function readNpz(path: string): Map<string, NpyArray> {
  return decodeNpz(readWhole(path, 'an .npz archive'), path);
}

/** The bytes of one member of an in-memory .npz by its full name (e.g. '__fre__.json'), or undefined if absent. */
export function decodeNpzMember(bytes: Uint8Array, name: string, file = '<buffer>'): Uint8Array | undefined {
  const m = readCentralDirectory(bytes, file).find((x) => x.name === name);
  return m ? extract(bytes, m, file, name) : undefined;
}

/** The bytes of one member of an .npz file by its full name, or undefined if absent. */
export function readNpzMember(path: string, name: string): Uint8Array | undefined {
  return decodeNpzMember(readWhole(path, 'an .npz archive'), name, path);
}

/** Reads a single .npy file from disk. */
export function readNpy(path: string): NpyArray {
  return parseNpy(readWhole(path, 'a .npy file'), { file: path });
}

/** Through the project's one atomic writer (util/atomic-write.ts: temp file, fsync, rename, umask mode). */
function atomicWrite(path: string, bytes: Uint8Array): void {
  try {
    writeAtomic(path, bytes);
  } catch (e) {
    if (e instanceof WriteError) err(path, `${e.detail}; ${e.hint}`, undefined, e);
    throw e;
  }
}

/** Writes arrays to an .npz atomically (np.savez layout; `{ compress: true }` for savez_compressed). */
export function writeNpz(path: string, entries: NpzEntries, options: WriteNpzOptions = {}): void {
  atomicWrite(path, encodeNpz(entries, options, path));
}

/** Writes one array to a .npy file atomically: writeNpy(path, {data, shape}) or writeNpy(path, f32, shape). */
export function writeNpy(path: string, array: NpyInput): void;
export function writeNpy(path: string, data: Float32Array, shape: readonly number[]): void;
export function writeNpy(path: string, a: NpyInput | Float32Array, shape?: readonly number[]): void {
  let input: NpyInput;
  if (a instanceof Float32Array) {
    if (shape === undefined) err(path, 'cannot be written: writeNpy(path, data, shape) needs the shape; pass e.g. [data.length]');
    input = { data: a, shape };
  } else {
    input = a;
  }
  atomicWrite(path, encodeNpyArray(input, { file: path }));
}
