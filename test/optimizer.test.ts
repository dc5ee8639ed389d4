/**
 * The optimisers against float64 transcriptions of PyTorch's documented algorithms
 * (torch.optim.SGD, Adam, AdamW), the cosine schedule, global gradient-norm clipping, the
 * validation of the training fields, and train() with a schedule.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { syntheticDataset } from '../datasets/synthetic';
import { formatDiagnostic, type Diagnostic } from '../graph/diagnostics';
import { GraphBuilder } from '../graph/builder';
import { resolveNet, type Net } from '../graph/net';
import type { GraphSpec, TrainingSpec } from '../graph/spec';
import { validateGraph } from '../graph/validate';
import { cloneParams, initParams } from '../graph/params';
import type { Kernels } from '../simulator/kernels/kernels';
import { referenceKernels } from '../simulator/kernels/reference';
import { selectKernels } from '../simulator/kernels/select';
import { clipGradNorm, globalNorm } from '../simulator/optim/clip';
import { Adam, makeOptimizer, Sgd } from '../simulator/optim/optimizer';
import { cosineLr, makeSchedule } from '../simulator/optim/schedule';
import { train } from '../simulator/train';
import { makeRng, type Rng } from '../util/rng';

const KERNELS: [string, Kernels][] = [
  ['reference', referenceKernels],
  ['selected', selectKernels('auto')],
];

// ---------------------------------------------------------------------------------------------
// Float64 references, written from the pseudo-code in PyTorch's documentation.

type Vec = Float64Array;
type Slots = (Vec | null)[];

/** torch.optim.SGD (dampening 0, nesterov False, maximize False). */
class RefSgd {
  private readonly buf: Slots;
  private t = 0;
  constructor(
    sizes: (number | null)[],
    private readonly lrs: number[],
    private readonly momentum: number,
    private readonly wd: number,
  ) {
    this.buf = sizes.map(() => null);
  }
  step(theta: Slots, grads: Slots): void {
    this.t++;
    grads.forEach((g0, i) => {
      const th = theta[i];
      if (!g0 || !th) return;
      let g = g0.map((gk, k) => (this.wd !== 0 ? gk + this.wd * th[k] : gk));
      if (this.momentum !== 0) {
        const b = this.t > 1 && this.buf[i] ? this.buf[i]!.map((bk, k) => this.momentum * bk + g[k]) : Float64Array.from(g);
        this.buf[i] = b;
        g = b;
      }
      for (let k = 0; k < th.length; k++) th[k] -= this.lrs[i] * g[k];
    });
  }
}

/** torch.optim.Adam (L2 weight_decay) and torch.optim.AdamW (decoupled), amsgrad False. */
class RefAdam {
  private readonly m: Slots;
  private readonly v: Slots;
  private t = 0;
  constructor(
    sizes: (number | null)[],
    private readonly lr: number,
    private readonly b1: number,
    private readonly b2: number,
    private readonly eps: number,
    private readonly wd: number,
    private readonly decoupled: boolean,
  ) {
    this.m = sizes.map((n) => (n === null ? null : new Float64Array(n)));
    this.v = sizes.map((n) => (n === null ? null : new Float64Array(n)));
  }
  step(theta: Slots, grads: Slots): void {
    this.t++;
    grads.forEach((g0, i) => {
      const th = theta[i];
      const m = this.m[i];
      const v = this.v[i];
      if (!g0 || !th || !m || !v) return;
      if (this.decoupled) for (let k = 0; k < th.length; k++) th[k] -= this.lr * this.wd * th[k];
      for (let k = 0; k < th.length; k++) {
        const g = this.decoupled ? g0[k] : g0[k] + this.wd * th[k];
        m[k] = this.b1 * m[k] + (1 - this.b1) * g;
        v[k] = this.b2 * v[k] + (1 - this.b2) * g * g;
        const mHat = m[k] / (1 - Math.pow(this.b1, this.t));
        const vHat = v[k] / (1 - Math.pow(this.b2, this.t));
        th[k] -= (this.lr * mHat) / (Math.sqrt(vHat) + this.eps);
      }
    });
  }
}

