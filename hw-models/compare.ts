/**
 * Identity of a chip description: a fingerprint (sha256 of its canonical JSON) stored in every
 * netlist, and a field-by-field diff so "compiled for another chip" names what differs.
 */
import { createHash } from 'node:crypto';
import { CORE_CLUSTER, type ChipDescription, type ClusterSpec } from './chip';

/** JSON with object keys sorted at every level: equal descriptions give equal text. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

const isCoreCluster = (c: ClusterSpec | undefined): boolean =>
  c === undefined || (Object.keys(CORE_CLUSTER) as (keyof ClusterSpec)[]).every((k) => c[k] === CORE_CLUSTER[k]);

/**
 * Fields added later are left out of the fingerprint when they hold the value chip files without them
 * get (hw-models/validate.ts withChipDefaults), so netlists compiled before the field still match the
 * description they decode to.
 */
function fingerprinted(chip: ChipDescription): unknown {
  const { stateRange, learningSignal, ...neuron } = chip.neuron;
  const { cluster, ...noc } = chip.noc;
  const dac = chip.periphery.dac.inputRange;
  return {
    ...chip,
    // noc.cluster (session 5): every core its own buffers, router and neuron unit is what older files get.
    noc: isCoreCluster(cluster) ? noc : chip.noc,
    neuron: {
      ...neuron,
      ...(stateRange[0] === dac[0] && stateRange[1] === dac[1] ? {} : { stateRange }),
      ...(learningSignal.kind === 'state-registers' ? {} : { learningSignal }),
    },
  };
}

export function chipFingerprint(chip: ChipDescription): string {
  return createHash('sha256')
    .update(canonicalJson(fingerprinted(chip)))
    .digest('hex');
}

export interface ChipDifference {
  /** Dotted path, e.g. crossbar.rows. */
  path: string;
  a: unknown;
  b: unknown;
}

/** Every leaf where the two descriptions differ, in field order of `a`. */
export function diffChips(a: ChipDescription, b: ChipDescription): ChipDifference[] {
  const out: ChipDifference[] = [];
  const walk = (x: unknown, y: unknown, path: string): void => {
    const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
    if (isObj(x) && isObj(y)) {
      const keys = [...Object.keys(x), ...Object.keys(y).filter((k) => !(k in x))];
      for (const k of keys) walk(x[k], y[k], path ? `${path}.${k}` : k);
    } else if (canonicalJson(x) !== canonicalJson(y)) {
      out.push({ path, a: x, b: y });
    }
  };
  walk(a, b, '');
  return out;
}
