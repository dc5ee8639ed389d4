/**
 * The IR-drop model (hw-models/ir-drop.ts) on circuits solved by hand, against an independent
 * dense nodal solve (mathjs lusolve), and the properties the executor relies on (no wire → exactly
 * the ideal weights; one transfer matrix for both reads).
 */
import { lusolve } from 'mathjs';
import type { ChipError } from '../hw-models/diagnostics';
import { resolveChipObject } from '../hw-models/load';
import { PRESETS } from '../hw-models/presets';
import { chipFromMsg, chipToMsg } from '../netlist/chip-proto';
import { physicalArray, type PhysicalArray } from '../hw-models/crossbar-circuit';
import { irDropFactors, irDropWeights, solveCrossbar, transferMatrix } from '../hw-models/ir-drop';
import { makeRng } from '../util/rng';

const phys = (rows: number, cols: number, gS: number[], wireOhm: number): PhysicalArray => ({
  rows,
  cols,
  g: Float64Array.from(gS),
  wireOhm,
});
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('closed forms', () => {
  // 1×1: driver → r → device G → r → sense node at 0 V: I = V / (2r + 1/G).
  test('1×1: one segment on each line', () => {
    const G = 40e-6,
      r = 2.5,
      V = 0.2;
    const a = phys(1, 1, [G], r);
    const s = solveCrossbar(a, { rows: [V], cols: [0] });
    expect(rel(s.cols[0], V / (2 * r + 1 / G))).toBeLessThan(1e-12);
    expect(rel(s.rows[0], -V / (2 * r + 1 / G))).toBeLessThan(1e-12); // the driver delivers it
    // The models, by hand: each isolated line divides 1 V between r and 1/G → a = b = 1/(1 + rG);
    // first order: 1 − 2rG.
    expect(rel(transferMatrix(a, 'ladder')[0], G / (1 + r * G) ** 2)).toBeLessThan(1e-12);
    expect(rel(transferMatrix(a, 'first-order')[0], G * (1 - 2 * r * G))).toBeLessThan(1e-12);
  });

  // 2×1: rows driven at V0, V1 through one segment each into devices G0, G1 on one column line
  // w0 —r— w1 —r— sense (0 V). With R_i = r + 1/G_i, a = 1/R0, b = 1/R1, g = 1/r, KCL at w0 and w1 gives
  //   w1 = (b·V1·(a + g) + g·a·V0) / ((b + 2g)(a + g) − g²),  I = g·w1.
  test('2×1: two rows on one column', () => {
    const G0 = 30e-6,
      G1 = 7e-6,
      r = 1.7,
      V0 = 0.2,
      V1 = -0.13;
    const a = 1 / (r + 1 / G0),
      b = 1 / (r + 1 / G1),
      g = 1 / r;
    const w1 = (b * V1 * (a + g) + g * a * V0) / ((b + 2 * g) * (a + g) - g * g);
    const s = solveCrossbar(phys(2, 1, [G0, G1], r), { rows: [V0, V1], cols: [0] });
    expect(rel(s.cols[0], g * w1)).toBeLessThan(1e-12);
    // Without wire resistance: Σ G·V exactly.
    const s0 = solveCrossbar(phys(2, 1, [G0, G1], 0), { rows: [V0, V1], cols: [0] });
    expect(s0.cols[0]).toBe(G0 * V0 + G1 * V1);
    // First order by hand: row i's own segment drops r·G_i; on the column, row 0 sits 2 segments
    // from the sense node (drop r(2G0 + G1)), row 1 one segment (drop r(G0 + G1)).
    const fo = transferMatrix(phys(2, 1, [G0, G1], r), 'first-order');
    expect(rel(fo[0], G0 * (1 - r * G0 - r * (2 * G0 + G1)))).toBeLessThan(1e-12);
    expect(rel(fo[1], G1 * (1 - r * G1 - r * (G0 + G1)))).toBeLessThan(1e-12);
  });
});

