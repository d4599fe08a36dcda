/**
 * Training a RecurrentLM by truncated BPTT over B parallel streams (char-rnn's scheme):
 *
 *   for each epoch: reset the state; for each window [a, a+T) of the B streams:
 *       one Trainer update (forward from the carried state, loss, BPTT over the window, clip, step)
 *
 * through the one Trainer and TruncatedBPTT (k1 = k2 = T). The gradients come from the model
 * or from any Stateful source with the same parameters (the data-parallel source, whose threads
 * carry their own rows' state). Where the run stands (`LMPosition`: step, epoch, window, tokens,
 * seconds) is returned and reported at every checkpoint, so a run resumes exactly where it was:
 * with the parameters, the optimiser state, the carried state and the dropout generators
 * restored, the updates that follow are the same bits as an uninterrupted run.
 *
 * The loop is written once (`lmTraining`, a generator) for the CPU (`trainLM`, the model or a
 * data-parallel source) and for a device (`trainLMOnDevice`, a GpuSequenceModel over the model):
 * it yields each update to run and, on a device, when the host model must be brought up to date
 * (before each validation, sample and checkpoint, and at the end).
 *
 * Learning rate: a schedule over steps (ScheduleSpec, deterministic), or, when a time budget
 * is given with `scheduleOverTime`, a warm-up over steps followed by a cosine or linear decay
 * over the fraction of the budget spent (a fixed wall-clock budget, as a practitioner with
 * 15 minutes does; this one depends on the machine's speed).
 */
import type { Batch } from '../batch.js';
import { type DeviceTrainable, type Stateful, deviceOf } from '../train/trainable.js';
import { type Optimizer, type OptimizerSpec, makeOptimizer } from '../train/optim.js';
import { type StepInfo, Trainer, TruncatedBPTT } from '../train/trainer.js';
import type { ScheduleSpec } from '../train/schedule.js';
import { TokenStreams } from './corpus.js';
import type { LMEval, RecurrentLM } from './lm.js';

/** Where a training run stands: enough to continue it exactly. */
export interface LMPosition {
  /** Updates done. */
  step: number;
  /** Completed passes over the training streams. */
  epoch: number;
  /** Stream position reached in the current epoch (windows before it are done). */
  pos: number;
  /** Training tokens (targets) seen. */
  tokens: number;
  /** Training seconds spent (not counting evaluation and sampling). */
  seconds: number;
  /** Running mean of the training loss (0.98 decay), NaN before the first update. */
  lossAvg: number;
}

/** A decay over the fraction of the time budget spent, after a warm-up over steps. */
export interface TimeSchedule {
  type: 'cosine' | 'linear' | 'constant';
  warmup?: number;
  minLr?: number;
}

export interface TrainLMOptions {
  /** Parallel streams B (default 32). */
  batch?: number;
  /** Truncation length T (k1 = k2; default 64). */
  bptt?: number;
  optimizer?: OptimizerSpec;
  clipNorm?: number;
  /** Learning-rate schedule over steps. */
  schedule?: ScheduleSpec;
  /** Learning-rate schedule over the time budget (needs maxSeconds; replaces `schedule`). */
  scheduleOverTime?: TimeSchedule;
  /** Stop after this many updates (total, counting the resumed ones), epochs, or seconds; whichever first. */
  steps?: number;
  epochs?: number;
  maxSeconds?: number;
  /** Validation ids; evaluated every `evalEvery` updates on at most `evalTokens` tokens, and fully at the end. */
  val?: Int32Array;
  evalEvery?: number;
  evalTokens?: number;
  /** Streams the validation text is read as (default 16; the state is carried along each). */
  evalBatch?: number;
  /** Called with every update's record, and with each evaluation. */
  onLog?: (rec: Record<string, number | string>) => void;
  /** Called every `checkpointEvery` updates (and at the end) with where the run stands. */
  checkpointEvery?: number;
  onCheckpoint?: (at: LMPosition, opt: Optimizer, spec: OptimizerSpec) => void;
  /** Called every `sampleEvery` updates (sampling is the caller's; it must leave the training state alone). */
  sampleEvery?: number;
  onSample?: (step: number) => void;
  /** Where the gradients come from (default the model; a data-parallel source over its parameters). */
  source?: Stateful<Batch>;
  /** Continue: the saved optimiser and where the run stood (the model's carried state set by the caller). */
  opt?: Optimizer;
  resume?: Partial<LMPosition>;
  /** @deprecated use `resume.step`. */
  startStep?: number;
}

