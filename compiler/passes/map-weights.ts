/**
 * map-weights: every matrix to conductance levels (hw-models/conductance.ts convention): one scale
 * w_max per matrix, nearest level per device, clipping and quantisation error recorded per matrix
 * (reported per edge, never hidden — docs/references.md#netlist-and-ir-design on silent weight scaling).
 */
import { mapMatrix } from '../../hw-models/conductance';
import type { CompilerIR, Pass } from '../ir';

export const mapWeights: Pass = {
  name: 'map-weights',
  help: "map each edge's W (and its fixed random feedback B) to conductance levels; record w_max, clipping and quantisation error",
  run(ir: CompilerIR): void {
    ir.matrices = [];
    for (const e of ir.net.edges) {
      const w = ir.params.W[e.index];
      ir.matrices.push({
        id: ir.matrices.length,
        edge: e.index,
        role: 'weight',
        rows: e.rows,
        cols: e.cols,
        mapped: mapMatrix(w.data, ir.chip.crossbar, ir.options.wMax),
      });
      const b = ir.params.B[e.index];
      if (e.feedback === 'random') {
        if (!b) throw new Error(`edge ${e.name} has random feedback but no B matrix in the parameters`);
        ir.matrices.push({
          id: ir.matrices.length,
          edge: e.index,
          role: 'random-feedback',
          rows: b.rows,
          cols: b.cols,
          mapped: mapMatrix(b.data, ir.chip.crossbar, ir.options.wMax),
        });
      }
    }
  },
};
