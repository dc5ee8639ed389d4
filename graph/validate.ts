/**
 * Validation of a graph description: every problem becomes a coded Diagnostic naming the file,
 * the JSON path and what to change. All problems are collected in one pass (a user fixing a spec
 * wants the whole list, not one error per run).
 */
import { LIMITS } from '../util/limits';
import {
  ACTIVATIONS,
  DATASETS,
  FEEDBACK_KINDS,
  GRAPH_FORMAT,
  INIT_KINDS,
  NUDGE_MODES,
  POOL_ARGMAX,
  POOL_FEEDBACK,
  POOL_WINNER,
  POOL_KINDS,
  type EdgeSpec,
  type GraphSpec,
  type LayerSpec,
  type MapShape,
} from './spec';
import { type Diagnostic, type DiagnosticCode } from './diagnostics';
import { closest } from '../util/suggest';
import { windowOut } from './shapes';

type Obj = Record<string, unknown>;

/** A JSON number written as a string ("128", "0.01", "1e-3"). */
const NUMBER_TEXT = /^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

class Checker {
  readonly diags: Diagnostic[] = [];
  constructor(readonly file: string) {}

  add(code: DiagnosticCode, path: string, message: string, hint: string): void {
    this.diags.push({ code, file: this.file, path, message, hint });
  }

  object(v: unknown, path: string, what: string): Obj | undefined {
    if (v === undefined) {
      this.add('FRE010', path, `${what} is missing`, `add "${lastKey(path)}": { … } (see docs/graph-format.md)`);
      return undefined;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      this.add('FRE011', path, `${what} must be an object, got ${typeName(v)}`, `write it as { … }`);
      return undefined;
    }
    return v as Obj;
  }

  /** Reports fields the format does not know (typos such as "betta"), suggesting the closest. */
  known(o: Obj, path: string, keys: readonly string[]): void {
    for (const k of Object.keys(o)) {
      if (!keys.includes(k)) {
        const near = closest(k, keys);
        this.add(
          'FRE014',
          `${path}/${pointerToken(k)}`,
          `unknown field "${k}"`,
          near ? `did you mean "${near}"? (allowed: ${keys.join(', ')})` : `remove it (allowed: ${keys.join(', ')})`,
        );
      }
    }
  }

  number(
    o: Obj,
    key: string,
    path: string,
    opts: { required?: boolean; integer?: boolean; min?: number; minExclusive?: boolean; max?: number; limit?: number; def?: number },
  ): number | undefined {
    const p = `${path}/${pointerToken(key)}`;
    const v = o[key];
    if (v === undefined) {
      if (opts.required) this.add('FRE010', p, `"${key}" is missing`, `add "${key}": <number>`);
      return opts.def;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      // "size": "128" meant 128: the fix is the number without quotes, not an unrelated example.
      const meant = typeof v === 'string' && NUMBER_TEXT.test(v) ? Number(v) : undefined;
      this.add(
        'FRE011',
        p,
        `"${key}" must be a finite number, got ${typeName(v)}`,
        meant !== undefined && Number.isFinite(meant)
          ? `write the number without quotes: "${key}": ${meant}`
          : `write a number, e.g. "${key}": ${opts.def ?? 1}`,
      );
      return undefined;
    }
    if (opts.integer && !Number.isInteger(v)) {
      this.add('FRE011', p, `"${key}" must be an integer, got ${v}`, `use a whole number such as ${Math.max(1, Math.round(v))}`);
      return undefined;
    }
    if (opts.min !== undefined && (opts.minExclusive ? v <= opts.min : v < opts.min)) {
      this.add(
        'FRE012',
        p,
        `"${key}" is ${v}; it must be ${opts.minExclusive ? '>' : '≥'} ${opts.min}`,
        `set "${key}" to a value ${opts.minExclusive ? 'above' : 'of at least'} ${opts.min}`,
      );
      return undefined;
    }
    if (opts.limit !== undefined && v > opts.limit) {
      this.add(
        'FRE015',
        p,
        `"${key}" is ${v}, over the limit of ${opts.limit}`,
        `set "${key}" to at most ${opts.limit} (the limits are in docs/limits.md)`,
      );
      return undefined;
    }
    if (opts.max !== undefined && v > opts.max) {
      this.add('FRE012', p, `"${key}" is ${v}; it must be ≤ ${opts.max}`, `set "${key}" to at most ${opts.max}`);
      return undefined;
    }
    return v;
  }

  string(o: Obj, key: string, path: string, required: boolean): string | undefined {
    const v = o[key];
    if (v === undefined) {
      if (required) this.add('FRE010', `${path}/${key}`, `"${key}" is missing`, `add "${key}": "<text>"`);
      return undefined;
    }
    if (typeof v !== 'string' || v.length === 0) {
      this.add('FRE011', `${path}/${key}`, `"${key}" must be a non-empty string, got ${typeName(v)}`, `write it as a string`);
      return undefined;
    }
    return v;
  }

  oneOf<T extends string>(o: Obj, key: string, path: string, allowed: readonly T[], def: T | undefined): T | undefined {
    const v = o[key];
    if (v === undefined) {
      if (def === undefined) this.add('FRE010', `${path}/${key}`, `"${key}" is missing`, `add "${key}": one of ${allowed.join(', ')}`);
      return def;
    }
    if (typeof v !== 'string' || !allowed.includes(v as T)) {
      const near = typeof v === 'string' ? closest(v, allowed) : undefined;
      this.add(
        'FRE013',
        `${path}/${key}`,
        `"${key}" is ${JSON.stringify(v)}, which is not one of ${allowed.join(', ')}`,
        near ? `did you mean "${near}"?` : `use one of ${allowed.join(', ')}`,
      );
      return undefined;
    }
    return v as T;
  }

