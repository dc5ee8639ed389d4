/** The preset registry: `--chip NAME` resolves here. */
import type { ChipDescription } from '../chip';
import { IDEAL } from './ideal';
import { PCM } from './pcm';
import { RERAM } from './reram';
import { SRAM_8B } from './sram';

export const PRESETS: Readonly<Record<string, ChipDescription>> = {
  ideal: IDEAL,
  reram: RERAM,
  pcm: PCM,
  'sram-8b': SRAM_8B,
};

export const PRESET_NAMES: readonly string[] = Object.keys(PRESETS);

/** A deep copy, so callers may modify what they get. */
export function preset(name: string): ChipDescription | undefined {
  const p = PRESETS[name];
  return p ? structuredClone(p) : undefined;
}
