/**
 * The chip simulator: the netlist interpreter on the `ideal` preset reproduces the software engine
 * (tiled, and per-array through a float ADC); on device presets each array stage does what the chip
 * description says.
 */
import { compile } from '../compiler/pipeline';
import { edgeTiles } from '../netlist/tiles';
import type { NetlistMsg } from '../netlist/types';
import { syntheticDataset } from '../datasets/synthetic';
import type { Net } from '../graph/net';
import type { ChipDescription } from '../hw-models/chip';
import { PRESETS } from '../hw-models/presets';
import { ChipArrays, SILENT } from '../simulator/chip/chip-arrays';
import { makeInterpreter, runOnChip } from '../simulator/chip/run';
import { EpEngine } from '../simulator/engine/ep';
import { cloneParams, initParams, type Params } from '../graph/params';
import { IdealExecutor } from '../simulator/ideal-executor';
import { selectKernels } from '../simulator/kernels/select';
import { makeNoise } from '../simulator/noise';
import { makeGrads, train } from '../simulator/train';
import { makeRng } from '../util/rng';
import { chainNet, graphNet, randomInputs } from './helpers/nets';

const kernels = selectKernels('auto');

function compileOn(net: Net, chip: ChipDescription, params: Params): NetlistMsg {
  return compile(net, chip, params, { wMax: { kind: 'max' }, specFile: 'test', producerVersion: 'test' }).netlist;
}

function withChip(base: ChipDescription, patch: (c: ChipDescription) => void): ChipDescription {
  const c = JSON.parse(JSON.stringify(base)) as ChipDescription;
  patch(c);
  return c;
}

