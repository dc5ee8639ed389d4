/**
 * The paper's Table-1 reproduction (issue 3): full MNIST, the example specs' settings, EP and BP,
 * one or more seeds. After every epoch a run writes its results to
 * bench/results/<spec>-<algo>-seed<S>.json (spec, seed, per-epoch accuracy and seconds, planned
 * and finished epochs, machine, code version) and a checkpoint beside it
 * (<spec>-<algo>-seed<S>.ckpt.npz: weights, optimiser state, results so far; simulator/checkpoint.ts),
 * both atomically. With --resume, a run continues from its checkpoint after its last finished epoch
 * with the numbers an uninterrupted run would give, and a finished run is skipped; so long
 * multi-seed runs accumulate across interruptions.
 *
 *   node dist/bench/reproduce.js examples/mnist-2hl.json --algo ep --seeds 0,1,2 [--epochs 50] [--resume]
 *     [--train-limit N] [--test-limit N] [--out DIR]
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isUserError, UsageError } from '../cli/errors';
import { loadNetData } from '../datasets/net-data';
import { formatDiagnostic, SpecError } from '../graph/diagnostics';
import { loadGraph } from '../graph/load';
import { resolveNet } from '../graph/net';
import { initParams } from '../graph/params';
import { loadCheckpoint, runIdentity, saveCheckpoint, type CheckpointHints } from '../simulator/checkpoint';
import { selectKernels } from '../simulator/kernels/select';
import { ALGORITHMS, train, type Algorithm, type EpochResult } from '../simulator/train';
import { checkOutputPath, writeAtomic } from '../util/atomic-write';
import { lockOutput } from '../util/output-lock';
import { codeVersion } from '../util/code-version';
import { makeRng } from '../util/rng';
import { machineInfo } from './machine';

/** A refused checkpoint's fixes, in this script's flags (the seed is in the file's name). */
function reproduceHints(ckptFile: string): CheckpointHints {
  return {
    restart: `delete ${ckptFile} (or run without --resume) to start the run over`,
    match(field, saved) {
      switch (field) {
        case 'algo':
          return `pass --algo ${String(saved)}`;
        case 'trainSamples':
          return `pass --train-limit ${String(saved)}`;
        case 'testSamples':
          return `pass --test-limit ${String(saved)}`;
        default:
          return undefined;
      }
    },
  };
}
/** How the seed files' lock names this script in its messages. */
const REPRODUCE_LOCK = { command: 'bench/reproduce', output: "this seed's results and checkpoint", elsewhere: 'pass another --out' };

const USAGE =
  'usage: reproduce.js SPEC.json [--algo ep|bp|fa] [--seeds 0,1,2] [--epochs N] [--train-limit N] [--test-limit N] [--out DIR] [--resume]';

/** One contiguous stretch of epochs run by one process (a resumed run has several). */
interface Session {
  started: string;
  firstEpoch: number;
  lastEpoch?: number;
  code: ReturnType<typeof codeVersion>;
}