  boolean(o: Obj, key: string, path: string, def: boolean): boolean {
    const v = o[key];
    if (v === undefined) return def;
    if (typeof v !== 'boolean') {
      this.add('FRE011', `${path}/${key}`, `"${key}" must be true or false, got ${typeName(v)}`, `write true or false`);
      return def;
    }
    return v;
  }
}

export interface ValidationResult {
  /** The spec with every default filled in; present only when there are no diagnostics. */
  spec?: GraphSpec;
  diagnostics: Diagnostic[];
}

export function validateGraph(raw: unknown, file: string): ValidationResult {
  const c = new Checker(file);
  const root = c.object(raw, '', 'the graph description');
  if (!root) return { diagnostics: c.diags };
  c.known(root, '', ['format', 'name', 'description', 'data', 'input', 'layers', 'output', 'edges', 'dynamics', 'training']);

  if (root.format !== GRAPH_FORMAT) {
    c.add(
      'FRE002',
      '/format',
      `"format" is ${JSON.stringify(root.format)}; this toolchain reads "${GRAPH_FORMAT}"`,
      `set "format": "${GRAPH_FORMAT}"`,
    );
  }
  const name = c.string(root, 'name', '', true) ?? '';
  if (root.description !== undefined) c.string(root, 'description', '', false);

  let data: GraphSpec['data'];
  if (root.data !== undefined) {
    const d = c.object(root.data, '/data', '"data"');
    if (d) {
      c.known(d, '/data', ['dataset']);
      const ds = c.oneOf(d, 'dataset', '/data', DATASETS, undefined);
      if (ds) data = { dataset: ds };
    }
  }

  const input = c.object(root.input, '/input', '"input"');
  let inputSize = 0;
  let inputShape: MapShape | undefined;
  if (input) {
    c.known(input, '/input', ['size', 'shape']);
    ({ size: inputSize, shape: inputShape } = sizeAndShape(c, input, '/input'));
  }
  const output = c.object(root.output, '/output', '"output"');
  let classes = 0;
  if (output) {
    c.known(output, '/output', ['classes']);
    classes = c.number(output, 'classes', '/output', { required: true, integer: true, min: 2, limit: LIMITS.classes }) ?? 0;
  }

  const { layers, declared } = checkLayers(c, root.layers);
  const { edges, trained } = checkEdges(c, root.edges, declared);
  checkConvGeometry(c, edges, layers, inputShape, root.edges);
  const dynamics = checkDynamics(c, root.dynamics);
  const training = checkTraining(c, root.training, trained);

  if (c.diags.length > 0) return { diagnostics: c.diags };
  const spec: GraphSpec = {
    format: GRAPH_FORMAT,
    name,
    ...(typeof root.description === 'string' ? { description: root.description } : {}),
    ...(data ? { data } : {}),
    input: { size: inputSize, ...(inputShape ? { shape: inputShape } : {}) },
    layers,
    output: { classes },
    edges,
    dynamics: dynamics!,
    training: training!,
  };
  checkBudget(c, spec);
  if (c.diags.length > 0) return { diagnostics: c.diags };
  return { spec, diagnostics: [] };
}

/**
 * Whole-graph sizes against docs/limits.md, before anything is allocated: the weights of every edge
 * (a dense edge holds rows × cols floats, a conv edge its kernel) and one batch's state arrays.
 */
function checkBudget(c: Checker, spec: GraphSpec): void {
  const sizes = new Map<string, number>([
    ['input', spec.input.size],
    ['output', spec.output.classes],
  ]);
  const channels = new Map<string, number>([['input', spec.input.shape?.[0] ?? 1]]);
  for (const l of spec.layers) {
    sizes.set(l.name, l.size);
    channels.set(l.name, l.shape?.[0] ?? 1);
  }
  let weights = 0;
  let over = false;
  spec.edges.forEach((e, i) => {
    const w = e.conv
      ? (channels.get(e.to) ?? 1) * (channels.get(e.from) ?? 1) * e.conv.kernel * e.conv.kernel
      : (sizes.get(e.to) ?? 0) * (sizes.get(e.from) ?? 0);
    weights += w;
    if (weights > LIMITS.totalWeights && !over) {
      over = true;
      c.add(
        'FRE015',
        `/edges/${i}`,
        `the graph has more than ${LIMITS.totalWeights} weights (edge "${e.name}" alone has ${w}; ${weights} so far)`,
        'use narrower layers or fewer edges; the limits are in docs/limits.md',
      );
    }
  });
  const units = [...sizes.values()].reduce((a, b) => a + b, 0);
  if (spec.training.batchSize * units > LIMITS.batchUnits) {
    c.add(
      'FRE015',
      '/training/batchSize',
      `a batch of ${spec.training.batchSize} samples × ${units} units = ${spec.training.batchSize * units} state values, more than the limit of ${LIMITS.batchUnits}`,
      `use a batch of at most ${Math.max(1, Math.floor(LIMITS.batchUnits / units))} samples; the limits are in docs/limits.md`,
    );
  }
}

/** A hidden layer's name and its index in the file, kept even when another field of the layer is
 *  invalid, so edges naming it are not also reported as naming an unknown node. */
interface DeclaredLayer {
  name: string;
  index: number;
}

