/**
 * Interpolated Kneser-Ney n-gram language model (Kneser & Ney 1995; the modified discounts of
 * Chen & Goodman 1998), the baseline a recurrent LM is measured against, over the same token ids.
 *
 * For the highest order n, with h the n-1 preceding tokens and c the training counts:
 *
 *   P_n(w | h) = max(c(h w) - D_n(c(h w)), 0) / c(h .)  +  gamma(h) P_{n-1}(w | h'),   h' = h minus its first token
 *   gamma(h)   = (D_n1 N1(h .) + D_n2 N2(h .) + D_n3 N3+(h .)) / c(h .)
 *
 * Lower orders k < n use continuation counts instead of counts, c'(h w) = N1+(. h w), the number
 * of distinct tokens seen before h w (a word that follows many contexts is a likely novel
 * continuation). The lowest order interpolates with the uniform 1/V, so every id in [0, V) has
 * probability > 0 and each P(. | h) sums to 1. A context never seen backs off entirely:
 * P_k(w | h) = P_{k-1}(w | h').
 *
 * Discounts, per order k, from its count-of-counts n_j (how many k-grams have count j):
 *   Y = n1 / (n1 + 2 n2),  D1 = 1 - 2Y n2/n1,  D2 = 2 - 3Y n3/n2,  D3+ = 3 - 4Y n4/n3,
 * each clamped into [0.01, j] (j = 1, 2, 3: a discount of 0 would leave a context no mass for
 * unseen tokens); when a count-of-count is 0 (tiny or repetitive corpora) the order uses one
 * discount, Y, for all three (0.5 when Y is 0 or undefined). `discount: d` fixes D1 = D2 = D3+ = d
 * (the original interpolated Kneser-Ney).
 *
 * Tokens are one stream (as the recurrent model reads them): the first tokens of an evaluated
 * stream have shorter contexts. Keys are the ids joined by ',' (any vocabulary size, any order).
 */

export interface KneserNeyOptions {
  /** n (>= 1): the longest n-gram. */
  order: number;
  /** V: ids are in [0, V). */
  vocabSize: number;
  /** 'modified' (default: three discounts per order from the counts of counts) or one fixed discount in (0, 1]. */
  discount?: 'modified' | number;
}

interface Ctx {
  total: number;
  n1: number;
  n2: number;
  n3: number;
}

export class KneserNey {
  readonly order: number;
  readonly vocabSize: number;
  /** Per order k = 1..n (index k-1): counts (k = n) or continuation counts (k < n) of k-grams. */
  private readonly counts: Map<string, number>[] = [];
  /** Per order: totals and N1, N2, N3+ of each context (the k-gram's first k-1 ids). */
  private readonly ctxs: Map<string, Ctx>[] = [];
  /** Per order: [D1, D2, D3+]. */
  readonly discounts: [number, number, number][] = [];

