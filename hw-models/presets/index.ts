/** The preset registry: `--chip NAME` resolves here. */
import type { ChipDescription } from '../chip';
import { HERMES } from './hermes';
import { IDEAL } from './ideal';
import { ISAAC } from './isaac';
import { NEURRAM } from './neurram';
import { PCM } from './pcm';
import { RERAM } from './reram';
import { SRAM_8B } from './sram';

export const PRESETS: Readonly<Record<string, ChipDescription>> = {
  ideal: IDEAL,
  reram: RERAM,
  pcm: PCM,
  'sram-8b': SRAM_8B,
  // Calibration presets: configured like published chips (docs/calibration.md).
  hermes: HERMES,
  neurram: NEURRAM,
  isaac: ISAAC,
};

export const PRESET_NAMES: readonly string[] = Object.keys(PRESETS);

/** A deep copy, so callers may modify what they get. */
export function preset(name: string): ChipDescription | undefined {
  const p = PRESETS[name];
  return p ? structuredClone(p) : undefined;
}