// ---------------------------------------------------------------------------------------------

/** Slot sizes with an untrained (null) slot in the middle, as makeGrads leaves them. */
const SIZES: (number | null)[] = [12, null, 7, 3];

function randomSlots(sizes: (number | null)[], rng: Rng, scale = 1): (Float32Array | null)[] {
  return sizes.map((n) => (n === null ? null : Float32Array.from({ length: n }, () => scale * rng.normal())));
}

function as64(slots: (Float32Array | null)[]): Slots {
  return slots.map((s) => (s ? Float64Array.from(s) : null));
}

/** Largest |a − b| over all slots. */
function maxDiff(a: (ArrayLike<number> | null)[], b: (ArrayLike<number> | null)[]): number {
  let worst = 0;
  a.forEach((x, i) => {
    const y = b[i];
    if (!x || !y) return;
    for (let k = 0; k < x.length; k++) worst = Math.max(worst, Math.abs(x[k] - y[k]));
  });
  return worst;
}

/** Runs `steps` steps of an optimiser and its reference on the same random weights and grads;
 *  returns the largest weight difference and how far the weights moved. */
function compare(
  opt: { step(w: Float32Array[], g: (Float32Array | null)[]): void },
  ref: { step(w: Slots, g: Slots): void },
  steps: number,
  seed: string,
): { diff: number; moved: number } {
  const rng = makeRng(seed);
  const w0 = randomSlots(SIZES, rng);
  const w = w0.map((s) => (s ? Float32Array.from(s) : new Float32Array(0)));
  const w64 = as64(w0);
  for (let s = 0; s < steps; s++) {
    const g = randomSlots(SIZES, rng, 0.5);
    const g64 = as64(g); // before the optimiser rewrites g in place
    opt.step(w, g);
    ref.step(w64, g64);
  }
  return { diff: maxDiff(w, w64), moved: maxDiff(w, w0) };
}

describe("optimisers match PyTorch's algorithms (float64 reference)", () => {
  const STEPS = 6;

  test('SGD with momentum and weight decay, per-slot learning rates', () => {
    const lrs = [0.05, 0, 0.2, 0.1];
    const { diff, moved } = compare(
      new Sgd(SIZES, lrs, { momentum: 0.9, weightDecay: 0.1 }),
      new RefSgd(SIZES, lrs, 0.9, 0.1),
      STEPS,
      'sgd',
    );
    expect(moved).toBeGreaterThan(0.1);
    expect(diff).toBeLessThan(1e-5);
  });

  test('SGD without momentum, with weight decay', () => {
    const lrs = [0.1, 0.1, 0.1, 0.1];
    const { diff, moved } = compare(new Sgd(SIZES, lrs, { weightDecay: 0.3 }), new RefSgd(SIZES, lrs, 0, 0.3), STEPS, 'sgd0');
    expect(moved).toBeGreaterThan(0.1);
    expect(diff).toBeLessThan(1e-5);
  });

  test('the references tell the decay variants apart (so the comparisons can fail)', () => {
    const plain = compare(
      new Sgd(SIZES, [0.1, 0.1, 0.1, 0.1], { momentum: 0.9 }),
      new RefSgd(SIZES, [0.1, 0.1, 0.1, 0.1], 0.9, 0.1),
      STEPS,
      'x',
    );
    expect(plain.diff).toBeGreaterThan(1e-3);
    const l2 = compare(
      new Adam(referenceKernels, SIZES, 0.01, { weightDecay: 0.5 }),
      new RefAdam(SIZES, 0.01, 0.9, 0.999, 1e-8, 0.5, true),
      STEPS,
      'y',
    );
    expect(l2.diff).toBeGreaterThan(1e-4);
  });

  describe.each(KERNELS)('Adam / AdamW through the %s kernels', (_name, kernels) => {
    test('Adam with L2 weight decay (g ← g + λθ)', () => {
      const { diff, moved } = compare(
        new Adam(kernels, SIZES, 0.01, { beta1: 0.8, beta2: 0.99, eps: 1e-8, weightDecay: 0.5 }),
        new RefAdam(SIZES, 0.01, 0.8, 0.99, 1e-8, 0.5, false),
        STEPS,
        'adam',
      );
      expect(moved).toBeGreaterThan(0.03);
      expect(diff).toBeLessThan(2e-6);
    });

    test('Adam without decay', () => {
      const { diff } = compare(new Adam(kernels, SIZES, 0.01), new RefAdam(SIZES, 0.01, 0.9, 0.999, 1e-8, 0, false), STEPS, 'adam0');
      expect(diff).toBeLessThan(2e-6);
    });

    test('AdamW with decoupled decay (θ ← θ(1 − γλ), then Adam on the undecayed g)', () => {
      const { diff, moved } = compare(
        new Adam(kernels, SIZES, 0.01, { weightDecay: 0.5, decoupled: true }),
        new RefAdam(SIZES, 0.01, 0.9, 0.999, 1e-8, 0.5, true),
        STEPS,
        'adamw',
      );
      expect(moved).toBeGreaterThan(0.03);
      expect(diff).toBeLessThan(2e-6);
    });
  });
});

