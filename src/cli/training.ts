/**
 * The training loop shared by `recur train`, `recur resume` and the main experiment:
 * batches from a seeded task stream, Trainer steps, periodic evaluation on fresh sequences,
 * a JSON-lines metrics log and atomic checkpoints in the run folder. The steps run on the CPU
 * (split over threads) or, with `--backend webgpu`, on the GPU (`runSession`); checkpoints are the
 * same either way, so a run started on one resumes on the other.
 */
import { SequenceModel, type SequenceModelConfig } from '../layers/model.js';
import { Rng } from '../random.js';
import { type Task, type TaskConfig, type EvalResult, makeTask } from '../tasks/synthetic.js';
import { evaluateTask } from '../train/evaluate.js';
import { type Optimizer, type OptimizerSpec, makeOptimizer } from '../train/optim.js';
import { Trainer, type TrainerOptions } from '../train/trainer.js';
import { type LoadedCheckpoint, loadCheckpoint, saveCheckpoint } from '../train/checkpoint.js';
import { bool, int, num, obj, oneOf, opt } from '../train/checkpoint_meta.js';
import { SafetensorsError } from '../safetensors.js';
import type { RecurrentInit } from '../init.js';
import type { CellType } from '../layers/cells/index.js';
import type { RunDir } from '../node/rundir.js';
import { dataParallel } from '../node/parallel.js';
import type { CommandIO } from './args.js';
import { InputError } from './args.js';
import { Progress } from './progress.js';
import { Diagnostics, diagToJSON } from '../diagnostics/diagnostics.js';
import { GpuSequenceModel } from '../train/gpu_trainer.js';
import { openNodeGpu } from '../node/webgpu.js';

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
  /** Brings the model and optimiser up to date on the host (a GPU session: before evaluating and checkpointing). */
  sync?: () => Promise<void>;
}

