/**
 * Conv and bias edges through the compiler and the chip simulator: the netlist carries the conv
 * geometry and the biases (round trip, NET050/NET040 checks), the schedule streams a conv edge's
 * positions through its arrays (hand-counted reads, conversions, update pulses and cycles), and
 * on the `ideal` chip the chip path reproduces the software engine with biases.
 */
import { decodeNetlist, encodeNetlist } from '../netlist/codec';
import { timedOps } from '../netlist/op-shape';
import { netlistParams } from '../netlist/tiles';
import type { NetlistMsg } from '../netlist/types';
import { validateNetlist } from '../netlist/validate';
import { compile } from '../compiler/pipeline';
import { syntheticDataset } from '../datasets/synthetic';
import { GraphBuilder } from '../graph/builder';
import { resolveNet, type Net } from '../graph/net';
import type { EdgeSpec } from '../graph/spec';
import { opCycles } from '../hw-models/timing';
import { PRESETS } from '../hw-models/presets';
import { chipCosts } from '../netlist/costs';
import { runOnChip } from '../simulator/chip/run';
import { EpEngine } from '../simulator/engine/ep';
import { cloneParams, initParams, type Params } from '../graph/params';
import { IdealExecutor } from '../simulator/ideal-executor';
import { selectKernels } from '../simulator/kernels/select';
import { evaluate, train } from '../simulator/train';
import { makeRng } from '../util/rng';

const kernels = selectKernels('auto');
const T = 3;
const K = 2;

/**
 * input [2,7,7] → W0 conv k3 p1 (7×7 = 49 positions) + maxpool 2 → h1 [3,3,3]
 *   → W1 conv k2 (2×2 = 4 positions), symmetric → h2 [4,2,2] → W2 dense 16→5, symmetric → h3 (5) → Wf → output (3).
 * Every edge has a bias.
 */
function smallConvNet(): Net {
  const edges: EdgeSpec[] = [
    { name: 'W0', from: 'input', to: 'h1', conv: { kernel: 3, padding: 1 }, pool: { kind: 'max', size: 2 }, bias: true },
    { name: 'W1', from: 'h1', to: 'h2', conv: { kernel: 2 }, feedback: { kind: 'symmetric', beta: 0.3 }, bias: true },
    { name: 'W2', from: 'h2', to: 'h3', feedback: { kind: 'symmetric', beta: 0.3 }, bias: true },
    { name: 'Wf', from: 'h3', to: 'output', bias: true },
  ];
  const b = new GraphBuilder('small-conv')
    .input([2, 7, 7])
    .map('h1', [3, 3, 3], 'tanh')
    .map('h2', [4, 2, 2], 'tanh')
    .layer('h3', 5, 'tanh')
    .output(3);
  edges.forEach((e) => b.edge(e));
  b.dynamics({ T, K, betaF: 0.5, nudge: 'held' }).training({ optimizer: { kind: 'sgd', lr: 0.1 }, batchSize: 4, epochs: 1, seed: 0 });
  return resolveNet(b.build());
}

/** Initial weights with non-zero biases (so that dropping them anywhere changes the numbers). */
function paramsOf(net: Net, seed = 5): Params {
  const rng = makeRng(seed);
  const p = initParams(net, rng);
  p.bias.forEach((b) => {
    if (b) for (let i = 0; i < b.length; i++) b[i] = 0.8 * (2 * rng.uniform() - 1);
  });
  return p;
}

function compileOn(net: Net, p: Params, chip = PRESETS.ideal): NetlistMsg {
  return compile(net, chip, p, { wMax: { kind: 'max' }, specFile: 'small-conv.json', producerVersion: 'test' }).netlist;
}

const net = smallConvNet();
const p0 = paramsOf(net);
const netlist = decodeNetlist(encodeNetlist(compileOn(net, p0)));
const codes = (n: NetlistMsg) => validateNetlist(n, 'n.pb').diagnostics.map((d) => `${d.code} ${d.path}: ${d.message}`);

