/**
 * `recur lm train | sample | eval | seq2seq`: language models on any UTF-8 text file, and the
 * encoder-decoder toy tasks.
 *
 *   recur lm train --text input.txt --minutes 10        char-rnn: run folder with checkpoint + metrics
 *   recur lm sample --model runs/lm-input --prime "ROMEO:" --temperature 0.8 --seed 1
 *   recur lm eval --model runs/lm-input --text other.txt
 *   recur lm seq2seq --task addition --minutes 10        reversal / "123+45=" to exact match
 */
import { existsSync, statSync } from 'node:fs';
import { readInput, readInputText } from '../node/files.js';
import { checkMemory, trainingBytes } from './memory.js';
import { basename, join } from 'node:path';
import type { Command, CommandIO, FlagSpec } from './args.js';
import { InputError, UsageError } from './args.js';
import { RunDir } from '../node/rundir.js';
import { SafetensorsError } from '../safetensors.js';
import { CharVocab, type UnknownPolicy, type Vocab, WordVocab } from '../lm/vocab.js';
import { splitIds } from '../lm/corpus.js';
import { RecurrentLM, trainLM, trainLMOnDevice, type TrainLMOptions } from '../lm/lm.js';
import { hostBackend, withGpu } from './training.js';
import { runToyTask, TOY_TASKS, type ToyTaskName } from '../lm/toy.js';
import { CELL_NAMES } from '../layers/cells/index.js';
import type { OptimizerSpec } from '../train/optim.js';
import { Progress } from './progress.js';

const FLAGS: Record<string, FlagSpec> = {
  text: { type: 'string', help: 'train/eval: UTF-8 text file' },
  model: { type: 'string', help: 'sample/eval: a run folder or checkpoint.safetensors file' },
  level: { type: 'string', default: 'char', choices: ['char', 'word'], help: 'train: tokens are characters or words' },
  'max-vocab': {
    type: 'int',
    default: 10000,
    min: 1,
    max: 1e7,
    help: 'train --level word: most frequent words kept (rest -> <unk>)',
  },
  lowercase: { type: 'boolean', default: false, help: 'train --level word: lowercase the text first' },
  cell: { type: 'string', default: 'lstm', choices: CELL_NAMES, help: 'recurrent cell' },
  embed: { type: 'int', min: 1, max: 16384, help: 'embedding width (default: 64; seq2seq 16)' },
  hidden: { type: 'int', min: 1, max: 16384, help: 'hidden units per layer (default: 256; seq2seq 128)' },
  layers: { type: 'int', default: 1, min: 1, max: 64, help: 'stacked recurrent layers' },
  batch: {
    type: 'int',
    min: 1,
    max: 65536,
    help: 'parallel streams B, or examples per step for seq2seq (default: 32; seq2seq 64)',
  },
  bptt: { type: 'int', default: 64, min: 1, max: 100000, help: 'truncated BPTT length T' },
  optimizer: { type: 'string', default: 'adam', choices: ['sgd', 'rmsprop', 'adam', 'adamw'], help: 'optimiser' },
  lr: { type: 'number', above: 0, help: 'learning rate (default: 0.002; seq2seq 0.005)' },
  clip: { type: 'number', default: 5, min: 0, help: 'clip the gradient global norm (0 = off)' },
  steps: { type: 'int', default: 0, min: 0, max: 1e9, help: 'train: stop after this many updates (0 = no limit)' },
  epochs: {
    type: 'int',
    default: 0,
    min: 0,
    max: 1e6,
    help: 'train: stop after this many passes (0 = 1 unless --steps/--minutes)',
  },
  minutes: {
    type: 'number',
    default: 0,
    min: 0,
    help: 'train/seq2seq: training-time budget in minutes (0 = no limit)',
  },
  val: {
    type: 'number',
    default: 0.1,
    min: 0,
    below: 1,
    help: 'train: fraction of the text (its tail) held out for validation',
  },
  'eval-every': { type: 'int', default: 200, min: 0, help: 'train: validate every N updates (0 = only at the end)' },
  'eval-tokens': {
    type: 'int',
    default: 16384,
    min: 1,
    help: 'train: tokens per periodic validation (the end one uses all)',
  },
  length: {
    type: 'int',
    default: 500,
    min: 0,
    max: 1e7,
    help: 'sample: tokens to generate (train: sample this many at the end)',
  },
  temperature: {
    type: 'number',
    default: 1,
    min: 0,
    max: 1000,
    help: 'sample: softmax temperature (0 = most likely token)',
  },
  prime: { type: 'string', default: '', help: 'sample: text the sample continues' },
  unknown: {
    type: 'string',
    default: 'error',
    choices: ['error', 'skip'],
    help: 'prime/eval text with characters outside the vocabulary',
  },
  task: { type: 'string', default: 'reverse', choices: TOY_TASKS, help: 'seq2seq: toy task' },
  'max-len': {
    type: 'int',
    default: 0,
    min: 0,
    max: 1000,
    help: 'seq2seq: longest sequence (reverse) or most digits (addition); 0 = the task default',
  },
  'lsb-first': {
    type: 'boolean',
    default: false,
    help: 'seq2seq addition: write the sum least-significant digit first',
  },
  beam: { type: 'int', default: 1, min: 1, max: 64, help: 'seq2seq: beam width for the final evaluation (1 = greedy)' },
  'eval-n': {
    type: 'int',
    default: 2000,
    min: 1,
    max: 1e7,
    help: 'seq2seq: fresh examples for the final exact-match evaluation',
  },
  seed: { type: 'int', default: 1, help: 'seed for init, data order and sampling' },
  out: { type: 'string', help: 'train: run folder (default runs/lm-<file name>)' },
  force: { type: 'boolean', default: false, help: 'train: overwrite an existing run folder' },
  backend: { type: 'string', help: 'kernel backend (ts, wasm), or webgpu: train on the GPU' },
};

