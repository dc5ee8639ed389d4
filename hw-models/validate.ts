/**
 * Validation of a chip description: the field schema as data (so every field is checked the same
 * way and unknown fields are caught), then the cross-field checks a schema cannot express
 * (contradictory sizes and ranges). All problems are collected in one pass.
 */
import {
  ACTION_KEYS,
  ADC_ARCHITECTURES,
  BOUND_MANAGEMENTS,
  CELL_KINDS,
  CHIP_FORMAT,
  DELTA_ROUNDINGS,
  DRIFT_COMPENSATIONS,
  INPUT_ENCODINGS,
  LEAKAGE_KEYS,
  NOISE_MANAGEMENTS,
  NOISE_MODELS,
  NOISE_REDRAWS,
  NOISE_REFERENCES,
  STUCK_COMPENSATIONS,
  PAIR_CONVERSIONS,
  UPDATE_SCHEMES,
  PAIR_MODES,
  PLACEMENTS,
  CORE_CLUSTER,
  type ChipDescription,
} from './chip';
import type { CodedDiagnostic, HwCode } from './diagnostics';
import { closest } from '../util/suggest';
import { LIMITS } from '../util/limits';

type Node =
  | { t: 'object'; fields: Record<string, Node> }
  | { t: 'record'; keys: readonly string[]; value: Node; partial?: boolean }
  | { t: 'num'; min?: number; max?: number; gt?: number; int?: boolean }
  | { t: 'numOr'; word: string; num: Node & { t: 'num' } }
  | { t: 'enum'; values: readonly string[] }
  | { t: 'str' }
  | { t: 'bool' }
  | { t: 'const'; value: string }
  | { t: 'range' }
  | { t: 'tagged'; variants: Record<string, Record<string, Node>> };

const obj = (fields: Record<string, Node>): Node => ({ t: 'object', fields });
const num = (o: { min?: number; max?: number; gt?: number; int?: boolean } = {}) => ({ t: 'num' as const, ...o });
const int = (min: number, max?: number) => num({ min, max, int: true });
const frac = num({ min: 0, max: 1 });
const nonNeg = num({ min: 0 });
const pos = num({ gt: 0 });
const noise = obj({ sigma: nonNeg, relativeTo: { t: 'enum', values: NOISE_REFERENCES } });
const cost = obj({ latencyNs: nonNeg, energyPj: nonNeg });

/** Longest stochastic-coincidence pulse train the simulator draws (slots per line per sample). */
export const MAX_COINCIDENCE_BL = LIMITS.coincidenceSlots;

/** The schema. Bit widths stop at 24 so that every code fits a float32 exactly; every count has a
 *  ceiling (docs/limits.md) so that no description makes the compiler or simulator allocate without bound. */
