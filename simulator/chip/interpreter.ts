/**
 * The chip simulator's executor: it runs a netlist's schedule — phases, iterations, ops in list
 * order — batched over the samples of a batch, each op doing what netlist/ops.ts says it means,
 * on the arrays of chip-arrays.ts. Nothing here reads the graph spec: T and K are the FREE and
 * NUDGED phases' `repeat`, gains are the arrays' gain registers, activations the groups', the
 * nudge is whatever ops the schedule holds, the update scale and optimiser come from
 * training_info. A chip team's edit of any of those fields changes what this executes.
 *
 * Buffers per group: s (state), s_next (written by NeuronUpdate, current when the iteration ends),
 * s⁰, δ, the STEP drive h, the held INPUT and NUDGE drives (and, when the chip's learning signal is a
 * difference register, the neuron unit's output before the state register, from which s⁰ and δ are formed); the output group has its logits,
 * p, e, and the free-phase p⁰, e⁰. At the start of a sample every buffer is zero.
 */
import type { Activation } from '../../graph/spec';
import type { ConvSpec, FeatureShape, PoolSpec } from '../../graph/shapes';
import type { ConvGeometryMsg, DriveBufferName, NetlistMsg, OpMsg, OperandName, OpType, PhaseMsg } from '../../netlist/types';
import { mapsToRows, rowsToMaps } from '../conv/im2row';
import { layoutFor, type LayoutKernels } from '../conv/layout-kernels';
import { poolForward, poolTranspose } from '../conv/pool';
import { addRowBias } from '../engine/edge-ops';
import { softmaxRows } from '../engine/softmax';
import type { DeviceModel } from '../train';
import { adcRangeOf, ADC_READ_KINDS, type AdcReadKind } from '../../netlist/types';
import type { ChipArrays } from './chip-arrays';
import { convertOver } from './periphery';

/** Saturated ADC conversions of one edge's reads of one kind, over the interpreter's life (or since reset). */
export interface AdcSaturation {
  edge: string;
  read: AdcReadKind;
  conversions: number;
  clipped: number;
  /** clipped / conversions (the clipped values that stand, after any bound-management re-reads). */
  fraction: number;
  /** Bound management: samples read again (each a further array read and conversion of every line). */
  rereads: number;
  /** Lines those re-reads drove through the DAC and lines they converted, summed over the re-reads
   *  (the measured action counts netlist/costs.ts `rereadCosts` prices). */
  rereadLinesDriven: number;
  rereadLinesSensed: number;
}

const ACTIVATION: Record<string, Activation | null> = {
  ACTIVATION_TANH: 'tanh',
  ACTIVATION_HARD_SIGMOID: 'hard-sigmoid',
  ACTIVATION_SIGMOID: 'sigmoid',
};

interface GroupRt {
  size: number;
  activation: Activation | null;
  s: Float32Array;
  sNext: Float32Array;
  s0: Float32Array;
  delta: Float32Array;
  /** difference-register: the neuron unit's output before the state register (ŝ, and the one being written). */
  pre: Float32Array | null;
  preNext: Float32Array | null;
  h: Float32Array;
  heldInput: Float32Array;
  heldNudge: Float32Array;
  updated: boolean;
}

interface ConvRt {
  conv: ConvSpec;
  pool?: PoolSpec;
  P: number;
  convShape: FeatureShape;
  /** [m·P × cols] receptive fields of the latest forward read's input. */
  patches: Float32Array;
  /** [m·P × rows] combined forward partial sums (before pooling). */
  fwdRows: Float32Array;
  /** [m·P × cols] combined feedback partial sums (before row2im). */
  backRows: Float32Array;
  /** [m·P × rows] the to-side values unpooled through the latest argmax, as patch rows. */
  toRows: Float32Array;
  map: Float32Array;
  pooled: Float32Array;
  argmax: Int32Array;
  keptPatches: Float32Array;
  keptArgmax: Int32Array;
}

interface EdgeRt {
  from: number;
  to: number;
  rows: number;
  cols: number;
  alpha: number;
  bias: Float32Array | null;
  trainable: boolean;
  toOutput: boolean;
  conv: ConvRt | null;
}

/** The most products (entries) one sgemmBatch (accumulateBatch) call takes (native/blas.c, periphery.c). */
const BATCH_MAX = 256;

/** GEMMs queued for one sgemmBatch call: A, B, C per product in bufs, its 10 numbers in nums; the arrays whose
 *  gradient tiles they write (a second product for one of them waits for the next call: they would race). */
interface GemmQueue {
  bufs: Float32Array[];
  nums: Float64Array;
  count: number;
  arrays: Set<number>;
}

/** `nums`, or a copy with room for twice `need` numbers when it holds fewer than `need` (a batch call's queue). */
function roomFor(nums: Float64Array, need: number): Float64Array {
  if (nums.length >= need) return nums;
  const grown = new Float64Array(2 * need);
  grown.set(nums);
  return grown;
}

/** Per-op flags the walk needs, computed once per phase (what is first or last in an iteration). */
interface OpPlan {
  op: OpMsg;
  type: OpType;
  /** Array reads: a forward read of W (vs. a feedback read: W transposed or B). */
  forwardW: boolean;
  /** First op of its (edge, direction) in the iteration: conv edges form their inputs here. */
  first: boolean;
  /** Last Accumulate of its (edge, direction): bias, pooling or row2im happen here. */
  last: boolean;
  /** Writes a buffer an array may read (a state, s⁰, δ, e, x): cached DAC codes are stale after it. */
  writes: boolean;
  /** AdcConvert: the Accumulate of the same array's partial sums that follows it with only data
   *  movement (Send/Receive) in between — the two can run as one pass (convert()). */
  accumulate: OpPlan | null;
  /** ArrayRead(Transposed): its AdcConvert follows (past data movement) and has an Accumulate to fuse with. */
  fusedConvert: boolean;
  /** The first read of a run of independent reads (runReads): the index after the run's last op; 0 otherwise. */
  runEnd: number;
  /** NeuronUpdate: the held drive's Accumulate folded into it (foldHeld; the neuron unit adds the drive); that
   *  Accumulate is then `folded` and does nothing at its own place. */
  held: OpPlan | null;
  folded: boolean;
}

