// Encoder-decoder: one exact gradient through decoder and encoder (the decoder's dh0/dc0 feed the
// encoder), teacher-forcing batches, greedy = beam 1, beam search against brute force, toy tasks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EncoderDecoder,
  makeToyTask,
  encodeSource,
  encodeTarget,
  decodeTarget,
  runToyTask,
  exactMatch,
  newToyModel,
} from 'recur-rnn/lm';
import { Rng, gradCheck } from 'recur-rnn';

for (const [cell, layers] of [
  ['lstm', 1],
  ['lstm', 2],
  ['gru', 1],
  ['rnn', 2],
] as const) {
  const title =
    `encoder-decoder (${cell}, ${layers} layers, ragged sources and targets): ` + 'gradients match finite differences';
  test(title, () => {
    const m = new EncoderDecoder({
      srcVocab: 5,
      tgtVocab: 6,
      cell,
      numLayers: layers,
      embedDim: 3,
      hiddenSize: 4,
      seed: 2,
      dtype: 'float64',
    });
    const b = m.makeBatch([[0, 1, 2, 3], [4, 2], [1]], [[2, 3], [5, 4, 3], []]);
    m.params.zeroGrad();
    m.lossAndGrad(b);
    const g = Float64Array.from(m.params.grad);
    // below 1e-5, the absolute error (~1e-10 from rounding) is what counts
    const r = gradCheck(() => m.loss(b), m.params.data, g, { atol: 1e-5 });
    assert.ok(
      r.maxRelError < 1e-4,
      `rel error ${r.maxRelError} ` +
        `at ${m.params.list.find((p) => r.worstIndex >= p.offset && r.worstIndex < p.offset + p.size)?.name}`,
    );
    // The gradient reaches the encoder only through the state handed to the decoder.
    const enc = m.params.list.filter((p) => p.name.startsWith('encoder.'));
    assert.ok(
      enc.length > 0 && enc.every((p) => p.grad.some((v) => v !== 0)),
      'every encoder parameter gets a gradient',
    );
  });
}

test('makeBatch: BOS-shifted decoder inputs, EOS-terminated targets, padding ignored', () => {
  const m = new EncoderDecoder({ srcVocab: 3, tgtVocab: 5, bos: 0, eos: 1, hiddenSize: 2, embedDim: 2 });
  const b = m.makeBatch([[0, 1], [2]], [[3, 4], [2]]);
  assert.deepEqual([b.S, b.B, b.D], [2, 2, 3]);
  assert.deepEqual(Array.from(b.srcLengths), [2, 1]);
  assert.deepEqual([...b.decIn], [0, 0, 3, 2, 4, 1]);
  assert.deepEqual([...b.decOut], [3, 2, 4, 1, 1, -1]);
  assert.throws(() => m.makeBatch([[0], []], [[2], [2]]), /at least one token/);
  assert.throws(() => m.makeBatch([[0]], []), /as many targets as sources/);
  assert.throws(() => new EncoderDecoder({ srcVocab: 3, tgtVocab: 2, eos: 2 }), /eos must be an id in \[0, 2\)/);
});

test('beam search: beam 1 is greedy; a wide beam finds the best sequence found by brute force', () => {
  const m = new EncoderDecoder({ srcVocab: 4, tgtVocab: 4, hiddenSize: 6, embedDim: 3, seed: 11 });
  const srcs = [[0, 1, 2], [3], [2, 2]];
  const greedy = m.decode(srcs, { beam: 1, maxLen: 3 });
  assert.deepEqual(m.decode(srcs, { maxLen: 3 }), greedy);
  // All hypotheses over symbols {2, 3} of length <= 2 that end in EOS (3 decoder steps).
  const hyps: number[][] = [[]];
  for (const a of [2, 3]) {
    hyps.push([a]);
    for (const c of [2, 3]) hyps.push([a, c]);
  }
  const wide = m.decode(srcs, { beam: 16, maxLen: 3 });
  srcs.forEach((s, i) => {
    let best = -Infinity,
      arg: number[] = [];
    for (const h of hyps) {
      const lp = -m.loss(m.makeBatch([s], [h])) * (h.length + 1); // log p(h, EOS | s)
      if (lp > best) {
        best = lp;
        arg = h;
      }
    }
    assert.deepEqual(wide.tokens[i], arg);
    assert.ok(Math.abs(wide.scores[i]! - best) < 1e-4, `${wide.scores[i]} vs ${best}`);
    assert.ok(wide.scores[i]! >= greedy.scores[i]! - 1e-9);
  });
  assert.throws(() => m.decode(srcs, { beam: 0 }), /beam must be a positive integer/);
});

test('toy tasks: examples are right, encodings round-trip, a short run learns and is seeded', () => {
  const add = makeToyTask('addition', 3),
    rng = new Rng(1);
  for (let i = 0; i < 50; i++) {
    const e = add.example(rng),
      [a, b] = e.source.slice(0, -1).split('+').map(Number);
    assert.ok(e.source.endsWith('=') && a! < 1000 && b! < 1000);
    assert.equal(Number(e.target), a! + b!);
    assert.equal(decodeTarget(add, encodeTarget(add, e.target)), e.target);
  }
  const lsb = makeToyTask('addition', 2, { lsbFirst: true }).example(new Rng(4)),
    [x, y] = lsb.source.slice(0, -1).split('+').map(Number);
  assert.equal(lsb.target, [...String(x! + y!)].reverse().join(''));
  const rev = makeToyTask('reverse', 5),
    e = rev.example(new Rng(2));
  assert.equal(e.target, [...e.source].reverse().join(''));
  assert.throws(() => encodeSource(rev, '12a'), /'a' is not in the source alphabet/);
  assert.throws(() => makeToyTask('addition', 9), /1\.\.7/);
  const run = () =>
    runToyTask({
      task: 'reverse',
      maxLen: 2,
      hidden: 24,
      embed: 8,
      batch: 32,
      lr: 0.02,
      steps: 60,
      evalEvery: 30,
      evalN: 200,
      seed: 3,
    });
  const r = run();
  assert.equal(r.steps <= 60, true);
  assert.ok(r.exactMatch > 0.3, `exact match ${r.exactMatch} after ${r.steps} steps`);
  assert.equal(run().exactMatch, r.exactMatch);
  assert.ok(exactMatch(newToyModel(rev, { hidden: 8 }), rev, 50, 1).rate < 0.5);
});
