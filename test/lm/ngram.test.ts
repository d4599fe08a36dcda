// Interpolated Kneser-Ney against values computed by hand on tiny corpora, its modified
// discounts, normalisation over the vocabulary for seen and unseen contexts, and bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KneserNey, modifiedDiscounts } from 'recur-rnn/lm';

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-12, `${what}: ${a} vs ${b}`);

test('bigram, fixed discount 0.5, on "a b a b c a b": the hand-computed probabilities', () => {
  // ids a=0 b=1 c=2. Bigram counts: ab 3, ba 1, bc 1, ca 1.
  // Unigram continuation counts N1+(. w): a 2 (ba, ca), b 1 (ab), c 1 (bc); total 4, N1 = 2, N2 = 1.
  //   gamma() = 0.5 (2 + 1) / 4 = 0.375;  P1(w) = max(cc - 0.5, 0) / 4 + 0.375 / 3
  //   P1(a) = 1.5/4 + 0.125 = 0.5,  P1(b) = P1(c) = 0.5/4 + 0.125 = 0.25
  // Context a: total 3, one bigram (count 3): gamma(a) = 0.5/3
  //   P(b|a) = 2.5/3 + (1/6)(0.25) = 0.875,  P(a|a) = (1/6)(0.5),  P(c|a) = (1/6)(0.25)
  // Context b: total 2, two bigrams of count 1: gamma(b) = 0.5 * 2 / 2 = 0.5
  //   P(a|b) = 0.5/2 + 0.5 * 0.5 = 0.5,  P(c|b) = 0.25 + 0.5 * 0.25 = 0.375,  P(b|b) = 0.125
  const kn = new KneserNey([0, 1, 0, 1, 2, 0, 1], { order: 2, vocabSize: 3, discount: 0.5 });
  close(kn.prob([], 0), 0.5, 'P1(a)');
  close(kn.prob([], 1), 0.25, 'P1(b)');
  close(kn.prob([], 2), 0.25, 'P1(c)');
  close(kn.prob([0], 1), 0.875, 'P(b|a)');
  close(kn.prob([0], 0), 1 / 12, 'P(a|a)');
  close(kn.prob([0], 2), 1 / 24, 'P(c|a)');
  close(kn.prob([1], 0), 0.5, 'P(a|b)');
  close(kn.prob([1], 2), 0.375, 'P(c|b)');
  close(kn.prob([1], 1), 0.125, 'P(b|b)');
  close(kn.prob([2, 2, 1], 2), 0.375, 'only the last id of a long context counts');
  // the stream "a b c": P1(a) P(b|a) P(c|b)
  const ev = kn.evaluate([0, 1, 2]);
  close(ev.loss, -(Math.log(0.5) + Math.log(0.875) + Math.log(0.375)) / 3, 'evaluate');
  close(ev.perplexity, Math.exp(ev.loss), 'perplexity');
  close(ev.bitsPerToken, ev.loss / Math.LN2, 'bits');
  // as 2 streams of 3 (the 7th id dropped): "b a b" and "c a b" score a|b, b|a, a|c, b|a
  const st = kn.evaluate([1, 0, 1, 2, 0, 1, 0], { streams: 2 });
  assert.equal(st.tokens, 4);
  close(st.loss, -(Math.log(0.5) + 2 * Math.log(0.875) + Math.log(kn.prob([2], 0))) / 4, 'streams');
  assert.throws(() => kn.evaluate([1, 0, 1], { streams: 2 }), /too few/);
});

test('modified discounts: Chen & Goodman from the counts of counts, by hand', () => {
  // n1=10 n2=5 n3=3 n4=2: Y = 10/20 = 0.5, D1 = 1 - 2(0.5)(5/10) = 0.5, D2 = 2 - 3(0.5)(3/5) = 1.1,
  // D3+ = 3 - 4(0.5)(2/3) = 5/3
  const [d1, d2, d3] = modifiedDiscounts(10, 5, 3, 2);
  close(d1, 0.5, 'D1');
  close(d2, 1.1, 'D2');
  close(d3, 5 / 3, 'D3+');
  // Unigram model (raw counts) with counts 1,1,2,3,4,1 over V = 7 (id 6 unseen):
  // n1 = 3, n2 = n3 = n4 = 1: Y = 3/5, D1 = 1 - 2(0.6)(1/3) = 0.6, D2 = 2 - 3(0.6) = 0.2, D3+ = 3 - 4(0.6) = 0.6;
  // total 12, gamma = (0.6*3 + 0.2*1 + 0.6*2) / 12 = 3.2/12
  const ids = [0, 1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 5];
  const kn = new KneserNey(ids, { order: 1, vocabSize: 7 });
  const [e1, e2, e3] = kn.discounts[0]!;
  close(e1, 0.6, 'D1');
  close(e2, 0.2, 'D2');
  close(e3, 0.6, 'D3+');
  const g = 3.2 / 12 / 7;
  close(kn.prob([], 4), 3.4 / 12 + g, 'P(4)');
  close(kn.prob([], 2), 1.8 / 12 + g, 'P(2)');
  close(kn.prob([], 0), 0.4 / 12 + g, 'P(0)');
  close(kn.prob([], 6), g, 'P(unseen)');
});

test('every conditional sums to 1 over the vocabulary, seen or unseen context, any order', () => {
  const ids = Array.from({ length: 400 }, (_, i) => (i * i + 3 * i + ((i >> 3) % 5)) % 13);
  for (const order of [1, 2, 3, 4])
    for (const discount of ['modified', 0.75] as const) {
      const kn = new KneserNey(ids, { order, vocabSize: 17, discount });
      for (const ctx of [[], [3], [1, 4], [ids[10]!, ids[11]!, ids[12]!], [16, 16, 16]]) {
        let s = 0;
        for (let w = 0; w < 17; w++) {
          const p = kn.prob(ctx, w);
          assert.ok(p > 0, `order ${order}: P(${w} | ${ctx}) = ${p}`);
          s += p;
        }
        assert.ok(Math.abs(s - 1) <= 1e-12, `order ${order} (${discount}), context [${ctx}]: sum ${s}`);
      }
      // a longer context never hurts on text like the training text
      if (order > 1)
        assert.ok(
          kn.evaluate(ids).perplexity < new KneserNey(ids, { order: 1, vocabSize: 17 }).evaluate(ids).perplexity,
        );
    }
});

test('bad input: order, vocabulary, ids, discount', () => {
  assert.throws(() => new KneserNey([0, 1], { order: 0, vocabSize: 2 }), /order/);
  assert.throws(() => new KneserNey([0, 1], { order: 2, vocabSize: 0 }), /vocabSize/);
  assert.throws(() => new KneserNey([0, 5], { order: 2, vocabSize: 2 }), /id 5 at 1/);
  assert.throws(() => new KneserNey([0, 1], { order: 2, vocabSize: 2, discount: 1.5 }), /discount/);
});
