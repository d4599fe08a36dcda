/** `recur train`: train a recurrent net on a classic task; writes a run folder. */
import { existsSync } from 'node:fs';
import type { Command, FlagSpec } from './args.js';
import { InputError, UsageError } from './args.js';
import { TASKS, type Task, type TaskConfig, type TaskName, makeTask } from '../tasks/synthetic.js';
import { checkMemory, trainingBytes } from './memory.js';
import type { OptimizerSpec } from '../train/optim.js';
import type { RecurrentInit } from '../init.js';
import { ACT } from '../backend/backend.js';
import { CELL_NAMES, type CellOptions, cellSpec } from '../layers/cells/index.js';
import { RunDir } from '../node/rundir.js';
import { defaultThreads } from '../node/parallel.js';
import { type ModelChoice, type TrainSettings, hostBackend, newSession, resultJSON, runSession } from './training.js';

export const TRAIN_FLAGS: Record<string, FlagSpec> = {
  task: { type: 'string', default: 'adding', choices: TASKS, help: 'task' },
  T: { type: 'int', default: 50, min: 2, max: 100000, help: 'sequence length (time lag) of the task' },
  variant: {
    type: 'string',
    default: 'pascanu',
    choices: ['pascanu', 'hochreiter'],
    help: 'adding/multiplication variant',
  },
  cell: { type: 'string', default: 'lstm', choices: CELL_NAMES, help: 'recurrent cell' },
  nonlinearity: {
    type: 'string',
    choices: Object.keys(ACT),
    help: 'activation of rnn (default tanh) and indrnn (default relu)',
  },
  'recurrent-max': {
    type: 'number',
    min: 0,
    help: 'indrnn: keep |u| <= this after each update (default 2^(1/T), Li et al. 2018; 0 = no bound)',
  },
  hidden: { type: 'int', default: 64, min: 1, max: 16384, help: 'hidden units per layer' },
  layers: { type: 'int', default: 1, min: 1, max: 64, help: 'stacked recurrent layers' },
  init: {
    type: 'string',
    default: 'default',
    choices: ['default', 'orthogonal', 'identity', 'xavier'],
    help: 'recurrent weight init',
  },
  'forget-bias': { type: 'number', default: 1, help: 'LSTM forget-gate bias at init' },
  optimizer: { type: 'string', default: 'adam', choices: ['sgd', 'rmsprop', 'adam', 'adamw'], help: 'optimiser' },
  lr: { type: 'number', default: 0.001, above: 0, help: 'learning rate' },
  momentum: { type: 'number', default: 0, min: 0, max: 1, help: 'SGD momentum' },
  nesterov: { type: 'boolean', default: false, help: 'Nesterov momentum (SGD)' },
  'weight-decay': { type: 'number', default: 0, min: 0, help: 'L2 weight decay (decoupled for adamw)' },
  schedule: {
    type: 'string',
    default: 'constant',
    choices: ['constant', 'step', 'cosine'],
    help: 'learning-rate schedule',
  },
  warmup: { type: 'int', default: 0, min: 0, max: 1e9, help: 'linear warm-up steps' },
  clip: { type: 'number', default: 0, min: 0, help: 'clip the gradient global norm to this (0 = off)' },
  'clip-value': { type: 'number', default: 0, min: 0, help: 'clip each gradient entry to [-v, v] (0 = off)' },
  strict: {
    type: 'boolean',
    default: false,
    help: 'stop with an error on a non-finite gradient or update (default: skip the step, restored)',
  },
  steps: { type: 'int', default: 2000, min: 1, max: 1e9, help: 'training steps (total)' },
  batch: { type: 'int', default: 32, min: 1, max: 65536, help: 'batch size' },
  seed: { type: 'int', default: 1, help: 'seed for init and data' },
  'eval-every': { type: 'int', default: 100, min: 0, help: 'evaluate every N steps (0 = only at the end)' },
  'eval-n': {
    type: 'int',
    default: 500,
    min: 1,
    max: 1e7,
    help: 'fresh sequences per mid-run check (a tenth of a step budget at most; see docs/experiments.md)',
  },
  'final-eval-n': { type: 'int', default: 10000, min: 1, max: 1e7, help: 'fresh sequences for the final evaluation' },
  confirm: {
    type: 'boolean',
    default: true,
    help: 'a check under 1% wrong counts only when the final-eval-n set confirms it (off: the check alone)',
  },
  'stop-on-success': { type: 'boolean', default: true, help: 'stop at the first evaluation under 1% wrong' },
  'checkpoint-every': {
    type: 'int',
    default: 500,
    min: 0,
    help: 'write a checkpoint every N steps (0 = only at the end)',
  },
  'diag-every': {
    type: 'int',
    default: 100,
    min: 0,
    help: 'log diagnostics (||dL/dh_t||, spectra, saturation) every N steps (0 = off)',
  },
  'max-seconds': { type: 'number', default: 0, min: 0, help: 'stop after this much training time (0 = no limit)' },
  out: { type: 'string', help: 'run folder (default runs/<task>-<cell>-T<T>-s<seed>)' },
  label: { type: 'string', help: "the run's name in reports and tables (e.g. 'tanh-RNN + clip + orth')" },
  force: { type: 'boolean', default: false, help: 'overwrite an existing run folder' },
  backend: {
    type: 'string',
    choices: ['ts', 'wasm', 'webgpu'],
    help: 'kernel backend, or webgpu: train on the GPU (no diagnostics; --threads unused)',
  },
  progress: {
    type: 'string',
    default: 'auto',
    choices: ['auto', 'json'],
    help: 'auto: a live line on a terminal, plain lines when piped; json: JSON lines on stderr (for experiments)',
  },
  threads: {
    type: 'int',
    default: defaultThreads(),
    min: 1,
    max: 256,
    help: 'threads for data-parallel training (the batch is split; default: one per core)',
  },
};

