/**
 * Central-difference gradient check, the one helper every layer's test uses.
 * f() must recompute the loss from the current contents of `x`; `grad` holds the analytic
 * gradient. Checks `samples` coordinates (all when omitted) and reports the worst error.
 */
import type { FArray } from './tensor.js';
import { Rng } from './random.js';

export interface GradCheckResult {
  maxRelError: number;
  maxAbsError: number;
  worstIndex: number;
  checked: number;
}

export function gradCheck(
  f: () => number,
  x: FArray,
  grad: ArrayLike<number>,
  opts: { eps?: number; samples?: number; seed?: number; atol?: number } = {},
): GradCheckResult {
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-8; // below this, absolute error is what matters
  let idx = Array.from({ length: x.length }, (_, i) => i);
  if (opts.samples !== undefined && opts.samples < x.length)
    idx = new Rng(opts.seed ?? 7).shuffle(idx).slice(0, opts.samples);
  let maxRel = 0,
    maxAbs = 0,
    worst = -1;
  for (const i of idx) {
    const orig = x[i]!;
    x[i] = orig + eps;
    const fp = f();
    x[i] = orig - eps;
    const fm = f();
    x[i] = orig;
    const num = (fp - fm) / (2 * eps),
      ana = grad[i]!;
    const abs = Math.abs(num - ana);
    const rel = abs / Math.max(Math.abs(num) + Math.abs(ana), atol);
    if (rel > maxRel) {
      maxRel = rel;
      worst = i;
    }
    maxAbs = Math.max(maxAbs, abs);
  }
  return { maxRelError: maxRel, maxAbsError: maxAbs, worstIndex: worst, checked: idx.length };
}