/** A stand-in for a resolved net: makeOptimizer reads only the edges' shapes and flags. */
function fakeNet(): Net {
  const edges = [
    { name: 'W0', rows: 3, cols: 4, trainable: true, bias: true },
    { name: 'R', rows: 3, cols: 3, trainable: false, bias: false },
    { name: 'Wf', rows: 2, cols: 3, trainable: true, bias: false },
  ].map((e, index) => ({ ...e, index }));
  return { edges } as unknown as Net;
}

function training(over: Partial<TrainingSpec>): TrainingSpec {
  return { optimizer: { kind: 'adam', lr: 0.01 }, batchSize: 4, epochs: 10, seed: 0, ...over };
}

describe('makeOptimizer over the [matrices, biases] slots', () => {
  const net = fakeNet();
  const sizes = [12, null, 6, 3, null, null];
  const weights = (rng: Rng) => randomSlots(sizes, rng).map((s) => s ?? new Float32Array(0));

  test("AdamW without weightDecay uses PyTorch's 0.01 and decays the bias with its edge", () => {
    const opt = makeOptimizer(net, training({ optimizer: { kind: 'adamw', lr: 0.01 } }), referenceKernels);
    const ref = new RefAdam(sizes, 0.01, 0.9, 0.999, 1e-8, 0.01, true);
    const rng = makeRng('mk-adamw');
    const w = weights(rng);
    const w64 = as64(w.map((x, i) => (sizes[i] === null ? null : x)));
    for (let s = 0; s < 4; s++) {
      const g = randomSlots(sizes, rng);
      const g64 = as64(g);
      opt.step(w, g);
      ref.step(w64, g64);
    }
    expect(maxDiff(w, w64)).toBeLessThan(2e-6);
  });

  test("SGD per-edge rates: a bias steps with its edge's rate; the cosine schedule scales each from its own base", () => {
    const opt = makeOptimizer(
      net,
      training({
        optimizer: { kind: 'sgd', lr: { W0: 0.4, Wf: 0.1 } },
        schedule: { kind: 'cosine', epochs: 4, minLr: 0.02 },
      }),
      referenceKernels,
    );
    expect([0, 2, 3].map((i) => opt.lr(i))).toEqual([0.4, 0.1, 0.4]);
    opt.setEpoch(2);
    expect(opt.lr(0)).toBeCloseTo(0.21, 12);
    expect(opt.lr(2)).toBeCloseTo(0.06, 12);
    expect(opt.lr(3)).toBeCloseTo(0.21, 12);
    opt.setEpoch(4);
    expect(opt.lr(0)).toBeCloseTo(0.02, 12);
    expect(opt.lr(2)).toBeCloseTo(0.02, 12);
    // and the step uses the scheduled rate: w ← w − lr·g with lr = 0.02
    const w = [
      new Float32Array(12),
      new Float32Array(0),
      new Float32Array(6),
      new Float32Array(3).fill(1),
      new Float32Array(0),
      new Float32Array(0),
    ];
    const g = [new Float32Array(12).fill(1), null, new Float32Array(6).fill(1), new Float32Array(3).fill(1), null, null];
    opt.step(w, g);
    expect(w[0][0]).toBeCloseTo(-0.02, 7);
    expect(w[3][0]).toBeCloseTo(0.98, 7);
  });

  test('Adam steps with the scheduled rate (zero at the end of a cosine to 0)', () => {
    const opt = makeOptimizer(net, training({ schedule: { kind: 'cosine' } }), referenceKernels);
    opt.setEpoch(10); // T_max = training.epochs = 10, minLr 0
    expect(opt.lr(0)).toBe(0);
    const rng = makeRng('adam-zero');
    const w = weights(rng);
    const before = w.map((x) => Float32Array.from(x));
    opt.step(w, randomSlots(sizes, rng));
    expect(maxDiff(w, before)).toBe(0);
  });

  test('constant schedule and no schedule keep the base rate in every epoch', () => {
    for (const schedule of [undefined, { kind: 'constant' as const }]) {
      const opt = makeOptimizer(net, training({ schedule }), referenceKernels);
      opt.setEpoch(7);
      expect(opt.lr(0)).toBe(0.01);
    }
  });
});

