/**
 * assign-cores: pack arrays into (logical) cores and give every neuron group a home core.
 * Tiles are packed in graph order, an edge's tiles kept together, so a core mostly serves one or
 * two neighbouring layers. A group's home is the core holding most of the arrays whose outputs
 * drive it (most partial sums then stay local). The state buffer of every core must hold what it
 * stores; if not, CMP002 says by how much.
 */
import { INPUT } from '../../graph/net';
import { CompileError, diag } from '../diagnostics';
import { groupOfNode, tileReads } from '../dataflow';
import type { CompilerIR, Pass } from '../ir';
import { stateBits } from '../../hw-models/timing';

export const assignCores: Pass = {
  name: 'assign-cores',
  help: 'pack arrays into cores in graph order; home each neuron group on the core with most of its drive',
  run(ir: CompilerIR): void {
    const apc = ir.chip.noc.arraysPerCore;
    ir.cores = [];
    for (const t of ir.tiles) {
      if (ir.cores.length === 0 || ir.cores[ir.cores.length - 1].tiles.length === apc) {
        ir.cores.push({ id: ir.cores.length, tiles: [], groups: [], site: -1 });
      }
      const c = ir.cores[ir.cores.length - 1];
      t.core = c.id;
      t.slot = c.tiles.length;
      c.tiles.push(t.id);
    }
    // Count, per group and core, the lines of partial sums that core sends into the group.
    const votes = ir.groups.map(() => new Map<number, number>());
    for (const r of tileReads(ir)) {
      const v = votes[r.output];
      v.set(r.tile.core, (v.get(r.tile.core) ?? 0) + (r.unitEnd - r.unitBegin));
    }
    for (const g of ir.groups) {
      if (g.role === 'input') {
        // x is written by the host into every core that reads it; the first one stands for it.
        const first = ir.tiles.find((t) => ir.net.edges[t.edge].from === INPUT);
        g.home = first ? first.core : 0;
      } else {
        let best = -1;
        let bestN = -1;
        for (const [core, n] of [...votes[g.id]].sort((a, b) => a[0] - b[0]))
          if (n > bestN) {
            best = core;
            bestN = n;
          }
        g.home = best >= 0 ? best : 0;
      }
      ir.cores[g.home].groups.push(g.id);
    }
    checkStateBuffers(ir);
  },
};

/**
 * Bytes a core stores: for each hidden group it hosts s, s_next, s⁰ and s^β − s⁰ (state width) and
 * the step, input and nudge drives (accumulator width); for the output group the logits, y and e;
 * the pre-pool map of every pooled conv edge into a hosted group; plus a copy of every state its arrays read from another core, and x if it reads the input.
 */
/**
 * Bits one hidden unit's state words take: s and s_next at the state width, s⁰ and δ at the state
 * width (state-registers) or at the free-state and δ registers' widths plus ŝ and ŝ_next, the neuron
 * unit's output before the state register, at the free-state width (difference-register).
 */
export function hiddenStateBits(chip: CompilerIR['chip']): number {
  const sb = stateBits(chip);
  const l = chip.neuron.learningSignal;
  if (l.kind === 'state-registers') return 4 * sb;
  const w = (b: number | 'float') => (b === 'float' ? 32 : b);
  return 2 * sb + 3 * w(l.freeStateBits) + w(l.deltaBits);
}

export function stateBufferUse(ir: CompilerIR, core: number): number {
  const sb = stateBits(ir.chip);
  const acc = ir.chip.periphery.gain.accumulatorBits;
  let bits = 0;
  for (const g of ir.cores[core].groups.map((id) => ir.groups[id])) {
    if (g.role === 'hidden') bits += g.size * (hiddenStateBits(ir.chip) + 3 * acc);
    if (g.role === 'output') bits += g.size * (acc + 2 * sb);
  }
  // A pooled conv edge combines its partial sums into the whole pre-pool map (O·OH·OW, accumulator
  // width) at the home of the group it drives, before pooling it into that group's drive.
  const homed = new Set(ir.cores[core].groups);
  for (const e of ir.net.edges) {
    if (e.conv?.pool && homed.has(groupOfNode(ir, e.to))) bits += e.rows * e.conv.positions * acc;
  }
  const read = new Set<number>();
  for (const r of tileReads(ir)) {
    if (r.tile.core === core && (ir.groups[r.input].home !== core || r.operand === 'OPERAND_INPUT')) read.add(r.input);
  }
  for (const g of read) bits += ir.groups[g].size * sb;
  return Math.ceil(bits / 8);
}

function checkStateBuffers(ir: CompilerIR): void {
  const cap = ir.chip.noc.stateBufferBytes;
  const diags = [];
  for (const c of ir.cores) {
    const use = stateBufferUse(ir, c.id);
    if (use > cap) {
      const names = c.groups.map((g) => `${ir.groups[g].name} (${ir.groups[g].size})`).join(', ') || 'no groups';
      diags.push(
        diag(
          'CMP002',
          ir.options.specFile,
          '',
          `core ${c.id} (hosting ${names}) needs ${use} bytes of state buffer; chip "${ir.chip.name}" has ${cap}`,
          `set noc.stateBufferBytes ≥ ${use}, or use narrower layers (each hidden unit costs ${Math.ceil((hiddenStateBits(ir.chip) + 3 * ir.chip.periphery.gain.accumulatorBits) / 8)} bytes on its home core)`,
        ),
      );
    }
  }
  if (diags.length) throw new CompileError(diags);
}
