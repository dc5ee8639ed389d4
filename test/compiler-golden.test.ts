/**
 * Golden netlists: two tiny graphs compiled and printed in protobuf text form (as `protoc --decode`
 * prints them); any change to the compiler's output shows up as a diff of these files in review.
 * Rewrite them after an intended change with:
 *
 *   UPDATE_GOLDEN=1 npx jest test/compiler-golden
 */
import { testNeeding } from './needs';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeNetlist, encodeNetlist } from '../netlist/codec';
import { protoDir } from '../netlist/schema';
import { netlistToText } from '../netlist/text';
import { validateNetlist } from '../netlist/validate';
import { compile } from '../compiler/pipeline';
import { loadGraph } from '../graph/load';
import { resolveNet } from '../graph/net';
import { loadChip } from '../hw-models/load';
import { initParams } from '../graph/params';
import { makeRng } from '../util/rng';

const GOLDEN = join(__dirname, 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

function compileGolden(name: string): Uint8Array {
  const net = resolveNet(loadGraph(join(GOLDEN, `${name}.spec.json`)));
  const chip = loadChip(join(GOLDEN, `${name}.chip.json`));
  const params = initParams(net, makeRng(net.spec.training.seed));
  // A fixed producer version keeps the files stable across releases of the toolchain.
  const { netlist } = compile(net, chip, params, { wMax: { kind: 'max' }, specFile: `${name}.spec.json`, producerVersion: 'golden' });
  return encodeNetlist(netlist);
}

describe.each(['tiny-chain', 'tiny-agt'])('golden netlist %s', (name) => {
  const file = join(GOLDEN, `${name}.netlist.txtpb`);
  const bytes = compileGolden(name);
  const text = netlistToText(decodeNetlist(bytes));

  test('matches the golden text', () => {
    if (UPDATE || !existsSync(file)) {
      writeFileSync(file, text);
      if (!UPDATE) throw new Error(`${file} was missing and has been written; check it in and re-run`);
    }
    expect(text).toBe(readFileSync(file, 'utf8'));
  });

  test('is valid and compiles the same twice', () => {
    expect(validateNetlist(decodeNetlist(bytes), name).diagnostics).toEqual([]);
    expect(Buffer.from(compileGolden(name)).equals(Buffer.from(bytes))).toBe(true);
  });

  testNeeding([['protoc', ['--version']]], 'protobuf-compiler')('protoc --decode prints the golden text', () => {
    const r = spawnSync('protoc', ['-I', protoDir(), '--decode', 'fre.NetlistProto', 'netlist.proto'], {
      input: bytes,
      encoding: 'utf8',
      cwd: protoDir(),
    });
    expect(r.error).toBeUndefined();
    expect(r.stdout).toBe(text);
  });
});
