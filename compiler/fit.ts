/**
 * "Does not fit": how many arrays a net needs on given array sizes (the closed form
 * Σ_edges ceil(rows/R)·ceil(cols/C), plus B's tiles for random feedback), and the diagnostic that
 * says what to change with the numbers: a bigger mesh, more arrays per core, bigger arrays, or
 * fewer units (PACMAN's "too big to place" lesson, docs/references.md#netlist-and-ir-design).
 */
import { nodeName, type Net } from '../graph/net';
import { arraysAvailable, coresAvailable, weightCols, type ChipDescription } from '../hw-models/chip';
import type { CodedDiagnostic } from '../hw-models/diagnostics';
import { diag } from './diagnostics';
import type { CompilerIR } from './ir';

/** Arrays for one matrix of rows × cols on R × C arrays. */
const grid = (rows: number, cols: number, R: number, C: number): number => Math.ceil(rows / R) * Math.ceil(cols / C);

/** Arrays the net needs on R × C (weight columns) arrays; hidden widths capped at `cap` if given. */
export function arraysNeeded(net: Net, R: number, C: number, cap = Infinity): number {
  const size = (node: number): number => (node >= 0 ? Math.min(cap, net.layers[node].size) : node === -1 ? net.inputSize : net.classes);
  let n = 0;
  for (const e of net.edges) {
    // A conv edge's matrix is its unrolled kernel, whatever the map sizes (`cap` narrows dense layers only).
    const rows = e.conv ? e.rows : size(e.to);
    const cols = e.conv ? e.cols : size(e.from);
    n += grid(rows, cols, R, C);
    if (e.feedback === 'random') n += grid(cols, rows, R, C);
  }
  return n;
}

export function doesNotFit(ir: CompilerIR): CodedDiagnostic {
  const { net, chip } = ir;
  const x = chip.crossbar;
  const noc = chip.noc;
  const need = ir.tiles.length;
  const have = arraysAvailable(chip);
  const apc = noc.arraysPerCore;
  const coresNeeded = Math.ceil(need / apc);
  const side = Math.ceil(Math.sqrt(coresNeeded));
  const taller = Math.ceil(coresNeeded / noc.meshWidth);
  const options: string[] = [];
  options.push(
    `a bigger mesh: noc.meshWidth × noc.meshHeight of at least ${noc.meshWidth} × ${taller} or ${side} × ${side} (${coresNeeded} cores of ${apc} arrays)`,
  );
  options.push(
    `more arrays per core: noc.arraysPerCore ≥ ${Math.ceil(need / coresAvailable(chip))} on the ${noc.meshWidth} × ${noc.meshHeight} mesh`,
  );
  const bigger = biggerArrays(net, chip, have);
  if (bigger) options.push(`bigger arrays: crossbar.rows = crossbar.cols = ${bigger.size} (${bigger.arrays} arrays)`);
  const cap = widthThatFits(net, x.rows, weightCols(x), have);
  if (cap > 0) options.push(`fewer units: hidden layers of at most ${cap} units (${arraysNeeded(net, x.rows, weightCols(x), cap)} arrays)`);
  else options.push('fewer units cannot help: the input and output edges alone need more arrays than the chip has');
  const perEdge = net.edges
    .map((e) => ({
      e,
      n: grid(e.rows, e.cols, x.rows, weightCols(x)) + (e.feedback === 'random' ? grid(e.cols, e.rows, x.rows, weightCols(x)) : 0),
    }))
    .sort((a, b) => b.n - a.n || a.e.index - b.e.index)
    .slice(0, 3)
    .map(
      ({ e, n }) =>
        `${e.name} (${nodeName(net, e.from)}→${nodeName(net, e.to)}, ${e.rows}×${e.cols}${e.feedback === 'random' ? ' + random feedback' : ''}): ${n}`,
    );
  return diag(
    'CMP001',
    ir.options.specFile,
    '',
    `${net.spec.name} needs ${need} arrays of ${x.rows}×${x.cols} but chip "${chip.name}" has ${have} (${noc.meshWidth}×${noc.meshHeight} cores × ${apc} arrays per core); largest edges: ${perEdge.join(', ')}`,
    `use ${options.join('; or ')}`,
  );
}

/** The smallest power-of-two square array (above the current size) on which the net fits. */
function biggerArrays(net: Net, chip: ChipDescription, have: number): { size: number; arrays: number } | undefined {
  const spare = chip.crossbar.cols - weightCols(chip.crossbar);
  for (let s = 2 ** Math.ceil(Math.log2(Math.max(chip.crossbar.rows, chip.crossbar.cols) + 1)); s <= 65536; s *= 2) {
    const n = arraysNeeded(net, s, s - spare);
    if (n <= have) return { size: s, arrays: n };
  }
  return undefined;
}

/** The largest hidden width that fits (0 if none), by bisection. */
function widthThatFits(net: Net, R: number, C: number, have: number): number {
  if (arraysNeeded(net, R, C, 1) > have) return 0;
  let lo = 1;
  let hi = Math.max(...net.layers.map((l) => l.size));
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (arraysNeeded(net, R, C, mid) <= have) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
