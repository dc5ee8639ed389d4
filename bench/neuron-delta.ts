/**
 * How large EP's learning signal is against the registers that hold it: the hidden groups' δ = ŝ^β − ŝ⁰
 * of the demo net on a chip whose δ path is float (so nothing is rounded away), over the first training
 * samples at the initial weights. Prints the quantiles of |δ| and the fraction of |δ| below half the step
 * of a state register (2/(2^bits − 1); the difference of two rounded states keeps such a δ only by
 * chance, as a ±1-step difference) or of a δ register (deltaRange/2^(bits−1); rounded to 0).
 *   node dist/bench/neuron-delta.js [--spec examples/mnist-demo.json] [--chip reram] [--samples 1000]
 */
import { compile } from '../compiler/pipeline';
import { loadNetData } from '../datasets/net-data';
import { oneHot } from '../datasets/dataset';
import { loadGraph } from '../graph/load';
import { resolveNet } from '../graph/net';
import { initParams } from '../graph/params';
import { resolveChipObject } from '../hw-models/load';
import { makeInterpreter } from '../simulator/chip/run';
import { selectKernels } from '../simulator/kernels/select';
import { makeRng } from '../util/rng';
import { arg } from './args';

function main(): void {
  const specFile = arg('spec', 'examples/mnist-demo.json');
  const base = arg('chip', 'reram');
  const samples = Number(arg('samples', '1000'));
  const net = resolveNet(loadGraph(specFile));
  const chip = resolveChipObject(
    {
      base,
      name: `${base}-float-delta`,
      periphery: { adc: { boundManagement: 'iterative', maxRereads: 4 } },
      neuron: { learningSignal: { kind: 'difference-register', freeStateBits: 'float', deltaBits: 'float', deltaRange: 1 } },
    },
    'neuron-delta',
  );
  const data = loadNetData(net, specFile, { trainLimit: samples, testLimit: 1 });
  const netlist = compile(net, chip, initParams(net, makeRng(0)), { wMax: { kind: 'max' }, specFile, producerVersion: 'bench' }).netlist;
  const m = 100;
  const it = makeInterpreter(netlist, 0, selectKernels('auto'), m);
  const hidden = netlist.groups.map((g, i) => [g, i] as const).filter(([g]) => g.role === 'GROUP_ROLE_HIDDEN');
  const all: number[] = [];
  const y = new Float32Array(m * net.classes);
  for (let b = 0; b + m <= data.train.count; b += m) {
    const x = data.train.images.subarray(b * data.train.dim, (b + m) * data.train.dim);
    oneHot(data.train.labels, b, m, net.classes, y);
    it.step(x, y, m, []);
    for (const [g, i] of hidden) for (const d of it.learningSignal(i).delta.subarray(0, m * g.size)) all.push(Math.abs(d));
  }
  all.sort((a, b) => a - b);
  const q = (p: number) => all[Math.min(all.length - 1, Math.floor(p * all.length))];
  const below = (step: number) => all.filter((d) => d < step / 2).length / all.length;
  const betaF = netlist.dynamics!.betaF;
  console.log(`${specFile} on ${chip.name}: ${all.length} hidden δ values (${samples} samples, initial weights), beta_f ${betaF}`);
  console.log(
    `|δ| quantiles: 10% ${q(0.1).toExponential(2)}, 50% ${q(0.5).toExponential(2)}, 90% ${q(0.9).toExponential(2)}, 99% ${q(0.99).toExponential(2)}, max ${all[all.length - 1].toExponential(2)}`,
  );
  for (const bits of [8, 10, 12, 16])
    console.log(
      `state registers of ${bits} bits (step ${(2 / (2 ** bits - 1)).toExponential(2)}): ${(100 * below(2 / (2 ** bits - 1))).toFixed(1)} % of |δ| below half a step`,
    );
  for (const bits of [8, 12, 16])
    console.log(
      `δ register of ${bits} bits over ±0.25 (step ${(0.25 / 2 ** (bits - 1)).toExponential(2)}): ${(100 * below(0.25 / 2 ** (bits - 1))).toFixed(1)} % of δ round to 0`,
    );
}

main();
