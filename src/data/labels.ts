/**
 * The two dictionaries a model built from data carries: its classes (labels of any type, in a
 * fixed sorted order so the same data gives the same ids whatever its row order) and its token
 * vocabulary (id 0 is `<unk>`, for tokens never seen in training). Both are stored with the
 * model and serialise to plain JSON.
 */
import type { Label } from './sequences.js';

const key = (v: Label) => `${typeof v === 'number' ? 'n' : 's'}:${v}`;

function compare(a: Label, b: Label): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1; // numbers before strings
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export class LabelSet {
  readonly classes: Label[];
  private readonly index = new Map<string, number>();

  constructor(classes: readonly Label[]) {
    this.classes = [...classes];
    this.classes.forEach((c, i) => this.index.set(key(c), i));
    if (this.index.size !== this.classes.length) throw new RangeError('LabelSet: repeated class');
  }

  /** The sorted distinct labels of `labels`. */
  static fit(labels: Iterable<Label>): LabelSet {
    const seen = new Map<string, Label>();
    for (const l of labels) seen.set(key(l), l);
    return new LabelSet([...seen.values()].sort(compare));
  }

  get size(): number {
    return this.classes.length;
  }

  /** The id of a label, or -1 when the model never saw it. */
  id(l: Label): number {
    return this.index.get(key(l)) ?? -1;
  }

  /** Id of a label that must be known (`where` names it in the error). */
  idOf(l: Label, where: string): number {
    const i = this.id(l);
    if (i < 0)
      throw new RangeError(
        `${where}: label ${JSON.stringify(l)} is not one of the model's ${this.size} classes (${this.classes
          .slice(0, 8)
          .map((c) => JSON.stringify(c))
          .join(', ')}${this.size > 8 ? ', ...' : ''})`,
      );
    return i;
  }

  label(id: number): Label {
    return this.classes[id]!;
  }
}

export const UNK_TOKEN = '<unk>';

/** Tokens to ids; id 0 is `<unk>`, the rest sorted (code-point order). */
export class TokenVocab {
  readonly tokens: string[];
  private readonly index = new Map<string, number>();

  constructor(tokens: readonly string[]) {
    if (tokens[0] !== UNK_TOKEN) throw new RangeError(`TokenVocab: token 0 must be ${UNK_TOKEN}`);
    this.tokens = [...tokens];
    this.tokens.forEach((t, i) => this.index.set(t, i));
  }

  static fit(seqs: Iterable<readonly string[]>): TokenVocab {
    const seen = new Set<string>();
    for (const s of seqs) for (const t of s) seen.add(t);
    seen.delete(UNK_TOKEN);
    return new TokenVocab([UNK_TOKEN, ...[...seen].sort()]);
  }

  get size(): number {
    return this.tokens.length;
  }

  /** Id of a token; unknown tokens give 0 (`<unk>`). */
  id(t: string): number {
    return this.index.get(t) ?? 0;
  }
}
