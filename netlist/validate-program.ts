/**
 * The checks that make a netlist safe to execute (ONNX's checker is the model): every normative
 * field the interpreter reads is in range and finite, the schedule's phases and repeats are sane
 * and agree with the dynamics, and every op matches its op-set definition (netlist/ops.ts): its
 * resources and actions are the ones its operands imply, its references exist and fit together
 * (an array read names an array of its edge that supports that read, driven by the right group;
 * an Accumulate adds an array of its reduction with that array's gain). Run by validateNetlist
 * after the structural checks; limits are documented in docs/netlist.md ("Limits").
 */
import type { ChipDescription } from '../hw-models/chip';
import { DATASETS } from '../graph/spec';
import { OPS, isOpType, type OpContext } from './ops';
import type { NetCode } from './diagnostics';
import type { ArrayMsg, GainsMsg, NetlistMsg, OpMsg, OperandName, PhaseKindName } from './types';

/** Steps of a phase (T, K) the simulator accepts. */
export const MAX_STEPS = 100_000;
/** Samples per batch the simulator accepts. */
export const MAX_BATCH = 65_536;
/** Ops in one phase iteration the simulator accepts. */
export const MAX_OPS_PER_PHASE = 1_000_000;
/** Units of one group the simulator accepts. */
export const MAX_UNITS = 10_000_000;
/** Largest magnitude of a gain, α, β, bias or w_max: beyond it float32 sums overflow to ±Inf. */
export const MAX_MAGNITUDE = 1e6;

type Add = (code: NetCode, path: string, message: string, hint: string) => void;

const PHASES: readonly { kind: PhaseKindName; trainingOnly: boolean }[] = [
  { kind: 'PHASE_KIND_INPUT', trainingOnly: false },
  { kind: 'PHASE_KIND_FREE', trainingOnly: false },
  { kind: 'PHASE_KIND_READOUT', trainingOnly: false },
  { kind: 'PHASE_KIND_ERROR', trainingOnly: true },
  { kind: 'PHASE_KIND_NUDGED', trainingOnly: true },
  { kind: 'PHASE_KIND_UPDATE', trainingOnly: true },
];
const HIDDEN_ACTIVATIONS = new Set(['ACTIVATION_TANH', 'ACTIVATION_HARD_SIGMOID', 'ACTIVATION_SIGMOID']);
const RECOMPILE = 're-compile the net with fre compile, or restore the field';

function finite(v: number): boolean {
  return typeof v === 'number' && Number.isFinite(v);
}

type Num = (path: string, v: number, what: string, ok?: (v: number) => boolean, range?: string) => void;

/** An array's ADC range per read kind: finite, ≥ 0 (0 = unbounded), and its step the chip ADC's
 *  code step over that range (2·full_scale/(2^bits − 1); 0 for a float ADC or an unbounded range). */
function checkAdcRanges(g: GainsMsg, i: number, bits: number, num: Num, add: Add): void {
  const kinds = [
    ['forward', 'adcFullScaleForward', 'adcStep', 'adc_full_scale_forward', 'adc_step'],
    ['transposed', 'adcFullScaleTransposed', 'adcStepTransposed', 'adc_full_scale_transposed', 'adc_step_transposed'],
    ['nudge', 'adcFullScaleNudge', 'adcStepNudge', 'adc_full_scale_nudge', 'adc_step_nudge'],
  ] as const;
  for (const [kind, fsKey, stepKey, fsName, stepName] of kinds) {
    const fs = g[fsKey];
    const step = g[stepKey];
    num(`arrays.${i}.gains.${fsName}`, fs, `array ${i}'s ${kind} ADC full scale`, (v) => v >= 0, '[0, ∞); 0 = unbounded');
    if (!finite(fs) || !finite(step) || fs < 0) continue;
    const want = bits > 0 && fs > 0 ? Math.fround((2 * fs) / (2 ** bits - 1)) : 0;
    if (Math.abs(step - want) > 1e-6 * Math.max(want, 1e-30)) {
      add(
        'NET041',
        `arrays.${i}.gains.${stepName}`,
        `array ${i}'s ${kind} ADC step is ${step}, but ${bits > 0 ? `${bits} bits` : 'a float ADC'} over ±${fs} give ${want}`,
        `set ${stepName} to ${want} (2·${fsName}/(2^bits − 1); 0 when unbounded or float), or ${RECOMPILE}`,
      );
    }
  }
}

