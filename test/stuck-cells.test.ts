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
import { decodeNetlist, encodeNetlist } from '../netlist/codec';
import { chipFromMsg } from '../netlist/chip-proto';
import { wholeTile } from './helpers/chips';
import { DeviceMatrix } from '../simulator/chip/devices';
import { makeNoise } from '../simulator/noise';
import { makeRng } from '../util/rng';

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
  c.crossbar.stuckAt = { onProbability: stuck / 2, offProbability: stuck / 2, compensation: 'none' };
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

describe('partner compensation of stuck devices (crossbar.stuckAt.compensation)', () => {
  // Devices stuck on with probability 0.2, none off, no programming noise: a cell has exactly one
  // stuck device with probability 2·0.2·0.8 = 0.32 and both with 0.04. With partner compensation a
  // cell whose stuck device is on the side of its weight's sign is reprogrammed exactly (u− = 1 − w
  // for a stuck u+ and w ≥ 0; u+ = 1 + w for a stuck u− and w < 0); on the other side the nearest
  // weight is 0, an error of |w|. Without compensation every cell with a stuck device is off.
  const big = resolveNet(
    new GraphBuilder('stuck-partner')
      .data('synthetic')
      .input(64)
      .layer('h1', 48)
      .output(3)
      .chain({ betaI: 0.1 })
      .dynamics({ T: 2, K: 1, betaF: 0.1 })
      .training({ optimizer: { kind: 'adam', lr: 0.01 }, batchSize: 4, epochs: 1, seed: 0 })
      .build(),
  );
  function weights(compensation: 'none' | 'partner', on: number): Float32Array {
    const c = structuredClone(preset('reram')!);
    c.crossbar.programmingNoise = { sigma: 0, relativeTo: 'range' };
    c.crossbar.stuckAt = { onProbability: on, offProbability: 0, compensation };
    return makeInterpreter(compileNet(big, c), 3, selectKernels('reference'), 4).weights()[0].slice();
  }
  test('reprograms the partner: more cells exact, no cell further than |w| from its target', () => {
    const target = weights('none', 0);
    const none = weights('none', 0.2);
    const partner = weights('partner', 0.2);
    const exact = (w: Float32Array) => w.filter((v, i) => Math.abs(v - target[i]) < 1e-6).length / w.length;
    // 3072 cells: expected exact fractions 0.64 and 0.64 + 0.32·½ = 0.80 (binomial σ ≈ 0.01).
    expect(exact(none)).toBeLessThan(0.68);
    expect(exact(partner)).toBeGreaterThan(exact(none) + 0.08);
    for (let i = 0; i < target.length; i++)
      expect(Math.abs(partner[i] - target[i])).toBeLessThanOrEqual(Math.abs(target[i]) * (1 + 1e-6) + 1e-6);
    const err = (w: Float32Array) => w.reduce((s, v, i) => s + Math.abs(v - target[i]), 0);
    expect(err(partner)).toBeLessThan(0.7 * err(none));
  });
});

describe('stuckAt.compensation in the netlist', () => {
  test('round-trips through the encoded netlist; a netlist without the field reads as none', () => {
    const c = structuredClone(preset('reram')!);
    c.crossbar.stuckAt = { onProbability: 0.01, offProbability: 0, compensation: 'partner' };
    const back = decodeNetlist(encodeNetlist(compileNet(net, c)));
    expect(chipFromMsg(back.chip!).crossbar.stuckAt.compensation).toBe('partner');
    const old = decodeNetlist(encodeNetlist(compileNet(net, c)));
    delete old.chip!.crossbar!.stuckAt!.compensation;
    expect(chipFromMsg(old.chip!).crossbar.stuckAt.compensation).toBe('none');
    old.chip!.crossbar!.stuckAt!.compensation = 'STUCK_COMPENSATION_BOGUS' as never;
    expect(() => chipFromMsg(old.chip!)).toThrow(/stuckAt.compensation/);
  });
});

describe("stuck devices under aihwkit's PCM model", () => {
  test('the healthy partner of a stuck device drifts like any device (only the stuck device holds its bound)', () => {
    const c = structuredClone(preset('pcm')!);
    c.crossbar.stuckAt = { onProbability: 0.3, offProbability: 0, compensation: 'none' };
    const rows = 40;
    const cols = 100;
    const n = rows * cols;
    // every weight −0.5: G+ at g_min, G− at half range
    const tile = wholeTile(rows, cols, new Float32Array(n), new Float32Array(n).fill(0.5), false);
    const month = 30 * 86400;
    const dev = new DeviceMatrix(rows, cols, 1, [tile], c, makeNoise(makeRng(3), 'reference'), {
      driftSeconds: month,
      pulseRounding: 'deterministic',
    });
    const { plus, minus } = dev.conductancesUS();
    const gMax = c.crossbar.gMaxUS;
    const partnerOfStuck: number[] = [];
    const healthy: number[] = [];
    for (let i = 0; i < n; i++) {
      if (minus![i] === gMax) continue; // G− itself stuck
      (plus[i] === gMax ? partnerOfStuck : healthy).push(minus![i]);
    }
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    // 0.3·0.7 of the cells have G+ stuck on and G− free; that G− drifted as much as the others (a month, ν ≈ 0.05+).
    expect(partnerOfStuck.length).toBeGreaterThan(0.18 * n);
    expect(Math.abs(mean(partnerOfStuck) - mean(healthy))).toBeLessThan(0.03 * mean(healthy));
    const gHalf = c.crossbar.gMinUS + 0.5 * (gMax - c.crossbar.gMinUS);
    expect(mean(partnerOfStuck)).toBeLessThan(0.8 * gHalf);
  });
});