export const CHIP_SCHEMA: Node = obj({
  format: { t: 'const', value: CHIP_FORMAT },
  name: { t: 'str' },
  description: { t: 'str' },
  crossbar: obj({
    rows: int(1, 65536),
    cols: int(1, 65536),
    cell: { t: 'enum', values: CELL_KINDS },
    gMinUS: nonNeg,
    gMaxUS: pos,
    levels: { t: 'numOr', word: 'continuous', num: int(2, 65536) },
    programmingNoise: noise,
    readNoise: noise,
    lowFrequencyReadNoise: obj({
      sigma: nonNeg,
      relativeTo: { t: 'enum', values: NOISE_REFERENCES },
      redraw: { t: 'enum', values: NOISE_REDRAWS },
    }),
    noiseModel: { t: 'enum', values: NOISE_MODELS },
    drift: obj({ nu: nonNeg, nuStd: nonNeg, t0Seconds: pos, compensation: { t: 'enum', values: DRIFT_COMPENSATIONS } }),
    stuckAt: obj({ onProbability: frac, offProbability: frac, compensation: { t: 'enum', values: STUCK_COMPENSATIONS } }),
    update: {
      t: 'tagged',
      variants: {
        exact: {},
        pulsed: {
          dwMin: num({ gt: 0, max: 1 }),
          cycleToCycle: nonNeg,
          upDownAsymmetry: num({ gt: -1, max: 1 }),
          softBounds: { t: 'bool' },
          pulsesPerUpdate: int(1, 1 << 20),
          scheme: { t: 'enum', values: UPDATE_SCHEMES },
          accumulatorBits: int(2, 64),
          deviceToDevice: obj({
            dwMin: num({ min: 0, max: 1 }),
            wMax: num({ min: 0, max: 1 }),
            wMin: num({ min: 0, max: 1 }),
            upDownAsymmetry: num({ min: 0, max: 1 }),
          }),
          pairMode: { t: 'enum', values: PAIR_MODES },
          refreshUpperThreshold: num({ gt: 0, max: 1 }),
          refreshLowerThreshold: num({ min: 0, max: 1 }),
        },
      },
    },
    wireResistanceOhm: nonNeg,
  }),
  periphery: obj({
    dac: obj({ bits: { t: 'numOr', word: 'float', num: int(1, 24) }, inputRange: { t: 'range' }, readVoltageV: pos }),
    adc: obj({
      bits: { t: 'numOr', word: 'float', num: int(1, 24) },
      fullScale: { t: 'numOr', word: 'unbounded', num: pos },
      linesPerAdc: int(1, 65536),
      outputNoise: nonNeg,
      noiseManagement: { t: 'enum', values: NOISE_MANAGEMENTS },
      boundManagement: { t: 'enum', values: BOUND_MANAGEMENTS },
      maxRereads: int(0, 16),
      pairConversion: { t: 'enum', values: PAIR_CONVERSIONS },
    }),
    gain: obj({
      stage: { t: 'enum', values: ['digital'] },
      bits: { t: 'numOr', word: 'float', num: int(2, 24) },
      accumulatorBits: int(8, 64),
    }),
  }),
  neuron: obj({
    activation: {
      t: 'tagged',
      variants: {
        exact: {},
        'piecewise-linear': { segments: int(1, 65536), inputRange: { t: 'range' } },
        lut: { entries: int(2, 1 << 20), inputRange: { t: 'range' } },
      },
    },
    stateNoise: nonNeg,
    stateBits: { t: 'numOr', word: 'float', num: int(1, 24) },
    stateRange: { t: 'range' },
    learningSignal: {
      t: 'tagged',
      variants: {
        'state-registers': {},
        'difference-register': {
          freeStateBits: { t: 'numOr', word: 'float', num: int(1, 24) },
          // A sign bit and at least one magnitude bit.
          deltaBits: { t: 'numOr', word: 'float', num: int(2, 24) },
          deltaRange: pos,
          deltaRounding: { t: 'enum', values: DELTA_ROUNDINGS },
        },
      },
    },
    lanes: int(1, 1 << 20),
  }),
  noc: obj({
    arraysPerCore: int(1, 65536),
    meshWidth: int(1, 1024),
    meshHeight: int(1, 1024),
    hopLatencyCycles: int(0, 1 << 20),
    linkWidthBits: int(1, 1 << 20),
    inputBufferBytes: int(1, 2 ** 40),
    stateBufferBytes: int(1, 2 ** 40),
    cluster: obj({
      cores: int(1, 1 << 20),
      inputBuffer: { t: 'enum', values: PLACEMENTS },
      stateBuffer: { t: 'enum', values: PLACEMENTS },
      router: { t: 'enum', values: PLACEMENTS },
      neuronUnit: { t: 'enum', values: PLACEMENTS },
    }),
  }),
  clock: obj({ frequencyMhz: pos }),
  costModel: obj({
    version: { t: 'str' },
    source: { t: 'str' },
    featureSizeNm: pos,
    inputEncoding: { t: 'enum', values: INPUT_ENCODINGS },
    readPulseNs: pos,
    integrationStepNs: nonNeg,
    inputActivity: frac,
    dacEnergyPj: nonNeg,
    dacSettleNs: nonNeg,
    adcArchitecture: { t: 'enum', values: ADC_ARCHITECTURES },
    adcWaldenFomFj: nonNeg,
    adcNsPerStep: nonNeg,
    bitsWhenFloat: int(1, 24),
    adcAreaUm2PerLevel: nonNeg,
    writeEnergyPjPerPulse: nonNeg,
    writePulseNs: nonNeg,
    addPjPerBit: nonNeg,
    multiplyPjPerBit2: nonNeg,
    sramPjPerBit: nonNeg,
    neuronUpdatePj: nonNeg,
    nocPjPerBitHop: nonNeg,
    cellAreaF2: nonNeg,
    dacAreaUm2PerLine: nonNeg,
    neuronAreaUm2PerLane: nonNeg,
    sramAreaUm2PerBit: nonNeg,
    routerAreaUm2: nonNeg,
    leakageUw: { t: 'record', keys: LEAKAGE_KEYS, value: nonNeg },
    powerGating: { t: 'bool' },
    sendAdcCodes: { t: 'bool' },
    overrides: { t: 'record', keys: ACTION_KEYS, value: cost, partial: true },
  }),
});

