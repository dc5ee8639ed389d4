/**
 * Per-action costs from the design point (Accelergy's split, Wu et al., ICCAD 2019): the netlist counts
 * actions, these estimators price one action of each kind from the chip's attributes (array size,
 * cell, conductances, converter bits, input encoding, widths, clock) and the calibrated constants of
 * `chip.costModel` (sources: hw-models/cost-constants.ts and each preset). Every formula is written
 * out in docs/chip-costs.md "Estimators"; test/estimators.test.ts checks each against a hand value.
 *
 * Units: ns, pJ, µS, V. Energies of analog reads: G[µS]·V²·t[ns] = fJ, hence the 1e-3 to pJ.
 */
import { ACTION_KEYS, type ActionCost, type ActionKey, type ActionTable, type ChipDescription } from './chip';

/** What the estimators need to know of a compiled netlist beyond the chip. */
export interface PricingContext {
  /** Mean conductance of the programmed devices, µS (default: the middle of [g_min, g_max]). */
  meanConductanceUS?: number;
  /** The optimiser that steps the weights at a batch commit (default: plain SGD). */
  optimizer?: OptimizerKind;
}

export type OptimizerKind = 'sgd' | 'sgd-momentum' | 'adam';

const orFloat = (v: number | 'float', chip: ChipDescription): number => (v === 'float' ? chip.costModel.bitsWhenFloat : v);

/** Bits the DAC, ADC, state register and gain multiplier are priced at (float → bitsWhenFloat). */
export const dacBits = (chip: ChipDescription): number => orFloat(chip.periphery.dac.bits, chip);
export const adcBits = (chip: ChipDescription): number => orFloat(chip.periphery.adc.bits, chip);
export const stateBitsPriced = (chip: ChipDescription): number => orFloat(chip.neuron.stateBits, chip);
export const gainBits = (chip: ChipDescription): number => orFloat(chip.periphery.gain.bits, chip);
/** Bits δ = s^β − s⁰ is priced at: the δ register's width, or one bit over the state width (the exact
 *  difference of two state registers needs a sign bit more). */
export const deltaBitsPriced = (chip: ChipDescription): number => {
  const l = chip.neuron.learningSignal;
  return l.kind === 'difference-register' ? orFloat(l.deltaBits, chip) : stateBitsPriced(chip) + 1;
};

/** Magnitude bits of an input: the DAC bits, less the sign bit when the input range is signed. */
export function inputMagnitudeBits(chip: ChipDescription): number {
  const b = dacBits(chip);
  return chip.periphery.dac.inputRange[0] < 0 ? Math.max(1, b - 1) : b;
}

/** Array reads per MVM: bit-serial inputs read once per input bit plane; pulse-count inputs once per
 *  unit pulse, 2^m − 1 for m magnitude bits (bit n is 2^(n−1) pulses); the others once. */
export function readsPerMvm(chip: ChipDescription): number {
  switch (chip.costModel.inputEncoding) {
    case 'bit-serial':
      return dacBits(chip);
    case 'pulse-count':
      return 2 ** inputMagnitudeBits(chip) - 1;
    default:
      return 1;
  }
}

/** Reads per MVM whose sensed lines are converted: bit-serial converts every bit plane (then
 *  shift-and-add); a pulse-count neuron integrates all its pulses and converts once; the others once. */
export function conversionsPerMvm(chip: ChipDescription): number {
  return chip.costModel.inputEncoding === 'bit-serial' ? dacBits(chip) : 1;
}

/** Time the array conducts in one read, ns: analog one pulse, pwm 2^bits unit slots, bit-serial one
 *  bit plane, pulse-count one unit pulse. The read energy Σ G·V²·t is priced over this. */
export function readConductionNs(chip: ChipDescription): number {
  const m = chip.costModel;
  return m.inputEncoding === 'pwm' ? 2 ** dacBits(chip) * m.readPulseNs : m.readPulseNs;
}

/** Duration of one array read, ns: its conduction time, or for pulse-count the neuron's whole
 *  sample-and-integrate step (integrationStepNs, at least the pulse). */
