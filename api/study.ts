/**
 * The study helpers of the public API: the same steps as `fre compile` and `fre simulate`, as
 * functions on objects instead of files. They are the stable entry points of a script: the
 * functions they call (compile, runOnChip, chipCosts) may change signature as the toolchain grows,
 * these keep theirs.
 */
import { compile } from '../compiler/pipeline';
import type { DataSplit } from '../datasets/dataset';
import { resolveNet, type Net } from '../graph/net';
import { initParams, type Params } from '../graph/params';
import type { GraphSpec } from '../graph/spec';
import type { ChipDescription } from '../hw-models/chip';
import type { WMaxPolicy } from '../hw-models/conductance';
import { loadChip } from '../hw-models/load';
import { chipFromMsg } from '../netlist/chip-proto';
import { producerVersion } from '../netlist/schema';
import type { NetlistMsg } from '../netlist/types';
import { chipCosts, type ChipCosts } from '../netlist/costs';
import { netOfNetlist as netOfNormative } from '../netlist/program';
import { runOnChip, type ChipRunResult } from '../simulator/chip/run';
import type { EpochResult } from '../simulator/train';
import { selectKernels, type BackendName } from '../simulator/kernels/select';
import { makeRng } from '../util/rng';

export interface CompileNetOptions {
  /** Weights to program (default: the spec seed's initial weights, as `fre compile` without --weights). */
  params?: Params;
  /** Scale of each matrix: max|W| (default) or a percentile. */
  wMax?: WMaxPolicy;
}

/** Compiles a graph (spec or resolved net) for a chip (description, preset name or JSON file): the netlist. */
export function compileNet(graph: GraphSpec | Net, chip: ChipDescription | string, o: CompileNetOptions = {}): NetlistMsg {
  const net = 'edges' in graph && 'spec' in graph ? graph : resolveNet(graph);
  const desc = typeof chip === 'string' ? loadChip(chip) : chip;
  const params = o.params ?? initParams(net, makeRng(net.spec.training.seed));
  return compile(net, desc, params, { wMax: o.wMax ?? { kind: 'max' }, specFile: net.spec.name, producerVersion: producerVersion() })
    .netlist;
}

/** The net a netlist's normative fields describe (what `fre simulate` executes; never its metadata). */
export function netOfNetlist(netlist: NetlistMsg): Net {
  return netOfNormative(netlist);
}

export interface SimulateOptions {
  /** 'eval' (default): evaluate the programmed weights; 'train': in-situ EP training. */
  mode?: 'eval' | 'train';
  /** In-situ training epochs (default: the spec's). */
  epochs?: number;
  /** Seed of the chip's noise and of training (default: the spec's). */
  seed?: number;
  backend?: BackendName;
  driftSeconds?: number;
  onEpoch?: (r: EpochResult) => void;
}

export interface SimulateResult {
  run: ChipRunResult;
  costs: ChipCosts;
}

/** Runs a netlist on the simulated chip it names, as `fre simulate`: accuracy, then cycles and energy. */
export async function simulateNetlist(netlist: NetlistMsg, data: DataSplit, o: SimulateOptions = {}): Promise<SimulateResult> {
  const net = netOfNetlist(netlist);
  const mode = o.mode ?? 'eval';
  const run = await runOnChip(netlist, data, {
    mode,
    epochs: o.epochs ?? net.spec.training.epochs,
    seed: o.seed ?? net.spec.training.seed,
    kernels: selectKernels(o.backend ?? 'auto'),
    driftSeconds: o.driftSeconds,
    onEpoch: o.onEpoch,
  });
  const costs = chipCosts(
    netlist,
    chipFromMsg(netlist.chip!),
    mode === 'train' ? { updatePulsesPerSample: run.updatePulsesPerSample, refreshPulsesPerSample: run.refreshPulsesPerSample } : {},
  );
  return { run, costs };
}
