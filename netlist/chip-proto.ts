/**
 * ChipDescription (hw-models/chip.ts) ↔ ChipDescriptionProto. Exact both ways (the proto uses
 * doubles), so a decoded netlist gives back the very description it was compiled for. proto3's
 * zero sentinels ("0 = continuous / float / unbounded") become the TypeScript words here.
 */
import {
  ACTION_KEYS,
  ADC_ARCHITECTURES,
  CHIP_FORMAT,
  CORE_CLUSTER,
  INPUT_ENCODINGS,
  LEAKAGE_KEYS,
  UPDATE_SCHEMES,
  type UpdateScheme,
  type ActionCost,
  type ActionKey,
  type ActivationImpl,
  type ChipDescription,
  type CostModel,
  type LeakageKey,
  type LearningSignalSpec,
  type BoundManagement,
  type NoiseManagement,
  type NoiseSpec,
  type LowFrequencyNoiseSpec,
  type NoiseModel,
  type PairConversion,
  type ClusterSpec,
  type Placement,
} from '../hw-models/chip';
import { chipFingerprint } from '../hw-models/compare';
import type {
  AdcArchitectureName,
  ChipDescriptionMsg,
  ClusterMsg,
  PlacementName,
  CostModelMsg,
  CrossbarMsg,
  InputEncodingName,
  NeuronUnitMsg,
  NoiseMsg,
  UpdateSchemeName,
  PairModeName,
} from './types';

function schemeOf(name: UpdateSchemeName): UpdateScheme {
  const s = UPDATE_SCHEMES.find((e) => enumName('UPDATE_SCHEME', e) === name);
  if (!s) throw new ChipMessageError(`chip.crossbar.pulsedUpdate.scheme is ${name}`);
  return s;
}

const enumName = (prefix: string, word: string): string => `${prefix}_${word.toUpperCase().replace(/-/g, '_')}`;

function costModelToMsg(m: CostModel): CostModelMsg {
  const { leakageUw, overrides, inputEncoding, adcArchitecture, ...scalars } = m;
  return {
    ...scalars,
    inputEncoding: enumName('INPUT_ENCODING', inputEncoding) as InputEncodingName,
    adcArchitecture: enumName('ADC_ARCHITECTURE', adcArchitecture) as AdcArchitectureName,
    leakage: LEAKAGE_KEYS.map((k) => ({ component: k, leakageUw: leakageUw[k] })),
    overrides: ACTION_KEYS.filter((a) => overrides[a]).map((a) => ({ action: a, ...overrides[a]! })),
  };
}

function costModelFromMsg(m: CostModelMsg): CostModel {
  const { leakage, overrides, inputEncoding, adcArchitecture, ...scalars } = m;
  const enc = INPUT_ENCODINGS.find((e) => enumName('INPUT_ENCODING', e) === inputEncoding);
  const arch = ADC_ARCHITECTURES.find((e) => enumName('ADC_ARCHITECTURE', e) === adcArchitecture);
  if (!enc) throw new ChipMessageError(`chip.costModel.inputEncoding is ${inputEncoding}`);
  if (!arch) throw new ChipMessageError(`chip.costModel.adcArchitecture is ${adcArchitecture}`);
  const leakageUw = {} as Record<LeakageKey, number>;
  for (const r of leakage) leakageUw[r.component as LeakageKey] = r.leakageUw;
  const over: Partial<Record<ActionKey, ActionCost>> = {};
  for (const r of overrides) over[r.action as ActionKey] = { latencyNs: r.latencyNs, energyPj: r.energyPj };
  return { ...scalars, inputEncoding: enc, adcArchitecture: arch, leakageUw, overrides: over };
}

const noiseToMsg = (n: NoiseSpec): NoiseMsg => ({
  sigma: n.sigma,
  relativeTo: n.relativeTo === 'range' ? 'NOISE_REFERENCE_RANGE' : 'NOISE_REFERENCE_TARGET',
});
const orZero = <T extends string>(v: number | T): number => (typeof v === 'number' ? v : 0);

