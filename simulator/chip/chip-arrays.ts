/**
 * The programmed arrays of a netlist as the chip's physics sees them: every edge's W (and random
 * feedback B) on noisy, stuck, drifted devices (devices.ts), and one array read — the netlist's
 * ArrayRead / ArrayReadTransposed op — as DAC(x) through the tile's devices with the read noise of
 * every device, in normalised units (÷ w_max), ready for the array's ADC (periphery.ts). Batched on
 * the kernel backend, noise generated in bulk. The interpreter (interpreter.ts) decides what is read
 * when; this file only knows arrays.
 */
import type { ChipDescription } from '../../hw-models/chip';
import type { ArrayTile, EdgeTiles } from '../../netlist/tiles';
import type { Kernels } from '../kernels/kernels';
import { loadNativeAddon, NATIVE_BACKEND_NAME } from '../kernels/native';
import type { NoiseSource } from '../noise';
import { DeviceMatrix, type DeviceOptions } from './devices';
import { adcOf, convertOver, NeuronUnit, quantiser, type Adc, type PeripheryNative, type Quantiser } from './periphery';

/** One array: its tile of a matrix and the device matrix that tile lives in. */
export interface ChipArray {
  tile: ArrayTile;
  edge: number;
  dev: DeviceMatrix;
}

export class ChipArrays {
  /** Per edge: W's devices, and B's for random feedback. */
  readonly W: DeviceMatrix[];
  readonly B: (DeviceMatrix | undefined)[];
  /** Indexed by array id. */
  readonly arrays: ChipArray[];
  readonly dac: Quantiser;
  readonly adc: Adc;
  readonly neuron: NeuronUnit;
  /** The native periphery loops (null: TypeScript loops). */
  readonly native: PeripheryNative;
  private xq: Float32Array = new Float32Array(0);
  private x2: Float32Array = new Float32Array(0);
  private part2: Float32Array = new Float32Array(0);
  private norms: Float32Array = new Float32Array(0);
  private xs: Float32Array = new Float32Array(0);
  /** Noise management (abs-max): per array, the latest read's scale of each sample (input row), in the
   *  array's own buffer (ownScales; a shared prepared input's are copied: another read may re-prepare it). */
  private readonly scales: Float32Array[] = [];
  private readonly ownScales: Float32Array[] = [];
  /** Prepared inputs (noise management, DAC, Σx²) per input slice, reused by every array that reads the
   *  same slice of the same buffer version (the row tiles of one column block: same lines, same scale,
   *  same codes), so each slice is prepared once per version, not once per array. Keyed by the buffer, then
   *  by the slice and the settings, so reads of different buffers (run side by side by runReads) never
   *  share or overwrite an entry. */
  private readonly prepCache = new Map<Float32Array, Map<string, PreparedInput>>();
  /** Per array: the buffer its deferred read noise is drawn into (normalVarBegin). */
  private readonly noiseBufs: Float32Array[] = [];
  /** A read whose noise is being drawn on the chip threads and not yet added: the next conversion of
   *  that array adds it (convertAccumulate), anything else settles it into the array's part first. */
  private pending: { id: number; part: Float32Array; n: number; noise: Float32Array } | null = null;
  /** Noise management abs-max: reads scale their inputs per sample (so shared DAC codes do not apply). */
  readonly absMax: boolean;
  /** Per array: the drift-compensation factor (1 = none). */
  readonly driftGains: number[];
  /** Differential pairs converted side by side (adc.pairConversion 'each-side'): per array, the latest
   *  read's G+ and G− line sums [n × lines], before conversion. */
  readonly eachSide: boolean;
  private readonly sidePlus: Float32Array[] = [];
  private readonly sideMinus: Float32Array[] = [];
  /** Low-frequency read noise on (crossbar.lowFrequencyReadNoise.sigma > 0). */
  readonly lowFrequency: boolean;
  /** Reads can be queued and run side by side (queueRead, runReads): the native batch is there and the
   *  chip's reads are ones it does (no each-side conversion, no low-frequency noise, read noise relative to
   *  the range or none, the noise source's native stream when there is noise). */
  readonly batchable: boolean;
  private queued = 0;
  private readonly queueBufs: Float32Array[] = [];
  private queueNums = new Float64Array(0);
  private readonly queueRowVar: Float32Array[] = [];
  /** The queued reads' input preparations (readPrep's arguments: 4 buffers and 10 numbers each), run first by readBatch. */
  private prepQueued = 0;
  private readonly prepBufs: Float32Array[] = [];
  private prepNums = new Float64Array(0);