describe('cosine schedule (PyTorch CosineAnnealingLR, closed form)', () => {
  const base = 0.1;
  const min = 0.001;
  const T = 8;

  test('lr at e = 0, T/2, T is base, (base + min)/2, min; it stays at min after T', () => {
    expect(cosineLr(base, min, 0, T)).toBeCloseTo(base, 15);
    expect(cosineLr(base, min, T / 2, T)).toBeCloseTo((base + min) / 2, 15);
    expect(cosineLr(base, min, T, T)).toBeCloseTo(min, 15);
    expect(cosineLr(base, min, T + 5, T)).toBeCloseTo(min, 15);
  });

  test('matches η_min + (η_max − η_min)(1 + cos(πe/T))/2 in between and decreases monotonically', () => {
    let prev = Infinity;
    for (let e = 0; e <= T; e++) {
      const lr = cosineLr(base, min, e, T);
      expect(lr).toBeCloseTo(min + ((base - min) * (1 + Math.cos((Math.PI * e) / T))) / 2, 15);
      expect(lr).toBeLessThan(prev);
      prev = lr;
    }
  });

  test('T_max defaults to training.epochs, minLr to 0', () => {
    const s = makeSchedule({ epochs: 6, schedule: { kind: 'cosine' } });
    expect(s(0.2, 0)).toBeCloseTo(0.2, 15);
    expect(s(0.2, 3)).toBeCloseTo(0.1, 15);
    expect(s(0.2, 6)).toBeCloseTo(0, 15);
    const t = makeSchedule({ epochs: 6, schedule: { kind: 'cosine', epochs: 2, minLr: 0.05 } });
    expect(t(0.2, 1)).toBeCloseTo(0.125, 15);
    expect(t(0.2, 4)).toBeCloseTo(0.05, 15);
  });
});