export function chipToMsg(c: ChipDescription): ChipDescriptionMsg {
  const x = c.crossbar;
  const act = c.neuron.activation;
  return {
    format: c.format,
    name: c.name,
    description: c.description,
    crossbar: {
      rows: x.rows,
      cols: x.cols,
      cell: x.cell === 'differential' ? 'CELL_KIND_DIFFERENTIAL' : 'CELL_KIND_OFFSET_COLUMN',
      gMinUs: x.gMinUS,
      gMaxUs: x.gMaxUS,
      levels: orZero(x.levels),
      programmingNoise: noiseToMsg(x.programmingNoise),
      readNoise: noiseToMsg(x.readNoise),
      drift: { ...x.drift, compensation: x.drift.compensation === 'global' ? 'DRIFT_COMPENSATION_GLOBAL' : 'DRIFT_COMPENSATION_NONE' },
      stuckAt: {
        ...x.stuckAt,
        compensation: x.stuckAt.compensation === 'partner' ? 'STUCK_COMPENSATION_PARTNER' : 'STUCK_COMPENSATION_NONE',
      },
      ...(x.update.kind === 'exact'
        ? { exactUpdate: {} }
        : {
            pulsedUpdate: {
              dwMin: x.update.dwMin,
              cycleToCycle: x.update.cycleToCycle,
              upDownAsymmetry: x.update.upDownAsymmetry,
              softBounds: x.update.softBounds,
              pulsesPerUpdate: x.update.pulsesPerUpdate,
              scheme: enumName('UPDATE_SCHEME', x.update.scheme) as UpdateSchemeName,
              accumulatorBits: x.update.accumulatorBits,
              deviceToDevice: { ...x.update.deviceToDevice },
              pairMode: enumName('PAIR_MODE', x.update.pairMode) as PairModeName,
              refreshUpperThreshold: x.update.refreshUpperThreshold,
              refreshLowerThreshold: x.update.refreshLowerThreshold,
            },
          }),
      wireResistanceOhm: x.wireResistanceOhm,
      lowFrequencyReadNoise: {
        ...noiseToMsg(x.lowFrequencyReadNoise),
        redraw: x.lowFrequencyReadNoise.redraw === 'phase' ? 'NOISE_REDRAW_PHASE' : 'NOISE_REDRAW_SAMPLE',
      },
      noiseModel: x.noiseModel === 'pcm-aihwkit' ? 'NOISE_MODEL_PCM_AIHWKIT' : 'NOISE_MODEL_CONSTANT',
    },
    periphery: {
      dac: {
        bits: orZero(c.periphery.dac.bits),
        inputMin: c.periphery.dac.inputRange[0],
        inputMax: c.periphery.dac.inputRange[1],
        readVoltageV: c.periphery.dac.readVoltageV,
      },
      adc: {
        bits: orZero(c.periphery.adc.bits),
        fullScale: orZero(c.periphery.adc.fullScale),
        linesPerAdc: c.periphery.adc.linesPerAdc,
        outputNoise: c.periphery.adc.outputNoise,
        noiseManagement: c.periphery.adc.noiseManagement === 'abs-max' ? 'NOISE_MANAGEMENT_ABS_MAX' : 'NOISE_MANAGEMENT_NONE',
        boundManagement: c.periphery.adc.boundManagement === 'iterative' ? 'BOUND_MANAGEMENT_ITERATIVE' : 'BOUND_MANAGEMENT_NONE',
        maxRereads: c.periphery.adc.maxRereads,
        pairConversion: c.periphery.adc.pairConversion === 'each-side' ? 'PAIR_CONVERSION_EACH_SIDE' : 'PAIR_CONVERSION_DIFFERENCE',
      },
      gain: { stage: 'GAIN_STAGE_DIGITAL', bits: orZero(c.periphery.gain.bits), accumulatorBits: c.periphery.gain.accumulatorBits },
    },
    neuron: {
      activation: {
        kind:
          act.kind === 'exact'
            ? 'ACTIVATION_IMPL_KIND_EXACT'
            : act.kind === 'lut'
              ? 'ACTIVATION_IMPL_KIND_LUT'
              : 'ACTIVATION_IMPL_KIND_PIECEWISE_LINEAR',
        segments: act.kind === 'piecewise-linear' ? act.segments : 0,
        lutEntries: act.kind === 'lut' ? act.entries : 0,
        inputMin: act.kind === 'exact' ? 0 : act.inputRange[0],
        inputMax: act.kind === 'exact' ? 0 : act.inputRange[1],
      },
      stateNoise: c.neuron.stateNoise,
      stateBits: orZero(c.neuron.stateBits),
      lanes: c.neuron.lanes,
      stateMin: c.neuron.stateRange[0],
      stateMax: c.neuron.stateRange[1],
      learningSignal: learningSignalToMsg(c.neuron.learningSignal),
    },
    noc: { ...c.noc, cluster: clusterToMsg(c.noc.cluster) },
    clock: { frequencyMhz: c.clock.frequencyMhz },
    costModel: costModelToMsg(c.costModel),
    fingerprint: chipFingerprint(c),
  };
}

