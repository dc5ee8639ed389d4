/**
 * What a read sees of the devices (DeviceMatrix.sideUnits, readWeights): on the ideal chip (exact updates,
 * continuous, noiseless, nothing stuck) W itself is the truth and commitExact leaves the devices' u alone,
 * so the sides and the IR-drop read follow from W; on a pulsed chip the devices' u are the truth, even with
 * continuous, noiseless levels (a potentiate-only pair holds both devices risen, which W cannot tell).
 */
import type { ChipDescription } from '../hw-models/chip';
import { irDropWeights } from '../hw-models/ir-drop';
import { PRESETS } from '../hw-models/presets';
import { DeviceMatrix } from '../simulator/chip/devices';
import { makeNoise } from '../simulator/noise';
import { makeRng } from '../util/rng';
import { idealWithPulsedUpdate, wholeTile } from './helpers/chips';

const rows = 6;
const cols = 5;
const n = rows * cols;
const plus = Float32Array.from({ length: n }, (_, i) => (i % 3) / 4);
const minus = Float32Array.from({ length: n }, (_, i) => (i % 4) / 5);

function matrix(chip: ChipDescription): { dev: DeviceMatrix; noise: ReturnType<typeof makeNoise> } {
  const noise = makeNoise(makeRng(3), 'reference');
  const dev = new DeviceMatrix(rows, cols, 1, [wholeTile(rows, cols, plus, minus)], chip, noise, {
    driftSeconds: 0,
    pulseRounding: 'deterministic',
  });
  return { dev, noise };
}

test('ideal chip with wire resistance: the IR-drop read follows the committed W, not the devices as first programmed', () => {
  const chip = JSON.parse(JSON.stringify(PRESETS.ideal)) as ChipDescription;
  chip.crossbar.cell = 'differential';
  chip.crossbar.wireResistanceOhm = 2.5;
  const { dev, noise } = matrix(chip);
  for (let i = 0; i < n; i++) dev.W[i] = 0.9 * Math.sin(i + 1);
  dev.commit(noise);
  const r = Array.from(dev.W, (w) => w / dev.wMax);
  const expected = irDropWeights({ rows, cols, plus: r.map((x) => Math.max(x, 0)), minus: r.map((x) => Math.max(-x, 0)) }, chip.crossbar);
  const read = dev.readWeights();
  let worst = 0;
  for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(read[i] - expected[i] * dev.wMax));
  expect(worst).toBeLessThan(1e-6);
});

test('pulsed potentiate-only pairs on continuous noiseless levels: the sides are the devices, both risen', () => {
  const chip = idealWithPulsedUpdate({ pairMode: 'potentiate-only' });
  chip.crossbar.cell = 'differential';
  const { dev } = matrix(chip);
  const s = dev.sideUnits();
  expect(Array.from(s.plus)).toEqual(Array.from(plus));
  expect(Array.from(s.minus)).toEqual(Array.from(minus));
});
