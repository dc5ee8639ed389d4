/**
 * calibrate: every array's ADC range per read kind (forward, transposed, nudge), as a chip's
 * column ADCs are calibrated after programming: the range that covers a chosen fraction of the
 * partial sums the array actually produces on real inputs. Policies:
 *   fixed          every range = the chip's periphery.adc.fullScale (today's behaviour);
 *   percentile:P   range = the P-th percentile (nearest rank) of |partial sum| over a calibration
 *                  batch: the software engine's free-phase states s⁰ and output error e⁰ on N
 *                  samples of the net's dataset (CompileOptions.calibration, made by the caller —
 *                  the compiler runs no engine), through the DAC, times the array's programmed
 *                  conductances (u+ − u−, the values the chip reads), one partial sum per sample and
 *                  sensed line. Plain loops: no simulator code.
 * With each-side conversion of differential pairs (periphery.adc.pairConversion) the percentile is
 * over both sides' sums, each side's converter sharing the range.
 * With noise management (abs-max) each sample's input lines are first divided by their largest
 * magnitude, as the chip does before its DAC: the range is then the one the converter sees.
 * An unbounded ADC (fullScale 'unbounded') stays unbounded under every policy: a converter with no
 * range has nothing to calibrate (and the ideal chip keeps equal to the software engine).
 * Conv edges keep the fixed range (their reads are per patch position; not calibrated yet).
 */
import { INPUT, OUTPUT } from '../../graph/net';
import { unmapMatrix } from '../../hw-models/conductance';
import { conversionsPerLine, type ChipDescription } from '../../hw-models/chip';
import { codeOf } from '../../hw-models/quantise';
import { CompileError, diag } from '../diagnostics';
import type { CalibrationBatch, CompilerIR, IrTile, Pass } from '../ir';

/** The read kinds an ADC range is calibrated for. */
export type AdcKind = 'forward' | 'transposed' | 'nudge';

