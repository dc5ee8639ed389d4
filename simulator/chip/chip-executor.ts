/**
 * The chip executor (docs/ARCHITECTURE.md): the EP engine's reads and neuron updates done as the compiled
 * chip would do them — inputs through the DAC, products on the programmed (noisy, stuck, drifted)
 * devices of each array with read noise on every read, each array's partial sums through its ADC
 * before digital accumulation with the edge's gain (α or β_i), the neuron unit's activation
 * implementation, state noise and state register; symmetric feedback is a transposed read of the
 * same devices. Conv edges need nothing more: the engines hand it the im2row patches of a batch as
 * m·positions rows of the unrolled kernel's input (docs/conv-layout.md). Batched on the same kernels as the ideal executor, noise generated in bulk.
 *
 * With the `ideal` preset every stage is the identity and the reads are the same GEMMs on the same
 * weights, so the numbers equal the ideal executor's.
 */
import { convGeometryMsg } from '../../netlist/conv';
import type { EdgeTiles } from '../../netlist/tiles';
import type { Net, NetEdge, NetLayer } from '../../graph/net';
import type { ChipDescription } from '../../hw-models/chip';
import type { Executor } from '../executor';
import type { Kernels } from '../kernels/kernels';
import { loadNativeAddon, NATIVE_BACKEND_NAME } from '../kernels/native';
import type { NoiseSource } from '../noise';
import { DeviceMatrix, type DeviceOptions } from './devices';
import { adcOf, NeuronUnit, quantiser, type Adc, type PeripheryNative, type Quantiser } from './periphery';

interface Tiled {
  dev: DeviceMatrix;
  /** Tile boundaries over the matrix rows and columns (including 0 and the size). */
  rowCuts: number[];
  colCuts: number[];
}

export class ChipExecutor implements Executor {
  private readonly W: (Tiled | undefined)[];
  private readonly B: (Tiled | undefined)[];
  private readonly dac: Quantiser;
  private readonly adc: Adc;
  private readonly neuron: NeuronUnit;
  private readonly native: PeripheryNative;
  // Scratch buffers, grown on demand and reused across reads.
  private xq: Float32Array = new Float32Array(0);
  private x2: Float32Array = new Float32Array(0);
  private part: Float32Array = new Float32Array(0);
  private part2: Float32Array = new Float32Array(0);
  private norms: Float32Array = new Float32Array(0);

  constructor(readonly net: Net, tiles: EdgeTiles[], readonly chip: ChipDescription, readonly kernels: Kernels,
    private readonly noise: NoiseSource, opts: DeviceOptions) {
    const tiled = (rows: number, cols: number, wMax: number, t: EdgeTiles['weight']): Tiled => ({
      dev: new DeviceMatrix(rows, cols, wMax, t, chip, noise, opts),
      rowCuts: cuts(t.map((x) => x.rowBegin), rows),
      colCuts: cuts(t.map((x) => x.colBegin), cols),
    });
    this.W = net.edges.map((e) => {
      const t = tiles[e.index];
      if (!t || t.rows !== e.rows || t.cols !== e.cols) throw new Error(`netlist edge ${e.index} does not match edge ${e.name} [${e.rows}×${e.cols}]`);
      const geo = e.conv ? JSON.stringify(convGeometryMsg(e.conv)) : null;
      if (geo !== (t.conv ? JSON.stringify(t.conv) : null)) {
        throw new Error(`netlist edge ${e.index} (${t.name}) is ${t.conv ? 'a conv edge' : 'dense'} with geometry ${t.conv ? JSON.stringify(t.conv) : 'none'}, but edge ${e.name} of the net is ${geo ?? 'dense'}`);
      }
      return tiled(e.rows, e.cols, t.wMax, t.weight);
    });
    this.B = net.edges.map((e) => {
      const t = tiles[e.index];
      return t.feedback.length ? tiled(e.cols, e.rows, t.feedbackWMax ?? 1, t.feedback) : undefined;
    });
    // The periphery's per-element loops run natively alongside the native kernels.
    const native = kernels.name === NATIVE_BACKEND_NAME ? loadNativeAddon() : null;
    const [lo, hi] = chip.periphery.dac.inputRange;
    this.dac = quantiser(chip.periphery.dac.bits, lo, hi, native);
    this.adc = adcOf(chip, native);
    this.neuron = new NeuronUnit(chip, kernels, noise, native);
    this.native = native;
  }

