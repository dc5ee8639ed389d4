/**
 * Semantic checks of a decoded netlist (`fre validate`, and the compiler's check after emit):
 * versions and op set, the embedded chip description, exact tiling of every matrix, placement
 * within the chip, conductance data, routes and the schedule. All problems are collected; each is a
 * NET… diagnostic whose path is a dotted path into the message (arrays.3.core).
 */
import { arraysAvailable, weightCols, type ChipDescription } from '../hw-models/chip';
import { chipFingerprint, diffChips } from '../hw-models/compare';
import type { CodedDiagnostic } from '../hw-models/diagnostics';
import { formatCoded } from '../hw-models/diagnostics';
import { validateChip } from '../hw-models/validate';
import { chipFileOfName } from '../hw-models/load';
import { preset } from '../hw-models/presets';
import { NetlistError, netDiag as diag, type NetCode } from './diagnostics';
import { readNetlistFile } from './codec';
import { validateProgram } from './validate-program';
import { ChipMessageError, chipFromMsg } from './chip-proto';
import { convGeometryProblems, convSizes, pooledPositions } from './conv';
import { OPSET_VERSION, OP_DOMAIN, OP_TYPES, type NetlistMsg, type TensorMsg } from './types';
import { ACTION_KEYS } from '../hw-models/chip';

const RESOURCE = /^(array|dac|adc):\d+$|^(neuron|buffer):\d+$|^link:\d+->\d+$/;

export interface ValidateResult {
  diagnostics: CodedDiagnostic[];
  /** The embedded chip description, when it is usable. */
  chip?: ChipDescription;
}

