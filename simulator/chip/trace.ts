/**
 * A Chrome trace (JSON object format: chrome://tracing, https://ui.perfetto.dev) of `samples`
 * consecutive samples of a netlist on a chip: one track per resource (array, dac, adc, link,
 * buffer, neuron) with a complete ('X') event per op and resource it holds (simulator/timing/trace.ts
 * `chromeTrace`), a 'phases' track with one 'X' event per phase iteration, and a 'samples' track
 * with one per sample. Times are microseconds at the chip clock (`ts = cycle · 1e6 / Hz`); every
 * event's args carry its cycles. Timing is that of simulator/chip/costs.ts: phase iterations are
 * barriers laid end to end, samples follow each other without gaps.
 *
 * Size: op events grow with samples × (T + K) × ops, so the detail is chosen to stay under
 * `maxEvents` (default 100 000, ≈ 18 MB of JSON): 'full' (every iteration's ops), else 'first-iteration' (the ops of
 * the first iteration of each phase of every sample; the repeats appear on the 'phases' track
 * only, args.detail = 'summarised'), else 'first-sample' (the ops of the first iteration of each
 * phase of the first sample only). The trace's `metadata` says which, and why.
 */
import type { ChipDescription } from '../../hw-models/chip';
import type { NetlistMsg } from '../../netlist/types';
import { chromeTrace, type TraceEvent } from '../timing/trace';
import { phaseRepeat, resourceKind, schedulePhases, type ChipCostOptions } from '../../netlist/costs';

export type TraceDetail = 'full' | 'first-iteration' | 'first-sample';

export interface ChipTraceOptions {
  /** Consecutive samples to lay out (≥ 1). */
  samples: number;
  /** Training samples (all six phases) or inferences (INPUT, FREE, READOUT). */
  training: boolean;
  /** 'auto' (default) picks the most detailed level under maxEvents. */
  detail?: TraceDetail | 'auto';
  /** Bound on op events for 'auto' (default 100 000). */
  maxEvents?: number;
  /** Early exit, as in chipCosts. */
  freeSteps?: ChipCostOptions['freeSteps'];
  nudgedSteps?: ChipCostOptions['nudgedSteps'];
}

export interface ChipTraceMetadata {
  chip: string;
  graph: string;
  clockMhz: number;
  samples: number;
  training: boolean;
  cyclesPerSample: number;
  detail: TraceDetail;
  /** Human-readable statement of what is traced in full and what is summarised. */
  note: string;
  opEvents: number;
  /** Op events the 'full' level would have had. */
  fullOpEvents: number;
  phases: { name: string; repeat: number; cyclesPerIteration: number; opsPerIteration: number }[];
}

export interface ChipTrace {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ns';
  metadata: ChipTraceMetadata;
  /** The Trace Event Format's free-form key/values (chrome://tracing shows them under "Metadata"). */
  otherData: Record<string, string>;
}

const KIND_ORDER = ['array', 'dac', 'adc', 'link', 'buffer', 'neuron'];

/** Resource names in a stable display order: by kind, then by the numbers in the name. */
function compareResources(a: string, b: string): number {
  const ka = KIND_ORDER.indexOf(resourceKind(a));
  const kb = KIND_ORDER.indexOf(resourceKind(b));
  if (ka !== kb) return (ka < 0 ? KIND_ORDER.length : ka) - (kb < 0 ? KIND_ORDER.length : kb);
  const na = (a.match(/\d+/g) ?? []).map(Number);
  const nb = (b.match(/\d+/g) ?? []).map(Number);
  for (let i = 0; i < Math.min(na.length, nb.length); i++) if (na[i] !== nb[i]) return na[i] - nb[i];
  return na.length - nb.length || (a < b ? -1 : a > b ? 1 : 0);
}

