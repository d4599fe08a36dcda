/**
 * Recurrent language models (char-rnn; word-level with learned embeddings): a vocabulary and a
 * SequenceModel Embedding(V -> E) -> RNN/LSTM/GRU stack -> Linear(H -> V), softmax
 * cross-entropy on the next token at every step.
 *
 *   loss (nats/token) = -mean_t log p(x_{t+1} | x_<=t);  bits/token = nats / ln 2;  perplexity = e^nats
 *
 * Training is truncated BPTT over B parallel streams (TokenStreams + TruncatedBPTT, k1 = k2 =
 * bptt) with the state carried across windows. Sampling draws from softmax(logits / temperature)
 * with a seeded Rng, after feeding the priming text. The vocabulary is stored in the
 * checkpoint's metadata (`extra.lm.vocab`) so a saved model encodes and decodes on its own.
 */
import { SequenceModel } from '../layers/model.js';
import { Rng } from '../random.js';
import type { FArray } from '../tensor.js';
import type { CellType } from '../layers/stack.js';
import { type Optimizer, type OptimizerSpec, makeOptimizer } from '../train/optim.js';
import { type StepInfo, Trainer, TruncatedBPTT } from '../train/trainer.js';
import type { DeviceTrainable, Stateful, Trainable } from '../train/trainable.js';
import type { Batch } from '../batch.js';
import { loadCheckpoint, saveCheckpoint, type CheckpointMeta } from '../train/checkpoint.js';
import type { ScheduleSpec } from '../train/schedule.js';
import { SafetensorsError } from '../safetensors.js';
import { type UnknownPolicy, type Vocab, vocabFromJSON } from './vocab.js';
import { TokenStreams } from './corpus.js';

export interface LMConfig {
  cell?: CellType;
  embedDim?: number;
  hiddenSize?: number;
  numLayers?: number;
  seed?: number;
}

export interface LMEval {
  /** Mean negative log-likelihood per token, in nats. */
  loss: number;
  bitsPerToken: number;
  perplexity: number;
  tokens: number;
}

export interface SampleOptions {
  /** Tokens to generate after the prime. */
  length: number;
  /** Softmax temperature; 0 takes the most likely token every time. Default 1. */
  temperature?: number;
  seed?: number;
  /** Text fed to the model first; the sample continues it (and is returned with it). */
  prime?: string;
  onUnknown?: UnknownPolicy;
}

export class RecurrentLM {
  constructor(
    readonly vocab: Vocab,
    readonly model: SequenceModel,
  ) {
    const c = model.config;
    if (c.vocabSize !== vocab.size || c.outputSize !== vocab.size || c.head !== 'every' || c.loss !== 'xent') {
      throw new RangeError(
        `RecurrentLM: the model must map ${vocab.size} tokens to ${vocab.size} logits at every step with xent; ` +
          `got vocabSize ${c.vocabSize}, outputSize ${c.outputSize}, head '${c.head}', loss '${c.loss}'`,
      );
    }
  }

  static create(vocab: Vocab, cfg: LMConfig = {}, backend?: string): RecurrentLM {
    return new RecurrentLM(
      vocab,
      new SequenceModel(
        {
          cell: cfg.cell ?? 'lstm',
          vocabSize: vocab.size,
          embedDim: cfg.embedDim ?? 64,
          hiddenSize: cfg.hiddenSize ?? 256,
          numLayers: cfg.numLayers ?? 1,
          outputSize: vocab.size,
          head: 'every',
          loss: 'xent',
          seed: cfg.seed ?? 0,
        },
        backend,
      ),
    );
  }

  /**
   * Loss over `ids` read as B streams in windows of T with the state carried (starting from zero);
   * `maxTokens` caps the work (the first windows only). The training state is left as it was.
   */
  evaluate(ids: Int32Array, opts: { B?: number; T?: number; maxTokens?: number } = {}): LMEval {
    const B = Math.max(1, Math.min(opts.B ?? 32, Math.floor(ids.length / 2))),
      T = opts.T ?? 64;
    const m = this.model,
      saved = m.getState(),
      st = new TokenStreams(ids, B);
    const end = Math.min(st.positions, opts.maxTokens ? Math.max(1, Math.ceil(opts.maxTokens / B)) : Infinity);
    m.resetState();
    let nats = 0,
      n = 0;
    for (let a = 0; a < end; a += T) {
      const b = st.window(a, Math.min(a + T, end));
      const r = m.loss(m.predict(b, { carry: true }), b);
      nats += r.loss * r.count;
      n += r.count;
    }
    m.setState(saved);
    const loss = nats / n;
    return { loss, bitsPerToken: loss / Math.LN2, perplexity: Math.exp(loss), tokens: n };
  }

