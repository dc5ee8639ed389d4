/**
 * Hostile netlists: 160 damaged files, generated from one seed — truncations, bit flips, NaN/Inf in
 * normative numbers, out-of-range fields and dangling references — against the checker that
 * `fre simulate` and `fre inspect` run first. Every one must end in a coded NET diagnostic (a
 * NetlistError naming a field and a fix), never another exception; damage that leaves a valid netlist
 * (a bit flip in a conductance level or a label) must then simulate to finite outputs. A sample of
 * each family also goes through the built CLI: exit 1, a NET code, no stack trace.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile } from '../compiler/pipeline';
import { initParams } from '../graph/params';
import { DiagnosticsError } from '../hw-models/diagnostics';
import { resolveChipObject } from '../hw-models/load';
import { decodeNetlist, encodeNetlist } from '../netlist/codec';
import { NetlistError } from '../netlist/diagnostics';
import type { NetlistMsg } from '../netlist/types';
import { readValidNetlist } from '../netlist/validate';
import { makeInterpreter } from '../simulator/chip/run';
import { selectKernels } from '../simulator/kernels/select';
import { makeRng, type Rng } from '../util/rng';
import { chainNet } from './helpers/nets';

const ROOT = join(__dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'fre-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CHIP = resolveChipObject(
  {
    base: 'reram',
    name: 'tiny-reram',
    crossbar: { rows: 4, cols: 4, levels: 16 },
    periphery: { adc: { linesPerAdc: 2 } },
    noc: { meshWidth: 2, meshHeight: 2, arraysPerCore: 2 },
  },
  'tiny.json',
);
const net = chainNet([5, 4, 3], 2, { betaI: 0.1, betaF: 0.1, T: 3, K: 2 });
const good: NetlistMsg = compile(net, CHIP, initParams(net, makeRng(1)), {
  wMax: { kind: 'max' },
  specFile: 'tiny',
  producerVersion: 'test',
}).netlist;
const bytes = encodeNetlist(good);
const kernels = selectKernels('reference');

type Damage = { family: string; what: string; file: string; invalid: boolean };

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng.uniform() * xs.length)];
const int = (rng: Rng, n: number): number => Math.floor(rng.uniform() * n);

/** Every op of the schedule with its path, for the op-level damage. */
function allOps(n: NetlistMsg) {
  return n.schedule!.phases.flatMap((ph) => ph.ops);
}

const NAN_SITES: ((n: NetlistMsg, v: number, rng: Rng) => string)[] = [
  (n, v, r) => {
    const a = int(r, n.arrays.length);
    n.arrays[a].gains!.forward = v;
    return `arrays.${a}.gains.forward`;
  },
  (n, v, r) => {
    const a = n.arrays.findIndex((x) => x.gains!.transposed !== 0);
    n.arrays[a].gains!.transposed = v;
    void r;
    return `arrays.${a}.gains.transposed`;
  },
  (n, v, r) => {
    const e = int(r, n.edges.length);
    n.edges[e].alpha = v;
    return `edges.${e}.alpha`;
  },
  (n, v, r) => {
    const e = int(r, n.edges.length);
    n.edges[e].beta = v;
    return `edges.${e}.beta`;
  },
  (n, v, r) => {
    const e = int(r, n.edges.length);
    n.edges[e].weights!.wMax = v;
    return `edges.${e}.weights.w_max`;
  },
  (n, v) => {
    n.dynamics!.betaF = v;
    return 'dynamics.beta_f';
  },
  (n, v, r) => {
    const e = int(r, n.edges.length);
    n.trainingInfo!.edgeLr[e] = v;
    return `training_info.edge_lr.${e}`;
  },
  (n, v) => {
    n.trainingInfo!.eps = v;
    return 'training_info.eps';
  },
  (n, v, r) => {
    const g = 1 + int(r, n.groups.length - 2);
    n.groups[g].stateStep = v;
    return `groups.${g}.state_step`;
  },
  (n, v, r) => {
    const ops = allOps(n).filter((o) => o.opType === 'Accumulate' && o.source === 'OPERAND_PARTIAL_SUM');
    const o = pick(r, ops);
    o.gain = v;
    return `op ${o.label}.gain`;
  },
];

