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

export type NoiseModel = 'constant' | 'pcm-aihwkit';
export const NOISE_MODELS: readonly NoiseModel[] = ['constant', 'pcm-aihwkit'];

/** When a low-frequency read-noise offset is drawn again (see CrossbarSpec.lowFrequencyReadNoise). */
export type NoiseRedraw = 'sample' | 'phase';
export const NOISE_REDRAWS: readonly NoiseRedraw[] = ['sample', 'phase'];

export interface LowFrequencyNoiseSpec extends NoiseSpec {
  redraw: NoiseRedraw;
}

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
  /** How a learning signal becomes device pulses (docs/chip-description.md § update schemes). */
  scheme: UpdateScheme;
  /** Width of the mixed-precision accumulator χ per weight, bits (priced by the cost model; only
   *  `mixed-precision` uses it). */
  accumulatorBits: number;
  /** Device-to-device spread, drawn once per device from the chip's noise stream (aihwkit *_dtod):
   *  relative σ of the step dwMin, of the upper and lower bound (±1 of the bipolar device), and the
   *  absolute σ of the up/down asymmetry. */
  deviceToDevice: { dwMin: number; wMax: number; wMin: number; upDownAsymmetry: number };
  /** How a differential pair's two devices take pulses (docs/chip-description.md § update schemes).
   *  'bipolar': the pair is one bipolar device u+ − u− that pulses move up and down (ReRAM, ECRAM).
   *  'potentiate-only': each device can only be potentiated in situ (PCM's gradual SET; its RESET is
   *  abrupt): a positive step SETs G+, a negative step SETs G−, and a pair whose devices have both
   *  risen is refreshed — both RESET and the weight reprogrammed onto one device, with programming
   *  noise (Nandakumar et al. 2020, Boybat et al. 2018; aihwkit OneSidedUnitCell). Differential cells only. */
  pairMode: PairMode;
  /** potentiate-only: a pair is refreshed when its more potentiated device exceeds
   *  refreshUpperThreshold of its range and the other exceeds refreshLowerThreshold (aihwkit
   *  OneSidedUnitCell refresh_upper_thres / refresh_lower_thres; defaults 0.75 / 0.25). */
  refreshUpperThreshold: number;
  refreshLowerThreshold: number;
}

export type PairMode = 'bipolar' | 'potentiate-only';
export const PAIR_MODES: readonly PairMode[] = ['bipolar', 'potentiate-only'];

/** row-programmed: a digital optimiser steps the weights once per batch and each cell receives the
 *  nearest pulse count, written row by row (rows × pulsesPerUpdate slots per array).
 *  mixed-precision (Nandakumar et al. 2020): the optimiser's steps collect in a digital accumulator χ
 *  per weight; a device receives n = trunc(χ/ε) pulses (ε = one device step) and χ keeps the remainder.
 *  stochastic-coincidence (Gokmen & Vlasov 2016, aihwkit pulse trains): per sample, rows and columns
 *  get Bernoulli pulse trains of pulsesPerUpdate slots with probabilities ∝ |δ| and |x|; a device steps
 *  where pulses coincide; no digital outer product and no optimiser (the SGD learning rate sets the scale). */
