// Bytes of a chip training run, for checking that a change to the chip executor leaves them alone:
// sha256 (first 16 hex digits) of every edge's weights and biases and of the ADC saturation counts after
// one epoch of 1 000 MNIST samples on examples/mnist-2hl.json (2HL-512; SPEC and LIMIT override), per preset
// and chip-thread count.
// A preset may name an update scheme, e.g. reram:stochastic-coincidence (crossbar.update.scheme replaced).
// Usage (from the repository root; <root> holds dist/ and native/build of the tree to check, e.g. an older
// commit's build):
//   OPENBLAS_NUM_THREADS=1 node bench/results/speed/hash-chip.js <root> [presets] [threads]
const root = require('path').resolve(process.argv[2] || '.');
const { Buffer } = require('buffer');
const presets = (process.argv[3] || 'ideal,reram,pcm').split(',');
const threadList = (process.argv[4] || '1,2,3').split(',').map(Number);
const R = (p) => require(root + '/dist/' + p);
const { loadNetData } = R('datasets/net-data.js');
const { compile } = R('compiler/pipeline.js');
const { loadGraph } = R('graph/load.js');
const { resolveNet } = R('graph/net.js');
const { initParams } = R('graph/params.js');
const { PRESETS } = R('hw-models/presets/index.js');
const { runOnChip } = R('simulator/chip/run.js');
const { loadNativeAddon } = R('simulator/kernels/native.js');
const { selectKernels } = R('simulator/kernels/select.js');
const { makeRng } = R('util/rng.js');
const crypto = require('crypto');
const spec = process.env.SPEC || 'examples/mnist-2hl.json';
const net = resolveNet(loadGraph(spec));
const data = loadNetData(net, spec, { trainLimit: Number(process.env.LIMIT || 1000), testLimit: 200 });
const p0 = initParams(net, makeRng(0));
const native = loadNativeAddon();
const kernels = selectKernels('auto');
(async () => {
  for (const preset of presets)
    for (const threads of threadList) {
      native.setChipThreads(threads);
      const [name, scheme] = preset.split(':');
      const chip = JSON.parse(JSON.stringify(PRESETS[name]));
      if (scheme) chip.crossbar.update = { ...chip.crossbar.update, scheme };
      const netlist = compile(net, chip, p0, { wMax: { kind: 'max' }, specFile: spec, producerVersion: 'bench' }).netlist;
      const r = await runOnChip(netlist, data, { mode: 'train', epochs: 1, seed: 0, kernels });
      const it = r.interpreter;
      const h = crypto.createHash('sha256');
      for (const w of it.weights()) h.update(Buffer.from(w.buffer, w.byteOffset, w.byteLength));
      for (const b of it.biases()) if (b) h.update(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
      h.update(JSON.stringify(it.adcSaturation()));
      console.log(preset, threads, h.digest('hex').slice(0, 16), (100 * r.testAccuracy).toFixed(2) + '%');
    }
})();
