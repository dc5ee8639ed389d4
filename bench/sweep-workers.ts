/**
 * Sweep throughput, 1 worker vs 2 (issue: "2 workers finish a sweep in ≤ 0.6× the time of 1"),
 * run by hand after a build:
 *   node dist/bench/sweep-workers.js [--runs 8] [--epochs 2] [--train-limit 20000] [--test-limit 2000] [--repeats 1]
 * The same sweep (EP on the demo net, real MNIST slices, one point per seed) is run by the built
 * CLI with --workers 1 and --workers 2, in ABBA order when repeated so a drifting background load
 * biases neither; wall time includes worker start-up and data loading, as a user sees it. The two
 * results files must hold identical numbers (a run depends only on its config and seed). Writes
 * bench/results/sweeps/sweep-workers.json with the machine and its load average.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectKernels } from '../simulator/kernels/select';
import { deterministicMetrics, lineKey, readResults } from '../sweep/results';
import { machineInfo } from './machine';
import { arg } from './args';

const ROOT = join(__dirname, '..', '..');
const FRE = join(ROOT, 'dist', 'cli', 'main.js');

function numArg(name: string, def: number): number {
  return Number(arg(name, String(def)));
}

function main(): void {
  const runs = numArg('runs', 8);
  const epochs = numArg('epochs', 2);
  const trainLimit = numArg('train-limit', 20000);
  const testLimit = numArg('test-limit', 2000);
  const repeats = numArg('repeats', 1);
  const dir = mkdtempSync(join(tmpdir(), 'fre-bench-sweep-'));
  const file = join(dir, 'bench.json');
  writeFileSync(
    file,
    JSON.stringify({
      format: 'fre-sweep/1',
      name: 'bench-workers',
      runner: 'train',
      graph: join(ROOT, 'examples', 'mnist-demo.json'),
      set: { 'graph.training.epochs': epochs },
      data: { trainLimit, testLimit },
      axes: [{ path: 'method', values: ['ep'] }],
      seeds: runs,
      metrics: ['bestTestAccuracy', 'finalTestAccuracy', 'finalTrainLoss'],
    }),
  );

  const order: number[] = [];
  for (let r = 0; r < repeats; r++) order.push(...(r % 2 === 0 ? [1, 2] : [2, 1]));
  const seconds: Record<number, number[]> = { 1: [], 2: [] };
  const load: number[][] = [];
  let k = 0;
  for (const workers of order) {
    const out = join(dir, `w${workers}-${k++}.jsonl`);
    load.push(loadavg().map((x) => Number(x.toFixed(2))));
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [FRE, 'sweep', file, '-o', out, '--workers', String(workers), '--progress', 'none'], {
      encoding: 'utf8',
    });
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0) throw new Error(`sweep with ${workers} worker(s) failed:\n${r.stderr}`);
    seconds[workers].push(s);
    process.stderr.write(
      `${workers} worker${workers === 1 ? ' ' : 's'}: ${s.toFixed(1)} s (load average before: ${load[load.length - 1].join(' ')})\n`,
    );
  }
  // Same numbers whatever the number of workers.
  const a = readResults(join(dir, 'w1-0.jsonl')).lines;
  const b = readResults(join(dir, `w2-${order.indexOf(2)}.jsonl`)).lines;
  const m = new Map(a.map((l) => [lineKey(l), JSON.stringify(deterministicMetrics(l))]));
  const identical = b.length === a.length && b.every((l) => m.get(lineKey(l)) === JSON.stringify(deterministicMetrics(l)));

  const mean = (x: number[]) => x.reduce((p, q) => p + q, 0) / x.length;
  const ratio = mean(seconds[2]) / mean(seconds[1]);
  const result = {
    bench: 'sweep-workers',
    date: new Date().toISOString(),
    sweep: { net: 'examples/mnist-demo.json (784-128-128-10, EP)', runs, epochs, trainLimit, testLimit },
    seconds1Worker: seconds[1],
    seconds2Workers: seconds[2],
    ratio: Number(ratio.toFixed(3)),
    target: 0.6,
    identicalResults: identical,
    loadAverageBefore: load,
    cores: cpus().length,
    machine: machineInfo(selectKernels('auto')),
  };
  process.stdout.write(`${JSON.stringify(result, null, 1)}\n`);
  process.stderr.write(`2 workers / 1 worker = ${ratio.toFixed(2)} (target ≤ 0.6); identical results: ${identical}\n`);
  const outDir = join(ROOT, 'bench', 'results', 'sweeps');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'sweep-workers.json'), `${JSON.stringify(result, null, 1)}\n`);
}

main();
