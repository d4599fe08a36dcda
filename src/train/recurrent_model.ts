/**
 * RecurrentModel: fit, evaluate and predict on your own sequences, in Node and the browser.
 *
 *   const m = new RecurrentModel({ task: 'classify', cell: 'lstm', hiddenSize: 64 });
 *   const history = m.fit({ x: ['anna', 'bob', ...], y: ['f', 'm', ...] }, { epochs: 10, validationSplit: 0.1 });
 *   m.evaluate({ x, y });  m.predict(x);  m.predictLabels(x);  RecurrentModel.fromBytes(m.toBytes());
 *
 * Tasks and what the net is (a SequenceModel: input -> recurrent stack -> Linear head -> loss):
 *   classify  one label per sequence        head on each sequence's last step, cross-entropy
 *   regress   one vector per sequence       head on the last step, MSE (targets standardised)
 *   tag       one label per step            head on every step (padding masked), cross-entropy
 *   forecast  the next `horizon` steps of   windows of `window` steps cut from the series, head on
 *             the `targets` features        the last step giving horizon x targets values, MSE
 *
 * The first `fit` looks at the training part of the data and fixes what the model needs: the
 * input width (or the token vocabulary, id 0 = unknown), the classes, and the standardisation
 * of inputs and numeric targets (means and standard deviations of the training part only).
 * All of it is stored with the weights in one safetensors file (`toBytes`), and predictions
 * come back in the data's own units. Every update goes through the one Trainer; the epochs,
 * validation, early stopping and callbacks are fit.ts's loop.
 */
import { SequenceModel, type SequenceModelConfig } from '../layers/model.js';
import type { CellType } from '../layers/cells/index.js';
import type { Activation } from '../backend/backend.js';
import type { RecurrentInit } from '../init.js';
import type { Batch } from '../batch.js';
import { Rng } from '../random.js';
import { ShapeError } from '../tensor.js';
import { Trainer } from './trainer.js';
import { makeOptimizer, type OptimizerSpec } from './optim.js';
import type { ScheduleSpec } from './schedule.js';
import type { DeviceTrainable, GradientSource } from './trainable.js';
import {
  type EarlyStopping,
  type EpochLoop,
  type FitCallbacks,
  type History,
  type Metrics,
  type ReduceLrOnPlateau,
  runAsync,
  runSync,
  trainEpochs,
} from './fit.js';
import {
  type Label,
  type Sequences,
  type SequencesInput,
  toLabels,
  toSequences,
  toTagLabels,
  toVectors,
} from '../data/sequences.js';
import { LabelSet, TokenVocab } from '../data/labels.js';
import { Standardizer } from '../data/standardize.js';
import {
  PadBuffers,
  chunks,
  order,
  padInputs,
  padSequenceTargets,
  padStepTargets,
  splitIndices,
} from '../data/batches.js';
import { type WindowSpec, changeStats, cutPoints, listWindows, windowBatch } from '../data/windows.js';
import { modelFromBytes, modelToBytes } from './model_file.js';

export type ModelTask = 'classify' | 'regress' | 'tag' | 'forecast';
export const MODEL_TASKS: readonly ModelTask[] = ['classify', 'regress', 'tag', 'forecast'];

export interface RecurrentModelConfig {
  task: ModelTask;
  /** Default 'lstm'. */
  cell?: CellType;
  /** Default 64. */
  hiddenSize?: number;
  numLayers?: number;
  bidirectional?: boolean;
  nonlinearity?: Activation;
  recurrentInit?: RecurrentInit;
  forgetBias?: number | null;
  recurrentMaxAbs?: number;
  initialState?: 'zero' | 'learned';
  /** Token inputs: embedding width (default 32). */
  embedDim?: number;
  /** Dropout between stacked layers, on the inputs, and before the head (default 0 each). */
  dropout?: number;
  inputDropout?: number;
  outputDropout?: number;
  /** Standardise dense inputs and numeric targets on the training data (default true). */
  standardize?: boolean;
  /** Forecasting: input steps per window (required), steps ahead (default 1), features to forecast (default all). */
  window?: number;
  horizon?: number;
  targets?: number[];
  /**
   * Forecasting: learn the change from the last input step instead of the value (default false).
   * For smooth series, where holding the last value is already a close forecast.
   */
  forecastChange?: boolean;
  /** Seed of the weights, the dropout masks and (unless fit says otherwise) the shuffling. Default 0. */
  seed?: number;
}

/** Sequences with targets (classify: labels; regress: numbers or vectors; tag: one label per step). */
export interface SequenceData {
  x: SequencesInput;
  y?: readonly Label[] | readonly (number | ArrayLike<number>)[] | readonly (readonly Label[])[];
}

