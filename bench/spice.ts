/**
 * The ngspice comparison of docs/spice.md: examples/mnist-demo.json compiled onto `reram` with
 * n×n arrays and r ohms per wire segment; one full array of the hidden-to-hidden edge W1 exported
 * (`fre export spice`'s code) with a random input (seed 0), solved by `ngspice -b`, and its output
 * currents compared with ours: the simulator's ideal read Σ G·V, the IR-drop model's effective
 * weights ('ladder', and its 'first-order' expansion) and the exact node solve.
 *
 *   npx tsc -p . && node dist/bench/spice.js [--sizes 8,32,64] [--ohms 0,1,2.5] [--cells differential,offset-column] [--out bench/results/spice]
 *
 * Prints a markdown table and writes it (and the numbers as JSON) to --out (ngspice.md, ngspice.json).
 * ngspice needs about a minute per 64×64 array with wires (its sparse solver), so larger arrays are
 * compared with our exact node solve instead (which matches ngspice to ~10⁻¹¹ wherever both ran):
 *
 *   node dist/bench/spice.js --exact-sizes 64,128,256 [--ohms 1,2.5] [--out bench/results/spice]   (exact.md, exact.json)
 *
 * --spec NAME picks the example (default mnist-demo; mnist-2hl when an array is larger than 128).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compileFiles } from '../compiler/compile-files';
import type { ReadKind } from '../hw-models/crossbar-circuit';
import { readNetlistFile } from '../netlist/codec';
import { modelOutputs, outputErrors, parseNgspiceOutputs, randomInput, spiceArray, spiceCircuit } from '../netlist/spice';
import { makeRng } from '../util/rng';
import { arg } from './args';

const root = path.join(__dirname, '..', '..');
const sizes = arg('sizes', '8,32,64').split(',').map(Number);
const ohms = arg('ohms', '0,1,2.5').split(',').map(Number);
const cells = arg('cells', 'differential,offset-column').split(',');
const outDir = arg('out', '');
const exactSizes = arg('exact-sizes', '')
  .split(',')
  .filter((v) => v !== '')
  .map(Number);
// mnist-demo's W1 is 128×128; larger arrays need a larger matrix (mnist-2hl's W1 is 512×512).
const spec = arg('spec', exactSizes.some((n) => n > 128) ? 'mnist-2hl' : 'mnist-demo');
const tmp = mkdtempSync(path.join(tmpdir(), 'fre-spice-'));

interface Row {
  cell: string;
  n: number;
  ohm: number;
  read: ReadKind;
  devices: string;
  ngspiceMs: number;
  ideal: { fullScale: number; perLine: number };
  ladder: { fullScale: number; perLine: number };
  firstOrder: { fullScale: number; perLine: number };
  exact: { fullScale: number; perLine: number };
}
const rows: Row[] = [];
const pct = (v: number) =>
  v < 1e-4 ? v.toExponential(1).replace('e', '·10^') : v >= 1 ? `${Math.round(100 * v)} %` : `${(100 * v).toPrecision(2)} %`;

function compiledArray(cell: string, n: number, ohm: number) {
  const chipFile = path.join(tmp, `chip-${cell}-${n}-${ohm}.json`);
  writeFileSync(
    chipFile,
    JSON.stringify({
      base: 'reram',
      name: `reram-${n}`,
      crossbar: { rows: n, cols: cell === 'offset-column' ? n + 1 : n, cell, wireResistanceOhm: ohm },
      periphery: { adc: { linesPerAdc: Math.min(8, n) } },
      noc: { meshWidth: 16, meshHeight: 16 },
    }),
  );
  const pb = path.join(tmp, `net-${cell}-${n}-${ohm}.pb`);
  compileFiles({ spec: path.join(root, 'examples', `${spec}.json`), chip: chipFile, out: pb, wMax: { kind: 'max' } });
  const { netlist } = readNetlistFile(pb);
  const w1 = netlist.edges.find((e) => e.name === 'W1')!;
  return { pb, a: spiceArray(netlist, w1.arrays[0], pb) };
}

if (exactSizes.length) {
  // Ours against our exact solve, for arrays too large for ngspice in reasonable time.
  const out: { n: number; ohm: number; read: ReadKind; ideal: number; ladder: number; firstOrder: number }[] = [];
  for (const n of exactSizes) {
    for (const ohm of ohms.filter((o) => o > 0)) {
      const { a } = compiledArray('differential', n, ohm);
      for (const read of ['forward', 'transposed'] as const) {
        const x = spiceCircuit(a, read, randomInput(a, read, makeRng('spice-input/0')), 'x').dacInput;
        const ref = modelOutputs(a, read, x, 'exact');
        const e = (m: 'ideal' | 'ladder' | 'first-order') => outputErrors(modelOutputs(a, read, x, m), ref).fullScale;
        out.push({ n, ohm, read, ideal: e('ideal'), ladder: e('ladder'), firstOrder: e('first-order') });
        process.stderr.write(`${n} ${ohm} Ω ${read}: ideal ${pct(out[out.length - 1].ideal)} ladder ${pct(out[out.length - 1].ladder)}\n`);
      }
    }
  }
  rmSync(tmp, { recursive: true, force: true });
  const text =
    `Max error of the output currents against our exact node solve, relative to the largest output current.\n` +
    `examples/${spec}.json on reram (differential, 4–40 µS) with n×n arrays, edge W1's first array (a full n×n tile), input uniform over [-1, 1] (seed 0).\n` +
    `Command: node dist/bench/spice.js --exact-sizes ${exactSizes.join(',')} --ohms ${ohms.join(',')}\n\n` +
    `| array (cells) | devices | wire Ω/segment | read | Σ G·V (ideal read) | IR-drop model (ladder) | first-order |\n|---|---|---|---|---|---|---|\n` +
    out
      .map(
        (r) => `| ${r.n}×${r.n} | ${r.n}×${2 * r.n} | ${r.ohm} | ${r.read} | ${pct(r.ideal)} | ${pct(r.ladder)} | ${pct(r.firstOrder)} |`,
      )
      .join('\n') +
    '\n';
  process.stdout.write(text);
  if (outDir) writeResults({ 'exact.md': text, 'exact.json': `${JSON.stringify(out, null, 1)}\n` });
  process.exit(0);
}

for (const cell of cells) {
  // One offset-column size is enough to show the reference column works; the table is about size.
  for (const n of cell === 'differential' ? sizes : [sizes[Math.min(1, sizes.length - 1)]]) {
    for (const ohm of ohms) {
      const { pb, a } = compiledArray(cell, n, ohm);
      for (const read of ['forward', 'transposed'] as const) {
        const input = randomInput(a, read, makeRng('spice-input/0'));
        const c = spiceCircuit(a, read, input, path.basename(pb));
        const cir = path.join(tmp, `a-${cell}-${n}-${ohm}-${read}.cir`);
        writeFileSync(cir, c.text);
        const t0 = performance.now();
        const r = spawnSync('ngspice', ['-b', cir], { encoding: 'utf8', maxBuffer: 1 << 28 });
        const ngspiceMs = performance.now() - t0;
        if (r.error || r.status !== 0) throw new Error(`ngspice failed on ${cir}: ${r.error?.message ?? r.stderr}`);
        const ref = parseNgspiceOutputs(r.stdout, c.outputs);
        const err = (m: Parameters<typeof modelOutputs>[3]) => outputErrors(modelOutputs(a, read, c.dacInput, m), ref);
        rows.push({
          cell,
          n,
          ohm,
          read,
          devices: `${a.units.rows}×${cell === 'differential' ? 2 * a.units.cols : a.units.cols + 1}`,
          ngspiceMs,
          ideal: err('ideal'),
          ladder: err('ladder'),
          firstOrder: err('first-order'),
          exact: err('exact'),
        });
        const last = rows[rows.length - 1];
        process.stderr.write(
          `${cell} ${n} ${ohm} Ω ${read}: ideal ${pct(last.ideal.fullScale)} ladder ${pct(last.ladder.fullScale)} first-order ${pct(last.firstOrder.fullScale)} exact ${pct(last.exact.fullScale)} (ngspice ${ngspiceMs.toFixed(0)} ms)\n`,
        );
      }
    }
  }
}
rmSync(tmp, { recursive: true, force: true });

const head = [
  '| cell | array (cells) | devices | wire Ω/segment | read | Σ G·V (ideal read) | IR-drop model (ladder) | first-order | exact solve |',
  '|---|---|---|---|---|---|---|---|---|',
];
const fmt = (e: { fullScale: number; perLine: number }) => `${pct(e.fullScale)} / ${pct(e.perLine)}`;
const table = [
  ...head,
  ...rows.map(
    (r) =>
      `| ${r.cell} | ${r.n}×${r.n} | ${r.devices} | ${r.ohm} | ${r.read} | ${fmt(r.ideal)} | ${fmt(r.ladder)} | ${fmt(r.firstOrder)} | ${fmt(r.exact)} |`,
  ),
].join('\n');
const text =
  `Max error of the output currents against ngspice: relative to the largest output current / ` +
  `largest relative error of an output ≥ 10 % of it.\n` +
  `examples/mnist-demo.json on reram with n×n arrays, edge W1's first array, input uniform over [-1, 1] (seed 0).\n` +
  `Command: node dist/bench/spice.js --sizes ${sizes.join(',')} --ohms ${ohms.join(',')} --cells ${cells.join(',')}\n\n${table}\n`;
process.stdout.write(text);
if (outDir) writeResults({ 'ngspice.md': text, 'ngspice.json': `${JSON.stringify(rows, null, 1)}\n` });

function writeResults(files: Record<string, string>): void {
  mkdirSync(outDir, { recursive: true });
  for (const [name, body] of Object.entries(files)) {
    const f = path.join(outDir, name);
    writeFileSync(`${f}.tmp`, body);
    renameSync(`${f}.tmp`, f);
  }
}
