/**
 * IR drop in a crossbar with resistive wires (the circuit of crossbar-circuit.ts: a segment of
 * r ohms between each port and its line's first cell and between neighbouring cells).
 *
 * Every port of a read is held at a fixed voltage (drivers at the DAC voltage, sense nodes at
 * 0 V), so the network is linear and reciprocal: the sensed currents are I = Tᵀ·V_driven for one
 * transfer matrix T (rows × cols of the physical array) that depends on the conductances and r
 * only — not on the input — and the transposed read uses the same T (reciprocity). Without wire
 * resistance T = G. Hence the executor can fold IR drop into its weights once per programming:
 * irDropWeights() returns the effective normalised weights of a tile.
 *
 * Two ways to get the currents:
 *   - solveCrossbar: the exact node equations, solved by block Gauss-Seidel with each row line and
 *     each column line solved exactly in turn (tridiagonal, Thomas algorithm) until the largest
 *     node-voltage change is below tol × the largest port voltage. For checking and small arrays.
 *   - transferMatrix(…, 'ladder'): T_ij ≈ G_ij · a_i(j) · b_j(i), where a_i(j) is the voltage at
 *     cell j of row line i when that line alone is driven at 1 V with every device tied to 0 V
 *     (a resistive ladder, one tridiagonal solve per line), and b_j(i) the same for column line j.
 *     Each line's attenuation is exact to all orders in r; what is left out is the interaction of
 *     the two lines' drops, second order in r·G·n². O(rows·cols) per programming.
 *     'first-order': a and b expanded to first order in r (a_i(j) ≈ 1 − r·Σ_q G_iq·min(j+1, q+1)).
 * Measured tolerances against ngspice: docs/spice.md.
 */
import type { CrossbarSpec } from './chip';
import { physicalArray, type PhysicalArray, type TileUnits } from './crossbar-circuit';

export type IrDropModel = 'ladder' | 'first-order';

export interface CrossbarSolution {
  /** Current out of the network into each row port / column port, amperes (a sense node's reading). */
  rows: Float64Array;
  cols: Float64Array;
  iterations: number;
  /** Power dissipated in the wire segments, watts: Σ over segments of ΔV²/r (0 without wires). */
  wirePowerW: number;
}

/** Thomas algorithm for the symmetric tridiagonal system with diagonal d and constant off-diagonal −g. */
function tridiag(n: number, d: Float64Array, g: number, rhs: Float64Array, out: Float64Array, c: Float64Array): void {
  let den = d[0];
  c[0] = -g / den;
  out[0] = rhs[0] / den;
  for (let k = 1; k < n; k++) {
    den = d[k] + g * c[k - 1];
    c[k] = -g / den;
    out[k] = (rhs[k] + g * out[k - 1]) / den;
  }
  for (let k = n - 2; k >= 0; k--) out[k] -= c[k] * out[k + 1];
}

