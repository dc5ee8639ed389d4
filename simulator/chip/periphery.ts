/**
 * The periphery and neuron unit of the chip description as buffer operations: DAC input
 * quantisation, ADC conversion of partial sums, and the neuron unit's activation implementation,
 * state noise and state register. Each is a no-op when the chip says 'float' / exact / 0.
 */
import type { Activation } from '../../graph/spec';
import type { ActivationImpl, ChipDescription } from '../../hw-models/chip';
import type { Kernels } from '../kernels/kernels';
import { ACTIVATION_CODE, type FreBlasAddon } from '../kernels/native';
import type { NoiseSource } from '../noise';
import { codeOf } from '../../hw-models/quantise';

const EMPTY = new Float32Array(0);

/** The native loops (native/periphery.c) when the fast backend runs; null = the TypeScript loops here. */
export type PeripheryNative = Pick<
  FreBlasAddon,
  | 'quantize'
  | 'adcAccumulate'
  | 'adcConvert'
  | 'tableActivate'
  | 'rowSumSquares'
  | 'readPrep'
  | 'adcConvertScaled'
  | 'adcConvertAccumulate'
  | 'normalVarBegin'
  | 'normalVarSettle'
  | 'normalVarDefer'
  | 'squareRows'
  | 'readBatch'
  | 'chipThreads'
  | 'getThreads'
  | 'setThreads'
  | 'layoutThreads'
  | 'neuronUpdate'
  | 'heldNeuronUpdate'
  | 'addRowBias'
  | 'sgemmBatch'
  | 'accumulateBatch'
  | 'pulsedCommitRun'
> | null;

/**
 * Every converter and register here rounds to its codes by one rule (docs/netlist.md, "Rounding at a code
 * boundary"), which native/periphery.c (fre_code) evaluates in C's doubles with the same operations in the
 * same order, so that both backends give the same bytes, also for a value exactly halfway between two codes:
 * v clipped to [lo, hi] (lo, hi, step numbers, i.e. doubles), k = ⌊(v − lo)/step + ½⌋, the code lo + k·step
 * rounded once to float32 (stored into a Float32Array). Math.floor(x + 0.5), not Math.round(x): the two
 * differ at x = 0.49999999999999994, where x + 0.5 rounds up to 1 in double. The expression is hw-models/quantise.ts codeOf.
 */

/** Uniform quantiser over [lo, hi] with `bits`; 'float' = identity (no clipping either). */
export interface Quantiser {
  readonly active: boolean;
  apply(src: Float32Array, dst: Float32Array, n: number): void;
}

export function quantiser(bits: number | 'float', lo: number, hi: number, native: PeripheryNative = null): Quantiser {
  if (bits === 'float')
    return {
      active: false,
      apply: (src, dst, n) => {
        if (src !== dst) dst.set(src.subarray(0, n));
      },
    };
  const step = (hi - lo) / (2 ** bits - 1);
  return {
    active: true,
    apply(src, dst, n) {
      if (native) {
        native.quantize(src, dst, n, lo, hi, step);
        return;
      }
      for (let i = 0; i < n; i++) {
        const v = src[i] < lo ? lo : src[i] > hi ? hi : src[i];
        dst[i] = codeOf(v, lo, step);
      }
    },
  };
}

/** The ADC of one converted line: output noise (σ in normalised units, aihwkit out_noise), clipping at
 *  ±full scale, quantisation (normalised units). */
export interface Adc {
  /** True when conversion changes anything (then partial sums are formed per array). */
  readonly active: boolean;
  convert(p: Float32Array, n: number, noise: NoiseSource): void;
  /** σ² of the output noise per conversion (normalised units), for callers that fold it into their own draw. */
  readonly noiseVariance: number;
  /** Converts the partial sums P [m × cols] and adds gain·ADC(P) into out[offset + r·ld + j]; the
   *  output noise is drawn here unless the caller already added it (`noiseAdded`). */
  accumulate(
    p: Float32Array,
    m: number,
    cols: number,
    out: Float32Array,
    offset: number,
    ld: number,
    gain: number,
    noise: NoiseSource,
    noiseAdded?: boolean,
  ): void;
}

export function adcOf(chip: ChipDescription, native: PeripheryNative = null): Adc {
  const { bits, fullScale, outputNoise } = chip.periphery.adc;
  const bounded = fullScale !== 'unbounded';
  const active = bits !== 'float' || bounded || outputNoise > 0;
  const fs = bounded ? fullScale : Infinity;
  const step = bits === 'float' || !bounded ? 0 : (2 * fs) / (2 ** bits - 1);
  return {
    active,
    noiseVariance: outputNoise * outputNoise,
    convert(p, n, noise) {
      if (outputNoise > 0) noise.addNormal(p, n, outputNoise);
      if (!bounded && bits === 'float') return;
      for (let i = 0; i < n; i++) {
        let v = p[i] < -fs ? -fs : p[i] > fs ? fs : p[i];
        if (step > 0) v = codeOf(v, -fs, step);
        p[i] = v;
      }
    },
    accumulate(p, m, cols, out, offset, ld, gain, noise, noiseAdded = false) {
      if (native) {
        if (outputNoise > 0 && !noiseAdded) noise.addNormal(p, m * cols, outputNoise);
        native.adcAccumulate(p, m, cols, out, offset, ld, gain, bounded ? fs : 0, step);
        return;
      }
      this.convert(p, m * cols, noiseAdded ? SILENT : noise);
      for (let r = 0; r < m; r++) {
        const ob = offset + r * ld;
        const pb = r * cols;
        for (let j = 0; j < cols; j++) out[ob + j] += gain * p[pb + j];
      }
    },
  };
}

