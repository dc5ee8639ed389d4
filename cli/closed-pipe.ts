/**
 * `fre inspect net.pb --text | head`, `fre sweep report … | head`: when the reader of our output
 * goes away, the command ends quietly (exit 0), as `cat` does, instead of Node's unhandled
 * 'error' event with an EPIPE stack trace.
 */
let installed = false;

/** Installs the handler on stdout and stderr (`2>&1 | head` closes both); once per process. */
export function quietOnClosedPipe(): void {
  // Once per process: cli() may run many commands in one process (tests).
  if (installed) return;
  installed = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
}
