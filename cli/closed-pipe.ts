/**
 * `fre inspect net.pb --text | head`, `fre sweep report … | head`: when the reader of our output
 * goes away, the command goes on quietly instead of Node's unhandled 'error' event with an EPIPE
 * stack trace. Only the output to that pipe is dropped: the command still finishes its work (a
 * training run still saves its --save file, a sweep still writes its results) and exits with its
 * own status — a closed pipe must never turn an unfinished run or a failure into exit 0.
 */
let installed = false;

/** Installs the handler on stdout and stderr (`2>&1 | head` closes both); once per process. */
export function quietOnClosedPipe(): void {
  // Once per process: cli() may run many commands in one process (tests).
  if (installed) return;
  installed = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      // Nobody reads this stream any more: later writes are dropped (callbacks still run).
      stream.write = ((...args: unknown[]) => {
        const cb = args.find((a) => typeof a === 'function') as (() => void) | undefined;
        if (cb) process.nextTick(cb);
        return true;
      }) as typeof stream.write;
    });
  }
}
