// MurmurHash3 x86_32 against the reference test vectors (SMHasher / the canonical C++ code,
// as used by scikit-learn's murmurhash3_32 and Python's mmh3), over strings and byte ranges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { murmur3, murmur3Bytes, murmur3Int, fmix32, hashPair } from 'recur-rnn/hashing';

const VECTORS: [string, number, number][] = [
  ['', 0, 0x00000000],
  ['', 1, 0x514e28b7],
  ['', 0xffffffff, 0x81f16f39],
  ['\0\0\0\0', 0, 0x2362f9de],
  ['a', 0x9747b28c, 0x7fa09ea6],
  ['abc', 0x9747b28c, 0xc84a62dd],
  ['abcd', 0x9747b28c, 0xf0478627],
  ['aaaa', 0x9747b28c, 0x5a97808a],
  ['abc', 0, 0xb3dd93fa],
  ['Hello, world!', 0x9747b28c, 0x24884cba],
  ['ππππππππ', 0x9747b28c, 0xd58063c1], // UTF-8: 16 bytes
  ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
];

test('murmur3 matches the reference vectors (1-3 byte tails, blocks, seeds, UTF-8)', () => {
  for (const [s, seed, want] of VECTORS) assert.equal(murmur3(s, seed), want, `murmur3(${JSON.stringify(s)}, ${seed})`);
  assert.equal(murmur3(new Uint8Array([0xff, 0xff, 0xff, 0xff]), 0), 0x76293b50);
  assert.equal(murmur3(new Uint8Array([0x21, 0x43, 0x65, 0x87]), 0), 0xf55b516b);
});

test('murmur3Bytes hashes a byte range of a larger buffer like the bytes alone', () => {
  const enc = new TextEncoder();
  const buf = enc.encode('xx,Hello, world!,yy');
  assert.equal(murmur3Bytes(buf, 3, 16, 0x9747b28c), 0x24884cba);
  for (let len = 0; len < 9; len++) {
    const s = 'abcdefghi'.slice(0, len);
    assert.equal(murmur3Bytes(enc.encode(`..${s}..`), 2, 2 + len, 7), murmur3(s, 7));
  }
});

test('murmur3Int is murmur3 of the 4 little-endian bytes', () => {
  for (const v of [0, 1, -1, 255, 1 << 20, -123456789, 2147483647]) {
    const b = new Uint8Array(new Int32Array([v]).buffer);
    assert.equal(murmur3Int(v, 42), murmur3(b, 42), `v=${v}`);
  }
});

test('fmix32 and hashPair are unsigned, deterministic and order-sensitive', () => {
  assert.equal(fmix32(0), 0);
  assert.ok(fmix32(1) > 0 && fmix32(1) <= 0xffffffff);
  assert.equal(hashPair(1, 2), hashPair(1, 2));
  assert.notEqual(hashPair(1, 2), hashPair(2, 1));
});
