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
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pythonWithNumpy, testNeedingNumpy } from './needs';

const SCRIPT = join(__dirname, '..', 'bench', 'results', 'conv', 'semantics-compare.py');

interface LayerCmp {
  cos: number;
  norm_ratio: number;
}
interface Variant {
  name: string;
  per_batch: Record<'W0' | 'W1' | 'Wf', LayerCmp>[];
}

describe('the authors-notebook NumPy re-implementation against our reference (one EP step)', () => {
  testNeedingNumpy()(
    "agrees without the notebook lag, and the lag turns conv1's update",
    () => {
      const out = join(mkdtempSync(join(tmpdir(), 'fre-authors-')), 'cmp.json');
      const r = spawnSync(pythonWithNumpy(), [SCRIPT, 'table2', '--batches', '2', '--batch-size', '32', '--out', out], {
        encoding: 'utf8',
        timeout: 300000,
        env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const variants = (JSON.parse(readFileSync(out, 'utf8')) as { variants: Variant[] }).variants;
      const by = (name: string): Variant => {
        const v = variants.find((x) => x.name === name);
        if (!v) throw new Error(`variant ${name} missing from ${out}`);
        return v;
      };
      const noLag = by('notebook without lag');
      expect(noLag.per_batch).toHaveLength(2);
      for (const b of noLag.per_batch) {
        for (const layer of ['W0', 'W1', 'Wf'] as const) {
          expect(b[layer].cos).toBeGreaterThanOrEqual(0.98);
          expect(Math.abs(b[layer].norm_ratio - 1)).toBeLessThanOrEqual(0.05);
        }
      }
      for (const b of by('notebook').per_batch) {
        expect(b.W0.cos).toBeLessThanOrEqual(0.8);
        expect(b.W1.cos).toBeGreaterThanOrEqual(0.98);
        expect(b.Wf.cos).toBeGreaterThanOrEqual(0.98);
      }
    },
    300000,
  );
});
