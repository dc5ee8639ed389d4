/**
 * The one way the toolchain writes an output file. A reader, a crash, a full disk or Ctrl-C sees
 * either the old file or the complete new one, never a torn one: the bytes go to a temp file in the
 * same directory (so the rename cannot cross file systems), are fsynced, and the temp file is
 * renamed over the target (POSIX rename(2) is atomic). A new file gets the mode open(2) gives under
 * the process umask (0666 & ~umask, as `>` in a shell would); a replaced file keeps its mode.
 *
 * checkOutputPath is the same test run before any work starts, so a bad output path costs nothing:
 * its directory exists, is a directory and is writable, and the path itself is not a directory.
 */
import {
  accessSync,
  closeSync,
  constants,
  fchmodSync,
  fsyncSync,
  openSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { processAlive } from './process-alive';

export class WriteError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly hint: string,
  ) {
    super(`${file}: ${detail}; ${hint}`);
    this.name = 'WriteError';
  }
}

/** Throws WriteError unless `file` can be (re)written. */
export function checkOutputPath(file: string): void {
  if (file === '') throw new WriteError(file, 'the output path is empty', 'name the file to write');
  const dir = dirname(resolve(file));
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new WriteError(
      file,
      `cannot be written: directory ${dir} does not exist`,
      `create it first (mkdir -p ${dir}) or choose another path`,
    );
  }
  if (!st.isDirectory()) throw new WriteError(file, `cannot be written: ${dir} is not a directory`, 'choose a path inside a directory');
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch {
    throw new WriteError(file, `cannot be written: directory ${dir} is not writable`, 'choose a directory you can write to');
  }
  try {
    if (statSync(file).isDirectory())
      throw new WriteError(file, 'cannot be written: a directory of that name exists', 'name a file, not a directory');
  } catch (e) {
    if (e instanceof WriteError) throw e;
  }
}

let counter = 0;
const TMP_MARK = '.tmp-';

/** The temp name: hidden, tied to this process, so a killed writer's leftover can be recognised. */
function tempName(file: string): string {
  return join(dirname(resolve(file)), `.${basename(file)}${TMP_MARK}${process.pid}-${counter++}`);
}

/** Removes temp files of `file` left by writers that were killed (their process no longer exists). */
function removeStaleTemps(file: string): void {
  const dir = dirname(resolve(file));
  const prefix = `.${basename(file)}${TMP_MARK}`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const pid = Number(n.slice(prefix.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid === process.pid || processAlive(pid)) continue;
    try {
      unlinkSync(join(dir, n));
    } catch {
      /* another cleaner got it */
    }
  }
}

/** Writes `data` to `file` atomically (see the module comment). Throws WriteError; the old file is then unchanged. */
export function writeAtomic(file: string, data: Uint8Array | string): void {
  checkOutputPath(file);
  removeStaleTemps(file);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let keepMode: number | undefined;
  try {
    keepMode = statSync(file).mode & 0o7777;
  } catch {
    /* a new file */
  }
  const tmp = tempName(file);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', 0o666);
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    if (keepMode !== undefined) fchmodSync(fd, keepMode);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        /* already failing; the first error matters */
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      /* may never have been created */
    }
    const code = (e as NodeJS.ErrnoException).code;
    throw new WriteError(
      file,
      `cannot be written (${code ?? (e as Error).message})`,
      `${code === 'ENOSPC' ? 'free some disk space' : 'check the path and permissions'}; the previous file, if any, is unchanged`,
    );
  }
  // Make the rename itself durable; not possible everywhere, and the data is safe either way.
  try {
    const dfd = openSync(dirname(resolve(file)), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    /* best effort */
  }
}
