/**
 * The three things an engine does with an edge — drive its target, feed back into its source, and
 * form its local update — for dense and conv edges alike, on top of the Executor (which only knows
 * matrices). A conv edge is im2row + the same matrix read (one read per receptive field) + pooling;
 * its feedback is unpool (through the argmax of the last forward) + the transposed read + row2im;
 * its update is the outer product of the unpooled post-synaptic map with the pre-synaptic patches.
 * Biases are added digitally after the read (drive = α·(W·pre + b)).
 *
 * Conv buffers are allocated once per conv edge, for the largest batch. The argmax a feedback or an
 * update uses is the one of that edge's latest forward(), so an engine runs forward drives before
 * the feedback drives of the same step.
 */
import { type Net, type NetEdge } from '../../graph/net';
import type { Executor } from '../executor';
import { mapsToRows, rowsToMaps } from '../conv/im2row';
import { layoutFor, type LayoutKernels } from '../conv/layout-kernels';
import { poolForward, poolTranspose } from '../conv/pool';

interface ConvBuffers {
  /** [m·P × C·k·k] receptive fields of the last forward's input. */
  patches: Float32Array;
  /** [m·P × O] conv output, position-major (the executor's layout). */
  rows: Float32Array;
  /** [m × O × P] conv output (pre-pool map, NCHW). */
  map: Float32Array;
  /** [m × size(to)] pooled drive (pooled edges only). */
  pooled: Float32Array;
  /** argmax of the last max-pool: flat index into the NCHW pre-pool map [m × O × P] (pool-rows.ts). */
  argmax: Int32Array;
  /** [chunk·P × C·k·k] transposed read before row2im, one chunk of samples at a time. */
  back: Float32Array;
  /** Samples per im2row + read (+ row2im): the executor's convChunkBytes of patches, ≥ 1. */
  chunk: number;
  /** Copies of patches and argmax taken by keep() (EP: those of the free state s⁰). */
  keptPatches: Float32Array | null;
  keptArgmax: Int32Array | null;
}

/** Which receptive fields and argmax a conv update uses: recomputed from a given pre-synaptic
 *  state, those of the latest forward read, or those saved by keep(). */
export type UpdateSource = Float32Array | 'latest' | 'kept';

export class EdgeOps {
  private readonly conv: (ConvBuffers | null)[];
  private readonly layout: LayoutKernels;

  constructor(
    readonly net: Net,
    readonly exec: Executor,
    readonly maxBatch: number,
    readonly biases: readonly (Float32Array | undefined)[] = [],
  ) {
    this.layout = layoutFor(exec.kernels);
    for (const e of net.edges) {
      // A biased edge without its bias (or a bias on an unbiased edge) would silently change the net.
      const b = biases[e.index];
      if (e.bias !== (b !== undefined) || (b && b.length !== e.rows)) {
        throw new Error(
          `edge ${e.name}: ${e.bias ? `needs a bias of ${e.rows} entries` : 'has no bias'} but the engine was given ${b ? `${b.length} entries` : 'none'}`,
        );
      }
    }
    this.conv = net.edges.map((e) => {
      if (!e.conv) return null;
      const P = e.conv.positions;
      const buf = (n: number) => new Float32Array(maxBatch * n);
      // Max-pooled edges pool and unpool straight from the rows (no map, no pooled buffer).
      const maxPooled = e.conv.pool?.kind === 'max';
      const toSize = maxPooled ? 0 : e.rows * P; // pre-pool map size per sample
      const pooledSize = e.conv.pool && !maxPooled ? this.targetSize(e) : 0;
      const argmaxSize = maxPooled ? this.targetSize(e) : 0;
      const chunkBytes = exec.convChunkBytes;
      const chunk = chunkBytes === undefined ? maxBatch : Math.max(1, Math.min(maxBatch, Math.floor(chunkBytes / (4 * P * e.cols))));
      return {
        chunk,
        patches: buf(P * e.cols),
        rows: buf(P * e.rows),
        map: buf(toSize),
        pooled: buf(pooledSize),
        argmax: new Int32Array(maxBatch * argmaxSize),
        back: new Float32Array(chunk * P * e.cols),
        keptPatches: null,
        keptArgmax: null,
      };
    });
  }