export class NetlistInterpreter implements DeviceModel {
  private readonly groups: GroupRt[];
  private readonly edges: EdgeRt[];
  private readonly plans: { phase: PhaseMsg; ops: OpPlan[] }[];
  private readonly out: number;
  private readonly layout: LayoutKernels;
  private readonly part: Float32Array[];
  /** Values the latest read of each array left in its part buffer (n × sensed lines). */
  private readonly sensed: number[];
  /** The kind of the latest read of each array: which of its ADC ranges converts it. */
  private readonly readKind: AdcReadKind[];
  /** Lines the latest read of each array sensed (per sample row). */
  private readonly senseLines: number[];
  /** Per edge: [conversions, clipped] per ADC_READ_KINDS index, then the re-reads per kind. */
  private readonly saturation: Float64Array[];
  /** Each array's latest read (bound management re-reads it). */
  private readonly lastRead: ({ transposed: boolean; x: Float32Array; ldx: number; x0: number; n: number } | undefined)[] = [];
  private bmPart: Float32Array = new Float32Array(0);
  /** Per array: its converted partial sums were already added by a fused AdcConvert (the Accumulate skips the add). */
  private readonly accumulated: boolean[];
  /** Per array: partial-sum buffers for its second and later reads within one run of runReads. */
  private readonly extraParts: Float32Array[][] = [];
  private samples = 0;
  /** DAC codes per source buffer and the buffer version they were made from (see dacCodes). */
  private readonly codes = new Map<Float32Array, { version: number; q: Float32Array }>();
  /** Bumped whenever a buffer an array may read changes (every op that writes one, every iteration). */
  private version = 0;
  private readonly logits: Float32Array;
  private readonly probs: Float32Array;
  private readonly err: Float32Array;
  private readonly probs0: Float32Array;
  private readonly err0: Float32Array;
  private readonly betaF: number;
  private readonly divideByBetaF: boolean;
  /** crossbar.update.scheme is stochastic-coincidence: updates are pulse trains per sample, at the edge's learning rate. */
  private readonly coincidence: boolean;
  private readonly edgeLr: number[];
  private x: Float32Array = new Float32Array(0);
  private y: Float32Array = new Float32Array(0);
  private m = 0;
  private loss = 0;
  private grads: (Float32Array | null)[] = [];
  /** Per group, the buffers begin() zeroes (clearedBuffers): the others are written whole before any op reads them. */
  private readonly cleared: ClearedBuffer[][];

  constructor(
    readonly netlist: NetlistMsg,
    readonly chip: ChipArrays,
    readonly maxBatch: number,
  ) {
    const n = netlist;
    const buf = (k: number) => new Float32Array(maxBatch * k);
    this.out = n.groups.length - 1;
    this.groups = n.groups.map((g) => ({
      size: g.size,
      activation: ACTIVATION[g.activation] ?? null,
      s: buf(g.size),
      sNext: buf(g.size),
      s0: buf(g.size),
      delta: buf(g.size),
      pre: chip.neuron.dedicated ? buf(g.size) : null,
      preNext: chip.neuron.dedicated ? buf(g.size) : null,
      h: buf(g.size),
      heldInput: buf(g.size),
      heldNudge: buf(g.size),
      updated: false,
    }));
    const C = n.groups[this.out].size;
    this.logits = this.groups[this.out].h;
    this.probs = buf(C);
    this.err = buf(C);
    this.probs0 = buf(C);
    this.err0 = buf(C);
    this.betaF = n.dynamics!.betaF;
    this.divideByBetaF = n.trainingInfo?.divideByBetaF ?? false;
    const u = chip.chip.crossbar.update;
    this.coincidence = u.kind === 'pulsed' && u.scheme === 'stochastic-coincidence';
    this.edgeLr = n.trainingInfo?.edgeLr ?? [];
    this.layout = layoutFor(chip.kernels);
    this.edges = n.edges.map((e) => ({
      from: e.fromGroup,
      to: e.toGroup,
      rows: e.rows,
      cols: e.cols,
      alpha: e.alpha,
      bias: e.bias.length ? Float32Array.from(e.bias) : null,
      trainable: e.trainable,
      toOutput: e.toGroup === this.out,
      conv: e.conv ? convRt(e.conv, e.rows, e.cols, n.groups[e.toGroup].size, maxBatch) : null,
    }));
    this.part = n.arrays.map((a) => {
      const conv = this.edges[a.edge].conv;
      const lines = Math.max(a.rowEnd - a.rowBegin, a.colEnd - a.colBegin);
      return new Float32Array(maxBatch * (conv ? conv.P : 1) * lines);
    });
    this.sensed = n.arrays.map(() => 0);
    this.accumulated = n.arrays.map(() => false);
    this.readKind = n.arrays.map(() => 'forward');
    this.senseLines = n.arrays.map(() => 1);
    this.saturation = n.edges.map(() => new Float64Array(5 * ADC_READ_KINDS.length));
    this.plans = n.schedule!.phases.map((phase) => ({ phase, ops: planPhase(phase, n) }));
    this.cleared = clearedBuffers(n);
    if (chip.batchable) for (const p of this.plans) this.markRuns(p.ops);
    if (chip.neuron.foldsHeld) for (const p of this.plans) foldHeld(p.ops);
  }

  /**
   * Marks the runs of reads that may run side by side (runReads): consecutive ops that are only dense
   * reads whose conversion fuses with their Accumulate, those conversions and Accumulates, and data
   * movement. Within such a run every read reads a state, s⁰, δ, the input or an error — buffers no op of
   * the run writes (Accumulates write drives only) — so each read sees what it would see in program order;
   * the accumulations then run in program order, so the drives' sums are the same floats.
   */
  private markRuns(ops: OpPlan[]): void {
    const fusable = (p: OpPlan) =>
      (p.type === 'ArrayRead' || p.type === 'ArrayReadTransposed') && p.fusedConvert && this.canFuse(p.op.array);
    for (let i = 0; i < ops.length; i++) {
      if (!fusable(ops[i])) continue;
      // Reads not yet converted (per array, in order) and Accumulates not yet reached.
      const unconverted = new Map<number, number>();
      const accs = new Set<OpPlan>();
      let reads = 0;
      let complete = { end: 0, reads: 0 };
      for (let j = i; j < ops.length; j++) {
        const q = ops[j];
        const a = q.op.array;
        if (q.type === 'Send' || q.type === 'Receive') continue;
        if (fusable(q)) {
          reads++;
          unconverted.set(a, (unconverted.get(a) ?? 0) + 1);
        } else if (q.type === 'AdcConvert' && q.accumulate && (unconverted.get(a) ?? 0) > 0) {
          unconverted.set(a, unconverted.get(a)! - 1);
          accs.add(q.accumulate);
        } else if (q.type === 'Accumulate' && accs.has(q)) accs.delete(q);
        else break;
        // Every read so far converted and accumulated: the run may end here.
        if (accs.size === 0 && [...unconverted.values()].every((k) => k === 0)) complete = { end: j + 1, reads };
      }
      if (complete.reads >= 2) {
        ops[i].runEnd = complete.end;
        i = complete.end - 1;
      }
    }
  }

  /** stochastic-coincidence: the arrays learn inside step() (outer()), the optimiser steps the biases only. */
  get updatesInSitu(): boolean {
    return this.coincidence;
  }