/** Forecasting: whole series (each [T_s][F], or [T_s] for one feature); windows are cut for you. */
export interface SeriesData {
  series: readonly (readonly ArrayLike<number>[])[] | readonly ArrayLike<number>[];
}

export type FitData = SequenceData | SeriesData;

export interface FitOptions {
  /** Default 10. */
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** Shuffle the training sequences each epoch (default true). */
  shuffle?: boolean;
  /** Seed of the shuffling and of the validation split (default: the model's seed). */
  seed?: number;
  /** Hold out this fraction for validation (sequences: a seeded random choice; series: each one's last part). */
  validationSplit?: number;
  validationData?: FitData;
  /** Default { type: 'adam', lr: 1e-3 }; `lr` alone sets Adam's rate. */
  optimizer?: OptimizerSpec;
  lr?: number;
  /**
   * Learning-rate schedule over steps: a ScheduleSpec, or by name: 'cosine' (to 0 over the whole
   * fit), 'step' (x0.1 after each third of it), 'constant'; `warmup` steps first (named schedules).
   */
  schedule?: ScheduleSpec | 'cosine' | 'step' | 'constant';
  warmup?: number;
  clipNorm?: number;
  clipValue?: number;
  nonFinite?: 'skip' | 'strict';
  earlyStopping?: EarlyStopping | boolean;
  reduceLrOnPlateau?: ReduceLrOnPlateau | boolean;
  /** A budget in updates over the whole fit. */
  maxSteps?: number;
  callbacks?: FitCallbacks;
  /** Where gradients come from (data-parallel workers: recur/parallel's dataParallel(model.net)). */
  grads?: GradientSource<Batch>;
  /**
   * Train on a device instead: a model over `model.net` that keeps the parameters there (the GPU:
   * `new GpuSequenceModel(ctx, model.build(data))` from recur-rnn/webgpu). `fitAsync` only; the
   * host network is brought up to date at the end of every epoch (validation, early stopping's
   * snapshot, onEpochEnd) and at the end, so the model predicts and saves as usual.
   */
  device?: DeviceTrainable<Batch>;
  /** Kernel backend of the network the first fit (or `build`) makes (default: the current one). */
  backend?: string;
}

export interface FitAsyncOptions extends FitOptions {
  /** Awaited between batches (default: a zero-delay timeout, which lets a browser paint). */
  pause?: () => Promise<void>;
  /** Pause after every this many batches (default 1). */
  pauseEvery?: number;
}

export interface Evaluation {
  /** The training loss on this data (cross-entropy, or MSE of standardised targets). */
  loss: number;
  /** Sequences evaluated (forecast: windows). */
  n: number;
  /** classify: sequences right; tag: steps right. */
  accuracy?: number;
  /** regress, forecast: in the data's own units, over every target value. */
  mse?: number;
  rmse?: number;
  mae?: number;
  /** forecast: RMSE per step ahead (1..horizon). */
  rmseByStep?: number[];
  /** regress, forecast: RMSE per target (each in its own units), and the baseline's. */
  rmseByTarget?: number[];
  /** Tokens not in the model's vocabulary (read as <unk>). */
  unknownTokens?: number;
  /** The simple baseline on the same data: majority class (classify, tag), training mean (regress), last value
   * (forecast). */
  baseline: { accuracy?: number; mse?: number; rmse?: number; mae?: number; rmseByTarget?: number[] };
}

/** What the model learnt from the first fit's training data and stores with its weights. */
interface Frame {
  input: 'dense' | 'tokens';
  /** Dense features per step. */
  F: number;
  vocab: TokenVocab | null;
  classes: LabelSet | null;
  /** Numeric outputs per sequence (regress) or target features (forecast). */
  O: number;
  xNorm: Standardizer | null;
  yNorm: Standardizer | null;
  /** Training class counts (majority baseline) and raw target means (mean baseline). */
  classCounts: number[] | null;
  yMean: number[] | null;
  /** Forecast windows. */
  windows: WindowSpec | null;
  /** forecastChange: mean and std of each change target (h, o), in standardised units. */
  change: Standardizer | null;
}

interface Prepared {
  inputs: (Float32Array | Int32Array)[];
  /** classify [N] ids; tag [N][T_i] ids; regress [N][O] standardised. */
  targets: ArrayLike<number>[] | null;
  /** Raw regression targets, for metrics in the data's units. */
  raw: Float32Array[] | null;
  unknown: number;
}

interface PreparedSeries {
  series: Float32Array[]; // standardised [T_s * F]
  raw: Float32Array[];
  list: Int32Array; // windows (s, t)
}

const isSeries = (d: FitData): d is SeriesData => 'series' in d && d.series !== undefined;

