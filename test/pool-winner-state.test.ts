/**
 * The 'state' winner's step (pool.winner "state", graph-format.md): native/conv.c repoolRows against the
 * TypeScript simulator/conv/pool-rows.ts repoolRows bit for bit — the state map X, the winners, the
 * positions carrying the extra, the window maxima, the runners-up and the rewritten drive (the native
 * kernel decides each winner from two units, the TypeScript one scans the window) — over a batch's first step
 * (the map built from the read) and the steps after it (only the units that carry an extra change), on
 * coarse data with exact ties and windows clamped at 0, both argmax rules, with and without a bias, with
 * chunk-local argmax indices, and on layout threads 1 and 2. What the step means is checked against the
 * float64 NumPy reference of the whole EP step (test/reference-conv-ep.test.ts, point 15).
 */
import type { FeatureShape, PoolSpec } from '../graph/shapes';
import { layoutKernels, referenceLayout } from '../simulator/conv/layout-kernels';
import { repoolRows as repoolTs } from '../simulator/conv/pool-rows';
import { loadNativeAddon } from '../simulator/kernels/native';
import { makeRng, type Rng } from '../util/rng';

const native = layoutKernels();
const addon = loadNativeAddon();

function coarse(n: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: n }, () => Math.round(rng.normal() * 4) / 4);
}

const CASES: [string, FeatureShape, number, number][] = [
  ['mnist-conv c1: 32 × 24×24', { channels: 32, height: 24, width: 24 }, 3, 2],
  ['mnist-conv c2: 64 × 8×8', { channels: 64, height: 8, width: 8 }, 4, 3],
  ['odd map, floor mode: 5 × 7×5', { channels: 5, height: 7, width: 5 }, 3, 3],
];

interface State {
  h: Float32Array;
  X: Float32Array;
  winners: Int32Array;
  extraAt: Int32Array;
  zmax: Float32Array;
  first: Int32Array;
  runner: Int32Array;
}

/** A state for n pooled units over a map of `mapSize` floats, with the drive h given. */
function stateOf(n: number, mapSize: number, h: Float32Array = new Float32Array(n)): State {
  return {
    h,
    X: new Float32Array(mapSize),
    winners: new Int32Array(n),
    extraAt: new Int32Array(n),
    zmax: new Float32Array(n),
    first: new Int32Array(n),
    runner: new Int32Array(n),
  };
}