export function readDurationNs(chip: ChipDescription): number {
  const m = chip.costModel;
  return m.inputEncoding === 'pulse-count' ? Math.max(m.integrationStepNs, m.readPulseNs) : readConductionNs(chip);
}

/** Devices in one array: a differential cell holds two, an offset-column cell one (its reference column is one of the cols). */
export function devicesPerArray(chip: ChipDescription): number {
  const c = chip.crossbar;
  return c.rows * c.cols * (c.cell === 'differential' ? 2 : 1);
}

/** The mean device conductance priced when the netlist gives none: the middle of the range. */
export function defaultConductanceUS(chip: ChipDescription): number {
  return (chip.crossbar.gMinUS + chip.crossbar.gMaxUS) / 2;
}

/** One read of a whole array: Σ G·V²·t over its devices at the mean conductance and input activity. */
export function arrayReadEnergyPj(chip: ChipDescription, meanConductanceUS: number): number {
  const m = chip.costModel;
  return devicesPerArray(chip) * meanConductanceUS * chip.periphery.dac.readVoltageV ** 2 * readConductionNs(chip) * m.inputActivity * 1e-3;
}

/**
 * Energy dissipated in the wires of one read of a whole array, pJ, first order in the segment
 * resistance r (crossbar.wireResistanceOhm; the circuit of hw-models/crossbar-circuit.ts: one
 * segment from each port to its line's first cell and one between neighbouring cells). The currents
 * are the ideal cell currents G·V at the mean conductance g; a driven line of n cells carries
 * (n − k + 1)·g·V in its k-th segment from the port, all of one sign, so it dissipates
 * r·g²·V²·S2(n), S2(n) = Σk² = n(n+1)(2n+1)/6; a sensed line of n cells sums currents of
 * independent zero-mean inputs, so its k-th segment carries a mean square of (n − k + 1)·g²·E[V²]
 * and the line dissipates r·g²·E[V²]·S1(n), S1(n) = n(n+1)/2. With E[V²] = inputActivity·V_read²
 * (as arrayReadEnergyPj) and t = readConductionNs, for a physical array of R lines (the netlist's rows)
 * × C device columns (devicesPerArray / rows):
 *   forward (columns driven, rows sensed):    E = r·g²·E[V²]·t·(C·S2(R) + R·S1(C))
 *   transposed (rows driven, columns sensed): E = r·g²·E[V²]·t·(R·S2(C) + C·S1(R)).
 * Valid while the drop is small (r·g·n² ≪ 1); the exact drop lowers the currents, so this is an
 * upper estimate beyond. 0 without wire resistance. Units: Ω·µS²·V²·ns → ×1e-9 pJ.
 */
export function wireReadEnergyPj(chip: ChipDescription, meanConductanceUS: number, transposed: boolean): number {
  const r = chip.crossbar.wireResistanceOhm;
  if (!(r > 0)) return 0;
  const R = chip.crossbar.rows;
  const C = devicesPerArray(chip) / R;
  const s1 = (n: number) => (n * (n + 1)) / 2;
  const s2 = (n: number) => (n * (n + 1) * (2 * n + 1)) / 6;
  const lines = transposed ? R * s2(C) + C * s1(R) : C * s2(R) + R * s1(C);
  const v2 = chip.costModel.inputActivity * chip.periphery.dac.readVoltageV ** 2;
  return r * meanConductanceUS ** 2 * v2 * readConductionNs(chip) * lines * 1e-9;
}

/** One conversion: Walden E = FoM·2^bits (SAR, flash, CCO); an adder tree instead sums `rows` products
 *  of (weight bits + 1) with rows − 1 adders of growing width, ≈ (rows − 1)·(weightBits + log2 rows) bit-adds. */