const placementName = (p: Placement): PlacementName => enumName('PLACEMENT', p) as PlacementName;

function clusterToMsg(c: ClusterSpec): ClusterMsg {
  return {
    cores: c.cores,
    inputBuffer: placementName(c.inputBuffer),
    stateBuffer: placementName(c.stateBuffer),
    router: placementName(c.router),
    neuronUnit: placementName(c.neuronUnit),
  };
}

/** A netlist written before noc.cluster: every core its own buffers, router and neuron unit. */
function clusterFromMsg(m: ClusterMsg | null | undefined): ClusterSpec {
  const of = (p: PlacementName, what: string): Placement => {
    if (p === 'PLACEMENT_UNSPECIFIED' || p === 'PLACEMENT_CORE') return 'core';
    if (p === 'PLACEMENT_CLUSTER') return 'cluster';
    if (p === 'PLACEMENT_NONE') return 'none';
    throw new ChipMessageError(`chip.noc.cluster.${what} is ${p}`);
  };
  if (!m) return { ...CORE_CLUSTER };
  return {
    cores: m.cores === 0 ? 1 : m.cores,
    inputBuffer: of(m.inputBuffer, 'inputBuffer'),
    stateBuffer: of(m.stateBuffer, 'stateBuffer'),
    router: of(m.router, 'router'),
    neuronUnit: of(m.neuronUnit, 'neuronUnit'),
  };
}

function learningSignalToMsg(l: LearningSignalSpec): NeuronUnitMsg['learningSignal'] {
  return l.kind === 'state-registers'
    ? {
        kind: 'LEARNING_SIGNAL_KIND_STATE_REGISTERS',
        freeStateBits: 0,
        deltaBits: 0,
        deltaRange: 0,
        // Unused by the state registers: the proto default, so the message has no field for it.
        deltaRounding: 'DELTA_ROUNDING_UNSPECIFIED',
      }
    : {
        kind: 'LEARNING_SIGNAL_KIND_DIFFERENCE_REGISTER',
        freeStateBits: orZero(l.freeStateBits),
        deltaBits: orZero(l.deltaBits),
        deltaRange: l.deltaRange,
        deltaRounding: l.deltaRounding === 'stochastic' ? 'DELTA_ROUNDING_STOCHASTIC' : 'DELTA_ROUNDING_NEAREST',
      };
}