export interface TrainLMResult {
  steps: number;
  epochs: number;
  seconds: number;
  tokens: number;
  tokensPerSecond: number;
  trainLoss: number;
  val: LMEval | null;
  stopped: 'steps' | 'epochs' | 'time';
  optimizer: Optimizer;
  optimizerSpec: OptimizerSpec;
  /** Where the run stands (to checkpoint and resume). */
  position: LMPosition;
  /** The Trainer's counters. */
  clipEvents: number;
  skippedSteps: number;
}

/** The learning rate of a time-budgeted schedule at `step` with fraction `p` of the budget spent. */
export function timeScheduleLr(base: number, step: number, p: number, s: TimeSchedule): number {
  const w = s.warmup ?? 0;
  if (w > 0 && step < w) return (base * (step + 1)) / w;
  const min = s.minLr ?? 0,
    q = Math.min(1, Math.max(0, p));
  if (s.type === 'constant') return base;
  if (s.type === 'linear') return base + (min - base) * q;
  return min + 0.5 * (base - min) * (1 + Math.cos(Math.PI * q));
}

/** Trains `lm` on `train` ids by truncated BPTT over B streams; returns what happened. */
export function trainLM(lm: RecurrentLM, train: Int32Array, o: TrainLMOptions = {}): TrainLMResult {
  const run = lmTraining(lm, o.source ?? lm.model, train, o);
  let r = run.next();
  while (!r.done) r = run.next('update' in r.value ? r.value.update.run(r.value.slice, r.value.pos)[0] : undefined);
  return r.value;
}

/**
 * `trainLM` with the steps on a device: `device` is the model on it (a GpuSequenceModel over
 * `lm.model`), stepped by the same Trainer and truncated BPTT; the host model is brought up to
 * date before each validation, sample and checkpoint and at the end, so `lm` samples,
 * evaluates and saves as usual.
 */
export async function trainLMOnDevice(
  lm: RecurrentLM,
  device: DeviceTrainable<Batch> & Stateful<Batch>,
  train: Int32Array,
  o: TrainLMOptions = {},
): Promise<TrainLMResult> {
  const run = lmTraining(lm, device, train, o);
  let r = run.next();
  while (!r.done) {
    const q = r.value;
    if ('update' in q) r = run.next((await q.update.runAsync(q.slice, q.pos))[0]);
    else {
      await device.pull();
      r = run.next();
    }
  }
  return r.value;
}

type LMRequest = { update: TruncatedBPTT<Batch>; slice: (a: number, b: number) => Batch; pos: number } | { pull: true };

/**
 * The training loop, once for the CPU and for a device: it yields what to run (one
 * truncated-BPTT update up to stream position `pos`, or bringing the host model up to date
 * from the device) and receives each update's StepInfo.
 */
