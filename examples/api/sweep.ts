/**
 * A sweep in code: the feedback scale β_i × 2 seeds of a small graph on synthetic data, run on
 * worker processes, then the mean ± std table — what `fre sweep` and `fre sweep report` do:
 *
 *   node dist/examples/api/sweep.js [OUT_DIR]
 *
 * Writes OUT_DIR/graph.json, OUT_DIR/sweep.json and OUT_DIR/results.jsonl; prints the table on
 * stderr and one JSON line (results file, runs, per-β mean best accuracy) on stdout.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GraphBuilder, SWEEP_FORMAT, buildReport, formatTable, runSweep } from 'fre-toolchain';

async function main(out: string): Promise<void> {
  mkdirSync(out, { recursive: true });
  const graph = new GraphBuilder('api-sweep')
    .data('synthetic')
    .input(784)
    .layer('h1', 16)
    .layer('h2', 16)
    .output(10)
    .chain({ betaI: 0.01 })
    .dynamics({ T: 4, K: 2, betaF: 0.1 })
    .training({ optimizer: { kind: 'adam', lr: 0.002 }, batchSize: 50, epochs: 1, seed: 0 })
    .build();
  writeFileSync(join(out, 'graph.json'), JSON.stringify(graph, null, 1));
  const sweep = {
    format: SWEEP_FORMAT,
    name: 'api-sweep',
    runner: 'train',
    graph: 'graph.json',
    data: { trainLimit: 200, testLimit: 100 },
    axes: [{ name: 'beta', path: 'graph.edges[*].feedback.beta', values: [0.01, 0.5] }],
    seeds: 2,
    metrics: ['bestTestAccuracy', 'finalTrainLoss'],
  };
  const file = join(out, 'sweep.json');
  writeFileSync(file, JSON.stringify(sweep, null, 1));
  const results = resolve(out, 'results.jsonl');
  const summary = await runSweep({
    file,
    out: results,
    resume: false,
    workers: 1,
    progress: 'none',
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const report = buildReport([results]);
  process.stderr.write(`${formatTable(report)}\n`);
  const byBeta = Object.fromEntries(report.groups.map((g) => [String(g.point.beta), g.stats.bestTestAccuracy.mean]));
  process.stdout.write(`${JSON.stringify({ results, runs: summary.ran, bestTestAccuracyByBeta: byBeta })}\n`);
}

main(process.argv[2] ?? 'api-sweep-out').catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
