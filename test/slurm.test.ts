/**
 * The Slurm recipe on a real scheduler: a single-node Slurm on localhost (munged, slurmctld, slurmd
 * from Debian's packages, a minimal slurm.conf written here into a temporary folder), the sweep
 * submitted with docs/cluster/slurm-array.sh as a job array of 2 shards, the shards merged by
 * docs/cluster/slurm-merge.sh (a job depending on the array), and the merged results compared
 * with the unsharded sweep run directly. Needs root (slurmd runs jobs as the submitting user).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { deterministicMetrics, lineKey, readResults } from '../sweep/results';
import { testNeeding } from './needs';
import { sweepDir, tinyGraph, tinySweep } from './sweep-fixtures';

const ROOT = join(__dirname, '..');
const FRE = join(ROOT, 'dist', 'cli', 'main.js');

const needsSlurm = testNeeding(
  [
    ['slurmctld', ['-V']],
    ['slurmd', ['-V']],
    ['sh', ['-c', 'command -v sbatch sinfo']],
    ['munged', ['--version']],
    ['sh', ['-c', 'test "$(id -u)" = 0']], // the daemons run as root here
  ],
  'slurmctld slurmd slurm-client munge (and root)',
);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function pidFrom(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Runs a command to completion without blocking the event loop (sbatch --wait takes a while). */
function run(
  cmd: string,
  args: string[],
  o: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { cwd: o.cwd, env: o.env });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    p.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    // A job that never ends must not hang the suite: give up on it (jobs die with the daemons).
    const timer = setTimeout(() => p.kill('SIGTERM'), 150000);
    p.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Daemons this test started: stopped in afterAll, which also runs when the test times out. */
const started: { name: string; pidFile: string }[] = [];

async function stopStarted(): Promise<void> {
  // By the pids in their pid files, newest first; never by name.
  for (const s of started.splice(0).reverse()) {
    const pid = pidFrom(s.pidFile);
    if (pid !== null && alive(pid)) {
      process.kill(pid, 'SIGTERM');
      await until(() => !alive(pid), 20000, `${s.name} (pid ${pid}) to stop`).catch(() => process.kill(pid, 'SIGKILL'));
    }
  }
}

