/**
 * `sram-8b`: digital SRAM compute-in-memory with 8-bit sign-magnitude weights (sign + 7-bit
 * magnitude, i.e. a differential pair of 128-level "devices" of which one is always zero), 8-bit
 * bit-serial inputs and exact adder trees in place of ADCs. Deterministic: no device noise, drift
 * or stuck cells; updates are digital writes. "ref #x" cites section #x of docs/references.md.
 */
import { SRAM_CIM_COSTS } from '../cost-constants';
import { CHIP_FORMAT, CORE_CLUSTER, type ChipDescription } from '../chip';

export const SRAM_8B: ChipDescription = {
  format: CHIP_FORMAT,
  name: 'sram-8b',
  description: 'Digital SRAM CIM, 128×128 arrays of 8-bit sign-magnitude weights, 8-bit bit-serial inputs, exact adder trees; 8×8 mesh',
  crossbar: {
    // ref #crossbar-size: 128×128 (ISAAC, NeuroSim).
    rows: 128,
    cols: 128,
    // Sign-magnitude: the positive part in G+, the negative in G− (ref #weight-to-conductance convention).
    cell: 'differential',
    // Digital cells have no conductance: a nominal 0–1 µS scale makes "conductance" the code / 127.
    gMinUS: 0,
    gMaxUS: 1,
    // 7-bit magnitude: 128 levels (ref #conductance-levels lists analog devices; this is the digital word).
    levels: 128,
    programmingNoise: { sigma: 0, relativeTo: 'range' },
    readNoise: { sigma: 0, relativeTo: 'range' },
    // No low-frequency (1/f) read noise modelled separately: the white part above is the whole read noise.
    lowFrequencyReadNoise: { sigma: 0, relativeTo: 'range', redraw: 'sample' },
    noiseModel: 'constant',
    drift: { nu: 0, nuStd: 0, t0Seconds: 1, compensation: 'none' },
    stuckAt: { onProbability: 0, offProbability: 0, compensation: 'none' },
    // A digital write of the new code.
    update: { kind: 'exact' },
    // Digital cells: no analog line currents, so no IR drop.
    wireResistanceOhm: 0,
  },
  periphery: {
    // ref #dac-and-adc: 8-bit inputs (here fed bit-serially, one bit plane per clock).
    // Digital cells have no read voltage: a nominal 0.2 V, as the analog presets (only the SPICE export reads it).
    // ESTIMATE: word-line swing of an SRAM read, full VDD at 45 nm ≈ 1 V; the bit-line charge is the
    // adder tree's, so the nominal 0–1 µS "cell conductance" carries a token energy.
    dac: { bits: 8, inputRange: [-1, 1], readVoltageV: 1 },
    // Adder trees give exact integer sums (8-bit × 8-bit × 128 rows < 2^23): no quantisation, no clipping,
    // one tree output per line.
    adc: {
      bits: 'float',
      fullScale: 'unbounded',
      linesPerAdc: 1,
      outputNoise: 0,
      noiseManagement: 'none',
      boundManagement: 'none',
      maxRereads: 0,
      pairConversion: 'difference',
    },
    gain: { stage: 'digital', bits: 16, accumulatorBits: 32 },
  },
  neuron: {
    // ESTIMATE (no published neuron unit for this preset): 16-segment piecewise-linear activation over [−4, 4].
    activation: { kind: 'piecewise-linear', segments: 16, inputRange: [-4, 4] },
    stateNoise: 0,
    // 8-bit activations throughout, as the 8-bit bit-serial inputs (INT8 datapath).
    stateBits: 8,
    stateRange: [-1, 1],
    // An all-INT8 digital datapath has no wider copy of the state: δ from the two 8-bit registers.
    learningSignal: { kind: 'state-registers' },
    lanes: 16,
  },
  noc: {
    // No row in docs/references.md: same core and mesh design choices as `reram` (512 arrays of 128×128).
    arraysPerCore: 8,
    meshWidth: 8,
    meshHeight: 8,
    hopLatencyCycles: 2,
    linkWidthBits: 64,
    inputBufferBytes: 16384,
    stateBufferBytes: 65536,
    cluster: { ...CORE_CLUSTER },
  },
  clock: { frequencyMhz: 1000 },
  costModel: SRAM_CIM_COSTS,
};
