/**
 * The calibration batch for the compiler's ADC ranges (compiler/passes/calibrate.ts): the software
 * engine's free-phase fixed point on the first N training samples — the input x, every hidden
 * layer's s⁰ and the output error e⁰ = y − p⁰ — i.e. the values the arrays are driven with when
 * the programmed weights run. The compiler runs no engine, so callers (fre compile, fre run, the
 * chip sweep runner) make the batch here and pass it in. Structurally the compiler's
 * CalibrationBatch (the simulator does not import the compiler).
 */
import type { Dataset } from '../datasets/dataset';
import type { Net } from '../graph/net';
import type { Params } from '../graph/params';
import type { Kernels } from './kernels/kernels';
import { EpEngine } from './engine/ep';
import { IdealExecutor } from './ideal-executor';
import { gatherBatch } from './train';

export interface CalibrationInputs {
  count: number;
  /** By group: 0 = input x, 1…L = hidden s⁰; [count × size]. */
  states: Float32Array[];
  /** [count × classes]. */
  error: Float32Array;
  source: string;
}

export function calibrationInputs(
  net: Net,
  params: Params,
  train: Dataset,
  samples: number,
  kernels: Kernels,
  batch = 100,
): CalibrationInputs {
  const n = Math.min(samples, train.count);
  const engine = new EpEngine(net, new IdealExecutor(params, kernels), batch, params.bias ?? []);
  const D = net.inputSize;
  const C = net.classes;
  const states = [new Float32Array(n * D), ...net.layers.map((l) => new Float32Array(n * l.size))];
  const error = new Float32Array(n * C);
  const x = new Float32Array(batch * D);
  const y = new Float32Array(batch * C);
  for (let s = 0; s < n; s += batch) {
    const m = Math.min(batch, n - s);
    gatherBatch(train, null, s, m, x, y);
    // step() with no gradient slots: the free phase (and a nudged phase whose updates go nowhere).
    const { probs } = engine.step(x, y, m, []);
    states[0].set(x.subarray(0, m * D), s * D);
    net.layers.forEach((l, j) => states[j + 1].set(engine.freeState(j).subarray(0, m * l.size), s * l.size));
    for (let i = 0; i < m * C; i++) error[s * C + i] = y[i] - probs[i];
  }
  return { count: n, states, error, source: `${train.name} train[0:${n})` };
}
