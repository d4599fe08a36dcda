/**
 * A seeded English-like corpus for the experiments that need text and must run without files:
 * sentences from a few templates over a vocabulary of topic words (four topics: sea, farm,
 * city, forest; nouns with plurals, verbs with -s/-ed/-ing forms, adjectives) and shared words.
 * Each sentence belongs to one topic: its content slots take a word of that topic with
 * probability `topical`, a word of another topic with probability `distract`, else a shared
 * word. So a sentence with no topical word carries no label information (the best possible
 * accuracy is below 100%), and words of several forms share their spelling (subword n-grams
 * carry information a word-level hash does not).
 *
 *   sentences(n, opts) -> { text, label }[]     labelled sentences (text classification)
 *   corpusText(chars, opts) -> string            paragraphs of same-topic sentences (language modelling)
 */
import { Rng } from '../random.js';

export const TOPICS = ['sea', 'farm', 'city', 'forest'] as const;

const NOUNS: Record<(typeof TOPICS)[number], string[]> = {
  sea: (
    'ship wave sailor harbor anchor gull tide shore reef whale boat net captain storm island ' +
    'current deck mast crab pearl lighthouse fisher oar dock bay'
  ).split(' '),
  farm: (
    'cow barn farmer field tractor wheat hen goat pig orchard plow fence harvest seed hay ' +
    'stable lamb meadow crop sheep mill well silo calf'
  ).split(' '),
  city: (
    'street tower bus taxi office market bridge train subway crowd mayor lamp shop cafe ' +
    'square station siren alley bank traffic apartment clerk theater park'
  ).split(' '),
  forest: (
    'tree fox owl deer moss fern trail oak pine wolf bear river branch mushroom cabin hunter ' +
    'nest leaf root squirrel stream acorn badger grove'
  ).split(' '),
};
const VERBS: Record<(typeof TOPICS)[number], string[]> = {
  sea: 'sail row drift anchor fish dive splash navigate moor float'.split(' '),
  farm: 'plow harvest milk plant graze feed sow herd shear bale'.split(' '),
  city: 'commute honk park shop rush queue ride glow crowd signal'.split(' '),
  forest: 'climb howl forage hunt rustle nest prowl gather burrow hoot'.split(' '),
};
const ADJS: Record<(typeof TOPICS)[number], string[]> = {
  sea: 'salty stormy briny coastal windy foggy'.split(' '),
  farm: 'muddy rustic golden fertile dusty grassy'.split(' '),
  city: 'busy noisy crowded urban neon concrete'.split(' '),
  forest: 'mossy wild shady leafy ancient dense'.split(' '),
};
const SHARED_NOUNS = (
  'man woman child friend day night morning evening year light sound voice road house door window ' +
  'hand story song dream fire water stone wind rain sun moon'
).split(' ');
const SHARED_VERBS = 'see find watch call wait walk hear hold carry follow remember leave turn move rest'.split(' ');
const SHARED_ADJS = 'old young quiet small large bright dark cold warm strange long gentle'.split(' ');

const plural = (n: string) =>
  /(s|sh|ch|x)$/.test(n)
    ? `${n}es`
    : /[^aeiou]y$/.test(n)
      ? `${n.slice(0, -1)}ies`
      : n.endsWith('f')
        ? `${n.slice(0, -1)}ves`
        : `${n}s`;
const third = (v: string) => (/(s|sh|ch|x)$/.test(v) ? `${v}es` : `${v}s`);
const past = (v: string) => (v.endsWith('e') ? `${v}d` : `${v}ed`);
const ing = (v: string) => (v.endsWith('e') && !v.endsWith('ee') ? `${v.slice(0, -1)}ing` : `${v}ing`);

export interface CorpusOptions {
  /** Probability that a content slot takes a word of the sentence's topic (default 0.3). */
  topical?: number;
  /** Probability that it takes a word of another topic (default 0.08). */
  distract?: number;
  seed?: number;
}

type Kind = 'n' | 'v' | 'a';

class Generator {
  private readonly rng: Rng;
  private readonly topical: number;
  private readonly distract: number;
  constructor(o: CorpusOptions) {
    this.rng = new Rng(o.seed ?? 1);
    this.topical = o.topical ?? 0.3;
    this.distract = o.distract ?? 0.08;
  }
  private pick<T>(a: readonly T[]): T {
    return a[this.rng.int(a.length)]!;
  }
  private word(kind: Kind, topic: number): string {
    const u = this.rng.uniform();
    let t = -1;
    if (u < this.topical) t = topic;
    else if (u < this.topical + this.distract) t = (topic + 1 + this.rng.int(TOPICS.length - 1)) % TOPICS.length;
    const name = t >= 0 ? TOPICS[t]! : null;
    if (kind === 'n') return this.pick(name ? NOUNS[name] : SHARED_NOUNS);
    if (kind === 'v') return this.pick(name ? VERBS[name] : SHARED_VERBS);
    return this.pick(name ? ADJS[name] : SHARED_ADJS);
  }
  private np(topic: number): string {
    const det = this.pick(['the', 'the', 'a', 'every', 'that', 'one']);
    const adj = this.rng.uniform() < 0.5 ? `${this.word('a', topic)} ` : '';
    const n = this.word('n', topic);
    return this.rng.uniform() < 0.3
      ? `${det === 'a' || det === 'every' || det === 'one' ? 'the' : det} ${adj}${plural(n)}`
      : `${det} ${adj}${n}`;
  }
  sentence(topic: number): string {
    const v = () => this.word('v', topic);
    const s = [
      () => `${this.np(topic)} ${third(v())} ${this.np(topic)}.`,
      () => `${this.np(topic)} ${past(v())} near ${this.np(topic)}, and ${this.np(topic)} ${past(v())}.`,
      () => `we ${v()} ${this.np(topic)} when ${this.np(topic)} is ${this.word('a', topic)}.`,
      () => `"${this.word('v', topic)}!" said ${this.np(topic)}, ${ing(v())} by ${this.np(topic)}.`,
      () => `was ${this.np(topic)} ${ing(v())} in ${this.np(topic)}?`,
      () =>
        `${this.np(topic)} and ${this.np(topic)} ${v()} together (${this.word('a', topic)} and ` +
        `${this.word('a', topic)}).`,
    ];
    const out = this.pick(s)();
    return out[0]!.toUpperCase() + out.slice(1);
  }
  topic(): number {
    return this.rng.int(TOPICS.length);
  }
  int(n: number): number {
    return this.rng.int(n);
  }
}

/** n labelled sentences, topics drawn uniformly. */
export function sentences(n: number, o: CorpusOptions = {}): { text: string; label: number }[] {
  const g = new Generator(o);
  return Array.from({ length: n }, () => {
    const label = g.topic();
    return { text: g.sentence(label), label };
  });
}

/** About `chars` characters of paragraphs (3-8 sentences of one topic each), for language models. */
export function corpusText(chars: number, o: CorpusOptions = {}): string {
  const g = new Generator(o);
  const parts: string[] = [];
  let len = 0;
  while (len < chars) {
    const topic = g.topic(),
      k = 3 + g.int(6);
    const para = Array.from({ length: k }, () => g.sentence(topic)).join(' ') + '\n';
    parts.push(para);
    len += para.length;
  }
  return parts.join('').slice(0, chars);
}

/** Lower-cased word tokens (letters and digits), the tokenisation of the text experiments. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];
}
