/**
 * Runs that outlive a process: a run that dies mid-epoch (no clean shutdown) and is resumed from its
 * last checkpoint gives exactly the per-epoch results and final weights of an uninterrupted run.
 * In process (a crash thrown from inside an epoch) over EP, FA, Adam, SGD with momentum and a
 * cosine schedule, dense and conv; and end to end, the built CLI killed with SIGKILL.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syntheticDataset } from '../datasets/synthetic';
import { GraphBuilder } from '../graph/builder';
import { SpecError } from '../graph/diagnostics';
import { resolveNet, type Net } from '../graph/net';
import { initParams, type Params } from '../graph/params';
import type { EdgeSpec, TrainingSpec } from '../graph/spec';
import { readNpz } from '../io/npz';
import {
  loadCheckpoint,
  runIdentity,
  saveCheckpoint,
  type CheckpointHints,
  type RunIdentity,
  type RunSession,
} from '../simulator/checkpoint';
import { selectKernels } from '../simulator/kernels/select';
import { train, type Algorithm, type TrainCheckpoint } from '../simulator/train';
import { makeRng } from '../util/rng';

/** A caller's hints: a seed fix of its own; the other fields take loadCheckpoint's generic words. */
const HINTS: CheckpointHints = {
  restart: 'start the run over',
  match: (field, saved) => (field === 'seed' ? `use seed ${String(saved)}` : undefined),
};

const ROOT = join(__dirname, '..');
const FRE = join(ROOT, 'dist', 'cli', 'main.js');
const kernels = selectKernels('auto');
const dir = mkdtempSync(join(tmpdir(), 'fre-resume-'));

function denseNet(training: TrainingSpec, bias: boolean): Net {
  const b = new GraphBuilder('resume-dense').input(20).layer('h1', 16).layer('h2', 12).output(4);
  const edges: EdgeSpec[] = [
    { name: 'W0', from: 'input', to: 'h1', bias },
    { name: 'W1', from: 'h1', to: 'h2', feedback: { kind: 'symmetric', beta: 0.1 }, bias },
    { name: 'Wf', from: 'h2', to: 'output', feedback: { kind: 'symmetric' } },
  ];
  edges.forEach((e) => b.edge(e));
  return resolveNet(b.dynamics({ T: 8, K: 4, betaF: 0.5, nudge: 'held' }).training(training).build());
}

/** input [2,6,6] → conv k3 p1 + max pool 2 → h1 [3,3,3] → conv k2 → h2 [4,2,2] → output (4). */
function convNet(training: TrainingSpec): Net {
  const b = new GraphBuilder('resume-conv').input([2, 6, 6]).map('h1', [3, 3, 3], 'tanh').map('h2', [4, 2, 2], 'tanh').output(4);
  const edges: EdgeSpec[] = [
    { name: 'W0', from: 'input', to: 'h1', conv: { kernel: 3, padding: 1 }, pool: { kind: 'max', size: 2 }, bias: true },
    { name: 'W1', from: 'h1', to: 'h2', conv: { kernel: 2 }, feedback: { kind: 'symmetric', beta: 0.2 }, bias: true },
    { name: 'Wf', from: 'h2', to: 'output', feedback: { kind: 'symmetric' } },
  ];
  edges.forEach((e) => b.edge(e));
  return resolveNet(b.dynamics({ T: 6, K: 3, betaF: 0.5, nudge: 'held' }).training(training).build());
}

function data(net: Net) {
  const common = { dim: net.inputSize, classes: net.classes, seed: 'resume' };
  return {
    train: syntheticDataset({ ...common, count: 70, stream: 'train' }),
    test: syntheticDataset({ ...common, count: 30, stream: 'test' }),
  };
}

function identity(net: Net, algo: Algorithm, seed: number): RunIdentity {
  return runIdentity(net, algo, seed, data(net), kernels.name);
}

class Crash extends Error {}

const ADAM: TrainingSpec = { optimizer: { kind: 'adamw', lr: 5e-3 }, batchSize: 16, epochs: 4, seed: 0 };
const SGD: TrainingSpec = {
  optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 1e-4 },
  schedule: { kind: 'cosine' },
  batchSize: 16,
  epochs: 4,
  seed: 0,
};

