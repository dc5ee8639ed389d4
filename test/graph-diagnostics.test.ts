/**
 * Pins every diagnostic the graph loader/validator can emit: each case starts from the valid
 * examples/mnist-2hl.json, breaks one thing, and checks the code, the JSON pointer, that message and
 * hint name what is wrong, and that the rendered diagnostic names the file.
 */
import { LIMITS } from '../util/limits';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DIAGNOSTIC_CODES, SpecError, formatDiagnostic, type Diagnostic, type DiagnosticCode } from '../graph/diagnostics';
import { validateGraph } from '../graph/validate';
import { loadGraph, parseGraphText } from '../graph/load';
import { GraphBuilder } from '../graph/builder';
import { INPUT, OUTPUT, resolveNet } from '../graph/net';
import type { GraphSpec } from '../graph/spec';
import { initParams } from '../graph/params';
import { loadParams, saveParams } from '../graph/weights-file';
import { makeRng } from '../util/rng';

const ROOT = path.join(__dirname, '..');
const FILE = 'examples/mnist-2hl.json';
const BASE_TEXT = readFileSync(path.join(ROOT, FILE), 'utf8');
/** Specs are broken on purpose, so they are handled untyped. */
type Json = any;
const BASE: Json = JSON.parse(BASE_TEXT);

/** A fresh deep copy of the valid 2HL spec. */
function base(): Json {
  return structuredClone(BASE);
}

/** Codes emitted later, outside the graph validator (dataset and weight-file checks). */
const LATER: DiagnosticCode[] = ['FRE030', 'FRE031', 'FRE032', 'FRE033', 'FRE034', 'FRE040', 'FRE041', 'FRE042'];

interface Case {
  title: string;
  code: DiagnosticCode;
  /** JSON pointer the diagnostic must carry. */
  path: string;
  break: (s: Json) => void;
  /** Substrings the message must contain (the offending field and/or value). */
  inMessage: string[];
  /** Substrings the hint must contain (the field, the value or the concrete fix). */
  inHint: string[];
  /** Every code the broken spec yields, in order, when it is not just [code]. */
  all?: DiagnosticCode[];
}

const SGD_ALL = { W0: 0.1, W1: 0.1, Wf: 0.1 };

