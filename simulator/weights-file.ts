/**
 * Weights in and out as NumPy .npz: one array per edge, named by the edge, shape [rows, cols] =
 * [size of `to`, size of `from`] (PyTorch's Linear layout, so `model.fc.weight.numpy()` drops in);
 * fixed random feedback matrices as `<edge>.feedback`, shape [cols, rows].
 */
import { SpecError } from '../graph/diagnostics';
import { nodeName, type Net } from '../graph/net';
import { NpzError } from '../io/npy';
import { readNpz, writeNpz } from '../io/npz';
import { expectArray } from '../io/weights';
import type { Rng } from '../util/rng';
import { feedbackKey, initParams, type Params } from './engine/params';

export function saveParams(path: string, net: Net, params: Params): void {
  const entries = new Map<string, { data: Float32Array; shape: number[] }>();
  net.edges.forEach((e) => {
    entries.set(e.name, { data: params.W[e.index].data, shape: [e.rows, e.cols] });
    const b = params.B[e.index];
    if (b) entries.set(feedbackKey(e), { data: b.data, shape: [b.rows, b.cols] });
  });
  writeNpz(path, entries);
}

/**
 * Parameters from a weight file. Every edge's W must be present with the right shape; a random
 * feedback matrix absent from the file is drawn from the seed as in a fresh run.
 */
export function loadParams(path: string, net: Net, rng: Rng): Params {
  const fresh = initParams(net, rng);
  let npz;
  try {
    npz = readNpz(path);
  } catch (err) {
    if (err instanceof NpzError) throw weightDiagnostic(path, '', err.message, 'pass a .npz written by `fre train --save` or numpy.savez');
    throw err;
  }
  net.edges.forEach((e) => {
    const meaning = `edge ${e.name}: ${nodeName(net, e.from)} -> ${nodeName(net, e.to)}, rows = size of ${nodeName(net, e.to)}, cols = size of ${nodeName(net, e.from)}`;
    try {
      fresh.W[e.index].data.set(expectArray(npz, e.name, [e.rows, e.cols], path, meaning));
      const b = fresh.B[e.index];
      if (b && npz.has(feedbackKey(e))) b.data.set(expectArray(npz, feedbackKey(e), [b.rows, b.cols], path, `random feedback of ${e.name}`));
    } catch (err) {
      if (err instanceof NpzError) {
        throw weightDiagnostic(path, `/edges/${e.index}`, err.message, 'fix the layer widths in the spec, or re-export the weights with the shapes above');
      }
      throw err;
    }
  });
  return fresh;
}

function weightDiagnostic(file: string, path: string, message: string, hint: string): SpecError {
  return new SpecError([{ code: 'FRE040', file, path, message, hint }]);
}