function softmaxInto(logits: ArrayLike<number>, off: number, C: number, out: Float32Array, at: number): void {
  let mx = -Infinity;
  for (let c = 0; c < C; c++) mx = Math.max(mx, logits[off + c]!);
  let z = 0;
  for (let c = 0; c < C; c++) z += Math.exp(logits[off + c]! - mx);
  for (let c = 0; c < C; c++) out[at + c] = Math.exp(logits[off + c]! - mx) / z;
}

function argmax(a: ArrayLike<number>, off: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (a[off + i]! > a[off + best]!) best = i;
  return best;
}

export class RecurrentModel {
  readonly config: RecurrentModelConfig;
  /** The network (after the first fit or load). */
  net: SequenceModel | null = null;
  private frame: Frame | null = null;
  private readonly buf = new PadBuffers();
  /** Anything the caller wants stored in the model file (the CLI keeps its column choices here). */
  extra: Record<string, unknown> = {};

  constructor(config: RecurrentModelConfig) {
    if (!config || !MODEL_TASKS.includes(config.task))
      throw new RangeError(`RecurrentModel: task must be one of ${MODEL_TASKS.join(', ')}, got '${config?.task}'`);
    if (config.task === 'forecast') {
      if (!(Number.isInteger(config.window) && config.window! >= 1))
        throw new RangeError(`RecurrentModel: forecasting needs window (input steps) >= 1, got ${config.window}`);
      const h = config.horizon ?? 1;
      if (!(Number.isInteger(h) && h >= 1)) throw new RangeError(`RecurrentModel: horizon must be >= 1, got ${h}`);
    }
    this.config = { ...config };
  }

  get task(): ModelTask {
    return this.config.task;
  }

  /** The classes (classify, tag) in id order, after the first fit. */
  get classes(): Label[] | null {
    return this.frame?.classes?.classes.slice() ?? null;
  }

  /** The token vocabulary (token inputs) in id order; id 0 is <unk>. */
  get vocabulary(): string[] | null {
    return this.frame?.vocab?.tokens.slice() ?? null;
  }

  /** Input and target standardisation (null when off or not fitted). */
  get normalization(): { x: Standardizer | null; y: Standardizer | null } {
    return { x: this.frame?.xNorm ?? null, y: this.frame?.yNorm ?? null };
  }

  // ---- data -> the model's form ----------------------------------------------------------

  private sequences(data: FitData, what: string): Sequences {
    if (this.task === 'forecast') {
      if (!isSeries(data)) throw new ShapeError(`${what}: forecasting takes { series: [...] }`);
      return toSequences(data.series as SequencesInput, `${what}.series`);
    }
    if (isSeries(data) || !data.x) throw new ShapeError(`${what}: expected { x: sequences, y: targets }`);
    return toSequences(data.x, `${what}.x`);
  }

  /** Fixes inputs, classes, vocabulary and standardisation from the training part. */
  private buildFrame(
    seqs: Sequences,
    data: FitData,
    trainIdx: number[],
    valData: FitData | null,
    cuts: number[] | null,
  ): Frame {
    const c = this.config,
      std = c.standardize ?? true;
    const fr: Frame = {
      input: seqs.kind,
      F: seqs.kind === 'dense' ? seqs.F : 1,
      vocab: null,
      classes: null,
      O: 0,
      xNorm: null,
      yNorm: null,
      classCounts: null,
      yMean: null,
      windows: null,
      change: null,
    };
    if (seqs.kind === 'tokens') {
      if (this.task === 'forecast') throw new ShapeError('forecasting needs numeric series, not text');
      fr.vocab = TokenVocab.fit(trainIdx.map((i) => seqs.seqs[i]!));
    }
    if (this.task === 'forecast') {
      const F = fr.F,
        targets = c.targets ?? Array.from({ length: F }, (_, f) => f);
      for (const t of targets)
        if (!(Number.isInteger(t) && t >= 0 && t < F))
          throw new RangeError(`targets: feature ${t} is out of range (the series have ${F} features)`);
      fr.windows = { window: c.window!, horizon: c.horizon ?? 1, targets };
      fr.O = targets.length;
      const s = seqs as Extract<Sequences, { kind: 'dense' }>;
      const all = Standardizer.fit(
        s.seqs.map((a, i) => (cuts ? a.subarray(0, cuts[i]! * F) : a)),
        F,
      );
      fr.xNorm = std ? all : Standardizer.identity(F);
      fr.yNorm = fr.xNorm.pick(targets);
      fr.yMean = Array.from(all.pick(targets).mean);
      if (c.forecastChange) {
        const z = s.seqs.map((a) => fr.xNorm!.transform(a, new Float32Array(a.length)));
        const list = listWindows(
          z.map((a) => a.length / F),
          fr.windows,
          cuts ? (i) => [0, cuts[i]!] : undefined,
        );
        if (list.length === 0) throw new RangeError('fit: no training window for forecastChange');
        const st = changeStats(z, F, fr.windows, list);
        fr.change = new Standardizer(st.mean, st.std);
      }
      return fr;
    }
    const d = data as SequenceData;
    if (d.y === undefined) throw new ShapeError('fit: give targets y');
    if (seqs.kind === 'dense') {
      const s = seqs;
      fr.xNorm = std
        ? Standardizer.fit(
            trainIdx.map((i) => s.seqs[i]!),
            s.F,
          )
        : null;
    }
    const N = seqs.seqs.length;
    if (this.task === 'classify' || this.task === 'tag') {
      const ys =
        this.task === 'classify' ? toLabels(d.y as Label[], N, 'y') : toTagLabels(d.y as Label[][], seqs, 'y').flat();
      const extra: Label[] = [];
      if (valData && !isSeries(valData) && valData.y) {
        const vs = this.sequences(valData, 'validationData');
        extra.push(
          ...(this.task === 'classify'
            ? toLabels(valData.y as Label[], vs.seqs.length, 'validationData.y')
            : toTagLabels(valData.y as Label[][], vs, 'validationData.y').flat()),
        );
      }
      fr.classes = LabelSet.fit([...ys, ...extra]);
      fr.classCounts = new Array(fr.classes.size).fill(0);
      const trainLabels =
        this.task === 'classify'
          ? trainIdx.map((i) => (d.y as Label[])[i]!)
          : trainIdx.flatMap((i) => [...((d.y as Label[][])[i] as Label[])]);
      for (const l of trainLabels) fr.classCounts[fr.classes.id(l)]!++;
      fr.O = fr.classes.size;
    } else {
      const vs = toVectors(d.y as (number | ArrayLike<number>)[], N, 'y');
      fr.O = vs[0]!.length;
      const tr = trainIdx.map((i) => vs[i]!);
      const st = Standardizer.fit(tr, fr.O);
      fr.yMean = Array.from(st.mean);
      fr.yNorm = std ? st : null;
    }
    return fr;
  }

