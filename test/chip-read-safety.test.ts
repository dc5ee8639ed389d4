/**
 * The chip read path's shared state (review of branch reads2):
 * - a read's noise-management scales stay the read's own until its array is converted, whatever other
 *   arrays read in between (the prepared inputs are shared per slice, the scales must not be);
 * - an exception between starting the read noise on the chip threads and adding it leaves no job
 *   running on them (the job writes into buffers JavaScript may drop or reuse).
 */
import { compile } from '../compiler/pipeline';
import type { ChipDescription } from '../hw-models/chip';
import { PRESETS } from '../hw-models/presets';
import { initParams } from '../graph/params';
import { edgeTiles } from '../netlist/tiles';
import { ChipArrays } from '../simulator/chip/chip-arrays';
import type { Kernels } from '../simulator/kernels/kernels';
import { loadNativeAddon } from '../simulator/kernels/native';
import { selectKernels } from '../simulator/kernels/select';
import { makeNoise } from '../simulator/noise';
import { makeRng } from '../util/rng';
import { bytesOf, withChipThreads } from './helpers/native';
import { chainNet } from './helpers/nets';

const native = loadNativeAddon();
const kernels = selectKernels('auto');
const opts = { driftSeconds: 0, pulseRounding: 'deterministic' as const };

// 128 → 128 → 128: W0 reads x, W1 reads h1, both [S × 128] with ld 128 — the same slice shape of two buffers.
const net = chainNet([128, 128, 128], 10, { betaI: 0.1, betaF: 0.5, T: 2, K: 1 });
const params = initParams(net, makeRng(7));
const S = 64;
const lines = 128;

function netlistOn(chip: ChipDescription) {
  return compile(net, chip, params, { wMax: { kind: 'max' }, specFile: 'test', producerVersion: 'test' }).netlist;
}

/** Inputs whose rows have very different largest magnitudes (so each row's abs-max scale differs). */
function inputs(seed: number): Float32Array {
  const r = makeRng(seed);
  return Float32Array.from({ length: S * 128 }, (_, i) => (r.uniform() - 0.5) * (1 + (Math.floor(i / 128) % 7) * 3));
}

const maybe = native?.readPrep ? describe : describe.skip;

maybe('prepared inputs shared per slice: each array keeps its own read scales', () => {
  const chip = PRESETS.reram; // noise management abs-max
  const n = netlistOn(chip);
  const tiles = edgeTiles(n);
  const a0 = tiles[0].weight[0].array;
  const a1 = tiles[1].weight[0].array;
  const x1 = inputs(1);
  const x2 = inputs(2);

  /** Array a0's converted partial sums, after `between` ran on the same ChipArrays. */
  function convertedA0(between: (arrays: ChipArrays) => void): Float32Array {
    const arrays = new ChipArrays(tiles, chip, kernels, makeNoise(makeRng(3), 'native'), opts);
    expect(arrays.absMax).toBe(true);
    const part = new Float32Array(S * lines);
    arrays.read(a0, false, x1, 128, 0, S, part, false, 1, 0, 1, 1);
    between(arrays);
    arrays.convertAndRescale(a0, part, S, lines, 0, 0);
    return part;
  }

  test('another buffer read through the same slice shape before the conversion', () => {
    const alone = convertedA0(() => undefined);
    const other = convertedA0((arrays) => arrays.read(a1, false, x2, 128, 0, S, new Float32Array(S * lines), false, 1, 0, 1, 1));
    expect(bytesOf(other).equals(bytesOf(alone))).toBe(true);
  });

  test('the same buffer changed (a new version) and read again before the conversion', () => {
    const alone = convertedA0(() => undefined);
    const changed = convertedA0((arrays) => {
      const x = Float32Array.from(x1);
      // Reading the changed values from x1's own buffer: copy them in, read, put x1 back for a0's later steps.
      const keep = Float32Array.from(x1);
      x1.set(x2);
      arrays.read(a1, false, x1, 128, 0, S, new Float32Array(S * lines), false, 1, 0, 1, 2);
      x1.set(keep);
      expect(bytesOf(x1).equals(bytesOf(x))).toBe(true);
    });
    expect(bytesOf(changed).equals(bytesOf(alone))).toBe(true);
  });

  test('the check can fail: a different input gives different converted sums', () => {
    const alone = convertedA0(() => undefined);
    const arrays = new ChipArrays(tiles, chip, kernels, makeNoise(makeRng(3), 'native'), opts);
    const part = new Float32Array(S * lines);
    arrays.read(a0, false, x2, 128, 0, S, part, false, 1, 0, 1, 1);
    arrays.convertAndRescale(a0, part, S, lines, 0, 0);
    expect(bytesOf(part).equals(bytesOf(alone))).toBe(false);
  });
});