export type UpdateScheme = 'row-programmed' | 'mixed-precision' | 'stochastic-coincidence';
export const UPDATE_SCHEMES: readonly UpdateScheme[] = ['row-programmed', 'mixed-precision', 'stochastic-coincidence'];

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
  /** Read noise, white part: an independent draw on every read of a device (aihwkit w_noise). */
  readNoise: NoiseSpec;
  /** Read noise, low-frequency part (1/f): a per-device conductance offset that stays put for a
   *  while instead of being drawn per read. redraw 'sample': one draw per device per sample, shared
   *  by all of that sample's reads (EP's free and nudged phases see the same offset); 'phase': redrawn
   *  at the start of every phase. sigma 0 = none. docs/references.md#read-noise. */
  lowFrequencyReadNoise: LowFrequencyNoiseSpec;
  /** How programming noise, drift exponents and accumulated 1/f noise depend on the conductance.
   *  'constant': programmingNoise and drift.nu/nuStd as given, the same for every conductance.
   *  'pcm-aihwkit': aihwkit's PCMLikeNoiseModel (Nandakumar et al. 2019; docs/references.md#pcm-noise-model)
   *  replaces them — programming σ a polynomial of g_target/g_max, drift ν mean and spread functions
   *  of g_target/g_max, and the 1/f read noise accumulated up to the read time, drawn once per device
   *  at that time; programmingNoise.sigma and drift.nu/nuStd must then be 0 (validate.ts). */
  noiseModel: NoiseModel;
  /** Drift of the absolute conductance g(t) = g(t0)·(t/t0)^−ν, ν ~ N(nu, nuStd) per device (aihwkit
   *  PCMLikeNoiseModel; g = gMinUS + u·(gMaxUS − gMinUS)). compensation 'global': each array's
   *  outputs are multiplied by a digital factor measured once after the drift, the ratio of the
   *  array's summed |output| for an all-ones read at programming time to that at read time (aihwkit
   *  GlobalDriftCompensation); 'none': no correction. */
  drift: { nu: number; nuStd: number; t0Seconds: number; compensation: DriftCompensation };
  /** Probability that a device is stuck at g_max (on) / at g_min (off), per device, drawn once per chip.
   *  compensation 'partner': programming (program-and-verify, which reads every device back and so
   *  finds the stuck ones) sets the other device of a differential pair so that u+ − u− is the target
   *  where the free device's range allows, the nearest value otherwise (docs/references.md § stuck
   *  devices); 'none': the free device keeps its own target. Offset-column cells have no partner. */
  stuckAt: { onProbability: number; offProbability: number; compensation: StuckCompensation };
  update: UpdateModel;
  /** Resistance of one wire segment of a row or column line, ohms: between neighbouring cells and
   *  between a line's port (driver or sense node) and its first cell. 0 = ideal wires (no IR drop).
   *  Used by the SPICE export and the IR-drop model (hw-models/ir-drop.ts, docs/spice.md). */
  wireResistanceOhm: number;
}

export interface DacSpec {
  /** Input code width; 'float' = no input quantisation. */
  bits: number | 'float';
  /** State values mapped onto the DAC's codes, [lo, hi] in state units; values outside are clipped. */
  inputRange: [number, number];
  /** Line voltage of a full-scale input, volts: an input x (after the DAC) is driven at
   *  x·readVoltageV / max(|lo|, |hi|) of inputRange (negative inputs at negative voltages). */
  readVoltageV: number;
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
  /** Input scaling around each array read (aihwkit IOParameters.noise_management):
   *  'none' = the DAC sees the values as they are; 'abs-max' = each sample's input lines of the read
   *  are divided by their largest magnitude before the DAC (so they span its range) and the
   *  converted output is multiplied back by it (a digital scale per sample and read). */
  noiseManagement: NoiseManagement;
  /** On saturation (aihwkit IOParameters.bound_management): 'none' = the clipped value stands;
   *  'iterative' = a sample whose read clipped any line is read again with its input halved, up to
   *  `maxRereads` times, and the converted output multiplied back (ITERATIVE; each re-read is a
   *  real read: its noise is drawn again, its cost is an extra read and conversion). */
  boundManagement: BoundManagement;
  /** Most re-reads of one sample and read under iterative bound management (ignored for 'none'). */
  maxRereads: number;
  /** Differential cells: 'difference' = G+ and G− lines are subtracted in the analog domain and one
   *  conversion takes the difference current; 'each-side' = each side's line is converted on its own
   *  (its own clipping at ±fullScale, quantisation and output noise) and the two codes subtracted
   *  digitally — two conversions per line. Offset-column cells ignore it (one conversion). */
  pairConversion: PairConversion;
}

export type PairConversion = 'difference' | 'each-side';
export const PAIR_CONVERSIONS: readonly PairConversion[] = ['difference', 'each-side'];

export type BoundManagement = 'none' | 'iterative';
export const BOUND_MANAGEMENTS: readonly BoundManagement[] = ['none', 'iterative'];

export type StuckCompensation = 'none' | 'partner';
export const STUCK_COMPENSATIONS: readonly StuckCompensation[] = ['none', 'partner'];

export type DriftCompensation = 'none' | 'global';
export const DRIFT_COMPENSATIONS: readonly DriftCompensation[] = ['none', 'global'];