/** Dense nodal analysis of the same circuit, solved by mathjs: the independent reference. */
function denseSolve(a: PhysicalArray, rowsV: number[], colsV: number[]): { rows: number[]; cols: number[] } {
  const { rows: R, cols: C, g, wireOhm: r } = a;
  const gw = 1 / r;
  const n = 2 * R * C;
  const U = (i: number, j: number) => i * C + j;
  const W = (i: number, j: number) => R * C + i * C + j;
  const A = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const rhs = new Array<number>(n).fill(0);
  const link = (p: number, q: number, y: number) => {
    A[p][p] += y;
    A[q][q] += y;
    A[p][q] -= y;
    A[q][p] -= y;
  };
  for (let i = 0; i < R; i++) {
    for (let j = 0; j < C; j++) {
      link(U(i, j), W(i, j), g[i * C + j]);
      if (j > 0) link(U(i, j - 1), U(i, j), gw);
      if (i > 0) link(W(i - 1, j), W(i, j), gw);
    }
    A[U(i, 0)][U(i, 0)] += gw;
    rhs[U(i, 0)] += gw * rowsV[i];
  }
  for (let j = 0; j < C; j++) {
    A[W(R - 1, j)][W(R - 1, j)] += gw;
    rhs[W(R - 1, j)] += gw * colsV[j];
  }
  const v = (lusolve(A, rhs) as number[][]).map((x) => x[0]);
  return {
    rows: Array.from({ length: R }, (_, i) => (v[U(i, 0)] - rowsV[i]) * gw),
    cols: Array.from({ length: C }, (_, j) => (v[W(R - 1, j)] - colsV[j]) * gw),
  };
}

function randomArray(R: number, C: number, r: number, seed: string): PhysicalArray {
  const rng = makeRng(seed);
  return phys(
    R,
    C,
    Array.from({ length: R * C }, () => (4 + 36 * rng.uniform()) * 1e-6),
    r,
  );
}

describe('exact solve', () => {
  test('equals a dense nodal solve (mathjs) with both sides driven', () => {
    const a = randomArray(5, 7, 2.5, 'dense');
    const rng = makeRng('v');
    const rowsV = Array.from({ length: 5 }, () => 0.2 * (2 * rng.uniform() - 1));
    const colsV = Array.from({ length: 7 }, () => 0.2 * (2 * rng.uniform() - 1));
    const ours = solveCrossbar(a, { rows: rowsV, cols: colsV });
    const ref = denseSolve(a, rowsV, colsV);
    const scale = Math.max(...ref.cols.map(Math.abs), ...ref.rows.map(Math.abs));
    for (let i = 0; i < 5; i++) expect(Math.abs(ours.rows[i] - ref.rows[i])).toBeLessThan(1e-9 * scale);
    for (let j = 0; j < 7; j++) expect(Math.abs(ours.cols[j] - ref.cols[j])).toBeLessThan(1e-9 * scale);
  });

  test('reciprocity: driving column j and sensing row i gives what driving row i and sensing column j gives', () => {
    const a = randomArray(4, 6, 3, 'recip');
    const colDrive = solveCrossbar(a, { rows: new Float64Array(4), cols: [0, 0, 1, 0, 0, 0] });
    const rowDrive = solveCrossbar(a, { rows: [0, 1, 0, 0], cols: new Float64Array(6) });
    expect(rel(rowDrive.cols[2], colDrive.rows[1])).toBeLessThan(1e-9);
    expect(colDrive.rows[1]).toBeLessThan(a.g[1 * 6 + 2]); // the wires only take current away
  });
});

