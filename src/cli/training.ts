/**
 * The training loop shared by `recur train`, `recur resume` and the main experiment:
 * batches from a seeded task stream, Trainer steps, periodic evaluation on fresh sequences,
 * a JSON-lines metrics log and atomic checkpoints in the run folder.
 */
import { SequenceModel, type SequenceModelConfig } from '../layers/model.js';
import { Rng } from '../random.js';
import { type Task, type TaskConfig, type EvalResult, makeTask } from '../tasks/synthetic.js';
import { evaluateTask } from '../train/evaluate.js';
import { type Optimizer, type OptimizerSpec, makeOptimizer } from '../train/optim.js';
import { Trainer, type TrainerOptions } from '../train/trainer.js';
import { loadCheckpoint, saveCheckpoint } from '../train/checkpoint.js';
import type { RecurrentInit } from '../init.js';
import type { CellType } from '../layers/cells/index.js';
import type { RunDir } from '../node/rundir.js';
import { dataParallel } from '../node/parallel.js';
import type { CommandIO } from './args.js';
import { InputError } from './args.js';
import { Progress } from './progress.js';
import { Diagnostics, diagToJSON } from '../diagnostics/diagnostics.js';

export interface TrainSettings {
  steps: number;
  batch: number;
  seed: number;
  evalEvery: number;
  evalN: number;
  finalEvalN: number;
  stopOnSuccess: boolean;
  checkpointEvery: number;
  logEvery: number;
  trainer: Omit<TrainerOptions, 'onStep'>;
  maxSeconds?: number;
  /** Record diagnostics (kind 'diag' in metrics.jsonl) every N steps; 0 or absent = off. */
  diagEvery?: number;
  /** Data-parallel threads (absent in runs saved before threads existed: 1). */
  threads?: number;
  /**
   * Confirm a passing mid-run check (evalN sequences) on finalEvalN before the run counts as
   * solved (absent in runs saved before it existed: no confirmation, as they ran).
   */
  confirm?: boolean;
}

export interface Session {
  model: SequenceModel;
  opt: Optimizer;
  optSpec: OptimizerSpec;
  trainer: Trainer;
  task: Task;
  taskCfg: TaskConfig;
  dataRng: Rng;
  settings: TrainSettings;
  run: RunDir | null;
  seconds: number;
}

export interface ModelChoice {
  cell: CellType;
  hidden: number;
  layers: number;
  nonlinearity?: 'tanh' | 'relu' | 'sigmoid' | 'identity';
  init: RecurrentInit;
  forgetBias?: number | null;
  recurrentMaxAbs?: number;
  initialState?: 'zero' | 'learned';
}

export function newSession(
  taskCfg: TaskConfig,
  mc: ModelChoice,
  optSpec: OptimizerSpec,
  settings: TrainSettings,
  run: RunDir | null,
  backend?: string,
): Session {
  const task = makeTask(taskCfg);
  const cfg: SequenceModelConfig = {
    cell: mc.cell,
    inputSize: task.inputSize,
    hiddenSize: mc.hidden,
    numLayers: mc.layers,
    nonlinearity: mc.nonlinearity,
    recurrentInit: mc.init,
    forgetBias: mc.forgetBias,
    recurrentMaxAbs: mc.recurrentMaxAbs,
    initialState: mc.initialState,
    outputSize: task.outputSize,
    head: task.head,
    loss: task.loss,
    seed: settings.seed,
  };
  const model = new SequenceModel(cfg, backend);
  const opt = makeOptimizer(model.params, optSpec);
  const trainer = new Trainer(model, opt, settings.trainer);
  return {
    model,
    opt,
    optSpec,
    trainer,
    task,
    taskCfg,
    dataRng: new Rng(settings.seed * 7919 + 17),
    settings,
    run,
    seconds: 0,
  };
}

export function checkpointBytes(s: Session): Uint8Array {
  return saveCheckpoint(
    s.model,
    {
      step: s.trainer.step,
      rng: { data: s.dataRng.getState() },
      task: { ...s.taskCfg },
      train: {
        settings: s.settings,
        clipEvents: s.trainer.clipEvents,
        skippedSteps: s.trainer.skippedSteps,
        seconds: s.seconds,
      },
    },
    { opt: s.opt, spec: s.optSpec },
  );
}

