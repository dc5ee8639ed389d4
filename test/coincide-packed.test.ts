/**
 * The native coincide keeps its packed cells (one 64-byte record per cell: u, the device's steps and bounds,
 * its flags) across calls instead of packing the tile at every call (DeviceMatrix.keepPacked). The kept
 * records must be the devices' truth: every write to the devices between two calls (programming, drift,
 * refresh, stuck devices, bound marks, the other tiles' coincidences) has to drop them (devicesChanged).
 * Here the same sequence of calls and writes runs on two matrices from the same seed, one keeping the
 * records (and checking them against a fresh pack at every call that trusts them: checkPacked) and one
 * packing per call: the devices must end byte for byte equal.
 */
import type { ChipDescription, PulsedUpdate } from '../hw-models/chip';
import { DeviceMatrix } from '../simulator/chip/devices';
import type { PulseNoise } from '../simulator/chip/update-schemes';
import { loadNativeAddon } from '../simulator/kernels/native';
import { makeNoise, type NoiseSource } from '../simulator/noise';
import { makeRng } from '../util/rng';
import { idealWithPulsedUpdate, wholeTile } from './helpers/chips';

const native = loadNativeAddon();
const run = native || process.env.CI ? describe : describe.skip;

const ROWS = 40;
const COLS = 48;

/** Soft bounds, device spread, pulse noise, programming noise, drift and stuck devices: every field a write can change. */
function chip(cell: 'differential' | 'offset-column'): ChipDescription {
  const c = idealWithPulsedUpdate({
    scheme: 'stochastic-coincidence',
    upDownAsymmetry: 0.05,
    softBounds: true,
    cycleToCycle: 0.3,
    deviceToDevice: { dwMin: 0.3, wMax: 0.3, wMin: 0.3, upDownAsymmetry: 0.01 },
  });
  c.crossbar.programmingNoise = { sigma: 0.03, relativeTo: 'range' };
  c.crossbar.drift = { nu: 0.06, nuStd: 0.02, t0Seconds: 20, compensation: 'none' };
  c.crossbar.stuckAt = { onProbability: 0.01, offProbability: 0.01, compensation: 'none' };
  c.crossbar.cell = cell;
  return c;
}

interface Side {
  dev: DeviceMatrix;
  noise: NoiseSource;
  keep: boolean;
}

function side(keep: boolean, cell: 'differential' | 'offset-column' = 'differential'): Side {
  const r = makeRng(11);
  const u = Float32Array.from({ length: ROWS * COLS }, () => r.uniform() * 1.6 - 0.8);
  const tile =
    cell === 'differential'
      ? wholeTile(
          ROWS,
          COLS,
          u.map((v) => (v > 0 ? v : 0)),
          u.map((v) => (v < 0 ? -v : 0)),
        )
      : wholeTile(
          ROWS,
          COLS,
          u.map((v) => (1 + v) / 2),
          undefined,
        );
  const noise = makeNoise(makeRng(5), 'native');
  const dev = new DeviceMatrix(ROWS, COLS, 1, [tile], chip(cell), noise, { driftSeconds: 3600, pulseRounding: 'deterministic' });
  dev.native = native;
  return { dev, noise, keep };
}

/** Runs f with the matrix's way of packing (kept and checked, or per call). */
function as<T>(s: Side, f: () => T): T {
  const keep = DeviceMatrix.keepPacked;
  const check = DeviceMatrix.checkPacked;
  DeviceMatrix.keepPacked = s.keep;
  DeviceMatrix.checkPacked = s.keep;
  try {
    return f();
  } finally {
    DeviceMatrix.keepPacked = keep;
    DeviceMatrix.checkPacked = check;
  }
}

const n = 25;
const r = makeRng(21);
const post = Float32Array.from({ length: n * ROWS }, () => (r.uniform() - 0.5) * 0.4);
const pre = Float32Array.from({ length: n * COLS }, () => (r.uniform() < 0.3 ? 0 : r.uniform() * (r.uniform() < 0.3 ? -1 : 1)));

