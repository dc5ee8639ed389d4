/**
 * The TypeScript builder: produces the same object as a JSON graph file, validated the same way.
 *   new GraphBuilder('mnist-2hl').input(784).layer('h1', 512).layer('h2', 512).output(10)
 *     .chain({ betaI: 0.01 }).dynamics({ T: 10, K: 5, betaF: 0.1 }).training({...}).build()
 */
import { SpecError } from './diagnostics';
import {
  GRAPH_FORMAT,
  type Activation,
  type DataSpec,
  type DynamicsSpec,
  type EdgeSpec,
  type FeedbackKind,
  type GraphSpec,
  type LayerSpec,
  type MapShape,
  type TrainingSpec,
} from './spec';
import { validateGraph } from './validate';

export class GraphBuilder {
  private inputSize?: number;
  private inputShape?: MapShape;
  private classes?: number;
  private readonly layers: LayerSpec[] = [];
  private readonly edges: EdgeSpec[] = [];
  private dyn?: DynamicsSpec;
  private train?: TrainingSpec;
  private dataSpec?: DataSpec;
  private desc?: string;

  constructor(private readonly name: string) {}

  description(text: string): this {
    this.desc = text;
    return this;
  }
  data(dataset: DataSpec['dataset']): this {
    this.dataSpec = { dataset };
    return this;
  }
  /** A flat input of `size` units, or a feature map [C, H, W] (conv nets). */
  input(size: number | MapShape): this {
    if (typeof size === 'number') this.inputSize = size;
    else {
      this.inputShape = size;
      this.inputSize = size[0] * size[1] * size[2];
    }
    return this;
  }
  output(classes: number): this {
    this.classes = classes;
    return this;
  }
  layer(name: string, size: number, activation: Activation = 'tanh'): this {
    this.layers.push({ name, size, activation });
    return this;
  }
  /** A hidden layer that is a feature map [C, H, W] (what conv edges read and write). */
  map(name: string, shape: MapShape, activation: Activation = 'hard-sigmoid'): this {
    this.layers.push({ name, size: shape[0] * shape[1] * shape[2], shape, activation });
    return this;
  }
  edge(e: EdgeSpec): this {
    this.edges.push(e);
    return this;
  }

  /**
   * The layered FRE-RNN edges: input→h1 (W0), h_i→h_{i+1} (W_i) with feedback scaled by β_i,
   * h_L→output (Wf). Names W0…W{L-1}, Wf as in the paper.
   */
  chain(opts: {
    alpha?: number;
    betaI: number;
    feedback?: Exclude<FeedbackKind, 'none'>;
    outputFeedback?: Exclude<FeedbackKind, 'none'>;
  }): this {
    const kind = opts.feedback ?? 'symmetric';
    const names = this.layers.map((l) => l.name);
    this.edges.push({ name: 'W0', from: 'input', to: names[0] });
    for (let i = 1; i < names.length; i++) {
      this.edges.push({ name: `W${i}`, from: names[i - 1], to: names[i], alpha: opts.alpha ?? 1, feedback: { kind, beta: opts.betaI } });
    }
    this.edges.push({ name: 'Wf', from: names[names.length - 1], to: 'output', feedback: { kind: opts.outputFeedback ?? kind } });
    return this;
  }

  dynamics(d: DynamicsSpec): this {
    this.dyn = d;
    return this;
  }
  training(t: TrainingSpec): this {
    this.train = t;
    return this;
  }

  /** The plain object (what a JSON file holds), before validation. */
  toJSON(): unknown {
    return {
      format: GRAPH_FORMAT,
      name: this.name,
      ...(this.desc ? { description: this.desc } : {}),
      ...(this.dataSpec ? { data: this.dataSpec } : {}),
      input: this.inputSize === undefined ? undefined : { size: this.inputSize, ...(this.inputShape ? { shape: this.inputShape } : {}) },
      layers: this.layers,
      output: this.classes === undefined ? undefined : { classes: this.classes },
      edges: this.edges,
      dynamics: this.dyn,
      training: this.train,
    };
  }

  build(): GraphSpec {
    const { spec, diagnostics } = validateGraph(this.toJSON(), `<builder:${this.name}>`);
    if (!spec) throw new SpecError(diagnostics);
    return spec;
  }
}
