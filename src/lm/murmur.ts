/**
 * MurmurHash3_x86_32 (Austin Appleby, public domain) over the UTF-8 bytes of a string, seeded.
 * The hash behind the hashing trick: a word or character n-gram goes to bucket
 * `h mod b`, and (optionally) one more bit of the hash gives its sign.
 *
 *   for each 4-byte block k (little-endian): k *= c1; k = rotl(k, 15); k *= c2;
 *                                            h ^= k; h = rotl(h, 13); h = h*5 + 0xe6546b64
 *   tail (1-3 bytes) mixed the same way without the h rotation; h ^= len; fmix32(h)
 *
 * 32-bit products use Math.imul, so results are exact on every engine. Returns an unsigned
 * 32-bit integer (as mmh3.hash(..., signed=False) and scikit-learn's murmurhash3_32(positive=True)).
 */
const C1 = 0xcc9e2d51, C2 = 0x1b873593;
const encoder = new TextEncoder();

export function murmur3Bytes(bytes: Uint8Array, seed = 0): number {
  const n = bytes.length, nblocks = n >>> 2;
  let h = seed >>> 0;
  for (let i = 0; i < nblocks; i++) {
    const o = i << 2;
    let k = bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24);
    k = Math.imul(k, C1); k = (k << 15) | (k >>> 17); k = Math.imul(k, C2);
    h ^= k; h = (h << 13) | (h >>> 19); h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const t = nblocks << 2;
  const rem = n & 3;
  if (rem > 0) {
    let k = 0;
    if (rem === 3) k ^= bytes[t + 2]! << 16;
    if (rem >= 2) k ^= bytes[t + 1]! << 8;
    k ^= bytes[t]!;
    k = Math.imul(k, C1); k = (k << 15) | (k >>> 17); k = Math.imul(k, C2); h ^= k;
  }
  h ^= n;
  // fmix32: every input bit affects every output bit.
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** MurmurHash3_x86_32 of the UTF-8 encoding of `s`. */
export function murmur3(s: string, seed = 0): number {
  return murmur3Bytes(encoder.encode(s), seed);
}
