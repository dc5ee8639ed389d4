/**
 * schedule: the EP sample as ops (proto/netlist.proto, OpProto) in six phases — INPUT (x and the
 * held input drives), FREE ×T, READOUT, and for training ERROR, NUDGED ×K, UPDATE — plus the
 * reductions that say how partial sums of split matrices combine. Every op names the resources it
 * holds and the actions it performs, so the simulator's timing engine and energy table need
 * nothing else. Values reach an array from their group's home core once per phase iteration and
 * destination (Send + Receive over the pair's route); partial sums go to the home of the group
 * they drive, where Accumulate adds them with the array's gain. Op labels are ASCII so that
 * protoc's text output of a netlist stays readable.
 */
import { OPS, type OpContext } from '../../netlist/ops';
import { flitsFor, psumBits, stateBits } from '../../hw-models/timing';
import { tileReads, updateOperands, type TileRead } from '../dataflow';
import type { CompilerIR, IrTile, Pass } from '../ir';
import {
  OP_DOMAIN,
  type DriveBufferName,
  type OpInit,
  type OpMsg,
  type OpType,
  type OperandName,
  type PhaseKindName,
  type PhaseMsg,
  type ReductionMsg,
} from '../../netlist/types';

export function blankOp(): OpMsg {
  return {
    id: 0,
    opType: '',
    domain: OP_DOMAIN,
    deps: [],
    resources: [],
    actions: [],
    label: '',
    core: 0,
    array: 0,
    edge: 0,
    group: 0,
    reduction: 0,
    route: 0,
    begin: 0,
    end: 0,
    elements: 0,
    lines: 0,
    hops: 0,
    flits: 0,
    bits: 0,
    source: 'OPERAND_UNSPECIFIED',
    target: 'DRIVE_BUFFER_UNSPECIFIED',
    gain: 0,
    scaleByStep: false,
    postGroup: 0,
    post: 'OPERAND_UNSPECIFIED',
    preGroup: 0,
    pre: 'OPERAND_UNSPECIFIED',
    held: 'DRIVE_BUFFER_UNSPECIFIED',
    positions: 0,
  };
}

class Builder {
  readonly ops: OpMsg[] = [];
  /** Where a group's value already sits in this iteration: `${group}:${operand}:${site}` → ops to wait for. */
  private readonly at = new Map<string, number[]>();
  private readonly routeIds = new Map<string, number>();

  private readonly ctx: OpContext;

  constructor(
    readonly ir: CompilerIR,
    readonly reductionOf: Map<string, number>,
  ) {
    for (const r of ir.routes) this.routeIds.set(`${r.src}>${r.dst}`, r.id);
    this.ctx = { chip: ir.chip, routePath: (id) => ir.routes[id]?.path };
  }

  add(o: OpInit, deps: number[]): number {
    const op: OpMsg = { ...blankOp(), ...o, id: this.ops.length, deps: [...new Set(deps)].sort((a, b) => a - b) };
    // Resources and actions follow from the operands, as the op set defines them (netlist/ops.ts).
    const def = OPS[op.opType as OpType];
    op.resources = def.resources(op, this.ctx);
    op.actions = def.actions(op, this.ctx);
    this.ops.push(op);
    return op.id;
  }

  homeSite(g: number): number {
    return this.ir.cores[this.ir.groups[g].home].site;
  }

  siteOf(t: IrTile): number {
    return this.ir.cores[t.core].site;
  }

  gname(g: number): string {
    return this.ir.groups[g].name;
  }

  /** Moves `elements` values from site to site; returns the ops the destination must wait for. */
  transfer(
    src: number,
    dst: number,
    elements: number,
    bits: number,
    source: OperandName,
    group: number,
    array: number,
    deps: number[],
    what: string,
  ): number[] {
    if (src === dst) return deps;
    const id = this.routeIds.get(`${src}>${dst}`);
    if (id === undefined) throw new Error(`schedule: no route ${src}→${dst} (the route pass and the data flow disagree)`);
    const r = this.ir.routes[id];
    const hops = r.path.length - 1;
    const flits = flitsFor(this.ir.chip, elements, bits);
    const send = this.add(
      {
        opType: 'Send',
        label: `send ${what} ${src}->${dst}`,
        core: src,
        route: id,
        hops,
        flits,
        elements,
        bits,
        source,
        group,
        array,
      },
      deps,
    );
    const recv = this.add(
      {
        opType: 'Receive',
        label: `recv ${what} at ${dst}`,
        core: dst,
        route: id,
        elements,
        bits,
        source,
        group,
        array,
      },
      [send],
    );
    return [recv];
  }

