/** Chip fixtures the device and update-scheme tests share. */
import type { ChipDescription, PulsedUpdate } from '../../hw-models/chip';
import { PRESETS } from '../../hw-models/presets';
import type { ArrayTile } from '../../netlist/tiles';

/** The `ideal` preset with a pulsed update: a noiseless, symmetric, hard-bounded bipolar device of dw_min
 *  1e-3 and no device spread, row-programmed; `update` overrides any of it. */
export function idealWithPulsedUpdate(update: Partial<PulsedUpdate>): ChipDescription {
  const c = JSON.parse(JSON.stringify(PRESETS.ideal)) as ChipDescription;
  c.crossbar.update = {
    kind: 'pulsed',
    dwMin: 1e-3,
    cycleToCycle: 0,
    upDownAsymmetry: 0,
    softBounds: false,
    pulsesPerUpdate: 31,
    scheme: 'row-programmed',
    accumulatorBits: 16,
    deviceToDevice: { dwMin: 0, wMax: 0, wMin: 0, upDownAsymmetry: 0 },
    pairMode: 'bipolar',
    refreshUpperThreshold: 0.75,
    refreshLowerThreshold: 0.25,
    ...update,
  };
  return c;
}

/** One array holding a whole rows × cols matrix in one tile (array 0 on core 0, forward reads), with the
 *  given normalised device values: the fixture the device tests build a DeviceMatrix on. */
export function wholeTile(rows: number, cols: number, plus: Float32Array, minus: Float32Array | undefined, trainable = true): ArrayTile {
  return {
    ...{ array: 0, core: 0, slot: 0, role: 'weight', rowBegin: 0, rowEnd: rows, colBegin: 0, colEnd: cols, tileRow: 0, tileCol: 0 },
    ...{ reads: ['forward'], trainable, gains: {} as ArrayTile['gains'] },
    plus,
    minus,
  } as ArrayTile;
}
