/**
 * Learning-rate schedules, stepped once per epoch (TrainingSpec.schedule, docs/graph-format.md).
 */
import type { ScheduleSpec, TrainingSpec } from '../../graph/spec';

/** The learning rate of 0-based epoch `epoch` for a parameter whose unscheduled rate is `base`. */
export type LrSchedule = (base: number, epoch: number) => number;

/**
 * PyTorch CosineAnnealingLR in closed form: lr_e = η_min + (base − η_min)(1 + cos(π·e/T_max))/2,
 * e clamped to [0, T_max] (so lr stays at η_min after T_max epochs, where PyTorch's recursive form
 * would climb back up).
 */
export function cosineLr(base: number, minLr: number, epoch: number, tMax: number): number {
  const e = Math.min(Math.max(epoch, 0), tMax);
  return minLr + ((base - minLr) * (1 + Math.cos((Math.PI * e) / tMax))) / 2;
}

/** The schedule a training spec asks for; constant when it names none. T_max defaults to
 *  `training.epochs` (the spec's, not a command-line override). */
export function makeSchedule(training: Pick<TrainingSpec, 'epochs'> & { schedule?: ScheduleSpec }): LrSchedule {
  const s = training.schedule;
  if (!s || s.kind === 'constant') return (base) => base;
  const tMax = s.epochs ?? training.epochs;
  const minLr = s.minLr ?? 0;
  return (base, epoch) => cosineLr(base, minLr, epoch, tMax);
}
