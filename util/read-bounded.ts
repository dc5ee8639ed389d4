/**
 * Reading a file named on the command line (or inside another file) with a byte budget. A path can
 * name anything: a character device that never ends (/dev/zero), a pipe, a file that grows while
 * read, a directory. fs.readFileSync on those reads until memory runs out; here the read streams in
 * chunks and stops at budget + 1 bytes, so the worst case is bounded by the budget. Callers turn a
 * ReadError into their own coded diagnostic (which names the file and the field that named it).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { formatBytes } from './limits';

export type ReadFailure = 'missing' | 'directory' | 'too-large' | 'unreadable';

export class ReadError extends Error {
  constructor(
    readonly file: string,
    readonly reason: ReadFailure,
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'ReadError';
  }
}

const CHUNK = 1 << 16;

/** The file's bytes, at most `maxBytes` of them; more is a ReadError('too-large'), not a longer read. */
export function readBounded(file: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ReadError(file, 'missing', 'does not exist (ENOENT)');
    if (code === 'EISDIR') throw new ReadError(file, 'directory', 'is a directory, not a file (EISDIR)');
    throw new ReadError(file, 'unreadable', `cannot be opened (${code ?? (e as Error).message})`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new ReadError(file, 'directory', 'is a directory, not a file (EISDIR)');
    const tooLarge = () =>
      new ReadError(
        file,
        'too-large',
        `is larger than the ${formatBytes(maxBytes)} this input may have${st.isFile() ? ` (${st.size} bytes)` : ` (a ${kind(st)} that does not end within the limit)`}`,
      );
    // A regular file's size is known: refuse before reading a byte.
    if (st.isFile() && st.size > maxBytes) throw tooLarge();
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const want = Math.min(CHUNK, maxBytes + 1 - total);
      const buf = Buffer.allocUnsafe(want);
      let n: number;
      try {
        n = readSync(fd, buf, 0, want, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EISDIR') throw new ReadError(file, 'directory', 'is a directory, not a file (EISDIR)');
        throw new ReadError(file, 'unreadable', `cannot be read (${code ?? (e as Error).message})`);
      }
      if (n === 0) break;
      chunks.push(n === want ? buf : buf.subarray(0, n));
      total += n;
      if (total > maxBytes) throw tooLarge();
    }
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** UTF-8 text of a file, bounded as readBounded. */
export function readTextBounded(file: string, maxBytes: number): string {
  return readBounded(file, maxBytes).toString('utf8');
}

function kind(st: { isCharacterDevice(): boolean; isFIFO(): boolean; isSocket(): boolean; isBlockDevice(): boolean }): string {
  if (st.isCharacterDevice()) return 'character device';
  if (st.isFIFO()) return 'pipe';
  if (st.isSocket()) return 'socket';
  if (st.isBlockDevice()) return 'block device';
  return 'stream';
}
