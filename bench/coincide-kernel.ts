/**
 * The stochastic-coincidence kernel alone (native/devices.c coincide via DeviceMatrix.coincide): one
 * 256 × 256 reram tile, 500 samples a call (2HL-512's batch), CPU nanoseconds per applied pulse and
 * wall milliseconds per call. η is set for ≈ 2 300 pulses per sample on the tile (2HL-512 in situ
 * takes ≈ 21 000 a sample over its 14 tiles). FRE_NATIVE_ADDON picks another build (before/after),
 * FRE_CHIP_THREADS the threads.
 *   node dist/bench/coincide-kernel.js [--eta 0.02] [--reps 5]
 */
import type { ArrayTile } from '../netlist/tiles';
import type { ChipDescription } from '../hw-models/chip';
import { PRESETS } from '../hw-models/presets';
import { DeviceMatrix } from '../simulator/chip/devices';
import { loadNativeAddon } from '../simulator/kernels/native';
import { makeNoise } from '../simulator/noise';
import { makeRng } from '../util/rng';
import { arg } from './args';

function main(): void {
  const eta = Number(arg('eta', '0.02'));
  const reps = Number(arg('reps', '5'));
  const native = loadNativeAddon();
  if (!native?.coincide) throw new Error('bench/coincide-kernel: the native addon (with coincide) is not built; run bash scripts/setup.sh');
  const chip = JSON.parse(JSON.stringify(PRESETS.reram)) as ChipDescription;
  if (chip.crossbar.update.kind !== 'pulsed') throw new Error('bench/coincide-kernel: the reram preset has no pulsed update');
  chip.crossbar.update = { ...chip.crossbar.update, scheme: 'stochastic-coincidence' };
  const rows = 256;
  const cols = 256;
  const n = 500;
  const r = makeRng(11);
  const u = Float32Array.from({ length: rows * cols }, () => r.uniform() * 1.6 - 0.8);
  const tile = {
    array: 0,
    core: 0,
    slot: 0,
    role: 'weight',
    rowBegin: 0,
    rowEnd: rows,
    colBegin: 0,
    colEnd: cols,
    tileRow: 0,
    tileCol: 0,
    reads: ['forward'],
    trainable: true,
    gains: {} as ArrayTile['gains'],
    plus: u.map((v) => (v > 0 ? v : 0)),
    minus: u.map((v) => (v < 0 ? -v : 0)),
  } as ArrayTile;
  const noise = makeNoise(makeRng(3), 'native');
  const dev = new DeviceMatrix(rows, cols, 1, [tile], chip, noise, { driftSeconds: 0, pulseRounding: 'deterministic' });
  dev.native = native;
  // δ: small, a tenth of the rows five times larger; x: half the inputs 0 (MNIST's blank pixels), the rest U(0, 1).
  const post = Float32Array.from({ length: n * rows }, () => (r.uniform() - 0.5) * 0.02 * (r.uniform() < 0.1 ? 5 : 1));
  const pre = Float32Array.from({ length: n * cols }, () => (r.uniform() < 0.5 ? 0 : r.uniform()));
  console.log(`coincide, ${rows} × ${cols} reram tile, ${n} samples a call, η ${eta}, addon ${process.env.FRE_NATIVE_ADDON ?? 'default'}`);
  for (let rep = 0; rep < reps; rep++) {
    const p0 = dev.pulses;
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    dev.coincide(0, rows, 0, cols, post, rows, pre, cols, n, eta, noise);
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    const c = process.cpuUsage(c0);
    const pulses = dev.pulses - p0;
    const cpuNs = (c.user + c.system) * 1000;
    console.log(
      `wall ${wall.toFixed(1)} ms  cpu ${(cpuNs / 1e6).toFixed(1)} ms  pulses/sample ${(pulses / n).toFixed(0)}  cpu ns/pulse ${(cpuNs / pulses).toFixed(1)}`,
    );
  }
}

main();
