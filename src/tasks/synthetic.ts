/**
 * The classic long-term-dependency tasks as seeded generators, each with the success
 * criterion of the papers (Hochreiter & Schmidhuber 1997; Martens & Sutskever 2011;
 * Pascanu, Mikolov & Bengio 2013; Arjovsky et al. 2016). Every task yields time-major
 * batches for SequenceModel and says when an answer is wrong (train/evaluate.ts scores a
 * model on fresh sequences from its own seed).
 *
 * Success (Pascanu 2013): fewer than 1% of 10,000 fresh sequences wrong. A sequence is wrong
 * when its squared error exceeds 0.04 (adding, multiplication), its class is wrong (temporal
 * order, permutation), any recalled symbol is wrong (memorisation, copy), or any next-symbol
 * set is mispredicted (Reber).
 */
import type { Rng } from '../random.js';
import type { Batch } from '../batch.js';
import { addingBatch } from './adding.js';

export type TaskName =
  | 'adding'
  | 'multiplication'
  | 'order'
  | 'order3'
  | 'permutation'
  | 'memorization'
  | 'copy'
  | 'reber'
  | 'embedded-reber';
export const TASKS: TaskName[] = [
  'adding',
  'multiplication',
  'order',
  'order3',
  'permutation',
  'memorization',
  'copy',
  'reber',
  'embedded-reber',
];

export interface TaskConfig {
  name: TaskName;
  T: number;
  variant?: 'pascanu' | 'hochreiter';
}

export interface EvalResult {
  /** mse (regression) or cross-entropy (classification) on the evaluation set. */
  loss: number;
  /** Fraction of sequences counted wrong by the task's criterion. */
  errorRate: number;
  /** errorRate < 1%. */
  success: boolean;
  sequences: number;
  mse?: number;
  baseline: number;
}

export interface Task {
  readonly config: TaskConfig;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly head: 'last' | 'every';
  readonly loss: 'mse' | 'xent';
  /** Loss of the trivial predictor (e.g. MSE 0.167 for adding, 10 ln 8/(T+20) for copy). */
  readonly baseline: number;
  /** Sequence length of a batch (copy: T + 20; Reber: longest string). */
  batch(rng: Rng, B: number): Batch & { x: Float32Array };
  /** Per-sequence wrongness of predictions for a batch. */
  wrong(pred: ArrayLike<number>, b: Batch, i: number): boolean;
}

function oneHot(x: Float32Array, t: number, B: number, j: number, F: number, k: number): void {
  x[(t * B + j) * F + k] = 1;
}

/** Adding and multiplication: (value, marker) inputs, one output on the last step. */
function arithmetic(cfg: TaskConfig, mult: boolean): Task {
  return {
    config: cfg,
    inputSize: 2,
    outputSize: 1,
    head: 'last',
    loss: 'mse',
    baseline: mult ? 0.0486 : 1 / 6, // Var of the sum/product of two U[0,1) values (the best constant predictor)
    batch(rng, B) {
      const b = addingBatch(rng, B, { T: cfg.T, variant: cfg.variant });
      if (mult) {
        for (let j = 0; j < B; j++) {
          let p = 1;
          for (let t = 0; t < cfg.T; t++) if (b.x[(t * B + j) * 2 + 1] === 1) p *= b.x[(t * B + j) * 2]!;
          b.y[j] = p;
        }
      }
      return b;
    },
    wrong: (pred, b, i) => (pred[i]! - b.y[i]!) ** 2 > 0.04,
  };
}

/**
 * Temporal order (2-bit or 3-bit): symbols A, B at 2 (or 3) marked positions among
 * distractors c..f; the class is the ordered pattern (AA, AB, BA, BB, ...). One-hot of 6.
 * Positions (Pascanu 2013): [0.1T, 0.2T), [0.5T, 0.6T) for 2 bits; add [0.3T, 0.4T) for 3.
 */
function temporalOrder(cfg: TaskConfig, bits: 2 | 3): Task {
  const T = cfg.T;
  if (T < 10) throw new RangeError(`order: T must be >= 10, got ${T}`);
  const windows =
    bits === 2
      ? [
          [0.1, 0.2],
          [0.5, 0.6],
        ]
      : [
          [0.1, 0.2],
          [0.3, 0.4],
          [0.6, 0.7],
        ];
  return {
    config: cfg,
    inputSize: 6,
    outputSize: 2 ** bits,
    head: 'last',
    loss: 'xent',
    baseline: Math.log(2 ** bits),
    batch(rng, B) {
      const x = new Float32Array(T * B * 6),
        y = new Float32Array(B);
      for (let j = 0; j < B; j++) {
        const sym = new Int32Array(T);
        for (let t = 0; t < T; t++) sym[t] = 2 + rng.int(4);
        let cls = 0;
        for (const [lo, hi] of windows) {
          const a = Math.floor(lo! * T),
            z = Math.max(a + 1, Math.floor(hi! * T));
          const t = a + rng.int(z - a),
            s = rng.int(2);
          sym[t] = s;
          cls = cls * 2 + s;
        }
        for (let t = 0; t < T; t++) oneHot(x, t, B, j, 6, sym[t]!);
        y[j] = cls;
      }
      return { T, B, x, y };
    },
    wrong: (pred, b, i) => argmax(pred, i * 2 ** bits, 2 ** bits) !== b.y[i],
  };
}

