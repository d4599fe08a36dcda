/**
 * Sequence inputs for reservoir nodes: a tensor-like `{ shape, data }` of shape [T, F]
 * (one sequence) or time-major [T, B, F] (B independent sequences of equal length).
 * Everything is copied to float64 once here and checked for NaN/Infinity, so a bad value
 * is reported at the door with its time step instead of silently poisoning X^T X.
 */
import { NonFiniteError, ShapeError, numel, shapeStr } from '../tensor.js';

export interface SeqLike {
  shape: readonly number[];
  data: ArrayLike<number>;
}

/** A checked float64 sequence batch: data [T, B, F], time-major. */
export interface Seq {
  T: number;
  B: number;
  F: number;
  data: Float64Array;
}

export function asSeq(x: SeqLike, what: string): Seq {
  if (!x || !Array.isArray(x.shape) || !x.data) {
    throw new ShapeError(
      `${what}: expected a tensor {shape: [T, F] or [T, B, F], data}, got ${x === undefined ? 'undefined' : typeof x}`,
    );
  }
  if (x.shape.length !== 2 && x.shape.length !== 3) {
    throw new ShapeError(`${what}: expected shape [T, F] or [T, B, F], got ${shapeStr(x.shape)}`);
  }
  const n = numel(x.shape);
  if (x.data.length !== n)
    throw new ShapeError(`${what}: shape ${shapeStr(x.shape)} needs ${n} values, but data has ${x.data.length}`);
  const T = x.shape[0]!,
    B = x.shape.length === 3 ? x.shape[1]! : 1,
    F = x.shape[x.shape.length - 1]!;
  if (T < 1 || B < 1 || F < 1) throw new ShapeError(`${what}: every dimension must be >= 1, got ${shapeStr(x.shape)}`);
  const data = x.data instanceof Float64Array ? x.data : Float64Array.from(x.data);
  for (let i = 0; i < n; i++) {
    const v = data[i]!;
    if (v - v !== 0) {
      const t = Math.floor(i / (B * F)),
        b = Math.floor(i / F) % B,
        f = i % F;
      throw new NonFiniteError(
        `${what}: non-finite value ${v} at time step ${t}, sequence ${b}, feature ${f}; ` +
          'inputs and targets must be finite',
      );
    }
  }
  return { T, B, F, data };
}

/** A [T, F] tensor from a plain series (number[] gives F = 1; number[][] gives rows of F). */
export function series(values: ArrayLike<number> | ArrayLike<number>[]): { shape: number[]; data: Float64Array } {
  const T = values.length;
  if (T === 0) throw new ShapeError('series: expected at least one time step, got 0');
  const first = values[0] as unknown;
  if (typeof first === 'number') return { shape: [T, 1], data: Float64Array.from(values as ArrayLike<number>) };
  const rows = values as ArrayLike<number>[];
  const F = rows[0]!.length;
  const data = new Float64Array(T * F);
  for (let t = 0; t < T; t++) {
    if (rows[t]!.length !== F)
      throw new ShapeError(`series: row ${t} has ${rows[t]!.length} values, expected ${F} like row 0`);
    data.set(rows[t]!, t * F);
  }
  return { shape: [T, F], data };
}
