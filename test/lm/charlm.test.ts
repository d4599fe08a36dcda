// Recurrent language models: initial loss ~ ln V, training lowers bits per character, seeded
// sampling, the vocabulary round-trips through the checkpoint, unknown characters, word level.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CharVocab, WordVocab, RecurrentLM, trainLM, splitIds } from 'recur-rnn/lm';
import { SequenceModel, encodeSafetensors, decodeSafetensors, saveCheckpoint } from 'recur-rnn';
import { ROOT } from '../helpers.js';

const TEXT = (
  'the quick brown fox jumps over the lazy dog. ' +
  'a stitch in time saves nine. ' +
  'to be or not to be, that is the question.\n'
).repeat(12);

function small(vocab = CharVocab.fromText(TEXT), seed = 1) {
  return RecurrentLM.create(vocab, { cell: 'lstm', embedDim: 8, hiddenSize: 24, seed });
}

test('a fresh model scores about ln V per character; training lowers validation bits per character', () => {
  const lm = small();
  const ids = lm.vocab.encode(TEXT),
    { train, val } = splitIds(ids, 0.2);
  const before = lm.evaluate(val, { B: 4, T: 16 });
  assert.ok(
    Math.abs(before.loss - Math.log(lm.vocab.size)) < 0.3,
    `initial loss ${before.loss} vs ln V ${Math.log(lm.vocab.size)}`,
  );
  assert.ok(Math.abs(before.bitsPerToken - before.loss / Math.LN2) < 1e-12);
  const logs: string[] = [];
  const r = trainLM(lm, train, {
    batch: 8,
    bptt: 16,
    steps: 60,
    optimizer: { type: 'adam', lr: 0.01 },
    val,
    evalEvery: 30,
    evalTokens: 64,
    onLog: (x) => logs.push(String(x.kind)),
  });
  assert.equal(r.steps, 60);
  assert.equal(r.stopped, 'steps');
  assert.ok(logs.filter((k) => k === 'eval').length === 3 && logs.filter((k) => k === 'train').length === 60);
  assert.ok(
    r.val!.bitsPerToken < before.bitsPerToken - 1,
    `bits/char ${before.bitsPerToken} -> ${r.val!.bitsPerToken}`,
  );
  assert.ok(r.tokensPerSecond > 0 && r.tokens > 60 * 8 * 8);
});

test('sampling: same seed same text, other seed other text, temperature 0 is greedy; the prime comes first', () => {
  const lm = small();
  trainLM(lm, lm.vocab.encode(TEXT), { batch: 4, bptt: 16, steps: 10, optimizer: { type: 'adam', lr: 0.01 } });
  const a = lm.sample({ length: 80, seed: 7, prime: 'the ' }),
    b = lm.sample({ length: 80, seed: 7, prime: 'the ' });
  assert.equal(a, b);
  assert.ok(a.startsWith('the ') && Array.from(a).length === 84);
  assert.notEqual(lm.sample({ length: 80, seed: 8, prime: 'the ' }), a);
  assert.equal(
    lm.sample({ length: 40, temperature: 0, seed: 1 }).slice(1),
    lm.sample({ length: 40, temperature: 0, seed: 1 }).slice(1),
  );
  assert.equal(
    lm.sample({ length: 30, temperature: 0, prime: 'to b', seed: 1 }),
    lm.sample({ length: 30, temperature: 0, prime: 'to b', seed: 99 }),
  );
  assert.equal(Array.from(lm.sample({ length: 5, seed: 3 })).length, 5); // no prime: a drawn first character
  assert.throws(
    () => lm.sample({ length: 5, prime: 'Zebra' }),
    /"Z" \(U\+005A\) at position 0 is not in the model's vocabulary/,
  );
  assert.equal(
    lm.sample({ length: 5, prime: 'Zthe', onUnknown: 'skip', seed: 2 }),
    lm.sample({ length: 5, prime: 'the', seed: 2 }),
  );
  assert.throws(() => lm.sample({ length: 5, temperature: -1 }), /temperature/);
});