  /** The ops after which group g's `operand` is present at `site` (sending it there once per iteration). */
  available(g: number, operand: OperandName, site: number, ready: number[]): number[] {
    const home = this.homeSite(g);
    if (site === home || operand === 'OPERAND_INPUT') return ready;
    const key = `${g}:${operand}:${site}`;
    let deps = this.at.get(key);
    if (!deps) {
      const size = this.ir.groups[g].size;
      deps = this.transfer(home, site, size, stateBits(this.ir.chip), operand, g, 0, ready, `${operandShort(operand)}(${this.gname(g)})`);
      this.at.set(key, deps);
    }
    return deps;
  }

  /** Read → convert → move → accumulate; returns the Accumulate op. */
  read(r: TileRead, inputDeps: number[]): number {
    const t = r.tile;
    const site = this.siteOf(t);
    const linesIn = r.inEnd - r.inBegin;
    const linesOut = r.outEnd - r.outBegin;
    // Conv edges: one read per receptive-field patch, `P` of them back to back (0 = dense, once).
    const P = r.positions;
    const conv = this.ir.net.edges[t.edge].conv !== undefined;
    const positions = conv ? P : 0;
    const name = tileName(this.ir, t);
    const fwd = r.kind === 'forward';
    const times = conv ? ` x${P}` : '';
    const rd = this.add(
      {
        opType: fwd ? 'ArrayRead' : 'ArrayReadTransposed',
        label: `read ${name}${fwd ? '' : '^T'}${times}`,
        core: site,
        array: t.id,
        edge: t.edge,
        group: r.input,
        begin: r.inBegin,
        end: r.inEnd,
        lines: linesIn,
        elements: linesIn * P,
        source: r.operand,
        positions,
      },
      inputDeps,
    );
    const adc = this.add(
      {
        opType: 'AdcConvert',
        label: `adc ${name}${fwd ? '' : '^T'}${times}`,
        core: site,
        array: t.id,
        edge: t.edge,
        lines: linesOut,
        elements: linesOut * P,
        positions,
      },
      [rd],
    );
    const home = this.homeSite(r.output);
    const moved = this.transfer(
      site,
      home,
      linesOut * P,
      psumBits(this.ir.chip),
      'OPERAND_PARTIAL_SUM',
      r.output,
      t.id,
      [adc],
      `psum ${name}`,
    );
    return this.add(
      {
        opType: 'Accumulate',
        label: `acc ${name}${fwd ? '' : '^T'} -> ${this.gname(r.output)}[${r.unitBegin}:${r.unitEnd})`,
        core: home,
        reduction: this.reductionOf.get(reductionKey(r))!,
        array: t.id,
        edge: t.edge,
        group: r.output,
        begin: r.unitBegin,
        end: r.unitEnd,
        elements: linesOut * P,
        gain: r.gain,
        target: r.target,
        source: 'OPERAND_PARTIAL_SUM',
      },
      moved,
    );
  }

  heldAccumulate(g: number, held: DriveBufferName, scaleByStep: boolean): number {
    const home = this.homeSite(g);
    const size = this.ir.groups[g].size;
    return this.add(
      {
        opType: 'Accumulate',
        label: `acc held ${held === 'DRIVE_BUFFER_INPUT' ? 'input' : 'nudge'} drive -> ${this.gname(g)}`,
        core: home,
        group: g,
        begin: 0,
        end: size,
        elements: size,
        gain: 1,
        source: 'OPERAND_HELD_DRIVE',
        held,
        target: 'DRIVE_BUFFER_STEP',
        scaleByStep,
      },
      [],
    );
  }

  groupOp(opType: 'NeuronUpdate' | 'SaveState' | 'StateDelta' | 'LoadTarget' | 'ReadoutError', g: number, deps: number[]): number {
    const home = this.homeSite(g);
    const size = this.ir.groups[g].size;
    const spec: Record<typeof opType, { label: string; source: OperandName }> = {
      NeuronUpdate: { label: `update ${this.gname(g)}`, source: 'OPERAND_STATE' },
      SaveState: { label: `save s0(${this.gname(g)})`, source: 'OPERAND_STATE' },
      StateDelta: { label: `delta ${this.gname(g)}`, source: 'OPERAND_DELTA' },
      LoadTarget: { label: 'load y', source: 'OPERAND_TARGET' },
      ReadoutError: { label: 'e = y - softmax(logits)', source: 'OPERAND_ERROR' },
    };
    const s = spec[opType];
    return this.add(
      {
        opType,
        label: s.label,
        core: home,
        group: g,
        begin: 0,
        end: size,
        elements: size,
        source: s.source,
      },
      deps,
    );
  }
}

