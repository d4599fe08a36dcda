/**
 * Tensors are plain data: `{ shape, data }`, row-major, no hidden state (DESIGN.md, decision 1).
 * Sequences are time-major `[T, B, F]`, indexed `(t*B + b)*F + f`.
 *
 * `FArray` lets the reference backend run in double precision for gradient checks; the public
 * API speaks Float32Array.
 */
export type FArray = Float32Array | Float64Array;
export type DType = 'float32' | 'float64';

export interface Tensor<A extends FArray = Float32Array> {
  shape: number[];
  data: A;
}

/** Thrown for every shape mismatch; the message names what was expected and what came. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

/** Thrown when data that must be finite (inputs, gradients) holds NaN or Infinity. */
export class NonFiniteError extends Error {
  override name = 'NonFiniteError';
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function arrayCtor(dtype: DType): Float32ArrayConstructor | Float64ArrayConstructor {
  return dtype === 'float64' ? Float64Array : Float32Array;
}

export function alloc(dtype: DType, n: number): FArray {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

/** A tensor of the given shape; copies `data` when given (any array-like of numbers). */
export function tensor(shape: number[], data?: ArrayLike<number>): Tensor {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`tensor: bad dimension ${d} in shape [${shape}]`);
  }
  const n = numel(shape);
  if (data !== undefined && data.length !== n) {
    throw new ShapeError(`tensor: shape [${shape}] needs ${n} values, got ${data.length}`);
  }
  return { shape: [...shape], data: data === undefined ? new Float32Array(n) : Float32Array.from(data) };
}

export function zeros(shape: number[]): Tensor {
  return tensor(shape);
}

export function shapeStr(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

/**
 * Checks `t` against `expected` (null = any size) and that data.length matches the shape.
 * Returns the actual shape so callers can read the free dimensions.
 */
export function checkShape(
  t: { shape: readonly number[]; data: ArrayLike<number> } | undefined | null,
  expected: readonly (number | null)[],
  what: string,
): number[] {
  if (!t || !Array.isArray(t.shape) || !t.data) {
    throw new ShapeError(
      `${what}: expected a tensor {shape, data} of shape ${shapeStr(expected)}, ` +
        `got ${t === undefined ? 'undefined' : typeof t}`,
    );
  }
  const ok = t.shape.length === expected.length && expected.every((d, i) => d === null || d === t.shape[i]);
  if (!ok) throw new ShapeError(`${what}: expected shape ${shapeStr(expected)}, got ${shapeStr(t.shape)}`);
  const n = numel(t.shape);
  if (t.data.length !== n) {
    throw new ShapeError(`${what}: shape ${shapeStr(t.shape)} needs ${n} values, but data has ${t.data.length}`);
  }
  return [...t.shape];
}

/** Throws NonFiniteError naming the first bad index. */
export function assertFinite(a: ArrayLike<number>, what: string): void {
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (v - v !== 0) throw new NonFiniteError(`${what}: non-finite value ${v} at flat index ${i}`);
  }
}

export function isFinite(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (v - v !== 0) return false;
  }
  return true;
}