describe('the netlist carries conv geometry and biases', () => {
  test('conv geometry per edge, biases bit-exact, dense edges without geometry', () => {
    expect(codes(netlist)).toEqual([]);
    const [w0, w1, w2, wf] = netlist.edges;
    expect(w0.conv).toEqual({
      kernel: 3,
      stride: 1,
      padding: 1,
      inChannels: 2,
      inHeight: 7,
      inWidth: 7,
      outChannels: 3,
      outHeight: 7,
      outWidth: 7,
      positions: 49,
      pool: 'POOL_KIND_MAX',
      poolSize: 2,
      poolStride: 2,
    });
    expect([w0.rows, w0.cols]).toEqual([3, 18]);
    expect(w1.conv).toMatchObject({
      kernel: 2,
      inChannels: 3,
      inHeight: 3,
      outChannels: 4,
      outHeight: 2,
      outWidth: 2,
      positions: 4,
      pool: 'POOL_KIND_NONE',
      poolSize: 0,
    });
    expect([w1.rows, w1.cols]).toEqual([4, 12]);
    expect(w2.conv).toBeNull();
    expect(wf.conv).toBeNull();
    const back = netlistParams(netlist);
    net.edges.forEach((e) => {
      expect(Array.from(back.bias[e.index]!)).toEqual(Array.from(p0.bias[e.index]!));
      expect(Array.from(back.W[e.index].data)).toEqual(Array.from(p0.W[e.index].data)); // ideal: lossless
    });
  });

  test('a dense net without biases encodes no conv or bias field (old netlists unchanged)', () => {
    const b = new GraphBuilder('d')
      .input(6)
      .layer('h', 4, 'tanh')
      .output(2)
      .chain({ betaI: 0.1 })
      .dynamics({ T: 2, K: 1, betaF: 0.1 })
      .training({ optimizer: { kind: 'sgd', lr: 0.1 }, batchSize: 2, epochs: 1, seed: 0 });
    const dense = resolveNet(b.build());
    const n = compileOn(dense, initParams(dense, makeRng(1)));
    expect(n.edges.every((e) => e.conv === null && e.bias.length === 0)).toBe(true);
    expect(n.schedule!.phases.flatMap((ph) => ph.ops).every((op) => op.positions === 0)).toBe(true);
    expect(netlistParams(decodeNetlist(encodeNetlist(n))).bias.every((x) => x === undefined)).toBe(true);
  });

  test('NET050: conv edges are checked against their geometry, not the dense rule', () => {
    const broken = (f: (n: NetlistMsg) => void) => {
      const n = structuredClone(netlist);
      f(n);
      return codes(n);
    };
    // Group sizes that would satisfy the dense rule (rows = size(to), cols = size(from)) are wrong for a conv edge.
    expect(
      broken((n) => {
        n.groups[1].size = 3 * 7 * 7;
      }),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^NET050 edges\.0: conv edge W0 reads 2×7×7 = 98 units and drives 3×9 = 27, but its groups are 98 \(from\) and 147 \(to\)/,
        ),
      ]),
    );
    expect(
      broken((n) => {
        n.edges[1].cols = 11;
      }),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^NET050 edges\.1: conv edge W1 is 4×11, but its unrolled kernel is C_out × C_in·k·k = 4×12/),
      ]),
    );
    expect(
      broken((n) => {
        n.edges[0].conv!.positions = 48;
      }),
    ).toEqual(expect.arrayContaining([expect.stringMatching(/^NET050 edges\.0\.conv: .*positions 48, but the output has 7×7 = 49/)]));
    expect(
      broken((n) => {
        n.edges[0].conv!.outHeight = 6;
      }),
    ).toEqual(expect.arrayContaining([expect.stringMatching(/^NET050 edges\.0\.conv: .*gives 7×7/)]));
    expect(
      broken((n) => {
        n.edges[0].conv!.pool = 'POOL_KIND_UNSPECIFIED';
      }),
    ).toEqual(expect.arrayContaining([expect.stringMatching(/pool kind is unspecified/)]));
    // Without its geometry, W0 falls under the dense rule and fails it.
    expect(
      broken((n) => {
        n.edges[0].conv = null;
      }),
    ).toEqual(
      expect.arrayContaining([expect.stringMatching(/^NET050 edges\.0: edge W0 is 3×18 but its groups are 27 \(to\) and 98 \(from\)/)]),
    );
    expect(
      broken((n) => {
        n.edges[2].bias.pop();
      }),
    ).toEqual(expect.arrayContaining([expect.stringMatching(/^NET050 edges\.2\.bias: edge W2 has 4 bias entries for its 5 rows/)]));
  });

  test("NET040: an array op must stream exactly its edge's positions", () => {
    const n = structuredClone(netlist);
    const input = n.schedule!.phases.find((ph) => ph.kind === 'PHASE_KIND_INPUT')!;
    const rd = input.ops.find((op) => op.opType === 'ArrayRead')!;
    rd.positions = 1;
    expect(codes(n)).toEqual([expect.stringMatching(/^NET040 .*streams 1 patch\(es\) per sample, but edge W0 has 49 positions/)]);
    const m = structuredClone(netlist);
    const free = m.schedule!.phases.find((ph) => ph.kind === 'PHASE_KIND_FREE')!;
    free.ops.find((op) => op.opType === 'ArrayRead' && m.edges[op.edge].name === 'W2')!.positions = 4;
    expect(codes(m)).toEqual([expect.stringMatching(/^NET040 .*streams 4 patch\(es\) per sample, but edge W2 is dense/)]);
  });
});