/** The run's settings from the flags (whose ranges the parser has checked). */
export function settingsFrom(o: Record<string, any>): { mc: ModelChoice; opt: OptimizerSpec; st: TrainSettings } {
  const spec = cellSpec(o.cell),
    reads = (k: keyof CellOptions) => spec.options.includes(k);
  if (o.nonlinearity !== undefined && !reads('nonlinearity'))
    throw new UsageError(`--nonlinearity does not apply to --cell ${o.cell}`);
  if (o.recurrentMax !== undefined && !reads('recurrentMaxAbs'))
    throw new UsageError(`--recurrent-max applies to --cell indrnn only`);
  const mc: ModelChoice = {
    cell: o.cell,
    hidden: o.hidden,
    layers: o.layers,
    nonlinearity: reads('nonlinearity') ? o.nonlinearity : undefined,
    init: o.init as RecurrentInit,
    forgetBias: reads('forgetBias') ? o.forgetBias : undefined,
    // IndRNN's bound: 2^(1/T) unless told (no unit can grow more than 2x over the sequence).
    recurrentMaxAbs: reads('recurrentMaxAbs') ? (o.recurrentMax ?? 2 ** (1 / o.T)) || undefined : undefined,
  };
  const opt: OptimizerSpec =
    o.optimizer === 'sgd'
      ? { type: 'sgd', lr: o.lr, momentum: o.momentum, nesterov: o.nesterov, weightDecay: o.weightDecay }
      : { type: o.optimizer, lr: o.lr, weightDecay: o.weightDecay };
  const schedule =
    o.schedule === 'step'
      ? { type: 'step' as const, every: Math.max(1, Math.floor(o.steps / 3)), warmup: o.warmup }
      : o.schedule === 'cosine'
        ? { type: 'cosine' as const, total: o.steps, warmup: o.warmup }
        : { type: 'constant' as const, warmup: o.warmup };
  const st: TrainSettings = {
    steps: o.steps,
    batch: o.batch,
    seed: o.seed,
    evalEvery: o.evalEvery,
    evalN: o.evalN,
    finalEvalN: o.finalEvalN,
    confirm: o.confirm,
    stopOnSuccess: o.stopOnSuccess,
    checkpointEvery: o.checkpointEvery,
    logEvery: 10,
    maxSeconds: o.maxSeconds || undefined,
    diagEvery: o.diagEvery,
    threads: o.threads,
    trainer: {
      clipNorm: o.clip > 0 ? o.clip : undefined,
      clipValue: o.clipValue > 0 ? o.clipValue : undefined,
      nonFinite: o.strict ? 'strict' : 'skip',
      schedule,
    },
  };
  return { mc, opt, st };
}

