/**
 * Property-based hostile-input suite (issue 16). fast-check generates damaged inputs family by
 * family — graph specs, chip descriptions, netlist files, weight files, sweep files, results files,
 * data folders, command-line flags — and every one must end the same way: exit code 1, one message
 * without a stack trace that names the offending file and field, no existing output changed (and no
 * temp file left), within a time and memory bound. Seeded (FUZZ_SEED, default 16) so a failure
 * replays; fast-check prints the seed and the shrunk counterexample.
 *
 * Speed: the CLI's entry function `cli(argv)` runs in-process (the same parser, checks and
 * handlers as the binary, minus process.exit); a representative subset runs the built binary as a
 * child process, for what only a real process shows (a character device that never ends, a gzip
 * bomb, the exit status itself).
 */
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cli } from '../cli/main';
import { resolveNet } from '../graph/net';
import { initParams } from '../graph/params';
import { saveParams } from '../graph/weights-file';
import { parseGraphText } from '../graph/load';
import { encodeNpz } from '../io/npz';
import { decodeNetlist, encodeNetlist } from '../netlist/codec';
import { loadSweep } from '../sweep/definition';
import { enumerateRuns } from '../sweep/grid';
import { LIMITS } from '../util/limits';
import { makeRng } from '../util/rng';

const SEED = Number(process.env.FUZZ_SEED ?? 16);
const ROOT = join(__dirname, '..');
const FRE = join(ROOT, 'dist', 'cli', 'main.js');

/** Cases per family per run (≥ 500 in all). */
const RUNS = { graph: 80, chip: 60, netlist: 50, weights: 70, sweep: 60, results: 70, data: 50, flags: 100 };
type Family = keyof typeof RUNS;
const counts: Record<string, number> = {};

const dir = mkdtempSync(join(tmpdir(), 'fre-hostile-'));
const OUT = join(dir, 'out');
const CASES = join(dir, 'cases');
const f = (name: string) => join(dir, name);

// ---------------------------------------------------------------------------------------------
// Fixtures: one valid file of every kind, and existing outputs that no failing command may touch.

const SPEC = {
  format: 'fre-graph/1',
  name: 'tiny',
  data: { dataset: 'synthetic' },
  input: { size: 784 },
  layers: [
    { name: 'h1', size: 16 },
    { name: 'h2', size: 12 },
  ],
  output: { classes: 10 },
  edges: [
    { name: 'W0', from: 'input', to: 'h1' },
    { name: 'W1', from: 'h1', to: 'h2', feedback: { kind: 'symmetric', beta: 0.01 } },
    { name: 'Wf', from: 'h2', to: 'output' },
  ],
  dynamics: { T: 4, K: 2, betaF: 0.1 },
  training: { optimizer: { kind: 'adam', lr: 0.003 }, batchSize: 10, epochs: 1, seed: 0 },
};
const SPEC_MNIST = { ...SPEC, name: 'tiny-mnist', data: { dataset: 'mnist' } };
const OUTPUTS = ['net.pb', 'report.json', 'w.npz', 'trace.json', 'plot.svg', 'merged.jsonl'];
const out = (name: string) => join(OUT, name);

let okDigests = new Map<string, string>();
let sweepLines: string[] = [];

function digestOutputs(): Map<string, string> {
  const m = new Map<string, string>();
  for (const n of readdirSync(OUT))
    m.set(
      n,
      createHash('sha256')
        .update(readFileSync(join(OUT, n)))
        .digest('hex'),
    );
  return m;
}

/** IDX bytes: images [count, rows, cols] or labels [count]. */
function idx(dims: number[], data: Uint8Array): Buffer {
  const h = Buffer.alloc(4 + 4 * dims.length);
  h[2] = 0x08;
  h[3] = dims.length;
  dims.forEach((d, i) => h.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([h, Buffer.from(data)]);
}

function writeDataDir(
  d: string,
  o: { train?: number; test?: number; testSide?: number; badLabel?: number; truncate?: boolean } = {},
): void {
  mkdirSync(d, { recursive: true });
  const rng = makeRng(`data/${d}`);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => rng.int(256));
  const labels = (n: number) => Uint8Array.from({ length: n }, () => rng.int(10));
  const train = o.train ?? 20;
  const test = o.test ?? 10;
  const side = o.testSide ?? 28;
  const trainLabels = labels(train);
  if (o.badLabel !== undefined && train > 0) trainLabels[o.badLabel % train] = 10 + (o.badLabel % 246);
  let images = idx([train, 28, 28], bytes(train * 784));
  if (o.truncate) images = images.subarray(0, images.length - 1 - (train % 7));
  writeFileSync(join(d, 'train-images-idx3-ubyte'), images);
  writeFileSync(join(d, 'train-labels-idx1-ubyte'), idx([train], trainLabels));
  writeFileSync(join(d, 't10k-images-idx3-ubyte'), idx([test, side, side], bytes(test * side * side)));
  writeFileSync(join(d, 't10k-labels-idx1-ubyte'), idx([test], labels(test)));
}

