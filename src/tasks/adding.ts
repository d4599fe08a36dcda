/**
 * The adding problem (Hochreiter & Schmidhuber 1997; Pascanu et al. 2013 variant).
 * Input per step: (value, marker). Exactly two markers; the target is the sum of the two
 * marked values, read from the last step. Always predicting 1 scores MSE 1/6 ~ 0.167.
 * Pascanu variant (default): values U[0,1), first marker in [0, T/2), second in [T/2, T).
 * Hochreiter variant: values U[-1,1), first marker among the first 10 steps, second in
 * the first half, target 0.5 + (a + b)/4.
 */
import type { Rng } from '../random.js';

export interface AddingOptions {
  T: number;
  variant?: 'pascanu' | 'hochreiter';
}

export interface DenseBatch {
  T: number;
  B: number;
  x: Float32Array;
  y: Float32Array;
}

export function addingBatch(rng: Rng, B: number, o: AddingOptions, out?: DenseBatch): DenseBatch {
  const T = o.T;
  if (!(Number.isInteger(T) && T >= 2)) throw new RangeError(`adding: T must be an integer >= 2, got ${T}`);
  const b = out && out.T === T && out.B === B ? out : { T, B, x: new Float32Array(T * B * 2), y: new Float32Array(B) };
  b.x.fill(0);
  const hoch = o.variant === 'hochreiter';
  for (let j = 0; j < B; j++) {
    for (let t = 0; t < T; t++) b.x[(t * B + j) * 2] = hoch ? rng.range(-1, 1) : rng.uniform();
    let i1: number, i2: number;
    if (hoch) {
      i1 = rng.int(Math.min(10, T));
      do {
        i2 = rng.int(Math.max(2, Math.floor(T / 2)));
      } while (i2 === i1);
    } else {
      i1 = rng.int(Math.floor(T / 2));
      i2 = Math.floor(T / 2) + rng.int(T - Math.floor(T / 2));
    }
    b.x[(i1 * B + j) * 2 + 1] = 1;
    b.x[(i2 * B + j) * 2 + 1] = 1;
    const a = b.x[(i1 * B + j) * 2]!,
      c = b.x[(i2 * B + j) * 2]!;
    b.y[j] = hoch ? 0.5 + (a + c) / 4 : a + c;
  }
  return b;
}
