/**
 * examples/sweeps/*.json stay valid: every example through loadSweep with the registered runners
 * (the chip examples' paths must exist in the chip descriptions and every point must validate and
 * compile for its chip), with the run counts their descriptions state.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSweep } from '../sweep/definition';
import { enumerateRuns } from '../sweep/grid';

const ROOT = join(__dirname, '..');
const DIR = join(ROOT, 'examples', 'sweeps');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

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

  test('the chip examples resolve against the chip runner, validate and compile', () => {
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

  test('a chip given inline as a preset with overrides resolves as a chip file does; a bad override is named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fre-sweep-inline-'));
    const sweep = (chip: unknown) => {
      const file = join(dir, 'inline.json');
      const def = { format: 'fre-sweep/1', runner: 'chip', graph: join(ROOT, 'examples', 'mnist-demo.json'), chip, axes: [] };
      writeFileSync(file, JSON.stringify(def));
      return file;
    };
    const def = loadSweep(sweep({ base: 'ideal', crossbar: { readNoise: { sigma: 0.01, relativeTo: 'range' } } }));
    expect((def.chip as { crossbar: { readNoise: { sigma: number }; rows: number } }).crossbar.readNoise.sigma).toBe(0.01);
    expect((def.chip as { crossbar: { rows: number } }).crossbar.rows).toBe(256);
    expect(() => loadSweep(sweep({ base: 'ideal', crossbar: { rows: -3 } }))).toThrow(/crossbar.rows/);
  });
});
