/**
 * fre's per-array read against an independent NumPy reference (test/reference/analog_mvm.py,
 * written from aihwkit's documented IOParameters and PCM drift semantics): the conductances of a
 * compiled netlist (decoded here) and the same inputs go to both; where nothing is random the reads
 * agree element by element, where noise is on the per-read error distributions agree by a
 * two-sample Kolmogorov–Smirnov test (≥ 10k reads a side). A negative control (the reference with a
 * 20 % larger read noise) must be told apart, so the test has power. With REFERENCE_TABLE=FILE the
 * table (configuration, reads, KS statistic, p-value) is written there (bench/results/reference/).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile } from '../compiler/pipeline';
import { initParams } from '../graph/params';
import type { ChipDescription } from '../hw-models/chip';
import { unitOf } from '../hw-models/conductance';
import { PRESETS } from '../hw-models/presets';
import { writeNpz } from '../io/npz';
import { edgeTiles } from '../netlist/tiles';
import { adcRangeOf } from '../netlist/types';
import { ChipArrays } from '../simulator/chip/chip-arrays';
import { convertOver } from '../simulator/chip/periphery';
import { selectKernels } from '../simulator/kernels/select';
import { makeNoise } from '../simulator/noise';
import { makeRng } from '../util/rng';
import { chainNet } from './helpers/nets';
import { pythonWithNumpy, testNeedingNumpy } from './needs';

const SCRIPT = join(__dirname, 'reference', 'analog_mvm.py');
const dir = mkdtempSync(join(tmpdir(), 'fre-ref-'));
const kernels = selectKernels('auto');
// One 128 × 256 array: 32 768 device pairs, so that per-device (quenched) randomness — programming
// noise, drift exponents — is sampled widely within one chip instance.
const net = chainNet([256, 128], 10, { betaI: 0.1, betaF: 0.5, T: 2, K: 1 });
const params = initParams(net, makeRng(7));
const SAMPLES = 100; // × 128 lines = 12 800 reads per configuration

interface Config {
  name: string;
  /** Chip changes from the ideal preset (256 levels, differential). */
  chip: (c: ChipDescription) => void;
  driftSeconds?: number;
  /** Read the same samples twice (other inputs) under one draw of the low-frequency offsets. */
  twoReads?: boolean;
  /** The reference's parameters beyond those derived from the chip. */
  ref?: Record<string, unknown>;
}