/** Random permutation (Pascanu 2013): 100 symbols; predict at the end the symbol seen first. */
function permutation(cfg: TaskConfig): Task {
  const T = cfg.T,
    V = 100;
  return {
    config: cfg,
    inputSize: V,
    outputSize: V,
    head: 'last',
    loss: 'xent',
    baseline: Math.log(V),
    batch(rng, B) {
      const x = new Float32Array(T * B * V),
        y = new Float32Array(B);
      for (let j = 0; j < B; j++) {
        const first = rng.int(V);
        oneHot(x, 0, B, j, V, first);
        for (let t = 1; t < T; t++) oneHot(x, t, B, j, V, rng.int(V));
        y[j] = first;
      }
      return { T, B, x, y };
    },
    wrong: (pred, b, i) => argmax(pred, i * V, V) !== b.y[i],
  };
}

/**
 * Noiseless memorisation (Martens & Sutskever 2011): a 5-symbol binary pattern, T blanks,
 * a trigger, then the pattern must be recalled over 5 steps. Inputs: one-hot of 4
 * (0, 1, blank, trigger); outputs: 2 classes, counted on the 5 recall steps only.
 */
function memorization(cfg: TaskConfig): Task {
  const P = 5,
    L = P + cfg.T + 1 + P;
  return {
    config: cfg,
    inputSize: 4,
    outputSize: 2,
    head: 'every',
    loss: 'xent',
    baseline: Math.log(2),
    batch(rng, B) {
      const x = new Float32Array(L * B * 4),
        y = new Float32Array(L * B).fill(-1);
      for (let j = 0; j < B; j++) {
        for (let t = 0; t < L; t++) {
          let s = 2;
          if (t < P) {
            s = rng.int(2);
            y[(L - P + t) * B + j] = s;
          } else if (t === P + cfg.T) s = 3;
          oneHot(x, t, B, j, 4, s);
        }
      }
      return { T: L, B, x, y };
    },
    wrong: (pred, b, i) => {
      for (let t = L - P; t < L; t++) if (argmax(pred, (t * b.B + i) * 2, 2) !== b.y[t * b.B + i]) return true;
      return false;
    },
  };
}

/**
 * Copy task (Arjovsky et al. 2016): 10 symbols from 8, T-1 blanks, a delimiter, 10 blanks;
 * the output is blank except the last 10 steps, which must repeat the symbols. Length T+20,
 * 10 classes (0 blank, 1-8 data, 9 delimiter). Baseline (blanks, then uniform guesses): 10 ln 8 / (T + 20).
 */
function copy(cfg: TaskConfig): Task {
  const S = 10,
    L = cfg.T + 2 * S,
    C = 10;
  return {
    config: cfg,
    inputSize: C,
    outputSize: C,
    head: 'every',
    loss: 'xent',
    baseline: (S * Math.log(8)) / L,
    batch(rng, B) {
      const x = new Float32Array(L * B * C),
        y = new Float32Array(L * B);
      for (let j = 0; j < B; j++) {
        const data = Array.from({ length: S }, () => 1 + rng.int(8));
        for (let t = 0; t < L; t++) {
          const s = t < S ? data[t]! : t === S + cfg.T - 1 ? 9 : 0;
          oneHot(x, t, B, j, C, s);
          y[t * B + j] = t >= L - S ? data[t - (L - S)]! : 0;
        }
      }
      return { T: L, B, x, y };
    },
    wrong: (pred, b, i) => {
      for (let t = L - S; t < L; t++) if (argmax(pred, (t * b.B + i) * C, C) !== b.y[t * b.B + i]) return true;
      return false;
    },
  };
}

// Reber grammar: symbols B T P S X V E; transitions from each state.
const REBER_SYMBOLS = 'BTPSXVE';
const REBER: [string, number][][] = [
  [
    ['T', 1],
    ['P', 2],
  ], // s0 (after B)
  [
    ['S', 1],
    ['X', 3],
  ], // s1
  [
    ['T', 2],
    ['V', 4],
  ], // s2
  [
    ['X', 2],
    ['S', 5],
  ], // s3
  [
    ['P', 3],
    ['V', 5],
  ], // s4
];

