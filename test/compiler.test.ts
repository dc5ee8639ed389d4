/**
 * The compiler: the examples compile on every preset with the closed-form array count; symmetric
 * feedback adds no arrays, random feedback does; `ideal` maps losslessly and device presets within
 * half a level step; a net that does not fit says what to change with the numbers; every CMP
 * diagnostic; the IR check after each pass; placement; the schedule's shape per nudge mode.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileFiles } from '../compiler/compile-files';
import { transfers } from '../compiler/dataflow';
import { CMP_CODES, CompileError } from '../compiler/diagnostics';
import { validateNetlist } from '../netlist/validate';
import type { CompilerIR } from '../compiler/ir';
import { decodeNetlist, encodeNetlist } from '../netlist/codec';
import { edgeTiles, netlistParams } from '../netlist/tiles';
import { parseAdcRangePolicy, parseWMaxPolicy } from '../compiler/options';
import { PASSES, compile, initialIR } from '../compiler/pipeline';
import { estimate } from '../compiler/estimate';
import { timedOps } from '../netlist/op-shape';
import { scheduleOps } from '../netlist/timing-engine';
import { verifyIR } from '../compiler/verify';
import { loadGraph, parseGraphText } from '../graph/load';
import { resolveNet, type Net } from '../graph/net';
import type { NudgeMode } from '../graph/spec';
import { weightCols, type ChipDescription } from '../hw-models/chip';
import type { CodedDiagnostic } from '../hw-models/diagnostics';
import { resolveChipObject } from '../hw-models/load';
import { PRESETS, preset } from '../hw-models/presets';
import { initParams, type Params } from '../graph/params';
import { makeRng } from '../util/rng';
import { chainNet } from './helpers/nets';

const ROOT = join(__dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'fre-cmp-'));

function paramsOf(net: Net): Params {
  return initParams(net, makeRng(net.spec.training.seed));
}

function compileNet(net: Net, chip: ChipDescription, params = paramsOf(net)) {
  return compile(net, chip, params, { wMax: { kind: 'max' }, specFile: 'spec.json', producerVersion: 'test' });
}

/** Bit-for-bit equality (fast on large arrays, unlike a deep equality walk). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function cmpDiags(f: () => unknown): CodedDiagnostic[] {
  try {
    f();
  } catch (err) {
    if (err instanceof CompileError) return err.diagnostics;
    throw err;
  }
  throw new Error('expected a CompileError');
}

/** Σ over edges of ceil(rows/R)·ceil(cols/C), plus B [cols × rows] for random feedback. */
function closedForm(net: Net, R: number, C: number): number {
  const g = (r: number, c: number) => Math.ceil(r / R) * Math.ceil(c / C);
  return net.edges.reduce((s, e) => s + g(e.rows, e.cols) + (e.feedback === 'random' ? g(e.cols, e.rows) : 0), 0);
}

const EXAMPLES = ['mnist-2hl', 'mnist-3hl', 'mnist-10l-residual', 'mnist-20l-residual', 'mnist-10l-agt'];

/** The presets, plus two variants that make rows ≠ cols and C ≠ cols (offset column). */
const chipFiles: Record<string, string> = {};
beforeAll(() => {
  for (const name of Object.keys(PRESETS)) chipFiles[name] = name;
  const variants = {
    'reram-offset': { base: 'reram', crossbar: { cell: 'offset-column' } },
    'pcm-128x64': { base: 'pcm', crossbar: { rows: 128, cols: 64 }, noc: { meshWidth: 16, meshHeight: 16 } },
  };
  for (const [name, v] of Object.entries(variants)) {
    const f = join(dir, `${name}.json`);
    writeFileSync(f, JSON.stringify(v));
    chipFiles[name] = f;
  }
});

