/**
 * Session 9's batched native calls after an exception (review of b92adc9..4feab29): a training step or a commit
 * that throws part-way must leave the interpreter as the calls one by one leave it, so that the next step and
 * commit give the same bytes. The queued tile GEMMs (sgemmBatch) and the queued commits (pulsedCommitQueue /
 * pulsedCommitRun) must not outlive the step or commit that queued them, nor leave a committed matrix half done.
 */
import { spawnSync } from 'child_process';
import { compile } from '../compiler/pipeline';
import { syntheticDataset } from '../datasets/synthetic';
import { resolveNet } from '../graph/net';
import { initParams } from '../graph/params';
import { PRESETS } from '../hw-models/presets';
import type { NetlistInterpreter } from '../simulator/chip/interpreter';
import { makeInterpreter } from '../simulator/chip/run';
import { loadNativeAddon, nativeAddonPath, type FreBlasAddon } from '../simulator/kernels/native';
import { selectKernels } from '../simulator/kernels/select';
import { makeGrads } from '../simulator/train';
import { validateNetlist } from '../netlist/validate';
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

run('the UPDATE phase with two updates of one array (a valid netlist) = the calls one by one', () => {
  // validateNetlist accepts an UPDATE phase updating one tile twice (here from s and from s⁰): one by one, the
  // second product is the tile's gradient. Side by side (sgemmBatch) the two race for the same tile of g, and
  // the gradient becomes whichever rows each thread wrote last.
  const batch = 24;
  const dims = [64, 300, 280, 10];
  const ds = syntheticDataset({ count: batch, dim: dims[0], classes: 10, seed: 3 });
  const x = ds.images.subarray(0, batch * dims[0]);
  const y = new Float32Array(batch * 10);
  for (let i = 0; i < batch; i++) y[i * 10 + ds.labels[i]] = 1;
  const chain = chainNet(dims, 10, { betaI: 0.01, betaF: 0.1, T: 3, K: 2, batch, nudge: 'held', feedback: 'symmetric' });
  const net = resolveNet(chain.spec);
  const netlist = compile(net, PRESETS.reram, initParams(net, makeRng(5)), {
    wMax: { kind: 'max' },
    specFile: 'test',
    producerVersion: 'test',
  }).netlist;
  const ops = netlist.schedule!.phases.find((p) => p.kind === 'PHASE_KIND_UPDATE')!.ops;
  const k = ops.findIndex((o) => o.opType === 'OuterProductUpdate' && o.pre === 'OPERAND_FREE_STATE');
  ops.splice(k + 1, 0, { ...ops[k], pre: 'OPERAND_STATE' });
  ops.forEach((o, i) => {
    if (i > k) o.id += 1;
  });

  test('validateNetlist accepts it, and every batched run gives the bytes of the plain one', () => {
    expect(validateNetlist(netlist, 'test').diagnostics).toEqual([]);
    const go = (batched: boolean) =>
      withChipThreads(native!, 2, () => {
        const it = makeInterpreter(netlist, 7, selectKernels('auto'), batch);
        const a: Record<string, unknown> = { ...native! };
        if (!batched) delete a.sgemmBatch;
        (it.chip as { native: unknown }).native = a as unknown as FreBlasAddon;
        const grads = makeGrads(net);
        const out: Buffer[] = [];
        for (let s = 0; s < 3; s++) {
          it.step(x, y, batch, grads);
          for (const g of grads) if (g) out.push(Buffer.from(bytesOf(g)));
        }
        return Buffer.concat(out);
      });
    const plain = go(false);
    let differ = 0;
    for (let r = 0; r < 20; r++) if (!go(true).equals(plain)) differ++;
    expect(differ).toBe(0);
  });
});

