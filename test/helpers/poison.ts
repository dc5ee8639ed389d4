/**
 * NaN poisoning of the buffers Interpreter.begin() does not clear (read8's clearedBuffers): a test fills them with
 * NaN before each step and requires the bytes of an unpoisoned run, so a buffer some op reads before writing shows.
 */
import type { NetlistInterpreter } from '../../simulator/chip/interpreter';

type Buffers = Record<string, Float32Array | null>;
/** A group's buffers, as begin() lists them. */
export const KINDS = ['s', 'sNext', 's0', 'delta', 'h', 'heldInput', 'heldNudge', 'pre', 'preNext'];

/** The interpreter's groups and, per group, the buffers begin() clears (private fields, read for the tests). */
export function beginState(it: NetlistInterpreter): { groups: Buffers[]; cleared: string[][] } {
  const v = it as unknown as { groups: Buffers[]; cleared: string[][] };
  return { groups: v.groups, cleared: v.cleared };
}

/** A function that, when `poison`, fills with NaN every buffer begin() leaves alone (what it zeroes is zeroed anyway). */
export function poisoner(it: NetlistInterpreter, poison: boolean): () => void {
  const { groups, cleared } = beginState(it);
  return () => {
    if (poison) groups.forEach((g, i) => KINDS.filter((k) => !cleared[i].includes(k)).forEach((k) => g[k]?.fill(Number.NaN)));
  };
}