describe('the examples compile on every preset with the closed-form array count', () => {
  const chips = ['ideal', 'reram', 'pcm', 'sram-8b', 'reram-offset', 'pcm-128x64'];
  test.each(chips)('on %s', (chipName) => {
    for (const ex of EXAMPLES) {
      const spec = join(ROOT, 'examples', `${ex}.json`);
      const { report } = compileFiles({ spec, chip: chipFiles[chipName], wMax: { kind: 'max' } });
      const net = resolveNet(loadGraph(spec));
      const chip = resolveChipObject(
        chipName in PRESETS ? PRESETS[chipName] : JSON.parse(readFileSync(chipFiles[chipName], 'utf8')),
        chipName,
      );
      const R = chip.crossbar.rows;
      const C = chip.crossbar.cell === 'offset-column' ? chip.crossbar.cols - 1 : chip.crossbar.cols;
      expect(report.arraysUsed).toBe(closedForm(net, R, C));
      expect(report.arraysAvailable).toBe(chip.noc.meshWidth * chip.noc.meshHeight * chip.noc.arraysPerCore);
      expect(report.coresUsed).toBeGreaterThanOrEqual(Math.ceil(report.arraysUsed / chip.noc.arraysPerCore));
      expect(report.coresUsed).toBeLessThanOrEqual(report.coresAvailable);
      expect(report.edges.map((e) => e.name)).toEqual(net.edges.map((e) => e.name));
      for (const e of report.edges) {
        const ne = net.edges.find((x) => x.name === e.name)!;
        expect([e.rows, e.cols]).toEqual([ne.rows, ne.cols]);
        expect(e.weightArrays).toBe(Math.ceil(ne.rows / R) * Math.ceil(ne.cols / C));
        expect(e.arrays).toBe(e.weightArrays + e.feedbackArrays);
      }
      expect(report.estimate.cyclesPerInference).toBeGreaterThan(0);
      expect(report.estimate.cyclesPerTrainingSample).toBeGreaterThan(report.estimate.cyclesPerInference);
    }
  });
});

describe('feedback and arrays', () => {
  const sizes = [300, 200, 150];
  const sym = chainNet(sizes, 10, { betaI: 0.1, betaF: 0.1, T: 3, K: 2, feedback: 'symmetric' });
  const rnd = chainNet(sizes, 10, { betaI: 0.1, betaF: 0.1, T: 3, K: 2, feedback: 'random' });

  test('symmetric feedback edges create no extra arrays; random feedback edges do', () => {
    const chip = preset('reram')!;
    const a = compileNet(sym, chip).netlist;
    const b = compileNet(rnd, chip).netlist;
    const weightOnly = sym.edges.reduce((s, e) => s + Math.ceil(e.rows / 256) * Math.ceil(e.cols / 256), 0);
    expect(a.arrays).toHaveLength(weightOnly);
    const extra = rnd.edges
      .filter((e) => e.feedback === 'random')
      .reduce((s, e) => s + Math.ceil(e.cols / 256) * Math.ceil(e.rows / 256), 0);
    expect(extra).toBeGreaterThan(0);
    expect(b.arrays).toHaveLength(weightOnly + extra);
    // Symmetric: the forward arrays are read transposed; random: B arrays, never trained, read forward.
    for (const arr of a.arrays) {
      const e = sym.edges[arr.edge];
      expect(arr.reads).toEqual(e.from === -1 ? ['READ_KIND_FORWARD'] : ['READ_KIND_FORWARD', 'READ_KIND_TRANSPOSED']);
    }
    const bArrays = b.arrays.filter((x) => x.role === 'ARRAY_ROLE_RANDOM_FEEDBACK');
    expect(bArrays).toHaveLength(extra);
    for (const arr of bArrays) {
      expect(arr.reads).toEqual(['READ_KIND_FORWARD']);
      expect(arr.trainable).toBe(false);
    }
    expect(b.arrays.filter((x) => x.reads.includes('READ_KIND_TRANSPOSED'))).toHaveLength(0);
  });
});

