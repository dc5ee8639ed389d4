/**
 * `neurram`: configured like NeuRRAM (Wan et al., Nature 2022 [NeuRRAM22]): 48 cores of one 256×256
 * 1T1R RRAM array, 130 nm, voltage-mode sensing with one neuron (integrating ADC) per 16×16 corelet,
 * i.e. 256 per core, multi-bit inputs applied as integrated unit pulses, 4-bit weights. Device noise as `reram`.
 * Its TOPS/W, MVM latency and core area are compared with the published figures in docs/calibration.md;
 * the geometry, the node, the input scheme and the core's organisation and component areas are the
 * paper's, the time constants CiMLoop's NeuRRAM model's (Andrulis et al. 2024), the energy constants ESTIMATEs.
 */
import { ANALOG_GENERIC_COSTS } from '../cost-constants';
import { CHIP_FORMAT, type ChipDescription } from '../chip';
import { RERAM } from './reram';

/** A NeuRRAM core, µm²: 256 neurons of 1270 µm² are 28 % of it ([NeuRRAM22] Extended Data Fig. 11f, via [CiMLoop24]). */
export const NEURRAM_CORE_UM2 = (1270 * 256) / 0.28;

/** Digital energies at 130 nm: the 45 nm [Horowitz14] values × 4 (ESTIMATE: C·V² scaling, (130/45)·(1.2/0.9)²/… ≈ 4). */
const D130 = 4;

