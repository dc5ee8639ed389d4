/**
 * Area per component from the chip's attributes and `chip.costModel` (mm²), for the compile report,
 * `fre inspect` and the calibration table (docs/calibration.md). Formulas, per instance:
 * - array: rows·cols·devices per cell·cellAreaF2·F²;
 * - adc: adcAreaUm2PerLevel·2^bits, ceil(max(rows, cols)/linesPerAdc) per array (the converters of
 *   the longer side, shared by forward and transposed reads, as the AdcConvert duration assumes);
 * - dac: dacAreaUm2PerLine·max(rows, cols) per array (one driver bank);
 * - neuron_unit: neuronAreaUm2PerLane·lanes per core, per cluster or none (noc.cluster.neuronUnit);
 * - buffer: sramAreaUm2PerBit·8·inputBufferBytes and ·stateBufferBytes, each per core, per cluster
 *   or none (noc.cluster.inputBuffer, .stateBuffer);
 * - router: routerAreaUm2 per mesh site, per cluster or none (noc.cluster.router).
 */
import type { ChipDescription, LeakageKey, Placement } from './chip';
import { adcBits, devicesPerArray } from './estimators';

export const AREA_KEYS: readonly LeakageKey[] = ['array', 'adc', 'dac', 'neuron_unit', 'buffer', 'router'];

/** How many of each component a footprint holds. */
export interface Footprint {
  arrays: number;
  cores: number;
  /** Mesh sites whose router is used. */
  routers: number;
  /** Clusters holding at least one of the cores (default: cores, one core per cluster). */
  clusters?: number;
  /** Clusters holding at least one of the router sites (default: routers). */
  routerClusters?: number;
}

export interface AreaBreakdown {
  /** mm² per component (all its instances). */
  mm2: Record<LeakageKey, number>;
  totalMm2: number;
}

export function adcsPerArray(chip: ChipDescription): number {
  return Math.ceil(Math.max(chip.crossbar.rows, chip.crossbar.cols) / chip.periphery.adc.linesPerAdc);
}

/** µm² of one instance of each component; the buffer is one core's input plus state buffer. */
export function unitAreaUm2(chip: ChipDescription): Record<LeakageKey, number> {
  const b = bufferUnitsUm2(chip);
  const m = chip.costModel;
  const fUm = m.featureSizeNm * 1e-3;
  const lines = Math.max(chip.crossbar.rows, chip.crossbar.cols);
  return {
    array: devicesPerArray(chip) * m.cellAreaF2 * fUm * fUm,
    adc: m.adcAreaUm2PerLevel * 2 ** adcBits(chip),
    dac: m.dacAreaUm2PerLine * lines,
    neuron_unit: m.neuronAreaUm2PerLane * chip.neuron.lanes,
    buffer: b.input + b.state,
    router: m.routerAreaUm2,
  };
}

/** µm² of one input buffer and one state buffer. */
export function bufferUnitsUm2(chip: ChipDescription): { input: number; state: number } {
  const perByte = chip.costModel.sramAreaUm2PerBit * 8;
  return { input: perByte * chip.noc.inputBufferBytes, state: perByte * chip.noc.stateBufferBytes };
}

/** The clusters a set of core ids (or router sites) falls in: cluster = floor(id / cluster.cores). */
export function clustersOf(chip: ChipDescription, ids: Iterable<number>): number {
  const n = chip.noc.cluster.cores;
  const s = new Set<number>();
  for (const id of ids) s.add(Math.floor(id / n));
  return s.size;
}

/** Instances per component of a footprint (ADCs: adcsPerArray per array; the buffer counts as one
 *  instance per place that holds an input or a state buffer, whichever is more). */
export function instancesOf(chip: ChipDescription, f: Footprint): Record<LeakageKey, number> {
  const c = placed(chip, f);
  return {
    array: f.arrays,
    adc: f.arrays * adcsPerArray(chip),
    dac: f.arrays,
    neuron_unit: c(chip.noc.cluster.neuronUnit, 'core'),
    buffer: Math.max(c(chip.noc.cluster.inputBuffer, 'core'), c(chip.noc.cluster.stateBuffer, 'core')),
    router: c(chip.noc.cluster.router, 'router'),
  };
}

/** Instances of a resource placed per core (or per router site), per cluster, or nowhere. */
function placed(chip: ChipDescription, f: Footprint): (p: Placement, of: 'core' | 'router') => number {
  return (p, of) => {
    if (p === 'none') return 0;
    if (of === 'core') return p === 'core' ? f.cores : (f.clusters ?? Math.ceil(f.cores / chip.noc.cluster.cores));
    return p === 'core' ? f.routers : (f.routerClusters ?? Math.ceil(f.routers / chip.noc.cluster.cores));
  };
}

export function areaOf(chip: ChipDescription, f: Footprint): AreaBreakdown {
  const unit = unitAreaUm2(chip);
  const n = instancesOf(chip, f);
  const c = placed(chip, f);
  const b = bufferUnitsUm2(chip);
  const um2: Record<LeakageKey, number> = {
    array: unit.array * n.array,
    adc: unit.adc * n.adc,
    dac: unit.dac * n.dac,
    neuron_unit: unit.neuron_unit * n.neuron_unit,
    // The input and state buffers may sit in different places (ISAAC: registers per IMA, eDRAM per tile).
    buffer: b.input * c(chip.noc.cluster.inputBuffer, 'core') + b.state * c(chip.noc.cluster.stateBuffer, 'core'),
    router: unit.router * n.router,
  };
  const mm2 = {} as Record<LeakageKey, number>;
  let totalMm2 = 0;
  for (const k of AREA_KEYS) {
    mm2[k] = um2[k] * 1e-6;
    totalMm2 += mm2[k];
  }
  return { mm2, totalMm2 };
}

/** The whole chip: every core of the mesh with all its arrays; a partial last cluster still holds its
 *  shared resources. */
export function chipArea(chip: ChipDescription): AreaBreakdown {
  const cores = chip.noc.meshWidth * chip.noc.meshHeight;
  const clusters = Math.ceil(cores / chip.noc.cluster.cores);
  return areaOf(chip, { arrays: cores * chip.noc.arraysPerCore, cores, routers: cores, clusters, routerClusters: clusters });
}

/** One line saying how buffers, routers and neuron units are laid out (noc.cluster), or null when every
 *  core has its own (the default), for the compile report and `fre inspect`. */
export function clusterSummary(chip: ChipDescription): string | null {
  const c = chip.noc.cluster;
  const parts: [string, Placement][] = [
    ['input buffer', c.inputBuffer],
    ['state buffer', c.stateBuffer],
    ['router', c.router],
    ['neuron unit', c.neuronUnit],
  ];
  const shared = parts.filter(([, p]) => p === 'cluster').map(([n]) => n);
  const absent = parts.filter(([, p]) => p === 'none').map(([n]) => n);
  if (shared.length === 0 && absent.length === 0) return null;
  const out: string[] = [];
  if (shared.length) out.push(`shared by each cluster of ${c.cores} core${c.cores === 1 ? '' : 's'}: ${shared.join(', ')}`);
  if (absent.length) out.push(`not on the chip: ${absent.join(', ')}`);
  return out.join('; ');
}
