/**
 * One array of a compiled netlist as a SPICE circuit (`fre export spice`, docs/spice.md): each
 * device a resistor at its programmed conductance, wire segments of chip.crossbar.wireResistanceOhm
 * between neighbouring cells, drivers as DC voltage sources at the DAC voltages of an input vector,
 * sense nodes held at 0 V by 0 V sources whose branch currents are the read's currents; `.op`, and a
 * control block that prints each output current (the read's outputs: row currents for a forward
 * read, differences of column currents for a transposed one). The layout is
 * hw-models/crossbar-circuit.ts's, shared with the IR-drop model. Written for ngspice (`ngspice -b`).
 */
import type { ChipDescription } from '../hw-models/chip';
import { unitOf } from '../hw-models/conductance';
import {
  amperesPerUnit,
  dacLevel,
  physicalArray,
  portVoltages,
  readOutputs,
  voltsPerUnit,
  type ReadKind,
  type TileUnits,
} from '../hw-models/crossbar-circuit';
import { irDropWeights, solveCrossbar, type IrDropModel } from '../hw-models/ir-drop';
import type { CodedDiagnostic } from '../hw-models/diagnostics';
import type { Rng } from '../util/rng';
import { chipFromMsg } from './chip-proto';
import { NetlistError } from './diagnostics';
import { edgeTiles, type ArrayTile } from './tiles';
import type { NetlistMsg } from './types';

/** Diagnostic codes of the export (in the NET family's shape; pinned by test/spice.test.ts). */
export const EXPORT_CODES = {
  EXP001: 'no such array in the netlist',
  EXP002: 'input vector unusable (unreadable, not numbers, wrong length)',
} as const;
export type ExportCode = keyof typeof EXPORT_CODES;

export function exportError(code: ExportCode, file: string, path: string, message: string, hint: string): NetlistError {
  const d: CodedDiagnostic = { code, file, path, message, hint };
  return new NetlistError([d]);
}

export interface SpiceArray {
  tile: ArrayTile;
  edgeName: string;
  units: TileUnits;
  chip: ChipDescription;
}

/** The decoded tile of array `id` with its normalised conductances u. */
export function spiceArray(n: NetlistMsg, id: number, file: string): SpiceArray {
  if (!Number.isInteger(id) || id < 0 || id >= n.arrays.length) {
    throw exportError(
      'EXP001',
      file,
      'arrays',
      `array ${id} does not exist: the netlist has ${n.arrays.length} arrays (ids 0…${n.arrays.length - 1})`,
      `pick an id from \`fre inspect ${file}\``,
    );
  }
  const chip = chipFromMsg(n.chip!);
  for (const e of edgeTiles(n)) {
    for (const tile of [...e.weight, ...e.feedback]) {
      if (tile.array !== id) continue;
      const rows = tile.rowEnd - tile.rowBegin;
      const cols = tile.colEnd - tile.colBegin;
      const lv = chip.crossbar.levels;
      const units: TileUnits = {
        rows,
        cols,
        plus: Float64Array.from(tile.plus, (q) => unitOf(q, lv)),
        minus: tile.minus ? Float64Array.from(tile.minus, (q) => unitOf(q, lv)) : undefined,
      };
      return { tile, edgeName: e.name, units, chip };
    }
  }
  throw exportError('EXP001', file, `arrays.${id}`, `array ${id} belongs to no edge`, 're-compile the netlist');
}

/** Inputs a read drives: tile columns (forward) or rows (transposed). */
export function inputLength(a: SpiceArray, read: ReadKind): number {
  return read === 'forward' ? a.units.cols : a.units.rows;
}

/** A reproducible input vector, uniform over the DAC's input range. */
export function randomInput(a: SpiceArray, read: ReadKind, rng: Rng): Float64Array {
  const [lo, hi] = a.chip.periphery.dac.inputRange;
  return Float64Array.from({ length: inputLength(a, read) }, () => lo + (hi - lo) * rng.uniform());
}

