/**
 * The compile report (`--report R.json`): resources used against the chip, utilisation, mesh
 * traffic, bytes, per-edge mapping error, and the cycle/energy estimate.
 */
import { nodeName } from '../graph/net';
import { arraysAvailable, coresAvailable, weightCols } from '../hw-models/chip';
import { estimate, type Estimate } from './estimate';
import type { CompilerIR } from './ir';

export interface EdgeReport {
  name: string;
  from: string;
  to: string;
  rows: number;
  cols: number;
  feedback: string;
  /** Arrays holding W (symmetric feedback reuses them). */
  weightArrays: number;
  /** Arrays holding the fixed random feedback B (0 unless random). */
  feedbackArrays: number;
  /** All arrays of the edge. */
  arrays: number;
  tileGrid: [number, number];
  wMax: number;
  maxAbsWeight: number;
  clipped: number;
  clippedFraction: number;
  maxError: number;
  rmsError: number;
  levelStep: number;
  feedbackMapping?: { wMax: number; clipped: number; maxError: number; rmsError: number };
}

export interface CompileReport {
  graph: string;
  chip: string;
  chipFingerprint: string;
  arraysUsed: number;
  arraysAvailable: number;
  coresUsed: number;
  coresAvailable: number;
  /** Weight cells in use / cells of the arrays in use. */
  arrayUtilisation: number;
  /** Arrays in use / arrays on the chip. */
  chipUtilisation: number;
  mesh: { width: number; height: number; routes: number; meshHops: number; maxRouteHops: number; bitHopsPerTrainingSample: number };
  bytes: { netlist: number; externalData: number; conductanceData: number };
  edges: EdgeReport[];
  estimate: Estimate & { timeUsPerInference: number; timeUsPerTrainingSample: number };
  compileMs: number;
  passMs: Record<string, number>;
}

export function buildReport(
  ir: CompilerIR,
  info: { netlistBytes: number; externalBytes: number; compileMs: number; passMs: Record<string, number> },
): CompileReport {
  const { net, chip } = ir;
  const n = ir.netlist!;
  const C = weightCols(chip.crossbar);
  const cells = ir.tiles.reduce((s, t) => s + (t.rowEnd - t.rowBegin) * (t.colEnd - t.colBegin), 0);
  const edges: EdgeReport[] = net.edges.map((e) => {
    const w = ir.matrices.find((m) => m.edge === e.index && m.role === 'weight')!;
    const b = ir.matrices.find((m) => m.edge === e.index && m.role === 'random-feedback');
    const wt = ir.tiles.filter((t) => t.matrix === w.id).length;
    const bt = b ? ir.tiles.filter((t) => t.matrix === b.id).length : 0;
    return {
      name: e.name,
      from: nodeName(net, e.from),
      to: nodeName(net, e.to),
      rows: e.rows,
      cols: e.cols,
      feedback: e.feedback,
      weightArrays: wt,
      feedbackArrays: bt,
      arrays: wt + bt,
      tileGrid: [Math.ceil(e.rows / chip.crossbar.rows), Math.ceil(e.cols / C)],
      wMax: w.mapped.wMax,
      maxAbsWeight: w.mapped.stats.maxAbs,
      clipped: w.mapped.stats.clipped,
      clippedFraction: w.mapped.stats.clipped / (e.rows * e.cols),
      maxError: w.mapped.stats.maxError,
      rmsError: w.mapped.stats.rmsError,
      levelStep: w.mapped.stats.levelStep,
      ...(b
        ? {
            feedbackMapping: {
              wMax: b.mapped.wMax,
              clipped: b.mapped.stats.clipped,
              maxError: b.mapped.stats.maxError,
              rmsError: b.mapped.stats.rmsError,
            },
          }
        : {}),
    };
  });
  // Mesh traffic: every Send's hops·flits·link width, times its phase's repeat count.
  let bitHops = 0;
  for (const ph of ir.phases)
    for (const op of ph.ops) if (op.opType === 'Send') bitHops += op.hops * op.flits * chip.noc.linkWidthBits * ph.repeat;
  const est = estimate(chip, n);
  const us = (c: number) => c / chip.clock.frequencyMhz;
  const conductanceData = n.arrays.reduce((s, a) => s + (a.gPlus?.rawData.length ?? 0) + (a.gMinus?.rawData.length ?? 0), 0);
  return {
    graph: net.spec.name,
    chip: chip.name,
    chipFingerprint: n.chip!.fingerprint,
    arraysUsed: ir.tiles.length,
    arraysAvailable: arraysAvailable(chip),
    coresUsed: ir.cores.length,
    coresAvailable: coresAvailable(chip),
    arrayUtilisation: cells / (ir.tiles.length * chip.crossbar.rows * C),
    chipUtilisation: ir.tiles.length / arraysAvailable(chip),
    mesh: {
      width: chip.noc.meshWidth,
      height: chip.noc.meshHeight,
      routes: ir.routes.length,
      meshHops: ir.routes.reduce((s, r) => s + r.path.length - 1, 0),
      maxRouteHops: ir.routes.reduce((m, r) => Math.max(m, r.path.length - 1), 0),
      bitHopsPerTrainingSample: bitHops,
    },
    bytes: { netlist: info.netlistBytes, externalData: info.externalBytes, conductanceData },
    edges,
    estimate: { ...est, timeUsPerInference: us(est.cyclesPerInference), timeUsPerTrainingSample: us(est.cyclesPerTrainingSample) },
    compileMs: info.compileMs,
    passMs: info.passMs,
  };
}
