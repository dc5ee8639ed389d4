/**
 * The dataset of a run, as every runner loads it: the same call (and so the same samples) as
 * `fre train` / `fre run`, the synthetic set seeded by the run seed. A worker runs many points on
 * the same data, so the two most recent datasets are kept.
 */
import { loadNetData } from '../datasets/net-data';
import type { DataSplit } from '../datasets/dataset';
import type { Net } from '../graph/net';
import type { RunConfig } from './runner';

const dataCache = new Map<string, DataSplit>();

export function dataFor(net: Net, config: RunConfig): DataSplit {
  const name = net.spec.data?.dataset ?? 'mnist';
  const key = JSON.stringify([
    name,
    config.data.dataDir ?? null,
    name === 'synthetic' ? config.seed : null,
    config.data.trainLimit ?? null,
    config.data.testLimit ?? null,
    net.inputSize,
    net.classes,
  ]);
  let data = dataCache.get(key);
  if (!data) {
    // Same call (and so the same samples) as `fre train`: the synthetic set is seeded by the run seed.
    data = loadNetData(net, `graph "${net.spec.name}"`, { ...config.data, seed: config.seed });
    if (dataCache.size >= 2) dataCache.delete(dataCache.keys().next().value!);
    dataCache.set(key, data);
  }
  return data;
}