const CONFIGS: Config[] = [
  { name: 'plain (float DAC/ADC, unbounded)', chip: () => undefined },
  {
    name: 'ADC bound ±2 (clipping)',
    chip: (c) => {
      c.periphery.adc.fullScale = 2;
    },
  },
  {
    name: 'abs-max NM, 8-bit DAC, 8-bit ADC ±4',
    chip: (c) => {
      c.periphery.adc = { ...c.periphery.adc, bits: 8, fullScale: 4, noiseManagement: 'abs-max' };
      c.periphery.dac.bits = 8;
    },
  },
  {
    name: 'drift 1 day, ν 0.05, no spread',
    chip: (c) => {
      c.crossbar.drift = { nu: 0.05, nuStd: 0, t0Seconds: 20, compensation: 'none' };
    },
    driftSeconds: 86400,
  },
  {
    name: 'drift 1 year ν 0.05, g_min 1 % of g_max, global drift compensation',
    chip: (c) => {
      c.crossbar.drift = { nu: 0.05, nuStd: 0, t0Seconds: 20, compensation: 'global' };
      c.crossbar.gMinUS = 0.25;
      c.crossbar.gMaxUS = 25;
    },
    driftSeconds: 365 * 86400,
  },
  {
    name: 'read noise 2 % of range (white, per read)',
    chip: (c) => {
      c.crossbar.readNoise = { sigma: 0.02, relativeTo: 'range' };
    },
  },
  {
    name: 'read noise 5 % of target',
    chip: (c) => {
      c.crossbar.readNoise = { sigma: 0.05, relativeTo: 'target' };
    },
  },
  {
    name: 'output noise 0.06, abs-max NM, ADC ±4',
    chip: (c) => {
      c.periphery.adc = { ...c.periphery.adc, fullScale: 4, outputNoise: 0.06, noiseManagement: 'abs-max' };
    },
  },
  {
    name: 'programming noise 3 % of range',
    chip: (c) => {
      c.crossbar.programmingNoise = { sigma: 0.03, relativeTo: 'range' };
    },
  },
  {
    name: 'PCM drift 1 day, ν 0.05 ± 0.02',
    chip: (c) => {
      c.crossbar.drift = { nu: 0.05, nuStd: 0.02, t0Seconds: 20, compensation: 'none' };
    },
    driftSeconds: 86400,
  },
  {
    name: 'PCM-like: g_min 1 %, drift 1 year ν 0.05 ± 0.02, global compensation, read 1 %, output 0.06, NM, 8-bit DAC',
    chip: (c) => {
      c.crossbar.gMinUS = 0.25;
      c.crossbar.gMaxUS = 25;
      c.crossbar.drift = { nu: 0.05, nuStd: 0.02, t0Seconds: 20, compensation: 'global' };
      c.crossbar.readNoise = { sigma: 0.01, relativeTo: 'range' };
      c.periphery.adc = { ...c.periphery.adc, outputNoise: 0.06, noiseManagement: 'abs-max' };
      c.periphery.dac.bits = 8;
    },
    driftSeconds: 365 * 86400,
  },
  {
    name: 'low-frequency read noise 3 % of range held across two reads of a sample, white 1 %',
    chip: (c) => {
      c.crossbar.lowFrequencyReadNoise = { sigma: 0.03, relativeTo: 'range', redraw: 'sample' };
      c.crossbar.readNoise = { sigma: 0.01, relativeTo: 'range' };
    },
    twoReads: true,
  },
  {
    name: 'low-frequency read noise 4 % of target held across two reads, abs-max NM, 8-bit DAC',
    chip: (c) => {
      c.crossbar.lowFrequencyReadNoise = { sigma: 0.04, relativeTo: 'target', redraw: 'phase' };
      c.periphery.adc.noiseManagement = 'abs-max';
      c.periphery.dac.bits = 8;
    },
    twoReads: true,
  },
  {
    name: 'each-side conversion, ADC bound ±2 (each side clipped)',
    chip: (c) => {
      c.periphery.adc = { ...c.periphery.adc, fullScale: 2, pairConversion: 'each-side' };
    },
  },
  {
    name: 'each-side conversion, 8-bit ADC ±4, output noise 0.06 per side, read noise 1 %, abs-max NM',
    chip: (c) => {
      c.periphery.adc = {
        ...c.periphery.adc,
        bits: 8,
        fullScale: 4,
        outputNoise: 0.06,
        noiseManagement: 'abs-max',
        pairConversion: 'each-side',
      };
      c.crossbar.readNoise = { sigma: 0.01, relativeTo: 'range' };
    },
  },
  {
    name: 'PCM model (aihwkit): programming σ(g_T), drift ν(g_T), 1/f noise at 1 day, g 0.25–25 µS',
    chip: (c) => {
      c.crossbar.noiseModel = 'pcm-aihwkit';
      c.crossbar.gMinUS = 0.25;
      c.crossbar.gMaxUS = 25;
      c.crossbar.drift = { nu: 0, nuStd: 0, t0Seconds: 20, compensation: 'none' };
    },
    driftSeconds: 86400,
  },
  {
    name: 'PCM model (aihwkit) at 1 year, global drift compensation, output noise 0.06, abs-max NM',
    chip: (c) => {
      c.crossbar.noiseModel = 'pcm-aihwkit';
      c.crossbar.gMinUS = 0.25;
      c.crossbar.gMaxUS = 25;
      c.crossbar.drift = { nu: 0, nuStd: 0, t0Seconds: 20, compensation: 'global' };
      c.periphery.adc = { ...c.periphery.adc, outputNoise: 0.06, noiseManagement: 'abs-max' };
    },
    driftSeconds: 365 * 86400,
  },
];

function chipOf(cfg: Config): ChipDescription {
  const c = JSON.parse(JSON.stringify(PRESETS.ideal)) as ChipDescription;
  c.crossbar.levels = 256;
  cfg.chip(c);
  return c;
}