const cases: [string, () => Net, Algorithm][] = [
  ['EP, AdamW, dense with biases', () => denseNet(ADAM, true), 'ep'],
  ['EP, SGD momentum + cosine schedule, dense', () => denseNet(SGD, false), 'ep'],
  ['FA (random feedback drawn at the start), Adam', () => denseNet({ ...ADAM, optimizer: { kind: 'adam', lr: 5e-3 } }, true), 'fa'],
  ['EP, SGD momentum + cosine schedule, conv + max pool', () => convNet(SGD), 'ep'],
];

function flat(p: Params): Float32Array[] {
  return [...p.W.map((w) => w.data), ...p.B.flatMap((b) => (b ? [b.data] : [])), ...p.bias.flatMap((b) => (b ? [b] : []))];
}

describe('train(): killed mid-epoch, resumed from the checkpoint = uninterrupted', () => {
  test.each(cases)('%s', async (_title, makeNet, algo) => {
    const net = makeNet();
    const d = data(net);
    const seed = 3;
    const epochs = 4;
    const p0 = () => initParams(net, makeRng(seed));
    const whole = await train(net, p0(), d, { algo, epochs, seed, kernels });

    // Dies in the 3rd batch of epoch 3: epoch 2's checkpoint is on disk, epoch 3's weights and
    // optimiser moments are half updated in memory and lost.
    const file = join(dir, `${net.spec.name}-${algo}-${net.spec.training.optimizer.kind}.ckpt.npz`);
    const id = identity(net, algo, seed);
    await expect(
      train(net, p0(), d, {
        algo,
        epochs,
        seed,
        kernels,
        onCheckpoint: (c) => saveCheckpoint(file, net, id, c, epochs),
        onBatch: (epoch, b) => {
          if (epoch === 3 && b === 3) throw new Crash('killed');
        },
      }),
    ).rejects.toBeInstanceOf(Crash);

    const { checkpoint, epochsPlanned, sessions, code } = loadCheckpoint(file, net, id, HINTS);
    expect(checkpoint.epochsDone).toBe(2);
    expect(epochsPlanned).toBe(epochs);
    // Written without sessions (as before they were recorded): one session from epoch 1, the writer's code.
    expect(sessions).toEqual([{ firstEpoch: 1, code }]);
    // A damaged sessions list reads as that one session too (copied into a results line, it would
    // make the file unreadable).
    const damaged = join(dir, 'damaged-sessions.ckpt.npz');
    saveCheckpoint(damaged, net, id, checkpoint, epochs, [{ code } as unknown as RunSession]);
    expect(loadCheckpoint(damaged, net, id, HINTS).sessions).toEqual([
      { firstEpoch: 1, code: expect.objectContaining({ version: code.version }) },
    ]);
    const resumed = await train(net, initParams(net, makeRng(999)) /* ignored: the checkpoint's params are used */, d, {
      algo,
      epochs,
      seed,
      kernels,
      resume: checkpoint,
    });

    // Per-epoch results (all but the wall-clock seconds) and every final array, bit for bit.
    const strip = (r: typeof whole) => r.result.epochs.map(({ seconds: _s, ...rest }) => rest);
    expect(strip(resumed)).toEqual(strip(whole));
    expect(resumed.result.epochs).toHaveLength(epochs);
    expect(flat(resumed.params)).toEqual(flat(whole.params));

    // The optimiser state matters: the same weights with a fresh optimiser end elsewhere. (Shows the
    // comparison above can fail.)
    const fresh = loadCheckpoint(file, net, id, HINTS).checkpoint;
    const fakeState: TrainCheckpoint = {
      ...fresh,
      optimizer: {
        ...fresh.optimizer,
        step: 0,
        buffers: Object.fromEntries(
          Object.entries(fresh.optimizer.buffers).map(([k, v]) => [k, v.map((b) => (b ? new Float32Array(b.length) : null))]),
        ),
      },
    };
    const wrong = await train(net, fresh.params, d, { algo, epochs, seed, kernels, resume: fakeState });
    expect(flat(wrong.params)).not.toEqual(flat(whole.params));
  });

  test('a checkpoint of another run is refused with FRE042 naming the file, the field and the fix', async () => {
    const net = denseNet(ADAM, true);
    const d = data(net);
    const file = join(dir, 'other.ckpt.npz');
    await train(net, initParams(net, makeRng(1)), d, {
      algo: 'ep',
      epochs: 1,
      seed: 1,
      kernels,
      onCheckpoint: (c) => saveCheckpoint(file, net, identity(net, 'ep', 1), c, 1),
    });
    const refuse = (id: RunIdentity, field: string, fix: RegExp) => {
      let err: unknown;
      try {
        loadCheckpoint(file, net, id, HINTS);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SpecError);
      const diag = (err as SpecError).diagnostics[0];
      expect(diag.code).toBe('FRE042');
      expect(diag.file).toBe(file);
      expect(diag.path).toBe(`/meta/identity/${field}`);
      expect(diag.hint).toMatch(fix);
    };
    // The fix in the caller's words where it gives them, the generic one otherwise, then the restart.
    refuse({ ...identity(net, 'ep', 1), seed: 2 }, 'seed', /^use seed 1, or start the run over$/);
    refuse({ ...identity(net, 'bp', 1) }, 'algo', /^resume with the algo it was written with \("ep"\), or start the run over$/);
    refuse({ ...identity(net, 'ep', 1), trainSamples: 50 }, 'trainSamples', /written with \(\d+\), or start the run over$/);
    const other = denseNet({ ...ADAM, batchSize: 8 }, true);
    refuse(identity(other, 'ep', 1), 'specHash', /^resume with the spec the checkpoint was written for .*, or start the run over$/);
    expect(() => loadCheckpoint(join(dir, 'missing.ckpt.npz'), net, identity(net, 'ep', 1), HINTS)).toThrow(/FRE042.*no checkpoint file/s);
  });
});

