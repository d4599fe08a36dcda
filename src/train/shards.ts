/**
 * Splitting a batch into contiguous row shards for data-parallel training, and where each
 * shard's data sits in one shared buffer. Core code: typed arrays only, so the same layout
 * serves Node worker threads and browser Workers.
 *
 * Dimension key: T = time, B = batch rows, I = input features, O = outputs, S = shards.
 * Shard s holds rows [b0, b0 + Bs) of every time step: Bs = floor(B/S) (+1 for the first
 * B mod S shards). Its data, each block 16-byte aligned, time-major like the batch:
 *   x [T,Bs,I] float32 (dense) or ids [T,Bs] int32 (tokens)
 *   y mse: [Bs,O] ('last') or [T,Bs,O] ('every') float32; xent: [Bs] or [T,Bs] int32 (-1 = ignore)
 *   lengths [Bs] int32 (when the batch has lengths)
 *
 * Loss weights: each shard's loss is a mean over its own counted elements c_s, so the batch's
 * mean loss and gradient are sum_s (c_s / C) * shard_s with C = sum_s c_s (each shard's StepResult.count).
 */
import type { Batch, SequenceModelConfig } from '../layers/model.js';

export interface ShardSpec {
  b0: number;
  rows: number;
  xOff: number; // byte offset of x (dense) or ids (tokens)
  yOff: number;
  lenOff: number; // -1 without lengths
  bytes: number; // end of this shard's data, relative to the data area
}

/** What the layout depends on besides T and B. */
export interface ShardShape {
  tokens: boolean;
  inputSize: number;
  outputSize: number;
  every: boolean;
  xent: boolean;
}

export function shardShape(cfg: SequenceModelConfig): ShardShape {
  return {
    tokens: cfg.vocabSize !== undefined,
    inputSize: cfg.inputSize ?? 0,
    outputSize: cfg.outputSize,
    every: cfg.head === 'every',
    xent: cfg.loss === 'xent',
  };
}

const align = (n: number) => Math.ceil(n / 16) * 16;

/** Shard sizes and byte offsets (relative to the data area) of a [T, B] batch cut into at most S shards. */
export function shardLayout(sh: ShardShape, T: number, B: number, S: number, hasLengths: boolean): ShardSpec[] {
  const n = Math.max(1, Math.min(S, B)),
    base = Math.floor(B / n),
    rem = B % n;
  const out: ShardSpec[] = [];
  let off = 0;
  for (let s = 0; s < n; s++) {
    const rows = base + (s < rem ? 1 : 0),
      b0 = s * base + Math.min(s, rem);
    const xOff = off;
    off += align(4 * T * rows * (sh.tokens ? 1 : sh.inputSize));
    const yOff = off;
    off += align(4 * (sh.every ? T : 1) * rows * (sh.xent ? 1 : sh.outputSize));
    const lenOff = hasLengths ? off : -1;
    if (hasLengths) off += align(4 * rows);
    out.push({ b0, rows, xOff, yOff, lenOff, bytes: off });
  }
  return out;
}

/** Views of one shard's data as a Batch (`base` = byte offset of the data area in `buf`). */
export function shardBatch(sh: ShardShape, buf: ArrayBufferLike, base: number, T: number, sp: ShardSpec): Batch {
  const nx = T * sp.rows * (sh.tokens ? 1 : sh.inputSize),
    ny = (sh.every ? T : 1) * sp.rows * (sh.xent ? 1 : sh.outputSize);
  const b: Batch = {
    T,
    B: sp.rows,
    y: sh.xent ? new Int32Array(buf, base + sp.yOff, ny) : new Float32Array(buf, base + sp.yOff, ny),
  };
  if (sh.tokens) b.ids = new Int32Array(buf, base + sp.xOff, nx);
  else b.x = new Float32Array(buf, base + sp.xOff, nx);
  if (sp.lenOff >= 0) b.lengths = new Int32Array(buf, base + sp.lenOff, sp.rows);
  return b;
}

/** dst[t, 0:rows, :] = src[t, b0:b0+rows, :] for a time-major [T, B, F] source (F = 1 for ids). */
function copyRows(
  dst: Float32Array | Int32Array,
  src: ArrayLike<number>,
  T: number,
  B: number,
  F: number,
  b0: number,
  rows: number,
): void {
  const w = rows * F;
  if (ArrayBuffer.isView(src) && (src as Float32Array).constructor === dst.constructor) {
    // same element type: memcpy per step
    const s = src as Float32Array,
      d = dst as Float32Array;
    for (let t = 0; t < T; t++) d.set(s.subarray((t * B + b0) * F, (t * B + b0) * F + w), t * w);
    return;
  }
  for (let t = 0; t < T; t++) {
    const so = (t * B + b0) * F,
      dO = t * w;
    for (let i = 0; i < w; i++) dst[dO + i] = src[so + i]!;
  }
}

/** Copies rows [sp.b0, sp.b0 + sp.rows) of `b` into the shard views `d` (from shardBatch). */
export function scatterShard(sh: ShardShape, b: Batch, sp: ShardSpec, d: Batch): void {
  const { T, B } = b;
  if (sh.tokens) copyRows(d.ids as Int32Array, b.ids!, T, B, 1, sp.b0, sp.rows);
  else copyRows(d.x as Float32Array, b.x!, T, B, sh.inputSize, sp.b0, sp.rows);
  copyRows(d.y as Float32Array | Int32Array, b.y, sh.every ? T : 1, B, sh.xent ? 1 : sh.outputSize, sp.b0, sp.rows);
  if (b.lengths && d.lengths) copyRows(d.lengths as Int32Array, b.lengths, 1, B, 1, sp.b0, sp.rows);
}
