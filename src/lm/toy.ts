/**
 * Seeded toy tasks for the encoder-decoder, scored by exact match of the decoded string:
 *
 *   reverse:  "40213" -> "31204"    digits, length 1..maxLen (default 6)
 *   addition: "123+45=" -> "168"    operands 0 .. 10^maxLen - 1 (default 3 digits); "861" with lsbFirst
 *
 * Sources use the task's characters; targets use BOS, EOS and the digits. Training draws fresh
 * examples every step (same seed, same stream); the score is on `evalN` examples from a
 * separate seed, decoded greedily or by beam search.
 */
import { Rng } from '../random.js';
import { Adam } from '../train/optim.js';
import { Trainer } from '../train/trainer.js';
import type { CellType } from '../layers/stack.js';
import { EncoderDecoder } from './encdec.js';

export const TOY_TASKS = ['reverse', 'addition'] as const;
export type ToyTaskName = (typeof TOY_TASKS)[number];

export interface ToyTask {
  name: ToyTaskName;
  srcChars: string;
  /** Target characters; target id = index + 2 (0 = BOS, 1 = EOS). */
  tgtChars: string;
  /** One example: source and target strings. */
  example(rng: Rng): { source: string; target: string };
}

/** `lsbFirst` (addition): write the sum least-significant digit first, the order carries flow in. */
export function makeToyTask(name: ToyTaskName, maxLen?: number, opts: { lsbFirst?: boolean } = {}): ToyTask {
  if (name === 'reverse') {
    const n = maxLen ?? 6;
    if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`reverse: maxLen must be a positive integer, got ${n}`);
    return {
      name,
      srcChars: '0123456789',
      tgtChars: '0123456789',
      example(rng) {
        const len = 1 + rng.int(n);
        let s = '';
        for (let i = 0; i < len; i++) s += String(rng.int(10));
        return { source: s, target: [...s].reverse().join('') };
      },
    };
  }
  if (name === 'addition') {
    const d = maxLen ?? 3;
    if (!(Number.isInteger(d) && d >= 1 && d <= 7))
      throw new RangeError(`addition: maxLen (digits) must be an integer in 1..7, got ${d}`);
    const top = 10 ** d;
    return {
      name,
      srcChars: '0123456789+=',
      tgtChars: '0123456789',
      example(rng) {
        const a = rng.int(top),
          b = rng.int(top);
        const sum = String(a + b);
        return { source: `${a}+${b}=`, target: opts.lsbFirst ? [...sum].reverse().join('') : sum };
      },
    };
  }
  throw new RangeError(`unknown toy task '${String(name)}'; expected ${TOY_TASKS.join(' or ')}`);
}

export function encodeSource(task: ToyTask, s: string): number[] {
  return [...s].map((ch) => {
    const i = task.srcChars.indexOf(ch);
    if (i < 0) throw new RangeError(`${task.name}: character '${ch}' is not in the source alphabet '${task.srcChars}'`);
    return i;
  });
}

export const encodeTarget = (task: ToyTask, s: string): number[] => [...s].map((ch) => task.tgtChars.indexOf(ch) + 2);
export const decodeTarget = (task: ToyTask, ids: readonly number[]): string =>
  ids.map((i) => (i >= 2 ? task.tgtChars[i - 2] : '?')).join('');

export function newToyModel(
  task: ToyTask,
  o: { cell?: CellType; hidden?: number; embed?: number; seed?: number } = {},
): EncoderDecoder {
  return new EncoderDecoder({
    srcVocab: task.srcChars.length,
    tgtVocab: task.tgtChars.length + 2,
    bos: 0,
    eos: 1,
    cell: o.cell ?? 'lstm',
    hiddenSize: o.hidden ?? 128,
    embedDim: o.embed ?? 16,
    seed: o.seed ?? 1,
  });
}

/** Exact-match rate of decoded strings on `n` examples from `seed`. */
export function exactMatch(
  model: EncoderDecoder,
  task: ToyTask,
  n: number,
  seed: number,
  beam = 1,
): { rate: number; examples: { source: string; target: string; output: string }[] } {
  const rng = new Rng(seed),
    examples: { source: string; target: string; output: string }[] = [];
  let right = 0;
  const maxLen = task.name === 'addition' ? 12 : 40;
  for (let s = 0; s < n; s += 256) {
    const exs = Array.from({ length: Math.min(256, n - s) }, () => task.example(rng));
    const out = model.decode(
      exs.map((e) => encodeSource(task, e.source)),
      { beam, maxLen },
    ).tokens;
    exs.forEach((e, i) => {
      const o = decodeTarget(task, out[i]!);
      if (o === e.target) right++;
      if (examples.length < 8) examples.push({ ...e, output: o });
    });
  }
  return { rate: right / n, examples };
}