/**
 * One conversion of n partial sums over an array's range for one read kind (the netlist's
 * GainsProto adc_full_scale_* and adc_step*): clip at ±fullScale (0 = unbounded), round to the
 * codes −fullScale + k·step (step 0 = no quantisation). Returns how many values clipped
 * (|p| > fullScale): the ADC's saturation count.
 */
export function convertOver(p: Float32Array, n: number, fullScale: number, step: number, native: PeripheryNative = null): number {
  if (!(fullScale > 0)) return 0;
  if (native) return native.adcConvert(p, n, fullScale, step);
  const fs = fullScale;
  let clipped = 0;
  for (let i = 0; i < n; i++) {
    let v = p[i];
    if (v < -fs) {
      v = -fs;
      clipped++;
    } else if (v > fs) {
      v = fs;
      clipped++;
    }
    if (step > 0) v = codeOf(v, -fs, step);
    p[i] = v;
  }
  return clipped;
}

/** A noise source that draws nothing (used when a caller already added the ADC's noise). */
const SILENT: NoiseSource = { addNormal: () => undefined, fillUniform: () => undefined, addNormalVar: () => undefined };

function exactActivation(kind: Activation, x: number): number {
  switch (kind) {
    case 'tanh':
      return Math.tanh(x);
    case 'hard-sigmoid':
      return x < 0 ? 0 : x > 1 ? 1 : x;
    case 'sigmoid':
      return 1 / (1 + Math.exp(-4 * (x - 0.5)));
  }
}

/**
 * The δ register: two's complement fixed point of `bits` over [−range, range), step range / 2^(bits−1),
 * so that 0 and ±step are codes (an even code count spread over [−range, range] would have no zero and
 * round every small δ to ±step/2). 'float' = identity.
 */
export function deltaQuantiser(
  bits: number | 'float',
  range: number,
  stochastic: { noise: NoiseSource; scratch: Float32Array } | null = null,
): Quantiser {
  if (bits === 'float')
    return {
      active: false,
      apply: (src, dst, n) => {
        if (src !== dst) dst.set(src.subarray(0, n));
      },
    };
  const half = 2 ** (bits - 1);
  const step = range / half;
  return {
    active: true,
    apply(src, dst, n) {
      if (stochastic) {
        // Stochastic rounding: ⌊v/step + u⌋, u uniform in [0, 1): up with probability equal to the remainder.
        let u = stochastic.scratch;
        if (u.length < n) u = stochastic.scratch = new Float32Array(n);
        stochastic.noise.fillUniform(u, n);
        for (let i = 0; i < n; i++) {
          const k = Math.floor(src[i] / step + u[i]);
          dst[i] = (k < -half ? -half : k > half - 1 ? half - 1 : k) * step;
        }
        return;
      }
      for (let i = 0; i < n; i++) {
        const k = Math.round(src[i] / step);
        dst[i] = (k < -half ? -half : k > half - 1 ? half - 1 : k) * step;
      }
    },
  };
}

/** The neuron unit: activation implementation, then state noise, then the state register; and the
 *  learning-signal path (chip.neuron.learningSignal): where s⁰ is kept and δ = s^β − s⁰ formed. */
export class NeuronUnit {
  private readonly tables = new Map<Activation, Float32Array>();
  private readonly state: Quantiser;
  /** difference-register: the free-state and δ registers; null = the state registers (s⁰ a copy, δ exact). */
  private readonly free: Quantiser | null;
  private readonly delta: Quantiser | null;
  constructor(
    private readonly chip: ChipDescription,
    private readonly kernels: Kernels,
    private readonly noise: NoiseSource,
    private readonly native: PeripheryNative = null,
  ) {
    const [lo, hi] = chip.neuron.stateRange;
    this.state = quantiser(chip.neuron.stateBits, lo, hi, native);
    const ls = chip.neuron.learningSignal;
    this.free = ls.kind === 'difference-register' ? quantiser(ls.freeStateBits, lo, hi, native) : null;
    this.delta =
      ls.kind === 'difference-register'
        ? deltaQuantiser(ls.deltaBits, ls.deltaRange, ls.deltaRounding === 'stochastic' ? { noise, scratch: new Float32Array(0) } : null)
        : null;
  }

  /** True when s⁰ and δ live in dedicated registers fed from the unit's output before the state register. */
  get dedicated(): boolean {
    return this.free !== null;
  }

