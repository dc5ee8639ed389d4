/**
 * An independent check of the netlist format, as a chip team would make it: test/reference/netlist_exec.py
 * executes a compiled netlist in NumPy, written from the format documents only (docs/netlist.md, "An
 * independent executor"), and must agree with `fre simulate`'s interpreter on the same netlist — the
 * logits of an inference on the `ideal` chip and on a deterministic quantising chip (on each backend, native
 * and reference: one rounding rule at a code boundary), and the weights after one training batch. Edited netlists (T, a gain, a learning rate) given to the executor alone
 * are negative controls: the comparison must then fail.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile } from '../compiler/pipeline';
import { syntheticDataset } from '../datasets/synthetic';
import type { Dataset } from '../datasets/dataset';
import { loadGraph } from '../graph/load';
import { resolveNet, type Net } from '../graph/net';
import { initParams } from '../graph/params';
import { loadChip } from '../hw-models/load';
import { readNpz, writeNpz, type NpyArray } from '../io/npz';
import { writeNetlistFile } from '../netlist/codec';
import type { NetlistMsg } from '../netlist/types';
import { makeInterpreter, runOnChip } from '../simulator/chip/run';
import type { Kernels } from '../simulator/kernels/kernels';
import { loadNativeKernels } from '../simulator/kernels/native';
import { referenceKernels } from '../simulator/kernels/reference';
import { selectKernels } from '../simulator/kernels/select';
import { makeRng } from '../util/rng';
import { failingTest, pythonImporting, testNeeding } from './needs';

const SCRIPT = join(__dirname, 'reference', 'netlist_exec.py');
const PY = pythonImporting('numpy, google.protobuf');
const needs = testNeeding(
  [
    [PY, ['-c', 'import numpy, google.protobuf']],
    ['protoc', ['--version']],
  ],
  'python3-numpy python3-protobuf protobuf-compiler',
);
const kernels = selectKernels('auto');
/**
 * The quantising chips run on both backends, each compared with the executor: a value exactly halfway
 * between two codes (a zero input or sum) rounds by the one rule of docs/netlist.md ("Rounding at a code
 * boundary") on either. The native kernels are asked for directly (not through FRE_BACKEND). CI builds the
 * addon (scripts/setup.sh); elsewhere a missing addon skips the native runs, and in CI it fails them.
 */
const nativeKernels = loadNativeKernels();
const needsNative: jest.It =
  nativeKernels !== null
    ? needs
    : process.env.CI
      ? failingTest('the native kernels are not built: CI must run scripts/setup.sh')
      : test.skip;
type Backend = 'native' | 'reference';
const BACKENDS: Backend[] = ['native', 'reference'];
const kernelsOf = (b: Backend): Kernels => (b === 'native' ? nativeKernels! : referenceKernels);
/** The quantised comparisons' test function on a backend: the reference runs wherever the tools are. */
const onBackend = (b: Backend): jest.It => (b === 'native' ? needsNative : needs);

/**
 * Logits agree when |Δ| ≤ TOL·(1 + |logit|). fre computes in float32 (unit roundoff 6e-8), the executor
 * in float64; a logit is a few gain-scaled sums of ≤ 20 terms after T ≤ 6 contracting steps, and the
 * measured max |Δlogit| is 2e-7 on these nets (ideal and quantised alike). 1e-5 leaves 50× margin and
 * is still 1000× below the smallest real difference the negative controls make (T − 1, a gain × 1.02:
 * ≥ 1e-2), so a mistaken document shows.
 */
const TOL = 1e-5;
/** A quantising run may have up to this share of samples near a code boundary (measured ≈ 5–15 %). */
const NEAR_SHARE = 0.3;

/** The test's graph: tiled on 8 × 8 arrays, symmetric and random feedback, a skip, an untrained backward
 *  edge, biases (pytorch init: non-zero), and the three activations. */