beforeAll(async () => {
  mkdirSync(OUT);
  mkdirSync(CASES);
  writeFileSync(f('spec.json'), JSON.stringify(SPEC, null, 2));
  writeFileSync(f('spec-mnist.json'), JSON.stringify(SPEC_MNIST, null, 2));
  writeFileSync(f('chip.json'), JSON.stringify({ base: 'ideal' }));
  const net = resolveNet(parseGraphText(JSON.stringify(SPEC), 'spec.json'));
  saveParams(f('w-good.npz'), net, initParams(net, makeRng(0)));
  for (const args of [
    ['compile', f('spec.json'), '--chip', 'ideal', '-o', f('net.pb')],
    ['compile', f('spec.json'), '--chip', 'ideal', '-o', f('netx.pb'), '--external-data'],
  ]) {
    const r = await run(args);
    if (r.code !== 0) throw new Error(`fixture: fre ${args.join(' ')} failed: ${r.err}`);
  }
  writeFileSync(
    f('sweep.json'),
    JSON.stringify({
      format: 'fre-sweep/1',
      name: 'fz',
      runner: 'train',
      graph: 'spec.json',
      data: { trainLimit: 20, testLimit: 10 },
      axes: [{ name: 'beta', path: 'graph.edges[1].feedback.beta', values: [0.01, 0.02] }],
      seeds: 2,
    }),
  );
  const def = loadSweep(f('sweep.json'));
  const runs = enumerateRuns(def);
  sweepLines = runs.map((r) =>
    JSON.stringify({
      sweep: def.name,
      sweepHash: def.hash,
      index: r.index,
      total: runs.length,
      point: r.point,
      seed: r.seed,
      method: r.method,
      metrics: { bestTestAccuracy: 0.5, finalTestAccuracy: 0.5 },
      config: { runner: 'train' },
      seconds: 1,
      finished: '2026-01-01T00:00:00.000Z',
    }),
  );
  writeDataDir(f('data-good'));
  // A gzip bomb: 1 MiB-ish of gzip that inflates past the dataset budget.
  writeFileSync(f('bomb.gz'), gzipSync(Buffer.alloc(LIMITS.dataInflatedBytes + 2 ** 20), { level: 9 }));
  for (const n of OUTPUTS) writeFileSync(out(n), `existing ${n}: must survive every failing command\n`);
  okDigests = digestOutputs();
  // Sanity: the valid fixtures pass, so a failure below is the hostile part's doing.
  expect((await run(['validate', f('net.pb')])).code).toBe(0);
  expect((await run(['validate', f('netx.pb')])).code).toBe(0);
  expect((await run(['sweep', f('sweep.json'), '--dry-run'])).code).toBe(0);
  writeFileSync(f('results-good.jsonl'), sweepLines.join('\n') + '\n');
  expect((await run(['sweep', 'report', f('results-good.jsonl')])).code).toBe(0);
}, 120000);

afterAll(() => {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  process.stderr.write(
    `hostile fuzz (seed ${SEED}): ${total} cases: ${Object.entries(counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}\n`,
  );
});

// ---------------------------------------------------------------------------------------------
// Running one case and judging it.

interface Outcome {
  code: number;
  err: string;
  out: string;
  ms: number;
  rssMb: number;
}

async function run(argv: string[]): Promise<Outcome> {
  const err: string[] = [];
  const so: string[] = [];
  const ew = process.stderr.write;
  const ow = process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => {
    err.push(String(c));
    return true;
  }) as typeof process.stderr.write;
  process.stdout.write = ((c: string | Uint8Array) => {
    so.push(String(c));
    return true;
  }) as typeof process.stdout.write;
  const t0 = performance.now();
  let code: number;
  try {
    code = await cli(argv);
  } finally {
    process.stderr.write = ew;
    process.stdout.write = ow;
    process.exitCode = undefined;
  }
  return { code, err: err.join(''), out: so.join(''), ms: performance.now() - t0, rssMb: process.memoryUsage().rss / 2 ** 20 };
}

const STACK = /^\s+at .+:\d+:\d+\)?$/m;
const MAX_MS = 20000;
const MAX_RSS_MB = 3072;

interface Case {
  family: Family;
  argv: string[];
  /** Fragments the message must contain: the file, and the field (a JSON pointer, a flag, an array, a line). */
  names: string[];
}

function judge(c: Case, r: Outcome): void {
  const what = `fre ${c.argv.join(' ')}\n--- exit ${r.code}, stderr:\n${r.err.slice(0, 2000)}`;
  const fail = (why: string) => {
    throw new Error(`${why}\n${what}`);
  };
  if (r.code !== 1) fail(`exit code ${r.code}, not 1`);
  if (STACK.test(r.err) || /internal error/.test(r.err)) fail('a stack trace or an internal error');
  if (!r.err.startsWith('fre: ')) fail('no clean "fre: …" message');
  for (const n of c.names) if (!r.err.includes(n)) fail(`the message does not name ${JSON.stringify(n)}`);
  if (r.ms > MAX_MS) fail(`took ${r.ms.toFixed(0)} ms`);
  if (r.rssMb > MAX_RSS_MB) fail(`resident memory ${r.rssMb.toFixed(0)} MB`);
  const now = digestOutputs();
  if (now.size !== okDigests.size || [...okDigests].some(([k, v]) => now.get(k) !== v)) {
    fail(`an existing output changed or a file was left in ${OUT}: ${[...now.keys()].join(', ')}`);
  }
}

async function check(family: Family, arb: fc.Arbitrary<() => Case>, timeout = 170000): Promise<void> {
  let n = 0;
  await fc.assert(
    fc.asyncProperty(arb, async (make) => {
      const c = make();
      judge(c, await run(c.argv));
      n++;
    }),
    { seed: SEED, numRuns: RUNS[family], endOnFailure: true },
  );
  counts[family] = (counts[family] ?? 0) + n;
  expect(n).toBe(RUNS[family]);
  void timeout;
}