  constructor(
    tiles: EdgeTiles[],
    readonly chip: ChipDescription,
    readonly kernels: Kernels,
    readonly noise: NoiseSource,
    opts: DeviceOptions,
  ) {
    this.W = tiles.map((t) => new DeviceMatrix(t.rows, t.cols, t.wMax, t.weight, chip, noise, opts));
    this.B = tiles.map((t) =>
      t.feedback.length ? new DeviceMatrix(t.cols, t.rows, t.feedbackWMax ?? 1, t.feedback, chip, noise, opts) : undefined,
    );
    this.arrays = [];
    tiles.forEach((t, e) => {
      for (const a of t.weight) this.arrays[a.array] = { tile: a, edge: e, dev: this.W[e] };
      for (const a of t.feedback) this.arrays[a.array] = { tile: a, edge: e, dev: this.B[e]! };
    });
    // The periphery's per-element loops run natively alongside the native kernels.
    const native = kernels.name === NATIVE_BACKEND_NAME ? loadNativeAddon() : null;
    const [lo, hi] = chip.periphery.dac.inputRange;
    this.dac = quantiser(chip.periphery.dac.bits, lo, hi, native);
    this.adc = adcOf(chip, native);
    this.neuron = new NeuronUnit(chip, kernels, noise, native);
    this.native = native;
    for (const d of [...this.W, ...this.B]) if (d) d.native = native;
    this.absMax = chip.periphery.adc.noiseManagement === 'abs-max';
    // Global drift compensation: one digital factor per array, measured once after the drift.
    this.driftGains = this.arrays.map((a) => a.dev.driftGain(a.tile));
    this.eachSide = chip.periphery.adc.pairConversion === 'each-side' && chip.crossbar.cell === 'differential';
    if (this.eachSide && chip.crossbar.wireResistanceOhm > 0)
      throw new Error(
        'chip: periphery.adc.pairConversion "each-side" with crossbar.wireResistanceOhm > 0 is not simulated (the IR-drop model ' +
          'gives the pair\'s difference, not each side); set wireResistanceOhm to 0 or pairConversion to "difference"',
      );
    this.lowFrequency = chip.crossbar.lowFrequencyReadNoise.sigma > 0;
    const rn = chip.crossbar.readNoise;
    const noisy = rn.sigma > 0 || this.adc.noiseVariance > 0;
    this.batchable =
      !!native?.readBatch &&
      !!native.chipThreads &&
      !!native.readPrep &&
      !this.eachSide &&
      !this.lowFrequency &&
      (rn.sigma === 0 || rn.relativeTo === 'range') &&
      (!noisy || !!noise.nativeState);
  }

  /** Queued reads run side by side now: batchable, more than one chip thread (with one, the sequential
   *  reads, whose conversion and accumulation run as one pass, are the faster; the bytes are the same) and
   *  OpenBLAS on one thread (each read's GEMM runs on one BLAS thread; OpenBLAS's threaded sgemm does not
   *  always give those bytes, so with several BLAS threads the reads stay sequential, their GEMMs threaded). */
  batching(): boolean {
    return this.batchable && this.native!.chipThreads!() > 1 && this.native!.getThreads() === 1;
  }

  /**
   * Runs f with OpenBLAS on one thread and restores the count after. The chip's parallelism is its
   * own threads (reads side by side, update blocks); OpenBLAS's threaded sgemm does not always give
   * the one-thread bytes, so a chip run on one BLAS thread is the same run whatever OPENBLAS_NUM_THREADS
   * and FRE_CHIP_THREADS say, and its reads can batch under default settings.
   */
  withOneBlasThread<T>(f: () => T): T {
    const threads = this.native ? this.native.getThreads() : -1;
    if (threads <= 1) return f();
    // The conv layout's threads (native/conv.c share_mode) are decided once per process, from OpenBLAS's
    // thread count at the first layout call. Decide them now, from the process's count: a chip run on a conv
    // net makes that first call inside f, and would otherwise fix them at one thread for good (the ideal
    // executor's conv reads then lose their helper, and run their chunks' GEMMs on several BLAS threads).
    this.native!.layoutThreads?.();
    this.native!.setThreads(1);
    try {
      return f();
    } finally {
      this.native!.setThreads(threads);
    }
  }

  /** Draws the low-frequency read-noise offsets of m samples on every matrix (a no-op without them). */
  drawLowFrequency(m: number): void {
    if (!this.lowFrequency) return;
    for (const d of this.W) d.drawLowFrequency(m, this.noise);
    for (const d of this.B) d?.drawLowFrequency(m, this.noise);
  }

  /**
   * The ADC of one array's latest read under each-side conversion: each side's n values converted on
   * their own (clip at ±fullScale, round to step), part[0, n) = ADC(G+) − ADC(G−). Returns the
   * clipped conversions of both sides.
   */
  convertSides(id: number, n: number, fullScale: number, step: number, part: Float32Array): number {
    const p = this.sidePlus[id];
    const m = this.sideMinus[id];
    const clipped = convertOver(p, n, fullScale, step, this.native) + convertOver(m, n, fullScale, step, this.native);
    for (let i = 0; i < n; i++) part[i] = p[i] - m[i];
    return clipped;
  }

