/**
 * `recur lm train | sample | eval | seq2seq`: language models on any UTF-8 text file, and the
 * encoder-decoder toy tasks.
 *
 *   recur lm train --text input.txt --max-seconds 600   char-rnn: run folder with checkpoint + metrics
 *   recur lm sample --model runs/lm-input --prime "ROMEO:" --temperature 0.8 --seed 1
 *   recur lm eval --model runs/lm-input --text other.txt
 *   recur lm seq2seq --task addition --max-seconds 600  reversal / "123+45=" to exact match
 */
import { existsSync, statSync } from 'node:fs';
import { readInput, readInputText } from '../node/files.js';
import { join } from 'node:path';
import type { Command, CommandIO, FlagSpec } from './args.js';
import { InputError, UsageError, camel } from './args.js';
import { SafetensorsError } from '../safetensors.js';
import type { UnknownPolicy, Vocab } from '../lm/vocab.js';
import { RecurrentLM } from '../lm/lm.js';
import { lmTrain } from './lm_train.js';
import { decodeTarget, encodeSource, exactMatch, runToyTask, TOY_TASKS, type ToyTaskName } from '../lm/toy.js';
import { loadSeq2Seq, saveSeq2Seq } from '../lm/encdec_io.js';
import { RunDir } from '../node/rundir.js';
import { CELL_NAMES } from '../layers/cells/index.js';
import { snakeKeys } from './json.js';