  private netConfig(fr: Frame): SequenceModelConfig {
    const c = this.config;
    const out =
      this.task === 'forecast' ? fr.windows!.horizon * fr.O : this.task === 'regress' ? fr.O : fr.classes!.size;
    return {
      cell: c.cell ?? 'lstm',
      ...(fr.input === 'tokens' ? { vocabSize: fr.vocab!.size, embedDim: c.embedDim ?? 32 } : { inputSize: fr.F }),
      hiddenSize: c.hiddenSize ?? 64,
      numLayers: c.numLayers,
      bidirectional: c.bidirectional,
      nonlinearity: c.nonlinearity,
      recurrentInit: c.recurrentInit,
      forgetBias: c.forgetBias,
      recurrentMaxAbs: c.recurrentMaxAbs,
      initialState: c.initialState,
      dropout: c.dropout,
      inputDropout: c.inputDropout,
      outputDropout: c.outputDropout,
      outputSize: out,
      head: this.task === 'tag' ? 'every' : 'last',
      loss: this.task === 'classify' || this.task === 'tag' ? 'xent' : 'mse',
      seed: c.seed ?? 0,
    };
  }

  /** Inputs as the net reads them (standardised values, or token ids) and targets as ids / standardised values. */
  private prepare(seqs: Sequences, y: SequenceData['y'] | undefined, idx: number[] | null, what: string): Prepared {
    const fr = this.frame!,
      pick = <T>(a: T[]) => (idx ? idx.map((i) => a[i]!) : a);
    let unknown = 0;
    if (seqs.kind !== fr.input)
      throw new ShapeError(`${what}: the model reads ${fr.input === 'tokens' ? 'tokens (text)' : 'numbers'}`);
    let inputs: (Float32Array | Int32Array)[];
    if (seqs.kind === 'tokens') {
      inputs = pick(seqs.seqs).map((s) =>
        Int32Array.from(s, (t) => {
          const id = fr.vocab!.id(t);
          if (id === 0) unknown++;
          return id;
        }),
      );
    } else {
      if (seqs.F !== fr.F) throw new ShapeError(`${what}: steps of ${seqs.F} features; the model reads ${fr.F}`);
      inputs = pick(seqs.seqs).map((s) => (fr.xNorm ? fr.xNorm.transform(s, new Float32Array(s.length)) : s));
    }
    if (y === undefined) return { inputs, targets: null, raw: null, unknown };
    const N = seqs.seqs.length;
    if (this.task === 'classify') {
      const ls = toLabels(y as Label[], N, `${what}.y`);
      return {
        inputs,
        targets: [Int32Array.from(pick(ls), (l, i) => fr.classes!.idOf(l, `${what}.y[${idx ? idx[i] : i}]`))],
        raw: null,
        unknown,
      };
    }
    if (this.task === 'tag') {
      const ts = toTagLabels(y as Label[][], seqs, `${what}.y`);
      const targets = pick(ts).map((t, i) =>
        Int32Array.from(t, (l, s) => fr.classes!.idOf(l, `${what}.y[${idx ? idx[i] : i}][${s}]`)),
      );
      return { inputs, targets, raw: null, unknown };
    }
    const vs = pick(toVectors(y as (number | ArrayLike<number>)[], N, `${what}.y`));
    if (vs[0]!.length !== fr.O)
      throw new ShapeError(`${what}.y: ${vs[0]!.length} values per target, the model predicts ${fr.O}`);
    const targets = vs.map((v) => (fr.yNorm ? fr.yNorm.transform(v, new Float32Array(v.length)) : v));
    return { inputs, targets, raw: vs, unknown };
  }