/** fre's reads of edge W0's one array over the inputs, and the files the reference reads. */
function oursAndInputs(cfg: Config, seed: number): { npz: string; json: Record<string, unknown> } {
  const chip = chipOf(cfg);
  const n = compile(net, chip, params, { wMax: { kind: 'max' }, specFile: 'ref', producerVersion: 'test' }).netlist;
  const t = edgeTiles(n)[0].weight[0];
  const lines = t.rowEnd - t.rowBegin;
  const inputs = t.colEnd - t.colBegin;
  const r = makeRng(seed);
  // Inputs in ±0.5 avoiding 0 (a DAC rounding tie): abs-max scaling changes them.
  const x = Float32Array.from({ length: SAMPLES * inputs }, () => {
    const v = r.uniform() - 0.5;
    return v === 0 ? 0.25 : v;
  });
  const arrays = new ChipArrays(edgeTiles(n), chip, kernels, makeNoise(makeRng(seed + 1)), {
    driftSeconds: cfg.driftSeconds ?? 0,
    pulseRounding: 'deterministic',
  });
  const { fullScale, step } = adcRangeOf(t.gains, 'forward');
  // One read of every sample through the chip's converters (each side on its own under each-side conversion).
  const readConverted = (xs: Float32Array): Float32Array => {
    const part = new Float32Array(SAMPLES * lines);
    arrays.read(t.array, false, xs, inputs, 0, SAMPLES, part);
    if (arrays.eachSide) arrays.convertSides(t.array, SAMPLES * lines, fullScale, step, part);
    else convertOver(part, SAMPLES * lines, fullScale, step);
    arrays.rescale(t.array, part, SAMPLES, lines);
    return part;
  };
  // The interpreter draws the held offsets per batch (or phase); here one draw for both reads.
  arrays.drawLowFrequency(SAMPLES);
  const part = readConverted(x);
  // The second read's inputs are the first's, slightly moved (as EP's nudged phase moves the free
  // states): a held offset then changes the error little, a redrawn one as much as a fresh draw.
  const x2 = cfg.twoReads ? x.map((v) => v + 0.05 * (r.uniform() - 0.5) || 0.25) : null;
  const part2 = x2 ? readConverted(x2) : null;
  const unit = (p: ArrayLike<number>) => Float64Array.from(p as ArrayLike<number>, (v) => unitOf(v, chip.crossbar.levels));
  const npz = join(dir, `${cfg.name.replace(/[^a-z0-9]+/gi, '-')}.npz`);
  writeNpz(npz, {
    u_plus: { data: unit(t.plus), shape: [lines, inputs] },
    u_minus: { data: unit(t.minus!), shape: [lines, inputs] },
    x: { data: Float64Array.from(x), shape: [SAMPLES, inputs] },
    ours: { data: Float64Array.from(part), shape: [SAMPLES, lines] },
    ...(x2 && part2
      ? {
          x2: { data: Float64Array.from(x2), shape: [SAMPLES, inputs] },
          ours2: { data: Float64Array.from(part2), shape: [SAMPLES, lines] },
        }
      : {}),
  });
  const xb = chip.crossbar;
  const adc = chip.periphery.adc;
  return {
    npz,
    json: {
      name: cfg.name,
      seed,
      nm: adc.noiseManagement,
      dac_bits: chip.periphery.dac.bits === 'float' ? 0 : chip.periphery.dac.bits,
      out_bound: adc.fullScale === 'unbounded' ? 0 : adc.fullScale,
      out_bits: adc.bits === 'float' ? 0 : adc.bits,
      read_sigma: xb.readNoise.sigma,
      read_ref: xb.readNoise.relativeTo,
      out_noise: adc.outputNoise,
      prog_sigma: xb.programmingNoise.sigma,
      prog_ref: xb.programmingNoise.relativeTo,
      lowfreq:
        xb.lowFrequencyReadNoise.sigma > 0 ? { sigma: xb.lowFrequencyReadNoise.sigma, ref: xb.lowFrequencyReadNoise.relativeTo } : null,
      pair: adc.pairConversion,
      pcm:
        xb.noiseModel === 'pcm-aihwkit'
          ? {
              g_min_us: xb.gMinUS,
              g_max_us: xb.gMaxUS,
              t0: xb.drift.t0Seconds,
              t: cfg.driftSeconds ?? 0,
              compensation: xb.drift.compensation,
            }
          : null,
      drift:
        cfg.driftSeconds && xb.noiseModel === 'constant'
          ? {
              nu: xb.drift.nu,
              nu_std: xb.drift.nuStd,
              t0: xb.drift.t0Seconds,
              t: cfg.driftSeconds,
              g_min_rel: xb.gMinUS / (xb.gMaxUS - xb.gMinUS),
              compensation: xb.drift.compensation,
            }
          : null,
      ...cfg.ref,
    },
  };
}

