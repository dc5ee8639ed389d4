/**
 * What moves where in one EP training sample — the single description of the data flow that
 * assign-cores (group homes), place (traffic), route (core pairs) and schedule (ops) all read, so
 * they cannot disagree. Every array read is classified by when it happens:
 *   input   once per sample: W of an input edge, forward → the held input drive
 *   step    every free and nudged step: hidden→hidden W forward, symmetric W transposed, random B
 *   readout the logits: the readout W forward
 *   nudge   the output error fed back: readout W transposed (symmetric) or B_f (random)
 * A conv edge's read streams its `positions` patches through the array (im2row of the driving map at
 * the array's core); the partial sums of every patch go to the output group's home, where they are
 * combined, pooled (forward) or row2im-summed (feedback) into the group's drive.
 */
import { INPUT, OUTPUT } from '../graph/net';
import type { DriveBufferName, OperandName } from '../netlist/types';
import type { CompilerIR, IrTile, ReadKind } from './ir';
import { stateBits } from '../hw-models/timing';

export type ReadWhen = 'input' | 'step' | 'readout' | 'nudge';

export interface TileRead {
  tile: IrTile;
  kind: ReadKind;
  when: ReadWhen;
  /** Group whose values drive the read, and the unit range of it on the driven lines. */
  input: number;
  inBegin: number;
  inEnd: number;
  /** Group whose drive receives the result, and the matrix lines sensed (output lines per patch). */
  output: number;
  outBegin: number;
  outEnd: number;
  /** The unit range of the output group those lines drive: the lines themselves on dense edges; on
   *  conv edges the output channels' (pooled) maps, or the input channels' maps the patch columns
   *  fall in (row2im spreads them over the channel's H·W units). */
  unitBegin: number;
  unitEnd: number;
  /** Patches streamed through the array per read: the conv edge's positions, 1 on dense edges. */
  positions: number;
  /** What the driving values are (a state, the output error, the input x). */
  operand: OperandName;
  /** The digital gain applied to the converted result. */
  gain: number;
  target: DriveBufferName;
}

/** Group ids: input 0, hidden layers 1…L, output L+1. */
export function groupOfNode(ir: CompilerIR, node: number): number {
  if (node === INPUT) return 0;
  if (node === OUTPUT) return ir.net.layers.length + 1;
  return node + 1;
}

export function tileReads(ir: CompilerIR): TileRead[] {
  const out: TileRead[] = [];
  const nudgeTarget: DriveBufferName = ir.net.spec.dynamics.nudge === 'recomputed' ? 'DRIVE_BUFFER_STEP' : 'DRIVE_BUFFER_NUDGE';
  for (const t of ir.tiles) {
    const e = ir.net.edges[t.edge];
    const m = ir.matrices[t.matrix];
    const from = groupOfNode(ir, e.from);
    const to = groupOfNode(ir, e.to);
    const rows = { begin: t.rowBegin, end: t.rowEnd };
    const cols = { begin: t.colBegin, end: t.colEnd };
    const positions = e.conv ? e.conv.positions : 1;
    const units = (output: number, r: typeof rows): typeof rows => {
      if (!e.conv) return r;
      const size = ir.groups[output].size;
      if (output === to) {
        // Matrix rows are output channels, each a (pooled) map of size / C_out units.
        const per = size / e.conv.conv.outChannels;
        return { begin: r.begin * per, end: r.end * per };
      }
      // Patch columns (c·k + ky)·k + kx land in input channel c, a map of H·W units.
      const k2 = e.conv.conv.kernel * e.conv.conv.kernel;
      const per = size / e.conv.conv.inChannels;
      return { begin: Math.floor(r.begin / k2) * per, end: (Math.floor((r.end - 1) / k2) + 1) * per };
    };
    const read = (
      kind: ReadKind,
      when: ReadWhen,
      input: number,
      inR: typeof rows,
      output: number,
      outR: typeof rows,
      operand: OperandName,
      gain: number,
      target: DriveBufferName,
    ) => {
      const u = units(output, outR);
      out.push({
        tile: t,
        kind,
        when,
        input,
        inBegin: inR.begin,
        inEnd: inR.end,
        output,
        outBegin: outR.begin,
        outEnd: outR.end,
        unitBegin: u.begin,
        unitEnd: u.end,
        positions,
        operand,
        gain,
        target,
      });
    };
    if (t.role === 'random-feedback') {
      // B is [size(from) × size(to)]: driven by the `to` side's values, sensed into `from`.
      if (e.to === OUTPUT) read('forward', 'nudge', to, cols, from, rows, 'OPERAND_ERROR', e.beta * m.mapped.wMax, nudgeTarget);
      else read('forward', 'step', to, cols, from, rows, 'OPERAND_STATE', e.beta * m.mapped.wMax, 'DRIVE_BUFFER_STEP');
      continue;
    }
    const fwdGain = e.alpha * m.mapped.wMax;
    if (e.from === INPUT) {
      read('forward', 'input', from, cols, to, rows, 'OPERAND_INPUT', fwdGain, 'DRIVE_BUFFER_INPUT');
    } else if (e.to === OUTPUT) {
      read('forward', 'readout', from, cols, to, rows, 'OPERAND_STATE', fwdGain, 'DRIVE_BUFFER_LOGITS');
      if (t.reads.includes('transposed'))
        read('transposed', 'nudge', to, rows, from, cols, 'OPERAND_ERROR', e.beta * m.mapped.wMax, nudgeTarget);
    } else {
      read('forward', 'step', from, cols, to, rows, 'OPERAND_STATE', fwdGain, 'DRIVE_BUFFER_STEP');
      if (t.reads.includes('transposed'))
        read('transposed', 'step', to, rows, from, cols, 'OPERAND_STATE', e.beta * m.mapped.wMax, 'DRIVE_BUFFER_STEP');
    }
  }
  return out;
}

