import { scheduleOps, utilisation, type TimedOp } from '../netlist/timing-engine';
import { chromeTrace } from '../simulator/timing/trace';

const op = (name: string, resources: string[], cycles: number, deps: number[] = [], kind = 'x'): TimedOp => ({
  name,
  kind,
  resources,
  cycles,
  deps,
});

describe('timing engine', () => {
  test('independent ops on different resources overlap; on one resource they serialise', () => {
    const r = scheduleOps([op('a', ['A'], 10), op('b', ['B'], 7), op('c', ['A'], 5)]);
    expect(Array.from(r.start)).toEqual([0, 0, 10]);
    expect(r.makespan).toBe(15);
    expect(utilisation(r).get('A')).toBe(1);
    expect(utilisation(r).get('B')).toBeCloseTo(7 / 15);
  });

  test('an op waits for its inputs and for all of its resources', () => {
    // read (array, 10) → adc (adc0, 4) → neuron (nu, 2); a second read queues on the array and
    // its adc waits for the adc to be free as well as for its own read.
    const ops = [
      op('read0', ['arr'], 10),
      op('adc0', ['adc'], 4, [0]),
      op('nu0', ['nu'], 2, [1]),
      op('read1', ['arr'], 10),
      op('adc1', ['adc'], 4, [3]),
      op('nu1', ['nu'], 2, [4, 2]),
    ];
    const r = scheduleOps(ops);
    expect(Array.from(r.start)).toEqual([0, 10, 14, 10, 20, 24]);
    expect(Array.from(r.end)).toEqual([10, 14, 16, 20, 24, 26]);
    expect(r.makespan).toBe(26);
    expect(r.cyclesByKind.get('x')).toBe(32);
  });

  test('rejects dependencies on later ops and negative cycles', () => {
    expect(() => scheduleOps([op('a', ['A'], 1, [1]), op('b', ['B'], 1)])).toThrow(/not earlier/);
    expect(() => scheduleOps([op('a', ['A'], -1)])).toThrow(/cycles/);
  });

  test('trace events: one per op and resource, microseconds at the clock', () => {
    const ops = [op('read', ['arr', 'dac'], 100, [], 'array-read'), op('adc', ['adc'], 50, [0], 'adc')];
    const r = scheduleOps(ops);
    const ev = chromeTrace(ops, r, 1e9, 'sample 0');
    const x = ev.filter((e) => e.ph === 'X');
    expect(x).toHaveLength(3);
    const adc = x.find((e) => e.name === 'adc')!;
    expect(adc.ts).toBeCloseTo(0.1); // 100 cycles at 1 GHz = 0.1 µs
    expect(adc.dur).toBeCloseTo(0.05);
    expect(new Set(x.map((e) => e.tid)).size).toBe(3);
  });
});
