/**
 * Encoder-decoder (Sutskever, Vinyals & Le 2014; Cho et al. 2014): an encoder RNN reads the
 * source; its last state (h, and c for LSTM, per layer) is the decoder's initial state; the
 * decoder predicts the target one token at a time.
 *
 *   (hS, cS) = Encoder(Emb_src(x_1..x_S))              state at each source's last valid step
 *   o_t      = Decoder(Emb_tgt(y_{t-1}); h0 = hS, c0 = cS),  y_0 = BOS
 *   p(y_t)   = softmax(Linear(o_t));  loss = -mean log p(y_t) over y_1..y_n, EOS
 *
 * Teacher forcing: in training the decoder reads the true previous token. Backward runs the
 * decoder's BPTT, whose dh0/dc0 become the encoder's hN/cN gradients, so the whole thing is one
 * exact gradient (checked by finite differences in the tests).
 *
 * Shapes: S = source length, D = decoder steps (longest target + 1), B = batch, L = layers,
 * H = hidden, V = target vocabulary. Sources [S, B] time-major with lengths [B]; targets are
 * given as lists of ids without BOS/EOS. Decoding: greedy, or beam search (beam = 1 is greedy).
 */
import type { Backend } from '../backend/backend.js';
import { Params } from '../params.js';
import { Rng } from '../random.js';
import { type DType, type FArray, ShapeError, alloc } from '../tensor.js';
import { Embedding } from '../layers/embedding.js';
import { Linear } from '../layers/linear.js';
import { type CellType, RecurrentStack } from '../layers/stack.js';
import { softmaxCrossEntropy } from '../layers/loss.js';
import type { StepResult } from '../layers/step.js';

export interface EncDecConfig {
  srcVocab: number;
  /** Target vocabulary, BOS and EOS included. */
  tgtVocab: number;
  bos?: number;
  eos?: number;
  cell?: CellType;
  embedDim?: number;
  hiddenSize?: number;
  numLayers?: number;
  seed?: number;
  dtype?: DType;
  backend?: Backend | string;
}

export interface Seq2SeqBatch {
  /** Source ids [S*B] time-major, padded. */
  src: ArrayLike<number>;
  srcLengths: ArrayLike<number>;
  S: number;
  B: number;
  /** Decoder inputs [D*B] (BOS, y_1, ...) and targets [D*B] (y_1, ..., EOS; -1 = padding). */
  decIn: Int32Array;
  decOut: Float32Array;
  D: number;
}

export class EncoderDecoder {
  readonly config: Required<Omit<EncDecConfig, 'backend' | 'dtype'>> & { dtype: DType };
  readonly params: Params;
  readonly srcEmbedding: Embedding;
  readonly tgtEmbedding: Embedding;
  readonly encoder: RecurrentStack;
  readonly decoder: RecurrentStack;
  readonly head: Linear;
  private gradBuf: FArray = new Float32Array(0);

  constructor(cfg: EncDecConfig) {
    for (const k of ['srcVocab', 'tgtVocab'] as const)
      if (!(Number.isInteger(cfg?.[k]) && cfg[k] >= 1))
        throw new RangeError(`EncoderDecoder: ${k} must be a positive integer, got ${cfg?.[k]}`);
    const c = {
      bos: 0,
      eos: 1,
      cell: 'lstm' as CellType,
      embedDim: 32,
      hiddenSize: 128,
      numLayers: 1,
      seed: 0,
      ...cfg,
      dtype: cfg.dtype ?? 'float32',
    };
    for (const k of ['bos', 'eos'] as const)
      if (!(Number.isInteger(c[k]) && c[k] >= 0 && c[k] < c.tgtVocab))
        throw new RangeError(`EncoderDecoder: ${k} must be an id in [0, ${c.tgtVocab}), got ${c[k]}`);
    const { backend, ...rest } = c;
    this.config = rest;
    this.params = new Params(c.dtype);
    const rnn = {
      inputSize: c.embedDim,
      hiddenSize: c.hiddenSize,
      numLayers: c.numLayers,
      params: this.params,
      backend,
    };
    this.srcEmbedding = new Embedding({
      numEmbeddings: c.srcVocab,
      embeddingDim: c.embedDim,
      params: this.params,
      prefix: 'encoder.embedding.',
    });
    this.encoder = new RecurrentStack(c.cell, { ...rnn, prefix: 'encoder.' });
    this.tgtEmbedding = new Embedding({
      numEmbeddings: c.tgtVocab,
      embeddingDim: c.embedDim,
      params: this.params,
      prefix: 'decoder.embedding.',
    });
    this.decoder = new RecurrentStack(c.cell, { ...rnn, prefix: 'decoder.' });
    this.head = new Linear({
      inFeatures: c.hiddenSize,
      outFeatures: c.tgtVocab,
      params: this.params,
      prefix: 'head.',
      backend,
    });
    this.params.allocate(new Rng(c.seed));
  }

