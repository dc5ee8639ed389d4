/**
 * The op registry (netlist/ops.ts) is the one definition of every op: the op table in
 * docs/netlist.md is generated from it, every op type the netlist may hold is defined there, and the
 * compiler's ops carry exactly the resources and actions the registry derives from their operands.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../compiler/pipeline';
import { loadGraph } from '../graph/load';
import { resolveNet } from '../graph/net';
import { initParams } from '../graph/params';
import { PRESETS } from '../hw-models/presets';
import { OPS, opTableMarkdown, type OpContext } from '../netlist/ops';
import { OP_TYPES } from '../netlist/types';
import { makeRng } from '../util/rng';

const DOC = join(__dirname, '..', 'docs', 'netlist.md');
const BEGIN = '<!-- op-table:begin -->';
const END = '<!-- op-table:end -->';

test('docs/netlist.md holds the op table generated from the registry', () => {
  let doc = readFileSync(DOC, 'utf8');
  const table = `${BEGIN}\n${opTableMarkdown()}\n${END}`;
  const current = doc.slice(doc.indexOf(BEGIN), doc.indexOf(END) + END.length);
  if (process.env.UPDATE_DOCS === '1') {
    doc = doc.replace(current, table);
    writeFileSync(DOC, doc);
  }
  expect(current).toBe(table);
});

test('every op type of the op set has one definition, and nothing else is defined', () => {
  expect(Object.keys(OPS).sort()).toEqual([...OP_TYPES].sort());
});

test.each(['mnist-10l-agt.json', 'mnist-conv.json'])(
  "the compiled schedule of %s carries exactly the registry's resources and actions",
  (spec) => {
    const net = resolveNet(loadGraph(join(__dirname, '..', 'examples', spec)));
    const chip = PRESETS[spec.includes('conv') ? 'ideal' : 'sram-8b'];
    const n = compile(net, chip, initParams(net, makeRng(0)), { wMax: { kind: 'max' }, specFile: spec, producerVersion: 'test' }).netlist;
    const ctx: OpContext = { chip, routePath: (r) => n.routes[r]?.path };
    let ops = 0;
    for (const ph of n.schedule!.phases) {
      for (const op of ph.ops) {
        const def = OPS[op.opType as keyof typeof OPS];
        expect(def.resources(op, ctx)).toEqual(op.resources);
        expect(def.actions(op, ctx)).toEqual(op.actions);
        ops++;
      }
    }
    expect(ops).toBeGreaterThan(100);
  },
);