  /** Under each-side conversion: how many of sample row r's lines clip on either side (bound management). */
  sidesOver(id: number, r: number, lines: number, fullScale: number): number {
    let over = 0;
    for (const side of [this.sidePlus[id], this.sideMinus[id]]) {
      for (let j = r * lines; j < (r + 1) * lines; j++) if (side[j] > fullScale || side[j] < -fullScale) over++;
    }
    return over;
  }

  /** out[0, n) = DAC(x[0, n)): the input quantiser over a whole vector (a no-op copy when float). */
  quantise(x: Float32Array, n: number, out: Float32Array): void {
    this.dac.apply(x, out, n);
  }

  /** Realises the optimiser's requested weights on the devices of every trained edge. */
  commit(trainable: readonly boolean[]): void {
    // The native row-programmed commits are queued and run together (one pool job over every matrix's blocks:
    // less time with one chip thread finishing a matrix while the other waits); each took its draw from the
    // chip's stream in edge order as it was queued, so the bytes are those of the commits one by one.
    // Whatever throws part-way, the commits queued before it run and end (commitQueued) before this returns or
    // rethrows, as the commits one by one would have been made: nothing stays queued, no matrix half done.
    const run = this.native?.pulsedCommitRun;
    const queued: DeviceMatrix[] = [];
    try {
      this.W.forEach((d, e) => {
        if (trainable[e] && d.commit(this.noise, !!run)) queued.push(d);
      });
    } finally {
      if (queued.length > 0) {
        run!();
        for (const d of queued) d.commitQueued();
      }
    }
  }

  /** Per edge: distinct cells of W that in-situ updates drove to a bound. */
  boundHits(): number[] {
    return this.W.map((d) => d.boundHits);
  }

  /** Per edge, IR drop's relative error of the weights its reads see (0 without wire resistance). */
  irDrop(): number[] {
    return this.W.map((d) => d.irDropError());
  }

  /** potentiate-only pairs: refreshes so far, per edge. */
  refreshes(): number[] {
    return this.W.map((d) => d.refreshes);
  }

  /** potentiate-only pairs: device pulses of all refreshes so far (all edges: RESETs and rewrites). */
  refreshPulses(): number {
    return this.W.reduce((a, d) => a + d.refreshPulses, 0);
  }

  /** Update pulses applied so far (all edges). */
  pulses(): number {
    return this.W.reduce((a, d) => a + d.pulses, 0);
  }

