/**
 * A stuck cell never changes: after an in-situ write the effective weight a read uses is what the
 * stuck devices hold, for exact and pulsed updates, on both periphery loops (native and TS).
 */
import { compileNet } from '../api/study';
import { GraphBuilder } from '../graph/builder';
import { resolveNet } from '../graph/net';
import { preset } from '../hw-models/presets/index';
import type { ChipDescription } from '../hw-models/chip';
import { makeInterpreter } from '../simulator/chip/run';
import { selectKernels } from '../simulator/kernels/select';

const net = resolveNet(
  new GraphBuilder('stuck')
    .data('synthetic')
    .input(8)
    .layer('h1', 6)
    .output(3)
    .chain({ betaI: 0.1 })
    .dynamics({ T: 2, K: 1, betaF: 0.1 })
    .training({ optimizer: { kind: 'adam', lr: 0.01 }, batchSize: 4, epochs: 1, seed: 0 })
    .build(),
);

function chip(update: 'pulsed' | 'exact', stuck: number): ChipDescription {
  const c = structuredClone(preset('reram')!);
  c.crossbar.stuckAt = { onProbability: stuck / 2, offProbability: stuck / 2 };
  if (update === 'exact') c.crossbar.update = { kind: 'exact' };
  return c;
}

describe('stuck cells under in-situ writes', () => {
  test.each([
    ['pulsed', 'native'],
    ['pulsed', 'reference'],
    ['exact', 'native'],
    ['exact', 'reference'],
  ] as const)('%s update, %s loop: every cell stuck → the weights stay; none stuck → they move', (update, backend) => {
    const kernels = selectKernels(backend);
    for (const stuck of [1, 0]) {
      const exec = makeInterpreter(compileNet(net, chip(update, stuck)), 3, kernels, 4);
      const w = exec.weights()[0];
      const before = w.slice();
      for (let i = 0; i < w.length; i++) w[i] += 0.05 * Math.max(...before.map(Math.abs)); // a request every cell can take
      exec.commit();
      const moved = w.filter((v, i) => v !== before[i]).length;
      if (stuck === 1) expect(moved).toBe(0);
      else expect(moved).toBeGreaterThan(w.length / 2);
    }
  });
});
