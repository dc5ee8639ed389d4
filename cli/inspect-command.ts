/** `fre inspect NET.pb [--json] [--text]`: a readable summary of a netlist (or its full text form). */
import type { Argv } from 'yargs';
import { UsageError } from './errors';
import { estimate } from '../compiler/estimate';
import { chipFromMsg } from '../netlist/chip-proto';
import { readValidNetlist } from '../netlist/validate';
import { netlistToText } from '../netlist/text';
import { adcRangeOf, type AdcReadKind, type MatrixMappingMsg, type NetlistMsg } from '../netlist/types';
import type { ChipDescription, UpdateModel } from '../hw-models/chip';
import { unitStep } from '../simulator/chip/update-schemes';
import { formatCycles, plural } from '../util/format';

export interface InspectArgs {
  netlist: string;
  json?: boolean;
  text?: boolean;
}

export function inspectOptions<T>(y: Argv<T>) {
  return (
    y
      .positional('netlist', { type: 'string', demandOption: true, describe: 'netlist (.pb)' })
      .option('json', { type: 'boolean', describe: 'print the summary as JSON' })
      .option('text', { type: 'boolean', describe: 'print the whole netlist in protobuf text format (as protoc --decode)' })
      // Both asked for, not both named: yargs' conflicts() counts a flag as given when set at all, so
      // `--no-text --json` would be refused.
      .check((argv) => {
        if (argv.json === true && argv.text === true) throw new UsageError('--json and --text cannot be given together; give one of them');
        return true;
      })
  );
}

const short = (s: string, prefix: string) => s.replace(prefix, '').toLowerCase();
/** The shortest decimal that is the same float32 (0.1, not 0.10000000149011612). */
const f32 = (v: number | undefined): number | undefined => {
  if (v === undefined) return v;
  for (let p = 1; p < 10; p++) if (Math.fround(Number(v.toPrecision(p))) === Math.fround(v)) return Number(v.toPrecision(p));
  return v;
};

/** The ADC full scales of an edge's arrays per read kind it performs: [min, max] over its arrays (0 = unbounded). */
function adcRanges(n: NetlistMsg, ids: number[]): Partial<Record<AdcReadKind, [number, number]>> {
  const out: Partial<Record<AdcReadKind, [number, number]>> = {};
  const e = n.edges[n.arrays[ids[0]]?.edge ?? 0];
  const toOutput = e && n.groups[e.toGroup]?.role === 'GROUP_ROLE_OUTPUT';
  for (const id of ids) {
    const a = n.arrays[id];
    if (!a.gains) continue;
    const kinds: AdcReadKind[] =
      a.role === 'ARRAY_ROLE_RANDOM_FEEDBACK'
        ? [toOutput ? 'nudge' : 'transposed']
        : a.reads.map((r) => (r === 'READ_KIND_FORWARD' ? 'forward' : toOutput ? 'nudge' : 'transposed'));
    for (const k of kinds) {
      const v = f32(adcRangeOf(a.gains, k).fullScale)!;
      const cur = out[k];
      out[k] = cur ? [Math.min(cur[0], v), Math.max(cur[1], v)] : [v, v];
    }
  }
  return out;
}

/**
 * An edge's arrays as runs of consecutive ids on consecutive tiles (row by row in its tile grid):
 * "0…7: tiles (0,0)…(1,3)" for a 2×4 grid, so a 100-array edge is one line, not a hundred ids.
 */
export function arrayRuns(n: NetlistMsg, ids: readonly number[], gridCols: number): string {
  const tile = (id: number) => `(${n.arrays[id].tileRow},${n.arrays[id].tileCol})`;
  const next = (a: number, b: number) => {
    const x = n.arrays[a];
    const y = n.arrays[b];
    return b === a + 1 && y.tileRow * gridCols + y.tileCol === x.tileRow * gridCols + x.tileCol + 1;
  };
  const runs: string[] = [];
  for (let i = 0; i < ids.length;) {
    let j = i;
    while (j + 1 < ids.length && next(ids[j], ids[j + 1])) j++;
    runs.push(j === i ? `${ids[i]}: tile ${tile(ids[i])}` : `${ids[i]}…${ids[j]}: tiles ${tile(ids[i])}…${tile(ids[j])}`);
    i = j + 1;
  }
  return runs.join(', ');
}