/** NaN, ±Inf and range checks of the numbers the interpreter and the optimiser read. */
function checkNumbers(n: NetlistMsg, add: Add): void {
  const adcBits = n.chip?.periphery?.adc?.bits ?? 0;
  const num: Num = (path: string, v: number, what: string, ok: (v: number) => boolean = () => true, range = '') => {
    if (!finite(v))
      add('NET043', path, `${what} is ${v}: not a finite number`, `set it to a finite value${range ? ` (${range})` : ''}, or ${RECOMPILE}`);
    else if (!ok(v)) add('NET041', path, `${what} is ${v}, outside ${range}`, `set it within ${range}, or ${RECOMPILE}`);
    else if (Math.abs(v) > MAX_MAGNITUDE)
      add(
        'NET041',
        path,
        `${what} is ${v}, beyond ±${MAX_MAGNITUDE}`,
        `set it within ±${MAX_MAGNITUDE} (larger values overflow float32 sums), or ${RECOMPILE}`,
      );
  };
  if (n.dynamics) num('dynamics.beta_f', n.dynamics.betaF, 'β_f', (v) => v > 0, '(0, ∞)');
  n.groups.forEach((g, i) => {
    num(`groups.${i}.state_step`, g.stateStep, `group ${g.name}'s state step`, (v) => v >= 0, '[0, ∞)');
    num(`groups.${i}.beta_f`, g.betaF, `group ${g.name}'s β_f`);
  });
  n.edges.forEach((e, i) => {
    num(`edges.${i}.alpha`, e.alpha, `edge ${e.name}'s α`);
    num(`edges.${i}.beta`, e.beta, `edge ${e.name}'s β`);
    // A w_max that is not > 0 is validateNetlist's NET022; here what remains: infinite or too large.
    if (e.weights && e.weights.wMax > 0) num(`edges.${i}.weights.w_max`, e.weights.wMax, `edge ${e.name}'s w_max`);
    if (e.feedbackWeights)
      num(`edges.${i}.feedback_weights.w_max`, e.feedbackWeights.wMax, `edge ${e.name}'s B w_max`, (v) => v > 0, '(0, ∞)');
    const bad = e.bias.findIndex((b) => !finite(b) || Math.abs(b) > MAX_MAGNITUDE);
    if (bad >= 0)
      add(
        finite(e.bias[bad]) ? 'NET041' : 'NET043',
        `edges.${i}.bias.${bad}`,
        `edge ${e.name}'s bias entry ${bad} is ${e.bias[bad]}: ${finite(e.bias[bad]) ? `beyond ±${MAX_MAGNITUDE}` : 'not a finite number'}`,
        `set it to a finite value within ±${MAX_MAGNITUDE}, or ${RECOMPILE}`,
      );
  });
  n.arrays.forEach((a, i) => {
    if (!a.gains) {
      add('NET050', `arrays.${i}.gains`, `array ${i} has no gains`, RECOMPILE);
      return;
    }
    for (const k of ['forward', 'transposed', 'dacStep', 'adcStep'] as const) {
      num(
        `arrays.${i}.gains.${k}`,
        a.gains[k],
        `array ${i}'s ${k} gain`,
        k === 'dacStep' || k === 'adcStep' ? (v) => v >= 0 : undefined,
        '[0, ∞)',
      );
    }
    checkAdcRanges(a.gains, i, adcBits, num, add);
  });
  const t = n.trainingInfo;
  if (t) {
    const p = 'training_info';
    if (t.edgeLr.length !== n.edges.length)
      add(
        'NET041',
        `${p}.edge_lr`,
        `${t.edgeLr.length} learning rates for ${n.edges.length} edges`,
        `give one rate per edge, or ${RECOMPILE}`,
      );
    t.edgeLr.forEach((v, i) => num(`${p}.edge_lr.${i}`, v, `the learning rate of edge ${i}`, (x) => x >= 0, '[0, ∞)'));
    num(`${p}.momentum`, t.momentum, 'momentum', (v) => v >= 0 && v < 1, '[0, 1)');
    num(`${p}.weight_decay`, t.weightDecay, 'weight decay', (v) => v >= 0, '[0, ∞)');
    num(`${p}.clip_grad_norm`, t.clipGradNorm, 'gradient-norm clip', (v) => v >= 0, '[0, ∞); 0 = none');
    num(`${p}.min_lr`, t.minLr, "the cosine schedule's min_lr", (v) => v >= 0, '[0, ∞)');
    if (t.optimizer === 'OPTIMIZER_KIND_ADAM' || t.optimizer === 'OPTIMIZER_KIND_ADAMW') {
      num(`${p}.beta1`, t.beta1, 'Adam β1', (v) => v >= 0 && v < 1, '[0, 1)');
      num(`${p}.beta2`, t.beta2, 'Adam β2', (v) => v >= 0 && v < 1, '[0, 1)');
      num(`${p}.eps`, t.eps, 'Adam ε', (v) => v > 0, '(0, ∞)');
    } else if (t.optimizer !== 'OPTIMIZER_KIND_SGD') {
      add('NET041', `${p}.optimizer`, `optimizer ${t.optimizer} is not one this reader knows`, 'set OPTIMIZER_KIND_SGD, _ADAM or _ADAMW');
    }
    if (!(t.batchSize >= 1 && t.batchSize <= MAX_BATCH))
      add('NET041', `${p}.batch_size`, `batch size ${t.batchSize}, outside 1…${MAX_BATCH}`, 'set a batch size in that range');
    if (t.schedule !== 'LR_SCHEDULE_KIND_CONSTANT' && t.schedule !== 'LR_SCHEDULE_KIND_COSINE')
      add('NET041', `${p}.schedule`, `learning-rate schedule ${t.schedule}`, 'set LR_SCHEDULE_KIND_CONSTANT or _COSINE');
    if (!(DATASETS as readonly string[]).includes(t.dataset))
      add(
        'NET041',
        `${p}.dataset`,
        `dataset "${t.dataset}" is not one of ${DATASETS.join(', ')}`,
        'name the dataset the net was compiled for',
      );
  }
}

