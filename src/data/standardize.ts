/**
 * Per-feature standardisation z = (v - mean) / std, fitted on training data only and stored
 * with the model, so predictions come back in the data's own units (inverse: v = z std + mean).
 * Sums run in float64. A feature with (almost) no spread keeps std 1: it is only centred.
 *
 * Why it matters: a recurrent net (or a reservoir) whose inputs sit around 100 saturates its
 * tanh units and learns nothing; the same data standardised trains normally.
 */
export interface StandardizerJSON {
  mean: number[];
  std: number[];
}

export class Standardizer {
  constructor(
    readonly mean: Float64Array,
    readonly std: Float64Array,
  ) {
    if (mean.length !== std.length || mean.length < 1)
      throw new RangeError('Standardizer: mean and std need one entry per feature');
    for (let i = 0; i < std.length; i++)
      if (!(std[i]! > 0) || !Number.isFinite(mean[i]!))
        throw new RangeError(`Standardizer: feature ${i} has mean ${mean[i]} and std ${std[i]}`);
  }

  get dim(): number {
    return this.mean.length;
  }

  /** Fits on rows of F values: each array holds whole rows ([n * F]); `rows(a)` may limit how many count. */
  static fit(arrays: Iterable<ArrayLike<number>>, F: number, rows?: (a: ArrayLike<number>) => number): Standardizer {
    const sum = new Float64Array(F),
      n0 = new Float64Array(F);
    let n = 0;
    const all = [...arrays];
    for (const a of all) {
      const r = rows ? rows(a) : a.length / F;
      for (let i = 0; i < r; i++) for (let f = 0; f < F; f++) sum[f] += a[i * F + f]!;
      n += r;
    }
    if (n < 1) throw new RangeError('Standardizer.fit: no rows to fit on');
    const mean = sum.map((s) => s / n);
    for (const a of all) {
      const r = rows ? rows(a) : a.length / F;
      for (let i = 0; i < r; i++)
        for (let f = 0; f < F; f++) {
          const d = a[i * F + f]! - mean[f]!;
          n0[f] += d * d;
        }
    }
    const std = n0.map((s, f) => {
      const sd = Math.sqrt(s / n);
      return sd > 1e-12 * Math.max(1, Math.abs(mean[f]!)) ? sd : 1; // constant feature: centre only
    });
    return new Standardizer(mean, std);
  }

  /** Identity (mean 0, std 1): what `standardize: false` stores. */
  static identity(F: number): Standardizer {
    return new Standardizer(new Float64Array(F), new Float64Array(F).fill(1));
  }

  /** out[i] = (a[i] - mean) / std over rows of `dim` values (in place when out === a). */
  transform<A extends { [i: number]: number; length: number }>(a: ArrayLike<number>, out: A): A {
    const F = this.dim;
    for (let i = 0; i < a.length; i++) out[i] = (a[i]! - this.mean[i % F]!) / this.std[i % F]!;
    return out;
  }

  /** out[i] = a[i] std + mean: back to the data's units. */
  inverse<A extends { [i: number]: number; length: number }>(a: ArrayLike<number>, out: A): A {
    const F = this.dim;
    for (let i = 0; i < a.length; i++) out[i] = a[i]! * this.std[i % F]! + this.mean[i % F]!;
    return out;
  }

  /** The same statistics for a subset of features (e.g. the forecast targets among the inputs). */
  pick(features: readonly number[]): Standardizer {
    return new Standardizer(
      Float64Array.from(features, (f) => this.mean[f]!),
      Float64Array.from(features, (f) => this.std[f]!),
    );
  }

  toJSON(): StandardizerJSON {
    return { mean: Array.from(this.mean), std: Array.from(this.std) };
  }

  static fromJSON(j: StandardizerJSON): Standardizer {
    if (!j || !Array.isArray(j.mean) || !Array.isArray(j.std))
      throw new RangeError('Standardizer.fromJSON: expected {mean: number[], std: number[]}');
    return new Standardizer(Float64Array.from(j.mean), Float64Array.from(j.std));
  }
}
