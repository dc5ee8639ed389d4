/**
 * fre as a library: what a study scripts in code. `import { … } from 'fre-toolchain'`.
 * Runnable examples: examples/api/. Everything else in the package is internal and may move.
 *
 * Stable entry points for a study: compileNet → simulateNetlist (api/study.ts) keep their
 * signatures; the lower-level functions exported below them (compile, runOnChip, chipCosts) follow
 * the toolchain as it changes.
 */

// Graphs: the JSON format, its builder, validation, the resolved net, topology generators.
export { loadGraph, parseGraphText } from './graph/load';
export { validateGraph, type ValidationResult } from './graph/validate';
export { GraphBuilder } from './graph/builder';
export { resolveNet, nodeName, INPUT, OUTPUT, type Net, type NetEdge, type NetLayer } from './graph/net';
export { residualGraph, agtGraph, residualSkips, agtRandomEdges, type DeepOptions } from './graph/topologies';
export {
  GRAPH_FORMAT,
  type GraphSpec,
  type LayerSpec,
  type EdgeSpec,
  type DynamicsSpec,
  type TrainingSpec,
  type Activation,
} from './graph/spec';
export { SpecError, formatDiagnostic, type Diagnostic } from './graph/diagnostics';
export { initParams, cloneParams, type Params, type Matrix } from './graph/params';
export { saveParams, loadParams, paramEntries, weightShape } from './graph/weights-file';

// Chips: presets, chip description files, validation.
export { PRESETS, PRESET_NAMES, preset } from './hw-models/presets/index';
export { loadChip, parseChipText } from './hw-models/load';
export { validateChip } from './hw-models/validate';
export { diffChips, chipFingerprint } from './hw-models/compare';
export { ChipError, DiagnosticsError, formatCoded, type CodedDiagnostic } from './hw-models/diagnostics';
export { CHIP_FORMAT, type ChipDescription, type CrossbarSpec } from './hw-models/chip';
export type { WMaxPolicy } from './hw-models/conductance';

// Compiling a graph onto a chip.
export { compile, PASS_NAMES, type CompileResult, type CompileHooks } from './compiler/pipeline';
export { compileFiles, type CompileFilesOptions } from './compiler/compile-files';
export { parseWMaxPolicy } from './compiler/options';
export { CompileError, NetlistError } from './compiler/diagnostics';

// The netlist: protobuf codec, files, validation.
export { encodeNetlist, decodeNetlist, readNetlistFile, writeNetlistFile } from './netlist/codec';
export { validateNetlist, checkChipMatches, formatAll, type ValidateResult } from './netlist/validate';
export { chipFromMsg, chipToMsg } from './netlist/chip-proto';
export { IR_VERSION, type NetlistMsg } from './netlist/types';

// Data.
export { loadDataset, DATASET_NAMES, type LoadOptions } from './datasets/registry';
export { loadNetData, type DataOptions } from './datasets/net-data';
export { sliceDataset, DatasetError, type Dataset, type DataSplit } from './datasets/dataset';

// Training in software (EP, BP, FA) and the kernel backends.
export { train, evaluate, ALGORITHMS, type Algorithm, type TrainOptions, type TrainResult, type EpochResult } from './simulator/train';
export { selectKernels, describeBackend, type BackendName } from './simulator/kernels/select';
export type { Kernels } from './simulator/kernels/kernels';
export { makeRng, type Rng } from './util/rng';

// Running on the simulated chip, and its costs.
export { compileNet, simulateNetlist, netOfNetlist, type CompileNetOptions, type SimulateOptions, type SimulateResult } from './api/study';
export { runOnChip, makeInterpreter, type ChipRunOptions, type ChipRunResult } from './simulator/chip/run';
export { chipCosts, type ChipCosts, type ChipCostOptions } from './netlist/costs';
export { chipTrace, type ChipTraceOptions } from './simulator/chip/trace';
export { saveChipWeights, chipWeightEntries } from './simulator/chip/chip-weights-file';
export { analyze, sweepBetaI, type Analysis, type AnalysisOptions } from './simulator/analysis/index';

// NumPy files.
export { readNpz, writeNpz, readNpy, writeNpy, encodeNpz, decodeNpz, readNpzMember, decodeNpzMember, NpzError } from './io/npz';
export type { NpyArray, NpyInput, NpyDtype, NpzEntries, WriteNpzOptions } from './io/npz';

// Sweeps: definitions, running (worker processes), results, merging, reports.
import './sweep/runners/index'; // registers the train and chip runners
export { registerRunner, getRunner, runnerNames, type SweepRunner, type RunConfig, type RunContext } from './sweep/runner';
export { loadSweep, checkSweep, pointCount, SWEEP_FORMAT, type SweepDef } from './sweep/definition';
export { runSweep, type SweepOptions, type SweepSummary } from './sweep/execute';
export { enumerateRuns, parseShard, type Run, type Shard } from './sweep/grid';
export { readResults, mergeResults, deterministicMetrics, type ResultLine, type MergeSummary } from './sweep/results';
export { buildReport, formatTable, formatCsv, plotSvg, stat, type Report, type Stat } from './sweep/report';
export { SweepError } from './sweep/errors';

// Provenance recorded with results.
export { provenance, NPZ_PROVENANCE_MEMBER, type Provenance } from './util/provenance';
