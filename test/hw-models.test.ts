/**
 * Chip descriptions: every preset is valid and survives the proto round trip exactly; every HW
 * diagnostic, one by one; preset + overrides; the weight ↔ conductance convention (error ≤ half a
 * level step, zero on `ideal`); the op-duration formulas against hand-derived numbers.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chipFromMsg, chipToMsg } from '../netlist/chip-proto';
import { ACTION_KEYS, CHIP_FORMAT, type ChipDescription, type CrossbarSpec } from '../hw-models/chip';
import { chipFingerprint, diffChips } from '../hw-models/compare';
import { chooseWMax, mapMatrix, unmapMatrix } from '../hw-models/conductance';
import { ChipError, HW_CODES, formatCoded, type CodedDiagnostic } from '../hw-models/diagnostics';
import { loadChip, parseChipText, resolveChipObject } from '../hw-models/load';
import { PRESETS, PRESET_NAMES, preset } from '../hw-models/presets';
import { actionCycles, commitCycles, opCycles } from '../hw-models/timing';
import { priceActions } from '../hw-models/estimators';
import { validateChip } from '../hw-models/validate';
import { makeRng } from '../util/rng';
import { schemaRoot } from '../netlist/schema';

type Json = any; // chip objects are broken on purpose

const dir = mkdtempSync(join(tmpdir(), 'fre-hw-'));

function diagsOf(f: () => unknown): CodedDiagnostic[] {
  try {
    f();
  } catch (err) {
    if (err instanceof ChipError) return err.diagnostics;
    throw err;
  }
  throw new Error('expected a ChipError');
}

describe('presets', () => {
  test('there is an ideal preset and at least three device classes, all valid', () => {
    expect(PRESET_NAMES).toEqual(expect.arrayContaining(['ideal', 'reram', 'pcm', 'sram-8b']));
    for (const [name, chip] of Object.entries(PRESETS)) {
      const { chip: ok, diagnostics } = validateChip(structuredClone(chip), name);
      expect(diagnostics.map(formatCoded)).toEqual([]);
      expect(ok?.name).toBe(name);
      expect(ok?.format).toBe(CHIP_FORMAT);
      expect(Object.keys(priceActions(chip).perAction).sort()).toEqual([...ACTION_KEYS].sort());
    }
  });

  test('ideal is float, noiseless and unbounded', () => {
    const c = PRESETS.ideal;
    expect(c.crossbar.levels).toBe('continuous');
    expect(c.crossbar.programmingNoise.sigma + c.crossbar.readNoise.sigma + c.crossbar.drift.nu).toBe(0);
    expect(c.crossbar.stuckAt).toEqual({ onProbability: 0, offProbability: 0, compensation: 'none' });
    expect(c.crossbar.update.kind).toBe('exact');
    expect(c.periphery.dac.bits).toBe('float');
    expect(c.periphery.adc).toMatchObject({ bits: 'float', fullScale: 'unbounded', outputNoise: 0 });
    expect(c.neuron).toMatchObject({ activation: { kind: 'exact' }, stateNoise: 0, stateBits: 'float' });
  });

  test('preset() returns a copy', () => {
    const a = preset('reram')!;
    a.crossbar.rows = 1;
    expect(PRESETS.reram.crossbar.rows).toBe(256);
  });

  test.each(PRESET_NAMES)('%s survives chip → proto → bytes → proto → chip exactly', (name) => {
    const chip = PRESETS[name];
    const T = schemaRoot().lookupType('fre.ChipDescriptionProto');
    const bytes = T.encode(T.fromObject(chipToMsg(chip))).finish();
    const back = chipFromMsg(T.toObject(T.decode(bytes), { longs: Number, enums: String, defaults: true }) as ReturnType<typeof chipToMsg>);
    expect(back).toEqual(chip);
    expect(chipFingerprint(back)).toBe(chipFingerprint(chip));
  });

  test('fingerprints and diffs tell chips apart field by field', () => {
    const a = preset('reram')!;
    const b = preset('reram')!;
    b.crossbar.rows = 128;
    b.noc.meshWidth = 4;
    expect(chipFingerprint(a)).not.toBe(chipFingerprint(b));
    expect(diffChips(a, b)).toEqual([
      { path: 'crossbar.rows', a: 256, b: 128 },
      { path: 'noc.meshWidth', a: 8, b: 4 },
    ]);
  });
});

describe('loading: preset names, files, overrides', () => {
  test('a preset plus overrides merges field by field; a changed kind replaces the object', () => {
    const c = resolveChipObject({ base: 'reram', noc: { meshWidth: 16 }, crossbar: { update: { kind: 'exact' } } }, 'x.json');
    expect(c.noc.meshWidth).toBe(16);
    expect(c.noc.meshHeight).toBe(8);
    expect(c.crossbar.update).toEqual({ kind: 'exact' });
    expect(c.crossbar.gMaxUS).toBe(40);
  });

  test('a full description in a file loads', () => {
    const f = join(dir, 'full.json');
    writeFileSync(f, JSON.stringify(PRESETS.pcm));
    expect(loadChip(f)).toEqual(PRESETS.pcm);
  });
});

interface Case {
  code: keyof typeof HW_CODES;
  title: string;
  run: () => unknown;
  path: string;
  inMessage: string[];
  inHint: string[];
}

/** A valid reram description with one change applied. */
const broken = (f: (c: Json) => void) => () => {
  const c: Json = preset('reram');
  f(c);
  return resolveChipObject(c, 'chip.json');
};