describe('global gradient-norm clipping (clip_grad_norm_)', () => {
  test('above the bound: the global norm becomes the bound, directions are kept', () => {
    const g = randomSlots(SIZES, makeRng('clip'), 2);
    const before = as64(g);
    const norm = globalNorm(g);
    expect(norm).toBeGreaterThan(5);
    expect(clipGradNorm(g, 1.5)).toBeCloseTo(norm, 5);
    expect(globalNorm(g)).toBeCloseTo(1.5, 5);
    const f = g[0]![0] / before[0]![0];
    g.forEach((s, i) => s?.forEach((x, k) => expect(x).toBeCloseTo(f * before[i]![k], 6)));
  });

  test('just above the bound: clipped too (factor 0.9)', () => {
    const g = randomSlots(SIZES, makeRng('clip-near'));
    const norm = globalNorm(g);
    clipGradNorm(g, 0.9 * norm);
    expect(globalNorm(g) / norm).toBeCloseTo(0.9, 5);
  });

  test('below the bound: untouched', () => {
    const g = randomSlots(SIZES, makeRng('clip2'), 0.01);
    const before = g.map((s) => (s ? Float32Array.from(s) : null));
    clipGradNorm(g, 10);
    expect(g).toEqual(before);
  });

  test("the optimiser clips before its step (SGD lr 1: the update has the bound's norm)", () => {
    const net = fakeNet();
    const sizes = [12, null, 6, 3, null, null];
    const opt = makeOptimizer(net, training({ optimizer: { kind: 'sgd', lr: 1 }, clipGradNorm: 0.5 }), referenceKernels);
    const w = sizes.map((n) => new Float32Array(n ?? 0));
    const g = randomSlots(sizes, makeRng('clip3'), 3);
    opt.step(w, g);
    expect(globalNorm(w)).toBeCloseTo(0.5, 5);
    // without the bound, the step is the raw direction
    const free = makeOptimizer(net, training({ optimizer: { kind: 'sgd', lr: 1 } }), referenceKernels);
    const w2 = sizes.map((n) => new Float32Array(n ?? 0));
    free.step(w2, randomSlots(sizes, makeRng('clip3'), 3));
    expect(globalNorm(w2)).toBeGreaterThan(5);
  });
});

// ---------------------------------------------------------------------------------------------
// Validation of the training fields.

const FILE = 'examples/mnist-2hl.json';
type Json = any;
const BASE: Json = JSON.parse(readFileSync(path.join(__dirname, '..', FILE), 'utf8'));
const base = (): Json => structuredClone(BASE);

function diagnosticsOf(s: Json): Diagnostic[] {
  return validateGraph(s, FILE).diagnostics;
}

interface Case {
  title: string;
  code: string;
  path: string;
  break: (s: Json) => void;
  inMessage: string[];
  inHint: string[];
}