function optSpec(o: Record<string, any>): OptimizerSpec {
  if (!(o.lr > 0)) throw new UsageError(`--lr must be > 0, got ${o.lr}`);
  return { type: o.optimizer, lr: o.lr } as OptimizerSpec;
}

function readText(path: string | undefined): string {
  if (!path) throw new UsageError('--text FILE is required');
  const text = readInputText(path);
  if (text.length === 0) throw new InputError(`text file '${path}' is empty`);
  return text;
}

function loadModel(path: string | undefined, backend?: string, io?: CommandIO): RecurrentLM {
  if (!path) throw new UsageError('--model is required (a run folder or a checkpoint file)');
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'checkpoint.safetensors') : path;
  if (!existsSync(file)) throw new InputError(`no checkpoint at '${file}'`);
  const bytes = readInput(file);
  try {
    const r = RecurrentLM.fromBytes(bytes, hostBackend(backend));
    for (const n of r.notes) io?.err(`recur lm: note: ${file}: ${n}`);
    return r.lm;
  } catch (e) {
    if (e instanceof SafetensorsError) throw new InputError(`${file}: ${e.message}`);
    throw e;
  }
}

function encode(vocab: Vocab, text: string, policy: UnknownPolicy): Int32Array {
  try {
    return vocab.encode(text, { onUnknown: policy });
  } catch (e) {
    throw new InputError((e as Error).message);
  }
}

