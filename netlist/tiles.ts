/**
 * What the chip simulator reads from a decoded netlist: for each edge its array tiles (matrix
 * ranges, core, slot, gains, reads, decoded conductance planes), and the weights the conductances
 * stand for (the inverse of hw-models/conductance.ts; on the `ideal` chip these are bit-exactly
 * the weights compiled), with the edges' biases.
 */
import type { ChipDescription } from '../hw-models/chip';
import { unmapMatrix, type Plane } from '../hw-models/conductance';
import type { Matrix, Params } from '../graph/params';
import { chipFromMsg } from './chip-proto';
import type { ArrayMsg, ConvGeometryMsg, GainsMsg, NetlistMsg, TensorMsg } from './types';

export interface ArrayTile {
  /** Array id = index in netlist.arrays (the resource names array:<id>, dac:<id>, adc:<id>). */
  array: number;
  core: number;
  slot: number;
  role: 'weight' | 'random-feedback';
  /** The slice of the matrix held: W [rows × cols] for 'weight', B [cols × rows] for 'random-feedback'. */
  rowBegin: number;
  rowEnd: number;
  colBegin: number;
  colEnd: number;
  tileRow: number;
  tileCol: number;
  reads: ('forward' | 'transposed')[];
  trainable: boolean;
  gains: GainsMsg;
  /** Stored values, row-major over the slice: level indices (u = q/(levels−1)) or u itself (continuous). */
  plus: Plane;
  /** G− (differential cells only). */
  minus?: Plane;
}

export interface EdgeTiles {
  edge: number;
  name: string;
  rows: number;
  cols: number;
  /** Scale of W (and of B): W ≈ (u+ − u−)·wMax. */
  wMax: number;
  feedbackWMax?: number;
  /** Conv edges: the geometry the netlist was compiled with (null on dense edges). */
  conv: ConvGeometryMsg | null;
  weight: ArrayTile[];
  feedback: ArrayTile[];
}

export function tensorPlane(t: TensorMsg): Plane {
  const b = t.rawData;
  const n = t.dims.reduce((a, d) => a * d, 1);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (t.dataType === 'DATA_TYPE_UINT8') return Uint8Array.from(b.subarray(0, n));
  if (t.dataType === 'DATA_TYPE_UINT16') return Uint16Array.from({ length: n }, (_, k) => v.getUint16(2 * k, true));
  if (t.dataType === 'DATA_TYPE_FLOAT32') return Float32Array.from({ length: n }, (_, k) => v.getFloat32(4 * k, true));
  throw new Error(`tensor data type ${t.dataType} is not a conductance encoding`);
}

function tileOf(a: ArrayMsg): ArrayTile {
  return {
    array: a.id,
    core: a.core,
    slot: a.slot,
    role: a.role === 'ARRAY_ROLE_WEIGHT' ? 'weight' : 'random-feedback',
    rowBegin: a.rowBegin,
    rowEnd: a.rowEnd,
    colBegin: a.colBegin,
    colEnd: a.colEnd,
    tileRow: a.tileRow,
    tileCol: a.tileCol,
    reads: a.reads.map((r) => (r === 'READ_KIND_TRANSPOSED' ? 'transposed' : 'forward')),
    trainable: a.trainable,
    gains: a.gains ?? {
      forward: 0,
      transposed: 0,
      dacStep: 0,
      adcStep: 0,
      adcFullScaleForward: 0,
      adcFullScaleTransposed: 0,
      adcFullScaleNudge: 0,
      adcStepTransposed: 0,
      adcStepNudge: 0,
    },
    plus: tensorPlane(a.gPlus!),
    minus: a.gMinus ? tensorPlane(a.gMinus) : undefined,
  };
}

/** Every edge's tiles, in edge order; tiles in the order the edge lists them (row-major over its grid). */
export function edgeTiles(n: NetlistMsg): EdgeTiles[] {
  return n.edges.map((e) => ({
    edge: e.id,
    name: e.name,
    rows: e.rows,
    cols: e.cols,
    wMax: e.weights?.wMax ?? 0,
    feedbackWMax: e.feedbackWeights?.wMax,
    conv: e.conv ?? null,
    weight: e.arrays.map((id) => tileOf(n.arrays[id])),
    feedback: e.feedbackArrays.map((id) => tileOf(n.arrays[id])),
  }));
}

/** The weights the programmed conductances stand for (no noise), as engine Params. */
export function netlistParams(n: NetlistMsg, chip: ChipDescription = chipFromMsg(n.chip!)): Params {
  const assemble = (rows: number, cols: number, tiles: ArrayTile[], wMax: number): Matrix => {
    const data = new Float32Array(rows * cols);
    for (const t of tiles) {
      const w = unmapMatrix(t.plus, t.minus, wMax, chip.crossbar);
      const tc = t.colEnd - t.colBegin;
      for (let r = t.rowBegin; r < t.rowEnd; r++)
        data.set(w.subarray((r - t.rowBegin) * tc, (r - t.rowBegin + 1) * tc), r * cols + t.colBegin);
    }
    return { rows, cols, data };
  };
  const tiles = edgeTiles(n);
  return {
    W: tiles.map((e) => assemble(e.rows, e.cols, e.weight, e.wMax)),
    B: tiles.map((e) => (e.feedback.length ? assemble(e.cols, e.rows, e.feedback, e.feedbackWMax!) : undefined)),
    // Biases are digital registers: stored as float values on the edge (empty = no bias).
    bias: n.edges.map((e) => (e.bias.length ? Float32Array.from(e.bias) : undefined)),
  };
}