const bytes = (a: Float32Array | Int32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('repoolRows: native = TypeScript, bit for bit', () => {
  test('the native kernel is there (CI builds the addon)', () => {
    if (process.env.CI) {
      expect(native.name).toBe('native');
      expect(typeof native.repoolRows).toBe('function');
    }
  });

  const run = native.repoolRows ? test.each : test.skip.each;
  run(CASES)('%s', (_t, shape, m, chunk) => {
    const P = shape.height * shape.width;
    const O = shape.channels;
    const before = addon?.layoutThreads?.() ?? 1;
    for (const argmaxRule of [undefined, 'activation'] as const)
      for (const withBias of [true, false])
        for (const threads of [1, 2]) {
          addon?.setLayoutThreads?.(threads);
          const pool: PoolSpec = { kind: 'max', size: 2, stride: 2, ...(argmaxRule ? { argmax: argmaxRule } : {}) };
          const OH = Math.floor((shape.height - 2) / 2) + 1;
          const OW = Math.floor((shape.width - 2) / 2) + 1;
          const n = m * O * OH * OW;
          const rng = makeRng(`repool ${_t} ${argmaxRule} ${withBias} ${threads}`);
          const bias = withBias ? Float32Array.from({ length: O }, (_, o) => [-1, 0, 0.5][o % 3]) : null;
          const alpha = 0.5;
          const ts = stateOf(n, m * P * O);
          const nat = stateOf(n, m * P * O);
          let z = coarse(m * P * O, rng);
          const argmax = new Int32Array(n);
          const own = new Float32Array(n);
          const read = () => {
            // The read's pooled own drive and argmax, chunk by chunk with chunk-local indices, as the engine.
            own.fill(0);
            for (let s0 = 0; s0 < m; s0 += chunk) {
              const mc = Math.min(chunk, m - s0);
              const per = O * OH * OW;
              referenceLayout.maxPoolRows(
                pool,
                shape,
                mc,
                z.subarray(s0 * P * O),
                own.subarray(s0 * per),
                argmax.subarray(s0 * per),
                alpha,
                bias,
              );
            }
          };
          read();
          for (let step = 0; step < 6; step++) {
            // A new read at steps 0 and 3 (the map is rebuilt), the same read otherwise.
            const fresh = step === 0 || step === 3;
            if (step === 3) {
              z = coarse(m * P * O, rng);
              read();
            }
            // The drive: the read's own plus extras of both signs (feedback, nudge), some exactly 0.
            const extra = Float32Array.from({ length: n }, () => Math.round(rng.normal() * 8) / 16);
            for (const s of [ts, nat]) for (let i = 0; i < n; i++) s.h[i] = own[i] + extra[i];
            const prevTs = step === 0 ? argmax : ts.winners;
            const prevNat = step === 0 ? argmax : nat.winners;
            const a = repoolTs(
              pool,
              shape,
              m,
              chunk,
              z,
              alpha,
              bias,
              fresh,
              prevTs,
              ts.h,
              ts.X,
              ts.winners,
              ts.extraAt,
              ts.zmax,
              ts.first,
              ts.runner,
            );
            const b = native.repoolRows!(
              pool,
              shape,
              m,
              chunk,
              z,
              alpha,
              bias,
              fresh,
              prevNat,
              nat.h,
              nat.X,
              nat.winners,
              nat.extraAt,
              nat.zmax,
              nat.first,
              nat.runner,
            );
            expect([a, b]).toEqual([-1, -1]);
            for (const k of ['h', 'X', 'winners', 'extraAt', 'zmax', 'first', 'runner'] as const)
              expect(bytes(nat[k]).equals(bytes(ts[k]))).toBe(true);
          }
          // The steps did move winners away from the read's argmax somewhere (the test exercises the scan).
          let moved = 0;
          for (let i = 0; i < n; i++) if (ts.winners[i] !== argmax[i]) moved++;
          expect(moved).toBeGreaterThan(0);
        }
    addon?.setLayoutThreads?.(before);
  });

  // A drive that is not a number (or infinite) on some units: the scan's strict > never lets a NaN key win,
  // and the native two-unit choice must do the same (the window's best other unit wins, not the NaN one).
  test('NaN and infinite drives: native = TypeScript', () => {
    if (!native.repoolRows) return;
    const shape = { channels: 3, height: 4, width: 6 };
    const pool: PoolSpec = { kind: 'max', size: 2, stride: 2 };
    const m = 2;
    const n = m * 3 * 2 * 3;
    const rng = makeRng('repool nan');
    const z = coarse(m * 24 * 3, rng);
    const argmax = new Int32Array(n);
    const own = new Float32Array(n);
    referenceLayout.maxPoolRows(pool, shape, m, z, own, argmax, 0.5, null);
    const special = [NaN, Infinity, -Infinity, NaN];
    const mk = () =>
      stateOf(
        n,
        m * 24 * 3,
        Float32Array.from(own, (v, i) => (i % 3 === 0 ? special[(i / 3) % 4] : v + 0.25)),
      );
    const ts = mk();
    const nat = mk();
    for (const [k, s, f] of [
      [repoolTs, ts, true],
      [native.repoolRows, nat, true],
    ] as const)
      expect(k(pool, shape, m, m, z, 0.5, null, f, argmax, s.h, s.X, s.winners, s.extraAt, s.zmax, s.first, s.runner)).toBe(-1);
    for (const k of ['h', 'X', 'winners', 'extraAt', 'zmax', 'first', 'runner'] as const)
      expect(bytes(nat[k]).equals(bytes(ts[k]))).toBe(true);
  });

  test('kept state outside its plane is reported by both (not used to address X)', () => {
    const shape = { channels: 2, height: 4, width: 4 };
    const pool: PoolSpec = { kind: 'max', size: 2, stride: 2 };
    const n = 2 * 2 * 2;
    for (const field of ['extraAt', 'first', 'runner'] as const) {
      const args = (): Parameters<typeof repoolTs> => {
        const bad = Int32Array.from({ length: n }, (_, i) => (i === 6 ? 1 << 30 : i === 3 ? -7 : field === 'runner' ? -1 : 0));
        return [
          pool,
          shape,
          1,
          1,
          new Float32Array(32),
          1,
          null,
          false,
          Int32Array.from({ length: n }, (_, i) => (i < 4 ? 0 : 16)),
          new Float32Array(n),
          new Float32Array(32),
          new Int32Array(n),
          field === 'extraAt' ? bad : new Int32Array(n).fill(-1),
          new Float32Array(n),
          field === 'first' ? bad : new Int32Array(n),
          field === 'runner' ? bad : new Int32Array(n).fill(-1),
        ];
      };
      expect(repoolTs(...args())).toBe(3);
      if (native.repoolRows) expect(native.repoolRows(...args())).toBe(3);
    }
  });

  test('the smallest bad unit is reported, whatever the native loop order', () => {
    // Units 1 (channel 0, second window) and 2 (channel 1, first window): the native loop, channel
    // innermost, meets unit 2 first.
    const shape = { channels: 2, height: 2, width: 4 };
    const pool: PoolSpec = { kind: 'max', size: 2, stride: 2 };
    const args = (): Parameters<typeof repoolTs> => [
      pool,
      shape,
      1,
      1,
      new Float32Array(16),
      1,
      null,
      true,
      Int32Array.of(0, 99, 99, 10),
      new Float32Array(4),
      new Float32Array(16),
      new Int32Array(4),
      new Int32Array(4),
      new Float32Array(4),
      new Int32Array(4),
      new Int32Array(4),
    ];
    expect(repoolTs(...args())).toBe(1);
    if (native.repoolRows) expect(native.repoolRows(...args())).toBe(1);
  });

  test('a previous winner outside its plane is reported by both', () => {
    const shape = { channels: 2, height: 4, width: 4 };
    const pool: PoolSpec = { kind: 'max', size: 2, stride: 2 };
    const n = 2 * 2 * 2;
    const args = (): Parameters<typeof repoolTs> => [
      pool,
      shape,
      1,
      1,
      new Float32Array(32),
      1,
      null,
      true,
      Int32Array.from({ length: n }, (_, i) => (i === 5 ? 99 : i < 4 ? 0 : 16)),
      new Float32Array(n),
      new Float32Array(32),
      new Int32Array(n),
      new Int32Array(n),
      new Float32Array(n),
      new Int32Array(n),
      new Int32Array(n),
    ];
    expect(repoolTs(...args())).toBe(5);
    if (native.repoolRows) expect(native.repoolRows(...args())).toBe(5);
  });
});
