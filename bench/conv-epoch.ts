/**
 * Conv EP against its FLOP floor (issue 18 item 1), run by hand:
 *
 *   node dist/bench/conv-epoch.js [--spec examples/mnist-conv.json] [--train-limit 512] [--profile] [--steps-only]
 *
 * In one run: (1) the GEMM rate of the selected backend on the shapes of the spec's largest conv edge
 * (forward, transposed, update, over a whole batch of patches), best of a few repetitions; (2) the
 * FLOPs of one EP training step per sample, counted from the spec (every array read and update the
 * engine makes: forward reads at each of the T + K steps, feedback reads once the target is non-zero,
 * one update per trained edge); (3) the floor = those FLOPs at the measured rates of their shapes;
 * (4) the measured seconds of EP training steps (engine step + optimiser; no evaluation) on the
 * first N training samples, per sample and scaled to a 60000-sample epoch, and their ratio to the
 * floor. The rates (and the floor) are those of one BLAS thread; with several (OPENBLAS_NUM_THREADS unset
 * or > 1) a second floor at the multithreaded rates is printed too. --profile also splits the step time by operation (each GEMM shape, im2row/row2im, layout
 * transposes, pooling, activation; the rest is engine bookkeeping), which adds timer overhead.
 * OPENBLAS_NUM_THREADS sets the BLAS threads as usual (the default is one per core). --steps-only
 * skips (1)–(3): for instruction counts of the steps alone under valgrind, which needs
 * OPENBLAS_CORETYPE=Haswell (it does not emulate AVX-512):
 *
 *   bash bench/callgrind-conv.sh [N]    (N training samples, default 16)
 *
 * which runs this file with --steps-only --callgrind-markers under valgrind and counts instructions
 * only between the markers printed around the steps (node start-up and data loading excluded).
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { loadNetData } from '../datasets/net-data';
import { sliceDataset } from '../datasets/dataset';
import { loadGraph } from '../graph/load';
import { INPUT, OUTPUT, resolveNet, type Net, type NetEdge } from '../graph/net';
import { initParams } from '../graph/params';
import * as im2rowModule from '../simulator/conv/im2row';
import * as layoutKernelsModule from '../simulator/conv/layout-kernels';
import { layoutFor } from '../simulator/conv/layout-kernels';
import * as poolModule from '../simulator/conv/pool';
import type { Kernels, Trans } from '../simulator/kernels/kernels';
import { loadNativeAddon, NATIVE_BACKEND_NAME } from '../simulator/kernels/native';
import { selectKernels } from '../simulator/kernels/select';
import { makeOptimizer } from '../simulator/optim/optimizer';
import { gatherBatch, makeGrads, makeModel } from '../simulator/train';
import { makeRng } from '../util/rng';
import { arg, hasArg } from './args';
import { machineInfo } from './machine';

type Shape = 'forward' | 'transposed' | 'update';

/** The FLOPs of one EP step per sample, by edge and by GEMM shape (conv edges read once per patch). */
export function epFlops(net: Net): { total: number; byShape: Record<Shape, number>; lines: string[] } {
  const { T, K, nudge } = net.spec.dynamics;
  const byShape: Record<Shape, number> = { forward: 0, transposed: 0, update: 0 };
  const lines: string[] = [];
  for (const e of net.edges) {
    const perRead = 2 * e.rows * e.cols * (e.conv ? e.conv.positions : 1);
    let fwd: number;
    let fb = 0;
    if (e.from === INPUT)
      fwd = 1; // the input drive, once per batch
    else if (e.to === OUTPUT) {
      const perStep = nudge === 'recomputed' || nudge === 'lagged';
      fwd = 1 + (perStep ? K : 0) + (nudge === 'graph' ? 1 : 0) + (nudge === 'lagged' ? 1 : 0);
      fb = perStep ? K : 1;
    } else {
      // Conv reads run at every step (argmax), dense ones skip the all-zero first free step.
      fwd = e.conv ? T + K : T + K - 1;
      // Feedback from a target that is non-zero: all steps but the first free one.
      fb = e.feedback === 'none' ? 0 : T - 1 + K;
    }
    const upd = e.trainable ? 1 : 0;
    byShape.forward += fwd * perRead;
    byShape.transposed += fb * perRead;
    byShape.update += upd * perRead;
    lines.push(
      `  ${e.name.padEnd(4)} ${e.conv ? `conv ${e.conv.positions} patches × [${e.rows} × ${e.cols}]` : `dense [${e.rows} × ${e.cols}]`}: ` +
        `${fwd} forward + ${fb} feedback + ${upd} update reads × ${(perRead / 1e6).toFixed(3)} MFLOP = ${(((fwd + fb + upd) * perRead) / 1e6).toFixed(1)} MFLOP`,
    );
  }
  return { total: byShape.forward + byShape.transposed + byShape.update, byShape, lines };
}

