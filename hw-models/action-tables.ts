/**
 * Per-action latency and energy tables (Accelergy style, docs/references.md#cycle-and-energy-reporting): the simulator counts
 * actions, a table prices them. Each table is versioned on its own — bump `version` when any number
 * changes — so a chip team swaps in its numbers without touching a preset.
 *
 * Sources: "ref #x" is section #x of docs/references.md. Numbers marked
 * ESTIMATE have no section there; they come from the named outside source or are order-of-magnitude
 * placeholders, and a chip team should replace them first. Digital-logic energies are Horowitz,
 * "Computing's energy problem", ISSCC 2014 (45 nm): 32-bit int add 0.1 pJ, 8 KB SRAM 32-bit read
 * ≈ 5 pJ.
 */
import type { ActionTable } from './chip';

/**
 * Analog arrays of 256×256 cells (ReRAM, also used for timing/energy by `ideal`).
 * Array read energy: ref #energy gives ≈ 0.3 mW for a 128×128 array; power scales with the
 * cell count (×4 for 256×256 → 1.2 mW) and one read lasts one read pulse (10 ns) → 12 pJ.
 */
export const ANALOG_256_RERAM_ACTIONS: ActionTable = {
  version: 'fre-actions-analog256-reram/1',
  source: 'hardware.md §1 latency/energy rows (ISAAC, PUMA, NeuroSim); digital ops Horowitz ISSCC 2014; ESTIMATE entries marked in hw-models/action-tables.ts',
  perAction: {
    // ref #latency: crossbar read pulse 5–10 ns → 10 ns; energy 0.3 mW·4·10 ns (see above) = 12 pJ.
    array_read: { latencyNs: 10, energyPj: 12 },
    // Same devices and pulse, driven from the other side's periphery (ref #latency, #energy).
    array_read_transposed: { latencyNs: 10, energyPj: 12 },
    // ref #energy: 8-bit ADC ≈ 2 mW at 1.28 GS/s → 0.78 ns, ≈ 1.6 pJ per conversion.
    adc_conversion: { latencyNs: 0.78, energyPj: 1.6 },
    // ESTIMATE: one DAC settles within a clock; ≈ 0.05 pJ per driven line (no row in docs/references.md).
    dac_drive: { latencyNs: 1, energyPj: 0.05 },
    // Horowitz 2014: 32-bit integer add 0.1 pJ; one per clock per lane.
    accumulate: { latencyNs: 1, energyPj: 0.1 },
    // ESTIMATE: a LUT/PWL lookup plus an add, ≈ 1 pJ per neuron, one per clock per lane.
    neuron_update: { latencyNs: 1, energyPj: 1 },
    // ESTIMATE: one 64-bit flit over one router and link per clock, ≈ 2 pJ (no row in docs/references.md).
    router_hop_flit: { latencyNs: 1, energyPj: 2 },
    // Horowitz 2014: 32-bit read of an 8 KB SRAM ≈ 5 pJ; one value per clock per lane.
    buffer_access: { latencyNs: 1, energyPj: 5 },
    // ESTIMATE: one ReRAM programming pulse slot ≈ 10 ns and ≈ 1 pJ per device (no row in docs/references.md).
    update_pulse: { latencyNs: 10, energyPj: 1 },
  },
  leakageUw: {
    // Non-volatile cells hold their state without power.
    array: 0,
    // ESTIMATE: ≈ 10 % of the 8-bit ADC's 2 mW (ref #energy) as static power.
    adc: 200,
    // ESTIMATE placeholders for the digital neuron unit and router.
    neuron_unit: 50,
    router: 100,
  },
};

/** PCM arrays of 256×256 cells: reads as ReRAM (same ref #latency, #energy); SET/RESET pulses are slower. */
export const ANALOG_256_PCM_ACTIONS: ActionTable = {
  version: 'fre-actions-analog256-pcm/1',
  source: 'hardware.md §1 latency/energy rows (ISAAC, PUMA, HERMES); digital ops Horowitz ISSCC 2014; ESTIMATE entries marked in hw-models/action-tables.ts',
  perAction: {
    ...ANALOG_256_RERAM_ACTIONS.perAction,
    // ESTIMATE: a partial-SET PCM pulse ≈ 50 ns and ≈ 5 pJ per device (no row in docs/references.md).
    update_pulse: { latencyNs: 50, energyPj: 5 },
  },
  leakageUw: { ...ANALOG_256_RERAM_ACTIONS.leakageUw },
};

/**
 * Digital SRAM compute-in-memory, 128×128 cells of 8-bit (sign-magnitude) weights, 8-bit inputs fed
 * bit-serially. Array read energy: ref #energy whole-chip figure ≈ 0.1 pJ/MAC × 128·128 MACs ≈
 * 1640 pJ (an upper bound borrowed from the HERMES row; ESTIMATE for SRAM).
 */
export const SRAM_128_ACTIONS: ActionTable = {
  version: 'fre-actions-sram128/1',
  source: 'hardware.md §1 energy row (whole-chip pJ/MAC), Horowitz ISSCC 2014; ESTIMATE entries marked in hw-models/action-tables.ts',
  perAction: {
    // ESTIMATE: 8 input bits, one per 1 ns clock, through the adder trees.
    array_read: { latencyNs: 8, energyPj: 1640 },
    array_read_transposed: { latencyNs: 8, energyPj: 1640 },
    // No ADC: reading one adder-tree output register, Horowitz 32-bit add ≈ 0.1 pJ.
    adc_conversion: { latencyNs: 1, energyPj: 0.1 },
    // ESTIMATE: a word-line driver per input bit plane.
    dac_drive: { latencyNs: 1, energyPj: 0.05 },
    accumulate: { latencyNs: 1, energyPj: 0.1 },
    neuron_update: { latencyNs: 1, energyPj: 1 },
    router_hop_flit: { latencyNs: 1, energyPj: 2 },
    buffer_access: { latencyNs: 1, energyPj: 5 },
    // Horowitz 2014: an SRAM write of one 8-bit weight ≈ 1.25 pJ (a quarter of a 32-bit access), one row per clock.
    update_pulse: { latencyNs: 1, energyPj: 1.25 },
  },
  leakageUw: {
    // ESTIMATE: leakage of 128·128 8-bit cells (128 Kb of 6T SRAM) ≈ 100 µW.
    array: 100,
    adc: 0,
    neuron_unit: 50,
    router: 100,
  },
};

export const ACTION_TABLES: readonly ActionTable[] = [ANALOG_256_RERAM_ACTIONS, ANALOG_256_PCM_ACTIONS, SRAM_128_ACTIONS];
