/**
 * Compile time of the big examples on a 256×256 preset (the goal: under 1 s each), per pass.
 *
 *   npx tsc -p . && node dist/bench/compile.js [--chip reram] [--runs 5]
 *
 * Each net is compiled once to warm up, then `runs` times; the median wall time is printed, from
 * reading the spec to the encoded netlist (no file written), with the median of each pass.
 */
import path from 'node:path';
import { compileFiles } from '../compiler/compile-files';
import { arg } from './args';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const chip = arg('chip', 'reram');
const runs = Math.max(1, Number(arg('runs', '5')));
const root = path.join(__dirname, '..', '..');
for (const ex of ['mnist-20l-residual', 'mnist-3hl']) {
  const spec = path.join(root, 'examples', `${ex}.json`);
  compileFiles({ spec, chip, wMax: { kind: 'max' } });
  const totals: number[] = [];
  const passes: Record<string, number[]> = {};
  let last;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    last = compileFiles({
      spec,
      chip,
      wMax: { kind: 'max' },
      hooks: {
        onPassTime: (p, ms) => {
          (passes[p] ??= []).push(ms);
        },
      },
    });
    totals.push(performance.now() - t0);
  }
  const r = last!.report;
  const perPass = Object.entries(passes)
    .map(([p, ms]) => `${p} ${median(ms).toFixed(1)}`)
    .join(', ');
  console.log(
    `${ex} on ${chip} (${r.edges.length} edges, ${r.arraysUsed} arrays, ${last!.bytes.length} bytes): ` +
      `median ${median(totals).toFixed(0)} ms over ${runs} runs${median(totals) < 1000 ? ' (< 1 s)' : ' (OVER the 1 s goal)'}\n  passes (ms): ${perPass}`,
  );
}