/** Coincidences on the four 20 × 24 tiles of the matrix, then on the top-left tile once more. */
function coincideAll(s: Side): void {
  as(s, () => {
    for (const [r0, c0] of [
      [0, 0],
      [0, 24],
      [20, 0],
      [20, 24],
      [0, 0],
    ])
      s.dev.coincide(r0, 20, c0, 24, post.subarray(r0), ROWS, pre.subarray(c0), COLS, n, 0.05, s.noise);
  });
}

const bytes = (a: ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** The two matrices' devices, pulses and bound counts are byte-equal. */
function expectSame(a: Side, b: Side): void {
  for (const f of ['W', 'held', 'uPlus', 'uMinus', 'saturated'] as const) {
    const x = a.dev[f as 'W'] as Float32Array | null;
    const y = b.dev[f as 'W'] as Float32Array | null;
    expect(x === null).toBe(y === null);
    if (x && y) expect(bytes(x).equals(bytes(y))).toBe(true);
  }
  expect(a.dev.pulses).toBe(b.dev.pulses);
  expect(a.dev.boundHits).toBe(b.dev.boundHits);
}

run('coincide keeps its packed cells across calls only while they are the devices', () => {
  test.each(['differential', 'offset-column'] as const)(
    '%s cells: programming, drift, refresh, stuck devices, bound marks and commits between calls: the same bytes as packing per call',
    (cell) => {
      const kept = side(true, cell);
      const fresh = side(false, cell);
      const diff = cell === 'differential';
      const spec = () => kept.dev['chip'].crossbar.update as PulsedUpdate;
      // Each write between two rounds of coincidences, on both matrices alike (the private writers devices.ts uses).
      const writes: ((s: Side) => void)[] = [
        () => {},
        (s) => s.dev.commit(s.noise), // the coincidence commit: W back to held, the devices untouched (records stay)
        (s) => {
          const only = new Uint8Array(ROWS * COLS);
          for (let i = 0; i < only.length; i += 3) only[i] = 1;
          s.dev['program'](s.dev['uPlus'], only, s.noise);
          if (diff) s.dev['program'](s.dev['uMinus'] as Float32Array, only, s.noise);
        },
        (s) => s.dev['applyDrift'](s.dev['uPlus'], s.noise),
        (s) => {
          // A refresh reprograms a pair (G+ or G−); an offset cell has one device: reprogrammed with noise instead.
          if (diff) for (let i = 5; i < ROWS * COLS; i += 97) s.dev['refreshPair'](i, spec(), s.dev['pn'] as PulseNoise);
          else s.dev['program'](s.dev['uPlus'], null, s.noise);
        },
        (s) => s.dev['applyStuck']((diff ? s.dev['uMinus'] : s.dev['uPlus']) as Float32Array, s.noise),
        (s) => {
          for (let i = 0; i < ROWS * COLS; i += 13) s.dev['countBoundHit'](i);
        },
      ];
      for (const w of writes) {
        for (const s of [kept, fresh]) {
          as(s, () => w(s));
          coincideAll(s);
        }
        expectSame(kept, fresh);
      }
      expect(kept.dev.pulses).toBeGreaterThan(5000);
      expect(kept.dev.boundHits).toBeGreaterThan(20);
      expect(kept.dev['frozen'].some((f: number) => f === 1)).toBe(true);
    },
  );

  test('a device write that bypasses devicesChanged is caught by the check (and the kept records were trusted)', () => {
    const s = side(true);
    coincideAll(s);
    // Behind the matrix's back: the kept record of cell (3, 5) no longer matches u+ − u−.
    s.dev['uPlus'][3 * COLS + 5] += 0.125;
    expect(() => coincideAll(s)).toThrow(/kept packed cells differ from the devices/);
  });

  test('without keeping, the same write goes unnoticed (the records are packed at every call)', () => {
    const s = side(false);
    coincideAll(s);
    s.dev['uPlus'][3 * COLS + 5] += 0.125;
    expect(() => coincideAll(s)).not.toThrow();
  });
});