export function adcConversionCost(chip: ChipDescription): ActionCost {
  const m = chip.costModel;
  const b = adcBits(chip);
  switch (m.adcArchitecture) {
    case 'sar':
      return { latencyNs: b * m.adcNsPerStep, energyPj: m.adcWaldenFomFj * 2 ** b * 1e-3 };
    case 'flash':
      return { latencyNs: m.adcNsPerStep, energyPj: m.adcWaldenFomFj * 2 ** b * 1e-3 };
    case 'cco':
      return { latencyNs: 2 ** b * m.adcNsPerStep, energyPj: m.adcWaldenFomFj * 2 ** b * 1e-3 };
    case 'adder-tree': {
      const rows = chip.crossbar.rows;
      const levels = chip.crossbar.levels === 'continuous' ? 2 ** m.bitsWhenFloat : chip.crossbar.levels;
      const bitsPerAdd = Math.ceil(Math.log2(levels)) + Math.ceil(Math.log2(rows));
      return { latencyNs: m.adcNsPerStep, energyPj: (rows - 1) * bitsPerAdd * m.addPjPerBit };
    }
  }
}

/** One line driven for one read: an analog DAC conversion costs per bit; pwm, bit-serial and pulse-count drivers one pulse. */
export function dacDriveCost(chip: ChipDescription): ActionCost {
  const m = chip.costModel;
  return { latencyNs: m.dacSettleNs, energyPj: m.inputEncoding === 'analog' ? m.dacEnergyPj * dacBits(chip) : m.dacEnergyPj };
}

/**
 * Width of a partial sum on the mesh, bits. ADC codes (sendAdcCodes): adc bits, + dac bits − 1 after
 * a bit-serial shift-and-add; scaled partial sums: those + gain bits, at most the accumulator width.
 * A float ADC's sums travel at the accumulator width.
 */
export function partialSumBits(chip: ChipDescription): number {
  const acc = chip.periphery.gain.accumulatorBits;
  if (chip.periphery.adc.bits === 'float') return acc;
  const serial = chip.costModel.inputEncoding === 'bit-serial' ? dacBits(chip) - 1 : 0;
  const code = chip.periphery.adc.bits + serial;
  return Math.min(acc, chip.costModel.sendAdcCodes ? code : code + gainBits(chip));
}

/** Digital operations per weight of one optimiser step: multiplies, adds, state words read and written. */
export function optimizerOps(kind: OptimizerKind): { multiplies: number; adds: number; stateWords: number } {
  switch (kind) {
    // w ← w − η·g
    case 'sgd':
      return { multiplies: 1, adds: 1, stateWords: 0 };
    // v ← μ·v + g; w ← w − η·v
    case 'sgd-momentum':
      return { multiplies: 2, adds: 2, stateWords: 1 };
    // m, v moments, bias corrections folded into η_t, √v̂ + ε and a divide (counted as 4 multiplies)
    case 'adam':
      return { multiplies: 9, adds: 5, stateWords: 2 };
  }
}

/**
 * One action's latency alone (ns), without pricing the whole table: the timing engine asks for it
 * once per op. Equal to priceActions(chip).perAction[action].latencyNs (latencies do not depend on
 * the pricing context).
 */
export function actionLatencyNs(chip: ChipDescription, action: ActionKey): number {
  const m = chip.costModel;
  const o = m.overrides[action];
  if (o) return o.latencyNs;
  switch (action) {
    case 'array_read':
    case 'array_read_transposed':
      return readDurationNs(chip);
    case 'adc_conversion':
      return adcConversionCost(chip).latencyNs;
    case 'dac_drive':
      return m.dacSettleNs;
    case 'update_pulse':
      return m.writePulseNs;
    default:
      return 1000 / chip.clock.frequencyMhz;
  }
}

