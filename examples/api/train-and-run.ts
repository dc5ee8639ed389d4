/**
 * A study in code: build a graph, train it with EP in software, save the weights, compile them for
 * the ReRAM chip, check and round-trip the netlist, and evaluate the programmed chip with its
 * cycles and energy. Synthetic data, so it runs anywhere in a few seconds:
 *
 *   node dist/examples/api/train-and-run.js [OUT_DIR]
 *
 * Writes OUT_DIR/graph.json, OUT_DIR/weights.npz and OUT_DIR/demo.pb and prints one JSON summary,
 * so the same study can be redone with the CLI (`fre run OUT_DIR/graph.json --chip reram --weights …`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GraphBuilder,
  compileNet,
  decodeNetlist,
  encodeNetlist,
  initParams,
  loadNetData,
  loadParams,
  makeRng,
  provenance,
  readNpzMember,
  resolveNet,
  saveParams,
  selectKernels,
  simulateNetlist,
  train,
  validateNetlist,
  writeNetlistFile,
  NPZ_PROVENANCE_MEMBER,
} from 'fre-toolchain';

async function main(out: string): Promise<void> {
  mkdirSync(out, { recursive: true });
  // 784-32-32-10 on the synthetic MNIST-shaped data set, the Table-1 dynamics at a small scale.
  const spec = new GraphBuilder('api-demo')
    .data('synthetic')
    .input(784)
    .layer('h1', 32)
    .layer('h2', 32)
    .output(10)
    .chain({ betaI: 0.01 })
    .dynamics({ T: 6, K: 3, betaF: 0.1 })
    .training({ optimizer: { kind: 'adam', lr: 0.002 }, batchSize: 50, epochs: 3, seed: 1 })
    .build();
  writeFileSync(join(out, 'graph.json'), JSON.stringify(spec, null, 1));
  const net = resolveNet(spec);
  const limits = { trainLimit: 100, testLimit: 300, seed: spec.training.seed };
  const data = loadNetData(net, 'api-demo', limits);

  // Software training (EP), weights saved with their provenance and read back.
  const kernels = selectKernels('auto');
  const initial = initParams(net, makeRng(spec.training.seed));
  const { result, params } = await train(net, initial, data, {
    algo: 'ep',
    epochs: spec.training.epochs,
    seed: spec.training.seed,
    kernels,
  });
  const weights = join(out, 'weights.npz');
  saveParams(weights, net, params, { backend: kernels.name });
  const reloaded = loadParams(weights, net, makeRng(0));
  const record = JSON.parse(new TextDecoder().decode(readNpzMember(weights, NPZ_PROVENANCE_MEMBER)));

  // Compile for ReRAM, validate, round-trip the protobuf bytes, evaluate on the simulated chip.
  const netlist = compileNet(net, 'reram', { params: reloaded });
  const problems = validateNetlist(netlist, 'api-demo').diagnostics;
  const bytes = encodeNetlist(netlist);
  const decoded = decodeNetlist(bytes, 'api-demo.pb');
  writeNetlistFile(join(out, 'demo.pb'), decoded);
  const { run, costs } = await simulateNetlist(decoded, data, { mode: 'eval' });

  process.stdout.write(
    `${JSON.stringify({
      softwareBestTestAccuracy: result.bestTestAccuracy,
      softwareFinalTestAccuracy: result.finalTestAccuracy,
      weightsCommit: record.commit,
      netlistProblems: problems.length,
      netlistBytes: bytes.length,
      chip: run.chip.name,
      chipTestAccuracy: run.testAccuracy,
      cyclesPerInference: costs.cyclesPerInference,
      energyPerInferenceJoules: costs.energyPerInferenceJoules,
      provenance: provenance(kernels.name),
    })}\n`,
  );
}

main(process.argv[2] ?? 'api-demo-out').catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