/** `--backend` names a CPU kernel backend for the host model; 'webgpu' trains on the GPU (runSession). */
export function hostBackend(backend: string | undefined): string | undefined {
  return backend === 'webgpu' ? undefined : backend;
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

/** The training state a checkpoint written by checkpointBytes holds, checked field by field. */
function checkTrainMeta(v: unknown): void {
  const t = obj(v, 'train', ['settings', 'clipEvents', 'skippedSteps', 'seconds']);
  const s = obj(t.settings, 'train.settings', [
    'steps',
    'batch',
    'seed',
    'evalEvery',
    'evalN',
    'finalEvalN',
    'stopOnSuccess',
    'checkpointEvery',
    'logEvery',
    'trainer',
    'maxSeconds',
    'diagEvery',
    'threads',
    'confirm',
  ]);
  const p = 'train.settings';
  int(s.steps, `${p}.steps`, 1, 1e9);
  int(s.batch, `${p}.batch`, 1, 65536);
  num(s.seed, `${p}.seed`);
  for (const k of ['evalEvery', 'checkpointEvery']) int(s[k], `${p}.${k}`, 0, 1e9);
  for (const k of ['evalN', 'finalEvalN']) int(s[k], `${p}.${k}`, 1, 1e7);
  int(s.logEvery, `${p}.logEvery`, 1, 1e9);
  bool(s.stopOnSuccess, `${p}.stopOnSuccess`);
  opt(s, 'maxSeconds', p, (x, q) => num(x, q, 0));
  opt(s, 'diagEvery', p, (x, q) => int(x, q, 0, 1e9));
  opt(s, 'threads', p, (x, q) => int(x, q, 1, 256));
  opt(s, 'confirm', p, (x, q) => bool(x, q));
  const tr = obj(s.trainer, `${p}.trainer`, ['clipNorm', 'clipValue', 'nonFinite', 'schedule']);
  for (const k of ['clipNorm', 'clipValue']) opt(tr, k, `${p}.trainer`, (x, q) => num(x, q, Number.MIN_VALUE));
  opt(tr, 'nonFinite', `${p}.trainer`, (x, q) => oneOf(x, q, ['skip', 'strict']));
  if (tr.schedule !== undefined) {
    const sc = obj(tr.schedule, `${p}.trainer.schedule`, ['type', 'warmup', 'every', 'gamma', 'total', 'minLr']);
    const type = oneOf(sc.type, `${p}.trainer.schedule.type`, ['constant', 'step', 'cosine']);
    opt(sc, 'warmup', `${p}.trainer.schedule`, (x, q) => int(x, q, 0, 1e9));
    if (type === 'step') int(sc.every, `${p}.trainer.schedule.every`, 1, 1e9);
    if (type === 'cosine') int(sc.total, `${p}.trainer.schedule.total`, 1, 1e9);
    for (const k of ['gamma', 'minLr']) opt(sc, k, `${p}.trainer.schedule`, (x, q) => num(x, q, 0));
  }
  for (const k of ['clipEvents', 'skippedSteps']) int(t[k], `train.${k}`, 0, Number.MAX_SAFE_INTEGER);
  num(t.seconds, 'train.seconds', 0);
}

export function resumeSession(
  bytes: Uint8Array,
  run: RunDir | null,
  backend?: string,
  note: (text: string) => void = () => {},
): Session {
  let ck: LoadedCheckpoint, task: Task;
  try {
    ck = loadCheckpoint(bytes, backend);
    if (!ck.meta.train || !ck.meta.task || !ck.optimizer || !ck.meta.optimizer || !ck.meta.rng?.data)
      throw new SafetensorsError('checkpoint has no training state (task, optimizer, data RNG): it cannot be resumed');
    checkTrainMeta(ck.meta.train);
    try {
      task = makeTask(ck.meta.task as unknown as TaskConfig);
    } catch (e) {
      throw new SafetensorsError(`checkpoint task is invalid: ${(e as Error).message}`);
    }
  } catch (e) {
    if (e instanceof SafetensorsError)
      throw new InputError(`${run?.file('checkpoint.safetensors') ?? 'checkpoint'}: ${e.message}`);
    throw e;
  }
  for (const n of ck.notes) note(n);
  const train = ck.meta.train as unknown as {
    settings: TrainSettings;
    clipEvents: number;
    skippedSteps: number;
    seconds: number;
  };
  const trainer = new Trainer(ck.model, ck.optimizer, train.settings.trainer);
  trainer.step = ck.meta.step;
  trainer.clipEvents = train.clipEvents;
  trainer.skippedSteps = train.skippedSteps;
  const taskCfg = ck.meta.task as unknown as TaskConfig;
  return {
    model: ck.model,
    opt: ck.optimizer!,
    optSpec: ck.meta.optimizer!.spec,
    trainer,
    task,
    taskCfg,
    dataRng: new Rng(0).setState(ck.meta.rng!.data!),
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
export async function runTraining(
  s: Session,
  io: CommandIO,
  quiet = false,
  mode: ProgressMode = 'auto',
): Promise<TrainOutcome> {
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
    s.run && st.diagEvery && !s.sync // diagnostics read the CPU model's caches
      ? new Diagnostics(s.model, {
          every: st.diagEvery,
          startStep,
          iters: DIAG_ITERS,
          onRecord: (r) => s.run!.log(diagToJSON(r)),
        })
      : null;
  const evaluate = async (n: number): Promise<EvalResult> => {
    const te = performance.now();
    await s.sync?.();
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
    const info = await tr.trainAsync(b);
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
      const ev = await evaluate(st.evalN);
      // A passing check on the small set is confirmed on the full one before it counts.
      const full = ev.success && st.confirm && st.finalEvalN > st.evalN ? await evaluate(st.finalEvalN) : null;
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
      await s.sync?.();
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
  const ev = final ?? (await evaluate(st.finalEvalN));
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
    return await runTraining(s, io, quiet, mode);
  } finally {
    await dp.close();
    s.trainer.grads = s.model;
  }
}

/**
 * runTraining on the GPU: the model goes up once and the one Trainer steps it there (the same
 * options, counters and hooks); the parameters and optimiser state come back for evaluations and
 * checkpoints. Diagnostics, which read the CPU model's caches, are not recorded.
 */
export function runOnGpu(s: Session, io: CommandIO, quiet = false, mode: ProgressMode = 'auto'): Promise<TrainOutcome> {
  return withGpu(s.model, (gpu) => {
    const cpu = s.trainer,
      tr = new Trainer(gpu, s.opt, s.settings.trainer);
    tr.step = cpu.step;
    tr.clipEvents = cpu.clipEvents;
    tr.skippedSteps = cpu.skippedSteps;
    s.trainer = tr;
    s.sync = () => gpu.pull();
    return runTraining(s, io, quiet, mode);
  });
}

/** Runs `f` with `model` on the GPU (Dawn in Node), freeing the device afterwards. */
export async function withGpu<R>(model: SequenceModel, f: (gpu: GpuSequenceModel) => Promise<R>): Promise<R> {
  const ctx = await openNodeGpu();
  const gpu = new GpuSequenceModel(ctx, model);
  try {
    return await f(gpu);
  } finally {
    gpu.destroy();
    ctx.destroy();
  }
}

/** Where `--backend` says: the GPU ('webgpu'), else the CPU over settings.threads threads. */
export function runSession(
  s: Session,
  io: CommandIO,
  quiet: boolean,
  backend: string | undefined,
  mode: ProgressMode = 'auto',
) {
  return backend === 'webgpu' ? runOnGpu(s, io, quiet, mode) : runThreaded(s, io, quiet, mode);
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