  private prepareSeries(seqs: Sequences, range?: (s: number) => [number, number]): PreparedSeries {
    const fr = this.frame!;
    if (seqs.kind !== 'dense') throw new ShapeError('forecasting needs numeric series');
    if (seqs.F !== fr.F) throw new ShapeError(`series have ${seqs.F} features; the model reads ${fr.F}`);
    const series = seqs.seqs.map((s) => fr.xNorm!.transform(s, new Float32Array(s.length)));
    const list = listWindows(
      seqs.seqs.map((s) => s.length / fr.F),
      fr.windows!,
      range,
    );
    return { series, raw: seqs.seqs, list };
  }

  /** The batch of items `idx` of prepared data. */
  private batch(p: Prepared, idx: ArrayLike<number>): Batch {
    const fr = this.frame!;
    const b = padInputs(p.inputs, fr.input === 'tokens' ? 1 : fr.F, idx, this.buf, fr.input === 'tokens');
    if (!p.targets) return b;
    if (this.task === 'classify') {
      const ids = p.targets[0]!,
        y = this.buf.take('y', idx.length);
      for (let i = 0; i < idx.length; i++) y[i] = ids[idx[i]!]!;
      b.y = y;
    } else if (this.task === 'tag') b.y = padStepTargets(p.targets, b.T, idx, this.buf);
    else b.y = padSequenceTargets(p.targets, this.frame!.O, idx, this.buf);
    return b;
  }

  // ---- fit ---------------------------------------------------------------------------------

  /** Trains on `data` (see FitOptions); returns the history. */
  fit(data: FitData, opts: FitOptions = {}): History {
    if (opts.device) throw new TypeError('fit: a model on a device trains asynchronously: use fitAsync');
    return runSync(this.fitSteps(data, opts));
  }

  /** `fit` that awaits `pause()` between batches, so a page stays responsive while it trains. */
  fitAsync(data: FitData, opts: FitAsyncOptions = {}): Promise<History> {
    return runAsync(this.fitSteps(data, opts), opts.pause, opts.pauseEvery ?? 1);
  }

  /**
   * Fixes the model from the data without training (the first fit does it too): input width or
   * vocabulary, classes, standardisation, and the network. Useful to start data-parallel
   * workers (they need `net`) before `fit`. Nothing changes once the model is built.
   */
  build(
    data: FitData,
    opts: Pick<FitOptions, 'validationSplit' | 'validationData' | 'seed' | 'backend'> = {},
  ): SequenceModel {
    this.split(data, opts);
    return this.net!;
  }

  /** The data, its training/validation split, and the frame and network (built on first use). */
  private split(data: FitData, opts: Pick<FitOptions, 'validationSplit' | 'validationData' | 'seed' | 'backend'>) {
    if (opts.validationSplit !== undefined && opts.validationData)
      throw new RangeError('give validationSplit or validationData, not both');
    const seed = opts.seed ?? this.config.seed ?? 0;
    const seqs = this.sequences(data, 'fit');
    const N = seqs.seqs.length,
      forecast = this.task === 'forecast';
    let trainIdx = order(N),
      valIdx: number[] = [];
    let cuts: number[] | null = null;
    if (opts.validationSplit !== undefined) {
      if (forecast && seqs.kind === 'dense')
        cuts = cutPoints(
          seqs.seqs.map((s) => s.length / seqs.F),
          opts.validationSplit,
        );
      else ({ train: trainIdx, val: valIdx } = splitIndices(N, opts.validationSplit, new Rng(seed * 7919 + 29)));
    }
    if (!this.frame) {
      this.frame = this.buildFrame(seqs, data, trainIdx, opts.validationData ?? null, cuts);
      this.net = new SequenceModel(this.netConfig(this.frame), opts.backend);
    }
    return { seqs, trainIdx, valIdx, cuts, forecast };
  }

