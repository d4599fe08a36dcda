/**
 * The hashing trick for inputs (Weinberger et al. 2009; fastText's subword buckets): a token's
 * features (the word itself and/or its character n-grams, with boundary marks `<word>`) are
 * hashed with MurmurHash3 into one of `buckets` rows, so an open vocabulary needs no dictionary
 * and unseen words still get a vector from their n-grams.
 *
 *   h = murmur3_x86_32(feature, seed);  bucket = h mod buckets;  sign = signed ? (h's top bit ? -1 : +1) : +1
 *
 * HashedEmbedding (the input layer of a recurrent model): W [buckets, E];
 *   y[i] = scale_i * sum_{f in features(token_i)} sign_f W[bucket_f]     ('sum': scale 1, 'mean': 1/|features|)
 *   backward: dW[bucket_f] += scale_i sign_f dy[i]  (scatter-add)
 * `hashFeatures` gives the same features as a sparse vector (summed duplicates) for linear models.
 */
import { type Param, Params } from '../params.js';
import { Rng } from '../random.js';
import { normal } from '../init.js';
import { type DType, type FArray, type Tensor, ShapeError, alloc, numel } from '../tensor.js';
import { murmur3 } from '../hashing/murmur3.js';

export interface HashingOptions {
  buckets: number;
  /** Hash seed (default 0). */
  seed?: number;
  /** Random sign per feature from the hash, so collisions cancel in expectation (default false). */
  signed?: boolean;
  /** Character n-grams of `<token>` with min <= n <= max (e.g. [3, 5]); omitted = none. */
  ngrams?: [number, number];
  /** Include the whole token as a feature (default true). */
  word?: boolean;
}

/** Tokens hashed into a compressed row list: token i owns features offsets[i]..offsets[i+1]. */
export interface HashedTokens {
  count: number;
  offsets: Int32Array;
  buckets: Int32Array;
  signs: Float32Array;
}

function checkOpts(o: HashingOptions): void {
  if (!o || !(Number.isInteger(o.buckets) && o.buckets >= 1 && o.buckets <= 2 ** 31))
    throw new RangeError(`hashing: buckets must be an integer in 1..2^31, got ${o?.buckets}`);
  if (o.ngrams) {
    const [a, b] = o.ngrams;
    if (!(Number.isInteger(a) && Number.isInteger(b) && 1 <= a && a <= b))
      throw new RangeError(`hashing: ngrams must be [min, max] with 1 <= min <= max, got [${o.ngrams}]`);
  }
  if (o.word === false && !o.ngrams)
    throw new RangeError('hashing: word: false needs ngrams, or a token has no features');
}

/** The feature strings of one token: the token itself and the n-grams of `<token>` (code points). */
export function tokenFeatures(token: string, o: HashingOptions): string[] {
  const out: string[] = [];
  if (o.word ?? true) out.push(token);
  if (o.ngrams) {
    const cps = Array.from(`<${token}>`),
      [lo, hi] = o.ngrams;
    // '#' keeps n-grams apart from words
    for (let n = lo; n <= hi; n++)
      for (let s = 0; s + n <= cps.length; s++) out.push('#' + cps.slice(s, s + n).join(''));
  }
  return out;
}

/** Hashes every token's features once (do this outside the training loop). */
export function hashTokens(tokens: readonly string[], o: HashingOptions): HashedTokens {
  checkOpts(o);
  const seed = o.seed ?? 0,
    offsets = new Int32Array(tokens.length + 1),
    b: number[] = [],
    s: number[] = [];
  const cache = new Map<string, [number, number][]>();
  tokens.forEach((t, i) => {
    let f = cache.get(t);
    if (!f) {
      f = tokenFeatures(t, o).map((x) => {
        const h = murmur3(x, seed);
        return [h % o.buckets, o.signed && h >>> 31 ? -1 : 1];
      });
      cache.set(t, f);
    }
    for (const [bk, sg] of f) {
      b.push(bk);
      s.push(sg);
    }
    offsets[i + 1] = b.length;
  });
  return { count: tokens.length, offsets, buckets: Int32Array.from(b), signs: Float32Array.from(s) };
}