/** One Reber string and, per position, the set of legal next symbols (bit mask). */
function reberString(rng: Rng, embedded: boolean, maxLen: number): { s: number[]; legal: number[] } {
  for (;;) {
    const s: number[] = [],
      legal: number[] = [];
    const bit = (c: string) => 1 << REBER_SYMBOLS.indexOf(c);
    const push = (c: string, next: number) => {
      s.push(REBER_SYMBOLS.indexOf(c));
      legal.push(next);
    };
    const inner = (after: number) => {
      push('B', bit('T') | bit('P'));
      let st = 0;
      while (st !== 5) {
        const opts = REBER[st]!;
        const [c, nxt] = opts[rng.int(2)]!;
        const nextLegal = nxt === 5 ? bit('E') : REBER[nxt]!.reduce((m, [cc]) => m | bit(cc), 0);
        push(c, nextLegal);
        st = nxt;
      }
      push('E', after);
    };
    if (embedded) {
      const which = rng.int(2) ? 'T' : 'P';
      push('B', bit('T') | bit('P'));
      push(which, bit('B'));
      inner(bit(which));
      push(which, bit('E'));
      push('E', 0);
    } else {
      inner(0);
    }
    if (s.length <= maxLen) return { s, legal };
  }
}

/**
 * Reber / embedded Reber grammar: predict the next symbol at every step (7 classes);
 * a string is right when at every step the legal successors are exactly the top-k
 * predictions (k = number of legal successors). Embedded Reber tests the long-range
 * dependency: the second-to-last symbol must repeat the second. T is the maximum length.
 */
function reber(cfg: TaskConfig, embedded: boolean): Task {
  const V = 7,
    maxLen = Math.max(cfg.T, embedded ? 9 : 5);
  const legalCache = new WeakMap<Batch, Int32Array>();
  return {
    config: cfg,
    inputSize: V,
    outputSize: V,
    head: 'every',
    loss: 'xent',
    baseline: Math.log(2),
    batch(rng, B) {
      const strs = Array.from({ length: B }, () => reberString(rng, embedded, maxLen));
      const T = Math.max(...strs.map((q) => q.s.length)) - 1;
      const x = new Float32Array(T * B * V),
        y = new Float32Array(T * B).fill(-1),
        legal = new Int32Array(T * B);
      const lengths = strs.map((q) => q.s.length - 1);
      strs.forEach((q, j) => {
        for (let t = 0; t < q.s.length - 1; t++) {
          oneHot(x, t, B, j, V, q.s[t]!);
          y[t * B + j] = q.s[t + 1]!;
          legal[t * B + j] = q.legal[t]!;
        }
      });
      const b = { T, B, x, y, lengths };
      legalCache.set(b, legal);
      return b;
    },
    wrong: (pred, b, i) => {
      const legal = legalCache.get(b)!;
      for (let t = 0; t < b.lengths![i]!; t++) {
        const m = legal[t * b.B + i]!,
          o = (t * b.B + i) * V;
        const k = popcount(m);
        const order = Array.from({ length: V }, (_, v) => v).sort((a, c) => pred[o + c]! - pred[o + a]!);
        for (let r = 0; r < k; r++) if (!(m & (1 << order[r]!))) return true;
      }
      return false;
    },
  };
}

function popcount(m: number): number {
  let c = 0;
  while (m) {
    c += m & 1;
    m >>= 1;
  }
  return c;
}

function argmax(a: ArrayLike<number>, off: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (a[off + i]! > a[off + best]!) best = i;
  return best;
}

export function makeTask(cfg: TaskConfig): Task {
  if (!Number.isInteger(cfg.T) || cfg.T < 2)
    throw new RangeError(`task ${cfg.name}: T must be an integer >= 2, got ${cfg.T}`);
  switch (cfg.name) {
    case 'adding':
      return arithmetic(cfg, false);
    case 'multiplication':
      return arithmetic(cfg, true);
    case 'order':
      return temporalOrder(cfg, 2);
    case 'order3':
      return temporalOrder(cfg, 3);
    case 'permutation':
      return permutation(cfg);
    case 'memorization':
      return memorization(cfg);
    case 'copy':
      return copy(cfg);
    case 'reber':
      return reber(cfg, false);
    case 'embedded-reber':
      return reber(cfg, true);
    default:
      throw new RangeError(`unknown task '${cfg.name as string}'; expected one of ${TASKS.join(', ')}`);
  }
}
