/**
 * The public API (index.ts): the examples under examples/api/ run and agree with the CLI doing the
 * same steps; `npm pack` gives a package whose example runs, and type-checks, from a clean folder.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as api from '../index';
import { deterministicMetrics, lineKey, readResults } from '../sweep/results';

const ROOT = join(__dirname, '..');
const FRE = join(ROOT, 'dist', 'cli', 'main.js');
const EXAMPLES = join(ROOT, 'dist', 'examples', 'api');
const ENV = { ...process.env, OPENBLAS_NUM_THREADS: '1' };
const lastJson = (out: string) => JSON.parse(out.trim().split('\n').pop()!);
const node = (args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  spawnSync(process.execPath, args, { cwd: o.cwd ?? ROOT, encoding: 'utf8', env: o.env ?? ENV });

describe('public API', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fre-api-'));

  test('index exports what a study needs, as functions and values', () => {
    const fns = [
      'loadGraph',
      'parseGraphText',
      'validateGraph',
      'resolveNet',
      'residualGraph',
      'agtGraph',
      'initParams',
      'saveParams',
      'loadParams',
      'preset',
      'loadChip',
      'validateChip',
      'compile',
      'compileFiles',
      'compileNet',
      'encodeNetlist',
      'decodeNetlist',
      'readNetlistFile',
      'writeNetlistFile',
      'validateNetlist',
      'checkChipMatches',
      'train',
      'evaluate',
      'selectKernels',
      'makeRng',
      'loadDataset',
      'loadNetData',
      'runOnChip',
      'simulateNetlist',
      'chipCosts',
      'chipTrace',
      'saveChipWeights',
      'readNpz',
      'writeNpz',
      'readNpy',
      'writeNpy',
      'loadSweep',
      'runSweep',
      'mergeResults',
      'readResults',
      'buildReport',
      'formatTable',
      'registerRunner',
      'provenance',
      'analyze',
    ];
    const missing = fns.filter((f) => typeof (api as Record<string, unknown>)[f] !== 'function');
    expect(missing).toEqual([]);
    expect(typeof api.GraphBuilder).toBe('function');
    expect(api.PRESET_NAMES).toEqual(expect.arrayContaining(['ideal', 'reram', 'pcm']));
    expect(api.runnerNames()).toEqual(expect.arrayContaining(['train', 'chip'])); // importing the API registers the runners
  });

  test('examples/api/train-and-run: the same numbers as fre train, fre validate and fre run on its files', () => {
    const out = join(dir, 'train-and-run');
    const r = node([join(EXAMPLES, 'train-and-run.js'), out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const ex = lastJson(r.stdout);
    expect(ex.netlistProblems).toBe(0);

    const limits = ['--train-limit', '100', '--test-limit', '300'];
    const soft = node([FRE, 'train', join(out, 'graph.json'), ...limits, '--json']);
    expect(soft.status).toBe(0);
    expect(lastJson(soft.stdout).bestTestAccuracy).toBe(ex.softwareBestTestAccuracy);
    expect(node([FRE, 'validate', join(out, 'demo.pb')]).status).toBe(0);
    const chip = node([FRE, 'run', join(out, 'graph.json'), '--chip', 'reram', '--weights', join(out, 'weights.npz'), ...limits, '--json']);
    expect(chip.status).toBe(0);
    const c = lastJson(chip.stdout);
    expect([c.testAccuracy, c.cyclesPerInference, c.energyPerInferenceJoules]).toEqual([
      ex.chipTestAccuracy,
      ex.cyclesPerInference,
      ex.energyPerInferenceJoules,
    ]);
    expect(ex.softwareBestTestAccuracy).toBeGreaterThan(0.5); // learns (chance is 0.1)
  });

  test('examples/api/sweep: the same results as fre sweep on its file; means from the lines', () => {
    const out = join(dir, 'sweep');
    const r = node([join(EXAMPLES, 'sweep.js'), out]);
    expect(r.status).toBe(0);
    const ex = lastJson(r.stdout);
    expect(ex.runs).toBe(4);
    const cli = node([FRE, 'sweep', join(out, 'sweep.json'), '--out', join(out, 'cli.jsonl'), '--workers', '1', '--progress', 'none'], {
      cwd: out,
    });
    expect(cli.status).toBe(0);
    const mine = readResults(ex.results).lines;
    const theirs = new Map(readResults(join(out, 'cli.jsonl')).lines.map((l) => [lineKey(l), deterministicMetrics(l)]));
    for (const l of mine) expect(deterministicMetrics(l)).toEqual(theirs.get(lineKey(l)));
    for (const beta of [0.01, 0.5]) {
      const vals = mine.filter((l) => l.point.beta === beta).map((l) => l.metrics.bestTestAccuracy as number);
      expect(vals).toHaveLength(2);
      expect(ex.bestTestAccuracyByBeta[String(beta)]).toBeCloseTo((vals[0] + vals[1]) / 2, 12);
    }
  });

  test('npm pack: the package installs into a clean folder, its example runs and type-checks against the declarations', () => {
    const packDir = join(dir, 'pack');
    const consumer = join(dir, 'consumer');
    mkdirSync(packDir);
    mkdirSync(consumer);
    // --ignore-scripts: dist/ is built already (npm test builds first); `prepare` would rebuild it
    // while other test files run the CLI from it.
    execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', packDir], {
      cwd: ROOT,
      env: ENV,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tgz = readdirSync(packDir).find((f) => /^fre-.*\.tgz$/.test(f))!;
    expect(tgz).toBeDefined();
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    // --prefer-offline: dependencies come from the npm cache; only metadata the cache lacks is fetched.
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(packDir, tgz)], {
      cwd: consumer,
      env: ENV,
      stdio: ['ignore', 'pipe', 'pipe'],
    });

    // The compiled example, run with the installed package (reference kernels: no native build there),
    // gives the numbers of the same example in this checkout on the same backend.
    copyFileSync(join(EXAMPLES, 'train-and-run.js'), join(consumer, 'train-and-run.js'));
    const ref = { ...ENV, FRE_BACKEND: 'reference' };
    const installed = node(['train-and-run.js', 'out'], { cwd: consumer, env: ref });
    expect(installed.stderr).toBe('');
    expect(installed.status).toBe(0);
    const here = node([join(EXAMPLES, 'train-and-run.js'), join(dir, 'here')], { env: ref });
    const a = lastJson(installed.stdout);
    const b = lastJson(here.stdout);
    expect(a.provenance.commit).toBe('unknown'); // an installed package is not a git checkout
    expect(a.provenance.version).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
    for (const k of ['softwareBestTestAccuracy', 'chipTestAccuracy', 'cyclesPerInference', 'energyPerInferenceJoules', 'netlistBytes'])
      expect([k, a[k]]).toEqual([k, b[k]]);

    // The TypeScript source of the example type-checks against the package's declarations (no TS7016).
    copyFileSync(join(ROOT, 'examples', 'api', 'train-and-run.ts'), join(consumer, 'train-and-run.ts'));
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          strict: true,
          noEmit: true,
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules', '@types')],
        },
        files: ['train-and-run.ts'],
      }),
    );
    const tsc = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', '.'], { cwd: consumer, encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  }, 300000);
});