/** Sparse feature vector of a bag of tokens (duplicates summed, indices ascending): input for linear models. */
export function hashFeatures(
  tokens: readonly string[],
  o: HashingOptions,
): { indices: Int32Array; values: Float32Array } {
  const h = hashTokens(tokens, o),
    acc = new Map<number, number>();
  for (let j = 0; j < h.buckets.length; j++) acc.set(h.buckets[j]!, (acc.get(h.buckets[j]!) ?? 0) + h.signs[j]!);
  const idx = [...acc.keys()].sort((a, b) => a - b);
  return { indices: Int32Array.from(idx), values: Float32Array.from(idx, (i) => acc.get(i)!) };
}

export interface HashedEmbeddingOptions extends HashingOptions {
  embeddingDim: number;
  /** 'sum' (default) or 'mean' of a token's feature vectors. */
  combine?: 'sum' | 'mean';
  dtype?: DType;
  /** Seed of the weight init (the hash seed is `seed`). */
  initSeed?: number;
  params?: Params;
  prefix?: string;
}

export class HashedEmbedding {
  readonly options: HashingOptions;
  readonly embeddingDim: number;
  readonly combine: 'sum' | 'mean';
  readonly params: Params;
  readonly weight: Param;
  private y: FArray = new Float32Array(0);
  private cur: HashedTokens | null = null;
  private shape: number[] = [];

  constructor(o: HashedEmbeddingOptions) {
    checkOpts(o);
    if (!(Number.isInteger(o.embeddingDim) && o.embeddingDim >= 1))
      throw new RangeError(`HashedEmbedding: embeddingDim must be a positive integer, got ${o.embeddingDim}`);
    this.options = {
      buckets: o.buckets,
      seed: o.seed ?? 0,
      signed: o.signed ?? false,
      ngrams: o.ngrams,
      word: o.word ?? true,
    };
    this.embeddingDim = o.embeddingDim;
    this.combine = o.combine ?? 'sum';
    if (this.combine !== 'sum' && this.combine !== 'mean')
      throw new RangeError(`HashedEmbedding: combine must be 'sum' or 'mean', got '${String(o.combine)}'`);
    const own = !o.params;
    this.params = o.params ?? new Params(o.dtype ?? 'float32');
    this.weight = this.params.declare(`${o.prefix ?? ''}weight`, [o.buckets, o.embeddingDim], (a, r) =>
      normal(a, 0, 1, r),
    );
    if (own) this.params.allocate(new Rng(o.initSeed ?? 0));
  }

  /** Hashes tokens with this layer's settings. */
  hash(tokens: readonly string[]): HashedTokens {
    return hashTokens(tokens, this.options);
  }

  /** y [...shape, E] for hashed tokens laid out as `shape` (e.g. [T, B]); a view valid until the next call. */
  forward(h: HashedTokens, shape: number[] = [h.count]): Tensor<FArray> {
    const n = numel(shape),
      E = this.embeddingDim,
      W = this.weight.data;
    if (h.count !== n)
      throw new ShapeError(`HashedEmbedding.forward: shape [${shape}] needs ${n} tokens, got ${h.count}`);
    if (this.y.length !== n * E) this.y = alloc(this.params.dtype, n * E);
    const y = this.y;
    y.fill(0);
    for (let i = 0; i < n; i++) {
      const a = h.offsets[i]!,
        b = h.offsets[i + 1]!,
        scale = this.combine === 'mean' && b > a ? 1 / (b - a) : 1;
      for (let j = a; j < b; j++) {
        const row = h.buckets[j]! * E,
          s = h.signs[j]! * scale;
        for (let e = 0; e < E; e++) y[i * E + e] += s * W[row + e]!;
      }
    }
    this.cur = h;
    this.shape = [...shape];
    return { shape: [...shape, E], data: y };
  }

  backward(dy: Tensor<FArray>): void {
    const h = this.cur,
      E = this.embeddingDim;
    if (!h) throw new Error('HashedEmbedding.backward called before forward');
    if (!dy || dy.data.length !== h.count * E)
      throw new ShapeError(
        `HashedEmbedding.backward: expected dy of shape [${[...this.shape, E]}], got [${dy?.shape}]`,
      );
    const g = this.weight.grad,
      d = dy.data;
    for (let i = 0; i < h.count; i++) {
      const a = h.offsets[i]!,
        b = h.offsets[i + 1]!,
        scale = this.combine === 'mean' && b > a ? 1 / (b - a) : 1;
      for (let j = a; j < b; j++) {
        const row = h.buckets[j]! * E,
          s = h.signs[j]! * scale;
        for (let e = 0; e < E; e++) g[row + e] += s * d[i * E + e]!; // dW[bucket] += sign * scale * dy
      }
    }
  }
}