  /** Pads sources (time-major) and builds teacher-forcing decoder inputs and targets. */
  makeBatch(sources: readonly ArrayLike<number>[], targets: readonly ArrayLike<number>[]): Seq2SeqBatch {
    const B = sources.length;
    if (B < 1 || targets.length !== B)
      throw new ShapeError(
        `EncoderDecoder.makeBatch: need as many targets as sources (>= 1), got ${B} and ${targets.length}`,
      );
    const src = this.padSources(sources);
    const D = Math.max(...targets.map((t) => t.length)) + 1,
      { bos, eos } = this.config;
    const decIn = new Int32Array(D * B),
      decOut = new Float32Array(D * B).fill(-1);
    targets.forEach((t, b) => {
      decIn[b] = bos;
      for (let i = 0; i < t.length; i++) {
        decIn[(i + 1) * B + b] = t[i]!;
        decOut[i * B + b] = t[i]!;
      }
      decOut[t.length * B + b] = eos;
      for (let i = t.length + 1; i < D; i++) decIn[i * B + b] = eos; // after EOS: inputs unread by the loss
    });
    return { ...src, decIn, decOut, D };
  }

  private padSources(sources: readonly ArrayLike<number>[]): {
    src: Int32Array;
    srcLengths: Int32Array;
    S: number;
    B: number;
  } {
    const B = sources.length,
      S = Math.max(...sources.map((s) => s.length));
    if (!(S >= 1) || sources.some((s) => s.length < 1))
      throw new ShapeError('EncoderDecoder: every source needs at least one token');
    const src = new Int32Array(S * B),
      srcLengths = new Int32Array(B);
    sources.forEach((s, b) => {
      srcLengths[b] = s.length;
      for (let t = 0; t < s.length; t++) src[t * B + b] = s[t]!;
    });
    return { src, srcLengths, S, B };
  }

  /** Runs the encoder; returns views of its final state [L, B, H]. */
  private encode(src: ArrayLike<number>, S: number, B: number, lengths: ArrayLike<number>) {
    const x = this.srcEmbedding.forward(src, [S, B]);
    return this.encoder.forward(x, { lengths });
  }

  /**
   * Teacher-forced forward + mean cross-entropy + backward through decoder and encoder; gradients += into
   * params.grad.
   */
  lossAndGrad(b: Seq2SeqBatch): StepResult {
    const { S, B, D } = b;
    const enc = this.encode(b.src, S, B, b.srcLengths);
    const dec = this.decoder.forward(this.tgtEmbedding.forward(b.decIn, [D, B]), { h0: enc.hN, c0: enc.cN });
    const logits = this.head.forward(dec.output); // [D, B, V]
    if (this.gradBuf.length !== logits.data.length) this.gradBuf = alloc(this.params.dtype, logits.data.length);
    const r = softmaxCrossEntropy(logits, b.decOut, undefined, this.gradBuf);
    const bd = this.decoder.backward({ output: this.head.backward(r.grad) }); // BPTT through the decoder
    this.tgtEmbedding.backward(bd.dx);
    const be = this.encoder.backward({ hN: bd.dh0, cN: bd.dc0 }); // decoder's dh0/dc0 -> encoder's hN/cN
    this.srcEmbedding.backward(be.dx);
    return { loss: r.loss, count: r.count, correct: r.correct };
  }

  /** Teacher-forced loss only (no gradients). */
  loss(b: Seq2SeqBatch): number {
    const enc = this.encode(b.src, b.S, b.B, b.srcLengths);
    const dec = this.decoder.forward(this.tgtEmbedding.forward(b.decIn, [b.D, b.B]), { h0: enc.hN, c0: enc.cN });
    return softmaxCrossEntropy(this.head.forward(dec.output), b.decOut).loss;
  }

