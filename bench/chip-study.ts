/**
 * The chip study (issues 7 and 14) in one command: net × preset × update scheme × {in situ EP,
 * ex situ EP, ex situ BP}, with the software EP and BP runs of each net as the reference. Per run:
 * test accuracy, update pulses, PCM pair refreshes, cycles and energy per training sample and per
 * inference, the fraction of ADC conversions clipped, the weights at a bound of their range.
 *
 *   node dist/bench/chip-study.js [--nets examples/mnist-demo.json,examples/mnist-2hl.json]
 *       [--presets reram,pcm] [--schemes row-programmed,mixed-precision,stochastic-coincidence]
 *       [--methods insitu,ep-exsitu,bp-exsitu] [--epochs N (default: each spec's)] [--seeds 0,1,2]
 *       [--train-limit N] [--test-limit N] [--w-max max|xF|value] [--adc-range fixed|percentile:P]
 *       [--chip-override JSON|@file.json] [--points file.json] [--sgd-lr LR] [--weights-dir DIR]
 *       [--out bench/results/chip-study]
 *
 * - In situ: the seed's initial weights compiled for the chip (weight range --w-max, ADC ranges
 *   --adc-range), trained by EP on the chip executor with the chip's update scheme.
 * - Ex situ: software-trained weights (the ideal executor, same net, epochs, seed and data) compiled
 *   for the chip (w_max = max|W|, --adc-range) and evaluated. They do not depend on the update scheme,
 *   so they run once per net × preset × point × seed. The weights are trained once per net × algo ×
 *   seed × epochs × data and kept in --weights-dir (reused when present).
 * - stochastic-coincidence has no optimiser (it realises plain SGD): a net whose spec trains with
 *   another optimiser is run as an SGD variant with --sgd-lr (its software EP run is added as a
 *   reference row); without --sgd-lr such rows are recorded as skipped with the reason.
 * - --points: a JSON list of { "label": …, "chip": { chip overrides } } — each point's overrides
 *   merge over --chip-override and the scheme (e.g. the coincidence BL × device-spread sweep,
 *   examples/chip-study/coincidence-bl-spread.json). Presets with exact updates run one "exact" row.
 *
 * Output, in --out: study.jsonl, one line per finished run, the file rewritten atomically after
 * each run (an interrupted study rerun with the same options skips every finished row), and
 * study.md, the table of all rows in the file.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../compiler/pipeline';
import { parseAdcRangePolicy, parseWMaxPolicy } from '../compiler/options';
import type { CompileOptions } from '../compiler/ir';
import { loadNetData } from '../datasets/net-data';
import type { DataSplit } from '../datasets/dataset';
import { loadGraph } from '../graph/load';
import { resolveNet, type Net } from '../graph/net';
import { cloneParams, initParams, type Params } from '../graph/params';
import type { GraphSpec } from '../graph/spec';
import { loadParams, saveParams } from '../graph/weights-file';
import type { ChipDescription } from '../hw-models/chip';
import { mergeOverrides, resolveChipObject } from '../hw-models/load';
import { chipCosts } from '../netlist/costs';
import { calibrationInputs } from '../simulator/calibration-batch';
import { runOnChip } from '../simulator/chip/run';
import { coincidenceTrainingProblem } from '../simulator/chip/update-schemes';
import type { AdcSaturation } from '../simulator/chip/interpreter';
import { selectKernels } from '../simulator/kernels/select';
import { train, type Algorithm } from '../simulator/train';
import { boundHitFraction } from '../sweep/chip-runner';
import { writeAtomic } from '../util/atomic-write';
import { makeRng } from '../util/rng';
import { arg, hasArg } from './args';
import { machineInfo } from './machine';

type Obj = Record<string, unknown>;
type Row = Record<string, unknown> & { key: string };

const list = (s: string): string[] => s.split(',').filter((x) => x.length > 0);
const log = (s: string): void => void process.stderr.write(`${s}\n`);

interface Point {
  label: string;
  chip: Obj;
}

function readJsonArg(text: string): unknown {
  return JSON.parse(text.startsWith('@') ? readFileSync(text.slice(1), 'utf8') : text);
}

const FLAGS = [
  ...['nets', 'spec', 'presets', 'schemes', 'methods', 'epochs', 'seeds', 'train-limit', 'test-limit', 'w-max', 'adc-range'],
  ...['chip-override', 'points', 'sgd-lr', 'weights-dir', 'out'],
];

async function main(): Promise<void> {
  // A mistyped flag (or --help) must not start an hour-long study with the defaults.
  const unknown = process.argv.slice(2).filter((a) => a.startsWith('--') && !FLAGS.includes(a.slice(2)));
  if (unknown.length > 0) {
    const doc = readFileSync(__filename, 'utf8').match(/node dist\/bench\/chip-study\.js[^*]*(\*[^*]*){0,4}/);
    console.error(`chip-study: unknown option ${unknown.join(', ')}; options: ${FLAGS.map((f) => `--${f}`).join(' ')}`);
    if (doc) console.error(doc[0]);
    process.exit(2);
  }
  const nets = list(arg('nets', arg('spec', 'examples/mnist-demo.json')));
  const presets = list(arg('presets', 'reram,pcm'));
  const schemes = list(arg('schemes', 'row-programmed,mixed-precision,stochastic-coincidence'));
  const methods = list(arg('methods', 'insitu,ep-exsitu,bp-exsitu'));
  for (const m of methods)
    if (!['insitu', 'ep-exsitu', 'bp-exsitu'].includes(m))
      throw new Error(`--methods: unknown method "${m}" (insitu, ep-exsitu, bp-exsitu)`);
  const seeds = list(arg('seeds', '0')).map(Number);
  const epochsArg = hasArg('epochs') ? Number(arg('epochs', '0')) : undefined;
  const lim = (k: string) => (hasArg(k) ? Number(arg(k, '0')) : undefined);
  const trainLimit = lim('train-limit');
  const testLimit = lim('test-limit');
  const wMaxText = arg('w-max', 'max');
  const adcRangeText = arg('adc-range', 'fixed');
  const wMax = parseWMaxPolicy(wMaxText, '--w-max');
  const adcRange = parseAdcRangePolicy(adcRangeText, '--adc-range');
  const overrideText = arg('chip-override', '');
  const override = (overrideText ? readJsonArg(overrideText) : {}) as Obj;
  const points: Point[] = hasArg('points') ? (readJsonArg(`@${arg('points', '')}`) as Point[]) : [{ label: '', chip: {} }];
  const sgdLr = hasArg('sgd-lr') ? Number(arg('sgd-lr', '0')) : undefined;
  const out = arg('out', 'bench/results/chip-study');
  const weightsDir = arg('weights-dir', join(out, 'weights'));
  mkdirSync(out, { recursive: true });
  mkdirSync(weightsDir, { recursive: true });
  const jsonl = join(out, 'study.jsonl');
  const kernels = selectKernels('auto');

  // Finished rows: a rerun skips them (a torn or foreign line is ignored).
  const rows: Row[] = existsSync(jsonl)
    ? readFileSync(jsonl, 'utf8')
        .split('\n')
        .flatMap((l) => {
          try {
            const r = JSON.parse(l) as Row;
            return typeof r.key === 'string' ? [r] : [];
          } catch {
            return [];
          }
        })
    : [];
  const done = new Set(rows.map((r) => r.key));
  const record = (r: Row): void => {
    rows.push(r);
    done.add(r.key);
    writeAtomic(jsonl, rows.map((x) => JSON.stringify(x)).join('\n') + '\n');
    writeAtomic(join(out, 'study.md'), table(rows));
  };
  const common = { trainLimit: trainLimit ?? null, testLimit: testLimit ?? null };

  for (const specFile of nets) {
    const graph = loadGraph(specFile);
    const epochs = epochsArg ?? graph.training.epochs;
    const net = resolveNet(graph);
    const data = loadNetData(net, specFile, { trainLimit, testLimit });
    const sgdGraph = sgdVariant(graph, sgdLr);
    for (const seed of seeds) {
      const base = { net: net.spec.name, spec: specFile, epochs, seed, ...common };
      const p0 = initParams(net, makeRng(seed));
      // Software references, and the weights ex situ programs.
      const software: Partial<Record<Algorithm, Params>> = {};
      // Software EP is every row's reference; BP only trains the weights bp-exsitu programs.
      for (const algo of (methods.includes('bp-exsitu') ? ['ep', 'bp'] : ['ep']) as Algorithm[]) {
        const needWeights = methods.includes(`${algo}-exsitu`);
        const key = JSON.stringify({ ...base, preset: 'software', algo });
        const file = join(weightsDir, `${net.spec.name}-${algo}-seed${seed}-e${epochs}-${trainLimit ?? 'all'}.npz`);
        if (done.has(key) && (!needWeights || existsSync(file))) {
          if (needWeights) software[algo] = loadParams(file, net, makeRng(seed));
          continue;
        }
        const t0 = Date.now();
        const { result, params } = await train(net, cloneParams(p0), data, {
          algo,
          epochs,
          seed,
          kernels,
          onEpoch: (r) => log(`${net.spec.name} software ${algo} epoch ${r.epoch}: ${(100 * r.testAccuracy).toFixed(2)}%`),
        });
        saveParams(file, net, params, { backend: kernels.name, extra: { seed, epochs, trainLimit } });
        software[algo] = params;
        if (!done.has(key))
          record({
            key,
            ...base,
            preset: 'software',
            scheme: '',
            point: '',
            method: `${algo}-software`,
            testAccuracy: result.finalTestAccuracy,
            bestTestAccuracy: result.bestTestAccuracy,
            wallSeconds: (Date.now() - t0) / 1000,
          });
      }
      if (sgdGraph && schemes.includes('stochastic-coincidence') && methods.includes('insitu')) {
        const key = JSON.stringify({ ...base, preset: 'software', algo: 'ep', sgdLr });
        if (!done.has(key)) {
          const sgdNet = resolveNet(sgdGraph);
          const { result } = await train(sgdNet, cloneParams(p0), data, { algo: 'ep', epochs, seed, kernels });
          record({
            key,
            ...base,
            preset: 'software',
            scheme: '',
            point: '',
            method: `ep-software (sgd lr ${sgdLr})`,
            testAccuracy: result.finalTestAccuracy,
            bestTestAccuracy: result.bestTestAccuracy,
          });
        }
      }

      for (const presetName of presets) {
        for (const point of points) {
          const chipOver = mergeOverrides(override, point.chip);
          const plain = chipFor(presetName, chipOver, null);
          const runSchemes = plain.crossbar.update.kind === 'exact' ? ['exact'] : schemes;
          const where = { ...base, preset: presetName, point: point.label, wMax: wMaxText, adcRange: adcRangeText, override: overrideText };
          for (const m of methods.filter((x) => x !== 'insitu')) {
            const key = JSON.stringify({ ...where, method: m, pointChip: point.chip });
            if (done.has(key)) continue;
            const algo = m === 'ep-exsitu' ? 'ep' : 'bp';
            const netlist = compile(
              net,
              plain,
              software[algo]!,
              compileOptions(net, software[algo]!, { kind: 'max' }, adcRange, plain, data, kernels),
            ).netlist;
            const r = await runOnChip(netlist, data, { mode: 'eval', epochs: 0, seed, kernels });
            const c = chipCosts(netlist, plain);
            log(`${net.spec.name} ${presetName}${point.label ? ` ${point.label}` : ''} ${m}: ${(100 * r.testAccuracy).toFixed(2)}%`);
            record({
              key,
              ...where,
              scheme: '',
              method: m,
              testAccuracy: r.testAccuracy,
              cyclesPerInference: c.cyclesPerInference,
              energyPerInferenceJoules: c.energyPerInferenceJoules,
              ...saturation(r.adcSaturation),
            });
          }
          if (!methods.includes('insitu')) continue;
          for (const scheme of runSchemes) {
            const key = JSON.stringify({
              ...where,
              method: 'insitu',
              scheme,
              pointChip: point.chip,
              sgdLr: scheme === 'stochastic-coincidence' ? sgdLr : undefined,
            });
            if (done.has(key)) continue;
            const chip = chipFor(presetName, chipOver, scheme === 'exact' ? null : scheme);
            let runNet = net;
            let label = 'insitu';
            if (scheme === 'stochastic-coincidence' && sgdGraph) {
              runNet = resolveNet(sgdGraph);
              label = `insitu (sgd lr ${sgdLr})`;
            }
            const netlist = compile(runNet, chip, p0, compileOptions(runNet, p0, wMax, adcRange, chip, data, kernels)).netlist;
            const problem = coincidenceTrainingProblem(chip, netlist.trainingInfo);
            if (problem) {
              log(`${net.spec.name} ${presetName} ${scheme}: skipped — ${problem}`);
              record({ key, ...where, scheme, method: label, skipped: problem });
              continue;
            }
            const t0 = Date.now();
            const r = await runOnChip(netlist, data, {
              mode: 'train',
              epochs,
              seed,
              kernels,
              onEpoch: (e) =>
                log(
                  `${net.spec.name} ${presetName} ${scheme}${point.label ? ` ${point.label}` : ''} epoch ${e.epoch}: ${(100 * e.testAccuracy).toFixed(2)}% (${e.seconds.toFixed(1)} s)`,
                ),
            });
            const c = chipCosts(netlist, chip, {
              updatePulsesPerSample: r.updatePulsesPerSample,
              refreshPulsesPerSample: r.refreshPulsesPerSample,
            });
            record({
              key,
              ...where,
              scheme,
              method: label,
              testAccuracy: r.testAccuracy,
              bestTestAccuracy: r.bestTestAccuracy,
              updatePulsesPerTrainingSample: r.updatePulsesPerSample,
              refreshesPerTrainingSample: r.refreshesPerSample,
              refreshPulsesPerTrainingSample: r.refreshPulsesPerSample,
              cyclesPerTrainingSample: c.cyclesPerTrainingSample,
              energyPerTrainingSampleJoules: c.energyPerTrainingSampleJoules,
              cyclesPerInference: c.cyclesPerInference,
              energyPerInferenceJoules: c.energyPerInferenceJoules,
              boundHitFraction: boundHitFraction(r.boundHits),
              boundHits: r.boundHits,
              ...saturation(r.adcSaturation),
              secondsPerEpoch: r.epochs.reduce((a, e) => a + e.seconds, 0) / Math.max(1, r.epochs.length),
              wallSeconds: (Date.now() - t0) / 1000,
            });
          }
        }
      }
    }
  }
  writeAtomic(
    join(out, 'study.md'),
    table(rows) + `\nMachine: ${machineInfo(kernels).cpu}, ${machineInfo(kernels).cores} cores, ${machineInfo(kernels).backend}.\n`,
  );
  log(`${rows.length} rows in ${jsonl}; table in ${join(out, 'study.md')}`);
}

/** A preset with the overrides and (for pulsed updates) the scheme, validated as `fre run --chip` does. */
function chipFor(presetName: string, over: Obj, scheme: string | null): ChipDescription {
  // The override's update fields merge into the preset's pulsed update (mergeOverrides replaces a tagged
  // object whose kind differs, so the kind is put first), and the scheme of this row wins.
  const pulsed = { crossbar: { update: { kind: 'pulsed' } } };
  const withScheme = scheme ? mergeOverrides(mergeOverrides(pulsed, over), { crossbar: { update: { kind: 'pulsed', scheme } } }) : over;
  return resolveChipObject({ base: presetName, ...withScheme }, `chip-study (${presetName})`);
}

