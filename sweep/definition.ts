/**
 * The sweep file (`fre-sweep/1`): reading and checking it completely before any run starts.
 *
 *   {
 *     "format": "fre-sweep/1",
 *     "name": "beta-method",
 *     "runner": "train",
 *     "graph": "../mnist-demo.json",                  // relative to this file, or an inline graph
 *     "set": { "graph.training.epochs": 3 },          // fixed changes to the base, before the axes
 *     "data": { "trainLimit": 10000, "testLimit": 2000 },
 *     "axes": [
 *       { "name": "beta", "path": "graph.edges[*].feedback.beta", "values": { "from": 0.001, "to": 0.1, "steps": 5, "scale": "log" } },
 *       { "path": "method", "values": ["ep", "bp"] }
 *     ],
 *     "seeds": 3,
 *     "metrics": ["bestTestAccuracy", "finalTestAccuracy"]
 *   }
 *
 * Every problem found is reported together (file, JSON pointer, what is wrong, what to change),
 * including the ones that only appear once axis values are applied: each point's graph is run
 * through the graph validator (and each chip through the runner's validateChip) here.
 */
import { existsSync } from 'node:fs';
import { formatBytes, LIMITS } from '../util/limits';
import { jsonSyntaxMessage } from '../util/json-text';
import { readTextBounded, ReadError } from '../util/read-bounded';
import { dirname, resolve } from 'node:path';
import { SpecError } from '../graph/diagnostics';
import type { GraphSpec } from '../graph/spec';
import { validateGraph } from '../graph/validate';
import { chipFileOfName } from '../hw-models/load';
import { canonicalJson, deepClone, shortHash } from './canonical';
import { closest, SweepError, typeName, type SweepProblem } from './errors';
import {
  concretePointer,
  concreteText,
  getAt,
  parsePath,
  PathSyntaxError,
  resolvePath,
  setAt,
  type Concrete,
  type Doc,
  type PathPattern,
} from './paths';
import { getRunner, runnerNames, type RunConfig, type SweepData, type SweepRunner } from './runner';
import './runners/index';

export const SWEEP_FORMAT = 'fre-sweep/1';
const TOP_KEYS = ['format', 'name', 'description', 'runner', 'graph', 'chip', 'set', 'method', 'data', 'axes', 'seeds', 'metrics'];
const AXIS_KEYS = ['name', 'path', 'values'];
const RANGE_KEYS = ['from', 'to', 'steps', 'scale'];
const DATA_KEYS = ['trainLimit', 'testLimit', 'dataDir'];
export interface AxisTarget {
  doc: Doc;
  path: Concrete;
}

export interface Axis {
  name: string;
  /** 'method' selects the runner's method; 'path' sets one or more fields. */
  kind: 'method' | 'path';
  /** The path patterns as written (path axes). */
  patterns: string[];
  /** Every concrete field the axis sets (a wildcard expands here). */
  targets: AxisTarget[];
  values: unknown[];
  /** 'log' when the values come from a log range (a hint for plots). */
  scale: 'lin' | 'log';
  /** True when "values" is a list (so /values/j points at one value), false for a range. */
  listed: boolean;
  /** JSON pointer of the axis in the sweep file. */
  where: string;
}

