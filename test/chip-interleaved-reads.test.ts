/**
 * A netlist that reads one array twice before it converts the first read (found reviewing read8): the array's lines
 * hold one read until an AdcConvert takes it — the interpreter's sequential path keeps one partial-sum buffer per
 * array, so the second read would overwrite the first (a RangeError for a non-square array, other bytes, silently,
 * for a square one). The validator rejects that order (NET040, naming the op whose read is still unconverted); the
 * compiler never emits it (every examples/*.json on ideal, reram and pcm).
 */
import { compile } from '../compiler/pipeline';
import { initParams } from '../graph/params';
import { PRESETS } from '../hw-models/presets';
import type { NetlistMsg } from '../netlist/types';
import { validateNetlist } from '../netlist/validate';
import { makeRng } from '../util/rng';
import { chainNet } from './helpers/nets';

const batch = 8;
// The hidden edge h1 → h2 is 32 × 32: its forward and transposed reads have the same shape, so nothing throws.
const net = chainNet([64, 32, 32, 10], 10, { betaI: 0.01, betaF: 0.1, T: 3, K: 2, batch });
const compiled = compile(net, PRESETS.ideal, initParams(net, makeRng(5)), {
  wMax: { kind: 'max' },
  specFile: 'test',
  producerVersion: 'test',
}).netlist;

/** The free phase with the square array's two reads first, then their conversions and accumulations in order:
 *  the same program (no op between writes what either read reads). */
function interleaved(n: NetlistMsg): NetlistMsg {
  const c = structuredClone(n);
  const ph = c.schedule!.phases.find((p) => p.kind === 'PHASE_KIND_FREE')!;
  const ops = ph.ops;
  const square = c.arrays.findIndex((a) => a.rowEnd - a.rowBegin === a.colEnd - a.colBegin);
  const f = ops.findIndex((o) => o.opType === 'ArrayRead' && o.array === square);
  const t = ops.findIndex((o) => o.opType === 'ArrayReadTransposed' && o.array === square);
  // Compiled: read, convert, accumulate for each.
  expect([ops[f + 1].opType, ops[f + 2].opType, ops[t + 1].opType, ops[t + 2].opType]).toEqual([
    'AdcConvert',
    'Accumulate',
    'AdcConvert',
    'Accumulate',
  ]);
  const moved = [f, t, f + 1, f + 2, t + 1, t + 2];
  const order = ops.map((_, i) => i).filter((i) => !moved.includes(i));
  order.splice(Math.min(f, t), 0, ...moved);
  const at = new Map(order.map((old, k) => [old, k]));
  ph.ops = order.map((old, k) => ({ ...ops[old], id: k, deps: ops[old].deps.map((d) => at.get(d)!).sort((a, b) => a - b) }));
  return c;
}

test('the compiled order is valid; two reads of one array before their conversions are NET040, naming the first read', () => {
  expect(validateNetlist(compiled, 'compiled').diagnostics).toEqual([]);
  const d = validateNetlist(interleaved(compiled), 'interleaved').diagnostics;
  expect(d).toHaveLength(1);
  expect(d[0].code).toBe('NET040');
  expect(d[0].message).toMatch(/reads array \d+ again before op \d+'s read of it is converted/);
  expect(d[0].hint).toMatch(/AdcConvert of array \d+ before this read/);
});
