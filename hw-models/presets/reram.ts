/**
 * `reram`: a ReRAM (1T1R, HfOx-class) analog chip with program-and-verify and in-situ pulsed updates,
 * close to aihwkit's ReRAM presets and NeuRRAM's geometry. "ref #x" cites section #x of
 * docs/references.md.
 */
import { ANALOG_GENERIC_COSTS } from '../cost-constants';
import { CHIP_FORMAT, CORE_CLUSTER, type ChipDescription } from '../chip';

export const RERAM: ChipDescription = {
  format: CHIP_FORMAT,
  name: 'reram',
  description: 'ReRAM 256×256 differential arrays, 40 µS, 1000 levels, program-and-verify, pulsed in-situ updates; 8-bit DAC/ADC; 8×8 mesh',
  crossbar: {
    // ref #crossbar-size: 256×256 (NeuRRAM).
    rows: 256,
    cols: 256,
    // ref #weight-to-conductance: differential pair G+ − G− (aihwkit).
    cell: 'differential',
    // ref #weight-to-conductance: g_max ≈ 40 µS (ReRAM); on/off 10 (low end of 10–100) → g_min 4 µS.
    gMinUS: 4,
    gMaxUS: 40,
    // ref #conductance-levels: ~1000 (aihwkit ReRAM/ECRAM presets); consistent with dw_min 0.001 below.
    levels: 1000,
    // ref #programming-noise: ReRAM 1.2–2.5 % with program-and-verify → 2.5 % of the range (CrossSim RRAM_Wan).
    programmingNoise: { sigma: 0.025, relativeTo: 'range' },
    // ref #read-noise: ≈ 1 % short-term (ReRAM).
    readNoise: { sigma: 0.01, relativeTo: 'range' },
    // No low-frequency (1/f) read noise modelled separately: the white part above is the whole read noise.
    lowFrequencyReadNoise: { sigma: 0, relativeTo: 'range', redraw: 'sample' },
    noiseModel: 'constant',
    // ref #conductance-drift lists PCM only: ReRAM is modelled drift-free (t0 unused, 1 s).
    drift: { nu: 0, nuStd: 0, t0Seconds: 1, compensation: 'none' },
    // ref #stuck-devices: 1–13 % → 1 % (low end, program-and-verify arrays), split evenly on/off.
    stuckAt: { onProbability: 0.005, offProbability: 0.005, compensation: 'none' },
    update: {
      kind: 'pulsed',
      // ref #pulsed-update: dw_min 0.001–0.002 of range → 0.001.
      dwMin: 0.001,
      // ref #pulsed-update: cycle-to-cycle σ ≈ 30 % of dw_min.
      cycleToCycle: 0.3,
      // ref #pulsed-update names up/down asymmetry without a value: 5 % (ESTIMATE).
      upDownAsymmetry: 0.05,
      // ref #pulsed-update: soft bounds.
      softBounds: true,
      // No row in docs/references.md: aihwkit UpdateParameters.desired_bl default 31.
      pulsesPerUpdate: 31,
      // Today's digital optimiser with per-cell pulse counts (docs/chip-description.md § update schemes).
      scheme: 'row-programmed',
      // Design choice (ESTIMATE): Nandakumar et al. 2020 keep χ in high-precision digital memory without
      // fixing a width; 16 bits covers steps down to 2^-16 of the range (docs/references.md § update schemes).
      accumulatorBits: 16,
      // aihwkit PulsedDevice defaults dw_min_dtod 0.3, w_max_dtod / w_min_dtod 0.3, up_down_dtod 0.01:
      // a documented starting point, not a measurement of this device (docs/references.md § update schemes).
      deviceToDevice: { dwMin: 0.3, wMax: 0.3, wMin: 0.3, upDownAsymmetry: 0.01 },
      // ReRAM is switched both ways by pulses of either polarity: the pair is one bipolar device.
      // Refresh thresholds unused by a bipolar pair (aihwkit OneSidedUnitCell defaults).
      pairMode: 'bipolar',
      refreshUpperThreshold: 0.75,
      refreshLowerThreshold: 0.25,
    },
    // No published per-segment value for this preset yet: ideal wires (docs/references.md § wire resistance).
    wireResistanceOhm: 0,
  },
  periphery: {
    // ref #dac-and-adc: DAC 7–8 bits → 8; states live in [−1, 1].
    // Read voltage 0.2 V: below the devices' switching thresholds (ESTIMATE, docs/references.md § read voltage).
    dac: { bits: 8, inputRange: [-1, 1], readVoltageV: 0.2 },
    // ref #dac-and-adc: ADC 5–9 bits → 8, one ADC per 8 lines (NeuroSim numColMuxed).
    // Full scale: no row; aihwkit IOParameters.out_bound default 12 (same normalised units).
    // ref #read-noise: output noise 0.04–0.1 in the ADC's normalised units → 0.06 (aihwkit out_noise,
    // absolute in the units where out_bound = 12, i.e. 0.5 % of the full scale).
    // Noise management: aihwkit IOParameters.noise_management default ABS_MAX (docs/references.md,
    // "Periphery"): out_bound 12 and out_noise 0.06 above are defined for inputs scaled so that
    // max|x| = 1, so the fixed ±12 range is only aihwkit's model together with this scaling.
    // Bound management: none — a re-read costs time and energy the chip must budget for; it is a
    // design option (boundManagement 'iterative', aihwkit's default ITERATIVE) to study, not assumed.
    adc: {
      bits: 8,
      fullScale: 12,
      linesPerAdc: 8,
      outputNoise: 0.06,
      noiseManagement: 'abs-max',
      boundManagement: 'none',
      maxRereads: 0,
      pairConversion: 'difference',
    },
    // No published row: α/β gains in a 16-bit digital multiplier, 32-bit accumulators (design choice).
    gain: { stage: 'digital', bits: 16, accumulatorBits: 32 },
  },
  // Neuron unit after NeuRRAM (docs/references.md § "Neuron units and the learning signal"): the neuron
  // circuit integrates the sensed line and converts it to a multi-bit output code itself (Wan et al. 2022,
  // Extended Data Fig. 4), so the activation is formed in the conversion — modelled as the exact function
  // followed by the output code, not as a LUT — and no wider copy of the state exists: δ = s^β − s⁰ can
  // only be the difference of two output codes ('state-registers').
  neuron: {
    // ESTIMATE: the circuit's deviation from the ideal nonlinearity is not published as a number.
    activation: { kind: 'exact' },
    stateNoise: 0,
    // ESTIMATE: output code width = the 8-bit DAC that re-reads the states (ref #dac-and-adc).
    stateBits: 8,
    stateRange: [-1, 1],
    learningSignal: { kind: 'state-registers' },
    lanes: 16,
  },
  noc: {
    // No row in docs/references.md: ISAAC's 8 crossbars per unit; an 8×8 mesh (512 arrays); 2-cycle routers,
    // 64-bit links; ISAAC's 64 KB eDRAM per tile for states (design choices).
    arraysPerCore: 8,
    meshWidth: 8,
    meshHeight: 8,
    hopLatencyCycles: 2,
    linkWidthBits: 64,
    inputBufferBytes: 16384,
    stateBufferBytes: 65536,
    cluster: { ...CORE_CLUSTER },
  },
  // No row in docs/references.md: PUMA and ISAAC clock near 1 GHz.
  clock: { frequencyMhz: 1000 },
  costModel: ANALOG_GENERIC_COSTS,
};
