/** `fre compile SPEC.json --chip PRESET|chip.json [--weights W.npz] -o NET.pb [--report R.json]`. */
import type { Argv } from 'yargs';
import { compileFiles } from '../compiler/compile-files';
import { parseAdcRangePolicy, parseWMaxPolicy } from '../compiler/options';
import { adcRangeOptions, calibrationMaker } from './adc-range-options';
import { checkPassNames, PASS_NAMES } from '../compiler/pipeline';
import type { CompileReport } from '../compiler/report';
import { PRESET_NAMES } from '../hw-models/presets';
import { formatCycles, plural } from '../util/format';

/** --chip's help, shared with `fre run`: the names come from the preset registry, so the list cannot go stale. */
export const CHIP_OPTION_HELP = `chip preset (${PRESET_NAMES.join(', ')}) or chip description JSON`;

export interface CompileArgs {
  spec: string;
  chip: string;
  weights?: string;
  out: string;
  report?: string;
  wMax: string;
  adcRange: string;
  calibrationSamples: number;
  dataDir?: string;
  externalData: boolean;
  dumpAfter?: string[];
  json: boolean;
}

export function compileOptions<T>(y: Argv<T>) {
  return adcRangeOptions(y)
    .option('data-dir', { type: 'string', describe: 'folder with the dataset files (for the ADC calibration batch)' })
    .positional('spec', { type: 'string', demandOption: true, describe: 'graph description (JSON)' })
    .option('chip', { type: 'string', demandOption: true, describe: CHIP_OPTION_HELP })
    .option('weights', {
      type: 'string',
      describe: "weights to program (.npz from fre train --save); default: the spec seed's initial weights",
    })
    .option('out', { alias: 'o', type: 'string', demandOption: true, describe: 'netlist to write (.pb)' })
    .option('report', { type: 'string', describe: 'write the compile report here (JSON)' })
    .option('w-max', {
      type: 'string',
      default: 'max',
      describe:
        'weight scale per matrix: max (nothing clipped), pNN (a percentile of |W|, e.g. p99.9), xF (F × max|W|: headroom for in-situ learning, e.g. x4) or a fixed w_max (e.g. 0.4)',
    })
    .option('external-data', {
      type: 'boolean',
      default: false,
      describe: 'store conductances in OUT.data (offset, length, sha256 in the netlist)',
    })
    .option('dump-after', {
      type: 'string',
      array: true,
      describe: `print the IR as text after these passes (${PASS_NAMES.join(', ')}, all)`,
    })
    .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON on stdout' });
}

export async function runCompile(a: CompileArgs): Promise<void> {
  const dumpAfter = a.dumpAfter ?? [];
  checkPassNames(dumpAfter, a.spec);
  const { report } = compileFiles({
    spec: a.spec,
    chip: a.chip,
    weights: a.weights,
    out: a.out,
    report: a.report,
    wMax: parseWMaxPolicy(a.wMax, a.spec),
    externalData: a.externalData,
    adcRange: parseAdcRangePolicy(a.adcRange, a.spec),
    calibration: calibrationMaker(a.spec, a.calibrationSamples, a.dataDir),
    hooks: { dumpAfter, onDump: (_pass, text) => process.stdout.write(text) },
  });
  const log = (s: string) => process.stderr.write(`${s}\n`);
  for (const line of compileSummary(report, `fre compile ${report.graph} for chip ${report.chip}`)) log(line);
  log(
    `  wrote ${a.out} (${report.bytes.netlist} bytes${report.bytes.externalData ? ` + ${report.bytes.externalData} in ${a.out}.data` : ''})${a.report ? ` and ${a.report}` : ''} in ${report.compileMs.toFixed(0)} ms`,
  );
  if (a.json) process.stdout.write(`${JSON.stringify(report)}\n`);
}

/**
 * The compile report as the lines `fre compile` prints and `fre run` prints before simulating: the
 * chip's occupancy after `head`, then per edge its mapping (w_max, clipped weights, quantisation
 * error), the cost estimate and the area.
 */
export function compileSummary(r: CompileReport, head: string): string[] {
  const e = r.estimate;
  return [
    `${head}: ${r.arraysUsed}/${r.arraysAvailable} arrays, ${r.coresUsed}/${r.coresAvailable} cores, ` +
      `array utilisation ${(100 * r.arrayUtilisation).toFixed(1)}%, ${r.mesh.routes} routes (${r.mesh.meshHops} hops)`,
    ...r.edges.map(
      (x) =>
        `  ${x.name.padEnd(8)} ${`${x.rows}x${x.cols}`.padEnd(9)} ${plural(x.arrays, 'array').padStart(10)}  w_max ${x.wMax.toPrecision(4)}  ` +
        `clipped ${x.clipped}${x.clipped > 0 ? ` (${(100 * x.clippedFraction).toFixed(1)}%)` : ''}  max err ${x.maxError.toExponential(2)}  rms err ${x.rmsError.toExponential(2)}`,
    ),
    `  estimate: ${formatCycles(e.cyclesPerInference)} cycles/inference (${e.timeUsPerInference.toFixed(2)} µs), ${formatCycles(e.cyclesPerTrainingSample)} cycles/training sample; ` +
      `${((e.dynamicEnergyPjPerInference + e.leakageEnergyPjPerInference) / 1e3).toFixed(2)} nJ/inference`,
    `  area: ${e.areaTotalMm2.toPrecision(3)} mm² used of ${e.chipAreaMm2.toPrecision(3)} mm² (${Object.entries(e.areaMm2)
      .map(([k, v]) => `${k} ${v.toPrecision(3)}`)
      .join(', ')}; cost model ${e.costModel})${e.areaLayout ? `; ${e.areaLayout}` : ''}`,
  ];
}