/** The whole priced table of a chip (and of the netlist's conductances / optimiser). */
export function priceActions(chip: ChipDescription, ctx: PricingContext = {}): ActionTable {
  const m = chip.costModel;
  const clockNs = 1000 / chip.clock.frequencyMhz;
  const g = ctx.meanConductanceUS ?? defaultConductanceUS(chip);
  const acc = chip.periphery.gain.accumulatorBits;
  const sb = stateBitsPriced(chip);
  const psum = partialSumBits(chip);
  const add = (bits: number) => bits * m.addPjPerBit;
  const mul = (a: number, b: number) => a * b * m.multiplyPjPerBit2;
  const opt = optimizerOps(ctx.optimizer ?? 'sgd');
  // mixed-precision: each step is added into its weight's χ, compared with and reduced by n·ε — one
  // χ word read and written and two adds at the accumulator's width (Nandakumar et al. 2020).
  const u = chip.crossbar.update;
  const chiBits = u.kind === 'pulsed' && u.scheme === 'mixed-precision' ? u.accumulatorBits : 0;
  const chiPj = chiBits ? 2 * m.sramPjPerBit * chiBits + 2 * add(chiBits) : 0;
  // The cells' Σ G·V²·t plus, with wire resistance, the wires' dissipation (reported apart: wirePj).
  const wire = { array_read: wireReadEnergyPj(chip, g, false), array_read_transposed: wireReadEnergyPj(chip, g, true) };
  const read: ActionCost = { latencyNs: readDurationNs(chip), energyPj: arrayReadEnergyPj(chip, g) };
  const perAction: Record<ActionKey, ActionCost> = {
    array_read: { ...read, energyPj: read.energyPj + wire.array_read },
    // Same devices and pulses, driven from the other side's periphery.
    array_read_transposed: { ...read, energyPj: read.energyPj + wire.array_read_transposed },
    adc_conversion: adcConversionCost(chip),
    dac_drive: dacDriveCost(chip),
    shift_add: { latencyNs: clockNs, energyPj: add(psum) },
    // The gain multiply (gain bits × partial-sum bits) and the accumulator add.
    accumulate: { latencyNs: clockNs, energyPj: mul(gainBits(chip), psum) + add(acc) },
    neuron_update: { latencyNs: clockNs, energyPj: m.neuronUpdatePj },
    router_hop_flit: { latencyNs: clockNs, energyPj: m.nocPjPerBitHop * chip.noc.linkWidthBits },
    buffer_access: { latencyNs: clockNs, energyPj: m.sramPjPerBit * sb },
    // post (δ, at its register's width) × pre (s⁰, at state width), added into the accumulator.
    outer_product_mac: { latencyNs: clockNs, energyPj: mul(deltaBitsPriced(chip), sb) + add(acc) },
    // Read and write back one accumulator word.
    accumulator_access: { latencyNs: clockNs, energyPj: 2 * m.sramPjPerBit * acc },
    optimizer_step: {
      latencyNs: clockNs,
      energyPj:
        opt.multiplies * mul(gainBits(chip), gainBits(chip)) + opt.adds * add(acc) + 2 * opt.stateWords * m.sramPjPerBit * acc + chiPj,
    },
    update_pulse: { latencyNs: m.writePulseNs, energyPj: m.writeEnergyPjPerPulse },
  };
  const wirePj: Partial<Record<ActionKey, number>> = {};
  for (const a of ['array_read', 'array_read_transposed'] as const) if (wire[a] > 0 && !m.overrides[a]) wirePj[a] = wire[a];
  for (const a of ACTION_KEYS) {
    const o = m.overrides[a];
    if (o) perAction[a] = { ...o };
  }
  return {
    version: m.version,
    source: m.source,
    perAction,
    leakageUw: { ...m.leakageUw },
    ...(Object.keys(wirePj).length ? { wirePj } : {}),
  };
}

/**
 * Device pulses of one refresh of a potentiate-only pair (crossbar.update.pairMode): one RESET of
 * each device, then the weight rewritten open loop onto one device in SET pulses of dwMin —
 * round(|u+ − u−| / dwMin) of them, u the devices' normalised conductances (aihwkit OneSidedUnitCell
 * rewrites a refreshed pair with its pulsed updater, open loop). Each is priced as one update_pulse
 * (a RESET at the SET pulse's energy and duration: no per-polarity constants are cited).
 */
export function refreshPulseCount(weightUnits: number, dwMin: number): number {
  return 2 + Math.round(Math.abs(weightUnits) / dwMin);
}
