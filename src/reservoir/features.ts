/**
 * What an ESN's readouts see: a concatenation of terms built from the reservoir state x[t]
 * and the input u[t] of the same step (Lukosevicius, "A practical guide to applying echo
 * state networks", 2012, sec. 4.2: extended states).
 *
 *   'x'  -> x[t]          [N]     the reservoir state (the usual readout)
 *   'u'  -> u[t]          [D]     the input, reaching the readout linearly (Jaeger's [x, u])
 *   'x2' -> x[t] .* x[t]  [N]     squared states: tanh units are odd functions, so a linear
 *                                  readout of x alone cannot form even functions of the state
 *   'u2' -> u[t] .* u[t]  [D]     squared inputs
 *
 *   x [B, N], u [B, D]  ->  z [B, F], F = sum of the terms' widths, terms in the order given.
 *
 * The readout's own bias column supplies the constant term.
 */
import { ShapeError } from '../tensor.js';

export type ReadoutTerm = 'x' | 'u' | 'x2' | 'u2';

const TERMS: readonly ReadoutTerm[] = ['x', 'u', 'x2', 'u2'];

/**
 * Checks a list of terms (or a comma-separated string such as 'x,u,x2', as the CLI gives
 * it): known names, each at most once, at least one. Returns the terms as an array.
 */
export function parseReadoutTerms(terms: string | readonly string[], what = 'readoutFeatures'): ReadoutTerm[] {
  const list = typeof terms === 'string' ? terms.split(',').map((s) => s.trim()) : [...terms];
  if (list.length === 0) throw new RangeError(`${what}: expected at least one of ${TERMS.join(', ')}, got none`);
  const seen = new Set<string>();
  for (const t of list) {
    if (!(TERMS as readonly string[]).includes(t))
      throw new RangeError(`${what}: unknown term '${t}', expected some of ${TERMS.join(', ')}`);
    if (seen.has(t)) throw new RangeError(`${what}: term '${t}' is given twice`);
    seen.add(t);
  }
  return list as ReadoutTerm[];
}

/** Width F of the features for N units and D inputs. */
export function readoutFeatureDim(terms: readonly ReadoutTerm[], N: number, D: number): number {
  let F = 0;
  for (const t of terms) F += t === 'x' || t === 'x2' ? N : D;
  return F;
}

/**
 * Fills z [B, F] from x [B, N] and u [B, D] (the step's input). `out` is reused when it has
 * the right length; returns the array written.
 */
export function readoutFeatures(
  terms: readonly ReadoutTerm[],
  B: number,
  N: number,
  D: number,
  x: ArrayLike<number>,
  u: ArrayLike<number>,
  out?: Float64Array,
): Float64Array {
  const F = readoutFeatureDim(terms, N, D);
  if (x.length < B * N) throw new ShapeError(`readoutFeatures: x needs [B, N] = [${B}, ${N}] values, got ${x.length}`);
  if ((terms.includes('u') || terms.includes('u2')) && u.length < B * D) {
    throw new ShapeError(`readoutFeatures: u needs [B, D] = [${B}, ${D}] values, got ${u.length}`);
  }
  const z = out && out.length === B * F ? out : new Float64Array(B * F);
  for (let b = 0; b < B; b++) {
    let o = b * F;
    for (const t of terms) {
      const src = t === 'x' || t === 'x2' ? x : u,
        n = t === 'x' || t === 'x2' ? N : D,
        s0 = b * n;
      if (t === 'x' || t === 'u') for (let j = 0; j < n; j++) z[o + j] = src[s0 + j]!;
      else
        for (let j = 0; j < n; j++) {
          const v = src[s0 + j]!;
          z[o + j] = v * v;
        }
      o += n;
    }
  }
  return z;
}