class Checker {
  readonly diags: CodedDiagnostic[] = [];
  constructor(readonly file: string) {}

  add(code: HwCode, path: string, message: string, hint: string): void {
    this.diags.push({ code, file: this.file, path, message, hint });
  }

  /** Returns false when the value is unusable (so dependent cross-checks are skipped). */
  check(node: Node, v: unknown, path: string): boolean {
    const key = path.slice(path.lastIndexOf('/') + 1);
    switch (node.t) {
      case 'const':
        if (v !== node.value) {
          this.add(
            'HW002',
            path,
            `"${key}" is ${JSON.stringify(v) ?? 'missing'}; this reader knows "${node.value}"`,
            `set "${key}": "${node.value}" (or write a newer fre that reads it)`,
          );
          return false;
        }
        return true;
      case 'str':
        if (typeof v !== 'string' || v.length === 0) {
          this.add('HW011', path, `"${key}" must be a non-empty string, got ${typeName(v)}`, `write "${key}": "<text>"`);
          return false;
        }
        return true;
      case 'bool':
        if (typeof v !== 'boolean') {
          this.add('HW011', path, `"${key}" must be true or false, got ${typeName(v)}`, `write "${key}": true or false`);
          return false;
        }
        return true;
      case 'enum':
        if (typeof v !== 'string' || !node.values.includes(v)) {
          this.add(
            'HW013',
            path,
            `"${key}" is ${JSON.stringify(v)}; allowed: ${node.values.join(', ')}`,
            `set "${key}" to one of ${node.values.map((x) => `"${x}"`).join(', ')}`,
          );
          return false;
        }
        return true;
      case 'num':
        return this.number(node, v, path, key);
      case 'numOr':
        if (v === node.word) return true;
        if (typeof v === 'string') {
          this.add('HW013', path, `"${key}" is "${v}"; it must be a number or "${node.word}"`, `write a number or "${node.word}"`);
          return false;
        }
        return this.number(node.num, v, path, key, node.word);
      case 'range': {
        if (!Array.isArray(v) || v.length !== 2 || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
          this.add('HW011', path, `"${key}" must be [lo, hi] (two finite numbers), got ${JSON.stringify(v)}`, `write "${key}": [-1, 1]`);
          return false;
        }
        if (!(v[0] < v[1])) {
          this.add(
            'HW021',
            path,
            `"${key}" is [${v[0]}, ${v[1]}]; lo must be below hi`,
            `swap or widen the range, e.g. [${Math.min(v[0], v[1])}, ${Math.max(v[0], v[1]) === Math.min(v[0], v[1]) ? v[0] + 1 : Math.max(v[0], v[1])}]`,
          );
          return false;
        }
        return true;
      }
      case 'object':
        return this.object(node.fields, v, path, key);
      case 'record': {
        const fields: Record<string, Node> = {};
        // A partial record (costModel.overrides) checks only the keys it sets; unknown keys are still caught.
        for (const k of node.keys) if (!node.partial || (this.isPlain(v) && k in v)) fields[k] = node.value;
        return this.object(fields, v, path, key);
      }
      case 'tagged': {
        if (!this.isObject(v, path, key)) return false;
        const kinds = Object.keys(node.variants);
        const kind = v.kind;
        if (kind === undefined) {
          this.add('HW010', `${path}/kind`, `"kind" is missing`, `add "kind": one of ${kinds.map((k) => `"${k}"`).join(', ')}`);
          return false;
        }
        if (typeof kind !== 'string' || !kinds.includes(kind)) {
          this.add(
            'HW013',
            `${path}/kind`,
            `"kind" is ${JSON.stringify(kind)}; allowed: ${kinds.join(', ')}`,
            `set "kind" to one of ${kinds.map((k) => `"${k}"`).join(', ')}`,
          );
          return false;
        }
        return this.object({ kind: { t: 'const', value: kind }, ...node.variants[kind] }, v, path, key);
      }
    }
  }

