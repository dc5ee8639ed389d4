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
import type { Activation } from '../../graph/spec';
import type { Executor } from '../executor';
import { mapsToRows, rowsToMaps } from '../conv/im2row';
import { layoutFor, type LayoutKernels } from '../conv/layout-kernels';
import { poolForward, poolTranspose } from '../conv/pool';
import { mapFeedbackRows, repoolRows as repoolRowsTs } from '../conv/pool-rows';

interface ConvBuffers {
  /** [m·P × C·k·k] receptive fields for an update (filled by im2row once per update, not per read). */
  patches: Float32Array;
  /** [chunk·P × C·k·k] receptive fields of one chunk of a read: stays in cache from im2row to the GEMM. */
  chunkPatches: Float32Array;
  /** [m·P × O] conv output, position-major (the executor's layout): unpooled rows for an update,
   *  and a read's output on unpooled or average-pooled edges. */
  rows: Float32Array;
  /** [chunk·P × O] one chunk of a max-pooled read's output or of the unpooled feedback. */
  chunkRows: Float32Array;
  /** [m × O × P] conv output (pre-pool map, NCHW). */
  map: Float32Array;
  /** [m × size(to)] pooled drive (pooled edges only). */
  pooled: Float32Array;
  /**
   * argmax of the last max-pool, per chunk of samples: for sample b of the chunk starting at s0,
   * argmax[s0·size + i] = (b′·O + o)·P + q with b′ = b − s0 (pool-rows.ts; chunk-local, since the
   * pool runs on each chunk's rows while they are in cache). Every user walks the same chunks.
   */
  argmax: Int32Array;
  /** [chunk·P × C·k·k] transposed read before row2im, one chunk of samples at a time. */
  back: Float32Array;
  /** Samples per im2row + read (+ pool, or unpool + row2im): the executor's convChunkBytes of patches, ≥ 1. */
  chunk: number;
  /** The input of the latest forward read and its batch size: 'latest' updates im2row it again
   *  (the engines leave it unchanged until the update). */
  lastInput: Float32Array | null;
  lastM: number;
  /** Copies of the input and argmax taken by keep() (EP: those of the free state s⁰). */
  keptInput: Float32Array | null;
  keptArgmax: Int32Array | null;
  /** [m·P × O] the latest forward read's conv values, kept for a 'map' feedback (pool.feedback) or a
   *  'state' winner (pool.winner); else null. */
  mapRows: Float32Array | null;
  /** A 'state' winner's pre-pool state map (pool.winner); else null. */
  winner: WinnerState | null;
  /** A 'state' winner's map as keep() found it (EP: the free phase's last), for the update; else null. */
  keptMap: Float32Array | null;
  /** Forward reads made (a 'state' winner rebuilds its map from a new read). */
  reads: number;
}

/**
 * The pre-pool state map X of an edge with pool.winner 'state' ([m·P × O], rows layout) and its windows'
 * winners (the argmax format), as the last repool() left them (valid when `has`). One buffer each: within
 * a step the edge's feedback (into `from`) reads them before the repool of `to` rewrites them, which
 * needs `from` before `to` in the engine's layer order (EpEngine checks it).
 */