const cases: Case[] = [
  // FRE002 unsupported format version
  {
    title: 'wrong format string',
    code: 'FRE002',
    path: '/format',
    break: (s) => {
      s.format = 'fre-graph/2';
    },
    inMessage: ['"format"', 'fre-graph/2', 'fre-graph/1'],
    inHint: ['"format"', 'fre-graph/1'],
  },
  {
    title: 'format missing',
    code: 'FRE002',
    path: '/format',
    break: (s) => {
      delete s.format;
    },
    inMessage: ['"format"', 'fre-graph/1'],
    inHint: ['"format"', 'fre-graph/1'],
  },

  // FRE010 required field missing
  {
    title: 'missing T',
    code: 'FRE010',
    path: '/dynamics/T',
    break: (s) => {
      delete s.dynamics.T;
    },
    inMessage: ['"T"', 'missing'],
    inHint: ['"T"'],
  },
  {
    title: 'missing betaF',
    code: 'FRE010',
    path: '/dynamics/betaF',
    break: (s) => {
      delete s.dynamics.betaF;
    },
    inMessage: ['"betaF"'],
    inHint: ['"betaF"'],
  },
  {
    title: 'missing training section',
    code: 'FRE010',
    path: '/training',
    break: (s) => {
      delete s.training;
    },
    inMessage: ['"training"', 'missing'],
    inHint: ['"training"'],
  },
  {
    title: 'missing layers',
    code: 'FRE010',
    path: '/layers',
    break: (s) => {
      delete s.layers;
    },
    inMessage: ['"layers"'],
    inHint: ['"layers"'],
    // the edges now name layers that do not exist
    all: ['FRE010', 'FRE021', 'FRE021', 'FRE021', 'FRE021'],
  },
  {
    title: 'missing edge endpoint',
    code: 'FRE010',
    path: '/edges/1/to',
    break: (s) => {
      delete s.edges[1].to;
    },
    inMessage: ['"to"'],
    inHint: ['"to"'],
  },
  {
    title: 'missing feedback kind',
    code: 'FRE010',
    path: '/edges/1/feedback/kind',
    break: (s) => {
      delete s.edges[1].feedback.kind;
    },
    inMessage: ['"kind"'],
    inHint: ['"kind"', 'symmetric'],
  },
  {
    title: 'SGD per-edge lr map leaves out a trained edge',
    code: 'FRE010',
    path: '/training/optimizer/lr',
    break: (s) => {
      s.training.optimizer = { kind: 'sgd', lr: { W0: 0.1, W1: 0.1 } };
    },
    inMessage: ['"Wf"'],
    inHint: ['"Wf"'],
  },

  // FRE011 wrong type
  {
    title: 'T as a string',
    code: 'FRE011',
    path: '/dynamics/T',
    break: (s) => {
      s.dynamics.T = '10';
    },
    inMessage: ['"T"', '"10"'],
    inHint: ['"T"'],
  },
  {
    title: 'a layer size as a string: the fix is that number, unquoted',
    code: 'FRE011',
    path: '/layers/0/size',
    break: (s) => {
      s.layers[0].size = '128';
    },
    inMessage: ['"size"', '"128"'],
    inHint: ['"size": 128'],
  },
  {
    title: 'non-integer K',
    code: 'FRE011',
    path: '/dynamics/K',
    break: (s) => {
      s.dynamics.K = 2.5;
    },
    inMessage: ['"K"', '2.5', 'integer'],
    inHint: ['whole number', '3'],
  },
  {
    title: 'non-integer layer size',
    code: 'FRE011',
    path: '/layers/1/size',
    break: (s) => {
      s.layers[1].size = 51.2;
    },
    inMessage: ['"size"', '51.2'],
    inHint: ['51'],
  },
  {
    title: 'trainable not a boolean',
    code: 'FRE011',
    path: '/edges/1/trainable',
    break: (s) => {
      s.edges[1].trainable = 'yes';
    },
    inMessage: ['"trainable"', '"yes"'],
    inHint: ['true or false'],
  },
  {
    title: 'layers not an array',
    code: 'FRE011',
    path: '/layers',
    break: (s) => {
      s.layers = { h1: 512 };
    },
    inMessage: ['"layers"', 'object'],
    inHint: ['list'],
    all: ['FRE011', 'FRE021', 'FRE021', 'FRE021', 'FRE021'],
  },
  {
    title: 'dynamics not an object',
    code: 'FRE011',
    path: '/dynamics',
    break: (s) => {
      s.dynamics = [10, 5];
    },
    inMessage: ['"dynamics"', 'array'],
    inHint: ['{'],
  },
  {
    title: 'empty edge name',
    code: 'FRE011',
    path: '/edges/0/name',
    break: (s) => {
      s.edges[0].name = '';
    },
    inMessage: ['"name"', '""'],
    inHint: ['string'],
  },

  // FRE012 value out of range
  {
    title: 'negative β_i',
    code: 'FRE012',
    path: '/edges/1/feedback/beta',
    break: (s) => {
      s.edges[1].feedback.beta = -0.01;
    },
    inMessage: ['"beta"', '-0.01'],
    inHint: ['"beta"', '0'],
  },
  {
    title: 'K = 0',
    code: 'FRE012',
    path: '/dynamics/K',
    break: (s) => {
      s.dynamics.K = 0;
    },
    inMessage: ['"K"', '0', '1'],
    inHint: ['"K"', '1'],
  },
  {
    title: 'T = 0',
    code: 'FRE012',
    path: '/dynamics/T',
    break: (s) => {
      s.dynamics.T = 0;
    },
    inMessage: ['"T"', '0'],
    inHint: ['"T"'],
  },
  {
    title: 'betaF = 0',
    code: 'FRE012',
    path: '/dynamics/betaF',
    break: (s) => {
      s.dynamics.betaF = 0;
    },
    inMessage: ['"betaF"', '0', '>'],
    inHint: ['"betaF"', 'above'],
  },
  {
    title: 'layer size 0',
    code: 'FRE012',
    path: '/layers/0/size',
    break: (s) => {
      s.layers[0].size = 0;
    },
    inMessage: ['"size"', '0'],
    inHint: ['"size"', '1'],
  },
  {
    title: 'input size 0',
    code: 'FRE012',
    path: '/input/size',
    break: (s) => {
      s.input.size = 0;
    },
    inMessage: ['"size"', '0'],
    inHint: ['"size"'],
  },
  {
    title: 'one output class',
    code: 'FRE012',
    path: '/output/classes',
    break: (s) => {
      s.output.classes = 1;
    },
    inMessage: ['"classes"', '1', '2'],
    inHint: ['"classes"', '2'],
  },
  {
    title: 'no hidden layer',
    code: 'FRE012',
    path: '/layers',
    break: (s) => {
      s.layers = [];
      s.edges = [];
    },
    inMessage: ['hidden layer'],
    inHint: ['"h1"'],
    all: ['FRE012', 'FRE023'],
  },
  {
    title: 'Adam beta1 = 1',
    code: 'FRE012',
    path: '/training/optimizer/beta1',
    break: (s) => {
      s.training.optimizer.beta1 = 1;
    },
    inMessage: ['"beta1"', '1'],
    inHint: ['"beta1"'],
  },
  {
    title: 'learning rate 0',
    code: 'FRE012',
    path: '/training/optimizer/lr',
    break: (s) => {
      s.training.optimizer.lr = 0;
    },
    inMessage: ['"lr"', '0'],
    inHint: ['"lr"'],
  },

  // FRE013 unknown enum value
  {
    title: "activation 'relu'",
    code: 'FRE013',
    path: '/layers/0/activation',
    break: (s) => {
      s.layers[0].activation = 'relu';
    },
    inMessage: ['"activation"', '"relu"', 'tanh'],
    inHint: ['tanh', 'hard-sigmoid', 'sigmoid'],
  },
  {
    title: "feedback kind 'symetric' suggests 'symmetric'",
    code: 'FRE013',
    path: '/edges/1/feedback/kind',
    break: (s) => {
      s.edges[1].feedback.kind = 'symetric';
    },
    inMessage: ['"kind"', '"symetric"'],
    inHint: ['did you mean "symmetric"?'],
  },
  {
    title: "init 'kaiming' names the two initialisations",
    code: 'FRE013',
    path: '/training/init',
    break: (s) => {
      s.training.init = 'kaiming';
    },
    inMessage: ['"init"', '"kaiming"', 'glorot', 'pytorch'],
    inHint: ['glorot', 'pytorch'],
  },
  {
    title: "nudge 'recompute' suggests 'recomputed'",
    code: 'FRE013',
    path: '/dynamics/nudge',
    break: (s) => {
      s.dynamics.nudge = 'recompute';
    },
    inMessage: ['"nudge"', '"recompute"'],
    inHint: ['did you mean "recomputed"?'],
  },
  {
    title: "optimizer 'adan' suggests 'adam'",
    code: 'FRE013',
    path: '/training/optimizer/kind',
    break: (s) => {
      s.training.optimizer.kind = 'adan';
    },
    inMessage: ['"kind"', '"adan"'],
    inHint: ['did you mean "adam"?'],
  },
  {
    title: "dataset 'mnsit'",
    code: 'FRE013',
    path: '/data/dataset',
    break: (s) => {
      s.data.dataset = 'mnsit';
    },
    inMessage: ['"dataset"', '"mnsit"'],
    inHint: ['did you mean "mnist"?'],
  },

  // FRE014 unknown field
  {
    title: "typo field 'betta' suggests 'beta'",
    code: 'FRE014',
    path: '/edges/1/feedback/betta',
    break: (s) => {
      s.edges[1].feedback.betta = s.edges[1].feedback.beta;
      delete s.edges[1].feedback.beta;
    },
    inMessage: ['"betta"'],
    inHint: ['did you mean "beta"?'],
    // the real beta is now missing, which is its own (correct) diagnostic
    all: ['FRE014', 'FRE026'],
  },
  {
    title: 'unknown top-level field without a near name',
    code: 'FRE014',
    path: '/comment',
    break: (s) => {
      s.comment = 'hello';
    },
    inMessage: ['"comment"'],
    inHint: ['remove it', 'dynamics'],
  },
  {
    title: 'SGD field on an Adam optimizer',
    code: 'FRE014',
    path: '/training/optimizer/momentum',
    break: (s) => {
      s.training.optimizer.momentum = 0.9;
    },
    inMessage: ['"momentum"'],
    inHint: ['beta1'],
  },
  {
    title: 'a key with "/" is escaped in the JSON pointer (RFC 6901)',
    code: 'FRE014',
    path: '/dynamics/T~1K',
    break: (s) => {
      s.dynamics['T/K'] = 2;
    },
    inMessage: ['"T/K"'],
    inHint: ['allowed'],
  },

  // FRE020 duplicate name
  {
    title: 'duplicate layer names',
    code: 'FRE020',
    path: '/layers/2/name',
    break: (s) => {
      s.layers.push({ name: 'h2', size: 8 });
    },
    inMessage: ['"h2"', 'twice'],
    inHint: ['unique'],
  },
  {
    title: 'duplicate edge names',
    code: 'FRE020',
    path: '/edges/1/name',
    break: (s) => {
      s.edges[1].name = 'W0';
    },
    inMessage: ['"W0"', 'twice'],
    inHint: ['unique'],
  },
  {
    title: "a layer named 'input'",
    code: 'FRE020',
    path: '/layers/2/name',
    break: (s) => {
      s.layers.push({ name: 'input', size: 4 });
    },
    inMessage: ['"input"', 'reserved'],
    inHint: ['rename'],
  },
  {
    title: "a layer named 'output'",
    code: 'FRE020',
    path: '/layers/1/name',
    break: (s) => {
      s.layers[1].name = 'output';
    },
    inMessage: ['"output"'],
    inHint: ['rename'],
    // renaming h2 also leaves the edges that name h2 dangling
    all: ['FRE020', 'FRE021', 'FRE021'],
  },
  {
    title: 'two edges with the same from/to',
    code: 'FRE020',
    path: '/edges/3',
    break: (s) => {
      s.edges.push({ name: 'W1b', from: 'h1', to: 'h2' });
    },
    inMessage: ['h1', 'h2', 'second edge'],
    inHint: ['merge'],
  },

  // FRE021 edge names an unknown node
  {
    title: "edge to 'h9'",
    code: 'FRE021',
    path: '/edges/1/to',
    break: (s) => {
      s.edges[1].to = 'h9';
    },
    inMessage: ['"W1"', '"h9"'],
    inHint: ['did you mean "h1"?', 'input, h1, h2, output'],
  },
  {
    // Wf with a typo in "to" may be the readout: no follow-on FRE026 asking a hidden edge's β_i.
    title: "the readout edge to 'outptu', alone (no FRE026 for its β-less feedback)",
    code: 'FRE021',
    path: '/edges/2/to',
    break: (s) => {
      s.edges[2].to = 'outptu';
    },
    inMessage: ['"Wf"', '"outptu"'],
    inHint: ['did you mean "output"?'],
  },
  {
    title: 'edge from an unknown node',
    code: 'FRE021',
    path: '/edges/2/from',
    break: (s) => {
      s.edges[2].from = 'hidden2';
    },
    inMessage: ['"Wf"', '"hidden2"'],
    inHint: ['input, h1, h2, output'],
  },

  // FRE022 edge direction not allowed
  {
    title: "edge into 'input'",
    code: 'FRE022',
    path: '/edges/1',
    break: (s) => {
      s.edges[1].to = 'input';
    },
    inMessage: ['"W1"', 'h1 → input'],
    inHint: ['nothing into the input'],
  },
  {
    title: 'self-loop',
    code: 'FRE022',
    path: '/edges/1',
    break: (s) => {
      s.edges[1].to = 'h1';
    },
    inMessage: ['"W1"', 'h1 → h1'],
    inHint: ['no self-loops'],
  },
  {
    title: 'input → output',
    code: 'FRE022',
    path: '/edges/0',
    break: (s) => {
      s.edges[0].to = 'output';
    },
    inMessage: ['"W0"', 'input → output'],
    inHint: ['hidden layer'],
  },
  {
    title: "edge out of 'output'",
    code: 'FRE022',
    path: '/edges/3',
    break: (s) => {
      s.edges.push({ name: 'Wo', from: 'output', to: 'h1' });
    },
    inMessage: ['"Wo"', 'output → h1'],
    inHint: ['out of the output'],
  },

  // FRE023 output must have exactly one incoming edge
  {
    title: 'no edge into output',
    code: 'FRE023',
    path: '/edges',
    break: (s) => {
      s.edges.pop();
    },
    inMessage: ['0 edges', 'output'],
    inHint: ['"output"'],
  },
  {
    title: 'two edges into output',
    code: 'FRE023',
    path: '/edges',
    break: (s) => {
      s.edges.push({ name: 'Wf2', from: 'h1', to: 'output' });
    },
    inMessage: ['2 edges', 'output'],
    inHint: ['exactly one', '"output"'],
  },

  // FRE024 hidden layer not driven from the input
  {
    title: 'hidden layer with no path from the input',
    code: 'FRE024',
    path: '/layers/2',
    break: (s) => {
      s.layers.push({ name: 'h3', size: 16 });
      s.edges.push({ name: 'W3', from: 'h3', to: 'h2' });
    },
    inMessage: ['"h3"', 'input'],
    inHint: ['"h3"'],
  },
  {
    title: 'two hidden layers driving only each other',
    code: 'FRE024',
    path: '/layers/3',
    break: (s) => {
      s.layers.push({ name: 'h3', size: 16 }, { name: 'h4', size: 16 });
      s.edges.push({ name: 'W34', from: 'h3', to: 'h4' }, { name: 'W43', from: 'h4', to: 'h3' });
    },
    inMessage: ['"h4"', 'input'],
    inHint: ['"h4"'],
    all: ['FRE024', 'FRE024'],
  },

  // FRE025 feedback not allowed on this edge
  {
    title: 'feedback on an input edge',
    code: 'FRE025',
    path: '/edges/0/feedback',
    break: (s) => {
      s.edges[0].feedback = { kind: 'symmetric' };
    },
    inMessage: ['"W0"', 'input', '"symmetric"'],
    inHint: ['"feedback"'],
  },
  {
    title: "feedback kind 'none' on the output edge",
    code: 'FRE025',
    path: '/edges/2/feedback/kind',
    break: (s) => {
      s.edges[2].feedback = { kind: 'none' };
    },
    inMessage: ['output', 'no feedback'],
    inHint: ['"symmetric"', '"random"'],
  },

  // FRE026 feedback scale missing or misplaced
  {
    title: 'missing beta on a symmetric hidden edge',
    code: 'FRE026',
    path: '/edges/1/feedback',
    break: (s) => {
      delete s.edges[1].feedback.beta;
    },
    inMessage: ['"W1"', '"beta"'],
    inHint: ['"beta"'],
  },
  {
    title: 'missing beta on a random hidden edge',
    code: 'FRE026',
    path: '/edges/1/feedback',
    break: (s) => {
      s.edges[1].feedback = { kind: 'random' };
    },
    inMessage: ['"W1"', '"beta"'],
    inHint: ['"beta"'],
  },
  {
    title: 'beta on the output edge',
    code: 'FRE026',
    path: '/edges/2/feedback/beta',
    break: (s) => {
      s.edges[2].feedback.beta = 0.1;
    },
    inMessage: ['β_f', '"dynamics"'],
    inHint: ['"beta"', 'betaF'],
  },
  {
    title: "beta with kind 'none'",
    code: 'FRE026',
    path: '/edges/1/feedback/beta',
    break: (s) => {
      s.edges[1].feedback = { kind: 'none', beta: 0.01 };
    },
    inMessage: ['"none"', '"beta"'],
    inHint: ['"beta"'],
  },

  // FRE015 size or count over its documented limit (util/limits.ts, docs/limits.md)
  {
    title: 'a layer of 1e7 units',
    code: 'FRE015',
    path: '/layers/0/size',
    break: (s) => {
      s.layers[0].size = 1e7;
    },
    inMessage: ['"size"', '10000000', String(LIMITS.layerUnits)],
    inHint: ['docs/limits.md', String(LIMITS.layerUnits)],
  },
  {
    title: 'T of 1e9 steps',
    code: 'FRE015',
    path: '/dynamics/T',
    break: (s) => {
      s.dynamics.T = 1e9;
    },
    inMessage: ['"T"', '1000000000'],
    inHint: [String(LIMITS.steps)],
  },
  {
    title: 'batchSize 1e9',
    code: 'FRE015',
    path: '/training/batchSize',
    break: (s) => {
      s.training.batchSize = 1e9;
    },
    inMessage: ['"batchSize"'],
    inHint: [String(LIMITS.batchSize)],
  },
  {
    title: 'classes 1e9',
    code: 'FRE015',
    path: '/output/classes',
    break: (s) => {
      s.output.classes = 1e9;
    },
    inMessage: ['"classes"'],
    inHint: [String(LIMITS.classes)],
  },
  {
    title: 'layers each under the limit but too many weights together (784·6000 + 6000·12000 = 76 704 000 > 2^26)',
    code: 'FRE015',
    path: '/edges/1',
    break: (s) => {
      s.layers[0].size = 6000;
      s.layers[1].size = 12000;
      s.training.batchSize = 1;
    },
    inMessage: ['W1', '72000000', '76704000', String(LIMITS.totalWeights)],
    inHint: ['docs/limits.md'],
  },
  {
    title: 'a batch whose state arrays are over the limit',
    code: 'FRE015',
    path: '/training/batchSize',
    break: (s) => {
      s.training.batchSize = 60000;
      s.layers[0].size = 2000;
    },
    inMessage: ['60000', String(LIMITS.batchUnits)],
    inHint: ['batch of at most'],
  },

  // FRE029 edge names that would collide with the .npz keys of feedback and biases
  {
    title: 'edge named like a feedback key',
    code: 'FRE029',
    path: '/edges/1/name',
    break: (s) => {
      s.edges[1].name = 'W1.feedback';
      s.training.optimizer = { kind: 'adam', lr: 0.001 };
    },
    inMessage: ['W1.feedback', '.feedback', '.bias'],
    inHint: ['W1_feedback', 'docs/graph-format.md'],
  },
  {
    title: 'edge named like a bias key',
    code: 'FRE029',
    path: '/edges/2/name',
    break: (s) => {
      s.edges[2].name = 'Wf.bias';
      s.training.optimizer = { kind: 'adam', lr: 0.001 };
    },
    inMessage: ['Wf.bias'],
    inHint: ['Wf_bias'],
  },

  // FRE028 conv or pool edge does not fit its layers (and the shape fields' own checks)
  {
    title: 'pool on a dense edge',
    code: 'FRE028',
    path: '/edges/0/pool',
    break: (s) => {
      s.edges[0].pool = { kind: 'max', size: 2 };
    },
    inMessage: ['pooling', 'conv edge'],
    inHint: ['"conv"', '"pool"'],
  },
  {
    title: 'conv edge from an input without a shape',
    code: 'FRE028',
    path: '/input',
    break: (s) => {
      s.edges[0].conv = { kernel: 5 };
      s.layers[0] = { name: 'h1', shape: [2, 24, 24] };
    },
    inMessage: ['W0', '"input"', '"shape"'],
    inHint: ['"shape"', 'channels'],
  },
  {
    title: 'conv output size does not match the layer shape',
    code: 'FRE028',
    path: '/layers/0/shape',
    break: (s) => {
      s.input = { shape: [1, 28, 28] };
      s.edges[0].conv = { kernel: 5 };
      s.edges[0].pool = { kind: 'max', size: 2 };
      s.layers[0] = { name: 'h1', shape: [4, 10, 10] };
    },
    inMessage: ['W0', '4×12×12', '[4,10,10]'],
    inHint: ['[4, 12, 12]'],
  },
  {
    title: 'pool argmax "activation" on a tanh layer',
    code: 'FRE028',
    path: '/edges/0/pool/argmax',
    break: (s) => {
      s.input = { shape: [1, 28, 28] };
      s.edges[0].conv = { kernel: 5 };
      s.edges[0].pool = { kind: 'max', size: 2, argmax: 'activation' };
      s.layers[0] = { name: 'h1', shape: [4, 12, 12] };
    },
    inMessage: ['"argmax": "activation"', 'hard-sigmoid', '"tanh"'],
    inHint: ['"hard-sigmoid"', 'remove "argmax"'],
  },
  {
    title: 'pool argmax "activation" with a negative alpha',
    code: 'FRE028',
    path: '/edges/0/pool/argmax',
    break: (s) => {
      s.input = { shape: [1, 28, 28] };
      s.edges[0].conv = { kernel: 5 };
      s.edges[0].alpha = -1;
      s.edges[0].pool = { kind: 'max', size: 2, argmax: 'activation' };
      s.layers[0] = { name: 'h1', shape: [4, 12, 12], activation: 'hard-sigmoid' };
    },
    inMessage: ['alpha > 0', '-1'],
    inHint: ['positive "alpha"'],
  },
  {
    title: 'pool argmax "activation" on average pooling',
    code: 'FRE028',
    path: '/edges/0/pool/argmax',
    break: (s) => {
      s.input = { shape: [1, 28, 28] };
      s.edges[0].conv = { kernel: 5 };
      s.edges[0].pool = { kind: 'avg', size: 2, argmax: 'activation' };
      s.layers[0] = { name: 'h1', shape: [4, 12, 12], activation: 'hard-sigmoid' };
    },
    inMessage: ['max pooling'],
    inHint: ['"kind": "max"'],
  },
  {
    title: 'pool feedback "map" on an edge without feedback',
    code: 'FRE028',
    path: '/edges/0/pool/feedback',
    break: (s) => {
      s.input = { shape: [1, 28, 28] };
      s.edges[0].conv = { kernel: 5 };
      s.edges[0].pool = { kind: 'max', size: 2, feedback: 'map' };
      s.layers[0] = { name: 'h1', shape: [4, 12, 12] };
    },
    inMessage: ['"feedback": "map"', '"W0"', 'no feedback'],
    inHint: ['"kind": "symmetric"', 'remove "feedback"'],
  },
  {
    title: 'pool feedback "map" on average pooling (reported before the missing feedback)',
    code: 'FRE028',
    path: '/edges/0/pool/feedback',
    break: (s) => {
      s.input = { shape: [1, 28, 28] };
      s.edges[0].conv = { kernel: 5 };
      s.edges[0].pool = { kind: 'avg', size: 2, feedback: 'map' };
      s.layers[0] = { name: 'h1', shape: [4, 12, 12] };
    },
    inMessage: ['max pooling'],
    inHint: ['"kind": "max"', 'remove "feedback"'],
    all: ['FRE028', 'FRE028'],
  },
  {
    title: 'pool feedback "map" with overlapping windows (reported before the missing feedback)',
    code: 'FRE028',
    path: '/edges/0/pool/feedback',
    break: (s) => {
      s.input = { shape: [1, 28, 28] };
      s.edges[0].conv = { kernel: 5 };
      s.edges[0].pool = { kind: 'max', size: 2, stride: 1, feedback: 'map' };
      s.layers[0] = { name: 'h1', shape: [4, 23, 23] };
    },
    inMessage: ['stride 1 < size 2', 'overlap'],
    inHint: ['"stride" ≥ 2'],
    all: ['FRE028', 'FRE028'],
  },
  {
    title: 'pool winner "state" on average pooling',
    code: 'FRE028',
    path: '/edges/0/pool/winner',
    break: (s) => {
      s.input = { shape: [1, 28, 28] };
      s.edges[0].conv = { kernel: 5 };
      s.edges[0].pool = { kind: 'avg', size: 2, winner: 'state' };
      s.layers[0] = { name: 'h1', shape: [4, 12, 12] };
    },
    inMessage: ['"winner": "state"', 'max pooling'],
    inHint: ['"kind": "max"', 'remove "winner"'],
  },
  {
    title: 'pool winner "state" with overlapping windows',
    code: 'FRE028',
    path: '/edges/0/pool/winner',
    break: (s) => {
      s.input = { shape: [1, 28, 28] };
      s.edges[0].conv = { kernel: 5 };
      s.edges[0].pool = { kind: 'max', size: 3, stride: 2, winner: 'state' };
      s.layers[0] = { name: 'h1', shape: [4, 11, 11] };
    },
    inMessage: ['stride 2 < size 3'],
    inHint: ['"stride" ≥ 3'],
  },
  {
    title: 'two edges with pool winner "state" into one layer',
    code: 'FRE028',
    path: '/edges/3/pool/winner',
    break: (s) => {
      s.input = { shape: [1, 28, 28] };
      s.edges[0].conv = { kernel: 5 };
      s.edges[0].pool = { kind: 'max', size: 2 };
      s.layers[0] = { name: 'h1', shape: [4, 12, 12] };
      s.layers[1] = { name: 'h2', shape: [4, 4, 4] };
      s.edges[1].conv = { kernel: 5 };
      s.edges[1].pool = { kind: 'max', size: 2, winner: 'state' };
      s.edges.push({ name: 'W0b', from: 'input', to: 'h2', conv: { kernel: 5 }, pool: { kind: 'max', size: 6, winner: 'state' } });
    },
    inMessage: ['"W1"', '"W0b"', '"h2"', 'at most one'],
    inHint: ['remove "winner"'],
  },
  {
    title: 'pool winner "state" with feedback on an edge into a layer listed before its source',
    code: 'FRE028',
    path: '/edges/1/pool/winner',
    break: (s) => {
      // input → h2 (24×24 → 12×12), h2 → h1 (8×8 → 4×4) with winner "state" and feedback: h1 is listed first.
      s.input = { shape: [1, 28, 28] };
      s.layers[0] = { name: 'h1', shape: [4, 4, 4] };
      s.layers[1] = { name: 'h2', shape: [4, 12, 12] };
      s.edges[0] = { name: 'W0', from: 'input', to: 'h2', conv: { kernel: 5 }, pool: { kind: 'max', size: 2 } };
      s.edges[1] = {
        name: 'W1',
        from: 'h2',
        to: 'h1',
        conv: { kernel: 5 },
        pool: { kind: 'max', size: 2, winner: 'state' },
        feedback: { kind: 'symmetric', beta: 0.01 },
      };
      s.edges[2].from = 'h1';
    },
    inMessage: ['"W1"', '"winner": "state"', '"h2"', '"h1"'],
    inHint: ['list "h2" before "h1"', 'remove "winner"'],
  },
  {
    title: 'conv kernel larger than its input',
    code: 'FRE028',
    path: '/edges/0/conv/kernel',
    break: (s) => {
      s.input = { shape: [1, 28, 28] };
      s.edges[0].conv = { kernel: 29 };
      s.layers[0] = { name: 'h1', shape: [1, 1, 1] };
    },
    inMessage: ['kernel 29', '28×28'],
    inHint: ['smaller kernel'],
  },
  {
    title: 'conv readout',
    code: 'FRE028',
    path: '/edges/2/conv',
    break: (s) => {
      s.edges[2].conv = { kernel: 1 };
    },
    inMessage: ['readout', 'Wf'],
    inHint: ['dense'],
  },
  {
    title: 'shape that is not three positive integers',
    code: 'FRE011',
    path: '/layers/0/shape',
    break: (s) => {
      s.layers[0].shape = [512, 1];
    },
    inMessage: ['"shape"', '[512,1]'],
    inHint: ['"shape"'],
  },
  {
    title: 'size and shape disagree',
    code: 'FRE012',
    path: '/layers/0/size',
    break: (s) => {
      s.layers[0].shape = [2, 16, 8];
    },
    inMessage: ['512', '[2,16,8]', '256'],
    inHint: ['"size"', '256'],
  },

  // FRE027 learning rate names an unknown or untrained edge
  {
    title: 'SGD per-edge lr map naming an unknown edge',
    code: 'FRE027',
    path: '/training/optimizer/lr/W9',
    break: (s) => {
      s.training.optimizer = { kind: 'sgd', lr: { ...SGD_ALL, W9: 0.1 } };
    },
    inMessage: ['"W9"', 'trained edge'],
    inHint: ['W0, W1, Wf'],
  },
  {
    title: 'SGD per-edge lr map naming an untrained edge',
    code: 'FRE027',
    path: '/training/optimizer/lr/W0',
    break: (s) => {
      s.edges[0].trainable = false;
      s.training.optimizer = { kind: 'sgd', lr: SGD_ALL };
    },
    inMessage: ['"W0"', 'not a trained edge'],
    inHint: ['W1, Wf'],
  },
];

