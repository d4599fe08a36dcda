/**
 * Image batches for preprocessing: `[N, H, W, C]` Float32 tensors, row-major, channels last,
 * indexed `((n*H + y)*W + x)*C + c`. One checker so every function rejects bad input the same
 * way: wrong rank or channel count -> ShapeError, NaN/Infinity -> NonFiniteError.
 */
import { type Tensor, ShapeError, assertFinite, checkShape, shapeStr } from '../tensor.js';

export interface ImageDims {
  N: number;
  H: number;
  W: number;
  C: number;
}

/** Checks `t` is an `[N, H, W, C]` batch (C = `channels` when given) of finite values. */
export function checkImages(t: Tensor, what: string, channels?: number): ImageDims {
  if (t && Array.isArray(t.shape) && t.shape.length !== 4) {
    throw new ShapeError(
      `${what}: expected images [N, H, W, C], got shape ${shapeStr(t.shape)} (rank ${t.shape.length})`,
    );
  }
  const [N, H, W, C] = checkShape(t, [null, null, null, channels ?? null], what) as [number, number, number, number];
  if (channels === undefined && C < 1)
    throw new ShapeError(`${what}: expected at least 1 channel, got ${shapeStr(t.shape)}`);
  assertFinite(t.data, what);
  return { N, H, W, C };
}

/** Throws ShapeError unless C is `want`, with a message saying which layout was expected. */
export function needChannels(t: Tensor, want: number, what: string, meaning: string): ImageDims {
  const C = Array.isArray(t?.shape) ? t.shape[3] : undefined;
  if (t?.shape?.length === 4 && C !== want) {
    throw new ShapeError(
      `${what}: expected ${want} channels (${meaning}) in the last dimension of [N, H, W, C], ` +
        `got ${C} in ${shapeStr(t.shape)}`,
    );
  }
  return checkImages(t, what, want);
}

/** `out` when given (it must hold as many values as `like`), else a fresh tensor shaped as `like`. */
export function outputLike(like: Tensor, out: Tensor | undefined, what: string): Tensor {
  if (!out) return { shape: [...like.shape], data: new Float32Array(like.data.length) };
  if (!out.data || out.data.length !== like.data.length) {
    throw new ShapeError(
      `${what}: out must hold ${like.data.length} values (shape ${shapeStr(like.shape)}), got ${out.data?.length}`,
    );
  }
  return out;
}
