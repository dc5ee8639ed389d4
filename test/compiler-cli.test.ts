/** End-to-end: the built `fre compile`, `fre inspect` and `fre validate`, their files, JSON and errors. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGraph } from '../graph/load';
import { resolveNet } from '../graph/net';
import { initParams } from '../graph/params';
import { saveParams } from '../graph/weights-file';
import { makeRng } from '../util/rng';

const ROOT = join(__dirname, '..');
const FRE = join(ROOT, 'dist', 'cli', 'main.js');
const SPEC = 'test/golden/tiny-chain.spec.json';
const CHIP = 'test/golden/tiny-chain.chip.json';

function fre(args: string[]) {
  return spawnSync(process.execPath, [FRE, ...args], { cwd: ROOT, encoding: 'utf8' });
}

const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at /);

describe('fre compile / inspect / validate (built CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fre-cli-cmp-'));
  const pb = join(dir, 'net.pb');
  const report = join(dir, 'report.json');

  beforeAll(() => {
    if (!existsSync(FRE)) throw new Error('dist/cli/main.js is missing: run `npx tsc -p .` (npm test does)');
  });

  test('compile writes the netlist and a report with the documented fields; --dump-after prints the IR', () => {
    const r = fre(['compile', SPEC, '--chip', CHIP, '-o', pb, '--report', report, '--dump-after', 'partition']);
    expect(r.stderr).toContain('fre compile tiny-chain for chip tiny-reram: 4/8 arrays');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('# IR after partition');
    const rep = JSON.parse(readFileSync(report, 'utf8'));
    expect(rep).toMatchObject({ arraysUsed: 4, arraysAvailable: 8, graph: 'tiny-chain', chip: 'tiny-reram' });
    expect(rep.coresUsed).toBe(2);
    expect(rep.edges.map((e: { name: string; arrays: number; rows: number; cols: number }) => [e.name, e.arrays, e.rows, e.cols])).toEqual([
      ['W0', 2, 4, 5],
      ['W1', 1, 3, 4],
      ['Wf', 1, 2, 3],
    ]);
    for (const k of ['arrayUtilisation', 'mesh', 'bytes', 'estimate']) expect(rep).toHaveProperty(k);
    expect(rep.estimate.cyclesPerInference).toBeGreaterThan(0);
  });

  test('validate accepts it (exit 0), and rejects it against another chip (exit 1, no stack)', () => {
    const ok = fre(['validate', pb]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('valid netlist (ir_version 2');
    const same = fre(['validate', pb, '--chip', CHIP]);
    expect(same.status).toBe(0);
    const bad = fre(['validate', pb, '--chip', 'reram']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('error NET011');
    expect(bad.stderr).toContain('crossbar.rows: netlist 4, reram 256');
    noStack(bad.stderr);
  });

  test('validate rejects a truncated file and a file that is not a netlist', () => {
    const cut = join(dir, 'cut.pb');
    writeFileSync(cut, readFileSync(pb).subarray(0, 200));
    const r = fre(['validate', cut]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${cut}: error NET002`);
    noStack(r.stderr);
    const missing = fre(['validate', join(dir, 'none.pb')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('error NET001');
  });

  test('inspect prints a readable summary, JSON, or the whole text form', () => {
    const r = fre(['inspect', pb]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('graph tiny-chain: T 3, K 2, beta_f 0.1, nudge held');
    expect(r.stdout).toMatch(/W0 +input->h1 +4x5 +none +2 arrays \(1x2\)/);
    const j = JSON.parse(fre(['inspect', pb, '--json']).stdout);
    expect(j.edges[1]).toMatchObject({ name: 'W1', feedback: 'symmetric', arrays: 1, beta: 0.1 });
    expect(j.phases.map((p: { name: string }) => p.name)).toEqual(['input', 'free', 'readout', 'error', 'nudged', 'update']);
    const t = fre(['inspect', pb, '--text']);
    // The CLI records the checkout's commit; the golden was compiled without one.
    expect(t.stdout.replace(/producer_commit: "[0-9a-f]{40}"/, 'producer_commit: "unknown"')).toBe(
      readFileSync(join(ROOT, 'test/golden/tiny-chain.netlist.txtpb'), 'utf8').replace(
        'producer_version: "golden"',
        `producer_version: "${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}"`,
      ),
    );
  });

  test('--weights programs the given weights; --external-data writes a side file', () => {
    const net = resolveNet(loadGraph(join(ROOT, SPEC)));
    const params = initParams(net, makeRng(123));
    params.W[0].data.fill(0.5);
    const w = join(dir, 'w.npz');
    saveParams(w, net, params);
    const out = join(dir, 'ext.pb');
    const r = fre(['compile', SPEC, '--chip', CHIP, '--weights', w, '-o', out, '--external-data', '--json']);
    expect(r.status).toBe(0);
    const rep = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(rep.edges[0].wMax).toBe(0.5);
    expect(rep.edges[0].maxError).toBe(0);
    expect(existsSync(`${out}.data`)).toBe(true);
    expect(rep.bytes.externalData).toBeGreaterThan(0);
    expect(fre(['validate', out]).status).toBe(0);
  });

  test('user errors: unknown preset, a net that does not fit, a bad --w-max — one message each, exit 1', () => {
    const a = fre(['compile', SPEC, '--chip', 'reramm', '-o', join(dir, 'x.pb')]);
    expect(a.status).toBe(1);
    expect(a.stderr).toContain('error HW003');
    expect(a.stderr).toContain('did you mean "reram"');
    const small = join(dir, 'small.json');
    writeFileSync(small, JSON.stringify({ base: 'reram', noc: { meshWidth: 1, meshHeight: 1, arraysPerCore: 4 } }));
    const b = fre(['compile', 'examples/mnist-3hl.json', '--chip', small, '-o', join(dir, 'y.pb')]);
    expect(b.status).toBe(1);
    expect(b.stderr).toContain('error CMP001');
    expect(b.stderr).toContain('needs 18 arrays');
    expect(b.stderr).toContain('fix: use a bigger mesh');
    const c = fre(['compile', SPEC, '--chip', CHIP, '-o', join(dir, 'z.pb'), '--w-max', 'p200']);
    expect(c.status).toBe(1);
    expect(c.stderr).toContain('error CMP004');
    for (const s of [a.stderr, b.stderr, c.stderr]) noStack(s);
  });
});
