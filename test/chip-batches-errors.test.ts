/**
 * Session 9's batched native calls after an exception (review of b92adc9..4feab29): a training step or a commit
 * that throws part-way must leave the interpreter as the calls one by one leave it, so that the next step and
 * commit give the same bytes. The queued tile GEMMs (sgemmBatch) and the queued commits (pulsedCommitQueue /
 * pulsedCommitRun) must not outlive the step or commit that queued them, nor leave a committed matrix half done.
 */
import { compile } from '../compiler/pipeline';
import { syntheticDataset } from '../datasets/synthetic';
import { resolveNet } from '../graph/net';
import { initParams } from '../graph/params';
import { PRESETS } from '../hw-models/presets';
import type { NetlistInterpreter } from '../simulator/chip/interpreter';
import { makeInterpreter } from '../simulator/chip/run';
import { loadNativeAddon, type FreBlasAddon } from '../simulator/kernels/native';
import { selectKernels } from '../simulator/kernels/select';
import { makeGrads } from '../simulator/train';
import { makeRng } from '../util/rng';
import { bytesOf, withChipThreads } from './helpers/native';
import { chainNet } from './helpers/nets';

const native = loadNativeAddon();
const run = native || process.env.CI ? describe : describe.skip;

run('the batched calls after an exception = the calls one by one', () => {
  const batch = 24;
  const dims = [64, 300, 280, 10]; // tiles of 256: several tile GEMMs and three committed matrices
  const ds = syntheticDataset({ count: batch, dim: dims[0], classes: 10, seed: 3 });
  const x = ds.images.subarray(0, batch * dims[0]);
  const y = new Float32Array(batch * 10);
  for (let i = 0; i < batch; i++) y[i * 10 + ds.labels[i]] = 1;
  const BATCHED = ['sgemmBatch', 'accumulateBatch', 'pulsedCommitQueue', 'pulsedCommitRun'] as const;
  const chain = chainNet(dims, 10, { betaI: 0.01, betaF: 0.1, T: 3, K: 2, batch, nudge: 'held', feedback: 'symmetric' });
  const net = resolveNet({ ...chain.spec, edges: chain.spec.edges.map((e) => ({ ...e, bias: true })) });
  const netlist = compile(net, PRESETS.reram, initParams(net, makeRng(5)), {
    wMax: { kind: 'max' },
    specFile: 'test',
    producerVersion: 'test',
  }).netlist;

  /** The interpreter's addon: the real one (batched), or a copy without the batched calls; `wrap` may replace
   *  any of its functions (given the real one). */
  const useAddon = (
    it: NetlistInterpreter,
    batched: boolean,
    wrap: Partial<Record<keyof FreBlasAddon, (f: (...a: unknown[]) => unknown) => (...a: unknown[]) => unknown>>,
  ): void => {
    const a: Record<string, unknown> = { ...native! };
    if (!batched) for (const k of BATCHED) delete a[k];
    for (const [k, w] of Object.entries(wrap)) if (a[k]) a[k] = w!(a[k] as (...a: unknown[]) => unknown);
    const addon = a as unknown as FreBlasAddon;
    (it.chip as { native: unknown }).native = addon;
    for (const d of it.chip.W) d.native = addon;
  };

  /** An optimiser-like request from the gradients. */
  const request = (it: NetlistInterpreter, grads: (Float32Array | null)[]): void => {
    it.weights().forEach((w, e) => {
      const g = grads[e];
      if (g) for (let i = 0; i < w.length; i++) w[i] -= 0.05 * g[i];
    });
  };

  /** Bytes of a step, the commit after it and an inference (and what the step left in grads). */
  const stepBytes = (it: NetlistInterpreter, grads: (Float32Array | null)[]): Buffer => {
    const bufs: Buffer[] = [];
    const { loss, probs } = it.step(x, y, batch, grads);
    bufs.push(Buffer.from(Float64Array.of(loss).buffer), Buffer.from(bytesOf(probs)));
    for (const g of grads) if (g) bufs.push(Buffer.from(bytesOf(g)));
    request(it, grads);
    it.commit();
    for (const w of it.weights()) bufs.push(Buffer.from(bytesOf(w)));
    bufs.push(Buffer.from(Float64Array.of(...it.chip.W.map((d) => d.pulses)).buffer));
    bufs.push(Buffer.from(bytesOf(it.infer(x, batch))));
    return Buffer.concat(bufs);
  };

  test('a step whose UPDATE phase throws (a gradient buffer too short) leaves no queued tile GEMMs behind', () => {
    const go = (batched: boolean) =>
      withChipThreads(native!, 2, () => {
        const it = makeInterpreter(netlist, 7, selectKernels('auto'), batch);
        useAddon(it, batched, {});
        const grads = makeGrads(net);
        const bad = makeGrads(net);
        bad[0] = new Float32Array(3); // edge 0's weight gradient: too short for its tiles' GEMMs
        expect(() => it.step(x, y, batch, bad)).toThrow(/too short/);
        // The caller corrects its gradient slots and goes on.
        return [stepBytes(it, grads), stepBytes(it, grads)];
      });
    const plain = go(false);
    const batched = go(true);
    expect(batched[0].equals(plain[0])).toBe(true);
    expect(batched[1].equals(plain[1])).toBe(true);
  });

  test('a commit that throws at a later matrix leaves the matrices committed before it as pulsedCommit leaves them', () => {
    const go = (batched: boolean) =>
      withChipThreads(native!, 2, () => {
        const it = makeInterpreter(netlist, 7, selectKernels('auto'), batch);
        // The second matrix's commit of the first commit throws (before it draws anything), in both paths.
        let calls = 0;
        const failSecond =
          (f: (...a: unknown[]) => unknown) =>
          (...a: unknown[]) => {
            if (++calls === 2) throw new RangeError('pulsedCommit: out of memory (test)');
            return f(...a);
          };
        useAddon(it, batched, batched ? { pulsedCommitQueue: failSecond } : { pulsedCommit: failSecond });
        const grads = makeGrads(net);
        it.step(x, y, batch, grads);
        request(it, grads);
        expect(() => it.commit()).toThrow(/test/);
        expect(calls).toBe(2);
        const bufs: Buffer[] = [];
        // The first matrix was committed in both paths: its weights, pulses and what reads see of it.
        for (const w of it.weights()) bufs.push(Buffer.from(bytesOf(w)));
        bufs.push(Buffer.from(Float64Array.of(...it.chip.W.map((d) => d.pulses)).buffer));
        bufs.push(Buffer.from(bytesOf(it.infer(x, batch))));
        // And the training goes on from there.
        bufs.push(stepBytes(it, grads), stepBytes(it, grads));
        return Buffer.concat(bufs);
      });
    const plain = go(false);
    const batched = go(true);
    expect(batched.equals(plain)).toBe(true);
  });
});
