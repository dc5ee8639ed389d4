/**
 * The netlist on the wire: byte-identical round trips, tolerance of unknown fields, rejection of
 * malformed, truncated and wrong-version files, external data, every NET diagnostic one by one,
 * protoc reading a compiled netlist exactly as our text printer does, and the .proto files
 * documented field by field.
 */
import { testNeeding } from './needs';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompileError, NET_CODES, NetlistError } from '../compiler/diagnostics';
import { decodeNetlist, encodeNetlist, readNetlistFile, writeNetlistFile } from '../netlist/codec';
import { protoDir } from '../netlist/schema';
import { netlistToText } from '../netlist/text';
import type { NetlistMsg } from '../netlist/types';
import { checkChipMatches, validateNetlist } from '../netlist/validate';
import { compile } from '../compiler/pipeline';
import { loadGraph } from '../graph/load';
import { resolveNet, type Net } from '../graph/net';
import type { ChipDescription } from '../hw-models/chip';
import type { CodedDiagnostic } from '../hw-models/diagnostics';
import { resolveChipObject } from '../hw-models/load';
import { PRESETS, preset } from '../hw-models/presets';
import { initParams } from '../graph/params';
import { makeRng } from '../util/rng';
import { chainNet } from './helpers/nets';

const ROOT = join(__dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'fre-net-'));

/** 4×4 arrays, 16 levels, 2×2 mesh of 2 arrays per core: small enough to read, big enough to route. */
const TINY_CHIP = resolveChipObject(
  {
    base: 'reram',
    name: 'tiny-reram',
    crossbar: { rows: 4, cols: 4, levels: 16 },
    periphery: { adc: { linesPerAdc: 2 } },
    noc: { meshWidth: 2, meshHeight: 2, arraysPerCore: 2 },
  },
  'tiny.json',
);

function build(net: Net, chip: ChipDescription): NetlistMsg {
  const params = initParams(net, makeRng(net.spec.training.seed));
  return compile(net, chip, params, { wMax: { kind: 'max' }, specFile: 'spec.json', producerVersion: 'test' }).netlist;
}

const tinyNet = chainNet([5, 4, 3], 2, { betaI: 0.1, betaF: 0.1, T: 2, K: 1 });
const tiny = () => decodeNetlist(encodeNetlist(build(tinyNet, TINY_CHIP)));

function netDiags(f: () => unknown): CodedDiagnostic[] {
  try {
    f();
  } catch (err) {
    if (err instanceof NetlistError || err instanceof CompileError) return err.diagnostics;
    throw err;
  }
  throw new Error('expected a NetlistError');
}

describe('round trips', () => {
  test.each([
    ['mnist-2hl', 'reram'],
    ['mnist-10l-agt', 'sram-8b'],
    ['mnist-3hl', 'ideal'],
  ])('%s on %s: compile → encode → decode → re-encode is byte-identical', (ex, chip) => {
    const n = build(resolveNet(loadGraph(join(ROOT, 'examples', `${ex}.json`))), PRESETS[chip]);
    const a = encodeNetlist(n);
    const b = encodeNetlist(decodeNetlist(a));
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
    expect(validateNetlist(decodeNetlist(a), ex).diagnostics).toEqual([]);
  });

  test('decoding gives back every field the compiler emitted (no field lost to a name mismatch)', () => {
    const emitted = build(tinyNet, TINY_CHIP);
    const decoded = decodeNetlist(encodeNetlist(emitted));
    // Buffer.toJSON runs before a replacer sees the value: turn both byte forms into plain arrays.
    const plain = (v: unknown): unknown =>
      JSON.parse(
        JSON.stringify(v, (_k, x) =>
          x instanceof Uint8Array ? Array.from(x) : x && x.type === 'Buffer' && Array.isArray(x.data) ? x.data : x,
        ),
      );
    const fround = (v: unknown): unknown =>
      JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isInteger(x) ? Math.fround(x) : x)));
    expect(fround(plain(decoded))).toEqual(fround(plain(emitted)));
  });

  test('external data: tensors in a side file with offset, length and sha256, read back identically', () => {
    const n = build(tinyNet, TINY_CHIP);
    const f = join(dir, 'ext.pb');
    const w = writeNetlistFile(f, n, { external: true });
    expect(w.externalBytes).toBeGreaterThan(0);
    const raw = decodeNetlist(readFileSync(f));
    const ext = raw.arrays[1].gPlus!.externalData!;
    expect(ext.location).toBe('ext.pb.data');
    expect(raw.arrays[1].gPlus!.rawData.length).toBe(0);
    expect(ext.sha256).toMatch(/^[0-9a-f]{64}$/);
    const { netlist } = readNetlistFile(f);
    n.arrays.forEach((a, i) => {
      expect(Buffer.from(netlist.arrays[i].gPlus!.rawData).equals(Buffer.from(a.gPlus!.rawData))).toBe(true);
      expect(Buffer.from(netlist.arrays[i].gMinus!.rawData).equals(Buffer.from(a.gMinus!.rawData))).toBe(true);
    });
    expect(validateNetlist(netlist, f).diagnostics).toEqual([]);
  });
});

