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
import { loadNativeAddon } from '../simulator/kernels/native';
import { selectKernels } from '../simulator/kernels/select';
import { makeNoise } from '../simulator/noise';
import { makeRng } from '../util/rng';
import { bytesOf } from './helpers/native';
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