async function train(o: Record<string, any>, io: CommandIO): Promise<number> {
  o = { ...o, embed: o.embed ?? 64, hidden: o.hidden ?? 256, batch: o.batch ?? 32, lr: o.lr ?? 0.002 };
  for (const k of ['embed', 'hidden', 'layers', 'batch', 'bptt'] as const)
    if (!(o[k] >= 1)) throw new UsageError(`--${k} must be >= 1, got ${o[k]}`);
  const text = readText(o.text);
  const vocab =
    o.level === 'word'
      ? WordVocab.fromText(text, { maxSize: o.maxVocab, lowercase: o.lowercase })
      : CharVocab.fromText(text);
  checkMemory(
    trainingBytes({
      cell: o.cell,
      input: o.embed,
      hidden: o.hidden,
      layers: o.layers,
      output: vocab.size,
      T: o.bptt,
      batch: o.batch,
      threads: 1,
    }) +
      16 * vocab.size * o.embed,
    `--hidden ${o.hidden} --layers ${o.layers} --embed ${o.embed} --bptt ${o.bptt} --batch ${o.batch} ` +
      `(${vocab.size} tokens)`,
    'lower one of them',
  );
  const ids = vocab.encode(text);
  const { train: tr, val } = splitIds(ids, o.val);
  if (tr.length < 2 * o.batch)
    throw new InputError(`the training text has ${tr.length} tokens: too few for --batch ${o.batch} streams`);
  if (o.val > 0 && val.length < 4)
    throw new InputError(`the validation split has ${val.length} tokens; use a longer text or a larger --val`);
  const dir = o.out ?? `runs/lm-${basename(o.text).replace(/\.[^.]*$/, '')}`;
  if (existsSync(join(dir, 'checkpoint.safetensors')) && !o.force)
    throw new InputError(`run folder '${dir}' already has a checkpoint; use --force to overwrite`);
  const run = RunDir.create(dir);
  const lm = RecurrentLM.create(
    vocab,
    { cell: o.cell, embedDim: o.embed, hiddenSize: o.hidden, numLayers: o.layers, seed: o.seed },
    hostBackend(o.backend),
  );
  const spec = optSpec(o);
  run.writeJSON('config.json', {
    command: 'lm train',
    text: o.text,
    level: o.level,
    vocab_size: vocab.size,
    train_tokens: tr.length,
    val_tokens: val.length,
    model: lm.model.config,
    optimizer: spec,
    batch: o.batch,
    bptt: o.bptt,
    clip: o.clip,
    steps: o.steps,
    epochs: o.epochs,
    minutes: o.minutes,
  });
  const positions = Math.floor(tr.length / o.batch) - 1,
    perEpoch = Math.ceil(positions / o.bptt);
  const total = o.steps || (o.epochs ? Math.ceil(o.epochs * perEpoch) : o.minutes ? 0 : perEpoch);
  const progress = new Progress(io, total || perEpoch, o.json);
  let lastEval = NaN;
  const opts: TrainLMOptions = {
    batch: o.batch,
    bptt: o.bptt,
    optimizer: spec,
    clipNorm: o.clip > 0 ? o.clip : undefined,
    steps: o.steps || undefined,
    epochs: o.epochs || undefined,
    maxSeconds: o.minutes ? o.minutes * 60 : undefined,
    val: val.length >= 4 ? val : undefined,
    evalEvery: o.evalEvery,
    evalTokens: o.evalTokens,
    onLog: (r) => {
      if (r.kind === 'eval') {
        run.log(r);
        lastEval = r.bits_per_token as number;
        return;
      }
      if ((r.step as number) % 10 === 0) run.log(r);
      progress.update(r.step as number, {
        loss: r.loss as number,
        'val bits': lastEval,
        'tok/s': Math.round(r.tokens_per_s as number),
      });
    },
  };
  const res =
    o.backend === 'webgpu'
      ? await withGpu(lm.model, (gpu) => trainLMOnDevice(lm, gpu, tr, opts))
      : trainLM(lm, tr, opts);
  run.saveCheckpoint(
    lm.toBytes(
      { step: res.steps, train: { seconds: res.seconds, epochs: res.epochs } },
      { opt: res.optimizer, spec: res.optimizerSpec },
    ),
  );
  const sample =
    o.length > 0 ? lm.sample({ length: Math.min(o.length, 2000), temperature: o.temperature || 0, seed: o.seed }) : '';
  const unit = vocab.type === 'char' ? 'char' : 'word';
  const result = {
    text: o.text,
    level: o.level,
    vocab_size: vocab.size,
    cell: o.cell,
    hidden: o.hidden,
    layers: o.layers,
    steps: res.steps,
    epochs: res.epochs,
    epochs_seen: Number((res.tokens / (positions * o.batch)).toFixed(4)),
    seconds: Number(res.seconds.toFixed(2)),
    tokens_per_s: Math.round(res.tokensPerSecond),
    train_loss: res.trainLoss,
    val_loss: res.val?.loss ?? null,
    [`val_bits_per_${unit}`]: res.val?.bitsPerToken ?? null,
    val_perplexity: res.val?.perplexity ?? null,
    val_tokens: res.val?.tokens ?? 0,
    stopped: res.stopped,
    run: dir,
  };
  run.writeJSON('result.json', result);
  if (o.json) {
    io.out(JSON.stringify(result));
    return 0;
  }
  io.out(
    `${res.steps} updates (${result.epochs_seen} epochs) in ${res.seconds.toFixed(1)} s, ` +
      `${result.tokens_per_s} tokens/s; ` +
      (res.val
        ? `validation ${res.val.bitsPerToken.toFixed(4)} bits/${unit} (perplexity ` +
          `${res.val.perplexity.toFixed(2)}) on ${res.val.tokens} ${unit}s`
        : 'no validation split') +
      `; run folder ${dir}`,
  );
  if (sample) io.out(`--- sample (seed ${o.seed}) ---\n${sample}`);
  return 0;
}

async function sample(o: Record<string, any>, io: CommandIO): Promise<number> {
  const lm = loadModel(o.model, o.backend, io);
  if (!(o.length >= 0)) throw new UsageError(`--length must be >= 0, got ${o.length}`);
  if (!(o.temperature >= 0)) throw new UsageError(`--temperature must be >= 0, got ${o.temperature}`);
  if (o.prime) encode(lm.vocab, o.prime, o.unknown); // a clear exit-3 error before any work
  const text = lm.sample({
    length: o.length,
    temperature: o.temperature,
    seed: o.seed,
    prime: o.prime,
    onUnknown: o.unknown,
  });
  if (o.json) io.out(JSON.stringify({ sample: text, seed: o.seed, temperature: o.temperature, length: o.length }));
  else io.out(text);
  return 0;
}