export interface SweepDef {
  file: string;
  name: string;
  description?: string;
  runner: SweepRunner;
  /** The base graph file (absolute), when the sweep names one. */
  graphFile?: string;
  graph: GraphSpec;
  chip?: unknown;
  /** The method when there is no method axis. */
  method: string;
  data: SweepData;
  axes: Axis[];
  seeds: number[];
  metrics: string[];
  /** Identifies the sweep: everything that decides which runs exist and what they compute. */
  hash: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

class Problems {
  readonly list: SweepProblem[] = [];
  constructor(readonly file: string) {}
  private readonly keys = new Set<string>();
  /** `key` (default: where + message) collapses repeats, e.g. one bad value at every edge a wildcard reaches. */
  add(where: string, message: string, hint: string, key = `${where}\n${message}`): void {
    if (this.keys.has(key)) return;
    this.keys.add(key);
    this.list.push({ file: this.file, where, message, hint });
  }
  throwIfAny(): void {
    if (this.list.length) throw new SweepError(this.list);
  }
}

export function loadSweep(file: string, overrides: { dataDir?: string } = {}): SweepDef {
  let text: string;
  try {
    text = readTextBounded(file, LIMITS.jsonFileBytes);
  } catch (err) {
    if (!(err instanceof ReadError)) throw err;
    throw SweepError.one(
      file,
      '',
      `cannot read the sweep file: it ${err.detail}`,
      err.reason === 'too-large'
        ? `a sweep file is JSON of at most ${formatBytes(LIMITS.jsonFileBytes)} (docs/limits.md)`
        : 'check the path; example sweeps live in examples/sweeps/',
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw SweepError.one(
      file,
      '',
      jsonSyntaxMessage(err, text),
      'fix the JSON syntax there (a trailing comma or a missing quote is the usual cause)',
    );
  }
  return checkSweep(raw, file, overrides);
}

/** Checks a parsed sweep file; `file` names it in messages and anchors relative paths. */
export function checkSweep(raw: unknown, file: string, overrides: { dataDir?: string } = {}): SweepDef {
  const P = new Problems(file);
  const dir = dirname(resolve(file));
  if (!isObj(raw))
    throw SweepError.one(
      file,
      '',
      `a sweep file is one JSON object, got ${typeName(raw)}`,
      'write { "format": "fre-sweep/1", "graph": …, "axes": [ … ] } (see docs/sweeps.md)',
    );
  for (const k of Object.keys(raw)) {
    if (!TOP_KEYS.includes(k)) {
      const near = closest(k, TOP_KEYS);
      P.add(
        `/${k}`,
        `unknown field "${k}"`,
        near ? `did you mean "${near}"? (allowed: ${TOP_KEYS.join(', ')})` : `remove it (allowed: ${TOP_KEYS.join(', ')})`,
      );
    }
  }
  if (raw.format !== SWEEP_FORMAT) {
    P.add(
      '/format',
      `"format" is ${raw.format === undefined ? 'missing' : JSON.stringify(raw.format)}; this toolchain reads "${SWEEP_FORMAT}"`,
      `set "format": "${SWEEP_FORMAT}"`,
    );
  }
  const name =
    raw.name === undefined
      ? baseName(file)
      : typeof raw.name === 'string' && raw.name
        ? raw.name
        : (P.add('/name', `"name" must be a non-empty string, got ${typeName(raw.name)}`, 'write "name": "my-sweep"'), baseName(file));
  if (raw.description !== undefined && typeof raw.description !== 'string')
    P.add('/description', `"description" must be a string, got ${typeName(raw.description)}`, 'write it as a string');

  // Runner
  const runnerName = raw.runner === undefined ? 'train' : raw.runner;
  let runner: SweepRunner | undefined;
  if (typeof runnerName !== 'string') {
    P.add('/runner', `"runner" must be a string, got ${typeName(runnerName)}`, `use one of: ${runnerNames().join(', ')}`);
  } else {
    runner = getRunner(runnerName);
    if (!runner) {
      const near = closest(runnerName, runnerNames());
      P.add(
        '/runner',
        `unknown runner "${runnerName}"`,
        near && near !== runnerName
          ? `did you mean "${near}"? (runners: ${runnerNames().join(', ')})`
          : `use one of the registered runners: ${runnerNames().join(', ')}`,
      );
    }
  }

  // Base graph
  let graph: GraphSpec | undefined;
  let graphFile: string | undefined;
  if (raw.graph === undefined) {
    P.add('/graph', '"graph" is missing', 'add "graph": "path/to/spec.json" (relative to this sweep file) or an inline graph object');
  } else if (typeof raw.graph === 'string') {
    graphFile = resolve(dir, raw.graph);
    if (!existsSync(graphFile)) {
      P.add(
        '/graph',
        `the base graph "${raw.graph}" does not exist (looked for ${graphFile})`,
        "give the path relative to the sweep file's folder",
      );
    } else {
      let g: unknown;
      let gtext = '';
      try {
        gtext = readTextBounded(graphFile, LIMITS.jsonFileBytes);
        g = JSON.parse(gtext);
      } catch (err) {
        if (err instanceof ReadError)
          P.add(
            '/graph',
            `the base graph ${err.message}`,
            `name a graph spec (JSON, at most ${formatBytes(LIMITS.jsonFileBytes)}, docs/limits.md)`,
          );
        else P.add('/graph', `the base graph ${graphFile} is ${jsonSyntaxMessage(err, gtext)}`, 'fix that file (fre train checks it too)');
      }
      if (g !== undefined) graph = baseGraph(P, g, graphFile);
    }
  } else if (isObj(raw.graph)) {
    graph = baseGraph(P, raw.graph, `${file} (inline "graph")`);
  } else {
    P.add('/graph', `"graph" must be a file name or a graph object, got ${typeName(raw.graph)}`, 'write "graph": "path/to/spec.json"');
  }

  // Chip
  let chip: unknown;
  if (raw.chip !== undefined && runner) {
    if (!runner.resolveChip) {
      P.add(
        '/chip',
        `runner "${runner.name}" does not simulate a chip, so "chip" has no effect`,
        'remove "chip", or use a chip runner ("runner": "chip")',
      );
    } else {
      const r = runner.resolveChip(raw.chip, file);
      if ('problems' in r) r.problems.forEach((q) => P.add(`/chip${q.path ? ` (${q.path})` : ''}`, q.message, q.hint));
      else chip = r.chip;
    }
  }

  // Fixed overrides of the base documents: "set": { "graph.training.epochs": 3, … }
  const fixed: AxisTarget[] = [];
  if (raw.set !== undefined) {
    if (!isObj(raw.set)) {
      P.add('/set', `"set" must be an object of path: value, got ${typeName(raw.set)}`, 'write "set": { "graph.training.epochs": 3 }');
    } else {
      const g = graph ? deepClone(graph) : undefined;
      const c = deepClone(chip);
      for (const [text, v] of Object.entries(raw.set)) {
        const w = `/set/${text.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        const r = resolveTargets(P, text, w, runner, g, c, 'set');
        if (!r) continue;
        for (const path of r.paths) {
          if (!typeCheck(P, r.doc, path, getAt(r.root, path), v, w, '"set"')) continue;
          setAt(r.root, path, deepClone(v));
          fixed.push({ doc: r.doc, path });
        }
      }
      if (g) {
        const { spec, diagnostics } = validateGraph(g, graphFile ?? file);
        for (const d of diagnostics)
          P.add('/set', `with these values the graph is invalid at ${pointerText('graph', d.path)}: ${d.code}: ${d.message}`, d.hint);
        if (spec) graph = spec;
      }
      if (c !== undefined && graph && runner?.validateChip) {
        for (const q of runner.validateChip(c, graph))
          P.add('/set', `with these values the chip is invalid${q.path ? ` at ${q.path}` : ''}: ${q.message}`, q.hint);
      }
      chip = c;
    }
  }

  // Data
  const data: SweepData = {};
  if (raw.data !== undefined) {
    if (!isObj(raw.data)) {
      P.add('/data', `"data" must be an object, got ${typeName(raw.data)}`, 'write "data": { "trainLimit": 1000, "testLimit": 500 }');
    } else {
      for (const k of Object.keys(raw.data)) {
        if (!DATA_KEYS.includes(k)) {
          const near = closest(k, DATA_KEYS);
          P.add(
            `/data/${k}`,
            `unknown field "${k}"`,
            near ? `did you mean "${near}"? (allowed: ${DATA_KEYS.join(', ')})` : `remove it (allowed: ${DATA_KEYS.join(', ')})`,
          );
        }
      }
      for (const k of ['trainLimit', 'testLimit'] as const) {
        const v = raw.data[k];
        if (v === undefined) continue;
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
          P.add(
            `/data/${k}`,
            `"${k}" must be an integer ≥ 1, got ${typeName(v)}`,
            `write e.g. "${k}": 1000, or remove it to use the whole set`,
          );
        else data[k] = v;
      }
      if (raw.data.dataDir !== undefined) {
        if (typeof raw.data.dataDir !== 'string' || !raw.data.dataDir)
          P.add(
            '/data/dataDir',
            `"dataDir" must be a folder name, got ${typeName(raw.data.dataDir)}`,
            'write a path (relative to the sweep file) or remove it',
          );
        else data.dataDir = resolve(dir, raw.data.dataDir);
      }
    }
  }
  if (overrides.dataDir !== undefined) data.dataDir = resolve(overrides.dataDir);

  // Method default
  let method = runner?.defaultMethod ?? '';
  if (raw.method !== undefined && runner) {
    if (typeof raw.method !== 'string' || !runner.methods.includes(raw.method)) {
      const near = typeof raw.method === 'string' ? closest(raw.method, runner.methods) : undefined;
      P.add(
        '/method',
        `"method" is ${JSON.stringify(raw.method)}, which runner "${runner.name}" does not know`,
        near ? `did you mean "${near}"? (methods: ${runner.methods.join(', ')})` : `use one of: ${runner.methods.join(', ')}`,
      );
    } else {
      method = raw.method;
    }
  }

  // Axes
  const axes: Axis[] = [];
  if (raw.axes !== undefined && !Array.isArray(raw.axes)) {
    P.add(
      '/axes',
      `"axes" must be a list, got ${typeName(raw.axes)}`,
      'write "axes": [ { "path": "graph.dynamics.T", "values": [5, 10] } ]',
    );
  } else if (Array.isArray(raw.axes)) {
    raw.axes.forEach((a, i) => {
      const axis = checkAxis(P, a, `/axes/${i}`, runner, graph, chip);
      if (!axis) return;
      if (axes.some((b) => b.name === axis.name))
        P.add(`/axes/${i}/name`, `two axes are called "${axis.name}"`, 'give every axis its own "name"');
      for (const t of axis.targets) {
        if (fixed.some((u) => u.doc === t.doc && concreteText(u.doc, u.path) === concreteText(t.doc, t.path))) {
          P.add(
            `/axes/${i}/path`,
            `"set" and axis "${axis.name}" both set ${concreteText(t.doc, t.path)}`,
            'remove it from "set" (the axis decides)',
          );
        }
        const other = axes.find((b) =>
          b.targets.some((u) => u.doc === t.doc && concreteText(u.doc, u.path) === concreteText(t.doc, t.path)),
        );
        if (other)
          P.add(
            `/axes/${i}/path`,
            `axes "${other.name}" and "${axis.name}" both set ${concreteText(t.doc, t.path)}`,
            'let one axis set each field',
          );
      }
      axes.push(axis);
    });
  }
  if (raw.method !== undefined && axes.some((a) => a.kind === 'method')) {
    P.add('/method', '"method" is given and there is also a method axis', 'remove one of them');
  }

  // Seeds
  let seeds: number[] = graph ? [graph.training.seed] : [0];
  if (raw.seeds !== undefined) {
    const s = raw.seeds;
    if ((typeof s === 'number' && s > LIMITS.seeds) || (Array.isArray(s) && s.length > LIMITS.seeds)) {
      P.add(
        '/seeds',
        `${typeof s === 'number' ? `"seeds" is ${s}` : `"seeds" lists ${(s as unknown[]).length} seeds`}, over the limit of ${LIMITS.seeds}`,
        `use at most ${LIMITS.seeds} seeds (docs/limits.md)`,
      );
    } else if (typeof s === 'number' && Number.isInteger(s) && s >= 1) {
      seeds = Array.from({ length: s }, (_, k) => k);
    } else if (Array.isArray(s) && s.length > 0 && s.every((x) => typeof x === 'number' && Number.isInteger(x))) {
      if (new Set(s).size !== s.length) P.add('/seeds', 'a seed is listed twice', 'list every seed once');
      seeds = s as number[];
    } else {
      P.add(
        '/seeds',
        Array.isArray(s) && s.length === 0
          ? '"seeds" is empty'
          : `"seeds" must be a count ≥ 1 or a non-empty list of integers, got ${typeName(s)}`,
        'write "seeds": 3 (for seeds 0, 1, 2) or "seeds": [0, 1, 2]',
      );
    }
  }

  // The grid's size before anything enumerates it (points × seeds, each axis already bounded).
  const runs = axes.reduce((n, a) => n * a.values.length, 1) * seeds.length;
  if (runs > LIMITS.sweepRuns) {
    P.add(
      '/axes',
      `the grid has ${runs} runs (${axes.map((a) => a.values.length).join(' × ')} points × ${seeds.length} seeds), over the limit of ${LIMITS.sweepRuns}`,
      `split it into several sweep files or use fewer values (docs/limits.md)`,
    );
    P.throwIfAny();
  }

  // Metrics
  let metrics: string[] = runner ? [...runner.defaultMetrics] : [];
  if (raw.metrics !== undefined && runner) {
    const m = raw.metrics;
    if (!Array.isArray(m) || m.length === 0 || !m.every((x) => typeof x === 'string')) {
      P.add(
        '/metrics',
        `"metrics" must be a non-empty list of metric names, got ${typeName(m)}`,
        `choose from: ${runner.metrics.join(', ')}`,
      );
    } else {
      m.forEach((x: string, k) => {
        if (!runner!.metrics.includes(x)) {
          const near = closest(x, runner!.metrics);
          P.add(
            `/metrics/${k}`,
            `runner "${runner!.name}" does not report a metric "${x}"`,
            near ? `did you mean "${near}"? (metrics: ${runner!.metrics.join(', ')})` : `choose from: ${runner!.metrics.join(', ')}`,
          );
        }
      });
      if (new Set(m).size !== m.length) P.add('/metrics', 'a metric is listed twice', 'list every metric once');
      metrics = m as string[];
    }
  }
  P.throwIfAny();

  const def: SweepDef = {
    file,
    name,
    ...(typeof raw.description === 'string' ? { description: raw.description } : {}),
    runner: runner!,
    ...(graphFile ? { graphFile } : {}),
    graph: graph!,
    ...(chip !== undefined ? { chip } : {}),
    method,
    data,
    axes,
    seeds,
    metrics,
    hash: '',
  };
  checkPoints(P, def);
  P.throwIfAny();
  def.hash = sweepHash(def);
  return def;
}

function baseName(file: string): string {
  return file.replace(/^.*[\\/]/, '').replace(/\.json$/, '') || 'sweep';
}

function baseGraph(P: Problems, g: unknown, graphFile: string): GraphSpec | undefined {
  const { spec, diagnostics } = validateGraph(g, graphFile);
  if (!spec) {
    P.add(
      '/graph',
      `the base graph is invalid:\n${new SpecError(diagnostics).message}`,
      'fix the graph file first (`fre train` reports the same problems)',
    );
  }
  return spec;
}

function checkAxis(
  P: Problems,
  a: unknown,
  where: string,
  runner: SweepRunner | undefined,
  graph: GraphSpec | undefined,
  chip: unknown,
): Axis | undefined {
  if (!isObj(a)) {
    P.add(where, `an axis must be an object, got ${typeName(a)}`, 'write { "path": "graph.dynamics.T", "values": [5, 10] }');
    return undefined;
  }
  for (const k of Object.keys(a)) {
    if (!AXIS_KEYS.includes(k)) {
      const near = closest(k, AXIS_KEYS);
      P.add(
        `${where}/${k}`,
        `unknown field "${k}" in an axis`,
        near ? `did you mean "${near}"? (allowed: ${AXIS_KEYS.join(', ')})` : `remove it (allowed: ${AXIS_KEYS.join(', ')})`,
      );
    }
  }
  const paths: string[] = [];
  if (typeof a.path === 'string') paths.push(a.path);
  else if (Array.isArray(a.path) && a.path.length > 0 && a.path.every((p) => typeof p === 'string')) paths.push(...(a.path as string[]));
  else {
    P.add(
      `${where}/path`,
      a.path === undefined ? 'the axis has no "path"' : `"path" must be a field path or a non-empty list of them, got ${typeName(a.path)}`,
      'write e.g. "path": "graph.edges[*].feedback.beta", "path": ["graph.dynamics.T", "graph.dynamics.K"] or "path": "method"',
    );
    return undefined;
  }
  const isMethod = paths.includes('method');
  if (isMethod && paths.length > 1) {
    P.add(`${where}/path`, '"method" cannot be combined with field paths in one axis', 'give the method its own axis');
    return undefined;
  }
  let name: string;
  if (a.name === undefined) {
    if (paths.length > 1) {
      P.add(`${where}/name`, 'an axis that sets several paths needs a "name"', 'add e.g. "name": "beta"');
      return undefined;
    }
    name = paths[0];
  } else if (typeof a.name !== 'string' || !a.name) {
    P.add(`${where}/name`, `"name" must be a non-empty string, got ${typeName(a.name)}`, 'write e.g. "name": "beta"');
    return undefined;
  } else {
    name = a.name;
  }
  if (name === 'seed' || name === 'seeds') {
    P.add(`${where}/name`, `"${name}" is reserved for the seeds`, 'list seeds in the top-level "seeds" and give the axis another name');
    return undefined;
  }
  if (name === 'method' && !isMethod) {
    P.add(`${where}/name`, '"method" is reserved for the method axis ("path": "method")', 'give the axis another name');
    return undefined;
  }

  const values = expandValues(P, a.values, `${where}/values`);
  if (!values) return undefined;
  const scale = isObj(a.values) && a.values.scale === 'log' ? 'log' : 'lin';

  if (isMethod) {
    if (!runner) return undefined;
    let ok = true;
    values.values.forEach((v, j) => {
      if (typeof v !== 'string' || !runner.methods.includes(v)) {
        const near = typeof v === 'string' ? closest(v, runner.methods) : undefined;
        P.add(
          `${where}/values/${j}`,
          `unknown method ${JSON.stringify(v)} for runner "${runner.name}"`,
          near
            ? `did you mean "${near}"? (methods: ${runner.methods.join(', ')})`
            : `use methods of runner "${runner.name}": ${runner.methods.join(', ')}`,
        );
        ok = false;
      }
    });
    return ok
      ? { name: 'method', kind: 'method', patterns: ['method'], targets: [], values: values.values, scale, listed: values.listed, where }
      : undefined;
  }

  const targets: AxisTarget[] = [];
  let ok = true;
  paths.forEach((text, k) => {
    const pw = typeof a.path === 'string' ? `${where}/path` : `${where}/path/${k}`;
    const r = resolveTargets(P, text, pw, runner, graph, chip, 'axis');
    if (!r) {
      ok = false;
      return;
    }
    for (const path of r.paths) {
      values.values.forEach((v, j) => {
        if (!typeCheck(P, r.doc, path, getAt(r.root, path), v, `${where}/values${values.listed ? `/${j}` : ''}`, 'the axis')) ok = false;
      });
      targets.push({ doc: r.doc, path });
    }
  });
  return ok ? { name, kind: 'path', patterns: paths, targets, values: values.values, scale, listed: values.listed, where } : undefined;
}

/** A path of an axis or of "set" → its document and concrete paths; problems reported at `pw`. */
function resolveTargets(
  P: Problems,
  text: string,
  pw: string,
  runner: SweepRunner | undefined,
  graph: unknown,
  chip: unknown,
  what: 'axis' | 'set',
): { doc: Doc; root: unknown; paths: Concrete[] } | undefined {
  let pat: PathPattern;
  try {
    pat = parsePath(text);
  } catch (err) {
    if (!(err instanceof PathSyntaxError)) throw err;
    P.add(
      pw,
      `bad path: ${err.message}`,
      `write e.g. graph.dynamics.T, graph.edges[1].feedback.beta, graph.edges[*].feedback.beta or chip.crossbar.rows${what === 'axis' ? ' (or "method")' : ''}`,
    );
    return undefined;
  }
  let root: unknown;
  if (pat.doc === 'graph') {
    if (!graph) return undefined; // the graph's own problems are reported already
    root = graph;
  } else {
    if (runner && !runner.resolveChip) {
      P.add(
        pw,
        `unknown path "${text}": runner "${runner.name}" has no chip description`,
        `set chip fields with a chip runner ("runner": "chip"), or remove this ${what === 'axis' ? 'axis' : 'entry'}`,
      );
      return undefined;
    }
    if (chip === undefined) {
      if (runner) P.add(pw, `unknown path "${text}": the sweep names no chip`, 'add "chip": "<preset>" to the sweep file');
      return undefined;
    }
    root = chip;
  }
  const r = resolvePath(root, pat);
  if ('error' in r) {
    P.add(pw, `unknown path "${text}": ${r.error.message}`, r.error.hint);
    return undefined;
  }
  for (const path of r.paths) {
    if (pat.doc === 'graph' && path[0] === 'training' && path[1] === 'seed') {
      P.add(
        pw,
        `"${text}" is the training seed, which the sweep sets from "seeds"`,
        `remove this ${what === 'axis' ? 'axis' : 'entry'} and list the seeds in "seeds"`,
      );
      return undefined;
    }
    if (pat.doc === 'graph' && path[0] === 'format') {
      P.add(pw, `"${text}" is the format version and cannot be changed`, `remove this ${what === 'axis' ? 'axis' : 'entry'}`);
      return undefined;
    }
  }
  return { doc: pat.doc, root, paths: r.paths };
}

/**
 * A value against the base document's value at the same place. Graph fields have one JSON type
 * each, so a different type is reported here (with the fix); chip fields may be unions
 * (bits: number | "float"), so beyond a quoted number they are left to the runner's validateChip.
 */
function typeCheck(P: Problems, doc: Doc, path: Concrete, base: unknown, v: unknown, where: string, who: string): boolean {
  const quotedNumber = jsonType(base) === 'number' && typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v));
  if (doc === 'graph' ? jsonType(v) === jsonType(base) : !quotedNumber) return true;
  P.add(
    where,
    `wrong type: ${concreteText(doc, path)} is ${jsonTypeArticle(base)} (base value ${JSON.stringify(base)}) but ${who} gives ${typeName(v)}`,
    quotedNumber ? `write the number without quotes: ${Number(v)}` : `give ${jsonTypeArticle(base)} here`,
  );
  return false;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function jsonTypeArticle(v: unknown): string {
  const t = jsonType(v);
  return t === 'array' ? 'a list' : t === 'object' ? 'an object' : t === 'null' ? 'null' : `a ${t}`;
}

/** A list of values, or a range {from, to, steps, scale}. */
function expandValues(P: Problems, v: unknown, where: string): { values: unknown[]; listed: boolean } | undefined {
  if (v === undefined) {
    P.add(where, 'the axis has no "values"', 'add "values": [ … ] or "values": { "from": 0, "to": 1, "steps": 5 }');
    return undefined;
  }
  if (Array.isArray(v)) {
    if (v.length === 0) {
      P.add(where, 'the axis is empty (no values)', 'list at least one value, or remove the axis');
      return undefined;
    }
    if (v.length > LIMITS.axisValues) {
      P.add(
        where,
        `the axis lists ${v.length} values, over the limit of ${LIMITS.axisValues}`,
        `list at most ${LIMITS.axisValues} values (docs/limits.md)`,
      );
      return undefined;
    }
    const seen = new Set<string>();
    let ok = true;
    v.forEach((x, j) => {
      const k = canonicalJson(x);
      if (seen.has(k)) {
        P.add(`${where}/${j}`, `value ${k} is listed twice`, 'list every value once');
        ok = false;
      }
      seen.add(k);
    });
    return ok ? { values: v, listed: true } : undefined;
  }
  if (!isObj(v)) {
    P.add(
      where,
      `"values" must be a list or a range object, got ${typeName(v)}`,
      'write "values": [1, 2, 3] or { "from": 0, "to": 0.1, "steps": 5, "scale": "lin" }',
    );
    return undefined;
  }
  let ok = true;
  for (const k of Object.keys(v)) {
    if (!RANGE_KEYS.includes(k)) {
      const near = closest(k, RANGE_KEYS);
      P.add(
        `${where}/${k}`,
        `unknown field "${k}" in a range`,
        near ? `did you mean "${near}"? (allowed: ${RANGE_KEYS.join(', ')})` : `remove it (allowed: ${RANGE_KEYS.join(', ')})`,
      );
      ok = false;
    }
  }
  const num = (k: 'from' | 'to'): number | undefined => {
    const x = v[k];
    if (typeof x === 'number' && Number.isFinite(x)) return x;
    P.add(
      `${where}/${k}`,
      x === undefined ? `the range has no "${k}"` : `"${k}" must be a number, got ${typeName(x)}`,
      `write "${k}": <number>`,
    );
    return undefined;
  };
  const from = num('from');
  const to = num('to');
  const steps = v.steps;
  if (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 1) {
    P.add(
      `${where}/steps`,
      steps === undefined
        ? 'the range has no "steps"'
        : steps === 0
          ? 'the range is empty ("steps": 0)'
          : `"steps" must be an integer ≥ 1, got ${typeName(steps)}`,
      'write "steps": <number of values, from and to included>',
    );
    ok = false;
  } else if (steps > LIMITS.axisValues) {
    P.add(
      `${where}/steps`,
      `"steps" is ${steps}, over the limit of ${LIMITS.axisValues} values on one axis`,
      `use at most ${LIMITS.axisValues} steps (docs/limits.md)`,
    );
    ok = false;
  }
  const scale = v.scale ?? 'lin';
  if (scale !== 'lin' && scale !== 'log') {
    P.add(`${where}/scale`, `"scale" is ${JSON.stringify(scale)}`, 'use "lin" or "log"');
    ok = false;
  }
  if (from === undefined || to === undefined || !ok) return undefined;
  if (scale === 'log' && (from <= 0 || to <= 0)) {
    P.add(where, `a log range needs from and to > 0, got ${from} and ${to}`, 'use positive bounds or "scale": "lin"');
    return undefined;
  }
  if (from === to && (steps as number) > 1) {
    P.add(where, `from and to are both ${from}, so the ${steps} values would be equal`, 'widen the range or use "steps": 1');
    return undefined;
  }
  return { values: rangeValues(from, to, steps as number, scale as 'lin' | 'log'), listed: false };
}

/** The values of a range, rounded to 12 significant digits (so 0.1 + 0.2 prints as 0.3). */
export function rangeValues(from: number, to: number, steps: number, scale: 'lin' | 'log'): number[] {
  if (steps === 1) return [from];
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = i / (steps - 1);
    const x = i === steps - 1 ? to : scale === 'log' ? from * Math.pow(to / from, t) : from + (to - from) * t;
    out.push(Number(x.toPrecision(12)));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Points and runs

/** One point of the grid: the value index of every axis (first axis slowest). */
export type PointIndex = number[];

export function pointCount(def: SweepDef): number {
  return def.axes.reduce((n, a) => n * a.values.length, 1);
}

export function pointIndex(def: SweepDef, p: number): PointIndex {
  const idx: number[] = new Array(def.axes.length);
  for (let k = def.axes.length - 1; k >= 0; k--) {
    const n = def.axes[k].values.length;
    idx[k] = p % n;
    p = Math.floor(p / n);
  }
  return idx;
}

/** The axis values of a point by axis name (what results lines call `point`). */
export function pointValues(def: SweepDef, idx: PointIndex): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  def.axes.forEach((a, k) => {
    out[a.name] = a.values[idx[k]];
  });
  return out;
}

/** The graph and chip of a point: the base documents with the point's values applied. */
export function materialise(def: SweepDef, idx: PointIndex): { graph: unknown; chip: unknown; method: string } {
  const graph = deepClone(def.graph) as unknown;
  const chip = deepClone(def.chip);
  let method = def.method;
  def.axes.forEach((a, k) => {
    const v = a.values[idx[k]];
    if (a.kind === 'method') {
      method = v as string;
      return;
    }
    for (const t of a.targets) setAt(t.doc === 'graph' ? graph : chip, t.path, deepClone(v));
  });
  return { graph, chip, method };
}

/** The full configuration of one run (validated in loadSweep, so the graph is a GraphSpec here). */
export function runConfig(def: SweepDef, idx: PointIndex, seed: number): RunConfig {
  const m = materialise(def, idx);
  const { spec } = validateGraph(m.graph, def.graphFile ?? def.file);
  if (!spec) throw new Error('runConfig: a point that passed loadSweep no longer validates');
  spec.training.seed = seed;
  return {
    runner: def.runner.name,
    graph: spec,
    ...(m.chip !== undefined ? { chip: m.chip } : {}),
    method: m.method,
    seed,
    data: def.data,
  };
}

/** Every point's graph through the validator (and chip through the runner), mapped back to axes. */
function checkPoints(P: Problems, def: SweepDef): void {
  const n = pointCount(def);
  // Per distinct (graph, chip): the problems found there, by document and location; and which
  // (graph, chip) each point checked has, so that a problem can be told to vary with an axis.
  const problemsOf = new Map<string, Set<string>>();
  const checkedAs = new Map<string, string>();
  const found: PointProblem[] = [];
  for (let p = 0; p < n && found.length < 20; p++) {
    const idx = pointIndex(def, p);
    const m = materialise(def, idx);
    const gkey = canonicalJson([m.graph, m.chip ?? null]);
    checkedAs.set(idx.join(','), gkey);
    if (problemsOf.has(gkey)) continue;
    const here: PointProblem[] = [];
    const { spec, diagnostics } = validateGraph(m.graph, def.graphFile ?? def.file);
    for (const d of diagnostics)
      here.push({ idx, doc: 'graph', pointer: d.path, message: `${d.code}: ${d.message}`, hint: d.hint, kind: d.code });
    if (spec && def.runner.validateChip && m.chip !== undefined) {
      for (const q of def.runner.validateChip(m.chip, spec))
        here.push({ idx, doc: 'chip', pointer: chipPointer(q.path), message: q.message, hint: q.hint, kind: q.message });
    }
    problemsOf.set(gkey, new Set(here.map((f) => `${f.doc}|${f.pointer}`)));
    found.push(...here);
  }
  const absentAt = (f: PointProblem, idx: PointIndex): boolean => {
    const g = checkedAs.get(idx.join(','));
    return g !== undefined && !problemsOf.get(g)!.has(`${f.doc}|${f.pointer}`);
  };
  // Said only when every point was checked (the loop stops at 20 problems).
  const everywhere = (f: PointProblem): boolean =>
    checkedAs.size === n && [...problemsOf.values()].every((at) => at.has(`${f.doc}|${f.pointer}`));
  for (const f of found) reportPointProblem(P, def, f, absentAt, everywhere(f));
}

/** A problem one point's graph or chip has, at a location (JSON pointer) of that document. */
interface PointProblem {
  idx: PointIndex;
  doc: Doc;
  pointer: string;
  message: string;
  hint: string;
  kind: string;
}

/** `chip.crossbar.rows` or `/crossbar/rows` → `/crossbar/rows`. */
function chipPointer(path: string): string {
  if (path.startsWith('/') || path === '') return path;
  if (path === 'chip') return '';
  try {
    const pat = parsePath(path.startsWith('chip') ? path : `chip.${path}`);
    return concretePointer(pat.segments.map((s) => (s.kind === 'key' ? s.key : s.kind === 'index' ? s.index : '*')));
  } catch {
    return path;
  }
}

function reportPointProblem(
  P: Problems,
  def: SweepDef,
  f: PointProblem,
  absentAt: (f: PointProblem, idx: PointIndex) => boolean,
  everywhere: boolean,
): void {
  const { idx, doc, pointer, message, hint, kind } = f;
  // The axis whose field is (or contains, or is inside) the reported location.
  const exact = def.axes.findIndex((a) =>
    a.targets.some((t) => {
      if (t.doc !== doc) return false;
      const tp = concretePointer(t.path);
      // A problem of the whole document ('') contains every field; that names no axis.
      return pointer === tp || pointer.startsWith(`${tp}/`) || (pointer !== '' && tp.startsWith(`${pointer}/`));
    }),
  );
  // A constraint between fields (an array narrower than linesPerAdc) is reported at a field no axis
  // sets. Its cause is still one axis's value when that axis is the only one the check reads (the
  // chip's check reads the graph too: the net must fit) and the problem is absent at another of its
  // values; present at every value, it is the base documents' (a chip too small for the net).
  const reads: Doc[] = doc === 'chip' ? ['chip', 'graph'] : ['graph'];
  const varying = def.axes.map((a, j) => (a.targets.some((t) => reads.includes(t.doc)) ? j : -1)).filter((j) => j >= 0);
  const only = varying.length === 1 ? varying[0] : -1;
  const varies =
    only >= 0 &&
    def.axes[only].values.some(
      (_, v) =>
        v !== idx[only] &&
        absentAt(
          f,
          idx.map((x, j) => (j === only ? v : x)),
        ),
    );
  const k = exact >= 0 ? exact : varies ? only : -1;
  const pointText = def.axes.map((a, j) => `${a.name}=${JSON.stringify(a.values[idx[j]])}`).join(', ');
  const at = pointerText(doc, pointer);
  if (k >= 0) {
    const a = def.axes[k];
    const where = a.listed ? `${a.where}/values/${idx[k]}` : `${a.where}/values`;
    P.add(
      where,
      `axis "${a.name}" value ${JSON.stringify(a.values[idx[k]])} makes the ${doc} invalid at ${at}: ${message}`,
      `${hint} (change or drop this value)`,
      `${where}\n${idx[k]}\n${kind}`,
    );
  } else {
    const where = everywhere && pointCount(def) > 1 ? `at every point of the grid (the first: ${pointText})` : `at the point ${pointText}`;
    P.add('/axes', `${where} the ${doc} is invalid at ${at}: ${message}`, hint, `/axes\n${doc}|${pointer}\n${kind}`);
  }
}

/** /edges/1/feedback/beta → graph.edges[1].feedback.beta */
function pointerText(doc: Doc, pointer: string): string {
  return `${doc}${pointer.replace(/\/(\d+)(?=\/|$)/g, '[$1]').replace(/\//g, '.')}`;
}

/**
 * The chip as the hash sees it. A chip file that modifies a preset without a "name" of its own is now
 * named "preset+file.json" (hw-models/load modifiedPresetName); it was named after the preset before,
 * and the name decides no run. Hashing the preset's name keeps the hash of such a sweep, so --resume
 * and merge accept results files written before the rename.
 */
function chipForHash(chip: unknown): unknown {
  if (!isObj(chip) || typeof chip.name !== 'string') return chip;
  const file = chipFileOfName(chip.name);
  return file === undefined ? chip : { ...chip, name: chip.name.slice(0, -file.length - 1) };
}

/** Everything that decides which runs exist and what they compute; not the name, not dataDir. */
export function sweepHash(def: SweepDef): string {
  return shortHash({
    format: SWEEP_FORMAT,
    runner: def.runner.name,
    graph: def.graph,
    chip: chipForHash(def.chip),
    method: def.method,
    data: { trainLimit: def.data.trainLimit, testLimit: def.data.testLimit },
    axes: def.axes.map((a) => ({
      name: a.name,
      kind: a.kind,
      targets: a.targets.map((t) => concreteText(t.doc, t.path)),
      values: a.values,
    })),
    seeds: def.seeds,
    metrics: def.metrics,
  });
}
