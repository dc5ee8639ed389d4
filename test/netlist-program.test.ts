/**
 * The netlist is the program: the chip simulator executes its normative fields and nothing else.
 * - without its metadata (the graph spec it was compiled from) a netlist simulates bit-identically;
 * - an edit of a normative field — T, one edge's β gain, a group's activation — made with protoc on
 *   the text form changes the simulation exactly as the edit implies (it equals the software engine
 *   run on the correspondingly edited graph);
 * - a compiler that emitted α·w_max instead of β·w_max as the transposed gain is caught by
 *   behaviour (the interpreter leaves the software engine), not only by a snapshot.
 */
import { spawnSync } from 'node:child_process';
import { compile } from '../compiler/pipeline';
import { syntheticDataset } from '../datasets/synthetic';
import type { Net } from '../graph/net';
import { cloneParams, initParams, type Params } from '../graph/params';
import { resolveNet } from '../graph/net';
import type { GraphSpec } from '../graph/spec';
import type { ChipDescription } from '../hw-models/chip';
import { PRESETS } from '../hw-models/presets';
import { decodeNetlist, encodeNetlist } from '../netlist/codec';
import { protoDir } from '../netlist/schema';
import type { NetlistMsg } from '../netlist/types';
import { validateNetlist } from '../netlist/validate';
import { makeInterpreter, runOnChip } from '../simulator/chip/run';
import { EpEngine } from '../simulator/engine/ep';
import { IdealExecutor } from '../simulator/ideal-executor';
import { selectKernels } from '../simulator/kernels/select';
import { makeRng } from '../util/rng';
import { graphNet } from './helpers/nets';
import { testNeeding } from './needs';

const kernels = selectKernels('auto');
const net = graphNet(
  64,
  [24, 16],
  5,
  [
    { name: 'W0', from: 'input', to: 'h1' },
    { name: 'W1', from: 'h1', to: 'h2', feedback: { kind: 'symmetric', beta: 0.2 } },
    { name: 'Wf', from: 'h2', to: 'output' },
  ],
  { betaF: 0.5, T: 5, K: 3, optimizer: { kind: 'sgd', lr: 0.05 } },
);
const p0 = initParams(net, makeRng(4));
const m = 8;
const data = {
  train: syntheticDataset({ count: 48, dim: 64, classes: 5, seed: 2 }),
  test: syntheticDataset({ count: 16, dim: 64, classes: 5, seed: 2, stream: 'test' }),
};
const x = data.test.images.subarray(0, m * 64);

function compileOn(n: Net, chip: ChipDescription, p: Params = p0): NetlistMsg {
  return compile(n, chip, p, { wMax: { kind: 'max' }, specFile: 'test', producerVersion: 'test' }).netlist;
}

/** The hidden states after inference: the interpreter on a netlist, or the software engine on a net. */
function chipStates(n: NetlistMsg): Float32Array[] {
  const it = makeInterpreter(n, 3, kernels, m);
  it.infer(x, m);
  return [1, 2].map((g) => it.state(g).slice(0, m * n.groups[g].size));
}
function softwareStates(n: Net): Float32Array[] {
  const e = new EpEngine(n, new IdealExecutor(cloneParams(p0), kernels), m);
  e.infer(x, m);
  return n.layers.map((l, j) => e.state(j).slice(0, m * l.size));
}
function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  let w = 0;
  a.forEach((v, j) =>
    v.forEach((u, i) => {
      w = Math.max(w, Math.abs(u - b[j][i]));
    }),
  );
  return w;
}
function edited(patch: (s: GraphSpec) => void): Net {
  const spec = JSON.parse(JSON.stringify(net.spec)) as GraphSpec;
  patch(spec);
  return resolveNet(spec);
}

/** Decode with protoc, edit the text, encode with protoc: a chip team's edit of the netlist. */
function protocEdit(n: NetlistMsg, edit: (text: string) => string): NetlistMsg {
  const run = (args: string[], input: Uint8Array | string) => {
    const r = spawnSync('protoc', ['-I', protoDir(), ...args, 'netlist.proto'], { input, cwd: protoDir(), maxBuffer: 1 << 28 });
    expect(r.stderr.toString()).toBe('');
    expect(r.status).toBe(0);
    return r.stdout;
  };
  const text = run(['--decode', 'fre.NetlistProto'], encodeNetlist(n)).toString();
  const changed = edit(text);
  expect(changed).not.toBe(text);
  return decodeNetlist(new Uint8Array(run(['--encode', 'fre.NetlistProto'], changed)));
}

