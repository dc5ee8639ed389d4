/**
 * The inputs of `fre report`: the JSON that `fre train --json` and `fre simulate --json` / `fre run
 * --json` print (saved to a file), and sweep results (.jsonl). Each file is classified by its
 * fields and checked field by field, so a wrong file gets a coded error naming the file, the field
 * and the fix — not a page with holes.
 */
import { readFileSync } from 'node:fs';
import { DiagnosticsError, type CodedDiagnostic } from '../../hw-models/diagnostics';

export const REP_CODES = {
  REP001: 'result file unreadable',
  REP002: 'not JSON',
  REP003: 'not a result fre report knows',
  REP004: 'field missing or of the wrong type',
  REP005: 'report cannot be written',
} as const;
export type RepCode = keyof typeof REP_CODES;

export class ReportError extends DiagnosticsError {}

export function repError(code: RepCode, file: string, path: string, message: string, hint: string): ReportError {
  const d: CodedDiagnostic = { code, file, path, message, hint };
  return new ReportError([d]);
}

export interface EpochRow {
  epoch: number;
  trainLoss: number;
  trainAccuracy?: number;
  testAccuracy: number;
  seconds: number;
}

/** `fre train --json`. */
export interface TrainResult {
  spec: string;
  algo: string;
  seed: number;
  backend: string;
  trainSamples: number;
  testSamples: number;
  epochs: number;
  bestTestAccuracy: number;
  finalTestAccuracy: number;
  perEpoch: EpochRow[];
  interrupted?: boolean;
  provenance?: unknown;
}

export interface KindUtil {
  instances: number;
  meanBusy: number;
  maxBusy: number;
  busiest: string;
}

/** One clipped-fraction entry of `adcSaturation` (per edge and read kind). */
export interface AdcRow {
  edge: string;
  read: string;
  fraction: number;
}

/** `fre simulate --json` / `fre run --json`. */
export interface ChipResult {
  graph: string;
  chip: string;
  mode: string;
  seed: number;
  backend: string;
  trainSamples: number;
  testSamples: number;
  testAccuracy: number;
  bestTestAccuracy: number;
  perEpoch: EpochRow[];
  interrupted?: boolean;
  updatePulsesPerTrainingSample: number;
  cyclesPerInference: number;
  cyclesPerTrainingSample: number;
  secondsPerInference: number;
  secondsPerTrainingSample: number;
  energyPerInferenceJoules: number;
  energyPerTrainingSampleJoules: number;
  energyByComponent: { inference: Record<string, number>; training: Record<string, number> };
  utilisation: { inference: Record<string, KindUtil>; training: Record<string, KindUtil> };
  adcSaturation?: AdcRow[];
  provenance?: unknown;
}

export type Input =
  | { kind: 'train'; file: string; result: TrainResult }
  | { kind: 'chip'; file: string; result: ChipResult }
  | { kind: 'sweep'; file: string };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function need(file: string, obj: Record<string, unknown>, path: string, type: 'number' | 'string' | 'object' | 'array', where = ''): void {
  const v = obj[path];
  const ok =
    type === 'array'
      ? Array.isArray(v)
      : type === 'object'
        ? isObj(v)
        : type === 'number'
          ? typeof v === 'number' || v === null
          : typeof v === 'string';
  if (!ok) {
    const what =
      v === undefined
        ? 'is missing'
        : `is ${Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v}, not ${type === 'array' || type === 'object' ? `an ${type}` : `a ${type}`}`;
    throw repError(
      'REP004',
      file,
      `${where}${path}`,
      `field "${where}${path}" ${what}`,
      'give the file exactly as the fre command printed it with --json (a result from an older fre may lack the field: rerun it)',
    );
  }
}

function checkEpochs(file: string, obj: Record<string, unknown>): void {
  need(file, obj, 'perEpoch', 'array');
  (obj.perEpoch as unknown[]).forEach((e, i) => {
    if (!isObj(e)) throw repError('REP004', file, `perEpoch[${i}]`, `perEpoch[${i}] is not an object`, 'give the file as fre printed it');
    for (const k of ['epoch', 'trainLoss', 'testAccuracy']) need(file, e, k, 'number', `perEpoch[${i}].`);
  });
}

/**
 * `adcSaturation` as the chip run writes it — a list of { edge, read (or kind), fraction (or
 * clippedFraction) } or a map edge → read kind → fraction — as rows.
 */
