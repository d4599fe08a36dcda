/**
 * Quality of probabilistic predictions, in one pass and constant memory.
 *
 *   log-loss = -mean( y ln p + (1 - y) ln(1 - p) ),  p clipped to [1e-15, 1 - 1e-15]
 *   AUC      = P(score of a random positive > score of a random negative), ties count 1/2
 *
 * `AucMeter` streams: it counts positives and negatives per bin of p (2^16 equal bins by
 * default), so memory does not grow with the data; two predictions closer than 1/2^16 count
 * as tied, which moves the AUC by far less than its sampling error on any real test set.
 * `auc` is the exact version over arrays (average ranks for ties).
 */

const EPS = 1e-15;

export function logLossOne(p: number, y: number): number {
  const q = p < EPS ? EPS : p > 1 - EPS ? 1 - EPS : p;
  return y > 0.5 ? -Math.log(q) : -Math.log(1 - q);
}

export class LogLossMeter {
  sum = 0;
  count = 0;
  add(p: number, y: number): void {
    this.sum += logLossOne(p, y);
    this.count++;
  }
  get value(): number {
    return this.count ? this.sum / this.count : NaN;
  }
}

export class AucMeter {
  private readonly pos: Float64Array;
  private readonly neg: Float64Array;
  constructor(readonly bins = 65536) {
    if (!Number.isInteger(bins) || bins < 2)
      throw new RangeError(`AucMeter: bins must be an integer >= 2, got ${bins}`);
    this.pos = new Float64Array(bins);
    this.neg = new Float64Array(bins);
  }
  add(p: number, y: number): void {
    let b = Math.floor(p * this.bins);
    if (b >= this.bins) b = this.bins - 1;
    else if (!(b >= 0)) b = 0;
    if (y > 0.5) this.pos[b]!++;
    else this.neg[b]!++;
  }
  get value(): number {
    // Walk bins from low to high scores: each positive beats the negatives below it, ties 1/2.
    let negBelow = 0,
      wins = 0,
      P = 0,
      N = 0;
    for (let b = 0; b < this.bins; b++) {
      const p = this.pos[b]!,
        n = this.neg[b]!;
      wins += p * (negBelow + 0.5 * n);
      negBelow += n;
      P += p;
      N += n;
    }
    return P > 0 && N > 0 ? wins / (P * N) : NaN;
  }
}

/** Exact AUC of scores against 0/1 labels (NaN when a class is absent). */
export function auc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  if (labels.length !== scores.length) throw new RangeError(`auc: ${labels.length} labels but ${scores.length} scores`);
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPos = 0,
    P = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++)
      if (labels[order[k]!]! > 0.5) {
        rankSumPos += avg;
        P++;
      }
    i = j + 1;
  }
  const N = labels.length - P;
  return P > 0 && N > 0 ? (rankSumPos - (P * (P + 1)) / 2) / (P * N) : NaN;
}

/** Mean log-loss over arrays. */
export function logLoss(labels: ArrayLike<number>, probs: ArrayLike<number>): number {
  if (labels.length !== probs.length)
    throw new RangeError(`logLoss: ${labels.length} labels but ${probs.length} probabilities`);
  let s = 0;
  for (let i = 0; i < labels.length; i++) s += logLossOne(probs[i]!, labels[i]!);
  return s / labels.length;
}