const cases: Case[] = [
  {
    code: 'HW001',
    title: 'not JSON',
    run: () => parseChipText('{"base": "reram",}', 'chip.json'),
    path: '',
    // The line and column of the "}" after the trailing comma.
    inMessage: ['not valid JSON at line 1, column 18'],
    inHint: ['JSON syntax'],
  },
  {
    code: 'HW001',
    title: 'unreadable file',
    run: () => loadChip(join(dir, 'missing.json')),
    path: '',
    inMessage: ['ENOENT'],
    inHint: ['reram'],
  },
  {
    code: 'HW002',
    title: 'wrong format',
    run: broken((c) => {
      c.format = 'fre-chip/9';
    }),
    path: '/format',
    inMessage: ['fre-chip/9', 'fre-chip/1'],
    inHint: ['fre-chip/1'],
  },
  {
    code: 'HW003',
    title: 'unknown preset name',
    run: () => loadChip('rerm'),
    path: '',
    inMessage: ['"rerm"', 'ideal, reram, pcm, sram-8b'],
    inHint: ['did you mean "reram"'],
  },
  {
    code: 'HW003',
    title: 'unknown base in a file',
    run: () => resolveChipObject({ base: 'flash' }, 'c.json'),
    path: '/base',
    inMessage: ['"flash"'],
    inHint: ['chip.json'],
  },
  {
    code: 'HW010',
    title: 'missing field',
    run: broken((c) => {
      delete c.crossbar.gMaxUS;
    }),
    path: '/crossbar/gMaxUS',
    inMessage: ['"gMaxUS"', 'missing'],
    inHint: ['"gMaxUS"'],
  },
  {
    code: 'HW010',
    title: 'missing update kind',
    run: broken((c) => {
      delete c.crossbar.update.kind;
    }),
    path: '/crossbar/update/kind',
    inMessage: ['"kind"'],
    inHint: ['"exact"', '"pulsed"'],
  },
  {
    code: 'HW011',
    title: 'wrong type',
    run: broken((c) => {
      c.crossbar.rows = '256';
    }),
    path: '/crossbar/rows',
    inMessage: ['"rows"', 'number', '"256"'],
    inHint: ['number'],
  },
  {
    code: 'HW011',
    title: 'non-integer',
    run: broken((c) => {
      c.noc.meshWidth = 2.5;
    }),
    path: '/noc/meshWidth',
    inMessage: ['integer', '2.5'],
    inHint: ['whole number'],
  },
  {
    code: 'HW012',
    title: 'probability above 1',
    run: broken((c) => {
      c.crossbar.stuckAt.onProbability = 1.5;
    }),
    path: '/crossbar/stuckAt/onProbability',
    inMessage: ['1.5', '≤ 1'],
    inHint: ['at most 1'],
  },
  {
    code: 'HW012',
    title: 'zero rows',
    run: broken((c) => {
      c.crossbar.rows = 0;
    }),
    path: '/crossbar/rows',
    inMessage: ['"rows" is 0', '≥ 1'],
    inHint: ['at least 1'],
  },
  {
    code: 'HW013',
    title: 'unknown cell kind',
    run: broken((c) => {
      c.crossbar.cell = 'quad';
    }),
    path: '/crossbar/cell',
    inMessage: ['"quad"', 'differential'],
    inHint: ['"offset-column"'],
  },
  {
    code: 'HW013',
    title: 'a word where only "float" is allowed',
    run: broken((c) => {
      c.periphery.adc.bits = 'exact';
    }),
    path: '/periphery/adc/bits',
    inMessage: ['"exact"', '"float"'],
    inHint: ['"float"'],
  },
  {
    code: 'HW014',
    title: 'unknown field with suggestion',
    run: broken((c) => {
      c.crossbar.gMaxUs = 40;
    }),
    path: '/crossbar/gMaxUs',
    inMessage: ['"gMaxUs"'],
    inHint: ['did you mean "gMaxUS"'],
  },
  {
    code: 'HW020',
    title: 'more lines per ADC than lines',
    run: broken((c) => {
      c.periphery.adc.linesPerAdc = 300;
    }),
    path: '/periphery/adc/linesPerAdc',
    inMessage: ['300', '256'],
    inHint: ['at most 256'],
  },
  {
    code: 'HW020',
    title: 'offset column with one column',
    run: broken((c) => {
      c.crossbar.cell = 'offset-column';
      c.crossbar.cols = 1;
      c.periphery.adc.linesPerAdc = 1;
    }),
    path: '/crossbar/cols',
    inMessage: ['reference'],
    inHint: ['at least 2 columns'],
  },
  {
    code: 'HW020',
    title: "input buffer smaller than one array's partial sums",
    run: broken((c) => {
      c.noc.inputBufferBytes = 100;
    }),
    path: '/noc/inputBufferBytes',
    inMessage: ['1024 bytes', '100-byte'],
    inHint: ['at least 1024'],
  },
  {
    code: 'HW021',
    title: 'g_min above g_max',
    run: broken((c) => {
      c.crossbar.gMinUS = 50;
    }),
    path: '/crossbar/gMinUS',
    inMessage: ['50', '40'],
    inHint: ['below gMaxUS'],
  },
  {
    code: 'HW021',
    title: 'empty DAC range',
    run: broken((c) => {
      c.periphery.dac.inputRange = [1, -1];
    }),
    path: '/periphery/dac/inputRange',
    inMessage: ['[1, -1]'],
    inHint: ['[-1, 1]'],
  },
  {
    code: 'HW021',
    title: 'stuck probabilities above 1 in sum',
    run: broken((c) => {
      c.crossbar.stuckAt = { onProbability: 0.6, offProbability: 0.6, compensation: 'none' };
    }),
    path: '/crossbar/stuckAt',
    inMessage: ['exceeds 1'],
    inHint: ['at most 1'],
  },
  {
    code: 'HW021',
    title: 'quantising ADC with unbounded range',
    run: broken((c) => {
      c.periphery.adc.fullScale = 'unbounded';
    }),
    path: '/periphery/adc/fullScale',
    inMessage: ['8-bit', 'unbounded'],
    inHint: ['"float"'],
  },
];

