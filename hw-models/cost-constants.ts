/**
 * The calibrated constants of the cost model, with their sources (Accelergy's third part: action
 * counts come from the schedule, the formulas of hw-models/estimators.ts turn a chip's attributes
 * into per-action costs, and these tables give the constants). A preset takes one of these and may
 * override single values (each override cites its own source in the preset file).
 *
 * Sources (docs/references.md, section "Cost model"):
 * - [Horowitz14] M. Horowitz, "Computing's energy problem", ISSCC 2014 (45 nm): 32-bit int add 0.1 pJ,
 *   32-bit int multiply 3.1 pJ (≈ 0.003 pJ per bit², 8-bit 0.2 pJ), 8 KB SRAM 32-bit read ≈ 5 pJ.
 * - [Murmann] B. Murmann, "ADC Performance Survey 1997–2024": state-of-the-art SAR Walden FoM
 *   ≈ 1–20 fJ/conversion-step.
 * - [ISAAC16] Shafiee et al., ISCA 2016, its component table (as transcribed in Accelergy's
 *   hwcomponents library, isaac.py): 8 ADCs of 8 bits at 1.2 GS/s take 16 mW and 9600 µm² at 32 nm
 *   (1.67 pJ and 0.83 ns per conversion → 6.5 fJ/step; 1200 µm² each); 8×128 1-bit DACs 4 mW and
 *   170 µm²; 64 KB eDRAM 20.7 mW and 0.083 mm²; a router shared by 4 tiles 42 mW and 0.15 mm².
 *   The 128×128 crossbar's ≈ 0.3 mW: Table I's 2.4 mW for an IMA's 8 arrays.
 * - [HERMES23] Le Gallo et al., Nature Electronics 2023 (64 cores of 256×256 PCM, 14 nm).
 * - [HERMESCore] Khaddam-Aljameh et al., "HERMES-Core", IEEE JSSC 2022: 256 CCO ADCs at 4 µm pitch,
 *   300 ps/LSB, 1.59 TOPS/mm², 10.5 TOPS/W at 1 GHz.
 * - ESTIMATE: an order-of-magnitude placeholder a chip team should replace first.
 */
import type { CostModel } from './chip';

/** The digital constants at 45 nm [Horowitz14]; shared by the generic presets. */
const DIGITAL_45NM = {
  // [Horowitz14] 32-bit add 0.1 pJ → 0.1/32 per bit.
  addPjPerBit: 0.1 / 32,
  // [Horowitz14] 32-bit multiply 3.1 pJ → 3.1/32² per bit²; 8-bit multiply 0.2 pJ → 0.2/64 ≈ the same.
  multiplyPjPerBit2: 3.1 / 1024,
  // [Horowitz14] 8 KB SRAM 32-bit read ≈ 5 pJ → 5/32 per bit.
  sramPjPerBit: 5 / 32,
  // ESTIMATE: a LUT/PWL lookup (a small SRAM read) plus an add ≈ 1 pJ.
  neuronUpdatePj: 1,
  // ESTIMATE: 2 pJ per 64-bit flit per router and link (was the fixed table's value) → 2/64 per bit.
  nocPjPerBitHop: 2 / 64,
} as const;