let caseNo = 0;
/** A fresh file for one case. */
function caseFile(name: string, content: string | Uint8Array): string {
  const p = join(CASES, `${caseNo++}-${name}`);
  writeFileSync(p, content);
  return p;
}

// ---------------------------------------------------------------------------------------------
// Hostile values.

const INF = '__INF__';
/** JSON text; the marker becomes a number literal that overflows to Infinity (1e999). */
const json = (v: unknown) => JSON.stringify(v, null, 1).replace(new RegExp(`"${INF}"`, 'g'), '1e999');

const notANumber = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constant(null),
  fc.boolean(),
  fc.constant([]),
  fc.constant({}),
  fc.constant(INF),
);
/** Not a count in [1, limit]: over the limit, zero or negative, fractional, not a number. */
const badCount = (limit: number) =>
  fc.oneof(
    fc.integer({ min: limit + 1, max: Number.MAX_SAFE_INTEGER }),
    fc.double({ min: 1e7, max: 1e300, noNaN: true }).filter((x) => x > limit),
    fc.integer({ min: -1e12, max: 0 }),
    fc.double({ min: 1.01, max: 1000, noNaN: true }).filter((x) => !Number.isInteger(x)),
    notANumber,
  );
const badPositive = fc.oneof(fc.double({ min: -1e300, max: 0, noNaN: true }), notANumber);

const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);

// ---------------------------------------------------------------------------------------------
// Families.

/** A command that reads a graph spec, with existing outputs as its targets. */
const specCommands = (spec: string) => [
  ['compile', spec, '--chip', 'ideal', '-o', out('net.pb'), '--report', out('report.json')],
  ['train', spec, '--save', out('w.npz')],
  ['analyze', spec, '--plot', out('plot.svg')],
  ['run', spec, '--chip', 'ideal', '--trace', out('trace.json')],
];

const GRAPH_FIELDS: Array<{ ptr: string; set: (s: any, v: unknown) => void; bad: fc.Arbitrary<unknown> }> = [
  {
    ptr: '/layers/0/size',
    set: (s, v) => {
      s.layers[0].size = v;
    },
    bad: badCount(LIMITS.layerUnits),
  },
  {
    ptr: '/layers/1/size',
    set: (s, v) => {
      s.layers[1].size = v;
    },
    bad: badCount(LIMITS.layerUnits),
  },
  {
    ptr: '/input/size',
    set: (s, v) => {
      s.input.size = v;
    },
    bad: badCount(LIMITS.layerUnits),
  },
  {
    ptr: '/output/classes',
    set: (s, v) => {
      s.output.classes = v;
    },
    bad: badCount(LIMITS.classes),
  },
  {
    ptr: '/dynamics/T',
    set: (s, v) => {
      s.dynamics.T = v;
    },
    bad: badCount(LIMITS.steps),
  },
  {
    ptr: '/dynamics/K',
    set: (s, v) => {
      s.dynamics.K = v;
    },
    bad: badCount(LIMITS.steps),
  },
  {
    ptr: '/dynamics/betaF',
    set: (s, v) => {
      s.dynamics.betaF = v;
    },
    bad: badPositive,
  },
  {
    ptr: '/training/batchSize',
    set: (s, v) => {
      s.training.batchSize = v;
    },
    bad: badCount(LIMITS.batchSize),
  },
  {
    ptr: '/training/epochs',
    set: (s, v) => {
      s.training.epochs = v;
    },
    bad: badCount(LIMITS.epochs),
  },
  {
    ptr: '/training/optimizer/lr',
    set: (s, v) => {
      s.training.optimizer.lr = v;
    },
    bad: badPositive,
  },
  {
    ptr: '/edges/1/name',
    set: (s, v) => {
      s.edges[1].name = v;
    },
    bad: fc.oneof(
      fc.tuple(pick(['W0', 'Wf', 'W1', 'x']), pick(['.feedback', '.bias', '.npy', '/a', ' ', '.'])).map(([a, b]) => a + b),
      fc.string({ minLength: 65, maxLength: 200 }).map((x) => `W${x}`),
      fc.constantFrom('', '1W', '-W', 'W 1', 'W\u0000', '../W'),
      fc.constantFrom(null, 3, true),
    ),
  },
];

const graphArb: fc.Arbitrary<() => Case> = fc.oneof(
  // One field broken.
  fc.tuple(pick(GRAPH_FIELDS), fc.nat(), fc.nat(3)).chain(([fld, _n, cmd]) =>
    fld.bad.map((v) => () => {
      const s = structuredClone(SPEC) as any;
      fld.set(s, v);
      const p = caseFile('spec.json', json(s));
      return { family: 'graph' as const, argv: specCommands(p)[cmd], names: [p, fld.ptr] };
    }),
  ),
  // Whole documents that are not specs: bytes, truncated JSON, deep nesting, other JSON values.
  fc
    .tuple(
      fc.oneof(
        fc
          .uint8Array({ minLength: 1, maxLength: 300 })
          .map((b) => ({ text: Buffer.from([0x7b, ...b]) as Uint8Array | string, ptr: 'FRE001' })),
        fc
          .integer({ min: 1, max: JSON.stringify(SPEC, null, 2).length - 2 })
          .map((k) => ({ text: JSON.stringify(SPEC, null, 2).slice(0, k) as Uint8Array | string, ptr: 'FRE001' })),
        fc
          .integer({ min: 1000, max: 200000 })
          .map((d) => ({ text: ('['.repeat(d) + ']'.repeat(d)) as Uint8Array | string, ptr: 'FRE011' })),
        fc
          .oneof(fc.constant('null'), fc.constant('[]'), fc.constant('"spec"'), fc.constant('1e999'))
          .map((t) => ({ text: t as Uint8Array | string, ptr: 'FRE011' })),
      ),
      fc.nat(3),
    )
    .map(([d, cmd]) => () => {
      const p = caseFile('spec.json', d.text);
      return { family: 'graph' as const, argv: specCommands(p)[cmd], names: [p, d.ptr] };
    }),
);

