/**
 * Speed of the chip simulator: one EP training epoch (or a slice of it) on the ideal executor
 * (software engine) and the netlist interpreter with each preset, in the same run, and their ratio.
 * Wall seconds of the epoch and, beside them, CPU seconds (all threads) of the whole call.
 *   node dist/bench/chip-epoch.js [--spec examples/mnist-2hl.json] [--train-limit 10000] [--presets ideal,reram,pcm,sram-8b]
 *     [--ideal-blas-threads 1,2] [--test-limit N]
 * --ideal-blas-threads runs the ideal executor once per OpenBLAS thread count (openblas_set_num_threads, in
 * this process) before the chip runs, which always read on one BLAS thread (their parallelism is the chip
 * threads, FRE_CHIP_THREADS): the chip's ratios are printed against each, e.g. the chip on 2 chip threads
 * against the ideal executor on 1 BLAS thread and on 2 (both cores each: the like-for-like figure).
 * A preset may name an update scheme: --presets reram:stochastic-coincidence,reram:row-programmed.
 * --test-limit N sets the test samples (default train-limit / 6).
 */
import { loadNetData } from '../datasets/net-data';
import { compile } from '../compiler/pipeline';
import { loadGraph } from '../graph/load';
import { resolveNet } from '../graph/net';
import type { ChipDescription, PulsedUpdate } from '../hw-models/chip';
import { PRESETS } from '../hw-models/presets';
import { runOnChip } from '../simulator/chip/run';
import { cloneParams, initParams } from '../graph/params';
import { loadNativeAddon } from '../simulator/kernels/native';
import { selectKernels } from '../simulator/kernels/select';
import { train } from '../simulator/train';
import { makeRng } from '../util/rng';
import { machineInfo } from './machine';
import { arg, hasArg } from './args';

async function main(): Promise<void> {
  const specFile = arg('spec', 'examples/mnist-2hl.json');
  const limit = Number(arg('train-limit', '10000'));
  const presets = arg('presets', 'ideal,reram,pcm,sram-8b').split(',');
  const net = resolveNet(loadGraph(specFile));
  const kernels = selectKernels('auto');
  // --test-limit 1 leaves the CPU seconds to the training epoch (the test pass is not what is compared).
  const testLimit = Number(arg('test-limit', String(Math.max(1, Math.round(limit / 6)))));
  const data = loadNetData(net, specFile, { trainLimit: limit, testLimit });
  const p0 = initParams(net, makeRng(0));
  console.log(JSON.stringify(machineInfo(kernels)));
  // CPU seconds of each whole call (training epoch and test pass, all threads) next to the epoch's wall
  // seconds: on a shared machine the wall seconds move with the load, the CPU seconds much less.
  const cpu = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;
  const addon = loadNativeAddon();
  const blas0 = addon ? addon.getThreads() : -1;
  const blasList = hasArg('ideal-blas-threads') ? arg('ideal-blas-threads', '1').split(',').map(Number) : [blas0];
  if (blasList.some((k) => k !== blas0) && !(addon && blas0 > 0))
    throw new Error('chip-epoch: --ideal-blas-threads needs the native backend on OpenBLAS (openblas_set_num_threads)');
  const bases: { blas: number; wall: number; cpu: number }[] = [];
  console.log(`${specFile}, ${data.train.count} train + ${data.test.count} test samples per epoch`);
  for (const k of blasList) {
    if (k !== blas0) addon!.setThreads(k);
    const cpu0 = process.cpuUsage();
    const base = await train(net, cloneParams(p0), data, { algo: 'ep', epochs: 1, seed: 0, kernels });
    bases.push({ blas: k, wall: base.result.epochSeconds[0], cpu: cpu(process.cpuUsage(cpu0)) });
    if (k !== blas0) addon!.setThreads(blas0);
  }
  const ideal = bases[0].wall;
  const idealCpu = bases[0].cpu;
  for (const b of bases) {
    const label = blasList.length > 1 || hasArg('ideal-blas-threads') ? `ideal executor, ${b.blas} BLAS thr` : 'ideal executor           ';
    console.log(
      `${label} ${b.wall.toFixed(2)} s   ${(b.wall / ideal).toFixed(2)}×   (CPU ${b.cpu.toFixed(2)} s, ${(b.cpu / idealCpu).toFixed(2)}×)`,
    );
  }
  for (const name of presets) {
    // preset:scheme picks the update scheme of a pulsed preset (e.g. reram:stochastic-coincidence).
    const [base, scheme] = name.split(':');
    const chip = JSON.parse(JSON.stringify(PRESETS[base])) as ChipDescription;
    if (scheme) {
      if (chip.crossbar.update.kind !== 'pulsed')
        throw new Error(`bench/chip-epoch: preset ${base} has no pulsed update to give scheme ${scheme}`);
      chip.crossbar.update = { ...chip.crossbar.update, scheme: scheme as PulsedUpdate['scheme'] };
    }
    const netlist = compile(net, chip, p0, { wMax: { kind: 'max' }, specFile, producerVersion: 'bench' }).netlist;
    const cpu0 = process.cpuUsage();
    const r = await runOnChip(netlist, data, { mode: 'train', epochs: 1, seed: 0, kernels });
    const s = r.epochs[0].seconds;
    const c = cpu(process.cpuUsage(cpu0));
    // Against the other BLAS thread counts' ideal epochs too (wall), when several ran.
    const others = bases
      .slice(1)
      .map((b) => `; ${(s / b.wall).toFixed(2)}× the ${b.blas}-BLAS-thread ideal`)
      .join('');
    console.log(
      `netlist interpreter, ${name.padEnd(9)} ${s.toFixed(2)} s   ${(s / ideal).toFixed(2)}×   (CPU ${c.toFixed(2)} s, ${(c / idealCpu).toFixed(2)}×; test acc ${(100 * r.testAccuracy).toFixed(2)}%${others})`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
