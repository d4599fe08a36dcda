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

/** Rewrites the `recur` metadata JSON of a checkpoint file with `edit(meta)`; writes `out`. */
export function editMeta(src, out, edit) {
  const { header, data } = split(readFileSync(src));
  const meta = JSON.parse(header.__metadata__.recur);
  edit(meta, header);
  header.__metadata__.recur = JSON.stringify(meta);
  writeFileSync(out, join(header, data));
}