describe('mapping accuracy through the netlist', () => {
  test('ideal: the netlist gives back the compiled weights bit for bit (W and random B)', () => {
    for (const ex of ['mnist-2hl', 'mnist-10l-agt']) {
      const net = resolveNet(loadGraph(join(ROOT, 'examples', `${ex}.json`)));
      const params = paramsOf(net);
      const n = decodeNetlist(encodeNetlist(compileNet(net, PRESETS.ideal, params).netlist));
      const back = netlistParams(n);
      net.edges.forEach((e) => {
        expect(sameBits(back.W[e.index].data, params.W[e.index].data)).toBe(true);
        if (e.feedback === 'random') expect(sameBits(back.B[e.index]!.data, params.B[e.index]!.data)).toBe(true);
        else expect(back.B[e.index]).toBeUndefined();
      });
      for (const e of n.edges) expect(e.weights!.maxError).toBe(0);
    }
  });

  test.each(['reram', 'pcm', 'sram-8b'])('%s: weights → levels → weights within half a level step', (name) => {
    const net = resolveNet(loadGraph(join(ROOT, 'examples', 'mnist-10l-agt.json')));
    const params = paramsOf(net);
    const chip = PRESETS[name];
    const n = decodeNetlist(encodeNetlist(compileNet(net, chip, params).netlist));
    const back = netlistParams(n);
    const levels = chip.crossbar.levels as number;
    const check = (w: Float32Array, b: Float32Array, wMax: number) => {
      // Half a level step, plus float32 rounding of the reconstructed weight (one ulp at w_max).
      const half = wMax / (levels - 1) / 2 + wMax * 2 ** -23;
      let m = 0;
      for (let i = 0; i < w.length; i++) m = Math.max(m, Math.abs(w[i] - b[i]));
      expect(m).toBeLessThanOrEqual(half);
      expect(m).toBeGreaterThan(0);
    };
    n.edges.forEach((e, i) => {
      check(params.W[i].data, back.W[i].data, e.weights!.wMax);
      if (e.feedbackWeights) check(params.B[i]!.data, back.B[i]!.data, e.feedbackWeights.wMax);
    });
  });

  test("edgeTiles: every edge's tiles cover its matrix once, on cores of the chip", () => {
    const net = resolveNet(loadGraph(join(ROOT, 'examples', 'mnist-3hl.json')));
    const n = compileNet(net, PRESETS['sram-8b']).netlist;
    for (const t of edgeTiles(n)) {
      const seen = new Uint8Array(t.rows * t.cols);
      for (const a of t.weight) {
        expect(a.plus.length).toBe((a.rowEnd - a.rowBegin) * (a.colEnd - a.colBegin));
        expect(a.rowEnd - a.rowBegin).toBeLessThanOrEqual(128);
        expect(n.cores.map((c) => c.id)).toContain(a.core);
        for (let r = a.rowBegin; r < a.rowEnd; r++) for (let c = a.colBegin; c < a.colEnd; c++) seen[r * t.cols + c]++;
      }
      expect(seen.every((v) => v === 1)).toBe(true);
    }
  });
});

describe('a net that does not fit says what to change, with the numbers', () => {
  const spec = join(ROOT, 'examples', 'mnist-3hl.json');
  const net = resolveNet(loadGraph(spec));

  test('3HL-512 (18 arrays of 256×256) on 2×1 cores × 4 arrays', () => {
    const chip = resolveChipObject({ base: 'reram', noc: { meshWidth: 2, meshHeight: 1, arraysPerCore: 4 } }, 'small.json');
    const ds = cmpDiags(() => compileNet(net, chip));
    expect(ds).toHaveLength(1);
    const d = ds[0];
    expect(d.code).toBe('CMP001');
    expect(d.message).toContain('mnist-3hl needs 18 arrays of 256×256');
    expect(d.message).toContain('has 8 (2×1 cores × 4 arrays per core)');
    expect(d.message).toContain('W0 (input→h1, 512×784): 8');
    expect(d.hint).toContain('noc.meshWidth × noc.meshHeight of at least 2 × 3 or 3 × 3 (5 cores of 4 arrays)');
    expect(d.hint).toContain('noc.arraysPerCore ≥ 9');
    expect(d.hint).toContain('crossbar.rows = crossbar.cols = 512 (5 arrays)');
    expect(d.hint).toContain('hidden layers of at most 256 units (7 arrays)');
  });

  test('when even 1-unit layers do not fit, it says fewer units cannot help', () => {
    const chip = resolveChipObject({ base: 'reram', noc: { meshWidth: 1, meshHeight: 1, arraysPerCore: 3 } }, 'tiny.json');
    const d = cmpDiags(() => compileNet(net, chip))[0];
    expect(d.code).toBe('CMP001');
    expect(d.hint).toContain('fewer units cannot help');
  });
});