function learningSignalFromMsg(m: NeuronUnitMsg['learningSignal']): LearningSignalSpec {
  // Absent or UNSPECIFIED: a netlist written before the field, whose δ was the state registers' difference.
  if (!m || m.kind === 'LEARNING_SIGNAL_KIND_UNSPECIFIED' || m.kind === 'LEARNING_SIGNAL_KIND_STATE_REGISTERS')
    return { kind: 'state-registers' };
  if (m.kind !== 'LEARNING_SIGNAL_KIND_DIFFERENCE_REGISTER')
    throw new ChipMessageError(`chip.neuron.learningSignal.kind is ${String(m.kind)}`);
  const w = (v: number): number | 'float' => (v === 0 ? 'float' : v);
  const r = m.deltaRounding;
  if (r !== 'DELTA_ROUNDING_UNSPECIFIED' && r !== 'DELTA_ROUNDING_NEAREST' && r !== 'DELTA_ROUNDING_STOCHASTIC')
    throw new ChipMessageError(`chip.neuron.learningSignal.deltaRounding is ${String(r)}`);
  return {
    kind: 'difference-register',
    freeStateBits: w(m.freeStateBits),
    deltaBits: w(m.deltaBits),
    deltaRange: m.deltaRange,
    deltaRounding: r === 'DELTA_ROUNDING_STOCHASTIC' ? 'stochastic' : 'nearest',
  };
}

/** Thrown when a message cannot be a chip description at all (missing blocks, unknown enums). */
export class ChipMessageError extends Error {}

function driftOf(d: NonNullable<CrossbarMsg['drift']>): ChipDescription['crossbar']['drift'] {
  if (d.compensation !== 'DRIFT_COMPENSATION_NONE' && d.compensation !== 'DRIFT_COMPENSATION_GLOBAL')
    throw new ChipMessageError(`chip.crossbar.drift.compensation is ${d.compensation}`);
  return {
    nu: d.nu,
    nuStd: d.nuStd,
    t0Seconds: d.t0Seconds,
    compensation: d.compensation === 'DRIFT_COMPENSATION_GLOBAL' ? 'global' : 'none',
  };
}

/** Netlists written before the field existed carry UNSPECIFIED: they meant no compensation. */
function stuckOf(s: NonNullable<CrossbarMsg['stuckAt']>): ChipDescription['crossbar']['stuckAt'] {
  const c: string | undefined = s.compensation;
  if (c !== undefined && c !== 'STUCK_COMPENSATION_UNSPECIFIED' && c !== 'STUCK_COMPENSATION_NONE' && c !== 'STUCK_COMPENSATION_PARTNER')
    throw new ChipMessageError(`chip.crossbar.stuckAt.compensation is ${c}`);
  return {
    onProbability: s.onProbability,
    offProbability: s.offProbability,
    compensation: c === 'STUCK_COMPENSATION_PARTNER' ? 'partner' : 'none',
  };
}

/** Netlists written before the field existed have no low-frequency noise (σ 0, redrawn per sample). */
function lowFrequencyOf(v: CrossbarMsg['lowFrequencyReadNoise'] | undefined): LowFrequencyNoiseSpec {
  if (!v) return { sigma: 0, relativeTo: 'range', redraw: 'sample' };
  const r: string | undefined = v.redraw;
  if (r !== undefined && r !== 'NOISE_REDRAW_UNSPECIFIED' && r !== 'NOISE_REDRAW_SAMPLE' && r !== 'NOISE_REDRAW_PHASE')
    throw new ChipMessageError(`chip.crossbar.lowFrequencyReadNoise.redraw is ${r}`);
  const rel: string | undefined = v.relativeTo;
  return {
    sigma: v.sigma ?? 0,
    relativeTo: rel === 'NOISE_REFERENCE_TARGET' ? 'target' : 'range',
    redraw: r === 'NOISE_REDRAW_PHASE' ? 'phase' : 'sample',
  };
}