/** Groups, dynamics and the schedule's phase structure. */
function checkStructure(n: NetlistMsg, add: Add): void {
  const G = n.groups.length;
  const out = G - 1;
  n.groups.forEach((g, i) => {
    if (g.size > MAX_UNITS)
      add('NET041', `groups.${i}.size`, `group ${g.name} has ${g.size} units (limit ${MAX_UNITS})`, 'split the layer, or restore the size');
    const role = i === 0 ? 'GROUP_ROLE_INPUT' : i === out ? 'GROUP_ROLE_OUTPUT' : 'GROUP_ROLE_HIDDEN';
    if (g.role !== role)
      add(
        'NET041',
        `groups.${i}.role`,
        `group ${i} (${g.name}) has role ${g.role}; groups are the input, the hidden layers, then the output`,
        RECOMPILE,
      );
    if (role === 'GROUP_ROLE_HIDDEN' && !HIDDEN_ACTIVATIONS.has(g.activation)) {
      add(
        'NET041',
        `groups.${i}.activation`,
        `hidden group ${g.name} has activation ${g.activation}`,
        'set ACTIVATION_TANH, ACTIVATION_HARD_SIGMOID or ACTIVATION_SIGMOID',
      );
    }
    if (
      g.shape.length !== 0 &&
      (g.shape.length !== 3 || g.shape.some((d) => !(d >= 1)) || g.shape[0] * g.shape[1] * g.shape[2] !== g.size)
    ) {
      add(
        'NET041',
        `groups.${i}.shape`,
        `group ${g.name} has shape [${g.shape.join(', ')}] for ${g.size} units`,
        "a map group's shape is [C, H, W] with C·H·W = size; a flat group has none",
      );
    }
  });
  if (G < 3) add('NET041', 'groups', `${G} groups; a net has an input, at least one hidden layer and an output`, RECOMPILE);
  const into = n.edges.filter((e) => e.toGroup === out);
  if (into.length !== 1)
    add('NET041', 'edges', `${into.length} edges drive the output group; a net has exactly one readout edge`, RECOMPILE);
  n.edges.forEach((e, i) => {
    if (e.fromGroup === out || e.toGroup === 0)
      add('NET041', `edges.${i}`, `edge ${e.name} reads the output or drives the input`, RECOMPILE);
  });
  const d = n.dynamics;
  const phases = n.schedule?.phases ?? [];
  if (phases.length !== PHASES.length || phases.some((p, i) => p.kind !== PHASES[i].kind || p.trainingOnly !== PHASES[i].trainingOnly)) {
    add(
      'NET041',
      'schedule.phases',
      `the phases are [${phases.map((p) => `${p.kind}${p.trainingOnly ? '*' : ''}`).join(', ')}]; op set 2 runs INPUT, FREE, READOUT, then ERROR*, NUDGED*, UPDATE* (* training only)`,
      RECOMPILE,
    );
    return;
  }
  phases.forEach((p, i) => {
    const steps = p.kind === 'PHASE_KIND_FREE' || p.kind === 'PHASE_KIND_NUDGED';
    if (steps ? !(p.repeat >= 1 && p.repeat <= MAX_STEPS) : p.repeat !== 1) {
      add(
        'NET041',
        `schedule.phases.${i}.repeat`,
        `phase ${p.name} repeats ${p.repeat} times; ${steps ? `a step phase runs 1…${MAX_STEPS} iterations` : 'it runs once'}`,
        steps
          ? `set repeat (and dynamics.${p.kind === 'PHASE_KIND_FREE' ? 'free' : 'nudged'}_steps) within 1…${MAX_STEPS}`
          : 'set repeat to 1',
      );
    }
    if (p.ops.length > MAX_OPS_PER_PHASE)
      add(
        'NET041',
        `schedule.phases.${i}.ops`,
        `phase ${p.name} has ${p.ops.length} ops (limit ${MAX_OPS_PER_PHASE})`,
        'split the net over a larger chip',
      );
  });
  if (!d) return;
  const T = phases[1].repeat;
  const K = phases[4].repeat;
  if (d.freeSteps !== T)
    add(
      'NET041',
      'dynamics.free_steps',
      `dynamics.free_steps is ${d.freeSteps} but the FREE phase repeats ${T} times`,
      'T is both: set them equal',
    );
  if (d.nudgedSteps !== K)
    add(
      'NET041',
      'dynamics.nudged_steps',
      `dynamics.nudged_steps is ${d.nudgedSteps} but the NUDGED phase repeats ${K} times`,
      'K is both: set them equal',
    );
  n.groups.forEach((g, i) => {
    if (g.freeSteps !== d.freeSteps || g.nudgedSteps !== d.nudgedSteps)
      add(
        'NET041',
        `groups.${i}.free_steps`,
        `group ${g.name} says T ${g.freeSteps}, K ${g.nudgedSteps}; dynamics says T ${d.freeSteps}, K ${d.nudgedSteps}`,
        "keep the groups' copies equal to dynamics",
      );
  });
  if (!['NUDGE_MODE_HELD', 'NUDGE_MODE_RECOMPUTED', 'NUDGE_MODE_GRAPH'].includes(d.nudge))
    add('NET041', 'dynamics.nudge', `nudge mode ${d.nudge}`, 'set NUDGE_MODE_HELD, _RECOMPUTED or _GRAPH');
  if (into.length === 1 && d.readoutGroup !== into[0].fromGroup)
    add(
      'NET041',
      'dynamics.readout_group',
      `readout_group is ${d.readoutGroup} but the readout edge ${into[0].name} reads group ${into[0].fromGroup}`,
      "set readout_group to the readout edge's source",
    );
}