  /** The effective weights of every edge (the optimiser steps these; commit() realises them). */
  weights(): Float32Array[] {
    return this.chip.W.map((d) => d.W);
  }

  /** Realises the optimiser's requested weights on the devices of every trained edge. */
  commit(): void {
    this.chip.commit(this.edges.map((e) => e.trainable));
  }

  /** The current biases (digital registers; the optimiser steps them in place). */
  biases(): (Float32Array | null)[] {
    return this.edges.map((e) => e.bias);
  }

  infer(x: Float32Array, m: number): Float32Array {
    return this.chip.withOneBlasThread(() => {
      this.begin(x, null, m);
      for (const p of this.plans) if (!p.phase.trainingOnly) this.runPhase(p);
      return this.logits;
    });
  }

  step(x: Float32Array, y: Float32Array, m: number, grads: (Float32Array | null)[]): { loss: number; probs: Float32Array } {
    return this.chip.withOneBlasThread(() => {
      this.begin(x, y, m);
      this.grads = grads;
      for (const p of this.plans) this.runPhase(p);
      return { loss: this.loss, probs: this.probs0 };
    });
  }

  /** The ADC saturation per edge and read kind (kinds never read are left out). */
  adcSaturation(): AdcSaturation[] {
    const out: AdcSaturation[] = [];
    this.saturation.forEach((c, e) =>
      ADC_READ_KINDS.forEach((read, k) => {
        const conversions = c[2 * k];
        if (conversions > 0) {
          out.push({
            edge: this.netlist.edges[e].name,
            read,
            conversions,
            clipped: c[2 * k + 1],
            fraction: c[2 * k + 1] / conversions,
            rereads: c[2 * ADC_READ_KINDS.length + k],
            rereadLinesDriven: c[3 * ADC_READ_KINDS.length + k],
            rereadLinesSensed: c[4 * ADC_READ_KINDS.length + k],
          });
        }
      }),
    );
    return out;
  }

  resetAdcSaturation(): void {
    for (const c of this.saturation) c.fill(0);
    this.samples = 0;
  }

  /** Samples run through the schedule (inferences and training steps) since construction or the
   *  last resetAdcSaturation: what adcSaturation()'s counts are spread over. */
  samplesRun(): number {
    return this.samples;
  }

  /** A group's current state (tests and analysis). */
  state(group: number): Float32Array {
    return this.groups[group].s;
  }

  /** A group's s⁰ and δ as the latest training step left them (tests and analysis). */
  learningSignal(group: number): { s0: Float32Array; delta: Float32Array } {
    return { s0: this.groups[group].s0, delta: this.groups[group].delta };
  }

  private begin(x: Float32Array, y: Float32Array | null, m: number): void {
    if (m > this.maxBatch) throw new Error(`batch of ${m} exceeds the interpreter's maximum ${this.maxBatch}`);
    this.version++;
    this.samples += m;
    this.x = x;
    this.y = y ?? this.y;
    this.m = m;
    // Low-frequency read noise redrawn per sample: one draw for this batch's samples, held by all their phases.
    if (this.chip.chip.crossbar.lowFrequencyReadNoise.redraw === 'sample') this.chip.drawLowFrequency(m);
    this.groups.forEach((g, i) => {
      const k = m * g.size;
      for (const b of this.cleared[i]) g[b]?.fill(0, 0, k);
    });
  }

  private runPhase({ phase, ops }: { phase: PhaseMsg; ops: OpPlan[] }): void {
    const nudged = phase.kind === 'PHASE_KIND_NUDGED';
    if (this.chip.chip.crossbar.lowFrequencyReadNoise.redraw === 'phase') this.chip.drawLowFrequency(this.m);
    for (let it = 0; it < phase.repeat; it++) {
      const side = this.chip.batching();
      for (let i = 0; i < ops.length; i++) {
        const p = ops[i];
        if (side && p.runEnd > i) {
          this.runReads(ops, i, p.runEnd);
          i = p.runEnd - 1;
          continue;
        }
        if (side && p.type === 'OuterProductUpdate' && this.chip.native?.sgemmBatch) {
          i = this.runOuter(ops, i) - 1;
          continue;
        }
        this.exec(p, it, phase);
        if (p.writes) this.version++;
      }
      this.version++;
      for (const g of this.groups) {
        if (!g.updated) continue;
        const t = g.s;
        g.s = g.sNext;
        g.sNext = t;
        const u = g.pre;
        g.pre = g.preNext;
        g.preNext = u;
        g.updated = false;
      }
      // The first nudged iteration's forward reads read s⁰: the conv updates use their patches and
      // argmax (the chip latches them rather than reading s⁰ again). Input conv edges keep those of
      // the INPUT phase, their only read.
      if (nudged && it === 0) this.keep();
    }
  }

  private exec(p: OpPlan, it: number, phase: PhaseMsg): void {
    const { op } = p;
    const m = this.m;
    switch (p.type) {
      case 'LoadInput':
      case 'LoadTarget':
      case 'Send':
      case 'Receive':
        return; // data movement: numerically the identity (x and y are in place from begin())
      case 'ArrayRead':
      case 'ArrayReadTransposed':
        return this.read(p);
      case 'AdcConvert':
        return this.convert(op.array, p.accumulate);
      case 'Accumulate':
        if (p.folded) return; // added by the NeuronUpdate it is folded into
        return op.source === 'OPERAND_HELD_DRIVE' ? this.accumulateHeld(op, it) : this.accumulate(p);
      case 'NeuronUpdate': {
        const g = this.groups[op.group];
        if (!g.activation) throw new Error(`NeuronUpdate of group ${op.group}, which has no activation`);
        const held = p.held ? this.heldOf(p.held.op) : null;
        this.chip.neuron.apply(g.activation, g.h, g.sNext, m * g.size, g.preNext, true, held);
        g.updated = true;
        return;
      }
      case 'ReadoutError':
        return this.readoutError(phase.kind === 'PHASE_KIND_ERROR');
      case 'SaveState': {
        const g = this.groups[op.group];
        this.chip.neuron.saveFree(g.s, g.pre, g.s0, m * g.size);
        return;
      }
      case 'StateDelta': {
        const g = this.groups[op.group];
        this.chip.neuron.formDelta(g.s, g.pre, g.s0, g.delta, m * g.size);
        return;
      }
      case 'OuterProductUpdate':
        return this.outer(p);
    }
  }

  /** The values an operand names, [m × size] of its group. */
  private operand(group: number, o: OperandName): Float32Array {
    const g = this.groups[group];
    switch (o) {
      case 'OPERAND_STATE':
        return g.s;
      case 'OPERAND_FREE_STATE':
        return g.s0;
      case 'OPERAND_DELTA':
        return g.delta;
      case 'OPERAND_INPUT':
        return this.x;
      case 'OPERAND_ERROR':
        return this.err;
      case 'OPERAND_FREE_ERROR':
        return this.err0;
      default:
        throw new Error(`operand ${o} is not a value an array reads`);
    }
  }

