/**
 * Forecast metrics over flat arrays of equal length (all features and steps pooled).
 *
 *   rmse     = sqrt(mean((y - yhat)^2))
 *   nrmse    = rmse / scale, where scale is
 *              'std'    standard deviation of y_true (the default; Jaeger & Haas 2004's choice)
 *              'minmax' max(y_true) - min(y_true) (ReservoirPy's default)
 *              'mean'   |mean(y_true)|,  'var' variance of y_true
 *   rsquare  = 1 - sum((y - yhat)^2) / sum((y - mean y)^2)
 */
import { ShapeError } from '../tensor.js';

export type NrmseNorm = 'std' | 'minmax' | 'mean' | 'var';

function check(y: ArrayLike<number>, p: ArrayLike<number>, what: string): void {
  if (y.length !== p.length) throw new ShapeError(`${what}: y_true has ${y.length} values, y_pred has ${p.length}`);
  if (y.length === 0) throw new ShapeError(`${what}: empty input`);
}

export function mse(y: ArrayLike<number>, p: ArrayLike<number>): number {
  check(y, p, 'mse');
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (y[i]! - p[i]!) ** 2;
  return s / y.length;
}

export function rmse(y: ArrayLike<number>, p: ArrayLike<number>): number {
  return Math.sqrt(mse(y, p));
}

function meanVar(y: ArrayLike<number>): { mean: number; variance: number } {
  let m = 0;
  for (let i = 0; i < y.length; i++) m += y[i]!;
  m /= y.length;
  let v = 0;
  for (let i = 0; i < y.length; i++) v += (y[i]! - m) ** 2;
  return { mean: m, variance: v / y.length };
}

/** RMSE divided by the chosen scale of y_true (default: its standard deviation). */
export function nrmse(y: ArrayLike<number>, p: ArrayLike<number>, norm: NrmseNorm = 'std'): number {
  const e = rmse(y, p);
  const { mean, variance } = meanVar(y);
  let scale: number;
  switch (norm) {
    case 'std':
      scale = Math.sqrt(variance);
      break;
    case 'var':
      scale = variance;
      break;
    case 'mean':
      scale = Math.abs(mean);
      break;
    case 'minmax': {
      let lo = Infinity,
        hi = -Infinity;
      for (let i = 0; i < y.length; i++) {
        lo = Math.min(lo, y[i]!);
        hi = Math.max(hi, y[i]!);
      }
      scale = hi - lo;
      break;
    }
    default:
      throw new RangeError(`nrmse: norm must be std, minmax, mean or var, got '${norm as string}'`);
  }
  return e / scale;
}

/** Coefficient of determination R^2. */
export function rsquare(y: ArrayLike<number>, p: ArrayLike<number>): number {
  check(y, p, 'rsquare');
  const { variance } = meanVar(y);
  return 1 - mse(y, p) / variance;
}

/** Squared Pearson correlation of two equal-length series. */
export function squaredCorrelation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  check(a, b, 'squaredCorrelation');
  const A = meanVar(a),
    B = meanVar(b);
  let c = 0;
  for (let i = 0; i < a.length; i++) c += (a[i]! - A.mean) * (b[i]! - B.mean);
  c /= a.length;
  return A.variance > 0 && B.variance > 0 ? (c * c) / (A.variance * B.variance) : 0;
}

/**
 * Memory capacity (Jaeger 2001): MC = sum over k of r^2(u[t - k], yhat_k[t]), from targets
 * and predictions [T, K] row-major. At most K; a reservoir of N linear units reaches at most N.
 */
export function memoryCapacity(
  targets: ArrayLike<number>,
  preds: ArrayLike<number>,
  K: number,
): { total: number; perDelay: number[] } {
  check(targets, preds, 'memoryCapacity');
  if (targets.length % K !== 0)
    throw new ShapeError(`memoryCapacity: ${targets.length} values is not a multiple of K = ${K}`);
  const T = targets.length / K,
    perDelay: number[] = [];
  const a = new Float64Array(T),
    b = new Float64Array(T);
  for (let k = 0; k < K; k++) {
    for (let t = 0; t < T; t++) {
      a[t] = targets[t * K + k]!;
      b[t] = preds[t * K + k]!;
    }
    perDelay.push(squaredCorrelation(a, b));
  }
  return { total: perDelay.reduce((s, v) => s + v, 0), perDelay };
}