  /**
   * One read of array `id`: part[n × lines] = DAC(x)·(tile)ᵀ / w_max (forward: x drives the tile's
   * columns, part has its rows) or DAC(x)·tile / w_max (transposed: x drives the rows), plus the
   * read noise of every device and (folded into the same draw) the ADC's output noise. x is
   * [n × ldx]; the tile's input lines are its columns [x0, x0 + width) of x. `dacDone`: x already
   * went through the DAC (quantise()), as when several arrays read the same vector (never with noise
   * management). inputScale multiplies the DAC's input after noise management (bound management's
   * halved re-reads). Row r of x belongs to sample ⌊(row0 + r) / rowsPerSample⌋ (which low-frequency
   * read-noise offsets it sees; a conv edge reads rowsPerSample patches per sample).
   */
  read(
    id: number,
    transposed: boolean,
    x: Float32Array,
    ldx: number,
    x0: number,
    n: number,
    part: Float32Array,
    dacDone = false,
    inputScale = 1,
    row0 = 0,
    rowsPerSample = 1,
    srcVersion?: number,
    deferNoise = false,
  ): void {
    this.settle();
    const { tile: t, dev } = this.arrays[id];
    const C = dev.cols;
    const iLen = transposed ? t.rowEnd - t.rowBegin : t.colEnd - t.colBegin;
    const oLen = transposed ? t.colEnd - t.colBegin : t.rowEnd - t.rowBegin;
    const prepared = this.prepareInput(id, dev, x, ldx, x0, n, iLen, dacDone, inputScale, srcVersion);
    const { xs, ld, off } = prepared;
    const normsDone = prepared.rowVar !== null;
    const rowVar = prepared.rowVar ?? this.norms;
    const w0 = t.rowBegin * C + t.colBegin;
    const mm = (a: number, M: Float32Array, out: Float32Array, rows = n, xo = off, oo = 0, beta = 0) =>
      this.kernels.gemm(
        'N',
        transposed ? 'N' : 'T',
        rows,
        oLen,
        iLen,
        a,
        xs.subarray(xo),
        ld,
        M.subarray(w0),
        C,
        beta,
        out.subarray(oo),
        oLen,
      );
    if (this.eachSide) {
      // Each side's lines sensed on their own: G+ and G− sums, each with its devices' read noise and
      // its own converter's output noise; their difference stands in part until convertSides().
      const { plus, minus } = dev.sideUnits();
      const P = (this.sidePlus[id] = grow(this.sidePlus[id] ?? new Float32Array(0), n * oLen));
      const M = (this.sideMinus[id] = grow(this.sideMinus[id] ?? new Float32Array(0), n * oLen));
      mm(1, plus, P);
      mm(1, minus, M);
      if (this.lowFrequency) {
        for (let r = 0; r < n; r++) {
          const lf = dev.lowFrequency(Math.floor((row0 + r) / rowsPerSample));
          if (!lf) continue;
          mm(1, lf.plus, P, 1, off + r * ld, r * oLen, 1);
          mm(1, lf.minus!, M, 1, off + r * ld, r * oLen, 1);
        }
      }
      this.addSideNoise(t, dev, 'plus', transposed, xs, ld, off, n, iLen, oLen, P);
      this.addSideNoise(t, dev, 'minus', transposed, xs, ld, off, n, iLen, oLen, M);
      for (let i = 0; i < n * oLen; i++) part[i] = P[i] - M[i];
      return;
    }
    const begin = this.native?.normalVarBegin;
    const state = this.noise.nativeState;
    if (deferNoise && begin && state && !this.lowFrequency) {
      // The noise's draws start on the chip threads (the same key from the chip's stream, taken here as
      // before) while this thread runs the GEMM; the array's conversion adds them (convertAccumulate).
      // Without a worker to run them (one chip thread, a small read) the key is taken here and the draws are
      // made by the conversion, row by row as it converts (normalVarDefer), or else in place after the GEMM.
      const nz = (this.noiseBufs[id] = grow(this.noiseBufs[id] ?? new Float32Array(0), n * oLen));
      const defer = this.native?.normalVarDefer;
      let started = false;
      let later: [Float32Array | null, Float32Array | null, number] | null = null;
      this.addLineNoise(t, dev, transposed, xs, ld, off, n, iLen, oLen, part, normsDone ? rowVar : null, (rv, ev, cv) => {
        started = begin(state, nz, n, oLen, rv ?? EMPTY, ev ?? EMPTY, cv);
        if (!started && defer) started = defer(state, nz, n, oLen, rv ?? EMPTY, ev ?? EMPTY, cv);
        if (!started) later = [rv, ev, cv];
      });
      try {
        this.gemmOrZero(mm, xs, ld, off, n, iLen, oLen, dev, part);
      } catch (e) {
        // No job may outlive the read that started it unrecorded: it writes nz and reads rowVar/elemVar.
        if (started) this.native!.normalVarSettle!(part, nz, 0);
        throw e;
      }
      if (started) this.pending = { id, part, n: n * oLen, noise: nz };
      else if (later) this.noise.addNormalVar(part, n, oLen, ...(later as [Float32Array | null, Float32Array | null, number]));
      return;
    }
    this.gemmOrZero(mm, xs, ld, off, n, iLen, oLen, dev, part);
    if (this.lowFrequency) {
      // The held per-device offsets of each row's sample: + for G+, − for G− (offset column: W = 2(u − ½)).
      for (let r = 0; r < n; r++) {
        const lf = dev.lowFrequency(Math.floor((row0 + r) / rowsPerSample));
        if (!lf) continue;
        mm(lf.minus ? 1 : 2, lf.plus, part, 1, off + r * ld, r * oLen, 1);
        if (lf.minus) mm(-1, lf.minus, part, 1, off + r * ld, r * oLen, 1);
      }
    }
    this.addLineNoise(t, dev, transposed, xs, ld, off, n, iLen, oLen, part, normsDone ? rowVar : null);
  }