export interface ToyRunOptions {
  task: ToyTaskName;
  maxLen?: number;
  /** addition: the sum written least-significant digit first. */
  lsbFirst?: boolean;
  cell?: CellType;
  hidden?: number;
  embed?: number;
  batch?: number;
  lr?: number;
  clip?: number;
  steps?: number;
  maxSeconds?: number;
  seed?: number;
  beam?: number;
  evalN?: number;
  /** Check exact match (greedy, 500 examples) every N steps; stop once it reaches `target`. */
  evalEvery?: number;
  target?: number;
  /** Checks without improvement before the learning rate is halved (default 2). */
  patience?: number;
  onLog?: (rec: Record<string, number | string>) => void;
}

export interface ToyRunResult {
  task: ToyTaskName;
  exactMatch: number;
  evalN: number;
  beam: number;
  steps: number;
  seconds: number;
  examples: { source: string; target: string; output: string }[];
  config: Record<string, unknown>;
  /** The seed of the final evaluation's examples (exactMatch(model, task, evalN, evalSeed, beam) repeats it). */
  evalSeed: number;
  /** The trained model and its task (to save, or to decode more). */
  model: EncoderDecoder;
  toyTask: ToyTask;
}

/** Trains an encoder-decoder on a toy task (Adam, clipping, fresh data each step) and scores it. */
export function runToyTask(o: ToyRunOptions): ToyRunResult {
  const task = makeToyTask(o.task, o.maxLen, { lsbFirst: o.lsbFirst }),
    seed = o.seed ?? 1;
  const cfg = {
    cell: o.cell ?? 'lstm',
    hidden: o.hidden ?? 128,
    embed: o.embed ?? 16,
    batch: o.batch ?? 64,
    lr: o.lr ?? 0.005,
    clip: o.clip ?? 1,
    seed,
  };
  const model = newToyModel(task, cfg);
  const opt = new Adam(model.params, { lr: cfg.lr });
  const trainer = new Trainer(model, opt, { clipNorm: cfg.clip > 0 ? cfg.clip : undefined });
  const rng = new Rng(seed * 31 + 7),
    t0 = performance.now(),
    secs = () => (performance.now() - t0) / 1000;
  const evalEvery = o.evalEvery ?? 100,
    target = o.target ?? 0.995,
    maxSteps = o.steps ?? (o.maxSeconds ? Infinity : 2000);
  let step = 0,
    avg = NaN,
    best = -1,
    bestLoss = Infinity,
    stale = 0;
  while (step < maxSteps && !(o.maxSeconds !== undefined && secs() >= o.maxSeconds)) {
    const exs = Array.from({ length: cfg.batch }, () => task.example(rng));
    const b = model.makeBatch(
      exs.map((e) => encodeSource(task, e.source)),
      exs.map((e) => encodeTarget(task, e.target)),
    );
    const r = trainer.train(b);
    step++;
    avg = Number.isNaN(avg) ? r.loss : 0.95 * avg + 0.05 * r.loss;
    if (step % evalEvery === 0) {
      const em = exactMatch(model, task, 500, seed + 1000).rate; // a fixed check set, not the final one
      o.onLog?.({ step, loss: avg, exact_match_check: em, lr: trainer.baseLr, seconds: secs() });
      if (em >= target) break;
      // Halve the step size when neither the check nor the loss has improved for `patience` checks
      // (down to lr/16): Adam at a constant rate hovers just below the last percent. The loss clause
      // keeps a slow start from cutting the rate before learning has begun.
      const better = em > best || avg < 0.97 * bestLoss;
      best = Math.max(best, em);
      bestLoss = Math.min(bestLoss, avg);
      if (better) stale = 0;
      else if (++stale >= (o.patience ?? 2) && trainer.baseLr > cfg.lr / 16) {
        trainer.baseLr /= 2;
        stale = 0;
      }
    }
  }
  const seconds = secs(),
    evalN = o.evalN ?? 2000,
    beam = o.beam ?? 1;
  const evalSeed = seed + 2_000_003;
  const em = exactMatch(model, task, evalN, evalSeed, beam);
  return {
    task: o.task,
    exactMatch: em.rate,
    evalN,
    beam,
    steps: step,
    seconds,
    examples: em.examples,
    config: { ...cfg, maxLen: o.maxLen ?? null, lsbFirst: o.lsbFirst ?? false },
    evalSeed,
    model,
    toyTask: task,
  };
}
