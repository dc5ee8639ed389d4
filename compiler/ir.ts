/**
 * The compiler's intermediate representation: one object the passes fill in order (see
 * pipeline.ts). Logical cores (assign-cores) get a physical mesh site later (place); the schedule
 * and reductions are built directly in netlist terms (physical core ids), so emit only assembles.
 */
import type { Net } from '../graph/net';
import type { ChipDescription } from '../hw-models/chip';
import type { MappedMatrix, WMaxPolicy } from '../hw-models/conductance';
import type { Params } from '../graph/params';
import type { NetlistMsg, PhaseMsg, ReductionMsg } from '../netlist/types';

/** How each array's ADC ranges are set (the calibrate pass): the chip's fixed full scale, or a
 *  percentile of |partial sum| over a calibration batch, per array and read kind. */
export type AdcRangePolicy = { kind: 'fixed' } | { kind: 'percentile'; p: number };

/**
 * Real inputs of the arrays for ADC calibration: the software engine's free-phase fixed point on
 * `count` samples of the dataset the net is compiled for (made by the caller: the compiler runs no
 * engine). states[g] is [count × size of group g] (g = 0: the input x; 1…L: the hidden layers'
 * s⁰); error is the free-phase output error e⁰ = y − p⁰ [count × classes].
 */
export interface CalibrationBatch {
  count: number;
  states: Float32Array[];
  error: Float32Array;
  /** Where the samples came from (provenance, e.g. "mnist train[0:256)"). */
  source: string;
}

export interface CompileOptions {
  /** How each matrix's scale w_max is chosen (hw-models/conductance.ts). */
  wMax: WMaxPolicy;
  /** How each array's ADC ranges are set (default: fixed). */
  adcRange?: AdcRangePolicy;
  /** Required by adcRange percentile. */
  calibration?: CalibrationBatch;
  /** Names the graph in diagnostics. */
  specFile: string;
  producerVersion: string;
  /** The producer's git commit (netlist producer_commit); "unknown" when not given. */
  producerCommit?: string;
}

export type GroupRole = 'input' | 'hidden' | 'output';
export type GroupActivation = 'identity' | 'tanh' | 'hard-sigmoid' | 'sigmoid' | 'softmax';

export interface IrGroup {
  id: number;
  name: string;
  role: GroupRole;
  /** graph/net.ts node id: INPUT, OUTPUT or the hidden index. */
  node: number;
  size: number;
  activation: GroupActivation;
  /** Logical core of the neuron unit that owns it (−1 until assign-cores). */
  home: number;
}

/** 'weight': an edge's W [rows × cols]; 'random-feedback': its fixed B [cols × rows]. */
export type MatrixRole = 'weight' | 'random-feedback';
export type ReadKind = 'forward' | 'transposed';

export interface IrMatrix {
  id: number;
  edge: number;
  role: MatrixRole;
  rows: number;
  cols: number;
  mapped: MappedMatrix;
}

export interface IrTile {
  id: number;
  matrix: number;
  edge: number;
  role: MatrixRole;
  rowBegin: number;
  rowEnd: number;
  colBegin: number;
  colEnd: number;
  tileRow: number;
  tileCol: number;
  reads: ReadKind[];
  trainable: boolean;
  /** ADC full scale per read kind, normalised units, 0 = unbounded (set by calibrate). */
  adcFullScale?: { forward: number; transposed: number; nudge: number };
  /** Logical core and slot (−1 until assign-cores). */
  core: number;
  slot: number;
}

export interface IrCore {
  id: number;
  tiles: number[];
  /** Groups whose home this is. */
  groups: number[];
  /** Physical core id y·meshWidth + x (−1 until place). */
  site: number;
}

export interface IrRoute {
  id: number;
  src: number;
  dst: number;
  /** Sites from src to dst inclusive. */
  path: number[];
}

export interface CompilerIR {
  net: Net;
  chip: ChipDescription;
  params: Params;
  options: CompileOptions;
  groups: IrGroup[];
  matrices: IrMatrix[];
  tiles: IrTile[];
  cores: IrCore[];
  routes: IrRoute[];
  reductions: ReductionMsg[];
  phases: PhaseMsg[];
  netlist?: NetlistMsg;
  /** Names of the passes run so far. */
  done: string[];
}

/** A pass: one file, a name, a help text, and a transformation of the IR (Yosys style). */
export interface Pass {
  name: string;
  help: string;
  run(ir: CompilerIR): void;
}