const CHIP_FIELDS: Array<{ ptr: string; section: string[]; key: string; bad: fc.Arbitrary<unknown> }> = [
  { ptr: '/crossbar/rows', section: ['crossbar'], key: 'rows', bad: badCount(65536) },
  { ptr: '/crossbar/cols', section: ['crossbar'], key: 'cols', bad: badCount(65536) },
  { ptr: '/crossbar/gMaxUS', section: ['crossbar'], key: 'gMaxUS', bad: badPositive },
  { ptr: '/noc/meshWidth', section: ['noc'], key: 'meshWidth', bad: badCount(1024) },
  { ptr: '/noc/meshHeight', section: ['noc'], key: 'meshHeight', bad: badCount(1024) },
  { ptr: '/noc/arraysPerCore', section: ['noc'], key: 'arraysPerCore', bad: badCount(65536) },
  { ptr: '/neuron/lanes', section: ['neuron'], key: 'lanes', bad: badCount(1 << 20) },
  { ptr: '/periphery/adc/linesPerAdc', section: ['periphery', 'adc'], key: 'linesPerAdc', bad: badCount(65536) },
  { ptr: '/clock/frequencyMhz', section: ['clock'], key: 'frequencyMhz', bad: badPositive },
];

const chipCommands = (chip: string) => [
  ['compile', f('spec.json'), '--chip', chip, '-o', out('net.pb'), '--report', out('report.json')],
  ['run', f('spec.json'), '--chip', chip, '--trace', out('trace.json')],
  ['validate', f('net.pb'), '--chip', chip],
];

const chipArb: fc.Arbitrary<() => Case> = fc.oneof(
  fc.tuple(pick(CHIP_FIELDS), fc.nat(2)).chain(([fld, cmd]) =>
    fld.bad.map((v) => () => {
      const o: any = { base: 'ideal' };
      let at = o;
      for (const k of fld.section) at = at[k] = {};
      at[fld.key] = v;
      const p = caseFile('chip.json', json(o));
      return { family: 'chip' as const, argv: chipCommands(p)[cmd], names: [p, fld.ptr] };
    }),
  ),
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.nat(2)).map(([b, cmd]) => () => {
    const p = caseFile('chip.json', Buffer.from([0x5b, 0x7b, ...b]));
    return { family: 'chip' as const, argv: chipCommands(p)[cmd], names: [p, 'HW001'] };
  }),
);

const netCommands = (n: string) => [
  ['inspect', n],
  ['validate', n],
  ['simulate', n, '--trace', out('trace.json')],
];

const netlistArb: fc.Arbitrary<() => Case> = fc.oneof(
  // Bytes that are not a protobuf (an invalid wire type in the first tag).
  fc
    .tuple(fc.integer({ min: 1, max: 15 }), fc.constantFrom(6, 7), fc.uint8Array({ maxLength: 200 }), fc.nat(2))
    .map(([field, wire, rest, cmd]) => () => {
      const p = caseFile('net.pb', Buffer.from([(field << 3) | wire, ...rest]));
      return { family: 'netlist' as const, argv: netCommands(p)[cmd], names: [p, 'NET002'] };
    }),
  // An empty file, a directory, a missing file.
  fc.tuple(fc.constantFrom('empty', 'dir', 'missing'), fc.nat(2)).map(([kind, cmd]) => () => {
    const p = join(CASES, `${caseNo++}-net.pb`);
    if (kind === 'empty') writeFileSync(p, '');
    if (kind === 'dir') mkdirSync(p);
    return { family: 'netlist' as const, argv: netCommands(p)[cmd], names: [p, kind === 'empty' ? 'the file is empty' : 'NET001'] };
  }),
  // External data that is missing, cut short, altered, or a directory.
  fc.tuple(fc.constantFrom('missing', 'short', 'flip', 'dir'), fc.nat(), fc.nat(2)).map(([kind, k, cmd]) => () => {
    const sub = join(CASES, `${caseNo++}-ext`);
    mkdirSync(sub);
    const p = join(sub, 'netx.pb');
    writeFileSync(p, readFileSync(f('netx.pb')));
    const data = readFileSync(f('netx.pb.data'));
    if (kind === 'short') writeFileSync(`${p}.data`, data.subarray(0, k % data.length));
    if (kind === 'flip') {
      const b = Buffer.from(data);
      b[k % b.length] ^= 1 + (k % 255);
      writeFileSync(`${p}.data`, b);
    }
    if (kind === 'dir') mkdirSync(`${p}.data`);
    return { family: 'netlist' as const, argv: netCommands(p)[cmd], names: [p, 'external_data', 'NET023'] };
  }),
);

/** Valid weights as arrays (name → [data, shape]) that a case then damages. */
function goodArrays(): Map<string, { data: Float32Array | Float64Array; shape: number[] }> {
  const net = resolveNet(parseGraphText(JSON.stringify(SPEC), 'spec.json'));
  const p = initParams(net, makeRng(0));
  return new Map(net.edges.map((e) => [e.name, { data: p.W[e.index].data, shape: [e.rows, e.cols] }]));
}

