// Character and word vocabularies: UTF-8 code points, JSON round trip, unknown tokens, token streams.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CharVocab, WordVocab, vocabFromJSON, TokenStreams, splitIds } from 'recur-rnn/lm';

test('CharVocab: code points (not UTF-16 units), sorted, encode/decode and JSON round trip', () => {
  const text = 'héllo wörld 🙂!\n';
  const v = CharVocab.fromText(text);
  assert.equal(v.size, new Set(Array.from(text)).size);
  assert.ok(v.tokens.includes('🙂'));
  assert.deepEqual([...v.tokens], [...v.tokens].sort());
  const ids = v.encode(text);
  assert.equal(ids.length, Array.from(text).length);
  assert.equal(v.decode(ids), text);
  const back = vocabFromJSON(JSON.parse(JSON.stringify(v.toJSON())));
  assert.deepEqual(back.tokens, v.tokens);
  assert.equal(back.decode(ids), text);
});

test('CharVocab: unknown characters are a clear error, or skipped on request', () => {
  const v = CharVocab.fromText('abc');
  assert.throws(
    () => v.encode('abz'),
    (e: Error) =>
      e instanceof RangeError && /"z" \(U\+007A\) at position 2 is not in the model's vocabulary of 3/.test(e.message),
  );
  assert.deepEqual([...v.encode('azb', { onUnknown: 'skip' })], [0, 1]);
  assert.throws(() => v.decode([3]), /id 3 at position 0 is out of range \[0, 3\)/);
  assert.throws(() => CharVocab.fromText(''), /empty/);
  assert.throws(() => vocabFromJSON({ type: 'bytes', tokens: ['a'] }), /unknown type 'bytes'/);
  assert.throws(() => vocabFromJSON({ type: 'char', tokens: ['a', 'a'] }), /duplicate token "a"/);
});

test('WordVocab: frequency order, <unk>, lowercase, newlines kept', () => {
  const v = WordVocab.fromText('The cat sat.\nThe cat ran, the end.', { maxSize: 5, lowercase: true });
  assert.deepEqual([...v.tokens], ['<unk>', 'the', 'cat', '.', 'sat']);
  const ids = v.encode('the dog sat.');
  assert.deepEqual([...ids], [1, 0, 4, 3]);
  assert.equal(v.decode(ids), 'the <unk> sat .');
  const back = vocabFromJSON(v.toJSON());
  assert.equal((back as WordVocab).lowercase, true);
  assert.deepEqual([...back.encode('THE CAT')], [1, 2]);
  const nl = WordVocab.fromText('a b\nc');
  assert.equal(nl.decode(nl.encode('a b\nc')), 'a b\nc');
});

test('TokenStreams: B contiguous streams, time-major windows with next-token targets; split keeps the tail', () => {
  const ids = Int32Array.from({ length: 21 }, (_, i) => i);
  const s = new TokenStreams(ids, 2); // streams 0..9 and 10..19; 20 dropped
  assert.equal(s.L, 10);
  const w = s.window(0, 3);
  assert.deepEqual(Array.from(w.ids!), [0, 10, 1, 11, 2, 12]);
  assert.deepEqual(Array.from(w.y), [1, 11, 2, 12, 3, 13]);
  assert.deepEqual(Array.from(s.window(7, 9).y), [8, 18, 9, 19]);
  assert.throws(() => s.window(8, 10), /need 0 <= a < e <= 9/);
  assert.throws(() => new TokenStreams(ids, 11), /too few/);
  const { train, val } = splitIds(ids, 0.1);
  assert.deepEqual([train.length, val.length, val[0]], [19, 2, 19]);
});
