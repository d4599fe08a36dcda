/**
 * A small self-describing binary container for fitted preprocessing state (no Node APIs, so a
 * pipeline fitted by the CLI loads in a browser):
 *
 *   bytes 0..3   magic 'RCPP'
 *   bytes 4..7   uint32 LE: length L of the JSON header
 *   bytes 8..    L bytes of UTF-8 JSON: { ...header, arrays: [{ name, length }] }
 *   then zero padding to a multiple of 8, then each array as float64 little-endian, in order.
 *
 * float64 because the whitening matrices are rebuilt from the eigenvectors on load, and a
 * float32 round trip would cost the inverse its exactness.
 */
const MAGIC = [0x52, 0x43, 0x50, 0x50]; // 'RCPP'

export interface Blob {
  header: Record<string, unknown>;
  arrays: Record<string, Float64Array>;
}

export function packBlob(header: Record<string, unknown>, arrays: Record<string, ArrayLike<number>>): Uint8Array {
  const names = Object.keys(arrays);
  const json = new TextEncoder().encode(
    JSON.stringify({ ...header, arrays: names.map((name) => ({ name, length: arrays[name]!.length })) }),
  );
  const start = Math.ceil((8 + json.length) / 8) * 8;
  let total = start;
  for (const k of names) total += 8 * arrays[k]!.length;
  const bytes = new Uint8Array(total),
    dv = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  dv.setUint32(4, json.length, true);
  bytes.set(json, 8);
  let o = start;
  for (const k of names) {
    const a = arrays[k]!;
    for (let i = 0; i < a.length; i++, o += 8) dv.setFloat64(o, a[i]!, true);
  }
  return bytes;
}

/** Parses `packBlob` output; every malformed input is a RangeError that says what is wrong. */
export function unpackBlob(bytes: Uint8Array, what: string): Blob {
  if (!(bytes instanceof Uint8Array) || bytes.length < 8 || MAGIC.some((m, i) => bytes[i] !== m)) {
    throw new RangeError(`${what}: not a recur preprocessing file (expected the magic bytes 'RCPP' at the start)`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const L = dv.getUint32(4, true);
  if (8 + L > bytes.length)
    throw new RangeError(`${what}: header of ${L} bytes runs past the end of a ${bytes.length}-byte file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + L))) as Record<string, unknown>;
  } catch (e) {
    throw new RangeError(`${what}: header is not valid JSON (${(e as Error).message})`);
  }
  const list = header.arrays as { name: string; length: number }[] | undefined;
  if (!Array.isArray(list)) throw new RangeError(`${what}: header lists no arrays`);
  let o = Math.ceil((8 + L) / 8) * 8;
  const arrays: Record<string, Float64Array> = {};
  for (const { name, length } of list) {
    if (!Number.isInteger(length) || length < 0 || o + 8 * length > bytes.length) {
      throw new RangeError(
        `${what}: array '${name}' of ${length} values does not fit in the ${bytes.length}-byte file (truncated?)`,
      );
    }
    const a = new Float64Array(length);
    for (let i = 0; i < length; i++, o += 8) a[i] = dv.getFloat64(o, true);
    arrays[name] = a;
  }
  delete header.arrays;
  return { header, arrays };
}