const weightCommands = (w: string) => [
  ['train', f('spec.json'), '--init', w, '--save', out('w.npz')],
  ['compile', f('spec.json'), '--chip', 'ideal', '--weights', w, '-o', out('net.pb')],
  ['analyze', f('spec.json'), '--init', w, '--plot', out('plot.svg')],
  ['run', f('spec.json'), '--chip', 'ideal', '--weights', w, '--trace', out('trace.json')],
];

const weightsArb: fc.Arbitrary<() => Case> = fc.oneof(
  // NaN or ±Inf at some entry, in float32, or float64 beyond float32's range.
  fc
    .tuple(pick(['W0', 'W1', 'Wf']), fc.nat(), fc.constantFrom(NaN, Infinity, -Infinity, 1e300, -1e39), fc.boolean(), fc.nat(3))
    .map(([key, i, v, f64, cmd]) => () => {
      const arrays = goodArrays();
      const a = arrays.get(key)!;
      const data = f64 || Math.abs(v) > 3.4e38 ? Float64Array.from(a.data) : Float32Array.from(a.data);
      data[i % data.length] = v;
      arrays.set(key, { data, shape: a.shape });
      const p = caseFile('w.npz', encodeNpz(arrays));
      return { family: 'weights' as const, argv: weightCommands(p)[cmd], names: [p, 'FRE041', `'${key}'`] };
    }),
  // A wrong shape or a missing array.
  fc.tuple(pick(['W0', 'W1', 'Wf']), fc.constantFrom('transpose', 'grow', 'drop'), fc.nat(3)).map(([key, how, cmd]) => () => {
    const arrays = goodArrays();
    const a = arrays.get(key)!;
    if (how === 'drop') arrays.delete(key);
    else if (how === 'transpose') arrays.set(key, { data: a.data, shape: [a.shape[1], a.shape[0]] });
    else arrays.set(key, { data: new Float32Array(a.data.length + a.shape[1]), shape: [a.shape[0] + 1, a.shape[1]] });
    const p = caseFile('w.npz', encodeNpz(arrays));
    return { family: 'weights' as const, argv: weightCommands(p)[cmd], names: [p, 'FRE040', `'${key}'`] };
  }),
  // Archives that are damaged: cut short, a flipped byte (CRC), random bytes, a member claiming to inflate past the budget.
  fc.tuple(fc.constantFrom('cut', 'flip', 'bytes', 'bomb'), fc.nat(), fc.nat(3)).map(([how, k, cmd]) => () => {
    const good = readFileSync(f('w-good.npz'));
    let b: Buffer;
    if (how === 'cut') b = good.subarray(0, k % (good.length - 1));
    else if (how === 'flip') {
      b = Buffer.from(good);
      const at = 200 + (k % (good.length - 400));
      b[at] ^= 0xff;
    } else if (how === 'bytes') b = Buffer.from(Array.from({ length: 64 + (k % 500) }, (_, j) => (j * 131 + k) & 0xff));
    else b = bombNpz(k);
    const p = caseFile('w.npz', b);
    return { family: 'weights' as const, argv: weightCommands(p)[cmd], names: [p, 'FRE040'] };
  }),
);

/** A valid compressed .npz whose central directory claims a member inflates past the budget. */
function bombNpz(k: number): Buffer {
  const b = Buffer.from(encodeNpz({ W0: { data: new Float32Array(64), shape: [64] } }, { compress: true }));
  const cd = b.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  b.writeUInt32LE(LIMITS.weightsInflatedBytes + 1 + (k % 1000), cd + 24); // uncompressed size
  b.writeUInt32LE(Math.ceil((LIMITS.weightsInflatedBytes + 1 + (k % 1000)) / 1000), cd + 20); // a plausible compressed size
  return b;
}

const SWEEP_BASE = () => ({
  format: 'fre-sweep/1',
  name: 'fz',
  runner: 'train',
  graph: f('spec.json'),
  data: { trainLimit: 20, testLimit: 10 },
  axes: [{ name: 'beta', path: 'graph.edges[1].feedback.beta', values: [0.01, 0.02] }] as any[],
  seeds: 2 as unknown,
});

