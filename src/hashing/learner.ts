/**
 * What every online learner over hashed features offers, and the pieces they share.
 *
 *   p = sigmoid(sum_k w[idx_k] * val_k)     logistic model over D = 2^bits buckets
 *   log-loss gradient w.r.t. w_i:  g_i = (p - y) * x_i
 *
 * `learn` returns the prediction made *before* the update, which is what progressive
 * validation averages (each row is scored by a model that has not seen it yet).
 */

/** A named array of a learner's state, in the shape safetensors stores. */
export interface StateTensor {
  dtype: 'F64' | 'F32';
  shape: number[];
  data: Float64Array | Float32Array;
}

export interface OnlineLearner {
  readonly kind: 'ftrl' | 'adagrad';
  readonly bits: number;
  /** Probability of the positive class for one hashed row; no update. */
  predict(idx: Int32Array, val: Float64Array, n: number): number;
  /** Predicts, then updates with label y (0 or 1); returns the prediction before the update. */
  learn(idx: Int32Array, val: Float64Array, n: number, y: number): number;
  /** The effective weights w (allocates D floats). */
  weights(): Float64Array;
  /** Hyper-parameters, to save beside the state. */
  hyper(): Record<string, number>;
  /** Everything needed to resume training (shared, not copied). */
  state(): Record<string, StateTensor>;
  /** Restores what state() gave; checks names and shapes. */
  loadState(tensors: Record<string, { shape: number[]; data: ArrayLike<number> }>): void;
  /**
   * Moves the [D, 2] state into `storage` (copied, unless it is the state already) and keeps it
   * there from now on: the WebAssembly fast path (fast.ts) puts it in the module's memory.
   */
  adopt(storage: Float64Array): void;
}

/** Logistic function with the logit clamped to +-35 so exp never overflows. */
export function sigmoid(z: number): number {
  if (z > 35) z = 35;
  else if (z < -35) z = -35;
  return 1 / (1 + Math.exp(-z));
}

export function checkBits(who: string, bits: number): void {
  if (!Number.isInteger(bits) || bits < 1 || bits > 30)
    throw new RangeError(`${who}: bits must be an integer in 1..30, got ${bits}`);
}

export function checkPositive(who: string, name: string, v: number, allowZero = false): void {
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new RangeError(
      `${who}: ${name} must be a ${allowZero ? 'non-negative' : 'positive'} finite number, got ${v}`,
    );
  }
}

/** The adopt() of a learner whose state is the one interleaved array `cur`: returns the array to keep. */
export function adoptInterleaved(who: string, cur: Float64Array, storage: Float64Array): Float64Array {
  if (storage.length !== cur.length)
    throw new RangeError(`${who}.adopt: storage must hold ${cur.length} doubles, got ${storage.length}`);
  if (storage !== cur) storage.set(cur);
  return storage;
}

/** Copies a saved [D, 2] interleaved state into `dst`, naming what was expected on mismatch. */
export function loadInterleaved(
  who: string,
  name: string,
  dst: Float64Array,
  tensors: Record<string, { shape: number[]; data: ArrayLike<number> }>,
): void {
  const t = tensors[name];
  if (!t)
    throw new RangeError(
      `${who}.loadState: missing tensor '${name}' (have: ${Object.keys(tensors).join(', ') || 'none'})`,
    );
  const D = dst.length / 2;
  if (t.shape.length !== 2 || t.shape[0] !== D || t.shape[1] !== 2 || t.data.length !== dst.length) {
    throw new RangeError(`${who}.loadState: '${name}' must have shape [${D}, 2], got [${t.shape.join(', ')}]`);
  }
  for (let i = 0; i < dst.length; i++) dst[i] = t.data[i]!;
}
