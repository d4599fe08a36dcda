// Bengio et al. (2003) feed-forward NPLM: exact gradients (finite differences in float64),
// perplexity falls with training, bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NPLM, evaluateNPLM, trainNPLM, ngramBatch } from 'recur-rnn/lm';
import { gradCheck } from 'recur-rnn';

for (const direct of [false, true]) {
  test(`NPLM gradients match finite differences (direct connections: ${direct})`, () => {
    const m = new NPLM({ vocabSize: 6, order: 4, embedDim: 3, hiddenSize: 5, direct, seed: 3, dtype: 'float64' });
    const ctx = [0, 1, 2, 2, 2, 5, 4, 0, 1, 3, 3, 3, 0, 1, 2],
      tgt = [3, 1, 5, 0, 2]; // repeated ids: scatter-add
    m.params.zeroGrad();
    m.lossAndGrad({ context: ctx, targets: tgt });
    const g = Float64Array.from(m.params.grad);
    // (its gradient side effect is unused)
    const r = gradCheck(() => m.lossAndGrad({ context: ctx, targets: tgt }).loss, m.params.data, g);
    assert.ok(
      r.maxRelError < 1e-6,
      `rel error ${r.maxRelError} ` +
        `at ${m.params.list.find((p) => r.worstIndex >= p.offset && r.worstIndex < p.offset + p.size)?.name}`,
    );
    assert.deepEqual(
      m.params.list.map((p) => p.name),
      [
        'embedding.weight',
        'hidden.weight',
        'hidden.bias',
        'output.weight',
        'output.bias',
        ...(direct ? ['direct.weight'] : []),
      ],
    );
  });
}

test('NPLM learns a deterministic trigram language: perplexity from ~V to near 1', () => {
  // next = (a + 2b) mod 7: predictable from the last two words only.
  const ids: number[] = [1, 4];
  for (let i = 2; i < 600; i++) ids.push((ids[i - 2]! + 2 * ids[i - 1]! + (i % 50 === 0 ? 1 : 0)) % 7);
  const m = new NPLM({ vocabSize: 7, order: 3, embedDim: 6, hiddenSize: 24, seed: 1 });
  const before = evaluateNPLM(m, ids).perplexity;
  assert.ok(before > 4 && before < 12, `initial perplexity ${before}`);
  const r = trainNPLM(m, ids, { epochs: 12, batch: 32, optimizer: { type: 'adam', lr: 0.02 }, seed: 1 });
  const after = evaluateNPLM(m, ids);
  assert.ok(after.perplexity < 1.5, `perplexity ${before} -> ${after.perplexity} after ${r.steps} steps`);
  assert.equal(after.tokens, 598);
});

test('ngramBatch windows and bad input', () => {
  const ctx = new Int32Array(4),
    tgt = new Int32Array(2);
  ngramBatch([5, 6, 7, 8], 3, [2, 3], ctx, tgt);
  assert.deepEqual([...ctx], [5, 6, 6, 7]);
  assert.deepEqual([...tgt], [7, 8]);
  const m = new NPLM({ vocabSize: 4, order: 3 });
  assert.throws(() => m.forward([0, 1, 2], 2), /expected 2 contexts of 2 ids \(4 ids\), got 3/);
  assert.throws(() => m.forward([0, 9], 1), /id 9 at position 1 is out of range \[0, 4\)/);
  assert.throws(() => new NPLM({ vocabSize: 4, order: 1 }), /order/);
  assert.throws(() => evaluateNPLM(m, [1, 2]), /need more than 2 ids/);
});