/** Generic analog ReRAM/PCM chips (the `reram`, `pcm` and `ideal` presets), 45 nm periphery. */
export const ANALOG_GENERIC_COSTS: CostModel = {
  version: 'fre-costs-analog-generic/1',
  source:
    'Horowitz ISSCC 2014 (digital), Murmann ADC survey and ISAAC ISCA 2016 (ADC), NeuroSim/PUMA read pulse; ESTIMATE entries in hw-models/cost-constants.ts',
  featureSizeNm: 45,
  inputEncoding: 'analog',
  // Crossbar read pulse 5–10 ns in NeuroSim and puma-simulator → 10 ns.
  readPulseNs: 10,
  // Used by the pulse-count encoding only.
  integrationStepNs: 0,
  // ESTIMATE: inputs uniform in [−1, 1] → E[x²] = 1/3; 0.25 allows for sparse (zero) states.
  inputActivity: 0.25,
  // ESTIMATE: ≈ 6 fJ per bit per line driver conversion (an 8-bit line DAC ≈ 0.05 pJ, as the fixed table had).
  dacEnergyPj: 0.05 / 8,
  dacSettleNs: 1,
  adcArchitecture: 'sar',
  // [ISAAC16]: 16 mW / (8 ADCs × 1.2 GS/s) = 1.67 pJ → / 2^8 = 6.5 fJ/step, inside [Murmann]'s 1–20 fJ/step SAR range.
  adcWaldenFomFj: ((16e-3 / 9.6e9) * 1e15) / 256,
  // [ISAAC16]: 1.2 GS/s → 0.83 ns per 8-bit conversion → 0.83/8 ns per SAR bit cycle.
  adcNsPerStep: 1 / 1.2 / 8,
  bitsWhenFloat: 8,
  // [ISAAC16]: 9600 µm² for 8 ADCs of 8 bits at 32 nm → 1200 µm² / 256 levels.
  adcAreaUm2PerLevel: 1200 / 256,
  // ESTIMATE: one ReRAM programming pulse ≈ 1 pJ per device, 10 ns (the fixed table's values).
  writeEnergyPjPerPulse: 1,
  writePulseNs: 10,
  ...DIGITAL_45NM,
  // 1T1R cell ≈ 12 F² per device (ESTIMATE, the usual 1T1R figure).
  cellAreaF2: 12,
  // ESTIMATE: a line driver ≈ 10 µm² per line.
  dacAreaUm2PerLine: 10,
  // ESTIMATE: one lane of the neuron unit (LUT, accumulator, multiplier) ≈ 2000 µm² at 45 nm.
  neuronAreaUm2PerLane: 2000,
  // ESTIMATE: 6T SRAM at 45 nm ≈ 0.35 µm² per bit with periphery.
  sramAreaUm2PerBit: 0.35,
  // ESTIMATE: a 5-port router with 64-bit links ≈ 0.05 mm².
  routerAreaUm2: 50000,
  leakageUw: {
    // Non-volatile cells hold their state without power.
    array: 0,
    // ESTIMATE: ≈ 10 % of the 8-bit ADC's 2 mW [ISAAC16] as static power.
    adc: 200,
    // ESTIMATE: a driver bank's bias.
    dac: 20,
    neuron_unit: 50,
    // ESTIMATE: SRAM leakage of a core's buffers.
    buffer: 50,
    router: 100,
  },
  powerGating: false,
  sendAdcCodes: false,
  overrides: {},
};

/** PCM: reads as ReRAM; partial-SET pulses are slower and costlier (ESTIMATE, 50 ns, 5 pJ). */
export const PCM_GENERIC_COSTS: CostModel = {
  ...ANALOG_GENERIC_COSTS,
  version: 'fre-costs-pcm-generic/1',
  writeEnergyPjPerPulse: 5,
  writePulseNs: 50,
  // PCM mushroom cell with its access device ≈ 25 F² (ESTIMATE).
  cellAreaF2: 25,
  leakageUw: { ...ANALOG_GENERIC_COSTS.leakageUw },
};

/** Digital SRAM CIM: bit-serial inputs, adder trees instead of ADCs, 6T cells, digital writes. */
export const SRAM_CIM_COSTS: CostModel = {
  ...ANALOG_GENERIC_COSTS,
  version: 'fre-costs-sram-cim/1',
  source: 'Horowitz ISSCC 2014 (digital, SRAM); ESTIMATE entries in hw-models/cost-constants.ts',
  inputEncoding: 'bit-serial',
  // One bit plane per 1 ns clock through the adder trees.
  readPulseNs: 1,
  inputActivity: 0.5,
  dacEnergyPj: 0.05,
  dacSettleNs: 0,
  adcArchitecture: 'adder-tree',
  adcNsPerStep: 1,
  adcAreaUm2PerLevel: 0,
  // [Horowitz14]: an 8-bit SRAM write ≈ a quarter of a 32-bit access, 1.25 pJ, one row per 1 ns clock.
  writeEnergyPjPerPulse: 1.25,
  writePulseNs: 1,
  // 6T cell ≈ 150 F² (ESTIMATE) per bit; 8 bits per weight are held as the 2 × 128 levels of a differential cell.
  cellAreaF2: 150 * 4,
  leakageUw: { ...ANALOG_GENERIC_COSTS.leakageUw, array: 100, adc: 0 },
};
