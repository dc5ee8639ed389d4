/**
 * The netlist as plain TypeScript objects: proto/netlist.proto and proto/chip.proto with protobufjs's
 * camelCase names, enums as their names, 64-bit integers as numbers and bytes as Uint8Array. This
 * is what the codec encodes from and decodes to (with every scalar default filled in and unset
 * messages null). Keep in step with the .proto files: test/netlist-codec.test.ts fails on a field
 * the codec would drop.
 */

export const IR_VERSION = 2;
export const OP_DOMAIN = 'ai.fre.crossbar';
export const OPSET_VERSION = 2;
export const PRODUCER_NAME = 'fre-toolchain';

export type CellKindName = 'CELL_KIND_UNSPECIFIED' | 'CELL_KIND_DIFFERENTIAL' | 'CELL_KIND_OFFSET_COLUMN';
export type NoiseReferenceName = 'NOISE_REFERENCE_UNSPECIFIED' | 'NOISE_REFERENCE_RANGE' | 'NOISE_REFERENCE_TARGET';
export type ActivationImplKindName =
  'ACTIVATION_IMPL_KIND_UNSPECIFIED' | 'ACTIVATION_IMPL_KIND_EXACT' | 'ACTIVATION_IMPL_KIND_PIECEWISE_LINEAR' | 'ACTIVATION_IMPL_KIND_LUT';
export type NudgeModeName = 'NUDGE_MODE_UNSPECIFIED' | 'NUDGE_MODE_HELD' | 'NUDGE_MODE_RECOMPUTED' | 'NUDGE_MODE_GRAPH';
export type GroupRoleName = 'GROUP_ROLE_UNSPECIFIED' | 'GROUP_ROLE_INPUT' | 'GROUP_ROLE_HIDDEN' | 'GROUP_ROLE_OUTPUT';
export type ActivationName =
  | 'ACTIVATION_UNSPECIFIED'
  | 'ACTIVATION_IDENTITY'
  | 'ACTIVATION_TANH'
  | 'ACTIVATION_HARD_SIGMOID'
  | 'ACTIVATION_SIGMOID'
  | 'ACTIVATION_SOFTMAX';
export type FeedbackKindName = 'FEEDBACK_KIND_UNSPECIFIED' | 'FEEDBACK_KIND_NONE' | 'FEEDBACK_KIND_SYMMETRIC' | 'FEEDBACK_KIND_RANDOM';
export type WMaxPolicyName =
  'W_MAX_POLICY_UNSPECIFIED' | 'W_MAX_POLICY_MAX' | 'W_MAX_POLICY_PERCENTILE' | 'W_MAX_POLICY_HEADROOM' | 'W_MAX_POLICY_FIXED';
export type ArrayRoleName = 'ARRAY_ROLE_UNSPECIFIED' | 'ARRAY_ROLE_WEIGHT' | 'ARRAY_ROLE_RANDOM_FEEDBACK';
export type ReadKindName = 'READ_KIND_UNSPECIFIED' | 'READ_KIND_FORWARD' | 'READ_KIND_TRANSPOSED';
export type DataTypeName = 'DATA_TYPE_UNSPECIFIED' | 'DATA_TYPE_UINT8' | 'DATA_TYPE_UINT16' | 'DATA_TYPE_FLOAT32';
export type CombineModeName = 'COMBINE_MODE_UNSPECIFIED' | 'COMBINE_MODE_DIGITAL_SUM';
export type DriveBufferName =
  'DRIVE_BUFFER_UNSPECIFIED' | 'DRIVE_BUFFER_STEP' | 'DRIVE_BUFFER_INPUT' | 'DRIVE_BUFFER_NUDGE' | 'DRIVE_BUFFER_LOGITS';
export type RoutingAlgorithmName = 'ROUTING_ALGORITHM_UNSPECIFIED' | 'ROUTING_ALGORITHM_XY';
export type PhaseKindName =
  | 'PHASE_KIND_UNSPECIFIED'
  | 'PHASE_KIND_INPUT'
  | 'PHASE_KIND_FREE'
  | 'PHASE_KIND_READOUT'
  | 'PHASE_KIND_ERROR'
  | 'PHASE_KIND_NUDGED'
  | 'PHASE_KIND_UPDATE';
