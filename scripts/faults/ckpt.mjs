// Helpers for the checkpoint reproductions: read and rewrite the JSON header of a safetensors
// file by hand (so that a test can say exactly which bytes it changed).
import { readFileSync, writeFileSync } from 'node:fs';

export function split(bytes) {
  const n = Number(Buffer.from(bytes).readBigUInt64LE(0));
  return {
    header: JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8')),
    headerText: Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8'),
    data: bytes.subarray(8 + n),
  };
}

/** Joins a header (object or raw JSON text) and data bytes; `lengthDelta` misstates the header length. */
export function join(header, data, lengthDelta = 0) {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const h = Buffer.from(text, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length + lengthDelta));
  return Buffer.concat([len, h, Buffer.from(data)]);
}

/**
 * A CRC-32 checksum entry (`recur_checksum`, added by checkpoints written since issue 13) made
 * right again after an edit, as a deliberate forger would: then only the other checks stand
 * between the edit and the loader. Files without the entry are left without one.
 */
export function rechecksum(bytes) {
  const b = Buffer.from(bytes);
  const text = b.toString('latin1');
  const pat = '"recur_checksum":"crc32:';
  const at = text.indexOf(pat);
  if (at < 0) return b;
  const digits = at + pat.length;
  b.write('00000000', digits, 'latin1');
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let r = 0xffffffff;
  for (const x of b) r = table[(r ^ x) & 255] ^ (r >>> 8);
  b.write(((r ^ 0xffffffff) >>> 0).toString(16).padStart(8, '0'), digits, 'latin1');
  return b;
}

/** Rewrites the `recur` metadata JSON of a checkpoint file with `edit(meta)` (checksum made right); writes `out`. */
export function editMeta(src, out, edit) {
  const { header, data } = split(readFileSync(src));
  const meta = JSON.parse(header.__metadata__.recur);
  edit(meta, header);
  header.__metadata__.recur = JSON.stringify(meta);
  writeFileSync(out, rechecksum(join(header, data)));
}