export function resumeSession(bytes: Uint8Array, run: RunDir | null, backend?: string): Session {
  const ck = loadCheckpoint(bytes, backend);
  const train = ck.meta.train as
    | { settings: TrainSettings; clipEvents: number; skippedSteps: number; seconds: number }
    | undefined;
  if (!train?.settings || !ck.meta.task || !ck.optimizer || !ck.meta.optimizer || !ck.meta.rng?.data) {
    throw new InputError('checkpoint has no training state (task, optimizer, data RNG): it cannot be resumed');
  }
  const trainer = new Trainer(ck.model, ck.optimizer, train.settings.trainer);
  trainer.step = ck.meta.step;
  trainer.clipEvents = train.clipEvents;
  trainer.skippedSteps = train.skippedSteps;
  const taskCfg = ck.meta.task as unknown as TaskConfig;
  return {
    model: ck.model,
    opt: ck.optimizer,
    optSpec: ck.meta.optimizer.spec,
    trainer,
    task: makeTask(taskCfg),
    taskCfg,
    dataRng: new Rng(0).setState(ck.meta.rng.data),
    settings: train.settings,
    run,
    seconds: train.seconds ?? 0,
  };
}

export interface TrainOutcome {
  steps: number;
  /** Wall seconds of the training loop, evaluation included (all sessions of a resumed run). */
  seconds: number;
  /** Of these, this session's seconds spent evaluating (mid-run checks, confirmations, the final evaluation). */
  evalSeconds: number;
  /** This session's training time per step (batch, step, diagnostics, logging; no evaluation), in ms. */
  msPerStep: number;
  eval: EvalResult;
  clipEvents: number;
  skippedSteps: number;
  solvedAt: number | null;
  stopped: 'steps' | 'success' | 'time';
}

/** How a run shows its progress: 'auto' (a redrawn line on a TTY, plain lines when piped) or 'json' lines. */
export type ProgressMode = 'auto' | 'json';

/** The one number a task is judged by: MSE for regression, the fraction wrong for classification. */
export function metricOf(ev: EvalResult): number {
  return ev.mse ?? ev.errorRate;
}

/**
 * Trains until settings.steps (total, counting resumed steps), success or time; evaluates; checkpoints.
 * Every evalEvery steps a check on evalN fresh sequences; with settings.confirm, a check that passes
 * is confirmed on the full finalEvalN before the run counts as solved (and that evaluation is the
 * final one when the run stops there). The evaluation sets never change during a run (their own seed).
 */
export function runTraining(s: Session, io: CommandIO, quiet = false, mode: ProgressMode = 'auto'): TrainOutcome {
  const st = s.settings,
    tr = s.trainer;
  const progress = new Progress(io, st.steps, quiet || mode === 'json');
  const evalSeed = st.seed + 1_000_003;
  let solvedAt: number | null = null,
    stopped: TrainOutcome['stopped'] = 'steps',
    final: EvalResult | null = null,
    lastMetric: number | null = null;
  let avg = 0,
    n = 0,
    lastLoss = Number.NaN,
    evalMs = 0,
    otherMs = 0, // checkpoints
    lastJson = 0;
  const t0 = performance.now(),
    base = s.seconds,
    startStep = tr.step;
  const diag =
    s.run && st.diagEvery
      ? new Diagnostics(s.model, {
          every: st.diagEvery,
          startStep,
          iters: DIAG_ITERS,
          onRecord: (r) => s.run!.log(diagToJSON(r)),
        })
      : null;
  const evaluate = (n: number): EvalResult => {
    const te = performance.now();
    const ev = evaluateTask(s.task, s.model, { n, seed: evalSeed });
    evalMs += performance.now() - te;
    return ev;
  };
  const emit = (step: number, force: boolean) => {
    if (mode !== 'json') return;
    const now = performance.now();
    if (!force && now - lastJson < 250) return;
    lastJson = now;
    io.err(
      JSON.stringify({ progress: { step, steps: st.steps, loss: lastLoss, metric: lastMetric, solved: solvedAt } }),
    );
  };
  while (tr.step < st.steps) {
    const b = s.task.batch(s.dataRng, st.batch);
    const info = tr.train(b);
    diag?.onStep(info);
    avg += info.loss;
    n++;
    const step = tr.step;
    if (step % st.logEvery === 0 || step === st.steps) {
      lastLoss = avg / n;
      s.run?.log({
        kind: 'train',
        step,
        loss: lastLoss,
        grad_norm: info.gradNorm,
        lr: info.lr,
        clip_events: tr.clipEvents,
        skipped: tr.skippedSteps,
        seconds: base + (performance.now() - t0) / 1000,
      });
      avg = 0;
      n = 0;
    }
    if (progress.due(step)) {
      const secs = Math.max(1e-9, (performance.now() - t0) / 1000);
      progress.update(step, {
        loss: lastLoss,
        ...(lastMetric !== null ? { [s.task.loss === 'mse' ? 'mse' : 'wrong']: lastMetric } : {}),
        'grad-norm': info.gradNorm,
        'steps/s': Math.round((step - startStep) / secs),
      });
    }
    if (st.evalEvery > 0 && step % st.evalEvery === 0 && step < st.steps) {
      const ev = evaluate(st.evalN);
      // A passing check on the small set is confirmed on the full one before it counts.
      const full = ev.success && st.confirm && st.finalEvalN > st.evalN ? evaluate(st.finalEvalN) : null;
      const solved = (full ?? ev).success;
      lastMetric = metricOf(full ?? ev);
      s.run?.log({
        kind: 'eval',
        step,
        sequences: ev.sequences,
        loss: ev.loss,
        error_rate: ev.errorRate,
        success: ev.success,
        ...(ev.mse !== undefined ? { mse: ev.mse } : {}),
        ...(full ? { confirm: { sequences: full.sequences, error_rate: full.errorRate, success: full.success } } : {}),
      });
      if (solved && solvedAt === null) solvedAt = step;
      emit(step, true);
      if (solved && st.stopOnSuccess) {
        stopped = 'success';
        final = full; // the full evaluation of the model as it stops: no need to run it again
        break;
      }
    } else emit(step, false);
    if (s.run && st.checkpointEvery > 0 && step % st.checkpointEvery === 0) {
      const tc = performance.now();
      s.seconds = base + (tc - t0) / 1000;
      s.run.saveCheckpoint(checkpointBytes(s));
      otherMs += performance.now() - tc;
    }
    if (st.maxSeconds && (performance.now() - t0) / 1000 + base > st.maxSeconds) {
      stopped = 'time';
      break;
    }
  }
  const trainMs = performance.now() - t0 - evalMs - otherMs;
  const ev = final ?? evaluate(st.finalEvalN);
  s.seconds = base + (performance.now() - t0) / 1000;
  if (ev.success && solvedAt === null) solvedAt = tr.step;
  s.run?.log({
    kind: 'eval',
    step: tr.step,
    final: true,
    sequences: ev.sequences,
    loss: ev.loss,
    error_rate: ev.errorRate,
    success: ev.success,
    ...(ev.mse !== undefined ? { mse: ev.mse } : {}),
  });
  if (s.run) {
    s.run.saveCheckpoint(checkpointBytes(s));
    s.run.closeLog();
  }
  lastMetric = metricOf(ev);
  emit(tr.step, true);
  return {
    steps: tr.step,
    seconds: s.seconds,
    evalSeconds: evalMs / 1000,
    msPerStep: tr.step > startStep ? trainMs / (tr.step - startStep) : 0,
    eval: ev,
    clipEvents: tr.clipEvents,
    skippedSteps: tr.skippedSteps,
    solvedAt,
    stopped,
  };
}

