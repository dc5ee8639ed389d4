import { pythonWithNumpy, testNeedingNumpy } from './needs';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import {
  NpzError,
  decodeNpz,
  encodeNpy,
  encodeNpyArray,
  encodeNpz,
  parseNpy,
  readNpy,
  readNpz,
  toFloat32,
  toFloat64,
  writeNpy,
  writeNpz,
  type NpyArray,
  type NpyInput,
} from '../io/npz';
import { describeArrays, expectArray } from '../io/weights';

const FIX = join(__dirname, 'fixtures', 'npz');
const numpyTest = testNeedingNumpy();

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'npz-test-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bytesOf(a: { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function sha256(a: { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }): string {
  return createHash('sha256').update(bytesOf(a)).digest('hex');
}

/** Runs fn, requires an NpzError naming `file`, and returns it for further checks. */
function npzError(fn: () => unknown, file: string, ...fragments: RegExp[]): NpzError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(NpzError);
  const e = caught as NpzError;
  expect(e.file).toBe(file);
  expect(e.message).toContain(file);
  for (const f of fragments) expect(e.message).toMatch(f);
  return e;
}

function f32(values: number[]): Float32Array {
  return Float32Array.from(values);
}

function expectArr(a: NpyArray | undefined, dtype: string, shape: number[], values: ArrayLike<number | bigint>): void {
  expect(a).toBeDefined();
  expect(a!.dtype).toBe(dtype);
  expect(a!.shape).toEqual(shape);
  expect(Array.from(a!.data as ArrayLike<number | bigint>)).toEqual(Array.from(values));
}

// ---------------------------------------------------------------------------------------------