  private targetSize(e: NetEdge): number {
    return this.net.layers[e.to].size;
  }

  /** out[m × size(to)] += scale · (W ⊛ inp + b), pooled on pooled conv edges. */
  forward(e: NetEdge, inp: Float32Array, m: number, scale: number, out: Float32Array): void {
    const bias = this.biases[e.index];
    const cb = this.conv[e.index];
    if (!cb || !e.conv) {
      this.exec.forward(e, inp, m, scale, out);
      if (bias) addRowBias(out, bias, m, e.rows, 1, scale);
      return;
    }
    const { conv, pool, positions: P, convShape } = e.conv;
    const inSize = conv.inChannels * conv.height * conv.width;
    // A chunk of samples at a time: its patches are still in cache when the read consumes them.
    for (let s0 = 0; s0 < m; s0 += cb.chunk) {
      const mc = Math.min(cb.chunk, m - s0);
      const patches = cb.patches.subarray(s0 * P * e.cols, (s0 + mc) * P * e.cols);
      const rows = cb.rows.subarray(s0 * P * e.rows, (s0 + mc) * P * e.rows);
      this.layout.im2row(conv, mc, s0 === 0 ? inp : inp.subarray(s0 * inSize), patches);
      rows.fill(0);
      this.exec.forward(e, patches, mc * P, 1, rows);
    }
    if (pool?.kind === 'max') {
      // Pool straight from the position-major rows into the drive, bias included (pool-rows.ts).
      this.layout.maxPoolRows(pool, convShape, m, cb.rows, out, cb.argmax, scale, bias ?? null);
      return;
    }
    rowsToMaps(m, P, e.rows, cb.rows, cb.map);
    let drive = cb.map;
    let per = P;
    if (pool) {
      poolForward(pool, convShape, m, cb.map, cb.pooled); // avg (max returned above)
      drive = cb.pooled;
      per = this.targetSize(e) / e.rows;
    }
    const n = m * e.rows * per;
    for (let i = 0; i < n; i++) out[i] += scale * drive[i];
    if (bias) addRowBias(out, bias, m, e.rows, per, scale);
  }

  /** out[m × size(from)] += scale · Fᵀ(inp[m × size(to)]) with the edge's own feedback (symmetric: Wᵀ; random: B). */
  feedback(e: NetEdge, inp: Float32Array, m: number, scale: number, out: Float32Array): void {
    if (e.feedback === 'none') return;
    this.backward(e, inp, m, scale, out, e.feedback === 'symmetric' ? 'transposed' : 'random');
  }

  /** out[m × size(from)] += scale · Mᵀ(inp) through the transposed matrix or the random one (BP / FA). */
  backward(e: NetEdge, inp: Float32Array, m: number, scale: number, out: Float32Array, path: 'transposed' | 'random'): void {
    const cb = this.conv[e.index];
    if (!cb || !e.conv) {
      if (path === 'transposed') this.exec.transposed(e, inp, m, scale, out);
      else this.exec.randomFeedback(e, inp, m, scale, out);
      return;
    }
    const { conv, positions: P } = e.conv;
    const inSize = conv.inChannels * conv.height * conv.width;
    this.toRows(e, cb, inp, m);
    // A chunk of samples at a time: the read's output is still in cache when row2im adds it up.
    for (let s0 = 0; s0 < m; s0 += cb.chunk) {
      const mc = Math.min(cb.chunk, m - s0);
      const rows = cb.rows.subarray(s0 * P * e.rows, (s0 + mc) * P * e.rows);
      const back = cb.back.subarray(0, mc * P * e.cols);
      back.fill(0);
      if (path === 'transposed') this.exec.transposed(e, rows, mc * P, scale, back);
      else this.exec.randomFeedback(e, rows, mc * P, scale, back);
      this.layout.row2im(conv, mc, back, s0 === 0 ? out : out.subarray(s0 * inSize));
    }
  }

