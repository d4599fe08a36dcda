/**
 * `recur fit DATA --task classify|regress|tag|forecast`: trains a RecurrentModel on your own
 * sequences from a CSV or JSONL file and saves it as one safetensors file (weights, config,
 * standardisation, classes, vocabulary and how the file's columns were read). `recur predict`
 * and `recur eval` read it. The flag tables are declarative: the data flags (DATA_FLAGS) are
 * shared by fit, predict and eval, and the training flags are `recur train`'s own. With
 * `--backend webgpu` the same fit loop steps on the GPU (fitAsync with the device model) and the
 * saved file is the CPU path's.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { type Command, type CommandIO, type FlagSpec, InputError, UsageError } from './args.js';
import { TRAIN_FLAGS } from './train.js';
import { Progress } from './progress.js';
import { writeFileAtomic } from '../node/atomic.js';
import { dataParallel } from '../node/parallel.js';
import { listBackends } from '../backend/index.js';
import { hostBackend, withGpu } from './training.js';
import { type DataTask, DataError, type ParseOptions, type ParsedData, parseData } from '../data/parse.js';
import {
  type FitData,
  type FitOptions,
  MODEL_TASKS,
  type ModelTask,
  RecurrentModel,
  type RecurrentModelConfig,
} from '../train/recurrent_model.js';
import type { EpochLogs, History } from '../train/fit.js';
import type { OptimizerSpec } from '../train/optim.js';
import { cellSpec } from '../layers/cells/index.js';
import type { RecurrentInit } from '../init.js';

/** How a data file is read (fit, predict and eval; what fit used is stored in the model). */
export const DATA_FLAGS: Record<string, FlagSpec> = {
  id: { type: 'string', help: 'CSV: sequence-id column (one row per time step; for forecast: one series per id)' },
  target: { type: 'string', help: 'CSV: target column (a label or value per sequence; tag: per step)' },
  features: { type: 'list', help: 'CSV: feature columns (default: every column but id, target and text)' },
  text: { type: 'string', help: 'CSV: a text column whose characters are the steps (one sequence per row)' },
  layout: {
    type: 'string',
    choices: ['long', 'wide'],
    help: 'CSV: one row per step (long) or one sequence per row (wide); default long with --id or forecast',
  },
  delimiter: { type: 'string', help: "CSV field separator (default ',', tab for .tsv)" },
  'bad-rows': {
    type: 'string',
    default: 'skip',
    choices: ['skip', 'stop'],
    help: 'malformed rows: skip them (reported with line numbers) or stop at the first (exit 3)',
  },
};

/** `recur train`'s training flags that mean the same here. */
const SHARED = [
  'cell',
  'nonlinearity',
  'recurrent-max',
  'hidden',
  'layers',
  'init',
  'forget-bias',
  'optimizer',
  'lr',
  'momentum',
  'nesterov',
  'weight-decay',
  'schedule',
  'warmup',
  'clip',
  'clip-value',
  'strict',
  'batch',
  'seed',
  'backend',
  'threads',
] as const;

export const FIT_FLAGS: Record<string, FlagSpec> = {
  task: { type: 'string', choices: MODEL_TASKS, help: 'what to learn (required)' },
  ...DATA_FLAGS,
  ...Object.fromEntries(SHARED.map((k) => [k, TRAIN_FLAGS[k]!])),
  'recurrent-max': { type: 'number', help: 'indrnn: keep |u| <= this after each update (default: no bound)' },
  backend: {
    type: 'string',
    choices: ['ts', 'wasm', 'webgpu'],
    help: 'kernel backend, or webgpu: train on the GPU (no dropout; --threads unused)',
  },
  epochs: { type: 'int', default: 10, help: 'passes over the training data' },
  steps: { type: 'int', default: 0, help: 'stop after this many updates in all (0 = no limit)' },
  'validation-split': {
    type: 'number',
    default: 0.1,
    help: "hold out this fraction for validation (sequences: seeded random; series: each one's tail; 0 = none)",
  },
  validation: { type: 'string', help: 'a validation file (read like DATA) instead of a split' },
  patience: {
    type: 'int',
    default: 0,
    help: 'early stopping: epochs without improvement (0 = off); restores the best',
  },
  'reduce-lr': {
    type: 'int',
    default: 0,
    help: 'halve the learning rate after this many epochs without improvement (0 = off)',
  },
  dropout: { type: 'number', default: 0, help: 'dropout between stacked layers' },
  'input-dropout': { type: 'number', default: 0, help: 'dropout on the inputs' },
  'output-dropout': { type: 'number', default: 0, help: 'dropout before the head' },
  bidirectional: { type: 'boolean', default: false, help: 'bidirectional layers' },
  embed: { type: 'int', default: 32, help: 'embedding width for text or token inputs' },
  standardize: {
    type: 'boolean',
    default: true,
    help: 'standardise numeric inputs and targets on the training part',
  },
  window: { type: 'int', default: 32, help: 'forecast: input steps per window' },
  horizon: { type: 'int', default: 1, help: 'forecast: steps ahead' },
  targets: { type: 'list', help: 'forecast: columns to forecast (default: all feature columns)' },
  'forecast-change': {
    type: 'boolean',
    default: false,
    help: 'forecast: learn the change from the last step (smooth series, where the last value is close)',
  },
  out: { type: 'string', default: 'model.safetensors', help: 'where to save the model (one file)' },
  force: { type: 'boolean', default: false, help: 'overwrite an existing model file' },
};