export function chipTrace(netlist: NetlistMsg, chip: ChipDescription, opts: ChipTraceOptions): ChipTrace {
  if (!Number.isInteger(opts.samples) || opts.samples < 1)
    throw new Error(`chipTrace: samples must be an integer ≥ 1, got ${opts.samples}`);
  const maxEvents = opts.maxEvents ?? 100_000;
  const hz = chip.clock.frequencyMhz * 1e6;
  const us = 1e6 / hz;
  const pid = 1;
  const scheduled = schedulePhases(netlist, chip).filter((s) => opts.training || !s.phase.trainingOnly);
  const phases = scheduled.map((s) => {
    const repeat = phaseRepeat(s.phase, opts);
    const eventsPerIteration = s.ops.reduce((n, op) => n + op.resources.length, 0);
    return { ...s, repeat, eventsPerIteration, cycles: s.timing.makespan };
  });
  const cyclesPerSample = phases.reduce((c, p) => c + p.repeat * p.cycles, 0);
  const fullOpEvents = opts.samples * phases.reduce((n, p) => n + p.repeat * p.eventsPerIteration, 0);
  const firstIterEvents = opts.samples * phases.reduce((n, p) => n + (p.repeat > 0 ? p.eventsPerIteration : 0), 0);
  let detail: TraceDetail;
  if (opts.detail && opts.detail !== 'auto') detail = opts.detail;
  else if (fullOpEvents <= maxEvents) detail = 'full';
  else if (firstIterEvents <= maxEvents) detail = 'first-iteration';
  else detail = 'first-sample';
  const traced = (sample: number, iter: number) => detail === 'full' || (iter === 0 && (detail === 'first-iteration' || sample === 0));

  // Tracks: samples, phases, then every resource of the traced phases in display order.
  const events: TraceEvent[] = [
    { name: 'process_name', ph: 'M', pid, tid: 0, cat: '', args: { name: `${netlist.graphName} on ${chip.name}` } },
  ];
  const tids = new Map<string, number>();
  const track = (name: string) => {
    const tid = tids.size + 1;
    tids.set(name, tid);
    events.push({ name: 'thread_name', ph: 'M', pid, tid, cat: '', args: { name } });
    events.push({ name: 'thread_sort_index', ph: 'M', pid, tid, cat: '', args: { sort_index: tid } });
  };
  track('samples');
  track('phases');
  const resources = new Set<string>();
  for (const p of phases) if (p.repeat > 0) for (const op of p.ops) for (const r of op.resources) resources.add(r);
  for (const r of [...resources].sort(compareResources)) track(r);
  const samplesTid = tids.get('samples')!;
  const phasesTid = tids.get('phases')!;

  let opEvents = 0;
  let cycle = 0;
  for (let s = 0; s < opts.samples; s++) {
    const sampleStart = cycle;
    for (const p of phases) {
      for (let it = 0; it < p.repeat; it++) {
        const full = traced(s, it);
        events.push({
          name: p.repeat > 1 ? `${p.phase.name} ${it + 1}/${p.repeat}` : p.phase.name,
          cat: 'phase',
          ph: 'X',
          pid,
          tid: phasesTid,
          ts: cycle * us,
          dur: p.cycles * us,
          args: {
            sample: s,
            phase: p.phase.name,
            kind: p.phase.kind,
            iteration: it,
            cycles: p.cycles,
            startCycle: cycle,
            ops: p.ops.length,
            detail: full ? 'ops traced' : 'summarised',
          },
        });
        if (full) {
          // chromeTrace numbers its tracks per call: map its tids to ours through its thread names.
          const local = chromeTrace(p.ops, p.timing, hz, '', pid, cycle);
          const names = new Map<number, string>();
          for (const e of local) if (e.ph === 'M' && e.name === 'thread_name') names.set(e.tid, String(e.args?.name));
          for (const e of local) {
            if (e.ph !== 'X') continue;
            e.tid = tids.get(names.get(e.tid)!)!;
            e.args = { ...e.args, sample: s, phase: p.phase.name, iteration: it };
            events.push(e);
            opEvents++;
          }
        }
        cycle += p.cycles;
      }
    }
    events.push({
      name: `sample ${s}`,
      cat: 'sample',
      ph: 'X',
      pid,
      tid: samplesTid,
      ts: sampleStart * us,
      dur: (cycle - sampleStart) * us,
      args: { sample: s, cycles: cycle - sampleStart, startCycle: sampleStart, training: opts.training },
    });
  }

  const what = opts.training ? 'training samples' : 'inferences';
  const note =
    detail === 'full'
      ? `every op of every phase iteration of ${opts.samples} ${what} is traced`
      : detail === 'first-iteration'
        ? `the ops of the first iteration of each phase of each of the ${opts.samples} ${what} are traced; the other iterations (identical timing: a fixed schedule, iterations are barriers) appear only on the 'phases' track (args.detail = 'summarised'); full detail would need ${fullOpEvents} op events (maxEvents ${maxEvents})`
        : `the ops of the first iteration of each phase of the first of ${opts.samples} ${what} are traced; every other iteration and sample (identical timing) appears only on the 'phases' and 'samples' tracks; full detail would need ${fullOpEvents} op events (maxEvents ${maxEvents})`;
  return {
    traceEvents: events,
    displayTimeUnit: 'ns',
    metadata: {
      chip: chip.name,
      graph: netlist.graphName,
      clockMhz: chip.clock.frequencyMhz,
      samples: opts.samples,
      training: opts.training,
      cyclesPerSample,
      detail,
      note,
      opEvents,
      fullOpEvents,
      phases: phases.map((p) => ({ name: p.phase.name, repeat: p.repeat, cyclesPerIteration: p.cycles, opsPerIteration: p.ops.length })),
    },
    otherData: {
      chip: chip.name,
      graph: netlist.graphName,
      clockMhz: String(chip.clock.frequencyMhz),
      samples: String(opts.samples),
      training: String(opts.training),
      cyclesPerSample: String(cyclesPerSample),
      detail,
      note,
    },
  };
}