function diagnosticsOf(raw: unknown, file = FILE): Diagnostic[] {
  const r = validateGraph(raw, file);
  if (r.diagnostics.length > 0) expect(r.spec).toBeUndefined();
  return r.diagnostics;
}

function expectMentions(text: string, parts: string[]): void {
  expect(text.trim().length).toBeGreaterThan(0);
  for (const p of parts) expect(text).toContain(p);
}

describe('every validator diagnostic, one broken field at a time', () => {
  test.each(cases.map((c) => [`${c.code} ${c.title}`, c] as const))('%s', (_t, c) => {
    const s = base();
    c.break(s);
    const diags = diagnosticsOf(s);
    expect(diags.map((d) => d.code)).toEqual(c.all ?? [c.code]);
    const d = diags.find((x) => x.code === c.code && x.path === c.path);
    if (!d) throw new Error(`no ${c.code} at ${c.path}; got:\n${diags.map(formatDiagnostic).join('\n')}`);
    expect(d.file).toBe(FILE);
    expectMentions(d.message, c.inMessage);
    expectMentions(d.hint, c.inHint);
    const shown = formatDiagnostic(d);
    expect(shown).toContain(`${FILE}:${c.path}: error ${c.code}: ${d.message}`);
    expect(shown).toContain(`fix: ${d.hint}`);
    // The same spec through the text loader throws a SpecError carrying the same diagnostics.
    let thrown: unknown;
    try {
      parseGraphText(JSON.stringify(s), FILE);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(SpecError);
    expect((thrown as SpecError).diagnostics).toEqual(diags);
    expect((thrown as SpecError).message).toContain(FILE);
  });
});

describe('FRE001: unreadable file or invalid JSON', () => {
  test('invalid JSON text (parseGraphText)', () => {
    const text = BASE_TEXT.replace('"T": 10,', '"T": 10,,');
    let thrown: unknown;
    try {
      parseGraphText(text, 'broken.json');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(SpecError);
    const [d, ...rest] = (thrown as SpecError).diagnostics;
    expect(rest).toEqual([]);
    expect(d.code).toBe('FRE001');
    expect(d.path).toBe('');
    expectMentions(d.message, ['not valid JSON']);
    expectMentions(d.hint, ['JSON syntax']);
    // Where an editor goes: the line and column of the second comma, not only a character offset.
    const lines = text.split('\n');
    const line = lines.findIndex((l) => l.includes('"T": 10,,'));
    expectMentions(d.message, [`at line ${line + 1}, column ${lines[line].indexOf(',,') + 2} (`]);
    expect(formatDiagnostic(d)).toMatch(/^broken\.json: error FRE001: not valid JSON/);
    expect((thrown as SpecError).message).toContain('broken.json');
  });

  test('truncated file (parseGraphText)', () => {
    let thrown: unknown;
    try {
      parseGraphText(BASE_TEXT.slice(0, 40), 'half.json');
    } catch (err) {
      thrown = err;
    }
    expect((thrown as SpecError).diagnostics.map((d) => d.code)).toEqual(['FRE001']);
    // The end of the input is where the file stops: its last line.
    const cut = BASE_TEXT.slice(0, 40);
    const lastLine = cut.split('\n').length;
    expectMentions((thrown as SpecError).diagnostics[0].message, [`at line ${lastLine}, column `]);
  });

  test('missing file (loadGraph)', () => {
    const file = path.join(ROOT, 'examples', 'no-such-graph.json');
    let thrown: unknown;
    try {
      loadGraph(file);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(SpecError);
    const [d, ...rest] = (thrown as SpecError).diagnostics;
    expect(rest).toEqual([]);
    expect(d.code).toBe('FRE001');
    expect(d.file).toBe(file);
    expect(d.path).toBe('');
    expectMentions(d.message, ['cannot read', 'ENOENT']);
    expectMentions(d.hint, ['path', 'examples/']);
    expect(formatDiagnostic(d)).toContain(`${file}: error FRE001`);
  });

  test('valid JSON that is not an object is a type error at the root (FRE011)', () => {
    const diags = diagnosticsOf(JSON.parse('[1, 2]'), 'list.json');
    expect(diags.map((d) => [d.code, d.path])).toEqual([['FRE011', '']]);
    expectMentions(diags[0].message, ['object', 'array']);
    expect(formatDiagnostic(diags[0])).toMatch(/^list\.json: error FRE011/);
  });
});

describe('FRE040: the weight file is named once', () => {
  const net = resolveNet(loadGraph(path.join(ROOT, FILE)));
  const fre040 = (file: string) => {
    let thrown: unknown;
    try {
      loadParams(file, net, makeRng(0));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(SpecError);
    return (thrown as SpecError).diagnostics[0];
  };

  test('a missing file: "nope.npz: error FRE040: does not exist", not "nope.npz: … nope.npz: does not exist"', () => {
    const d = fre040('nope.npz');
    expect(d.code).toBe('FRE040');
    expect(formatDiagnostic(d)).toMatch(/^nope\.npz: error FRE040: does not exist/);
    expect(d.message).not.toContain('nope.npz:');
  });

  test('an array of the wrong shape names the file once and the array', () => {
    const small = resolveNet(loadGraph(path.join(ROOT, 'examples', 'mnist-demo.json')));
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'fre-w-')), 'demo.npz');
    saveParams(file, small, initParams(small, makeRng(1)));
    const d = fre040(file);
    expect(d.path).toBe('/edges/0');
    expect(d.message).toMatch(/^array 'W0' has shape/);
    expect(formatDiagnostic(d).split(file)).toHaveLength(2);
  });
});

describe('the diagnostic table', () => {
  const validatorCodes = (Object.keys(DIAGNOSTIC_CODES) as DiagnosticCode[]).filter((c) => !LATER.includes(c));

  test('every validator code FRE001…FRE027 has a test case above', () => {
    const covered = new Set<DiagnosticCode>(['FRE001', ...cases.map((c) => c.code)]);
    expect([...covered].sort()).toEqual([...validatorCodes].sort());
    for (const code of validatorCodes) expect(DIAGNOSTIC_CODES[code].length).toBeGreaterThan(0);
  });

  test('FRE030/FRE031/FRE040/FRE041 are in the table but emitted outside the graph validator', () => {
    for (const code of LATER) expect(DIAGNOSTIC_CODES[code].length).toBeGreaterThan(0);
    const sources = ['validate.ts', 'load.ts', 'builder.ts', 'net.ts']
      .map((f) => readFileSync(path.join(ROOT, 'graph', f), 'utf8'))
      .join('\n');
    for (const code of LATER) expect(sources).not.toContain(code);
  });
  // FRE030/FRE031 (datasets/net-data.ts) and FRE040 (graph/weights-file.ts) are tested end to end in
  // test/cli-train.test.ts, where a dataset and a weight file exist.

  test('formatDiagnostic without a path names just the file', () => {
    const d: Diagnostic = { code: 'FRE001', file: 'x.json', path: '', message: 'm', hint: 'h' };
    expect(formatDiagnostic(d)).toBe('x.json: error FRE001: m\n  fix: h');
  });
});

describe('one pass reports every problem', () => {
  test('five unrelated problems, five diagnostics, in file order', () => {
    const s = base();
    s.layers[0].activation = 'relu';
    s.edges[1].to = 'h9';
    s.edges[2].feedback.betta = 0.1;
    s.dynamics.T = '10';
    s.training.optimizer = { kind: 'sgd', lr: { ...SGD_ALL, W9: 0.1 } };
    const diags = diagnosticsOf(s);
    expect(diags.map((d) => [d.code, d.path])).toEqual([
      ['FRE013', '/layers/0/activation'],
      ['FRE021', '/edges/1/to'],
      ['FRE014', '/edges/2/feedback/betta'],
      ['FRE011', '/dynamics/T'],
      ['FRE027', '/training/optimizer/lr/W9'],
    ]);
    let thrown: unknown;
    try {
      parseGraphText(JSON.stringify(s), FILE);
    } catch (err) {
      thrown = err;
    }
    const text = (thrown as SpecError).message;
    for (const code of ['FRE013', 'FRE021', 'FRE014', 'FRE011', 'FRE027']) expect(text).toContain(`error ${code}:`);
    expect(text.split('\n').filter((l) => l.startsWith(`${FILE}:`))).toHaveLength(5);
  });

  test('an invalid layer does not make the edges that name it "unknown" (no FRE021 cascade)', () => {
    const s = base();
    s.layers[0].size = -3;
    s.layers[1].activation = 'ReLU';
    expect(diagnosticsOf(s).map((d) => [d.code, d.path])).toEqual([
      ['FRE012', '/layers/0/size'],
      ['FRE013', '/layers/1/activation'],
    ]);
  });

  test('FRE024 points at the right layer when an earlier layer is itself invalid', () => {
    const s = base();
    s.layers[0].activation = 'relu';
    s.layers.push({ name: 'h3', size: 16 });
    expect(diagnosticsOf(s).map((d) => [d.code, d.path])).toEqual([
      ['FRE013', '/layers/0/activation'],
      ['FRE024', '/layers/2'],
    ]);
  });

  test('a broken edge field does not hide a forbidden direction', () => {
    const s = base();
    s.edges[1].alpha = 'one';
    s.edges[1].to = 'h1';
    expect(diagnosticsOf(s).map((d) => [d.code, d.path])).toEqual([
      ['FRE011', '/edges/1/alpha'],
      ['FRE022', '/edges/1'],
    ]);
  });

  test('an SGD lr map naming an edge with a broken field is not an FRE027', () => {
    const s = base();
    s.edges[1].alpha = 'one';
    s.training.optimizer = { kind: 'sgd', lr: SGD_ALL };
    expect(diagnosticsOf(s).map((d) => [d.code, d.path])).toEqual([['FRE011', '/edges/1/alpha']]);
  });
});

describe('valid specs', () => {
  test.each(['mnist-2hl.json', 'mnist-3hl.json', 'mnist-demo.json'])('examples/%s validates with no diagnostics', (f) => {
    const raw = JSON.parse(readFileSync(path.join(ROOT, 'examples', f), 'utf8'));
    const r = validateGraph(raw, `examples/${f}`);
    expect(r.diagnostics).toEqual([]);
    expect(r.spec).toBeDefined();
    expect(loadGraph(path.join(ROOT, 'examples', f))).toEqual(r.spec);
  });

  test('the validated spec is a fixed point (validating it again changes nothing)', () => {
    const spec = parseGraphText(BASE_TEXT, FILE);
    expect(validateGraph(structuredClone(spec), 'again')).toEqual({ spec, diagnostics: [] });
  });

  test('reachability follows edges, not the layer order (h1 driven only through h2)', () => {
    const s = base();
    s.edges[0] = { name: 'W0', from: 'input', to: 'h2' };
    s.edges[1] = { name: 'W1', from: 'h2', to: 'h1', feedback: { kind: 'symmetric', beta: 0.01 } };
    expect(diagnosticsOf(s)).toEqual([]);
  });

  test('an SGD per-edge lr map naming every trained edge is accepted', () => {
    const s = base();
    s.training.optimizer = { kind: 'sgd', lr: SGD_ALL, momentum: 0.9 };
    expect(diagnosticsOf(s)).toEqual([]);
  });

  test('the residual and AGT snippets of docs/graph-format.md validate', () => {
    const s = base();
    s.layers = [1, 2, 3, 4].map((i) => ({ name: `h${i}`, size: 64 }));
    s.edges = [
      { name: 'W0', from: 'input', to: 'h1' },
      { name: 'W1', from: 'h1', to: 'h2', feedback: { kind: 'random', beta: 0.1 } },
      { name: 'W2', from: 'h2', to: 'h3', feedback: { kind: 'symmetric', beta: 0.1 } },
      { name: 'W3', from: 'h3', to: 'h4', feedback: { kind: 'symmetric', beta: 0.1 } },
      { name: 'S14', from: 'h1', to: 'h4', feedback: { kind: 'symmetric', beta: 0.1 } },
      { name: 'A13', from: 'h1', to: 'h3' },
      { name: 'A31', from: 'h3', to: 'h1', trainable: false },
      { name: 'Wf', from: 'h4', to: 'output', feedback: { kind: 'random' } },
    ];
    s.training.optimizer = { kind: 'sgd', lr: { W0: 0.15, W1: 0.35, W2: 0.35, W3: 0.35, S14: 0.35, A13: 0.35, Wf: 0.9 } };
    expect(diagnosticsOf(s)).toEqual([]);
  });
});

describe('defaults', () => {
  test('omitted optional fields are filled in', () => {
    const s = base();
    delete s.description;
    delete s.data;
    delete s.dynamics.nudge;
    delete s.layers[0].activation;
    delete s.edges[1].alpha;
    delete s.edges[2].feedback;
    delete s.training.seed;
    const r = validateGraph(s, FILE);
    expect(r.diagnostics).toEqual([]);
    const spec = r.spec as GraphSpec;
    expect(spec.description).toBeUndefined();
    expect(spec.data).toBeUndefined();
    expect(spec.dynamics.nudge).toBe('held');
    expect(spec.layers[0].activation).toBe('tanh');
    expect(spec.edges.map((e) => e.alpha)).toEqual([1, 1, 1]);
    expect(spec.edges.map((e) => e.trainable)).toEqual([true, true, true]);
    expect(spec.edges[0].feedback).toEqual({ kind: 'none' });
    expect(spec.edges[1].feedback).toEqual({ kind: 'symmetric', beta: 0.01 });
    expect(spec.edges[2].feedback).toEqual({ kind: 'symmetric' });
    expect(spec.training.optimizer).toEqual({ kind: 'adam', lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    expect(spec.training.seed).toBe(0);
  });

  test('SGD momentum defaults to 0', () => {
    const s = base();
    s.training.optimizer = { kind: 'sgd', lr: 0.1 };
    expect(validateGraph(s, FILE).spec?.training.optimizer).toEqual({ kind: 'sgd', lr: 0.1, momentum: 0 });
  });
});

describe('GraphBuilder', () => {
  function builder2hl(): GraphBuilder {
    return new GraphBuilder('mnist-2hl')
      .description(BASE.description)
      .data('mnist')
      .input(784)
      .layer('h1', 512)
      .layer('h2', 512)
      .output(10)
      .chain({ betaI: 0.01 })
      .dynamics({ T: 10, K: 5, betaF: 0.1, nudge: 'held' })
      .training({ optimizer: { kind: 'adam', lr: 0.001 }, batchSize: 500, epochs: 50, seed: 0 });
  }

  test('chain() builds the same validated spec as examples/mnist-2hl.json', () => {
    expect(builder2hl().build()).toEqual(loadGraph(path.join(ROOT, FILE)));
  });

  test('toJSON() is the same object the file holds', () => {
    expect(JSON.parse(JSON.stringify(builder2hl().toJSON()))).toEqual(BASE);
  });

  test('chain() names W0…W{L-1}, Wf and applies feedback kind and α', () => {
    const spec = new GraphBuilder('c')
      .input(8)
      .layer('a', 4)
      .layer('b', 4)
      .layer('c', 4)
      .output(3)
      .chain({ betaI: 0.1, alpha: 0.5, feedback: 'random', outputFeedback: 'symmetric' })
      .dynamics({ T: 3, K: 2, betaF: 0.2 })
      .training({ optimizer: { kind: 'sgd', lr: 0.1 }, batchSize: 4, epochs: 1, seed: 1 })
      .build();
    expect(spec.edges.map((e) => [e.name, e.from, e.to, e.alpha, e.feedback])).toEqual([
      ['W0', 'input', 'a', 1, { kind: 'none' }],
      ['W1', 'a', 'b', 0.5, { kind: 'random', beta: 0.1 }],
      ['W2', 'b', 'c', 0.5, { kind: 'random', beta: 0.1 }],
      ['Wf', 'c', 'output', 1, { kind: 'symmetric' }],
    ]);
  });

  test('build() throws a SpecError naming the builder', () => {
    let thrown: unknown;
    try {
      new GraphBuilder('broken')
        .input(784)
        .layer('h1', 64)
        .layer('h2', 64)
        .output(10)
        .chain({ betaI: -1 })
        .training({ optimizer: { kind: 'adam', lr: 1e-3 }, batchSize: 1, epochs: 1, seed: 0 })
        .build();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(SpecError);
    const diags = (thrown as SpecError).diagnostics;
    expect(diags.map((d) => [d.code, d.path])).toEqual([
      ['FRE012', '/edges/1/feedback/beta'],
      ['FRE010', '/dynamics'],
    ]);
    expect((thrown as SpecError).message).toContain('<builder:broken>:/dynamics: error FRE010');
  });
});

describe('resolveNet', () => {
  test('W shapes are [rows = size(to), cols = size(from)]', () => {
    const net = resolveNet(parseGraphText(BASE_TEXT, FILE));
    expect(net.edges.map((e) => [e.name, e.rows, e.cols])).toEqual([
      ['W0', 512, 784],
      ['W1', 512, 512],
      ['Wf', 10, 512],
    ]);
    expect(net.edges.map((e) => [e.from, e.to])).toEqual([
      [INPUT, 0],
      [0, 1],
      [1, OUTPUT],
    ]);
    expect(net.readout.name).toBe('Wf');
    expect(net.edges.map((e) => e.beta)).toEqual([0, 0.01, 0.1]);
    expect(net.edges.map((e) => e.feedback)).toEqual(['none', 'symmetric', 'symmetric']);
  });

  test('non-square layers keep the orientation', () => {
    const net = resolveNet(
      new GraphBuilder('t')
        .input(784)
        .layer('h1', 300)
        .layer('h2', 100)
        .output(10)
        .chain({ betaI: 0.01 })
        .dynamics({ T: 4, K: 2, betaF: 0.1 })
        .training({ optimizer: { kind: 'adam', lr: 1e-3 }, batchSize: 2, epochs: 1, seed: 0 })
        .build(),
    );
    expect(net.edges.map((e) => [e.rows, e.cols])).toEqual([
      [300, 784],
      [100, 300],
      [10, 100],
    ]);
    expect([net.inputSize, net.classes, net.layers.map((l) => l.size)]).toEqual([784, 10, [300, 100]]);
  });
});
