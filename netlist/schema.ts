/**
 * The protobuf schema at run time: proto/netlist.proto (and chip.proto) loaded once with
 * protobufjs. The .proto files are the single definition — no generated code to keep in step.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';
import { provenance } from '../util/provenance';

let root: protobuf.Root | undefined;

/** proto/ at the repository root, found from this file both in the sources and in dist/. */
export function protoDir(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const cand = path.join(dir, 'proto');
    if (existsSync(path.join(cand, 'netlist.proto'))) return cand;
    dir = path.dirname(dir);
  }
  throw new Error(`proto/netlist.proto not found above ${__dirname}`);
}

export function schemaRoot(): protobuf.Root {
  root ??= protobuf.loadSync(path.join(protoDir(), 'netlist.proto'));
  return root;
}

export function netlistType(): protobuf.Type {
  return schemaRoot().lookupType('fre.NetlistProto');
}

/** The toolchain's version (package.json), written as the netlist's producer_version. */
export function producerVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(path.dirname(protoDir()), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The checkout's git commit (netlist producer_commit), "unknown" outside fre's own git checkout. */
export function producerCommit(): string {
  return provenance('').commit;
}
