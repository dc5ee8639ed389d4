/**
 * The IR's invariants, checked after every pass (Yosys's design->check()): each stage's facts are
 * checked once the pass that makes them has run. A violation is a compiler bug, reported as CMP090
 * naming the pass that broke it. After emit the netlist gets the full `fre validate` checks.
 */
import { weightCols } from '../hw-models/chip';
import { formatCoded } from '../hw-models/diagnostics';
import { CompileError, diag } from './diagnostics';
import type { CompilerIR } from './ir';
import { validateNetlist } from '../netlist/validate';

export function verifyIR(ir: CompilerIR, after: string): void {
  const bad: string[] = [];
  const did = (p: string) => ir.done.includes(p);
  const { chip, net } = ir;
  const sites = chip.noc.meshWidth * chip.noc.meshHeight;

  if (did('map-weights')) {
    for (const e of net.edges) {
      const ms = ir.matrices.filter((m) => m.edge === e.index);
      if (ms.filter((m) => m.role === 'weight').length !== 1)
        bad.push(`edge ${e.name} has ${ms.filter((m) => m.role === 'weight').length} weight matrices`);
      if ((e.feedback === 'random') !== ms.some((m) => m.role === 'random-feedback'))
        bad.push(`edge ${e.name}: random feedback matrix ${e.feedback === 'random' ? 'missing' : 'present without random feedback'}`);
    }
    for (const m of ir.matrices) {
      if (!(m.mapped.wMax > 0 && Number.isFinite(m.mapped.wMax))) bad.push(`matrix ${m.id}: w_max ${m.mapped.wMax}`);
      if (m.mapped.plus.length !== m.rows * m.cols) bad.push(`matrix ${m.id}: plane of ${m.mapped.plus.length} for ${m.rows}×${m.cols}`);
    }
  }
  if (did('partition')) {
    const C = weightCols(chip.crossbar);
    for (const m of ir.matrices) {
      let area = 0;
      for (const t of ir.tiles.filter((x) => x.matrix === m.id)) {
        if (t.rowEnd - t.rowBegin > chip.crossbar.rows || t.colEnd - t.colBegin > C || t.rowEnd > m.rows || t.colEnd > m.cols)
          bad.push(`tile ${t.id} exceeds its array or matrix`);
        area += (t.rowEnd - t.rowBegin) * (t.colEnd - t.colBegin);
      }
      if (area !== m.rows * m.cols) bad.push(`matrix ${m.id}: tiles cover ${area} of ${m.rows * m.cols}`);
    }
    ir.tiles.forEach((t, i) => {
      if (t.id !== i) bad.push(`tile ${i} has id ${t.id}`);
    });
  }
  if (did('assign-cores')) {
    if (ir.cores.length > sites) bad.push(`${ir.cores.length} cores on a ${sites}-site mesh`);
    const used = new Set<string>();
    for (const t of ir.tiles) {
      const key = `${t.core}:${t.slot}`;
      if (t.core < 0 || t.core >= ir.cores.length || t.slot < 0 || t.slot >= chip.noc.arraysPerCore || used.has(key))
        bad.push(`tile ${t.id} at core ${t.core} slot ${t.slot}`);
      used.add(key);
    }
    for (const g of ir.groups) if (g.home < 0 || g.home >= ir.cores.length) bad.push(`group ${g.name} has home ${g.home}`);
  }
  if (did('place')) {
    const seen = new Set<number>();
    for (const c of ir.cores) {
      if (c.site < 0 || c.site >= sites || seen.has(c.site)) bad.push(`core ${c.id} at site ${c.site}`);
      seen.add(c.site);
    }
  }
  if (did('route')) {
    const W = chip.noc.meshWidth;
    for (const r of ir.routes) {
      const ok =
        r.path[0] === r.src &&
        r.path[r.path.length - 1] === r.dst &&
        r.path.every(
          (s, k) => k === 0 || Math.abs((s % W) - (r.path[k - 1] % W)) + Math.abs(Math.floor(s / W) - Math.floor(r.path[k - 1] / W)) === 1,
        );
      if (!ok) bad.push(`route ${r.id} ${r.src}→${r.dst} has path [${r.path.join(',')}]`);
    }
  }
  if (did('schedule')) {
    for (const ph of ir.phases) {
      ph.ops.forEach((op, i) => {
        if (op.id !== i || op.deps.some((d) => d >= i) || op.resources.length === 0)
          bad.push(`${ph.name} op ${i} (${op.label}): id/deps/resources`);
      });
    }
    const reduced = new Set(ir.reductions.flatMap((r) => r.arrays));
    for (const t of ir.tiles) if (!reduced.has(t.id)) bad.push(`tile ${t.id} is read by no reduction`);
  }
  if (did('emit')) {
    if (!ir.netlist) bad.push('no netlist');
    else for (const d of validateNetlist(ir.netlist, '<emitted>').diagnostics) bad.push(formatCoded(d));
  }
  if (bad.length) {
    throw new CompileError([
      diag(
        'CMP090',
        ir.options.specFile,
        '',
        `IR check failed after pass ${after}: ${bad.slice(0, 5).join('; ')}${bad.length > 5 ? `; … (${bad.length} problems)` : ''}`,
        'this is a compiler bug: please report it with the spec and chip; `--dump-after` shows the IR',
      ),
    ]);
  }
}