  /** The fit loop as a generator of what to run (train/fit.ts; fit and fitAsync drive it). */
  *fitSteps(data: FitData, opts: FitOptions = {}): EpochLoop<Batch> {
    const epochs = opts.epochs ?? 10,
      bs = opts.batchSize ?? 32;
    if (!(Number.isInteger(bs) && bs >= 1)) throw new RangeError(`batchSize must be a positive integer, got ${bs}`);
    const rng = new Rng((opts.seed ?? this.config.seed ?? 0) * 7919 + 13);
    const { seqs, trainIdx, valIdx, cuts, forecast } = this.split(data, opts);
    const net = this.net!;
    if (opts.device && opts.device.params !== net.params)
      throw new RangeError("fit: the device model must train this model's network (over model.build(data))");
    // Training and validation parts in the model's form.
    let nextBatches: (epoch: number) => Iterable<Batch>;
    let validate: (() => Metrics) | undefined;
    const shuffle = opts.shuffle ?? true;
    let perEpoch: number;
    if (forecast) {
      const W = this.frame!.windows!;
      const train = this.prepareSeries(seqs, cuts ? (s) => [0, cuts![s]!] : undefined);
      if (train.list.length === 0)
        throw new RangeError(
          `fit: no window of ${W.window} + ${W.horizon} steps fits in the training part of any series`,
        );
      const nw = train.list.length / 2;
      perEpoch = Math.ceil(nw / bs);
      nextBatches = function* (this: RecurrentModel) {
        for (const c of chunks(order(nw, shuffle ? rng : undefined), bs))
          yield windowBatch(train.series, this.frame!.F, W, train.list, c, this.buf, this.frame!.change);
      }.bind(this);
      if (cuts) {
        // validation windows: targets at or after each cut, inputs may reach back before it
        const val = this.prepareSeries(seqs, (s) => [
          Math.max(0, cuts![s]! - W.window),
          seqs.seqs[s]!.length / this.frame!.F,
        ]);
        if (val.list.length === 0) throw new RangeError('fit: the validation part of the series holds no window');
        validate = () => metricsOf(this.scoreSeries(val));
      } else if (opts.validationData) {
        const val = this.prepareSeries(this.sequences(opts.validationData, 'validationData'));
        validate = () => metricsOf(this.scoreSeries(val));
      }
    } else {
      const d = data as SequenceData;
      if (d.y === undefined) throw new ShapeError('fit: give targets y');
      const train = this.prepare(seqs, d.y, trainIdx, 'fit');
      const n = train.inputs.length;
      perEpoch = Math.ceil(n / bs);
      nextBatches = function* (this: RecurrentModel) {
        for (const c of chunks(order(n, shuffle ? rng : undefined), bs)) yield this.batch(train, c);
      }.bind(this);
      let val: Prepared | null = null;
      if (valIdx.length) val = this.prepare(seqs, d.y, valIdx, 'fit (validation part)');
      else if (opts.validationData) {
        const vd = opts.validationData as SequenceData;
        val = this.prepare(this.sequences(vd, 'validationData'), vd.y, null, 'validationData');
      }
      if (val) validate = () => metricsOf(this.score(val!));
    }
    const total = Math.min(epochs * perEpoch, opts.maxSteps ?? Infinity),
      warmup = opts.warmup ?? 0;
    const schedule: ScheduleSpec | undefined =
      opts.schedule === 'cosine'
        ? { type: 'cosine', total, warmup }
        : opts.schedule === 'step'
          ? { type: 'step', every: Math.max(1, Math.floor(total / 3)), warmup }
          : opts.schedule === 'constant' || (opts.schedule === undefined && warmup > 0)
            ? { type: 'constant', warmup }
            : opts.schedule;
    const trainer = new Trainer(
      opts.device ?? net,
      makeOptimizer(net.params, opts.optimizer ?? { type: 'adam', lr: opts.lr ?? 1e-3 }),
      {
        clipNorm: opts.clipNorm,
        clipValue: opts.clipValue,
        nonFinite: opts.nonFinite,
        schedule,
        grads: opts.grads,
      },
    );
    const es = opts.earlyStopping === true ? {} : opts.earlyStopping || undefined;
    const rp = opts.reduceLrOnPlateau === true ? {} : opts.reduceLrOnPlateau || undefined;
    return yield* trainEpochs(trainer, {
      epochs,
      batches: nextBatches,
      validate,
      earlyStopping: es,
      reduceLrOnPlateau: rp,
      maxSteps: opts.maxSteps,
      callbacks: opts.callbacks,
    });
  }

  // ---- evaluate and predict ------------------------------------------------------------------

  private need(what: string): { net: SequenceModel; fr: Frame } {
    if (!this.net || !this.frame)
      throw new Error(`RecurrentModel.${what}: the model is not fitted (call fit or load one)`);
    return { net: this.net, fr: this.frame };
  }