  private read(p: OpPlan): void {
    const { op } = p;
    const e = this.edges[this.chip.arrays[op.array].edge];
    const { transposed, src, x0 } = this.noteRead(p);
    if (!e.conv) {
      const ld = this.groups[op.group].size;
      // Every array that reads this vector in this iteration sees the same DAC codes: quantise once
      // (not under noise management: its per-array, per-sample scaling comes before the DAC).
      const q = this.chip.absMax ? null : this.dacCodes(src, this.m * ld);
      // When the conversion and the accumulation will run as one pass, the read's noise is drawn on the
      // chip threads during the GEMM and added in that pass.
      this.arrayRead(op.array, transposed, src, ld, x0, this.m, q, p.fusedConvert && this.canFuse(op.array));
      return;
    }
    const c = e.conv;
    const n = this.m * c.P;
    if (p.forwardW) {
      if (p.first) this.layout.im2row(c.conv, this.m, src, c.patches);
      this.arrayRead(op.array, false, c.patches, e.cols, x0, n);
      return;
    }
    // Feedback: the to-side values unpooled through this iteration's forward argmax, one row per patch.
    if (p.first) this.toRows(c, src, c.argmax);
    this.arrayRead(op.array, transposed, c.toRows, e.rows, x0, n);
  }

  /**
   * A run of independent reads (markRuns) side by side: every read queued in program order (its input
   * prepared, its noise key taken in that order by the batch), all run at once on the chip threads (GEMM,
   * noise, ADC and rescale into the read's own partial sums: ChipArrays.runReads), then the conversions'
   * counts and the Accumulates in program order, as the sequential ops would have left them. An array read
   * twice in the run (W forward, then W transposed) gets a second partial-sum buffer for its second read.
   */
  private runReads(ops: OpPlan[], i0: number, end: number): void {
    const queued = new Map<number, { part: Float32Array; kind: AdcReadKind; n: number; job: number }[]>();
    const slots = new Map<number, number>();
    let jobs = 0;
    for (let i = i0; i < end; i++) {
      const p = ops[i];
      if (p.type !== 'ArrayRead' && p.type !== 'ArrayReadTransposed') continue;
      const { op } = p;
      const id = op.array;
      const t = this.chip.arrays[id].tile;
      const { transposed, src, x0, kind } = this.noteRead(p);
      const slot = slots.get(id) ?? 0;
      slots.set(id, slot + 1);
      let part = this.part[id];
      if (slot > 0) {
        const extra = (this.extraParts[id] ??= []);
        part = extra[slot - 1] ??= new Float32Array(part.length);
      }
      const lines = this.senseLines[id];
      const ld = this.groups[op.group].size;
      // What arrayRead records for bound management (the array's latest read).
      this.lastRead[id] = { transposed, x: src, ldx: ld, x0, n: this.m };
      const q = this.chip.absMax ? null : this.dacCodes(src, this.m * ld);
      const { fullScale, step } = adcRangeOf(t.gains, kind);
      this.chip.queueRead(id, transposed, q ?? src, ld, x0, this.m, part, q !== null, this.version, fullScale, step);
      const list = queued.get(id) ?? [];
      list.push({ part, kind, n: this.m * lines, job: jobs++ });
      queued.set(id, list);
    }
    const clipped = this.chip.runReads();
    const parts = new Map<OpPlan, Float32Array>();
    const acc = this.accQueue;
    acc.count = 0;
    for (let i = i0; i < end; i++) {
      const p = ops[i];
      if (p.type === 'AdcConvert') {
        const r = queued.get(p.op.array)!.shift()!;
        const c = this.saturation[this.chip.arrays[p.op.array].edge];
        const k = ADC_READ_KINDS.indexOf(r.kind);
        c[2 * k] += r.n;
        c[2 * k + 1] += clipped[r.job];
        parts.set(p.accumulate!, r.part);
      } else if (p.type === 'Accumulate' && !this.queueAccumulate(p, parts.get(p)!)) {
        this.flushAccumulates();
        this.accumulate(p, parts.get(p)!);
      }
    }
    this.flushAccumulates();
  }

  /** runReads' Accumulates (and the bias add after an edge's last) for one accumulateBatch call, in program
   *  order: each element of a drive sees the same adds in the same order as accumulate() one by one, and the
   *  samples split over the chip threads (the calling thread did them alone). */
  private readonly accQueue = { bufs: [] as Float32Array[], nums: new Float64Array(0) as Float64Array, count: 0 };

  /** Queues a dense edge's plain Accumulate of part (and its bias add); false when accumulate() must run it. */
  private queueAccumulate(p: OpPlan, part: Float32Array): boolean {
    const native = this.chip.native?.accumulateBatch;
    const { op } = p;
    const e = this.edges[this.chip.arrays[op.array].edge];
    if (!native || e.conv || this.accumulated[op.array]) return false;
    const { lines, o0, gain, dst, ld } = this.accTarget(p);
    const bias = p.last && p.forwardW && e.bias;
    if (bias && ld !== e.rows) return false;
    this.pushAccumulate(part, dst, 0, lines, o0, ld, gain);
    if (bias) this.pushAccumulate(e.bias!, dst, 1, e.rows, 0, e.rows, e.alpha);
    return true;
  }

  private pushAccumulate(src: Float32Array, out: Float32Array, kind: number, lines: number, o0: number, ld: number, gain: number): void {
    const q = this.accQueue;
    if (q.count === BATCH_MAX) this.flushAccumulates(); // the native call's limit: in order, so the same sums
    const k = q.count++;
    q.nums = roomFor(q.nums, 6 * q.count);
    q.bufs[2 * k] = src;
    q.bufs[2 * k + 1] = out;
    q.nums.set([kind, this.m, lines, o0, ld, gain], 6 * k);
  }

  private flushAccumulates(): void {
    const q = this.accQueue;
    if (q.count === 0) return;
    this.chip.native!.accumulateBatch!(q.bufs, q.nums, q.count);
    q.count = 0;
    q.bufs.length = 0; // no reference kept to the drives between runs
  }

  /**
   * A run of OuterProductUpdates (with the data movement between them) from ops[i0]: each dense tile's gradient
   * GEMM queued, then all of them side by side on the chip threads (sgemmBatch: each the one-BLAS-thread sgemm it
   * would be alone, so the same bytes; they write disjoint tiles of the gradients and read states only). The
   * bias gradients and conv or coincidence updates run in place, in program order. Returns the run's end.
   */
  private runOuter(ops: OpPlan[], i0: number): number {
    const q = this.gemmQueue;
    let i = i0;
    try {
      for (; i < ops.length; i++) {
        const p = ops[i];
        if (p.type === 'Send' || p.type === 'Receive') continue;
        if (p.type !== 'OuterProductUpdate') break;
        this.outer(p, q);
        if (p.writes) this.version++;
      }
      this.flushGemms(q);
    } finally {
      // Nothing queued outlives the run, whatever threw (a later run must not see this one's products).
      q.count = 0;
      q.bufs.length = 0;
      q.arrays.clear();
    }
    return i;
  }