  /**
   * Decodes each source: beam search with `beam` hypotheses (1 = greedy), up to `maxLen` tokens.
   * A hypothesis ends at EOS; the best finished one (highest log-probability, divided by
   * length^lengthPenalty) wins. Returns the token lists without BOS/EOS, and their scores.
   */
  decode(
    sources: readonly ArrayLike<number>[],
    opts: { beam?: number; maxLen?: number; lengthPenalty?: number } = {},
  ): { tokens: number[][]; scores: number[] } {
    const K = opts.beam ?? 1,
      maxLen = opts.maxLen ?? 50,
      alpha = opts.lengthPenalty ?? 0;
    if (!(Number.isInteger(K) && K >= 1)) throw new RangeError(`decode: beam must be a positive integer, got ${K}`);
    const { S, B, src, srcLengths } = this.padSources(sources);
    const enc = this.encode(src, S, B, srcLengths);
    const L = this.config.numLayers,
      H = this.config.hiddenSize,
      V = this.config.tgtVocab,
      R = B * K,
      { bos, eos } = this.config;
    const hasC = !!enc.cN;
    // Row b*K + k holds beam k of example b; every beam starts from the encoder's state.
    let h = alloc(this.params.dtype, L * R * H),
      c = alloc(this.params.dtype, L * R * H);
    let h2 = alloc(this.params.dtype, L * R * H),
      c2 = alloc(this.params.dtype, L * R * H);
    for (let l = 0; l < L; l++)
      for (let b = 0; b < B; b++)
        for (let k = 0; k < K; k++) {
          h.set(enc.hN.data.subarray((l * B + b) * H, (l * B + b + 1) * H), (l * R + b * K + k) * H);
          if (hasC) c.set(enc.cN!.data.subarray((l * B + b) * H, (l * B + b + 1) * H), (l * R + b * K + k) * H);
        }
    let seqs: number[][] = Array.from({ length: R }, () => []);
    let score = Float64Array.from({ length: R }, (_, r) => (r % K === 0 ? 0 : -Infinity)); // one live beam to start
    let done = new Uint8Array(R);
    const tok = new Int32Array(R).fill(bos),
      logp = new Float64Array(V);
    const final = (r: number) => score[r]! / (alpha ? Math.max(1, seqs[r]!.length) ** alpha : 1);
    for (let step = 0; step < maxLen && !done.every((d, r) => d || score[r] === -Infinity); step++) {
      const out = this.decoder.forward(this.tgtEmbedding.forward(tok, [1, R]), {
        h0: { shape: [L, R, H], data: h },
        c0: hasC ? { shape: [L, R, H], data: c } : undefined,
      });
      const logits = this.head.forward(out.output).data; // [1, R, V]
      const nseqs: number[][] = [],
        nscore = new Float64Array(R),
        ndone = new Uint8Array(R),
        parent = new Int32Array(R);
      for (let b = 0; b < B; b++) {
        const cand: { s: number; r: number; v: number }[] = []; // v = -1: a finished beam carried over
        for (let k = 0; k < K; k++) {
          const r = b * K + k;
          if (score[r] === -Infinity) continue;
          if (done[r]) {
            cand.push({ s: score[r]!, r, v: -1 });
            continue;
          }
          let mx = -Infinity;
          for (let v = 0; v < V; v++) mx = Math.max(mx, logits[r * V + v]!);
          let z = 0;
          for (let v = 0; v < V; v++) z += Math.exp(logits[r * V + v]! - mx);
          for (let v = 0; v < V; v++) {
            logp[v] = logits[r * V + v]! - mx - Math.log(z);
            cand.push({ s: score[r]! + logp[v]!, r, v });
          }
        }
        cand.sort((x, y) => y.s - x.s || x.r - y.r || x.v - y.v); // ties: deterministic order
        for (let k = 0; k < K; k++) {
          const r = b * K + k,
            cd = cand[k];
          if (!cd) {
            nseqs[r] = [];
            nscore[r] = -Infinity;
            ndone[r] = 1;
            parent[r] = r;
            continue;
          }
          parent[r] = cd.r;
          nscore[r] = cd.s;
          if (cd.v === -1) {
            nseqs[r] = seqs[cd.r]!;
            ndone[r] = 1;
            tok[r] = eos;
          } else {
            nseqs[r] = cd.v === eos ? seqs[cd.r]! : [...seqs[cd.r]!, cd.v];
            ndone[r] = cd.v === eos ? 1 : 0;
            tok[r] = cd.v;
          }
        }
      }
      // Each new beam continues its parent's decoder state.
      for (let l = 0; l < L; l++)
        for (let r = 0; r < R; r++) {
          const from = (l * R + parent[r]!) * H,
            to = (l * R + r) * H;
          h2.set(out.hN.data.subarray(from, from + H), to);
          if (hasC) c2.set(out.cN!.data.subarray(from, from + H), to);
        }
      [h, h2] = [h2, h];
      [c, c2] = [c2, c];
      seqs = nseqs;
      score = nscore;
      done = ndone;
    }
    const tokens: number[][] = [],
      scores: number[] = [];
    for (let b = 0; b < B; b++) {
      let best = -1;
      for (let k = 0; k < K; k++) {
        const r = b * K + k;
        if (score[r] === -Infinity) continue;
        // Finished hypotheses beat unfinished ones (cut off at maxLen); then the higher score.
        if (best < 0 || done[r]! > done[best]! || (done[r] === done[best] && final(r) > final(best))) best = r;
      }
      tokens.push(best >= 0 ? seqs[best]! : []);
      scores.push(best >= 0 ? final(best) : -Infinity);
    }
    return { tokens, scores };
  }
}