export type NoiseManagement = 'none' | 'abs-max';
export const NOISE_MANAGEMENTS: readonly NoiseManagement[] = ['none', 'abs-max'];

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

/**
 * Where and at what precision the neuron unit forms and holds EP's learning signal δ = s^β − s⁰ of a
 * hidden group (the readout's signal is the digital error e = y − p and is not affected). See
 * docs/chip-description.md § "Neuron unit and learning signal".
 */
export type LearningSignalSpec =
  /** s⁰ is a copy of the state register (SaveState), δ the exact difference of two state-register
   *  values: its step is the state register's step, and s^β is the nudged state as the register holds
   *  it. A chip whose neuron output IS the quantised state (no wider copy exists) can only do this. */
  | { kind: 'state-registers' }
  /** The neuron unit keeps its own output before the state register (the activation at its arithmetic
   *  precision, plus state noise), ŝ: SaveState stores s⁰ = Q_free(ŝ) in a free-state register of
   *  `freeStateBits` over neuron.stateRange; StateDelta forms ŝ^β − s⁰ and stores it in a δ register of
   *  `deltaBits` two's complement over [−deltaRange, deltaRange) (step deltaRange / 2^(deltaBits−1)).
   *  'float' = float32 (no quantisation, no clipping). The state register (what the DACs and the mesh
   *  see) is unchanged: the nudged phase still iterates on it. deltaRounding: 'nearest', or
   *  'stochastic' (round up with probability equal to the remainder: unbiased, Gupta et al. 2015);
   *  chip files without it get 'nearest'. */
  | {
      kind: 'difference-register';
      freeStateBits: number | 'float';
      deltaBits: number | 'float';
      deltaRange: number;
      deltaRounding: DeltaRounding;
    };

export type DeltaRounding = 'nearest' | 'stochastic';
export const DELTA_ROUNDINGS: readonly DeltaRounding[] = ['nearest', 'stochastic'];

export interface NeuronUnitSpec {
  activation: ActivationImpl;
  /** σ of Gaussian noise added to each new state, absolute, in state units (0 = none). */
  stateNoise: number;
  /** State register width; 'float' = float32. States are quantised evenly over stateRange (2^bits codes, ends included). */
  stateBits: number | 'float';
  /** State register range [lo, hi], state units. Chip files without it get periphery.dac.inputRange (the old behaviour). */
  stateRange: [number, number];
  /** Where δ = s^β − s⁰ is formed and held. Chip files without it get { kind: 'state-registers' } (the old behaviour). */
  learningSignal: LearningSignalSpec;
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
  /** How the cores' buffers, routers and neuron units are laid out in silicon (the area model,
   *  hw-models/area.ts): each core its own, shared within a cluster of cores (ISAAC's tile), or absent
   *  (NeuRRAM keeps its buffers off chip). Chip files written before the field: CORE_CLUSTER. */
  cluster: ClusterSpec;
}

/** Where one kind of per-core resource sits: every core its own (`core`), one per cluster shared by its
 *  cores (`cluster`), or not on the chip at all (`none`). */
export type Placement = 'core' | 'cluster' | 'none';
export const PLACEMENTS: readonly Placement[] = ['core', 'cluster', 'none'];

/** Consecutive core ids form a cluster: cluster = floor(core id / cores). Area and leakage follow it
 *  (a shared unit once per used cluster, an absent one not at all; netlist/costs.ts leakageInstances);
 *  the compiler still gives every core its input and state buffer capacity and routes over the mesh, and
 *  each access is priced as the schedule makes it (docs/chip-costs.md). */
export interface ClusterSpec {
  /** Cores per cluster (1: every core a cluster of its own). */
  cores: number;
  /** The input buffer (noc.inputBufferBytes) of each core / of each cluster / none. */
  inputBuffer: Placement;
  /** The state buffer (noc.stateBufferBytes) of each core / of each cluster / none. */
  stateBuffer: Placement;
  /** The router (costModel.routerAreaUm2) of each mesh site / of each cluster / none. */
  router: Placement;
  /** The digital neuron unit (neuron.lanes lanes) of each core / of each cluster / none. */
  neuronUnit: Placement;
}

/** Every core with its own buffers, router and neuron unit: the organisation before the field existed. */
export const CORE_CLUSTER: ClusterSpec = { cores: 1, inputBuffer: 'core', stateBuffer: 'core', router: 'core', neuronUnit: 'core' };

