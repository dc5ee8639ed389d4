/**
 * `fre simulate --save W.npz`: the state of the chip after a run, as NumPy .npz.
 *
 * The effective weights (what every read uses: W = (G+ − G−)/(g_max − g_min)·w_max, or the
 * offset-column equivalent, after programming noise, stuck devices, drift and in-situ updates) are
 * stored under the same names and shapes as `fre train --save` (graph/weights-file.ts), so the file
 * loads back with `fre train --init` or `fre run --weights`. Next to them, per edge, the devices'
 * conductances in µS as the crossbar holds them, shape [rows, cols] of the (unrolled) matrix:
 * `<edge>.g_plus_uS` (G+ of a differential pair, or G of an offset-column cell) and
 * `<edge>.g_minus_uS` (differential only); a fixed random feedback matrix likewise under
 * `<edge>.feedback.*`. `__fre__.json` holds the provenance and the run's settings.
 */
import type { Net } from '../../graph/net';
import { feedbackKey } from '../../graph/params';
import { paramEntries } from '../../graph/weights-file';
import { writeNpz } from '../../io/npz';
import { NPZ_PROVENANCE_MEMBER, provenance } from '../../util/provenance';
import type { ChipRunResult } from './run';

type Entry = { data: Float32Array; shape: number[] };

/** The arrays of the file: effective weights, feedback, biases, and conductances per device plane. */
export function chipWeightEntries(net: Net, run: Pick<ChipRunResult, 'interpreter'>): Map<string, Entry> {
  const chip = run.interpreter.chip;
  const W = net.edges.map((e) => ({ rows: e.rows, cols: e.cols, data: chip.W[e.index].W }));
  const B = net.edges.map((e) => {
    const fb = chip.B[e.index];
    return fb ? { rows: fb.rows, cols: fb.cols, data: fb.W } : undefined;
  });
  const bias = run.interpreter.biases().map((b) => b ?? undefined);
  const entries: Map<string, Entry> = paramEntries(net, { W, B, bias });
  for (const e of net.edges) {
    const weight = chip.W[e.index];
    const feedback = chip.B[e.index];
    for (const [prefix, dev] of [
      [e.name, weight],
      [feedbackKey(e), feedback],
    ] as const) {
      if (!dev) continue;
      const g = dev.conductancesUS();
      entries.set(`${prefix}.g_plus_uS`, { data: g.plus, shape: [dev.rows, dev.cols] });
      if (g.minus) entries.set(`${prefix}.g_minus_uS`, { data: g.minus, shape: [dev.rows, dev.cols] });
    }
  }
  return entries;
}

/** Writes the chip's effective weights and conductances after a run (atomically) with provenance. */
export function saveChipWeights(path: string, net: Net, run: ChipRunResult, o: { backend: string; extra?: Record<string, unknown> }): void {
  const xb = run.chip.crossbar;
  const record = {
    ...provenance(o.backend),
    graph: net.spec.name,
    chip: run.chip.name,
    cell: xb.cell,
    gMinUS: xb.gMinUS,
    gMaxUS: xb.gMaxUS,
    testAccuracy: run.testAccuracy,
    bestTestAccuracy: run.bestTestAccuracy,
    epochs: run.epochs.length,
    interrupted: run.interrupted,
    ...o.extra,
  };
  writeNpz(path, chipWeightEntries(net, run), { members: { [NPZ_PROVENANCE_MEMBER]: JSON.stringify(record, null, 1) } });
}