// ---------------------------------------------------------------------------------------------
// End to end: the built CLI, SIGKILLed after its first checkpoint.

function fre(args: string[]) {
  return spawnSync(process.execPath, [FRE, ...args], { cwd: ROOT, encoding: 'utf8' });
}

function lastJson(stdout: string) {
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

describe('fre train --checkpoint / --resume (built CLI)', () => {
  const run = [
    'train',
    'examples/mnist-demo.json',
    '--epochs',
    '3',
    '--train-limit',
    '3000',
    '--test-limit',
    '300',
    '--seed',
    '5',
    '--json',
  ];

  test('SIGKILL after the first checkpoint, then --resume: same per-epoch numbers and weights as one uninterrupted run', async () => {
    const wholeW = join(dir, 'whole.npz');
    const whole = fre([...run, '--save', wholeW]);
    expect(whole.status).toBe(0);
    const wholeOut = lastJson(whole.stdout);

    const ckpt = join(dir, 'cli.ckpt.npz');
    const child = spawn(process.execPath, [FRE, ...run, '--checkpoint', ckpt], { cwd: ROOT, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    // Kill as soon as the first checkpoint is complete (the rename makes it appear whole), i.e.
    // early in epoch 2; no chance for a clean shutdown.
    const t0 = Date.now();
    while (!existsSync(ckpt) || statSync(ckpt).size === 0) {
      if (Date.now() - t0 > 60_000) throw new Error('no checkpoint within 60 s');
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const resumedW = join(dir, 'resumed.npz');
    const resumed = fre([...run, '--checkpoint', ckpt, '--resume', '--save', resumedW]);
    expect(resumed.status).toBe(0);
    expect(resumed.stderr).toMatch(/resuming from .* after epoch [12]/);
    const out = lastJson(resumed.stdout);
    const strip = (per: { seconds: number }[]) => per.map(({ seconds: _s, ...rest }) => rest);
    expect(strip(out.perEpoch)).toEqual(strip(wholeOut.perEpoch));
    expect(out.epochsPlanned).toBe(3);
    expect(out.epochsDone).toBe(3);
    expect(out.epochsThisRun).toBe(3 - out.resumedAfter);
    expect(out.code.version).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
    // Both processes are on the record, each from its first epoch (the killed one wrote them into the checkpoint).
    expect(out.sessions.map((s: { firstEpoch: number }) => s.firstEpoch)).toEqual([1, out.resumedAfter + 1]);
    expect(out.sessions.every((s: { code: { version: string } }) => s.code.version === out.code.version)).toBe(true);
    expect(wholeOut.sessions.map((s: { firstEpoch: number }) => s.firstEpoch)).toEqual([1]);
    const a = readNpz(resumedW);
    const b = readNpz(wholeW);
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    for (const [k, arr] of a) expect(Buffer.from(arr.data.buffer)).toEqual(Buffer.from(b.get(k)!.data.buffer));
  });

  test('--resume with another seed is refused with FRE042 and no stack trace', () => {
    const ckpt = join(dir, 'cli.ckpt.npz');
    expect(existsSync(ckpt)).toBe(true);
    const r = fre([
      'train',
      'examples/mnist-demo.json',
      '--epochs',
      '3',
      '--train-limit',
      '3000',
      '--test-limit',
      '300',
      '--seed',
      '6',
      '--checkpoint',
      ckpt,
      '--resume',
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${ckpt}:/meta/identity/seed: error FRE042`);
    expect(r.stderr).toContain('pass --seed 5, or start over without --resume');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test('bench/reproduce: SIGKILLed after its first checkpoint, --resume finishes the run with the uninterrupted numbers', async () => {
    const REPRO = join(ROOT, 'dist', 'bench', 'reproduce.js');
    const args = (out: string) => [
      REPRO,
      'examples/mnist-demo.json',
      '--epochs',
      '3',
      '--train-limit',
      '3000',
      '--test-limit',
      '300',
      '--seeds',
      '4',
      '--out',
      out,
    ];
    const whole = join(dir, 'repro-whole');
    expect(spawnSync(process.execPath, args(whole), { cwd: ROOT, encoding: 'utf8' }).status).toBe(0);
    const cut = join(dir, 'repro-cut');
    // The results file is written after the checkpoint (it never claims an epoch the checkpoint
    // lacks): kill as soon as it appears.
    const results = join(cut, 'mnist-demo-ep-seed4.json');
    const child = spawn(process.execPath, args(cut), { cwd: ROOT, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    const t0 = Date.now();
    while (!existsSync(results)) {
      if (Date.now() - t0 > 60_000) throw new Error('no checkpoint within 60 s');
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(existsSync(join(cut, 'mnist-demo-ep-seed4.ckpt.npz'))).toBe(true);
    const partial = JSON.parse(readFileSync(results, 'utf8'));
    expect(partial.partial).toBe(true);
    expect(partial.epochsPlanned).toBe(3);
    expect(partial.epochsRun).toBeLessThan(3);
    const resumed = spawnSync(process.execPath, [...args(cut), '--resume'], { cwd: ROOT, encoding: 'utf8' });
    expect(resumed.status).toBe(0);
    const a = JSON.parse(readFileSync(join(cut, 'mnist-demo-ep-seed4.json'), 'utf8'));
    const b = JSON.parse(readFileSync(join(whole, 'mnist-demo-ep-seed4.json'), 'utf8'));
    const strip = (per: { seconds: number }[]) => per.map(({ seconds: _s, ...rest }) => rest);
    expect(strip(a.epochs)).toEqual(strip(b.epochs));
    expect(a.finished).toBeDefined();
    expect(a.epochsRun).toBe(3);
    expect(a.sessions.map((x: { firstEpoch: number }) => x.firstEpoch)).toEqual([1, partial.epochsRun + 1]);
    expect(a.code.version).toBe(b.code.version);
  });

  test('--resume without --checkpoint is a usage error', () => {
    const r = fre(['train', 'examples/mnist-demo.json', '--resume']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--resume needs --checkpoint/);
  });
});
