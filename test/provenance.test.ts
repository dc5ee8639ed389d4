/**
 * Provenance: fre version, git commit, backend and machine in train --json, simulate --json,
 * analyze --json, sweep results lines and the `__fre__.json` member of every .npz the tool writes;
 * `fre simulate --save` writes the chip's effective weights (loadable by `fre run --weights`) and
 * its conductances.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { decodeNpz, decodeNpzMember, encodeNpz, readNpz, readNpzMember, writeNpz } from '../io/npz';
import { NPZ_PROVENANCE_MEMBER, provenance } from '../util/provenance';
import { pythonWithNumpy, testNeedingNumpy } from './needs';
import { sweepDir, tinyGraph, tinySweep } from './sweep-fixtures';

const ROOT = join(__dirname, '..');
const FRE = join(ROOT, 'dist', 'cli', 'main.js');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const HEAD = (() => {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
})();

const { dir, graphFile } = sweepDir(
  tinySweep({ seeds: 1, axes: [{ path: 'method', values: ['ep'] }] }),
  tinyGraph({ hidden: 16, epochs: 1 }),
);
const fre = (args: string[]) =>
  spawnSync(process.execPath, [FRE, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1' } });
const lastJson = (out: string) => JSON.parse(out.trim().split('\n').pop()!);
const LIMITS = ['--train-limit', '200', '--test-limit', '100', '--epochs', '1'];

function expectProvenance(p: Record<string, unknown>, backend: string): void {
  expect(p.version).toBe(PKG.version);
  expect(p.commit).toBe(HEAD);
  expect(p.backend).toBe(backend);
  expect((p.machine as { cores: number }).cores).toBe(cpus().length);
}

describe('provenance', () => {
  test("provenance(): this checkout's version and HEAD commit", () => {
    const p = provenance('reference-ts');
    expectProvenance(p as unknown as Record<string, unknown>, 'reference-ts');
    expect(p.commit).toMatch(/^[0-9a-f]{40}$|^unknown$/);
  });

  test('extra npz members: skipped as arrays, read back byte for byte, refused when clashing', () => {
    const bytes = encodeNpz({ a: { data: new Float32Array([1, 2]), shape: [2] } }, { members: { 'x.json': '{"k":1}' } });
    expect([...decodeNpz(bytes).keys()]).toEqual(['a']);
    expect(new TextDecoder().decode(decodeNpzMember(bytes, 'x.json'))).toBe('{"k":1}');
    expect(decodeNpzMember(bytes, 'missing.json')).toBeUndefined();
    expect(() => encodeNpz({ a: { data: new Float32Array([1]), shape: [1] } }, { members: { 'a.npy': 'x' } })).toThrow(/clashes|ends with/);
  });

  testNeedingNumpy()('numpy lists __fre__.json and returns its bytes', () => {
    const file = join(dir, 'np.npz');
    writeNpz(file, { w: { data: new Float32Array([3, 4]), shape: [2] } }, { members: { [NPZ_PROVENANCE_MEMBER]: '{"fre":"x"}' } });
    const py = `import numpy as np, json\nz = np.load(${JSON.stringify(file)})\nprint(json.dumps([sorted(z.files), json.loads(z["__fre__.json"])["fre"], z["w"].tolist()]))`;
    expect(JSON.parse(execFileSync(pythonWithNumpy(), ['-c', py], { encoding: 'utf8' }))).toEqual([['__fre__.json', 'w'], 'x', [3, 4]]);
  });

  test('train --json and train --save carry the same provenance', () => {
    const save = join(dir, 'train.npz');
    const r = fre(['train', graphFile, ...LIMITS, '--json', '--backend', 'reference', '--save', save]);
    expect(r.status).toBe(0);
    const out = lastJson(r.stdout);
    expectProvenance(out.provenance, 'reference-ts');
    const rec = JSON.parse(new TextDecoder().decode(readNpzMember(save, NPZ_PROVENANCE_MEMBER)));
    expectProvenance(rec, 'reference-ts');
    expect(rec.graph).toBe('tiny');
    expect(rec.bestTestAccuracy).toBe(out.bestTestAccuracy);
  });

  test('simulate --save: effective weights reload to the same accuracy; conductances give those weights', () => {
    const save = join(dir, 'chip.npz');
    const run = fre(['run', graphFile, '--chip', 'ideal', '--train', ...LIMITS, '--json', '--save', save]);
    expect(run.status).toBe(0);
    const out = lastJson(run.stdout);
    expectProvenance(out.provenance, out.backend);
    const rec = JSON.parse(new TextDecoder().decode(readNpzMember(save, NPZ_PROVENANCE_MEMBER)));
    expectProvenance(rec, out.backend);
    expect(rec).toMatchObject({ chip: 'ideal', mode: 'train', testAccuracy: out.testAccuracy });

    // On the ideal chip the saved weights, programmed afresh, score exactly the trained chip's accuracy.
    const ev = fre(['run', graphFile, '--chip', 'ideal', '--weights', save, '--test-limit', '100', '--json']);
    expect(ev.status).toBe(0);
    expect(lastJson(ev.stdout).testAccuracy).toBe(out.testAccuracy);
  });

  test.each(['ideal', 'reram'])('simulate --save on %s: the conductances give the effective weights', (chip) => {
    const save = join(dir, `chip-${chip}.npz`);
    const run = fre(['run', graphFile, '--chip', chip, '--train', ...LIMITS, '--save', save]);
    expect(run.status).toBe(0);
    const rec = JSON.parse(new TextDecoder().decode(readNpzMember(save, NPZ_PROVENANCE_MEMBER)));
    expect(rec.cell).toBe('differential');
    // Differential cells: W = (G+ − G−)/(g_max − g_min)·w_max, one w_max per matrix, one device of a pair at g_min.
    const npz = readNpz(save);
    for (const edge of ['W0', 'W1', 'W2', 'Wf']) {
      const w = npz.get(edge)!.data as Float32Array;
      const gp = npz.get(`${edge}.g_plus_uS`)!.data as Float32Array;
      const gm = npz.get(`${edge}.g_minus_uS`)!.data as Float32Array;
      expect(npz.get(`${edge}.g_plus_uS`)!.shape).toEqual(npz.get(edge)!.shape);
      const gMin = rec.gMinUS as number;
      const ratios: number[] = [];
      for (let i = 0; i < w.length; i++) {
        if (chip === 'ideal') expect(Math.min(gp[i], gm[i])).toBeCloseTo(gMin, 4); // noisy devices sit anywhere
        if (Math.abs(w[i]) > 1e-3) ratios.push((gp[i] - gm[i]) / w[i]);
      }
      expect(ratios.length).toBeGreaterThan(w.length / 2);
      const r0 = ratios[0];
      expect(r0).toBeGreaterThan(0);
      for (const r of ratios) expect(Math.abs(r / r0 - 1)).toBeLessThan(1e-3);
    }
  });

  test('analyze --json records the provenance of its float64 analysis', () => {
    const r = fre(['analyze', graphFile, '--samples', '2', '--te', '10', '--json']);
    expect(r.status).toBe(0);
    expectProvenance(lastJson(r.stdout).provenance, 'float64-ts');
  });

  test('every sweep results line records the provenance of its run', () => {
    const r = fre(['sweep', join(dir, 'sweep.json'), '--workers', '1', '--out', join(dir, 'r.jsonl'), '--progress', 'none']);
    expect(r.status).toBe(0);
    const lines = readFileSync(join(dir, 'r.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBe(1);
    const backend = spawnSync(
      process.execPath,
      ['-e', `console.log(require(${JSON.stringify(join(ROOT, 'dist/simulator/kernels/select.js'))}).selectKernels('auto').name)`],
      { encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1' } },
    ).stdout.trim();
    for (const l of lines) expectProvenance(l.provenance, backend);
  });
});
