/**
 * Users' sequences in the forms people hold them, checked once and turned into one internal
 * form: a list of sequences of any lengths, dense (`Float32Array [T_i * F]`, steps of F
 * features) or tokens (`string[]`, one entry per step).
 *
 * Accepted inputs (`SequencesInput`):
 *   number[][][]            N sequences of T_i steps of F features (ragged T_i)
 *   number[][]              N univariate sequences (F = 1)
 *   string[]                N texts: each character is a step (token input)
 *   string[][]              N sequences of tokens (words, symbols)
 *   { shape, data, lengths?, batchFirst? }   a padded tensor [N, T, F] (batchFirst) or
 *                           [T, N, F] (time-major, PyTorch's default); rows past lengths[n]
 *                           are padding and ignored
 *
 * Errors name the sequence and the step (`x[3][7]: non-finite value NaN`).
 */
import { ShapeError } from '../tensor.js';

export type Label = string | number;

/** A padded tensor of sequences: [N, T, F] with batchFirst, else [T, N, F] (PyTorch's default). */
export interface PaddedSequences {
  shape: number[];
  data: ArrayLike<number>;
  /** Valid steps of each sequence (default: all T). */
  lengths?: ArrayLike<number>;
  batchFirst?: boolean;
}

export type SequencesInput =
  | readonly (readonly ArrayLike<number>[])[]
  | readonly ArrayLike<number>[]
  | readonly string[]
  | readonly (readonly string[])[]
  | PaddedSequences;

export type Sequences = { kind: 'dense'; F: number; seqs: Float32Array[] } | { kind: 'tokens'; seqs: string[][] };

export function lengthOf(s: Sequences, i: number): number {
  return s.kind === 'dense' ? s.seqs[i]!.length / s.F : s.seqs[i]!.length;
}

function isPadded(x: unknown): x is PaddedSequences {
  return !!x && typeof x === 'object' && !Array.isArray(x) && 'shape' in x && 'data' in x;
}

function fromPadded(p: PaddedSequences, what: string): Sequences {
  if (!Array.isArray(p.shape) || p.shape.length !== 3 || p.shape.some((d) => !Number.isInteger(d) || d < 1))
    throw new ShapeError(`${what}: a padded tensor needs shape [N, T, F] or [T, N, F] of positive sizes`);
  const bf = p.batchFirst ?? false;
  const [a, b, F] = p.shape as [number, number, number];
  const N = bf ? a : b,
    T = bf ? b : a;
  if (p.data.length !== N * T * F)
    throw new ShapeError(`${what}: shape [${p.shape}] needs ${N * T * F} values, got ${p.data.length}`);
  if (p.lengths && p.lengths.length !== N)
    throw new ShapeError(`${what}: lengths needs ${N} entries (one per sequence), got ${p.lengths.length}`);
  const seqs: Float32Array[] = [];
  for (let n = 0; n < N; n++) {
    const L = p.lengths ? p.lengths[n]! : T;
    if (!Number.isInteger(L) || L < 1 || L > T)
      throw new RangeError(`${what}: lengths[${n}] = ${L}; expected an integer in 1..${T}`);
    const s = new Float32Array(L * F);
    for (let t = 0; t < L; t++)
      for (let f = 0; f < F; f++) {
        const v = p.data[(bf ? n * T + t : t * N + n) * F + f]!;
        if (!Number.isFinite(v)) throw new RangeError(`${what}[${n}][${t}]: non-finite value ${v}`);
        s[t * F + f] = v;
      }
    seqs.push(s);
  }
  return { kind: 'dense', F, seqs };
}

