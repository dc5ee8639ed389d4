/**
 * Chip files and netlists written before a field existed keep meaning what they meant: an override of
 * the DAC range moves the state register's default range with it; a netlist without the read-physics
 * fields decodes to the old chip (no low-frequency noise, constant noise model, one conversion).
 */
import { compileNet } from '../api/study';
import { GraphBuilder } from '../graph/builder';
import { resolveNet } from '../graph/net';
import { resolveChipObject } from '../hw-models/load';
import { chipFingerprint } from '../hw-models/compare';
import { preset } from '../hw-models/presets/index';
import { validateChip } from '../hw-models/validate';
import { chipFromMsg } from '../netlist/chip-proto';
import { decodeNetlist, encodeNetlist } from '../netlist/codec';
import { validateNetlist } from '../netlist/validate';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const net = resolveNet(
  new GraphBuilder('compat')
    .data('synthetic')
    .input(8)
    .layer('h1', 6)
    .output(3)
    .chain({ betaI: 0.1 })
    .dynamics({ T: 2, K: 1, betaF: 0.1 })
    .training({ optimizer: { kind: 'adam', lr: 0.01 }, batchSize: 4, epochs: 1, seed: 0 })
    .build(),
);

describe('chip files and netlists written before a field existed', () => {
  test('an override that moves the DAC range moves the state register with it, unless it names stateRange', () => {
    expect(resolveChipObject({ base: 'reram', periphery: { dac: { inputRange: [0, 1] } } }, 'c.json').neuron.stateRange).toEqual([0, 1]);
    const both = { base: 'reram', periphery: { dac: { inputRange: [0, 1] } }, neuron: { stateRange: [-1, 1] } };
    expect(resolveChipObject(both, 'c.json').neuron.stateRange).toEqual([-1, 1]);
    expect(resolveChipObject({ base: 'reram' }, 'c.json').neuron.stateRange).toEqual([-1, 1]);
  });
  test('a netlist without low-frequency noise, noise model or pair conversion reads as the old chip', () => {
    const msg = decodeNetlist(encodeNetlist(compileNet(net, preset('reram')!)));
    const x = msg.chip!.crossbar!;
    delete (x as { lowFrequencyReadNoise?: unknown }).lowFrequencyReadNoise;
    (x as { noiseModel: string }).noiseModel = 'NOISE_MODEL_UNSPECIFIED';
    (msg.chip!.periphery!.adc! as { pairConversion: string }).pairConversion = 'PAIR_CONVERSION_UNSPECIFIED';
    const c = chipFromMsg(msg.chip!);
    expect(c.crossbar.lowFrequencyReadNoise).toEqual({ sigma: 0, relativeTo: 'range', redraw: 'sample' });
    expect(c.crossbar.noiseModel).toBe('constant');
    expect(c.periphery.adc.pairConversion).toBe('difference');
  });
  test('a full chip file written before the session-4 fields validates as the chip it described', () => {
    const c = JSON.parse(JSON.stringify(preset('reram'))) as Record<string, any>;
    for (const [o, k] of [
      [c.crossbar, 'lowFrequencyReadNoise'],
      [c.crossbar, 'noiseModel'],
      [c.crossbar.stuckAt, 'compensation'],
      [c.crossbar.update, 'pairMode'],
      [c.crossbar.update, 'refreshUpperThreshold'],
      [c.crossbar.update, 'refreshLowerThreshold'],
      [c.periphery.adc, 'pairConversion'],
      [c.costModel, 'integrationStepNs'],
      [c.neuron, 'stateRange'],
      [c.neuron, 'learningSignal'],
    ] as const)
      delete o[k];
    const r = validateChip(c, 'old-chip.json');
    expect(r.diagnostics).toEqual([]);
    expect(chipFingerprint(r.chip!)).toBe(chipFingerprint(preset('reram')!));
    expect(r.chip!.crossbar.noiseModel).toBe('constant');
    expect(r.chip!.crossbar.lowFrequencyReadNoise.sigma).toBe(0);
  });
  test('a chip file and a netlist written before noc.cluster: every core its own buffers, router and neuron unit', () => {
    const c = JSON.parse(JSON.stringify(preset('reram'))) as Record<string, any>;
    delete c.noc.cluster;
    const r = validateChip(c, 'old-chip.json');
    expect(r.diagnostics).toEqual([]);
    expect(r.chip!.noc.cluster).toEqual({ cores: 1, inputBuffer: 'core', stateBuffer: 'core', router: 'core', neuronUnit: 'core' });
    expect(chipFingerprint(r.chip!)).toBe(chipFingerprint(preset('reram')!));
    const msg = decodeNetlist(encodeNetlist(compileNet(net, preset('reram')!)));
    msg.chip!.noc!.cluster = null;
    expect(chipFromMsg(msg.chip!).noc.cluster).toEqual(r.chip!.noc.cluster);
    // A cluster written to a netlist reads back as written.
    const isaac = decodeNetlist(encodeNetlist(compileNet(net, preset('isaac')!)));
    expect(chipFromMsg(isaac.chip!).noc.cluster).toEqual(preset('isaac')!.noc.cluster);
  });
  test('a netlist compiled before noc.cluster keeps its fingerprint (no NET010 "the description was edited")', () => {
    // test/golden/tiny-agt.chip.json has no noc.cluster; its netlist as compiled before the field (commit
    // 36c19f7) stored this fingerprint. The default cluster is left out of the fingerprint, as every later field.
    const before = '1087fc267ebc27d0359096c80f21a63517c9bd99282095475ddd706bddba022c';
    const file = join(__dirname, 'golden', 'tiny-agt.chip.json');
    const old = resolveChipObject(JSON.parse(readFileSync(file, 'utf8')), file);
    expect(old.noc.cluster).toEqual({ cores: 1, inputBuffer: 'core', stateBuffer: 'core', router: 'core', neuronUnit: 'core' });
    expect(chipFingerprint(old)).toBe(before);
    const msg = decodeNetlist(encodeNetlist(compileNet(net, old)));
    msg.chip!.noc!.cluster = null; // as an old netlist has it
    msg.chip!.fingerprint = before;
    expect(validateNetlist(msg, 'old.netlist').diagnostics.filter((d) => d.path === 'chip.fingerprint')).toEqual([]);
    // A non-default cluster still changes the fingerprint.
    const shared = { ...old, noc: { ...old.noc, cluster: { ...old.noc.cluster, cores: 2, router: 'cluster' as const } } };
    expect(chipFingerprint(shared)).not.toBe(before);
  });
});