/**
 * Power iterations of the diagnostics' spectra (W_hh and the Jacobian product): 20 give the
 * leading singular value to a few percent, which is what the report draws, at a third of the
 * default's cost; a record then costs a few training steps (bench train --profile: 7-11% of
 * the loop at one record per 100 steps with 30 iterations, before this cut).
 */
const DIAG_ITERS = 20;

/** runTraining with the batch split over settings.threads threads (workers started and stopped around it). */
export async function runThreaded(
  s: Session,
  io: CommandIO,
  quiet = false,
  mode: ProgressMode = 'auto',
): Promise<TrainOutcome> {
  const dp = await dataParallel(s.model, { threads: s.settings.threads ?? 1 });
  s.trainer.grads = dp;
  try {
    return runTraining(s, io, quiet, mode);
  } finally {
    await dp.close();
    s.trainer.grads = s.model;
  }
}

/** The JSON result every training command prints with --json. */
export function resultJSON(s: Session, o: TrainOutcome): Record<string, unknown> {
  return {
    task: s.taskCfg.name,
    T: s.taskCfg.T,
    cell: s.model.config.cell,
    hidden: s.model.config.hiddenSize,
    steps: o.steps,
    seconds: Number(o.seconds.toFixed(3)),
    eval_seconds: Number(o.evalSeconds.toFixed(3)),
    ms_per_step: Number(o.msPerStep.toFixed(3)),
    loss: o.eval.loss,
    ...(o.eval.mse !== undefined ? { mse: o.eval.mse } : {}),
    error_rate: o.eval.errorRate,
    success_rate: 1 - o.eval.errorRate,
    success: o.eval.success,
    solved_at: o.solvedAt,
    baseline: o.eval.baseline,
    // A model that learned nothing gets a single-answer classification wrong 1 - 1/classes of the time.
    ...(s.task.loss === 'xent' && s.task.head === 'last' ? { chance_error: 1 - 1 / s.task.outputSize } : {}),
    eval_sequences: o.eval.sequences,
    check_sequences: s.settings.evalEvery > 0 ? s.settings.evalN : null,
    check_every: s.settings.evalEvery > 0 ? s.settings.evalEvery : null,
    clip_events: o.clipEvents,
    skipped_steps: o.skippedSteps,
    stopped: o.stopped,
    run: s.run?.path ?? null,
  };
}