interface WinnerState {
  map: Float32Array;
  winners: Int32Array;
  has: boolean;
  /** Per pooled unit: the window position that carries the extra in `map` (−1: none), so the next repool
   *  restores that unit to its own drive instead of rebuilding the whole map. */
  extraAt: Int32Array;
  /** Per pooled unit: the window's largest conv value of the read `map` was built from. */
  zmax: Float32Array;
  /** Per pooled unit: the window's first unit of largest key of the map as rebuilt from the read. */
  first: Int32Array;
  /** Per pooled unit: the window's first unit of largest key other than `first` (−1: none). */
  runner: Int32Array;
  /** The EdgeOps read count `map` was built from (a new read rebuilds it). */
  read: number;
  /** ρ of the kept map, formed by an update (allocated at the first). */
  scratch?: Float32Array;
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
        chunkPatches: new Float32Array(chunk * P * e.cols),
        rows: buf(P * e.rows),
        chunkRows: new Float32Array(chunk * P * e.rows),
        map: buf(toSize),
        pooled: buf(pooledSize),
        argmax: new Int32Array(maxBatch * argmaxSize),
        back: new Float32Array(chunk * P * e.cols),
        lastInput: null,
        lastM: 0,
        keptInput: null,
        keptArgmax: null,
        keptMap: null,
        mapRows: readsMap(e) || winnerState(e) ? buf(P * e.rows) : null,
        winner: winnerState(e)
          ? {
              map: buf(P * e.rows),
              winners: new Int32Array(maxBatch * argmaxSize),
              has: false,
              extraAt: new Int32Array(maxBatch * argmaxSize),
              zmax: new Float32Array(maxBatch * argmaxSize),
              first: new Int32Array(maxBatch * argmaxSize),
              runner: new Int32Array(maxBatch * argmaxSize),
              read: -1,
            }
          : null,
        reads: 0,
      };
    });
  }

  /** The matrix of an executor whose reads are exact sgemms (the ideal one) when the native fused conv
   *  reads exist; else null (the chunk loops below, through the executor). */
  private exactMatrix(e: NetEdge): Float32Array | null {
    return this.layout.convForwardMax && this.exec.exactMatrix && this.exec.forwardInto ? this.exec.exactMatrix(e) : null;
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
    const maxPooled = pool?.kind === 'max';
    const toSize = this.targetSize(e);
    cb.lastInput = inp;
    cb.lastM = m;
    cb.reads++;
    // A 'map' feedback or a 'state' winner needs the read's pre-pool rows, which the fused native read does not keep.
    const w = maxPooled && !cb.mapRows ? this.exactMatrix(e) : null;
    if (w && this.layout.convForwardMax) {
      // The loop below in one native call, its chunks on both cores (layout-kernels.ts).
      this.layout.convForwardMax(conv, pool!, m, inp, w, out, cb.argmax, scale, bias ?? null, cb.chunk);
      return;
    }
    // A chunk of samples at a time, from im2row through the read to the pool: the patches are
    // still in cache when the read consumes them, and the read's rows when the pool does (the
    // patches are not kept: an update im2rows its input once, see update()).
    for (let s0 = 0; s0 < m; s0 += cb.chunk) {
      const mc = Math.min(cb.chunk, m - s0);
      const patches = cb.chunkPatches.subarray(0, mc * P * e.cols);
      const rows = cb.mapRows
        ? cb.mapRows.subarray(s0 * P * e.rows, (s0 + mc) * P * e.rows)
        : maxPooled
          ? cb.chunkRows.subarray(0, mc * P * e.rows)
          : cb.rows.subarray(s0 * P * e.rows, (s0 + mc) * P * e.rows);
      this.layout.im2row(conv, mc, s0 === 0 ? inp : inp.subarray(s0 * inSize), patches);
      if (this.exec.forwardInto) this.exec.forwardInto(e, patches, mc * P, 1, rows);
      else {
        rows.fill(0);
        this.exec.forward(e, patches, mc * P, 1, rows);
      }
      // Straight from the position-major rows into the drive, bias included (pool-rows.ts).
      if (maxPooled)
        this.layout.maxPoolRows(pool, convShape, mc, rows, out.subarray(s0 * toSize), cb.argmax.subarray(s0 * toSize), scale, bias ?? null);
    }
    if (maxPooled) return;
    rowsToMaps(m, P, e.rows, cb.rows, cb.map);
    let drive = cb.map;
    let per = P;
    if (pool) {
      poolForward(pool, convShape, m, cb.map, cb.pooled); // avg (max returned above)
      drive = cb.pooled;
      per = toSize / e.rows;
    }
    const n = m * e.rows * per;
    for (let i = 0; i < n; i++) out[i] += scale * drive[i];
    if (bias) addRowBias(out, bias, m, e.rows, per, scale);
  }

  /** out[m × size(from)] += scale · Fᵀ(inp[m × size(to)]) with the edge's own feedback (symmetric: Wᵀ; random: B). */
  feedback(e: NetEdge, inp: Float32Array, m: number, scale: number, out: Float32Array): void {
    if (e.feedback === 'none') return;
    const path = e.feedback === 'symmetric' ? 'transposed' : 'random';
    const cb = this.conv[e.index];
    if (cb?.winner) this.stateFeedback(e, cb, cb.winner, inp, m, scale, out, path);
    else if (cb?.mapRows) this.mapFeedback(e, cb, inp, m, scale, out, path);
    else this.backward(e, inp, m, scale, out, path);
  }

  /**
   * A 'map' feedback (graph-format.md `pool.feedback`): the whole pre-pool map of the latest forward read,
   * each unit's own activation with the winners carrying `inp` (the `to` state), read transposed and
   * row2im'd into out, a chunk of samples at a time.
   */
  private mapFeedback(
    e: NetEdge,
    cb: ConvBuffers,
    inp: Float32Array,
    m: number,
    scale: number,
    out: Float32Array,
    path: 'transposed' | 'random',
  ): void {
    const { conv, pool, positions: P, convShape } = e.conv!;
    if (!cb.mapRows || cb.lastM !== m)
      throw new Error(`EdgeOps.feedback: conv edge ${e.name} has no forward read of ${m} samples to feed back the map of`);
    const inSize = conv.inChannels * conv.height * conv.width;
    const toSize = this.targetSize(e);
    const act = this.net.layers[e.to].activation;
    const rho = (buf: Float32Array, n: number) => this.exec.kernels.activate(act, buf, buf, n);
    const bias = this.biases[e.index] ?? null;
    for (let s0 = 0; s0 < m; s0 += cb.chunk) {
      const mc = Math.min(cb.chunk, m - s0);
      const rows = cb.chunkRows.subarray(0, mc * P * e.rows);
      const z = cb.mapRows.subarray(s0 * P * e.rows, (s0 + mc) * P * e.rows);
      mapFeedbackRows(pool!, convShape, mc, z, inp.subarray(s0 * toSize), cb.argmax.subarray(s0 * toSize), e.alpha, bias, rho, rows);
      this.rowsBack(e, cb, rows, mc, scale, s0 === 0 ? out : out.subarray(s0 * inSize), path);
    }
  }

  /** out[mc × size(from)] += scale · row2im(rows · M) for one chunk's unpooled rows [mc·P × O]. */
  private rowsBack(
    e: NetEdge,
    cb: ConvBuffers,
    rows: Float32Array,
    mc: number,
    scale: number,
    out: Float32Array,
    path: 'transposed' | 'random',
  ): void {
    const P = e.conv!.positions;
    const back = cb.back.subarray(0, mc * P * e.cols);
    if (path === 'transposed' && this.exec.transposedInto) this.exec.transposedInto(e, rows, mc * P, scale, back);
    else {
      back.fill(0);
      if (path === 'transposed') this.exec.transposed(e, rows, mc * P, scale, back);
      else this.exec.randomFeedback(e, rows, mc * P, scale, back);
    }
    this.layout.row2im(e.conv!.conv, mc, back, out);
  }

  /**
   * The feedback of an edge with a 'state' winner (pool.winner) reads the state of the last finished
   * step: ρ(X) over the whole map ('map' feedback; X = 0 before the batch's first step), or `inp`
   * (the `to` state) unpooled through X's winners (the read's argmax before the first step).
   */
  private stateFeedback(
    e: NetEdge,
    cb: ConvBuffers,
    ws: WinnerState,
    inp: Float32Array,
    m: number,
    scale: number,
    out: Float32Array,
    path: 'transposed' | 'random',
  ): void {
    const { conv, pool, positions: P, convShape } = e.conv!;
    const inSize = conv.inChannels * conv.height * conv.width;
    const toSize = this.targetSize(e);
    const act = this.net.layers[e.to].activation;
    const map = readsMap(e);
    for (let s0 = 0; s0 < m; s0 += cb.chunk) {
      const mc = Math.min(cb.chunk, m - s0);
      const rows = cb.chunkRows.subarray(0, mc * P * e.rows);
      if (map) {
        // Before the first step there is no X and nothing to feed back (not ρ(0), which the sigmoid's is not).
        if (ws.has) {
          rows.set(ws.map.subarray(s0 * P * e.rows, (s0 + mc) * P * e.rows));
          this.exec.kernels.activate(act, rows, rows, rows.length);
        } else rows.fill(0);
      } else {
        const argmax = ws.has ? ws.winners : cb.argmax;
        this.layout.maxUnpoolRows(pool!, convShape, mc, inp.subarray(s0 * toSize), argmax.subarray(s0 * toSize), rows);
      }
      this.rowsBack(e, cb, rows, mc, scale, s0 === 0 ? out : out.subarray(s0 * inSize), path);
    }
  }

  /** Whether edge e pools with a 'state' winner (pool.winner): the engine calls repool() on its `to`
   *  layer's drive before the activation. */
  repools(e: NetEdge): boolean {
    return this.conv[e.index]?.winner != null;
  }

  /** Forgets every 'state' winner's map (a new batch: the states restart from 0). */
  resetPoolState(): void {
    for (const cb of this.conv) if (cb?.winner) cb.winner.has = false;
  }

  /**
   * pool.winner 'state' (graph-format.md): h[m × size(to)] holds the `to` layer's whole drive, this edge's
   * pooled read included. Per window, the rest of the drive (extra = h − the read's pooled own drive) is
   * placed on the previous step's winner (the read's argmax at the batch's first step), X = α·(z + b) +
   * that over the window, the new winner is the first largest X (of clamp(X, 0, 1) under the activation
   * argmax rule), and h = X there. X is rebuilt only after a new read; otherwise only the units that carry
   * an extra change. Only one unit of a window moves from the rebuilt map, so the winner is that unit or
   * the rebuilt map's best other unit (pool-rows.ts repoolRows; not the read's argmax, which rounding to
   * float32 or a negative α can set apart from X's first largest unit).
   */
  repool(e: NetEdge, h: Float32Array, m: number): void {
    const cb = this.conv[e.index];
    const ws = cb?.winner;
    if (!cb || !ws || !cb.mapRows || !e.conv?.pool) throw new Error(`EdgeOps.repool: edge ${e.name} has no state winner`);
    if (cb.lastM !== m) throw new Error(`EdgeOps.repool: conv edge ${e.name} has no forward read of ${m} samples`);
    const fresh = ws.read !== cb.reads || !ws.has;
    const prev = ws.has ? ws.winners : cb.argmax;
    const repoolRows = this.layout.repoolRows ?? repoolRowsTs;
    const bad = repoolRows(
      e.conv.pool,
      e.conv.convShape,
      m,
      cb.chunk,
      cb.mapRows,
      e.alpha,
      this.biases[e.index] ?? null,
      fresh,
      prev,
      h,
      ws.map,
      ws.winners,
      ws.extraAt,
      ws.zmax,
      ws.first,
      ws.runner,
    );
    if (bad >= 0)
      throw new Error(
        `EdgeOps.repool: the winner ${prev[bad]} (or the kept state) of pooled unit ${bad} of edge ${e.name} is outside its plane`,
      );
    ws.read = cb.reads;
    ws.has = true;
  }

  /** Whether edge e's feedback reads the whole pre-pool map (pool.feedback 'map'): it is not zero when
   *  the `to` state is, since the other units carry their own activations. */
  feedsBackMap(e: NetEdge): boolean {
    return readsMap(e);
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
    const maxPooled = e.conv.pool?.kind === 'max';
    const w = maxPooled && path === 'transposed' ? this.exactMatrix(e) : null;
    if (w && this.layout.convBackwardMax) {
      this.layout.convBackwardMax(conv, e.conv.pool!, m, inp, cb.argmax, w, out, scale, cb.chunk);
      return;
    }
    if (!maxPooled) this.toRows(e, cb, inp, m, cb.argmax, cb.rows);
    const toSize = this.targetSize(e);
    // A chunk of samples at a time: the unpooled rows are still in cache when the read consumes
    // them, and the read's output when row2im adds it up.
    for (let s0 = 0; s0 < m; s0 += cb.chunk) {
      const mc = Math.min(cb.chunk, m - s0);
      let rows: Float32Array;
      if (maxPooled) {
        rows = cb.chunkRows.subarray(0, mc * P * e.rows);
        this.layout.maxUnpoolRows(e.conv.pool!, e.conv.convShape, mc, inp.subarray(s0 * toSize), cb.argmax.subarray(s0 * toSize), rows);
      } else rows = cb.rows.subarray(s0 * P * e.rows, (s0 + mc) * P * e.rows);
      this.rowsBack(e, cb, rows, mc, scale, s0 === 0 ? out : out.subarray(s0 * inSize), path);
    }
  }

  /**
   * Whether feedbackActivate can run edge e's feedback: a max-pooled conv edge with symmetric
   * feedback on an exact executor, with the native fused reads.
   */
  canFeedbackActivate(e: NetEdge): boolean {
    return (
      e.conv?.pool?.kind === 'max' &&
      !readsMap(e) &&
      !winnerState(e) &&
      e.feedback === 'symmetric' &&
      this.exactMatrix(e) !== null &&
      !!this.layout.convBackwardMax
    );
  }

  /**
   * h[m × size(from)] = base (null: 0) + scale · Wᵀ(inp), then s = ρ(h) with `activation`,
   * chunk by chunk while in cache: for a layer whose drive is its input drive and this one feedback
   * (EpEngine). The same floats as h.set(base); feedback(…, h); activate(h, s). Needs canFeedbackActivate(e).
   */
  feedbackActivate(
    e: NetEdge,
    inp: Float32Array,
    m: number,
    scale: number,
    base: Float32Array | null,
    h: Float32Array,
    activation: Activation,
    s: Float32Array,
  ): void {
    const cb = this.conv[e.index];
    const w = this.exactMatrix(e);
    if (!cb || !e.conv || !w || !this.canFeedbackActivate(e)) throw new Error(`EdgeOps.feedbackActivate: edge ${e.name} cannot be fused`);
    this.layout.convBackwardMax!(e.conv.conv, e.conv.pool!, m, inp, cb.argmax, w, h, scale, cb.chunk, { base, s, activation });
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
    // The recomputed read is wanted for its argmax only (into a sink), so scale 0 — except under the
    // activation argmax rule, whose key is ρ(α·(x + b)) and needs the edge's real α.
    if (pre instanceof Float32Array) this.forward(e, pre, m, e.conv.pool?.argmax === 'activation' ? e.alpha : 0, this.sink(e, m));
    const kept = pre === 'kept';
    if (kept && (!cb.keptInput || !cb.keptArgmax)) throw new Error(`EdgeOps.update: nothing kept for conv edge ${e.name}`);
    if (!kept && (!cb.lastInput || cb.lastM !== m))
      throw new Error(`EdgeOps.update: conv edge ${e.name} has no forward read of ${m} samples to update from`);
    if (kept && cb.winner && cb.keptMap) this.stateDiffRows(e, cb, cb.winner, cb.keptMap, m, cb.rows);
    else this.toRows(e, cb, post, m, kept ? cb.keptArgmax! : cb.argmax, cb.rows);
    if (g) {
      // The receptive fields of the read's input, formed once here rather than kept from every read.
      this.layout.im2row(e.conv.conv, m, kept ? cb.keptInput! : cb.lastInput!, cb.patches);
      this.exec.outer(e, cb.rows, cb.patches, m * P, scale, g);
    }
    if (gBias) sumCols(cb.rows, m * P, e.rows, scale, gBias);
  }

  /** Saves every conv edge's latest forward input and argmax (for 'kept'): the input is left
   *  unchanged until keep() runs (EP keeps s⁰ right after the nudged phase's first forward reads). */
  keep(m: number): void {
    this.net.edges.forEach((e, i) => {
      const cb = this.conv[i];
      if (!cb || !e.conv) return;
      if (!cb.lastInput || cb.lastM !== m) throw new Error(`EdgeOps.keep: conv edge ${e.name} has no forward read of ${m} samples to keep`);
      const c = e.conv.conv;
      const inSize = c.inChannels * c.height * c.width;
      cb.keptInput ??= new Float32Array(this.maxBatch * inSize);
      cb.keptArgmax ??= new Int32Array(cb.argmax.length);
      cb.keptInput.set(cb.lastInput.subarray(0, m * inSize));
      cb.keptArgmax.set(cb.argmax.subarray(0, m * (cb.argmax.length / this.maxBatch)));
      // A 'state' winner's update reads the state maps' difference (update()): keep the free one.
      const ws = cb.winner;
      if (ws) {
        cb.keptMap ??= new Float32Array(ws.map.length);
        if (ws.has) cb.keptMap.set(ws.map.subarray(0, m * e.conv.positions * e.rows));
        else cb.keptMap.fill(0);
      }
    });
  }

  /**
   * rows = ρ(X) − ρ(X_kept) over the whole pre-pool map: a 'state' winner's learning signal (pool.winner),
   * the difference of the state maps of the nudged and the free phase, as the notebook's update takes
   * ρ(x^β) − ρ(x⁰) of its pre-pool states. Its sign is that of s^β − s⁰, which the caller's `post` holds.
   */
  private stateDiffRows(e: NetEdge, cb: ConvBuffers, ws: WinnerState, kept: Float32Array, m: number, rows: Float32Array): void {
    const n = m * e.conv!.positions * e.rows;
    if (!ws.has) throw new Error(`EdgeOps.update: conv edge ${e.name} has no state map to update from`);
    const act = this.net.layers[e.to].activation;
    const a = rows.subarray(0, n);
    ws.scratch ??= new Float32Array(ws.map.length);
    const b = ws.scratch.subarray(0, n);
    this.exec.kernels.activate(act, ws.map, a, n);
    this.exec.kernels.activate(act, kept, b, n);
    for (let i = 0; i < n; i++) a[i] -= b[i];
  }

  /** post[m × size(to)] → unpooled, position-major rows [m·P × O] (max: chunk by chunk, as the argmax). */
  private toRows(e: NetEdge, cb: ConvBuffers, post: Float32Array, m: number, argmax: Int32Array, rows: Float32Array): void {
    const { pool, positions: P, convShape } = e.conv!;
    if (pool?.kind === 'max') {
      const toSize = this.targetSize(e);
      for (let s0 = 0; s0 < m; s0 += cb.chunk) {
        const mc = Math.min(cb.chunk, m - s0);
        this.layout.maxUnpoolRows(
          pool,
          convShape,
          mc,
          post.subarray(s0 * toSize),
          argmax.subarray(s0 * toSize),
          rows.subarray(s0 * P * e.rows),
        );
      }
      return;
    }
    let map = post;
    if (pool) {
      poolTranspose(pool, convShape, m, post, cb.map); // avg (max returned above)
      map = cb.map;
    }
    mapsToRows(m, P, e.rows, map, rows);
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

function readsMap(e: NetEdge): boolean {
  return e.conv?.pool?.kind === 'max' && e.conv.pool.feedback === 'map' && e.feedback !== 'none';
}

function winnerState(e: NetEdge): boolean {
  return e.conv?.pool?.kind === 'max' && e.conv.pool.winner === 'state';
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
  // Float64 sums (n reaches m·positions, tens of thousands of rows), row by row through memory: each
  // column's sum is the same sequence of additions as walking the column (rows[0, c], rows[1, c], …),
  // without the stride-C pass per column (0.4 ms per mnist-conv sample, a whole step's engine time).
  const acc = sumColsScratch.length >= C ? sumColsScratch : (sumColsScratch = new Float64Array(C));
  acc.fill(0, 0, C);
  for (let i = 0; i < n; i++) {
    const o = i * C;
    for (let c = 0; c < C; c++) acc[c] += rows[o + c];
  }
  for (let c = 0; c < C; c++) g[c] = scale * acc[c];
}
let sumColsScratch = new Float64Array(0);