function checkLayers(c: Checker, v: unknown): { layers: LayerSpec[]; declared: DeclaredLayer[] } {
  const out: LayerSpec[] = [];
  const declared: DeclaredLayer[] = [];
  if (!Array.isArray(v)) {
    if (v === undefined) c.add('FRE010', '/layers', '"layers" is missing', 'add "layers": [{ "name": "h1", "size": 512 }]');
    else c.add('FRE011', '/layers', `"layers" must be an array, got ${typeName(v)}`, 'write it as a list of layers');
    return { layers: out, declared };
  }
  if (v.length === 0)
    c.add('FRE012', '/layers', 'the graph has no hidden layer', 'add at least one layer, e.g. { "name": "h1", "size": 64 }');
  const seen = new Set<string>();
  v.forEach((lv, i) => {
    const p = `/layers/${i}`;
    const l = c.object(lv, p, `layer ${i}`);
    if (!l) return;
    c.known(l, p, ['name', 'size', 'shape', 'activation']);
    const name = c.string(l, 'name', p, true);
    const { size, shape } = sizeAndShape(c, l, p);
    const activation = c.oneOf(l, 'activation', p, ACTIVATIONS, 'tanh');
    if (name !== undefined) {
      if (name === 'input' || name === 'output') {
        c.add(
          'FRE020',
          `${p}/name`,
          `a hidden layer cannot be called "${name}" (reserved for the graph's ends)`,
          'rename the layer, e.g. "h1"',
        );
      } else if (seen.has(name)) {
        c.add('FRE020', `${p}/name`, `layer name "${name}" is used twice`, 'give every layer a unique name');
      }
      seen.add(name);
      declared.push({ name, index: i });
    }
    if (name !== undefined && size > 0 && activation !== undefined) out.push({ name, size, ...(shape ? { shape } : {}), activation });
  });
  return { layers: out, declared };
}

/**
 * Edge names become .npz keys: "<edge>", "<edge>.feedback", "<edge>.bias". Without a dot no edge
 * name can equal another edge's feedback or bias key, and without "/" none is a zip folder.
 */
export const EDGE_NAME_MAX = 64;
export const EDGE_NAME = new RegExp(`^[A-Za-z_][A-Za-z0-9_-]{0,${EDGE_NAME_MAX - 1}}$`);