describe('the schedule reads a conv edge once per position', () => {
  const costs = chipCosts(netlist, PRESETS.ideal);
  // Positions per sample: W0 49 (conv), W1 4 (conv), W2 and Wf 1 (dense); every matrix fits one array.
  test('one core, one array per edge', () => {
    expect(netlist.cores.length).toBe(1);
    expect(netlist.arrays.length).toBe(4);
  });

  test('MVMs per inference and per training sample = Σ over edges of reads × positions × steps (hand count)', () => {
    // Inference: INPUT reads W0 once (49 patches); each of the T free steps reads W1 (4) and W2 (1)
    // forward and transposed (symmetric feedback); READOUT reads Wf once.
    expect(costs.actionCounts.inference.array_read).toBe(49 + T * (4 + 1) + 1);
    expect(costs.actionCounts.inference.array_read_transposed).toBe(T * (4 + 1));
    // Training adds the held nudge (Wf transposed, once) and K nudged steps.
    expect(costs.actionCounts.training.array_read).toBe(49 + (T + K) * (4 + 1) + 1);
    expect(costs.actionCounts.training.array_read_transposed).toBe((T + K) * (4 + 1) + 1);
    // Conversions: lines sensed × positions. W0 senses 3 channels, W1 4 forward / 12 transposed,
    // W2 5 forward / 16 transposed, Wf 3.
    expect(costs.actionCounts.inference.adc_conversion).toBe(3 * 49 + T * (4 * 4 + 12 * 4 + 5 + 16) + 3);
    // DAC lines: W0 drives 18 per patch; W1 12 forward / 4 transposed; W2 16 / 5; Wf 5.
    expect(costs.actionCounts.inference.dac_drive).toBe(18 * 49 + T * (12 * 4 + 4 * 4 + 16 + 5) + 5);
    // The digital outer product: every cell once per patch of the sample.
    expect(costs.actionCounts.training.outer_product_mac).toBe(3 * 18 * 49 + 4 * 12 * 4 + 5 * 16 + 3 * 5);
    // Exact updates: every cell written once per batch commit, a 1/batch share per sample.
    expect(costs.actionCounts.training.update_pulse).toBe((3 * 18 + 4 * 12 + 5 * 16 + 3 * 5) / netlist.trainingInfo!.batchSize);
  });

  test("cycles: a conv array op lasts positions × one patch's cycles; partial sums of all patches are accumulated", () => {
    const chip = PRESETS.ideal;
    const input = netlist.schedule!.phases.find((ph) => ph.kind === 'PHASE_KIND_INPUT')!;
    const timed = timedOps(chip, input);
    const at = (type: string) => input.ops.findIndex((op) => op.opType === type);
    expect(input.ops[at('ArrayRead')]).toMatchObject({ lines: 18, positions: 49, elements: 18 * 49 });
    expect(timed[at('ArrayRead')].cycles).toBe(49 * opCycles(chip, { opType: 'ArrayRead' }));
    expect(timed[at('AdcConvert')].cycles).toBe(49 * opCycles(chip, { opType: 'AdcConvert', lines: 3 }));
    expect(timed[at('Accumulate')].cycles).toBe(opCycles(chip, { opType: 'Accumulate', elements: 3 * 49 }));
    // One core: the INPUT phase is the chain LoadInput → read → convert → accumulate.
    const input0 = costs.phases.find((ph) => ph.kind === 'PHASE_KIND_INPUT')!;
    expect(input0.cyclesPerIteration).toBe(timed.reduce((a, op) => a + op.cycles, 0));
    expect(input0.cyclesPerIteration).toBeGreaterThan(49 * opCycles(chip, { opType: 'ArrayRead' }));
    // The update of W0's array: 49 outer-product passes of 3 rows each.
    const upd = netlist.schedule!.phases.find((ph) => ph.kind === 'PHASE_KIND_UPDATE')!;
    const i = upd.ops.findIndex((op) => op.opType === 'OuterProductUpdate' && netlist.edges[op.edge].name === 'W0');
    expect(timedOps(chip, upd)[i].cycles).toBe(
      49 * opCycles(chip, { opType: 'OuterProductUpdate', rows: 3, cells: upd.ops[i].elements / 49 }),
    );
  });

  test('reductions name the group units the conv edge drives', () => {
    const red = (edge: string, read: string) => netlist.reductions.find((r) => netlist.edges[r.edge].name === edge && r.read === read)!;
    // W0 forward: 3 channels × 3×3 pooled map = h1 units [0, 27); W1 transposed: 12 patch columns
    // fall in h1's 3 channels of 3×3 = [0, 27); W1 forward: h2 [0, 16).
    expect([red('W0', 'READ_KIND_FORWARD').begin, red('W0', 'READ_KIND_FORWARD').end]).toEqual([0, 27]);
    expect([red('W1', 'READ_KIND_TRANSPOSED').begin, red('W1', 'READ_KIND_TRANSPOSED').end]).toEqual([0, 27]);
    expect([red('W1', 'READ_KIND_FORWARD').begin, red('W1', 'READ_KIND_FORWARD').end]).toEqual([0, 16]);
  });
});