/** The data-reading settings from flags, falling back to those stored in a model. */
export function parseOptions(o: Record<string, any>, task: DataTask, stored: Record<string, any> = {}): ParseOptions {
  return {
    task,
    id: o.id ?? stored.id,
    target: o.target ?? stored.target,
    features: o.features ?? stored.features,
    text: o.text ?? stored.text,
    layout: o.layout ?? stored.layout,
    delimiter: o.delimiter ?? stored.delimiter,
    strict: o.badRows === 'stop',
  };
}

/** Reads and parses a data file; missing files, directories and malformed data are InputErrors (exit 3). */
export function readData(path: string, po: ParseOptions): ParsedData {
  if (!existsSync(path)) throw new InputError(`${path}: no such file`);
  if (statSync(path).isDirectory()) throw new InputError(`${path}: is a directory, expected a CSV or JSONL file`);
  try {
    return parseData(path, readFileSync(path, 'utf8'), po);
  } catch (e) {
    if (e instanceof DataError) throw new InputError(`${path}: ${e.message}`);
    throw e;
  }
}

/** Malformed rows to stderr, one line each (the first few), and a count. */
export function reportBadRows(d: ParsedData, path: string, io: CommandIO): void {
  if (!d.badRows) return;
  for (const m of d.errors) io.err(`${path}: ${m}`);
  io.err(`${path}: ${d.badRows} malformed row(s) skipped${d.badRows > d.errors.length ? ' (first shown)' : ''}`);
}

/** Parsed data as the model takes it. */
export function toFitData(task: ModelTask, d: ParsedData): FitData {
  if (task === 'forecast') return { series: d.series! };
  return { x: d.x as never, y: d.y as never };
}

/** Forecast targets by column name (or 0-based index) to feature indices. */
function targetIndices(names: string[], targets: string[] | undefined): number[] | undefined {
  if (!targets?.length) return undefined;
  return targets.map((t) => {
    const k = names.indexOf(t);
    const i = k >= 0 ? k : /^\d+$/.test(t) ? Number(t) : -1;
    if (i < 0 || i >= names.length)
      throw new UsageError(`--targets: no feature column '${t}'; the features are ${names.join(', ')}`);
    return i;
  });
}

/** History records with snake_case keys (the CLI's JSON). */
export function snake(rec: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rec)) out[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = v;
  return out;
}

function fmt(v: number | undefined): string {
  if (v === undefined) return '-';
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : v.toFixed(4);
}

export function epochLine(l: EpochLogs, epochs: number): string {
  const parts = [`epoch ${l.epoch}/${epochs}`, `loss ${fmt(l.loss)}`];
  if (l.accuracy !== undefined) parts.push(`accuracy ${fmt(l.accuracy)}`);
  for (const [k, v] of Object.entries(l))
    if (k.startsWith('val') && typeof v === 'number') parts.push(`${Object.keys(snake({ [k]: v }))[0]} ${fmt(v)}`);
  return parts.join('  ');
}