/** Exact currents of the circuit with the given port voltages (see the module comment). */
export function solveCrossbar(
  a: PhysicalArray,
  port: { rows: ArrayLike<number>; cols: ArrayLike<number> },
  opts: { tol?: number; maxIterations?: number } = {},
): CrossbarSolution {
  const { rows: R, cols: C, g } = a;
  const outR = new Float64Array(R);
  const outC = new Float64Array(C);
  if (a.wireOhm === 0) {
    for (let i = 0; i < R; i++) {
      for (let j = 0; j < C; j++) {
        const cur = g[i * C + j] * (port.cols[j] - port.rows[i]); // flows from column line into row line
        outR[i] += cur;
        outC[j] -= cur;
      }
    }
    return { rows: outR, cols: outC, iterations: 0, wirePowerW: 0 };
  }
  const gw = 1 / a.wireOhm;
  const tol = opts.tol ?? 1e-12;
  const maxIt = opts.maxIterations ?? 100000;
  let scale = 0;
  for (let i = 0; i < R; i++) scale = Math.max(scale, Math.abs(port.rows[i]));
  for (let j = 0; j < C; j++) scale = Math.max(scale, Math.abs(port.cols[j]));
  const u = new Float64Array(R * C); // row-line node voltages
  const w = new Float64Array(R * C); // column-line node voltages
  for (let i = 0; i < R; i++)
    for (let j = 0; j < C; j++) {
      u[i * C + j] = port.rows[i];
      w[i * C + j] = port.cols[j];
    }
  if (scale === 0) return { rows: outR, cols: outC, iterations: 0, wirePowerW: 0 };
  const n = Math.max(R, C);
  const d = new Float64Array(n),
    rhs = new Float64Array(n),
    x = new Float64Array(n),
    cs = new Float64Array(n);
  let it = 0;
  for (; it < maxIt; it++) {
    let change = 0;
    // Row line i: nodes j = 0…C−1, port before node 0, open after node C−1.
    for (let i = 0; i < R; i++) {
      for (let j = 0; j < C; j++) {
        const gij = g[i * C + j];
        d[j] = gw * (j < C - 1 ? 2 : 1) + gij;
        rhs[j] = gij * w[i * C + j];
      }
      rhs[0] += gw * port.rows[i];
      tridiag(C, d, gw, rhs, x, cs);
      for (let j = 0; j < C; j++) {
        change = Math.max(change, Math.abs(x[j] - u[i * C + j]));
        u[i * C + j] = x[j];
      }
    }
    // Column line j: nodes i = 0…R−1, open before node 0, port after node R−1.
    for (let j = 0; j < C; j++) {
      for (let i = 0; i < R; i++) {
        const gij = g[i * C + j];
        d[i] = gw * (i > 0 ? 2 : 1) + gij;
        rhs[i] = gij * u[i * C + j];
      }
      rhs[R - 1] += gw * port.cols[j];
      tridiag(R, d, gw, rhs, x, cs);
      for (let i = 0; i < R; i++) {
        change = Math.max(change, Math.abs(x[i] - w[i * C + j]));
        w[i * C + j] = x[i];
      }
    }
    if (change <= tol * scale) break;
  }
  if (it === maxIt) throw new Error(`crossbar solve did not converge in ${maxIt} sweeps (${R}×${C}, ${a.wireOhm} Ω per segment)`);
  for (let i = 0; i < R; i++) outR[i] = (u[i * C] - port.rows[i]) * gw;
  for (let j = 0; j < C; j++) outC[j] = (w[(R - 1) * C + j] - port.cols[j]) * gw;
  // The wires' dissipation (the cost model's wire energy is checked against it): row line i from its
  // port through nodes 0…C−1, column line j from node 0 down to node R−1 and its port.
  let sq = 0;
  for (let i = 0; i < R; i++) {
    sq += (port.rows[i] - u[i * C]) ** 2;
    for (let j = 1; j < C; j++) sq += (u[i * C + j - 1] - u[i * C + j]) ** 2;
  }
  for (let j = 0; j < C; j++) {
    for (let i = 1; i < R; i++) sq += (w[(i - 1) * C + j] - w[i * C + j]) ** 2;
    sq += (w[(R - 1) * C + j] - port.cols[j]) ** 2;
  }
  return { rows: outR, cols: outC, iterations: it + 1, wirePowerW: sq * gw };
}

/**
 * The transfer matrix T [rows × cols] of the physical array (module comment): with the column
 * ports driven at V and the row ports at 0 V, row i senses Σ_j T_ij·V_j; with the row ports driven,
 * column j senses Σ_i T_ij·V_i. Exactly G when the wires are ideal.
 */
