/**
 * The IR as text, for `--dump-after PASS`: every stage produced so far, one line per object.
 * Conductance data are summarised (w_max, error), not printed.
 */
import { weightCols } from '../hw-models/chip';
import type { CompilerIR } from './ir';
import { tileName } from './passes/schedule';

const g = (v: number) =>
  v === 0 ? '0' : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? Number(v.toPrecision(6)).toString() : v.toExponential(4);

export function irText(ir: CompilerIR, after: string): string {
  const { net, chip } = ir;
  const x = chip.crossbar;
  const L: string[] = [];
  L.push(`# IR after ${after} (passes run: ${ir.done.join(', ')})`);
  L.push(
    `net ${net.spec.name}: T ${net.spec.dynamics.T}, K ${net.spec.dynamics.K}, beta_f ${net.spec.dynamics.betaF}, nudge ${net.spec.dynamics.nudge ?? 'held'}`,
  );
  L.push(
    `chip ${chip.name}: ${x.rows}x${x.cols} ${x.cell} (${weightCols(x)} weight columns), levels ${x.levels}, mesh ${chip.noc.meshWidth}x${chip.noc.meshHeight}, ${chip.noc.arraysPerCore} arrays/core`,
  );
  L.push('groups:');
  for (const gr of ir.groups)
    L.push(`  g${gr.id} ${gr.name} ${gr.role} size ${gr.size} ${gr.activation}${gr.home >= 0 ? ` home c${gr.home}` : ''}`);
  if (ir.done.includes('map-weights')) {
    L.push('matrices:');
    for (const m of ir.matrices) {
      const s = m.mapped.stats;
      L.push(
        `  m${m.id} ${net.edges[m.edge].name}${m.role === 'random-feedback' ? '.B' : ''} ${m.rows}x${m.cols} w_max ${g(m.mapped.wMax)} max|w| ${g(s.maxAbs)} clipped ${s.clipped} err max ${g(s.maxError)} rms ${g(s.rmsError)} step ${g(s.levelStep)}`,
      );
    }
  }
  if (ir.done.includes('partition')) {
    L.push('tiles:');
    for (const t of ir.tiles) {
      L.push(
        `  t${t.id} ${tileName(ir, t)} rows [${t.rowBegin},${t.rowEnd}) cols [${t.colBegin},${t.colEnd}) reads ${t.reads.join('+')}${t.trainable ? ' trainable' : ''}${t.core >= 0 ? ` core c${t.core} slot ${t.slot}` : ''}`,
      );
    }
  }
  if (ir.done.includes('assign-cores')) {
    L.push('cores:');
    for (const c of ir.cores) {
      L.push(
        `  c${c.id} tiles ${c.tiles.map((t) => `t${t}`).join(' ')} homes ${c.groups.map((gr) => ir.groups[gr].name).join(' ') || '-'}${c.site >= 0 ? ` site ${c.site} (${c.site % chip.noc.meshWidth},${Math.floor(c.site / chip.noc.meshWidth)})` : ''}`,
      );
    }
  }
  if (ir.done.includes('route')) {
    L.push('routes:');
    for (const r of ir.routes) L.push(`  r${r.id} ${r.src}->${r.dst} path ${r.path.join(' ')}`);
  }
  if (ir.done.includes('schedule')) {
    L.push('reductions:');
    for (const r of ir.reductions) {
      L.push(
        `  red${r.id} ${net.edges[r.edge].name} ${r.read === 'READ_KIND_FORWARD' ? 'fwd' : 'T'} -> ${ir.groups[r.group].name}[${r.begin},${r.end}) ${r.target.replace('DRIVE_BUFFER_', '').toLowerCase()} at ${r.core}: ${r.arrays.map((a) => `t${a}`).join(' + ')}`,
      );
    }
    L.push('schedule:');
    for (const ph of ir.phases) {
      L.push(`  phase ${ph.name} x${ph.repeat}${ph.trainingOnly ? ' (training)' : ''}: ${ph.ops.length} ops`);
      for (const op of ph.ops)
        L.push(`    ${op.id} ${op.opType} "${op.label}" [${op.resources.join(' ')}]${op.deps.length ? ` after ${op.deps.join(',')}` : ''}`);
    }
  }
  if (ir.done.includes('emit') && ir.netlist) {
    L.push(
      `netlist: ir_version ${ir.netlist.irVersion}, ${ir.netlist.arrays.length} arrays, ${ir.netlist.cores.length} cores, ${ir.netlist.routes.length} routes`,
    );
  }
  return `${L.join('\n')}\n`;
}
