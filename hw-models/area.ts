/**
 * Area per component from the chip's attributes and `chip.costModel` (mm²), for the compile report,
 * `fre inspect` and the calibration table (docs/calibration.md). Formulas, per instance:
 * - array: rows·cols·devices per cell·cellAreaF2·F²;
 * - adc: adcAreaUm2PerLevel·2^bits, ceil(max(rows, cols)/linesPerAdc) per array (the converters of
 *   the longer side, shared by forward and transposed reads, as the AdcConvert duration assumes);
 * - dac: dacAreaUm2PerLine·max(rows, cols) per array (one driver bank);
 * - neuron_unit: neuronAreaUm2PerLane·lanes per core;
 * - buffer: sramAreaUm2PerBit·8·(input + state buffer bytes) per core;
 * - router: routerAreaUm2 per router.
 */
import type { ChipDescription, LeakageKey } from './chip';
import { adcBits, devicesPerArray } from './estimators';

export const AREA_KEYS: readonly LeakageKey[] = ['array', 'adc', 'dac', 'neuron_unit', 'buffer', 'router'];

/** How many of each component a footprint holds. */
export interface Footprint {
  arrays: number;
  cores: number;
  routers: number;
}

export interface AreaBreakdown {
  /** mm² per component (all its instances). */
  mm2: Record<LeakageKey, number>;
  totalMm2: number;
}

export function adcsPerArray(chip: ChipDescription): number {
  return Math.ceil(Math.max(chip.crossbar.rows, chip.crossbar.cols) / chip.periphery.adc.linesPerAdc);
}

/** µm² of one instance of each component. */
export function unitAreaUm2(chip: ChipDescription): Record<LeakageKey, number> {
  const m = chip.costModel;
  const fUm = m.featureSizeNm * 1e-3;
  const lines = Math.max(chip.crossbar.rows, chip.crossbar.cols);
  return {
    array: devicesPerArray(chip) * m.cellAreaF2 * fUm * fUm,
    adc: m.adcAreaUm2PerLevel * 2 ** adcBits(chip),
    dac: m.dacAreaUm2PerLine * lines,
    neuron_unit: m.neuronAreaUm2PerLane * chip.neuron.lanes,
    buffer: m.sramAreaUm2PerBit * 8 * (chip.noc.inputBufferBytes + chip.noc.stateBufferBytes),
    router: m.routerAreaUm2,
  };
}

/** Instances per component of a footprint (ADCs: adcsPerArray per array). */
export function instancesOf(chip: ChipDescription, f: Footprint): Record<LeakageKey, number> {
  return { array: f.arrays, adc: f.arrays * adcsPerArray(chip), dac: f.arrays, neuron_unit: f.cores, buffer: f.cores, router: f.routers };
}

export function areaOf(chip: ChipDescription, f: Footprint): AreaBreakdown {
  const unit = unitAreaUm2(chip);
  const n = instancesOf(chip, f);
  const mm2 = {} as Record<LeakageKey, number>;
  let totalMm2 = 0;
  for (const k of AREA_KEYS) {
    mm2[k] = unit[k] * n[k] * 1e-6;
    totalMm2 += mm2[k];
  }
  return { mm2, totalMm2 };
}

/** The whole chip: every core of the mesh with all its arrays. */
export function chipArea(chip: ChipDescription): AreaBreakdown {
  const cores = chip.noc.meshWidth * chip.noc.meshHeight;
  return areaOf(chip, { arrays: cores * chip.noc.arraysPerCore, cores, routers: cores });
}
