/**
 * The runs of a sweep, in a fixed order, and their slicing into shards.
 *
 * Order: points in row-major order over the axes as listed (the first axis varies slowest), and
 * for each point the seeds as listed. Run index r = point × (number of seeds) + seed position.
 * Shard i of n (0-based, i = 0 … n−1) holds the runs with r mod n = i — deterministic, disjoint,
 * together the whole grid, and each shard gets a mix of points (so similar amounts of work).
 */
import { canonicalJson } from './canonical';
import { pointCount, pointIndex, pointValues, runConfig, type PointIndex, type SweepDef } from './definition';
import type { RunConfig } from './runner';

export interface Run {
  index: number;
  point: Record<string, unknown>;
  pointIndex: PointIndex;
  seed: number;
  method: string;
  key: string;
}

export interface Shard {
  index: number;
  count: number;
}

/** The identity of a run in results files: its point (axis values), seed and method. */
export function runKey(point: Record<string, unknown>, seed: number, method: string): string {
  return canonicalJson({ point, seed, method });
}

export function runCount(def: SweepDef): number {
  return pointCount(def) * def.seeds.length;
}

export function enumerateRuns(def: SweepDef): Run[] {
  const runs: Run[] = [];
  const points = pointCount(def);
  for (let p = 0; p < points; p++) {
    const idx = pointIndex(def, p);
    const point = pointValues(def, idx);
    const methodAxis = def.axes.findIndex((a) => a.kind === 'method');
    const method = methodAxis >= 0 ? (def.axes[methodAxis].values[idx[methodAxis]] as string) : def.method;
    def.seeds.forEach((seed) => {
      runs.push({ index: runs.length, point, pointIndex: idx, seed, method, key: runKey(point, seed, method) });
    });
  }
  return runs;
}

export function inShard(index: number, shard: Shard | undefined): boolean {
  return shard === undefined || index % shard.count === shard.index;
}

export function shardRuns(runs: Run[], shard: Shard | undefined): Run[] {
  return runs.filter((r) => inShard(r.index, shard));
}

/** "I/N" with 0 ≤ I < N; null when malformed. */
export function parseShard(text: string): Shard | null {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) return null;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index >= count) return null;
  return { index, count };
}

export function configOf(def: SweepDef, run: Run): RunConfig {
  return runConfig(def, run.pointIndex, run.seed);
}