describe('the netlist interpreter on the ideal preset reproduces the software engine', () => {
  // A net with symmetric and random feedback and a skip, split over several arrays.
  const net = graphNet(
    784,
    [300, 40],
    10,
    [
      { name: 'W0', from: 'input', to: 'h1' },
      { name: 'W1', from: 'h1', to: 'h2', feedback: { kind: 'symmetric', beta: 0.05 } },
      { name: 'S', from: 'input', to: 'h2', alpha: 0.5 },
      { name: 'R', from: 'h2', to: 'h1', alpha: 0.05, trainable: false },
      { name: 'Wf', from: 'h2', to: 'output', feedback: { kind: 'random' } },
      // SGD: Adam normalises each element's step by its own gradient scale, so an element whose gradient
      // is ~1e-8 moves by ~lr whatever its sign noise; tiled float32 sums differ from one GEMM at that
      // level, and only SGD keeps the two runs' weights comparable to 1e-5 (the gradients themselves
      // agree to float precision: see the one-step test below).
    ],
    { betaF: 0.1, T: 6, K: 3, optimizer: { kind: 'sgd', lr: 0.02 } },
  );
  const data = {
    train: syntheticDataset({ count: 240, dim: 784, classes: 10, seed: 1 }),
    test: syntheticDataset({ count: 60, dim: 784, classes: 10, seed: 1, stream: 'test' }),
  };
  const p0 = initParams(net, makeRng(5));

  async function compare(chip: ChipDescription): Promise<void> {
    const netlist = compileOn(net, chip, p0);
    expect(netlist.arrays.length).toBeGreaterThan(net.edges.length); // really tiled
    const a = await train(net, cloneParams(p0), data, { algo: 'ep', epochs: 1, seed: 9, kernels });
    const b = await runOnChip(netlist, data, { mode: 'train', epochs: 1, seed: 9, kernels });

    expect(b.epochs[0].testAccuracy).toBe(a.result.epochs[0].testAccuracy);
    expect(Math.abs(b.epochs[0].trainLoss - a.result.epochs[0].trainLoss)).toBeLessThan(1e-3 * a.result.epochs[0].trainLoss);
    const chipW = b.interpreter.weights();
    let worst = 0;
    let moved = 0;
    net.edges.forEach((e) => {
      for (let i = 0; i < chipW[e.index].length; i++) {
        worst = Math.max(worst, Math.abs(chipW[e.index][i] - a.params.W[e.index].data[i]));
        moved = Math.max(moved, Math.abs(a.params.W[e.index].data[i] - p0.W[e.index].data[i]));
      }
    });
    expect(moved).toBeGreaterThan(1e-3); // training changed the weights
    expect(worst).toBeLessThanOrEqual(1e-5);

    const x = data.test.images.subarray(0, 8 * 784);
    const e1 = new EpEngine(net, new IdealExecutor(a.params, kernels), 8);
    e1.infer(x, 8);
    b.interpreter.infer(x, 8);
    let worstState = 0;
    for (let j = 0; j < net.layers.length; j++) {
      const s1 = e1.state(j);
      const s2 = b.interpreter.state(j + 1);
      for (let i = 0; i < 8 * net.layers[j].size; i++) worstState = Math.max(worstState, Math.abs(s1[i] - s2[i]));
    }
    expect(worstState).toBeLessThanOrEqual(1e-5);
  }

  // Every nudge mode: each places the nudge and the readout's update operands differently.
  test.each(['held', 'recomputed', 'graph'] as const)(
    'one EP step (Adam net, %s nudge): loss, states and every gradient agree to float precision',
    (nudge) => {
      const adamNet = {
        ...net,
        spec: {
          ...net.spec,
          dynamics: { ...net.spec.dynamics, nudge },
          training: { ...net.spec.training, optimizer: { kind: 'adam' as const, lr: 1e-3 } },
        },
      };
      const netlist = compileOn(adamNet, PRESETS.ideal, p0);
      const it = makeInterpreter(netlist, 1, kernels, 20);
      const eng = new EpEngine(adamNet, new IdealExecutor(p0, kernels), 20);
      const x = data.train.images.subarray(0, 20 * 784);
      const y = new Float32Array(200);
      for (let i = 0; i < 20; i++) y[i * 10 + data.train.labels[i]] = 1;
      const g1 = makeGrads(adamNet);
      const g2 = makeGrads(adamNet);
      const r1 = eng.step(x, y, 20, g1);
      const r2 = it.step(x, y, 20, g2);
      expect(Math.abs(r1.loss - r2.loss)).toBeLessThan(1e-6);
      for (let j = 0; j < net.layers.length; j++) {
        const a = eng.state(j);
        const b = it.state(j + 1);
        for (let i = 0; i < 20 * net.layers[j].size; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(2e-6);
      }
      for (const e of net.edges) {
        const a = g1[e.index];
        const b = g2[e.index];
        if (!a || !b) continue;
        const scale = a.reduce((mx, v) => Math.max(mx, Math.abs(v)), 0);
        expect(scale).toBeGreaterThan(0);
        for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1e-4 * scale);
      }
    },
  );

  test('after an epoch of EP training: weights and states equal within 1e-5', async () => {
    await compare(PRESETS.ideal);
  });

  test('noise-free per-array chip (32×32 arrays, float ADC with a full scale nothing reaches): equal within 1e-5', async () => {
    await compare(
      withChip(PRESETS.ideal, (c) => {
        c.crossbar.rows = 32;
        c.crossbar.cols = 32;
        c.noc.arraysPerCore = 64;
        c.noc.meshWidth = 8;
        c.noc.meshHeight = 8;
        c.periphery.adc = {
          bits: 'float',
          fullScale: 1e6,
          linesPerAdc: 8,
          outputNoise: 0,
          noiseManagement: 'none',
          boundManagement: 'none',
          maxRereads: 0,
          pairConversion: 'difference',
        };
      }),
    );
  });
});