/** Checks a parsed input vector (from `--input v.json`). */
export function checkInput(v: unknown, a: SpiceArray, read: ReadKind, file: string): Float64Array {
  const n = inputLength(a, read);
  const side = read === 'forward' ? 'columns' : 'rows';
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
    throw exportError(
      'EXP002',
      file,
      '',
      `the input must be a JSON array of ${n} finite numbers (state units), got ${Array.isArray(v) ? 'an array with a non-number' : typeof v}`,
      `write e.g. [${Array.from({ length: Math.min(n, 3) }, () => '0.5').join(', ')}${n > 3 ? ', …' : ''}] with one value per driven line`,
    );
  }
  if (v.length !== n) {
    throw exportError(
      'EXP002',
      file,
      '',
      `the input has ${v.length} values; a ${read} read of array ${a.tile.array} drives its ${n} ${side}`,
      `give ${n} values${read === 'forward' ? ' (or use --read transposed to drive the rows)' : ''}`,
    );
  }
  return Float64Array.from(v as number[]);
}

export interface SpiceCircuit {
  text: string;
  /** Names printed by the control block, one per output, in output order (y0, y1, …). */
  outputs: string[];
  /** The DAC levels of the input (state units). */
  dacInput: Float64Array;
  /** Port voltages (volts) of the physical row and column lines. */
  ports: { rows: Float64Array; cols: Float64Array };
}

const num = (v: number): string => (v === 0 ? '0' : v.toPrecision(12));

/** Writes the circuit of one read of the array with the given input (state units, before the DAC). */
export function spiceCircuit(a: SpiceArray, read: ReadKind, input: ArrayLike<number>, source: string): SpiceCircuit {
  const { chip, tile, units } = a;
  const x = chip.crossbar;
  const dacInput = Float64Array.from(input, (v) => dacLevel(v, chip.periphery.dac));
  const ports = portVoltages(units, x.cell, read, dacInput, voltsPerUnit(chip.periphery.dac));
  const phys = physicalArray(units, x);
  const R = phys.rows;
  const C = phys.cols;
  const r = x.wireResistanceOhm;
  const diff = x.cell === 'differential';
  const L: string[] = [];
  L.push(
    `* fre export spice: array ${tile.array} of ${source} (edge ${a.edgeName}, ${tile.role} tile (${tile.tileRow}, ${tile.tileCol}), matrix rows ${tile.rowBegin}…${tile.rowEnd - 1}, columns ${tile.colBegin}…${tile.colEnd - 1}), ${read} read`,
  );
  L.push(
    `* chip ${chip.name}: ${x.cell}, g ${x.gMinUS}…${x.gMaxUS} uS, ${x.wireResistanceOhm} ohm per wire segment, full-scale input at ${chip.periphery.dac.readVoltageV} V`,
  );
  L.push(
    `* ${R} row lines (port at the left end: node pr<i>), ${C} column lines (port at the bottom end: node pc<j>)` +
      (diff
        ? '; cell (r, c): G+ on column 2c, G- on column 2c+1'
        : `; weight columns 0…${C - 2}, reference column ${C - 1} at (g_min + g_max)/2`),
  );
  L.push(`* row-line node r<i>_<j>, column-line node c<i>_<j> at cell (i, j); wire segments between neighbours (docs/spice.md)`);
  const rowNode = (i: number, j: number) => (r > 0 ? `r${i}_${j}` : `pr${i}`);
  const colNode = (i: number, j: number) => (r > 0 ? `c${i}_${j}` : `pc${j}`);
  L.push('* devices: resistors at the programmed conductances');
  for (let i = 0; i < R; i++)
    for (let j = 0; j < C; j++) L.push(`RD${i}_${j} ${rowNode(i, j)} ${colNode(i, j)} ${num(1 / phys.g[i * C + j])}`);
  if (r > 0) {
    L.push('* wire segments');
    for (let i = 0; i < R; i++) {
      L.push(`RWR${i}_0 pr${i} r${i}_0 ${num(r)}`);
      for (let j = 1; j < C; j++) L.push(`RWR${i}_${j} r${i}_${j - 1} r${i}_${j} ${num(r)}`);
    }
    for (let j = 0; j < C; j++) {
      for (let i = 0; i < R - 1; i++) L.push(`RWC${i}_${j} c${i}_${j} c${i + 1}_${j} ${num(r)}`);
      L.push(`RWC${R - 1}_${j} c${R - 1}_${j} pc${j} ${num(r)}`);
    }
  }
  L.push(
    read === 'forward'
      ? '* column drivers at the DAC voltages; row sense nodes at virtual ground (0 V)'
      : '* row drivers at the DAC voltages; column sense nodes at virtual ground (0 V)',
  );
  for (let i = 0; i < R; i++) L.push(`VR${i} pr${i} 0 DC ${num(ports.rows[i])}`);
  for (let j = 0; j < C; j++) L.push(`VC${j} pc${j} 0 DC ${num(ports.cols[j])}`);
  L.push('.op');
  // A source's branch current flows from its + node through it to ground: for a sense node held at
  // 0 V that is the current the array delivers into it.
  const outputs: string[] = [];
  const lets: string[] = [];
  if (read === 'forward') {
    for (let i = 0; i < R; i++) {
      outputs.push(`y${i}`);
      lets.push(`let y${i} = i(VR${i})`);
    }
  } else {
    for (let c = 0; c < units.cols; c++) {
      outputs.push(`y${c}`);
      lets.push(`let y${c} = i(VC${diff ? 2 * c : c}) - i(VC${diff ? 2 * c + 1 : C - 1})`);
    }
  }
  L.push('.control');
  L.push('op');
  L.push('set numdgt=12');
  L.push(
    `* y<k>: output k of the read, amperes (${read === 'forward' ? "the current into row k's sense node" : diff ? 'I(column 2k) - I(column 2k+1)' : 'I(column k) - I(reference column)'})`,
  );
  L.push(...lets);
  for (let k = 0; k < outputs.length; k += 16) L.push(`print ${outputs.slice(k, k + 16).join(' ')}`);
  L.push('.endc');
  L.push('.end');
  return { text: `${L.join('\n')}\n`, outputs, dacInput, ports };
}