/** The value an op's operand names must exist where it is read. */
const READ_SOURCES: Record<string, readonly OperandName[]> = {
  PHASE_KIND_INPUT: ['OPERAND_INPUT'],
  PHASE_KIND_FREE: ['OPERAND_STATE'],
  PHASE_KIND_READOUT: ['OPERAND_STATE'],
  PHASE_KIND_ERROR: ['OPERAND_ERROR'],
  PHASE_KIND_NUDGED: ['OPERAND_STATE', 'OPERAND_ERROR'],
  PHASE_KIND_UPDATE: ['OPERAND_STATE'],
};

function same(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((v, i) => JSON.stringify(v) === JSON.stringify(b[i]));
}

/** Every op against its definition in netlist/ops.ts and the objects it names. */
function checkOps(n: NetlistMsg, chip: ChipDescription, add: Add): void {
  const ctx: OpContext = { chip, routePath: (r) => n.routes[r]?.path };
  const G = n.groups.length;
  const out = G - 1;
  const arr = (id: number): ArrayMsg | undefined => (id < n.arrays.length ? n.arrays[id] : undefined);
  n.schedule?.phases.forEach((ph, pi) => {
    ph.ops.forEach((op, oi) => {
      const p = `schedule.phases.${pi}.ops.${oi}`;
      const bad = (what: string, hint = RECOMPILE) => add('NET042', p, `${ph.name} op ${oi} (${op.opType} "${op.label}"): ${what}`, hint);
      if (!isOpType(op.opType)) return; // NET040 reports it
      const refs = checkRefs(n, op, ph.kind, out, arr);
      if (refs) {
        bad(refs);
        return;
      }
      const def = OPS[op.opType];
      const res = def.resources(op, ctx);
      if (!same(res, op.resources))
        bad(
          `holds [${op.resources.join(', ')}], but its operands imply [${res.join(', ')}]`,
          'resources follow from the operands (docs/netlist.md op table); restore them',
        );
      const acts = def.actions(op, ctx);
      if (!same(acts, op.actions))
        bad(
          `counts ${JSON.stringify(op.actions)}, but its operands imply ${JSON.stringify(acts)}`,
          'actions follow from the operands (docs/netlist.md op table); restore them',
        );
    });
  });
}