const sweepArb: fc.Arbitrary<() => Case> = fc.oneof(
  fc.integer({ min: LIMITS.axisValues + 1, max: 1e12 }).map((steps) => () => {
    const s = SWEEP_BASE();
    s.axes[0].values = { from: 0.001, to: 0.1, steps, scale: 'log' };
    const p = caseFile('sweep.json', json(s));
    return { family: 'sweep' as const, argv: ['sweep', p, '--dry-run'], names: [p, '/axes/0/values/steps'] };
  }),
  fc.oneof(fc.integer({ min: LIMITS.seeds + 1, max: 1e12 }), fc.integer({ min: -1e9, max: 0 }), notANumber).map((seeds) => () => {
    const s = SWEEP_BASE();
    s.seeds = seeds;
    const p = caseFile('sweep.json', json(s));
    return { family: 'sweep' as const, argv: ['sweep', p, '--dry-run'], names: [p, '/seeds'] };
  }),
  // Axes each within their limit whose product is not.
  fc.tuple(fc.integer({ min: 400, max: 10000 }), fc.integer({ min: 400, max: 10000 })).map(([a, b]) => () => {
    const s = SWEEP_BASE();
    s.axes = [
      { name: 'beta', path: 'graph.edges[1].feedback.beta', values: { from: 0.001, to: 0.1, steps: a } },
      { name: 'bf', path: 'graph.dynamics.betaF', values: { from: 0.01, to: 1, steps: b } },
    ];
    const p = caseFile('sweep.json', json(s));
    return { family: 'sweep' as const, argv: ['sweep', p, '--dry-run'], names: [p, '/axes', String(LIMITS.sweepRuns)] };
  }),
  // A base graph that is missing, a folder, or not JSON.
  fc.constantFrom('missing', 'dir', 'garbage').map((kind) => () => {
    const g = join(CASES, `${caseNo++}-g.json`);
    if (kind === 'dir') mkdirSync(g);
    if (kind === 'garbage') writeFileSync(g, '{"format": ');
    const s = SWEEP_BASE();
    s.graph = g;
    const p = caseFile('sweep.json', json(s));
    return { family: 'sweep' as const, argv: ['sweep', p, '--dry-run'], names: [p, '/graph'] };
  }),
  fc.tuple(fc.constantFrom('format', 'runner', 'axes', 'extra'), fc.string({ maxLength: 10 })).map(([k, v]) => () => {
    const s: any = SWEEP_BASE();
    if (k === 'extra') s[`x${v}`] = 1;
    else s[k] = k === 'axes' ? v : `${v}?`;
    const p = caseFile('sweep.json', json(s));
    return { family: 'sweep' as const, argv: ['sweep', p, '--dry-run'], names: [p, k === 'extra' ? `/x${v}` : `/${k}`] };
  }),
);

const RESULT_FIELDS: Array<{ field: string; bad: fc.Arbitrary<unknown> }> = [
  { field: 'index', bad: fc.oneof(fc.integer({ min: -1e9, max: -1 }), fc.constantFrom(1e20, 2.5, 4, 1e9), notANumber) },
  { field: 'total', bad: fc.oneof(fc.integer({ min: LIMITS.sweepRuns + 1, max: 1e15 }), fc.integer({ min: -1e9, max: 0 }), notANumber) },
  { field: 'seed', bad: fc.oneof(fc.double({ min: 0.1, max: 0.9, noNaN: true }), fc.string({ maxLength: 5 }), fc.constant(null)) },
  { field: 'metrics', bad: fc.oneof(fc.string({ maxLength: 5 }), fc.constant(null), fc.constant([]), fc.constant(5)) },
  { field: 'bestTestAccuracy', bad: fc.oneof(fc.string({ maxLength: 5 }), fc.boolean(), fc.constant({}), fc.constant([1])) },
];

const resultsCommands = (r: string) => [
  ['sweep', 'merge', r, '-o', out('merged.jsonl')],
  ['sweep', 'report', r, '--svg', out('plot.svg')],
  ['sweep', f('sweep.json'), '--resume', '-o', r],
];