export function summarise(n: NetlistMsg) {
  const chip = chipFromMsg(n.chip!);
  const est = estimate(chip, n);
  return {
    irVersion: n.irVersion,
    opsets: n.opsetImport.map((o) => `${o.domain}:${o.version}`),
    producer: `${n.producerName} ${n.producerVersion}`,
    graph: n.graphName,
    chip: {
      name: chip.name,
      fingerprint: n.chip!.fingerprint,
      crossbar: `${chip.crossbar.rows}x${chip.crossbar.cols} ${chip.crossbar.cell}, ${chip.crossbar.gMinUS}-${chip.crossbar.gMaxUS} uS, levels ${chip.crossbar.levels}`,
      mesh: `${chip.noc.meshWidth}x${chip.noc.meshHeight} cores x ${chip.noc.arraysPerCore} arrays`,
      update: updateSummary(chip.crossbar.update),
      costModel: chip.costModel.version,
    },
    dynamics: n.dynamics
      ? { T: n.dynamics.freeSteps, K: n.dynamics.nudgedSteps, betaF: f32(n.dynamics.betaF), nudge: short(n.dynamics.nudge, 'NUDGE_MODE_') }
      : null,
    groups: n.groups.map((g) => ({
      name: g.name,
      role: short(g.role, 'GROUP_ROLE_'),
      size: g.size,
      activation: short(g.activation, 'ACTIVATION_'),
      homeCore: g.homeCore,
    })),
    edges: n.edges.map((e) => ({
      name: e.name,
      from: n.groups[e.fromGroup]?.name,
      to: n.groups[e.toGroup]?.name,
      rows: e.rows,
      cols: e.cols,
      feedback: short(e.feedback, 'FEEDBACK_KIND_'),
      alpha: f32(e.alpha),
      beta: f32(e.beta),
      trainable: e.trainable,
      arrays: e.arrays.length,
      feedbackArrays: e.feedbackArrays.length,
      tileGrid: `${e.tileGridRows}x${e.tileGridCols}`,
      wMax: f32(e.weights?.wMax),
      wMaxPolicy: policyText(e.weights),
      clipped: e.weights?.clipped,
      maxError: f32(e.weights?.maxError),
      rmsError: f32(e.weights?.rmsError),
      adcRanges: adcRanges(n, [...e.arrays, ...e.feedbackArrays]),
    })),
    // Every array by id (what `fre export spice --array ID` takes), with the edge tile it holds.
    arrays: n.arrays.map((a) => ({
      id: a.id,
      edge: n.edges[a.edge]?.name,
      role: short(a.role, 'ARRAY_ROLE_'),
      tile: [a.tileRow, a.tileCol],
      rows: [a.rowBegin, a.rowEnd],
      cols: [a.colBegin, a.colEnd],
      core: a.core,
      slot: a.slot,
    })),
    cores: n.cores.map((c) => ({ id: c.id, x: c.x, y: c.y, arrays: c.arrays.length, groups: c.groups.map((g) => n.groups[g]?.name) })),
    routes: n.routes.length,
    meshHops: n.routes.reduce((s, r) => s + r.path.length - 1, 0),
    phases: (n.schedule?.phases ?? []).map((p) => ({ name: p.name, repeat: p.repeat, trainingOnly: p.trainingOnly, ops: p.ops.length })),
    learningSignal: learningSignalSummary(n, chip),
    cyclesPerInference: est.cyclesPerInference,
    cyclesPerTrainingSample: est.cyclesPerTrainingSample,
    area: { totalMm2: est.areaTotalMm2, chipMm2: est.chipAreaMm2, byComponentMm2: est.areaMm2, layout: est.areaLayout },
    metadata: Object.fromEntries(n.metadataProps.map((m) => [m.key, m.value])),
  };
}

function fmtFs(v: number): string {
  return v === 0 ? 'unbounded' : v.toPrecision(4);
}