async function evaluate(o: Record<string, any>, io: CommandIO): Promise<number> {
  const lm = loadModel(o.model, o.backend, io);
  const ids = encode(lm.vocab, readText(o.text), o.unknown);
  if (ids.length < 4) throw new InputError(`'${o.text}' has ${ids.length} known tokens; need at least 4`);
  const ev = lm.evaluate(ids, { B: o.batch ?? 32, T: o.bptt });
  const unit = lm.vocab.type;
  if (o.json)
    io.out(
      JSON.stringify({
        text: o.text,
        loss: ev.loss,
        [`bits_per_${unit}`]: ev.bitsPerToken,
        perplexity: ev.perplexity,
        tokens: ev.tokens,
      }),
    );
  else
    io.out(
      `${ev.bitsPerToken.toFixed(4)} bits/${unit}, perplexity ${ev.perplexity.toFixed(3)}, loss ` +
        `${ev.loss.toFixed(4)} nats over ${ev.tokens} ${unit}s`,
    );
  return 0;
}

async function seq2seq(o: Record<string, any>, io: CommandIO): Promise<number> {
  for (const k of ['hidden', 'embed', 'batch'] as const)
    if (o[k] !== undefined && !(o[k] >= 1)) throw new UsageError(`--${k} must be >= 1, got ${o[k]}`);
  if (o.lr !== undefined && !(o.lr > 0)) throw new UsageError(`--lr must be > 0, got ${o.lr}`);
  if (!(o.beam >= 1)) throw new UsageError(`--beam must be >= 1, got ${o.beam}`);
  const res = runToyTask({
    task: o.task as ToyTaskName,
    maxLen: o.maxLen || undefined,
    lsbFirst: o.lsbFirst,
    cell: o.cell,
    hidden: o.hidden,
    embed: o.embed,
    batch: o.batch,
    lr: o.lr,
    steps: o.steps || undefined,
    maxSeconds: o.minutes ? o.minutes * 60 : undefined,
    seed: o.seed,
    beam: o.beam,
    evalN: o.evalN,
    onLog: (r: Record<string, number | string>) => {
      if (!o.json)
        io.err(
          Object.entries(r)
            .map(([k, v]) => `${k} ${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : v}`)
            .join('  '),
        );
    },
  });
  if (o.json) {
    io.out(JSON.stringify(res));
    return 0;
  }
  io.out(
    `${o.task}: exact match ${(res.exactMatch * 100).toFixed(2)}% of ${res.evalN} fresh examples ` +
      `(${res.beam > 1 ? `beam ${res.beam}` : 'greedy'}), ` +
      `${res.steps} updates in ${res.seconds.toFixed(1)} s`,
  );
  for (const ex of res.examples)
    io.out(`  ${ex.source} -> ${ex.output}${ex.output === ex.target ? '' : `   (want ${ex.target})`}`);
  return 0;
}

export const command: Command = {
  name: 'lm',
  summary: 'language models on a text file (train, sample, eval) and encoder-decoder toy tasks (seq2seq)',
  positionals: 'train|sample|eval|seq2seq',
  flags: FLAGS,
  details:
    'Examples:\n' +
    '  recur lm train --text ../shared/data/tinyshakespeare.txt --minutes 15 --out runs/shakespeare\n' +
    '  recur lm sample --model runs/shakespeare --prime "ROMEO:" --temperature 0.8 --length 400 --seed 7\n' +
    '  recur lm eval --model runs/shakespeare --text other.txt\n' +
    '  recur lm seq2seq --task addition --minutes 10 --beam 4\n' +
    'The vocabulary is built from the training text and saved in the checkpoint; characters outside it in\n' +
    '--prime or an eval text are an error (exit 3) unless --unknown skip drops them.',
  async run(o, pos, io) {
    const [sub, ...rest] = pos;
    if (rest.length) throw new UsageError(`unexpected argument '${rest[0]}'`);
    switch (sub) {
      case 'train':
        return train(o, io);
      case 'sample':
        return sample(o, io);
      case 'eval':
        return evaluate(o, io);
      case 'seq2seq':
        return seq2seq(o, io);
      default:
        throw new UsageError(
          sub
            ? `unknown subcommand '${sub}'; expected train, sample, eval or seq2seq`
            : 'give a subcommand: train, sample, eval or seq2seq',
        );
    }
  },
};
