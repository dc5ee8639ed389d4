/**
 * The cycle-level timing engine (docs/ARCHITECTURE.md, "Timing is data-independent"): each op occupies named
 * resources (an array, an ADC group, a neuron unit, a router link, …) for a number of cycles; it
 * starts when all its inputs are done and all its resources are free. Latency lives here, in the
 * engine, never in the ops (SST/gem5 style). Ops are issued in list order (the netlist schedule is
 * topological), each resource serving its ops in that order: deterministic and exact for a fixed
 * schedule, so it runs once per schedule while the numerics run batched.
 */

export interface TimedOp {
  /** Human-readable name (trace label), e.g. "read W1[0,0] free t3". */
  name: string;
  /** Category for reports and trace colouring, e.g. "array-read", "adc", "neuron", "hop". */
  kind: string;
  /** Named resources held for the whole duration. */
  resources: string[];
  cycles: number;
  /** Indices (into the op list) of ops whose results this op needs; all earlier in the list. */
  deps: number[];
}

export interface TimingResult {
  start: Float64Array;
  end: Float64Array;
  /** Cycle at which the last op ends. */
  makespan: number;
  /** Busy cycles per resource. */
  busy: Map<string, number>;
  /** Busy cycles per op kind (summed over ops). */
  cyclesByKind: Map<string, number>;
}

export function scheduleOps(ops: readonly TimedOp[], startCycle = 0): TimingResult {
  const n = ops.length;
  const start = new Float64Array(n);
  const end = new Float64Array(n);
  const free = new Map<string, number>();
  const busy = new Map<string, number>();
  const cyclesByKind = new Map<string, number>();
  let makespan = startCycle;
  for (let i = 0; i < n; i++) {
    const op = ops[i];
    if (!(op.cycles >= 0)) throw new Error(`op ${i} (${op.name}): cycles must be ≥ 0, got ${op.cycles}`);
    let t = startCycle;
    for (const d of op.deps) {
      if (d < 0 || d >= i) throw new Error(`op ${i} (${op.name}) depends on op ${d}, which is not earlier in the schedule`);
      if (end[d] > t) t = end[d];
    }
    for (const r of op.resources) {
      const f = free.get(r) ?? startCycle;
      if (f > t) t = f;
    }
    start[i] = t;
    end[i] = t + op.cycles;
    for (const r of op.resources) {
      free.set(r, end[i]);
      busy.set(r, (busy.get(r) ?? 0) + op.cycles);
    }
    cyclesByKind.set(op.kind, (cyclesByKind.get(op.kind) ?? 0) + op.cycles);
    if (end[i] > makespan) makespan = end[i];
  }
  return { start, end, makespan: makespan - startCycle, busy, cyclesByKind };
}

/** Fraction of the makespan each resource was busy, for the utilisation report. */
export function utilisation(r: TimingResult): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, b] of r.busy) out.set(name, r.makespan > 0 ? b / r.makespan : 0);
  return out;
}