export async function runInspect(a: InspectArgs): Promise<void> {
  // A damaged netlist is refused with its diagnostics, never summarised (fre validate lists them all).
  const { netlist, bytes } = readValidNetlist(a.netlist);
  if (a.text) {
    process.stdout.write(netlistToText(netlist));
    return;
  }
  const s = summarise(netlist);
  if (a.json) {
    process.stdout.write(`${JSON.stringify(s)}\n`);
    return;
  }
  const L: string[] = [];
  L.push(`${a.netlist}: ${bytes.length} bytes, ir_version ${s.irVersion}, op sets ${s.opsets.join(', ')}, by ${s.producer}`);
  L.push(
    `graph ${s.graph}${s.dynamics ? `: T ${s.dynamics.T}, K ${s.dynamics.K}, beta_f ${s.dynamics.betaF}, nudge ${s.dynamics.nudge}` : ''}`,
  );
  L.push(`chip ${s.chip.name} (${s.chip.fingerprint.slice(0, 12)}): ${s.chip.crossbar}; ${s.chip.mesh}; cost model ${s.chip.costModel}`);
  L.push(`in-situ update: ${s.chip.update}`);
  L.push('groups:');
  for (const g of s.groups)
    L.push(`  ${g.name.padEnd(8)} ${g.role.padEnd(6)} ${String(g.size).padStart(5)}  ${g.activation.padEnd(12)} home core ${g.homeCore}`);
  L.push('edges (under each, its array ids and the tiles (row,col) they hold; `fre export spice --array ID` takes an id):');
  netlist.edges.forEach((edge, i) => {
    const e = s.edges[i];
    L.push(
      `  ${e.name.padEnd(8)} ${`${e.from}->${e.to}`.padEnd(14)} ${`${e.rows}x${e.cols}`.padEnd(9)} ${e.feedback.padEnd(9)} ${plural(e.arrays, 'array').padStart(10)} (${e.tileGrid})` +
        `${e.feedbackArrays ? ` + ${e.feedbackArrays} feedback` : ''}  w_max ${e.wMax?.toPrecision(4)} (${e.wMaxPolicy})  clipped ${e.clipped}  rms err ${e.rmsError?.toExponential(2)}` +
        `  ADC ±${Object.entries(e.adcRanges)
          .map(([k, [lo, hi]]) => `${k} ${lo === hi ? fmtFs(lo) : `${fmtFs(lo)}…${fmtFs(hi)}`}`)
          .join(', ')}`,
    );
    const runs = (ids: number[], cols: number) => `${ids.length === 1 ? 'array' : 'arrays'} ${arrayRuns(netlist, ids, cols)}`;
    L.push(
      `           ${runs(edge.arrays, edge.tileGridCols)}` +
        (edge.feedbackArrays.length ? `; feedback ${runs(edge.feedbackArrays, edge.feedbackTileGridCols)}` : ''),
    );
  });
  L.push(`cores: ${s.cores.map((c) => `${c.id}(${c.x},${c.y}):${c.arrays}${c.groups.length ? `[${c.groups.join(',')}]` : ''}`).join(' ')}`);
  L.push(`routes: ${s.routes} (${s.meshHops} hops)`);
  L.push(
    `area: ${s.area.totalMm2.toPrecision(3)} mm² used of ${s.area.chipMm2.toPrecision(3)} mm² (${Object.entries(s.area.byComponentMm2)
      .map(([k, v]) => `${k} ${v.toPrecision(3)}`)
      .join(', ')})${s.area.layout ? `; ${s.area.layout}` : ''}`,
  );
  L.push(`schedule: ${s.phases.map((p) => `${p.name} ${p.ops} ops x${p.repeat}${p.trainingOnly ? ' (training)' : ''}`).join(', ')}`);
  L.push(
    `estimate: ${formatCycles(s.cyclesPerInference)} cycles/inference, ${formatCycles(s.cyclesPerTrainingSample)} cycles/training sample`,
  );
  L.push(...learningSignalLines(s.learningSignal));
  process.stdout.write(`${L.join('\n')}\n`);
}

const NUDGE_TEXT: Record<string, string> = {
  held: 'e = y − p of the free state, computed once; β_f·B_f·e added at every nudged step',
  recomputed: 'e recomputed from the current state at every nudged step; β_f·B_f·e added',
  graph: 'held e; k·β_f·B_f·e added at nudged step k',
};

/** Significant digits for a printed number (exact when short). */
const sig = (v: number): number => Number(v.toPrecision(4));

