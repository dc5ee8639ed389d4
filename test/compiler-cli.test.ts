/** End-to-end: the built `fre compile`, `fre inspect` and `fre validate`, their files, JSON and errors. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGraph } from '../graph/load';
import { resolveNet } from '../graph/net';
import { initParams } from '../graph/params';
import { saveParams } from '../graph/weights-file';
import { makeRng } from '../util/rng';
import { arrayRuns } from '../cli/inspect-command';
import type { NetlistMsg } from '../netlist/types';

const ROOT = join(__dirname, '..');
const FRE = join(ROOT, 'dist', 'cli', 'main.js');
const SPEC = 'test/golden/tiny-chain.spec.json';
const CHIP = 'test/golden/tiny-chain.chip.json';

function fre(args: string[]) {
  return spawnSync(process.execPath, [FRE, ...args], { cwd: ROOT, encoding: 'utf8' });
}

const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at /);

/** Runs the CLI with its stdout (or stderr, or both) read by a reader that closes at once (`fre … | head -0`). */
function freIntoClosedPipe(
  args: string[],
  closed: 'stdout' | 'stderr' | 'both' = 'stdout',
): Promise<{ status: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [FRE, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    if (closed !== 'stderr') child.stdout.destroy();
    if (closed !== 'stdout') child.stderr.destroy();
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (status) => done({ status, stderr }));
  });
}

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

  test('inspect lists every array id with its tile (text and --json): the ids fre export spice --array takes', () => {
    const r = fre(['inspect', pb]);
    expect(r.status).toBe(0);
    // tiny-chain on 4×4 arrays: W0 (4×5) is two tiles side by side, W1 and Wf one each.
    expect(r.stdout).toMatch(/W0 +input->h1 .*\n +arrays 0…1: tiles \(0,0\)…\(0,1\)\n/);
    expect(r.stdout).toMatch(/W1 +h1->h2 .*\n +array 2: tile \(0,0\)\n/);
    expect(r.stdout).toMatch(/Wf +h2->output .*\n +array 3: tile \(0,0\)\n/);
    // Estimates average periodic work over samples: shown to one decimal, not 543.2499999….
    expect(r.stdout).toMatch(/estimate: \d+(\.\d)? cycles\/inference, \d+(\.\d)? cycles\/training sample\n/);
    const j = JSON.parse(fre(['inspect', pb, '--json']).stdout);
    expect(j.arrays.map((a: { id: number; edge: string; tile: number[] }) => [a.id, a.edge, a.tile])).toEqual([
      [0, 'W0', [0, 0]],
      [1, 'W0', [0, 1]],
      [2, 'W1', [0, 0]],
      [3, 'Wf', [0, 0]],
    ]);
    expect(j.arrays[1]).toMatchObject({ role: 'weight', rows: [0, 4], cols: [4, 5] });
  });

  test('arrayRuns: consecutive ids on consecutive tiles make one run; a gap starts another', () => {
    const tile = (r: number, c: number) => ({ tileRow: r, tileCol: c });
    const n = { arrays: [tile(0, 0), tile(0, 1), tile(1, 0), tile(1, 1), tile(0, 0), tile(1, 1)] } as unknown as NetlistMsg;
    expect(arrayRuns(n, [0, 1, 2, 3], 2)).toBe('0…3: tiles (0,0)…(1,1)');
    expect(arrayRuns(n, [0, 1, 3], 2)).toBe('0…1: tiles (0,0)…(0,1), 3: tile (1,1)');
    // Consecutive ids whose tiles are not next to each other (row by row) are separate runs.
    expect(arrayRuns(n, [4, 5], 2)).toBe('4: tile (0,0), 5: tile (1,1)');
  });

  test('inspect --json --text is refused, naming both flags', () => {
    const r = fre(['inspect', pb, '--json', '--text']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--json and --text cannot be given together');
    expect(r.stdout).toBe('');
    noStack(r.stderr);
  });

  test('inspect --no-text --json is JSON and --no-json the text summary: a flag turned off is no conflict', () => {
    const j = fre(['inspect', pb, '--no-text', '--json']);
    expect(j.status).toBe(0);
    expect(JSON.parse(j.stdout).arrays.length).toBeGreaterThan(0);
    const t = fre(['inspect', pb, '--no-json', '--text=false']);
    expect(t.status).toBe(0);
    expect(t.stdout).toContain('edges (under each, its array ids');
  });

  test('output piped into a reader that leaves early (| head) ends quietly: exit 0, no EPIPE stack', async () => {
    for (const args of [
      ['inspect', pb, '--text'],
      ['inspect', pb],
      ['compile', SPEC, '--chip', CHIP, '-o', join(dir, 'piped.pb'), '--dump-after', 'partition'],
    ]) {
      const r = await freIntoClosedPipe(args);
      expect(r.stderr).not.toContain('EPIPE');
      noStack(r.stderr);
      expect(r.status).toBe(0);
    }
  });

  test('a closed pipe drops only its output: the run still finishes, writes its files and exits with its status', async () => {
    // `fre train … --save w.npz 2>&1 | head -1`: the progress lines meet a closed stderr long before the
    // weights are saved; ending there with exit 0 would report success for a run that wrote nothing.
    const spec = JSON.parse(readFileSync(join(ROOT, SPEC), 'utf8'));
    spec.data = { dataset: 'synthetic' };
    spec.input = { size: 784 };
    spec.output = { classes: 10 };
    const specFile = join(dir, 'synthetic.spec.json');
    writeFileSync(specFile, JSON.stringify(spec));
    for (const closed of ['stderr', 'both'] as const) {
      const save = join(dir, `piped-${closed}.npz`);
      const r = await freIntoClosedPipe(['train', specFile, '--epochs', '3', '--json', '--save', save], closed);
      expect(r.status).toBe(0);
      expect(existsSync(save)).toBe(true);
    }
    // A failure behind a closed pipe still exits 1: an unreadable spec, its error written to the closed stderr.
    expect((await freIntoClosedPipe(['train', join(dir, 'missing.json')], 'both')).status).toBe(1);
  });

  test('inspect prints the learning-signal path: nudged phase, state register, δ formation and precision, activation, update', () => {
    const chipFile = join(dir, 'dr.json');
    const base = JSON.parse(readFileSync(join(ROOT, CHIP), 'utf8'));
    base.neuron = {
      activation: { kind: 'lut', entries: 129, inputRange: [-4, 4] },
      stateBits: 6,
      learningSignal: { kind: 'difference-register', freeStateBits: 12, deltaBits: 10, deltaRange: 0.25, deltaRounding: 'stochastic' },
    };
    writeFileSync(chipFile, JSON.stringify(base));
    const net = join(dir, 'dr.pb');
    expect(fre(['compile', SPEC, '--chip', chipFile, '-o', net]).status).toBe(0);
    const r = fre(['inspect', net]);
    expect(r.status).toBe(0);
    // beta_f 0.1, K 2 (the golden spec); 6 bits over [−1, 1]: step 2/63; δ: 10 bits over ±0.25: step 0.25/512.
    expect(r.stdout).toContain('nudged phase: K 2 steps, beta_f 0.1, nudge held');
    // reram: 8-bit DAC and ADC, read noise 1 % of the range, ADC output noise 0.06.
    expect(r.stdout).toContain('DAC 8 bits, ADC 8 bits (read kind nudge), read noise σ 0.01 of the range, ADC output noise σ 0.06');
    expect(r.stdout).toContain('state register: 6 bits over [-1, 1], step 0.03175; state noise σ 0');
    expect(r.stdout).toContain(
      'δ: difference-register: s⁰ in a 12-bit free-state register and δ = ŝ^β − s⁰ in a 10-bit (stochastic rounding) δ register',
    );
    expect(r.stdout).toContain('smallest δ 0.0004883 = 0.004883·beta_f');
    // 129 entries over [−4, 4]: input step 8/128.
    expect(r.stdout).toContain('activation: LUT of 129 entries over [-4, 4], input step 0.0625');
    // reram: dw_min 0.001 of the conductance range on a differential pair = 0.0005 of [−w_max, w_max].
    expect(r.stdout).toContain(
      'update: row-programmed, BL 31 pulses per update, dw_min 0.001 of the conductance range = 0.0005 of the weight range per pulse',
    );
    expect(r.stdout).toContain('cycle-to-cycle σ 0.3·dw_min per pulse, device spread dw_min 0.3, bounds 0.3/0.3, up/down 0.01');
    const j = JSON.parse(fre(['inspect', net, '--json']).stdout).learningSignal;
    expect(j.nudgedPhase).toMatchObject({ K: 2, betaF: 0.1, nudge: 'held' });
    expect(j.stateRegister).toEqual({ bits: 6, range: [-1, 1], step: 0.03175 });
    expect(j.delta).toMatchObject({
      formation: 'difference-register',
      freeStateBits: 12,
      bits: 10,
      range: [-0.25, 0.25],
      rounding: 'stochastic',
      smallestDelta: 0.0004883,
    });
    expect(j.update).toMatchObject({
      scheme: 'row-programmed',
      pulsesPerUpdate: 31,
      dwMin: 0.001,
      weightStepFraction: 0.0005,
      cycleToCycle: 0.3,
    });
    // The smallest weight step per pulse is dw_min·w_max of each trained matrix.
    for (const e of j.update.edges) expect(e.weightStep).toBeCloseTo(0.001 * e.wMax, 6);
    // The default (tiny-chain on reram): δ from the two 8-bit registers, one state step 2/255.
    const d = JSON.parse(fre(['inspect', pb, '--json']).stdout).learningSignal.delta;
    expect(d).toMatchObject({ formation: 'state-registers', bits: 9, smallestDelta: 0.007843, smallestDeltaOverBetaF: 0.07843 });
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