  private flushGemms(q: GemmQueue): void {
    try {
      if (q.count > 0) this.chip.native!.sgemmBatch!(q.bufs, q.nums, q.count);
    } finally {
      q.count = 0;
      q.bufs.length = 0;
      q.arrays.clear();
    }
  }

  private readonly gemmQueue: GemmQueue = { bufs: [], nums: new Float64Array(0), count: 0, arrays: new Set() };

  /**
   * What a read leaves for its conversion (the array's latest read: its kind, sensed lines and values), the
   * same whether it runs alone (read) or in a run (runReads); returns its direction, source and first line.
   */
  private noteRead(p: OpPlan): { transposed: boolean; src: Float32Array; x0: number; kind: AdcReadKind } {
    const { op } = p;
    const a = this.chip.arrays[op.array];
    const t = a.tile;
    const e = this.edges[a.edge];
    const transposed = p.type === 'ArrayReadTransposed';
    const kind = this.readKindOf(p);
    this.readKind[op.array] = kind;
    // Which lines of the matrix drive the read: W's columns (forward), W's rows (transposed), B's columns.
    this.senseLines[op.array] = transposed ? t.colEnd - t.colBegin : t.rowEnd - t.rowBegin;
    this.sensed[op.array] = this.m * (e.conv ? e.conv.P : 1) * this.senseLines[op.array];
    return { transposed, src: this.operand(op.group, op.source), x0: transposed ? t.rowBegin : t.colBegin, kind };
  }

  /** Which ADC range converts a read: reads carrying the output error are the nudge; other reads towards
   *  the from-side (W transposed, or B) carry a hidden state back; the rest drive forward. */
  private readKindOf(p: OpPlan): AdcReadKind {
    const { op } = p;
    if (op.source === 'OPERAND_ERROR' || op.source === 'OPERAND_FREE_ERROR') return 'nudge';
    return p.type === 'ArrayReadTransposed' || this.chip.arrays[op.array].tile.role === 'random-feedback' ? 'transposed' : 'forward';
  }

  /** One array read into its part buffer, remembered for bound management's re-reads. */
  private arrayRead(
    id: number,
    transposed: boolean,
    x: Float32Array,
    ldx: number,
    x0: number,
    n: number,
    dacCodes: Float32Array | null = null,
    deferNoise = false,
  ): void {
    this.lastRead[id] = { transposed, x, ldx, x0, n };
    // Dense reads name the buffer version, so arrays reading the same slice share its prepared input.
    const version = this.edges[this.chip.arrays[id].edge].conv ? undefined : this.version;
    this.chip.read(id, transposed, dacCodes ?? x, ldx, x0, n, this.part[id], dacCodes !== null, 1, 0, n / this.m, version, deferNoise);
  }

  /**
   * The ADC of one array: clip and quantise over the range of the latest read's kind, undo noise
   * management's scaling, and (iterative bound management) re-read every sample that clipped with
   * its input halved, up to maxRereads times, keeping the first re-read that does not clip (or the
   * last) times 2^k. Counts conversions, the clipped ones that stand, and re-reads.
   */
  private convert(id: number, acc: OpPlan | null = null): void {
    const kind = this.readKind[id];
    const a = this.chip.arrays[id];
    const { fullScale, step } = adcRangeOf(a.tile.gains, kind);
    const part = this.part[id];
    const n = this.sensed[id];
    const lines = this.senseLines[id];
    const rows = n / lines;
    const adc = this.chip.chip.periphery.adc;
    const c = this.saturation[a.edge];
    const k = ADC_READ_KINDS.indexOf(kind);
    const fuse = this.chip.native?.adcConvertAccumulate;
    const fusing = acc !== null && !!fuse && this.canFuse(id);
    // A read noise still being drawn (deferred by the read) is added here: by the fused pass, or now.
    if (!fusing) this.chip.settle();
    // Rows (samples) that clip any line, with how many lines, before the conversion clips them.
    const flagged: [row: number, over: number][] = [];
    // Each-side conversion: two conversions per line, each side clipped on its own.
    const sides = this.chip.eachSide;
    const over = (buf: Float32Array, r: number) =>
      sides ? this.chip.sidesOver(id, r, lines, fullScale) : countOver(buf, r * lines, lines, fullScale);
    if (adc.boundManagement === 'iterative' && adc.maxRereads > 0 && fullScale > 0) {
      for (let r = 0; r < rows; r++) {
        const o = over(part, r);
        if (o > 0) flagged.push([r, o]);
      }
    }
    let clipped: number;
    if (fusing && acc && fuse) {
      // The ADC, the digital rescale and the Accumulate that follows in one pass (the same float
      // operations in the same order as convertAndRescale then accumulate's add; part is left unread).
      const t = this.accTarget(acc);
      clipped = this.chip.convertAccumulate(id, part, rows, lines, fullScale, step, t.dst, t.o0, t.ld, t.gain, fuse);
      this.accumulated[id] = true;
      c[2 * k] += n;
      c[2 * k + 1] += clipped;
      return;
    }
    if (sides) {
      clipped = this.chip.convertSides(id, n, fullScale, step, part);
      this.chip.rescale(id, part, rows, lines);
    } else clipped = this.chip.convertAndRescale(id, part, rows, lines, fullScale, step);
    if (flagged.length) {
      const L = this.lastRead[id]!;
      const t = a.tile;
      const driven = L.transposed ? t.rowEnd - t.rowBegin : t.colEnd - t.colBegin;
      const tmp = (this.bmPart = this.bmPart.length >= lines ? this.bmPart : new Float32Array(lines));
      for (const [r, over0] of flagged) {
        const row = L.x.subarray(r * L.ldx);
        let scale = 1;
        for (let t = 1; t <= adc.maxRereads; t++) {
          scale /= 2;
          this.chip.read(id, L.transposed, row, L.ldx, L.x0, 1, tmp, false, scale, r, rows / this.m);
          c[2 * ADC_READ_KINDS.length + k] += 1;
          c[3 * ADC_READ_KINDS.length + k] += driven;
          // Each-side conversion converts both devices' lines: twice the conversions of a re-read.
          c[4 * ADC_READ_KINDS.length + k] += sides ? 2 * lines : lines;
          const o = over(tmp, 0);
          if (o > 0 && t < adc.maxRereads) continue;
          if (sides) this.chip.convertSides(id, lines, fullScale, step, tmp);
          else convertOver(tmp, lines, fullScale, step, this.chip.native);
          this.chip.rescale(id, tmp, 1, lines);
          for (let j = 0; j < lines; j++) part[r * lines + j] = tmp[j] / scale;
          clipped += o - over0;
          break;
        }
      }
    }
    c[2 * k] += sides ? 2 * n : n;
    c[2 * k + 1] += clipped;
  }