/** How many times per training sample each kind of read runs. */
export function readsPerSample(ir: CompilerIR, when: ReadWhen): number {
  const { T, K } = ir.net.spec.dynamics;
  const mode = ir.net.spec.dynamics.nudge ?? 'held';
  switch (when) {
    case 'input':
      return 1;
    case 'step':
      return T + K;
    case 'readout':
      return 1 + (mode === 'recomputed' ? K : 0) + (mode === 'graph' ? 1 : 0);
    case 'nudge':
      return mode === 'recomputed' ? K : 1;
  }
}

/** One logical-core-to-core movement of data, with its volume per training sample. Partial sums
 *  travel at the accumulator width, every other vector at the state width. */
export interface Transfer {
  src: number;
  dst: number;
  bits: number;
}

/** Every mesh transfer of a training sample between logical cores (local ones included, src = dst). */
export function transfers(ir: CompilerIR): Transfer[] {
  const acc = ir.chip.periphery.gain.accumulatorBits;
  const sb = stateBits(ir.chip);
  const list: Transfer[] = [];
  const home = (g: number) => ir.groups[g].home;
  for (const r of tileReads(ir)) {
    const times = readsPerSample(ir, r.when);
    // The driving values travel from their group's home to the array (x comes from the host).
    if (r.operand !== 'OPERAND_INPUT') list.push({ src: home(r.input), dst: r.tile.core, bits: times * ir.groups[r.input].size * sb });
    // The converted partial sums travel to the home of the group they drive.
    list.push({ src: r.tile.core, dst: home(r.output), bits: times * (r.outEnd - r.outBegin) * r.positions * acc });
  }
  for (const t of ir.tiles) {
    if (!t.trainable) continue;
    const u = updateOperands(ir, t);
    list.push({ src: home(u.postGroup), dst: t.core, bits: ir.groups[u.postGroup].size * sb });
    if (u.pre !== 'OPERAND_INPUT') list.push({ src: home(u.preGroup), dst: t.core, bits: ir.groups[u.preGroup].size * sb });
  }
  return list;
}

/** The two vectors of a trainable tile's outer-product update (docs/references.md#fre-rnn-model, #topologies). */
export function updateOperands(ir: CompilerIR, t: IrTile): { postGroup: number; post: OperandName; preGroup: number; pre: OperandName } {
  const e = ir.net.edges[t.edge];
  const graphMode = ir.net.spec.dynamics.nudge === 'graph';
  if (e.to === OUTPUT) {
    // Delta rule (y − p)·s⁰ᵀ, on the free state in every mode; the error is e⁰ (held, recomputed) or,
    // in graph mode, the one recomputed from the nudged output (docs/references.md#fre-rnn-model).
    return {
      postGroup: groupOfNode(ir, e.to),
      post: graphMode ? 'OPERAND_ERROR' : 'OPERAND_FREE_ERROR',
      preGroup: groupOfNode(ir, e.from),
      pre: 'OPERAND_FREE_STATE',
    };
  }
  return {
    postGroup: groupOfNode(ir, e.to),
    post: 'OPERAND_DELTA',
    preGroup: groupOfNode(ir, e.from),
    pre: e.from === INPUT ? 'OPERAND_INPUT' : 'OPERAND_FREE_STATE',
  };
}