/** GFLOP/s of `kernels.gemm` on the executor's three shapes for edge e over a batch of m samples. */
/** GFLOP/s by wall time and by CPU time (all threads: on a shared machine a call's wall time includes
 *  waiting for a core, its CPU time does not). */
function gemmRates(kernels: Kernels, e: NetEdge, m: number, reps: number): { rate: Record<Shape, number>; cpuRate: Record<Shape, number> } {
  const n = m * (e.conv ? e.conv.positions : 1);
  const R = e.rows;
  const Cc = e.cols;
  const rng = makeRng('conv-bench');
  const fill = (len: number) => Float32Array.from({ length: len }, () => rng.uniform() - 0.5);
  const W = fill(R * Cc);
  const patches = fill(n * Cc);
  const rows = fill(n * R);
  const outRows = new Float32Array(n * R);
  const back = new Float32Array(n * Cc);
  const g = new Float32Array(R * Cc);
  // The ideal executor's calls (simulator/ideal-executor.ts): forward, transposed, outer.
  const calls: Record<Shape, () => void> = {
    forward: () => kernels.gemm('N', 'T', n, R, Cc, 1, patches, Cc, W, Cc, 1, outRows, R),
    transposed: () => kernels.gemm('N', 'N', n, Cc, R, 1, rows, R, W, Cc, 1, back, Cc),
    update: () => kernels.gemm('T', 'N', R, Cc, n, 1, rows, R, patches, Cc, 0, g, Cc),
  };
  const flops = 2 * n * R * Cc;
  const rate = {} as Record<Shape, number>;
  const cpuRate = {} as Record<Shape, number>;
  for (const s of Object.keys(calls) as Shape[]) {
    calls[s]();
    let best = Infinity;
    let bestCpu = Infinity;
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      calls[s]();
      const c = process.cpuUsage(c0);
      best = Math.min(best, (performance.now() - t0) / 1e3);
      bestCpu = Math.min(bestCpu, (c.user + c.system) / 1e6);
    }
    rate[s] = flops / best / 1e9;
    cpuRate[s] = flops / bestCpu / 1e9;
  }
  return { rate, cpuRate };
}

/** The layout thread count; 1 where layout-kernels has no layoutThreads (this file also runs on
 *  older checkouts: bench/results/conv/run-quiet.sh times the commit before the fused reads with it). */
function threadsOfLayout(): number {
  return (layoutKernelsModule as { layoutThreads?: () => number }).layoutThreads?.() ?? 1;
}

/** Wraps functions to sum their wall time by label (the --profile breakdown). */
class Profile {
  readonly seconds = new Map<string, number>();
  readonly calls = new Map<string, number>();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  time<F extends (...a: any[]) => unknown>(label: (...a: Parameters<F>) => string, f: F): F {
    return ((...a: Parameters<F>) => {
      const t0 = performance.now();
      try {
        return f(...a);
      } finally {
        const k = label(...a);
        this.seconds.set(k, (this.seconds.get(k) ?? 0) + (performance.now() - t0) / 1e3);
        this.calls.set(k, (this.calls.get(k) ?? 0) + 1);
      }
    }) as F;
  }
  /** Replaces the named exports of a CommonJS module by timed versions. */
  wrapModule(mod: Record<string, unknown>, names: string[]): void {
    for (const name of names) {
      const f = mod[name];
      if (typeof f !== 'function') continue;
      mod[name] = this.time(() => name, f as (...a: unknown[]) => unknown);
    }
  }
}

