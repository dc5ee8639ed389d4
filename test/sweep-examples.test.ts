/**
 * examples/sweeps/*.json stay valid: the train example fully; the chip examples against the chip
 * descriptions of hw-models/ (their paths must exist in the presets and their values validate),
 * through a stand-in "chip" runner until the chip simulator registers the real one.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadSweep } from '../sweep/definition';
import { enumerateRuns } from '../sweep/grid';
import { getRunner, registerRunner, type RunnerProblem } from '../sweep/runner';

const ROOT = join(__dirname, '..');
const DIR = join(ROOT, 'examples', 'sweeps');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

/** hw-models, loaded by path so this test compiles before the chip descriptions land. */
function hwModels(): {
  preset(name: string): unknown;
  validateChip(raw: unknown, file: string): { diagnostics: { code: string; path: string; message: string; hint: string }[] };
} | null {
  if (!existsSync(join(ROOT, 'hw-models', 'presets', 'index.ts'))) return null;
  /* eslint-disable @typescript-eslint/no-require-imports */
  const presets = require(join(ROOT, 'hw-models', 'presets', 'index.ts'));
  const validate = require(join(ROOT, 'hw-models', 'validate.ts'));
  return { preset: presets.preset, validateChip: validate.validateChip };
}

describe('examples/sweeps', () => {
  test('the examples are all here', () => {
    expect(files.sort()).toEqual([
      'adc-array-design.json',
      'beta-method.json',
      'read-noise.json',
      'state-bits.json',
      'state-noise-betaf.json',
      'state-noise.json',
      'table-s1-depth10-50.json',
      'table-s1-depth10.json',
      'table-s1-depth5-50.json',
      'table-s1-depth5.json',
      'weight-noise-per-scheme.json',
      'weight-noise.json',
    ]);
  });

  test('beta-method.json (train runner) is valid: β on every feedback edge × ep/bp × 3 seeds', () => {
    const def = loadSweep(join(DIR, 'beta-method.json'));
    expect(def.runner.name).toBe('train');
    expect(def.axes[0].targets.length).toBeGreaterThan(0);
    expect(def.axes[0].values).toEqual([0.001, 0.01, 0.1, 1, 10]);
    expect(enumerateRuns(def)).toHaveLength(30);
    expect(def.graph.training.epochs).toBe(3);
  });

  const hw = hwModels();
  (hw ? test : test.skip)('the chip examples resolve against the hw-models presets and validate', () => {
    if (!getRunner('chip')) {
      registerRunner({
        name: 'chip',
        description: "stand-in for the chip simulator's runner (tests only)",
        methods: ['ep-insitu', 'ep-exsitu', 'bp-exsitu'],
        defaultMethod: 'ep-insitu',
        metrics: [
          'bestTestAccuracy',
          'finalTestAccuracy',
          'cyclesPerInference',
          'energyPjPerInference',
          'cyclesPerTrainingSample',
          'energyPjPerTrainingSample',
        ],
        defaultMetrics: ['finalTestAccuracy'],
        resolveChip: (chip) => {
          const c = typeof chip === 'string' ? hw!.preset(chip) : undefined;
          return c ? { chip: c } : { problems: [{ path: '', message: `unknown preset ${JSON.stringify(chip)}`, hint: 'name a preset' }] };
        },
        validateChip: (chip): RunnerProblem[] =>
          hw!.validateChip(chip, 'chip').diagnostics.map((d) => ({ path: d.path, message: `${d.code}: ${d.message}`, hint: d.hint })),
        run: async () => {
          throw new Error('stand-in');
        },
      });
    }
    const sizes: Record<string, number> = {
      'weight-noise.json': 45,
      'weight-noise-per-scheme.json': 45,
      'state-noise.json': 45,
      'read-noise.json': 45,
      'adc-array-design.json': 30,
      'state-noise-betaf.json': 18,
      'state-bits.json': 20,
    };
    for (const [f, n] of Object.entries(sizes)) {
      const def = loadSweep(join(DIR, f));
      expect(def.runner.name).toBe('chip');
      expect(enumerateRuns(def)).toHaveLength(n);
    }
  });
  test("Table S1 sweeps (train runner): the paper's β_i grid × 3 seeds; depth 5 and 10 at 10 and 50 epochs", () => {
    for (const [f, epochs] of [
      ['table-s1-depth5.json', 10],
      ['table-s1-depth5-50.json', 50],
      ['table-s1-depth10.json', 10],
      ['table-s1-depth10-50.json', 50],
    ] as const) {
      const def = loadSweep(join(DIR, f));
      expect(def.runner.name).toBe('train');
      expect(def.axes[0].values).toEqual([0.001, 0.01, 0.1, 0.25, 1, 2, 4]);
      expect(enumerateRuns(def)).toHaveLength(21);
      expect(def.graph.training.epochs).toBe(epochs);
    }
  });
});