  /** Generates text: the prime (if any) followed by `length` sampled tokens. Same seed, same text. */
  sample(o: SampleOptions): string {
    const ids = this.sampleIds(o);
    return this.vocab.decode(ids);
  }

  sampleIds(o: SampleOptions): Int32Array {
    const temp = o.temperature ?? 1;
    if (!(Number.isInteger(o.length) && o.length >= 0))
      throw new RangeError(`sample: length must be a non-negative integer, got ${o.length}`);
    if (!(temp >= 0 && Number.isFinite(temp)))
      throw new RangeError(`sample: temperature must be a finite number >= 0, got ${temp}`);
    const rng = new Rng(o.seed ?? 0),
      m = this.model,
      V = this.vocab.size;
    const prime = o.prime ? this.vocab.encode(o.prime, { onUnknown: o.onUnknown }) : new Int32Array(0);
    const out = new Int32Array(prime.length + o.length);
    out.set(prime);
    const saved = m.getState();
    m.resetState();
    const empty = new Float32Array(0),
      one = new Int32Array(1);
    let logits: FArray;
    let start = prime.length;
    if (prime.length > 0) {
      const p = m.predict({ T: prime.length, B: 1, ids: prime, y: empty }, { carry: true });
      logits = p.data.subarray((prime.length - 1) * V, prime.length * V);
    } else {
      if (o.length === 0) {
        m.setState(saved);
        return out;
      }
      out[0] = rng.int(V);
      start = 1; // no prime: a uniformly drawn first token
      one[0] = out[0]!;
      logits = m.predict({ T: 1, B: 1, ids: one, y: empty }, { carry: true }).data;
    }
    for (let i = start; i < out.length; i++) {
      out[i] = drawToken(logits, V, temp, rng);
      one[0] = out[i]!;
      if (i + 1 < out.length) logits = m.predict({ T: 1, B: 1, ids: one, y: empty }, { carry: true }).data;
    }
    m.setState(saved);
    return out;
  }

  /** Checkpoint bytes (safetensors) with the vocabulary in the metadata. */
  toBytes(
    meta: Partial<Omit<CheckpointMeta, 'version' | 'model' | 'optimizer'>> = {},
    optimizer?: { opt: Optimizer; spec: OptimizerSpec },
  ): Uint8Array {
    return saveCheckpoint(
      this.model,
      { step: meta.step ?? 0, ...meta, extra: { ...meta.extra, lm: { vocab: this.vocab.toJSON() } } },
      optimizer,
    );
  }

  /** Rebuilds a language model (and its optimiser, when saved) from checkpoint bytes. */
  static fromBytes(
    bytes: Uint8Array,
    backend?: string,
  ): { lm: RecurrentLM; optimizer: Optimizer | null; meta: CheckpointMeta; notes: string[] } {
    const ck = loadCheckpoint(bytes, backend);
    const v = (ck.meta.extra?.lm as { vocab?: unknown } | undefined)?.vocab;
    if (!v) throw new SafetensorsError('checkpoint has no vocabulary (extra.lm.vocab): it is not a language model');
    let vocab: Vocab;
    try {
      vocab = vocabFromJSON(v);
    } catch (e) {
      throw new SafetensorsError(`checkpoint vocabulary is invalid: ${(e as Error).message}`);
    }
    let lm: RecurrentLM;
    try {
      lm = new RecurrentLM(vocab, ck.model);
    } catch (e) {
      throw new SafetensorsError(`checkpoint vocabulary does not fit the model: ${(e as Error).message}`);
    }
    return { lm, optimizer: ck.optimizer, meta: ck.meta, notes: ck.notes };
  }
}

/** Index drawn from softmax(logits[0..V) / temp) (argmax when temp = 0). */
export function drawToken(logits: ArrayLike<number>, V: number, temp: number, rng: Rng): number {
  let mx = -Infinity,
    arg = 0;
  for (let v = 0; v < V; v++)
    if (logits[v]! > mx) {
      mx = logits[v]!;
      arg = v;
    }
  if (temp === 0) return arg;
  let z = 0;
  for (let v = 0; v < V; v++) z += Math.exp((logits[v]! - mx) / temp);
  let u = rng.uniform() * z;
  for (let v = 0; v < V; v++) {
    u -= Math.exp((logits[v]! - mx) / temp);
    if (u < 0) return v;
  }
  return arg; // rounding left a sliver: the most likely token
}