export function adcRows(file: string, v: unknown): AdcRow[] {
  const bad = (path: string, what: string) =>
    repError(
      'REP004',
      file,
      `adcSaturation${path}`,
      `adcSaturation${path} ${what}`,
      'adcSaturation must be a list of { edge, read, fraction } or an object edge → { read kind: clipped fraction }',
    );
  const frac = (x: unknown, path: string): number => {
    if (typeof x !== 'number' || !(x >= 0 && x <= 1)) throw bad(path, `is ${JSON.stringify(x)}, not a fraction in [0, 1]`);
    return x;
  };
  if (Array.isArray(v)) {
    return v.map((r, i) => {
      if (!isObj(r)) throw bad(`[${i}]`, 'is not an object');
      const edge = r.edge,
        read = r.read ?? r.kind;
      if (typeof edge !== 'string') throw bad(`[${i}].edge`, 'is not a string');
      if (typeof read !== 'string') throw bad(`[${i}].read`, 'is not a string');
      return { edge, read, fraction: frac(r.fraction ?? r.clippedFraction, `[${i}].fraction`) };
    });
  }
  if (isObj(v)) {
    const rows: AdcRow[] = [];
    for (const [edge, reads] of Object.entries(v)) {
      if (typeof reads === 'number') {
        rows.push({ edge, read: 'all', fraction: frac(reads, `.${edge}`) });
        continue;
      }
      if (!isObj(reads)) throw bad(`.${edge}`, 'is not an object of read kinds');
      for (const [read, f] of Object.entries(reads)) {
        const x = isObj(f) ? (f.fraction ?? f.clippedFraction) : f;
        rows.push({ edge, read, fraction: frac(x, `.${edge}.${read}`) });
      }
    }
    return rows;
  }
  throw bad('', 'is neither a list nor an object');
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // A saved stdout may hold other lines before the JSON (fre prints it last).
    const last = text.trim().split('\n').pop() ?? '';
    try {
      return JSON.parse(last);
    } catch (e) {
      throw repError(
        'REP002',
        file,
        '',
        `not JSON (${(e as Error).message})`,
        'save the stdout of fre train --json / fre simulate --json / fre run --json to this file, or give sweep results (.jsonl)',
      );
    }
  }
}

export function readInput(file: string): Input {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw repError('REP001', file, '', `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'check the path');
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  // Sweep results: .jsonl, or any file whose first line is a result line (sweep, point, metrics).
  if (file.endsWith('.jsonl') || (lines.length > 0 && /^\{"sweep":/.test(lines[0]))) return { kind: 'sweep', file };
  const v = parseJson(file, text);
  if (!isObj(v))
    throw repError('REP003', file, '', 'is not a JSON object', 'give the JSON object that fre train/simulate/run --json print');
  if ('cyclesPerInference' in v || 'chip' in v) {
    for (const k of ['graph', 'chip', 'mode']) need(file, v, k, 'string');
    for (const k of [
      'testAccuracy',
      'bestTestAccuracy',
      'cyclesPerInference',
      'cyclesPerTrainingSample',
      'secondsPerInference',
      'secondsPerTrainingSample',
      'energyPerInferenceJoules',
      'energyPerTrainingSampleJoules',
    ])
      need(file, v, k, 'number');
    checkEpochs(file, v);
    for (const k of ['energyByComponent', 'utilisation']) {
      need(file, v, k, 'object');
      for (const phase of ['inference', 'training']) need(file, v[k] as Record<string, unknown>, phase, 'object', `${k}.`);
    }
    const result = v as unknown as ChipResult;
    if (v.adcSaturation !== undefined) result.adcSaturation = adcRows(file, v.adcSaturation);
    return { kind: 'chip', file, result };
  }
  if ('algo' in v || 'perEpoch' in v) {
    need(file, v, 'spec', 'string');
    need(file, v, 'algo', 'string');
    for (const k of ['bestTestAccuracy', 'finalTestAccuracy']) need(file, v, k, 'number');
    checkEpochs(file, v);
    return { kind: 'train', file, result: v as unknown as TrainResult };
  }
  throw repError(
    'REP003',
    file,
    '',
    `a JSON object with fields ${Object.keys(v).slice(0, 6).join(', ') || '(none)'}: neither a training result (algo, perEpoch) nor a chip run (chip, cyclesPerInference)`,
    'give the output of fre train --json, fre simulate --json or fre run --json, or sweep results (.jsonl)',
  );
}