/**
 * Where EP meets the hardware, from the netlist's chip: the nudged phase, the state register, where δ =
 * s^β − s⁰ is formed and at what precision, the activation, and the update path's quantisation and
 * noise (issue 14 item 4). Steps are in state units (δ, states) or weight units (the update).
 */
export function learningSignalSummary(n: NetlistMsg, chip: ChipDescription) {
  const nr = chip.neuron;
  const [lo, hi] = nr.stateRange;
  const stateStep = nr.stateBits === 'float' ? 0 : (hi - lo) / (2 ** nr.stateBits - 1);
  const betaF = f32(n.dynamics?.betaF) ?? 0;
  const nudge = n.dynamics ? short(n.dynamics.nudge, 'NUDGE_MODE_') : 'none';
  const ls = nr.learningSignal;
  // The smallest non-zero δ: one state step (difference of two registers) or one δ-register step; 0 = float.
  const deltaStep = ls.kind === 'state-registers' ? stateStep : ls.deltaBits === 'float' ? 0 : ls.deltaRange / 2 ** (ls.deltaBits - 1);
  const delta =
    ls.kind === 'state-registers'
      ? {
          formation: 'state-registers',
          text: `s⁰ a copy of the state register; δ the exact difference of two ${nr.stateBits === 'float' ? 'float32' : `${nr.stateBits}-bit`} registers`,
          freeStateBits: nr.stateBits,
          bits: nr.stateBits === 'float' ? ('float' as const) : nr.stateBits + 1,
          range: [lo - hi, hi - lo] as [number, number],
        }
      : {
          formation: 'difference-register',
          text: `s⁰ in a ${ls.freeStateBits === 'float' ? 'float32' : `${ls.freeStateBits}-bit`} free-state register and δ = ŝ^β − s⁰ in a ${ls.deltaBits === 'float' ? 'float32' : `${ls.deltaBits}-bit (${ls.deltaRounding} rounding)`} δ register, both from the neuron unit's output before the state register`,
          freeStateBits: ls.freeStateBits,
          bits: ls.deltaBits,
          range: ls.deltaBits === 'float' ? null : ([-ls.deltaRange, ls.deltaRange] as [number, number]),
          rounding: ls.deltaRounding,
        };
  const act = nr.activation;
  const activation =
    act.kind === 'exact'
      ? { kind: 'exact', text: 'exact (float32)' }
      : act.kind === 'lut'
        ? {
            kind: 'lut',
            text: `LUT of ${act.entries} entries over [${act.inputRange.join(', ')}], input step ${sig((act.inputRange[1] - act.inputRange[0]) / (act.entries - 1))}`,
          }
        : { kind: 'piecewise-linear', text: `piecewise-linear, ${act.segments} segments over [${act.inputRange.join(', ')}]` };
  const u = chip.crossbar.update;
  const differential = chip.crossbar.cell === 'differential';
  const update =
    u.kind === 'exact'
      ? { scheme: 'exact', pulsesPerUpdate: 0, dwMin: 0, weightStepFraction: 0, cycleToCycle: 0, deviceToDevice: null, edges: [] }
      : {
          scheme: u.scheme,
          pulsesPerUpdate: u.pulsesPerUpdate,
          dwMin: u.dwMin,
          // One pulse moves a weight by unitStep·w_max; the weight range is 2·w_max.
          weightStepFraction: sig(unitStep(u, differential) / 2),
          cycleToCycle: u.cycleToCycle,
          deviceToDevice: u.deviceToDevice,
          edges: n.edges
            .filter((e) => e.trainable && e.weights)
            .map((e) => ({ name: e.name, wMax: f32(e.weights!.wMax)!, weightStep: sig(unitStep(u, differential) * e.weights!.wMax) })),
        };
  return {
    nudgedPhase: {
      K: n.dynamics?.nudgedSteps ?? 0,
      betaF,
      nudge,
      text: NUDGE_TEXT[nudge] ?? nudge,
      // The nudge is an array read like any other: e through the DACs, the partial sums through the ADCs
      // (read kind nudge, ranges per edge above), with the crossbar's read noise and the ADC's output noise.
      read: {
        dacBits: chip.periphery.dac.bits,
        adcBits: chip.periphery.adc.bits,
        readNoise: chip.crossbar.readNoise,
        adcOutputNoise: chip.periphery.adc.outputNoise,
      },
    },
    stateRegister: { bits: nr.stateBits, range: [lo, hi] as [number, number], step: sig(stateStep) },
    delta: {
      ...delta,
      smallestDelta: sig(deltaStep),
      smallestDeltaOverBetaF: betaF > 0 ? sig(deltaStep / betaF) : null,
    },
    activation,
    stateNoise: nr.stateNoise,
    update,
  };
}