  /**
   * Queues one read for runReads (the reads of one iteration that run side by side): the same read as
   * read() followed by convertAndRescale(id, part, n, lines, fullScale, step), prepared here (noise
   * management, DAC, the per-row noise variances when that pass makes them), run by runReads. The caller
   * guarantees that nothing writes x, and no other read writes part, until runReads returns; only when
   * batchable (dense reads: no each-side conversion, no low-frequency noise, read noise relative to the
   * range or none).
   */
  queueRead(
    id: number,
    transposed: boolean,
    x: Float32Array,
    ldx: number,
    x0: number,
    n: number,
    part: Float32Array,
    dacDone: boolean,
    srcVersion: number,
    fullScale: number,
    step: number,
  ): void {
    this.settle();
    const { tile: t, dev } = this.arrays[id];
    const iLen = transposed ? t.rowEnd - t.rowBegin : t.colEnd - t.colBegin;
    const oLen = transposed ? t.colEnd - t.colBegin : t.rowEnd - t.rowBegin;
    const { xs, ld, off, rowVar, scales } = this.prepareInput(id, dev, x, ldx, x0, n, iLen, dacDone, 1, srcVersion, true);
    // A prepared input another queued read may re-prepare (not a shared entry) would not survive the queue.
    if (xs === this.xq || xs === this.xs) throw new Error(`chip: array ${id}'s queued read has no prepared input of its own`);
    const j = this.queued;
    const spec = this.chip.crossbar.readNoise;
    const constVar = this.adc.noiseVariance;
    // Whether the sequential read draws (addLineNoise): read noise, or the ADC's noise alone.
    const noise = spec.sigma > 0 || constVar > 0;
    let rv: Float32Array = EMPTY;
    let normK = 0;
    if (spec.sigma > 0) {
      if (spec.relativeTo !== 'range') throw new Error('chip: queued reads take read noise relative to the range only');
      if (rowVar) rv = rowVar;
      else {
        // Computed by the batch (rowSumSquares' loop), into this read's own buffer.
        rv = this.queueRowVar[j] = grow(this.queueRowVar[j] ?? new Float32Array(0), n);
        normK = DeviceMatrix.cellReadSigma(spec, dev.isDifferential) ** 2;
      }
    }
    this.queueBufs.length = 5 * j;
    this.queueBufs.push(xs, dev.readWeights(), part, rv, this.absMax ? scales! : EMPTY);
    if (this.queueNums.length < 16 * (j + 1)) {
      const grown = new Float64Array(32 * (j + 1));
      grown.set(this.queueNums);
      this.queueNums = grown;
    }
    this.queueNums.set(
      [
        n,
        ld,
        off,
        iLen,
        oLen,
        transposed ? 1 : 0,
        t.rowBegin * dev.cols + t.colBegin,
        dev.cols,
        1 / dev.wMax,
        noise ? 1 : 0,
        normK,
        constVar,
      ].concat([fullScale > 0 ? fullScale : 0, step, this.driftGains[id], 0]),
      16 * j,
    );
    this.queued++;
  }

  /** Runs the queued reads (native readBatch: their input preparations, then whole reads on the chip threads,
   *  the noise keys taken from the chip's stream in queue order) and empties the queue; returns each read's
   *  clipped count. */
  runReads(): number[] {
    const count = this.queued;
    this.queued = 0;
    if (count === 0) return [];
    const preps = this.prepQueued;
    this.prepQueued = 0;
    const state = this.noise.nativeState ?? NO_STATE;
    const batch = this.native!.readBatch!;
    if (count <= READ_BATCH_MAX && preps <= READ_BATCH_MAX)
      batch(state, this.queueBufs, this.queueNums, count, this.prepBufs, this.prepNums, preps);
    else {
      // readBatch takes at most 256 of each (native/periphery.c READ_MAX; a run on small arrays holds more): every
      // preparation first, then the reads in order, in slices. The same passes, and the noise keys taken from the
      // chip's stream in the same read order, so the same bytes.
      const M = READ_BATCH_MAX;
      for (let p = 0; p < preps; p += M)
        batch(
          state,
          [],
          NO_NUMS,
          0,
          this.prepBufs.slice(4 * p, 4 * (p + M)),
          this.prepNums.subarray(10 * p, 10 * (p + M)),
          Math.min(M, preps - p),
        );
      for (let t = 0; t < count; t += M)
        batch(
          state,
          this.queueBufs.slice(5 * t, 5 * (t + M)),
          this.queueNums.subarray(16 * t, 16 * (t + M)),
          Math.min(M, count - t),
          [],
          NO_NUMS,
          0,
        );
    }
    const clipped: number[] = [];
    for (let j = 0; j < count; j++) clipped.push(this.queueNums[16 * j + 15]);
    return clipped;
  }