  /** The effective weights of every edge (the optimiser steps these; commit() realises them). */
  weights(): Float32Array[] {
    return this.W.map((t) => t!.dev.W);
  }

  /** The devices of an edge: its weight matrix, and its fixed random feedback matrix if it has one. */
  devices(e: NetEdge): { weight: DeviceMatrix; feedback: DeviceMatrix | null } {
    return { weight: this.W[e.index]!.dev, feedback: this.B[e.index]?.dev ?? null };
  }

  /** Realises the optimiser's requested weights on the devices of every trained edge. */
  commit(): void {
    for (const e of this.net.edges) if (e.trainable) this.W[e.index]!.dev.commit(this.noise);
  }

  /** Update pulses applied so far (all edges). */
  pulses(): number {
    return this.W.reduce((a, t) => a + (t?.dev.pulses ?? 0), 0);
  }

  forward(e: NetEdge, inp: Float32Array, m: number, scale: number, out: Float32Array): void {
    this.read(this.W[e.index]!, false, inp, m, scale, out);
  }

  transposed(e: NetEdge, inp: Float32Array, m: number, scale: number, out: Float32Array): void {
    this.read(this.W[e.index]!, true, inp, m, scale, out);
  }

  randomFeedback(e: NetEdge, inp: Float32Array, m: number, scale: number, out: Float32Array): void {
    const b = this.B[e.index];
    if (!b) throw new Error(`edge ${e.name} has no random feedback arrays in the netlist`);
    this.read(b, false, inp, m, scale, out);
  }

  outer(e: NetEdge, post: Float32Array, pre: Float32Array, m: number, scale: number, g: Float32Array): void {
    // The outer product of the local rule is formed by the update circuitry from the two state
    // vectors it already holds; the devices realise it in commit().
    this.kernels.gemm('T', 'N', e.rows, e.cols, m, scale, post, e.rows, pre, e.cols, 0, g, e.cols);
  }

  activate(layer: NetLayer, h: Float32Array, s: Float32Array, m: number): void {
    this.neuron.apply(layer.activation, h, s, m * layer.size);
  }

  /**
   * out += scale·(read of the matrix): forward y = W·x per sample (out [m × rows], inp [m × cols]) or
   * transposed y = Wᵀ·x (out [m × cols], inp [m × rows]).
   */
  private read(t: Tiled, transposed: boolean, inp: Float32Array, m: number, scale: number, out: Float32Array): void {
    const { dev } = t;
    const R = dev.rows;
    const C = dev.cols;
    const inDim = transposed ? R : C;
    const outDim = transposed ? C : R;
    let x: Float32Array = inp;
    if (this.dac.active) {
      this.xq = grow(this.xq, m * inDim);
      this.dac.apply(inp, this.xq, m * inDim);
      x = this.xq;
    }
    const rn = this.chip.crossbar.readNoise;
    if (!this.adc.active) {
      if (transposed) this.kernels.gemm('N', 'N', m, C, R, scale, x, R, dev.W, C, 1, out, C);
      else this.kernels.gemm('N', 'T', m, R, C, scale, x, C, dev.W, C, 1, out, R);
      if (rn.sigma > 0) this.addLineNoise(t, transposed, x, m, 0, inDim, 0, outDim, out, scale * dev.wMax, 0);
      return;
    }
    // Per array: partial sums in normalised units (÷ w_max), read noise, ADC, then the gain.
    const inCuts = transposed ? t.rowCuts : t.colCuts;
    const outCuts = transposed ? t.colCuts : t.rowCuts;
    const gain = scale * dev.wMax;
    for (let a = 0; a + 1 < outCuts.length; a++) {
      const o0 = outCuts[a];
      const oLen = outCuts[a + 1] - o0;
      for (let b = 0; b + 1 < inCuts.length; b++) {
        const i0 = inCuts[b];
        const iLen = inCuts[b + 1] - i0;
        this.part = grow(this.part, m * oLen);
        const P = this.part;
        if (transposed) this.kernels.gemm('N', 'N', m, oLen, iLen, 1 / dev.wMax, x.subarray(i0), R, dev.W.subarray(i0 * C + o0), C, 0, P, oLen);
        else this.kernels.gemm('N', 'T', m, oLen, iLen, 1 / dev.wMax, x.subarray(i0), C, dev.W.subarray(o0 * C + i0), C, 0, P, oLen);
        // Read noise and the ADC's output noise in one draw per line (independent Gaussians add).
        const fold = rn.sigma > 0 || this.adc.noiseVariance > 0;
        if (fold) this.addLineNoise(t, transposed, x, m, i0, iLen, o0, oLen, P, 1, this.adc.noiseVariance);
        this.adc.accumulate(P, m, oLen, out, o0, outDim, gain, this.noise, fold);
      }
    }
  }