function checkEdges(c: Checker, v: unknown, layers: DeclaredLayer[]): { edges: EdgeSpec[]; trained: string[] } {
  const out: EdgeSpec[] = [];
  /** Names of the edges the rule trains, including edges with an invalid field (already reported),
   *  so the SGD learning-rate map is checked against what the file declares. */
  const trained: string[] = [];
  if (!Array.isArray(v)) {
    if (v === undefined) c.add('FRE010', '/edges', '"edges" is missing', 'add "edges": [{ "name": "W0", "from": "input", "to": "h1" }, …]');
    else c.add('FRE011', '/edges', `"edges" must be an array, got ${typeName(v)}`, 'write it as a list of edges');
    return { edges: out, trained };
  }
  const layerNames = [...new Set(layers.map((l) => l.name))];
  const nodes = ['input', ...layerNames.filter((n) => n !== 'input' && n !== 'output'), 'output'];
  const seen = new Set<string>();
  const pairs = new Set<string>();
  v.forEach((ev, i) => {
    const p = `/edges/${i}`;
    const e = c.object(ev, p, `edge ${i}`);
    if (!e) return;
    c.known(e, p, ['name', 'from', 'to', 'alpha', 'feedback', 'trainable', 'conv', 'pool', 'bias']);
    const name = c.string(e, 'name', p, true);
    const from = c.string(e, 'from', p, true);
    const to = c.string(e, 'to', p, true);
    const alpha = c.number(e, 'alpha', p, { def: 1 });
    const trainable = c.boolean(e, 'trainable', p, true);
    const bias = c.boolean(e, 'bias', p, false);
    const { conv, pool, ok: convOk } = checkConvFields(c, e, p);
    if (name !== undefined && !EDGE_NAME.test(name)) {
      c.add(
        'FRE029',
        `${p}/name`,
        `edge name ${JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name)} is not allowed: an edge name names its weight array in .npz files, next to "<edge>.feedback" and "<edge>.bias", so it may hold only letters, digits, "_" and "-" (starting with a letter or "_", at most ${EDGE_NAME_MAX} characters)`,
        `rename it, e.g. "${
          name
            .replace(/[^A-Za-z0-9_-]/g, '_')
            .replace(/^([^A-Za-z_])/, '_$1')
            .slice(0, EDGE_NAME_MAX) || 'W0'
        }" (docs/graph-format.md, edge names)`,
      );
    }
    if (name !== undefined) {
      if (seen.has(name))
        c.add('FRE020', `${p}/name`, `edge name "${name}" is used twice`, 'give every edge a unique name (it names the weight array)');
      seen.add(name);
      if (e.trainable !== false && !trained.includes(name)) trained.push(name);
    }
    // `ends`: both endpoints are known nodes, so direction and duplicates can be judged even when
    // another field of the edge is invalid; `ok`: the whole edge is valid.
    let ends = from !== undefined && to !== undefined;
    for (const [key, node] of [
      ['from', from],
      ['to', to],
    ] as const) {
      if (node !== undefined && !nodes.includes(node)) {
        const near = closest(node, nodes);
        c.add(
          'FRE021',
          `${p}/${key}`,
          `edge "${name ?? i}" ${key} "${node}", which is not a node of the graph`,
          near ? `did you mean "${near}"? (nodes: ${nodes.join(', ')})` : `use one of ${nodes.join(', ')}`,
        );
        ends = false;
      }
    }
    if (ends && (from === 'output' || to === 'input' || from === to || (from === 'input' && to === 'output'))) {
      c.add(
        'FRE022',
        p,
        `edge "${name ?? i}" goes ${from} → ${to}, which is not allowed`,
        'edges run from input or a hidden layer to a hidden layer or the output; no self-loops, nothing into the input or out of the output',
      );
      ends = false;
    }
    if (ends && pairs.has(`${from}>${to}`)) {
      c.add('FRE020', p, `a second edge ${from} → ${to}`, 'merge the two edges into one matrix');
    }
    if (ends) pairs.add(`${from}>${to}`);
    const ok = ends && name !== undefined && alpha !== undefined && convOk;

    const toOutput = to === 'output';
    // Whether `to` resolved: an edge whose "to" is a typo ("outptu", FRE021) may be the readout, so
    // the checks that tell a hidden edge from the readout (β_i required or misplaced) say nothing.
    const toKnown = to !== undefined && nodes.includes(to);
    let feedback: EdgeSpec['feedback'];
    if (e.feedback === undefined) {
      feedback = toOutput ? { kind: 'symmetric' } : { kind: 'none' };
    } else {
      const f = c.object(e.feedback, `${p}/feedback`, '"feedback"');
      if (f) {
        c.known(f, `${p}/feedback`, ['kind', 'beta']);
        const kind = c.oneOf(f, 'kind', `${p}/feedback`, FEEDBACK_KINDS, undefined);
        const beta = c.number(f, 'beta', `${p}/feedback`, { min: 0 });
        if (kind !== undefined) {
          if (from === 'input' && kind !== 'none') {
            c.add(
              'FRE025',
              `${p}/feedback`,
              `edge "${name}" from the input has feedback "${kind}", but the input is a static driver`,
              'remove "feedback" from edges that leave the input',
            );
          } else if (toOutput && kind === 'none') {
            c.add(
              'FRE025',
              `${p}/feedback/kind`,
              `the edge into the output has no feedback, so the nudge cannot reach the network`,
              'use "symmetric" (W_fᵀ) or "random" (fixed random B_f)',
            );
          } else if (toOutput && f.beta !== undefined) {
            c.add(
              'FRE026',
              `${p}/feedback/beta`,
              'the output feedback scale is β_f, set in "dynamics"',
              'remove "beta" here and set "dynamics": { "betaF": … }',
            );
          } else if (toKnown && !toOutput && kind !== 'none' && f.beta === undefined) {
            c.add(
              'FRE026',
              `${p}/feedback`,
              `feedback of edge "${name}" has no "beta" (β_i)`,
              'add "beta": 0.01 (the paper\'s Table-1 value)',
            );
          } else if (kind === 'none' && f.beta !== undefined) {
            c.add(
              'FRE026',
              `${p}/feedback/beta`,
              `feedback kind is "none" but "beta" is given`,
              'remove "beta" or choose kind "symmetric" or "random"',
            );
          }
          feedback = beta !== undefined ? { kind, beta } : { kind };
        }
      }
    }
    if (ok && feedback && name && from && to && alpha !== undefined) {
      out.push({
        name,
        from,
        to,
        alpha,
        feedback,
        trainable,
        ...(conv ? { conv } : {}),
        ...(pool ? { pool } : {}),
        ...(bias ? { bias } : {}),
      });
    }
  });

  const intoOutput = out.filter((e) => e.to === 'output');
  if (out.length === v.length && intoOutput.length !== 1) {
    c.add(
      'FRE023',
      '/edges',
      `${intoOutput.length} edges go into the output`,
      intoOutput.length === 0
        ? 'add one edge from the last hidden layer to "output"'
        : 'keep exactly one edge into "output" (the readout W_f)',
    );
  }
  // Every hidden layer must be driven, through forward edges, from the input; otherwise its state
  // is constant and its weights never learn.
  if (out.length === v.length) {
    const reached = new Set<string>(['input']);
    let grew = true;
    while (grew) {
      grew = false;
      for (const e of out) {
        if (reached.has(e.from) && !reached.has(e.to)) {
          reached.add(e.to);
          grew = true;
        }
      }
    }
    for (const l of layers) {
      if (!reached.has(l.name)) {
        c.add(
          'FRE024',
          `/layers/${l.index}`,
          `layer "${l.name}" has no path of edges from the input`,
          `add an edge into "${l.name}" from the input or a driven layer`,
        );
      }
    }
  }
  return { edges: out, trained };
}

/** `size` and/or `shape` [C, H, W] of the input or a layer; size = C·H·W when only the shape is given. */
function sizeAndShape(c: Checker, o: Obj, path: string): { size: number; shape?: MapShape } {
  let shape: MapShape | undefined;
  if (o.shape !== undefined) {
    const v = o.shape;
    if (!Array.isArray(v) || v.length !== 3 || !v.every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 1)) {
      c.add(
        'FRE011',
        `${path}/shape`,
        `"shape" must be [channels, height, width] (three positive integers), got ${JSON.stringify(v)}`,
        'write e.g. "shape": [1, 28, 28]',
      );
      return { size: 0 };
    }
    shape = [v[0], v[1], v[2]];
    const units = shape[0] * shape[1] * shape[2];
    if (shape.some((n) => n > LIMITS.shapeExtent) || units > LIMITS.layerUnits) {
      c.add(
        'FRE015',
        `${path}/shape`,
        `"shape" ${JSON.stringify(v)} is over the limit (each extent ≤ ${LIMITS.shapeExtent}, at most ${LIMITS.layerUnits} units; it has ${units})`,
        'use a smaller map; the limits are in docs/limits.md',
      );
      return { size: 0 };
    }
  }
  const size = c.number(o, 'size', path, { required: shape === undefined, integer: true, min: 1, limit: LIMITS.layerUnits });
  if (shape) {
    const n = shape[0] * shape[1] * shape[2];
    if (size !== undefined && size !== n) {
      c.add(
        'FRE012',
        `${path}/size`,
        `"size" is ${size} but "shape" ${JSON.stringify(shape)} holds ${n} units`,
        `remove "size" or set it to ${n}`,
      );
      return { size: 0 };
    }
    return { size: n, shape };
  }
  return { size: size ?? 0 };
}