describe('CMP diagnostics, one by one', () => {
  const net = resolveNet(loadGraph(join(ROOT, 'examples', 'mnist-2hl.json')));
  const seen = new Set<string>(['CMP001']);

  test('CMP002: a state buffer too small for the groups its core hosts', () => {
    const chip = resolveChipObject({ base: 'reram', noc: { stateBufferBytes: 2048 } }, 'c.json');
    const ds = cmpDiags(() => compileNet(net, chip));
    expect(ds[0].code).toBe('CMP002');
    // h1: 512 units × (4 states × 8 bits + 3 drives × 32 bits) / 8 = 8192 bytes, plus x and copies.
    expect(ds[0].message).toMatch(/needs \d+ bytes of state buffer; chip "reram\+c\.json" has 2048/);
    expect(ds[0].hint).toMatch(/noc\.stateBufferBytes ≥ \d+/);
    expect(ds[0].hint).toContain('16 bytes on its home core');
    seen.add('CMP002');
  });

  test('CMP003: an unknown pass name for --dump-after', () => {
    const ds = cmpDiags(() =>
      compile(
        net,
        PRESETS.reram,
        paramsOf(net),
        { wMax: { kind: 'max' }, specFile: 's.json', producerVersion: 't' },
        { dumpAfter: ['partitoin'] },
      ),
    );
    expect(ds[0].code).toBe('CMP003');
    expect(ds[0].message).toContain('"partitoin"');
    expect(ds[0].hint).toContain('map-weights, partition, assign-cores, place, route, schedule, calibrate, emit');
    seen.add('CMP003');
  });

  test.each(['median', 'p0', 'p101', 'p'])('CMP004: --w-max %s', (text) => {
    const ds = cmpDiags(() => parseWMaxPolicy(text, 's.json'));
    expect(ds[0].code).toBe('CMP004');
    expect(ds[0].message).toContain(`"${text}"`);
    expect(ds[0].hint).toContain('p99.9');
    seen.add('CMP004');
  });

  test.each(['percentile', 'percentile:0', 'percentile:101', 'p99', 'auto'])('CMP006: --adc-range %s', (text) => {
    const ds = cmpDiags(() => parseAdcRangePolicy(text, 's.json'));
    expect(ds[0].code).toBe('CMP006');
    expect(ds[0].message).toContain(`"${text}"`);
    expect(ds[0].hint).toContain('percentile:99.9');
    seen.add('CMP006');
  });

  test('CMP006: a percentile ADC range without a calibration batch', () => {
    const ds = cmpDiags(() =>
      compile(net, PRESETS.reram, paramsOf(net), {
        wMax: { kind: 'max' },
        adcRange: { kind: 'percentile', p: 99 },
        specFile: 's.json',
        producerVersion: 't',
      }),
    );
    expect(ds[0].code).toBe('CMP006');
    expect(ds[0].message).toContain('percentile:99 needs a calibration batch');
  });

  test('conv edges and biases compile (CMP005, which refused them, is retired): mnist-conv on ideal', () => {
    const conv = resolveNet(loadGraph(join(ROOT, 'examples', 'mnist-conv.json')));
    const n = compile(conv, PRESETS.ideal, paramsOf(conv), {
      wMax: { kind: 'max' },
      specFile: 'mnist-conv.json',
      producerVersion: 't',
    }).netlist;
    expect(validateNetlist(n, 'mnist-conv.pb').diagnostics).toEqual([]);
    expect(n.edges.map((e) => [e.rows, e.cols, e.conv?.positions ?? 0, e.bias.length])).toEqual([
      [32, 25, 576, 32],
      [64, 800, 64, 64],
      [10, 1024, 0, 10],
    ]);
    expect(Object.keys(CMP_CODES)).not.toContain('CMP005');
  });

  test('CMP007: a conv edge pooling with "argmax": "activation" is refused (the netlist cannot carry the rule)', () => {
    const text = readFileSync(join(ROOT, 'examples', 'mnist-conv.json'), 'utf8');
    const raw = JSON.parse(text) as { edges: { pool?: Record<string, unknown> }[] };
    raw.edges[0].pool = { ...raw.edges[0].pool, argmax: 'activation' };
    const conv = resolveNet(parseGraphText(JSON.stringify(raw), 'poolrule.json'));
    const ds = cmpDiags(() =>
      compile(conv, PRESETS.ideal, paramsOf(conv), { wMax: { kind: 'max' }, specFile: 'poolrule.json', producerVersion: 't' }),
    );
    expect(ds.map((d) => [d.code, d.path])).toEqual([['CMP007', '/edges/0/pool/argmax']]);
    expect(ds[0].message).toContain('"argmax": "activation"');
    expect(ds[0].hint).toContain('remove "argmax"');
    seen.add('CMP007');
  });

  test('CMP008: the lagged nudge is refused (the netlist has no mode for it)', () => {
    const text = readFileSync(join(ROOT, 'examples', 'mnist-conv.json'), 'utf8');
    const raw = JSON.parse(text) as { dynamics: Record<string, unknown> };
    raw.dynamics.nudge = 'lagged';
    const conv = resolveNet(parseGraphText(JSON.stringify(raw), 'lagged.json'));
    const ds = cmpDiags(() =>
      compile(conv, PRESETS.ideal, paramsOf(conv), { wMax: { kind: 'max' }, specFile: 'lagged.json', producerVersion: 't' }),
    );
    expect(ds.map((d) => [d.code, d.file, d.path])).toEqual([['CMP008', 'lagged.json', '/dynamics/nudge']]);
    expect(ds[0].hint).toContain('"recomputed"');
    seen.add('CMP008');
  });

  test('CMP009: the pre-pool-map feedback and the state winner are refused, reported with the other study options in one error', () => {
    const text = readFileSync(join(ROOT, 'examples', 'mnist-conv.json'), 'utf8');
    const raw = JSON.parse(text) as { edges: { pool?: Record<string, unknown> }[]; dynamics: Record<string, unknown> };
    raw.edges[1].pool = { ...raw.edges[1].pool, feedback: 'map', winner: 'state' };
    raw.dynamics.nudge = 'lagged';
    const conv = resolveNet(parseGraphText(JSON.stringify(raw), 'mapfb.json'));
    const ds = cmpDiags(() =>
      compile(conv, PRESETS.ideal, paramsOf(conv), { wMax: { kind: 'max' }, specFile: 'mapfb.json', producerVersion: 't' }),
    );
    expect(ds.map((d) => [d.code, d.file, d.path])).toEqual([
      ['CMP009', 'mapfb.json', '/edges/1/pool/feedback'],
      ['CMP009', 'mapfb.json', '/edges/1/pool/winner'],
      ['CMP008', 'mapfb.json', '/dynamics/nudge'],
    ]);
    expect(ds[0].message).toContain('"feedback": "map"');
    expect(ds[0].hint).toContain('"winners"');
    expect(ds[1].message).toContain('"winner": "state"');
    expect(ds[1].hint).toContain('"feedforward"');
    seen.add('CMP009');
  });

  test('--w-max parses max and percentiles', () => {
    expect(parseWMaxPolicy('max', 's')).toEqual({ kind: 'max' });
    expect(parseWMaxPolicy('p99.9', 's')).toEqual({ kind: 'percentile', p: 99.9 });
  });

  test('CMP090: the IR check after a pass catches a broken invariant and names the pass', () => {
    const ir: CompilerIR = initialIR(net, PRESETS.reram, paramsOf(net), {
      wMax: { kind: 'max' },
      specFile: 's.json',
      producerVersion: 't',
    });
    for (const p of PASSES.slice(0, 2)) {
      p.run(ir);
      ir.done.push(p.name);
      verifyIR(ir, p.name);
    }
    ir.tiles.pop();
    const ds = cmpDiags(() => verifyIR(ir, 'partition'));
    expect(ds[0].code).toBe('CMP090');
    expect(ds[0].message).toContain('after pass partition');
    expect(ds[0].message).toMatch(/tiles cover \d+ of \d+/);
    seen.add('CMP090');
  });

  test('every CMP code has a case', () => {
    expect(seen).toEqual(new Set(Object.keys(CMP_CODES)));
  });
});