test('checkpoint: weights, vocabulary and optimiser round-trip; samples and scores are identical', () => {
  const lm = small(CharVocab.fromText(TEXT + 'é🙂'));
  const r = trainLM(lm, lm.vocab.encode(TEXT), { batch: 4, bptt: 16, steps: 5 });
  const bytes = lm.toBytes({ step: r.steps }, { opt: r.optimizer, spec: r.optimizerSpec });
  const back = RecurrentLM.fromBytes(bytes);
  assert.deepEqual(back.lm.vocab.tokens, lm.vocab.tokens);
  assert.equal(back.meta.step, 5);
  assert.equal(back.optimizer?.kind, 'adam');
  assert.equal(
    back.lm.sample({ length: 60, seed: 4, prime: 'to 🙂' }),
    lm.sample({ length: 60, seed: 4, prime: 'to 🙂' }),
  );
  const ids = lm.vocab.encode(TEXT.slice(0, 300));
  assert.equal(back.lm.evaluate(ids, { B: 2, T: 16 }).loss, lm.evaluate(ids, { B: 2, T: 16 }).loss);
  // A plain model checkpoint (no vocabulary) and a vocabulary that does not fit are refused.
  const plain = saveCheckpoint(lm.model, { step: 0 });
  assert.throws(() => RecurrentLM.fromBytes(plain), /no vocabulary/);
  const dec = decodeSafetensors(bytes),
    meta = JSON.parse(dec.metadata.recur!);
  meta.extra.lm.vocab.tokens.pop();
  const bad = encodeSafetensors(
    Object.fromEntries(
      Object.entries(dec.tensors).map(([k, t]) => [k, { shape: t.shape, data: t.data as Float32Array }]),
    ),
    { ...dec.metadata, recur: JSON.stringify(meta) },
  );
  assert.throws(() => RecurrentLM.fromBytes(bad), /does not fit the model/);
  assert.throws(
    () =>
      new RecurrentLM(
        lm.vocab,
        new SequenceModel({
          cell: 'gru',
          vocabSize: 3,
          embedDim: 2,
          hiddenSize: 2,
          outputSize: 3,
          head: 'every',
          loss: 'xent',
        }),
      ),
    /must map/,
  );
});

test('word-level model with learned embeddings: perplexity falls with training', () => {
  const vocab = WordVocab.fromText(TEXT, { maxSize: 40 });
  const lm = RecurrentLM.create(vocab, { cell: 'gru', embedDim: 8, hiddenSize: 16, seed: 2 });
  const ids = vocab.encode(TEXT),
    { train, val } = splitIds(ids, 0.2);
  const before = lm.evaluate(val, { B: 2, T: 8 }).perplexity;
  const r = trainLM(lm, train, { batch: 4, bptt: 8, steps: 60, optimizer: { type: 'adam', lr: 0.02 }, val });
  assert.ok(r.val!.perplexity < before / 3, `perplexity ${before} -> ${r.val!.perplexity}`);
  const s = lm.sample({ length: 12, seed: 1, prime: 'to be' });
  assert.ok(s.startsWith('to be '));
});

// fixtures/lm: the first 12,000 characters of tinyshakespeare and, for each character the file
// has that they lack, the first line that has it: together all 65 of the corpus's characters.
test('tinyshakespeare (its first 12k characters and its rarest lines): 65 characters, encoded losslessly', () => {
  const text =
    readFileSync(join(ROOT, 'fixtures', 'lm', 'shakespeare_12k.txt'), 'utf8') +
    readFileSync(join(ROOT, 'fixtures', 'lm', 'shakespeare_rare_lines.txt'), 'utf8');
  const v = CharVocab.fromText(text);
  assert.equal(v.size, 65);
  assert.equal(v.decode(v.encode(text)), text);
});

test('a TBPTT training step allocates no new buffers once warm (steady heap)', () => {
  const lm = RecurrentLM.create(CharVocab.fromText(TEXT), { cell: 'lstm', embedDim: 16, hiddenSize: 64, seed: 1 });
  const r = trainLM(lm, lm.vocab.encode(TEXT), { batch: 4, bptt: 16, steps: 3 }); // warm: workspaces sized
  const before = process.memoryUsage().arrayBuffers;
  trainLM(lm, lm.vocab.encode(TEXT), { batch: 4, bptt: 16, steps: 3 + 12, opt: r.optimizer, startStep: 3 });
  // One LSTM workspace buffer alone is T*B*4H*4 = 65 KB; reallocating per step would show up many times over.
  const grown = process.memoryUsage().arrayBuffers - before;
  assert.ok(grown < 64 * 1024, `ArrayBuffers grew by ${grown} bytes over 12 steps`);
});