export const command: Command = {
  name: 'train',
  summary: 'train a recurrent net on a classic task (adding, order, copy, Reber, ...)',
  flags: TRAIN_FLAGS,
  details:
    'Example:\n  recur train --task adding --T 100 --cell lstm --steps 5000 --clip 1 --out runs/lstm-adding\n' +
    'Writes config.json, metrics.jsonl, checkpoint.safetensors and result.json in the run folder.',
  async run(o, pos, io) {
    if (pos.length) throw new UsageError(`unexpected argument '${pos[0]}'`);
    const { mc, opt, st } = settingsFrom(o);
    const taskCfg = { name: o.task as TaskName, T: o.T, variant: o.variant };
    const task = taskFor(taskCfg);
    checkMemory(
      trainingBytes({
        ...mc,
        input: task.inputSize,
        output: task.outputSize,
        T: o.T,
        batch: o.batch,
        threads: o.threads,
      }),
      `--hidden ${o.hidden} --layers ${o.layers} --T ${o.T} --batch ${o.batch} --threads ${o.threads}`,
      'lower one of them',
    );
    const dir = o.out ?? `runs/${o.task}-${o.cell}-T${o.T}-s${o.seed}`;
    if (existsSync(`${dir}/checkpoint.safetensors`) && !o.force)
      throw new InputError(`run folder '${dir}' already has a checkpoint; use 'recur resume ${dir}' or --force`);
    const run = RunDir.create(dir);
    if (o.force) run.clear(); // a fresh run: no old metrics or checkpoints mixed in
    const s = newSession(taskCfg, mc, opt, st, run, hostBackend(o.backend));
    run.writeJSON('config.json', {
      command: 'train',
      ...(o.label ? { label: o.label } : {}),
      task: taskCfg,
      model: s.model.config,
      optimizer: opt,
      settings: st,
    });
    const out = await runSession(s, io, o.json, o.backend, o.progress);
    const res: Record<string, unknown> = { ...(o.label ? { label: o.label } : {}), ...resultJSON(s, out) };
    run.writeJSON('result.json', res);
    if (o.json) io.out(JSON.stringify(res));
    else
      io.out(
        `${o.task} T=${o.T} ${o.cell}: ` +
          `${res.mse !== undefined ? `mse ${(res.mse as number).toFixed(5)}, ` : ''}loss ` +
          `${out.eval.loss.toFixed(5)} (baseline ${out.eval.baseline.toFixed(4)}), ` +
          `${(out.eval.errorRate * 100).toFixed(2)}% wrong of ${out.eval.sequences} -> ` +
          `${out.eval.success ? 'SOLVED' : 'not solved'} after ${out.steps} steps` +
          `${out.skippedSteps ? ` (${out.skippedSteps} skipped: non-finite gradient or update)` : ''}, ` +
          `${out.seconds.toFixed(1)} s; run folder ${dir}`,
      );
    return 0;
  },
};

/** The task, or a usage error naming --T (the one flag whose valid range depends on the task). */
export function taskFor(cfg: TaskConfig): Task {
  try {
    return makeTask(cfg);
  } catch (e) {
    if (e instanceof RangeError && /\bT must be\b/.test(e.message))
      throw new UsageError(`--T ${cfg.T} does not suit --task ${cfg.name}: ${e.message}`);
    throw e;
  }
}
