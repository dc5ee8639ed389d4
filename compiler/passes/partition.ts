/**
 * partition: split every matrix into array-sized tiles, ceil(rows/R) × ceil(cols/C) of them
 * (C = the array's weight columns). Symmetric feedback adds no arrays — the W tiles are also read
 * transposed; fixed random feedback has its own matrix B and so its own tiles. A net needing more
 * arrays than the chip has stops here with what to change (fit.ts).
 */
import { INPUT } from '../../graph/net';
import { arraysAvailable, weightCols } from '../../hw-models/chip';
import { CompileError } from '../diagnostics';
import { doesNotFit } from '../fit';
import type { CompilerIR, Pass, ReadKind } from '../ir';

export const partition: Pass = {
  name: 'partition',
  help: 'tile each matrix into arrays (rows × weight columns); symmetric feedback reuses the forward tiles by transposed read',
  run(ir: CompilerIR): void {
    const R = ir.chip.crossbar.rows;
    const C = weightCols(ir.chip.crossbar);
    ir.tiles = [];
    for (const m of ir.matrices) {
      const e = ir.net.edges[m.edge];
      const reads: ReadKind[] = ['forward'];
      // The W tiles of a symmetric edge are read transposed by the feedback drive (hidden edges) or
      // by the nudge (the readout edge); input edges never carry feedback (graph validator FRE025).
      if (m.role === 'weight' && e.feedback === 'symmetric' && e.from !== INPUT) reads.push('transposed');
      const trainable = m.role === 'weight' && e.trainable;
      const gr = Math.ceil(m.rows / R);
      const gc = Math.ceil(m.cols / C);
      for (let i = 0; i < gr; i++) {
        for (let j = 0; j < gc; j++) {
          ir.tiles.push({
            id: ir.tiles.length,
            matrix: m.id,
            edge: m.edge,
            role: m.role,
            rowBegin: i * R,
            rowEnd: Math.min(m.rows, (i + 1) * R),
            colBegin: j * C,
            colEnd: Math.min(m.cols, (j + 1) * C),
            tileRow: i,
            tileCol: j,
            reads,
            trainable,
            core: -1,
            slot: -1,
          });
        }
      }
    }
    const available = arraysAvailable(ir.chip);
    if (ir.tiles.length > available) throw new CompileError([doesNotFit(ir)]);
  },
};
