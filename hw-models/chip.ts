/**
 * The chip description: the ONE typed description of an analog crossbar chip that the compiler
 * and the simulator both read (docs/references.md#netlist-and-ir-design: PUMA's two hand-kept configs drifted apart; PIMCOMP
 * shares one). Presets live in presets/, each value with its unit and its source; a user's
 * chip.json is this same object (or a preset plus overrides, see load.ts). Field-by-field
 * documentation: docs/chip-description.md. A netlist embeds the description it was compiled for
 * (proto/chip.proto mirrors this type).
 *
 * Units are part of every field name where a unit applies: …US microsiemens, …Ns nanoseconds,
 * …Pj picojoules, …Uw microwatts, …Mhz megahertz, …Bits, …Bytes. Dimensionless fractions say what
 * they are a fraction of.
 */

export const CHIP_FORMAT = 'fre-chip/1';

/** How a signed weight is held by non-negative conductances.
 *  differential: two devices per cell, W ∝ G+ − G− (aihwkit, docs/references.md#weight-to-conductance);
 *  offset-column: one device per cell and one reference column per array at the mid conductance,
 *  W ∝ G − G_ref (the reference column costs one of the array's columns). */
export type CellKind = 'differential' | 'offset-column';
export const CELL_KINDS: readonly CellKind[] = ['differential', 'offset-column'];

/** Noise σ relative to g_max − g_min ('range', CrossSim "Independent") or to the target conductance
 *  ('target', CrossSim "Proportional") — docs/references.md#weight-to-conductance. */
export type NoiseReference = 'range' | 'target';
export const NOISE_REFERENCES: readonly NoiseReference[] = ['range', 'target'];

export interface NoiseSpec {
  /** Standard deviation of a Gaussian, as a fraction of the reference below (0 = noiseless). */
  sigma: number;
  relativeTo: NoiseReference;
}

/** The in-situ update. exact: the cell is written with the new level directly (digital SRAM, ideal);
 *  pulsed: the aihwkit PulsedDevice model, all cells of an array updated in parallel by coincident
 *  stochastic pulse trains (docs/references.md#pulsed-update). */
export type UpdateModel = { kind: 'exact' } | PulsedUpdate;

export interface PulsedUpdate {
  kind: 'pulsed';
  /** Conductance change of one pulse, as a fraction of g_max − g_min (aihwkit dw_min). */
  dwMin: number;
  /** Cycle-to-cycle σ of one pulse's change, as a fraction of dwMin (aihwkit dw_min_std). */
  cycleToCycle: number;
  /** Up/down asymmetry a: an up pulse changes dwMin·(1 + a), a down pulse dwMin·(1 − a) (aihwkit up_down). */
  upDownAsymmetry: number;
  /** Soft bounds: a step shrinks linearly to zero as the device nears its bound (aihwkit SoftBounds). */
  softBounds: boolean;
  /** Pulse slots per update (aihwkit desired_BL): the update's duration in pulses; each cell gets 0…this many. */
  pulsesPerUpdate: number;
}

export interface CrossbarSpec {
  /** Weight cells per array (a differential cell is one cell of two devices). */
  rows: number;
  cols: number;
  cell: CellKind;
  /** Device conductance range, µS. */
  gMinUS: number;
  gMaxUS: number;
  /** Distinct programmable conductances per device, g_min and g_max included, evenly spaced;
   *  'continuous' = any value in [g_min, g_max] (float32). */
  levels: number | 'continuous';
  /** Programming (write) noise, once per programming. */
  programmingNoise: NoiseSpec;
  /** Read noise, on every read of a device. */
  readNoise: NoiseSpec;
  /** Drift g(t) = g(t0)·(t/t0)^−ν, ν ~ N(nu, nuStd) per device (aihwkit PCMLikeNoiseModel). */
  drift: { nu: number; nuStd: number; t0Seconds: number };
  /** Probability that a device is stuck at g_max (on) / at g_min (off), per device, drawn once per chip. */
  stuckAt: { onProbability: number; offProbability: number };
  update: UpdateModel;
}

export interface DacSpec {
  /** Input code width; 'float' = no input quantisation. */
  bits: number | 'float';
  /** State values mapped onto the DAC's codes, [lo, hi] in state units; values outside are clipped. */
  inputRange: [number, number];
}

