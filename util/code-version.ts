/**
 * Which code produced a result: the package version and, when the package sits in a git checkout
 * with git installed, the commit and whether tracked files differed from it. Stored with results
 * and checkpoints so numbers can be traced to the code that made them.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface CodeVersion {
  /** package.json "version". */
  version: string;
  /** HEAD of the checkout (absent outside git, e.g. an installed package). */
  commit?: string;
  /** True when tracked files were modified relative to `commit`. */
  dirty?: boolean;
}

/** The folder holding package.json, searched upward from this file (source or dist/). */
function packageRoot(): string | null {
  let dir = __dirname;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

function git(root: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
  } catch {
    return null; // no git, or not a checkout: the version alone identifies the code
  }
}

let cached: CodeVersion | undefined;

export function codeVersion(): CodeVersion {
  if (cached) return cached;
  const root = packageRoot();
  if (!root) return (cached = { version: 'unknown' });
  let version = 'unknown';
  try {
    version = String(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version ?? 'unknown');
  } catch {
    // an unreadable package.json leaves 'unknown'
  }
  const commit = git(root, ['rev-parse', 'HEAD']);
  if (!commit) return (cached = { version });
  const status = git(root, ['status', '--porcelain', '--untracked-files=no']);
  return (cached = { version, commit, ...(status === null ? {} : { dirty: status.length > 0 }) });
}
