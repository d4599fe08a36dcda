// The feature hasher: namespaces, missing values, numbers (binned / value-weighted),
// quadratic interactions, sign hashing, bias, and the errors for bad labels and numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FeatureHasher, binOf, murmur3, murmur3Int, hashPair } from 'recur-rnn/hashing';

const columns = ['y', 'n', 'a', 'b'];

function feats(h: FeatureHasher, vals: (string | number | null)[], needLabel = false) {
  const r = h.hashValues(vals, undefined, needLabel);
  return { idx: Array.from(r.idx.subarray(0, r.n)), val: Array.from(r.val.subarray(0, r.n)), label: r.label };
}

test('categorical tokens hash into namespace-seeded buckets; the bias comes last', () => {
  const h = new FeatureHasher({ columns, label: 'y', bits: 10 });
  const f = feats(h, ['1', 'x', 'red', 'blue'], true);
  const mask = 1023;
  assert.equal(f.label, 1);
  assert.deepEqual(f.idx, [
    murmur3('x', murmur3('n', 0)) & mask,
    murmur3('red', murmur3('a', 0)) & mask,
    murmur3('blue', murmur3('b', 0)) & mask,
    murmur3('^bias', 0) & mask,
  ]);
  assert.deepEqual(f.val, [1, 1, 1, 1]);
  // The same value in another column is another feature.
  const g = feats(h, ['0', 'x', 'x', 'x']);
  assert.equal(new Set(g.idx.slice(0, 3)).size, 3);
  assert.equal(h.numFeatures, 4);
});

test('empty fields are their own token per column, or skipped', () => {
  const tok = new FeatureHasher({ columns, label: 'y', bits: 16 });
  const f = feats(tok, ['0', '', 'red', null]);
  assert.equal(f.idx.length, 4);
  assert.equal(f.idx[0], murmur3('', murmur3('n', 0)) & 0xffff);
  const skip = new FeatureHasher({ columns, label: 'y', bits: 16, missing: 'skip' });
  assert.equal(feats(skip, ['0', '', 'red', null]).idx.length, 2); // 'red' + bias
});

test('numbers: log bins (exact for small counts) or value-weighted', () => {
  assert.deepEqual([-5, -2, -1, 0, 1, 2, 2.5, 3, 10, 1000].map(binOf), [-5, -2, -1, 0, 1, 2, 3, 4, 8, 50]);
  const bin = new FeatureHasher({ columns, label: 'y', numeric: ['n'], bits: 12 });
  assert.equal(feats(bin, ['0', '10', '', ''], false).idx[0], murmur3Int(binOf(10), murmur3('n', 0)) & 4095);
  // 10 and 11 share the bin 3 + floor(ln(x)^2) = 3 + 5 = 8; 1 and 10 do not.
  assert.equal(feats(bin, ['0', '11', '', '']).idx[0], feats(bin, ['0', '10', '', '']).idx[0]);
  assert.notEqual(feats(bin, ['0', '1', '', '']).idx[0], feats(bin, ['0', '10', '', '']).idx[0]);
  const val = new FeatureHasher({ columns, label: 'y', numeric: ['n'], numericAs: 'value', bits: 12 });
  const f = feats(val, ['0', '-2.5e1', '', '']);
  assert.equal(f.idx[0], murmur3('n', 0) & 4095);
  assert.equal(f.val[0], -25);
  const lg = new FeatureHasher({ columns, label: 'y', numeric: ['n'], numericAs: 'log', bits: 12 });
  assert.equal(feats(lg, ['0', '-2.5e1', '', '']).val[0], -Math.log(26));
  assert.equal(feats(lg, ['0', '0', '', '']).val[0], 0);
});

test('quadratic interactions hash the pair of the two tokens, valued by their product', () => {
  const h = new FeatureHasher({
    columns,
    label: 'y',
    numeric: ['n'],
    numericAs: 'value',
    quadratic: [
      ['a', 'b'],
      ['n', 'a'],
    ],
    bits: 18,
  });
  const f = feats(h, ['1', '3', 'red', 'blue']);
  const ha = murmur3('red', murmur3('a', 0)) | 0,
    hb = murmur3('blue', murmur3('b', 0)) | 0,
    hn = murmur3('n', 0) | 0;
  assert.equal(f.idx.length, 3 + 2 + 1);
  assert.equal(f.idx[3], (hashPair(ha, hb) | 0) & 0x3ffff);
  assert.equal(f.idx[4], (hashPair(hn, ha) | 0) & 0x3ffff);
  assert.equal(f.val[4], 3);
  assert.equal(h.numFeatures, 6);
  // A pair needs both fields: with 'b' empty, only the (n, a) pair is formed.
  const g = feats(h, ['1', '3', 'red', '']);
  assert.equal(g.idx.length, 3 + 1 + 1);
  assert.equal(g.idx[3], (hashPair(hn, ha) | 0) & 0x3ffff);
});

test('sign hashing flips values by the top hash bit; ignore and no-bias drop features', () => {
  const h = new FeatureHasher({ columns, label: 'y', bits: 8, signed: true, ignore: ['b'], bias: false });
  const tokens = Array.from({ length: 64 }, (_, i) => `v${i}`);
  const signs = tokens.map((t) => feats(h, ['0', t, t, 'zzz']).val[0]);
  assert.ok(signs.includes(1) && signs.includes(-1));
  tokens.forEach((t, i) => assert.equal(signs[i], (murmur3(t, murmur3('n', 0)) | 0) < 0 ? -1 : 1));
  assert.equal(feats(h, ['0', 'x', 'y', 'z']).idx.length, 2);
});

test('bad labels and numbers are reported with the column; missing label only when required', () => {
  const h = new FeatureHasher({ columns, label: 'y', numeric: ['n'], bits: 8 });
  assert.throws(() => h.hashValues(['yes', '1', 'a', 'b'], undefined, true), /bad label 'yes' in column 'y'/);
  assert.throws(() => h.hashValues(['1', '1x', 'a', 'b'], undefined, true), /bad number '1x' in column 'n'/);
  assert.throws(() => h.hashValues(['', '1', 'a', 'b'], undefined, true), /missing label in column 'y'/);
  assert.equal(h.hashValues(['', '1', 'a', 'b']).label, -1);
  assert.equal(h.hashValues(['-1', '1', 'a', 'b'], undefined, true).label, 0);
  assert.equal(h.hashRecord({ y: '+1', n: 0x10, a: 'q' }, undefined, true).label, 1);
});

test('options are checked with messages naming what was expected', () => {
  assert.throws(() => new FeatureHasher({ columns, bits: 31 }), /bits must be an integer in 1\.\.30, got 31/);
  assert.throws(() => new FeatureHasher({ columns, label: 'z' }), /label column 'z' is not among the columns/);
  assert.throws(() => new FeatureHasher({ columns: ['a', 'a'] }), /column 'a' appears twice/);
  assert.throws(
    () => new FeatureHasher({ columns, label: 'y', quadratic: [['y', 'a']] }),
    /quadratic column 'y' is the label/,
  );
  assert.throws(() => new FeatureHasher({ columns }).hashValues(['1']), /expected 4 values/);
});