run('accumulateBatch with entries whose samples share elements', () => {
  // accumulateBatch splits the samples over the chip threads, so an element must belong to one sample's row of
  // every entry that writes it: else two threads add into it in either order (or lose an add). adcAccumulate
  // one by one has no such hazard. Entries that would race must be refused, not give thread-dependent floats.
  const m = 20000;
  const rnd = (len: number, seed: number): Float32Array => {
    const rng = makeRng(seed);
    return Float32Array.from({ length: len }, () => rng.uniform() * 2 - 1);
  };
  const A = rnd(m * 10, 1);
  const B = rnd(m * 10, 2);
  const O = rnd(m * 10 + 20, 3);
  const nums = (e: number[][]) => Float64Array.from(e.flatMap(([kind, lines, off, ld, gain]) => [kind, m, lines, off, ld, gain]));

  test('an entry whose sample row spills into the next sample (offset + lines > ld) is refused', () => {
    // Entry 0's sample r ends in sample r + 1's row of entry 1: on 3 threads the floats there depended on which
    // thread came first (a few runs in a hundred on two cores).
    const entries = [
      [0, 10, 3, 10, 0.7],
      [0, 10, 0, 10, 1.3],
    ];
    withChipThreads(native!, 3, () => {
      const o = O.slice();
      expect(() => native!.accumulateBatch!([A, o, B, o], nums(entries), 2)).toThrow(/offset \+ lines/);
    });
  });

  test('entries writing one buffer with different row strides, or reading what another writes, are refused', () => {
    const o = O.slice();
    // [what, buffers, entries, the error it must give, or null when it is accepted]
    const cases: [string, Float32Array[], number[][], RegExp | null][] = [
      // A bias add (stride lines = 8) after an add of stride 10 into the same drive: their samples' rows differ.
      [
        'two strides',
        [A, o, A, o],
        [
          [0, 8, 0, 10, 1],
          [1, 8, 0, 8, 1],
        ],
        /stride/,
      ],
      // The same drive through two views (rows shifted by 5 elements).
      [
        'two views',
        [A, o, B, o.subarray(5)],
        [
          [0, 5, 0, 10, 1],
          [0, 5, 0, 10, 1],
        ],
        /stride/,
      ],
      // An entry reading another's output other than row for row (sample r reads part of sample r + 1's row).
      [
        'shifted read',
        [A, o, o.subarray(3), B],
        [
          [0, 10, 0, 10, 1],
          [0, 10, 0, 10, 1],
        ],
        /reads/,
      ],
      // Row for row (each sample reads its own row, as adcAccumulate in place) stays accepted.
      [
        'row for row',
        [A, o, o, B],
        [
          [0, 10, 0, 10, 1],
          [0, 10, 0, 10, 1],
        ],
        null,
      ],
      // Column tiles of one drive (the interpreter's runs) and a bias add of the drive's width stay accepted.
      [
        'column tiles and a bias add',
        [A, o, B, o, A, o],
        [
          [0, 5, 0, 10, 1],
          [0, 5, 5, 10, 1],
          [1, 10, 0, 10, 1],
        ],
        null,
      ],
    ];
    for (const [what, bufs, entries, refused] of cases) {
      let error = '';
      try {
        native!.accumulateBatch!(bufs, nums(entries), entries.length);
      } catch (e) {
        error = String(e);
      }
      expect({ what, error }).toEqual({ what, error: refused ? expect.stringMatching(refused) : '' });
    }
  });
});

