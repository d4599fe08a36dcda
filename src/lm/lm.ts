/**
 * Recurrent language models (char-rnn; word-level with learned embeddings): a vocabulary and a
 * SequenceModel Embedding(V -> E) -> RNN/LSTM/GRU stack -> Linear(H -> V), softmax
 * cross-entropy on the next token at every step.
 *
 *   loss (nats/token) = -mean_t log p(x_{t+1} | x_<=t);  bits/token = nats / ln 2;  perplexity = e^nats
 *
 * Training (train.ts) is truncated BPTT over B parallel streams (TokenStreams + TruncatedBPTT,
 * k1 = k2 = bptt) with the state carried across windows. Sampling draws from softmax(logits / temperature)
 * with a seeded Rng, after feeding the priming text. The vocabulary is stored in the
 * checkpoint's metadata (`extra.lm.vocab`) so a saved model encodes and decodes on its own.
 */
import { SequenceModel } from '../layers/model.js';
import { Rng } from '../random.js';
import type { FArray } from '../tensor.js';
import type { CellType } from '../layers/stack.js';
import type { Optimizer, OptimizerSpec } from '../train/optim.js';
import { loadCheckpoint, saveCheckpoint, type CheckpointMeta } from '../train/checkpoint.js';
import type { CarriedState } from '../layers/step.js';
import { SafetensorsError } from '../safetensors.js';
import { type UnknownPolicy, type Vocab, vocabFromJSON } from './vocab.js';
import { TokenStreams } from './corpus.js';

export interface LMConfig {
  cell?: CellType;
  embedDim?: number;
  hiddenSize?: number;
  numLayers?: number;
  /** Dropout between stacked layers (PyTorch's), on the embeddings, and on the top output (default 0). */
  dropout?: number;
  inputDropout?: number;
  outputDropout?: number;
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
          ...(cfg.dropout ? { dropout: cfg.dropout } : {}),
          ...(cfg.inputDropout ? { inputDropout: cfg.inputDropout } : {}),
          ...(cfg.outputDropout ? { outputDropout: cfg.outputDropout } : {}),
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

  /**
   * Checkpoint bytes (safetensors) with the vocabulary in the metadata. `state` replaces the
   * model's own carried state in the file (data-parallel training carries the rows on several threads).
   */
  toBytes(
    meta: Partial<Omit<CheckpointMeta, 'version' | 'model' | 'optimizer'>> = {},
    optimizer?: { opt: Optimizer; spec: OptimizerSpec },
    state?: CarriedState,
  ): Uint8Array {
    const m = this.model,
      own = state ? m.getState() : null;
    if (state) m.setState(state);
    try {
      return saveCheckpoint(
        m,
        { step: meta.step ?? 0, ...meta, extra: { ...meta.extra, lm: { vocab: this.vocab.toJSON() } } },
        optimizer,
      );
    } finally {
      if (own) m.setState(own);
    }
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
