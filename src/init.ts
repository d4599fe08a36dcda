/**
 * Initialisers. Each fills a row-major `[rows, cols]` block in place from a seeded Rng.
 * Weight blocks follow PyTorch's `[out, in]` layout, so fan_in = cols, fan_out = rows.
 */
import type { FArray } from './tensor.js';
import type { Rng } from './random.js';
import { qrThin, spectralRadius } from './linalg.js';

type Arr = FArray | number[];

export function uniform(a: Arr, lo: number, hi: number, rng: Rng): void {
  for (let i = 0; i < a.length; i++) a[i] = rng.range(lo, hi);
}

export function normal(a: Arr, mean: number, std: number, rng: Rng): void {
  for (let i = 0; i < a.length; i++) a[i] = mean + std * rng.normal();
}

/** Glorot & Bengio 2010: U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out)). */
export function xavierUniform(a: Arr, rows: number, cols: number, rng: Rng, gain = 1): void {
  const b = gain * Math.sqrt(6 / (rows + cols));
  uniform(a, -b, b, rng);
}

/** Glorot normal: N(0, gain^2 * 2 / (fan_in + fan_out)). */
export function xavierNormal(a: Arr, rows: number, cols: number, rng: Rng, gain = 1): void {
  normal(a, 0, gain * Math.sqrt(2 / (rows + cols)), rng);
}

/**
 * Orthogonal init (Saxe et al. 2014), as torch.nn.init.orthogonal_: QR of a Gaussian
 * matrix, signs fixed by diag(R) so the result is Haar-distributed; any rectangular shape
 * (rows < cols uses the transpose); scaled by `gain`.
 */
export function orthogonal(a: Arr, rows: number, cols: number, rng: Rng, gain = 1): void {
  if (a.length !== rows * cols)
    throw new RangeError(`orthogonal: block of ${a.length} values is not [${rows}, ${cols}]`);
  const tall = rows >= cols;
  const n = tall ? rows : cols,
    m = tall ? cols : rows;
  const g = new Float64Array(n * m);
  for (let i = 0; i < g.length; i++) g[i] = rng.normal();
  const { Q, rDiag } = qrThin(g, n, m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const v = gain * Q[i * m + j]! * (rDiag[j]! < 0 ? -1 : 1);
      if (tall) a[i * cols + j] = v;
      else a[j * cols + i] = v;
    }
  }
}

/** Identity (IRNN, Le et al. 2015): scale * I, zero off the diagonal; works for rectangles. */
export function identity(a: Arr, rows: number, cols: number, scale = 1): void {
  for (let i = 0; i < rows * cols; i++) a[i] = 0;
  for (let i = 0; i < Math.min(rows, cols); i++) a[i * cols + i] = scale;
}

/** Rescales a square [n, n] matrix in place so that its spectral radius is `target`. Returns the old radius. */
export function scaleToSpectralRadius(a: Arr, n: number, target: number): number {
  const rho = spectralRadius(a, n);
  if (rho === 0) throw new RangeError('scaleToSpectralRadius: the matrix has spectral radius 0 and cannot be scaled');
  const f = target / rho;
  for (let i = 0; i < n * n; i++) a[i] = a[i]! * f;
  return rho;
}

/** How a recurrent weight block is initialised. */
export type RecurrentInit =
  | 'default' // PyTorch: U(-1/sqrt(H), 1/sqrt(H))
  | 'orthogonal'
  | 'identity'
  | 'xavier'
  | { type: 'orthogonal'; gain?: number }
  | { type: 'identity'; scale?: number }
  | { type: 'spectral'; radius: number }; // default draw, then scaled to this spectral radius

/** Fills one [H, H] recurrent block (one gate's slice) according to `init`. */
export function initRecurrentBlock(a: FArray, H: number, init: RecurrentInit, rng: Rng): void {
  const k = 1 / Math.sqrt(H);
  const spec = typeof init === 'string' ? { type: init } : init;
  switch (spec.type) {
    case 'default':
      uniform(a, -k, k, rng);
      break;
    case 'xavier':
      xavierUniform(a, H, H, rng);
      break;
    case 'orthogonal':
      orthogonal(a, H, H, rng, (spec as { gain?: number }).gain ?? 1);
      break;
    case 'identity':
      identity(a, H, H, (spec as { scale?: number }).scale ?? 1);
      break;
    case 'spectral':
      uniform(a, -k, k, rng);
      scaleToSpectralRadius(a, H, (spec as { radius: number }).radius);
      break;
    default:
      throw new RangeError(
        `unknown recurrent init ${JSON.stringify(init)}; expected default, orthogonal, identity, xavier or spectral`,
      );
  }
}
