/**
 * Local contrast normalisation (Jarrett, Kavukcuoglu, Ranzato & LeCun 2009, "What is the best
 * multi-stage architecture for object recognition?"), on images `[N, H, W, C]`.
 *
 *   subtractive:  v(c,y,x) = x(c,y,x) - sum_{c',p,q} w(c',p,q) x(c', y+p, x+q)
 *   divisive:     out(c,y,x) = v(c,y,x) / max(sigma(y,x), mean_{y,x} sigma, eps)
 *                 sigma(y,x) = sqrt( sum_{c',p,q} w(c',p,q) v(c', y+p, x+q)^2 )
 *
 * w is a Gaussian window of odd width `size` and standard deviation `sigma`, normalised to sum
 * to 1. Across channels (Jarrett's form, the default) the window also averages over the C
 * channels (w includes 1/C); per channel, c' = c only and each channel is normalised on its own
 * (its own sigma map and its own mean-sigma floor). The floor max(sigma, mean sigma) keeps flat
 * regions, where sigma -> 0, from being amplified into noise; `eps` keeps an entirely flat image
 * (mean sigma = 0) finite.
 *
 * Borders: the window is cut at the image edge and its weights renormalised over the part
 * inside (a normalised convolution), instead of zero padding, which would darken borders.
 * A constant image therefore maps to 0 (up to rounding), and an affine ramp to 0 wherever the
 * whole window fits. The Gaussian is separable, so each smoothing is a row pass and a column pass:
 * O(N H W C size). Work per image is done in float64 scratch.
 */
import type { Tensor } from '../tensor.js';
import { checkImages, outputLike } from './images.js';

export interface LcnOptions {
  /** Window width in pixels, odd (default 9, as Jarrett et al.). */
  size?: number;
  /** Standard deviation of the Gaussian window in pixels (default 2). */
  sigma?: number;
  /** Pool the window over all channels (default true) or normalise each channel on its own. */
  acrossChannels?: boolean;
  /** Also divide by the local standard deviation (default true); false = subtractive only. */
  divisive?: boolean;
  /** Smallest divisor, for images that are flat everywhere (default 1e-4). */
  eps?: number;
}

/** Fills in the defaults and checks the ranges (RangeError naming the bad option). */
export function resolveLcnOptions(o: LcnOptions = {}): Required<LcnOptions> {
  const size = o.size ?? 9,
    sigma = o.sigma ?? 2,
    eps = o.eps ?? 1e-4;
  if (!Number.isInteger(size) || size < 1 || size % 2 === 0)
    throw new RangeError(`lcn: size must be an odd integer >= 1, got ${size}`);
  if (!(sigma > 0) || !Number.isFinite(sigma))
    throw new RangeError(`lcn: sigma must be a finite number > 0, got ${sigma}`);
  if (!(eps >= 0) || !Number.isFinite(eps)) throw new RangeError(`lcn: eps must be a finite number >= 0, got ${eps}`);
  return { size, sigma, eps, acrossChannels: o.acrossChannels ?? true, divisive: o.divisive ?? true };
}

/**
 * The 1-D Gaussian taps g[p] = exp(-(p - r)^2 / (2 sigma^2)), r = (size-1)/2, summing to 1; the 2-D window
 * is g g^T.
 */
export function gaussianWindow(size: number, sigma: number): Float64Array {
  const { size: k, sigma: s } = resolveLcnOptions({ size, sigma });
  const g = new Float64Array(k),
    r = (k - 1) / 2;
  let sum = 0;
  for (let p = 0; p < k; p++) {
    g[p] = Math.exp(-((p - r) ** 2) / (2 * s * s));
    sum += g[p]!;
  }
  for (let p = 0; p < k; p++) g[p]! /= sum;
  return g;
}

/**
 * Weighted local mean of C planes `src` [H, W, C] (channels interleaved) into `dst`, per channel:
 * separable Gaussian with the window renormalised at the borders. `tmp` is H*W*C scratch.
 */
class Smoother {
  private readonly g: Float64Array;
  private readonly r: number;
  private readonly rowNorm: Float64Array; // [W] sum of in-bounds taps along x
  private readonly colNorm: Float64Array; // [H] sum of in-bounds taps along y
  private readonly tmp: Float64Array;

  constructor(
    readonly H: number,
    readonly W: number,
    readonly C: number,
    size: number,
    sigma: number,
  ) {
    this.g = gaussianWindow(size, sigma);
    this.r = (size - 1) / 2;
    this.rowNorm = this.norms(W);
    this.colNorm = this.norms(H);
    this.tmp = new Float64Array(H * W * C);
  }

  private norms(n: number): Float64Array {
    const s = new Float64Array(n);
    for (let i = 0; i < n; i++)
      for (let p = -this.r; p <= this.r; p++) if (i + p >= 0 && i + p < n) s[i]! += this.g[p + this.r]!;
    return s;
  }

