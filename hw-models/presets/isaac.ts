/**
 * `isaac`: configured like ISAAC's in-situ multiply-accumulate unit (Shafiee et al., ISCA 2016
 * [ISAAC16], its component table; hw-models/cost-constants.ts says where each number was read):
 * 128×128 memristor crossbars, inputs fed one bit per 100 ns cycle through 1-bit DACs, one 8-bit
 * 1.2 GS/s SAR ADC shared by the 128 columns of a crossbar, 8 crossbars per unit, 32 nm; 12 units per
 * tile share its eDRAM, digital units and (a quarter of) a router (noc.cluster). ISAAC holds 16-bit
 * weights as 2-bit cells over 8 crossbars; here one crossbar's 2-bit cells (4 levels), offset
 * encoding, 16-bit inputs.
 */
import { ANALOG_GENERIC_COSTS } from '../cost-constants';
import { CHIP_FORMAT, type ChipDescription } from '../chip';
import { RERAM } from './reram';

/** Digital energies at 32 nm: the 45 nm [Horowitz14] values × 0.6 (ESTIMATE: C·V² scaling). */
const D32 = 0.6;

export const ISAAC: ChipDescription = {
  format: CHIP_FORMAT,
  name: 'isaac',
  description:
    'ISAAC-like: 128×128 crossbars of 2-bit cells, 16-bit bit-serial inputs, one 8-bit SAR ADC per crossbar, 8 crossbars per unit, 12 units per tile sharing eDRAM, digital units and router (calibration preset)',
  crossbar: {
    ...structuredClone(RERAM.crossbar),
    // [ISAAC16]: 128×128 crossbars, 2 bits per cell, unsigned weights with a bias (one device per cell).
    rows: 128,
    cols: 128,
    cell: 'offset-column',
    levels: 4,
    // Fitted: a mean conductance (g_min + g_max)/2 = 9 µS gives ISAAC's ≈ 0.3 mW array power for a
    // 10 ns read in each 100 ns cycle (docs/calibration.md).
    gMinUS: 1,
    gMaxUS: 17,
  },
  periphery: {
    // [ISAAC16]: 16-bit inputs, one bit per cycle through 1-bit DACs.
    dac: { bits: 16, inputRange: [-1, 1], readVoltageV: 0.2 }, // ESTIMATE: 0.2 V read
    // [ISAAC16]: one 8-bit ADC for the 128 columns of a crossbar.
    // Noise and bound management: not stated by the source → none (issue 13 fields; docs/references.md "Periphery").
    adc: {
      bits: 8,
      fullScale: 12,
      linesPerAdc: 128,
      outputNoise: 0.06,
      noiseManagement: 'none',
      boundManagement: 'none',
      maxRereads: 0,
      pairConversion: 'difference',
    },
    gain: { stage: 'digital', bits: 16, accumulatorBits: 32 },
  },
  // [ISAAC16]: 16-bit fixed-point data between layers → a 16-bit state register; its sigmoid unit's
  // implementation is not given: the exact function (ESTIMATE). An inference design: no δ path is
  // published, δ from the state registers.
  neuron: { ...structuredClone(RERAM.neuron), stateBits: 16 },
  noc: {
    // [ISAAC16]: 8 crossbars per in-situ multiply-accumulate unit (IMA); a core here is one IMA.
    arraysPerCore: 8,
    meshWidth: 8,
    meshHeight: 8,
    hopLatencyCycles: 2,
    linkWidthBits: 64,
    // [ISAAC16] Table I: each IMA's input register (2 KB) and output register (256 B).
    inputBufferBytes: 2048 + 256,
    // [ISAAC16] Table I: 64 KB eDRAM per tile.
    stateBufferBytes: 65536,
    // [ISAAC16] Table I: a tile holds 12 IMAs and shares among them its eDRAM, its digital units
    // (sigmoid, shift-and-add, max-pool) and a router (itself shared by 4 tiles: routerAreaUm2 below);
    // the IMAs' input/output registers are their own.
    cluster: { cores: 12, inputBuffer: 'core', stateBuffer: 'cluster', router: 'cluster', neuronUnit: 'cluster' },
  },
  // [ISAAC16]: 1.2 GHz digital logic.
  clock: { frequencyMhz: 1200 },
  costModel: {
    ...ANALOG_GENERIC_COSTS,
    version: 'fre-costs-isaac/3',
    source: 'ISAAC ISCA 2016 component table, Horowitz ISSCC 2014 scaled to 32 nm; fitted entries in docs/calibration.md',
    featureSizeNm: 32,
    inputEncoding: 'bit-serial',
    // A crossbar read pulse of 5–10 ns (NeuroSim, puma-simulator) → 10 ns per bit plane.
    readPulseNs: 10,
    // Half the input bits are 1 (the read voltage is periphery.dac.readVoltageV).
    inputActivity: 0.5,
    // [ISAAC16]: 8×128 1-bit DACs take 4 mW → 0.5 mW per crossbar over a 100 ns cycle / 128 lines = 0.39 pJ per line per bit.
    dacEnergyPj: (((4e-3 / 8) * 100e-9) / 128) * 1e12,
    dacSettleNs: 0,
    // [ISAAC16]: 8-bit SAR at 1.2 GS/s, 2 mW → 1.67 pJ and 0.83 ns per conversion (the generic constants).
    adcArchitecture: 'sar',
    addPjPerBit: ANALOG_GENERIC_COSTS.addPjPerBit * D32,
    multiplyPjPerBit2: ANALOG_GENERIC_COSTS.multiplyPjPerBit2 * D32,
    sramPjPerBit: ANALOG_GENERIC_COSTS.sramPjPerBit * D32,
    neuronUpdatePj: ANALOG_GENERIC_COSTS.neuronUpdatePj * D32,
    nocPjPerBitHop: ANALOG_GENERIC_COSTS.nocPjPerBitHop * D32,
    // [ISAAC16] Table I: an IMA's 8 crossbars of 128×128 cells in 0.0002 mm² → 25 µm² per crossbar,
    // 1.49 F² per cell at 32 nm (below a planar cross-point's 4F²: the paper's figure, taken as published).
    cellAreaF2: 200 / 8 / (128 * 128) / 0.032 ** 2,
    // [ISAAC16] Table I: 8 ADCs (8 bits) in 0.0096 mm² → 1200 µm² each.
    adcAreaUm2PerLevel: 9600 / 8 / 256,
    // [ISAAC16]: 8×128 DACs in 170 µm² → 0.17 µm² per line.
    dacAreaUm2PerLine: 170 / 1024,
    // [ISAAC16] Table I: a tile's sigmoid units (2, 0.0006 mm²), shift-and-add (0.00006 mm²) and max-pool
    // unit (0.00024 mm²): 900 µm² of digital neuron logic per tile, over its lanes.
    neuronAreaUm2PerLane: (600 + 60 + 240) / RERAM.neuron.lanes,
    // [ISAAC16]: 64 KB eDRAM in 0.083 mm² → 0.158 µm² per bit (also used for the IMA's registers:
    // Table I's 2 KB IR in 0.0021 mm² and 256 B OR in 0.00077 mm² are 2870 µm², at this density 2918);
    // a router (0.15 mm²) shared by 4 tiles → a quarter per tile.
    sramAreaUm2PerBit: 83000 / (65536 * 8),
    routerAreaUm2: 150000 / 4,
    leakageUw: { ...ANALOG_GENERIC_COSTS.leakageUw },
    powerGating: false,
    sendAdcCodes: false,
    overrides: {},
  },
};