  /**
   * g = scale · post ⊗ pre summed over the batch (and over positions on conv edges), and
   * gBias = scale · Σ post. A dense edge needs `pre`. A conv edge takes its receptive fields and
   * argmax from `pre` (the forward is recomputed on it: one more read), from the latest forward
   * ('latest': BP), or from keep() ('kept': EP keeps those of the nudged phase's first step, whose
   * forward reads the free state s⁰ — no extra read). gBias may be null (no bias or not trained).
   */
  update(
    e: NetEdge,
    post: Float32Array,
    pre: UpdateSource,
    m: number,
    scale: number,
    g: Float32Array | null,
    gBias: Float32Array | null,
  ): void {
    const cb = this.conv[e.index];
    if (!cb || !e.conv) {
      if (!(pre instanceof Float32Array)) throw new Error(`EdgeOps.update: dense edge ${e.name} needs its pre-synaptic state`);
      if (g) this.exec.outer(e, post, pre, m, scale, g);
      if (gBias) sumCols(post, m, e.rows, scale, gBias);
      return;
    }
    const P = e.conv.positions;
    if (pre instanceof Float32Array) this.forward(e, pre, m, 0, this.sink(e, m));
    const kept = pre === 'kept';
    if (kept && (!cb.keptPatches || !cb.keptArgmax)) throw new Error(`EdgeOps.update: nothing kept for conv edge ${e.name}`);
    this.toRows(e, cb, post, m, kept ? cb.keptArgmax! : cb.argmax);
    if (g) this.exec.outer(e, cb.rows, kept ? cb.keptPatches! : cb.patches, m * P, scale, g);
    if (gBias) sumCols(cb.rows, m * P, e.rows, scale, gBias);
  }

  /** Saves every conv edge's receptive fields and argmax of its latest forward (for 'kept'). */
  keep(m: number): void {
    this.net.edges.forEach((e, i) => {
      const cb = this.conv[i];
      if (!cb || !e.conv) return;
      cb.keptPatches ??= new Float32Array(cb.patches.length);
      cb.keptArgmax ??= new Int32Array(cb.argmax.length);
      cb.keptPatches.set(cb.patches.subarray(0, m * e.conv.positions * e.cols));
      cb.keptArgmax.set(cb.argmax.subarray(0, m * (cb.argmax.length / this.maxBatch)));
    });
  }

  /** post[m × size(to)] → unpooled, position-major rows [m·P × O] in cb.rows. */
  private toRows(e: NetEdge, cb: ConvBuffers, post: Float32Array, m: number, argmax: Int32Array = cb.argmax): void {
    const { pool, positions: P, convShape } = e.conv!;
    if (pool?.kind === 'max') {
      this.layout.maxUnpoolRows(pool, convShape, m, post, argmax, cb.rows);
      return;
    }
    let map = post;
    if (pool) {
      poolTranspose(pool, convShape, m, post, cb.map); // avg (max returned above)
      map = cb.map;
    }
    mapsToRows(m, P, e.rows, map, cb.rows);
  }

  private readonly sinks = new Map<number, Float32Array>();
  /** A throw-away target for a forward run only for its side effects (patches, argmax). */
  private sink(e: NetEdge, m: number): Float32Array {
    const n = m * this.targetSize(e);
    let s = this.sinks.get(e.index);
    if (!s || s.length < n) {
      s = new Float32Array(this.maxBatch * this.targetSize(e));
      this.sinks.set(e.index, s);
    }
    return s;
  }
}

/** out[b, r, q] += scale·bias[r] for a [m × R × per] block. */
export function addRowBias(out: Float32Array, bias: Float32Array, m: number, R: number, per: number, scale: number): void {
  for (let b = 0; b < m; b++) {
    for (let r = 0; r < R; r++) {
      const v = scale * bias[r];
      const o = (b * R + r) * per;
      for (let q = 0; q < per; q++) out[o + q] += v;
    }
  }
}

/** g[c] = scale · Σ_i rows[i, c] for rows [n × C]. */
function sumCols(rows: Float32Array, n: number, C: number, scale: number, g: Float32Array): void {
  // Column by column with a float64 sum (n reaches m·positions, thousands of rows).
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += rows[i * C + c];
    g[c] = scale * s;
  }
}