const FLAGS: Record<string, FlagSpec> = {
  text: { only: ['train', 'eval', 'decode'], type: 'string', help: 'train/eval: UTF-8 text file' },
  model: {
    only: ['sample', 'eval', 'decode'],
    type: 'string',
    help: 'sample/eval/decode: a run folder or checkpoint.safetensors file',
  },
  resume: {
    only: ['train'],
    type: 'string',
    help: 'train: continue this run folder bit-exactly (its config.json; new --steps/--max-seconds)',
  },
  level: {
    only: ['train'],
    type: 'string',
    default: 'char',
    choices: ['char', 'word'],
    help: 'train: tokens are characters or words',
  },
  'max-vocab': {
    only: ['train'],
    type: 'int',
    default: 10000,
    min: 1,
    max: 1e7,
    help: 'train --level word: most frequent words kept (rest -> <unk>)',
  },
  lowercase: { only: ['train'], type: 'boolean', default: false, help: 'train --level word: lowercase the text first' },
  cell: { only: ['train', 'seq2seq'], type: 'string', default: 'lstm', choices: CELL_NAMES, help: 'recurrent cell' },
  embed: {
    only: ['train', 'seq2seq'],
    type: 'int',
    min: 1,
    max: 16384,
    help: 'embedding width (default: 64; seq2seq 16)',
  },
  hidden: {
    only: ['train', 'seq2seq'],
    type: 'int',
    min: 1,
    max: 16384,
    help: 'hidden units per layer (default: 256; seq2seq 128)',
  },
  layers: { only: ['train'], type: 'int', default: 1, min: 1, max: 64, help: 'stacked recurrent layers' },
  dropout: {
    only: ['train'],
    type: 'number',
    default: 0,
    min: 0,
    below: 1,
    help: 'train: dropout between stacked layers (PyTorch LSTM dropout)',
  },
  'input-dropout': {
    only: ['train'],
    type: 'number',
    default: 0,
    min: 0,
    below: 1,
    help: 'train: dropout on the embeddings',
  },
  'output-dropout': {
    only: ['train'],
    type: 'number',
    default: 0,
    min: 0,
    below: 1,
    help: 'train: dropout on the top layer output, before the head',
  },
  batch: {
    only: ['train', 'eval', 'seq2seq'],
    type: 'int',
    min: 1,
    max: 65536,
    help: 'parallel streams B, or examples per step for seq2seq (default: 32; seq2seq 64)',
  },
  bptt: { only: ['train', 'eval'], type: 'int', default: 64, min: 1, max: 100000, help: 'truncated BPTT length T' },
  optimizer: {
    only: ['train'],
    type: 'string',
    default: 'adam',
    choices: ['sgd', 'rmsprop', 'adam', 'adamw'],
    help: 'optimiser',
  },
  lr: { only: ['train', 'seq2seq'], type: 'number', above: 0, help: 'learning rate (default: 0.002; seq2seq 0.005)' },
  'weight-decay': {
    only: ['train'],
    type: 'number',
    default: 0,
    min: 0,
    help: 'train: weight decay (L2; decoupled with adamw)',
  },
  clip: { only: ['train'], type: 'number', default: 5, min: 0, help: 'clip the gradient global norm (0 = off)' },
  schedule: {
    only: ['train'],
    type: 'string',
    default: 'constant',
    choices: ['constant', 'cosine'],
    help: 'train: learning-rate schedule; cosine decays over --decay-steps, or over --max-seconds when only it is set',
  },
  warmup: { only: ['train'], type: 'int', default: 0, min: 0, max: 1e9, help: 'train: linear warm-up steps' },
  'decay-steps': {
    only: ['train'],
    type: 'int',
    default: 0,
    min: 0,
    max: 1e9,
    help: 'train: steps the cosine decays over (0 = --steps, or --epochs)',
  },
  'min-lr': {
    only: ['train'],
    type: 'number',
    default: 0,
    min: 0,
    help: 'train: learning rate at the end of the cosine',
  },
  steps: {
    only: ['train', 'seq2seq'],
    type: 'int',
    min: 0,
    max: 1e9,
    help: 'train: stop after this many updates in total (0 = no limit)',
  },
  epochs: {
    only: ['train'],
    type: 'int',
    min: 0,
    max: 1e6,
    help: 'train: stop after this many passes (0 = 1 unless --steps/--max-seconds)',
  },
  'max-seconds': {
    only: ['train', 'seq2seq'],
    type: 'number',
    min: 0,
    help: 'train/seq2seq: also stop after this much training time, in seconds (0 = no limit; steps decide results)',
  },
  minutes: { only: ['train', 'seq2seq'], type: 'number', min: 0, renamed: { use: 'max-seconds', scale: 60 }, help: '' },
  threads: {
    only: ['train'],
    type: 'int',
    min: 1,
    max: 256,
    help: 'train: data-parallel threads, each carrying its rows of streams (default: one per core)',
  },
  val: {
    only: ['train'],
    type: 'number',
    default: 0.1,
    min: 0,
    below: 1,
    help: 'train: fraction of the text (its tail) held out for validation',
  },
  dev: {
    only: ['train'],
    type: 'number',
    default: 0,
    min: 0,
    below: 1,
    help: 'train: evaluate on this fraction carved from the end of the training part instead (choosing settings)',
  },
  'eval-every': {
    only: ['train'],
    type: 'int',
    default: 200,
    min: 0,
    help: 'train: validate every N updates (0 = only at the end)',
  },
  'eval-tokens': {
    only: ['train'],
    type: 'int',
    default: 16384,
    min: 1,
    help: 'train: tokens per periodic validation (the end one uses all)',
  },
  'eval-batch': {
    only: ['train'],
    type: 'int',
    default: 16,
    min: 1,
    max: 65536,
    help: 'train: streams the validation text is read as (state carried)',
  },
  'sample-every': {
    only: ['train'],
    type: 'int',
    default: 0,
    min: 0,
    help: 'train: write a sample to samples.jsonl every N updates (0 = --eval-every)',
  },
  'sample-length': {
    only: ['train'],
    type: 'int',
    default: 300,
    min: 0,
    max: 1e6,
    help: 'train: tokens per sample (0 = none)',
  },
  ngram: {
    only: ['train'],
    type: 'int',
    default: 0,
    min: 0,
    max: 9,
    help: 'train: also fit an interpolated Kneser-Ney n-gram of this order on the same split (0 = none)',
  },
  'checkpoint-every': {
    only: ['train'],
    type: 'int',
    default: 500,
    min: 0,
    help: 'train: write the checkpoint every N updates (and at the end)',
  },
  length: { only: ['sample'], type: 'int', default: 500, min: 0, max: 1e7, help: 'sample: tokens to generate' },
  temperature: {
    only: ['train', 'sample'],
    type: 'number',
    default: 1,
    min: 0,
    max: 1000,
    help: 'sample/train samples: softmax temperature (0 = most likely token)',
  },
  prime: { only: ['sample'], type: 'string', default: '', help: 'sample: text the sample continues' },
  unknown: {
    only: ['sample', 'eval'],
    type: 'string',
    default: 'error',
    choices: ['error', 'skip'],
    help: 'prime/eval text with characters outside the vocabulary',
  },
  task: { only: ['seq2seq'], type: 'string', default: 'reverse', choices: TOY_TASKS, help: 'seq2seq: toy task' },
  'max-len': {
    only: ['seq2seq'],
    type: 'int',
    default: 0,
    min: 0,
    max: 1000,
    help: 'seq2seq: longest sequence (reverse) or most digits (addition); 0 = the task default',
  },
  'lsb-first': {
    only: ['seq2seq'],
    type: 'boolean',
    default: false,
    help: 'seq2seq addition: write the sum least-significant digit first',
  },
  beam: {
    only: ['seq2seq', 'decode'],
    type: 'int',
    default: 1,
    min: 1,
    max: 64,
    help: 'seq2seq/decode: beam width (1 = greedy)',
  },
  'eval-n': {
    only: ['seq2seq', 'decode'],
    type: 'int',
    min: 1,
    max: 1e7,
    help: 'seq2seq: fresh examples for the final exact-match evaluation (default 2000); decode: score this many',
  },
  seed: {
    only: ['train', 'sample', 'seq2seq'],
    type: 'int',
    default: 1,
    help: 'seed for init, data order and sampling',
  },
  out: {
    only: ['train', 'seq2seq'],
    type: 'string',
    help: 'train/seq2seq: run folder (train default runs/lm-<file name>)',
  },
  force: {
    only: ['train', 'seq2seq'],
    type: 'boolean',
    default: false,
    help: 'train/seq2seq: overwrite an existing run folder',
  },
  backend: {
    only: ['train', 'sample', 'eval', 'decode'],
    type: 'string',
    choices: ['ts', 'wasm', 'webgpu'],
    help: 'kernel backend, or webgpu: train on the GPU (train only)',
  },
};

