// Usage: OPENBLAS_NUM_THREADS=1 node compare-trees.js <tree root with dist/ and native/build> — see README.md.
const root = process.argv[2];
const R = (p) => require(root + '/dist/' + p);
const { compile } = R('compiler/pipeline.js');
const { syntheticDataset } = R('datasets/synthetic.js');
const { initParams } = R('graph/params.js');
const { PRESETS } = R('hw-models/presets/index.js');
const { makeInterpreter } = R('simulator/chip/run.js');
const { loadNativeAddon } = R('simulator/kernels/native.js');
const { selectKernels } = R('simulator/kernels/select.js');
const { makeGrads } = R('simulator/train.js');
const { makeRng } = R('util/rng.js');
const { chainNet } = R('test/helpers/nets.js');
const crypto = require('crypto');
const { Buffer } = require('buffer');
const native = loadNativeAddon();
const B = 128;
const net = chainNet([196, 300, 300, 10], 10, { betaI: 0.01, betaF: 0.1, T: 4, K: 2, batch: B });
const ds = syntheticDataset({ count: 3 * B, dim: 196, classes: 10, seed: 2 });
const p0 = initParams(net, makeRng(6));
for (const preset of ['reram', 'pcm', 'ideal']) for (const threads of [1, 2]) {
  native.setChipThreads(threads);
  const netlist = compile(net, PRESETS[preset], p0, { wMax: { kind: 'max' }, specFile: 'test', producerVersion: 'test' }).netlist;
  const it = makeInterpreter(netlist, 4, selectKernels('auto'), B);
  const grads = makeGrads(net);
  const h = crypto.createHash('sha256');
  const x = new Float32Array(B * 196), y = new Float32Array(B * 10);
  for (let s = 0; s < 3; s++) {
    x.set(ds.images.subarray(s * B * 196, (s + 1) * B * 196)); y.fill(0);
    for (let i = 0; i < B; i++) y[i * 10 + ds.labels[s * B + i]] = 1;
    const { loss, probs } = it.step(x, y, B, grads);
    h.update(Buffer.from(Float64Array.of(loss).buffer)); h.update(Buffer.from(probs.buffer, probs.byteOffset, probs.byteLength));
    for (const g of grads) if (g) h.update(Buffer.from(g.buffer, g.byteOffset, g.byteLength));
    for (let gI = 1; gI < 4; gI++) { const st = it.state(gI); h.update(Buffer.from(st.buffer, st.byteOffset, st.byteLength)); }
  }
  console.log(preset, threads, h.digest('hex').slice(0, 16));
}
