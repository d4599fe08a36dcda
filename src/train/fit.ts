/**
 * Epochs over a data set, around the one Trainer (DESIGN.md, decision 8): every update is
 * `trainer.train(batch)` (or `await trainer.trainAsync(batch)`); this file only decides which
 * batches, when to validate, when to stop, and what to report.
 *
 *   for epoch in 1..epochs:
 *     for batch in batches(epoch):  trainer.train(batch); onBatchEnd     (runAsync: awaited, then a pause)
 *     (device: pull) validate(); onEpochEnd; reduce the rate on a plateau; early stopping (patience)
 *   restore the best weights (early stopping; device: push), onTrainEnd
 *
 * It is a generator that yields what to run and receives each update's result: `{ train, trainer }`
 * (one update, answered with its StepInfo) and, for a model that trains on a device (the GPU,
 * `DeviceTrainable`), `{ pull }` at the end of every epoch, which brings the host copies up to
 * date before validation, the best-weights snapshot, `onEpochEnd` and the end. So the same loop
 * runs synchronously (`runSync`: `trainer.train`) or asynchronously (`runAsync`:
 * `await trainer.trainAsync`, the device's pulls, and a pause between batches for a browser's
 * event loop). Any Trainable trains with it (RecurrentModel, an encoder-decoder, your own model,
 * the GPU model): give it the batches and a validation function.
 */
import type { Params } from '../params.js';
import type { StepInfo, Trainer } from './trainer.js';
import { type DeviceTrainable, deviceOf } from './trainable.js';

/** What an epoch (or a validation pass) measured: loss, and e.g. accuracy or mae. */
export type Metrics = { loss: number } & Record<string, number>;

export interface BatchLogs {
  epoch: number;
  /** Index of the batch within the epoch. */
  batch: number;
  /** Trainer step after this update. */
  step: number;
  loss: number;
  /** Rows the loss counted (sequences, or steps for per-step losses). */
  count: number;
  lr: number;
  gradNorm: number;
  clipped: boolean;
  skipped: boolean;
}

/** One epoch's record: training `loss` (and `accuracy`), validation as `valLoss`, `valAccuracy`, ... */
export interface EpochLogs {
  epoch: number;
  loss: number;
  accuracy?: number;
  lr: number;
  /** Trainer steps so far. */
  steps: number;
  [metric: string]: number | undefined;
}

export interface FitCallbacks {
  onTrainBegin?(): void;
  onEpochBegin?(epoch: number): void;
  /** Return false to stop after this batch. */
  onBatchEnd?(logs: BatchLogs): void | boolean;
  /** Return false to stop after this epoch. */
  onEpochEnd?(logs: EpochLogs): void | boolean;
  onTrainEnd?(history: History): void;
}

export interface EarlyStopping {
  /** Epochs without improvement before stopping (default 5). */
  patience?: number;
  /** What to watch (default 'valLoss' with validation data, else 'loss'). */
  monitor?: string;
  /** 'min' or 'max' (default: 'max' for accuracy-like names, else 'min'). */
  mode?: 'min' | 'max';
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Put back the weights of the best epoch at the end (default true). */
  restoreBestWeights?: boolean;
}

export interface ReduceLrOnPlateau {
  /** Multiply the rate by this (default 0.5). */
  factor?: number;
  /** Epochs without improvement before reducing (default 2). */
  patience?: number;
  /** Lowest rate (default 0). */
  minLr?: number;
  monitor?: string;
}

export interface LoopOptions<B> {
  epochs: number;
  /** The training batches of an epoch, in order (shuffle inside, from a seeded Rng). */
  batches: (epoch: number) => Iterable<B>;
  /** Validation metrics after each epoch (keys get a 'val' prefix: valLoss, valAccuracy). */
  validate?: () => Metrics;
  earlyStopping?: EarlyStopping;
  reduceLrOnPlateau?: ReduceLrOnPlateau;
  /** Stop after this many trainer steps in all (a budget in steps, not seconds). */
  maxSteps?: number;
  callbacks?: FitCallbacks;
}

export interface History {
  epochs: EpochLogs[];
  /** The metric early stopping and plateaus watched. */
  monitor: string;
  /** Best epoch (1-based) by that metric, and its value. */
  bestEpoch: number;
  best: number;
  /** Whether the best epoch's weights were put back at the end. */
  restored: boolean;
  stopped: 'epochs' | 'early' | 'callback' | 'steps';
  steps: number;
}

/**
 * What the epoch loop asks its driver to run: one update of `trainer` on `train` (answer with its
 * StepInfo), or `pull`: copy the device's parameters and optimiser state into the host objects.
 */
export type LoopRequest<B = any> = { train: B; trainer: Trainer<B> } | { pull: DeviceTrainable<B> };

/** The epoch loop as its drivers (runSync, runAsync) run it. */
export type EpochLoop<B = any> = Generator<LoopRequest<B>, History, StepInfo | undefined>;

const isMax = (m: string) => /acc|r2|auc/i.test(m);
const valKey = (k: string) => `val${k[0]!.toUpperCase()}${k.slice(1)}`;