describe('Slurm job array (docs/cluster/slurm-array.sh)', () => {
  afterAll(stopStarted, 60000);

  needsSlurm(
    'a 2-task array of the sweep, merged by slurm-merge.sh, equals the unsharded sweep',
    async () => {
      const t0 = Date.now();
      // 3 β values × 2 methods × 1 seed = 6 runs; the user's folder holds graph.json and sweep.json.
      const { dir, file } = sweepDir(
        tinySweep({ seeds: 1, data: { trainLimit: 300, testLimit: 100 } }),
        tinyGraph({ hidden: 16, epochs: 1 }),
      );
      const slurm = join(dir, 'slurm');
      for (const d of ['state', 'spool', 'log']) mkdirSync(join(slurm, d), { recursive: true });
      const host = hostname().split('.')[0];
      const port = 20000 + 2 * (process.pid % 10000); // not the default 6817/6818: never meet a real Slurm
      const conf = join(slurm, 'slurm.conf');
      writeFileSync(
        conf,
        [
          'ClusterName=fretest',
          `SlurmctldHost=${host}`,
          'SlurmUser=root',
          'SlurmdUser=root',
          `SlurmctldPort=${port}`,
          `SlurmdPort=${port + 1}`,
          'AuthType=auth/munge',
          'CryptoType=crypto/munge',
          'ProctrackType=proctrack/linuxproc',
          'TaskPlugin=task/none',
          'JobAcctGatherType=jobacct_gather/none',
          'SelectType=select/cons_tres',
          'SelectTypeParameters=CR_Core',
          'ReturnToService=2',
          'MpiDefault=none',
          `StateSaveLocation=${slurm}/state`,
          `SlurmdSpoolDir=${slurm}/spool`,
          `SlurmctldPidFile=${slurm}/slurmctld.pid`,
          `SlurmdPidFile=${slurm}/slurmd.pid`,
          `SlurmctldLogFile=${slurm}/log/slurmctld.log`,
          `SlurmdLogFile=${slurm}/log/slurmd.log`,
          `NodeName=${host} CPUs=${cpus().length} RealMemory=2000 State=UNKNOWN`,
          `PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
          '',
        ].join('\n'),
      );
      const env = { ...process.env, SLURM_CONF: conf, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };

      const log = (name: string) => {
        try {
          return readFileSync(join(slurm, 'log', name), 'utf8')
            .split('\n')
            .slice(-30)
            .join('\n');
        } catch {
          return '';
        }
      };

      try {
        // munge: reuse a running munged, else start one as the munge user (the package made the key).
        const mungePid = '/run/munge/munged.pid';
        const running = pidFrom(mungePid);
        if (running === null || !alive(running)) {
          mkdirSync('/run/munge', { recursive: true });
          execFileSync('chown', ['munge:munge', '/run/munge']);
          execFileSync('su', ['-s', '/bin/sh', 'munge', '-c', '/usr/sbin/munged']);
          started.push({ name: 'munged', pidFile: mungePid });
        }
        expect(spawnSync('sh', ['-c', 'munge -n | unmunge'], { encoding: 'utf8' }).stdout).toMatch(/STATUS:\s+Success/);

        execFileSync('slurmctld', ['-f', conf], { env });
        started.push({ name: 'slurmctld', pidFile: join(slurm, 'slurmctld.pid') });
        execFileSync('slurmd', ['-f', conf], { env });
        started.push({ name: 'slurmd', pidFile: join(slurm, 'slurmd.pid') });
        await until(
          () => /idle/.test(spawnSync('sinfo', ['-h', '-o', '%T'], { env, encoding: 'utf8' }).stdout),
          30000,
          `the node to be idle (slurmctld log:\n${log('slurmctld.log')})`,
        );

        // The user submits from their folder; FRE_HOME is the fre checkout (dist/ built), on the same path for every node.
        const jobEnv = { ...env, FRE_HOME: ROOT };
        const array = await run(
          'sbatch',
          [
            '--parsable',
            '--array=0-1',
            '--cpus-per-task=1',
            '--mem-per-cpu=500M',
            '--time=00:10:00',
            join(ROOT, 'docs', 'cluster', 'slurm-array.sh'),
            'sweep.json',
          ],
          { cwd: dir, env: jobEnv },
        );
        expect(array.stderr).toBe('');
        expect(array.status).toBe(0);
        const jobId = array.stdout.trim().split(';')[0];
        const merge = await run(
          'sbatch',
          ['--wait', `--dependency=afterok:${jobId}`, '--mem-per-cpu=500M', join(ROOT, 'docs', 'cluster', 'slurm-merge.sh'), 'sweep.json'],
          { cwd: dir, env: jobEnv },
        );
        // The tasks' logs (in the submit folder), shown only when something failed.
        const logs =
          readdirSync(dir)
            .filter((f) => /^fre-sweep.*\.out$/.test(f))
            .map((f) => `--- ${f}\n${readFileSync(join(dir, f), 'utf8')}`)
            .join('\n') + `\n--- slurmd.log\n${log('slurmd.log')}`;
        expect({ status: merge.status, stderr: merge.stderr, logs: merge.status === 0 ? '' : logs }).toEqual({
          status: 0,
          stderr: '',
          logs: '',
        });

        const out = join(dir, 'results', 'sweep');
        expect(
          readdirSync(out)
            .filter((f) => f.startsWith('shard-'))
            .sort(),
        ).toEqual(['shard-0-of-2.jsonl', 'shard-1-of-2.jsonl']);
        const merged = readResults(join(out, 'all.jsonl'), { mustExist: true }).lines;
        expect(readFileSync(join(out, 'sweep.txt'), 'utf8')).toMatch(/bestTestAccuracy/);

        // The same sweep without a scheduler or shards.
        const direct = spawnSync(
          process.execPath,
          [FRE, 'sweep', file, '--out', join(dir, 'direct.jsonl'), '--workers', '2', '--progress', 'none'],
          { cwd: dir, encoding: 'utf8' },
        );
        expect(direct.status).toBe(0);
        const ref = readResults(join(dir, 'direct.jsonl')).lines;
        expect(ref).toHaveLength(6);
        expect(merged.map((l) => l.index)).toEqual([0, 1, 2, 3, 4, 5]);
        const want = new Map(ref.map((l) => [lineKey(l), deterministicMetrics(l)]));
        for (const l of merged)
          expect({ key: lineKey(l), metrics: deterministicMetrics(l) }).toEqual({ key: lineKey(l), metrics: want.get(lineKey(l)) });
        process.stderr.write(`slurm test: ${((Date.now() - t0) / 1000).toFixed(1)} s from start-up to the merged check\n`);
      } finally {
        await stopStarted();
      }
    },
    240000,
  );
});