/** Checks and converts users' sequences (see the file comment); every sequence needs >= 1 step. */
export function toSequences(x: SequencesInput, what = 'x'): Sequences {
  if (isPadded(x)) return fromPadded(x, what);
  if (!Array.isArray(x) || x.length === 0)
    throw new ShapeError(`${what}: expected a non-empty array of sequences (or a padded tensor)`);
  const first = x[0];
  if (typeof first === 'string' || (Array.isArray(first) && typeof first[0] === 'string')) {
    const seqs = (x as readonly (string | readonly string[])[]).map((s, i) => {
      const toks = typeof s === 'string' ? [...s] : Array.isArray(s) ? [...s] : null;
      if (!toks || toks.some((t) => typeof t !== 'string'))
        throw new ShapeError(`${what}[${i}]: expected a string or an array of strings like the first sequence`);
      if (toks.length === 0) throw new ShapeError(`${what}[${i}]: empty sequence (every sequence needs >= 1 step)`);
      return toks as string[];
    });
    return { kind: 'tokens', seqs };
  }
  let F = -1;
  const seqs = (x as readonly unknown[]).map((s, i) => {
    if (!s || typeof s !== 'object' || typeof (s as ArrayLike<unknown>).length !== 'number')
      throw new ShapeError(`${what}[${i}]: expected an array of steps`);
    const steps = s as ArrayLike<unknown>;
    if (steps.length === 0) throw new ShapeError(`${what}[${i}]: empty sequence (every sequence needs >= 1 step)`);
    const uni = typeof steps[0] === 'number';
    const f = uni ? 1 : ((steps[0] as ArrayLike<number>)?.length ?? -1);
    if (F < 0) F = f;
    if (f !== F || F < 1)
      throw new ShapeError(`${what}[${i}]: steps of ${f} features, but the first sequence has ${F}`);
    const out = new Float32Array(steps.length * F);
    for (let t = 0; t < steps.length; t++) {
      const st = steps[t] as number | ArrayLike<number>;
      if (uni) {
        if (typeof st !== 'number') throw new ShapeError(`${what}[${i}][${t}]: expected a number`);
        if (!Number.isFinite(st)) throw new RangeError(`${what}[${i}][${t}]: non-finite value ${st}`);
        out[t] = st;
        continue;
      }
      if (!st || typeof st !== 'object' || st.length !== F)
        throw new ShapeError(`${what}[${i}][${t}]: expected ${F} features, got ${JSON.stringify(st)}`);
      for (let k = 0; k < F; k++) {
        const v = st[k]!;
        if (typeof v !== 'number' || !Number.isFinite(v))
          throw new RangeError(`${what}[${i}][${t}][${k}]: expected a finite number, got ${v}`);
        out[t * F + k] = v;
      }
    }
    return out;
  });
  return { kind: 'dense', F, seqs };
}

/** Per-sequence numeric targets (regression): numbers or equal-length vectors. */
export function toVectors(y: readonly (number | ArrayLike<number>)[], N: number, what = 'y'): Float32Array[] {
  if (!Array.isArray(y) || y.length !== N)
    throw new ShapeError(`${what}: expected ${N} targets (one per sequence), got ${(y as unknown[])?.length}`);
  let O = -1;
  return y.map((v, i) => {
    const a = typeof v === 'number' ? [v] : v;
    if (!a || typeof a.length !== 'number') throw new ShapeError(`${what}[${i}]: expected a number or an array`);
    if (O < 0) O = a.length;
    if (a.length !== O || O < 1) throw new ShapeError(`${what}[${i}]: ${a.length} values, the first target has ${O}`);
    const out = new Float32Array(O);
    for (let k = 0; k < O; k++) {
      const x = a[k]!;
      if (typeof x !== 'number' || !Number.isFinite(x))
        throw new RangeError(`${what}[${i}]${O > 1 ? `[${k}]` : ''}: expected a finite number, got ${x}`);
      out[k] = x;
    }
    return out;
  });
}

/** Checks one label per sequence (classification). */
export function toLabels(y: readonly Label[], N: number, what = 'y'): Label[] {
  if (!Array.isArray(y) || y.length !== N)
    throw new ShapeError(`${what}: expected ${N} labels (one per sequence), got ${(y as unknown[])?.length}`);
  y.forEach((v, i) => checkLabel(v, `${what}[${i}]`));
  return [...y];
}

/** Checks per-step labels (tagging): one label per step of each sequence. */
export function toTagLabels(y: readonly (readonly Label[])[], x: Sequences, what = 'y'): Label[][] {
  const N = x.seqs.length;
  if (!Array.isArray(y) || y.length !== N)
    throw new ShapeError(`${what}: expected ${N} label sequences, got ${(y as unknown[])?.length}`);
  return y.map((tags, i) => {
    const T = lengthOf(x, i);
    const list = typeof tags === 'string' ? [...(tags as string)] : tags;
    if (!Array.isArray(list) || list.length !== T)
      throw new ShapeError(`${what}[${i}]: expected ${T} labels (one per step), got ${list?.length}`);
    list.forEach((v, t) => checkLabel(v, `${what}[${i}][${t}]`));
    return [...list];
  });
}

function checkLabel(v: unknown, where: string): void {
  if (!(typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))))
    throw new RangeError(`${where}: a label must be a string or a finite number, got ${JSON.stringify(v)}`);
}