export function transferMatrix(a: PhysicalArray, model: IrDropModel = 'ladder'): Float64Array {
  const { rows: R, cols: C, g } = a;
  const t = Float64Array.from(g);
  if (a.wireOhm === 0) return t;
  const r = a.wireOhm;
  const n = Math.max(R, C);
  const d = new Float64Array(n),
    rhs = new Float64Array(n),
    x = new Float64Array(n),
    cs = new Float64Array(n);
  if (model === 'ladder') {
    const gw = 1 / r;
    for (let i = 0; i < R; i++) {
      for (let j = 0; j < C; j++) {
        d[j] = gw * (j < C - 1 ? 2 : 1) + g[i * C + j];
        rhs[j] = 0;
      }
      rhs[0] = gw;
      tridiag(C, d, gw, rhs, x, cs);
      for (let j = 0; j < C; j++) t[i * C + j] *= x[j];
    }
    for (let j = 0; j < C; j++) {
      for (let i = 0; i < R; i++) {
        d[i] = gw * (i > 0 ? 2 : 1) + g[i * C + j];
        rhs[i] = 0;
      }
      rhs[R - 1] = gw;
      tridiag(R, d, gw, rhs, x, cs);
      for (let i = 0; i < R; i++) t[i * C + j] *= x[i];
    }
    return t;
  }
  // First order: the drop at a node p segments from the port is r·Σ_q i_q·min(p, p_q) with the
  // ideal cell currents i_q; prefix sums make each line O(n).
  const drop = (len: number, gAt: (k: number) => number, pos: (k: number) => number, out: Float64Array): void => {
    // out[k] = Σ_q g_q·min(pos_k, pos_q), positions increasing with k.
    let below = 0; // Σ_{q ≤ k} g_q·pos_q
    let total = 0;
    for (let k = 0; k < len; k++) total += gAt(k);
    let upto = 0; // Σ_{q ≤ k} g_q
    for (let k = 0; k < len; k++) {
      below += gAt(k) * pos(k);
      upto += gAt(k);
      out[k] = below + pos(k) * (total - upto);
    }
  };
  const f = new Float64Array(R * C).fill(1);
  for (let i = 0; i < R; i++) {
    drop(
      C,
      (k) => g[i * C + k],
      (k) => k + 1,
      x,
    );
    for (let j = 0; j < C; j++) f[i * C + j] -= r * x[j];
  }
  for (let j = 0; j < C; j++) {
    // Along column j the position from the port is R − i: walk from the port (i = R−1) upwards.
    drop(
      R,
      (k) => g[(R - 1 - k) * C + j],
      (k) => k + 1,
      x,
    );
    for (let k = 0; k < R; k++) f[(R - 1 - k) * C + j] -= r * x[k];
  }
  for (let k = 0; k < R * C; k++) t[k] *= f[k];
  return t;
}

/**
 * Effective normalised weights of a tile with IR drop, row-major [rows × cols] in the netlist's
 * orientation: use them in place of (u+ − u−) (differential) or 2(u − ½) (offset-column) for both
 * reads of the tile — y = W_eff·x forward, W_effᵀ·x transposed. Linear in the inputs, so compute
 * once per programming (after noise, drift, stuck devices and every commit), not per read.
 * With wireResistanceOhm = 0 it returns those ideal values exactly.
 */
export function irDropWeights(tile: TileUnits, x: CrossbarSpec, model: IrDropModel = 'ladder'): Float32Array {
  const { rows, cols } = tile;
  const out = new Float32Array(rows * cols);
  const diff = x.cell === 'differential';
  if (x.wireResistanceOhm === 0) {
    for (let k = 0; k < rows * cols; k++) out[k] = diff ? tile.plus[k] - tile.minus![k] : 2 * (tile.plus[k] - 0.5);
    return out;
  }
  const a = physicalArray(tile, x);
  const t = transferMatrix(a, model);
  const dg = (x.gMaxUS - x.gMinUS) * 1e-6;
  const C = a.cols;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      out[r * cols + c] = diff ? (t[r * C + 2 * c] - t[r * C + 2 * c + 1]) / dg : (2 * (t[r * C + c] - t[r * C + cols])) / dg;
    }
  }
  return out;
}

/** Per-device attenuation T_ij / G_ij of the physical array (1 = no IR drop): a report of where the drop bites. */
export function irDropFactors(a: PhysicalArray, model: IrDropModel = 'ladder'): Float64Array {
  const t = transferMatrix(a, model);
  for (let k = 0; k < t.length; k++) t[k] = a.g[k] > 0 ? t[k] / a.g[k] : 1;
  return t;
}