interface Result {
  name: string;
  reads: number;
  exact: boolean;
  max_abs_diff?: number;
  mismatches?: number;
  ks?: number;
  p?: number;
}

function reference(npz: string, json: Record<string, unknown>): Result {
  const out = join(dir, 'out.json');
  const r = spawnSync(pythonWithNumpy(), [SCRIPT, npz, JSON.stringify(json), out], { encoding: 'utf8', timeout: 120000 });
  if (r.status !== 0) throw new Error(`analog_mvm.py failed: ${r.stderr}`);
  return JSON.parse(readFileSync(out, 'utf8')) as Result;
}

describe('the per-array read against the NumPy reference', () => {
  const results: Result[] = [];
  const needs = testNeedingNumpy();

  needs.each(CONFIGS.map((c, i) => [c.name, i] as const))(
    '%s',
    (_name, i) => {
      const { npz, json } = oursAndInputs(CONFIGS[i], 100 + i);
      const r = reference(npz, json);
      results.push(r);
      expect(r.reads).toBeGreaterThanOrEqual(10000);
      if (r.exact) {
        const chip = chipOf(CONFIGS[i]);
        const adc = chip.periphery.adc;
        if (adc.bits === 'float') {
          // float32 (ours) against float64: equal to float32 rounding of sums of 256 terms.
          expect(r.max_abs_diff!).toBeLessThan(5e-5);
        } else {
          // Quantising converters: a value within float32 rounding of a code boundary may land on the
          // neighbouring code — rarely, and then by one ADC code (× the abs-max scale, ≤ 0.5 here).
          expect(r.mismatches!).toBeLessThanOrEqual(r.reads / 1000);
          expect(r.max_abs_diff!).toBeLessThanOrEqual(((2 * (adc.fullScale as number)) / (2 ** adc.bits - 1)) * 0.5 * (1 + 1e-6));
        }
      } else {
        expect(r.p!).toBeGreaterThan(0.001);
        expect(r.ks!).toBeLessThan(0.03);
      }
    },
    120000,
  );

  needs(
    'negative control: a reference with 20 % more read noise is told apart',
    () => {
      const cfg = CONFIGS.find((c) => c.name.startsWith('read noise 2 %'))!;
      const { npz, json } = oursAndInputs(cfg, 500);
      const r = reference(npz, { ...json, read_sigma: 0.024 });
      expect(r.p!).toBeLessThan(1e-6);
    },
    120000,
  );

  needs(
    'negative control: a reference that redraws the low-frequency offsets for the second read is told apart',
    () => {
      const i = CONFIGS.findIndex((c) => c.name.startsWith('low-frequency read noise 3 %'));
      const { npz, json } = oursAndInputs(CONFIGS[i], 600);
      const r = reference(npz, { ...json, lowfreq: { ...(json.lowfreq as object), redrawn: true } });
      expect(r.p!).toBeLessThan(1e-6);
    },
    120000,
  );

  afterAll(() => {
    const file = process.env.REFERENCE_TABLE;
    if (!file || results.length === 0) return;
    const rows = results.map(
      (r) =>
        `| ${r.name} | ${r.reads} | ${r.exact ? `element-wise: max abs diff ${r.max_abs_diff!.toExponential(2)}, ${r.mismatches} reads > 1e-4` : r.ks!.toFixed(4)} | ${r.exact ? '—' : r.p!.toFixed(3)} |`,
    );
    writeFileSync(
      file,
      ['| configuration | reads | KS statistic (or exact comparison) | p-value |', '|---|---|---|---|', ...rows, ''].join('\n'),
    );
  });
});