/** The epoch loop as a generator of what to run (see the file comment). */
export function* trainEpochs<B>(trainer: Trainer<B>, o: LoopOptions<B>): EpochLoop<B> {
  if (!(Number.isInteger(o.epochs) && o.epochs >= 1))
    throw new RangeError(`epochs must be a positive integer, got ${o.epochs}`);
  const es = o.earlyStopping,
    rp = o.reduceLrOnPlateau,
    cb = o.callbacks ?? {};
  const monitor = es?.monitor ?? rp?.monitor ?? (o.validate ? 'valLoss' : 'loss');
  const mode = es?.mode ?? (isMax(monitor) ? 'max' : 'min');
  const minDelta = es?.minDelta ?? 0,
    patience = es?.patience ?? 5;
  if (es && !(Number.isInteger(patience) && patience >= 0))
    throw new RangeError(`earlyStopping.patience must be an integer >= 0, got ${patience}`);
  const params: Params = trainer.model.params;
  // A model that trains on its device: the host copies are stale until pulled.
  const device = trainer.grads === trainer.model ? deviceOf(trainer.model) : null;
  const better = (v: number, ref: number) => (mode === 'min' ? v < ref - minDelta : v > ref + minDelta);
  const history: History = {
    epochs: [],
    monitor,
    bestEpoch: 0,
    best: mode === 'min' ? Infinity : -Infinity,
    restored: false,
    stopped: 'epochs',
    steps: trainer.step,
  };
  let bestWeights: Float32Array | Float64Array | null = null,
    stale = 0,
    plateauRef = history.best,
    plateauStale = 0;
  cb.onTrainBegin?.();
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    cb.onEpochBegin?.(epoch);
    let sum = 0,
      count = 0,
      correct = 0,
      hasCorrect = false,
      b = 0,
      stop: History['stopped'] | null = null;
    for (const batch of o.batches(epoch)) {
      const info = yield { train: batch, trainer };
      if (!info)
        throw new TypeError('trainEpochs: answer each update with its StepInfo (run it with runSync or runAsync)');
      if (!info.skipped) {
        sum += info.loss * info.count;
        count += info.count;
        if (info.correct !== undefined) {
          correct += info.correct;
          hasCorrect = true;
        }
      }
      const go = cb.onBatchEnd?.({
        epoch,
        batch: b++,
        step: trainer.step,
        loss: info.loss,
        count: info.count,
        lr: info.lr,
        gradNorm: info.gradNorm,
        clipped: info.clipped,
        skipped: info.skipped,
      });
      if (go === false) stop = 'callback';
      else if (o.maxSteps !== undefined && trainer.step >= o.maxSteps) stop = 'steps';
      if (stop) break;
    }
    const logs: EpochLogs = {
      epoch,
      loss: count > 0 ? sum / count : Number.NaN,
      lr: trainer.baseLr,
      steps: trainer.step,
    };
    if (hasCorrect) logs.accuracy = count > 0 ? correct / count : Number.NaN;
    if (device) yield { pull: device }; // validation, the snapshot and onEpochEnd see the device's weights
    if (o.validate) for (const [k, v] of Object.entries(o.validate())) logs[valKey(k)] = v;
    history.epochs.push(logs);
    history.steps = trainer.step;
    const v = logs[monitor];
    if (v === undefined) throw new RangeError(`cannot monitor '${monitor}': the epoch logs have ${Object.keys(logs)}`);
    if (Number.isFinite(v) && better(v, history.best)) {
      history.best = v;
      history.bestEpoch = epoch;
      stale = 0;
      if (es && (es.restoreBestWeights ?? true)) bestWeights = Float64Array.from(params.data);
    } else stale++;
    if (rp) {
      if (Number.isFinite(v) && better(v, plateauRef)) {
        plateauRef = v;
        plateauStale = 0;
      } else if (++plateauStale >= (rp.patience ?? 2)) {
        trainer.baseLr = Math.max(rp.minLr ?? 0, trainer.baseLr * (rp.factor ?? 0.5));
        plateauStale = 0;
      }
    }
    if (cb.onEpochEnd?.(logs) === false) stop ??= 'callback';
    if (!stop && es && stale >= patience) stop = 'early';
    if (stop) {
      history.stopped = stop;
      break;
    }
  }
  if (bestWeights && history.bestEpoch !== history.epochs.length) {
    params.data.set(bestWeights);
    device?.push(); // the device trains on from the restored weights too
    history.restored = true;
  }
  cb.onTrainEnd?.(history);
  return history;
}

/** Runs the loop to its end synchronously: `trainer.train` for each update. */
export function runSync<B, R>(gen: Generator<LoopRequest<B>, R, StepInfo | undefined>): R {
  let r = gen.next();
  while (!r.done) {
    const q = r.value;
    if ('pull' in q || deviceOf(q.trainer.model))
      throw new TypeError(
        'a model that trains on a device steps asynchronously: run the loop with runAsync (fitAsync)',
      );
    r = gen.next(q.trainer.train(q.train));
  }
  return r.value;
}

/**
 * Runs the loop asynchronously: `await trainer.trainAsync` for each update (a device's step, or a
 * CPU step as runSync's), the device's pulls, and `await pause()` after every `every` updates (a
 * browser paints between batches).
 */
export async function runAsync<B, R>(
  gen: Generator<LoopRequest<B>, R, StepInfo | undefined>,
  pause: () => Promise<void> = () => new Promise((r) => setTimeout(r, 0)),
  every = 1,
): Promise<R> {
  let r = gen.next(),
    n = 0;
  while (!r.done) {
    const q = r.value;
    if ('pull' in q) {
      await q.pull.pull();
      r = gen.next();
      continue;
    }
    r = gen.next(await q.trainer.trainAsync(q.train));
    if (++n % every === 0) await pause();
  }
  return r.value;
}