  /**
   * A read's input lines as the array sees them (the first half of read()): noise management's per-sample
   * scale, inputScale and the DAC applied to x's slice [x0, x0 + iLen) of n rows (natively in one pass,
   * shared with the arrays that read the same slice of the same buffer version), or x itself when none
   * applies. Returns the lines (xs, ld, off), the per-row read-noise variances when that pass computed
   * them (rowVar; null: not computed), and the scales the conversion rescales by (scales: a shared
   * entry's own buffer, which stays as it is until that slice of that buffer changes version). `defer`
   * (queueRead): a shared entry's native pass is queued for readBatch instead of run now.
   */
  private prepareInput(
    id: number,
    dev: DeviceMatrix,
    x: Float32Array,
    ldx: number,
    x0: number,
    n: number,
    iLen: number,
    dacDone: boolean,
    inputScale: number,
    srcVersion: number | undefined,
    defer = false,
  ): { xs: Float32Array; ld: number; off: number; rowVar: Float32Array | null; scales: Float32Array | null } {
    // The DAC sees the tile's input lines: quantise that slice into a dense [n × iLen] block.
    let xs = x;
    let ld = ldx;
    let off = x0;
    const readNoise = this.chip.crossbar.readNoise;
    const normK =
      readNoise.sigma > 0 && readNoise.relativeTo === 'range' ? DeviceMatrix.cellReadSigma(readNoise, dev.isDifferential) ** 2 : 0;
    let normsDone = false;
    let rowVar = this.norms;
    let shared: Float32Array | null = null;
    const prep = this.native?.readPrep;
    const prepped = !!prep && (this.absMax || inputScale !== 1 || (this.dac.active && !dacDone));
    if (prepped) {
      // The same three steps fused in one native pass per row (native/periphery.c readPrep).
      const quantise = this.dac.active && !dacDone;
      const [lo, hi] = this.chip.periphery.dac.inputRange;
      const bits = this.chip.periphery.dac.bits;
      const step = quantise && bits !== 'float' ? (hi - lo) / (2 ** bits - 1) : 0;
      // A slice another array already prepared from this version of x: the same bytes, reused.
      const key = srcVersion !== undefined && inputScale === 1 ? `${x0}:${iLen}:${ldx}:${n}:${normK}:${step}` : null;
      let slices = key ? this.prepCache.get(x) : undefined;
      if (key && !slices) this.prepCache.set(x, (slices = new Map()));
      let c = key ? slices!.get(key) : undefined;
      if (!c || c.x !== x || c.version !== srcVersion || c.normK !== normK || c.step !== step) {
        let s: Float32Array;
        let q: Float32Array;
        let nm: Float32Array;
        if (key) {
          c ??= { x, version: -1, normK, step, xq: new Float32Array(n * iLen), s: new Float32Array(n), norms: new Float32Array(n) };
          slices!.set(key, c);
          [s, q, nm] = [c.s, c.xq, c.norms];
        } else {
          s = this.ownScales[id] = grow(this.ownScales[id] ?? new Float32Array(0), n);
          q = this.xq = grow(this.xq, n * iLen);
          nm = this.norms = grow(this.norms, n);
        }
        if (defer && c) {
          // Queued (queueRead): readBatch runs this pass on the chip threads before the reads that need it.
          this.prepBufs.length = 4 * this.prepQueued;
          this.prepBufs.push(x, q, s, nm);
          if (this.prepNums.length < 10 * (this.prepQueued + 1)) {
            const grown = new Float64Array(20 * (this.prepQueued + 1));
            grown.set(this.prepNums);
            this.prepNums = grown;
          }
          this.prepNums.set([n, ldx, x0, iLen, this.absMax ? 1 : 0, inputScale, lo, hi, step, normK], 10 * this.prepQueued);
          this.prepQueued++;
        } else prep(x, n, ldx, x0, iLen, this.absMax, inputScale, lo, hi, step, normK, q, s, nm);
        if (c) Object.assign(c, { x, version: srcVersion, normK, step });
        this.scales[id] = shared = s;
        xs = q;
        rowVar = nm;
      } else {
        xs = c.xq;
        rowVar = c.norms;
      }
      if (c) shared = c.s;
      // The scales are used later, by this array's conversion: copy a shared entry's, which the next read
      // of another buffer (or version) through the same slice shape re-prepares in place. xq and the norms
      // are used within this read only (a deferred noise is settled before the next read).
      // (Not for a queued read: its conversion in readBatch takes the entry's own scales, which stay as they
      // are until the batch has run.)
      if (c && !defer) this.scales[id] = copyInto((this.ownScales[id] = grow(this.ownScales[id] ?? new Float32Array(0), n)), c.s, n);
      ld = iLen;
      off = 0;
      normsDone = normK > 0;
    } else if (this.absMax || inputScale !== 1) {
      // Noise management: each sample's input lines divided by their largest magnitude (1 for an
      // all-zero input), so they span the DAC's range; the ADC's output is scaled back (rescale()).
      const s = (this.scales[id] = this.ownScales[id] = grow(this.ownScales[id] ?? new Float32Array(0), n));
      shared = s;
      this.xs = grow(this.xs, n * iLen);
      for (let r = 0; r < n; r++) {
        const b = r * ldx + x0;
        let m = 0;
        for (let i = 0; i < iLen; i++) {
          const a = Math.abs(x[b + i]);
          if (a > m) m = a;
        }
        s[r] = this.absMax && m > 0 ? m : 1;
        // Bound management re-reads with the (scaled) input times inputScale (a power of ½).
        const inv = inputScale / s[r];
        for (let i = 0; i < iLen; i++) this.xs[r * iLen + i] = x[b + i] * inv;
      }
      xs = this.xs;
      ld = iLen;
      off = 0;
    }
    if (this.dac.active && !dacDone && !prepped) {
      this.xq = grow(this.xq, n * iLen);
      for (let r = 0; r < n; r++) this.dac.apply(xs.subarray(r * ld + off, r * ld + off + iLen), this.xq.subarray(r * iLen), iLen);
      xs = this.xq;
      ld = iLen;
      off = 0;
    }
    return { xs, ld, off, rowVar: normsDone ? rowVar : null, scales: shared };
  }