const started = native?.normalVarBegin ? describe : describe.skip;

started('an exception between starting the read noise and adding it leaves no job running', () => {
  // 8 000 × 256 normals: the one worker needs far longer for its 8 blocks than the calls below take, so
  // a job left running still has blocks to draw (into noise) after the exception.
  const m = 8000;
  const cols = 256;
  const r = makeRng(12);
  const rowVar = Float32Array.from({ length: m }, () => 0.1 + r.uniform());
  const EMPTY = new Float32Array(0);

  /** Starts the draws, runs `fail` (which must throw), then overwrites noise: with the job finished by
   *  the throwing call, nothing writes noise afterwards. */
  function afterThrow(fail: (noise: Float32Array) => void): Float32Array {
    return withChipThreads(native!, 2, () => {
      const noise = new Float32Array(m * cols);
      const state = makeNoise(makeRng(4), 'native').nativeState!;
      expect(native!.normalVarBegin!(state, noise, m, cols, rowVar, EMPTY, 0.01)).toBe(true);
      let thrown: unknown = null;
      try {
        fail(noise);
      } catch (e) {
        noise.fill(5); // at once: a job left running must not get to finish first
        thrown = e;
      }
      expect((thrown as Error | null)?.name).toBe('RangeError'); // the addon's (another realm's) RangeError
      native!.normalVarSettle!(new Float32Array(0), noise, 0); // finishes whatever is still started
      return noise;
    });
  }

  test('adcConvertAccumulate rejecting its arguments', () => {
    const noise = afterThrow((nz) =>
      // scales shorter than rows: rejected (before the fix: after the job was let go, before it was finished).
      native!.adcConvertAccumulate!(
        new Float32Array(m * cols),
        m,
        cols,
        1,
        0,
        new Float32Array(3),
        1,
        new Float32Array(m * cols),
        0,
        cols,
        1,
        nz,
      ),
    );
    expect(noise.every((v) => v === 5)).toBe(true);
  });

  test('normalVarSettle rejecting its arguments', () => {
    const noise = afterThrow((nz) => native!.normalVarSettle!(new Float32Array(4), nz, m * cols));
    expect(noise.every((v) => v === 5)).toBe(true);
  });

  test('ChipArrays.read whose GEMM throws after the draws started', () => {
    const chip = PRESETS.reram; // read noise relative to the range, no low-frequency noise: the draws are deferred
    const tiles = edgeTiles(netlistOn(chip));
    const a0 = tiles[0].weight[0].array;
    const rows = 8192; // 8 192 × 128 sensed lines: drawn on the chip threads, and far longer than the calls below
    let failOn: Float32Array | null = null;
    // Made beforehand: the throw itself must take no time (a job left running must not get to finish).
    const failure = new RangeError('gemm failed');
    const failing: Kernels = {
      ...kernels,
      gemm: (...args: Parameters<Kernels['gemm']>) => {
        if (failOn && args[11].buffer === failOn.buffer) throw failure;
        kernels.gemm(...args);
      },
    };
    withChipThreads(native!, 2, () => {
      const arrays = new ChipArrays(tiles, chip, failing, makeNoise(makeRng(3), 'native'), opts);
      const x = Float32Array.from({ length: rows * 128 }, (_, i) => Math.sin(i));
      const part = new Float32Array(rows * lines);
      failOn = part;
      const noise = (arrays as unknown as { noiseBufs: Float32Array[] }).noiseBufs;
      let thrown: unknown = null;
      try {
        arrays.read(a0, false, x, 128, 0, rows, part, false, 1, 0, 1, 1, true);
      } catch (e) {
        thrown = e;
        noise[a0].fill(5);
      }
      expect(thrown).toBe(failure);
      expect(noise[a0].length).toBe(rows * lines);
      native!.normalVarSettle!(new Float32Array(0), noise[a0], 0);
      expect(noise[a0].every((v) => v === 5)).toBe(true);
    });
  });
});
