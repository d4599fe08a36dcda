/**
 * Losses and the helpers that pick which time steps count.
 * Each returns the scalar loss and its gradient w.r.t. the prediction (mean reduction,
 * as PyTorch's defaults). Masks weight rows: 1 = counts, 0 = padding.
 */
import { type FArray, type Tensor, ShapeError, alloc, assertFinite, numel } from '../tensor.js';

export interface LossResult {
  loss: number;
  grad: Tensor<FArray>;
}

/** Mean squared error over all counted elements: mean((pred - target)^2). mask has one entry per row (leading dims). */
export function mseLoss(
  pred: Tensor<FArray>,
  target: Tensor<FArray> | ArrayLike<number>,
  mask?: ArrayLike<number>,
  out?: FArray,
): LossResult {
  const tdata = 'data' in (target as Tensor) ? (target as Tensor).data : (target as ArrayLike<number>);
  const n = numel(pred.shape);
  if (tdata.length !== n)
    throw new ShapeError(`mseLoss: target has ${tdata.length} values, prediction [${pred.shape}] has ${n}`);
  assertFinite(tdata, 'mseLoss target');
  const F = pred.shape[pred.shape.length - 1] ?? 1,
    rows = n / F;
  if (mask && mask.length !== rows)
    throw new ShapeError(`mseLoss: mask needs ${rows} entries (one per row), got ${mask.length}`);
  const g = out && out.length === n ? out : alloc(pred.data instanceof Float64Array ? 'float64' : 'float32', n);
  let count = 0;
  for (let r = 0; r < rows; r++) count += mask ? mask[r]! : 1;
  count *= F;
  let s = 0;
  for (let r = 0; r < rows; r++) {
    const m = mask ? mask[r]! : 1;
    for (let f = 0; f < F; f++) {
      const i = r * F + f,
        d = pred.data[i]! - tdata[i]!;
      s += m * d * d;
      g[i] = count > 0 ? (2 * m * d) / count : 0; // d/dpred mean(m (p - y)^2)
    }
  }
  return { loss: count > 0 ? s / count : 0, grad: { shape: [...pred.shape], data: g } };
}

/**
 * Softmax cross-entropy: mean over counted rows of -log softmax(logits)[target].
 * logits [N, V]; targets [N] in [0, V) or -1 (ignored). Gradient: (softmax - onehot) / count.
 */
export function softmaxCrossEntropy(
  logits: Tensor<FArray>,
  targets: ArrayLike<number>,
  mask?: ArrayLike<number>,
  out?: FArray,
): LossResult & { correct: number; count: number } {
  const V = logits.shape[logits.shape.length - 1]!,
    N = numel(logits.shape) / V;
  if (targets.length !== N)
    throw new ShapeError(`softmaxCrossEntropy: ${N} rows of logits [${logits.shape}] but ${targets.length} targets`);
  if (mask && mask.length !== N)
    throw new ShapeError(`softmaxCrossEntropy: mask needs ${N} entries, got ${mask.length}`);
  const g =
    out && out.length === N * V ? out : alloc(logits.data instanceof Float64Array ? 'float64' : 'float32', N * V);
  let count = 0;
  for (let r = 0; r < N; r++) {
    const y = targets[r]!;
    if (y === -1) continue;
    if (!Number.isInteger(y) || y < 0 || y >= V)
      throw new RangeError(`softmaxCrossEntropy: target ${y} at row ${r} is out of range [0, ${V})`);
    count += mask ? mask[r]! : 1;
  }
  let loss = 0,
    correct = 0;
  const L = logits.data;
  for (let r = 0; r < N; r++) {
    const y = targets[r]!,
      m = y === -1 ? 0 : mask ? mask[r]! : 1,
      o = r * V;
    let mx = -Infinity,
      arg = 0;
    for (let v = 0; v < V; v++)
      if (L[o + v]! > mx) {
        mx = L[o + v]!;
        arg = v;
      }
    let z = 0;
    for (let v = 0; v < V; v++) {
      const e = Math.exp(L[o + v]! - mx);
      g[o + v] = e;
      z += e;
    } // exp once, kept in g
    const lz = Math.log(z) + mx;
    if (m !== 0) {
      loss += m * (lz - L[o + y]!);
      if (arg === y) correct += m;
    }
    const scale = count > 0 ? m / count : 0,
      inv = 1 / z;
    for (let v = 0; v < V; v++) g[o + v] = scale * (g[o + v]! * inv - (v === y ? 1 : 0)); // (softmax - onehot) / count
  }
  if (!Number.isFinite(loss)) throw new RangeError('softmaxCrossEntropy: the loss is not finite (non-finite logits?)');
  return { loss: count > 0 ? loss / count : 0, grad: { shape: [...logits.shape], data: g }, correct, count };
}

/** Mask [T*B] (time-major) with 1 where skip <= t < lengths[b] (skip: steps a previous window already counted). */
export function sequenceMask(
  T: number,
  B: number,
  lengths?: ArrayLike<number>,
  out?: Float32Array,
  skip = 0,
): Float32Array {
  const m = out && out.length === T * B ? out : new Float32Array(T * B);
  for (let t = 0; t < T; t++)
    for (let b = 0; b < B; b++) m[t * B + b] = t >= skip && (!lengths || t < lengths[b]!) ? 1 : 0;
  return m;
}

/** The output at each sequence's last valid step: [T,B,F] -> [B,F]. */
export function lastStep(y: Tensor<FArray>, lengths?: ArrayLike<number>, out?: FArray): Tensor<FArray> {
  const [T, B, F] = y.shape as [number, number, number];
  const o = out && out.length === B * F ? out : alloc(y.data instanceof Float64Array ? 'float64' : 'float32', B * F);
  for (let b = 0; b < B; b++) {
    const t = lengths ? lengths[b]! - 1 : T - 1;
    if (!(t >= 0 && t < T)) throw new RangeError(`lastStep: lengths[${b}] = ${t + 1} out of range 1..${T}`);
    o.set(y.data.subarray((t * B + b) * F, (t * B + b + 1) * F), b * F);
  }
  return { shape: [B, F], data: o };
}

/** Scatters dLast [B,F] back to [T,B,F] (zeros elsewhere). */
export function lastStepBackward(
  dLast: Tensor<FArray>,
  T: number,
  lengths?: ArrayLike<number>,
  out?: FArray,
): Tensor<FArray> {
  const [B, F] = dLast.shape as [number, number];
  const o =
    out && out.length === T * B * F
      ? out
      : alloc(dLast.data instanceof Float64Array ? 'float64' : 'float32', T * B * F);
  o.fill(0);
  for (let b = 0; b < B; b++) {
    const t = lengths ? lengths[b]! - 1 : T - 1;
    o.set(dLast.data.subarray(b * F, (b + 1) * F), (t * B + b) * F);
  }
  return { shape: [T, B, F], data: o };
}
