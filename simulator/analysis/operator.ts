/**
 * The hidden-to-hidden operator M of a net (docs/references.md#dynamics-analysis): the linear part of the free-phase drive,
 * with every block at its own scale — forward blocks α·W (to ← from), symmetric feedback blocks β·Wᵀ
 * (from ← to), random feedback blocks β·B (from ← to). It is exactly what EpEngine adds to a hidden
 * layer's drive from the other hidden layers, so that the free phase is s ← ρ(b + M s) with b the
 * constant input drive.
 *
 * Convention: the stacked state is a column vector, layer after layer (offsets[j] .. offsets[j]+size);
 * M acts on it from the left (out = M v). The paper's row-vector form δ ← δM is the same map with M
 * transposed. Blocks are kept separately (block-sparse); the dense (Σn)² matrix is built only by
 * `dense()`, for tests and small checks. Float64 throughout.
 */
import { INPUT, OUTPUT, type Net } from '../../graph/net';
import type { Params } from '../../graph/params';

export interface Block {
  /** Edge name and which read of it this block is. */
  edge: string;
  kind: 'forward' | 'symmetric' | 'random' | 'input';
  /** Destination and source offsets in the stacked state (source: the input vector for 'input'). */
  dst: number;
  src: number;
  /** A is [rows × cols] row-major: dst[r] += scale · Σ_c A[r,c] · src[c]. */
  rows: number;
  cols: number;
  scale: number;
  A: Float64Array;
}

/** The net with β_i of every hidden feedback edge (hidden → hidden, feedback ≠ none) set to `beta`; β_f untouched. */
export function withBetaI(net: Net, beta: number): Net {
  const edges = net.edges.map((e) => (isHiddenFeedback(net, e.index) ? { ...e, beta } : e));
  return { ...net, edges, readout: edges[net.readout.index] };
}

export function isHiddenFeedback(net: Net, edgeIndex: number): boolean {
  const e = net.edges[edgeIndex];
  return e.from !== INPUT && e.from !== OUTPUT && e.to !== INPUT && e.to !== OUTPUT && e.feedback !== 'none';
}

export class HiddenOperator {
  /** Total hidden units Σ n_j. */
  readonly n: number;
  readonly offsets: number[];
  readonly sizes: number[];
  /** Hidden-to-hidden blocks (the operator M). */
  readonly blocks: Block[];
  /** Input-to-hidden blocks (the constant drive b = Σ α·W x). */
  readonly inputBlocks: Block[];
  readonly inputSize: number;

  constructor(
    readonly net: Net,
    params: Params,
  ) {
    this.sizes = net.layers.map((l) => l.size);
    this.offsets = [];
    let n = 0;
    for (const s of this.sizes) {
      this.offsets.push(n);
      n += s;
    }
    this.n = n;
    this.inputSize = net.inputSize;
    this.blocks = [];
    this.inputBlocks = [];
    for (const e of net.edges) {
      if (e.to === OUTPUT) continue;
      const W = params.W[e.index].data;
      if (e.from === INPUT) {
        this.inputBlocks.push({
          edge: e.name,
          kind: 'input',
          dst: this.offsets[e.to],
          src: 0,
          rows: e.rows,
          cols: e.cols,
          scale: e.alpha,
          A: Float64Array.from(W),
        });
        continue;
      }
      this.blocks.push({
        edge: e.name,
        kind: 'forward',
        dst: this.offsets[e.to],
        src: this.offsets[e.from],
        rows: e.rows,
        cols: e.cols,
        scale: e.alpha,
        A: Float64Array.from(W),
      });
      if (e.feedback === 'symmetric') {
        const At = new Float64Array(e.rows * e.cols);
        for (let r = 0; r < e.rows; r++) for (let c = 0; c < e.cols; c++) At[c * e.rows + r] = W[r * e.cols + c];
        this.blocks.push({
          edge: e.name,
          kind: 'symmetric',
          dst: this.offsets[e.from],
          src: this.offsets[e.to],
          rows: e.cols,
          cols: e.rows,
          scale: e.beta,
          A: At,
        });
      } else if (e.feedback === 'random') {
        const B = params.B[e.index];
        if (!B) throw new Error(`edge ${e.name} has random feedback but no feedback matrix`);
        this.blocks.push({
          edge: e.name,
          kind: 'random',
          dst: this.offsets[e.from],
          src: this.offsets[e.to],
          rows: e.cols,
          cols: e.rows,
          scale: e.beta,
          A: Float64Array.from(B.data),
        });
      }
    }
  }