describe('device stages', () => {
  const net = chainNet([40, 30, 20], 5, { betaI: 0.1, betaF: 0.1, T: 3, K: 2 });
  const p = initParams(net, makeRng(2));
  const m = 8;
  const x = randomInputs(m, 40, makeRng(3));

  const opts = { driftSeconds: 0, pulseRounding: 'deterministic' as const };
  function arraysOn(chip: ChipDescription, seed: number, backend?: 'native' | 'reference'): ChipArrays {
    return new ChipArrays(edgeTiles(compileOn(net, chip, p)), chip, kernels, makeNoise(makeRng(seed), backend), opts);
  }
  /** W0·x as array 0 reads and converts it, in weight units (one 30×40 tile on these chips). */
  function readW0(chip: ChipDescription, seed = 1): Float32Array {
    const arr = arraysOn(chip, seed);
    const part = new Float32Array(m * 30);
    arr.read(0, false, x, 40, 0, m, part);
    arr.adc.convert(part, m * 30, SILENT);
    const wMax = arr.arrays[0].dev.wMax;
    return part.map((v) => v * wMax);
  }
  const exact = (() => {
    const out = new Float32Array(m * 30);
    new IdealExecutor(p, kernels).forward(net.edges[0], x, m, 1, out);
    return out;
  })();
  const rmsDiff = (a: Float32Array, b: Float32Array) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0) / a.length);
  const rms = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);

  test('read noise: output error matches σ·√2·w_max·‖x‖ per line (range-relative, differential)', () => {
    const sigma = 0.05;
    const chip = withChip(PRESETS.ideal, (c) => {
      c.crossbar.readNoise = { sigma, relativeTo: 'range' };
    });
    const wMax = edgeTiles(compileOn(net, chip, p))[0].wMax;
    const errs: number[] = [];
    for (let s = 0; s < 20; s++) {
      const y = readW0(chip, s);
      for (let r = 0; r < m; r++) {
        let nx = 0;
        for (let i = 0; i < 40; i++) nx += x[r * 40 + i] ** 2;
        const sd = sigma * Math.SQRT2 * wMax * Math.sqrt(nx);
        for (let j = 0; j < 30; j++) errs.push((y[r * 30 + j] - exact[r * 30 + j]) / sd);
      }
    }
    const mean = errs.reduce((a, v) => a + v, 0) / errs.length;
    const variance = errs.reduce((a, v) => a + (v - mean) ** 2, 0) / errs.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(variance).toBeGreaterThan(0.9);
    expect(variance).toBeLessThan(1.1);
  });

  test('per-array path: read noise and ADC output noise add in variance', () => {
    const sigma = 0.03;
    const out = 0.5;
    const chip = withChip(PRESETS.ideal, (c) => {
      c.crossbar.readNoise = { sigma, relativeTo: 'range' };
      c.periphery.adc = {
        bits: 'float',
        fullScale: 1e6,
        linesPerAdc: 8,
        outputNoise: out,
        noiseManagement: 'none',
        boundManagement: 'none',
        maxRereads: 0,
        pairConversion: 'difference',
      };
    });
    const wMax = edgeTiles(compileOn(net, chip, p))[0].wMax;
    const z: number[] = [];
    for (let s = 0; s < 20; s++) {
      const y = readW0(chip, s);
      for (let r = 0; r < m; r++) {
        let nx = 0;
        for (let i = 0; i < 40; i++) nx += x[r * 40 + i] ** 2;
        const sd = wMax * Math.sqrt(2 * sigma * sigma * nx + out * out);
        for (let j = 0; j < 30; j++) z.push((y[r * 30 + j] - exact[r * 30 + j]) / sd);
      }
    }
    const variance = z.reduce((a, v) => a + v * v, 0) / z.length;
    expect(variance).toBeGreaterThan(0.9);
    expect(variance).toBeLessThan(1.1);
  });

  test('ADC: sums beyond full scale are clipped; a coarse ADC quantises to its step', () => {
    const clipped = withChip(PRESETS.ideal, (c) => {
      c.periphery.adc = {
        bits: 'float',
        fullScale: 0.01,
        linesPerAdc: 8,
        outputNoise: 0,
        noiseManagement: 'none',
        boundManagement: 'none',
        maxRereads: 0,
        pairConversion: 'difference',
      };
    });
    const wMax = edgeTiles(compileOn(net, clipped, p))[0].wMax;
    const y = readW0(clipped);
    for (const v of y) expect(Math.abs(v)).toBeLessThanOrEqual(0.01 * wMax * (1 + 1e-5));
    const coarse = withChip(PRESETS.ideal, (c) => {
      c.periphery.adc = {
        bits: 3,
        fullScale: 8,
        linesPerAdc: 8,
        outputNoise: 0,
        noiseManagement: 'none',
        boundManagement: 'none',
        maxRereads: 0,
        pairConversion: 'difference',
      };
    });
    const step = (2 * 8) / 7;
    const yq = readW0(coarse);
    for (const v of yq) {
      const k = (v / wMax + 8) / step;
      expect(Math.abs(k - Math.round(k))).toBeLessThan(1e-3);
    }
    expect(rmsDiff(yq, exact)).toBeGreaterThan(0);
  });

  test('DAC quantisation and finite levels perturb reads by about their step, not more', () => {
    const q = withChip(PRESETS.ideal, (c) => {
      c.periphery.dac = { ...c.periphery.dac, bits: 4, inputRange: [-1, 1] };
      c.crossbar.levels = 16;
    });
    const err = rmsDiff(readW0(q), exact) / rms(exact);
    expect(err).toBeGreaterThan(0.005);
    expect(err).toBeLessThan(0.3);
  });

  test('stuck devices: the drawn fraction matches the probability and those cells never change', () => {
    const chip = withChip(PRESETS.ideal, (c) => {
      c.crossbar.stuckAt = { onProbability: 0.1, offProbability: 0.1, compensation: 'none' };
      c.crossbar.levels = 1000;
    });
    const exec = arraysOn(chip, 4);
    const w = exec.W[1].W;
    const before = w.slice();
    w.fill(0.123);
    exec.commit([false, true, false]);
    const unchanged = w.reduce((a, v, i) => a + (v === before[i] ? 1 : 0), 0) / w.length;
    // A differential cell is frozen when either of its two devices is stuck: 1 − 0.8² = 0.36.
    expect(unchanged).toBeGreaterThan(0.28);
    expect(unchanged).toBeLessThan(0.44);
  });

  test.each(['native', 'reference'] as const)(
    'pulsed update (%s loop): k pulses move a weight by k·dw_min·w_max (no noise, no asymmetry, hard bounds)',
    (backend) => {
      const chip = withChip(PRESETS.ideal, (c) => {
        c.crossbar.levels = 1000;
        c.crossbar.update = {
          kind: 'pulsed',
          dwMin: 0.01,
          cycleToCycle: 0,
          upDownAsymmetry: 0,
          softBounds: false,
          pulsesPerUpdate: 5,
          scheme: 'row-programmed',
          accumulatorBits: 16,
          deviceToDevice: { dwMin: 0, wMax: 0, wMin: 0, upDownAsymmetry: 0 },
          pairMode: 'bipolar',
          refreshUpperThreshold: 0.75,
          refreshLowerThreshold: 0.25,
        };
      });
      const tiles = edgeTiles(compileOn(net, chip, p));
      const wMax = tiles[1].wMax;
      const exec = new ChipArrays(tiles, chip, kernels, makeNoise(makeRng(4), backend), opts);
      const w = exec.W[1].W;
      const before = w.slice();
      w[0] += 3 * 0.01 * wMax;
      w[1] -= 2.4 * 0.01 * wMax; // rounds to 2 pulses
      w[2] += 40 * 0.01 * wMax; // capped at 5 pulses per update
      exec.commit([false, true, false]);
      expect(w[0] - before[0]).toBeCloseTo(3 * 0.01 * wMax, 5);
      expect(w[1] - before[1]).toBeCloseTo(-2 * 0.01 * wMax, 5);
      expect(w[2] - before[2]).toBeCloseTo(5 * 0.01 * wMax, 5);
      expect(exec.pulses()).toBe(10);
    },
  );

  test('neuron unit: LUT activation, state noise and the state register', () => {
    const chip = withChip(PRESETS.ideal, (c) => {
      c.neuron.activation = { kind: 'lut', entries: 5, inputRange: [-2, 2] };
      c.neuron.stateBits = 'float';
    });
    const exec = arraysOn(chip, 4);
    const h = Float32Array.from([-5, -1.2, -0.4, 0.4, 0.9, 3]);
    const s = new Float32Array(30 * 1);
    exec.neuron.apply('tanh', h, s, 6);
    expect(Array.from(s.subarray(0, 6)).map((v) => +v.toFixed(5))).toEqual([-2, -1, 0, 0, 1, 2].map((v) => +Math.tanh(v).toFixed(5)));
    const reg = withChip(PRESETS.ideal, (c) => {
      c.neuron.stateBits = 2;
      c.neuron.stateNoise = 0;
    });
    const e2 = arraysOn(reg, 4);
    e2.neuron.apply('tanh', h, s, 6);
    // 2 bits over [−1, 1]: codes −1, −1/3, 1/3, 1.
    for (const v of s.subarray(0, 6)) expect([-1, -1 / 3, 1 / 3, 1].some((c) => Math.abs(c - v) < 1e-6)).toBe(true);
  });

  test('same seed, same chip: identical noisy reads; another seed differs', () => {
    const chip = PRESETS.reram;
    expect(Array.from(readW0(chip, 7))).toEqual(Array.from(readW0(chip, 7)));
    expect(Array.from(readW0(chip, 8))).not.toEqual(Array.from(readW0(chip, 7)));
    const err = rmsDiff(readW0(chip, 7), exact) / rms(exact);
    expect(err).toBeGreaterThan(0.005);
    expect(err).toBeLessThan(0.5);
  });
});
