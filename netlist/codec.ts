/**
 * Netlist bytes ↔ NetlistMsg, and files on disk (with ONNX-style external data for the conductance
 * tensors). Decoding is lenient about unknown fields (protobuf skips them) and strict about what it
 * cannot interpret: bytes that do not parse, a missing or unknown ir_version.
 */
import { createHash } from 'node:crypto';
import { LIMITS } from '../util/limits';
import { readBounded, ReadError } from '../util/read-bounded';
import { writeAtomic, WriteError } from '../util/atomic-write';
import path from 'node:path';
import { NetlistError, netDiag as diag } from './diagnostics';
import { netlistType } from './schema';
import { IR_VERSION, type NetlistMsg, type TensorMsg } from './types';

/** Canonical proto3 bytes: fields in tag order, default scalars not written (protobufjs does both). */
export function encodeNetlist(n: NetlistMsg): Uint8Array {
  const T = netlistType();
  // A plain Uint8Array copy: protobufjs returns a Node Buffer, whose slice() is a view, so a caller
  // copying it with slice() and editing the copy edits the original (found by the hostile suite).
  return new Uint8Array(T.encode(T.fromObject(n)).finish());
}

export function decodeNetlist(bytes: Uint8Array, file = '<netlist>'): NetlistMsg {
  // Zero bytes decode as a message of defaults, which would then be "missing its ir_version".
  if (bytes.length === 0) {
    throw new NetlistError([
      diag(
        'NET002',
        file,
        '',
        'the file is empty (0 bytes), not a netlist',
        'write it again with `fre compile SPEC.json --chip PRESET -o NET.pb` (an interrupted copy or a failed redirect leaves an empty file)',
      ),
    ]);
  }
  const T = netlistType();
  let msg;
  try {
    msg = T.decode(bytes);
  } catch (err) {
    throw new NetlistError([
      diag(
        'NET002',
        file,
        '',
        `not a valid netlist protobuf: ${(err as Error).message} (${bytes.length} bytes read)`,
        'the file is truncated or not a netlist; re-run `fre compile` to write it again',
      ),
    ]);
  }
  const n = T.toObject(msg, { longs: Number, enums: String, defaults: true, arrays: true }) as NetlistMsg;
  if (!n.irVersion) {
    throw new NetlistError([
      diag(
        'NET003',
        file,
        'ir_version',
        'ir_version is missing (0): every netlist states the schema version it follows',
        'this is not a netlist written by fre compile, or its header was lost; re-compile it',
      ),
    ]);
  }
  if (n.irVersion !== IR_VERSION) {
    throw new NetlistError([
      diag(
        'NET004',
        file,
        'ir_version',
        `ir_version ${n.irVersion} is ${n.irVersion > IR_VERSION ? 'newer than' : 'not'} what this reader understands (${IR_VERSION})`,
        n.irVersion > IR_VERSION
          ? 'upgrade fre to a version that reads it, or re-compile with this one'
          : `re-compile the net with this fre (writes ir_version ${IR_VERSION})`,
      ),
    ]);
  }
  return n;
}

export function sha256Hex(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

function eachTensor(n: NetlistMsg, f: (t: TensorMsg, where: string) => void): void {
  n.arrays.forEach((a, i) => {
    if (a.gPlus) f(a.gPlus, `arrays.${i}.g_plus`);
    if (a.gMinus) f(a.gMinus, `arrays.${i}.g_minus`);
  });
}

/** Moves every tensor's bytes into one side blob (ONNX external data). Returns the side file's bytes. */
export function externalise(n: NetlistMsg, location: string): Uint8Array {
  const parts: Uint8Array[] = [];
  let offset = 0;
  eachTensor(n, (t) => {
    const b = t.rawData;
    t.externalData = { location, offset, length: b.length, sha256: sha256Hex(b) };
    t.rawData = new Uint8Array(0);
    parts.push(b);
    offset += b.length;
  });
  return Buffer.concat(parts);
}

/** Loads external tensor bytes next to the netlist file, checking length and checksum. */
export function resolveExternalData(n: NetlistMsg, netlistFile: string): void {
  const cache = new Map<string, Uint8Array>();
  eachTensor(n, (t, where) => {
    const ext = t.externalData;
    if (!ext || !ext.location) return;
    const file = path.resolve(path.dirname(netlistFile), ext.location);
    let blob = cache.get(file);
    if (!blob) {
      try {
        blob = readBounded(file, LIMITS.netlistFileBytes);
      } catch (err) {
        if (!(err instanceof ReadError)) throw err;
        throw new NetlistError([
          diag(
            'NET023',
            netlistFile,
            `${where}.external_data`,
            `external data file ${ext.location} cannot be read: it ${err.detail}`,
            `keep ${ext.location} next to the netlist (it is written by fre compile --external-data)`,
          ),
        ]);
      }
      cache.set(file, blob);
    }
    if (ext.offset + ext.length > blob.length) {
      throw new NetlistError([
        diag(
          'NET023',
          netlistFile,
          `${where}.external_data`,
          `external data ${ext.location} has ${blob.length} bytes; the tensor needs bytes ${ext.offset}…${ext.offset + ext.length}`,
          'the side file is truncated or from another compile; re-compile',
        ),
      ]);
    }
    const bytes = blob.subarray(ext.offset, ext.offset + ext.length);
    if (sha256Hex(bytes) !== ext.sha256) {
      throw new NetlistError([
        diag(
          'NET023',
          netlistFile,
          `${where}.external_data`,
          `external data ${ext.location} at ${ext.offset}+${ext.length} does not match its sha256`,
          'the side file was modified or belongs to another compile; re-compile',
        ),
      ]);
    }
    t.rawData = bytes;
  });
}

/** Reads and decodes a netlist file (external data resolved). */
export function readNetlistFile(file: string): { netlist: NetlistMsg; bytes: Uint8Array } {
  let bytes: Uint8Array;
  try {
    bytes = readBounded(file, LIMITS.netlistFileBytes);
  } catch (err) {
    if (!(err instanceof ReadError)) throw err;
    throw new NetlistError([
      diag(
        'NET001',
        file,
        '',
        `cannot read the netlist: it ${err.detail}`,
        'check the path; `fre compile SPEC.json --chip PRESET -o NET.pb` writes one',
      ),
    ]);
  }
  const netlist = decodeNetlist(bytes, file);
  resolveExternalData(netlist, file);
  return { netlist, bytes };
}

/** Writes a netlist; with `external`, tensors go to `<file>.data` (referenced by offset, length, sha256). */
export function writeNetlistFile(file: string, n: NetlistMsg, opts: { external?: boolean } = {}): { bytes: number; externalBytes: number } {
  let n2 = n;
  let ext: Uint8Array | undefined;
  if (opts.external) {
    n2 = structuredClone(n);
    ext = externalise(n2, `${path.basename(file)}.data`);
    writeOrFail(`${file}.data`, ext);
  }
  const bytes = encodeNetlist(n2);
  writeOrFail(file, bytes);
  return { bytes: bytes.length, externalBytes: ext?.length ?? 0 };
}

function writeOrFail(file: string, b: Uint8Array): void {
  try {
    writeAtomic(file, b);
  } catch (err) {
    if (!(err instanceof WriteError)) throw err;
    throw new NetlistError([diag('NET001', file, '', err.detail, err.hint)]);
  }
}
