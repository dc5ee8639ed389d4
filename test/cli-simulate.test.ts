/** End-to-end: fre run / fre compile + fre simulate on real MNIST slices, through the built CLI. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mnistDir } from '../datasets/mnist';
import { PRESET_NAMES } from '../hw-models/presets';

const ROOT = join(__dirname, '..');
const FRE = join(ROOT, 'dist', 'cli', 'main.js');
const fre = (args: string[]) =>
  spawnSync(process.execPath, [FRE, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1' } });
const lastJson = (out: string) => JSON.parse(out.trim().split('\n').pop()!);
const LIMITS = ['--train-limit', '600', '--test-limit', '200', '--epochs', '1'];

describe('fre run / fre simulate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fre-sim-'));

  test("in-situ training on the ideal chip gives exactly the software run's accuracy; JSON has the cost fields", () => {
    const soft = fre(['train', 'examples/mnist-demo.json', ...LIMITS, '--json']);
    expect(soft.status).toBe(0);
    const chip = fre(['run', 'examples/mnist-demo.json', '--chip', 'ideal', '--train', ...LIMITS, '--json']);
    expect(chip.status).toBe(0);
    const s = lastJson(soft.stdout);
    const c = lastJson(chip.stdout);
    expect(c.testAccuracy).toBe(s.finalTestAccuracy);
    for (const k of ['cyclesPerInference', 'cyclesPerTrainingSample', 'energyPerInferenceJoules', 'energyPerTrainingSampleJoules']) {
      expect(c[k]).toBeGreaterThan(0);
    }
    expect(c.cyclesPerTrainingSample).toBeGreaterThan(c.cyclesPerInference);
    const parts = Object.values(c.energyByComponent.inference as Record<string, number>).reduce((a, v) => a + v, 0);
    expect(parts).toBeCloseTo(c.energyPerInferenceJoules, 15);
    expect(chip.stderr).toMatch(/per inference: \d+ cycles/);
    // One epoch, in the singular; the trained samples are the 600 of the slice.
    expect(soft.stderr).toContain('fre train mnist-demo: ep, 1 epoch, 600 train / 200 test samples');
    expect(chip.stderr).toContain('fre run mnist-demo on chip ideal: in-situ EP training, 1 epoch, 600 train / 200 test samples');
    expect(c.samplesTrained).toBe(600);
    // The ideal chip's ADC converts without a range: nothing clips.
    expect(chip.stderr).toContain('ADC saturation: no conversions clipped');
  });

  test('compile then simulate a noisy chip: evaluation and in-situ training, with a trace', () => {
    const pb = join(dir, 'demo.pb');
    expect(fre(['compile', 'examples/mnist-demo.json', '--chip', 'reram', '-o', pb]).status).toBe(0);
    const ev = fre(['simulate', pb, '--eval-only', '--test-limit', '200', '--json']);
    expect(ev.status).toBe(0);
    const e = lastJson(ev.stdout);
    expect(e.mode).toBe('eval');
    expect(ev.stderr).toMatch(/^fre simulate mnist-demo on chip reram: evaluation of the programmed weights, 200 test samples, seed 0,/m);
    expect(e).not.toHaveProperty('compile'); // fre run's field: simulate compiled nothing
    expect(e.samplesTrained).toBe(0);
    // A count of the 200 test samples, and an untrained net is far from perfect.
    expect(Math.abs(e.testAccuracy * 200 - Math.round(e.testAccuracy * 200))).toBeLessThan(1e-9);
    expect(e.testAccuracy).toBeLessThan(0.5);
    const trace = join(dir, 't.json');
    const tr = fre(['simulate', pb, '--train', ...LIMITS, '--json', '--trace', trace]);
    expect(tr.status).toBe(0);
    const t = lastJson(tr.stdout);
    expect(t.testAccuracy).toBeGreaterThan(0.2); // learns: chance is 0.1
    expect(t.updatePulsesPerTrainingSample).toBeGreaterThan(0);
    const events = JSON.parse(readFileSync(trace, 'utf8')).traceEvents as { ph: string }[];
    expect(events.filter((x) => x.ph === 'X').length).toBeGreaterThan(10);
  });

  test('evaluation reads the test split only: a folder with the two test files evaluates as the full one; training there names the missing files', () => {
    const pb = join(dir, 'demo-eval.pb');
    expect(fre(['compile', 'examples/mnist-demo.json', '--chip', 'ideal', '-o', pb]).status).toBe(0);
    const testOnly = mkdtempSync(join(tmpdir(), 'fre-t10k-'));
    for (const f of ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) symlinkSync(join(mnistDir(), f), join(testOnly, f));
    const full = fre(['simulate', pb, '--test-limit', '300', '--json']);
    const part = fre(['simulate', pb, '--test-limit', '300', '--json', '--data-dir', testOnly]);
    expect([full.status, part.status]).toEqual([0, 0]);
    const [f, p] = [lastJson(full.stdout), lastJson(part.stdout)];
    expect(p.testAccuracy).toBe(f.testAccuracy);
    expect([f.trainSamples, p.trainSamples, p.testSamples]).toEqual([0, 0, 300]);
    const tr = fre(['simulate', pb, '--train', ...LIMITS, '--data-dir', testOnly]);
    expect(tr.status).toBe(1);
    expect(tr.stderr).toContain(`${testOnly}: error FRE033: the dataset folder lacks train-images-idx3-ubyte, train-labels-idx1-ubyte`);
    rmSync(testOnly, { recursive: true });
  });

  test("a small conv net with biases: fre run --chip ideal --train gives exactly fre train's accuracy; compile + simulate run it", () => {
    const spec = join(dir, 'tiny-conv.json');
    writeFileSync(
      spec,
      JSON.stringify({
        format: 'fre-graph/1',
        name: 'tiny-conv',
        description: 'one conv edge (1->4, 4x4 stride 4: 49 positions, avg pool 2) and a readout, both biased',
        data: { dataset: 'mnist' },
        input: { shape: [1, 28, 28] },
        layers: [{ name: 'c1', shape: [4, 3, 3], activation: 'hard-sigmoid' }],
        output: { classes: 10 },
        edges: [
          { name: 'W0', from: 'input', to: 'c1', conv: { kernel: 4, stride: 4 }, pool: { kind: 'avg', size: 2 }, bias: true },
          { name: 'Wf', from: 'c1', to: 'output', bias: true },
        ],
        dynamics: { T: 4, K: 2, betaF: 0.5 },
        training: { optimizer: { kind: 'sgd', lr: 0.2 }, batchSize: 16, epochs: 1, seed: 0 },
      }),
    );
    const limits = ['--train-limit', '300', '--test-limit', '100', '--epochs', '1', '--json'];
    const soft = fre(['train', spec, ...limits]);
    expect(soft.status).toBe(0);
    const chip = fre(['run', spec, '--chip', 'ideal', '--train', ...limits]);
    expect(chip.status).toBe(0);
    const c = lastJson(chip.stdout);
    expect(c.testAccuracy).toBe(lastJson(soft.stdout).finalTestAccuracy);
    expect(c.perEpoch[0].trainLoss).toBeCloseTo(lastJson(soft.stdout).perEpoch[0].trainLoss, 5);
    // INPUT reads W0 once per patch (49); the readout reads Wf once.
    expect(c.actionCounts.inference.array_read).toBe(49 + 1);
    const pb = join(dir, 'tiny-conv.pb');
    expect(fre(['compile', spec, '--chip', 'reram', '-o', pb]).status).toBe(0);
    expect(fre(['validate', pb, '--chip', 'reram']).status).toBe(0);
    const ev = fre(['simulate', pb, '--eval-only', '--test-limit', '100', '--json']);
    expect(ev.status).toBe(0);
    const acc100 = lastJson(ev.stdout).testAccuracy * 100; // a count of the 100 test samples
    expect(Math.abs(acc100 - Math.round(acc100))).toBeLessThan(1e-9);
    expect(acc100).toBeLessThanOrEqual(100);
  });

  test('fre run prints the compile summary and has the report in its JSON: clipped weights per edge, errors, area', () => {
    const r = fre(['run', 'examples/mnist-demo.json', '--chip', 'reram', '--w-max', 'p90', '--test-limit', '200', '--json']);
    expect(r.status).toBe(0);
    // Evaluation uses no training data: its header counts the test samples only.
    expect(r.stderr).toMatch(/^fre run mnist-demo on chip reram: evaluation of the programmed weights, 200 test samples, seed 0,/m);
    expect(r.stderr).not.toContain(' train / ');
    const j = lastJson(r.stdout);
    const w0 = j.compile.edges[0];
    expect(w0.name).toBe('W0');
    expect(w0.clippedFraction).toBeCloseTo(0.1, 2); // p90 of |W| clips a tenth of the weights
    expect(r.stderr).toMatch(/^compiled for chip reram: 6\/512 arrays/m);
    expect(r.stderr).toContain(
      `clipped ${w0.clipped} (10.0%)  max err ${w0.maxError.toExponential(2)}  rms err ${w0.rmsError.toExponential(2)}`,
    );
    expect(j.compile.estimate.areaTotalMm2).toBeGreaterThan(0);
    expect(r.stderr).toContain(`  area: ${j.compile.estimate.areaTotalMm2.toPrecision(3)} mm² used`);
  });

  test('an ADC range far below the partial sums: a hint with the options; a calibrated range clips little, and no hint', () => {
    const tight = join(dir, 'tight-adc.json');
    writeFileSync(tight, JSON.stringify({ base: 'reram', periphery: { adc: { fullScale: 1 } } }));
    const fixed = fre(['run', 'examples/mnist-demo.json', '--chip', tight, '--test-limit', '100']);
    expect(fixed.status).toBe(0);
    const hint = fixed.stderr.split('\n').filter((l) => l.startsWith('hint: '));
    expect(hint).toHaveLength(1);
    expect(hint[0]).toMatch(
      /^hint: W0 forward \d+\.\d\d%.* of conversions clipped \(over 2%\); options, each with a price: --adc-range percentile:99\.9 \(/,
    );
    const calibrated = fre(['run', 'examples/mnist-demo.json', '--chip', tight, '--test-limit', '100', '--adc-range', 'percentile:99.9']);
    expect(calibrated.status).toBe(0);
    expect(calibrated.stderr).toMatch(/^ADC saturation: W0 forward 0\.\d\d%/m);
    expect(calibrated.stderr).not.toContain('hint:');
  });

  test("--chip's help lists every preset of the registry (fre run and fre compile)", () => {
    for (const cmd of ['run', 'compile']) {
      const h = fre([cmd, '--help']);
      expect(h.status).toBe(0);
      expect(h.stdout.replace(/\s+/g, ' ')).toContain(`chip preset (${PRESET_NAMES.join(', ')}) or chip description JSON`);
    }
    expect(PRESET_NAMES).toEqual(expect.arrayContaining(['hermes', 'neurram', 'isaac']));
  });

  test('bad input: unknown preset, conflicting flags', () => {
    const r = fre(['run', 'examples/mnist-demo.json', '--chip', 'rerram']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/did you mean "reram"/);
    const c = fre(['run', 'examples/mnist-demo.json', '--chip', 'ideal', '--train', '--eval-only']);
    expect(c.status).toBe(1);
    expect(c.stderr).toContain('exclude each other');
  });
});