/** UNSPECIFIED (a netlist written before the field existed) reads as the constant model. */
function noiseModelOf(v: string | undefined): NoiseModel {
  if (v === undefined || v === 'NOISE_MODEL_UNSPECIFIED' || v === 'NOISE_MODEL_CONSTANT') return 'constant';
  if (v === 'NOISE_MODEL_PCM_AIHWKIT') return 'pcm-aihwkit';
  throw new ChipMessageError(`chip.crossbar.noiseModel is ${v}`);
}

/** UNSPECIFIED (a netlist written before the field existed) reads as one conversion of the difference. */
function pairConversionOf(v: string | undefined): PairConversion {
  if (v === undefined || v === 'PAIR_CONVERSION_UNSPECIFIED' || v === 'PAIR_CONVERSION_DIFFERENCE') return 'difference';
  if (v === 'PAIR_CONVERSION_EACH_SIDE') return 'each-side';
  throw new ChipMessageError(`chip.periphery.adc.pairConversion is ${v}`);
}

function boundManagementOf(v: string): BoundManagement {
  if (v === 'BOUND_MANAGEMENT_ITERATIVE') return 'iterative';
  if (v === 'BOUND_MANAGEMENT_NONE') return 'none';
  throw new ChipMessageError(`chip.periphery.adc.boundManagement is ${v}`);
}

function noiseManagementOf(v: string): NoiseManagement {
  if (v === 'NOISE_MANAGEMENT_ABS_MAX') return 'abs-max';
  if (v === 'NOISE_MANAGEMENT_NONE') return 'none';
  throw new ChipMessageError(`chip.periphery.adc.noiseManagement is ${v}`);
}