describe('the netlist alone', () => {
  test('without its metadata (graph spec and all) a netlist simulates bit-identically, in training too', async () => {
    const full = compileOn(net, PRESETS.reram);
    expect(full.metadataProps.some((p) => p.key === 'graph.spec')).toBe(true);
    const bare = decodeNetlist(encodeNetlist({ ...full, metadataProps: [] }));
    expect(validateNetlist(bare, 'bare.pb').diagnostics).toEqual([]);
    const a = await runOnChip(full, data, { mode: 'train', epochs: 1, seed: 5, kernels });
    const b = await runOnChip(bare, data, { mode: 'train', epochs: 1, seed: 5, kernels });
    expect(b.epochs.map((e) => [e.trainLoss, e.testAccuracy])).toEqual(a.epochs.map((e) => [e.trainLoss, e.testAccuracy]));
    a.interpreter
      .weights()
      .forEach((w, i) => expect(Buffer.from(b.interpreter.weights()[i].buffer).equals(Buffer.from(w.buffer))).toBe(true));
  });

  test('an edit of the graph spec in the metadata changes nothing (provenance only)', () => {
    const full = compileOn(net, PRESETS.ideal);
    const spec = JSON.parse(full.metadataProps.find((p) => p.key === 'graph.spec')!.value) as GraphSpec;
    spec.dynamics.T = 50;
    spec.layers[0].activation = 'sigmoid';
    const lied = {
      ...full,
      metadataProps: full.metadataProps.map((p) => (p.key === 'graph.spec' ? { ...p, value: JSON.stringify(spec) } : p)),
    };
    expect(maxDiff(chipStates(lied), chipStates(full))).toBe(0);
  });

  test('the ideal chip runs the net the netlist holds: states equal the software engine', () => {
    expect(maxDiff(chipStates(compileOn(net, PRESETS.ideal)), softwareStates(net))).toBeLessThan(1e-5);
  });
});

describe('protoc edits of normative fields change the simulation as they imply', () => {
  const test = testNeeding([['protoc', ['--version']]], 'protobuf-compiler');
  const base = () => compileOn(net, PRESETS.ideal);

  test('T: free_steps and the FREE phase repeat 5 → 9 run nine free steps', () => {
    const n = protocEdit(base(), (t) =>
      t.replace(/free_steps: 5\b/g, 'free_steps: 9').replace(/(kind: PHASE_KIND_FREE\s+name: "free"\s+repeat: )5\b/, '$19'),
    );
    expect(validateNetlist(n, 'edited.pb').diagnostics).toEqual([]);
    const want = softwareStates(
      edited((s) => {
        s.dynamics.T = 9;
      }),
    );
    expect(maxDiff(chipStates(n), want)).toBeLessThan(1e-5);
    expect(maxDiff(chipStates(base()), want)).toBeGreaterThan(1e-3);
  });

  test('an activation: h1 tanh → hard-sigmoid', () => {
    const n = protocEdit(base(), (t) => t.replace(/(name: "h1"[\s\S]*?activation: )ACTIVATION_TANH/, '$1ACTIVATION_HARD_SIGMOID'));
    expect(n.groups[1].activation).toBe('ACTIVATION_HARD_SIGMOID');
    const want = softwareStates(
      edited((s) => {
        s.layers[0].activation = 'hard-sigmoid';
      }),
    );
    expect(maxDiff(chipStates(n), want)).toBeLessThan(1e-5);
    expect(maxDiff(chipStates(base()), want)).toBeGreaterThan(1e-3);
  });

  test("one edge's β gain: W1's transposed gain (array register and its Accumulate ops) × 4 = β 0.8", () => {
    const b = base();
    const w1 = b.arrays.filter((a) => a.edge === 1);
    expect(w1.length).toBeGreaterThan(0);
    const old = w1[0].gains!.transposed;
    // protoc prints the float32 the way it stores it; replace that token wherever W1's gain appears.
    const n = protocEdit(b, (t) => {
      const tok = /transposed: ([-0-9.e]+)/.exec(t.slice(t.indexOf('edge: 1\n')))![1];
      expect(Math.fround(Number(tok))).toBe(Math.fround(old));
      const v = String(Math.fround(4 * old));
      return t.replace(new RegExp(`(transposed|gain): ${tok.replace('.', '\\.')}\\b`, 'g'), `$1: ${v}`);
    });
    expect(validateNetlist(n, 'edited.pb').diagnostics).toEqual([]);
    const want = softwareStates(
      edited((s) => {
        s.edges[1].feedback = { kind: 'symmetric', beta: 0.8 };
      }),
    );
    expect(maxDiff(chipStates(n), want)).toBeLessThan(1e-5);
    expect(maxDiff(chipStates(base()), want)).toBeGreaterThan(1e-4);
  });
});

describe('a compiler bug shows in behaviour', () => {
  test('transposed gains of α·w_max instead of β·w_max: the ideal chip leaves the software engine', () => {
    const good = compileOn(net, PRESETS.ideal);
    const mutant = structuredClone(good);
    // The mutation as the compiler would emit it everywhere (arrays and their Accumulate ops alike),
    // so every consistency check passes and only the numbers can tell.
    const wmax = (e: number) => good.edges[e].weights!.wMax;
    const bad = new Map<number, number>();
    mutant.arrays.forEach((a, i) => {
      if (!a.gains || a.gains.transposed === 0) return;
      a.gains.transposed = Math.fround(good.edges[a.edge].alpha * wmax(a.edge));
      bad.set(i, a.gains.transposed);
    });
    for (const ph of mutant.schedule!.phases) {
      for (const op of ph.ops)
        if (op.opType === 'Accumulate' && mutant.reductions[op.reduction]?.read === 'READ_KIND_TRANSPOSED' && bad.has(op.array))
          op.gain = bad.get(op.array)!;
    }
    expect(bad.size).toBeGreaterThan(0);
    expect(validateNetlist(mutant, 'mutant.pb').diagnostics).toEqual([]);
    const want = softwareStates(net);
    expect(maxDiff(chipStates(good), want)).toBeLessThan(1e-5);
    expect(maxDiff(chipStates(mutant), want)).toBeGreaterThan(1e-3);
  });
});