  /**
   * Noise on the m × oLen block `out` of one read (lines [o0, o0 + oLen) of the matrix's output
   * range, inputs [i0, i0 + iLen)), in units of `unit`: the read noise of every device on every
   * read, referred to the output — a device's Gaussian conductance noise σ makes a line's sum vary
   * with variance σ²·Σ_i (cell factor)·x_i², exact in distribution and one draw per line instead of
   * one per device — plus `constVar` (the ADC's output noise, when the caller folds it in).
   */
  private addLineNoise(t: Tiled, transposed: boolean, x: Float32Array, m: number, i0: number, iLen: number,
    o0: number, oLen: number, out: Float32Array, unit: number, constVar: number): void {
    const { dev } = t;
    const spec = this.chip.crossbar.readNoise;
    const inDim = transposed ? dev.rows : dev.cols;
    if (spec.sigma === 0) {
      if (constVar > 0) this.noise.addNormalVar(out, m, oLen, null, null, constVar);
      return;
    }
    if (spec.relativeTo === 'range') {
      this.norms = grow(this.norms, m);
      const k = (DeviceMatrix.cellReadSigma(spec, dev.isDifferential) * unit) ** 2;
      if (this.native) {
        this.native.rowSumSquares(x, m, inDim, i0, iLen, k, this.norms);
        this.noise.addNormalVar(out, m, oLen, this.norms, null, constVar);
        return;
      }
      for (let r = 0; r < m; r++) {
        let s = 0;
        const base = r * inDim + i0;
        for (let i = 0; i < iLen; i++) s += x[base + i] * x[base + i];
        this.norms[r] = k * s;
      }
      this.noise.addNormalVar(out, m, oLen, this.norms, null, constVar);
      return;
    }
    // Relative to the target conductance: variance per line = σ²·Σ_i sqU[line, i]·x_i².
    this.x2 = grow(this.x2, m * iLen);
    for (let r = 0; r < m; r++) for (let i = 0; i < iLen; i++) this.x2[r * iLen + i] = x[r * inDim + i0 + i] ** 2;
    this.part2 = grow(this.part2, m * oLen);
    const sq = dev.squaredUnits();
    const C = dev.cols;
    const k = (spec.sigma * unit) ** 2;
    if (transposed) this.kernels.gemm('N', 'N', m, oLen, iLen, k, this.x2, iLen, sq.subarray(i0 * C + o0), C, 0, this.part2, oLen);
    else this.kernels.gemm('N', 'T', m, oLen, iLen, k, this.x2, iLen, sq.subarray(o0 * C + i0), C, 0, this.part2, oLen);
    this.noise.addNormalVar(out, m, oLen, null, this.part2, constVar);
  }
}

function cuts(begins: number[], size: number): number[] {
  return [...new Set([...begins, 0, size])].sort((a, b) => a - b).filter((v) => v <= size);
}

function grow(buf: Float32Array, n: number): Float32Array {
  return buf.length >= n ? buf : new Float32Array(n);
}