/** Flags `lm train --resume` takes: new totals; everything else comes from the run's config.json. */
const RESUME_FLAGS = new Set(['resume', 'steps', 'epochs', 'max-seconds', 'minutes', 'threads', 'backend']);

/** A flag given with --resume that the run's config.json overrides would do nothing: refuse it (exit 2). */
function refuseWithResume(o: Record<string, any>): void {
  for (const [k, s] of Object.entries(FLAGS)) {
    if (RESUME_FLAGS.has(k) || s.renamed) continue;
    const v = o[camel(k)];
    if (v !== undefined && JSON.stringify(v) !== JSON.stringify(s.default))
      throw new UsageError(
        `--${k} has no effect with --resume (the run's config.json decides it); ` +
          'only --steps, --epochs, --max-seconds, --threads and --backend may change',
      );
  }
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
    const r = RecurrentLM.fromBytes(bytes, backend);
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
      `${ev.bitsPerToken.toFixed(4)} bits/${unit}, perplexity ${ev.perplexity.toFixed(3)}, ` +
        `loss ${ev.loss.toFixed(4)} nats over ${ev.tokens} ${unit}s`,
    );
  return 0;
}

async function seq2seq(o: Record<string, any>, io: CommandIO): Promise<number> {
  for (const k of ['hidden', 'embed', 'batch'] as const)
    if (o[k] !== undefined && !(o[k] >= 1)) throw new UsageError(`--${k} must be >= 1, got ${o[k]}`);
  if (o.lr !== undefined && !(o.lr > 0)) throw new UsageError(`--lr must be > 0, got ${o.lr}`);
  if (!(o.beam >= 1)) throw new UsageError(`--beam must be >= 1, got ${o.beam}`);
  if (o.out && existsSync(join(o.out, 'checkpoint.safetensors')) && !o.force)
    throw new InputError(`run folder '${o.out}' already has a model; use --force to overwrite`);
  const run = o.out ? RunDir.create(o.out) : null;
  run?.clear();
  const { model, toyTask, ...res } = runToyTask({
    task: o.task as ToyTaskName,
    maxLen: o.maxLen || undefined,
    lsbFirst: o.lsbFirst,
    cell: o.cell,
    hidden: o.hidden,
    embed: o.embed,
    batch: o.batch,
    lr: o.lr,
    steps: o.steps || undefined,
    maxSeconds: o.maxSeconds || undefined,
    seed: o.seed,
    beam: o.beam,
    evalN: o.evalN,
    onLog: (r: Record<string, number | string>) => {
      run?.log({ kind: 'train', ...r });
      if (!o.json)
        io.err(
          Object.entries(r)
            .map(([k, v]) => `${k} ${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : v}`)
            .join('  '),
        );
    },
  });
  if (run) {
    run.writeJSON('config.json', snakeKeys({ command: 'lm seq2seq', task: o.task, ...res.config }));
    run.saveCheckpoint(
      saveSeq2Seq(model, toyTask, {
        maxLen: o.maxLen || null,
        lsbFirst: o.lsbFirst,
        extra: {
          steps: res.steps,
          exact_match: res.exactMatch,
          eval_n: res.evalN,
          eval_seed: res.evalSeed,
          beam: res.beam,
        },
      }),
    );
    run.writeJSON('result.json', snakeKeys({ ...res, run: run.path }));
  }
  if (o.json) {
    io.out(JSON.stringify(snakeKeys({ ...res, run: run?.path ?? null })));
    return 0;
  }
  io.out(
    `${o.task}: exact match ${(res.exactMatch * 100).toFixed(2)}% of ${res.evalN} fresh examples ` +
      `(${res.beam > 1 ? `beam ${res.beam}` : 'greedy'}), ` +
      `${res.steps} updates in ${res.seconds.toFixed(1)} s` +
      (run ? `; model saved in ${run.path}` : ''),
  );
  for (const ex of res.examples)
    io.out(`  ${ex.source} -> ${ex.output}${ex.output === ex.target ? '' : `   (want ${ex.target})`}`);
  return 0;
}