export type OperandName =
  | 'OPERAND_UNSPECIFIED'
  | 'OPERAND_STATE'
  | 'OPERAND_FREE_STATE'
  | 'OPERAND_DELTA'
  | 'OPERAND_ERROR'
  | 'OPERAND_PARTIAL_SUM'
  | 'OPERAND_INPUT'
  | 'OPERAND_TARGET'
  | 'OPERAND_HELD_DRIVE'
  | 'OPERAND_FREE_ERROR';

/** Op types of domain ai.fre.crossbar, version 2 (proto/netlist.proto, OpProto; defined in netlist/ops.ts). */
export const OP_TYPES = [
  'LoadInput',
  'LoadTarget',
  'ArrayRead',
  'ArrayReadTransposed',
  'AdcConvert',
  'Send',
  'Receive',
  'Accumulate',
  'NeuronUpdate',
  'ReadoutError',
  'SaveState',
  'StateDelta',
  'OuterProductUpdate',
] as const;
export type OpType = (typeof OP_TYPES)[number];

// ---- chip.proto -------------------------------------------------------------------------------

export interface NoiseMsg {
  sigma: number;
  relativeTo: NoiseReferenceName;
}
export type UpdateSchemeName =
  'UPDATE_SCHEME_UNSPECIFIED' | 'UPDATE_SCHEME_ROW_PROGRAMMED' | 'UPDATE_SCHEME_MIXED_PRECISION' | 'UPDATE_SCHEME_STOCHASTIC_COINCIDENCE';
