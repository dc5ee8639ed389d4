/**
 * The netlist is the program: a hand-written netlist may order its ops differently from the compiler. On netlists
 * whose phases are random orders of the compiled ops that keep every op after its deps (and one read of an array
 * accumulated before the next: the interpreter holds one partial-sum buffer per array), the validator finds no
 * error, and the interpreter's planning must leave the bytes alone:
 * - a held drive's Accumulate folded into a NeuronUpdate (foldHeld) = the same program without the fold;
 * - begin() clearing only clearedBuffers: every other group buffer filled with NaN before each step and inference
 *   gives the same bytes (a buffer read before one writes it, in the new order, would carry the NaN through);
 * with held and graph nudges, on reram, pcm (ŝ registers) and the ideal chip, batches of 8, 0 and 3 samples.
 */
import { compile } from '../compiler/pipeline';
import { initParams } from '../graph/params';
import { PRESETS } from '../hw-models/presets';
import type { NetlistMsg } from '../netlist/types';
import { validateNetlist } from '../netlist/validate';
import type { NetlistInterpreter } from '../simulator/chip/interpreter';
import { makeInterpreter } from '../simulator/chip/run';
import { selectKernels } from '../simulator/kernels/select';
import { makeGrads } from '../simulator/train';
import { makeRng } from '../util/rng';
import { bytesOf } from './helpers/native';
import { graphNet } from './helpers/nets';
import { poisoner } from './helpers/poison';

type Plans = { ops: { held: unknown; folded: boolean }[] }[];

const batch = 8;
const rng0 = makeRng(3);
const x = Float32Array.from({ length: batch * 64 }, () => rng0.uniform());
const y = new Float32Array(batch * 10);
for (let i = 0; i < batch; i++) y[i * 10 + (i % 10)] = 1;

/** Each phase's ops in a random order that keeps every op after its deps (ids and deps renumbered). */
function reordered(n: NetlistMsg, seed: number): NetlistMsg {
  const r = makeRng(seed);
  const c = structuredClone(n);
  for (const ph of c.schedule!.phases) {
    const ops = ph.ops;
    const placed = new Array<number>(ops.length).fill(-1);
    const order: number[] = [];
    const isRead = (i: number) => ops[i].opType === 'ArrayRead' || ops[i].opType === 'ArrayReadTransposed';
    const isHeld = (i: number) => ops[i].opType === 'Accumulate' && ops[i].source === 'OPERAND_HELD_DRIVE';
    // An array holds one read's partial sums: no second read of it before the first's Accumulate.
    const open = new Set<number>();
    while (order.length < ops.length) {
      const ready = ops
        .map((_, i) => i)
        .filter((i) => placed[i] < 0 && ops[i].deps.every((d) => placed[d] >= 0) && !(isRead(i) && open.has(ops[i].array)));
      // Held drives' Accumulates mostly held back, so that they often land next to a NeuronUpdate (the fold's case).
      const pool = ready.some((i) => !isHeld(i)) && r.uniform() < 0.8 ? ready.filter((i) => !isHeld(i)) : ready;
      const i = pool[Math.floor(r.uniform() * pool.length)];
      placed[i] = order.length;
      order.push(i);
      if (isRead(i)) open.add(ops[i].array);
      if (ops[i].opType === 'Accumulate' && ops[i].source === 'OPERAND_PARTIAL_SUM') open.delete(ops[i].array);
    }
    ph.ops = order.map((i, k) => ({ ...ops[i], id: k, deps: ops[i].deps.map((d) => placed[d]).sort((a, b) => a - b) }));
  }
  return c;
}

/** Every group with a held drive sums three or more drives (float adds in another order give other bytes, so a fold
 *  that moved the held add past another would show): h1 = held input + W1ᵀ + Kᵀ, h2 = held input (S) + W1 + W2ᵀ
 *  (+ bias), h3 = W2 + K (+ the held nudge). */
function skipNet(nudge: 'held' | 'graph') {
  const fb = { kind: 'symmetric', beta: 0.05 } as const;
  return graphNet(
    64,
    [48, 32, 24],
    10,
    [
      { name: 'W0', from: 'input', to: 'h1', bias: true },
      { name: 'S', from: 'input', to: 'h2', alpha: 0.5 },
      { name: 'W1', from: 'h1', to: 'h2', feedback: fb, bias: true },
      { name: 'W2', from: 'h2', to: 'h3', feedback: fb },
      { name: 'K', from: 'h1', to: 'h3', alpha: 0.5, feedback: fb },
      { name: 'Wf', from: 'h3', to: 'output' },
    ],
    { betaF: 0.1, T: 3, K: 2, nudge },
  );
}

const cases = ['reram', 'pcm', 'ideal'].flatMap((preset) => Array.from({ length: 10 }, (_, seed) => [preset, seed] as const));

describe('reordered netlists: the held-drive fold and begin()’s partial clear change no byte', () => {
  let folds = 0;
  afterAll(() => expect(folds).toBeGreaterThan(10)); // the orders put held drives where the fold applies

  test.each(cases)('%s, order %d', (preset, seed) => {
    const net = skipNet(seed % 2 ? 'held' : 'graph');
    const p0 = initParams(net, makeRng(5));
    const compiled = compile(net, PRESETS[preset], p0, { wMax: { kind: 'max' }, specFile: 'test', producerVersion: 'test' }).netlist;
    const netlist = reordered(compiled, 100 + seed);
    expect(validateNetlist(netlist, 'reordered').diagnostics.map((d) => `${d.code} ${d.path}: ${d.message}`)).toEqual([]);
    const run = (fold: boolean, poison: boolean) => {
      const it: NetlistInterpreter = makeInterpreter(netlist, 7, selectKernels('auto'), batch);
      const plans = (it as unknown as { plans: Plans }).plans;
      if (!fold) for (const ph of plans) for (const op of ph.ops) [op.held, op.folded] = [null, false];
      const spoil = poisoner(it, poison);
      const grads = makeGrads(net);
      const out: Buffer[] = [];
      for (const m of [8, 0, 3]) {
        spoil();
        const { loss, probs } = it.step(x.subarray(0, m * 64), y.subarray(0, m * 10), m, grads);
        out.push(Buffer.from(Float64Array.of(loss).buffer), Buffer.from(bytesOf(probs)));
        for (const g of grads) if (g) out.push(Buffer.from(bytesOf(g)));
        spoil();
        out.push(Buffer.from(bytesOf(it.infer(x.subarray(0, m * 64), m))));
        // The hidden groups' states (the input's and the output's are never written).
        for (let g = 1; g < netlist.groups.length - 1; g++)
          out.push(Buffer.from(bytesOf(it.state(g).subarray(0, m * netlist.groups[g].size))));
      }
      return { bytes: Buffer.concat(out), folds: plans.reduce((a, p) => a + p.ops.filter((o) => o.folded).length, 0) };
    };
    const plain = run(false, false);
    const folded = run(true, false);
    const poisoned = run(true, true);
    folds += folded.folds;
    expect(folded.bytes.equals(plain.bytes)).toBe(true);
    expect(poisoned.bytes.equals(plain.bytes)).toBe(true);
  });
});