/** `recur lm decode --model DIR [SOURCE ...]`: decodes sources (arguments, or lines of --text) with a saved model. */
async function decode(o: Record<string, any>, sources: string[], io: CommandIO): Promise<number> {
  if (!o.model) throw new UsageError('--model is required (a folder written by lm seq2seq --out, or its file)');
  if (!(o.beam >= 1)) throw new UsageError(`--beam must be >= 1, got ${o.beam}`);
  const file =
    existsSync(o.model) && statSync(o.model).isDirectory() ? join(o.model, 'checkpoint.safetensors') : o.model;
  if (!existsSync(file)) throw new InputError(`no model at '${file}'`);
  let loaded: ReturnType<typeof loadSeq2Seq>;
  try {
    loaded = loadSeq2Seq(readInput(file), o.backend);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new InputError(`${file}: ${e.message}`);
    throw e;
  }
  const { model, task, meta } = loaded;
  const srcs = [...sources];
  if (o.text)
    srcs.push(
      ...readText(o.text)
        .split(/\r?\n/)
        .filter((l) => l.length > 0),
    );
  const ids = srcs.map((s, i) => {
    try {
      return encodeSource(task, s);
    } catch (e) {
      throw new InputError(`source ${i + 1} ('${s}'): ${(e as Error).message}`);
    }
  });
  const maxLen = task.name === 'addition' ? 12 : 40;
  const outputs = ids.length
    ? model.decode(ids, { beam: o.beam, maxLen }).tokens.map((t) => decodeTarget(task, t))
    : [];
  // --eval-n given: the exact match on fresh examples, from the same seed as the saved score
  const evalSeed = Number(meta.extra?.eval_seed ?? 0);
  const em = o.evalN !== undefined ? exactMatch(model, task, o.evalN, evalSeed, o.beam) : null;
  if (o.evalN !== undefined && !(o.evalN >= 1)) throw new UsageError(`--eval-n must be >= 1, got ${o.evalN}`);
  if (!ids.length && !em) throw new UsageError('give sources to decode (arguments or --text FILE), or --eval-n N');
  if (o.json) {
    io.out(
      JSON.stringify({
        task: task.name,
        beam: o.beam,
        outputs: srcs.map((source, i) => ({ source, output: outputs[i] })),
        ...(em ? { exact_match: em.rate, eval_n: o.evalN, eval_seed: evalSeed } : {}),
      }),
    );
    return 0;
  }
  srcs.forEach((s, i) => io.out(`${s} -> ${outputs[i]}`));
  if (em) io.out(`exact match ${(em.rate * 100).toFixed(2)}% of ${o.evalN} fresh examples (seed ${evalSeed})`);
  return 0;
}

