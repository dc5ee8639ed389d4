/**
 * The compiler: the passes in their one order, the IR verified after each, and an optional text
 * dump after any of them (`--dump-after PASS`).
 */
import { OUTPUT, type Net } from '../graph/net';
import type { ChipDescription } from '../hw-models/chip';
import type { Params } from '../graph/params';
import { CompileError, diag } from './diagnostics';
import type { CompileOptions, CompilerIR, IrGroup, Pass } from './ir';
import { irText } from './ir-text';
import { assignCores } from './passes/assign-cores';
import { calibrate } from './passes/calibrate';
import { emit } from './passes/emit';
import { mapWeights } from './passes/map-weights';
import { partition } from './passes/partition';
import { place } from './passes/place';
import { route } from './passes/route';
import { schedule } from './passes/schedule';
import { verifyIR } from './verify';
import type { NetlistMsg } from '../netlist/types';

/** The order of the passes: each reads what the earlier ones produced. */
export const PASSES: readonly Pass[] = [mapWeights, partition, assignCores, place, route, schedule, calibrate, emit];
export const PASS_NAMES: readonly string[] = PASSES.map((p) => p.name);

export interface CompileHooks {
  /** Passes after which to dump the IR. */
  dumpAfter?: readonly string[];
  /** Receives each dump (default: none). */
  onDump?: (pass: string, text: string) => void;
  /** Receives each pass's wall time, ms. */
  onPassTime?: (pass: string, ms: number) => void;
}

export interface CompileResult {
  ir: CompilerIR;
  netlist: NetlistMsg;
}

export function initialIR(net: Net, chip: ChipDescription, params: Params, options: CompileOptions): CompilerIR {
  const groups: IrGroup[] = [
    { id: 0, name: 'input', role: 'input', node: -1, size: net.inputSize, activation: 'identity', home: -1 },
    ...net.layers.map((l, i): IrGroup => ({
      id: i + 1,
      name: l.name,
      role: 'hidden',
      node: i,
      size: l.size,
      activation: l.activation,
      home: -1,
    })),
    { id: net.layers.length + 1, name: 'output', role: 'output', node: OUTPUT, size: net.classes, activation: 'softmax', home: -1 },
  ];
  return { net, chip, params, options, groups, matrices: [], tiles: [], cores: [], routes: [], reductions: [], phases: [], done: [] };
}

export function checkPassNames(names: readonly string[], file: string): void {
  const unknown = names.filter((n) => n !== 'all' && !PASS_NAMES.includes(n));
  if (unknown.length) {
    throw new CompileError([
      diag(
        'CMP003',
        file,
        '',
        `unknown pass ${unknown.map((u) => `"${u}"`).join(', ')} for --dump-after`,
        `name one of ${PASS_NAMES.join(', ')}, or all`,
      ),
    ]);
  }
}

/**
 * Training-time study options the netlist cannot carry, refused rather than lowered as something else,
 * all of them in one error so a spec with several is mended in one go:
 * - the activation argmax rule (CMP007): the netlist's conv geometry (ConvGeometryProto) names the pool
 *   kind, size and stride only, and the chip interpreter pools the combined pre-pool map by its
 *   pre-activation; a field would need a proto change plus the interpreter's pool to know the activation;
 * - the lagged nudge (CMP008), the error of the state one step older as the authors' Table 1 conv
 *   notebook keeps its logits: NudgeMode has no value for it, and a chip would need a second logits
 *   register carried across nudged iterations;
 * - the pre-pool-map feedback and the state winner (CMP009), the same notebook's: the chip's feedback read
 *   unpools the pooled state through the latched argmax of the read, and the netlist has no op that keeps
 *   an edge's pre-pool map (or a state map across iterations).
 */
export function checkCarriable(net: Net, file: string): void {
  const diags = net.edges.flatMap((e) => [
    ...(e.conv?.pool?.argmax === 'activation'
      ? [
          diag(
            'CMP007',
            file,
            `/edges/${e.index}/pool/argmax`,
            `conv edge "${e.name}" pools with "argmax": "activation", which the netlist cannot carry (the chip pools by the pre-activation)`,
            'remove "argmax" from the edge\'s "pool" (or set it to "preactivation") to compile for a chip',
          ),
        ]
      : []),
    ...(e.conv?.pool?.feedback === 'map'
      ? [
          diag(
            'CMP009',
            file,
            `/edges/${e.index}/pool/feedback`,
            `conv edge "${e.name}" feeds back its whole pre-pool map ("feedback": "map"), which the netlist cannot carry (the chip feeds back the pooled state through the argmax)`,
            'remove "feedback" from the edge\'s "pool" (or set it to "winners") to compile for a chip',
          ),
        ]
      : []),
    ...(e.conv?.pool?.winner === 'state'
      ? [
          diag(
            'CMP009',
            file,
            `/edges/${e.index}/pool/winner`,
            `conv edge "${e.name}" chooses its pooling winners over a pre-pool state map ("winner": "state"), which the netlist cannot carry (the chip pools each read)`,
            'remove "winner" from the edge\'s "pool" (or set it to "feedforward") to compile for a chip',
          ),
        ]
      : []),
  ]);
  if (net.spec.dynamics.nudge === 'lagged') {
    diags.push(
      diag(
        'CMP008',
        file,
        '/dynamics/nudge',
        'the nudge mode "lagged" (the error of the previous step\'s state) is a training-time study mode the netlist cannot carry',
        'set "nudge" to "recomputed" (the error of the current state, the paper\'s Algorithm 1) to compile for a chip',
      ),
    );
  }
  if (diags.length) throw new CompileError(diags);
}

export function compile(net: Net, chip: ChipDescription, params: Params, options: CompileOptions, hooks: CompileHooks = {}): CompileResult {
  const dump = hooks.dumpAfter ?? [];
  checkPassNames(dump, options.specFile);
  checkCarriable(net, options.specFile);
  const ir = initialIR(net, chip, params, options);
  for (const pass of PASSES) {
    const t0 = performance.now();
    pass.run(ir);
    ir.done.push(pass.name);
    verifyIR(ir, pass.name);
    hooks.onPassTime?.(pass.name, performance.now() - t0);
    if (dump.includes(pass.name) || dump.includes('all')) hooks.onDump?.(pass.name, irText(ir, pass.name));
  }
  return { ir, netlist: ir.netlist! };
}