describe('passes', () => {
  const net = resolveNet(loadGraph(join(ROOT, 'examples', 'mnist-3hl.json')));

  test('--dump-after writes the IR as text after the named passes', () => {
    const dumps: Record<string, string> = {};
    compile(
      net,
      PRESETS['sram-8b'],
      paramsOf(net),
      { wMax: { kind: 'max' }, specFile: 's', producerVersion: 't' },
      {
        dumpAfter: ['partition', 'route'],
        onDump: (p, t) => {
          dumps[p] = t;
        },
      },
    );
    expect(Object.keys(dumps)).toEqual(['partition', 'route']);
    expect(dumps.partition).toContain('# IR after partition');
    expect(dumps.partition).toContain('t0 W0[0,0] rows [0,128) cols [0,128) reads forward trainable');
    expect(dumps.partition).not.toContain('routes:');
    expect(dumps.route).toMatch(/routes:\n {2}r0 \d+->\d+ path/);
  });

  test('placement lowers traffic × hops against cores laid out in id order', () => {
    const { ir } = compileNet(net, PRESETS['sram-8b']);
    const W = ir.chip.noc.meshWidth;
    const cost = (site: (c: number) => number) =>
      transfers(ir).reduce((s, t) => {
        const a = site(t.src);
        const b = site(t.dst);
        return s + t.bits * (Math.abs((a % W) - (b % W)) + Math.abs(Math.floor(a / W) - Math.floor(b / W)));
      }, 0);
    const placed = cost((c) => ir.cores[c].site);
    const naive = cost((c) => c);
    expect(placed).toBeLessThan(naive);
  });

  test('partial sums of a split matrix are combined by one reduction per output block, in tile order', () => {
    const { netlist } = compileNet(net, PRESETS['sram-8b']);
    const w0 = netlist.edges[0];
    const reds = netlist.reductions.filter((r) => r.edge === 0);
    expect(reds).toHaveLength(w0.tileGridRows);
    for (const r of reds) {
      expect(r.arrays).toHaveLength(w0.tileGridCols);
      expect(r.combine).toBe('COMBINE_MODE_DIGITAL_SUM');
      expect(r.target).toBe('DRIVE_BUFFER_INPUT');
      expect(r.core).toBe(netlist.groups[r.group].homeCore);
      expect(r.arrays.map((a) => netlist.arrays[a].tileCol)).toEqual([...Array(w0.tileGridCols).keys()]);
    }
  });

  test('cycle estimate of a one-array input phase, derived by hand', () => {
    const tiny = chainNet([5, 4, 3], 2, { betaI: 0.1, betaF: 0.1, T: 2, K: 1 });
    const { netlist } = compileNet(tiny, PRESETS.reram);
    const input = netlist.schedule!.phases[0];
    expect(input.ops.map((o) => o.opType)).toEqual(['LoadInput', 'ArrayRead', 'AdcConvert', 'Accumulate']);
    // LoadInput ceil(5/16)·1 + read (DAC 1 + pulse 10) + ADC min(8, 4 lines)·1 + accumulate ceil(4/16)·1.
    expect(scheduleOps(timedOps(PRESETS.reram, input)).makespan).toBe(1 + 11 + 4 + 1);
    expect(estimate(PRESETS.reram, netlist).phases[0].cycles).toBe(1 + 11 + 4 + 1);
  });
});