  private isObject(v: unknown, path: string, key: string): v is Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      this.add(
        'HW011',
        path,
        `${key ? `"${key}"` : 'the chip description'} must be an object, got ${typeName(v)}`,
        'write it as { … } (see docs/chip-description.md)',
      );
      return false;
    }
    return true;
  }

  private isPlain(v: unknown): v is Record<string, unknown> {
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  }

  private object(fields: Record<string, Node>, v: unknown, path: string, key: string): boolean {
    if (!this.isObject(v, path, key)) return false;
    let ok = true;
    for (const [k, child] of Object.entries(fields)) {
      const p = `${path}/${k}`;
      if (v[k] === undefined) {
        this.add(
          'HW010',
          p,
          `"${k}" is missing`,
          `add "${k}" (see docs/chip-description.md; a preset plus overrides only needs the fields it changes)`,
        );
        ok = false;
      } else if (!this.check(child, v[k], p)) {
        ok = false;
      }
    }
    for (const k of Object.keys(v)) {
      if (!(k in fields)) {
        const near = closest(k, Object.keys(fields));
        this.add(
          'HW014',
          `${path}/${k}`,
          `unknown field "${k}"`,
          near
            ? `did you mean "${near}"? (allowed: ${Object.keys(fields).join(', ')})`
            : `remove it (allowed: ${Object.keys(fields).join(', ')})`,
        );
        ok = false;
      }
    }
    return ok;
  }

  private number(
    n: { min?: number; max?: number; gt?: number; int?: boolean },
    v: unknown,
    path: string,
    key: string,
    word?: string,
  ): boolean {
    const alt = word ? ` or "${word}"` : '';
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.add('HW011', path, `"${key}" must be a finite number${alt}, got ${typeName(v)}`, `write a number${alt}`);
      return false;
    }
    if (n.int && !Number.isInteger(v)) {
      this.add(
        'HW011',
        path,
        `"${key}" must be an integer${alt}, got ${v}`,
        `use a whole number such as ${Math.max(n.min ?? 1, Math.round(v))}`,
      );
      return false;
    }
    if (n.gt !== undefined && !(v > n.gt)) {
      this.add('HW012', path, `"${key}" is ${v}; it must be > ${n.gt}`, `set "${key}" above ${n.gt}`);
      return false;
    }
    if (n.min !== undefined && v < n.min) {
      this.add('HW012', path, `"${key}" is ${v}; it must be ≥ ${n.min}`, `set "${key}" to at least ${n.min}`);
      return false;
    }
    if (n.max !== undefined && v > n.max) {
      this.add('HW012', path, `"${key}" is ${v}; it must be ≤ ${n.max}`, `set "${key}" to at most ${n.max}`);
      return false;
    }
    return true;
  }
}

