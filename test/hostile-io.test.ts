/**
 * The pieces under the hostile-input fixes, each against hand-derived expectations: bounded reads,
 * the atomic writer (mode from the umask, kept on replace, leftovers of killed writers removed), a
 * sweep worker that dies (retried, or reported cleanly with the resume command), an interrupted
 * train (exit 130, null accuracies), and the raw flag counter.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flagCounts } from '../cli/flags';
import { writeNpz } from '../io/npz';
import { runSweep } from '../sweep/execute';
import { readResults } from '../sweep/results';
import { SweepError } from '../sweep/errors';
import { checkOutputPath, writeAtomic, WriteError } from '../util/atomic-write';
import { readBounded, ReadError } from '../util/read-bounded';
import { sweepDir, tinyGraph, tinySweep } from './sweep-fixtures';

const ROOT = join(__dirname, '..');
const FRE = join(ROOT, 'dist', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'fre-hostile-io-'));

describe('readBounded', () => {
  test('a file at the budget is read whole; one byte more is refused before reading', () => {
    const f = join(dir, 'b.bin');
    const bytes = Buffer.from(Array.from({ length: 70000 }, (_, i) => (i * 7) & 0xff)); // spans two chunks
    writeFileSync(f, bytes);
    expect(Buffer.compare(readBounded(f, 70000), bytes)).toBe(0);
    const e = (() => {
      try {
        readBounded(f, 69999);
      } catch (x) {
        return x;
      }
    })() as ReadError;
    expect(e).toBeInstanceOf(ReadError);
    expect(e.reason).toBe('too-large');
    expect(e.message).toContain('(70000 bytes)');
  });

  test('a character device that never ends stops at budget + 1 bytes', () => {
    const e = (() => {
      try {
        readBounded('/dev/zero', 1000);
      } catch (x) {
        return x;
      }
    })() as ReadError;
    expect(e.reason).toBe('too-large');
    expect(e.detail).toMatch(/larger than the 1000 bytes .*character device/);
  });

  test('missing files and directories are named as such', () => {
    expect(() => readBounded(join(dir, 'nope'), 10)).toThrow(/does not exist \(ENOENT\)/);
    expect(() => readBounded(dir, 10)).toThrow(/is a directory/);
  });
});

describe('writeAtomic', () => {
  test('a new file gets 0666 less the umask; a replaced file keeps its mode', () => {
    const old = process.umask(0o027);
    try {
      const f = join(dir, 'new.txt');
      writeAtomic(f, 'one');
      expect(statSync(f).mode & 0o777).toBe(0o640);
      writeNpz(join(dir, 'new.npz'), { a: { data: new Float32Array([1]), shape: [1] } });
      expect(statSync(join(dir, 'new.npz')).mode & 0o777).toBe(0o640);
      chmodSync(f, 0o600);
      writeAtomic(f, 'two');
      expect(statSync(f).mode & 0o777).toBe(0o600);
      expect(readFileSync(f, 'utf8')).toBe('two');
    } finally {
      process.umask(old);
    }
  });

  test("leftover temp files of a killed writer are removed; a live writer's are kept; none of ours remain", () => {
    const sub = join(dir, 'tmps');
    mkdirSync(sub);
    const f = join(sub, 'r.jsonl');
    const dead = join(sub, '.r.jsonl.tmp-2147483646-0'); // no such process (pid_max is at most 2^22)
    const live = join(sub, `.r.jsonl.tmp-${process.ppid}-0`);
    writeFileSync(dead, 'torn');
    writeFileSync(live, 'in progress');
    writeAtomic(f, 'done\n');
    expect(readdirSync(sub).sort()).toEqual([`.r.jsonl.tmp-${process.ppid}-0`, 'r.jsonl']);
    expect(existsSync(live)).toBe(true);
  });

  test('checkOutputPath refuses a missing folder, a folder, and a path under a file', () => {
    const file = join(dir, 'plain.txt');
    writeFileSync(file, 'x');
    for (const [p, re] of [
      [join(dir, 'no', 'x.pb'), /directory .*no does not exist/],
      [dir, /a directory of that name exists/],
      [join(file, 'x.pb'), /is not a directory/],
      ['', /empty/],
    ] as const) {
      expect(() => checkOutputPath(p)).toThrow(WriteError);
      expect(() => checkOutputPath(p)).toThrow(re);
    }
    expect(() => checkOutputPath(join(dir, 'fine.pb'))).not.toThrow();
  });
});

describe('flag counts from the raw command line', () => {
  test('long, =, short and aliased forms count as one flag; arguments after -- do not', () => {
    const c = flagCounts(['x', '--train-limit', '1', '--trainLimit=1', '-o', 'a', '--out', 'b', '-j2', '--', '--seed'], {
      out: ['o'],
      workers: ['j'],
    });
    expect(Object.fromEntries(c)).toEqual({ 'train-limit': 2, out: 2, workers: 1 });
  });
});

describe('a sweep worker that dies', () => {
  // Runs long enough (8 epochs) that the kill, 150 ms after run 0 starts, lands while a run is alive.
  const graph = tinyGraph({ hidden: 64, epochs: 8 });
  const sweep = { ...tinySweep(), axes: [{ path: 'method', values: ['ep'] }], seeds: 2, data: { trainLimit: 600, testLimit: 100 } };

  async function killFirst(retries: number) {
    const { dir: d, file: sweepFile } = sweepDir(sweep, graph);
    const out = join(d, 'r.jsonl');
    const logs: string[] = [];
    let killed = false;
    const run = runSweep({
      file: sweepFile,
      out,
      resume: false,
      workers: 1,
      retries,
      progress: 'none',
      log: (l) => logs.push(l),
      onRunStart: (index, pid) => {
        if (killed || index !== 0 || pid === undefined) return;
        killed = true;
        setTimeout(() => process.kill(pid, 'SIGKILL'), 150);
      },
    });
    return { run, logs, out };
  }

  test('is run again (--retries 1, the default): every run lands in the results', async () => {
    const { run, logs, out } = await killFirst(1);
    const s = await run;
    expect(s.ran).toBe(2);
    expect(
      readResults(out)
        .lines.map((l) => l.index)
        .sort(),
    ).toEqual([0, 1]);
    // Which run the killed worker held depends on scheduling: any one of them.
    expect(logs.join('\n')).toMatch(/run \d+ .*died during the run \(killed by SIGKILL.*running it again \(retry 1 of 1\)/);
  }, 120000);

  test('with --retries 0 fails cleanly: a SweepError naming the signal and the resume command', async () => {
    const { run } = await killFirst(0);
    const e = await run.then(
      () => null,
      (x) => x,
    );
    expect(e).toBeInstanceOf(SweepError);
    // Which run the killed worker held depends on scheduling: any one of them.
    expect(e.message).toMatch(/run \d+ .*failed: its worker process \d+ died during the run \(killed by SIGKILL/);
    expect(e.message).toMatch(/not retried \(--retries 0\)/);
    expect(e.message).toMatch(/continue with: fre sweep .*sweep\.json --resume --out .*r\.jsonl/);
    expect(e.message).not.toMatch(/\n\s+at /);
  }, 120000);
});

describe('an interrupted train', () => {
  test('exits 130 and reports null accuracies when no epoch ended', async () => {
    const spec = join(dir, 'slow.json');
    // Many batches of a slow step: the first epoch is far from over when Ctrl-C arrives.
    writeFileSync(
      spec,
      JSON.stringify({
        ...tinyGraph({ hidden: 256, epochs: 5 }),
        dynamics: { T: 200, K: 50, betaF: 0.1 },
        training: { optimizer: { kind: 'adam', lr: 0.001 }, batchSize: 5, epochs: 5, seed: 0 },
      }),
    );
    const child = spawn(process.execPath, [FRE, 'train', spec, '--json', '--backend', 'reference'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    let out = '';
    child.stdout.on('data', (b) => {
      out += b;
    });
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (b) => {
        const first = err === '';
        err += b;
        if (first) setTimeout(() => child.kill('SIGINT'), 300);
      });
      child.on('exit', (c) => resolve(c));
    });
    expect(code).toBe(130);
    const j = JSON.parse(out.trim().split('\n').pop()!);
    expect(j).toMatchObject({ interrupted: true, epochs: 0, bestTestAccuracy: null, finalTestAccuracy: null });
  }, 120000);
});
