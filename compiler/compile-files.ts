/**
 * Compile from files to files: the spec, the chip (preset or JSON), optional weights (.npz; without
 * them the spec's seed draws the initial weights exactly as `fre train` does), the netlist and the
 * report. Shared by `fre compile` and bench/compile.ts.
 */
import { checkOutputPath, writeAtomic } from '../util/atomic-write';
import { loadGraph } from '../graph/load';
import { resolveNet } from '../graph/net';
import type { WMaxPolicy } from '../hw-models/conductance';
import { loadChip } from '../hw-models/load';
import { initParams } from '../graph/params';
import { loadParams } from '../graph/weights-file';
import { makeRng } from '../util/rng';
import { encodeNetlist, writeNetlistFile } from '../netlist/codec';
import { producerCommit, producerVersion } from '../netlist/schema';
import type { Net } from '../graph/net';
import type { Params } from '../graph/params';
import type { AdcRangePolicy, CalibrationBatch } from './ir';
import { compile, type CompileHooks } from './pipeline';
import { buildReport, type CompileReport } from './report';

export interface CompileFilesOptions {
  spec: string;
  chip: string;
  weights?: string;
  out?: string;
  report?: string;
  wMax: WMaxPolicy;
  /** ADC ranges (default fixed); a percentile policy calls `calibration` for its batch. */
  adcRange?: AdcRangePolicy;
  /** Makes the calibration batch from the net and the weights being programmed (the caller runs the engine). */
  calibration?: (net: Net, params: Params) => CalibrationBatch;
  externalData?: boolean;
  hooks?: CompileHooks;
}

export function compileFiles(o: CompileFilesOptions): { report: CompileReport; bytes: Uint8Array } {
  const t0 = performance.now();
  // Every output path is checked before anything is compiled or written, so a bad --report path
  // cannot leave a new netlist in place of the old one and then fail.
  for (const f of [o.out, o.out && o.externalData ? `${o.out}.data` : undefined, o.report]) if (f) checkOutputPath(f);
  const net = resolveNet(loadGraph(o.spec));
  const chip = loadChip(o.chip);
  const rng = makeRng(net.spec.training.seed);
  const params = o.weights ? loadParams(o.weights, net, rng) : initParams(net, rng);
  const passMs: Record<string, number> = {};
  const adcRange = o.adcRange ?? { kind: 'fixed' as const };
  const calibration =
    adcRange.kind === 'percentile' && chip.periphery.adc.fullScale !== 'unbounded' ? o.calibration?.(net, params) : undefined;
  const { ir, netlist } = compile(
    net,
    chip,
    params,
    { wMax: o.wMax, adcRange, calibration, specFile: o.spec, producerVersion: producerVersion(), producerCommit: producerCommit() },
    {
      ...o.hooks,
      onPassTime: (p, ms) => {
        passMs[p] = ms;
        o.hooks?.onPassTime?.(p, ms);
      },
    },
  );
  const bytes = encodeNetlist(netlist);
  let written = { bytes: bytes.length, externalBytes: 0 };
  if (o.out) written = writeNetlistFile(o.out, netlist, { external: o.externalData });
  const compileMs = performance.now() - t0;
  const report = buildReport(ir, { netlistBytes: written.bytes, externalBytes: written.externalBytes, compileMs, passMs });
  if (o.report) writeAtomic(o.report, `${JSON.stringify(report, null, 2)}\n`);
  return { report, bytes };
}
