// MurmurHash3_x86_32 against the published reference vectors; hashed features and the
// HashedEmbedding layer (finite differences through an LSTM and a softmax head).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { murmur3, hashTokens, hashFeatures, tokenFeatures, HashedEmbedding } from 'recur-rnn/lm';
import { LSTM, Linear, Params, Rng, gradCheck, softmaxCrossEntropy } from 'recur-rnn';

test('murmur3 matches the reference vectors (SMHasher / mmh3, unsigned)', () => {
  assert.equal(murmur3(new Uint8Array(0), 0), 0);
  assert.equal(murmur3(new Uint8Array(0), 1), 0x514e28b7);
  assert.equal(murmur3(new Uint8Array(0), 0xffffffff), 0x81f16f39);
  assert.equal(murmur3(new Uint8Array([0, 0, 0, 0]), 0), 0x2362f9de);
  const S = 0x9747b28c;
  assert.equal(murmur3('a', S), 0x7fa09ea6); // 1-byte tail
  assert.equal(murmur3('ab', S), 0x74875592); // 2-byte tail
  assert.equal(murmur3('abc', S), 0xc84a62dd); // 3-byte tail
  assert.equal(murmur3('abcd', S), 0xf0478627); // one block
  assert.equal(murmur3('aaaa', S), 0x5a97808a);
  assert.equal(murmur3('Hello, world!', S), 0x24884cba);
  assert.equal(murmur3('The quick brown fox jumps over the lazy dog', S), 0x2fa826cd);
  // UTF-8 (8 bytes >= 0x80); value from an independent Python implementation
  assert.equal(murmur3('ππππ', S), 0x474dc9a8);
  assert.equal(murmur3('abc', 0), 0xb3dd93fa);
});

test('hashed features: n-grams with boundaries, buckets in range, signs, summed sparse vectors', () => {
  assert.deepEqual(tokenFeatures('ab', { buckets: 8, ngrams: [2, 3] }), ['ab', '#<a', '#ab', '#b>', '#<ab', '#ab>']);
  const h = hashTokens(['the', 'cat', 'the'], { buckets: 16, ngrams: [3, 3], signed: true, seed: 3 });
  assert.equal(h.count, 3);
  assert.deepEqual([...h.offsets], [0, 4, 8, 12]);
  assert.ok(h.buckets.every((b) => b >= 0 && b < 16));
  assert.ok(h.signs.every((s) => s === 1 || s === -1));
  assert.deepEqual([...h.buckets.subarray(0, 4)], [...h.buckets.subarray(8, 12)]); // same word, same features
  const unsigned = hashTokens(['the'], { buckets: 16 });
  assert.equal(unsigned.buckets[0], murmur3('the', 0) % 16);
  const f = hashFeatures(['a', 'b', 'a'], { buckets: 1 << 20 });
  assert.equal(f.indices.length, 2);
  assert.deepEqual([...f.values].sort(), [1, 2]);
  assert.ok(f.indices[0]! < f.indices[1]!);
  assert.throws(() => hashTokens(['x'], { buckets: 0 }), /buckets must be/);
  assert.throws(() => hashTokens(['x'], { buckets: 4, word: false }), /needs ngrams/);
});

test('HashedEmbedding gives unseen words a vector from their n-grams and sums feature rows', () => {
  const emb = new HashedEmbedding({ buckets: 64, embeddingDim: 3, ngrams: [3, 4], initSeed: 1 });
  const y = emb.forward(emb.hash(['walking', 'walked']), [2]);
  assert.deepEqual(y.shape, [2, 3]);
  assert.ok([...y.data].every(Number.isFinite) && y.data.some((v) => v !== 0));
  const one = new HashedEmbedding({ buckets: 4, embeddingDim: 2, initSeed: 2 });
  const hw = one.hash(['w']);
  const row = hw.buckets[0]!;
  assert.deepEqual([...one.forward(hw).data], [...one.weight.data.subarray(row * 2, row * 2 + 2)]);
});

for (const combine of ['sum', 'mean'] as const) {
  test(`HashedEmbedding (${combine}, signed) -> LSTM -> Linear -> softmax: gradients match finite differences`, () => {
    const params = new Params('float64');
    const emb = new HashedEmbedding({
      buckets: 7,
      embeddingDim: 3,
      ngrams: [2, 3],
      signed: true,
      combine,
      params,
      prefix: 'emb.',
    });
    const lstm = new LSTM({ inputSize: 3, hiddenSize: 4, params, prefix: 'rnn.' });
    const head = new Linear({ inFeatures: 4, outFeatures: 5, params, prefix: 'head.' });
    params.allocate(new Rng(5));
    const T = 3,
      B = 2,
      words = ['to', 'be', 'or', 'not', 'to', 'be'];
    const hashed = emb.hash(words),
      y = [1, 4, 0, 2, 3, 1];
    const loss = () => softmaxCrossEntropy(head.forward(lstm.forward(emb.forward(hashed, [T, B])).output), y).loss;
    params.zeroGrad();
    const r = softmaxCrossEntropy(head.forward(lstm.forward(emb.forward(hashed, [T, B])).output), y);
    emb.backward(lstm.backward({ output: head.backward(r.grad) }).dx);
    const g = Float64Array.from(params.grad);
    const c = gradCheck(loss, params.data, g);
    assert.ok(c.maxRelError < 1e-4, `rel error ${c.maxRelError}`);
    assert.ok(emb.weight.grad.some((v) => v !== 0));
  });
}