export interface AdcSpec {
  /** Output code width; 'float' = no output quantisation (also: exact digital adder trees). */
  bits: number | 'float';
  /** Full scale ±fullScale of one converted line, in normalised units Σ_c (u+ − u−)·x_c (u: normalised
   *  conductance in [0, 1], x: DAC input); sums beyond it are clipped. 'unbounded' = never clipped. */
  fullScale: number | 'unbounded';
  /** Sense lines sharing one ADC through a multiplexer (NeuroSim numColMuxed). */
  linesPerAdc: number;
  /** Output noise σ added to each conversion, in the normalised sum units of fullScale (aihwkit
   *  out_noise: absolute in those units, e.g. 0.06 against a full scale of 12 — not a fraction of it). */
  outputNoise: number;
}

export interface GainSpec {
  /** Where a partial sum is scaled by its array's gain (α·w_max, β·w_max: see the netlist's gains):
   *  'digital' = a multiplier after the ADC, before accumulation. */
  stage: 'digital';
  /** Gain (multiplier) precision; 'float' = float32. */
  bits: number | 'float';
  /** Width of a digital partial sum and of the accumulator, bits (also the width sent over the mesh). */
  accumulatorBits: number;
}

export interface PeripherySpec {
  dac: DacSpec;
  adc: AdcSpec;
  gain: GainSpec;
}

export type ActivationImpl =
  | { kind: 'exact' }
  /** Interpolation between `segments + 1` evenly spaced breakpoints over inputRange; flat outside. */
  | { kind: 'piecewise-linear'; segments: number; inputRange: [number, number] }
  /** Nearest of `entries` evenly spaced samples over inputRange; clamped outside. */
  | { kind: 'lut'; entries: number; inputRange: [number, number] };

export interface NeuronUnitSpec {
  activation: ActivationImpl;
  /** σ of Gaussian noise added to each new state, absolute, in state units (0 = none). */
  stateNoise: number;
  /** State register width; 'float' = float32. States are quantised evenly over periphery.dac.inputRange. */
  stateBits: number | 'float';
  /** Neurons one core's neuron unit updates per cycle (also its accumulate width). */
  lanes: number;
}

export interface NocSpec {
  arraysPerCore: number;
  /** Cores sit on a 2-D mesh, one core per router; core id = y·meshWidth + x. */
  meshWidth: number;
  meshHeight: number;
  /** Cycles for a flit's head to cross one router and link. */
  hopLatencyCycles: number;
  linkWidthBits: number;
  /** Per-core buffers: received partial sums / states in flight, and the core's stored neuron states
   *  and held drives (see the compiler's buffer check). */
  inputBufferBytes: number;
  stateBufferBytes: number;
}

export interface ClockSpec {
  frequencyMhz: number;
}

/** Actions the simulator counts and the energy table prices (Accelergy style, docs/references.md#cycle-and-energy-reporting). */
export const ACTION_KEYS = [
  'array_read',
  'array_read_transposed',
  'adc_conversion',
  'dac_drive',
  'accumulate',
  'neuron_update',
  'router_hop_flit',
  'buffer_access',
  'update_pulse',
] as const;
export type ActionKey = (typeof ACTION_KEYS)[number];

export interface ActionCost {
  /** Time one action takes on its resource, ns (→ cycles at the chip clock, rounded up, ≥ 1). */
  latencyNs: number;
  /** Dynamic energy of one action, pJ. */
  energyPj: number;
}

/** Components with leakage (static) power, µW per instance. */
export const LEAKAGE_KEYS = ['array', 'adc', 'neuron_unit', 'router'] as const;
export type LeakageKey = (typeof LEAKAGE_KEYS)[number];

/** The per-action latency and energy table, versioned on its own so a chip team can swap in its numbers. */
export interface ActionTable {
  /** e.g. "fre-actions-reram/1": bump when any number changes. */
  version: string;
  /** Where the numbers come from. */
  source: string;
  perAction: Record<ActionKey, ActionCost>;
  leakageUw: Record<LeakageKey, number>;
}

export interface ChipDescription {
  format: typeof CHIP_FORMAT;
  name: string;
  description: string;
  crossbar: CrossbarSpec;
  periphery: PeripherySpec;
  neuron: NeuronUnitSpec;
  noc: NocSpec;
  clock: ClockSpec;
  actionTable: ActionTable;
}

/** Columns of an array that hold weights (the offset-column cell spends one on the reference). */
export function weightCols(c: CrossbarSpec): number {
  return c.cell === 'offset-column' ? c.cols - 1 : c.cols;
}

export function coresAvailable(chip: ChipDescription): number {
  return chip.noc.meshWidth * chip.noc.meshHeight;
}

export function arraysAvailable(chip: ChipDescription): number {
  return coresAvailable(chip) * chip.noc.arraysPerCore;
}