  smooth(src: Float64Array, dst: Float64Array): void {
    const { H, W, C, g, r, tmp } = this;
    // Row pass: tmp(y,x,c) = sum_q g(q) src(y, x+q, c) / rowNorm(x).
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const q0 = Math.max(-r, -x),
          q1 = Math.min(r, W - 1 - x),
          o = (y * W + x) * C,
          inv = 1 / this.rowNorm[x]!;
        for (let c = 0; c < C; c++) {
          let s = 0;
          for (let q = q0; q <= q1; q++) s += g[q + r]! * src[o + q * C + c]!;
          tmp[o + c] = s * inv;
        }
      }
    }
    // Column pass: dst(y,x,c) = sum_p g(p) tmp(y+p, x, c) / colNorm(y).
    const stride = W * C;
    for (let y = 0; y < H; y++) {
      const p0 = Math.max(-r, -y),
        p1 = Math.min(r, H - 1 - y),
        inv = 1 / this.colNorm[y]!;
      for (let i = y * stride, e = i + stride; i < e; i++) {
        let s = 0;
        for (let p = p0; p <= p1; p++) s += g[p + r]! * tmp[i + p * stride]!;
        dst[i] = s * inv;
      }
    }
  }
}

/**
 * The Gaussian-weighted local mean that LCN subtracts, `[N, H, W, C]` (across channels every
 * channel holds the same pooled mean). Exposed so callers can check what LCN removes.
 */
export function localMean(images: Tensor, opts: Pick<LcnOptions, 'size' | 'sigma' | 'acrossChannels'> = {}): Tensor {
  const o = resolveLcnOptions(opts);
  const { N, H, W, C } = checkImages(images, 'localMean');
  const out = outputLike(images, undefined, 'localMean');
  const pooled = o.acrossChannels ? 1 : C,
    P = H * W;
  const sm = new Smoother(H, W, pooled, o.size, o.sigma);
  const a = new Float64Array(P * pooled),
    m = new Float64Array(P * pooled);
  for (let n = 0; n < N; n++) {
    const base = n * P * C;
    gather(images.data, base, P, C, o.acrossChannels, a);
    sm.smooth(a, m);
    for (let j = 0; j < P; j++)
      for (let c = 0; c < C; c++) out.data[base + j * C + c] = m[o.acrossChannels ? j : j * C + c]!;
  }
  return out;
}

/** a[j] = mean_c x(j, c) when pooling across channels, else a copy of the interleaved planes. */
function gather(x: ArrayLike<number>, base: number, P: number, C: number, across: boolean, a: Float64Array): void {
  if (!across) {
    for (let i = 0; i < P * C; i++) a[i] = x[base + i]!;
    return;
  }
  for (let j = 0; j < P; j++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += x[base + j * C + c]!;
    a[j] = s / C;
  }
}

/** Subtractive then (by default) divisive local contrast normalisation; returns a new tensor unless `out` is given. */
export function localContrastNormalize(images: Tensor, opts: LcnOptions = {}, out?: Tensor): Tensor {
  const o = resolveLcnOptions(opts);
  const { N, H, W, C } = checkImages(images, 'localContrastNormalize');
  const res = outputLike(images, out, 'localContrastNormalize');
  const P = H * W,
    pooled = o.acrossChannels ? 1 : C;
  const sm = new Smoother(H, W, pooled, o.size, o.sigma);
  const v = new Float64Array(P * C); // [H, W, C] subtractive result of one image
  const a = new Float64Array(P * pooled); // [H, W, pooled] what gets smoothed
  const m = new Float64Array(P * pooled); // [H, W, pooled] smoothed
  for (let n = 0; n < N; n++) {
    const base = n * P * C;
    // v = x - local mean
    gather(images.data, base, P, C, o.acrossChannels, a);
    sm.smooth(a, m);
    for (let j = 0; j < P; j++)
      for (let c = 0; c < C; c++) {
        v[j * C + c] = images.data[base + j * C + c]! - m[o.acrossChannels ? j : j * C + c]!;
      }
    if (!o.divisive) {
      for (let i = 0; i < P * C; i++) res.data[base + i] = v[i]!;
      continue;
    }
    // sigma^2 = local mean of v^2 (pooled over channels when across)
    for (let j = 0; j < P; j++) {
      if (o.acrossChannels) {
        let s = 0;
        for (let c = 0; c < C; c++) s += v[j * C + c]! ** 2;
        a[j] = s / C;
      } else for (let c = 0; c < C; c++) a[j * C + c] = v[j * C + c]! ** 2;
    }
    sm.smooth(a, m);
    // Floor per pooled plane: mean of sigma over the image (Jarrett's c = mean sigma).
    for (let k = 0; k < pooled; k++) {
      let mean = 0;
      for (let j = 0; j < P; j++) mean += Math.sqrt(Math.max(0, m[j * pooled + k]!));
      const floor = Math.max(mean / P, o.eps);
      for (let j = 0; j < P; j++) {
        const d = Math.max(Math.sqrt(Math.max(0, m[j * pooled + k]!)), floor);
        if (o.acrossChannels) for (let c = 0; c < C; c++) res.data[base + j * C + c] = v[j * C + c]! / d;
        else res.data[base + j * C + k] = v[j * C + k]! / d;
      }
    }
  }
  return res;
}