  /**
   * The ADC of array `id` over one read kind's range (clip to ±fullScale, round to the step; returns
   * how many values clipped), then rescale(): fused in one native pass when the addon has it.
   */
  convertAndRescale(id: number, part: Float32Array, n: number, lines: number, fullScale: number, step: number): number {
    this.settle();
    const fused = this.native?.adcConvertScaled;
    if (!fused) {
      const clipped = convertOver(part, n * lines, fullScale, step, this.native);
      this.rescale(id, part, n, lines);
      return clipped;
    }
    return fused(part, n, lines, fullScale > 0 ? fullScale : 0, step, this.absMax ? this.scales[id] : EMPTY, this.driftGains[id]);
  }

  /** The signal GEMM of a read, or +0 on every line when the input is all zero (a state that has not
   *  moved yet, through a float DAC): OpenBLAS sums from +0 and 0·w adds ±0, so the bytes are the GEMM's. */
  private gemmOrZero(
    mm: (a: number, M: Float32Array, out: Float32Array) => void,
    xs: Float32Array,
    ld: number,
    off: number,
    n: number,
    iLen: number,
    oLen: number,
    dev: DeviceMatrix,
    part: Float32Array,
  ): void {
    if (allZero(xs, ld, off, n, iLen)) part.fill(0, 0, n * oLen);
    else mm(1 / dev.wMax, dev.readWeights(), part);
  }

  /** Adds a deferred read noise to its array's partial sums (a no-op when none is pending). */
  settle(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    this.native!.normalVarSettle!(p.part, p.noise, p.n);
  }

  /**
   * convertAndRescale, then dst[o0 + r·ld + j] += gain·part[r, j], in one native pass (the same float
   * operations as the two steps: native/periphery.c adcConvertAccumulate); part is left unconverted.
   * Returns how many values clipped.
   */
  convertAccumulate(
    id: number,
    part: Float32Array,
    n: number,
    lines: number,
    fullScale: number,
    step: number,
    dst: Float32Array,
    o0: number,
    ld: number,
    gain: number,
    fused: NonNullable<NonNullable<PeripheryNative>['adcConvertAccumulate']>,
  ): number {
    const scales = this.absMax ? this.scales[id] : EMPTY;
    let noise: Float32Array = EMPTY;
    if (this.pending?.id === id && this.pending.part === part) {
      noise = this.pending.noise;
      this.pending = null;
    } else this.settle();
    return fused(part, n, lines, fullScale > 0 ? fullScale : 0, step, scales, this.driftGains[id], dst, o0, ld, gain, noise);
  }

  /** White read noise of one side's devices (σ per device, no pairing) plus its converter's output
   *  noise, referred to that side's lines (as addLineNoise for a pair). */
  private addSideNoise(
    t: ArrayTile,
    dev: DeviceMatrix,
    side: 'plus' | 'minus',
    transposed: boolean,
    x: Float32Array,
    ld: number,
    off: number,
    n: number,
    iLen: number,
    oLen: number,
    out: Float32Array,
  ): void {
    const spec = this.chip.crossbar.readNoise;
    const constVar = this.adc.noiseVariance;
    if (spec.sigma === 0) {
      if (constVar > 0) this.noise.addNormalVar(out, n, oLen, null, null, constVar);
      return;
    }
    if (spec.relativeTo === 'range') {
      this.norms = grow(this.norms, n);
      for (let r = 0; r < n; r++) {
        let s = 0;
        for (let i = 0; i < iLen; i++) s += x[r * ld + off + i] ** 2;
        this.norms[r] = spec.sigma ** 2 * s;
      }
      this.noise.addNormalVar(out, n, oLen, this.norms, null, constVar);
      return;
    }
    this.x2 = grow(this.x2, n * iLen);
    for (let r = 0; r < n; r++) for (let i = 0; i < iLen; i++) this.x2[r * iLen + i] = x[r * ld + off + i] ** 2;
    // The side's squared conductances, kept by the devices until their next write (not one copy per read).
    const sq = dev.sideSquares()[side];
    this.part2 = grow(this.part2, n * oLen);
    const w0 = t.rowBegin * dev.cols + t.colBegin;
    this.kernels.gemm(
      'N',
      transposed ? 'N' : 'T',
      n,
      oLen,
      iLen,
      spec.sigma ** 2,
      this.x2,
      iLen,
      sq.subarray(w0),
      dev.cols,
      0,
      this.part2,
      oLen,
    );
    this.noise.addNormalVar(out, n, oLen, null, this.part2, constVar);
  }