/** Checks a schema cannot express; run only on a description that passed the schema. */
function crossChecks(c: ChipDescription, ck: Checker): void {
  const x = c.crossbar;
  // A pulse-count step samples and integrates one unit pulse: it cannot be shorter than the pulse.
  const m = c.costModel;
  if (m.inputEncoding === 'pulse-count' && m.integrationStepNs < m.readPulseNs) {
    ck.add(
      'HW021',
      '/costModel/integrationStepNs',
      `a pulse-count integration step of ${m.integrationStepNs} ns is shorter than its ${m.readPulseNs} ns read pulse`,
      `set integrationStepNs to at least readPulseNs (${m.readPulseNs}): the pulse plus the neuron's sampling and charge transfer`,
    );
  }
  if (!(x.gMinUS < x.gMaxUS)) {
    ck.add(
      'HW021',
      '/crossbar/gMinUS',
      `g_min ${x.gMinUS} µS is not below g_max ${x.gMaxUS} µS`,
      `set gMinUS below gMaxUS (on/off ratios of 10–100 are typical: gMinUS ≈ ${round(x.gMaxUS / 10)})`,
    );
  }
  if (x.cell === 'offset-column' && x.cols < 2) {
    ck.add(
      'HW020',
      '/crossbar/cols',
      `an offset-column array spends one of its ${x.cols} column(s) on the reference, leaving none for weights`,
      'use at least 2 columns, or "cell": "differential"',
    );
  }
  // Coincidence trains are drawn slot by slot for every line of every sample: (rows + cols)·BL draws
  // per sample and array, so BL is bounded like the other counts (docs/limits.md).
  if (x.update.kind === 'pulsed' && x.update.scheme === 'stochastic-coincidence' && x.update.pulsesPerUpdate > MAX_COINCIDENCE_BL) {
    ck.add(
      'HW021',
      '/crossbar/update/pulsesPerUpdate',
      `stochastic-coincidence trains of ${x.update.pulsesPerUpdate} slots exceed the ${MAX_COINCIDENCE_BL} the simulator draws per line and sample`,
      `set pulsesPerUpdate to at most ${MAX_COINCIDENCE_BL} (aihwkit desired_bl default: 31)`,
    );
  }
  // A potentiate-only pair needs two devices per cell: G− carries the negative steps.
  if (x.update.kind === 'pulsed' && x.update.pairMode === 'potentiate-only' && x.cell !== 'differential') {
    ck.add(
      'HW021',
      '/crossbar/update/pairMode',
      `pairMode "potentiate-only" needs two devices per cell (G+ takes the positive steps, G− the negative ones), but the cell is "${x.cell}"`,
      'use "cell": "differential", or "pairMode": "bipolar"',
    );
  }
  if (x.update.kind === 'pulsed' && x.update.refreshLowerThreshold > x.update.refreshUpperThreshold) {
    ck.add(
      'HW021',
      '/crossbar/update/refreshLowerThreshold',
      `refreshLowerThreshold ${x.update.refreshLowerThreshold} exceeds refreshUpperThreshold ${x.update.refreshUpperThreshold}`,
      'set the lower threshold at most the upper one (aihwkit OneSidedUnitCell defaults: 0.25 and 0.75)',
    );
  }
  if (x.stuckAt.onProbability + x.stuckAt.offProbability > 1) {
    ck.add(
      'HW021',
      '/crossbar/stuckAt',
      `stuck-on ${x.stuckAt.onProbability} + stuck-off ${x.stuckAt.offProbability} exceeds 1`,
      'lower the probabilities so their sum is at most 1 (measured arrays: 0.01–0.13 in all)',
    );
  }
  // The PCM model replaces the constant programming noise and drift exponent: a value left there
  // would be silently ignored.
  if (x.noiseModel === 'pcm-aihwkit') {
    for (const [path, v] of [
      ['/crossbar/programmingNoise/sigma', x.programmingNoise.sigma],
      ['/crossbar/drift/nu', x.drift.nu],
      ['/crossbar/drift/nuStd', x.drift.nuStd],
    ] as const) {
      if (v !== 0) {
        ck.add(
          'HW021',
          path,
          `${path.slice(1).replace(/\//g, '.')} is ${v}, but noiseModel "pcm-aihwkit" sets it from the conductance`,
          'set it to 0 (the model supplies it), or use "noiseModel": "constant"',
        );
      }
    }
  }
  const p = c.periphery;
  if (p.adc.pairConversion === 'each-side' && x.cell !== 'differential') {
    ck.add(
      'HW021',
      '/periphery/adc/pairConversion',
      `pairConversion "each-side" converts the G+ and G− lines of a differential pair, but the cell is "${x.cell}"`,
      'set pairConversion to "difference", or "cell": "differential"',
    );
  }
  if (p.adc.linesPerAdc > Math.max(x.rows, x.cols)) {
    ck.add(
      'HW020',
      '/periphery/adc/linesPerAdc',
      `${p.adc.linesPerAdc} lines per ADC, but an array has only ${Math.max(x.rows, x.cols)} lines on its longer side`,
      `set linesPerAdc to at most ${Math.max(x.rows, x.cols)} (NeuroSim uses 8)`,
    );
  }
  if (p.adc.fullScale === 'unbounded' && p.adc.bits !== 'float') {
    ck.add(
      'HW021',
      '/periphery/adc/fullScale',
      `a ${p.adc.bits}-bit ADC needs a finite full scale to place its codes, but fullScale is "unbounded"`,
      'give fullScale a number (aihwkit uses 12), or set bits to "float"',
    );
  }
  const ls = c.neuron.learningSignal;
  const span = c.neuron.stateRange[1] - c.neuron.stateRange[0];
  if (ls.kind === 'difference-register' && ls.deltaBits !== 'float' && ls.deltaRange > span) {
    // δ = s^β − s⁰ of two values in stateRange never exceeds its span: a wider range only wastes codes.
    ck.add(
      'HW021',
      '/neuron/learningSignal/deltaRange',
      `deltaRange ${ls.deltaRange} exceeds the span ${span} of neuron.stateRange, which bounds |s^β − s⁰|`,
      `set deltaRange to at most ${span} (δ is small: a range of a few β_f-sized steps keeps the most resolution)`,
    );
  }
  const sumBytes = (Math.max(x.rows, x.cols) * p.gain.accumulatorBits) / 8;
  if (sumBytes > c.noc.inputBufferBytes) {
    ck.add(
      'HW020',
      '/noc/inputBufferBytes',
      `one array's partial sums (${Math.max(x.rows, x.cols)} lines × ${p.gain.accumulatorBits} bits = ${sumBytes} bytes) do not fit the ${c.noc.inputBufferBytes}-byte input buffer`,
      `set inputBufferBytes to at least ${sumBytes}, or use smaller arrays`,
    );
  }
  // A cluster larger than the mesh would price one shared resource for cores that do not exist.
  const meshCores = c.noc.meshWidth * c.noc.meshHeight;
  if (c.noc.cluster.cores > meshCores) {
    ck.add(
      'HW020',
      '/noc/cluster/cores',
      `a cluster of ${c.noc.cluster.cores} cores on a mesh of ${c.noc.meshWidth}×${c.noc.meshHeight} = ${meshCores} cores`,
      `set cluster.cores to at most ${meshCores} (ISAAC: 12 IMAs per tile), or enlarge the mesh`,
    );
  }
}

