/**
 * Chrome trace format (the JSON that chrome://tracing and Perfetto open): one complete event
 * ('ph': 'X') per op and resource it holds, one track (tid) per resource, time in microseconds at
 * the chip clock.
 */
import type { TimedOp, TimingResult } from '../../netlist/timing-engine';

export interface TraceEvent {
  name: string;
  cat: string;
  ph: 'X' | 'M';
  ts?: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: Record<string, unknown>;
}

export function chromeTrace(
  ops: readonly TimedOp[],
  timing: TimingResult,
  clockHz: number,
  label: string,
  pid = 1,
  offsetCycles = 0,
): TraceEvent[] {
  const us = 1e6 / clockHz;
  const tids = new Map<string, number>();
  const events: TraceEvent[] = [{ name: 'process_name', ph: 'M', pid, tid: 0, cat: '', args: { name: label } }];
  const tid = (r: string): number => {
    let t = tids.get(r);
    if (t === undefined) {
      t = tids.size + 1;
      tids.set(r, t);
      events.push({ name: 'thread_name', ph: 'M', pid, tid: t, cat: '', args: { name: r } });
    }
    return t;
  };
  ops.forEach((op, i) => {
    for (const r of op.resources) {
      events.push({
        name: op.name,
        cat: op.kind,
        ph: 'X',
        pid,
        tid: tid(r),
        ts: (offsetCycles + timing.start[i]) * us,
        dur: op.cycles * us,
        args: { cycles: op.cycles, startCycle: offsetCycles + timing.start[i] },
      });
    }
  });
  return events;
}