/** Nearest-rank percentile of |v| (the same definition as the w_max percentile policy). */
export function absPercentile(v: Float32Array, p: number): number {
  if (v.length === 0) return 0;
  const a = Float64Array.from(v, Math.abs).sort();
  return a[Math.min(a.length - 1, Math.max(0, Math.ceil((p / 100) * a.length) - 1))];
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** DAC(x): clip to the input range and round to its codes (identity for a float DAC). */
function dacOf(chip: ChipDescription, x: Float32Array): Float32Array {
  const {
    bits,
    inputRange: [lo, hi],
  } = chip.periphery.dac;
  if (bits === 'float') return x;
  const step = (hi - lo) / (2 ** bits - 1);
  return Float32Array.from(x, (v) => {
    const c = v < lo ? lo : v > hi ? hi : v;
    return Math.fround(codeOf(c, lo, step));
  });
}

/** x [n × ldx] with each row's lines [a, b) divided by their largest magnitude (as the chip's noise management does). */
function absMaxScaled(x: Float32Array, ldx: number, n: number, a: number, b: number): Float32Array {
  const out = x.slice();
  for (let s = 0; s < n; s++) {
    let m = 0;
    for (let i = a; i < b; i++) m = Math.max(m, Math.abs(x[s * ldx + i]));
    if (m > 0) for (let i = a; i < b; i++) out[s * ldx + i] = x[s * ldx + i] / m;
  }
  return out;
}

/**
 * Partial sums of one tile over a batch, [n × sensed lines], in normalised units: the matrix
 * slice u = W/w_max [rows × cols] read forward (x drives the columns [colBegin, colEnd) of an
 * [n × ldx] input) or transposed (x drives the rows).
 */
export function tilePartialSums(
  u: Float32Array,
  matrixCols: number,
  t: Pick<IrTile, 'rowBegin' | 'rowEnd' | 'colBegin' | 'colEnd'>,
  transposed: boolean,
  x: Float32Array,
  ldx: number,
  n: number,
): Float32Array {
  const R = t.rowEnd - t.rowBegin;
  const C = t.colEnd - t.colBegin;
  const lines = transposed ? C : R;
  const out = new Float32Array(n * lines);
  for (let s = 0; s < n; s++) {
    const xb = s * ldx;
    for (let r = 0; r < R; r++) {
      const ub = (t.rowBegin + r) * matrixCols + t.colBegin;
      if (transposed) {
        const xv = x[xb + t.rowBegin + r];
        if (xv === 0) continue;
        for (let c = 0; c < C; c++) out[s * lines + c] += u[ub + c] * xv;
      } else {
        let acc = 0;
        for (let c = 0; c < C; c++) acc += u[ub + c] * x[xb + t.colBegin + c];
        out[s * lines + r] = acc;
      }
    }
  }
  return out;
}

/** The reads a tile performs, each with its ADC kind, direction and the calibration input that drives it. */
function readsOf(
  ir: CompilerIR,
  t: IrTile,
  batch: CalibrationBatch,
): { kind: AdcKind; transposed: boolean; x: Float32Array; ldx: number }[] {
  const e = ir.net.edges[t.edge];
  const group = (node: number) => (node === INPUT ? 0 : node + 1);
  const toOutput = e.to === OUTPUT;
  const feedbackInput = toOutput
    ? { kind: 'nudge' as const, x: batch.error, ldx: ir.net.classes }
    : { kind: 'transposed' as const, x: batch.states[group(e.to)], ldx: ir.groups[group(e.to)].size };
  if (t.role === 'random-feedback') return [{ ...feedbackInput, transposed: false }];
  return t.reads.map((r) =>
    r === 'forward'
      ? { kind: 'forward' as const, transposed: false, x: batch.states[group(e.from)], ldx: ir.groups[group(e.from)].size }
      : { ...feedbackInput, transposed: true },
  );
}

export const calibrate: Pass = {
  name: 'calibrate',
  help: "set every array's ADC range per read kind (fixed, or a percentile of |partial sum| over a calibration batch)",
  run(ir: CompilerIR): void {
    const { chip } = ir;
    const fixed = chip.periphery.adc.fullScale === 'unbounded' ? 0 : chip.periphery.adc.fullScale;
    const policy = ir.options.adcRange ?? { kind: 'fixed' };
    for (const t of ir.tiles) t.adcFullScale = { forward: fixed, transposed: fixed, nudge: fixed };
    if (policy.kind === 'fixed' || fixed === 0) return;
    const batch = ir.options.calibration;
    if (!batch || batch.count < 1) {
      throw new CompileError([
        diag(
          'CMP006',
          ir.options.specFile,
          '',
          `--adc-range percentile:${policy.p} needs a calibration batch of real inputs, and none was given`,
          "let fre compile draw one from the net's dataset (--calibration-samples N ≥ 1, --data-dir), or use --adc-range fixed",
        ),
      ]);
    }
    // The DAC sees every read's input: quantise each calibration input once.
    const dac = new Map<Float32Array, Float32Array>();
    const dacd = (x: Float32Array) => {
      let q = dac.get(x);
      if (!q) {
        q = dacOf(chip, x);
        dac.set(x, q);
      }
      return q;
    };
    const units = new Map<number, Float32Array>();
    const absMax = chip.periphery.adc.noiseManagement === 'abs-max';
    const eachSide = conversionsPerLine(chip) === 2;
    const sides = new Map<Float32Array, { plus: Float32Array; minus: Float32Array }>();
    const sidesOf = (u: Float32Array) => {
      let v = sides.get(u);
      if (!v) {
        v = { plus: u.map((a) => (a > 0 ? a : 0)), minus: u.map((a) => (a < 0 ? -a : 0)) };
        sides.set(u, v);
      }
      return v;
    };
    for (const t of ir.tiles) {
      if (ir.net.edges[t.edge].conv) continue;
      const m = ir.matrices[t.matrix];
      let u = units.get(m.id);
      if (!u) {
        const w = unmapMatrix(m.mapped.plus, m.mapped.minus, m.mapped.wMax, chip.crossbar);
        u = Float32Array.from(w, (v) => v / m.mapped.wMax);
        units.set(m.id, u);
      }
      const fs = t.adcFullScale!;
      for (const r of readsOf(ir, t, batch)) {
        // With noise management the converter sees the abs-max-scaled read (chip.periphery.adc.noiseManagement).
        const x = absMax
          ? dacOf(chip, absMaxScaled(r.x, r.ldx, batch.count, r.transposed ? t.rowBegin : t.colBegin, r.transposed ? t.rowEnd : t.colEnd))
          : dacd(r.x);
        // Each-side conversion: each side's converter sees that side's sums (u+ = max(u, 0), u− = max(−u, 0)
        // of the differential mapping), so the range is the percentile over both sides' sums.
        const p = eachSide
          ? absPercentile(
              concat(
                tilePartialSums(sidesOf(u).plus, m.cols, t, r.transposed, x, r.ldx, batch.count),
                tilePartialSums(sidesOf(u).minus, m.cols, t, r.transposed, x, r.ldx, batch.count),
              ),
              policy.p,
            )
          : absPercentile(tilePartialSums(u, m.cols, t, r.transposed, x, r.ldx, batch.count), policy.p);
        // A tile that only ever reads zeros has no range to find: keep the chip's.
        fs[r.kind] = p > 0 ? Math.fround(p) : fixed;
      }
    }
  },
};