/**
 * Fields added after chip files were written, filled with the value that keeps the old behaviour
 * (only when absent; a present field is checked as written). neuron.stateRange: the state register was
 * quantised over periphery.dac.inputRange; neuron.learningSignal: δ was the difference of two state registers;
 * its deltaRounding: 'nearest'.
 */
export function withChipDefaults(raw: unknown): unknown {
  if (!isPlainObject(raw)) return raw;
  raw = withReadAndUpdateDefaults(raw);
  if (!isPlainObject(raw) || !isPlainObject(raw.neuron)) return raw;
  const neuron: Record<string, unknown> = { ...raw.neuron };
  if (neuron.stateRange === undefined) {
    const p = raw.periphery;
    const dac = isPlainObject(p) ? p.dac : undefined;
    const r = isPlainObject(dac) ? dac.inputRange : undefined;
    if (Array.isArray(r)) neuron.stateRange = [...(r as unknown[])];
  }
  if (neuron.learningSignal === undefined) neuron.learningSignal = { kind: 'state-registers' };
  const ls = neuron.learningSignal;
  if (isPlainObject(ls) && ls.kind === 'difference-register' && ls.deltaRounding === undefined)
    neuron.learningSignal = { ...ls, deltaRounding: 'nearest' };
  return { ...raw, neuron };
}