const cases: Case[] = [
  {
    title: "optimizer kind 'adam-w' suggests 'adamw'",
    code: 'FRE013',
    path: '/training/optimizer/kind',
    break: (s) => {
      s.training.optimizer.kind = 'adam-w';
    },
    inMessage: ['"adam-w"', 'adamw'],
    inHint: ['did you mean "adamw"?'],
  },
  {
    title: 'negative weightDecay on adam',
    code: 'FRE012',
    path: '/training/optimizer/weightDecay',
    break: (s) => {
      s.training.optimizer.weightDecay = -0.1;
    },
    inMessage: ['"weightDecay"', '-0.1', '≥ 0'],
    inHint: ['"weightDecay"', '0'],
  },
  {
    title: 'negative weightDecay on adamw',
    code: 'FRE012',
    path: '/training/optimizer/weightDecay',
    break: (s) => {
      s.training.optimizer = { kind: 'adamw', lr: 0.001, weightDecay: -1 };
    },
    inMessage: ['"weightDecay"', '-1'],
    inHint: ['"weightDecay"'],
  },
  {
    title: 'negative weightDecay on sgd',
    code: 'FRE012',
    path: '/training/optimizer/weightDecay',
    break: (s) => {
      s.training.optimizer = { kind: 'sgd', lr: 0.1, weightDecay: -0.5 };
    },
    inMessage: ['"weightDecay"', '-0.5'],
    inHint: ['"weightDecay"'],
  },
  {
    title: 'weightDecay as a string',
    code: 'FRE011',
    path: '/training/optimizer/weightDecay',
    break: (s) => {
      s.training.optimizer.weightDecay = '0.01';
    },
    inMessage: ['"weightDecay"', 'number'],
    inHint: ['"weightDecay"'],
  },
  {
    title: 'momentum on adamw is an unknown field',
    code: 'FRE014',
    path: '/training/optimizer/momentum',
    break: (s) => {
      s.training.optimizer = { kind: 'adamw', lr: 0.001, momentum: 0.9 };
    },
    inMessage: ['"momentum"'],
    inHint: ['weightDecay'],
  },
  {
    title: 'typo weight_decay suggests weightDecay',
    code: 'FRE014',
    path: '/training/optimizer/weight_decay',
    break: (s) => {
      s.training.optimizer = { kind: 'sgd', lr: 0.1, weight_decay: 0.01 };
    },
    inMessage: ['"weight_decay"'],
    inHint: ['did you mean "weightDecay"?'],
  },
  {
    title: "schedule kind 'cosin' suggests 'cosine'",
    code: 'FRE013',
    path: '/training/schedule/kind',
    break: (s) => {
      s.training.schedule = { kind: 'cosin' };
    },
    inMessage: ['"cosin"', 'constant', 'cosine'],
    inHint: ['did you mean "cosine"?'],
  },
  {
    title: 'schedule kind missing',
    code: 'FRE010',
    path: '/training/schedule/kind',
    break: (s) => {
      s.training.schedule = { epochs: 3 };
    },
    inMessage: ['"kind"', 'missing'],
    inHint: ['cosine'],
  },
  {
    title: 'schedule as a string',
    code: 'FRE011',
    path: '/training/schedule',
    break: (s) => {
      s.training.schedule = 'cosine';
    },
    inMessage: ['object'],
    inHint: ['{ … }'],
  },
  {
    title: 'cosine epochs 0',
    code: 'FRE012',
    path: '/training/schedule/epochs',
    break: (s) => {
      s.training.schedule = { kind: 'cosine', epochs: 0 };
    },
    inMessage: ['"epochs"', '0', '≥ 1'],
    inHint: ['"epochs"', '1'],
  },
  {
    title: 'cosine epochs not an integer',
    code: 'FRE011',
    path: '/training/schedule/epochs',
    break: (s) => {
      s.training.schedule = { kind: 'cosine', epochs: 2.5 };
    },
    inMessage: ['"epochs"', 'integer'],
    inHint: ['whole number'],
  },
  {
    title: 'negative minLr',
    code: 'FRE012',
    path: '/training/schedule/minLr',
    break: (s) => {
      s.training.schedule = { kind: 'cosine', minLr: -1e-4 };
    },
    inMessage: ['"minLr"', '-0.0001'],
    inHint: ['"minLr"'],
  },
  {
    title: 'minLr above the learning rate',
    code: 'FRE012',
    path: '/training/schedule/minLr',
    break: (s) => {
      s.training.schedule = { kind: 'cosine', minLr: 0.01 };
    },
    inMessage: ['"minLr"', '0.01', '0.001'],
    inHint: ['absolute', '0.001'],
  },
  {
    title: 'minLr above one rate of a per-edge SGD map',
    code: 'FRE012',
    path: '/training/schedule/minLr',
    break: (s) => {
      s.training.optimizer = { kind: 'sgd', lr: { W0: 0.1, W1: 0.1, Wf: 0.01 } };
      s.training.schedule = { kind: 'cosine', minLr: 0.05 };
    },
    inMessage: ['"minLr"', '0.05', '0.01'],
    inHint: ['0.01'],
  },
  {
    title: 'typo minlr suggests minLr',
    code: 'FRE014',
    path: '/training/schedule/minlr',
    break: (s) => {
      s.training.schedule = { kind: 'cosine', minlr: 0 };
    },
    inMessage: ['"minlr"'],
    inHint: ['did you mean "minLr"?'],
  },
  {
    title: 'epochs on a constant schedule',
    code: 'FRE014',
    path: '/training/schedule/epochs',
    break: (s) => {
      s.training.schedule = { kind: 'constant', epochs: 3 };
    },
    inMessage: ['"epochs"'],
    inHint: ['kind'],
  },
  {
    title: 'clipGradNorm 0',
    code: 'FRE012',
    path: '/training/clipGradNorm',
    break: (s) => {
      s.training.clipGradNorm = 0;
    },
    inMessage: ['"clipGradNorm"', '0', '> 0'],
    inHint: ['"clipGradNorm"', 'above 0'],
  },
  {
    title: 'negative clipGradNorm',
    code: 'FRE012',
    path: '/training/clipGradNorm',
    break: (s) => {
      s.training.clipGradNorm = -1;
    },
    inMessage: ['"clipGradNorm"', '-1'],
    inHint: ['"clipGradNorm"'],
  },
  {
    title: 'clipGradNorm as a string',
    code: 'FRE011',
    path: '/training/clipGradNorm',
    break: (s) => {
      s.training.clipGradNorm = '1';
    },
    inMessage: ['"clipGradNorm"', 'number'],
    inHint: ['"clipGradNorm"'],
  },
  {
    title: 'typo clipGradnorm suggests clipGradNorm',
    code: 'FRE014',
    path: '/training/clipGradnorm',
    break: (s) => {
      s.training.clipGradnorm = 1;
    },
    inMessage: ['"clipGradnorm"'],
    inHint: ['did you mean "clipGradNorm"?'],
  },
];

