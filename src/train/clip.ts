/**
 * Gradient clipping over the flat gradient array.
 * By global L2 norm (Pascanu, Mikolov & Bengio 2013), exactly as torch.nn.utils.clip_grad_norm_:
 *   total = ||g||_2;  if total > maxNorm: g *= maxNorm / (total + 1e-6)
 * By value: g = clamp(g, -v, v).
 */
import type { FArray } from '../tensor.js';

/** Global L2 norm (accumulated in double precision); NaN/Infinity propagate. */
export function globalNorm(g: FArray): number {
  let s = 0;
  for (let i = 0; i < g.length; i++) s += g[i]! * g[i]!;
  return Math.sqrt(s);
}

/** Rescales g in place when its norm exceeds maxNorm; returns the norm before clipping. */
export function clipGradNorm(g: FArray, maxNorm: number): number {
  if (!(maxNorm > 0)) throw new RangeError(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  const total = globalNorm(g);
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) for (let i = 0; i < g.length; i++) g[i] = g[i]! * coef;
  return total;
}

/** Clamps every entry to [-v, v]; returns how many entries were clipped. */
export function clipGradValue(g: FArray, v: number): number {
  if (!(v > 0)) throw new RangeError(`clipGradValue: value must be > 0, got ${v}`);
  let n = 0;
  for (let i = 0; i < g.length; i++) {
    const x = g[i]!;
    if (x > v) {
      g[i] = v;
      n++;
    } else if (x < -v) {
      g[i] = -v;
      n++;
    }
  }
  return n;
}
