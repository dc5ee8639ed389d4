/**
 * Resolving `--chip PRESET|chip.json` to a validated ChipDescription. A chip file is either a full
 * description or a preset plus overrides:
 *   { "base": "reram", "noc": { "meshWidth": 16 } }
 * Overrides merge into the preset field by field; a tagged object whose "kind" changes (the update
 * model, the activation implementation) is replaced whole. The result is validated as a whole.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { jsonSyntaxMessage } from '../util/json-text';
import { formatBytes, LIMITS } from '../util/limits';
import { readTextBounded, ReadError } from '../util/read-bounded';
import type { ChipDescription } from './chip';
import { diffChips } from './compare';
import { ChipError } from './diagnostics';
import { PRESET_NAMES, preset } from './presets';
import { closest, validateChip } from './validate';

type Obj = Record<string, unknown>;

/** A preset name, or a path to a chip JSON file (full, or { "base": preset, …overrides }). */
export function loadChip(arg: string): ChipDescription {
  const p = preset(arg);
  if (p) return p;
  if (!arg.endsWith('.json') && !existsSync(arg)) throw unknownPreset(arg, '', arg);
  let text: string;
  try {
    text = readTextBounded(arg, LIMITS.jsonFileBytes);
  } catch (err) {
    if (!(err instanceof ReadError)) throw err;
    throw new ChipError([
      {
        code: 'HW001',
        file: arg,
        path: '',
        message: `cannot read the chip file: it ${err.detail}`,
        hint:
          err.reason === 'too-large'
            ? `a chip description is a JSON file of at most ${formatBytes(LIMITS.jsonFileBytes)} (docs/limits.md); pass the description itself, or a preset: ${PRESET_NAMES.join(', ')}`
            : `check the path, or name a preset: ${PRESET_NAMES.join(', ')}`,
      },
    ]);
  }
  return parseChipText(text, arg);
}

export function parseChipText(text: string, file: string): ChipDescription {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ChipError([
      {
        code: 'HW001',
        file,
        path: '',
        message: jsonSyntaxMessage(err, text),
        hint: 'fix the JSON syntax there (a trailing comma or a missing quote is the usual cause)',
      },
    ]);
  }
  return resolveChipObject(raw, file);
}

/** A parsed chip object (full, or with "base") → validated description; throws ChipError. */
export function resolveChipObject(raw: unknown, file: string): ChipDescription {
  let full = raw;
  let base: ChipDescription | undefined;
  if (isObj(raw) && 'base' in raw) {
    const { base: name, ...overrides } = raw;
    if (typeof name !== 'string') throw unknownPreset(String(name), '/base', file);
    base = preset(name);
    if (!base) throw unknownPreset(name, '/base', file);
    full = mergeOverrides(base as unknown as Obj, overrides);
    followDacRange(full as Obj, base, overrides);
  }
  const { chip, diagnostics } = validateChip(full, file);
  if (!chip) throw new ChipError(diagnostics);
  // A preset changed by overrides but not renamed is another chip: keeping the preset's name made
  // "compiled for chip reram" mean two chips, and NET011 tell the user to pass --chip reram to
  // match a netlist that reram does not match.
  if (base && isObj(raw) && !('name' in raw) && diffChips(chip, base).length > 0) chip.name = modifiedPresetName(base.name, file);
  return chip;
}

/** The name of preset `base` with overrides from chip file `file` (no "name" of its own): "reram+d3.json". */
export function modifiedPresetName(base: string, file: string): string {
  return `${base}+${basename(file)}`;
}

/** The chip file a modifiedPresetName names ("reram+d3.json" → "d3.json"), or undefined. */
export function chipFileOfName(name: string): string | undefined {
  const plus = name.indexOf('+');
  return plus > 0 && PRESET_NAMES.includes(name.slice(0, plus)) ? name.slice(plus + 1) : undefined;
}

function unknownPreset(name: string, path: string, file: string): ChipError {
  const near = closest(name, PRESET_NAMES);
  return new ChipError([
    {
      code: 'HW003',
      file,
      path,
      message: `unknown chip preset "${name}" (presets: ${PRESET_NAMES.join(', ')})`,
      hint: near
        ? `did you mean "${near}"? Or pass a chip description file (chip.json)`
        : `name one of ${PRESET_NAMES.join(', ')}, or pass a chip description file (chip.json)`,
    },
  ]);
}

/** The state register's range defaults to the DAC's (chip files without neuron.stateRange): an override
 *  that moves periphery.dac.inputRange but says nothing of neuron.stateRange moves the state range with
 *  it, where the preset had them equal — as a full chip file without stateRange would. */
function followDacRange(full: Obj, base: ChipDescription, over: Obj): void {
  const dacOver = isObj(over.periphery) && isObj(over.periphery.dac) ? over.periphery.dac.inputRange : undefined;
  const stateOver = isObj(over.neuron) ? over.neuron.stateRange : undefined;
  if (dacOver === undefined || stateOver !== undefined) return;
  const [lo, hi] = base.periphery.dac.inputRange;
  const sr = base.neuron.stateRange;
  if (!sr || sr[0] !== lo || sr[1] !== hi || !isObj(full.neuron)) return;
  full.neuron = { ...full.neuron, stateRange: Array.isArray(dacOver) ? [...(dacOver as unknown[])] : dacOver };
}

/** Field-by-field merge; arrays and scalars replace; a changed "kind" replaces the whole object. */
export function mergeOverrides(base: Obj, over: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = base[k];
    if (isObj(v) && isObj(b) && !('kind' in v && v.kind !== b.kind)) out[k] = mergeOverrides(b, v);
    else out[k] = v;
  }
  return out;
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