export const command: Command = {
  name: 'fit',
  summary: 'train a recurrent net on your own sequences (CSV or JSONL) and save it as one file',
  positionals: 'DATA',
  flags: FIT_FLAGS,
  details:
    'Examples:\n' +
    '  recur fit names.csv --task classify --text name --target sex --epochs 20 --out names.safetensors\n' +
    '  recur fit steps.csv --task regress --id seq --target y --hidden 32\n' +
    '  recur fit steps.csv --task regress --id seq --target y --backend webgpu    (the updates on the GPU)\n' +
    '  recur fit tags.jsonl --task tag --patience 3\n' +
    '  recur fit sensors.csv --task forecast --id mote --features humidity,temperature --window 60 --horizon 12\n' +
    'CSV: long layout (one row per step, --id groups the rows of a sequence) or wide (one sequence per row;\n' +
    '--text for characters). JSONL: {"x": steps or "text", "y": target} per line. Then:\n' +
    '  recur predict names.safetensors new.csv      recur eval names.safetensors test.csv',
  async run(o, pos, io) {
    if (pos.length !== 1) throw new UsageError('give exactly one data file (CSV or JSONL)');
    if (!o.task) throw new UsageError(`give --task (${MODEL_TASKS.join(', ')})`);
    const task = o.task as ModelTask;
    for (const k of ['hidden', 'layers', 'batch', 'epochs', 'threads', 'embed', 'window', 'horizon'] as const)
      if (!(o[k] >= 1)) throw new UsageError(`--${k} must be >= 1, got ${o[k]}`);
    for (const k of ['steps', 'patience', 'reduceLr', 'warmup'] as const)
      if (!(o[k] >= 0)) throw new UsageError(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be >= 0`);
    if (!(o.lr > 0)) throw new UsageError(`--lr must be > 0, got ${o.lr}`);
    if (!(o.validationSplit >= 0 && o.validationSplit < 1))
      throw new UsageError(`--validation-split must be in [0, 1), got ${o.validationSplit}`);
    for (const k of ['dropout', 'inputDropout', 'outputDropout'] as const)
      if (!(o[k] >= 0 && o[k] < 1))
        throw new UsageError(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be in [0, 1)`);
    const spec = cellSpec(o.cell);
    if (o.nonlinearity !== undefined && !spec.options.includes('nonlinearity'))
      throw new UsageError(`--nonlinearity does not apply to --cell ${o.cell}`);
    if (o.recurrentMax !== undefined && !spec.options.includes('recurrentMaxAbs'))
      throw new UsageError('--recurrent-max applies to --cell indrnn only');
    if (o.recurrentMax !== undefined && !(o.recurrentMax >= 0))
      throw new UsageError(`--recurrent-max must be >= 0, got ${o.recurrentMax}`);
    const gpu = o.backend === 'webgpu';
    if (o.backend !== undefined && !gpu && !listBackends().includes(o.backend))
      throw new UsageError(`--backend must be one of ${[...listBackends(), 'webgpu'].join(', ')}, got '${o.backend}'`);
    if (gpu)
      for (const k of ['dropout', 'inputDropout', 'outputDropout'] as const)
        if (o[k] > 0)
          throw new UsageError(
            `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is not supported with --backend webgpu ` +
              '(the GPU model has no dropout yet): leave it at 0 or train on the CPU',
          );
    if (existsSync(o.out) && !o.force) throw new InputError(`${o.out} exists; use --force to overwrite it`);
    const path = pos[0]!,
      po = parseOptions(o, task);
    const data = readData(path, po);
    reportBadRows(data, path, io);
    let val: ParsedData | null = null;
    if (o.validation) {
      val = readData(o.validation, po);
      reportBadRows(val, o.validation, io);
    }
    const cfg: RecurrentModelConfig = {
      task,
      cell: o.cell,
      hiddenSize: o.hidden,
      numLayers: o.layers,
      bidirectional: o.bidirectional || undefined,
      nonlinearity: o.nonlinearity,
      recurrentInit: o.init as RecurrentInit,
      forgetBias: spec.options.includes('forgetBias') ? o.forgetBias : undefined,
      recurrentMaxAbs: o.recurrentMax || undefined, // indrnn: no bound unless given (T varies here)
      embedDim: o.embed,
      dropout: o.dropout,
      inputDropout: o.inputDropout,
      outputDropout: o.outputDropout,
      standardize: o.standardize,
      seed: o.seed,
      ...(task === 'forecast'
        ? {
            window: o.window,
            horizon: o.horizon,
            targets: targetIndices(data.features, o.targets),
            forecastChange: o.forecastChange || undefined,
          }
        : {}),
    };
    const model = new RecurrentModel(cfg);
    model.extra = {
      data: { id: po.id, target: po.target, features: po.features, text: po.text, layout: po.layout },
      features: data.features,
    };
    const optimizer: OptimizerSpec =
      o.optimizer === 'sgd'
        ? { type: 'sgd', lr: o.lr, momentum: o.momentum, nesterov: o.nesterov, weightDecay: o.weightDecay }
        : { type: o.optimizer, lr: o.lr, weightDecay: o.weightDecay };
    const fitData = toFitData(task, data);
    const split = val
      ? { validationData: toFitData(task, val) }
      : o.validationSplit > 0
        ? { validationSplit: o.validationSplit }
        : {};
    const backend = hostBackend(o.backend);
    const net = model.build(fitData, { ...split, seed: o.seed, backend });
    // On the GPU the batch is not split over threads: --threads is unused there (as recur train).
    const grads = !gpu && o.threads > 1 ? await dataParallel(net, { threads: o.threads, backend }) : undefined;
    const progress = new Progress(io, o.epochs, o.json || !io.isTTY); // piped: one line per epoch instead
    const t0 = performance.now();
    let history: History,
      adapter: string | null = null; // the GPU's name, when it trained there
    try {
      const fitOpts: FitOptions = {
        ...split,
        epochs: o.epochs,
        batchSize: o.batch,
        seed: o.seed,
        optimizer,
        schedule: o.schedule,
        warmup: o.warmup,
        clipNorm: o.clip > 0 ? o.clip : undefined,
        clipValue: o.clipValue > 0 ? o.clipValue : undefined,
        nonFinite: o.strict ? 'strict' : 'skip',
        earlyStopping: o.patience > 0 ? { patience: o.patience } : undefined,
        reduceLrOnPlateau: o.reduceLr > 0 ? { patience: o.reduceLr } : undefined,
        maxSteps: o.steps > 0 ? o.steps : undefined,
        grads,
        backend,
        callbacks: {
          onBatchEnd: (b) => progress.update(b.epoch - 1, { epoch: b.epoch, batch: b.batch + 1, loss: b.loss }),
          onEpochEnd: (l) => {
            progress.update(l.epoch, { loss: l.loss, ...(l.valLoss !== undefined ? { 'val-loss': l.valLoss } : {}) });
            if (!o.json && !io.isTTY) io.err(epochLine(l, o.epochs));
          },
        },
      };
      // On the GPU: the same loop, each update awaited on the device, the weights pulled back each epoch.
      history = gpu
        ? await withGpu(net, (device) => {
            adapter = device.ctx.description;
            return model.fitAsync(fitData, { ...fitOpts, device, pause: async () => {} });
          })
        : model.fit(fitData, fitOpts);
    } finally {
      await grads?.close();
    }
    const seconds = (performance.now() - t0) / 1000;
    writeFileAtomic(o.out, model.toBytes());
    const trainEval = model.evaluate(fitData);
    const valEval = val ? model.evaluate(toFitData(task, val)) : null;
    const last = history.epochs.at(-1)!;
    const res = {
      task,
      model: o.out,
      data: path,
      backend: gpu ? 'webgpu' : net.rnn.backend.name,
      ...(adapter !== null ? { adapter } : {}),
      sequences: task === 'forecast' ? data.series!.length : data.x.length,
      bad_rows: data.badRows,
      epochs: history.epochs.length,
      steps: history.steps,
      best_epoch: history.bestEpoch,
      stopped: history.stopped,
      restored_best: history.restored,
      seconds: Number(seconds.toFixed(3)),
      train: snake({ ...trainEval, baseline: snake(trainEval.baseline) }),
      ...(valEval ? { validation: snake({ ...valEval, baseline: snake(valEval.baseline) }) } : {}),
      last_epoch: snake(last),
      history: history.epochs.map((e) => snake(e)),
    };
    if (o.json) io.out(JSON.stringify(res));
    else {
      const m = (e: typeof trainEval) =>
        e.accuracy !== undefined
          ? `accuracy ${fmt(e.accuracy)} (majority class ${fmt(e.baseline.accuracy)})`
          : `rmse ${fmt(e.rmse)} (${task === 'forecast' ? 'last value' : 'mean'} ${fmt(e.baseline.rmse)})`;
      const how = `${history.stopped}${history.restored ? `, best epoch ${history.bestEpoch} restored` : ''}`;
      io.out(
        `${task}: ${res.sequences} sequences, ${history.epochs.length} epochs (${how}), ` +
          `${history.steps} steps, ${seconds.toFixed(1)} s${adapter !== null ? ` on the GPU (${adapter})` : ''}`,
      );
      io.out(`train: ${m(trainEval)}${last.valLoss !== undefined ? `  validation loss ${fmt(last.valLoss)}` : ''}`);
      if (valEval) io.out(`validation file: ${m(valEval)}`);
      io.out(`model saved to ${o.out}`);
    }
    return 0;
  },
};