function optionalCount(args: string[], name: string): number | undefined {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new UsageError(`--${name} must be an integer ≥ 1, got ${args[i + 1]}\n${USAGE}`);
  return v;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const specFile = args[0];
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  if (!specFile || specFile.startsWith('--')) throw new UsageError(USAGE);
  const algo = (opt('algo') ?? 'ep') as Algorithm;
  if (!ALGORITHMS.includes(algo)) throw new UsageError(`--algo must be one of ${ALGORITHMS.join(', ')}, got ${algo}\n${USAGE}`);
  const seeds = (opt('seeds') ?? '0').split(',').map(Number);
  if (seeds.some((s) => !Number.isInteger(s)))
    throw new UsageError(`--seeds must be integers separated by commas, got ${opt('seeds')}\n${USAGE}`);
  const resumeRuns = args.includes('--resume');
  const outDir = opt('out') ?? join(__dirname, '..', '..', 'bench', 'results');
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    throw new UsageError(
      `--out ${outDir}: cannot create the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); pass a writable --out`,
    );
  }
  const spec = loadGraph(specFile);
  const net = resolveNet(spec);
  const epochs = optionalCount(args, 'epochs') ?? spec.training.epochs;
  const kernels = selectKernels('auto');
  const data = loadNetData(net, specFile, { trainLimit: optionalCount(args, 'train-limit'), testLimit: optionalCount(args, 'test-limit') });
  // Ctrl-C stops at once. Unhandled, SIGINT ends the process without the 'exit' event, leaving the
  // running seed's lock behind (the next run warns and takes it over; one on another machine would be
  // refused for the lease). Handled, it runs between batches (train yields after each one), never
  // inside a checkpoint write: release the lock, then end by SIGINT itself as before, so that a shell
  // script running one reproduction after another stops too (bash goes on after a command that exits
  // 130 by itself). Where SIGINT is ignored (pid 1 in a container), exit with its status, 130.
  let releaseSeed: (() => void) | undefined;
  const onSigint = () => {
    process.off('SIGINT', onSigint);
    process.stderr.write('\ninterrupted: --resume continues each unfinished seed from its last finished epoch\n');
    releaseSeed?.();
    process.kill(process.pid, 'SIGINT');
    process.exit(130);
  };
  process.on('SIGINT', onSigint);
  for (const seed of seeds) {
    const stem = join(outDir, `${basename(specFile, '.json')}-${algo}-seed${seed}`);
    const file = `${stem}.json`;
    const ckptFile = `${stem}.ckpt.npz`;
    // Before an epoch's work, not after it: an unwritable results path is found at once.
    checkOutputPath(file);
    checkOutputPath(ckptFile);
    // One process per seed's files (util/output-lock.ts): two would overwrite each other's checkpoint.
    const release = lockOutput(file, REPRODUCE_LOCK, (line) => process.stderr.write(`${line}\n`));
    releaseSeed = release;
    try {
      const identity = runIdentity(net, algo, seed, data, kernels.name);
      // What an earlier process left: its sessions (for the record) and, with --resume, its checkpoint.
      let previous: { started?: string; sessions?: Session[]; finished?: string; epochsPlanned?: number } = {};
      if (resumeRuns && existsSync(file)) previous = JSON.parse(readFileSync(file, 'utf8'));
      const resume =
        resumeRuns && existsSync(ckptFile) ? loadCheckpoint(ckptFile, net, identity, reproduceHints(ckptFile)).checkpoint : undefined;
      if (resume && resume.epochsDone >= epochs) {
        process.stderr.write(`${file}: ${resume.epochsDone} of ${epochs} epochs already run, skipping\n`);
        continue; // after the finally below, which releases the lock
      }
      const started = previous.started && resume ? previous.started : new Date().toISOString();
      const sessions: Session[] = [
        ...(resume ? (previous.sessions ?? []) : []),
        { started: new Date().toISOString(), firstEpoch: (resume?.epochsDone ?? 0) + 1, code: codeVersion() },
      ];
      const session = sessions[sessions.length - 1];
      if (resume) process.stderr.write(`${spec.name} ${algo} seed ${seed}: resuming from ${ckptFile} after epoch ${resume.epochsDone}\n`);

      // Rewritten after every epoch (atomically, fsynced), so a run stopped early still leaves its curve.
      const save = (done: EpochResult[], finished: boolean): void => {
        const accs = done.map((e) => e.testAccuracy);
        writeAtomic(
          file,
          JSON.stringify(
            {
              spec,
              specFile,
              algo,
              seed,
              started,
              ...(finished ? { finished: new Date().toISOString() } : { partial: true }),
              epochsPlanned: epochs,
              epochsRun: done.length,
              code: codeVersion(),
              sessions,
              machine: machineInfo(kernels),
              trainSamples: data.train.count,
              testSamples: data.test.count,
              bestTestAccuracy: accs.length ? Math.max(...accs) : 0,
              finalTestAccuracy: accs.length ? accs[accs.length - 1] : 0,
              epochs: done,
            },
            null,
            1,
          ) + '\n',
        );
      };
      const { result } = await train(net, resume ? resume.params : initParams(net, makeRng(seed)), data, {
        algo,
        epochs,
        seed,
        kernels,
        resume,
        onEpoch: (r) => {
          session.lastEpoch = r.epoch;
          process.stderr.write(
            `${spec.name} ${algo} seed ${seed} epoch ${r.epoch}: test ${(100 * r.testAccuracy).toFixed(2)}% (${r.seconds.toFixed(1)} s)\n`,
          );
        },
        // The checkpoint first: the results file never claims an epoch the checkpoint lacks.
        onCheckpoint: (c) => {
          saveCheckpoint(ckptFile, net, identity, c, epochs, sessions);
          save(c.history, false);
        },
      });
      save(result.epochs, true);
      process.stderr.write(`wrote ${file}: best ${(100 * result.bestTestAccuracy).toFixed(2)}%\n`);
    } finally {
      releaseSeed = undefined;
      release();
    }
  }
}

main().catch((err) => {
  // Bad input (flags, spec, data, checkpoint) is a message or a diagnostic; anything else a bug with its stack.
  if (err instanceof SpecError) process.stderr.write(`${err.diagnostics.map(formatDiagnostic).join('\n')}\n`);
  else if (isUserError(err)) process.stderr.write(`${err.message}\n`);
  else process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
