/**
 * The progress display of `fre simulate` / `fre run` as two callbacks for runOnChip, so the command
 * only passes them on: one counter over all epochs' batches (training) or the test batches
 * (evaluation), for an overall ETA. stderr only (util/progress.ts).
 */
import { Progress } from '../util/progress';

export interface ChipRunProgress {
  onBatch: (epoch: number, batch: number, batches: number, loss: number) => void;
  /** A log line that does not tear the progress line. */
  log: (line: string) => void;
  /** Ends the display; an interrupted run then exits 130, as every interrupted command does. */
  finish: (interrupted: boolean) => void;
}

export function chipRunProgress(
  label: string,
  o: { mode: 'train' | 'eval'; epochs: number; trainCount: number; testCount: number; batchSize: number },
): ChipRunProgress {
  const per = (n: number) => Math.ceil(n / o.batchSize);
  const total = o.mode === 'train' ? o.epochs * per(o.trainCount) : per(o.testCount);
  const p = new Progress({ label, total, unit: 'batches' });
  return {
    // "batch loss": the last batch's, which differs from the epoch line's train loss (the epoch's mean).
    onBatch: (epoch, b, batches, loss) =>
      epoch === 0
        ? p.update(b, 'evaluating')
        : p.update((epoch - 1) * batches + b, `epoch ${epoch}/${o.epochs} batch loss ${loss.toFixed(4)}`),
    log: (line) => p.log(line),
    finish: (interrupted) => {
      p.finish();
      if (interrupted) process.exitCode = 130;
    },
  };
}