export interface ClockSpec {
  frequencyMhz: number;
}

/** Actions the simulator counts and the cost model prices (Accelergy style, docs/references.md#cycle-and-energy-reporting). The
 *  per-action latency and energy are computed from the chip's attributes by hw-models/estimators.ts. */
export const ACTION_KEYS = [
  'array_read',
  'array_read_transposed',
  'adc_conversion',
  'dac_drive',
  /** Bit-serial inputs: one shift-and-add per sensed line per bit plane after the first. */
  'shift_add',
  'accumulate',
  'neuron_update',
  'router_hop_flit',
  'buffer_access',
  /** One cell of the digital outer product of one sample (multiply + add into the gradient accumulator). */
  'outer_product_mac',
  /** One read-modify-write of a gradient accumulator word (per cell per sample). */
  'accumulator_access',
  /** One weight stepped by the optimiser at a batch commit (its arithmetic and state accesses). */
  'optimizer_step',
  /** One device write pulse (pulse slot × cell for coincidence updates, one programming per cell for
   *  row-programmed writes), charged per batch commit. */
  'update_pulse',
] as const;
export type ActionKey = (typeof ACTION_KEYS)[number];

/** Actions charged once per batch commit (the optimiser steps and the devices are written once per
 *  batch): a training sample carries 1/batchSize of them (netlist/costs.ts). */
export const COMMIT_ACTIONS: readonly ActionKey[] = ['optimizer_step', 'update_pulse'];

export interface ActionCost {
  /** Time one action takes on its resource, ns (→ cycles at the chip clock, rounded up, ≥ 1). */
  latencyNs: number;
  /** Dynamic energy of one action, pJ. */
  energyPj: number;
}

/** Components with leakage (static) power, µW per instance. */
export const LEAKAGE_KEYS = ['array', 'adc', 'dac', 'neuron_unit', 'buffer', 'router'] as const;
export type LeakageKey = (typeof LEAKAGE_KEYS)[number];

/** A priced action table: what the estimators make of a chip (and of the netlist's conductances). */
export interface ActionTable {
  /** The cost model's version. */
  version: string;
  /** Where the constants come from. */
  source: string;
  perAction: Record<ActionKey, ActionCost>;
  leakageUw: Record<LeakageKey, number>;
  /** The part of an action's energyPj dissipated in the array's wires (the reads, when
   *  crossbar.wireResistanceOhm > 0; hw-models/estimators.ts wireReadEnergyPj), reported as its own
   *  component `dynamic.wire_dissipation`. Absent or 0: none. */
  wirePj?: Partial<Record<ActionKey, number>>;
}

/** How an input value becomes a line drive: one amplitude-coded pulse, a pulse of 2^bits unit
 *  slots (pulse-width modulation), one 1-bit read per input bit (bit-serial, shift-and-add after the
 *  ADC), or pulse-count: magnitude bit n (of m; dac bits − 1 for a signed input range) applied as
 *  2^(n−1) unit pulses, each one sample-and-integrate step of the neuron, which sums the charge of all
 *  2^m − 1 steps and converts once (NeuRRAM, Wan et al. 2022, Fig. 3e: 7 integrations for 3 bits). */
export type InputEncoding = 'analog' | 'pwm' | 'bit-serial' | 'pulse-count';
export const INPUT_ENCODINGS: readonly InputEncoding[] = ['analog', 'pwm', 'bit-serial', 'pulse-count'];

/** The converter architecture: successive approximation (one comparison per bit), flash (one step),
 *  current-controlled oscillator (counts over a window: time ∝ 2^bits), or a digital adder tree (SRAM CIM). */
export type AdcArchitecture = 'sar' | 'flash' | 'cco' | 'adder-tree';
export const ADC_ARCHITECTURES: readonly AdcArchitecture[] = ['sar', 'flash', 'cco', 'adder-tree'];

/**
 * The cost model's attributes and calibrated constants (Accelergy's split: the netlist counts
 * actions, hw-models/estimators.ts turns these numbers and the rest of the chip description into a
 * per-action cost, hw-models/cost-constants.ts holds the published constants with their sources).
 * Units in the names. Documented field by field in docs/chip-costs.md and proto/chip.proto.
 */