  /** An array whose AdcConvert and Accumulate can run as one native pass: a dense edge, the native
   *  kernel present, no each-side conversion, no bound management (whose re-reads need the sums). */
  private canFuse(id: number): boolean {
    const adc = this.chip.chip.periphery.adc;
    return (
      !!this.chip.native?.adcConvertAccumulate &&
      !this.chip.eachSide &&
      !this.edges[this.chip.arrays[id].edge].conv &&
      adc.boundManagement !== 'iterative'
    );
  }

  /** The DAC codes of a whole vector, computed once per version of the buffer (null: float DAC). */
  private dacCodes(src: Float32Array, n: number): Float32Array | null {
    if (!this.chip.dac.active) return null;
    let c = this.codes.get(src);
    if (c && c.version === this.version) return c.q;
    if (!c || c.q.length < n) {
      c = { version: -1, q: new Float32Array(src.length) };
      this.codes.set(src, c);
    }
    this.chip.quantise(src, n, c.q);
    c.version = this.version;
    return c.q;
  }

  private toRows(c: ConvRt, post: Float32Array, argmax: Int32Array): void {
    let map = post;
    if (c.pool) {
      poolTranspose(c.pool, c.convShape, this.m, post, c.map, c.pool.kind === 'max' ? argmax : undefined);
      map = c.map;
    }
    mapsToRows(this.m, c.P, c.conv.outChannels, map, c.toRows);
  }

  private target(group: number, t: DriveBufferName): Float32Array {
    const g = this.groups[group];
    switch (t) {
      case 'DRIVE_BUFFER_STEP':
      case 'DRIVE_BUFFER_LOGITS':
        return g.h;
      case 'DRIVE_BUFFER_INPUT':
        return g.heldInput;
      case 'DRIVE_BUFFER_NUDGE':
        return g.heldNudge;
      default:
        throw new Error(`drive buffer ${t}`);
    }
  }

  /** Where an Accumulate adds its array's partial sums: lines per sample, first line, gain, destination. */
  private accTarget(p: OpPlan): { lines: number; o0: number; gain: number; dst: Float32Array; ld: number } {
    const { op } = p;
    const t = this.chip.arrays[op.array].tile;
    const transposed = this.plannedTransposed(p);
    return {
      lines: transposed ? t.colEnd - t.colBegin : t.rowEnd - t.rowBegin,
      o0: transposed ? t.colBegin : t.rowBegin,
      gain: transposed ? t.gains.transposed : t.gains.forward,
      dst: this.target(op.group, op.target),
      ld: this.groups[op.group].size,
    };
  }

  private accumulate(p: OpPlan, part = this.part[p.op.array]): void {
    const { op } = p;
    const m = this.m;
    const a = this.chip.arrays[op.array];
    const e = this.edges[a.edge];
    const { lines, o0, gain, dst } = this.accTarget(p);
    if (this.accumulated[op.array]) {
      // Added already by the fused AdcConvert (dense edges only); the bias still follows the last add.
      this.accumulated[op.array] = false;
      if (p.last && p.forwardW && e.bias) this.rowBias(dst, e.bias, m, e.rows, 1, e.alpha);
      return;
    }
    // out[r·ld + o0 + j] += gain·part[r, j] (AdcConvert has converted the part in place).
    const add = (out: Float32Array, n: number, ld: number) => {
      const native = this.chip.native;
      if (native) {
        native.adcAccumulate(part, n, lines, out, o0, ld, gain, 0, 0); // fs 0, step 0: a plain gain·part add
        return;
      }
      for (let r = 0; r < n; r++) {
        const ob = r * ld + o0;
        const pb = r * lines;
        for (let j = 0; j < lines; j++) out[ob + j] += gain * part[pb + j];
      }
    };
    if (!e.conv) {
      add(dst, m, this.groups[op.group].size);
      if (p.last && p.forwardW && e.bias) this.rowBias(dst, e.bias, m, e.rows, 1, e.alpha);
      return;
    }
    const c = e.conv;
    const n = m * c.P;
    const rows = p.forwardW ? c.fwdRows : c.backRows;
    const ld = p.forwardW ? e.rows : e.cols;
    add(rows, n, ld);
    if (!p.last) return;
    if (p.forwardW) {
      // Combined: to maps, pooled (keeping the argmax the feedback and the update unpool through).
      rowsToMaps(m, c.P, e.rows, rows, c.map);
      let drive = c.map;
      let per = c.P;
      if (c.pool) {
        poolForward(c.pool, c.convShape, m, c.map, c.pooled, c.pool.kind === 'max' ? c.argmax : undefined);
        drive = c.pooled;
        per = this.groups[e.to].size / e.rows;
      }
      const k = m * e.rows * per;
      for (let i = 0; i < k; i++) dst[i] += drive[i];
      if (e.bias) this.rowBias(dst, e.bias, m, e.rows, per, e.alpha);
    } else {
      this.layout.row2im(c.conv, m, rows, dst);
    }
    rows.fill(0, 0, n * ld);
  }

  /** addRowBias (edge-ops.ts), natively when the addon has it (the same double arithmetic, so the same bytes). */
  private rowBias(out: Float32Array, bias: Float32Array, m: number, R: number, per: number, scale: number): void {
    const native = this.chip.native?.addRowBias;
    if (native) native(out, bias, m, R, per, scale);
    else addRowBias(out, bias, m, R, per, scale);
  }

  /** A read's direction as its Accumulate sees it: transposed reads of W sense its columns. */
  private plannedTransposed(p: OpPlan): boolean {
    const r = this.netlist.reductions[p.op.reduction];
    return r.read === 'READ_KIND_TRANSPOSED';
  }

  /** The held drive an Accumulate of OPERAND_HELD_DRIVE adds. */
  private heldOf(op: OpMsg): Float32Array {
    const g = this.groups[op.group];
    return op.held === 'DRIVE_BUFFER_NUDGE' ? g.heldNudge : g.heldInput;
  }

  private accumulateHeld(op: OpMsg, it: number): void {
    const g = this.groups[op.group];
    const held = this.heldOf(op);
    const dst = this.target(op.group, op.target);
    const k = op.scaleByStep ? it + 1 : 1;
    const n = this.m * g.size;
    // Natively when k is 1: float + float rounds once either way, so the bytes are the loop's.
    if (k === 1 && this.chip.native) this.chip.native.adcAccumulate(held, 1, n, dst, 0, n, 1, 0, 0);
    else if (k === 1) for (let i = 0; i < n; i++) dst[i] += held[i];
    else for (let i = 0; i < n; i++) dst[i] += k * held[i];
  }