describe('diagnostics, one by one', () => {
  test.each(cases.map((c) => [`${c.code} ${c.title}`, c] as const))('%s', (_t, c) => {
    const ds = diagsOf(c.run);
    expect(ds).toHaveLength(1);
    const d = ds[0];
    expect(d.code).toBe(c.code);
    expect(d.path).toBe(c.path);
    for (const s of c.inMessage) expect(d.message).toContain(s);
    for (const s of c.inHint) expect(d.hint).toContain(s);
    expect(formatCoded(d)).toContain(`error ${c.code}`);
  });

  test('every HW code has a case', () => {
    expect(new Set(cases.map((c) => c.code))).toEqual(new Set(Object.keys(HW_CODES)));
  });

  test('all problems are reported in one pass', () => {
    const ds = diagsOf(
      broken((c) => {
        c.crossbar.rows = -1;
        c.noc.meshHeight = 'x';
        c.extra = 1;
      }),
    );
    expect(ds.map((d) => d.code)).toEqual(['HW012', 'HW011', 'HW014']);
  });
});

describe('weights ↔ conductances', () => {
  const rng = makeRng('conductance');
  const w = Float32Array.from({ length: 4000 }, () => (rng.uniform() * 2 - 1) * 0.07);
  const offset = (): CrossbarSpec => ({ ...preset('reram')!.crossbar, cell: 'offset-column', levels: 255 });

  test.each([
    ['reram', preset('reram')!.crossbar],
    ['pcm', preset('pcm')!.crossbar],
    ['sram-8b', preset('sram-8b')!.crossbar],
    ['offset-column, 255 levels', offset()],
    ['offset-column, 16 levels (even: no exact zero)', { ...offset(), levels: 16 }],
  ] as [string, CrossbarSpec][])('%s: |W − Ŵ| ≤ half a level step, and the stored scale recovers W', (_n, x) => {
    const m = mapMatrix(w, x, { kind: 'max' });
    const back = unmapMatrix(m.plus, m.minus, m.wMax, x);
    const levels = x.levels as number;
    const step = ((x.cell === 'differential' ? 1 : 2) * m.wMax) / (levels - 1);
    expect(m.stats.levelStep).toBeCloseTo(step, 12);
    let maxErr = 0;
    for (let i = 0; i < w.length; i++) maxErr = Math.max(maxErr, Math.abs(w[i] - back[i]));
    // Half a step, plus float32 rounding of the reconstructed weight (one ulp at w_max).
    expect(maxErr).toBeLessThanOrEqual(step / 2 + m.wMax * 2 ** -23);
    expect(maxErr).toBeGreaterThan(0);
    expect(m.stats.maxError).toBeCloseTo(maxErr, 9);
    expect(m.stats.clipped).toBe(0);
    expect(m.wMax).toBe(Math.fround(Math.max(...Array.from(w, Math.abs))));
  });

  test('ideal: continuous levels, w_max a power of two, the round trip is bit-exact', () => {
    const x = PRESETS.ideal.crossbar;
    const m = mapMatrix(w, x, { kind: 'max' });
    expect(Number.isInteger(Math.log2(m.wMax))).toBe(true);
    expect(m.plus).toBeInstanceOf(Float32Array);
    expect(Buffer.from(unmapMatrix(m.plus, m.minus, m.wMax, x).buffer).equals(Buffer.from(w.buffer))).toBe(true);
    expect(m.stats.maxError).toBe(0);
  });

  test('differential: one device of the pair stays at g_min', () => {
    const x = PRESETS.reram.crossbar;
    const m = mapMatrix(w, x, { kind: 'max' });
    for (let i = 0; i < w.length; i++) expect(m.plus[i] === 0 || m.minus![i] === 0).toBe(true);
  });

  test('a percentile scale clips the largest weights and counts them', () => {
    const x = PRESETS.reram.crossbar;
    const p = chooseWMax(w, { kind: 'percentile', p: 90 }, x.levels);
    const m = mapMatrix(w, x, { kind: 'percentile', p: 90 });
    expect(m.wMax).toBe(p);
    const over = Array.from(w).filter((v) => Math.abs(v) > p).length;
    expect(m.stats.clipped).toBe(over);
    expect(over).toBeGreaterThan(300);
    expect(over).toBeLessThan(500);
    expect(m.stats.maxError).toBeGreaterThan(m.stats.levelStep);
  });
});