export interface DeviceToDeviceMsg {
  dwMin: number;
  wMax: number;
  wMin: number;
  upDownAsymmetry: number;
}
export interface PulsedUpdateMsg {
  dwMin: number;
  cycleToCycle: number;
  upDownAsymmetry: number;
  softBounds: boolean;
  pulsesPerUpdate: number;
  scheme: UpdateSchemeName;
  accumulatorBits: number;
  deviceToDevice: DeviceToDeviceMsg | null;
  pairMode: PairModeName;
  refreshUpperThreshold: number;
  refreshLowerThreshold: number;
}
export type PairModeName = 'PAIR_MODE_UNSPECIFIED' | 'PAIR_MODE_BIPOLAR' | 'PAIR_MODE_POTENTIATE_ONLY';
export interface CrossbarMsg {
  rows: number;
  cols: number;
  cell: CellKindName;
  gMinUs: number;
  gMaxUs: number;
  /** 0 = continuous. */
  levels: number;
  programmingNoise: NoiseMsg | null;
  readNoise: NoiseMsg | null;
  drift: {
    nu: number;
    nuStd: number;
    t0Seconds: number;
    compensation: 'DRIFT_COMPENSATION_UNSPECIFIED' | 'DRIFT_COMPENSATION_NONE' | 'DRIFT_COMPENSATION_GLOBAL';
  } | null;
  stuckAt: {
    onProbability: number;
    offProbability: number;
    compensation?: 'STUCK_COMPENSATION_UNSPECIFIED' | 'STUCK_COMPENSATION_NONE' | 'STUCK_COMPENSATION_PARTNER';
  } | null;
  exactUpdate?: Record<string, never> | null;
  pulsedUpdate?: PulsedUpdateMsg | null;
  wireResistanceOhm: number;
  lowFrequencyReadNoise: {
    sigma: number;
    relativeTo: NoiseReferenceName;
    redraw: 'NOISE_REDRAW_UNSPECIFIED' | 'NOISE_REDRAW_SAMPLE' | 'NOISE_REDRAW_PHASE';
  } | null;
  noiseModel: 'NOISE_MODEL_UNSPECIFIED' | 'NOISE_MODEL_CONSTANT' | 'NOISE_MODEL_PCM_AIHWKIT';
}
export type NoiseManagementName = 'NOISE_MANAGEMENT_UNSPECIFIED' | 'NOISE_MANAGEMENT_NONE' | 'NOISE_MANAGEMENT_ABS_MAX';
export interface PeripheryMsg {
  /** bits 0 = float. */
  dac: { bits: number; inputMin: number; inputMax: number; readVoltageV: number } | null;
  /** bits 0 = float; fullScale 0 = unbounded. */
  adc: {
    bits: number;
    fullScale: number;
    linesPerAdc: number;
    outputNoise: number;
    noiseManagement: NoiseManagementName;
    boundManagement: 'BOUND_MANAGEMENT_UNSPECIFIED' | 'BOUND_MANAGEMENT_NONE' | 'BOUND_MANAGEMENT_ITERATIVE';
    maxRereads: number;
    pairConversion: 'PAIR_CONVERSION_UNSPECIFIED' | 'PAIR_CONVERSION_DIFFERENCE' | 'PAIR_CONVERSION_EACH_SIDE';
  } | null;
  gain: { stage: 'GAIN_STAGE_UNSPECIFIED' | 'GAIN_STAGE_DIGITAL'; bits: number; accumulatorBits: number } | null;
}
export interface NeuronUnitMsg {
  activation: { kind: ActivationImplKindName; segments: number; lutEntries: number; inputMin: number; inputMax: number } | null;
  stateNoise: number;
  /** 0 = float. */
  stateBits: number;
  lanes: number;
  /** state_min = state_max = 0: netlists written before the field (the DAC input range). */
  stateMin: number;
  stateMax: number;
  learningSignal: {
    kind: 'LEARNING_SIGNAL_KIND_UNSPECIFIED' | 'LEARNING_SIGNAL_KIND_STATE_REGISTERS' | 'LEARNING_SIGNAL_KIND_DIFFERENCE_REGISTER';
    /** 0 = float. */
    freeStateBits: number;
    /** 0 = float. */
    deltaBits: number;
    deltaRange: number;
    deltaRounding: 'DELTA_ROUNDING_UNSPECIFIED' | 'DELTA_ROUNDING_NEAREST' | 'DELTA_ROUNDING_STOCHASTIC';
  } | null;
}
export interface NocMsg {
  arraysPerCore: number;
  meshWidth: number;
  meshHeight: number;
  hopLatencyCycles: number;
  linkWidthBits: number;
  inputBufferBytes: number;
  stateBufferBytes: number;
  cluster: ClusterMsg | null;
}
export type PlacementName = 'PLACEMENT_UNSPECIFIED' | 'PLACEMENT_CORE' | 'PLACEMENT_CLUSTER' | 'PLACEMENT_NONE';
export interface ClusterMsg {
  /** 0 = 1. */
  cores: number;
  inputBuffer: PlacementName;
  stateBuffer: PlacementName;
  router: PlacementName;
  neuronUnit: PlacementName;
}
export type InputEncodingName =
  | 'INPUT_ENCODING_UNSPECIFIED'
  | 'INPUT_ENCODING_ANALOG'
  | 'INPUT_ENCODING_PWM'
  | 'INPUT_ENCODING_BIT_SERIAL'
  | 'INPUT_ENCODING_PULSE_COUNT';
export type AdcArchitectureName =
  | 'ADC_ARCHITECTURE_UNSPECIFIED'
  | 'ADC_ARCHITECTURE_SAR'
  | 'ADC_ARCHITECTURE_FLASH'
  | 'ADC_ARCHITECTURE_CCO'
  | 'ADC_ARCHITECTURE_ADDER_TREE';
export interface CostModelMsg {
  version: string;
  source: string;
  featureSizeNm: number;
  inputEncoding: InputEncodingName;
  readPulseNs: number;
  integrationStepNs: number;
  inputActivity: number;
  dacEnergyPj: number;
  dacSettleNs: number;
  adcArchitecture: AdcArchitectureName;
  adcWaldenFomFj: number;
  adcNsPerStep: number;
  bitsWhenFloat: number;
  adcAreaUm2PerLevel: number;
  writeEnergyPjPerPulse: number;
  writePulseNs: number;
  addPjPerBit: number;
  multiplyPjPerBit2: number;
  sramPjPerBit: number;
  neuronUpdatePj: number;
  nocPjPerBitHop: number;
  cellAreaF2: number;
  dacAreaUm2PerLine: number;
  neuronAreaUm2PerLane: number;
  sramAreaUm2PerBit: number;
  routerAreaUm2: number;
  leakage: { component: string; leakageUw: number }[];
  powerGating: boolean;
  sendAdcCodes: boolean;
  overrides: { action: string; latencyNs: number; energyPj: number }[];
}
export interface ChipDescriptionMsg {
  format: string;
  name: string;
  description: string;
  crossbar: CrossbarMsg | null;
  periphery: PeripheryMsg | null;
  neuron: NeuronUnitMsg | null;
  noc: NocMsg | null;
  clock: { frequencyMhz: number } | null;
  fingerprint: string;
  costModel: CostModelMsg | null;
}

