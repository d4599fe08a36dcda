/**
 * `recur lm train`: a language model on a text file, in a run folder (config.json, metrics.jsonl,
 * samples.jsonl, checkpoint.safetensors, result.json), and `recur lm train --resume RUN`, which
 * continues it bit-exactly from its checkpoint (parameters, optimiser, carried state of every
 * stream, dropout generators, step and stream position).
 *
 * Splits: the text's tail (`--val`, 10%) is the reported validation set. `--dev F` carves a
 * selection split from the end of the training part instead and evaluates only on it, so
 * settings are chosen without looking at the tail.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readInput, readInputText } from '../node/files.js';
import { checkMemory, trainingBytes } from './memory.js';
import { cpus, loadavg } from 'node:os';
import { basename, join } from 'node:path';
import type { CommandIO } from './args.js';
import { InputError, UsageError } from './args.js';
import { RunDir } from '../node/rundir.js';
import { dataParallel, defaultThreads } from '../node/parallel.js';
import type { RngState } from '../random.js';
import { SafetensorsError } from '../safetensors.js';
import { CharVocab, WordVocab } from '../lm/vocab.js';
import { splitIds } from '../lm/corpus.js';
import { RecurrentLM } from '../lm/lm.js';
import { type LMPosition, type TimeSchedule, type TrainLMOptions, trainLM, trainLMOnDevice } from '../lm/train.js';
import { hostBackend, withGpu } from './training.js';
import { KneserNey } from '../lm/ngram.js';
import type { Optimizer, OptimizerSpec } from '../train/optim.js';
import type { ScheduleSpec } from '../train/schedule.js';
import type { SequenceModelConfig } from '../layers/model.js';
import { Progress } from './progress.js';
import { snakeKeys } from './json.js';

/** Everything a run needs to be continued: written to config.json, read back by --resume. */
export interface LMRunConfig {
  command: 'lm train';
  text: string;
  text_sha256: string;
  level: 'char' | 'word';
  max_vocab: number;
  lowercase: boolean;
  vocab_size: number;
  val: number;
  dev: number;
  evaluated_on: string;
  train_tokens: number;
  val_tokens: number;
  model: SequenceModelConfig;
  optimizer: OptimizerSpec;
  batch: number;
  bptt: number;
  clip: number;
  schedule: { type: string; warmup: number; min_lr: number; decay_steps: number; over: 'steps' | 'time' | 'none' };
  steps: number;
  epochs: number;
  /** Training-time budget in seconds (0 = none); runs before issue 16 stored `minutes`. */
  max_seconds: number;
  minutes?: number;
  eval_every: number;
  eval_tokens: number;
  eval_batch: number;
  ngram: number;
  sample_every: number;
  sample_length: number;
  temperature: number;
  checkpoint_every: number;
  threads: number;
  seed: number;
  backend: string;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function readText(path: string | undefined): string {
  if (!path) throw new UsageError('--text FILE is required');
  const text = readInputText(path);
  if (text.length === 0) throw new InputError(`text file '${path}' is empty`);
  return text;
}

/** The learning-rate schedule of a run: over steps (deterministic), over the time budget, or none. */
function schedules(c: LMRunConfig): { schedule?: ScheduleSpec; scheduleOverTime?: TimeSchedule } {
  const s = c.schedule;
  if (s.over === 'time')
    return { scheduleOverTime: { type: s.type as TimeSchedule['type'], warmup: s.warmup, minLr: s.min_lr } };
  if (s.type === 'cosine')
    return { schedule: { type: 'cosine', total: s.decay_steps, warmup: s.warmup, minLr: s.min_lr } };
  return s.warmup > 0 ? { schedule: { type: 'constant', warmup: s.warmup } } : {};
}

function load(): number[] {
  return loadavg().map((x) => Number(x.toFixed(2)));
}

/** `recur lm train` (new run) and `recur lm train --resume RUN`. */
export async function lmTrain(o: Record<string, any>, io: CommandIO): Promise<number> {
  const resume = typeof o.resume === 'string';
  let c: LMRunConfig, run: RunDir, lm: RecurrentLM, text: string;
  let opt: Optimizer | undefined, at: Partial<LMPosition> | undefined, rngs: RngState[][] | undefined;
  if (resume) {
    if (!existsSync(join(o.resume, 'config.json')) || !existsSync(join(o.resume, 'checkpoint.safetensors')))
      throw new InputError(`'${o.resume}' is not an lm run folder (config.json and checkpoint.safetensors)`);
    run = RunDir.open(o.resume);
    c = run.readJSON<LMRunConfig>('config.json');
    if (c.command !== 'lm train') throw new InputError(`'${o.resume}' is not an lm train run (${c.command})`);
    text = readText(c.text);
    if (sha256(text) !== c.text_sha256)
      throw new InputError(`'${c.text}' has changed since the run started (sha256 differs); cannot resume`);
    try {
      if ((o.backend ?? c.backend) === 'webgpu')
        throw new UsageError('--resume runs on the CPU (the GPU path does not restore a run yet): use --backend wasm');
      const ck = RecurrentLM.fromBytes(
        readInput(run.file('checkpoint.safetensors')),
        hostBackend(o.backend ?? c.backend),
      );
      for (const n of ck.notes) io.err(`recur lm: note: ${run.file('checkpoint.safetensors')}: ${n}`);
      lm = ck.lm;
      opt = ck.optimizer ?? undefined;
      at = (ck.meta.train as { position?: Partial<LMPosition> } | undefined)?.position;
      rngs = ck.meta.extra?.dropout_rngs as RngState[][] | undefined;
    } catch (e) {
      if (e instanceof SafetensorsError) throw new InputError(`${run.file('checkpoint.safetensors')}: ${e.message}`);
      throw e;
    }
    if (!opt || !at) throw new InputError(`${run.file('checkpoint.safetensors')} has no optimiser state or position`);
    // new totals may extend the run; everything else comes from config.json
    if (c.max_seconds === undefined) c.max_seconds = (c.minutes ?? 0) * 60; // a run folder from before issue 16
    delete c.minutes;
    for (const k of ['steps', 'epochs', 'threads'] as const) if (o[k] !== undefined) c[k] = o[k];
    if (o.maxSeconds !== undefined) c.max_seconds = o.maxSeconds;
    if (o.backend) c.backend = o.backend;
    run.writeJSON('config.json', c);
  } else {
    const d = { embed: 64, hidden: 256, batch: 32, lr: 0.002, steps: 0, epochs: 0, maxSeconds: 0, threads: 0 };
    for (const [k, v] of Object.entries(d)) if (o[k] === undefined) o[k] = v;
    for (const k of ['embed', 'hidden', 'layers', 'batch', 'bptt', 'eval-batch'] as const) {
      const v = o[k.replace(/-(\w)/g, (_, x: string) => x.toUpperCase())];
      if (!(v >= 1)) throw new UsageError(`--${k} must be >= 1, got ${v}`);
    }
    if (!(o.lr > 0)) throw new UsageError(`--lr must be > 0, got ${o.lr}`);
    if (!(o.ngram >= 0 && o.ngram <= 9)) throw new UsageError(`--ngram must be in 0..9, got ${o.ngram}`);
    if (!(o.dev >= 0 && o.dev < 1)) throw new UsageError(`--dev must be in [0, 1), got ${o.dev}`);
    if (!(o.val >= 0 && o.val < 1)) throw new UsageError(`--val must be in [0, 1), got ${o.val}`);
    text = readText(o.text);
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
        threads: o.threads || defaultThreads(),
      }) +
        16 * vocab.size * o.embed,
      `--hidden ${o.hidden} --layers ${o.layers} --embed ${o.embed} --bptt ${o.bptt} --batch ${o.batch} ` +
        `(${vocab.size} tokens)`,
      'lower one of them',
    );
    const dir = o.out ?? `runs/lm-${basename(o.text).replace(/\.[^.]*$/, '')}`;
    if (existsSync(join(dir, 'checkpoint.safetensors')) && !o.force)
      throw new InputError(`run folder '${dir}' already has a checkpoint; use --force to overwrite`);
    run = RunDir.create(dir);
    run.clear();
    lm = RecurrentLM.create(
      vocab,
      {
        cell: o.cell,
        embedDim: o.embed,
        hiddenSize: o.hidden,
        numLayers: o.layers,
        dropout: o.dropout,
        inputDropout: o.inputDropout,
        outputDropout: o.outputDropout,
        seed: o.seed,
      },
      hostBackend(o.backend),
    );
    const ids = vocab.encode(text),
      { train: trAll, val: tail } = splitIds(ids, o.val),
      { train: tr, val: dev } = o.dev > 0 ? splitIds(trAll, o.dev) : { train: trAll, val: tail };
    const positions = Math.floor(tr.length / o.batch) - 1,
      perEpoch = Math.ceil(positions / o.bptt);
    const over =
      o.schedule === 'constant' && !o.warmup ? 'none' : o.maxSeconds && !o.steps && !o.decaySteps ? 'time' : 'steps';
    const decay = o.decaySteps || o.steps || (o.epochs ? o.epochs * perEpoch : perEpoch);
    c = {
      command: 'lm train',
      text: o.text,
      text_sha256: sha256(text),
      level: o.level,
      max_vocab: o.maxVocab,
      lowercase: o.lowercase,
      vocab_size: vocab.size,
      val: o.val,
      dev: o.dev,
      evaluated_on:
        o.dev > 0
          ? `dev: the last ${o.dev} of the training part (the text's tail is not used)`
          : `the text's last ${o.val}`,
      train_tokens: tr.length,
      val_tokens: dev.length,
      model: lm.model.config,
      optimizer: {
        type: o.optimizer,
        lr: o.lr,
        ...(o.weightDecay ? { weightDecay: o.weightDecay } : {}),
      } as OptimizerSpec,
      batch: o.batch,
      bptt: o.bptt,
      clip: o.clip,
      schedule: {
        type: o.schedule,
        warmup: o.warmup,
        min_lr: o.minLr,
        decay_steps: over === 'steps' ? decay : 0,
        over,
      },
      steps: o.steps,
      epochs: o.epochs,
      max_seconds: o.maxSeconds,
      eval_every: o.evalEvery,
      eval_tokens: o.evalTokens,
      eval_batch: o.evalBatch,
      ngram: o.ngram,
      sample_every: o.sampleEvery || o.evalEvery,
      sample_length: o.sampleLength,
      temperature: o.temperature,
      checkpoint_every: o.checkpointEvery,
      threads: o.backend === 'webgpu' ? 1 : o.threads || defaultThreads(),
      seed: o.seed,
      backend: o.backend === 'webgpu' ? 'webgpu' : lm.model.rnn.backend.name,
    };
    run.writeJSON('config.json', c);
  }
  const vocab = lm.vocab,
    ids = vocab.encode(text);
  const { train: trAll, val: tail } = splitIds(ids, c.val),
    { train: tr, val } = c.dev > 0 ? splitIds(trAll, c.dev) : { train: trAll, val: tail };
  if (tr.length < 2 * c.batch)
    throw new InputError(`the training text has ${tr.length} tokens: too few for --batch ${c.batch} streams`);
  if ((c.val > 0 || c.dev > 0) && val.length < 4)
    throw new InputError(`the validation split has ${val.length} tokens; use a longer text or a larger --val/--dev`);
  const loadStart = load();
  const positions = Math.floor(tr.length / c.batch) - 1,
    perEpoch = Math.ceil(positions / c.bptt);
  const total = c.steps || (c.epochs ? Math.ceil(c.epochs * perEpoch) : c.max_seconds ? 0 : perEpoch);
  const progress = new Progress(io, total || perEpoch, o.json);
  const unit = vocab.type === 'char' ? 'char' : 'word';
  if (!o.json)
    io.err(
      `${resume ? 'resuming' : 'training'} ${c.model.numLayers ?? 1}x${c.model.hiddenSize} ${c.model.cell} ` +
        `(embed ${c.model.embedDim}, dropout ${c.model.dropout ?? 0} between layers, ${c.model.inputDropout ?? 0} ` +
        `in, ${c.model.outputDropout ?? 0} out; ${lm.model.params.size} parameters) on ${tr.length} ${unit}s, ` +
        `B ${c.batch} x T ${c.bptt}, ${c.threads} thread(s), ${c.optimizer.type} lr ${c.optimizer.lr} ` +
        `${c.schedule.type} over ${c.schedule.over}; ` +
        `evaluating on ${c.evaluated_on}` +
        (at ? `; from step ${at.step}` : ''),
    );
  const gpu = c.backend === 'webgpu';
  const dp = gpu ? null : await dataParallel(lm.model, { threads: c.threads, backend: c.backend });
  let lastEval = Number.NaN,
    lastSample = -1;
  const opts: TrainLMOptions = {
    batch: c.batch,
    bptt: c.bptt,
    optimizer: c.optimizer,
    clipNorm: c.clip > 0 ? c.clip : undefined,
    ...schedules(c),
    steps: c.steps || undefined,
    epochs: c.epochs || undefined,
    maxSeconds: c.max_seconds || undefined,
    val: val.length >= 4 ? val : undefined,
    evalEvery: c.eval_every,
    evalTokens: c.eval_tokens,
    evalBatch: c.eval_batch,
    source: dp ?? undefined,
    opt,
    resume: at,
    checkpointEvery: c.checkpoint_every,
    // on the GPU the host model has just been brought up to date (its carried state included)
    onCheckpoint: (pos, optimizer, spec) =>
      run.saveCheckpoint(
        lm.toBytes(
          { step: pos.step, train: { position: pos }, ...(dp ? { extra: { dropout_rngs: dp.getRngStates() } } : {}) },
          { opt: optimizer, spec },
          dp?.getState(),
        ),
      ),
    sampleEvery: c.sample_length > 0 ? c.sample_every : 0,
    onSample: (step) => {
      lastSample = step;
      run.append('samples.jsonl', {
        step,
        temperature: c.temperature,
        seed: c.seed,
        text: lm.sample({ length: c.sample_length, temperature: c.temperature, seed: c.seed }),
      });
    },
    onLog: (r) => {
      if (r.kind === 'eval') {
        run.log({ ...r, [`bits_per_${unit}`]: r.bits_per_token });
        lastEval = r.bits_per_token as number;
        return;
      }
      if ((r.step as number) % 10 === 0) run.log(r);
      progress.update(r.step as number, {
        loss: r.loss as number,
        'val bits': Number.isNaN(lastEval) ? '-' : lastEval, // '-' until the first evaluation
        'tok/s': Math.round(r.tokens_per_s as number),
      });
    },
  };
  let res: ReturnType<typeof trainLM>;
  if (gpu) res = await withGpu(lm.model, (g) => trainLMOnDevice(lm, g, tr, opts));
  else
    try {
      if (at && c.threads > 1) dp!.setState(lm.model.getState()); // the saved rows go back to their threads
      if (rngs) dp!.setRngStates(rngs); // each thread's dropout generators continue where they were
      res = trainLM(lm, tr, opts);
    } finally {
      await dp!.close();
    }
  const sample =
    c.sample_length > 0 ? lm.sample({ length: c.sample_length, temperature: c.temperature, seed: c.seed }) : '';
  if (sample && lastSample !== res.steps)
    run.append('samples.jsonl', { step: res.steps, temperature: c.temperature, seed: c.seed, text: sample });
  // the n-gram baseline on exactly the targets the recurrent model's validation scored
  const evalStreams = Math.max(1, Math.min(c.eval_batch, Math.floor(val.length / 2)));
  const kn = c.ngram > 0 && res.val ? new KneserNey(tr, { order: c.ngram, vocabSize: vocab.size }) : null;
  const ng = kn ? kn.evaluate(val, { streams: evalStreams }) : null;
  const cpu = cpus();
  const result = {
    text: c.text,
    level: c.level,
    vocab_size: vocab.size,
    cell: c.model.cell,
    hidden: c.model.hiddenSize,
    layers: c.model.numLayers ?? 1,
    dropout: { between: c.model.dropout ?? 0, input: c.model.inputDropout ?? 0, output: c.model.outputDropout ?? 0 },
    parameters: lm.model.params.size,
    steps: res.steps,
    epochs: res.epochs,
    epochs_seen: Number((res.tokens / (positions * c.batch)).toFixed(4)),
    seconds: Number(res.seconds.toFixed(2)),
    tokens: res.tokens,
    tokens_per_s: Math.round(res.tokensPerSecond),
    train_loss: res.trainLoss,
    evaluated_on: c.evaluated_on,
    val_loss: res.val?.loss ?? null,
    [`val_bits_per_${unit}`]: res.val?.bitsPerToken ?? null,
    val_perplexity: res.val?.perplexity ?? null,
    val_tokens: res.val?.tokens ?? 0,
    ngram: ng
      ? {
          model: `interpolated Kneser-Ney, modified discounts, order ${c.ngram}`,
          loss: ng.loss,
          [`bits_per_${unit}`]: ng.bitsPerToken,
          perplexity: ng.perplexity,
          tokens: ng.tokens,
        }
      : null,
    clip_events: res.clipEvents,
    skipped_steps: res.skippedSteps,
    stopped: res.stopped,
    resumed_from: at?.step ?? null,
    threads: c.threads,
    backend: c.backend,
    // which wasm build ran: 'simd', or 'relaxed-simd' with RECUR_RELAXED_SIMD=1 (machine-dependent roundings)
    wasm_build: c.backend === 'wasm' ? ((lm.model.rnn.backend as { build?: string }).build ?? null) : null,
    load_average: { start: loadStart, end: load() },
    machine: { cpu: cpu[0]?.model ?? 'unknown', cores: cpu.length, node: process.version },
    sample,
    config: c,
    run: run.path,
  };
  run.writeJSON('result.json', snakeKeys(result));
  if (o.json) {
    io.out(JSON.stringify(snakeKeys(result)));
    return 0;
  }
  io.out(
    `${res.steps} updates (${result.epochs_seen} epochs) in ${res.seconds.toFixed(1)} s, ` +
      `${result.tokens_per_s} tokens/s ` +
      `on ${c.threads} thread(s); ` +
      (res.val
        ? `validation ${res.val.bitsPerToken.toFixed(4)} bits/${unit} (perplexity ${res.val.perplexity.toFixed(2)}, ` +
          `loss ${res.val.loss.toFixed(4)} nats) on ${res.val.tokens} ${unit}s (${c.evaluated_on})`
        : 'no validation split') +
      `; load average ${result.load_average.start.join(' ')} -> ${result.load_average.end.join(' ')}; ` +
      `run folder ${run.path}`,
  );
  if (ng)
    io.out(
      `${c.ngram}-gram Kneser-Ney on the same split: ${ng.bitsPerToken.toFixed(4)} bits/${unit}, ` +
        `perplexity ${ng.perplexity.toFixed(2)} on ${ng.tokens} ${unit}s`,
    );
  if (sample) io.out(`--- sample (seed ${c.seed}, temperature ${c.temperature}) ---\n${sample}`);
  return 0;
}