  private readoutError(free: boolean): void {
    const m = this.m;
    const C = this.groups[this.out].size;
    const y = this.y;
    softmaxRows(this.logits, this.probs, m, C);
    for (let i = 0; i < m * C; i++) this.err[i] = y[i] - this.probs[i];
    this.logits.fill(0, 0, m * C);
    if (!free) return;
    this.err0.set(this.err.subarray(0, m * C));
    this.probs0.set(this.probs.subarray(0, m * C));
    let loss = 0;
    for (let i = 0; i < m * C; i++) if (y[i] > 0) loss -= y[i] * Math.log(Math.max(this.probs[i], 1e-30));
    this.loss = loss / m;
  }

  private keep(): void {
    for (const e of this.edges) {
      const c = e.conv;
      if (!c) continue;
      c.keptPatches.set(c.patches.subarray(0, this.m * c.P * e.cols));
      c.keptArgmax.set(c.argmax.subarray(0, this.m * (c.argmax.length / this.maxBatch)));
    }
  }

  private outer(p: OpPlan, queue: GemmQueue | null = null): void {
    const { op } = p;
    const m = this.m;
    const a = this.chip.arrays[op.array];
    const e = this.edges[a.edge];
    const t = a.tile;
    const g = this.grads[a.edge] ?? null;
    const gb = e.bias ? (this.grads[this.edges.length + a.edge] ?? null) : null;
    // Coincidence learns on every trained edge whether or not a gradient slot was handed in (train() hands none).
    const coincide = this.coincidence && e.trainable;
    if (!g && !gb && !coincide) return;
    const scale = !e.toOutput && this.divideByBetaF ? -1 / (m * this.betaF) : -1 / m;
    const post = this.operand(op.postGroup, op.post);
    const R = t.rowEnd - t.rowBegin;
    const C = t.colEnd - t.colBegin;
    let postRows = post;
    let ldPost = this.groups[op.postGroup].size;
    let pre = this.operand(op.preGroup, op.pre);
    let ldPre = this.groups[op.preGroup].size;
    let n = m;
    if (e.conv) {
      const c = e.conv;
      if (p.first) this.toRows(c, post, c.keptArgmax);
      postRows = c.toRows;
      ldPost = e.rows;
      pre = c.keptPatches;
      ldPre = e.cols;
      n = m * c.P;
    }
    if (coincide) {
      // stochastic-coincidence: no digital outer product and no optimiser step; the tile's pulse trains
      // realise η·post·preᵀ per sample (η = the edge's SGD learning rate × |scale|), a gradient slot stays 0.
      if (g) for (let r = t.rowBegin; r < t.rowEnd; r++) g.fill(0, r * e.cols + t.colBegin, r * e.cols + t.colEnd);
      a.dev.coincide(
        t.rowBegin,
        R,
        t.colBegin,
        C,
        postRows.subarray(t.rowBegin),
        ldPost,
        pre.subarray(t.colBegin),
        ldPre,
        n,
        this.edgeLr[a.edge] * -scale,
        this.chip.noise,
      );
    } else if (g && queue && !e.conv) {
      // The native call's limit; and products side by side must not write one tile (an UPDATE phase may update an
      // array twice: one by one, the second product is its gradient).
      if (queue.count === BATCH_MAX || queue.arrays.has(op.array)) this.flushGemms(queue);
      queue.arrays.add(op.array);
      const k = queue.count++;
      queue.nums = roomFor(queue.nums, 10 * queue.count);
      queue.bufs[3 * k] = postRows.subarray(t.rowBegin);
      queue.bufs[3 * k + 1] = pre.subarray(t.colBegin);
      queue.bufs[3 * k + 2] = g.subarray(t.rowBegin * e.cols + t.colBegin);
      queue.nums.set([1, 0, R, C, n, scale, ldPost, ldPre, 0, e.cols], 10 * k);
    } else if (g) {
      this.chip.kernels.gemm(
        'T',
        'N',
        R,
        C,
        n,
        scale,
        postRows.subarray(t.rowBegin),
        ldPost,
        pre.subarray(t.colBegin),
        ldPre,
        0,
        g.subarray(t.rowBegin * e.cols + t.colBegin),
        e.cols,
      );
    }
    // The bias gradient (digital, at the neuron unit) from the same post vector, with the row's first tile.
    if (gb && t.tileCol === 0) {
      for (let r = t.rowBegin; r < t.rowEnd; r++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += postRows[i * ldPost + r];
        gb[r] = scale * s;
      }
    }
  }
}

function convRt(g: ConvGeometryMsg, rows: number, cols: number, toSize: number, maxBatch: number): ConvRt {
  const conv: ConvSpec = {
    inChannels: g.inChannels,
    outChannels: g.outChannels,
    kernel: g.kernel,
    stride: g.stride,
    padding: g.padding,
    height: g.inHeight,
    width: g.inWidth,
  };
  const pool: PoolSpec | undefined =
    g.pool === 'POOL_KIND_MAX'
      ? { kind: 'max', size: g.poolSize, stride: g.poolStride }
      : g.pool === 'POOL_KIND_AVG'
        ? { kind: 'avg', size: g.poolSize, stride: g.poolStride }
        : undefined;
  const P = g.positions;
  const buf = (k: number) => new Float32Array(maxBatch * k);
  const am = pool?.kind === 'max' ? maxBatch * toSize : 0;
  return {
    conv,
    pool,
    P,
    convShape: { channels: g.outChannels, height: g.outHeight, width: g.outWidth },
    patches: buf(P * cols),
    fwdRows: buf(P * rows),
    backRows: buf(P * cols),
    toRows: buf(P * rows),
    map: buf(P * rows),
    pooled: buf(pool ? toSize : 0),
    argmax: new Int32Array(am),
    keptPatches: buf(P * cols),
    keptArgmax: new Int32Array(am),
  };
}

type ClearedBuffer = 's' | 's0' | 'delta' | 'h' | 'heldInput' | 'heldNudge' | 'pre';

/**
 * Per group, the buffers begin() must zero for a step or an inference: those an op may read before any op of
 * that run writes all of them. sNext (and preNext) never: a NeuronUpdate writes them whole before the swap
 * makes them the state. s⁰ and δ only when some op reads them before the group's SaveState (StateDelta) in
 * program order, in training (every phase) or inference (the phases not trainingOnly). The state, the drives
 * and ŝ (pre) whenever an op uses them: the state starts at 0 and the drives are sums. A group no op uses
 * (the input's: reads take x) needs none — these fills were ≈ 30 MB a step of 500 samples on 2HL-512.
 */
