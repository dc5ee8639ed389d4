/**
 * `pcm`: a phase-change-memory analog chip (HERMES-like geometry, aihwkit PCM noise models):
 * programming noise, 1/f read noise and conductance drift. "ref #x" cites section #x of
 * docs/references.md.
 */
import { PCM_GENERIC_COSTS } from '../cost-constants';
import { CHIP_FORMAT, CORE_CLUSTER, type ChipDescription } from '../chip';

export const PCM: ChipDescription = {
  format: CHIP_FORMAT,
  name: 'pcm',
  description:
    'PCM 256×256 differential arrays, 25 µS, 100 levels, aihwkit PCM noise model (programming noise, drift ν and 1/f noise by conductance); 8-bit DAC/ADC; 8×8 mesh',
  crossbar: {
    // ref #crossbar-size: 256×256 (HERMES).
    rows: 256,
    cols: 256,
    // ref #weight-to-conductance: differential pair G+ − G−.
    cell: 'differential',
    // ref #weight-to-conductance: g_max ≈ 25 µS (PCM); on/off 100 (high end of 10–100) → g_min 0.25 µS.
    gMinUS: 0.25,
    gMaxUS: 25,
    // ref #conductance-levels: 60–100 (NeuroSim) → 100.
    levels: 100,
    // ref #pcm-noise-model: aihwkit's PCMLikeNoiseModel, the source the preset's PCM numbers were taken
    // from, with its conductance dependence: programming σ(g_T) ≈ 1.1 % of g_max at g_T → 0 up to
    // 4.2 % at g_max (the "1–4.3 %" of ref #programming-noise), drift ν(g_T) 0.049–0.1 with spread
    // 0.008–0.045 (ref #conductance-drift), and the 1/f read noise accumulated to the read time
    // (≈ 3.7 % of g at g_max at t0, ref #read-noise), drawn once per device at that time as aihwkit does.
    // The constant fields it replaces are 0.
    noiseModel: 'pcm-aihwkit',
    programmingNoise: { sigma: 0, relativeTo: 'range' },
    // The model's 1/f term is the PCM read noise (ref #read-noise): no separate per-read draw, no
    // separate per-sample offset (they would count it twice).
    readNoise: { sigma: 0, relativeTo: 'target' },
    lowFrequencyReadNoise: { sigma: 0, relativeTo: 'target', redraw: 'sample' },
    // t0 20 s is the model's default (ref #conductance-drift).
    // No drift compensation in the preset: a design option ('global', aihwkit GlobalDriftCompensation)
    // to study against the uncompensated chip (docs/references.md, "Periphery").
    drift: { nu: 0, nuStd: 0, t0Seconds: 20, compensation: 'none' },
    // ref #stuck-devices: 1–13 % → 1 %, split evenly on/off.
    stuckAt: { onProbability: 0.005, offProbability: 0.005, compensation: 'none' },
    update: {
      kind: 'pulsed',
      // ref #pulsed-update: dw_min 0.001–0.002 → 0.002 (coarser partial-SET steps than ReRAM).
      dwMin: 0.002,
      // ref #pulsed-update: cycle-to-cycle σ ≈ 30 % of dw_min.
      cycleToCycle: 0.3,
      // ref #pulsed-update names the asymmetry without a value: PCM's gradual SET vs abrupt RESET → 30 % (ESTIMATE).
      upDownAsymmetry: 0.3,
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
      // ref #pcm-pair-refresh: PCM is potentiated in situ by gradual SET only (its RESET is abrupt): a
      // negative step SETs G−, and a pair whose devices have both risen is refreshed (Nandakumar et al.
      // 2020, Boybat et al. 2018). Thresholds: aihwkit OneSidedUnitCell refresh_upper_thres 0.75 /
      // refresh_lower_thres 0.25 (the paper's own thresholds are in conductance units of its device).
      pairMode: 'potentiate-only',
      refreshUpperThreshold: 0.75,
      refreshLowerThreshold: 0.25,
    },
    // No published per-segment value for this preset yet: ideal wires (docs/references.md § wire resistance).
    wireResistanceOhm: 0,
  },
  periphery: {
    // ref #dac-and-adc: DAC 7–8 bits → 8.
    // Read voltage 0.2 V: below the devices' switching thresholds (ESTIMATE, docs/references.md § read voltage).
    dac: { bits: 8, inputRange: [-1, 1], readVoltageV: 0.2 },
    // ref #dac-and-adc: ADC 5–9 bits → 8, one ADC per 8 lines; full scale aihwkit out_bound 12;
    // ref #read-noise: output noise 0.04–0.1 in the ADC's normalised units → 0.06 (aihwkit out_noise,
    // absolute in the units where out_bound = 12).
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
    gain: { stage: 'digital', bits: 16, accumulatorBits: 32 },
  },
  // Neuron unit after the IBM 64-core PCM chip's local digital processing unit and mixed-precision
  // training (docs/references.md § "Neuron units and the learning signal"): activations are computed
  // digitally in FP16 (Le Gallo et al. 2023; Ferro et al. 2024) and leave the core as 8-bit MVM inputs;
  // the learning signal is kept in the digital unit at high precision (Nandakumar et al. 2020).
  neuron: {
    // FP16 arithmetic: modelled as the exact function in float32 (FP16's 11-bit significand, relative
    // error ≤ 2^-11, is far below the 8-bit register that follows).
    activation: { kind: 'exact' },
    stateNoise: 0,
    // 8-bit input/output MVMs (Le Gallo et al. 2023): the state register that feeds the DAC.
    stateBits: 8,
    stateRange: [-1, 1],
    // s⁰ and δ held by the digital unit in FP16, modelled as float32 (FP16 has no fixed-point grid; its
    // relative step 2^-11 is below every other error source here). deltaRange is unused for 'float'.
    // deltaRounding: unused for a float register.
    learningSignal: { kind: 'difference-register', freeStateBits: 'float', deltaBits: 'float', deltaRange: 2, deltaRounding: 'nearest' },
    lanes: 16,
  },
  noc: {
    // No row in docs/references.md: same core and mesh design choices as `reram`.
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
  costModel: PCM_GENERIC_COSTS,
};