describe('models', () => {
  /** The exact transfer matrix, one solve per driven column. */
  const exactT = (a: PhysicalArray): Float64Array => {
    const t = new Float64Array(a.rows * a.cols);
    for (let j = 0; j < a.cols; j++) {
      const cols = new Float64Array(a.cols);
      cols[j] = 1;
      const s = solveCrossbar(a, { rows: new Float64Array(a.rows), cols });
      for (let i = 0; i < a.rows; i++) t[i * a.cols + j] = s.rows[i];
    }
    return t;
  };
  const maxDiff = (x: Float64Array, y: Float64Array, g: Float64Array) => Math.max(...Array.from(x, (v, k) => Math.abs(v - y[k]) / g[k]));

  test("first-order and ladder errors shrink like r² (halving r quarters them), the ladder's below the first-order's", () => {
    for (const model of ['first-order', 'ladder'] as const) {
      const e = [0.4, 0.2].map((r) => {
        const a = randomArray(6, 9, r, 'order');
        return maxDiff(transferMatrix(a, model), exactT(a), a.g);
      });
      expect(e[0] / e[1]).toBeGreaterThan(3.5);
      expect(e[0] / e[1]).toBeLessThan(4.5);
    }
    const a = randomArray(6, 9, 0.4, 'order');
    expect(maxDiff(transferMatrix(a, 'ladder'), exactT(a), a.g)).toBeLessThan(
      0.5 * maxDiff(transferMatrix(a, 'first-order'), exactT(a), a.g),
    );
  });

  test('no wire resistance: the ideal weights exactly, for both cell kinds', () => {
    const rng = makeRng('w');
    const plus = Float32Array.from({ length: 12 }, () => Math.fround(rng.uniform()));
    const minus = Float32Array.from({ length: 12 }, () => Math.fround(rng.uniform()));
    const x = PRESETS.reram.crossbar;
    const d = irDropWeights({ rows: 3, cols: 4, plus, minus }, x);
    const o = irDropWeights({ rows: 3, cols: 4, plus }, { ...x, cell: 'offset-column' });
    for (let k = 0; k < 12; k++) {
      expect(d[k]).toBe(Math.fround(plus[k] - minus[k]));
      expect(o[k]).toBe(Math.fround(2 * (plus[k] - 0.5)));
    }
  });

  test("effective weights with wire resistance: a differential pair of equal devices reads nearly 0; each weight is its two devices' attenuated conductances", () => {
    const x = { ...PRESETS.reram.crossbar, wireResistanceOhm: 2.5 };
    const rng = makeRng('pair');
    const n = 16 * 16;
    const plus = Float64Array.from({ length: n }, () => rng.uniform());
    const minus = Float64Array.from(plus, (u, k) => (k % 3 === 0 ? u : rng.uniform()));
    const w = irDropWeights({ rows: 16, cols: 16, plus, minus }, x);
    const f = irDropFactors(physicalArray({ rows: 16, cols: 16, plus, minus }, x));
    expect(Math.max(...f)).toBeLessThan(1);
    expect(Math.min(...f)).toBeGreaterThan(0.5);
    const g0 = x.gMinUS / (x.gMaxUS - x.gMinUS);
    for (let k = 0; k < n; k++) {
      const r = Math.floor(k / 16),
        c = k % 16;
      const fp = f[r * 32 + 2 * c],
        fm = f[r * 32 + 2 * c + 1];
      // w_eff − w = ((g0 + u+)(f+ − 1) − (g0 + u−)(f− − 1)) in normalised units: by hand.
      expect(Math.abs(w[k] - ((g0 + plus[k]) * fp - (g0 + minus[k]) * fm))).toBeLessThan(1e-6);
      // G+ and G− sit side by side, one segment apart: equal devices read nearly 0 (under 1 % of a
      // full-scale weight), not exactly.
      if (k % 3 === 0) expect(Math.abs(w[k])).toBeLessThan(1e-2);
    }
  });
});

describe('chip fields', () => {
  const diag = (over: Record<string, unknown>) => {
    try {
      resolveChipObject({ base: 'reram', ...over }, 'chip.json');
    } catch (e) {
      return (e as ChipError).diagnostics;
    }
    throw new Error('accepted');
  };

  test('wire resistance and read voltage are validated with coded errors', () => {
    expect(diag({ crossbar: { wireResistanceOhm: -1 } })).toMatchObject([
      { code: 'HW012', path: '/crossbar/wireResistanceOhm', hint: 'set "wireResistanceOhm" to at least 0' },
    ]);
    expect(diag({ periphery: { dac: { readVoltageV: 0 } } })).toMatchObject([{ code: 'HW012', path: '/periphery/dac/readVoltageV' }]);
    expect(diag({ crossbar: { wireResistanceOhm: '2' } })).toMatchObject([{ code: 'HW011', path: '/crossbar/wireResistanceOhm' }]);
  });

  test("they survive the netlist's chip message both ways", () => {
    const c = resolveChipObject({ base: 'pcm', crossbar: { wireResistanceOhm: 2.5 }, periphery: { dac: { readVoltageV: 0.3 } } }, 'c.json');
    const back = chipFromMsg(chipToMsg(c));
    expect(back.crossbar.wireResistanceOhm).toBe(2.5);
    expect(back.periphery.dac.readVoltageV).toBe(0.3);
    expect(back).toEqual(c);
  });
});