/** The `conv`, `pool` fields of an edge (their own ranges; geometry against the layers comes later). */
function checkConvFields(c: Checker, e: Obj, p: string): { conv?: EdgeSpec['conv']; pool?: EdgeSpec['pool']; ok: boolean } {
  let ok = true;
  let conv: EdgeSpec['conv'];
  let pool: EdgeSpec['pool'];
  if (e.conv !== undefined) {
    const o = c.object(e.conv, `${p}/conv`, '"conv"');
    if (o) {
      c.known(o, `${p}/conv`, ['kernel', 'stride', 'padding']);
      const kernel = c.number(o, 'kernel', `${p}/conv`, { required: true, integer: true, min: 1 });
      const stride = c.number(o, 'stride', `${p}/conv`, { integer: true, min: 1, def: 1 });
      const padding = c.number(o, 'padding', `${p}/conv`, { integer: true, min: 0, def: 0 });
      if (kernel !== undefined && stride !== undefined && padding !== undefined) conv = { kernel, stride, padding };
      else ok = false;
    } else ok = false;
  }
  if (e.pool !== undefined) {
    const o = c.object(e.pool, `${p}/pool`, '"pool"');
    if (o) {
      c.known(o, `${p}/pool`, ['kind', 'size', 'stride', 'argmax', 'feedback', 'winner']);
      const kind = c.oneOf(o, 'kind', `${p}/pool`, POOL_KINDS, undefined);
      const size = c.number(o, 'size', `${p}/pool`, { required: true, integer: true, min: 1 });
      const stride = c.number(o, 'stride', `${p}/pool`, { integer: true, min: 1, def: size });
      const argmax = c.oneOf(o, 'argmax', `${p}/pool`, POOL_ARGMAX, 'preactivation');
      if (argmax === 'activation' && kind === 'avg') {
        c.add(
          'FRE028',
          `${p}/pool/argmax`,
          'an argmax rule only applies to max pooling (average pooling has no argmax)',
          'remove "argmax", or set "kind": "max"',
        );
        ok = false;
      }
      const feedback = c.oneOf(o, 'feedback', `${p}/pool`, POOL_FEEDBACK, 'winners');
      if (feedback === 'map') ok = checkMapFeedback(c, e, p, kind, size, stride) && ok;
      const winner = c.oneOf(o, 'winner', `${p}/pool`, POOL_WINNER, 'feedforward');
      if (winner === 'state') ok = checkStateWinner(c, p, kind, size, stride) && ok;
      // The defaults stay out of the normalized spec, so specs without the fields keep their bytes (and hash).
      if (
        kind !== undefined &&
        size !== undefined &&
        stride !== undefined &&
        argmax !== undefined &&
        feedback !== undefined &&
        winner !== undefined
      )
        pool = {
          kind,
          size,
          stride,
          ...(argmax === 'activation' ? { argmax } : {}),
          ...(feedback === 'map' ? { feedback } : {}),
          ...(winner === 'state' ? { winner } : {}),
        };
      else ok = false;
    } else ok = false;
    if (e.conv === undefined) {
      c.add('FRE028', `${p}/pool`, 'pooling is only allowed on a conv edge', 'add "conv": { "kernel": … } to this edge, or remove "pool"');
      ok = false;
    }
  }
  return { conv, pool, ok };
}

/**
 * Conv edges against their layers: both ends need a shape, the `to` layer's channels are the conv's
 * output channels and its H×W must be the (pooled) output size. Dense edges read shaped layers flat.
 */