  /**
   * out[k] = M · inp[k] for each of the m stacked vectors (stride n); overwrites out. With `active`,
   * only the vectors k with active[k] ≠ 0 are computed (the others' out is left as it was).
   */
  applyBatch(inp: Float64Array, out: Float64Array, m: number, active?: Uint8Array): void {
    if (active) {
      for (let k = 0; k < m; k++) if (active[k]) out.fill(0, k * this.n, (k + 1) * this.n);
    } else {
      out.fill(0, 0, m * this.n);
    }
    for (const blk of this.blocks) if (blk.scale !== 0) HiddenOperator.accumulate(blk, inp, this.n, out, this.n, m, active);
  }

  /** out = M v; overwrites out. */
  apply(v: Float64Array, out: Float64Array): void {
    this.applyBatch(v, out, 1);
  }

  /** The constant input drive b[m × n] for inputs x[m × inputSize]. */
  inputDrive(x: ArrayLike<number>, m: number): Float64Array {
    const xd = Float64Array.from({ length: m * this.inputSize }, (_, i) => x[i]);
    const b = new Float64Array(m * this.n);
    for (const blk of this.inputBlocks) if (blk.scale !== 0) HiddenOperator.accumulate(blk, xd, this.inputSize, b, this.n, m);
    return b;
  }

  /** dst[k·dstStride + blk.dst + r] += scale · Σ_c A[r,c] · src[k·srcStride + blk.src + c], for k < m. */
  private static accumulate(
    blk: Block,
    src: Float64Array,
    srcStride: number,
    dst: Float64Array,
    dstStride: number,
    m: number,
    active?: Uint8Array,
  ): void {
    const { A, rows, cols, scale } = blk;
    // Four vectors at a time share each row of A (fewer loads per multiply-add).
    const idx: number[] = [];
    for (let k = 0; k < m; k++) if (!active || active[k]) idx.push(k);
    let q = 0;
    for (; q + 4 <= idx.length; q += 4) {
      const s0 = idx[q] * srcStride + blk.src,
        s1 = idx[q + 1] * srcStride + blk.src;
      const s2 = idx[q + 2] * srcStride + blk.src,
        s3 = idx[q + 3] * srcStride + blk.src;
      const d0 = idx[q] * dstStride + blk.dst,
        d1 = idx[q + 1] * dstStride + blk.dst;
      const d2 = idx[q + 2] * dstStride + blk.dst,
        d3 = idx[q + 3] * dstStride + blk.dst;
      for (let r = 0; r < rows; r++) {
        let a0 = 0,
          a1 = 0,
          a2 = 0,
          a3 = 0;
        const ro = r * cols;
        for (let c = 0; c < cols; c++) {
          const a = A[ro + c];
          a0 += a * src[s0 + c];
          a1 += a * src[s1 + c];
          a2 += a * src[s2 + c];
          a3 += a * src[s3 + c];
        }
        dst[d0 + r] += scale * a0;
        dst[d1 + r] += scale * a1;
        dst[d2 + r] += scale * a2;
        dst[d3 + r] += scale * a3;
      }
    }
    for (; q < idx.length; q++) {
      const so = idx[q] * srcStride + blk.src;
      const dO = idx[q] * dstStride + blk.dst;
      for (let r = 0; r < rows; r++) {
        let acc = 0;
        const ro = r * cols;
        for (let c = 0; c < cols; c++) acc += A[ro + c] * src[so + c];
        dst[dO + r] += scale * acc;
      }
    }
  }

  /**
   * True when the layer graph of the non-zero blocks has no cycle (e.g. no feedback and no backward
   * edge, or every β_i = 0). M is then block-strictly-triangular in a topological order: nilpotent,
   * with spectral radius exactly 0 (which an iterative method can only approach to about ε^{1/L}).
   */
  isNilpotent(): boolean {
    const L = this.sizes.length;
    const layerOf = (offset: number): number => this.offsets.indexOf(offset);
    const out: number[][] = Array.from({ length: L }, () => []);
    for (const blk of this.blocks) if (blk.scale !== 0) out[layerOf(blk.src)].push(layerOf(blk.dst));
    const state = new Uint8Array(L); // 0 new, 1 on the stack, 2 done
    const cyclic = (u: number): boolean => {
      state[u] = 1;
      for (const v of out[u]) {
        if (state[v] === 1) return true;
        if (state[v] === 0 && cyclic(v)) return true;
      }
      state[u] = 2;
      return false;
    };
    for (let u = 0; u < L; u++) if (state[u] === 0 && cyclic(u)) return false;
    return true;
  }

  /** The dense n × n matrix (tests and small checks only). */
  dense(): number[][] {
    const M = Array.from({ length: this.n }, () => new Array<number>(this.n).fill(0));
    for (const blk of this.blocks) {
      for (let r = 0; r < blk.rows; r++)
        for (let c = 0; c < blk.cols; c++) M[blk.dst + r][blk.src + c] += blk.scale * blk.A[r * blk.cols + c];
    }
    return M;
  }
}