run('pulsedCommitQueue / pulsedCommitRun from several Node worker threads', () => {
  // The addon is context-aware (NAPI_MODULE_INIT): each worker thread may load it and run its own chip. The
  // queued commits were one process-wide list: threads queued into, ran and freed each other's commits (their
  // matrices' pointers), giving other bytes or a crash. Run in a child process, so that a crash fails this test
  // only.
  const code = `
    const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');
    const crypto = require('crypto');
    const file = ${JSON.stringify(nativeAddonPath())};
    if (isMainThread) {
      const N = 3;
      let done = 0, bad = 0;
      for (let w = 0; w < N; w++) {
        const wk = new Worker(${'`'}eval(require('worker_threads').workerData.code)${'`'}, { eval: true, workerData: { seed: w + 1, code: process.argv[1] } });
        wk.on('message', (m) => { if (!m.ok) bad++; if (++done === N) console.log('mismatched ' + bad); });
        wk.on('error', (e) => { console.log('worker error ' + e.message); process.exitCode = 2; });
      }
    } else {
      const a = require(file);
      const n = 4096;
      const mk = (seed) => {
        let x = seed * 7919;
        const r = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
        const f = (g) => Float32Array.from({ length: n }, g);
        const W = f(() => r() * 0.2 - 0.1);
        return { state: Uint32Array.from({ length: 8 }, () => ((r() * 2 ** 32) >>> 0) | 1), W, held: W.map((v) => v + (r() - 0.5) * 0.01),
          up: f(() => r() * 0.5), um: f(() => r() * 0.5), frozen: new Uint8Array(n), su: f(() => 0.001), sd: f(() => 0.001),
          bx: f(() => 1), bn: f(() => -1), sat: new Uint8Array(n), chi: new Float32Array(0),
          p: Float64Array.of(0.001, 31, 1, 1, 0.3, 1), out: new Float64Array(2) };
      };
      const args = (m) => [m.state, m.W, m.held, m.up, m.um, m.frozen, m.su, m.sd, m.bx, m.bn, m.sat, m.chi, m.p, m.out];
      const h = (ms) => { const c = crypto.createHash('sha256'); for (const m of ms) for (const k of ['W', 'up', 'um', 'out', 'state']) c.update(Buffer.from(m[k].buffer)); return c.digest('hex'); };
      let ok = true;
      for (let rep = 0; rep < 200 && ok; rep++) {
        const s = workerData.seed * 1000 + rep;
        const one = [mk(s), mk(s + 1), mk(s + 2)];
        const q = [mk(s), mk(s + 1), mk(s + 2)];
        for (const ms of [one, q]) ms[1].state = ms[2].state = ms[0].state; // the chip's one stream
        for (const m of one) a.pulsedCommit(...args(m));
        for (const m of q) a.pulsedCommitQueue(...args(m));
        a.pulsedCommitRun();
        if (h(one) !== h(q)) ok = false;
      }
      parentPort.postMessage({ ok });
    }`;

  test('each thread runs exactly its own queued commits (the bytes of pulsedCommit one by one, no crash)', () => {
    const r = spawnSync(process.execPath, ['-e', code, code], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, FRE_CHIP_THREADS: '2' },
    });
    expect({ signal: r.signal, status: r.status, out: r.stdout.trim() }).toEqual({ signal: null, status: 0, out: 'mismatched 0' });
  });
});

run('the addon loaded by Node worker threads only', () => {
  // Node unloads an addon (dlclose) when the last environment that loaded it ends. The pool's workers are
  // process-wide threads running the addon's code: since session 9 they spin in it for up to 2 ms after a job,
  // so a worker thread ending within that time unmapped the code under them (SIGSEGV); a sleeping one hung
  // the next load's first pool job (its fresh pool state waited for threads of the old one). The addon is
  // linked not to unload (-z nodelete).
  const code = `
    const { Worker } = require('worker_threads');
    const body = ${'`'}
      const a = require(${JSON.stringify(nativeAddonPath())});
      const n = 65536, f = (v) => new Float32Array(n).fill(v);
      const W = f(0.05), held = f(0);
      for (let r = 0; r < 50; r++)
        a.pulsedCommit(Uint32Array.of(1, 2, 3, 4, 5, 6, 7, 8), W, held, f(0.5), f(0.5), new Uint8Array(n), f(0.001), f(0.001),
          f(1), f(-1), new Uint8Array(n), new Float32Array(0), Float64Array.of(0.001, 31, 1, 1, 0.3, 1), new Float64Array(2));
    ${'`'};
    let round = 0;
    const next = () => {
      if (++round > 3) return console.log('ok');
      let left = 3;
      for (let k = 0; k < 3; k++) new Worker(body, { eval: true }).on('exit', () => { if (--left === 0) next(); });
    };
    next();`;

  test('three rounds of three worker threads, each loading the addon and running pool jobs, end cleanly', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, FRE_CHIP_THREADS: '2' };
    delete env.FRE_POOL_SPIN_US;
    const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 30_000, env });
    expect({ signal: r.signal, status: r.status, out: r.stdout.trim() }).toEqual({ signal: null, status: 0, out: 'ok' });
  });
});