  /** Loss and metrics of prepared sequences (in batches; no dropout). */
  private score(p: Prepared, bs = 256): Evaluation {
    const { net, fr } = this.need('evaluate');
    const n = p.inputs.length;
    let lossSum = 0,
      lossCount = 0,
      right = 0,
      total = 0,
      base = 0,
      se = 0,
      ae = 0,
      bse = 0,
      vals = 0;
    const seT = new Float64Array(fr.O),
      bseT = new Float64Array(fr.O);
    const major = fr.classCounts ? argmax(fr.classCounts, 0, fr.classCounts.length) : -1;
    for (const c of chunks(order(n), bs)) {
      const b = this.batch(p, c);
      const pred = net.predict(b);
      const r = net.loss(pred, b);
      lossSum += r.loss * r.count;
      lossCount += r.count;
      if (this.task === 'classify' || this.task === 'tag') {
        const C = fr.O,
          rows = pred.data.length / C;
        for (let i = 0; i < rows; i++) {
          const t = b.y[i]!;
          if (t < 0) continue; // padding
          total++;
          if (argmax(pred.data, i * C, C) === t) right++;
          if (t === major) base++;
        }
      } else {
        const O = fr.O;
        for (let i = 0; i < c.length; i++) {
          const raw = p.raw![c[i]!]!;
          for (let o = 0; o < O; o++) {
            const z = pred.data[i * O + o]!;
            const v = fr.yNorm ? z * fr.yNorm.std[o]! + fr.yNorm.mean[o]! : z;
            se += (v - raw[o]!) ** 2;
            ae += Math.abs(v - raw[o]!);
            bse += (fr.yMean![o]! - raw[o]!) ** 2;
            seT[o] += (v - raw[o]!) ** 2;
            bseT[o] += (fr.yMean![o]! - raw[o]!) ** 2;
            vals++;
          }
        }
      }
    }
    const loss = lossCount > 0 ? lossSum / lossCount : Number.NaN;
    if (this.task === 'classify' || this.task === 'tag')
      return {
        loss,
        n,
        accuracy: right / total,
        ...(fr.input === 'tokens' ? { unknownTokens: p.unknown } : {}),
        baseline: { accuracy: base / total },
      };
    return {
      loss,
      n,
      mse: se / vals,
      rmse: Math.sqrt(se / vals),
      mae: ae / vals,
      rmseByTarget: Array.from(seT, (v) => Math.sqrt(v / n)),
      baseline: {
        mse: bse / vals,
        rmse: Math.sqrt(bse / vals),
        rmseByTarget: Array.from(bseT, (v) => Math.sqrt(v / n)),
      },
    };
  }

  private scoreSeries(p: PreparedSeries, bs = 256): Evaluation {
    const { net, fr } = this.need('evaluate');
    const W = fr.windows!,
      O = fr.O,
      H = W.horizon,
      F = fr.F,
      nw = p.list.length / 2;
    let lossSum = 0,
      lossCount = 0,
      se = 0,
      ae = 0,
      bse = 0,
      bae = 0;
    const byStep = new Float64Array(H),
      seT = new Float64Array(O),
      bseT = new Float64Array(O);
    for (const c of chunks(order(nw), bs)) {
      const b = windowBatch(p.series, F, W, p.list, c, this.buf, fr.change);
      const pred = net.predict(b);
      const r = net.loss(pred, b);
      lossSum += r.loss * r.count;
      lossCount += r.count;
      for (let i = 0; i < c.length; i++) {
        const s = p.raw[p.list[2 * c[i]!]!]!,
          t0 = p.list[2 * c[i]! + 1]!;
        for (let h = 0; h < H; h++)
          for (let o = 0; o < O; o++) {
            const f = W.targets[o]!,
              truth = s[(t0 + h) * F + f]!,
              last = s[(t0 - 1) * F + f]!;
            const z = this.unchange(pred.data[i * H * O + h * O + o]!, h * O + o, p.series[p.list[2 * c[i]!]!]!, t0, f);
            const v = z * fr.yNorm!.std[o]! + fr.yNorm!.mean[o]!;
            se += (v - truth) ** 2;
            ae += Math.abs(v - truth);
            byStep[h] += (v - truth) ** 2;
            seT[o] += (v - truth) ** 2;
            bseT[o] += (last - truth) ** 2;
            bse += (last - truth) ** 2;
            bae += Math.abs(last - truth);
          }
      }
    }
    const vals = nw * H * O;
    return {
      loss: lossSum / lossCount,
      n: nw,
      mse: se / vals,
      rmse: Math.sqrt(se / vals),
      mae: ae / vals,
      rmseByStep: Array.from(byStep, (v) => Math.sqrt(v / (nw * O))),
      rmseByTarget: Array.from(seT, (v) => Math.sqrt(v / (nw * H))),
      baseline: {
        mse: bse / vals,
        rmse: Math.sqrt(bse / vals),
        mae: bae / vals,
        rmseByTarget: Array.from(bseT, (v) => Math.sqrt(v / (nw * H))),
      },
    };
  }