  constructor(train: ArrayLike<number>, o: KneserNeyOptions) {
    const n = o.order,
      V = o.vocabSize;
    if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`KneserNey: order must be an integer >= 1, got ${n}`);
    if (!(Number.isInteger(V) && V >= 1))
      throw new RangeError(`KneserNey: vocabSize must be an integer >= 1, got ${V}`);
    const d = o.discount ?? 'modified';
    if (d !== 'modified' && !(typeof d === 'number' && d > 0 && d <= 1))
      throw new RangeError(`KneserNey: discount must be 'modified' or a number in (0, 1], got ${d}`);
    for (let i = 0; i < train.length; i++) {
      const t = train[i]!;
      if (!(Number.isInteger(t) && t >= 0 && t < V))
        throw new RangeError(`KneserNey: id ${t} at ${i} is not in [0, ${V})`);
    }
    this.order = n;
    this.vocabSize = V;
    // the highest order: plain counts
    const top = new Map<string, number>();
    for (let i = 0; i + n <= train.length; i++) {
      const k = key(train, i, n);
      top.set(k, (top.get(k) ?? 0) + 1);
    }
    this.counts[n - 1] = top;
    // lower orders: continuation counts N1+(. g) = distinct (k+1)-grams that end in g
    for (let k = n - 1; k >= 1; k--) {
      const cc = new Map<string, number>();
      const seen = new Set<string>();
      for (let i = 0; i + k + 1 <= train.length; i++) {
        const kk = key(train, i, k + 1);
        if (seen.has(kk)) continue;
        seen.add(kk);
        const g = key(train, i + 1, k);
        cc.set(g, (cc.get(g) ?? 0) + 1);
      }
      this.counts[k - 1] = cc;
    }
    for (let k = 1; k <= n; k++) {
      const ctx = new Map<string, Ctx>(),
        nn = [0, 0, 0, 0, 0];
      for (const [g, c] of this.counts[k - 1]!) {
        const h = g.slice(0, Math.max(0, g.lastIndexOf(','))); // drop the last id
        let x = ctx.get(h);
        if (!x) ctx.set(h, (x = { total: 0, n1: 0, n2: 0, n3: 0 }));
        x.total += c;
        if (c === 1) x.n1++;
        else if (c === 2) x.n2++;
        else x.n3++;
        if (c <= 4) nn[c]!++;
      }
      this.ctxs[k - 1] = ctx;
      this.discounts[k - 1] = d === 'modified' ? modifiedDiscounts(nn[1]!, nn[2]!, nn[3]!, nn[4]!) : [d, d, d];
    }
  }

  /** P(w | the last order-1 ids of `context`) (fewer when the context is shorter). */
  prob(context: ArrayLike<number>, w: number): number {
    const m = Math.min(this.order - 1, context.length);
    return this.p(context, context.length - m, m, w);
  }

  /** P_{k}(w | context[s .. s+k-1)) with k - 1 = len. */
  private p(context: ArrayLike<number>, s: number, len: number, w: number): number {
    const lower = len > 0 ? this.p(context, s + 1, len - 1, w) : 1 / this.vocabSize;
    const k = len + 1,
      h = len > 0 ? key(context, s, len) : '';
    const c = this.ctxs[k - 1]!.get(h);
    if (!c) return lower; // an unseen context: all mass to the lower order
    const g = this.counts[k - 1]!.get(h === '' ? String(w) : `${h},${w}`) ?? 0;
    const [d1, d2, d3] = this.discounts[k - 1]!;
    const dg = g === 0 ? 0 : g === 1 ? d1 : g === 2 ? d2 : d3;
    const gamma = (d1 * c.n1 + d2 * c.n2 + d3 * c.n3) / c.total;
    return Math.max(g - dg, 0) / c.total + gamma * lower;
  }

  /**
   * Mean negative log-likelihood of `ids` read as one stream (each token given the ones before it),
   * or, with `streams: B`, scored on exactly the targets a recurrent LM's evaluation scores
   * (TokenStreams: B contiguous streams of L = floor(N/B) tokens; tokens 1..L-1 of each, given
   * the ones before them in the same stream).
   */
  evaluate(
    ids: ArrayLike<number>,
    o: { streams?: number } = {},
  ): { loss: number; bitsPerToken: number; perplexity: number; tokens: number } {
    const B = o.streams ?? 0,
      L = B > 0 ? Math.floor(ids.length / B) : ids.length;
    if (B > 0 && !(Number.isInteger(B) && L >= 2))
      throw new RangeError(`KneserNey.evaluate: ${ids.length} tokens are too few for ${B} streams`);
    let nats = 0,
      n = 0;
    for (let b = 0; b < Math.max(1, B); b++) {
      const s0 = b * L;
      for (let t = B > 0 ? 1 : 0; t < L; t++) {
        const m = Math.min(this.order - 1, t);
        nats -= Math.log(this.p(ids, s0 + t - m, m, ids[s0 + t]!));
        n++;
      }
    }
    const loss = nats / Math.max(1, n);
    return { loss, bitsPerToken: loss / Math.LN2, perplexity: Math.exp(loss), tokens: n };
  }
}

function key(a: ArrayLike<number>, s: number, len: number): string {
  let k = String(a[s]);
  for (let i = 1; i < len; i++) k += `,${a[s + i]}`;
  return k;
}

/** Chen & Goodman's D1, D2, D3+ from the counts of counts n1..n4, each clamped into [0.01, j]. */
export function modifiedDiscounts(n1: number, n2: number, n3: number, n4: number): [number, number, number] {
  const Y = n1 > 0 ? n1 / (n1 + 2 * n2) : 0.5;
  if (!(n1 > 0 && n2 > 0 && n3 > 0)) return [Y, Y, Y];
  const clamp = (x: number, hi: number) => Math.min(hi, Math.max(0.01, x));
  const d1 = clamp(1 - (2 * Y * n2) / n1, 1),
    d2 = clamp(2 - (3 * Y * n3) / n2, 2),
    d3 = n4 > 0 ? clamp(3 - (4 * Y * n4) / n3, 3) : d2;
  return [d1, d2, d3];
}