async function main(): Promise<void> {
  const specFile = arg('spec', 'examples/mnist-conv.json');
  const limit = Number(arg('train-limit', '512'));
  const reps = Number(arg('reps', '3'));
  const kernels = selectKernels('auto');
  const net = resolveNet(loadGraph(specFile));
  const batch = net.spec.training.batchSize;
  console.log(JSON.stringify(machineInfo(kernels)));
  const layout = layoutFor(kernels);
  console.log(
    `conv path: ${'convForwardMax' in layout && layout.convForwardMax ? 'fused native chunk loop' : `${layout.name} call by call`}; layout threads ${threadsOfLayout()} (FRE_LAYOUT_THREADS, else 2 when OpenBLAS has 2+ threads)`,
  );

  const stepsOnly = hasArg('steps-only');
  // (1)–(3) the floor, from the spec and this run's GEMM rates.
  const big = net.edges
    .filter((e) => e.from !== INPUT && e.to !== OUTPUT)
    .reduce((a, e) => (2 * e.rows * e.cols * (e.conv?.positions ?? 1) > 2 * a.rows * a.cols * (a.conv?.positions ?? 1) ? e : a));
  // The floor on one core (one BLAS thread) and, when OpenBLAS runs several threads, on all of them
  // (the same FLOPs at the multithreaded whole-batch rates): the step's threads are compared with both.
  const addon = loadNativeAddon();
  const blasThreads = kernels.name === NATIVE_BACKEND_NAME && addon ? addon.getThreads() : 1;
  const noRate = { forward: NaN, transposed: NaN, update: NaN };
  if (blasThreads > 1) addon!.setThreads(1);
  const one = stepsOnly ? { rate: noRate, cpuRate: noRate } : gemmRates(kernels, big, batch, reps);
  const rate = one.rate;
  if (blasThreads > 1) addon!.setThreads(blasThreads);
  const rateAll = stepsOnly || blasThreads <= 1 ? null : gemmRates(kernels, big, batch, reps).rate;
  const flops = epFlops(net);
  console.log(`EP step FLOPs per sample (${specFile}: T ${net.spec.dynamics.T}, K ${net.spec.dynamics.K}):`);
  for (const l of flops.lines) console.log(l);
  console.log(
    `  total ${(flops.total / 1e6).toFixed(1)} MFLOP (forward ${(flops.byShape.forward / 1e6).toFixed(1)}, feedback ${(flops.byShape.transposed / 1e6).toFixed(1)}, update ${(flops.byShape.update / 1e6).toFixed(1)})`,
  );
  const n = batch * (big.conv?.positions ?? 1);
  if (!stepsOnly)
    console.log(
      `GEMM rate on ${big.name}'s shapes, batch ${batch} (${n} patch rows), best of ${reps}: ` +
        `forward [${n}×${big.cols}]·[${big.rows}×${big.cols}]ᵀ ${rate.forward.toFixed(1)} GFLOP/s, ` +
        `transposed [${n}×${big.rows}]·[${big.rows}×${big.cols}] ${rate.transposed.toFixed(1)} GFLOP/s, ` +
        `update [${n}×${big.rows}]ᵀ·[${n}×${big.cols}] ${rate.update.toFixed(1)} GFLOP/s (one BLAS thread)` +
        (rateAll
          ? `; ${blasThreads} BLAS threads: ${rateAll.forward.toFixed(1)}, ${rateAll.transposed.toFixed(1)}, ${rateAll.update.toFixed(1)} GFLOP/s`
          : ''),
    );
  const floorAt = (r: Record<Shape, number>) =>
    flops.byShape.forward / (r.forward * 1e9) + flops.byShape.transposed / (r.transposed * 1e9) + flops.byShape.update / (r.update * 1e9);
  const floorPerSample = floorAt(rate);
  const floorCpu = floorAt(one.cpuRate);
  const floorAll = rateAll ? floorAt(rateAll) : null;

  // (4) measured EP training steps.
  const full = loadNetData(net, specFile, {});
  const train = sliceDataset(full.train, limit);
  const prof = hasArg('profile') ? new Profile() : null;
  let k = kernels;
  if (prof) {
    const gemm = kernels.gemm.bind(kernels);
    k = {
      ...kernels,
      name: kernels.name,
      gemm: prof.time((ta: Trans, tb: Trans, M: number, N: number, K: number) => `gemm ${ta}${tb} ${M}×${N}×${K}`, gemm as Kernels['gemm']),
      activate: prof.time(() => 'activate', kernels.activate.bind(kernels)),
    };
    const layoutFns = layout as unknown as Record<string, unknown>;
    prof.wrapModule(layoutFns, ['im2row', 'row2im', 'maxPoolRows', 'maxUnpoolRows', 'convForwardMax', 'convBackwardMax']);
    prof.wrapModule(im2rowModule as unknown as Record<string, unknown>, ['rowsToMaps', 'mapsToRows']);
    prof.wrapModule(poolModule as unknown as Record<string, unknown>, ['poolForward', 'poolTranspose']);
  }
  const { model } = makeModel(net, initParams(net, makeRng(0)), 'ep', k, batch, makeRng(0));
  const optimizer = makeOptimizer(net, net.spec.training, k);
  const grads = makeGrads(net);
  const params = (model as unknown as { exec: { params: { W: { data: Float32Array }[]; bias: (Float32Array | undefined)[] } } }).exec
    .params;
  const weights = [...params.W.map((w) => w.data), ...net.edges.map((e) => params.bias[e.index] ?? new Float32Array(0))];
  const x = new Float32Array(batch * net.inputSize);
  const y = new Float32Array(batch * net.classes);
  // For bench/callgrind-conv.sh: a marker, then a pause in which the script turns counting on/off.
  const markers = hasArg('callgrind-markers');
  const pause = (label: string) => {
    if (!markers) return;
    console.log(label);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5000);
  };
  pause('steps: start');
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let seen = 0;
  for (let start = 0; start < train.count; start += batch) {
    const m = Math.min(batch, train.count - start);
    gatherBatch(train, null, start, m, x, y);
    model.step(x, y, m, grads);
    optimizer.step(weights, grads);
    seen += m;
  }
  const seconds = (performance.now() - t0) / 1e3;
  const cpu = process.cpuUsage(cpu0);
  pause('steps: end');
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const perSample = seconds / seen;
  console.log(
    `EP training steps: ${seen} samples in ${seconds.toFixed(2)} s = ${(perSample * 1e3).toFixed(2)} ms/sample = ${(perSample * 60000).toFixed(0)} s per 60000-sample epoch`,
  );
  // On a shared machine wall time includes waiting for a core; CPU time (all threads) does not.
  console.log(
    `  CPU time of this process: ${cpuSeconds.toFixed(2)} s = ${((cpuSeconds / seen) * 1e3).toFixed(2)} ms/sample (${(cpuSeconds / seconds).toFixed(2)} cores busy on average)`,
  );
  // The trained weights and biases, for bit-identity checks between builds and thread settings.
  const hash = createHash('sha256');
  for (const w of weights) hash.update(new Uint8Array(w.buffer, w.byteOffset, w.byteLength));
  console.log(`  sha256 of the weights and biases after the steps: ${hash.digest('hex')}`);
  if (!stepsOnly)
    console.log(
      `FLOP floor: ${(floorPerSample * 1e3).toFixed(2)} ms/sample = ${(floorPerSample * 60000).toFixed(0)} s per epoch (${(flops.total / floorPerSample / 1e9).toFixed(1)} GFLOP/s blended, one core); measured / floor = ${(perSample / floorPerSample).toFixed(2)}×`,
    );
  if (!stepsOnly)
    console.log(
      `  by CPU time (load-independent, one core): GEMM rates ${one.cpuRate.forward.toFixed(1)}, ${one.cpuRate.transposed.toFixed(1)}, ${one.cpuRate.update.toFixed(1)} GFLOP/s → floor ${(floorCpu * 1e3).toFixed(2)} ms/sample; CPU time / floor = ${(cpuSeconds / seen / floorCpu).toFixed(2)}×`,
    );
  if (floorAll)
    console.log(
      `FLOP floor on ${blasThreads} BLAS threads: ${(floorAll * 1e3).toFixed(2)} ms/sample = ${(floorAll * 60000).toFixed(0)} s per epoch (${(flops.total / floorAll / 1e9).toFixed(1)} GFLOP/s blended); measured / floor = ${(perSample / floorAll).toFixed(2)}×`,
    );
  if (prof) {
    const rows = [...prof.seconds].sort((a, b) => b[1] - a[1]);
    const covered = rows.reduce((s, [, v]) => s + v, 0);
    console.log('profile (share of the step time):');
    for (const [label, s] of rows)
      console.log(
        `  ${label.padEnd(30)} ${((100 * s) / seconds).toFixed(1).padStart(5)} %  ${((1e3 * s) / seen).toFixed(3)} ms/sample  ${prof.calls.get(label)} calls`,
      );
    console.log(`  ${'other (engine, optimiser)'.padEnd(30)} ${((100 * (seconds - covered)) / seconds).toFixed(1).padStart(5)} %`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