export const command: Command = {
  name: 'lm',
  summary: 'language models on a text file (train, sample, eval) and encoder-decoder toy tasks (seq2seq, decode)',
  positionals: 'train|sample|eval|seq2seq|decode [SOURCE ...]',
  flags: FLAGS,
  subcommands: { train: '', sample: '', eval: '', seq2seq: '', decode: '[SOURCE ...]' },
  details:
    'Examples:\n' +
    '  recur lm train --text ../shared/data/tinyshakespeare.txt --max-seconds 900 --out runs/shakespeare\n' +
    '  recur lm sample --model runs/shakespeare --prime "ROMEO:" --temperature 0.8 --length 400 --seed 7\n' +
    '  recur lm eval --model runs/shakespeare --text other.txt\n' +
    '  recur lm train --resume runs/shakespeare --max-seconds 1200   (continues bit-exactly)\n' +
    '  recur lm seq2seq --task addition --max-seconds 600 --beam 4 --out runs/addition\n' +
    '  recur lm decode --model runs/addition 123+45= 9+9=\n' +
    'The vocabulary is built from the training text and saved in the checkpoint; characters outside it in\n' +
    '--prime or an eval text are an error (exit 3) unless --unknown skip drops them.',
  async run(o, pos, io) {
    const [sub, ...rest] = pos;
    // Only training has a GPU path; sampling, evaluation and decoding run on the CPU kernels.
    if (o.backend === 'webgpu' && (sub === 'sample' || sub === 'eval' || sub === 'decode'))
      throw new UsageError(`--backend webgpu is for lm train; lm ${sub} runs on the CPU (--backend ts or wasm)`);
    if (sub === 'decode') return decode(o, rest, io);
    if (rest.length) throw new UsageError(`unexpected argument '${rest[0]}'`);
    switch (sub) {
      case 'train':
        if (o.resume) refuseWithResume(o);
        return lmTrain(o, io);
      case 'sample':
        return sample(o, io);
      case 'eval':
        return evaluate(o, io);
      case 'seq2seq':
        return seq2seq(o, io);
      default:
        throw new UsageError(
          sub
            ? `unknown subcommand '${sub}'; expected train, sample, eval, seq2seq or decode`
            : 'give a subcommand: train, sample, eval, seq2seq or decode',
        );
    }
  },
};
