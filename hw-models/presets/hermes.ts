/**
 * `hermes`: configured like the IBM 64-core PCM chip (HERMES; Le Gallo et al., Nature Electronics
 * 2023 [HERMES23]; its core: Khaddam-Aljameh et al., IEEE JSSC 2022 [HERMESCore]) for calibrating the
 * cost model: 64 cores of one 256×256 PCM array, 8-bit PWM inputs, one CCO ADC per column, 14 nm,
 * 1 GHz. Device noise as `pcm`. Each number says where it comes from; "fitted" numbers (the digital
 * unit's and router's areas) were chosen so the model meets one published figure (docs/calibration.md
 * lists which). The energy constants are not fitted.
 */
import { PCM_GENERIC_COSTS } from '../cost-constants';
import { CHIP_FORMAT, CORE_CLUSTER, type ChipDescription } from '../chip';
import { PCM } from './pcm';

/** Digital energies at 14 nm: the 45 nm [Horowitz14] values × 0.25 (ESTIMATE: C·V² scaling, (14/45)·(0.8 V/0.9 V)²). */
const D14 = 0.25;

export const HERMES: ChipDescription = {
  format: CHIP_FORMAT,
  name: 'hermes',
  description:
    'IBM HERMES-like: 64 cores × one 256×256 PCM array, 8-bit PWM inputs, 256 CCO ADCs per core, 14 nm, 1 GHz (calibration preset)',
  // [HERMES23]: 256×256 crossbars of PCM; device ranges and noise as the `pcm` preset.
  crossbar: { ...structuredClone(PCM.crossbar) },
  periphery: {
    // [HERMES23]: 8-bit input/output MVMs.
    dac: { bits: 8, inputRange: [-1, 1], readVoltageV: 0.2 }, // ESTIMATE: 0.2 V full-scale read, as the generic presets
    // [HERMESCore]: 256 ADCs per 256×256 core → one per column.
    // Noise and bound management: not stated by the source → none (issue 13 fields; docs/references.md "Periphery").
    adc: {
      bits: 8,
      fullScale: 12,
      linesPerAdc: 1,
      outputNoise: 0.06,
      noiseManagement: 'none',
      boundManagement: 'none',
      maxRereads: 0,
      pairConversion: 'difference',
    },
    gain: { stage: 'digital', bits: 16, accumulatorBits: 32 },
  },
  // [HERMES23]: the local digital processing unit (FP16) and 8-bit activations, as the `pcm` preset.
  neuron: { ...structuredClone(PCM.neuron) },
  noc: {
    // [HERMES23]: 64 cores, one array each (an 8×8 mesh here).
    arraysPerCore: 1,
    meshWidth: 8,
    meshHeight: 8,
    hopLatencyCycles: 2,
    linkWidthBits: 64,
    inputBufferBytes: 16384,
    stateBufferBytes: 65536,
    cluster: { ...CORE_CLUSTER },
  },
  // [HERMESCore]: main clock 1 GHz.
  clock: { frequencyMhz: 1000 },
  costModel: {
    ...PCM_GENERIC_COSTS,
    version: 'fre-costs-hermes/2',
    source:
      'HERMES (Nature Electronics 2023), HERMES-Core (JSSC 2022), Murmann ADC survey, Horowitz ISSCC 2014 scaled to 14 nm; fitted areas in docs/calibration.md',
    // [HERMES23]: 14 nm CMOS.
    featureSizeNm: 14,
    // [HERMES23]: inputs as pulse durations (PWM).
    inputEncoding: 'pwm',
    // ESTIMATE: 0.25 ns unit slot → a 64 ns full-scale 8-bit input.
    readPulseNs: 0.25,
    dacEnergyPj: 0.05,
    dacSettleNs: 1,
    // [HERMESCore]: current-controlled-oscillator ADCs, 300 ps per LSB.
    adcArchitecture: 'cco',
    adcNsPerStep: 0.3,
    // [Murmann]: the upper end of the survey's 1–20 fJ/step state of the art (a discrete-time
    // VCO-based ADC, the oscillator family of a CCO, reports 18.5 fJ/step). Not fitted: the MVM then
    // costs ~5× less than the chip's 9.76 TOPS/W implies (docs/calibration.md says what is missing).
    adcWaldenFomFj: 20,
    // [HERMESCore]: ADCs at 4 µm pitch; ESTIMATE 100 µm long → 400 µm² per 8-bit ADC.
    adcAreaUm2PerLevel: 400 / 256,
    addPjPerBit: PCM_GENERIC_COSTS.addPjPerBit * D14,
    multiplyPjPerBit2: PCM_GENERIC_COSTS.multiplyPjPerBit2 * D14,
    sramPjPerBit: PCM_GENERIC_COSTS.sramPjPerBit * D14,
    neuronUpdatePj: PCM_GENERIC_COSTS.neuronUpdatePj * D14,
    nocPjPerBitHop: PCM_GENERIC_COSTS.nocPjPerBitHop * D14,
    // ESTIMATE: backend PCM with its access transistor ≈ 50 F² at 14 nm.
    cellAreaF2: 50,
    dacAreaUm2PerLine: 4 * 25,
    // Fitted with routerAreaUm2 so a core meets 1.59 TOPS/mm² [HERMESCore] (docs/calibration.md).
    neuronAreaUm2PerLane: 8000,
    // ESTIMATE: 14 nm 6T SRAM with periphery ≈ 0.1 µm² per bit.
    sramAreaUm2PerBit: 0.1,
    routerAreaUm2: 250000,
    leakageUw: { array: 0, adc: 5, dac: 5, neuron_unit: 50, buffer: 20, router: 50 },
    powerGating: true,
    sendAdcCodes: true,
    overrides: {},
  },
};