function compileOptions(
  net: Net,
  params: Params,
  wMax: CompileOptions['wMax'],
  adcRange: NonNullable<CompileOptions['adcRange']>,
  chip: ChipDescription,
  data: DataSplit,
  kernels: ReturnType<typeof selectKernels>,
): CompileOptions {
  // A percentile ADC range is calibrated on the weights being programmed, as fre run does (256 samples).
  const calibrate = adcRange.kind === 'percentile' && chip.periphery.adc.fullScale !== 'unbounded';
  return {
    wMax,
    adcRange,
    calibration: calibrate ? calibrationInputs(net, params, data.train, 256, kernels) : undefined,
    specFile: net.spec.name,
    producerVersion: 'chip-study',
  };
}

/** The net trained with plain SGD at `lr` (no momentum, decay, schedule or clipping), or null when not asked or already so. */
function sgdVariant(g: GraphSpec, lr: number | undefined): GraphSpec | null {
  if (lr === undefined) return null;
  if (!(lr > 0)) throw new Error(`--sgd-lr must be > 0, got ${lr}`);
  const copy = JSON.parse(JSON.stringify(g)) as GraphSpec;
  copy.training = { ...copy.training, optimizer: { kind: 'sgd', lr } };
  delete copy.training.schedule;
  delete copy.training.clipGradNorm;
  return copy;
}

