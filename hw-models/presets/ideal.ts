/**
 * `ideal`: float, noiseless, unbounded. The reference chip: conductances are continuous (float32),
 * inputs and outputs unquantised and unclipped, updates exact, so mapping a net onto it is lossless
 * and the chip simulator reproduces the software engine exactly. Geometry, timing and energy are
 * those of a 256×256 analog chip, so its cycle and energy reports stay meaningful.
 */
import { ANALOG_GENERIC_COSTS } from '../cost-constants';
import { CHIP_FORMAT, CORE_CLUSTER, type ChipDescription } from '../chip';

export const IDEAL: ChipDescription = {
  format: CHIP_FORMAT,
  name: 'ideal',
  description: 'Float, noiseless, unbounded: lossless mapping; 256×256 geometry and analog timing/energy for reports',
  crossbar: {
    // ref #crossbar-size: 256×256 (PRIME, HERMES, NeuRRAM).
    rows: 256,
    cols: 256,
    // ref #weight-to-conductance: differential pair G+ − G−.
    cell: 'differential',
    // Normalised: with g_min = 0 and g_max = 1 µS a conductance equals its normalised value u.
    gMinUS: 0,
    gMaxUS: 1,
    levels: 'continuous',
    programmingNoise: { sigma: 0, relativeTo: 'range' },
    readNoise: { sigma: 0, relativeTo: 'range' },
    // No low-frequency (1/f) read noise modelled separately: the white part above is the whole read noise.
    lowFrequencyReadNoise: { sigma: 0, relativeTo: 'range', redraw: 'sample' },
    noiseModel: 'constant',
    drift: { nu: 0, nuStd: 0, t0Seconds: 1, compensation: 'none' },
    stuckAt: { onProbability: 0, offProbability: 0, compensation: 'none' },
    update: { kind: 'exact' },
    // No published per-segment value for this preset yet: ideal wires (docs/references.md § wire resistance).
    wireResistanceOhm: 0,
  },
  periphery: {
    // States are never clipped while inside [−1, 1] (tanh, sigmoid, hard-sigmoid, MNIST pixels).
    // Read voltage 0.2 V: below the devices' switching thresholds (ESTIMATE, docs/references.md § read voltage).
    dac: { bits: 'float', inputRange: [-1, 1], readVoltageV: 0.2 },
    // ref #dac-and-adc NeuroSim numColMuxed 8: only timing uses it here.
    adc: {
      bits: 'float',
      fullScale: 'unbounded',
      linesPerAdc: 8,
      outputNoise: 0,
      noiseManagement: 'none',
      boundManagement: 'none',
      maxRereads: 0,
      pairConversion: 'difference',
    },
    gain: { stage: 'digital', bits: 'float', accumulatorBits: 32 },
  },
  neuron: {
    activation: { kind: 'exact' },
    stateNoise: 0,
    stateBits: 'float',
    stateRange: [-1, 1],
    // Float registers: δ = s^β − s⁰ exact.
    learningSignal: { kind: 'state-registers' },
    // No row in docs/references.md: 16 lanes per core (design choice, as the device presets).
    lanes: 16,
  },
  noc: {
    // No row in docs/references.md: ISAAC groups 8 crossbars per in-situ multiply unit (design choice).
    arraysPerCore: 8,
    // Large enough for every example in examples/ (2048 arrays).
    meshWidth: 16,
    meshHeight: 16,
    // No row in docs/references.md: a 2-stage router pipeline, 64-bit links (design choice).
    hopLatencyCycles: 2,
    linkWidthBits: 64,
    inputBufferBytes: 16384,
    // Unbounded in spirit: 1 MiB, so that every example in examples/ compiles onto it, the conv
    // nets included (a conv map's group lives whole on its home core: mnist-conv needs ~250 KB).
    // The device presets keep ISAAC's 64 KB eDRAM per tile.
    stateBufferBytes: 1048576,
    cluster: { ...CORE_CLUSTER },
  },
  // No row in docs/references.md: PUMA and ISAAC clock near 1 GHz.
  clock: { frequencyMhz: 1000 },
  costModel: ANALOG_GENERIC_COSTS,
};