  /** Forecast output k (h*O + o) in standardised units of feature f, with the learnt change added back. */
  private unchange(z: number, k: number, s: ArrayLike<number>, t0: number, f: number): number {
    const ch = this.frame!.change;
    return ch ? s[(t0 - 1) * this.frame!.F + f]! + z * ch.std[k]! + ch.mean[k]! : z;
  }

  /** Loss, accuracy or errors in the data's units, and the simple baseline on the same data. */
  evaluate(data: FitData, opts: { batchSize?: number } = {}): Evaluation {
    this.need('evaluate');
    const seqs = this.sequences(data, 'evaluate');
    if (this.task === 'forecast') return this.scoreSeries(this.prepareSeries(seqs), opts.batchSize);
    const d = data as SequenceData;
    if (d.y === undefined) throw new ShapeError('evaluate: give targets y');
    return this.score(this.prepare(seqs, d.y, null, 'evaluate'), opts.batchSize);
  }

  /**
   * Predictions, one fresh array per sequence: classify [C] class probabilities; tag [T_i * C]
   * per-step probabilities; regress [O] values; forecast [horizon * O] values after the end of
   * each given sequence (step-major: y[h * O + o]). Values are in the data's own units.
   */
  predict(x: SequencesInput, opts: { batchSize?: number } = {}): Float32Array[] {
    const { net, fr } = this.need('predict');
    const p = this.prepare(toSequences(x, 'predict.x'), undefined, null, 'predict');
    const out: Float32Array[] = [],
      C = fr.O;
    for (const c of chunks(order(p.inputs.length), opts.batchSize ?? 256)) {
      const b = this.batch(p, c),
        pred = net.predict(b).data;
      for (let i = 0; i < c.length; i++) {
        if (this.task === 'classify') {
          const o = new Float32Array(C);
          softmaxInto(pred, i * C, C, o, 0);
          out.push(o);
        } else if (this.task === 'tag') {
          const T = b.lengths![i]!,
            o = new Float32Array(T * C);
          for (let t = 0; t < T; t++) softmaxInto(pred, (t * b.B + i) * C, C, o, t * C);
          out.push(o);
        } else {
          const K = pred.length / c.length,
            o = Float32Array.from(pred.subarray(i * K, (i + 1) * K));
          if (fr.change) {
            const s = p.inputs[c[i]!] as Float32Array,
              t0 = s.length / fr.F; // the step after the sequence's end
            for (let k = 0; k < K; k++) o[k] = this.unchange(o[k]!, k, s, t0, fr.windows!.targets[k % fr.O]!);
          }
          if (fr.yNorm) fr.yNorm.inverse(o, o);
          out.push(o);
        }
      }
    }
    return out;
  }

  /** The most likely class of each sequence (classify) or of each step (tag). */
  predictLabels(x: SequencesInput, opts: { batchSize?: number } = {}): Label[] | Label[][] {
    const { fr } = this.need('predictLabels');
    if (!fr.classes) throw new Error(`predictLabels: a ${this.task} model predicts values; use predict`);
    const C = fr.O,
      probs = this.predict(x, opts);
    if (this.task === 'classify') return probs.map((p) => fr.classes!.label(argmax(p, 0, C)));
    return probs.map((p) => Array.from({ length: p.length / C }, (_, t) => fr.classes!.label(argmax(p, t * C, C))));
  }

  // ---- one file per model ------------------------------------------------------------------

  /** The model in one safetensors file: weights, config, standardisation, classes, vocabulary. */
  toBytes(): Uint8Array {
    return modelToBytes(this);
  }

  /** A model from `toBytes`'s bytes (checked; SafetensorsError when they are not a model file). */
  static fromBytes(bytes: Uint8Array, backend?: string): RecurrentModel {
    return modelFromBytes(bytes, backend);
  }

  /** @internal the frame, for model_file.ts */
  get _frame(): Frame | null {
    return this.frame;
  }
  /** @internal */
  _restore(frame: Frame, net: SequenceModel): void {
    this.frame = frame;
    this.net = net;
  }
}

export type { Frame as ModelFrame };

/** The numbers of an evaluation that a validation pass reports each epoch (valLoss, valAccuracy, valRmse, ...). */
function metricsOf(e: Evaluation): Metrics {
  const m: Metrics = { loss: e.loss };
  for (const k of ['accuracy', 'mse', 'rmse', 'mae'] as const) if (e[k] !== undefined) m[k] = e[k]!;
  return m;
}