function checkConvGeometry(c: Checker, edges: EdgeSpec[], layers: LayerSpec[], inputShape: MapShape | undefined, raw: unknown): void {
  if (!Array.isArray(raw)) return;
  const shapeOf = (node: string): MapShape | undefined => (node === 'input' ? inputShape : layers.find((l) => l.name === node)?.shape);
  for (const e of edges) {
    if (!e.conv) continue;
    const i = raw.findIndex((r) => typeof r === 'object' && r !== null && (r as Obj).name === e.name);
    const p = `/edges/${i}`;
    if (e.to === 'output') {
      c.add(
        'FRE028',
        `${p}/conv`,
        `the readout edge "${e.name}" cannot be a convolution`,
        'make the readout dense (it reads the last map flattened)',
      );
      continue;
    }
    const inS = shapeOf(e.from);
    const outS = shapeOf(e.to);
    const where = (node: string) => (node === 'input' ? '/input' : `/layers/${layers.findIndex((l) => l.name === node)}`);
    if (!inS)
      c.add(
        'FRE028',
        `${where(e.from)}`,
        `conv edge "${e.name}" reads "${e.from}", which has no "shape"`,
        `give "${e.from}" a "shape": [channels, height, width]`,
      );
    if (!outS)
      c.add(
        'FRE028',
        `${where(e.to)}`,
        `conv edge "${e.name}" writes "${e.to}", which has no "shape"`,
        `give "${e.to}" a "shape": [channels, height, width]`,
      );
    if (!inS || !outS) continue;
    const { kernel, stride = 1, padding = 0 } = e.conv;
    const oh = windowOut(inS[1], kernel, stride, padding);
    const ow = windowOut(inS[2], kernel, stride, padding);
    if (oh < 1 || ow < 1) {
      c.add(
        'FRE028',
        `${p}/conv/kernel`,
        `kernel ${kernel} is larger than the padded input ${inS[1] + 2 * padding}×${inS[2] + 2 * padding} of "${e.from}"`,
        'use a smaller kernel or more padding',
      );
      continue;
    }
    if (e.pool?.argmax === 'activation') checkPoolArgmax(c, e, p, layers, where(e.to));
    let h = oh;
    let w = ow;
    if (e.pool) {
      const ps = e.pool.stride ?? e.pool.size;
      if (e.pool.size > oh || e.pool.size > ow) {
        c.add('FRE028', `${p}/pool/size`, `pool window ${e.pool.size} is larger than the conv output ${oh}×${ow}`, 'use a smaller window');
        continue;
      }
      h = windowOut(oh, e.pool.size, ps, 0);
      w = windowOut(ow, e.pool.size, ps, 0);
    }
    if (outS[1] !== h || outS[2] !== w) {
      c.add(
        'FRE028',
        `${where(e.to)}/shape`,
        `conv edge "${e.name}" produces ${outS[0]}×${h}×${w} maps (${inS[1]}×${inS[2]} input, kernel ${kernel}, stride ${stride}, padding ${padding}${e.pool ? `, pool ${e.pool.size}` : ''}), but "${e.to}" has shape ${JSON.stringify(outS)}`,
        `set "shape": [${outS[0]}, ${h}, ${w}] on "${e.to}" or change the conv/pool settings`,
      );
    }
  }
  // A layer that is both written by conv edges and by dense edges is fine (dense reads/writes it flat).
  // pool.winner "state": the rest of a unit's drive (other edges included) lands on the edge's previous
  // winner, so two such edges into one layer would each count the other's drive as theirs.
  const stateInto = new Map<string, string>();
  for (const e of edges) {
    if (e.pool?.winner !== 'state') continue;
    const first = stateInto.get(e.to);
    if (first === undefined) {
      stateInto.set(e.to, e.name);
      continue;
    }
    const i = raw.findIndex((r) => typeof r === 'object' && r !== null && (r as Obj).name === e.name);
    c.add(
      'FRE028',
      `/edges/${i}/pool/winner`,
      `edges "${first}" and "${e.name}" both pool into "${e.to}" with "winner": "state"; at most one edge into a layer may keep its state map`,
      `remove "winner" from the pool of "${e.name}" or of "${first}"`,
    );
  }
  // pool.winner "state" with feedback: within a step the edge's feedback reads the state map that the repool
  // of its `to` layer then rewrites, so the engine runs the `from` layer first (layers in their listed order).
  const order = (node: string) => layers.findIndex((l) => l.name === node);
  for (const e of edges) {
    if (e.pool?.winner !== 'state' || (e.feedback?.kind ?? 'none') === 'none' || e.from === 'input') continue;
    if (order(e.from) < order(e.to)) continue;
    const i = raw.findIndex((r) => typeof r === 'object' && r !== null && (r as Obj).name === e.name);
    c.add(
      'FRE028',
      `/edges/${i}/pool/winner`,
      `edge "${e.name}" has "winner": "state" and feedback, but runs from "${e.from}" back to "${e.to}", which is listed before it; the state map its feedback reads needs "${e.from}" before "${e.to}"`,
      `list "${e.from}" before "${e.to}" in "layers", remove the edge's feedback, or remove "winner" from its pool`,
    );
  }
}

/**
 * `pool.argmax: "activation"` takes the argmax over ρ_to(α·(x + b)). It is defined here for hard-sigmoid
 * `to` layers only: that is the authors' rule, and the only activation whose saturation makes it differ
 * from the pre-activation argmax. For tanh and sigmoid (strictly increasing) it would differ only where
 * float rounding makes ρ tie, which is a rounding artefact, not a rule; refused rather than half-defined.
 * α ≤ 0 is refused too: the pooled value is the maximum of x, which is the maximum of ρ(α·(x + b)) only
 * for α > 0.
 */
function checkPoolArgmax(c: Checker, e: EdgeSpec, p: string, layers: LayerSpec[], toPath: string): void {
  const act = layers.find((l) => l.name === e.to)?.activation ?? 'tanh';
  if (act !== 'hard-sigmoid')
    c.add(
      'FRE028',
      `${p}/pool/argmax`,
      `"argmax": "activation" is defined for hard-sigmoid layers only, but "${e.to}" has activation "${act}" (${toPath}/activation)`,
      `set "activation": "hard-sigmoid" on "${e.to}", or remove "argmax" (for a strictly increasing activation the pre-activation argmax is the same up to float ties)`,
    );
  const alpha = e.alpha ?? 1;
  if (!(alpha > 0))
    c.add(
      'FRE028',
      `${p}/pool/argmax`,
      `"argmax": "activation" needs alpha > 0 on edge "${e.name}" (got ${alpha}): the pooled value is the window's maximum conv value`,
      'use a positive "alpha", or remove "argmax"',
    );
}

/**
 * What the two study options of the authors' notebook need from the pool, each reported at its own field:
 * a window winner (max pooling) and windows that do not overlap (stride ≥ size), so that a unit is the
 * winner of at most one window and carries one state. `what` names the option, `fix` how to drop it.
 */
