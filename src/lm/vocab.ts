/**
 * Vocabularies: characters (Unicode code points, so any UTF-8 text works, emoji included) and
 * words (a regex tokenizer, the most frequent words kept, the rest mapped to `<unk>`).
 * Both map text <-> Int32Array of ids and round-trip through JSON (`toJSON` / `vocabFromJSON`),
 * which is how a language model's checkpoint carries its vocabulary.
 *
 * Unknown tokens at encode time: `onUnknown: 'error'` (default) throws a RangeError naming the
 * token and where it is; 'skip' drops it. A word vocabulary has `<unk>` and uses it instead
 * (`onUnknown` is ignored there).
 */

export type UnknownPolicy = 'error' | 'skip';

export interface VocabJSON {
  type: 'char' | 'word';
  tokens: string[];
  lowercase?: boolean;
}

export interface Vocab {
  readonly type: 'char' | 'word';
  readonly size: number;
  readonly tokens: readonly string[];
  /** Splits text into tokens (characters or words). */
  tokenize(text: string): string[];
  encode(text: string, opts?: { onUnknown?: UnknownPolicy }): Int32Array;
  decode(ids: ArrayLike<number>): string;
  /** The id of a token, or -1. */
  id(token: string): number;
  toJSON(): VocabJSON;
}

function quote(tok: string): string {
  return JSON.stringify(tok);
}

abstract class BaseVocab implements Vocab {
  abstract readonly type: 'char' | 'word';
  readonly tokens: readonly string[];
  protected readonly index = new Map<string, number>();

  constructor(tokens: readonly string[]) {
    if (!Array.isArray(tokens) || tokens.length === 0) throw new RangeError('vocabulary: needs at least one token');
    this.tokens = [...tokens];
    tokens.forEach((t, i) => {
      if (typeof t !== 'string') throw new TypeError(`vocabulary: token ${i} is not a string`);
      if (this.index.has(t)) throw new RangeError(`vocabulary: duplicate token ${quote(t)}`);
      this.index.set(t, i);
    });
  }

  get size(): number {
    return this.tokens.length;
  }
  id(token: string): number {
    return this.index.get(token) ?? -1;
  }
  abstract tokenize(text: string): string[];
  protected abstract unknown(tok: string, pos: number, policy: UnknownPolicy): number;
  abstract decode(ids: ArrayLike<number>): string;
  abstract toJSON(): VocabJSON;

  encode(text: string, opts: { onUnknown?: UnknownPolicy } = {}): Int32Array {
    const policy = opts.onUnknown ?? 'error';
    const toks = this.tokenize(text),
      out = new Int32Array(toks.length);
    let n = 0;
    toks.forEach((t, pos) => {
      const i = this.index.get(t) ?? this.unknown(t, pos, policy);
      if (i >= 0) out[n++] = i;
    });
    return n === out.length ? out : out.slice(0, n);
  }

  protected checkId(ids: ArrayLike<number>, i: number): number {
    const v = ids[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= this.size)
      throw new RangeError(`vocabulary: id ${v} at position ${i} is out of range [0, ${this.size})`);
    return v;
  }
}

/** Characters (code points), sorted, as char-rnn builds them from its input file. */
export class CharVocab extends BaseVocab {
  readonly type = 'char' as const;

  static fromText(text: string): CharVocab {
    const set = new Set(Array.from(text));
    if (set.size === 0) throw new RangeError('CharVocab.fromText: the text is empty');
    return new CharVocab([...set].sort());
  }

  tokenize(text: string): string[] {
    return Array.from(text);
  }

  protected unknown(tok: string, pos: number, policy: UnknownPolicy): number {
    if (policy === 'skip') return -1;
    const cp = tok.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    throw new RangeError(
      `character ${quote(tok)} (U+${cp}) at position ${pos} ` +
        `is not in the model's vocabulary of ${this.size} characters; ` +
        `remove it or pass onUnknown: 'skip' (--unknown skip)`,
    );
  }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) s += this.tokens[this.checkId(ids, i)]!;
    return s;
  }

  toJSON(): VocabJSON {
    return { type: 'char', tokens: [...this.tokens] };
  }
}

/** Words and punctuation marks; newlines are kept as the token '\n' so text keeps its lines. */
const WORD_RE = /\n|[\p{L}\p{N}_']+|[^\s\p{L}\p{N}_']/gu;
export const UNK = '<unk>';

export class WordVocab extends BaseVocab {
  readonly type = 'word' as const;
  readonly lowercase: boolean;
  readonly unkId: number;

  constructor(tokens: readonly string[], opts: { lowercase?: boolean } = {}) {
    super(tokens);
    this.lowercase = opts.lowercase ?? false;
    this.unkId = this.id(UNK);
    if (this.unkId < 0) throw new RangeError(`WordVocab: the token list must contain ${UNK}`);
  }

  /**
   * The `maxSize` most frequent words (ties broken by first appearance) of at least `minCount` occurrences,
   * plus `<unk>` (id 0).
   */
  static fromText(text: string, opts: { maxSize?: number; minCount?: number; lowercase?: boolean } = {}): WordVocab {
    const lowercase = opts.lowercase ?? false,
      maxSize = opts.maxSize ?? 10000,
      minCount = opts.minCount ?? 1;
    if (!(Number.isInteger(maxSize) && maxSize >= 2))
      throw new RangeError(`WordVocab.fromText: maxSize must be an integer >= 2, got ${maxSize}`);
    const counts = new Map<string, number>();
    for (const w of tokenizeWords(text, lowercase)) counts.set(w, (counts.get(w) ?? 0) + 1);
    if (counts.size === 0) throw new RangeError('WordVocab.fromText: the text has no words');
    const order = [...counts.entries()].filter(([w, c]) => c >= minCount && w !== UNK);
    order.sort((a, b) => b[1] - a[1]); // stable: ties keep first appearance
    return new WordVocab([UNK, ...order.slice(0, maxSize - 1).map(([w]) => w)], { lowercase });
  }

  tokenize(text: string): string[] {
    return tokenizeWords(text, this.lowercase);
  }

  protected unknown(): number {
    return this.unkId;
  }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) {
      const w = this.tokens[this.checkId(ids, i)]!;
      s += w === '\n' || s === '' || s.endsWith('\n') ? w : ' ' + w;
    }
    return s;
  }

  toJSON(): VocabJSON {
    return { type: 'word', tokens: [...this.tokens], lowercase: this.lowercase };
  }
}

export function tokenizeWords(text: string, lowercase = false): string[] {
  return (lowercase ? text.toLowerCase() : text).match(WORD_RE) ?? [];
}

/** Rebuilds a vocabulary saved with `toJSON` (e.g. from a checkpoint); throws on anything malformed. */
export function vocabFromJSON(j: unknown): Vocab {
  const v = j as VocabJSON;
  if (!v || typeof v !== 'object' || !Array.isArray(v.tokens))
    throw new RangeError('vocabulary: expected {type, tokens: string[]}');
  if (v.type === 'char') return new CharVocab(v.tokens);
  if (v.type === 'word') return new WordVocab(v.tokens, { lowercase: v.lowercase });
  throw new RangeError(`vocabulary: unknown type '${String(v.type)}'; expected 'char' or 'word'`);
}
