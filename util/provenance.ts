/**
 * Provenance recorded with every result the tool writes (results JSON/JSONL, the `__fre__.json`
 * member of .npz files): which fre produced it, from which commit, on which kernel backend and
 * machine — so a number can be traced back to the code and hardware that made it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import * as os from 'node:os';
import { dirname, join } from 'node:path';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  arch: string;
  node: string;
}

export interface Provenance {
  /** The fre package's name and version (package.json). */
  fre: string;
  version: string;
  /** The git commit of the checkout fre runs from ("unknown" when it is not a git checkout, e.g. an installed package). */
  commit: string;
  /** Whether that checkout had uncommitted changes to tracked files (absent when the commit is unknown). */
  dirty?: boolean;
  /** The kernel backend the numbers were computed with (e.g. openblas-native, reference-ts). */
  backend: string;
  machine: Machine;
}

/** The member name of the provenance record inside every .npz fre writes. */
export const NPZ_PROVENANCE_MEMBER = '__fre__.json';

/** The folder holding fre's own package.json, found by walking up from this file (source or dist/). */
function packageRoot(): string | null {
  let dir = __dirname;
  for (;;) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      try {
        const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; bin?: Record<string, string> };
        if (pkg.bin && 'fre' in pkg.bin) return dir;
      } catch {
        /* not ours; keep walking */
      }
    }
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

let cached: Omit<Provenance, 'backend'> | undefined;

function git(root: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10000 }).trim();
  } catch {
    return null;
  }
}

function gitInfo(root: string): { commit: string; dirty?: boolean } {
  // Only fre's own checkout counts: an installed package inside someone else's repository must not
  // report that repository's commit.
  const top = git(root, ['rev-parse', '--show-toplevel']);
  if (top === null || realpathSync(top) !== realpathSync(root)) return { commit: 'unknown' };
  const commit = git(root, ['rev-parse', 'HEAD']);
  if (commit === null) return { commit: 'unknown' };
  const status = git(root, ['status', '--porcelain', '--untracked-files=no']);
  return status === null ? { commit } : { commit, dirty: status.length > 0 };
}

export function machineDescription(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    node: process.version,
  };
}

/** The provenance of results computed with `backend` (computed once per process, then cached). */
export function provenance(backend: string): Provenance {
  if (!cached) {
    const root = packageRoot();
    let name = 'fre-toolchain';
    let version = 'unknown';
    if (root) {
      const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name?: string; version?: string };
      name = pkg.name ?? name;
      version = pkg.version ?? version;
    }
    cached = { fre: name, version, ...(root ? gitInfo(root) : { commit: 'unknown' }), machine: machineDescription() };
  }
  return { ...cached, backend };
}
