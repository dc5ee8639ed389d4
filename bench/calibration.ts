/**
 * The calibration table of docs/calibration.md: each calibration preset priced on the workload shape
 * its paper quotes (one MVM of a whole array, netlist/costs.ts mvmCost; area from hw-models/area.ts)
 * next to the published figure. Writes bench/results/costs/calibration.{md,json}.
 *
 *   npx tsc -p . && node dist/bench/calibration.js
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chipArea } from '../hw-models/area';
import { preset } from '../hw-models/presets';
import { mvmCost } from '../netlist/costs';

export interface CalibrationRow {
  chip: string;
  metric: string;
  workload: string;
  published: number | null;
  ours: number;
  /** ours / published. */
  ratio: number | null;
  source: string;
}

export function calibrationRows(): CalibrationRow[] {
  const rows: CalibrationRow[] = [];
  const add = (r: Omit<CalibrationRow, 'ratio'>) => rows.push({ ...r, ratio: r.published === null ? null : r.ours / r.published });

  // HERMES: one 8-bit-input, 8-bit-output MVM of a 256×256 core, one-phase read mode.
  const h = preset('hermes')!;
  const hm = mvmCost(h);
  const hermesWorkload = '256×256 MVM, 8-bit in/out, one-phase';
  add({
    chip: 'hermes',
    metric: 'TOPS/W',
    workload: hermesWorkload,
    published: 9.76,
    ours: hm.topsPerWatt,
    source: 'Le Gallo et al. 2023, abstract: 9.76 TOPS/W (one-phase, 8-bit I/O)',
  });
  // 63.1 TOPS over 64 cores, 2·256·256 operations per MVM → 133 ns per MVM and core.
  const hermesLatency = ((2 * 256 * 256) / (63.1e12 / 64)) * 1e9;
  add({
    chip: 'hermes',
    metric: 'latency per MVM (ns)',
    workload: hermesWorkload,
    published: hermesLatency,
    ours: hm.latencyNs,
    source: 'derived: 63.1 TOPS / 64 cores (Le Gallo et al. 2023) → 2·256² ops per core MVM',
  });
  // Area of one core: its MVM throughput at 1.59 TOPS/mm² (HERMES-Core).
  const hArea = chipArea(h).totalMm2 / 64;
  add({
    chip: 'hermes',
    metric: 'core area (mm²)',
    workload: 'one core (array, 256 ADCs, DACs, digital unit, buffers, router)',
    published: 63.1 / 64 / 1.59,
    ours: hArea,
    source: 'derived: (63.1 TOPS / 64 cores) / 1.59 TOPS/mm² (Khaddam-Aljameh et al. 2022)',
  });

  // ISAAC: one crossbar with its ADC, 16-bit inputs one bit per 100 ns cycle.
  const i = preset('isaac')!;
  const im = mvmCost(i);
  const isaacWorkload = '128×128 crossbar + its 8-bit ADC, 16 input bits';
  add({
    chip: 'isaac',
    metric: 'latency per MVM (ns)',
    workload: isaacWorkload,
    published: 16 * 100,
    ours: im.latencyNs,
    source: 'Shafiee et al. 2016: one input bit per 100 ns cycle, 16 input bits',
  });
  // Per crossbar: its DACs (4 mW / 8), the crossbar (0.3 mW) and its ADC (16 mW / 8) for 16 cycles of 100 ns; 2·128·128 operations.
  const isaacE = 16 * (4e-3 / 8 + 0.3e-3 + 16e-3 / 8) * 100e-9;
  add({
    chip: 'isaac',
    metric: 'TOPS/W (DACs + crossbar + ADC)',
    workload: isaacWorkload,
    published: (2 * 128 * 128) / isaacE / 1e12,
    ours: im.topsPerWatt,
    source: 'derived from Shafiee et al. 2016 component table: DACs 4 mW and ADCs 16 mW per 8 crossbars, crossbar 0.3 mW, 100 ns cycles',
  });

  // NeuRRAM: only the geometry was checked; the model's figures are reported without a published counterpart.
  const n = preset('neurram')!;
  const nm = mvmCost(n);
  const neurramWorkload = '256×256 MVM, 4-bit bit-serial in, 6-bit out';
  add({
    chip: 'neurram',
    metric: 'TOPS/W',
    workload: neurramWorkload,
    published: null,
    ours: nm.topsPerWatt,
    source: 'not checked: the stored copies of Wan et al. 2022 gave no energy figure',
  });
  add({
    chip: 'neurram',
    metric: 'latency per MVM (ns)',
    workload: neurramWorkload,
    published: null,
    ours: nm.latencyNs,
    source: 'not checked (as above)',
  });
  add({
    chip: 'neurram',
    metric: 'chip area (mm²)',
    workload: '48 cores',
    published: null,
    ours: chipArea(n).totalMm2,
    source: 'not checked (as above)',
  });
  return rows;
}

function markdown(rows: CalibrationRow[]): string {
  const f = (v: number | null) => (v === null ? '—' : v.toPrecision(3));
  const L = ['| chip | metric | workload | published | ours | ratio | published figure from |', '|---|---|---|---|---|---|---|'];
  for (const r of rows)
    L.push(`| ${r.chip} | ${r.metric} | ${r.workload} | ${f(r.published)} | ${f(r.ours)} | ${f(r.ratio)} | ${r.source} |`);
  return `${L.join('\n')}\n`;
}

function writeAtomic(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

if (require.main === module) {
  const dir = join(__dirname, '..', '..', 'bench', 'results', 'costs');
  mkdirSync(dir, { recursive: true });
  const rows = calibrationRows();
  writeAtomic(join(dir, 'calibration.json'), `${JSON.stringify(rows, null, 2)}\n`);
  writeAtomic(join(dir, 'calibration.md'), markdown(rows));
  process.stdout.write(markdown(rows));
  for (const name of ['hermes', 'isaac', 'neurram']) {
    const m = mvmCost(preset(name)!);
    process.stdout.write(
      `${name}: ${JSON.stringify(Object.fromEntries(Object.entries(m.energyByComponent).map(([k, v]) => [k, +(v * 1e12).toPrecision(4)])))} pJ\n`,
    );
  }
}