function operandShort(o: OperandName): string {
  return (
    {
      OPERAND_STATE: 's',
      OPERAND_FREE_STATE: 's0',
      OPERAND_DELTA: 'delta',
      OPERAND_ERROR: 'e',
      OPERAND_FREE_ERROR: 'e0',
      OPERAND_INPUT: 'x',
      OPERAND_TARGET: 'y',
    }[o as string] ?? o
  );
}

export function tileName(ir: CompilerIR, t: IrTile): string {
  return `${ir.net.edges[t.edge].name}${t.role === 'random-feedback' ? '.B' : ''}[${t.tileRow},${t.tileCol}]`;
}

function reductionKey(r: TileRead): string {
  return `${r.tile.matrix}:${r.kind}:${r.outBegin}`;
}

export const schedule: Pass = {
  name: 'schedule',
  help: 'the EP sample as ops with resources and actions: INPUT, FREE ×T, READOUT, ERROR, NUDGED ×K, UPDATE; reductions of split matrices',
  run(ir: CompilerIR): void {
    const reads = tileReads(ir);
    const siteOfGroup = (g: number) => ir.cores[ir.groups[g].home].site;

    // Reductions: one per (matrix, read, output range), arrays in tile order.
    ir.reductions = [];
    const reductionOf = new Map<string, number>();
    for (const r of reads) {
      const key = reductionKey(r);
      let id = reductionOf.get(key);
      if (id === undefined) {
        id = ir.reductions.length;
        reductionOf.set(key, id);
        ir.reductions.push({
          id,
          edge: r.tile.edge,
          role: r.tile.role === 'weight' ? 'ARRAY_ROLE_WEIGHT' : 'ARRAY_ROLE_RANDOM_FEEDBACK',
          read: r.kind === 'forward' ? 'READ_KIND_FORWARD' : 'READ_KIND_TRANSPOSED',
          group: r.output,
          begin: r.unitBegin,
          end: r.unitEnd,
          arrays: [],
          core: siteOfGroup(r.output),
          combine: 'COMBINE_MODE_DIGITAL_SUM',
          target: r.target,
        } satisfies ReductionMsg);
      }
      ir.reductions[id].arrays.push(r.tile.id);
    }

    const { T, K } = ir.net.spec.dynamics;
    const mode = ir.net.spec.dynamics.nudge ?? 'held';
    const hidden = ir.groups.filter((g) => g.role === 'hidden').map((g) => g.id);
    const outGroup = ir.groups.length - 1;
    const readoutGroup = ir.net.readout.from + 1;
    const withInput = new Set(reads.filter((r) => r.when === 'input').map((r) => r.output));
    const phase = (kind: PhaseKindName, name: string, repeat: number, trainingOnly: boolean, body: (b: Builder) => void): PhaseMsg => {
      const b = new Builder(ir, reductionOf);
      body(b);
      return { kind, name, repeat, trainingOnly, ops: b.ops };
    };
    const readout = (b: Builder): number[] =>
      reads.filter((r) => r.when === 'readout').map((r) => b.read(r, b.available(r.input, 'OPERAND_STATE', b.siteOf(r.tile), [])));
    const nudgeReads = (b: Builder, errOp: number): number[] =>
      reads.filter((r) => r.when === 'nudge').map((r) => b.read(r, b.available(r.input, 'OPERAND_ERROR', b.siteOf(r.tile), [errOp])));
    const isMaxPooled = (r: TileRead): boolean => ir.net.edges[r.tile.edge].conv?.pool?.kind === 'max';
    const step = (b: Builder, nudged: boolean): void => {
      const into = new Map<number, number[]>(hidden.map((g) => [g, []]));
      // Forward reads of W first, then the feedback reads: a pooled conv edge's feedback unpools
      // through the argmax of this iteration's forward read of the same edge, so those feedback
      // reads also wait for the edge's forward Accumulates (the pooling happens there).
      const pooledForward = new Map<number, number[]>();
      const isForwardW = (r: TileRead) => r.kind === 'forward' && r.tile.role === 'weight';
      for (const pass of [true, false]) {
        for (const r of reads) {
          if (r.when !== 'step' || isForwardW(r) !== pass) continue;
          const pooled = isMaxPooled(r);
          const deps = [
            ...b.available(r.input, 'OPERAND_STATE', b.siteOf(r.tile), []),
            ...(pass || !pooled ? [] : (pooledForward.get(r.tile.edge) ?? [])),
          ];
          const acc = b.read(r, deps);
          into.get(r.output)!.push(acc);
          if (pass && pooled) pooledForward.set(r.tile.edge, [...(pooledForward.get(r.tile.edge) ?? []), acc]);
        }
      }
      for (const g of hidden) if (withInput.has(g)) into.get(g)!.push(b.heldAccumulate(g, 'DRIVE_BUFFER_INPUT', false));
      if (nudged) {
        if (mode === 'recomputed') {
          const err = b.groupOp('ReadoutError', outGroup, readout(b));
          into.get(readoutGroup)!.push(...nudgeReads(b, err));
        } else {
          into.get(readoutGroup)!.push(b.heldAccumulate(readoutGroup, 'DRIVE_BUFFER_NUDGE', mode === 'graph'));
        }
      }
      for (const g of hidden) b.groupOp('NeuronUpdate', g, into.get(g)!);
    };

    ir.phases = [
      phase('PHASE_KIND_INPUT', 'input', 1, false, (b) => {
        const loads = new Map<number, number>();
        for (const r of reads) {
          if (r.when !== 'input') continue;
          const site = b.siteOf(r.tile);
          if (!loads.has(site)) {
            loads.set(
              site,
              b.add(
                {
                  opType: 'LoadInput',
                  label: `load x at ${site}`,
                  core: site,
                  group: 0,
                  begin: 0,
                  end: ir.net.inputSize,
                  elements: ir.net.inputSize,
                  source: 'OPERAND_INPUT',
                },
                [],
              ),
            );
          }
          b.read(r, [loads.get(site)!]);
        }
      }),
      phase('PHASE_KIND_FREE', 'free', T, false, (b) => step(b, false)),
      phase('PHASE_KIND_READOUT', 'readout', 1, false, (b) => {
        readout(b);
      }),
      phase('PHASE_KIND_ERROR', 'error', 1, true, (b) => {
        for (const g of hidden) b.groupOp('SaveState', g, []);
        const y = b.groupOp('LoadTarget', outGroup, []);
        const err = b.groupOp('ReadoutError', outGroup, [y]);
        if (mode !== 'recomputed') nudgeReads(b, err);
      }),
      phase('PHASE_KIND_NUDGED', 'nudged', K, true, (b) => step(b, true)),
      phase('PHASE_KIND_UPDATE', 'update', 1, true, (b) => {
        let errReady: number[] = [];
        if (mode === 'graph') errReady = [b.groupOp('ReadoutError', outGroup, readout(b))];
        const deltas = new Map<number, number>();
        for (const t of ir.tiles) {
          if (!t.trainable) continue;
          const u = updateOperands(ir, t);
          if (u.post === 'OPERAND_DELTA' && !deltas.has(u.postGroup)) deltas.set(u.postGroup, b.groupOp('StateDelta', u.postGroup, []));
        }
        for (const t of ir.tiles) {
          if (!t.trainable) continue;
          const u = updateOperands(ir, t);
          const site = b.siteOf(t);
          const postReady = u.post === 'OPERAND_DELTA' ? [deltas.get(u.postGroup)!] : errReady;
          const deps = [...b.available(u.postGroup, u.post, site, postReady), ...b.available(u.preGroup, u.pre, site, [])];
          const rows = t.rowEnd - t.rowBegin;
          const cells = rows * (t.colEnd - t.colBegin);
          // Conv edges: the update is the outer product summed over the sample's patches, applied as
          // one outer-product pass per patch (post = the unpooled δ at that position, pre = the patch).
          const conv = ir.net.edges[t.edge].conv;
          const P = conv ? conv.positions : 1;
          b.add(
            {
              opType: 'OuterProductUpdate',
              label: `update ${tileName(ir, t)}${conv ? ` x${P}` : ''}`,
              core: site,
              array: t.id,
              edge: t.edge,
              lines: rows,
              elements: cells * P,
              positions: conv ? P : 0,
              postGroup: u.postGroup,
              post: u.post,
              preGroup: u.preGroup,
              pre: u.pre,
            },
            deps,
          );
        }
      }),
    ];
  },
};