const RANGE_SITES: ((n: NetlistMsg, rng: Rng) => string)[] = [
  (n) => {
    n.schedule!.phases[1].repeat = 0;
    return 'free repeat 0';
  },
  (n) => {
    n.schedule!.phases[1].repeat = 2 ** 31;
    n.dynamics!.freeSteps = 2 ** 31;
    n.groups.forEach((g) => {
      g.freeSteps = 2 ** 31;
    });
    return 'T = 2^31 everywhere';
  },
  (n) => {
    n.schedule!.phases[4].repeat = 0;
    n.dynamics!.nudgedSteps = 0;
    n.groups.forEach((g) => {
      g.nudgedSteps = 0;
    });
    return 'K = 0 everywhere';
  },
  (n) => {
    n.schedule!.phases[2].repeat = 3;
    return 'readout repeat 3';
  },
  (n) => {
    n.dynamics!.freeSteps += 1;
    return 'dynamics T ≠ phase repeat';
  },
  (n) => {
    n.trainingInfo!.batchSize = 0;
    return 'batch 0';
  },
  (n) => {
    n.trainingInfo!.batchSize = 1e9;
    return 'batch 1e9';
  },
  (n, r) => {
    const g = int(r, n.groups.length);
    n.groups[g].size = 0;
    return `group ${g} size 0`;
  },
  (n, r) => {
    const g = int(r, n.groups.length);
    n.groups[g].size = 2 ** 31;
    return `group ${g} size 2^31`;
  },
  (n) => {
    n.groups[1].activation = 'ACTIVATION_SOFTMAX';
    return 'hidden softmax';
  },
  (n) => {
    n.groups[1].shape = [2, 2, 2];
    return 'shape 2×2×2 on 4 units';
  },
  (n) => {
    n.dynamics!.nudge = 'NUDGE_MODE_UNSPECIFIED';
    return 'nudge unspecified';
  },
  (n) => {
    n.dynamics!.readoutGroup = 1;
    return 'readout group 1';
  },
  (n, r) => {
    const a = int(r, n.arrays.length);
    n.arrays[a].gPlus!.rawData[0] = 200;
    return `level 200 in array ${a}`;
  },
  (n, r) => {
    const a = int(r, n.arrays.length);
    n.arrays[a].gPlus!.dims = [9, 9];
    return `array ${a} dims 9×9`;
  },
  (n, r) => {
    const a = int(r, n.arrays.length);
    n.arrays[a].rowEnd += 3;
    return `array ${a} rows beyond the matrix`;
  },
  (n) => {
    n.trainingInfo!.momentum = 1.5;
    return 'momentum 1.5';
  },
  (n) => {
    n.trainingInfo!.edgeLr.pop();
    return 'one learning rate short';
  },
  (n) => {
    n.schedule!.phases.reverse();
    return 'phases reversed';
  },
  (n) => {
    n.opsetImport = [];
    return 'no op set';
  },
  (n, r) => {
    const o = pick(r, allOps(n));
    o.resources = [...o.resources, 'array:0'];
    return `op ${o.label} extra resource`;
  },
  (n, r) => {
    const o = pick(r, allOps(n));
    o.actions = o.actions.map((a) => ({ ...a, count: a.count + 1 }));
    return `op ${o.label} action count + 1`;
  },
  (n, r) => {
    const ops = allOps(n).filter((o) => o.opType === 'ArrayRead');
    const o = pick(r, ops);
    o.lines += 1;
    return `read ${o.label} lines + 1`;
  },
  (n) => {
    n.edges[0].bias = [1, 2];
    return 'bias of 2 entries on a 4-row edge';
  },
  (n, r) => {
    const o = pick(r, allOps(n));
    o.deps = [o.id + 1];
    return `op ${o.label} depends on a later op`;
  },
  (n) => {
    n.arrays[0].gains!.forward = 1e9;
    return 'gain 1e9';
  },
];