function learningSignalLines(l: ReturnType<typeof learningSignalSummary>): string[] {
  const d = l.delta;
  const u = l.update;
  const bits = (b: number | 'float') => (b === 'float' ? 'float32' : `${b} bits`);
  return [
    'learning signal (hidden groups: δ = s^β − s⁰; the readout uses the digital error y − p):',
    `  nudged phase: K ${l.nudgedPhase.K} steps, beta_f ${l.nudgedPhase.betaF}, nudge ${l.nudgedPhase.nudge} (${l.nudgedPhase.text}), through the feedback arrays: ` +
      `DAC ${bits(l.nudgedPhase.read.dacBits)}, ADC ${bits(l.nudgedPhase.read.adcBits)} (read kind nudge), read noise σ ${l.nudgedPhase.read.readNoise.sigma} of the ${l.nudgedPhase.read.readNoise.relativeTo}, ADC output noise σ ${l.nudgedPhase.read.adcOutputNoise}`,
    `  state register: ${bits(l.stateRegister.bits)} over [${l.stateRegister.range.join(', ')}], step ${l.stateRegister.step || 'float32'}; state noise σ ${l.stateNoise}`,
    `  δ: ${d.formation}: ${d.text}; smallest δ ${d.smallestDelta || 'float32'}` +
      (d.smallestDeltaOverBetaF
        ? ` = ${d.smallestDeltaOverBetaF}·beta_f (hidden δ scales with beta_f: a δ below half this step is lost)`
        : ''),
    `  activation: ${l.activation.text}`,
    u.scheme === 'exact'
      ? '  update: exact (cells written with their new level)'
      : `  update: ${u.scheme}, BL ${u.pulsesPerUpdate} pulses per update, dw_min ${u.dwMin} of the conductance range = ${u.weightStepFraction} of the weight range per pulse` +
        ` (${u.edges.map((e) => `${e.name} ${e.weightStep}`).join(', ')} in weight units); cycle-to-cycle σ ${u.cycleToCycle}·dw_min per pulse, device spread dw_min ${u.deviceToDevice!.dwMin}, bounds ${u.deviceToDevice!.wMax}/${u.deviceToDevice!.wMin}, up/down ${u.deviceToDevice!.upDownAsymmetry}`,
  ];
}

/** The in-situ update as one line: scheme, pulse physics, device spread (and χ width for mixed precision). */
function updateSummary(u: UpdateModel): string {
  if (u.kind === 'exact') return 'exact (cells written with their new level)';
  const d = u.deviceToDevice;
  return (
    `${u.scheme}, dw_min ${u.dwMin}, BL ${u.pulsesPerUpdate}, cycle-to-cycle ${u.cycleToCycle}, up/down ${u.upDownAsymmetry}, ${u.softBounds ? 'soft' : 'hard'} bounds, ` +
    `device spread dw_min ${d.dwMin} w_max ${d.wMax} w_min ${d.wMin} up/down ${d.upDownAsymmetry}${u.scheme === 'mixed-precision' ? `, χ ${u.accumulatorBits} bits` : ''}` +
    (u.pairMode === 'potentiate-only'
      ? `, potentiate-only pair (refresh above ${u.refreshUpperThreshold} / ${u.refreshLowerThreshold} of the devices' range)`
      : '')
  );
}

/** How a matrix's weight range was chosen, as the compile option spells it. */
function policyText(m: MatrixMappingMsg | null | undefined): string {
  if (!m) return 'none';
  switch (m.policy) {
    case 'W_MAX_POLICY_PERCENTILE':
      return `p${m.percentile}`;
    case 'W_MAX_POLICY_HEADROOM':
      return `x${m.headroom} max|W|`;
    case 'W_MAX_POLICY_FIXED':
      return 'fixed';
    default:
      return 'max|W|';
  }
}