// ---- netlist.proto ----------------------------------------------------------------------------

export interface DynamicsMsg {
  freeSteps: number;
  nudgedSteps: number;
  betaF: number;
  nudge: NudgeModeName;
  readoutGroup: number;
}

export interface NeuronGroupMsg {
  id: number;
  name: string;
  role: GroupRoleName;
  node: number;
  size: number;
  activation: ActivationName;
  betaF: number;
  freeSteps: number;
  nudgedSteps: number;
  homeCore: number;
  stateStep: number;
  /** [C, H, W] of a feature-map group; empty when flat. */
  shape: number[];
}

export interface MatrixMappingMsg {
  wMax: number;
  policy: WMaxPolicyName;
  percentile: number;
  headroom: number;
  maxAbs: number;
  clipped: number;
  maxError: number;
  rmsError: number;
  levelStep: number;
}

export interface EdgeMsg {
  id: number;
  name: string;
  fromGroup: number;
  toGroup: number;
  rows: number;
  cols: number;
  alpha: number;
  feedback: FeedbackKindName;
  beta: number;
  trainable: boolean;
  weights: MatrixMappingMsg | null;
  feedbackWeights: MatrixMappingMsg | null;
  tileGridRows: number;
  tileGridCols: number;
  arrays: number[];
  feedbackTileGridRows: number;
  feedbackTileGridCols: number;
  feedbackArrays: number[];
  /** Conv edges only (null on dense edges). */
  conv: ConvGeometryMsg | null;
  /** The edge's bias, one entry per row; empty = no bias. */
  bias: number[];
}

export type PoolKindName = 'POOL_KIND_UNSPECIFIED' | 'POOL_KIND_NONE' | 'POOL_KIND_MAX' | 'POOL_KIND_AVG';

export interface ConvGeometryMsg {
  kernel: number;
  stride: number;
  padding: number;
  inChannels: number;
  inHeight: number;
  inWidth: number;
  outChannels: number;
  outHeight: number;
  outWidth: number;
  positions: number;
  pool: PoolKindName;
  poolSize: number;
  poolStride: number;
}

export interface CoreMsg {
  id: number;
  x: number;
  y: number;
  arrays: number[];
  groups: number[];
}

export interface ExternalDataMsg {
  location: string;
  offset: number;
  length: number;
  sha256: string;
}

export interface TensorMsg {
  dataType: DataTypeName;
  dims: number[];
  rawData: Uint8Array;
  externalData: ExternalDataMsg | null;
}

export interface GainsMsg {
  forward: number;
  transposed: number;
  dacStep: number;
  adcStep: number;
  adcFullScaleForward: number;
  adcFullScaleTransposed: number;
  adcFullScaleNudge: number;
  adcStepTransposed: number;
  adcStepNudge: number;
}

/** The read kinds an ADC range is calibrated for (GainsProto adc_full_scale_*). */
export const ADC_READ_KINDS = ['forward', 'transposed', 'nudge'] as const;
export type AdcReadKind = (typeof ADC_READ_KINDS)[number];

/**
 * An array's ADC range and step for one read kind (0 = unbounded / not quantised), as the netlist carries them:
 * GainsProto's float fields, so rounded to float32 here also for a netlist built in memory (the compiler's
 * doubles) — a compiled and a decoded netlist then convert alike, by the rounding rule of docs/netlist.md
 * ("Rounding at a code boundary") with these float32 values.
 */