describe('npy encoding', () => {
  test('header matches np.save byte for byte: magic, v1.0, padded to 64, ends with newline', () => {
    const bytes = encodeNpy(f32([1, 2, 3, 4, 5, 6]), [2, 3]);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const hlen = bytes[8]! | (bytes[9]! << 8);
    expect((10 + hlen) % 64).toBe(0);
    const header = Buffer.from(bytes.subarray(10, 10 + hlen)).toString('latin1');
    expect(header.endsWith('\n')).toBe(true);
    expect(header.trimEnd()).toBe("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
    expect(bytes.length).toBe(10 + hlen + 24);
    // Same header np.save writes for a (2, 3) float32 (numpy adds spare room for axis growth).
    expect(10 + hlen).toBe(128);
  });

  test('identical to the numpy-written v1.npy fixture', () => {
    const fixture = readFileSync(join(FIX, 'v1.npy'));
    const ours = encodeNpy(f32([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]), [2, 3]);
    expect(Buffer.from(ours).equals(fixture)).toBe(true);
  });

  test.each([[[2, 3]], [[5]], [[]], [[0]], [[0, 3]], [[3, 0, 2]], [[2, 1, 1, 4]], [[1]]])('round trip shape %j', (shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = Float32Array.from({ length: n }, (_, i) => (i - 3.25) / 7);
    const bytes = encodeNpy(data, shape);
    expect(bytes.length % 64).toBe((n * 4) % 64);
    const back = parseNpy(bytes);
    expect(back.dtype).toBe('<f4');
    expect(back.shape).toEqual(shape);
    expect(bytesOf(back.data).equals(bytesOf(data))).toBe(true);
  });

  test('every supported dtype round trips exactly', () => {
    const cases: NpyInput[] = [
      { data: Float64Array.from([1 / 3, -0, 1e300, Number.MIN_VALUE]), shape: [2, 2] },
      { data: Int32Array.from([-2147483648, 0, 2147483647]), shape: [3] },
      { data: BigInt64Array.from([-(2n ** 63n), 2n ** 62n + 1n, 0n]), shape: [3, 1] },
      { data: Uint8Array.from([0, 7, 255]), shape: [3] },
      { data: Uint32Array.from([0, 4000000000]), shape: [1, 2] },
      { data: Uint8Array.from([1, 0, 1, 1]), shape: [2, 2], dtype: '|b1' },
    ];
    for (const c of cases) {
      const back = parseNpy(encodeNpyArray(c));
      expect(back.data.constructor).toBe(c.data.constructor);
      expect(back.shape).toEqual(c.shape);
      expect(bytesOf(back.data).equals(bytesOf(c.data))).toBe(true);
    }
    expect(parseNpy(encodeNpyArray(cases[5]!)).dtype).toBe('|b1');
  });

  test('toFloat32 / toFloat64 convert and share when already the right type', () => {
    const f = f32([1, 2]);
    expect(toFloat32({ data: f })).toBe(f);
    expect(Array.from(toFloat32({ data: Float64Array.from([0.5, 1 / 3]) }))).toEqual([0.5, Math.fround(1 / 3)]);
    expect(Array.from(toFloat32({ data: BigInt64Array.from([-3n, 5n]) }))).toEqual([-3, 5]);
    expect(Array.from(toFloat64({ data: Int32Array.from([-7]) }))).toEqual([-7]);
  });

  test('decoded arrays own their memory (not a view into the file buffer)', () => {
    const bytes = encodeNpy(f32([1, 2, 3]), [3]);
    const arr = parseNpy(bytes);
    bytes.fill(0);
    expect(Array.from(arr.data as Float32Array)).toEqual([1, 2, 3]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('npz round trips', () => {
  const entries = new Map<string, NpyInput>([
    ['W1', { data: Float32Array.from({ length: 12 }, (_, i) => Math.sin(i) * 1e-3), shape: [3, 4] }],
    ['b1', { data: f32([0.5, -0.25, 3]), shape: [3] }],
    ['empty', { data: new Float32Array(0), shape: [0, 5] }],
    ['scalar', { data: f32([42]), shape: [] }],
    ['edge/h1->h2', { data: f32([1, 2]), shape: [1, 2] }],
    ['labels', { data: BigInt64Array.from([3n, 1n]), shape: [2] }],
  ]);

  function checkSame(back: Map<string, NpyArray>): void {
    expect([...back.keys()]).toEqual([...entries.keys()]);
    for (const [k, v] of entries) {
      const got = back.get(k)!;
      expect(got.shape).toEqual(v.shape);
      expect(got.data.constructor).toBe(v.data.constructor);
      expect(bytesOf(got.data).equals(bytesOf(v.data))).toBe(true);
    }
  }

  test.each([false, true])('writeNpz -> readNpz (compress=%s) gives identical bytes', (compress) => {
    const path = join(dir, `rt-${compress}.npz`);
    writeNpz(path, entries, { compress });
    checkSame(readNpz(path));
  });

  test('output is deterministic and plain-object / iterable inputs work', () => {
    const a = encodeNpz(entries);
    const b = encodeNpz(Object.fromEntries(entries));
    const c = encodeNpz([...entries]);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(true);
    checkSame(decodeNpz(a));
  });

  test('a large compressed array round trips', () => {
    const data = Float32Array.from({ length: 300_000 }, (_, i) => ((i * 7919) % 1000) / 1000);
    const path = join(dir, 'big.npz');
    writeNpz(path, new Map([['W', { data, shape: [600, 500] }]]), { compress: true });
    expect(statSync(path).size).toBeLessThan(data.byteLength / 2);
    const back = readNpz(path).get('W')!;
    expect(back.shape).toEqual([600, 500]);
    expect(sha256(back.data)).toBe(sha256(data));
  });

  test('writeNpy / readNpy', () => {
    const path = join(dir, 'one.npy');
    writeNpy(path, f32([1, 2, 3, 4]), [2, 2]);
    expectArr(readNpy(path), '<f4', [2, 2], [1, 2, 3, 4]);
    writeNpy(path, { data: Float64Array.from([0.1]), shape: [1] });
    expectArr(readNpy(path), '<f8', [1], [0.1]);
  });

  test('overwriting keeps the file mode and leaves no temp files', () => {
    const sub = mkdtempSync(join(dir, 'mode-'));
    const path = join(sub, 'w.npz');
    writeNpz(path, { a: { data: f32([1]), shape: [1] } });
    chmodSync(path, 0o640);
    writeNpz(path, { a: { data: f32([2]), shape: [1] } });
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect(readdirSync(sub)).toEqual(['w.npz']);
    expectArr(readNpz(path).get('a'), '<f4', [1], [2]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('numpy-written fixtures (always run)', () => {
  test('np.savez: 2x3 float32 and 4 float64', () => {
    const m = readNpz(join(FIX, 'savez.npz'));
    expect([...m.keys()]).toEqual(['a', 'b']);
    expectArr(m.get('a'), '<f4', [2, 3], [-1.25, -0.75, -0.25, 0.25, 0.75, 1.25]);
    expectArr(m.get('b'), '<f8', [4], [1 / 3, -2.5e-300, 1e300, -0]);
    expect(Object.is(m.get('b')!.data[3], -0)).toBe(true);
  });

  test('np.savez_compressed (DEFLATE)', () => {
    const m = readNpz(join(FIX, 'savez_compressed.npz'));
    expectArr(
      m.get('w'),
      '<f4',
      [3, 4],
      Array.from({ length: 12 }, (_, i) => i / 8 - 0.75),
    );
    expectArr(m.get('v'), '<f8', [5], [0, 1, 2, 3, 4]);
  });

  test('fortran_order arrays come back in C order', () => {
    const m = readNpz(join(FIX, 'fortran.npz'));
    expectArr(
      m.get('f'),
      '<f4',
      [2, 3, 4],
      Array.from({ length: 24 }, (_, i) => i),
    );
    expectArr(m.get('g'), '<f8', [2, 3], [0, 1, 2, 3, 4, 5]);
  });

  test('all supported dtypes, big-endian, 0-d and zero-length', () => {
    const m = readNpz(join(FIX, 'dtypes.npz'));
    expectArr(m.get('i4'), '<i4', [4], [-2147483648, -1, 0, 2147483647]);
    expectArr(m.get('i8'), '<i8', [3], [-(2n ** 63n), 2n ** 62n + 1n, 7n]);
    expectArr(m.get('u1'), '|u1', [3], [0, 1, 255]);
    expectArr(m.get('u4'), '<u4', [2], [0, 4000000000]);
    expectArr(m.get('b1'), '|b1', [3], [1, 0, 1]);
    expectArr(m.get('be'), '<f4', [2, 2], [1.5, -2, 3.25, Math.fround(1e-3)]);
    expectArr(m.get('bed'), '<f8', [2, 3], [1, 2, 3, 4, 5, 6]);
    expectArr(m.get('scalar'), '<f4', [], [2.5]);
    expectArr(m.get('empty'), '<f4', [0, 3], []);
  });

  test.each(['v1.npy', 'v2.npy', 'v3.npy'])('.npy header version %s', (name) => {
    const bytes = readFileSync(join(FIX, name));
    expect(bytes[6]).toBe(Number(name[1]));
    expectArr(readNpy(join(FIX, name)), '<f4', [2, 3], [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]);
  });

  test('ZIP64 archive (Info-ZIP -fz: ZIP64 end records and extra fields)', () => {
    const bytes = readFileSync(join(FIX, 'zip64.npz'));
    expect(bytes.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06]))).toBe(true);
    const m = readNpz(join(FIX, 'zip64.npz'));
    expectArr(m.get('a'), '<f4', [2, 3], [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]);
    expectArr(m.get('b'), '<f8', [4], [0, 1, 2, 3]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('live numpy interop', () => {
  const PY_WRITE = String.raw`
import sys, json, hashlib
import numpy as np
d = sys.argv[1]
rng = np.random.default_rng(0)
arrs = {
    'a': rng.standard_normal((3, 5)).astype(np.float32),
    'b': rng.standard_normal(7),
    'f': np.asfortranarray(rng.standard_normal((4, 3, 2)).astype(np.float32)),
    'fd': np.asfortranarray(rng.standard_normal((5, 2))),
    'be': (rng.standard_normal((2, 4)) * 100).astype('>f4'),
    'big': rng.standard_normal((300, 400)).astype(np.float32),
}
np.savez(d + '/py_savez.npz', **arrs)
np.savez_compressed(d + '/py_comp.npz', **arrs)
np.save(d + '/py_a.npy', arrs['a'])
out = {}
for k, v in arrs.items():
    c = np.ascontiguousarray(v)
    out[k] = {'shape': list(v.shape), 'dtype': c.dtype.newbyteorder('<').str,
              'sha': hashlib.sha256(c.astype(c.dtype.newbyteorder('<')).tobytes()).hexdigest(),
              'head': c.ravel()[:6].astype(np.float64).tolist()}
json.dump(out, sys.stdout)
`;

  const PY_READ = String.raw`
import sys, json, hashlib, io
import numpy as np
d = sys.argv[1]
out = {}
for name in ['ours.npz', 'ours_c.npz']:
    with np.load(d + '/' + name) as z:
        out[name] = {k: {'dtype': z[k].dtype.str, 'shape': list(z[k].shape),
                         'sha': hashlib.sha256(np.ascontiguousarray(z[k]).tobytes()).hexdigest(),
                         'values': z[k].ravel()[:8].astype(np.float64).tolist()} for k in z.files}
a = np.load(d + '/ours.npy')
buf = io.BytesIO()
np.save(buf, a)
out['npy'] = {'same_bytes_as_np_save': buf.getvalue() == open(d + '/ours.npy', 'rb').read(),
              'shape': list(a.shape), 'values': a.ravel().astype(np.float64).tolist()}
json.dump(out, sys.stdout)
`;

  function python(script: string): unknown {
    const r = spawnSync(pythonWithNumpy(), ['-c', script, dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  numpyTest('we read savez / savez_compressed / np.save output (float32, float64, fortran, big-endian)', () => {
    const want = python(PY_WRITE) as Record<string, { shape: number[]; dtype: string; sha: string; head: number[] }>;
    for (const file of ['py_savez.npz', 'py_comp.npz']) {
      const m = readNpz(join(dir, file));
      expect([...m.keys()].sort()).toEqual(Object.keys(want).sort());
      for (const [k, w] of Object.entries(want)) {
        const got = m.get(k)!;
        expect(got.shape).toEqual(w.shape);
        expect(got.dtype).toBe(w.dtype);
        expect(sha256(got.data)).toBe(w.sha);
        expect(Array.from(got.data as Float32Array | Float64Array).slice(0, 6)).toEqual(w.head);
      }
    }
    const a = readNpy(join(dir, 'py_a.npy'));
    expect(sha256(a.data)).toBe(want['a']!.sha);
  });

  numpyTest('numpy reads what we write (and our .npy is byte-identical to np.save)', () => {
    const w1 = Float32Array.from({ length: 12 }, (_, i) => (i - 5.5) / 3);
    const big = Float32Array.from({ length: 1 << 18 }, (_, i) => Math.fround(Math.cos(i)));
    const entries = new Map<string, NpyInput>([
      ['W1', { data: w1, shape: [3, 4] }],
      ['vec', { data: f32([1.5, -2]), shape: [2] }],
      ['scalar', { data: f32([7]), shape: [] }],
      ['empty', { data: new Float32Array(0), shape: [0, 5] }],
      ['d', { data: Float64Array.from([1 / 3]), shape: [1] }],
      ['i', { data: Int32Array.from([-5, 9]), shape: [2] }],
      ['big', { data: big, shape: [512, 512] }],
    ]);
    writeNpz(join(dir, 'ours.npz'), entries);
    writeNpz(join(dir, 'ours_c.npz'), entries, { compress: true });
    writeNpy(join(dir, 'ours.npy'), w1, [3, 4]);
    const got = python(PY_READ) as Record<string, Record<string, { dtype: string; shape: number[]; sha: string; values: number[] }>> & {
      npy: { same_bytes_as_np_save: boolean; shape: number[]; values: number[] };
    };
    for (const name of ['ours.npz', 'ours_c.npz']) {
      const z = got[name]!;
      expect(Object.keys(z).sort()).toEqual([...entries.keys()].sort());
      for (const [k, v] of entries) {
        expect(z[k]!.shape).toEqual(v.shape);
        expect(z[k]!.sha).toBe(sha256(v.data));
        expect(z[k]!.values).toEqual(Array.from(v.data as Float32Array).slice(0, 8));
      }
      expect(z['W1']!.dtype).toBe('<f4');
      expect(z['d']!.dtype).toBe('<f8');
      expect(z['i']!.dtype).toBe('<i4');
    }
    expect(got.npy.same_bytes_as_np_save).toBe(true);
    expect(got.npy.shape).toEqual([3, 4]);
    expect(got.npy.values).toEqual(Array.from(w1));
  });
});

// ---------------------------------------------------------------------------------------------

describe('corrupt and wrong files give NpzError naming the file', () => {
  const good = encodeNpz(
    new Map([
      ['W1', { data: f32([1, 2, 3, 4, 5, 6]), shape: [2, 3] }],
      ['b', { data: Float64Array.from([0.5]), shape: [1] }],
    ]),
  );

  function put(name: string, bytes: Uint8Array | string): string {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  }

  test('truncated npz', () => {
    const p = put('trunc.npz', good.subarray(0, Math.floor(good.length / 2)));
    npzError(() => readNpz(p), p, /truncated/, /re-export/);
  });

  test('every possible truncation is an NpzError, never garbage', () => {
    for (let n = 0; n < good.length; n++) {
      expect(() => decodeNpz(good.subarray(0, n), 'cut.npz')).toThrow(NpzError);
    }
  });

  test('every single-byte corruption is an NpzError or reads back the exact original values', () => {
    const want = decodeNpz(good);
    for (let i = 0; i < good.length; i++) {
      const bad = Uint8Array.from(good);
      bad[i]! ^= 0xff;
      let got: Map<string, NpyArray>;
      try {
        got = decodeNpz(bad, 'flip.npz');
      } catch (e) {
        if (!(e instanceof NpzError)) throw new Error(`byte ${i}: ${String(e)}`, { cause: e });
        expect(e.message).toContain('flip.npz');
        continue;
      }
      // Only bytes no reader depends on (timestamps, attributes, ...) may change silently.
      expect([...got.keys()]).toEqual([...want.keys()]);
      for (const [k, v] of want) {
        expect(got.get(k)!.shape).toEqual(v.shape);
        expect(bytesOf(got.get(k)!.data).equals(bytesOf(v.data))).toBe(true);
      }
    }
  });

  test('data corrupted inside a stored member fails the CRC check', () => {
    const bad = Uint8Array.from(good);
    const at = Buffer.from(bad).indexOf(Buffer.from(f32([1, 2, 3]).buffer));
    bad[at + 1]! ^= 1;
    const p = put('crc.npz', bad);
    const e = npzError(() => readNpz(p), p, /CRC-32/, /W1\.npy/);
    expect(e.key).toBe('W1');
  });

  test('truncated npy data inside an npz', () => {
    const npy = encodeNpy(f32([1, 2, 3, 4, 5, 6]), [2, 3]);
    const p = put('short-member.npz', zipSync({ 'W1.npy': npy.subarray(0, npy.length - 5) }));
    const e = npzError(() => readNpz(p), p, /array 'W1'/, /truncated/, /\[2, 3\]/, /24 bytes/, /19/);
    expect(e.key).toBe('W1');
  });

  test('truncated .npy file', () => {
    const npy = encodeNpy(f32([1, 2, 3, 4, 5, 6]), [2, 3]);
    for (const n of [0, 5, 9, 50, npy.length - 1]) {
      const p = put('short.npy', npy.subarray(0, n));
      npzError(() => readNpy(p), p, /truncated/);
    }
  });

  test('extra bytes after .npy data', () => {
    const npy = encodeNpy(f32([1]), [1]);
    const p = put('long.npy', Buffer.concat([npy, Buffer.alloc(4)]));
    npzError(() => readNpy(p), p, /4 unexpected bytes/);
  });

  test('bad magic: .npy and inside an npz', () => {
    const npy = Uint8Array.from(encodeNpy(f32([1]), [1]));
    npy[1] = 0x58;
    const p = put('magic.npy', npy);
    npzError(() => readNpy(p), p, /bad magic/, /np\.save/);
    const z = put('magic.npz', zipSync({ 'x.npy': npy }));
    const e = npzError(() => readNpz(z), z, /array 'x'/, /bad magic/);
    expect(e.key).toBe('x');
  });

  test('not a zip / empty / an .npy handed to readNpz / a zip handed to readNpy', () => {
    const txt = put('notes.npz', 'these are not weights\n'.repeat(10));
    npzError(() => readNpz(txt), txt, /not an \.npz \(zip\) archive/, /np\.savez/);
    const tiny = put('tiny.npz', 'PK');
    npzError(() => readNpz(tiny), tiny, /not an \.npz|truncated/);
    const empty = put('empty.npz', '');
    npzError(() => readNpz(empty), empty, /empty/);
    const npy = put('single.npz', encodeNpy(f32([1]), [1]));
    npzError(() => readNpz(npy), npy, /readNpy/);
    const zip = put('zip.npy', good);
    npzError(() => readNpy(zip), zip, /readNpz/);
  });

  test('missing file and directory paths', () => {
    const p = join(dir, 'nope.npz');
    npzError(() => readNpz(p), p, /does not exist/);
    npzError(() => readNpz(dir), dir, /is a directory/);
  });

  function npyWithHeader(header: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
    const h = Buffer.from(header, 'latin1');
    const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 0xff, h.length >> 8]);
    return Buffer.concat([pre, h, data]);
  }

  test.each([
    ['[1, 2, 3]\n', /not a dict/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}\n", /keys \[descr, fortran_order, shape, x\]/],
    ["{'descr': '<f4', 'fortran_order': False}\n", /keys/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (1,\n", /corrupt \.npy header/],
    ["{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }\n", /fortran_order/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }\n", /non-negative/],
    ["{'descr': '<f4', 'fortran_order': False, 'shape': 'x', }\n", /not a tuple/],
    ["{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }\n", /dtype '<c8'.*not supported.*astype/],
    ["{'descr': '|O', 'fortran_order': False, 'shape': (1,), }\n", /object arrays/],
    ["{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (1,), }\n", /structured/],
  ])('bad header %j', (header, re) => {
    const p = put('hdr.npy', npyWithHeader(header, new Uint8Array(8)));
    npzError(() => readNpy(p), p, re);
  });

  test('Python 2 style long integers in the shape are accepted', () => {
    const bytes = npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 1L), }\n", new Uint8Array(f32([1, 2]).buffer));
    expectArr(parseNpy(bytes), '<f4', [2, 1], [1, 2]);
  });

  test('unsupported zip features are named', () => {
    const bytes = Uint8Array.from(zipSync({ 'a.npy': encodeNpy(f32([1]), [1]) }, { level: 0 }));
    const dv = new DataView(bytes.buffer);
    // Rewrite the compression method in both headers to bzip2 (12).
    const cd = Buffer.from(bytes).indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    dv.setUint16(8, 12, true);
    dv.setUint16(cd + 10, 12, true);
    const p = put('bz.npz', bytes);
    npzError(() => readNpz(p), p, /bzip2/, /np\.savez/);
  });
});

// ---------------------------------------------------------------------------------------------

describe('atomic writes', () => {
  test('a missing directory is a clear error and creates nothing', () => {
    const p = join(dir, 'no-such-dir', 'w.npz');
    npzError(() => writeNpz(p, { a: { data: f32([1]), shape: [1] } }), p, /directory .*no-such-dir.* does not exist/, /mkdir/);
    expect(existsSync(join(dir, 'no-such-dir'))).toBe(false);
    npzError(() => writeNpy(p, f32([1]), [1]), p, /does not exist/);
  });

  test('a bad entry fails before anything is written; the existing file is untouched', () => {
    const sub = mkdtempSync(join(dir, 'atomic-'));
    const p = join(sub, 'weights.npz');
    writeNpz(p, { W1: { data: f32([1, 2]), shape: [2] } });
    const before = readFileSync(p);
    const e = npzError(
      () =>
        writeNpz(
          p,
          new Map([
            ['ok', { data: f32([1, 2, 3]), shape: [3] }],
            ['W2', { data: f32([1, 2, 3, 4, 5, 6]), shape: [2, 4] }],
          ]),
        ),
      p,
      /array 'W2' has 6 values but shape \[2, 4\] needs 8/,
      /fix the shape or the data/,
    );
    expect(e.key).toBe('W2');
    expect(readFileSync(p).equals(before)).toBe(true);
    expect(readdirSync(sub)).toEqual(['weights.npz']);
  });

  test('invalid keys and shapes are rejected', () => {
    const p = join(dir, 'keys.npz');
    npzError(() => writeNpz(p, { '': { data: f32([1]), shape: [1] } }), p, /key/);
    npzError(
      () =>
        writeNpz(p, [
          ['a', { data: f32([1]), shape: [1] }],
          ['a', { data: f32([1]), shape: [1] }],
        ]),
      p,
      /twice/,
    );
    npzError(() => writeNpz(p, { a: { data: f32([1]), shape: [1.5] } }), p, /non-negative integers/);
    npzError(() => writeNpy(p, { data: Uint8Array.from([1]), shape: [1], dtype: '<f4' }), p, /declared as dtype '<f4'/);
    expect(existsSync(p)).toBe(false);
  });

  test('a directory at the target path is refused', () => {
    const p = mkdtempSync(join(dir, 'isdir-'));
    npzError(() => writeNpz(p, { a: { data: f32([1]), shape: [1] } }), p, /directory/);
  });
});

// ---------------------------------------------------------------------------------------------

describe('weights helpers', () => {
  const npz = new Map<string, NpyArray>([
    ['W1', { dtype: '<f4', shape: [512, 784], data: new Float32Array(512 * 784) }],
    ['W2', { dtype: '<f8', shape: [10, 512], data: new Float64Array(5120).fill(0.25) }],
  ]);

  test('returns float32 (shared when already float32, converted otherwise)', () => {
    expect(expectArray(npz, 'W1', [512, 784], 'weights.npz')).toBe(npz.get('W1')!.data);
    const w2 = expectArray(npz, 'W2', [10, 512], 'weights.npz');
    expect(w2).toBeInstanceOf(Float32Array);
    expect(w2[5119]).toBe(0.25);
  });

  test('shape mismatch names file, array, both shapes, meaning and the fix', () => {
    const e = npzError(
      () => expectArray(npz, 'W1', [512, 512], 'weights.npz', 'edge h1->h2: rows = size of h2, cols = size of h1'),
      'weights.npz',
    );
    expect(e.key).toBe('W1');
    expect(e.message).toBe(
      "weights.npz: array 'W1' has shape [512, 784] but the spec expects [512, 512] " +
        '(edge h1->h2: rows = size of h2, cols = size of h1); re-export the weights or fix the layer widths',
    );
  });

  test('transposed and reshaped arrays get a specific hint', () => {
    npzError(() => expectArray(npz, 'W1', [784, 512], 'weights.npz'), 'weights.npz', /transposed/);
    npzError(() => expectArray(npz, 'W2', [5120], 'weights.npz'), 'weights.npz', /reshaped or flattened/);
  });

  test('missing key lists the arrays that are present', () => {
    const e = npzError(
      () => expectArray(npz, 'W3', [10, 512], 'weights.npz', 'edge h2->out'),
      'weights.npz',
      /no array 'W3'/,
      /\[10, 512\] \(edge h2->out\)/,
      /'W1' \[512, 784\] <f4, 'W2' \[10, 512\] <f8/,
    );
    expect(e.key).toBe('W3');
    npzError(() => expectArray(new Map(), 'W1', [1], 'empty.npz'), 'empty.npz', /holds no arrays/);
    expect(describeArrays(npz)).toBe("'W1' [512, 784] <f4, 'W2' [10, 512] <f8");
  });

  test('works on a file read from disk', () => {
    const m = readNpz(join(FIX, 'savez.npz'));
    expect(Array.from(expectArray(m, 'a', [2, 3], 'savez.npz'))).toEqual([-1.25, -0.75, -0.25, 0.25, 0.75, 1.25]);
  });
});