export function chipFromMsg(m: ChipDescriptionMsg): ChipDescription {
  const need = <T>(v: T | null | undefined, what: string): T => {
    if (v === null || v === undefined) throw new ChipMessageError(`chip.${what} is missing`);
    return v;
  };
  const x = need(m.crossbar, 'crossbar');
  const p = need(m.periphery, 'periphery');
  const dac = need(p.dac, 'periphery.dac');
  const adc = need(p.adc, 'periphery.adc');
  const gain = need(p.gain, 'periphery.gain');
  const n = need(m.neuron, 'neuron');
  const a = need(n.activation, 'neuron.activation');
  const cm = need(m.costModel, 'costModel');
  const noise = (v: NoiseMsg | null, what: string): NoiseSpec => {
    const nz = need(v, what);
    if (nz.relativeTo !== 'NOISE_REFERENCE_RANGE' && nz.relativeTo !== 'NOISE_REFERENCE_TARGET')
      throw new ChipMessageError(`chip.${what}.relativeTo is ${nz.relativeTo}`);
    return { sigma: nz.sigma, relativeTo: nz.relativeTo === 'NOISE_REFERENCE_RANGE' ? 'range' : 'target' };
  };
  if (x.cell !== 'CELL_KIND_DIFFERENTIAL' && x.cell !== 'CELL_KIND_OFFSET_COLUMN')
    throw new ChipMessageError(`chip.crossbar.cell is ${x.cell}`);
  let activation: ActivationImpl;
  if (a.kind === 'ACTIVATION_IMPL_KIND_EXACT') activation = { kind: 'exact' };
  else if (a.kind === 'ACTIVATION_IMPL_KIND_LUT') activation = { kind: 'lut', entries: a.lutEntries, inputRange: [a.inputMin, a.inputMax] };
  else if (a.kind === 'ACTIVATION_IMPL_KIND_PIECEWISE_LINEAR')
    activation = { kind: 'piecewise-linear', segments: a.segments, inputRange: [a.inputMin, a.inputMax] };
  else throw new ChipMessageError(`chip.neuron.activation.kind is ${a.kind}`);
  const pu = x.pulsedUpdate;
  if (!pu && !x.exactUpdate) throw new ChipMessageError('chip.crossbar has neither exactUpdate nor pulsedUpdate');
  const word = <W extends string>(v: number, w: W): number | W => (v === 0 ? w : v);
  return {
    format: m.format as typeof CHIP_FORMAT,
    name: m.name,
    description: m.description,
    crossbar: {
      rows: x.rows,
      cols: x.cols,
      cell: x.cell === 'CELL_KIND_DIFFERENTIAL' ? 'differential' : 'offset-column',
      gMinUS: x.gMinUs,
      gMaxUS: x.gMaxUs,
      levels: word(x.levels, 'continuous'),
      programmingNoise: noise(x.programmingNoise, 'crossbar.programmingNoise'),
      readNoise: noise(x.readNoise, 'crossbar.readNoise'),
      lowFrequencyReadNoise: lowFrequencyOf(x.lowFrequencyReadNoise ?? undefined),
      noiseModel: noiseModelOf(x.noiseModel),
      drift: driftOf(need(x.drift, 'crossbar.drift')),
      stuckAt: stuckOf(need(x.stuckAt, 'crossbar.stuckAt')),
      update: pu
        ? {
            kind: 'pulsed',
            dwMin: pu.dwMin,
            cycleToCycle: pu.cycleToCycle,
            upDownAsymmetry: pu.upDownAsymmetry,
            softBounds: pu.softBounds,
            pulsesPerUpdate: pu.pulsesPerUpdate,
            scheme: schemeOf(pu.scheme),
            accumulatorBits: pu.accumulatorBits,
            deviceToDevice: { ...need(pu.deviceToDevice, 'crossbar.pulsedUpdate.deviceToDevice') },
            // A netlist written before pair modes existed holds UNSPECIFIED: the bipolar pair it was run with.
            pairMode: pu.pairMode === 'PAIR_MODE_POTENTIATE_ONLY' ? 'potentiate-only' : 'bipolar',
            // (and no thresholds: aihwkit OneSidedUnitCell's defaults, unused by a bipolar pair).
            refreshUpperThreshold: pu.pairMode === 'PAIR_MODE_UNSPECIFIED' ? 0.75 : pu.refreshUpperThreshold,
            refreshLowerThreshold: pu.pairMode === 'PAIR_MODE_UNSPECIFIED' ? 0.25 : pu.refreshLowerThreshold,
          }
        : { kind: 'exact' },
      wireResistanceOhm: x.wireResistanceOhm,
    },
    periphery: {
      dac: { bits: word(dac.bits, 'float'), inputRange: [dac.inputMin, dac.inputMax], readVoltageV: dac.readVoltageV },
      adc: {
        bits: word(adc.bits, 'float'),
        fullScale: word(adc.fullScale, 'unbounded'),
        linesPerAdc: adc.linesPerAdc,
        outputNoise: adc.outputNoise,
        noiseManagement: noiseManagementOf(adc.noiseManagement),
        boundManagement: boundManagementOf(adc.boundManagement),
        maxRereads: adc.maxRereads,
        pairConversion: pairConversionOf(adc.pairConversion),
      },
      gain: { stage: 'digital', bits: word(gain.bits, 'float'), accumulatorBits: gain.accumulatorBits },
    },
    neuron: {
      activation,
      stateNoise: n.stateNoise,
      stateBits: word(n.stateBits, 'float'),
      // Netlists written before the field carry 0, 0: their state register was quantised over the DAC range.
      stateRange: n.stateMin === 0 && n.stateMax === 0 ? [dac.inputMin, dac.inputMax] : [n.stateMin, n.stateMax],
      learningSignal: learningSignalFromMsg(n.learningSignal),
      lanes: n.lanes,
    },
    noc: { ...need(m.noc, 'noc'), cluster: clusterFromMsg(need(m.noc, 'noc').cluster) },
    clock: { frequencyMhz: need(m.clock, 'clock').frequencyMhz },
    costModel: costModelFromMsg(cm),
  };
}