function spec(over: { nudge?: string; optimizer?: object; divideByBetaF?: boolean } = {}): object {
  return {
    format: 'fre-graph/1',
    name: 'independent',
    input: { size: 20 },
    layers: [
      { name: 'h1', size: 13, activation: 'tanh' },
      { name: 'h2', size: 11, activation: 'hard-sigmoid' },
      { name: 'h3', size: 9, activation: 'sigmoid' },
    ],
    output: { classes: 5 },
    edges: [
      { name: 'W0', from: 'input', to: 'h1', bias: true },
      { name: 'W1', from: 'h1', to: 'h2', alpha: 0.8, feedback: { kind: 'symmetric', beta: 0.2 }, bias: true },
      { name: 'W2', from: 'h2', to: 'h3', feedback: { kind: 'random', beta: 0.3 } },
      { name: 'S', from: 'input', to: 'h3', alpha: 0.5 },
      { name: 'R', from: 'h3', to: 'h1', alpha: 0.3, trainable: false },
      { name: 'Wf', from: 'h3', to: 'output', feedback: { kind: 'random' }, bias: true },
    ],
    dynamics: { T: 6, K: 4, betaF: 0.5, nudge: over.nudge ?? 'held', divideByBetaF: over.divideByBetaF ?? false },
    training: { optimizer: over.optimizer ?? { kind: 'sgd', lr: 0.05 }, batchSize: 16, epochs: 1, seed: 0, init: 'pytorch' },
  };
}

/** Stage 3: conv edges — an input conv without pooling, a padded conv with max pooling and feedback
 *  (symmetric, or random), biases, a dense readout. */
function convSpec(feedback: 'symmetric' | 'random', over: { T?: number; K?: number } = {}): object {
  return {
    format: 'fre-graph/1',
    name: 'independent-conv',
    input: { shape: [1, 8, 8] },
    layers: [
      { name: 'c1', shape: [2, 6, 6], activation: 'hard-sigmoid' },
      { name: 'c2', shape: [3, 3, 3], activation: 'tanh' },
    ],
    output: { classes: 4 },
    edges: [
      { name: 'C0', from: 'input', to: 'c1', conv: { kernel: 3 }, bias: true },
      {
        name: 'C1',
        from: 'c1',
        to: 'c2',
        conv: { kernel: 3, padding: 1 },
        pool: { kind: 'max', size: 2 },
        feedback: { kind: feedback, beta: 0.3 },
        bias: true,
      },
      { name: 'Wf', from: 'c2', to: 'output', feedback: { kind: 'symmetric' }, bias: true },
    ],
    dynamics: { T: over.T ?? 5, K: over.K ?? 3, betaF: 0.5, nudge: 'held' },
    training: { optimizer: { kind: 'sgd', lr: 0.05 }, batchSize: 16, epochs: 1, seed: 0, init: 'pytorch' },
  };
}

const IDEAL = { base: 'ideal', name: 'ideal-8x8', crossbar: { rows: 8, cols: 8 } };
const NO_NOISE = {
  programmingNoise: { sigma: 0, relativeTo: 'range' },
  readNoise: { sigma: 0, relativeTo: 'range' },
  stuckAt: { onProbability: 0, offProbability: 0, compensation: 'none' },
};
/** reram with every random draw off: 16 levels, 8-bit DAC, ADC and state register, abs-max noise
 *  management. The full scale is not a round number: with 16 levels and 8-bit codes a round one puts
 *  the ADC's code boundaries on the lattice of the sums the array can form, where float32 and float64
 *  sums tie exactly and round apart. */
const QUANT = {
  base: 'reram',
  name: 'reram-deterministic',
  crossbar: { rows: 8, cols: 8, levels: 16, ...NO_NOISE },
  periphery: { adc: { outputNoise: 0, linesPerAdc: 2, fullScale: 3.14159 } },
  neuron: { stateNoise: 0 },
  noc: { meshWidth: 4, meshHeight: 4, arraysPerCore: 4 },
};
/** The other converter and neuron options: no noise management, each side converted on its own,
 *  iterative bound management on a range that clips, a piecewise-linear neuron, a 7-bit state register
 *  over a range of its own (not the DAC's) that clips tanh's states below −0.9. */
const QUANT_2 = {
  ...QUANT,
  name: 'reram-deterministic-2',
  periphery: {
    adc: {
      outputNoise: 0,
      linesPerAdc: 2,
      fullScale: 2.2361,
      noiseManagement: 'none',
      pairConversion: 'each-side',
      boundManagement: 'iterative',
      maxRereads: 2,
    },
  },
  neuron: {
    stateNoise: 0,
    stateBits: 7,
    stateRange: [-0.9, 1],
    activation: { kind: 'piecewise-linear', segments: 16, inputRange: [-4, 4] },
  },
};