export interface CostModel {
  /** e.g. "fre-costs/1". */
  version: string;
  /** Where the constants come from (one line; the preset file cites each value). */
  source: string;
  /** CMOS feature size F, nm (sets the cell area F²·cellAreaF2). */
  featureSizeNm: number;
  inputEncoding: InputEncoding;
  /** analog: the read pulse; pwm: one unit slot (a read lasts 2^dacBits slots); bit-serial: one
   *  bit-plane read; pulse-count: one unit pulse (the time the array conducts per step). ns. */
  readPulseNs: number;
  /** pulse-count: one sample-and-integrate step of the neuron per unit pulse, ns (≥ readPulseNs: the
   *  array conducts for readPulseNs of it). Other encodings: unused (write 0). */
  integrationStepNs: number;
  /** Mean fraction of the full-scale drive (V²·t) a driven line carries during a read (0–1): the
   *  input statistics the read energy is priced at. */
  inputActivity: number;
  /** DAC / line driver: analog: per conversion per bit; pwm and bit-serial: per pulse. pJ. */
  dacEnergyPj: number;
  /** DAC settling before a read (analog) or driver set-up (pwm, bit-serial), ns. */
  dacSettleNs: number;
  adcArchitecture: AdcArchitecture;
  /** Walden figure of merit E/(2^bits) per conversion, fJ per conversion step (Murmann's ADC survey). */
  adcWaldenFomFj: number;
  /** sar: time per bit; flash: one conversion; cco: time per LSB count (conversion = 2^bits of
   *  them); adder-tree: one tree evaluation. ns. */
  adcNsPerStep: number;
  /** Bits a float (unquantised) converter — DAC, ADC, state or gain — is priced at. */
  bitsWhenFloat: number;
  /** ADC area per conversion level (area ≈ this × 2^bits: capacitive DAC of a SAR), µm². */
  adcAreaUm2PerLevel: number;
  /** One device write pulse (or one row programming step): energy per device pulse pJ, duration ns. */
  writeEnergyPjPerPulse: number;
  writePulseNs: number;
  /** Digital arithmetic at the chip's node: a w-bit add costs w·addPjPerBit, an a×b-bit multiply
   *  a·b·multiplyPjPerBit2 (Horowitz ISSCC 2014 scaled). */
  addPjPerBit: number;
  multiplyPjPerBit2: number;
  /** SRAM / register-file access per bit, pJ. */
  sramPjPerBit: number;
  /** One activation evaluation by the neuron unit (LUT / PWL lookup, state register), pJ. */
  neuronUpdatePj: number;
  /** Moving one bit across one router and link, pJ. */
  nocPjPerBitHop: number;
  /** Area: one device cell in F² (a differential cell has two), DAC per line, neuron unit per lane,
   *  SRAM per bit, one router, all µm² except cellAreaF2. */
  cellAreaF2: number;
  dacAreaUm2PerLine: number;
  neuronAreaUm2PerLane: number;
  sramAreaUm2PerBit: number;
  routerAreaUm2: number;
  /** Static power per instance (array, its ADCs, its DACs, neuron unit, core buffer, router), µW. */
  leakageUw: Record<LeakageKey, number>;
  /** true: a component leaks only while the schedule keeps it busy (power-gated when idle);
   *  false: every powered component leaks for the whole sample. */
  powerGating: boolean;
  /** true: ADC codes travel over the mesh (adc bits wide, bit-serial: + dac bits) and are scaled by
   *  the gain at the destination; false: the scaled partial sum travels (adc + gain bits, ≤ accumulator). */
  sendAdcCodes: boolean;
  /** A chip team's measured numbers: per-action latency/energy that replace the estimator's. */
  overrides: Partial<Record<ActionKey, ActionCost>>;
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
  /** Cost model attributes and constants (hw-models/estimators.ts prices every action from them). */
  costModel: CostModel;
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

/** ADC conversions per sensed line and read: 2 when a differential pair's sides are converted
 *  separately (periphery.adc.pairConversion 'each-side'), else 1. */
export function conversionsPerLine(chip: ChipDescription): number {
  return chip.crossbar.cell === 'differential' && chip.periphery.adc.pairConversion === 'each-side' ? 2 : 1;
}