describe('the ideal chip reproduces the software engine on a conv net with biases', () => {
  const data = {
    train: syntheticDataset({ count: 48, dim: 98, classes: 3, seed: 1 }),
    test: syntheticDataset({ count: 40, dim: 98, classes: 3, seed: 1, stream: 'test' }),
  };

  test('evaluation of the programmed weights (biases from the netlist)', async () => {
    const chip = await runOnChip(netlist, data, { mode: 'eval', epochs: 0, seed: 3, kernels });
    const m = net.spec.training.batchSize;
    const x = new Float32Array(m * net.inputSize);
    const y = new Float32Array(m * net.classes);
    const soft = evaluate(new EpEngine(net, new IdealExecutor(p0, kernels), m, p0.bias), data.test, m, x, y);
    expect(chip.testAccuracy).toBe(soft);
    // The biases matter here: without them the accuracy is not the same.
    const zero = cloneParams(p0);
    zero.bias.forEach((b) => b?.fill(0));
    expect(evaluate(new EpEngine(net, new IdealExecutor(zero, kernels), m, zero.bias), data.test, m, x, y)).not.toBe(soft);
  });

  test("in-situ training for an epoch: the same accuracy as fre train's engine", async () => {
    const soft = await train(net, cloneParams(p0), data, { algo: 'ep', epochs: 1, seed: 9, kernels });
    const chip = await runOnChip(netlist, data, { mode: 'train', epochs: 1, seed: 9, kernels });
    expect(chip.testAccuracy).toBe(soft.result.finalTestAccuracy);
    expect(chip.epochs[0].trainLoss).toBeCloseTo(soft.result.epochs[0].trainLoss, 5);
  });
});