export const NEURRAM: ChipDescription = {
  format: CHIP_FORMAT,
  name: 'neurram',
  description:
    'NeuRRAM-like: 48 cores × one 256×256 1T1R RRAM array, 4-bit weights, 4-bit inputs as 7 integrated pulses, 256 neurons per core, 130 nm (calibration preset)',
  crossbar: {
    ...structuredClone(RERAM.crossbar),
    // [NeuRRAM22]: a core holds 256×256 RRAMs and a signed weight is the differential pair of two cells
    // on adjacent rows (Fig. 3h), so one core stores 128 inputs × 256 outputs of weights.
    rows: 128,
    cols: 256,
    // [NeuRRAM22]: 4-bit weights on a differential pair → 8 levels per device (ESTIMATE of the split).
    levels: 8,
  },
  periphery: {
    // [NeuRRAM22] applies multi-bit inputs over several integration cycles (4-bit signed inputs, the workload of Extended Data Fig. 12).
    dac: { bits: 4, inputRange: [-1, 1], readVoltageV: 0.1 }, // ESTIMATE: 0.1 V read
    // [NeuRRAM22]: one neuron per 16×16 corelet, 256 per core → one per line; 6-bit outputs (ESTIMATE).
    // Noise and bound management: not stated by the source → none (issue 13 fields; docs/references.md "Periphery").
    adc: {
      bits: 6,
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
  // [NeuRRAM22]: the activation is formed in the neuron's own conversion (as the `reram` preset, which
  // follows this neuron); its output code is the state: 6 bits, the same ESTIMATE as the ADC above.
  neuron: { ...structuredClone(RERAM.neuron), stateBits: 6 },
  noc: {
    // [NeuRRAM22]: 48 cores (a 8×6 mesh here), one array each.
    arraysPerCore: 1,
    meshWidth: 8,
    meshHeight: 6,
    hopLatencyCycles: 2,
    linkWidthBits: 64,
    inputBufferBytes: 16384,
    stateBufferBytes: 65536,
    // [NeuRRAM22]: a core is its array, its 256 neurons and the array drivers ([CiMLoop24]'s NeuRRAM
    // macro model holds exactly these); the chip has no on-chip buffers (inputs and outputs go through
    // an FPGA) and no mesh routers, and no digital neuron unit: the neuron forms the activation in its
    // own conversion. The compiler still gives each core the buffer capacities above (the EP schedule
    // needs them); the area model counts none of them.
    cluster: { cores: 1, inputBuffer: 'none', stateBuffer: 'none', router: 'none', neuronUnit: 'none' },
  },
  // ESTIMATE: a 100 MHz digital clock at 130 nm.
  clock: { frequencyMhz: 100 },
  costModel: {
    ...ANALOG_GENERIC_COSTS,
    version: 'fre-costs-neurram/5',
    source:
      'NeuRRAM (Nature 2022) geometry, node, input scheme, core organisation and area breakdown; CiMLoop NeuRRAM model time constants; Horowitz ISSCC 2014 scaled to 130 nm; ESTIMATE entries in hw-models/presets/neurram.ts',
    // [NeuRRAM22]: 130 nm CMOS.
    featureSizeNm: 130,
    // [NeuRRAM22] Fig. 3e: magnitude bit n of the input is applied as 2^(n−1) pulses, each sampled
    // and integrated by the neuron (7 integrations for the 3 magnitude bits of a 4-bit signed input),
    // then the neuron converts once. Time constants as CiMLoop's NeuRRAM model ([CiMLoop24], docs/references.md "CiMLoop")
    // (wan_nature_2022/variables_free.yaml): a 10 ns read pulse (READ_PULSE_WIDTH), 0.27 µs per
    // integration step (LATENCY_INTEGRATE), 0.3 µs per conversion step (LATENCY_ADC_STEP) and 0.3 µs
    // once per phase for sampling (LATENCY_INTER_PHASE; one phase here, priced as the read's set-up).
    inputEncoding: 'pulse-count',
    readPulseNs: 10,
    integrationStepNs: 270,
    inputActivity: 0.5,
    dacEnergyPj: 0.1,
    dacSettleNs: 300,
    // [NeuRRAM22]: the neuron converts by charge-decrement steps; [CiMLoop24] counts one step per output
    // bit (ADC steps = output bits), 0.3 µs each — the SAR formula, bits × step.
    // Energy ESTIMATE: 20 fJ/step (top of [Murmann]'s range).
    adcArchitecture: 'sar',
    adcWaldenFomFj: 20,
    adcNsPerStep: 300,
    // Areas from the published core breakdown (Extended Data Fig. 11f, as transcribed in [CiMLoop24]'s
    // test): a neuron is 1270 µm² and the 256 neurons 28 % of a core (→ 1.16 mm²); the array drivers
    // 21 %, the RRAM array 12 %. A neuron (our ADC: it converts) at 6 bits → 1270/64 µm² per level.
    adcAreaUm2PerLevel: 1270 / 64,
    addPjPerBit: ANALOG_GENERIC_COSTS.addPjPerBit * D130,
    multiplyPjPerBit2: ANALOG_GENERIC_COSTS.multiplyPjPerBit2 * D130,
    sramPjPerBit: ANALOG_GENERIC_COSTS.sramPjPerBit * D130,
    neuronUpdatePj: ANALOG_GENERIC_COSTS.neuronUpdatePj * D130,
    nocPjPerBitHop: ANALOG_GENERIC_COSTS.nocPjPerBitHop * D130,
    // The array: 12 % of the core over its 2·128·256 devices at 130 nm = 125.8 F² ([CiMLoop24]'s NeuRRAM
    // cell, rram_wan_nature_2022.cell.yaml, states 125.74 F²).
    cellAreaF2: (0.12 * NEURRAM_CORE_UM2) / (2 * 128 * 256) / 0.13 ** 2,
    // The drivers (wordline, row and column): 21 % of the core over its 256 driven lines.
    dacAreaUm2PerLine: (0.21 * NEURRAM_CORE_UM2) / 256,
    // No digital neuron unit, buffers or router on the core (noc.cluster); these ESTIMATEs price them
    // only if a chip file derived from this preset places them.
    neuronAreaUm2PerLane: 20000,
    sramAreaUm2PerBit: 2.5,
    routerAreaUm2: 200000,
    // ESTIMATE: a neuron's integrator and comparator bias ≈ 5 µW; other components as the generic chips.
    leakageUw: { ...ANALOG_GENERIC_COSTS.leakageUw, adc: 5 },
    powerGating: true,
    sendAdcCodes: true,
    overrides: {},
  },
};