describe('lenient about unknown fields', () => {
  test('unknown top-level and nested fields are skipped', () => {
    const bytes = encodeNetlist(build(tinyNet, TINY_CHIP));
    const extra = Buffer.from([
      0xc0,
      0x3e,
      0x07, // field 1000, varint 7
      0xca,
      0x3e,
      0x03,
      0x61,
      0x62,
      0x63, // field 1001, bytes "abc"
      0x42,
      0x03,
      0xe8,
      0x04,
      0x01, // field 8 (dynamics) holding only an unknown field 77
    ]);
    const withUnknown = Buffer.concat([Buffer.from(bytes), extra]);
    const a = decodeNetlist(bytes);
    const b = decodeNetlist(withUnknown);
    expect(b.dynamics).toEqual(a.dynamics);
    expect(Buffer.from(encodeNetlist(b)).equals(Buffer.from(bytes))).toBe(true);
  });
});

describe('NET diagnostics, one by one', () => {
  const seen = new Set<string>();
  const expectOnly = (ds: CodedDiagnostic[], code: string, inMessage: string[], inHint: string[] = []) => {
    expect(ds.length).toBeGreaterThan(0);
    for (const d of ds) expect(d.code).toBe(code);
    for (const s of inMessage) expect(ds[0].message).toContain(s);
    for (const s of inHint) expect(ds[0].hint).toContain(s);
    seen.add(code);
  };
  /** Validate a decoded tiny netlist after one change. */
  const broken = (f: (n: NetlistMsg) => void) => {
    const n = tiny();
    f(n);
    return validateNetlist(n, 'net.pb').diagnostics;
  };

  test('the unbroken tiny netlist is valid and routed over more than one core', () => {
    const n = tiny();
    expect(validateNetlist(n, 'net.pb').diagnostics).toEqual([]);
    expect(n.cores.length).toBeGreaterThan(1);
    expect(n.routes.length).toBeGreaterThan(0);
  });

  test('NET001 unreadable file', () => {
    expectOnly(
      netDiags(() => readNetlistFile(join(dir, 'nope.pb'))),
      'NET001',
      ['ENOENT'],
      ['fre compile'],
    );
  });

  test('NET002 malformed and truncated bytes', () => {
    const bytes = Buffer.from(encodeNetlist(build(tinyNet, TINY_CHIP)));
    expectOnly(
      netDiags(() => decodeNetlist(bytes.subarray(0, Math.floor(bytes.length / 2)), 'cut.pb')),
      'NET002',
      ['not a valid netlist protobuf'],
      ['truncated'],
    );
    expectOnly(
      netDiags(() => decodeNetlist(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]), 'junk.pb')),
      'NET002',
      ['bytes read'],
    );
    const f = join(dir, 'junk.pb');
    writeFileSync(f, Buffer.from('this is not a protobuf at all, just text\n'));
    const ds = netDiags(() => readNetlistFile(f));
    expect(['NET002', 'NET003']).toContain(ds[0].code);
    expect(ds[0].file).toBe(f);
  });

  test('NET002 an empty file is called empty, not a netlist missing its ir_version', () => {
    const f = join(dir, 'empty.pb');
    writeFileSync(f, '');
    const ds = netDiags(() => readNetlistFile(f));
    expectOnly(ds, 'NET002', ['the file is empty (0 bytes)'], ['fre compile']);
    expect(ds[0].message).not.toContain('ir_version');
  });

  test('NET003 missing ir_version', () => {
    const n = tiny();
    n.irVersion = 0;
    expectOnly(
      netDiags(() => decodeNetlist(encodeNetlist(n), 'old.pb')),
      'NET003',
      ['ir_version is missing'],
    );
  });

  test('NET004 wrong ir_version', () => {
    const n = tiny();
    n.irVersion = 3;
    const ds = netDiags(() => decodeNetlist(encodeNetlist(n), 'new.pb'));
    expectOnly(ds, 'NET004', ['ir_version 3', 'newer', '(2)'], ['upgrade fre']);
    expect(ds[0].path).toBe('ir_version');
  });

  test('NET005 op set missing or too new', () => {
    expectOnly(
      broken((n) => {
        n.opsetImport = [{ domain: 'ai.other', version: 1 }];
      }),
      'NET005',
      ['"ai.fre.crossbar" is not imported', 'ai.other v1'],
    );
    expectOnly(
      broken((n) => {
        n.opsetImport[0].version = 3;
      }),
      'NET005',
      ['version 3 is not supported'],
    );
  });

  test('NET010 embedded chip description invalid', () => {
    expectOnly(
      broken((n) => {
        n.chip!.crossbar!.rows = 0;
      }),
      'NET010',
      ['HW012', '"rows" is 0'],
    );
    expectOnly(
      broken((n) => {
        n.chip!.description = 'edited by hand';
      }),
      'NET010',
      ['fingerprint does not match'],
    );
    expectOnly(
      broken((n) => {
        n.chip!.periphery = null;
      }),
      'NET010',
      ['chip.periphery is missing'],
    );
  });

  test('NET011 a netlist whose chip differs from the given preset', () => {
    const ds = checkChipMatches(tiny(), preset('reram')!, 'reram', 'net.pb');
    expectOnly(
      ds,
      'NET011',
      ['compiled for chip "tiny-reram"', 'crossbar.rows: netlist 4, reram 256', 'noc.meshWidth: netlist 2, reram 8'],
      // tiny-reram is no preset: the fix names the chip file, not `--chip tiny-reram` (HW003).
      ['--chip reram', 'the chip file that describes "tiny-reram"'],
    );
    expect(ds[0].hint).not.toContain('--chip tiny-reram');
    expect(checkChipMatches(tiny(), TINY_CHIP, 'tiny.json', 'net.pb')).toEqual([]);
  });

  test('NET011 for a preset changed by a chip file: the netlist names that chip, the fix that file', () => {
    // TINY_CHIP's overrides without its "name": the chip is no longer called reram.
    const over = {
      base: 'reram',
      crossbar: { rows: 4, cols: 4, levels: 16 },
      periphery: { adc: { linesPerAdc: 2 } },
      noc: { meshWidth: 2, meshHeight: 2, arraysPerCore: 2 },
    };
    const d3 = resolveChipObject(over, join('chips', 'd3.json'));
    expect(d3.name).toBe('reram+d3.json');
    expect(resolveChipObject({ base: 'reram' }, 'same.json').name).toBe('reram');
    const n = build(tinyNet, d3);
    const [d] = checkChipMatches(n, preset('reram')!, 'reram', 'net.pb');
    expect(d.code).toBe('NET011');
    expect(d.message).toContain('compiled for chip "reram+d3.json", which differs from reram');
    expect(d.hint).toContain('validate against the chip it was compiled for (--chip d3.json');
    expect(d.hint).not.toContain('(--chip reram');
    // The same hardware under another name (a renamed copy of the chip file) matches.
    const renamed = resolveChipObject(over, 'd3-copy.json');
    expect(renamed.name).toBe('reram+d3-copy.json');
    expect(checkChipMatches(n, renamed, 'd3-copy.json', 'net.pb')).toEqual([]);
  });

  test('NET020 tiles that do not cover a matrix exactly', () => {
    expectOnly(
      broken((n) => {
        const a = n.arrays[0];
        a.rowBegin += 1;
        a.rowEnd += 1;
      }),
      'NET020',
      ['array 0 holds rows 1…5'],
    );
    expectOnly(
      broken((n) => {
        n.edges[1].feedback = 'FEEDBACK_KIND_RANDOM';
      }),
      'NET020',
      ['has random feedback but no B arrays'],
    );
  });

  test('NET021 array placement outside the chip', () => {
    expectOnly(
      broken((n) => {
        n.arrays[0].slot = 7;
      }),
      'NET021',
      ['slot 7', 'a core has 2'],
    );
    expectOnly(
      broken((n) => {
        n.cores[0].x = 1 - n.cores[0].x;
      }),
      'NET021',
      ['is not a site of the 2×2 mesh'],
    );
  });

  test('NET022 conductance data invalid', () => {
    expectOnly(
      broken((n) => {
        n.arrays[0].gPlus!.rawData[0] = 16;
      }),
      'NET022',
      ['value 16', 'levels 0…15'],
    );
    expectOnly(
      broken((n) => {
        n.arrays[0].gPlus!.rawData = n.arrays[0].gPlus!.rawData.subarray(1);
      }),
      'NET022',
      ['bytes, expected'],
    );
    expectOnly(
      broken((n) => {
        n.arrays[0].gPlus!.dataType = 'DATA_TYPE_FLOAT32';
      }),
      'NET022',
      ['DATA_TYPE_FLOAT32', 'DATA_TYPE_UINT8'],
    );
    expectOnly(
      broken((n) => {
        n.edges[0].weights!.wMax = 0;
      }),
      'NET022',
      ['no weight scale w_max'],
    );
  });

  test('NET022 a w_max below 0 is named with its value, and the program checks still run beside it', () => {
    // As a user editing a decoded netlist: one edge's w_max made negative, the free phase repeated 200000 times.
    const n = tiny();
    n.edges[1].weights!.wMax = -0.5;
    n.schedule!.phases.find((p) => p.kind === 'PHASE_KIND_FREE')!.repeat = 200000;
    const ds = validateNetlist(decodeNetlist(encodeNetlist(n)), 'net.pb').diagnostics;
    const wMax = ds.find((d) => d.code === 'NET022')!;
    expect(wMax.path).toBe('edges.1.weights.w_max');
    expect(wMax.message).toBe("edge W1's w_max is -0.5; it must be > 0");
    expect(wMax.hint).toContain('positive weight scale');
    // The repeat is an independent error: listed in the same run, not after w_max is fixed.
    expect(ds.filter((d) => d.code === 'NET041').map((d) => d.message)).toEqual(
      expect.arrayContaining([expect.stringContaining('200000')]),
    );
    // Said once: the program checks do not report the same w_max again as out of range.
    expect(ds.filter((d) => d.message.includes('w_max'))).toEqual([wMax]);
  });

  test('independent faults in conductance data and the chip fingerprint do not hide the program checks', () => {
    const n = tiny();
    n.arrays[0].gPlus!.rawData[0] = 16;
    n.chip!.description = 'edited by hand';
    n.schedule!.phases.find((p) => p.kind === 'PHASE_KIND_FREE')!.repeat = 0;
    expect(new Set(validateNetlist(n, 'net.pb').diagnostics.map((d) => d.code))).toEqual(new Set(['NET010', 'NET022', 'NET041']));
  });

  test('NET023 external data missing or modified', () => {
    const f = join(dir, 'ext2.pb');
    writeNetlistFile(f, build(tinyNet, TINY_CHIP), { external: true });
    const data = readFileSync(`${f}.data`);
    data[3] ^= 0xff;
    writeFileSync(`${f}.data`, data);
    const sha = netDiags(() => readNetlistFile(f));
    expectOnly(sha, 'NET023', ['does not match its sha256'], ['re-compile']);
    // A dotted path into the message, as every other NET diagnostic writes it.
    expect(sha[0].path).toMatch(/^arrays\.\d+\.g_(plus|minus)\.external_data$/);
    writeFileSync(`${f}.data`, data.subarray(0, 10));
    expectOnly(
      netDiags(() => readNetlistFile(f)),
      'NET023',
      ['the tensor needs bytes'],
    );
    writeNetlistFile(join(dir, 'ext3.pb'), build(tinyNet, TINY_CHIP), { external: true });
    writeFileSync(join(dir, 'moved.pb'), readFileSync(join(dir, 'ext3.pb')));
    const moved = join(dir, 'sub', 'moved.pb');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(moved, readFileSync(join(dir, 'ext3.pb')));
    expectOnly(
      netDiags(() => readNetlistFile(moved)),
      'NET023',
      ['ext3.pb.data cannot be read'],
      ['next to the netlist'],
    );
  });

  test('NET030 route not a chain of mesh neighbours', () => {
    expectOnly(
      broken((n) => {
        n.routes[0].path = [n.routes[0].srcCore];
      }),
      'NET030',
      ['not a chain of mesh neighbours'],
    );
  });

  test('NET040 schedule invalid', () => {
    expectOnly(
      broken((n) => {
        n.schedule!.phases[1].ops[1].deps = [5];
      }),
      'NET040',
      ['depends on a later op (5)'],
    );
    expectOnly(
      broken((n) => {
        n.schedule!.phases[1].ops[0].opType = 'Conv2d';
      }),
      'NET040',
      ['unknown op ai.fre.crossbar:Conv2d'],
      ['LoadInput'],
    );
    expectOnly(
      broken((n) => {
        n.schedule!.phases[1].ops[0].resources = ['bank:3'];
      }),
      'NET040',
      ['bank:3'],
    );
  });

  test('NET041 execution fields out of range or inconsistent', () => {
    const free = (n: NetlistMsg) => n.schedule!.phases.find((p) => p.kind === 'PHASE_KIND_FREE')!;
    expectOnly(
      broken((n) => {
        free(n).repeat = 0;
      }),
      'NET041',
      ['repeats 0 times'],
    );
    expectOnly(
      broken((n) => {
        n.dynamics!.freeSteps = 7;
        n.groups.forEach((g) => {
          g.freeSteps = 7;
        });
      }),
      'NET041',
      ['free_steps is 7', 'repeats 2 times'],
      ['set them equal'],
    );
    expectOnly(
      broken((n) => {
        n.groups[1].activation = 'ACTIVATION_SOFTMAX';
      }),
      'NET041',
      ['hidden group h1 has activation ACTIVATION_SOFTMAX'],
      ['ACTIVATION_TANH'],
    );
    expectOnly(
      broken((n) => {
        n.trainingInfo!.batchSize = 0;
      }),
      'NET041',
      ['batch size 0'],
    );
    expectOnly(
      broken((n) => {
        n.dynamics!.readoutGroup = 1;
      }),
      'NET041',
      ['readout_group is 1'],
    );
  });

  test('NET042 an op that does not match its definition', () => {
    const read = (n: NetlistMsg) => n.schedule!.phases[1].ops.find((o) => o.opType === 'ArrayRead')!;
    expectOnly(
      broken((n) => {
        read(n).resources = ['array:0'];
      }),
      'NET042',
      ['holds [array:0]', 'imply'],
      ['restore them'],
    );
    expectOnly(
      broken((n) => {
        read(n).actions = [{ action: 'array_read', count: 7 }];
      }),
      'NET042',
      ['counts', 'imply'],
    );
    expectOnly(
      broken((n) => {
        read(n).group = 0;
      }),
      'NET042',
      ['is driven by group 0'],
    );
    expectOnly(
      broken((n) => {
        const acc = n.schedule!.phases[1].ops.find((o) => o.opType === 'Accumulate' && o.source === 'OPERAND_PARTIAL_SUM')!;
        acc.gain *= 2;
      }),
      'NET042',
      ['gain', 'forward gain is'],
    );
  });

  test('NET043 a normative number that is not finite', () => {
    expectOnly(
      broken((n) => {
        n.arrays[0].gains!.forward = NaN;
      }),
      'NET043',
      ['forward gain is NaN'],
    );
    expectOnly(
      broken((n) => {
        n.edges[1].alpha = Infinity;
      }),
      'NET043',
      ['α is Infinity'],
    );
    expectOnly(
      broken((n) => {
        n.trainingInfo!.edgeLr[0] = NaN;
      }),
      'NET043',
      ['learning rate of edge 0 is NaN'],
    );
  });

  test('NET050 missing block or dangling reference', () => {
    expectOnly(
      broken((n) => {
        n.edges[0].fromGroup = 9;
      }),
      'NET050',
      ['names group 9'],
    );
    expectOnly(
      broken((n) => {
        n.schedule = null;
      }),
      'NET050',
      ['schedule is missing'],
    );
  });

  test('every NET code has a case', () => {
    expect(seen).toEqual(new Set(Object.keys(NET_CODES)));
  });
});