function checkWinnerWindows(
  c: Checker,
  at: string,
  what: string,
  why: string,
  fix: string,
  kind: string | undefined,
  size: number | undefined,
  stride: number | undefined,
): boolean {
  let ok = true;
  if (kind === 'avg') {
    c.add('FRE028', at, `${what} needs max pooling (${why})`, `set "kind": "max", or ${fix}`);
    ok = false;
  }
  if (size !== undefined && stride !== undefined && stride < size) {
    c.add(
      'FRE028',
      at,
      `${what} needs windows that do not overlap, but stride ${stride} < size ${size} (a unit could be the winner of two windows)`,
      `set "stride" ≥ ${size}, or ${fix}`,
    );
    ok = false;
  }
  return ok;
}

/**
 * `pool.feedback: "map"` feeds back the whole pre-pool map, each window's winner carrying the `to` state: it
 * needs the winner windows above and a feedback path to read (feedback not "none").
 */
function checkMapFeedback(
  c: Checker,
  e: Obj,
  p: string,
  kind: string | undefined,
  size: number | undefined,
  stride: number | undefined,
): boolean {
  const fix = 'remove "feedback" from "pool" (the default "winners" feeds back the pooled state)';
  const at = `${p}/pool/feedback`;
  let ok = checkWinnerWindows(c, at, '"feedback": "map"', "a window's winner carries the pooled state", fix, kind, size, stride);
  const fb = e.feedback;
  const fbKind = typeof fb === 'object' && fb !== null ? (fb as Obj).kind : undefined;
  if (fb === undefined || fbKind === 'none') {
    c.add(
      'FRE028',
      at,
      `"feedback": "map" chooses what the edge's feedback reads, but edge "${String(e.name)}" has no feedback`,
      `add "feedback": { "kind": "symmetric", "beta": … } to the edge, or ${fix}`,
    );
    ok = false;
  }
  return ok;
}

/**
 * `pool.winner: "state"` keeps a pre-pool state map whose previous winner carries the rest of the unit's
 * drive: it needs the winner windows above. One such edge per layer, and the order of an edge with feedback,
 * are checked with the layers (checkConvGeometry).
 */
function checkStateWinner(c: Checker, p: string, kind: string | undefined, size: number | undefined, stride: number | undefined): boolean {
  const fix = 'remove "winner" from "pool" (the default "feedforward" picks the winner by the read)';
  return checkWinnerWindows(c, `${p}/pool/winner`, '"winner": "state"', 'average pooling has no winner', fix, kind, size, stride);
}

function checkDynamics(c: Checker, v: unknown): GraphSpec['dynamics'] | undefined {
  const d = c.object(v, '/dynamics', '"dynamics"');
  if (!d) return undefined;
  c.known(d, '/dynamics', ['T', 'K', 'betaF', 'nudge', 'divideByBetaF']);
  const T = c.number(d, 'T', '/dynamics', { required: true, integer: true, min: 1, limit: LIMITS.steps });
  const K = c.number(d, 'K', '/dynamics', { required: true, integer: true, min: 1, limit: LIMITS.steps });
  const betaF = c.number(d, 'betaF', '/dynamics', { required: true, min: 0, minExclusive: true });
  const nudge = c.oneOf(d, 'nudge', '/dynamics', NUDGE_MODES, 'held');
  const divide = c.boolean(d, 'divideByBetaF', '/dynamics', false);
  if (T === undefined || K === undefined || betaF === undefined || nudge === undefined) return undefined;
  return { T, K, betaF, nudge, ...(divide ? { divideByBetaF: true } : {}) };
}

const OPTIMIZER_KINDS = ['adam', 'adamw', 'sgd'] as const;
const SCHEDULE_KINDS = ['constant', 'cosine'] as const;