const resultsArb: fc.Arbitrary<() => Case> = fc.oneof(
  fc.tuple(pick(RESULT_FIELDS), fc.nat(3), fc.nat(2)).chain(([fld, line, cmd]) =>
    fld.bad.map((v) => () => {
      const lines = sweepLines.map((l) => JSON.parse(l));
      if (fld.field === 'bestTestAccuracy') lines[line].metrics.bestTestAccuracy = v;
      else lines[line][fld.field] = v;
      const p = caseFile('r.jsonl', lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
      return {
        family: 'results' as const,
        argv: resultsCommands(p)[cmd],
        names: [p, `line ${line + 1}`, fld.field === 'bestTestAccuracy' ? '"bestTestAccuracy"' : `"${fld.field}"`],
      };
    }),
  ),
  // A point outside the grid: a line's index reused for another point, or a point the grid does not have.
  fc
    .tuple(fc.nat(3), fc.integer({ min: 1, max: 3 }), fc.nat(2), fc.double({ min: 0.03, max: 5, noNaN: true }))
    .map(([a, d, cmd, beta]) => () => {
      const lines = sweepLines.map((l) => JSON.parse(l));
      const b = (a + d) % 4;
      if (cmd === 2) lines[b].point = { beta };
      else lines[b].index = lines[a].index;
      const p = caseFile('r.jsonl', lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
      return { family: 'results' as const, argv: resultsCommands(p)[cmd], names: [p, 'line '] };
    }),
);

const dataCommands = (d: string) => [
  ['train', f('spec-mnist.json'), '--data-dir', d, '--save', out('w.npz')],
  ['analyze', f('spec-mnist.json'), '--data-dir', d, '--plot', out('plot.svg')],
];

const dataArb: fc.Arbitrary<() => Case> = fc
  .tuple(fc.constantFrom('test-side', 'no-train', 'no-test', 'bad-label', 'truncated', 'bomb', 'garbage', 'missing'), fc.nat(), fc.nat(1))
  .map(([kind, k, cmd]) => () => {
    const d = join(CASES, `${caseNo++}-data`);
    const side = [7, 14, 27, 29, 32][k % 5];
    writeDataDir(d, {
      testSide: kind === 'test-side' ? side : undefined,
      train: kind === 'no-train' ? 0 : undefined,
      test: kind === 'no-test' ? 0 : undefined,
      badLabel: kind === 'bad-label' ? k : undefined,
      truncate: kind === 'truncated',
    });
    const ti = join(d, 't10k-images-idx3-ubyte');
    let names: string[];
    if (kind === 'test-side') names = [d, '/test/shape', `[1, ${side}, ${side}]`];
    else if (kind === 'no-train') names = [d, '/train'];
    else if (kind === 'no-test') names = [d, '/test'];
    else if (kind === 'bad-label') names = [join(d, 'train-labels-idx1-ubyte'), 'label'];
    else if (kind === 'truncated') names = [join(d, 'train-images-idx3-ubyte'), 'header declares'];
    else if (kind === 'bomb') {
      unlinkSync(ti);
      copyFileSync(f('bomb.gz'), `${ti}.gz`);
      names = [`${ti}.gz`, 'gunzips to more than'];
    } else if (kind === 'garbage') {
      writeFileSync(ti, Buffer.from([0x13, 0x37, ...Array.from({ length: k % 64 }, (_, j) => j)]));
      names = [ti];
    } else {
      unlinkSync(ti);
      names = [d, 't10k-images-idx3-ubyte'];
    }
    return { family: 'data' as const, argv: dataCommands(d)[cmd], names };
  });

/** Commands whose other arguments are valid, so the flag is the only fault. */
const FLAG_BASES: Record<string, string[]> = {
  train: ['train', f('spec.json')],
  compile: ['compile', f('spec.json'), '--chip', 'ideal', '-o', out('net.pb')],
  simulate: ['simulate', f('net.pb')],
  analyze: ['analyze', f('spec.json')],
  sweep: ['sweep', f('sweep.json'), '--dry-run'],
};
const NUMBER_FLAGS: Array<{ cmd: string; flag: string; range: [number, number]; integer: boolean }> = [
  { cmd: 'train', flag: 'epochs', range: [1, LIMITS.epochs], integer: true },
  { cmd: 'train', flag: 'seed', range: [-(2 ** 31), 2 ** 32 - 1], integer: true },
  { cmd: 'train', flag: 'train-limit', range: [1, LIMITS.samples], integer: true },
  { cmd: 'train', flag: 'test-limit', range: [1, LIMITS.samples], integer: true },
  { cmd: 'simulate', flag: 'drift-seconds', range: [0, LIMITS.driftSeconds], integer: false },
  { cmd: 'simulate', flag: 'trace-samples', range: [1, LIMITS.traceSamples], integer: true },
  { cmd: 'simulate', flag: 'epochs', range: [1, LIMITS.epochs], integer: true },
  { cmd: 'analyze', flag: 'samples', range: [1, LIMITS.samples], integer: true },
  { cmd: 'analyze', flag: 'max-steps', range: [1, LIMITS.steps], integer: true },
  { cmd: 'analyze', flag: 'te', range: [2, LIMITS.steps], integer: true },
  { cmd: 'sweep', flag: 'workers', range: [1, LIMITS.workers], integer: true },
  { cmd: 'sweep', flag: 'retries', range: [0, LIMITS.retries], integer: true },
];
const STRING_FLAGS: Array<{ cmd: string; flag: string }> = [
  { cmd: 'train', flag: 'save' },
  { cmd: 'train', flag: 'init' },
  { cmd: 'train', flag: 'data-dir' },
  { cmd: 'compile', flag: 'report' },
  { cmd: 'compile', flag: 'weights' },
  { cmd: 'simulate', flag: 'trace' },
  { cmd: 'analyze', flag: 'plot' },
  { cmd: 'analyze', flag: 'init' },
  { cmd: 'sweep', flag: 'out' },
];
const OUTPUT_FLAGS: Array<{ cmd: string; flag: string }> = [
  { cmd: 'train', flag: 'save' },
  { cmd: 'compile', flag: 'report' },
  { cmd: 'compile', flag: 'out' },
  { cmd: 'simulate', flag: 'trace' },
  { cmd: 'analyze', flag: 'plot' },
];

const flagsArb: fc.Arbitrary<() => Case> = fc.oneof(
  // A number flag with a value that is not a number, or out of its range.
  fc
    .tuple(
      pick(NUMBER_FLAGS),
      fc.oneof(
        fc.constantFrom('abc', 'NaN', '0x', '', 'Infinity', '-Infinity', '1e999', '--'),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
      ),
    )
    .filter(([nf, v]) => {
      const x = typeof v === 'number' ? v : Number(v);
      return (
        !(Number.isFinite(x) && x >= nf.range[0] && x <= nf.range[1] && (!nf.integer || Number.isInteger(x))) || v === '' || v === '--'
      );
    })
    .map(([nf, v]) => () => ({
      family: 'flags' as const,
      argv: [...FLAG_BASES[nf.cmd], `--${nf.flag}=${typeof v === 'number' ? String(v) : v}`],
      names: [v === '' || v === '--' ? `${nf.flag}` : `--${nf.flag}`],
    })),
  // A flag given twice, or given without its value.
  fc.tuple(fc.oneof(pick(NUMBER_FLAGS), pick(STRING_FLAGS)), fc.boolean()).map(([sf, twice]) => () => {
    const v = 'range' in sf ? String(Math.max(sf.range[0], 1)) : join(dir, 'x.npz');
    return {
      family: 'flags' as const,
      argv: twice ? [...FLAG_BASES[sf.cmd], `--${sf.flag}`, v, `--${sf.flag}`, v] : [...FLAG_BASES[sf.cmd], `--${sf.flag}`],
      names: [sf.flag],
    };
  }),
  // An output path that cannot be written: a missing folder, a folder, a file as folder, empty.
  fc
    .tuple(
      pick(OUTPUT_FLAGS),
      fc.constantFrom('nodir', 'isdir', 'under-file', 'empty'),
      fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !/[\0/]/.test(s)),
    )
    .map(([of, kind, name]) => () => {
      const p =
        kind === 'nodir'
          ? join(dir, `no-such-${caseNo++}`, `${name}.x`)
          : kind === 'isdir'
            ? OUT
            : kind === 'under-file'
              ? join(out('net.pb'), 'x')
              : '';
      const base = FLAG_BASES[of.cmd].filter((x, i, a) => !(of.flag === 'out' && (x === '-o' || a[i - 1] === '-o')));
      return { family: 'flags' as const, argv: [...base, `--${of.flag}=${p}`], names: kind === 'empty' ? [of.flag] : [p] };
    }),
  // A flag the command does not have.
  fc
    .tuple(pick(Object.keys(FLAG_BASES)), fc.stringMatching(/^[a-z][a-z-]{2,12}$/))
    .filter(([, n]) => !['help', 'version'].includes(n))
    .map(([cmd, n]) => () => ({
      family: 'flags' as const,
      argv: [...FLAG_BASES[cmd], `--zz-${n}`, '1'],
      names: [`zz-${n}`],
    })),
);

// ---------------------------------------------------------------------------------------------

describe('hostile inputs, in-process (cli(argv))', () => {
  test('graph specs', () => check('graph', graphArb), 170000);
  test('chip descriptions', () => check('chip', chipArb), 170000);
  test('netlist files', () => check('netlist', netlistArb), 170000);
  test('weight files', () => check('weights', weightsArb), 170000);
  test('sweep files', () => check('sweep', sweepArb), 170000);
  test('results files (resume, merge, report)', () => check('results', resultsArb), 170000);
  test('data folders', () => check('data', dataArb), 170000);
  test('command-line flags', () => check('flags', flagsArb), 170000);
  test('at least 500 cases ran', () => {
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(500);
  });
});

describe('hostile inputs, the built binary (a representative subset)', () => {
  const cases: Array<{ title: string; argv: () => string[]; names: string[] }> = [
    {
      title: 'a spec that is the zero device',
      argv: () => ['train', '/dev/zero', '--save', out('w.npz')],
      names: ['/dev/zero', 'FRE001', '16 MiB'],
    },
    {
      title: 'a chip that is the zero device',
      argv: () => ['compile', f('spec.json'), '--chip', '/dev/zero', '-o', out('net.pb')],
      names: ['/dev/zero', 'HW001'],
    },
    { title: 'a netlist that is the zero device', argv: () => ['inspect', '/dev/zero'], names: ['/dev/zero', 'NET001', '256 MiB'] },
    {
      title: '--init the zero device',
      argv: () => ['train', f('spec.json'), '--init', '/dev/zero', '--save', out('w.npz')],
      names: ['/dev/zero', 'FRE040', '512 MiB'],
    },
    {
      title: 'a sweep whose graph is the zero device',
      argv: () => {
        const p = caseFile('sweep.json', json({ ...SWEEP_BASE(), graph: '/dev/zero' }));
        return ['sweep', p, '--dry-run'];
      },
      names: ['/graph', '/dev/zero'],
    },
    {
      title: 'external data located at the zero device',
      argv: () => {
        const n = decodeNetlist(readFileSync(f('netx.pb')), 'netx.pb');
        for (const a of n.arrays) for (const t of [a.gPlus, a.gMinus]) if (t?.externalData) t.externalData.location = '/dev/zero';
        return ['validate', caseFile('net.pb', encodeNetlist(n))];
      },
      names: ['external_data', 'NET023', '/dev/zero'],
    },
    {
      title: 'a gzip bomb in a data folder',
      argv: () => {
        const d = join(CASES, `${caseNo++}-bomb`);
        writeDataDir(d);
        unlinkSync(join(d, 'train-images-idx3-ubyte'));
        copyFileSync(f('bomb.gz'), join(d, 'train-images-idx3-ubyte.gz'));
        return ['train', f('spec-mnist.json'), '--data-dir', d, '--save', out('w.npz')];
      },
      names: ['train-images-idx3-ubyte.gz', 'gunzips to more than'],
    },
    {
      title: 'a flag given twice (npm run demo -- --train-limit N)',
      argv: () => ['train', f('spec.json'), '--train-limit', '10000', '--train-limit', '1000'],
      names: ['--train-limit', 'given 2 times'],
    },
    { title: '--seed abc', argv: () => ['train', f('spec.json'), '--seed', 'abc'], names: ['--seed'] },
    { title: '--save without a value', argv: () => ['train', f('spec.json'), '--save'], names: ['save'] },
  ];
  for (const c of cases) {
    test(
      c.title,
      () => {
        const argv = c.argv();
        const t0 = performance.now();
        const r = spawnSync(process.execPath, [FRE, ...argv], { encoding: 'utf8', timeout: 60000 });
        const ms = performance.now() - t0;
        judge({ family: 'flags', argv, names: c.names }, { code: r.status ?? -1, err: r.stderr, out: r.stdout, ms, rssMb: 0 });
        counts.spawned = (counts.spawned ?? 0) + 1;
      },
      90000,
    );
  }
});

test('the fixtures are what the cases damage (a valid run of each kind is not refused)', () => {
  // Guards the suite itself: the valid spec, netlist and weights pass where the damaged ones fail.
  expect(statSync(f('w-good.npz')).size).toBeGreaterThan(0);
  expect(readdirSync(OUT).sort()).toEqual([...OUTPUTS].sort());
});