describe("a chip team's view: protoc reads the netlist", () => {
  const test = testNeeding([['protoc', ['--version']]], 'protobuf-compiler');

  test('the .proto files compile with protoc', () => {
    const r = spawnSync('protoc', ['-I', protoDir(), `--descriptor_set_out=${join(dir, 'd.pb')}`, 'netlist.proto', 'chip.proto'], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test.each([
    ['tiny chain on a 4×4 ReRAM chip', () => build(tinyNet, TINY_CHIP)],
    [
      'mnist-10l-agt on ideal (float32 tensors, random feedback)',
      () => build(resolveNet(loadGraph(join(ROOT, 'examples', 'mnist-10l-agt.json'))), PRESETS.ideal),
    ],
  ])('protoc --decode of %s prints exactly our text form', (_n, make) => {
    const bytes = encodeNetlist(make());
    const r = spawnSync('protoc', ['-I', protoDir(), '--decode', 'fre.NetlistProto', 'netlist.proto'], {
      input: bytes,
      encoding: 'utf8',
      cwd: protoDir(),
      maxBuffer: 1 << 28,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('ir_version: 2');
    expect(r.stdout).toContain('domain: "ai.fre.crossbar"');
    expect(r.stdout).toContain('op_type: "OuterProductUpdate"');
    expect(r.stdout).toBe(netlistToText(decodeNetlist(bytes)));
  });
});

describe('the .proto files are documented field by field', () => {
  test.each(['netlist.proto', 'chip.proto'])('%s: every field, enum value and message has a comment', (file) => {
    const lines = readFileSync(join(protoDir(), file), 'utf8').split('\n');
    const undocumented: string[] = [];
    lines.forEach((line, i) => {
      const t = line.trim();
      const isDecl =
        /^(message|enum) \w+/.test(t) || /^(repeated |optional )?[\w.]+ \w+ = \d+;/.test(t) || /^[A-Z][A-Z0-9_]* = \d+;/.test(t);
      if (!isDecl || /_UNSPECIFIED = 0;/.test(t)) return;
      const prev = lines[i - 1]?.trim() ?? '';
      if (!prev.startsWith('//') && !t.includes('//')) undocumented.push(`${file}:${i + 1}: ${t}`);
    });
    expect(undocumented).toEqual([]);
  });
});