export function adcRangeOf(g: GainsMsg, kind: AdcReadKind): { fullScale: number; step: number } {
  const f = Math.fround;
  if (kind === 'forward') return { fullScale: f(g.adcFullScaleForward), step: f(g.adcStep) };
  if (kind === 'transposed') return { fullScale: f(g.adcFullScaleTransposed), step: f(g.adcStepTransposed) };
  return { fullScale: f(g.adcFullScaleNudge), step: f(g.adcStepNudge) };
}

export interface ArrayMsg {
  id: number;
  core: number;
  slot: number;
  edge: number;
  role: ArrayRoleName;
  rowBegin: number;
  rowEnd: number;
  colBegin: number;
  colEnd: number;
  tileRow: number;
  tileCol: number;
  gPlus: TensorMsg | null;
  gMinus: TensorMsg | null;
  gains: GainsMsg | null;
  reads: ReadKindName[];
  trainable: boolean;
}

export interface ReductionMsg {
  id: number;
  edge: number;
  role: ArrayRoleName;
  read: ReadKindName;
  group: number;
  begin: number;
  end: number;
  arrays: number[];
  core: number;
  combine: CombineModeName;
  target: DriveBufferName;
}

export interface RouteMsg {
  id: number;
  srcCore: number;
  dstCore: number;
  path: number[];
  algorithm: RoutingAlgorithmName;
}

export interface ActionCountMsg {
  action: string;
  count: number;
}

export interface OpMsg {
  id: number;
  opType: string;
  domain: string;
  deps: number[];
  resources: string[];
  actions: ActionCountMsg[];
  label: string;
  core: number;
  array: number;
  edge: number;
  group: number;
  reduction: number;
  route: number;
  begin: number;
  end: number;
  elements: number;
  lines: number;
  hops: number;
  flits: number;
  bits: number;
  source: OperandName;
  target: DriveBufferName;
  gain: number;
  scaleByStep: boolean;
  postGroup: number;
  post: OperandName;
  preGroup: number;
  pre: OperandName;
  held: DriveBufferName;
  /** Conv edges: patches streamed through the array by this op (0 = once). */
  positions: number;
}

export interface PhaseMsg {
  kind: PhaseKindName;
  name: string;
  repeat: number;
  trainingOnly: boolean;
  ops: OpMsg[];
}

export type OptimizerKindName = 'OPTIMIZER_KIND_UNSPECIFIED' | 'OPTIMIZER_KIND_SGD' | 'OPTIMIZER_KIND_ADAM' | 'OPTIMIZER_KIND_ADAMW';
export type LrScheduleKindName = 'LR_SCHEDULE_KIND_UNSPECIFIED' | 'LR_SCHEDULE_KIND_CONSTANT' | 'LR_SCHEDULE_KIND_COSINE';

export interface TrainingInfoMsg {
  optimizer: OptimizerKindName;
  edgeLr: number[];
  momentum: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  batchSize: number;
  epochs: number;
  seed: number;
  schedule: LrScheduleKindName;
  scheduleEpochs: number;
  minLr: number;
  clipGradNorm: number;
  divideByBetaF: boolean;
  dataset: string;
}

export interface NetlistMsg {
  irVersion: number;
  opsetImport: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  graphName: string;
  docString: string;
  chip: ChipDescriptionMsg | null;
  dynamics: DynamicsMsg | null;
  groups: NeuronGroupMsg[];
  edges: EdgeMsg[];
  cores: CoreMsg[];
  arrays: ArrayMsg[];
  reductions: ReductionMsg[];
  routes: RouteMsg[];
  schedule: { phases: PhaseMsg[] } | null;
  metadataProps: { key: string; value: string }[];
  producerCommit: string;
  /** Null: inference only. */
  trainingInfo: TrainingInfoMsg | null;
}

/** An op as the schedule pass builds it: every operand optional (unset = 0 on the wire); resources and
 *  actions follow from the operands (netlist/ops.ts). */
export type OpInit = Pick<OpMsg, 'opType' | 'label'> & Partial<Omit<OpMsg, 'id' | 'domain' | 'opType' | 'resources' | 'actions' | 'label'>>;
