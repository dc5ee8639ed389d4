/**
 * One array tile as a resistive circuit: which physical line each device sits on, which lines a
 * read drives and at what voltage, and which line currents make up a read's outputs. Shared by the
 * SPICE export (netlist/spice.ts) and the IR-drop model (ir-drop.ts), so both describe the same
 * circuit. docs/spice.md draws it.
 *
 * Layout (the netlist's orientation, proto/netlist.proto: array row r = matrix row, a forward read
 * drives the columns and senses the rows, a transposed read the reverse):
 *   - R physical row lines, one per tile row. Each has its port (driver or sense node) at its left
 *     end, before physical column 0.
 *   - differential: 2·C physical column lines, the cell (r, c) as G+ on column 2c and G− on column
 *     2c + 1 of row r (the two devices of a pair side by side on one row line).
 *     offset-column: C weight columns, then the reference column at G_ref = (g_min + g_max)/2.
 *     Each column line has its port at its bottom end, after physical row R − 1.
 *   - A wire segment of chip.crossbar.wireResistanceOhm between a port and its line's first cell and
 *     between neighbouring cells; a line's far end is open.
 * Reads (every port is held at a fixed voltage: drivers at the DAC voltage, sense nodes at 0 V):
 *   - forward, differential: column 2c at +V_c, column 2c + 1 at −V_c; the output of row r is the
 *     current into its sense node, Σ_c (G+ − G−)·V_c without wire resistance.
 *   - forward, offset-column: weight column c at V_c, the reference column at −Σ_c V_c, so that the
 *     row current is Σ_c (G − G_ref)·V_c (the reference subtracts its share of every input).
 *   - transposed: row r at V_r; differential output c = I(column 2c) − I(column 2c + 1),
 *     offset-column output c = I(column c) − I(reference column).
 * Units: conductances in siemens, voltages in volts, currents in amperes.
 */
import type { ChipDescription, CrossbarSpec, DacSpec } from './chip';
import { conductanceUS } from './conductance';
import { codeOf } from './quantise';

export type ReadKind = 'forward' | 'transposed';

/** A physical crossbar: rows × cols lines, device (i, j) of conductance g[i·cols + j] siemens. */
export interface PhysicalArray {
  rows: number;
  cols: number;
  g: Float64Array;
  /** Ohms per wire segment. */
  wireOhm: number;
}

/** A tile's programmed devices as normalised conductances u ∈ [0, 1], row-major [rows × cols]. */
export interface TileUnits {
  rows: number;
  cols: number;
  plus: ArrayLike<number>;
  /** differential only. */
  minus?: ArrayLike<number>;
}

const US = 1e-6;

/** The physical array of a tile (module comment): devices at G = g_min + u·(g_max − g_min). */
export function physicalArray(t: TileUnits, x: CrossbarSpec): PhysicalArray {
  const G = (u: number) => conductanceUS(u, x) * US;
  const diff = x.cell === 'differential';
  if (diff && !t.minus) throw new Error('a differential tile needs its G− plane');
  const cols = diff ? 2 * t.cols : t.cols + 1;
  const g = new Float64Array(t.rows * cols);
  for (let r = 0; r < t.rows; r++) {
    for (let c = 0; c < t.cols; c++) {
      const k = r * t.cols + c;
      if (diff) {
        g[r * cols + 2 * c] = G(t.plus[k]);
        g[r * cols + 2 * c + 1] = G(t.minus![k]);
      } else {
        g[r * cols + c] = G(t.plus[k]);
      }
    }
    if (!diff) g[r * cols + t.cols] = G(0.5);
  }
  return { rows: t.rows, cols, g, wireOhm: x.wireResistanceOhm };
}

/** The DAC's output level for an input (the simulator's uniform quantiser over inputRange; 'float' = as is). */
export function dacLevel(v: number, dac: DacSpec): number {
  if (dac.bits === 'float') return v;
  const [lo, hi] = dac.inputRange;
  const step = (hi - lo) / (2 ** dac.bits - 1);
  const c = v < lo ? lo : v > hi ? hi : v;
  return codeOf(c, lo, step);
}

/** Volts per input unit: a full-scale input max(|lo|, |hi|) is driven at readVoltageV. */
export function voltsPerUnit(dac: DacSpec): number {
  return dac.readVoltageV / Math.max(Math.abs(dac.inputRange[0]), Math.abs(dac.inputRange[1]));
}

/** Port voltages of a read: x is the read's input (length tile cols for forward, tile rows for
 *  transposed), already through the DAC; undriven ports are sense nodes at 0 V. */
export function portVoltages(
  t: { rows: number; cols: number },
  cell: CrossbarSpec['cell'],
  read: ReadKind,
  x: ArrayLike<number>,
  vPerUnit: number,
): { rows: Float64Array; cols: Float64Array } {
  const diff = cell === 'differential';
  const rows = new Float64Array(t.rows);
  const cols = new Float64Array(diff ? 2 * t.cols : t.cols + 1);
  if (read === 'transposed') {
    for (let r = 0; r < t.rows; r++) rows[r] = x[r] * vPerUnit;
  } else if (diff) {
    for (let c = 0; c < t.cols; c++) {
      cols[2 * c] = x[c] * vPerUnit;
      cols[2 * c + 1] = -x[c] * vPerUnit;
    }
  } else {
    let sum = 0;
    for (let c = 0; c < t.cols; c++) {
      cols[c] = x[c] * vPerUnit;
      sum += cols[c];
    }
    cols[t.cols] = -sum;
  }
  return { rows, cols };
}

/** A read's outputs (amperes, one per tile row for forward, per tile column for transposed) from the
 *  currents flowing out of the network into each port. */
export function readOutputs(
  t: { rows: number; cols: number },
  cell: CrossbarSpec['cell'],
  read: ReadKind,
  port: { rows: ArrayLike<number>; cols: ArrayLike<number> },
): Float64Array {
  if (read === 'forward') return Float64Array.from(port.rows);
  const out = new Float64Array(t.cols);
  for (let c = 0; c < t.cols; c++) {
    out[c] = cell === 'differential' ? port.cols[2 * c] - port.cols[2 * c + 1] : port.cols[c] - port.cols[t.cols];
  }
  return out;
}

/** Amperes of one normalised output unit: the simulator's read Σ_c (u+ − u−)·x_c (differential) or
 *  Σ_c 2(u − ½)·x_c (offset-column) times this is the current of the same read without wire resistance. */
export function amperesPerUnit(chip: ChipDescription): number {
  const dg = (chip.crossbar.gMaxUS - chip.crossbar.gMinUS) * US;
  return (chip.crossbar.cell === 'differential' ? dg : dg / 2) * voltsPerUnit(chip.periphery.dac);
}