describe("the schedule as the simulator's timing engine sees it", () => {
  test('the estimate of every phase equals the timing engine on timedOps()', () => {
    const net = resolveNet(loadGraph(join(ROOT, 'examples', 'mnist-10l-agt.json')));
    const chip = PRESETS['sram-8b'];
    const { netlist } = compileNet(net, chip);
    const est = estimate(chip, netlist);
    netlist.schedule!.phases.forEach((ph, i) => {
      const ops = timedOps(chip, ph);
      expect(ops.every((o) => o.cycles > 0)).toBe(true);
      expect(est.phases[i].cycles).toBe(scheduleOps(ops).makespan);
    });
  });
});

describe('the schedule per nudge mode', () => {
  const make = (nudge: NudgeMode) =>
    compileNet(chainNet([20, 12, 8], 4, { betaI: 0.1, betaF: 0.2, T: 4, K: 3, nudge }), PRESETS.reram).netlist;
  const ops = (n: ReturnType<typeof make>, kind: string) => n.schedule!.phases.find((p) => p.kind === kind)!.ops;

  test('phases, repeats and training flags', () => {
    const n = make('held');
    expect(n.schedule!.phases.map((p) => [p.name, p.repeat, p.trainingOnly])).toEqual([
      ['input', 1, false],
      ['free', 4, false],
      ['readout', 1, false],
      ['error', 1, true],
      ['nudged', 3, true],
      ['update', 1, true],
    ]);
    for (const p of n.schedule!.phases)
      p.ops.forEach((o, i) => {
        expect(o.deps.every((d) => d < i)).toBe(true);
      });
  });

  test('held: the nudge drive is built once (ERROR) and added at every nudged step', () => {
    const n = make('held');
    expect(ops(n, 'PHASE_KIND_ERROR').map((o) => o.opType)).toContain('ArrayReadTransposed');
    const held = ops(n, 'PHASE_KIND_NUDGED').filter((o) => o.held === 'DRIVE_BUFFER_NUDGE');
    expect(held).toHaveLength(1);
    expect(held[0].scaleByStep).toBe(false);
    expect(ops(n, 'PHASE_KIND_NUDGED').some((o) => o.opType === 'ReadoutError')).toBe(false);
  });

  test('graph: the held nudge is scaled by the step index and the readout update uses a fresh error on the free state', () => {
    const n = make('graph');
    expect(ops(n, 'PHASE_KIND_NUDGED').find((o) => o.held === 'DRIVE_BUFFER_NUDGE')!.scaleByStep).toBe(true);
    expect(ops(n, 'PHASE_KIND_UPDATE').some((o) => o.opType === 'ReadoutError')).toBe(true);
    expect(ops(n, 'PHASE_KIND_UPDATE').find((o) => o.opType === 'OuterProductUpdate' && n.edges[o.edge].name === 'Wf')!.pre).toBe(
      'OPERAND_FREE_STATE',
    );
  });

  test('recomputed: every nudged step reads the readout, recomputes e and feeds it back', () => {
    const n = make('recomputed');
    const types = ops(n, 'PHASE_KIND_NUDGED').map((o) => o.opType);
    expect(types).toContain('ReadoutError');
    expect(types).toContain('ArrayReadTransposed');
    expect(ops(n, 'PHASE_KIND_ERROR').some((o) => o.opType === 'ArrayReadTransposed')).toBe(false);
    expect(n.dynamics!.nudge).toBe('NUDGE_MODE_RECOMPUTED');
  });

  test('every trainable array gets one outer-product update; fixed arrays none', () => {
    const n = make('held');
    const updated = ops(n, 'PHASE_KIND_UPDATE')
      .filter((o) => o.opType === 'OuterProductUpdate')
      .map((o) => o.array)
      .sort((a, b) => a - b);
    expect(updated).toEqual(n.arrays.filter((a) => a.trainable).map((a) => a.id));
  });

  test('weight columns: an offset-column chip tiles with one column fewer', () => {
    const chip = resolveChipObject(
      { base: 'reram', crossbar: { cell: 'offset-column', rows: 16, cols: 9 }, periphery: { adc: { linesPerAdc: 4 } } },
      'c.json',
    );
    expect(weightCols(chip.crossbar)).toBe(8);
    const n = compileNet(chainNet([20, 12, 8], 4, { betaI: 0.1, betaF: 0.2, T: 1, K: 1 }), chip).netlist;
    expect(n.edges.map((e) => [e.tileGridRows, e.tileGridCols])).toEqual([
      [1, 3],
      [1, 2],
      [1, 1],
    ]);
    expect(n.arrays.every((a) => a.gMinus === null)).toBe(true);
  });
});

describe('compile time (informational; the goal is < 1 s)', () => {
  test('mnist-20l-residual and mnist-3hl on a 256×256 preset', () => {
    const lines: string[] = [];
    for (const ex of ['mnist-20l-residual', 'mnist-3hl']) {
      const t0 = performance.now();
      const { report } = compileFiles({ spec: join(ROOT, 'examples', `${ex}.json`), chip: 'reram', wMax: { kind: 'max' } });
      lines.push(`${ex} on reram (256×256): ${(performance.now() - t0).toFixed(0)} ms, ${report.arraysUsed} arrays`);
    }
    console.log(lines.join('\n'));
  });
});