  /** After the ADC, digitally: multiplies each sample's converted lines back by its noise-management
   *  scale, and by the array's drift-compensation factor (a no-op without either). part is [n × lines]. */
  rescale(id: number, part: Float32Array, n: number, lines: number): void {
    const g = this.driftGains[id];
    if (!this.absMax && g === 1) return;
    const s = this.scales[id];
    for (let r = 0; r < n; r++) {
      const k = (this.absMax ? s[r] : 1) * g;
      if (k === 1) continue;
      for (let j = r * lines; j < (r + 1) * lines; j++) part[j] *= k;
    }
  }

  /**
   * The read noise of every device on every read, referred to the output — a device's Gaussian
   * conductance noise σ makes a line's sum vary with variance σ²·Σ_i (cell factor)·x_i², exact in
   * distribution and one draw per line instead of one per device — plus the ADC's output noise
   * (independent Gaussians add), in normalised units.
   */
  private addLineNoise(
    t: ArrayTile,
    dev: DeviceMatrix,
    transposed: boolean,
    x: Float32Array,
    ld: number,
    off: number,
    n: number,
    iLen: number,
    oLen: number,
    out: Float32Array,
    rowVar: Float32Array | null = null,
    draw: (rowVar: Float32Array | null, elemVar: Float32Array | null, constVar: number) => void = (rv, ev, cv) =>
      this.noise.addNormalVar(out, n, oLen, rv, ev, cv),
  ): boolean {
    const spec = this.chip.crossbar.readNoise;
    const constVar = this.adc.noiseVariance;
    if (spec.sigma === 0) {
      if (constVar > 0) draw(null, null, constVar);
      return constVar > 0;
    }
    if (spec.relativeTo === 'range') {
      // Per-row variances k·Σ x² (readPrep computed them already when it ran: rowVar).
      if (!rowVar) {
        rowVar = this.norms = grow(this.norms, n);
        const k = DeviceMatrix.cellReadSigma(spec, dev.isDifferential) ** 2;
        if (this.native) {
          this.native.rowSumSquares(x, n, ld, off, iLen, k, rowVar);
        } else {
          for (let r = 0; r < n; r++) {
            let s = 0;
            const base = r * ld + off;
            for (let i = 0; i < iLen; i++) s += x[base + i] * x[base + i];
            rowVar[r] = k * s;
          }
        }
      }
      draw(rowVar, null, constVar);
      return true;
    }
    // Relative to the target conductance: variance per line = σ²·Σ_i sqU[line, i]·x_i².
    this.x2 = grow(this.x2, n * iLen);
    if (this.native?.squareRows) this.native.squareRows(x, n, ld, off, iLen, this.x2);
    else for (let r = 0; r < n; r++) for (let i = 0; i < iLen; i++) this.x2[r * iLen + i] = x[r * ld + off + i] ** 2;
    this.part2 = grow(this.part2, n * oLen);
    const sq = dev.squaredUnits();
    const C = dev.cols;
    const w0 = t.rowBegin * C + t.colBegin;
    const k = spec.sigma ** 2;
    if (transposed) this.kernels.gemm('N', 'N', n, oLen, iLen, k, this.x2, iLen, sq.subarray(w0), C, 0, this.part2, oLen);
    else this.kernels.gemm('N', 'T', n, oLen, iLen, k, this.x2, iLen, sq.subarray(w0), C, 0, this.part2, oLen);
    draw(null, this.part2, constVar);
    return true;
  }
}

/** A noise source that draws nothing (the ADC's output noise is folded into the read's draw). */
export const SILENT: NoiseSource = { addNormal: () => undefined, fillUniform: () => undefined, addNormalVar: () => undefined };

const EMPTY = new Float32Array(0);
/** A stream state for a batch that draws nothing (never read: readBatch takes keys only for noisy reads). */
const NO_STATE = new Uint32Array(8);
const NO_NUMS = new Float64Array(0);
/** The reads, and the preparations, one readBatch call takes (native/periphery.c READ_MAX). */
const READ_BATCH_MAX = 256;

/** A read's prepared input slice (ChipArrays.read): which buffer and version it was made from, and the
 *  settings that shaped it. */
interface PreparedInput {
  x: Float32Array;
  version: number | undefined;
  normK: number;
  step: number;
  xq: Float32Array;
  s: Float32Array;
  norms: Float32Array;
}

/** True when x[off + r·ld + i] is ±0 for every r < n, i < len (stops at the first non-zero). */
function allZero(x: Float32Array, ld: number, off: number, n: number, len: number): boolean {
  for (let r = 0; r < n; r++) {
    const b = off + r * ld;
    for (let i = b; i < b + len; i++) if (x[i] !== 0) return false;
  }
  return true;
}

/** dst[0 … n) ← src[0 … n); returns dst. */
function copyInto(dst: Float32Array, src: Float32Array, n: number): Float32Array {
  dst.set(src.subarray(0, n));
  return dst;
}

export function grow(buf: Float32Array, n: number): Float32Array {
  return buf.length >= n ? buf : new Float32Array(n);
}