export function validateNetlist(n: NetlistMsg, file: string): ValidateResult {
  const out: CodedDiagnostic[] = [];
  // The program checks below walk the objects these checks vouch for, so any of them holds the
  // program checks back; `note` reports a fault in what no program check reads (w_max, conductance
  // data, the chip fingerprint), so that every independent error is listed at once.
  let blocking = 0;
  const add = (code: NetCode, path: string, message: string, hint: string) => {
    blocking++;
    out.push(diag(code, file, path, message, hint));
  };
  const note = (code: NetCode, path: string, message: string, hint: string) => out.push(diag(code, file, path, message, hint));

  // Versions and op set.
  const ops = n.opsetImport.filter((o) => o.domain === OP_DOMAIN);
  if (ops.length !== 1) {
    add(
      'NET005',
      'opset_import',
      `the op set "${OP_DOMAIN}" is ${ops.length ? 'imported more than once' : 'not imported'} (imports: ${n.opsetImport.map((o) => `${o.domain} v${o.version}`).join(', ') || 'none'})`,
      `a netlist imports exactly one { domain: "${OP_DOMAIN}", version: ${OPSET_VERSION} }; re-compile it`,
    );
  } else if (ops[0].version > OPSET_VERSION || ops[0].version < 1) {
    add(
      'NET005',
      'opset_import',
      `op set ${OP_DOMAIN} version ${ops[0].version} is not supported (this reader: 1…${OPSET_VERSION})`,
      'upgrade fre, or re-compile the net with this version',
    );
  }

  // The chip.
  let chip: ChipDescription | undefined;
  if (!n.chip) {
    add('NET050', 'chip', 'the chip description is missing', 're-compile: every netlist embeds the chip it was compiled for');
  } else {
    try {
      const c = chipFromMsg(n.chip);
      const v = validateChip(c, `${file}#chip`);
      if (v.chip) chip = v.chip;
      for (const d of v.diagnostics)
        add('NET010', `chip${d.path.replace(/\//g, '.')}`, `embedded chip description: ${d.code} ${d.message}`, d.hint);
      if (v.chip && n.chip.fingerprint && n.chip.fingerprint !== chipFingerprint(v.chip)) {
        note(
          'NET010',
          'chip.fingerprint',
          'the chip fingerprint does not match the chip fields (the description was edited after compiling)',
          're-compile for the chip you mean',
        );
      }
    } catch (err) {
      if (!(err instanceof ChipMessageError)) throw err;
      add('NET010', 'chip', `embedded chip description: ${err.message}`, 're-compile: the chip description is incomplete');
    }
  }
  if (!n.dynamics) add('NET050', 'dynamics', 'dynamics (T, K, β_f) are missing', 're-compile the net');
  if (!n.schedule) add('NET050', 'schedule', 'the schedule is missing', 're-compile the net');

  // Groups and edges.
  const G = n.groups.length;
  n.groups.forEach((g, i) => {
    if (g.id !== i) add('NET050', `groups.${i}.id`, `group ${i} has id ${g.id}`, 'ids are the index in groups; re-compile');
    if (g.size < 1) add('NET050', `groups.${i}.size`, `group ${g.name} has size ${g.size}`, 're-compile');
  });
  const arrayIds = new Set(n.arrays.map((a) => a.id));
  n.edges.forEach((e, i) => {
    const p = `edges.${i}`;
    if (e.fromGroup >= G || e.toGroup >= G) {
      add('NET050', p, `edge ${e.name} names group ${Math.max(e.fromGroup, e.toGroup)}, but there are ${G}`, 're-compile');
      return;
    }
    const toSize = n.groups[e.toGroup].size;
    const fromSize = n.groups[e.fromGroup].size;
    if (e.conv) {
      // A conv edge's matrix is the unrolled kernel; its groups are the feature maps around it.
      const problems = convGeometryProblems(e.conv);
      if (problems.length) {
        add('NET050', `${p}.conv`, `conv edge ${e.name} has an inconsistent geometry: ${problems.join('; ')}`, 're-compile');
      } else {
        const want = convSizes(e.conv);
        if (e.rows !== want.rows || e.cols !== want.cols) {
          add(
            'NET050',
            p,
            `conv edge ${e.name} is ${e.rows}×${e.cols}, but its unrolled kernel is C_out × C_in·k·k = ${want.rows}×${want.cols}`,
            're-compile',
          );
        }
        if (fromSize !== want.fromSize || toSize !== want.toSize) {
          add(
            'NET050',
            p,
            `conv edge ${e.name} reads ${e.conv.inChannels}×${e.conv.inHeight}×${e.conv.inWidth} = ${want.fromSize} units and drives ${e.conv.outChannels}×${pooledPositions(e.conv)} = ${want.toSize}, but its groups are ${fromSize} (from) and ${toSize} (to)`,
            're-compile',
          );
        }
      }
    } else if (e.rows !== toSize || e.cols !== fromSize) {
      add('NET050', p, `edge ${e.name} is ${e.rows}×${e.cols} but its groups are ${toSize} (to) and ${fromSize} (from)`, 're-compile');
    }
    if (e.bias.length > 0 && e.bias.length !== e.rows) {
      add(
        'NET050',
        `${p}.bias`,
        `edge ${e.name} has ${e.bias.length} bias entries for its ${e.rows} rows`,
        're-compile: a bias has one entry per row (output channel on conv edges)',
      );
    }
    // proto3 does not write a 0, so 0 is a missing w_max; a negative or NaN one was written (or edited).
    if (!e.weights || e.weights.wMax === 0)
      note('NET022', `${p}.weights`, `edge ${e.name} has no weight scale w_max`, 're-compile: w_max recovers weights from conductances');
    else if (!(e.weights.wMax > 0))
      note(
        'NET022',
        `${p}.weights.w_max`,
        `edge ${e.name}'s w_max is ${e.weights.wMax}; it must be > 0`,
        'set it to the positive weight scale the conductances were programmed with, or re-compile: w_max recovers weights from conductances',
      );
    for (const a of [...e.arrays, ...e.feedbackArrays])
      if (!arrayIds.has(a)) add('NET050', `${p}.arrays`, `edge ${e.name} lists array ${a}, which does not exist`, 're-compile');
    if (e.feedback === 'FEEDBACK_KIND_RANDOM' && (!e.feedbackWeights || e.feedbackArrays.length === 0)) {
      add('NET020', p, `edge ${e.name} has random feedback but no B arrays`, 're-compile: fixed random feedback needs arrays of its own');
    }
  });

  // Tiling: every matrix covered exactly once, each tile within one array.
  if (chip) {
    const R = chip.crossbar.rows;
    const C = weightCols(chip.crossbar);
    n.edges.forEach((e, i) => {
      for (const role of ['ARRAY_ROLE_WEIGHT', 'ARRAY_ROLE_RANDOM_FEEDBACK'] as const) {
        const tiles = n.arrays.filter((a) => a.edge === i && a.role === role);
        if (role === 'ARRAY_ROLE_RANDOM_FEEDBACK' && tiles.length === 0) continue;
        const [rows, cols] = role === 'ARRAY_ROLE_WEIGHT' ? [e.rows, e.cols] : [e.cols, e.rows];
        let area = 0;
        for (const t of tiles) {
          const h = t.rowEnd - t.rowBegin;
          const w = t.colEnd - t.colBegin;
          if (h <= 0 || w <= 0 || t.rowEnd > rows || t.colEnd > cols) {
            add(
              'NET020',
              `arrays.${t.id}`,
              `array ${t.id} holds rows ${t.rowBegin}…${t.rowEnd} × cols ${t.colBegin}…${t.colEnd} of ${e.name} (${rows}×${cols})`,
              're-compile',
            );
          } else if (h > R || w > C) {
            add(
              'NET020',
              `arrays.${t.id}`,
              `array ${t.id} holds a ${h}×${w} slice but the chip's arrays take ${R}×${C} weights`,
              're-compile for this chip',
            );
          }
          area += Math.max(0, h) * Math.max(0, w);
        }
        let overlap = false;
        for (let a = 0; a < tiles.length && !overlap; a++) {
          for (let b = a + 1; b < tiles.length; b++) {
            const x = tiles[a];
            const y = tiles[b];
            if (x.rowBegin < y.rowEnd && y.rowBegin < x.rowEnd && x.colBegin < y.colEnd && y.colBegin < x.colEnd) {
              overlap = true;
              break;
            }
          }
        }
        if (overlap || area !== rows * cols) {
          add(
            'NET020',
            `edges.${i}`,
            `the ${role === 'ARRAY_ROLE_WEIGHT' ? 'W' : 'B'} tiles of ${e.name} ${overlap ? 'overlap' : `cover ${area} of ${rows * cols} weights`}`,
            're-compile: every weight lives in exactly one array',
          );
        }
      }
    });

    // Placement.
    const sites = chip.noc.meshWidth * chip.noc.meshHeight;
    if (n.arrays.length > arraysAvailable(chip))
      add('NET021', 'arrays', `${n.arrays.length} arrays, the chip has ${arraysAvailable(chip)}`, 're-compile for this chip');
    const coreIds = new Set<number>();
    n.cores.forEach((c, i) => {
      if (c.id >= sites || c.x !== c.id % chip.noc.meshWidth || c.y !== Math.floor(c.id / chip.noc.meshWidth)) {
        add(
          'NET021',
          `cores.${i}`,
          `core ${c.id} at (${c.x}, ${c.y}) is not a site of the ${chip.noc.meshWidth}×${chip.noc.meshHeight} mesh`,
          're-compile for this chip',
        );
      }
      if (coreIds.has(c.id)) add('NET021', `cores.${i}`, `core ${c.id} is listed twice`, 're-compile');
      coreIds.add(c.id);
      if (c.arrays.length > chip.noc.arraysPerCore)
        add(
          'NET021',
          `cores.${i}`,
          `core ${c.id} holds ${c.arrays.length} arrays; a core has ${chip.noc.arraysPerCore}`,
          're-compile for this chip',
        );
    });
    const slots = new Set<string>();
    n.arrays.forEach((a, i) => {
      if (a.id !== i) add('NET050', `arrays.${i}.id`, `array ${i} has id ${a.id}`, 'ids are the index in arrays; re-compile');
      if (!coreIds.has(a.core))
        add('NET021', `arrays.${i}.core`, `array ${i} is on core ${a.core}, which is not listed in cores`, 're-compile');
      if (a.slot >= chip.noc.arraysPerCore)
        add(
          'NET021',
          `arrays.${i}.slot`,
          `array ${i} uses slot ${a.slot}; a core has ${chip.noc.arraysPerCore}`,
          're-compile for this chip',
        );
      const key = `${a.core}:${a.slot}`;
      if (slots.has(key)) add('NET021', `arrays.${i}`, `two arrays in slot ${a.slot} of core ${a.core}`, 're-compile');
      slots.add(key);
      if (a.edge >= n.edges.length) add('NET050', `arrays.${i}.edge`, `array ${i} names edge ${a.edge}`, 're-compile');
      checkTensor(a.gPlus, `arrays.${i}.g_plus`, a.rowEnd - a.rowBegin, a.colEnd - a.colBegin, chip, note);
      if (chip.crossbar.cell === 'differential')
        checkTensor(a.gMinus, `arrays.${i}.g_minus`, a.rowEnd - a.rowBegin, a.colEnd - a.colBegin, chip, note);
      else if (a.gMinus) note('NET022', `arrays.${i}.g_minus`, 'an offset-column chip has no G− plane', 're-compile for this chip');
    });

    // Routes.
    n.routes.forEach((r, i) => {
      const p = r.path;
      const neighbours = p.every(
        (s, k) =>
          k === 0 ||
          Math.abs((s % chip.noc.meshWidth) - (p[k - 1] % chip.noc.meshWidth)) +
            Math.abs(Math.floor(s / chip.noc.meshWidth) - Math.floor(p[k - 1] / chip.noc.meshWidth)) ===
            1,
      );
      if (r.id !== i || p.length < 2 || p[0] !== r.srcCore || p[p.length - 1] !== r.dstCore || !neighbours || p.some((s) => s >= sites)) {
        add(
          'NET030',
          `routes.${i}`,
          `route ${i} (${r.srcCore}→${r.dstCore}) has path [${p.join(', ')}], not a chain of mesh neighbours from source to destination`,
          're-compile',
        );
      }
    });
  }

  // Schedule.
  const known = new Set<string>(OP_TYPES);
  const actions = new Set<string>(ACTION_KEYS);
  n.schedule?.phases.forEach((ph, pi) => {
    const unconverted = new Map<number, number>(); // array → the op whose read of it awaits its AdcConvert
    ph.ops.forEach((op, oi) => {
      const p = `schedule.phases.${pi}.ops.${oi}`;
      const bad = (what: string, hint = 're-compile') =>
        add('NET040', p, `${ph.name} op ${oi} (${op.opType} "${op.label}"): ${what}`, hint);
      if (op.id !== oi) bad(`has id ${op.id}`);
      if (op.domain !== OP_DOMAIN || !known.has(op.opType))
        bad(`unknown op ${op.domain}:${op.opType}`, `this reader knows ${OP_DOMAIN} v${OPSET_VERSION}: ${OP_TYPES.join(', ')}`);
      if (op.deps.some((d) => d >= oi)) bad(`depends on a later op (${op.deps.filter((d) => d >= oi).join(', ')})`);
      if (op.resources.length === 0 || op.resources.some((r) => !RESOURCE.test(r)))
        bad(`resources [${op.resources.join(', ')}] are not all of the form array:N, dac:N, adc:N, neuron:N, buffer:N, link:A->B`);
      if (op.actions.some((a) => !actions.has(a.action))) bad(`unknown action in [${op.actions.map((a) => a.action).join(', ')}]`);
      if (['ArrayRead', 'ArrayReadTransposed', 'AdcConvert', 'OuterProductUpdate'].includes(op.opType) && !arrayIds.has(op.array))
        bad(`names array ${op.array}, which does not exist`);
      if (['ArrayRead', 'ArrayReadTransposed', 'AdcConvert', 'OuterProductUpdate'].includes(op.opType) && op.edge < n.edges.length) {
        const conv = n.edges[op.edge].conv;
        const want = conv ? conv.positions : 1;
        if (Math.max(1, op.positions) !== want)
          bad(
            `streams ${Math.max(1, op.positions)} patch(es) per sample, but edge ${n.edges[op.edge].name} ${conv ? `has ${want} positions` : 'is dense (one read)'}`,
          );
      }
      if (op.opType === 'Send' && (op.route >= n.routes.length || n.routes[op.route].srcCore !== op.core))
        bad(`route ${op.route} does not start at core ${op.core}`);
      if (op.opType === 'Accumulate' && op.source === 'OPERAND_PARTIAL_SUM' && op.reduction >= n.reductions.length)
        bad(`names reduction ${op.reduction}, which does not exist`);
      if (op.group >= Math.max(G, 1)) bad(`names group ${op.group}, which does not exist`);
      // An array's output lines hold one read until an AdcConvert of that array takes it (the interpreter keeps
      // one partial-sum buffer per array, as the chip's column circuits hold one read): a second read before the
      // conversion would overwrite the first.
      if (op.opType === 'ArrayRead' || op.opType === 'ArrayReadTransposed') {
        const prev = unconverted.get(op.array);
        if (prev !== undefined)
          bad(
            `reads array ${op.array} again before op ${prev}'s read of it is converted (an array's lines hold one read until an AdcConvert takes it)`,
            `put op ${prev}'s AdcConvert of array ${op.array} before this read, as the compiler orders them`,
          );
        unconverted.set(op.array, oi);
      } else if (op.opType === 'AdcConvert') unconverted.delete(op.array);
    });
  });
  n.reductions.forEach((r, i) => {
    if (r.edge >= n.edges.length || r.group >= G || r.arrays.some((a) => !arrayIds.has(a))) {
      add('NET050', `reductions.${i}`, `reduction ${i} names an edge, group or array that does not exist`, 're-compile');
    }
  });
  // What the interpreter executes: checked once the objects it names exist (one diagnostic per fault).
  if (blocking === 0) validateProgram(n, chip, add);
  return { diagnostics: out, chip };
}