function saturation(s: AdcSaturation[]): { adcClippedFraction: number; adcClippedMaxFraction: number; adcRereads: number } {
  const conv = s.reduce((a, x) => a + x.conversions, 0);
  const clipped = s.reduce((a, x) => a + x.clipped, 0);
  return {
    adcClippedFraction: conv > 0 ? clipped / conv : 0,
    adcClippedMaxFraction: s.reduce((a, x) => Math.max(a, x.fraction), 0),
    adcRereads: s.reduce((a, x) => a + x.rereads, 0),
  };
}

function table(rows: Row[]): string {
  const pct = (v: unknown, d = 2) => (typeof v === 'number' ? (100 * v).toFixed(d) : '');
  const num = (v: unknown, d: number) => (typeof v === 'number' ? v.toFixed(d) : '');
  const nj = (v: unknown) => (typeof v === 'number' ? (v * 1e9).toFixed(1) : '');
  const head = [
    '# Chip study',
    '',
    "Generated by `node dist/bench/chip-study.js` (bench/chip-study.ts). In situ: EP on the chip executor with the chip's update scheme; ex situ: software-trained weights programmed onto the same chip (scheme-independent) and evaluated. Pulses, refreshes, cycles and nJ per training sample; cycles and nJ per inference; clipped: ADC conversions clipped (all edges and read kinds / the worst); bound: trained weights at a bound of their range.",
    '',
    '| net | epochs | seed | train/test | preset | point | scheme | method | test acc % | best % | pulses | refreshes | cycles/train | nJ/train | cycles/inf | nJ/inf | clipped % | worst % | bound % | note |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const body = rows.map((r) =>
    [
      r.net,
      r.epochs,
      r.seed,
      `${r.trainLimit ?? 'all'}/${r.testLimit ?? 'all'}`,
      r.preset,
      r.point ?? '',
      r.scheme ?? '',
      r.method,
      pct(r.testAccuracy),
      pct(r.bestTestAccuracy),
      num(r.updatePulsesPerTrainingSample, 0),
      num(r.refreshesPerTrainingSample, 3),
      num(r.cyclesPerTrainingSample, 0),
      nj(r.energyPerTrainingSampleJoules),
      num(r.cyclesPerInference, 0),
      nj(r.energyPerInferenceJoules),
      pct(r.adcClippedFraction, 3),
      pct(r.adcClippedMaxFraction, 2),
      pct(r.boundHitFraction, 2),
      r.skipped
        ? `skipped: ${String(r.skipped).slice(0, 80)}…`
        : [
            r.wMax && r.wMax !== 'max' ? `w-max ${r.wMax}` : '',
            r.adcRange && r.adcRange !== 'fixed' ? `adc ${r.adcRange}` : '',
            r.override ? `override ${r.override}` : '',
          ]
            .filter((x) => x)
            .join(', '),
    ].join(' | '),
  );
  return [...head, ...body.map((b) => `| ${b} |`)].join('\n') + '\n';
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