const REF_SITES: ((n: NetlistMsg, rng: Rng) => string)[] = [
  (n, r) => {
    const o = pick(
      r,
      allOps(n).filter((x) => x.opType === 'ArrayRead'),
    );
    o.array = 999;
    return 'read of array 999';
  },
  (n, r) => {
    const o = pick(
      r,
      allOps(n).filter((x) => x.opType === 'NeuronUpdate'),
    );
    o.group = 77;
    return 'update of group 77';
  },
  (n, r) => {
    const o = pick(
      r,
      allOps(n).filter((x) => x.opType === 'Accumulate' && x.source === 'OPERAND_PARTIAL_SUM'),
    );
    o.reduction = 500;
    return 'accumulate into reduction 500';
  },
  (n, r) => {
    const ops = allOps(n).filter((x) => x.opType === 'Send');
    if (!ops.length) {
      n.routes = [];
      return 'no routes';
    }
    const o = pick(r, ops);
    o.route = 60;
    return 'send on route 60';
  },
  (n, r) => {
    const e = int(r, n.edges.length);
    n.edges[e].fromGroup = 40;
    return `edge ${e} from group 40`;
  },
  (n, r) => {
    const a = int(r, n.arrays.length);
    n.arrays[a].edge = 12;
    return `array ${a} of edge 12`;
  },
  (n, r) => {
    const a = int(r, n.arrays.length);
    n.arrays[a].core = 3000;
    return `array ${a} on core 3000`;
  },
  (n, r) => {
    const d = int(r, n.reductions.length);
    n.reductions[d].arrays.push(4000);
    return `reduction ${d} names array 4000`;
  },
  (n, r) => {
    const o = pick(
      r,
      allOps(n).filter((x) => x.opType === 'OuterProductUpdate'),
    );
    o.postGroup = 0;
    return 'update with the input as post';
  },
  (n, r) => {
    const o = pick(
      r,
      allOps(n).filter((x) => x.opType === 'ArrayReadTransposed'),
    );
    o.opType = 'ArrayRead';
    return 'transposed read turned forward';
  },
  (n, r) => {
    const o = pick(
      r,
      allOps(n).filter((x) => x.opType === 'Accumulate' && x.source === 'OPERAND_PARTIAL_SUM'),
    );
    o.array = (o.array + 1) % n.arrays.length;
    return 'accumulate of another array';
  },
  (n) => {
    n.chip = null;
    return 'no chip';
  },
  (n) => {
    n.dynamics = null;
    return 'no dynamics';
  },
  (n, r) => {
    const e = int(r, n.edges.length);
    n.edges[e].arrays = [321];
    return `edge ${e} lists array 321`;
  },
  (n, r) => {
    const o = pick(
      r,
      allOps(n).filter((x) => x.opType === 'OuterProductUpdate'),
    );
    o.array = n.arrays.findIndex((a) => !a.trainable || a.role !== 'ARRAY_ROLE_WEIGHT');
    if (o.array < 0) o.array = 555;
    return 'update of an untrainable array';
  },
];