function checkTensor(
  t: TensorMsg | null,
  path: string,
  rows: number,
  cols: number,
  chip: ChipDescription,
  add: (code: NetCode, path: string, message: string, hint: string) => void,
): void {
  if (!t) {
    add('NET022', path, 'conductance tensor missing', 're-compile');
    return;
  }
  const levels = chip.crossbar.levels;
  const want = levels === 'continuous' ? 'DATA_TYPE_FLOAT32' : levels <= 256 ? 'DATA_TYPE_UINT8' : 'DATA_TYPE_UINT16';
  const width = want === 'DATA_TYPE_UINT8' ? 1 : want === 'DATA_TYPE_UINT16' ? 2 : 4;
  if (t.dataType !== want) {
    add('NET022', path, `data type ${t.dataType}; a chip with ${levels} levels stores ${want}`, 're-compile for this chip');
    return;
  }
  if (t.dims.length !== 2 || t.dims[0] !== rows || t.dims[1] !== cols) {
    add('NET022', path, `dims [${t.dims.join(', ')}], the slice is [${rows}, ${cols}]`, 're-compile');
    return;
  }
  if (t.rawData.length === 0 && t.externalData?.location) {
    add(
      'NET023',
      path,
      `data lives in ${t.externalData.location}, which was not loaded`,
      'read the netlist with readNetlistFile (it loads external data)',
    );
    return;
  }
  if (t.rawData.length !== rows * cols * width) {
    add('NET022', path, `${t.rawData.length} bytes, expected ${rows * cols * width}`, 're-compile');
    return;
  }
  const v = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
  for (let k = 0; k < rows * cols; k++) {
    const x = width === 1 ? v.getUint8(k) : width === 2 ? v.getUint16(2 * k, true) : v.getFloat32(4 * k, true);
    const ok = levels === 'continuous' ? x >= 0 && x <= 1 : x < levels;
    if (!ok) {
      add(
        'NET022',
        path,
        `value ${x} at element ${k} is outside ${levels === 'continuous' ? '[0, 1]' : `levels 0…${levels - 1}`}`,
        're-compile',
      );
      return;
    }
  }
}