/** The same for the crossbar, periphery and cost-model fields of session 4: no low-frequency read noise,
 *  the constant noise model, no stuck-device compensation, bipolar pairs (aihwkit's refresh thresholds,
 *  unused by them), one conversion of the difference, no pulse-count integration step; and for
 *  noc.cluster (session 5): every core its own buffers, router and neuron unit. */
function withReadAndUpdateDefaults(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw };
  if (isPlainObject(raw.crossbar)) {
    const xb: Record<string, unknown> = { ...raw.crossbar };
    if (xb.lowFrequencyReadNoise === undefined) xb.lowFrequencyReadNoise = { sigma: 0, relativeTo: 'range', redraw: 'sample' };
    if (xb.noiseModel === undefined) xb.noiseModel = 'constant';
    if (isPlainObject(xb.stuckAt) && xb.stuckAt.compensation === undefined) xb.stuckAt = { ...xb.stuckAt, compensation: 'none' };
    if (isPlainObject(xb.update) && xb.update.kind === 'pulsed') {
      const u: Record<string, unknown> = { ...xb.update };
      if (u.pairMode === undefined) u.pairMode = 'bipolar';
      if (u.refreshUpperThreshold === undefined) u.refreshUpperThreshold = 0.75;
      if (u.refreshLowerThreshold === undefined) u.refreshLowerThreshold = 0.25;
      xb.update = u;
    }
    out.crossbar = xb;
  }
  const p = raw.periphery;
  if (isPlainObject(p) && isPlainObject(p.adc) && p.adc.pairConversion === undefined) {
    out.periphery = { ...p, adc: { ...p.adc, pairConversion: 'difference' } };
  }
  if (isPlainObject(raw.costModel) && raw.costModel.integrationStepNs === undefined) {
    out.costModel = { ...raw.costModel, integrationStepNs: 0 };
  }
  // Session 5: every core had its own buffers, router and neuron unit.
  if (isPlainObject(raw.noc) && raw.noc.cluster === undefined) {
    out.noc = { ...raw.noc, cluster: { ...CORE_CLUSTER } };
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function validateChip(input: unknown, file: string): { chip?: ChipDescription; diagnostics: CodedDiagnostic[] } {
  const ck = new Checker(file);
  const raw = withChipDefaults(input);
  if (ck.check(CHIP_SCHEMA, raw, '')) crossChecks(raw as ChipDescription, ck);
  return ck.diags.length === 0 ? { chip: raw as ChipDescription, diagnostics: [] } : { diagnostics: ck.diags };
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v === undefined) return 'nothing';
  return typeof v === 'string'
    ? `the string ${JSON.stringify(v)}`
    : typeof v === 'number' && !Number.isFinite(v)
      ? `${v} (JSON numbers like 1e999 overflow to infinity)`
      : `${typeof v} ${JSON.stringify(v)}`;
}

function round(v: number): number {
  return Number(v.toPrecision(3));
}

export { closest };