function clearedBuffers(n: NetlistMsg): ClearedBuffer[][] {
  const clear = n.groups.map(() => new Set<ClearedBuffer>());
  const operand = (g: number, o: OperandName) => {
    if (o === 'OPERAND_STATE') clear[g].add('s').add('pre');
    return o === 'OPERAND_FREE_STATE' ? 's0' : o === 'OPERAND_DELTA' ? 'delta' : null;
  };
  const drive = (g: number, t: DriveBufferName | undefined) => {
    if (t === 'DRIVE_BUFFER_STEP' || t === 'DRIVE_BUFFER_LOGITS') clear[g].add('h');
    else if (t === 'DRIVE_BUFFER_INPUT') clear[g].add('heldInput');
    else if (t === 'DRIVE_BUFFER_NUDGE') clear[g].add('heldNudge');
  };
  for (const training of [true, false]) {
    const written = new Set<string>();
    const read = (g: number, b: 's0' | 'delta' | null) => {
      if (b && !written.has(`${g}:${b}`)) clear[g].add(b);
    };
    for (const phase of n.schedule!.phases) {
      if (phase.trainingOnly && !training) continue;
      for (const op of phase.ops) {
        switch (op.opType) {
          case 'ArrayRead':
          case 'ArrayReadTransposed':
            read(op.group, operand(op.group, op.source));
            break;
          case 'OuterProductUpdate':
            read(op.preGroup, operand(op.preGroup, op.pre));
            read(op.postGroup, operand(op.postGroup, op.post));
            break;
          case 'Accumulate':
            drive(op.group, op.target);
            if (op.source === 'OPERAND_HELD_DRIVE')
              drive(op.group, op.held === 'DRIVE_BUFFER_NUDGE' ? 'DRIVE_BUFFER_NUDGE' : 'DRIVE_BUFFER_INPUT');
            break;
          case 'NeuronUpdate':
            clear[op.group].add('h').add('s').add('pre');
            break;
          case 'ReadoutError':
            clear[op.group].add('h');
            break;
          case 'SaveState':
            clear[op.group].add('s').add('pre');
            written.add(`${op.group}:s0`);
            break;
          case 'StateDelta':
            clear[op.group].add('s').add('pre');
            read(op.group, 's0');
            written.add(`${op.group}:delta`);
            break;
        }
      }
    }
  }
  return clear.map((c) => [...c]);
}

/**
 * Folds the Accumulate of a held drive into the NeuronUpdate of its group (the neuron unit adds the drive to h in
 * its pass, heldNeuronUpdate: one pass over h instead of two) when it is the last op before that NeuronUpdate to
 * touch the group's drive: only data movement, and Accumulates and NeuronUpdates of other groups (which read and
 * write only their own buffers), lie between. Only adds of weight 1 into the step drive (not scaleByStep, whose
 * k·held the interpreter forms in double): the same float add, so the same bytes.
 */
function foldHeld(ops: OpPlan[]): void {
  ops.forEach((p, i) => {
    if (p.type !== 'NeuronUpdate') return;
    const g = p.op.group;
    for (let j = i - 1; j >= 0; j--) {
      const q = ops[j];
      if (q.type === 'Send' || q.type === 'Receive') continue;
      if ((q.type === 'Accumulate' || q.type === 'NeuronUpdate') && q.op.group !== g) continue;
      if (q.type === 'Accumulate' && q.op.source === 'OPERAND_HELD_DRIVE' && !q.op.scaleByStep && q.op.target === 'DRIVE_BUFFER_STEP') {
        p.held = q;
        q.folded = true;
      }
      return;
    }
  });
}

/** Which ops of a phase iteration come first or last for their (edge, direction). */
function planPhase(phase: PhaseMsg, n: NetlistMsg): OpPlan[] {
  const dir = (op: OpMsg): string | null => {
    if (op.opType === 'ArrayRead' || op.opType === 'ArrayReadTransposed') {
      const fw = op.opType === 'ArrayRead' && n.arrays[op.array].role === 'ARRAY_ROLE_WEIGHT';
      return `${n.arrays[op.array].edge}:${fw ? 'f' : 'b'}`;
    }
    if (op.opType === 'Accumulate' && op.source === 'OPERAND_PARTIAL_SUM') {
      const r = n.reductions[op.reduction];
      return `${r.edge}:${r.read === 'READ_KIND_FORWARD' && r.role === 'ARRAY_ROLE_WEIGHT' ? 'f' : 'b'}`;
    }
    if (op.opType === 'OuterProductUpdate') return `${n.arrays[op.array].edge}:u`;
    return null;
  };
  const firstSeen = new Set<string>();
  const lastAcc = new Map<string, number>();
  phase.ops.forEach((op, i) => {
    const k = dir(op);
    if (k && op.opType === 'Accumulate') lastAcc.set(k, i);
  });
  const plans: OpPlan[] = phase.ops.map((op, i) => {
    const k = dir(op);
    let first = false;
    if (k && op.opType !== 'Accumulate' && !firstSeen.has(k)) {
      firstSeen.add(k);
      first = true;
    }
    return {
      op,
      type: op.opType as OpType,
      forwardW: k !== null && k.endsWith(':f'),
      first,
      last: k !== null && lastAcc.get(k) === i,
      writes: ['SaveState', 'StateDelta', 'ReadoutError', 'LoadInput', 'LoadTarget'].includes(op.opType),
      accumulate: null,
      fusedConvert: false,
      runEnd: 0,
      held: null,
      folded: false,
    };
  });
  // An AdcConvert whose partial sums go next, past data movement only, to an Accumulate of the same array.
  plans.forEach((p, i) => {
    if (p.type !== 'AdcConvert') return;
    for (let j = i + 1; j < plans.length; j++) {
      const q = plans[j];
      if (q.type === 'Send' || q.type === 'Receive') continue;
      if (q.type === 'Accumulate' && q.op.source === 'OPERAND_PARTIAL_SUM' && q.op.array === p.op.array) p.accumulate = q;
      break;
    }
  });
  plans.forEach((p, i) => {
    if (p.type !== 'ArrayRead' && p.type !== 'ArrayReadTransposed') return;
    for (let j = i + 1; j < plans.length; j++) {
      const q = plans[j];
      if (q.type === 'Send' || q.type === 'Receive') continue;
      p.fusedConvert = q.type === 'AdcConvert' && q.op.array === p.op.array && q.accumulate !== null;
      break;
    }
  });
  return plans;
}

/** Lines of p[o … o + n) beyond ±fs. */
function countOver(p: Float32Array, o: number, n: number, fs: number): number {
  let k = 0;
  for (let j = o; j < o + n; j++) if (p[j] > fs || p[j] < -fs) k++;
  return k;
}