/** NET011 when the netlist was compiled for another chip than `given` (names every differing field). */
export function checkChipMatches(n: NetlistMsg, given: ChipDescription, givenName: string, file: string): CodedDiagnostic[] {
  if (!n.chip) return [];
  let embedded: ChipDescription;
  try {
    embedded = chipFromMsg(n.chip);
  } catch {
    return [];
  }
  // The hardware is what must match: the same chip under another name (a renamed chip file) does.
  const diffs = diffChips(embedded, given).filter((d) => d.path !== 'name' && d.path !== 'description');
  if (diffs.length === 0) return [];
  const shown = diffs.slice(0, 8).map((d) => `${d.path}: netlist ${JSON.stringify(d.a)}, ${givenName} ${JSON.stringify(d.b)}`);
  return [
    diag(
      'NET011',
      file,
      'chip',
      `compiled for chip "${embedded.name}", which differs from ${givenName} in ${diffs.length} field(s): ${shown.join('; ')}${diffs.length > 8 ? '; …' : ''}`,
      `re-compile for ${givenName} (fre compile … --chip ${givenName}), or validate against the chip it was compiled for (${compiledForArg(embedded)})`,
    ),
  ];
}

/** What to pass as --chip for the chip a netlist embeds: its preset, or the chip file it came from. */
function compiledForArg(embedded: ChipDescription): string {
  const file = chipFileOfName(embedded.name);
  if (file) return `--chip ${file}, the file that modified preset ${embedded.name.slice(0, -file.length - 1)}`;
  const p = preset(embedded.name);
  if (p && diffChips(embedded, p).length === 0) return `--chip ${embedded.name}`;
  // A preset name on other hardware (a chip file with a "name" of a preset, or compiled before
  // modified presets were renamed): naming the preset would send the user to a chip that differs.
  if (p) return `--chip with the chip file it was compiled with: a modification of preset ${embedded.name}`;
  return `--chip with the chip file that describes "${embedded.name}"`;
}

export function formatAll(ds: CodedDiagnostic[]): string {
  return ds.map(formatCoded).join('\n');
}

/**
 * Reads a netlist file and runs every check; throws NetlistError with all diagnostics when it is not
 * valid. What `fre simulate` and `fre inspect` run first: nothing executes an invalid netlist.
 */
export function readValidNetlist(file: string): { netlist: NetlistMsg; bytes: Uint8Array; chip: ChipDescription } {
  const r = readNetlistFile(file);
  const v = validateNetlist(r.netlist, file);
  if (v.diagnostics.length || !v.chip) {
    throw new NetlistError(
      v.diagnostics.length ? v.diagnostics : [diag('NET010', file, 'chip', 'the embedded chip description is unusable', 're-compile')],
    );
  }
  return { ...r, chip: v.chip };
}