export interface TrainLMOptions {
  /** Parallel streams B (default 32). */
  batch?: number;
  /** Truncation length T (k1 = k2; default 64). */
  bptt?: number;
  optimizer?: OptimizerSpec;
  clipNorm?: number;
  schedule?: ScheduleSpec;
  /** Stop after this many updates (total, counting `startStep`), epochs, or seconds; whichever first. */
  steps?: number;
  epochs?: number;
  maxSeconds?: number;
  /** Validation ids; evaluated every `evalEvery` updates on at most `evalTokens` tokens, and fully at the end. */
  val?: Int32Array;
  evalEvery?: number;
  evalTokens?: number;
  /** Called with every update's record, and with each evaluation. */
  onLog?: (rec: Record<string, number | string>) => void;
  /** Continue from a saved optimiser and step count. */
  opt?: Optimizer;
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
}

/** Trains `lm` on `train` ids by truncated BPTT over B streams; returns what happened. */
export function trainLM(lm: RecurrentLM, train: Int32Array, o: TrainLMOptions = {}): TrainLMResult {
  const run = lmTraining(lm, lm.model, train, o);
  let r = run.next();
  while (!r.done) r = run.next('update' in r.value ? r.value.update.run(r.value.slice, r.value.pos)[0] : undefined);
  return r.value;
}

/**
 * `trainLM` with the steps on a device: `device` is the model on it (a GpuSequenceModel over
 * `lm.model`), stepped by the same Trainer and truncated BPTT; the host model is brought up to
 * date before each validation and at the end, so `lm` samples, evaluates and saves as usual.
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
 * The training loop of trainLM, written once for the CPU and for a device: it yields what to
 * run (one truncated-BPTT update up to stream position `pos`, or bringing the host model up to
 * date before it is evaluated) and receives each update's StepInfo.
 */
function* lmTraining(
  lm: RecurrentLM,
  model: Trainable<Batch> & Stateful<Batch>,
  train: Int32Array,
  o: TrainLMOptions,
): Generator<LMRequest, TrainLMResult, StepInfo | undefined> {
  const B = o.batch ?? 32,
    T = o.bptt ?? 64,
    spec = o.optimizer ?? { type: 'adam', lr: 2e-3 };
  const opt = o.opt ?? makeOptimizer(lm.model.params, spec);
  const trainer = new Trainer(model, opt, { clipNorm: o.clipNorm ?? 5, schedule: o.schedule });
  trainer.step = o.startStep ?? 0;
  const streams = new TokenStreams(train, B);
  const tb = new TruncatedBPTT(trainer, T, T);
  const slice = (a: number, e: number) => streams.window(a, e);
  const maxSteps = o.steps ?? Infinity,
    maxEpochs = o.epochs ?? (o.steps || o.maxSeconds ? Infinity : 1);
  const t0 = performance.now(),
    seconds = () => (performance.now() - t0) / 1000;
  let tokens = 0,
    epochs = 0,
    stopped: TrainLMResult['stopped'] = 'epochs',
    lossAvg = NaN;
  outer: while (epochs < maxEpochs) {
    tb.reset();
    for (let pos = 0; pos < streams.positions; ) {
      if (trainer.step >= maxSteps) {
        stopped = 'steps';
        break outer;
      }
      if (o.maxSeconds !== undefined && seconds() >= o.maxSeconds) {
        stopped = 'time';
        break outer;
      }
      pos = Math.min(pos + T, streams.positions);
      const info = (yield { update: tb, slice, pos })!;
      tokens += info.count;
      lossAvg = Number.isNaN(lossAvg) ? info.loss : 0.98 * lossAvg + 0.02 * info.loss;
      o.onLog?.({
        kind: 'train',
        step: trainer.step,
        epoch: epochs + pos / streams.positions,
        loss: info.loss,
        grad_norm: info.gradNorm,
        seconds: seconds(),
        tokens_per_s: tokens / seconds(),
      });
      if (o.val && o.evalEvery && trainer.step % o.evalEvery === 0) {
        if (model !== lm.model) yield { pull: true };
        const ev = lm.evaluate(o.val, { B, T, maxTokens: o.evalTokens });
        o.onLog?.({
          kind: 'eval',
          step: trainer.step,
          loss: ev.loss,
          bits_per_token: ev.bitsPerToken,
          perplexity: ev.perplexity,
          tokens: ev.tokens,
          seconds: seconds(),
        });
      }
    }
    epochs++;
  }
  const secs = seconds();
  if (model !== lm.model) yield { pull: true };
  const val = o.val ? lm.evaluate(o.val, { B, T }) : null;
  if (val)
    o.onLog?.({
      kind: 'eval',
      final: 'yes',
      step: trainer.step,
      loss: val.loss,
      bits_per_token: val.bitsPerToken,
      perplexity: val.perplexity,
      tokens: val.tokens,
      seconds: seconds(),
    });
  return {
    steps: trainer.step,
    epochs,
    seconds: secs,
    tokens,
    tokensPerSecond: tokens / secs,
    trainLoss: lossAvg,
    val,
    stopped,
    optimizer: opt,
    optimizerSpec: spec,
  };
}