describe('op durations (hw-models/timing.ts)', () => {
  const chip: ChipDescription = preset('reram')!;
  test('actions: latency at the clock, rounded up', () => {
    expect(actionCycles(chip, 'array_read')).toBe(10); // 10 ns at 1 GHz
    expect(actionCycles(chip, 'adc_conversion')).toBe(1); // 8-bit SAR, 0.833 ns → 1
    const slow = { ...chip, clock: { frequencyMhz: 2000 } };
    expect(actionCycles(slow, 'adc_conversion')).toBe(2); // 1.67 → 2
  });
  test('ops: hand-derived', () => {
    expect(opCycles(chip, { opType: 'ArrayRead' })).toBe(1 + 10);
    expect(opCycles(chip, { opType: 'AdcConvert', lines: 256 })).toBe(8); // 8 lines per ADC, ADCs in parallel
    expect(opCycles(chip, { opType: 'AdcConvert', lines: 5 })).toBe(5);
    expect(opCycles(chip, { opType: 'Send', hops: 3, flits: 4 })).toBe(3 * 2 + 4);
    expect(opCycles(chip, { opType: 'NeuronUpdate', elements: 33 })).toBe(3); // 16 lanes
    // One sample's digital outer product: 64·64 cells, 16 lanes, one clock each.
    expect(opCycles(chip, { opType: 'OuterProductUpdate', rows: 64, cells: 4096 })).toBe(256);
    // The batch commit: optimiser steps (4096/16 clocks), then the writes row by row — row-programmed
    // pulsed: BL 31 slots of 10 ns per row; exact: one step per row.
    expect(commitCycles(chip, 64, 4096)).toBe(256 + 64 * 31 * 10);
    expect(commitCycles(preset('sram-8b')!, 64, 4096)).toBe(256 + 64);
  });
});