describe('training-field diagnostics, one broken field at a time', () => {
  test.each(cases.map((c) => [`${c.code} ${c.title}`, c] as const))('%s', (_t, c) => {
    const s = base();
    c.break(s);
    const diags = diagnosticsOf(s);
    expect(diags.map((d) => `${d.code} ${d.path}`)).toEqual([`${c.code} ${c.path}`]);
    const d = diags[0];
    expect(d.file).toBe(FILE);
    for (const m of c.inMessage) expect(d.message).toContain(m);
    for (const h of c.inHint) expect(d.hint).toContain(h);
    expect(formatDiagnostic(d)).toContain(`${FILE}:${c.path}: error ${c.code}`);
  });
});

describe('valid training fields and their defaults in the validated spec', () => {
  const valid = (patch: (s: Json) => void): GraphSpec => {
    const s = base();
    patch(s);
    const r = validateGraph(s, FILE);
    expect(r.diagnostics).toEqual([]);
    return r.spec!;
  };

  test("adamw gets PyTorch's weightDecay 0.01 filled in; adam and sgd without it stay without it", () => {
    expect(
      valid((s) => {
        s.training.optimizer.kind = 'adamw';
      }).training.optimizer,
    ).toEqual({ kind: 'adamw', lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
    expect(valid(() => {}).training).toEqual({
      optimizer: { kind: 'adam', lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8 },
      batchSize: 500,
      epochs: 50,
      seed: 0,
    });
    expect(
      valid((s) => {
        s.training.optimizer = { kind: 'sgd', lr: 0.1 };
      }).training.optimizer,
    ).toEqual({ kind: 'sgd', lr: 0.1, momentum: 0 });
  });

  test('given values are kept: weightDecay 0 on adamw, schedules, clipGradNorm', () => {
    const t = valid((s) => {
      s.training.optimizer = { kind: 'adamw', lr: 0.001, weightDecay: 0 };
      s.training.schedule = { kind: 'cosine', epochs: 30 };
      s.training.clipGradNorm = 2;
    }).training;
    expect(t.optimizer).toMatchObject({ kind: 'adamw', weightDecay: 0 });
    expect(t.schedule).toEqual({ kind: 'cosine', epochs: 30, minLr: 0 });
    expect(t.clipGradNorm).toBe(2);
    expect(
      valid((s) => {
        s.training.schedule = { kind: 'constant' };
        s.training.optimizer = { kind: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 5e-4 };
      }).training,
    ).toMatchObject({ schedule: { kind: 'constant' }, optimizer: { kind: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 5e-4 } });
    // cosine without epochs: T_max follows training.epochs at run time, so it is not filled in
    expect(
      valid((s) => {
        s.training.schedule = { kind: 'cosine', minLr: 1e-5 };
      }).training.schedule,
    ).toEqual({ kind: 'cosine', minLr: 1e-5 });
  });
});

// ---------------------------------------------------------------------------------------------

describe('train() with a learning-rate schedule', () => {
  function tinyNet(t: Partial<TrainingSpec>): Net {
    return resolveNet(
      new GraphBuilder('tiny-sched')
        .input(16)
        .layer('h1', 12)
        .output(3)
        .chain({ betaI: 0.1 })
        .dynamics({ T: 4, K: 2, betaF: 0.5 })
        .training({ optimizer: { kind: 'sgd', lr: 0.2, momentum: 0.5 }, batchSize: 10, epochs: 3, seed: 0, ...t })
        .build(),
    );
  }
  const data = {
    train: syntheticDataset({ count: 60, dim: 16, classes: 3, seed: 3 }),
    test: syntheticDataset({ count: 30, dim: 16, classes: 3, seed: 3, stream: 'test' }),
  };
  const kernels = selectKernels('auto');

  async function run(net: Net, epochs: number) {
    const p0 = initParams(net, makeRng(1));
    return train(net, cloneParams(p0), data, { algo: 'ep', epochs, seed: 2, kernels });
  }

  test('cosine equals constant in epoch 1 (e = 0: lr = base) and differs afterwards', async () => {
    const constant = tinyNet({});
    const cosine = tinyNet({ schedule: { kind: 'cosine' }, clipGradNorm: 100 });
    const one = [await run(constant, 1), await run(cosine, 1)];
    expect(
      maxDiff(
        one[0].params.W.map((m) => m.data),
        one[1].params.W.map((m) => m.data),
      ),
    ).toBe(0);

    const a = await run(constant, 3);
    const b = await run(cosine, 3);
    expect(b.result.epochs).toHaveLength(3);
    for (const e of b.result.epochs) expect(Number.isFinite(e.trainLoss)).toBe(true);
    expect(b.result.epochs[0].trainLoss).toBe(a.result.epochs[0].trainLoss);
    expect(b.result.epochs[1].trainLoss).not.toBe(a.result.epochs[1].trainLoss);
    expect(
      maxDiff(
        a.params.W.map((m) => m.data),
        b.params.W.map((m) => m.data),
      ),
    ).toBeGreaterThan(1e-4);
    expect(b.result.bestTestAccuracy).toBeGreaterThan(1 / 3);
  });

  test('a tight clipGradNorm changes the run; AdamW and cosine run through train()', async () => {
    const a = await run(tinyNet({}), 1);
    const clipped = await run(tinyNet({ clipGradNorm: 1e-3 }), 1);
    expect(
      maxDiff(
        a.params.W.map((m) => m.data),
        clipped.params.W.map((m) => m.data),
      ),
    ).toBeGreaterThan(1e-3);
    const w = await run(
      tinyNet({ optimizer: { kind: 'adamw', lr: 0.01, weightDecay: 0.1 }, schedule: { kind: 'cosine', minLr: 1e-4 } }),
      2,
    );
    expect(w.result.epochs.every((e) => Number.isFinite(e.trainLoss))).toBe(true);
  });
});