function checkTraining(c: Checker, v: unknown, trained: string[]): GraphSpec['training'] | undefined {
  const t = c.object(v, '/training', '"training"');
  if (!t) return undefined;
  c.known(t, '/training', ['optimizer', 'batchSize', 'epochs', 'seed', 'schedule', 'clipGradNorm', 'init']);
  const batchSize = c.number(t, 'batchSize', '/training', { required: true, integer: true, min: 1, limit: LIMITS.batchSize });
  const epochs = c.number(t, 'epochs', '/training', { required: true, integer: true, min: 1, limit: LIMITS.epochs });
  const seed = c.number(t, 'seed', '/training', { integer: true, def: 0 });
  // Optional fields are left out of the validated spec when absent (no clipping, constant lr): the
  // compiler embeds that spec in netlists, so specs without them keep their exact validated form.
  const clipGradNorm = c.number(t, 'clipGradNorm', '/training', { min: 0, minExclusive: true });
  const clipOk = t.clipGradNorm === undefined || clipGradNorm !== undefined;
  const init = c.oneOf(t, 'init', '/training', INIT_KINDS, 'glorot');
  const initOk = t.init === undefined || init !== undefined;
  const p = '/training/optimizer';
  const o = c.object(t.optimizer, p, '"optimizer"');
  let optimizer: GraphSpec['training']['optimizer'] | undefined;
  if (o) {
    const kind = c.oneOf(o, 'kind', p, OPTIMIZER_KINDS, undefined);
    if (kind === 'adam' || kind === 'adamw') {
      c.known(o, p, ['kind', 'lr', 'beta1', 'beta2', 'eps', 'weightDecay']);
      const lr = c.number(o, 'lr', p, { required: true, min: 0, minExclusive: true });
      const beta1 = c.number(o, 'beta1', p, { min: 0, max: 0.999999, def: 0.9 });
      const beta2 = c.number(o, 'beta2', p, { min: 0, max: 0.999999999, def: 0.999 });
      const eps = c.number(o, 'eps', p, { min: 0, minExclusive: true, def: 1e-8 });
      // AdamW's PyTorch default (0.01) is filled in; Adam's default is no decay, left out.
      const weightDecay = c.number(o, 'weightDecay', p, { min: 0, def: kind === 'adamw' ? 0.01 : undefined });
      const wdOk = o.weightDecay === undefined || weightDecay !== undefined;
      if (lr !== undefined && beta1 !== undefined && beta2 !== undefined && eps !== undefined && wdOk) {
        optimizer = { kind, lr, beta1, beta2, eps, ...(weightDecay !== undefined ? { weightDecay } : {}) };
      }
    } else if (kind === 'sgd') {
      c.known(o, p, ['kind', 'lr', 'momentum', 'weightDecay']);
      const momentum = c.number(o, 'momentum', p, { min: 0, max: 0.999999, def: 0 });
      const weightDecay = c.number(o, 'weightDecay', p, { min: 0 });
      const wdOk = o.weightDecay === undefined || weightDecay !== undefined;
      let lr: number | Record<string, number> | undefined;
      if (typeof o.lr === 'object' && o.lr !== null && !Array.isArray(o.lr)) {
        const map: Record<string, number> = {};
        for (const name of Object.keys(o.lr as Obj)) {
          if (!trained.includes(name)) {
            c.add(
              'FRE027',
              `${p}/lr/${pointerToken(name)}`,
              `learning rate given for "${name}", which is not a trained edge`,
              `use the names of trained edges: ${trained.join(', ')}`,
            );
            continue;
          }
          const n = c.number(o.lr as Obj, name, `${p}/lr`, { min: 0, minExclusive: true });
          if (n !== undefined) map[name] = n;
        }
        for (const name of trained) {
          if (!(name in map) && !c.diags.some((d) => d.path.startsWith(`${p}/lr/`))) {
            c.add(
              'FRE010',
              `${p}/lr`,
              `no learning rate for trained edge "${name}"`,
              `add "${name}": <lr> to the map, or give one number for all edges`,
            );
          }
        }
        lr = map;
      } else {
        lr = c.number(o, 'lr', p, { required: true, min: 0, minExclusive: true });
      }
      if (lr !== undefined && momentum !== undefined && wdOk) {
        optimizer = { kind, lr, momentum, ...(weightDecay !== undefined ? { weightDecay } : {}) };
      }
    }
  }
  const { schedule, ok: scheduleOk } = checkSchedule(c, t.schedule, optimizer);
  if (batchSize === undefined || epochs === undefined || seed === undefined || optimizer === undefined || !scheduleOk || !clipOk || !initOk)
    return undefined;
  return {
    optimizer,
    batchSize,
    epochs,
    seed,
    ...(schedule ? { schedule } : {}),
    ...(clipGradNorm !== undefined ? { clipGradNorm } : {}),
    ...(t.init !== undefined && init !== undefined ? { init } : {}),
  };
}

/** /training/schedule. `ok` is false when a given schedule has a problem (already reported). */
function checkSchedule(
  c: Checker,
  v: unknown,
  optimizer: GraphSpec['training']['optimizer'] | undefined,
): { schedule?: GraphSpec['training']['schedule']; ok: boolean } {
  if (v === undefined) return { ok: true };
  const p = '/training/schedule';
  const s = c.object(v, p, '"schedule"');
  if (!s) return { ok: false };
  const kind = c.oneOf(s, 'kind', p, SCHEDULE_KINDS, undefined);
  if (kind === 'constant') {
    c.known(s, p, ['kind']);
    return s.epochs === undefined && s.minLr === undefined ? { schedule: { kind }, ok: true } : { ok: false };
  }
  if (kind !== 'cosine') return { ok: false };
  c.known(s, p, ['kind', 'epochs', 'minLr']);
  const epochs = c.number(s, 'epochs', p, { integer: true, min: 1 });
  const minLr = c.number(s, 'minLr', p, { min: 0, def: 0 });
  if ((s.epochs !== undefined && epochs === undefined) || minLr === undefined) return { ok: false };
  // η_min is an absolute rate: above the optimiser's rate the "annealing" would raise it (a likely
  // misreading of minLr as a fraction of lr).
  if (optimizer) {
    const lrs = typeof optimizer.lr === 'number' ? [optimizer.lr] : Object.values(optimizer.lr);
    const lowest = Math.min(...lrs);
    if (lrs.length > 0 && minLr > lowest) {
      c.add(
        'FRE012',
        `${p}/minLr`,
        `"minLr" is ${minLr}, above the learning rate ${lowest}; the cosine schedule would raise the rate`,
        `set "minLr" to an absolute rate below ${lowest} (η_min, e.g. 0 or ${lowest / 100})`,
      );
      return { ok: false };
    }
  }
  return { schedule: { kind, ...(epochs !== undefined ? { epochs } : {}), minLr }, ok: true };
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number' && !Number.isFinite(v)) return `${v} (JSON numbers like 1e999 overflow to infinity)`;
  return typeof v === 'string' ? `the string ${JSON.stringify(v)}` : typeof v;
}

/** A key as one JSON-pointer reference token (RFC 6901: "~" → "~0", "/" → "~1"). */
function pointerToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function lastKey(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