  /** apply() runs natively in one pass and can take a held drive's Accumulate with it (heldNeuronUpdate): the exact
   *  activation, no state noise, the addon's fused kernels. */
  get foldsHeld(): boolean {
    return !!this.native?.neuronUpdate && !!this.native.heldNeuronUpdate && this.fusable();
  }

  private fusable(): boolean {
    return this.chip.neuron.activation.kind === 'exact' && !(this.chip.neuron.stateNoise > 0);
  }

  /** s = register(activation(h) + noise); `pre` (difference-register) receives the value before the register;
   *  `clear`: h[0, n) = 0 afterwards (the drive consumed). `held` (only when foldsHeld): h += held first, as the
   *  held drive's Accumulate adds it (adcAccumulate, gain 1), in the same pass. */
  apply(
    kind: Activation,
    h: Float32Array,
    s: Float32Array,
    n: number,
    pre: Float32Array | null = null,
    clear = false,
    held: Float32Array | null = null,
  ): void {
    const impl = this.chip.neuron.activation;
    const fused = this.native?.neuronUpdate;
    if (held && !(this.foldsHeld && h !== s))
      throw new Error('NeuronUnit.apply: a held drive is folded in only by the native heldNeuronUpdate');
    if (fused && this.fusable() && h !== s) {
      // The same steps element by element in one pass on the chip threads (native/periphery.c neuronUpdate:
      // activate's loop, the copy, quantize's loop, the clear), so the bytes are the ones below.
      const bits = this.chip.neuron.stateBits;
      const [lo, hi] = this.chip.neuron.stateRange;
      const step = bits === 'float' ? 0 : (hi - lo) / (2 ** bits - 1);
      if (held) this.native!.heldNeuronUpdate!(ACTIVATION_CODE[kind], h, s, n, pre ?? EMPTY, lo, hi, step, clear, held);
      else fused(ACTIVATION_CODE[kind], h, s, n, pre ?? EMPTY, lo, hi, step, clear);
      return;
    }
    if (impl.kind === 'exact') this.kernels.activate(kind, h, s, n);
    else this.tabulated(impl, kind, h, s, n);
    if (this.chip.neuron.stateNoise > 0) this.noise.addNormal(s, n, this.chip.neuron.stateNoise);
    if (pre) pre.set(s.subarray(0, n));
    if (this.state.active) this.state.apply(s, s, n);
    if (clear) h.fill(0, 0, n);
  }

  /** SaveState: s⁰ from the state register (state-registers) or Q_free(ŝ) (difference-register). */
  saveFree(s: Float32Array, pre: Float32Array | null, s0: Float32Array, n: number): void {
    if (this.free && pre) this.free.apply(pre, s0, n);
    else s0.set(s.subarray(0, n));
  }

  /** StateDelta: δ = s − s⁰ exactly (state-registers) or Q_δ(ŝ^β − s⁰) (difference-register). */
  formDelta(s: Float32Array, pre: Float32Array | null, s0: Float32Array, delta: Float32Array, n: number): void {
    const src = this.delta && pre ? pre : s;
    for (let i = 0; i < n; i++) delta[i] = src[i] - s0[i];
    if (this.delta?.active) this.delta.apply(delta, delta, n);
  }

  private table(impl: Exclude<ActivationImpl, { kind: 'exact' }>, kind: Activation): Float32Array {
    let t = this.tables.get(kind);
    if (!t) {
      const points = impl.kind === 'lut' ? impl.entries : impl.segments + 1;
      const [lo, hi] = impl.inputRange;
      t = Float32Array.from({ length: points }, (_, i) => exactActivation(kind, lo + ((hi - lo) * i) / (points - 1)));
      this.tables.set(kind, t);
    }
    return t;
  }

  /** LUT: the nearest of the table's samples; piecewise-linear: interpolation between breakpoints; both flat outside the range. */
  private tabulated(impl: Exclude<ActivationImpl, { kind: 'exact' }>, kind: Activation, h: Float32Array, s: Float32Array, n: number): void {
    const t = this.table(impl, kind);
    const [lo, hi] = impl.inputRange;
    const last = t.length - 1;
    const scale = last / (hi - lo);
    if (this.native) {
      this.native.tableActivate(h, s, n, t, lo, scale, impl.kind !== 'lut');
      return;
    }
    if (impl.kind === 'lut') {
      for (let i = 0; i < n; i++) {
        // The nearest entry by the rule of the converters (⌊x + ½⌋ in double), as native/periphery.c table_loop.
        const k = Math.floor((h[i] - lo) * scale + 0.5);
        s[i] = t[k < 0 ? 0 : k > last ? last : k];
      }
    } else {
      for (let i = 0; i < n; i++) {
        const x = (h[i] - lo) * scale;
        if (x <= 0) {
          s[i] = t[0];
          continue;
        }
        if (x >= last) {
          s[i] = t[last];
          continue;
        }
        const k = Math.floor(x);
        s[i] = t[k] + (t[k + 1] - t[k]) * (x - k);
      }
    }
  }
}