/** What is wrong with the objects an op names (null when they fit). */
function checkRefs(n: NetlistMsg, op: OpMsg, phase: PhaseKindName, out: number, arr: (id: number) => ArrayMsg | undefined): string | null {
  const G = n.groups.length;
  if (op.group >= G) return `names group ${op.group}; there are ${G}`;
  const hidden = (g: number) => g >= 1 && g < out;
  switch (op.opType) {
    case 'ArrayRead':
    case 'ArrayReadTransposed':
    case 'AdcConvert':
    case 'OuterProductUpdate': {
      const a = arr(op.array);
      if (!a) return `names array ${op.array}; there are ${n.arrays.length}`;
      if (op.edge !== a.edge) return `names edge ${op.edge}, but array ${op.array} holds a tile of edge ${a.edge}`;
      const e = n.edges[a.edge];
      const P = e.conv ? e.conv.positions : 1; // that ops stream exactly P patches is NET040's check
      if (Math.max(1, op.positions) !== P) return null;
      const rows = a.rowEnd - a.rowBegin;
      const cols = a.colEnd - a.colBegin;
      if (op.opType === 'OuterProductUpdate') {
        if (!a.trainable || a.role !== 'ARRAY_ROLE_WEIGHT' || !e.trainable)
          return `updates array ${op.array}, which is not a trainable W tile`;
        if (op.postGroup !== e.toGroup || op.preGroup !== e.fromGroup)
          return `post ${op.postGroup} / pre ${op.preGroup}, but edge ${e.name} runs ${e.fromGroup} → ${e.toGroup}`;
        const posts: OperandName[] = e.toGroup === out ? ['OPERAND_ERROR', 'OPERAND_FREE_ERROR'] : ['OPERAND_DELTA'];
        const pres: OperandName[] = e.fromGroup === 0 ? ['OPERAND_INPUT'] : ['OPERAND_FREE_STATE', 'OPERAND_STATE'];
        if (!posts.includes(op.post) || !pres.includes(op.pre))
          return `post ${op.post} / pre ${op.pre}: edge ${e.name} learns from ${posts.join(' or ')} × ${pres.join(' or ')}`;
        if (op.lines !== rows || op.elements !== rows * cols * P)
          return `lines ${op.lines}, elements ${op.elements}; array ${op.array} has ${rows} rows and ${rows * cols} cells (× ${P} positions)`;
        return null;
      }
      if (op.opType === 'AdcConvert') {
        if (op.lines !== rows && op.lines !== cols)
          return `converts ${op.lines} lines; array ${op.array} senses ${rows} (forward) or ${cols} (transposed)`;
        return null;
      }
      const transposed = op.opType === 'ArrayReadTransposed';
      if (!a.reads.includes(transposed ? 'READ_KIND_TRANSPOSED' : 'READ_KIND_FORWARD'))
        return `array ${op.array} is not read ${transposed ? 'transposed' : 'forward'} (its reads: ${a.reads.join(', ') || 'none'})`;
      if (transposed && a.role !== 'ARRAY_ROLE_WEIGHT') return 'a random-feedback array is read forward only';
      const driver = a.role === 'ARRAY_ROLE_WEIGHT' && !transposed ? e.fromGroup : e.toGroup;
      if (op.group !== driver) return `is driven by group ${op.group}, but that read of edge ${e.name} is driven by group ${driver}`;
      const lines = transposed ? rows : cols;
      if (op.lines !== lines) return `drives ${op.lines} lines; the array's ${transposed ? 'rows' : 'columns'} are ${lines}`;
      if (!READ_SOURCES[phase].includes(op.source) || (op.source === 'OPERAND_INPUT') !== (op.group === 0))
        return `reads ${op.source} of group ${op.group} in the ${phase} phase`;
      if (op.source === 'OPERAND_ERROR' && op.group !== out) return 'reads the error of a group that is not the output';
      return null;
    }
    case 'Accumulate': {
      if (op.source === 'OPERAND_HELD_DRIVE') {
        if (op.held !== 'DRIVE_BUFFER_INPUT' && op.held !== 'DRIVE_BUFFER_NUDGE') return `adds held buffer ${op.held}`;
        if (op.target !== 'DRIVE_BUFFER_STEP' || !hidden(op.group))
          return `adds a held drive into ${op.target} of group ${op.group}; held drives go into a hidden group's STEP drive`;
        return null;
      }
      if (op.source !== 'OPERAND_PARTIAL_SUM') return `accumulates ${op.source}`;
      if (op.reduction >= n.reductions.length) return `names reduction ${op.reduction}; there are ${n.reductions.length}`;
      const r = n.reductions[op.reduction];
      const a = arr(op.array);
      if (!a || !r.arrays.includes(op.array)) return `adds array ${op.array}, which is not in reduction ${op.reduction}`;
      if (r.edge !== a.edge || r.role !== a.role || op.edge !== a.edge)
        return `reduction ${op.reduction} and array ${op.array} belong to different edges or roles`;
      if (op.group !== r.group || op.target !== r.target)
        return `writes ${op.target} of group ${op.group}; reduction ${op.reduction} writes ${r.target} of group ${r.group}`;
      const e = n.edges[r.edge];
      const want = a.role === 'ARRAY_ROLE_WEIGHT' && r.read === 'READ_KIND_FORWARD' ? e.toGroup : e.fromGroup;
      if (r.group !== want) return `reduction ${op.reduction} drives group ${r.group}; that read of edge ${e.name} drives group ${want}`;
      const gain = r.read === 'READ_KIND_TRANSPOSED' ? a.gains?.transposed : a.gains?.forward;
      if (gain !== undefined && !finite(gain)) return null; // NET043 reports the array's gain
      if (gain === undefined || Math.fround(op.gain) !== Math.fround(gain))
        return `gain ${op.gain}, but array ${op.array}'s ${r.read === 'READ_KIND_TRANSPOSED' ? 'transposed' : 'forward'} gain is ${gain}`;
      const targets: Record<string, boolean> = {
        DRIVE_BUFFER_STEP: hidden(r.group),
        DRIVE_BUFFER_INPUT: hidden(r.group),
        DRIVE_BUFFER_NUDGE: hidden(r.group),
        DRIVE_BUFFER_LOGITS: r.group === out,
      };
      if (!targets[r.target]) return `writes ${r.target} of group ${r.group}`;
      return null;
    }
    case 'NeuronUpdate':
    case 'SaveState':
    case 'StateDelta':
      return hidden(op.group) ? null : `${op.opType} of group ${op.group}, which is not hidden`;
    case 'ReadoutError':
    case 'LoadTarget':
      return op.group === out ? null : `${op.opType} of group ${op.group}, which is not the output`;
    case 'LoadInput':
      return op.group === 0 ? null : `loads x into group ${op.group}`;
    case 'Send':
    case 'Receive':
      if (op.route >= n.routes.length) return `names route ${op.route}; there are ${n.routes.length}`;
      if (op.opType === 'Send' && (n.routes[op.route].srcCore !== op.core || op.hops !== n.routes[op.route].path.length - 1))
        return `route ${op.route} does not start at core ${op.core} with ${op.hops} hops`;
      return null;
  }
  return null;
}

export function validateProgram(n: NetlistMsg, chip: ChipDescription | undefined, add: Add): void {
  checkNumbers(n, add);
  checkStructure(n, add);
  if (chip) checkOps(n, chip, add);
}