function damaged(): Damage[] {
  const rng = makeRng(20261130);
  const out: Damage[] = [];
  const write = (family: string, what: string, b: Uint8Array, invalid: boolean) => {
    const file = join(dir, `${family}-${out.length}.pb`);
    writeFileSync(file, b);
    out.push({ family, what, file, invalid });
  };
  const mutate = (f: (n: NetlistMsg) => string): { what: string; b: Uint8Array } => {
    const n = structuredClone(good);
    const what = f(n);
    return { what, b: encodeNetlist(n) };
  };
  for (let i = 0; i < 30; i++) {
    const k = int(rng, bytes.length);
    write('truncation', `first ${k} of ${bytes.length} bytes`, new Uint8Array(bytes.subarray(0, k)), false);
  }
  for (let i = 0; i < 40; i++) {
    const b = new Uint8Array(bytes);
    const flips = 1 + int(rng, 3);
    for (let f = 0; f < flips; f++) b[int(rng, b.length)] ^= 1 << int(rng, 8);
    write('bit-flip', `${flips} bit(s)`, b, false);
  }
  for (let i = 0; i < 30; i++) {
    const v = pick(rng, [NaN, Infinity, -Infinity]);
    const { what, b } = mutate((n) => NAN_SITES[i % NAN_SITES.length](n, v, rng));
    write('nan-inf', `${what} = ${v}`, b, true);
  }
  for (let i = 0; i < 30; i++) {
    const { what, b } = mutate((n) => RANGE_SITES[i % RANGE_SITES.length](n, rng));
    write('out-of-range', what, b, true);
  }
  for (let i = 0; i < 30; i++) {
    const { what, b } = mutate((n) => REF_SITES[i % REF_SITES.length](n, rng));
    write('dangling-reference', what, b, true);
  }
  return out;
}

const cases = damaged();

describe('160 hostile netlists against the checker', () => {
  test('there are at least 150, in five families', () => {
    expect(cases.length).toBeGreaterThanOrEqual(150);
    expect(new Set(cases.map((c) => c.family)).size).toBe(5);
  });

  test.each(cases.map((c) => [c.family, c.what, c] as const))('%s: %s', (_f, _w, c) => {
    let netlist: NetlistMsg | null = null;
    try {
      netlist = readValidNetlist(c.file).netlist;
    } catch (err) {
      // A clean refusal: coded diagnostics naming a field and a fix; nothing else may escape.
      expect(err).toBeInstanceOf(NetlistError);
      const ds = (err as DiagnosticsError).diagnostics;
      expect(ds.length).toBeGreaterThan(0);
      for (const d of ds) {
        expect(d.code).toMatch(/^NET\d{3}$/);
        expect(d.file).toBe(c.file);
        expect(d.hint.length).toBeGreaterThan(0);
      }
      return;
    }
    // Accepted: only damage that leaves a valid netlist may get here, and it must run to finite outputs.
    expect(c.invalid).toBe(false);
    const it = makeInterpreter(netlist!, 1, kernels, 4);
    const x = new Float32Array(4 * 5).map((_, i) => ((i * 7) % 11) / 11);
    const logits = it.infer(x, 4);
    for (let i = 0; i < 4 * 2; i++) expect(Number.isFinite(logits[i])).toBe(true);
  });
});

describe('the built CLI on hostile netlists', () => {
  const cli = join(ROOT, 'dist', 'cli', 'main.js');
  const sample = ['nan-inf', 'out-of-range', 'dangling-reference']
    .flatMap((f) => cases.filter((c) => c.family === f).slice(0, 3))
    .concat(cases.filter((c) => c.family === 'truncation' && c.what.startsWith('first 1')).slice(0, 1));
  test.each(
    sample
      .flatMap(
        (c) =>
          [
            ['simulate', c],
            ['inspect', c],
          ] as const,
      )
      .map(([cmd, c]) => [cmd, c.family, c.what, c] as const),
  )('fre %s on %s (%s): exit 1, a NET code, no stack trace', (cmd, _f, _w, c) => {
    const r = spawnSync(process.execPath, [cli, cmd, c.file], { encoding: 'utf8', timeout: 60000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/NET\d{3}/);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});

test('the undamaged netlist passes (the suite can tell good from bad)', () => {
  const f = join(dir, 'good.pb');
  writeFileSync(f, bytes);
  expect(readValidNetlist(f).netlist.edges.length).toBe(good.edges.length);
  expect(decodeNetlist(bytes).irVersion).toBe(2);
});
