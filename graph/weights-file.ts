/**
 * Weights in and out as NumPy .npz: one array per edge, named by the edge, shape [rows, cols] =
 * [size of `to`, size of `from`] (PyTorch's Linear layout, so `model.fc.weight.numpy()` drops in);
 * fixed random feedback matrices as `<edge>.feedback`, shape [cols, rows]. Conv edges store their
 * kernel as [C_out, C_in, k, k] (PyTorch's Conv2d layout; the same floats as the unrolled matrix).
 * Biases as `<edge>.bias`, shape [rows]. Every file fre writes also holds `__fre__.json`, the
 * provenance of the weights (fre version, commit, backend, machine: util/provenance.ts).
 */
import { SpecError } from './diagnostics';
import { nodeName, type Net, type NetEdge } from './net';
import { NpzError } from '../io/npy';
import { readNpz, writeNpz } from '../io/npz';
import { expectArray } from '../io/weights';
import type { Rng } from '../util/rng';
import { NPZ_PROVENANCE_MEMBER, provenance } from '../util/provenance';
import { biasKey, feedbackKey, initParams, type Params } from './params';

/** The array shape an edge's weight has in a file. */
export function weightShape(e: NetEdge): number[] {
  if (!e.conv) return [e.rows, e.cols];
  const c = e.conv.conv;
  return [c.outChannels, c.inChannels, c.kernel, c.kernel];
}

/** The arrays of a weight file: every edge's W, its random feedback and its bias, by name. */
export function paramEntries(net: Net, params: Params): Map<string, { data: Float32Array; shape: number[] }> {
  const entries = new Map<string, { data: Float32Array; shape: number[] }>();
  net.edges.forEach((e) => {
    entries.set(e.name, { data: params.W[e.index].data, shape: weightShape(e) });
    const b = params.B[e.index];
    if (b) entries.set(feedbackKey(e), { data: b.data, shape: [b.rows, b.cols] });
    const bias = params.bias[e.index];
    if (bias) entries.set(biasKey(e), { data: bias, shape: [bias.length] });
  });
  return entries;
}

/**
 * Writes the weights (atomically) with their provenance; `backend` is the kernel backend that
 * computed them, `extra` more fields for `__fre__.json` (e.g. the training run's settings).
 */
export function saveParams(path: string, net: Net, params: Params, o: { backend?: string; extra?: Record<string, unknown> } = {}): void {
  const record = { ...provenance(o.backend ?? 'unknown'), graph: net.spec.name, ...o.extra };
  writeNpz(path, paramEntries(net, params), { members: { [NPZ_PROVENANCE_MEMBER]: JSON.stringify(record, null, 1) } });
}

/**
 * Parameters from a weight file. Every edge's W must be present with the right shape; a random
 * feedback matrix absent from the file is drawn from the seed as in a fresh run; an absent bias is zero.
 */
export function loadParams(path: string, net: Net, rng: Rng): Params {
  const fresh = initParams(net, rng);
  let npz;
  try {
    npz = readNpz(path);
  } catch (err) {
    if (err instanceof NpzError) throw weightDiagnostic(path, '', err.detail, 'pass a .npz written by `fre train --save` or numpy.savez');
    throw err;
  }
  net.edges.forEach((e) => {
    const meaning = e.conv
      ? `conv edge ${e.name}: ${nodeName(net, e.from)} -> ${nodeName(net, e.to)}, [out channels, in channels, kernel, kernel]`
      : `edge ${e.name}: ${nodeName(net, e.from)} -> ${nodeName(net, e.to)}, rows = size of ${nodeName(net, e.to)}, cols = size of ${nodeName(net, e.from)}`;
    try {
      fresh.W[e.index].data.set(finite(expectArray(npz, e.name, weightShape(e), path, meaning), path, e.name, e.index));
      const bias = fresh.bias[e.index];
      if (bias && npz.has(biasKey(e)))
        bias.set(finite(expectArray(npz, biasKey(e), [bias.length], path, `bias of ${e.name}`), path, biasKey(e), e.index));
      // A file without the bias had none: zero, not a fresh draw (training.init "pytorch" draws biases).
      else if (bias) bias.fill(0);
      const b = fresh.B[e.index];
      if (b && npz.has(feedbackKey(e)))
        b.data.set(
          finite(expectArray(npz, feedbackKey(e), [b.rows, b.cols], path, `random feedback of ${e.name}`), path, feedbackKey(e), e.index),
        );
    } catch (err) {
      if (err instanceof NpzError) {
        throw weightDiagnostic(
          path,
          `/edges/${e.index}`,
          err.detail,
          'fix the layer widths in the spec, or re-export the weights with the shapes above',
        );
      }
      throw err;
    }
  });
  return fresh;
}

/**
 * NaN or ±Inf in a weight file would train to all-NaN weights (and save them) or reach the compiler
 * as an internal invariant failure; refused here, naming the file, the array and the first entry.
 * A float64 value beyond float32's range counts too: it became Infinity when converted.
 */
function finite(a: Float32Array, file: string, key: string, edge: number): Float32Array {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) {
      let count = 0;
      for (let j = i; j < a.length; j++) if (!Number.isFinite(a[j])) count++;
      throw new SpecError([
        {
          code: 'FRE041',
          file,
          path: `/edges/${edge}`,
          message: `array '${key}' holds ${count} non-finite value${count === 1 ? '' : 's'} (the first, ${a[i]}, at flat index ${i})`,
          hint: 're-export weights that are all finite float32 values (a diverged training run writes NaN; np.nan_to_num or retraining fixes it)',
        },
      ]);
    }
  }
  return a;
}

function weightDiagnostic(file: string, path: string, message: string, hint: string): SpecError {
  return new SpecError([{ code: 'FRE040', file, path, message, hint }]);
}
