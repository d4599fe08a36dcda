/**
 * From a list of sequences of any lengths to the time-major, padded `Batch` a model consumes
 * (DESIGN.md, decision 1): inputs [T, B, F] (or token ids [T*B]) with T the longest sequence of
 * the batch, `lengths` [B], and targets per sequence ([B] class ids, [B, O] values) or per step
 * ([T*B] class ids, -1 on padding). Buffers are reused from batch to batch (`PadBuffers`), so
 * an epoch allocates only when a batch is larger than any before it.
 *
 * Also: seeded permutations and the split of a data set into training and validation parts.
 */
import type { Batch } from '../batch.js';
import type { Rng } from '../random.js';

/** Reusable scratch for padded batches. */
export class PadBuffers {
  x = new Float32Array(0);
  ids = new Int32Array(0);
  y = new Float32Array(0);
  lengths = new Int32Array(0);

  /** A view of exactly n values of buffer `k`, grown when needed. */
  take<K extends 'x' | 'ids' | 'y' | 'lengths'>(k: K, n: number): PadBuffers[K] {
    const self = this as PadBuffers;
    if (self[k].length < n) {
      const Ctor = self[k].constructor as { new (n: number): PadBuffers[K] };
      self[k] = new Ctor(Math.max(n, self[k].length * 2));
    }
    return self[k].subarray(0, n) as PadBuffers[K];
  }
}

/**
 * Pads the sequences `seqs[idx[b]]` (each [T_i * F] values, or token ids with F = 1 and
 * `tokens`) time-major into a batch without targets (y empty; set by the caller).
 */
export function padInputs(
  seqs: readonly (Float32Array | Int32Array)[],
  F: number,
  idx: ArrayLike<number>,
  buf: PadBuffers,
  tokens: boolean,
): Batch & { lengths: Int32Array } {
  const B = idx.length;
  const lengths = buf.take('lengths', B);
  let T = 0;
  for (let b = 0; b < B; b++) {
    const L = seqs[idx[b]!]!.length / F;
    lengths[b] = L;
    if (L > T) T = L;
  }
  if (tokens) {
    const ids = buf.take('ids', T * B);
    ids.fill(0);
    for (let b = 0; b < B; b++) {
      const s = seqs[idx[b]!]!;
      for (let t = 0; t < s.length; t++) ids[t * B + b] = s[t]!;
    }
    return { T, B, ids, y: [], lengths };
  }
  const x = buf.take('x', T * B * F);
  x.fill(0);
  for (let b = 0; b < B; b++) {
    const s = seqs[idx[b]!]!,
      L = lengths[b]!;
    for (let t = 0; t < L; t++) x.set(s.subarray(t * F, (t + 1) * F), (t * B + b) * F);
  }
  return { T, B, x, y: [], lengths };
}

/** Per-sequence targets: y [B * O] from `targets[idx[b]]` (class ids: O = 1). */
export function padSequenceTargets(
  targets: readonly ArrayLike<number>[],
  O: number,
  idx: ArrayLike<number>,
  buf: PadBuffers,
): Float32Array {
  const B = idx.length,
    y = buf.take('y', B * O);
  for (let b = 0; b < B; b++) {
    const t = targets[idx[b]!]!;
    for (let o = 0; o < O; o++) y[b * O + o] = t[o]!;
  }
  return y;
}

/** Per-step class ids: y [T * B] time-major, -1 past each sequence's end (ignored by the loss). */
export function padStepTargets(
  targets: readonly ArrayLike<number>[],
  T: number,
  idx: ArrayLike<number>,
  buf: PadBuffers,
): Float32Array {
  const B = idx.length,
    y = buf.take('y', T * B);
  y.fill(-1);
  for (let b = 0; b < B; b++) {
    const t = targets[idx[b]!]!;
    for (let s = 0; s < t.length; s++) y[s * B + b] = t[s]!;
  }
  return y;
}

/** 0..n-1, shuffled by `rng` when given. */
export function order(n: number, rng?: Rng): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  return rng ? rng.shuffle(a) : a;
}

/** Cuts `ord` into batches of `size` (the last one smaller). */
export function chunks(ord: readonly number[], size: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < ord.length; i += size) out.push(ord.slice(i, i + size));
  return out;
}

/**
 * A seeded random split of n items: `fraction` of them (at least 1, and at least 1 left) go to
 * validation. Returns sorted index lists, so the training part keeps the data's order.
 */
export function splitIndices(n: number, fraction: number, rng: Rng): { train: number[]; val: number[] } {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`validationSplit must be in (0, 1), got ${fraction}`);
  if (n < 2) throw new RangeError(`validationSplit needs at least 2 sequences, got ${n}`);
  const k = Math.min(n - 1, Math.max(1, Math.round(n * fraction)));
  const perm = order(n, rng);
  const val = perm.slice(0, k).sort((a, b) => a - b),
    train = perm.slice(k).sort((a, b) => a - b);
  return { train, val };
}
