/**
 * CRC-32 (IEEE 802.3, the polynomial of zlib, PNG and gzip), by a table of 8 x 256 entries
 * ("slicing by 8": eight bytes per step). It detects every error of up to 32 adjacent bits,
 * so every bit flip and every short burst in a file. Used by the checkpoint checksum
 * (safetensors.ts) and the PNG reader (its chunks carry one each).
 */
const TABLE = (() => {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++)
    for (let k = 1; k < 8; k++) t[k * 256 + n] = (t[(k - 1) * 256 + n]! >>> 8) ^ t[t[(k - 1) * 256 + n]! & 255]!;
  return t;
})();

/** Continues a CRC-32 over `b[start, end)` from `crc` (0 to begin); returns it as an unsigned 32-bit number. */
export function crc32(b: Uint8Array, crc = 0, start = 0, end = b.length): number {
  const t = TABLE;
  let c = ~crc,
    i = start;
  for (; i + 8 <= end; i += 8) {
    const lo = c ^ (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24));
    c =
      t[7 * 256 + (lo & 255)]! ^
      t[6 * 256 + ((lo >>> 8) & 255)]! ^
      t[5 * 256 + ((lo >>> 16) & 255)]! ^
      t[4 * 256 + (lo >>> 24)]! ^
      t[3 * 256 + b[i + 4]!]! ^
      t[2 * 256 + b[i + 5]!]! ^
      t[256 + b[i + 6]!]! ^
      t[b[i + 7]!]!;
  }
  for (; i < end; i++) c = t[(c ^ b[i]!) & 255]! ^ (c >>> 8);
  return ~c >>> 0;
}