interface Compiled {
  dir: string;
  net: Net;
  netlist: NetlistMsg;
  pb: string;
}

/** The test's temporary folder, made by the first case: jest runs no afterAll in a file whose tests all
 *  skip (python3 or protoc missing), so a folder made at load would be left behind. */
let root: string | undefined;
const bindings = () => join(root!, 'pb2');
let serial = 0;
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

/** Writes the graph and chip JSONs, compiles them as `fre compile` would, and writes the netlist. */
function compileCase(graph: object, chip: object): Compiled {
  root ??= mkdtempSync(join(tmpdir(), 'fre-netexec-'));
  const dir = join(root, `case${serial++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'spec.json'), JSON.stringify(graph));
  writeFileSync(join(dir, 'chip.json'), JSON.stringify(chip));
  const net = resolveNet(loadGraph(join(dir, 'spec.json')));
  const params = initParams(net, makeRng(3));
  const netlist = compile(net, loadChip(join(dir, 'chip.json')), params, {
    wMax: { kind: 'max' },
    specFile: 'spec.json',
    producerVersion: 'test',
  }).netlist;
  const pb = join(dir, 'net.pb');
  writeNetlistFile(pb, netlist);
  return { dir, net, netlist, pb };
}

function dataset(net: Net, m: number, seed: number): Dataset {
  return syntheticDataset({ count: m, dim: net.inputSize, classes: net.classes, seed });
}

function oneHot(d: Dataset): Float32Array {
  const y = new Float32Array(d.count * d.classes);
  for (let i = 0; i < d.count; i++) y[i * d.classes + d.labels[i]] = 1;
  return y;
}

/** Runs the Python executor on a netlist file; returns its OUT.npz. */
function execute(pb: string, dir: string, d: Dataset, train: boolean): Map<string, NpyArray> {
  const inputs = join(dir, 'inputs.npz');
  const out = join(dir, `out${serial++}.npz`);
  writeNpz(inputs, {
    x: { data: d.images, shape: [d.count, d.dim] },
    y: { data: oneHot(d), shape: [d.count, d.classes] },
  });
  const args = [SCRIPT, pb, inputs, out, '--bindings', bindings(), ...(train ? ['--train'] : [])];
  const r = spawnSync(PY, args, { encoding: 'utf8', timeout: 120000 });
  if (r.status !== 0) throw new Error(`netlist_exec.py failed (${r.status}): ${r.stderr}`);
  return readNpz(out);
}

const num = (a: NpyArray, i: number): number => Number(a.data[i]);

interface Agreement {
  /** Samples the executor marked near a code boundary (left out of the comparison). */
  near: number;
  /** Over the other samples: the largest |Δlogit|, the logits beyond TOL, the differing predictions. */
  maxDiff: number;
  beyond: number;
  mismatches: number;
  /** Near samples whose logits differ beyond TOL after all (a float32 rounding took the other code). */
  nearApart: number;
}

/** fre's logits [m × C] against the executor's, sample by sample. */
function agreement(fre: Float32Array, py: Map<string, NpyArray>, m: number, classes: number): Agreement {
  const logits = py.get('logits')!;
  const near = py.get('near')!;
  const a: Agreement = { near: 0, maxDiff: 0, beyond: 0, mismatches: 0, nearApart: 0 };
  const apart = (s: number, c: number) =>
    Math.abs(fre[s * classes + c] - num(logits, s * classes + c)) > TOL * (1 + Math.abs(num(logits, s * classes + c)));
  for (let s = 0; s < m; s++) {
    if (num(near, s)) {
      a.near++;
      if (Array.from({ length: classes }, (_, c) => apart(s, c)).some(Boolean)) a.nearApart++;
      continue;
    }
    let best = 0;
    for (let c = 0; c < classes; c++) {
      const i = s * classes + c;
      a.maxDiff = Math.max(a.maxDiff, Math.abs(fre[i] - num(logits, i)));
      if (apart(s, c)) a.beyond++;
      // fre's prediction: the first largest logit, as the executor's `pred`.
      if (fre[i] > fre[s * classes + best]) best = c;
    }
    if (best !== num(py.get('pred')!, s)) a.mismatches++;
  }
  return a;
}

/** The verdict a negative control must turn. */
function agrees(a: Agreement, m: number): boolean {
  return a.beyond === 0 && a.mismatches === 0 && a.near <= NEAR_SHARE * m;
}

/** FRE_NETEXEC_REPORT=1 prints each comparison (the numbers docs/netlist.md quotes). */
function report(label: string, a: Agreement, m: number): void {
  if (process.env.FRE_NETEXEC_REPORT) console.log(`${label}: ${JSON.stringify({ samples: m, ...a })}`);
}

function expectAgreement(a: Agreement, m: number): void {
  expect(a).toEqual(expect.objectContaining({ beyond: 0, mismatches: 0 }));
  expect(a.maxDiff).toBeLessThan(TOL);
  expect(a.near).toBeLessThanOrEqual(NEAR_SHARE * m);
}

function inferOnFre(c: Compiled, d: Dataset, k: Kernels = kernels): Float32Array {
  const it = makeInterpreter(c.netlist, 1, k, d.count);
  return Float32Array.from(it.infer(d.images, d.count).subarray(0, d.count * c.net.classes));
}

/** A copy of the netlist with an edit, written beside it: the executor alone gets it. */
function edited(c: Compiled, name: string, edit: (n: NetlistMsg) => void): string {
  const n = structuredClone(c.netlist);
  edit(n);
  const file = join(c.dir, `${name}.pb`);
  writeNetlistFile(file, n);
  return file;
}

/** T − 1 everywhere the netlist states T (fre validate checks the copies agree). */
function fewerFreeSteps(n: NetlistMsg): void {
  const t = n.dynamics!.freeSteps - 1;
  n.dynamics!.freeSteps = t;
  for (const g of n.groups) g.freeSteps = t;
  n.schedule!.phases.find((p) => p.kind === 'PHASE_KIND_FREE')!.repeat = t;
}

/** One array's forward gain × 1.02, in its gains and in the Accumulate ops that repeat it. */
function scaledGain(n: NetlistMsg, array: number): void {
  n.arrays[array].gains!.forward *= 1.02;
  for (const p of n.schedule!.phases)
    for (const op of p.ops) if (op.opType === 'Accumulate' && op.source === 'OPERAND_PARTIAL_SUM' && op.array === array) op.gain *= 1.02;
}

describe('an executor written from the documents agrees with fre simulate (inference)', () => {
  needs('ideal chip: every sample within 1e-5, the same predictions; an edit of T fails the comparison', () => {
    const c = compileCase(spec(), IDEAL);
    expect(c.netlist.arrays.length).toBeGreaterThan(c.net.edges.length + 1); // really tiled
    const d = dataset(c.net, 64, 4);
    const fre = inferOnFre(c, d);
    const py = execute(c.pb, c.dir, d, false);
    const a = agreement(fre, py, d.count, c.net.classes);
    report('ideal', a, d.count);
    expect(a.near).toBe(0); // nothing is quantised
    expectAgreement(a, d.count);
    // The logits carry a signal (not all equal), so agreement is not trivial.
    const l = py.get('logits')!.data as Float64Array;
    expect(Math.max(...l) - Math.min(...l)).toBeGreaterThan(0.1);

    // A float DAC neither rounds nor clips: inputs in [−3, 3] on the ideal chip's [−1, 1] DAC.
    const wide = dataset(c.net, 64, 5);
    for (let i = 0; i < wide.images.length; i++) wide.images[i] = 6 * (wide.images[i] - 0.5);
    const w = agreement(inferOnFre(c, wide), execute(c.pb, c.dir, wide, false), wide.count, c.net.classes);
    report('ideal, inputs in [-3, 3]', w, wide.count);
    expectAgreement(w, wide.count);

    // Negative control: T − 1 for the executor alone.
    const bad = agreement(fre, execute(edited(c, 'T-1', fewerFreeSteps), c.dir, d, false), d.count, c.net.classes);
    report('ideal, T - 1 (negative control)', bad, d.count);
    expect(agrees(bad, d.count)).toBe(false);
    expect(bad.beyond).toBeGreaterThan(d.count);
  });

  describe.each(BACKENDS)('%s backend', (backend) => {
    onBackend(backend).each([
      ['abs-max, difference conversion, exact neuron', QUANT],
      ['no noise management, each-side conversion, iterative bound management, piecewise-linear neuron', QUANT_2],
    ])('deterministic quantising chip (%s): the samples off code boundaries agree; a gain edit fails', (_label, chip) => {
      const c = compileCase(spec(), chip);
      const d = dataset(c.net, 256, 4);
      const fre = inferOnFre(c, d, kernelsOf(backend));
      const py = execute(c.pb, c.dir, d, false);
      // Quantisation really happens at each converter (a tie count of 0 everywhere would say a
      // quantiser saw only codes; the counts are values within float32 reach of a boundary).
      const ties = ['dac', 'adc', 'state'].map((k) => num(py.get(`ties_${k}`)!, 0));
      expect(ties.reduce((x, y) => x + y)).toBeGreaterThan(0);
      // The second chip's range clips often, so bound management re-reads (the first has none).
      if (chip === QUANT_2) expect(num(py.get('rereads')!, 0)).toBeGreaterThan(0);
      if (process.env.FRE_NETEXEC_REPORT)
        console.log(
          `${chip.name}: ties ${ties}, clipped reads ${num(py.get('clipped_reads')!, 0)}, re-reads ${num(py.get('rereads')!, 0)}`,
        );
      const a = agreement(fre, py, d.count, c.net.classes);
      report(`${chip.name} (${backend})`, a, d.count);
      expectAgreement(a, d.count);

      // Negative control: W0's first tile's forward gain × 1.02 for the executor alone.
      const arr = c.netlist.edges[0].arrays[0];
      const bad = agreement(
        fre,
        execute(
          edited(c, 'gain', (n) => scaledGain(n, arr)),
          c.dir,
          d,
          false,
        ),
        d.count,
        c.net.classes,
      );
      report(`${chip.name} (${backend}), gain × 1.02 (negative control)`, bad, d.count);
      expect(agrees(bad, d.count)).toBe(false);
      expect(bad.beyond).toBeGreaterThan(d.count / 8);
    });
  });
});

/** Largest |fre − executor| over an edge's weights (or bias) against what the step moved them: 1e-4 of
 *  the step plus two float32 ulps of the weight (fre stores it in float32). */
function compareParam(py: Map<string, NpyArray>, name: string, fre: Float32Array, kind: 'W' | 'b') {
  const after = py.get(`${kind}_${name}`)!.data as Float64Array;
  const before = kind === 'W' ? (py.get(`W0_${name}`)!.data as Float64Array) : null;
  let moved = 0;
  let beyond = 0;
  let maxDiff = 0;
  for (let i = 0; i < after.length; i++) if (before) moved = Math.max(moved, Math.abs(after[i] - before[i]));
  for (let i = 0; i < after.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(fre[i] - after[i]));
    if (Math.abs(fre[i] - after[i]) > 1e-4 * moved + 2 ** -22 * Math.abs(after[i]) + 1e-9) beyond++;
  }
  return { moved, beyond, maxDiff };
}

/** One training batch (the netlist's batch size, 16) on fre and on the executor: every edge's weights
 *  and biases after it agree, and the readout's learning rate × 2 for the executor alone fails. */
async function checkOneBatch(label: string, c: Compiled): Promise<void> {
  const d = dataset(c.net, 16, 4);
  const test = syntheticDataset({ count: 4, dim: c.net.inputSize, classes: c.net.classes, seed: 4, stream: 'test' });
  const r = await runOnChip(c.netlist, { train: d, test }, { mode: 'train', epochs: 1, seed: 1, kernels });
  const W = r.interpreter.weights();
  const B = r.interpreter.biases();
  const py = execute(c.pb, c.dir, d, true);
  for (const e of c.net.edges) {
    const w = compareParam(py, e.name, W[e.index], 'W');
    if (process.env.FRE_NETEXEC_REPORT) console.log(`${label}: ${e.name} ${JSON.stringify(w)}`);
    expect({ edge: e.name, beyond: w.beyond }).toEqual({ edge: e.name, beyond: 0 });
    if (e.trainable) expect(w.moved).toBeGreaterThan(1e-5); // the batch changed the weights
    const b = B[e.index];
    if (b) expect({ bias: e.name, beyond: compareParam(py, e.name, b, 'b').beyond }).toEqual({ bias: e.name, beyond: 0 });
  }

  // Negative control: the readout's learning rate × 2 for the executor alone.
  const f = c.net.readout.index;
  const bad = execute(
    edited(c, 'lr', (n) => (n.trainingInfo!.edgeLr[f] *= 2)),
    c.dir,
    d,
    true,
  );
  expect(compareParam(bad, c.net.edges[f].name, W[f], 'W').beyond).toBeGreaterThan(0);
}

describe('an executor written from the documents agrees with fre simulate (one training batch, ideal chip)', () => {
  // SGD: Adam divides each step by its own gradient's magnitude, so a weight whose gradient is ~1e-8
  // moves by a sign-dependent ~lr in either executor (docs/chip-simulator.md, "Exactness").
  needs.each([
    ['held nudge, SGD with weight decay', { nudge: 'held', optimizer: { kind: 'sgd', lr: 0.05, weightDecay: 0.01 } }],
    ['recomputed nudge, divide by β_f', { nudge: 'recomputed', divideByBetaF: true }],
    ['graph nudge, per-edge rates', { nudge: 'graph', optimizer: { kind: 'sgd', lr: { W0: 0.1, W1: 0.2, W2: 0.3, S: 0.05, Wf: 0.5 } } }],
  ])('%s: the weights and biases after the batch agree; an edited learning rate fails', async (label, over) => {
    await checkOneBatch(label, compileCase(spec(over), IDEAL));
  });
});

describe('conv edges: the executor agrees with fre simulate', () => {
  needs.each([['symmetric'], ['random']] as const)(
    'ideal chip, %s feedback on the pooled conv: inference and one training batch agree; max pooling read as average fails',
    async (feedback) => {
      const c = compileCase(convSpec(feedback), IDEAL);
      const d = dataset(c.net, 64, 4);
      const fre = inferOnFre(c, d);
      const a = agreement(fre, execute(c.pb, c.dir, d, false), d.count, c.net.classes);
      report(`conv ${feedback}, ideal`, a, d.count);
      expect(a.near).toBe(0);
      expectAgreement(a, d.count);

      // Negative control: C1's max pooling read as average pooling by the executor alone.
      const avg = edited(c, 'avg', (n) => (n.edges[1].conv!.pool = 'POOL_KIND_AVG'));
      const bad = agreement(fre, execute(avg, c.dir, d, false), d.count, c.net.classes);
      expect(agrees(bad, d.count)).toBe(false);

      await checkOneBatch(`conv ${feedback}`, c);
    },
  );

  /** QUANT without noise management, with iterative bound management on a
   *  fine, clipping range. Each sample converts P times more lines than on a dense net, and a max pool
   *  compares sums that can tie on the lattice of codes: T 2, K 1 keep the samples near a boundary few. */
  const CONV_QUANT = {
    ...QUANT,
    name: 'reram-deterministic-conv',
    periphery: {
      adc: { outputNoise: 0, linesPerAdc: 2, fullScale: 0.51234, noiseManagement: 'none', boundManagement: 'iterative', maxRereads: 3 },
    },
  };
  describe.each(BACKENDS)('%s backend', (backend) => {
    onBackend(backend)('deterministic quantising chip, no noise management, iterative bound management: inference agrees', () => {
      const c = compileCase(convSpec('symmetric', { T: 2, K: 1 }), CONV_QUANT);
      const d = dataset(c.net, 128, 4);
      const py = execute(c.pb, c.dir, d, false);
      expect(num(py.get('rereads')!, 0)).toBeGreaterThan(0);
      const a = agreement(inferOnFre(c, d, kernelsOf(backend)), py, d.count, c.net.classes);
      report(`conv symmetric, reram-deterministic-conv (${backend})`, a, d.count);
      expectAgreement(a, d.count);
    });
  });
});
