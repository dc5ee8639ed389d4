/**
 * Progress of long commands (train, simulate, run, analyze, sweep) on stderr — never on stdout, so
 * `--json` output stays one clean line. One counter of work units over the whole command (all
 * epochs' batches, all runs, all β points) gives the overall ETA:
 *
 *   - on a terminal ('bar'): one line redrawn in place (`\r`), at most every `redrawMs`;
 *   - elsewhere ('lines': pipes, CI logs, Slurm output files): a status line every `intervalMs`
 *     (and at the end), so a piped run never goes silent for long and never floods the log;
 *   - 'none': nothing.
 *
 * The clock is injected (`now`), so the ETA arithmetic is testable without waiting.
 */

export type ProgressMode = 'bar' | 'lines' | 'none';

export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
}

export interface ProgressOptions {
  /** Shown first on every line, e.g. "train mnist-demo". */
  label: string;
  /** Work units of the whole command (≥ 0; 0 = unknown, no ETA). */
  total: number;
  /** Name of one unit, e.g. "batches", "runs". */
  unit: string;
  stream?: ProgressStream;
  /** Default: 'bar' when the stream is a terminal, else 'lines'. */
  mode?: ProgressMode;
  /** Seconds between status lines in 'lines' mode (default 10, or FRE_PROGRESS_SECONDS). */
  intervalMs?: number;
  /** Minimum time between redraws of the terminal line (default 100 ms). */
  redrawMs?: number;
  /** Units already done when the command starts (a resumed sweep): they do not count towards the rate. */
  initial?: number;
  now?: () => number;
  /**
   * Also print the status line on a timer in 'lines' mode, for commands whose units are long and
   * whose event loop is free meanwhile (a sweep waiting for its workers).
   */
  heartbeat?: boolean;
}

/** Seconds as "42 s", "3m05s", "2h07m". */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 60) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s - 60 * m)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** The interval of status lines off a terminal: FRE_PROGRESS_SECONDS if set (tests, CI), else 10 s. */
function defaultInterval(): number {
  const v = Number(process.env.FRE_PROGRESS_SECONDS);
  return Number.isFinite(v) && v >= 0 ? v * 1000 : 10_000;
}

export class Progress {
  readonly mode: ProgressMode;
  private readonly stream: ProgressStream;
  private readonly now: () => number;
  private readonly interval: number;
  private readonly redraw: number;
  private readonly t0: number;
  private readonly initial: number;
  private total: number;
  private done: number;
  private detail = '';
  private lastPrint = -Infinity;
  /** Length of the line currently drawn on the terminal (to clear it). */
  private drawn = 0;
  private finished = false;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly o: ProgressOptions) {
    this.stream = o.stream ?? process.stderr;
    this.mode = o.mode ?? (this.stream.isTTY ? 'bar' : 'lines');
    this.now = o.now ?? Date.now;
    this.interval = o.intervalMs ?? defaultInterval();
    this.redraw = o.redrawMs ?? 100;
    this.t0 = this.now();
    this.total = Math.max(0, o.total);
    this.initial = Math.max(0, o.initial ?? 0);
    this.done = this.initial;
    // The first status line off a terminal comes one interval after the start, not at once.
    if (this.mode === 'lines') this.lastPrint = this.t0;
    if (o.heartbeat && this.mode === 'lines' && this.interval > 0) {
      this.timer = setInterval(() => this.update(this.done), this.interval);
      this.timer.unref();
    }
  }

  /**
   * Seconds left at the rate so far (units done in this invocation / elapsed time); NaN before the
   * first unit or when the total is unknown.
   */
  eta(): number {
    const ran = this.done - this.initial;
    const elapsed = (this.now() - this.t0) / 1000;
    if (ran <= 0 || this.total <= 0 || elapsed <= 0) return NaN;
    return Math.max(0, ((this.total - this.done) * elapsed) / ran);
  }

  /** The status text, e.g. "train demo: 120/600 batches (20%), elapsed 12 s, eta 48 s | epoch 1 loss 0.51". */
  line(): string {
    const pct = this.total > 0 ? ` (${Math.floor((100 * this.done) / this.total)}%)` : '';
    const eta = this.eta();
    const elapsed = (this.now() - this.t0) / 1000;
    const of = this.total > 0 ? `/${this.total}` : '';
    return (
      `${this.o.label}: ${this.done}${of} ${this.o.unit}${pct}, elapsed ${formatDuration(elapsed)}` +
      `${Number.isFinite(eta) ? `, eta ${formatDuration(eta)}` : ''}${this.detail ? ` | ${this.detail}` : ''}`
    );
  }

  /** Sets the units done (absolute) and the detail text; prints when due. */
  update(done: number, detail?: string): void {
    if (this.finished) return;
    this.done = Math.min(Math.max(done, 0), this.total > 0 ? this.total : Infinity);
    if (detail !== undefined) this.detail = detail;
    const t = this.now();
    if (this.mode === 'bar' && t - this.lastPrint >= this.redraw) this.draw(t);
    else if (this.mode === 'lines' && t - this.lastPrint >= this.interval) {
      this.lastPrint = t;
      this.stream.write(`${this.line()}\n`);
    }
  }

  /** Adds units done. */
  tick(n = 1, detail?: string): void {
    this.update(this.done + n, detail);
  }

  /** Changes the total (e.g. an epoch count learned late). */
  setTotal(total: number): void {
    this.total = Math.max(0, total);
  }

  /** Prints a log line without tearing the terminal line (which is redrawn after it). */
  log(text: string): void {
    if (this.mode === 'bar' && this.drawn > 0 && !this.finished) {
      this.clear();
      this.stream.write(`${text}\n`);
      this.draw(this.now());
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  /** Clears the terminal line before other output on the terminal (stdout); the next update redraws it. */
  pause(): void {
    if (this.mode === 'bar') {
      this.clear();
      this.lastPrint = -Infinity;
    }
  }

  /** Ends the display: the terminal line is cleared; off a terminal a last status line is printed. */
  finish(): void {
    if (this.finished) return;
    if (this.timer) clearInterval(this.timer);
    if (this.mode === 'bar') this.clear();
    else if (this.mode === 'lines' && this.done > this.initial && this.lastPrint < this.now()) {
      this.stream.write(`${this.line()}\n`);
    }
    this.finished = true;
  }

  private draw(t: number): void {
    this.lastPrint = t;
    const text = this.line();
    this.stream.write(`\r${text}${' '.repeat(Math.max(0, this.drawn - text.length))}`);
    this.drawn = text.length;
  }

  private clear(): void {
    if (this.drawn > 0) this.stream.write(`\r${' '.repeat(this.drawn)}\r`);
    this.drawn = 0;
  }
}
