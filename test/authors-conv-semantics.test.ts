/**
 * Two NumPy implementations written from different specifications agree where they should and
 * disagree where the specifications do. bench/results/conv/authors-conv.py re-implements the
 * authors' Table 2 conv notebook (float32, their state tuple, their pooling of rho, their feedback
 * from conv2's whole pre-pool map); test/reference/conv_ep.py implements our documented model (the
 * engine matches it to 4e-7, test/reference-conv-ep.test.ts). semantics-compare.py runs one EP step
 * of both on the same PyTorch-default weights and MNIST mini-batches (32 images, 2 batches).
 *
 * - With the notebook's one-step lag switched off (argmaxes and readout of the current state), the
 *   updates agree: cosine ≥ 0.98 and norms within 5 % on every layer (observed ≥ 0.992 and 1 %).
 *   The rest of the notebook's departures (pooling rho with first-index ties, the pre-pool-map
 *   feedback, the zero-input initial state) do not move one step at initialisation.
 * - With the lag (the notebook as published), conv1's update is a different vector: cosine ≤ 0.8 in
 *   every batch (observed 0.59), conv2's and the readout's still agree. This is the measured reason
 *   our Table 2 AdamW curve runs ahead of the authors' (bench/results/conv/README.md, session 12).
 * - Table 1's notebook on trained weights (our seed-0 checkpoint after 40 epochs, committed): with
 *   its five departures switched off (the stale error, the pre-pool-map feedback, winners chosen
 *   after feedback and nudge, the argmax over rho, the untrained deconv bias) the two agree, cosine
 *   ≥ 0.995 and norms within 5 % on every layer (observed ≥ 0.9995, 2 %); as published, some
 *   layer's update is off in every batch, cosine ≤ 0.99 (observed ≤ 0.984; 0.27 at 128 images).
 * - The engine's nudge mode "lagged" (the reference's too, which the engine matches) is the first of
 *   them: with only the notebook's stale error left on, the two agree (cosine ≥ 0.995; observed ≥ 0.999
 *   at 128 images); with it off too, conv2's update is off (observed cos 0.36 in the first batch of 128;
 *   in 32-image batches the logits hardly move between steps and the two modes agree).
 * - The engine's `pool.feedback: "map"` (the reference's too) is the second: with only the notebook's
 *   pre-pool-map feedback left on, the two agree (cosine ≥ 0.995; observed 1.000 on every layer, 2 batches
 *   of 32); with it off too, they do not (observed: the smallest layer cosine per batch 0.980 and 0.983; at
 *   128 images W0 0.77–0.99 and Wf 0.98–0.99, bench/results/conv/s14/semantics-table1-trained-map.json).
 * - With all four engine options (the lagged nudge, the map feedback, `pool.winner: "state"`, `pool.argmax:
 *   "activation"`), one step is the notebook's less its untrained deconv bias and its initial state (cosine
 *   ≥ 0.995; observed 1.000 at 128 images, bench/results/conv/s14/semantics-table1-trained-notebook-options.json),
 *   and not the notebook with all its departures off.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pythonWithNumpy, testNeedingNumpy } from './needs';

const SCRIPT = join(__dirname, '..', 'bench', 'results', 'conv', 'semantics-compare.py');
const TRAINED = join(__dirname, '..', 'bench', 'results', 'conv', 's10', 'mnist-conv-ep-seed0.ckpt.npz');
const LAYERS = ['W0', 'W1', 'Wf'] as const;

interface LayerCmp {
  cos: number;
  norm_ratio: number;
}
interface Variant {
  name: string;
  per_batch: Record<'W0' | 'W1' | 'Wf', LayerCmp>[];
}

/** Runs semantics-compare.py (2 batches of 32 images unless told) and returns its variants by name. */
function compare(args: string[], batches = 2, size = 32): (name: string) => Variant {
  const out = join(mkdtempSync(join(tmpdir(), 'fre-authors-')), 'cmp.json');
  const r = spawnSync(pythonWithNumpy(), [SCRIPT, ...args, '--batches', String(batches), '--batch-size', String(size), '--out', out], {
    encoding: 'utf8',
    timeout: 300000,
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const variants = (JSON.parse(readFileSync(out, 'utf8')) as { variants: Variant[] }).variants;
  return (name) => {
    const v = variants.find((x) => x.name === name);
    if (!v) throw new Error(`variant ${name} missing from ${out}`);
    expect(v.per_batch).toHaveLength(batches);
    return v;
  };
}

function expectAgree(v: Variant): void {
  for (const b of v.per_batch) {
    for (const layer of LAYERS) {
      expect(b[layer].cos).toBeGreaterThanOrEqual(0.98);
      expect(Math.abs(b[layer].norm_ratio - 1)).toBeLessThanOrEqual(0.05);
    }
  }
}

describe('the authors-notebook NumPy re-implementation against our reference (one EP step)', () => {
  testNeedingNumpy()(
    "Table 2's notebook: agrees without its lag, and the lag turns conv1's update",
    () => {
      const by = compare(['table2']);
      expectAgree(by('notebook without lag'));
      for (const b of by('notebook').per_batch) {
        expect(b.W0.cos).toBeLessThanOrEqual(0.8);
        expect(b.W1.cos).toBeGreaterThanOrEqual(0.98);
        expect(b.Wf.cos).toBeGreaterThanOrEqual(0.98);
      }
    },
    300000,
  );

  testNeedingNumpy()(
    "Table 1's notebook on trained weights: agrees with its five departures off, not as published",
    () => {
      const by = compare(['table1', '--checkpoint', TRAINED]);
      const ours = by('notebook without error-lag and map and winner and rho-argmax and deconv');
      expectAgree(ours);
      for (const b of ours.per_batch) for (const layer of LAYERS) expect(b[layer].cos).toBeGreaterThanOrEqual(0.995);
      for (const b of by('notebook').per_batch) expect(Math.min(...LAYERS.map((l) => b[l].cos))).toBeLessThanOrEqual(0.99);
    },
    300000,
  );

  testNeedingNumpy()(
    'the engine\'s "lagged" nudge is the notebook\'s stale error: agrees with only that departure on, not with none',
    () => {
      // One batch of 128: in the 32-image batches the logits hardly move between steps on these weights.
      const by = compare(['table1', '--checkpoint', TRAINED, '--ours-nudge', 'lagged'], 1, 128);
      const stale = by('notebook without map and winner and rho-argmax and deconv');
      expectAgree(stale);
      for (const b of stale.per_batch) for (const layer of LAYERS) expect(b[layer].cos).toBeGreaterThanOrEqual(0.995);
      const none = by('notebook without error-lag and map and winner and rho-argmax and deconv');
      for (const b of none.per_batch) expect(Math.min(...LAYERS.map((l) => b[l].cos))).toBeLessThanOrEqual(0.99);
    },
    300000,
  );

  testNeedingNumpy()(
    'the engine\'s "map" pool feedback is the notebook\'s pre-pool-map feedback: agrees with only that departure on, not with none',
    () => {
      const by = compare(['table1', '--checkpoint', TRAINED, '--ours-feedback', 'map']);
      const map = by('notebook without error-lag and winner and rho-argmax and deconv');
      expectAgree(map);
      for (const b of map.per_batch) for (const layer of LAYERS) expect(b[layer].cos).toBeGreaterThanOrEqual(0.995);
      const none = by('notebook without error-lag and map and winner and rho-argmax and deconv');
      for (const b of none.per_batch) expect(Math.min(...LAYERS.map((l) => b[l].cos))).toBeLessThanOrEqual(0.99);
    },
    300000,
  );

  testNeedingNumpy()(
    "with the four options (lagged, map, state winner, activation argmax) the engine's step is the notebook's less its deconv bias and initial state",
    () => {
      const by = compare([
        'table1',
        '--checkpoint',
        TRAINED,
        '--ours-nudge',
        'lagged',
        '--ours-feedback',
        'map',
        '--ours-winner',
        'state',
        '--ours-argmax',
        'activation',
      ]);
      const notebook = by('notebook without deconv and init');
      expectAgree(notebook);
      for (const b of notebook.per_batch) for (const layer of LAYERS) expect(b[layer].cos).toBeGreaterThanOrEqual(0.995);
      const none = by('notebook without error-lag and map and winner and rho-argmax and deconv');
      for (const b of none.per_batch) expect(Math.min(...LAYERS.map((l) => b[l].cos))).toBeLessThanOrEqual(0.99);
    },
    300000,
  );
});