/** The outputs printed by the control block (`y<k> = value` lines of ngspice's stdout), amperes. */
export function parseNgspiceOutputs(stdout: string, outputs: readonly string[]): Float64Array {
  const seen = new Map<string, number>();
  for (const m of stdout.matchAll(/^\s*(y\d+)\s*=\s*([-+0-9.eE]+)\s*$/gm)) seen.set(m[1], Number(m[2]));
  return Float64Array.from(outputs, (name) => {
    const v = seen.get(name);
    if (v === undefined || !Number.isFinite(v)) throw new Error(`ngspice printed no value for ${name}`);
    return v;
  });
}

/**
 * Our prediction of the circuit's outputs (amperes) for the DAC levels x of a read:
 *   'ideal': Σ G·V, the simulator's read without wire resistance (the tile's (u+ − u−) or 2(u − ½));
 *   'ladder' | 'first-order': the IR-drop model's effective weights (hw-models/ir-drop.ts), as the
 *     executor would use them;
 *   'exact': the node equations solved (solveCrossbar).
 */
export function modelOutputs(a: SpiceArray, read: ReadKind, x: ArrayLike<number>, model: IrDropModel | 'ideal' | 'exact'): Float64Array {
  const { units, chip } = a;
  const xb = chip.crossbar;
  if (model === 'exact') {
    const ports = portVoltages(units, xb.cell, read, x, voltsPerUnit(chip.periphery.dac));
    return readOutputs(units, xb.cell, read, solveCrossbar(physicalArray(units, xb), ports));
  }
  const w = irDropWeights(units, model === 'ideal' ? { ...xb, wireResistanceOhm: 0 } : xb, model === 'ideal' ? 'ladder' : model);
  const { rows, cols } = units;
  const k = amperesPerUnit(chip);
  const out = new Float64Array(read === 'forward' ? rows : cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (read === 'forward') out[r] += w[r * cols + c] * x[c];
      else out[c] += w[r * cols + c] * x[r];
    }
  }
  for (let i = 0; i < out.length; i++) out[i] *= k;
  return out;
}

/** Errors of `ours` against `ref`: the largest |Δ| relative to the largest |ref| (full scale), and the
 *  largest |Δ|/|ref| over the outputs at least 10 % of full scale (a per-line view that skips the
 *  near-zero sums, whose relative error is ill-conditioned). */
export function outputErrors(ours: ArrayLike<number>, ref: ArrayLike<number>): { fullScale: number; perLine: number } {
  let m = 0;
  for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(ref[i]));
  let fs = 0,
    pl = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(ours[i] - ref[i]);
    fs = Math.max(fs, m > 0 ? d / m : d);
    if (Math.abs(ref[i]) >= 0.1 * m && m > 0) pl = Math.max(pl, d / Math.abs(ref[i]));
  }
  return { fullScale: fs, perLine: pl };
}
