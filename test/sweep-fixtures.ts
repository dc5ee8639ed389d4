/** Tiny graphs and sweep files for the sweep tests (synthetic data: no files, fast). */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tinyGraph(o: { hidden?: number; epochs?: number } = {}) {
  const h = o.hidden ?? 16;
  return {
    format: 'fre-graph/1',
    name: 'tiny',
    data: { dataset: 'synthetic' },
    input: { size: 784 },
    layers: [
      { name: 'h1', size: h },
      { name: 'h2', size: h },
      { name: 'h3', size: h },
    ],
    output: { classes: 10 },
    edges: [
      { name: 'W0', from: 'input', to: 'h1' },
      { name: 'W1', from: 'h1', to: 'h2', feedback: { kind: 'symmetric', beta: 0.01 } },
      { name: 'W2', from: 'h2', to: 'h3', feedback: { kind: 'symmetric', beta: 0.02 } },
      { name: 'Wf', from: 'h3', to: 'output' },
    ],
    dynamics: { T: 4, K: 2, betaF: 0.1 },
    training: { optimizer: { kind: 'adam', lr: 0.003 }, batchSize: 50, epochs: o.epochs ?? 1, seed: 0 },
  };
}

export function tinySweep(extra: Record<string, unknown> = {}) {
  return {
    format: 'fre-sweep/1',
    name: 'tiny',
    runner: 'train',
    graph: 'graph.json',
    data: { trainLimit: 300, testLimit: 100 },
    axes: [
      { name: 'beta', path: 'graph.edges[*].feedback.beta', values: { from: 0.001, to: 0.1, steps: 3, scale: 'log' } },
      { path: 'method', values: ['ep', 'bp'] },
    ],
    seeds: 2,
    metrics: ['bestTestAccuracy', 'finalTestAccuracy', 'finalTrainLoss'],
    ...extra,
  };
}

/** A fresh folder with graph.json and sweep.json; returns paths. */
export function sweepDir(sweep: Record<string, unknown> = tinySweep(), graph: Record<string, unknown> = tinyGraph()) {
  const dir = mkdtempSync(join(tmpdir(), 'fre-sweep-'));
  writeFileSync(join(dir, 'graph.json'), JSON.stringify(graph, null, 1));
  const file = join(dir, 'sweep.json');
  writeFileSync(file, JSON.stringify(sweep, null, 1));
  return { dir, file, graphFile: join(dir, 'graph.json') };
}

/** Polls `cond` every 10 ms for up to `ms`; true as soon as it holds (watching files a child process writes). */
export async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return cond();
}

/** Whether a sweep worker (sweep/worker.js) still runs whose command line names `arg` (Linux /proc): the orphaned
 *  worker of a killed parent, labelled with its results file, which must be gone before a resume reuses its
 *  checkpoints. Only workers count: the parent `fre sweep -o OUT` names OUT on its command line too. */
export function processWithArg(arg: string): boolean {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv.includes(arg) && argv.some((a) => /[\\/]sweep[\\/]worker\.js$/.test(a))) return true;
    } catch {
      /* the process ended while we looked */
    }
  }
  return false;
}