function* lmTraining(
  lm: RecurrentLM,
  source: Stateful<Batch>,
  train: Int32Array,
  o: TrainLMOptions,
): Generator<LMRequest, TrainLMResult, StepInfo | undefined> {
  const B = o.batch ?? 32,
    T = o.bptt ?? 64,
    spec = o.optimizer ?? { type: 'adam', lr: 2e-3 };
  if (o.scheduleOverTime && !(o.maxSeconds! > 0))
    throw new RangeError('trainLM: scheduleOverTime needs a time budget (maxSeconds)');
  const onDevice = deviceOf(source) !== null;
  if (source.params !== lm.model.params) throw new RangeError("trainLM: the source must train the model's parameters");
  const opt = o.opt ?? makeOptimizer(lm.model.params, spec);
  const trainer = new Trainer<Batch>(source, opt, {
    clipNorm: o.clipNorm ?? 5,
    schedule: o.scheduleOverTime ? undefined : o.schedule,
  });
  const baseLr = trainer.baseLr;
  const at: LMPosition = {
    step: o.resume?.step ?? o.startStep ?? 0,
    epoch: o.resume?.epoch ?? 0,
    pos: o.resume?.pos ?? 0,
    tokens: o.resume?.tokens ?? 0,
    seconds: o.resume?.seconds ?? 0,
    lossAvg: o.resume?.lossAvg ?? Number.NaN,
  };
  trainer.step = at.step;
  const streams = new TokenStreams(train, B);
  const maxSteps = o.steps ?? Infinity,
    maxEpochs = o.epochs ?? (o.steps || o.maxSeconds ? Infinity : 1);
  if (at.pos >= streams.positions) {
    at.epoch++;
    at.pos = 0;
  }
  const evalB = o.evalBatch ?? 16;
  let t0 = performance.now(),
    s0 = at.seconds;
  const seconds = () => s0 + (performance.now() - t0) / 1000;
  /** Stops the training clock (evaluation, sampling, checkpoints run off it). */
  const stopClock = () => {
    at.seconds = seconds();
  };
  const startClock = () => {
    t0 = performance.now();
    s0 = at.seconds;
  };
  let stopped: TrainLMResult['stopped'] = 'epochs';
  const evaluate = (maxTokens?: number) => {
    const ev = lm.evaluate(o.val!, { B: evalB, T, maxTokens });
    o.onLog?.({
      kind: 'eval',
      ...(maxTokens ? {} : { final: 'yes' }),
      step: at.step,
      loss: ev.loss,
      bits_per_token: ev.bitsPerToken,
      perplexity: ev.perplexity,
      tokens: ev.tokens,
      seconds: at.seconds,
    });
    return ev;
  };
  outer: while (at.epoch < maxEpochs) {
    if (at.pos === 0) source.resetState(); // a new pass starts every stream from the zero state
    const off = at.pos; // a resumed epoch continues from the carried state at `off`
    const tb = new TruncatedBPTT(trainer, T, T);
    const slice = (a: number, e: number) => streams.window(a + off, e + off);
    while (at.pos < streams.positions) {
      if (at.step >= maxSteps) {
        stopped = 'steps';
        break outer;
      }
      if (o.maxSeconds !== undefined && seconds() >= o.maxSeconds) {
        stopped = 'time';
        break outer;
      }
      if (o.scheduleOverTime)
        trainer.baseLr = timeScheduleLr(baseLr, at.step, seconds() / o.maxSeconds!, o.scheduleOverTime);
      const end = Math.min(at.pos + T, streams.positions);
      const info = (yield { update: tb, slice, pos: end - off })!;
      at.pos = end;
      at.step = trainer.step;
      at.tokens += info.count;
      at.lossAvg = Number.isNaN(at.lossAvg) ? info.loss : 0.98 * at.lossAvg + 0.02 * info.loss;
      const secs = seconds();
      o.onLog?.({
        kind: 'train',
        step: at.step,
        epoch: at.epoch + at.pos / streams.positions,
        loss: info.loss,
        lr: info.lr,
        grad_norm: info.gradNorm,
        clip_events: trainer.clipEvents,
        skipped: trainer.skippedSteps,
        seconds: secs,
        tokens_per_s: secs > 0 ? at.tokens / secs : 0,
      });
      const ev = !!(o.val && o.evalEvery && at.step % o.evalEvery === 0),
        smp = !!(o.onSample && o.sampleEvery && at.step % o.sampleEvery === 0),
        ck = !!(o.onCheckpoint && o.checkpointEvery && at.step % o.checkpointEvery === 0);
      if (ev || smp || ck) {
        stopClock();
        if (onDevice) yield { pull: true };
        if (ev) evaluate(o.evalTokens);
        if (smp) o.onSample!(at.step);
        if (ck)
          o.onCheckpoint!(
            { ...at, ...(at.pos >= streams.positions ? { epoch: at.epoch + 1, pos: 0 } : {}) },
            opt,
            spec,
          );
        startClock();
      }
    }
    at.epoch++;
    at.pos = 0;
  }
  at.seconds = seconds();
  const secs = at.seconds;
  if (onDevice) yield { pull: true };
  const val = o.val ? evaluate() : null;
  o.onCheckpoint?.({ ...at }, opt, spec);
  const sessionTokens = at.tokens - (o.resume?.tokens ?? 0),
    sessionSecs = secs - (o.resume?.seconds ?? 0);
  return {
    steps: at.step,
    epochs: at.epoch,
    seconds: secs,
    tokens: at.tokens,
    tokensPerSecond: sessionSecs > 0 ? sessionTokens / sessionSecs : 0,
    trainLoss: at.lossAvg,
    val,
    stopped,
    optimizer: opt,
    optimizerSpec: spec,
    position: { ...at },
    clipEvents: trainer.clipEvents,
    skippedSteps: trainer.skippedSteps,
  };
}
