/**
 * The safetensors format (Hugging Face): 8-byte little-endian header length N, N bytes of
 * JSON header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}},
 * then the raw little-endian tensor bytes (offsets relative to the end of the header).
 *
 * Decoding treats the file as hostile: every length, offset, shape and dtype is checked
 * before anything is allocated; the header must be one JSON object with no repeated key,
 * and the tensors must tile the data section exactly (no gap, no overlap, nothing after the
 * last), as the reference implementation requires, so a header length that is off by a few
 * bytes cannot load with every tensor shifted. The total allocation is bounded by the file's
 * own size. Errors are SafetensorsError.
 *
 * Checksum: files written here carry `__metadata__["recur_checksum"] = "crc32:<8 hex>"`, the
 * CRC-32 of the whole file with those 8 hex digits read as '0'. Decoding verifies it when
 * present (any bit flip or short burst anywhere is caught) and reports `checksum: 'absent'`
 * for files without one (older files, other writers), which load as before. The entry is
 * not returned among the metadata.
 */
import { crc32 } from './crc32.js';
import { parseStrictJSON } from './strict_json.js';

export type DTypeName = 'F64' | 'F32' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'U16' | 'U32' | 'BOOL';

type TypedArray =
  | Float64Array
  | Float32Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array
  | Uint16Array
  | Uint32Array;

export interface SafeTensor {
  dtype: DTypeName;
  shape: number[];
  data: TypedArray;
}

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

const SIZES: Record<DTypeName, number> = {
  F64: 8,
  F32: 4,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  U16: 2,
  U32: 4,
  BOOL: 1,
};
const MAX_HEADER = 100 * 1024 * 1024;
export const CHECKSUM_KEY = 'recur_checksum';
const CHECKSUM_ZERO = 'crc32:00000000';
// How the entry appears in JSON.stringify's output (the only writer of the key).
const CHECKSUM_PATTERN = `"${CHECKSUM_KEY}":"crc32:`;
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function dtypeOf(a: TypedArray): DTypeName {
  if (a instanceof Float64Array) return 'F64';
  if (a instanceof Float32Array) return 'F32';
  if (a instanceof BigInt64Array) return 'I64';
  if (a instanceof Int32Array) return 'I32';
  if (a instanceof Int16Array) return 'I16';
  if (a instanceof Int8Array) return 'I8';
  if (a instanceof Uint16Array) return 'U16';
  if (a instanceof Uint32Array) return 'U32';
  return 'U8';
}

function view(dtype: DTypeName, buf: ArrayBuffer): TypedArray {
  switch (dtype) {
    case 'F64':
      return new Float64Array(buf);
    case 'F32':
      return new Float32Array(buf);
    case 'I64':
      return new BigInt64Array(buf);
    case 'I32':
      return new Int32Array(buf);
    case 'I16':
      return new Int16Array(buf);
    case 'I8':
      return new Int8Array(buf);
    case 'U16':
      return new Uint16Array(buf);
    case 'U32':
      return new Uint32Array(buf);
    default:
      return new Uint8Array(buf);
  }
}

function swapBytes(b: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i < b.length; i += size) b.subarray(i, i + size).reverse();
}

/**
 * Encodes tensors (sorted by name, as the reference writer does) and string metadata, with
 * the checksum entry unless `opts.checksum` is false.
 */
export function encodeSafetensors(
  tensors: Record<string, { dtype?: DTypeName; shape: number[]; data: TypedArray }>,
  metadata: Record<string, string> = {},
  opts: { checksum?: boolean } = {},
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  const withSum = opts.checksum ?? true;
  if (CHECKSUM_KEY in metadata) throw new SafetensorsError(`metadata '${CHECKSUM_KEY}' is reserved for the checksum`);
  if (Object.keys(metadata).length || withSum) {
    for (const [k, v] of Object.entries(metadata))
      if (typeof v !== 'string') throw new SafetensorsError(`metadata '${k}' must be a string`);
    header.__metadata__ = withSum ? { ...metadata, [CHECKSUM_KEY]: CHECKSUM_ZERO } : metadata;
  }
  let off = 0;
  for (const n of names) {
    const t = tensors[n]!;
    const dtype = t.dtype ?? dtypeOf(t.data);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length)
      throw new SafetensorsError(`tensor '${n}': shape [${t.shape}] needs ${count} values, got ${t.data.length}`);
    const bytes = count * SIZES[dtype];
    header[n] = { dtype, shape: t.shape, data_offsets: [off, off + bytes] };
    off += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const hbytes = new Uint8Array(json.length + ((8 - (json.length % 8)) % 8)).fill(0x20); // data aligned to 8 bytes
  hbytes.set(json);
  const out = new Uint8Array(8 + hbytes.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(hbytes.length), true);
  out.set(hbytes, 8);
  let pos = 8 + hbytes.length;
  for (const n of names) {
    const t = tensors[n]!;
    const b = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    out.set(b, pos);
    if (!LITTLE) swapBytes(out.subarray(pos, pos + b.length), t.data.BYTES_PER_ELEMENT);
    pos += b.length;
  }
  if (withSum) {
    const at = checksumAt(out, 8 + hbytes.length);
    const hex = crc32(out).toString(16).padStart(8, '0');
    for (let i = 0; i < 8; i++) out[at + i] = hex.charCodeAt(i);
  }
  return out;
}

/** Byte offset in `bytes` of the 8 hex digits of the checksum entry, or a SafetensorsError. */
function checksumAt(bytes: Uint8Array, headerEnd: number): number {
  const pat = new TextEncoder().encode(CHECKSUM_PATTERN);
  let found = -1;
  outer: for (let i = 8; i + pat.length + 8 <= headerEnd; i++) {
    for (let k = 0; k < pat.length; k++) if (bytes[i + k] !== pat[k]) continue outer;
    if (found >= 0) throw new SafetensorsError('the checksum entry appears twice in the header');
    found = i + pat.length;
  }
  if (found < 0) throw new SafetensorsError(`the checksum entry is not in the form "${CHECKSUM_KEY}":"crc32:<8 hex>"`);
  return found;
}

/**
 * Decodes and validates a safetensors file. `checksum` says whether the file carried a
 * checksum (verified, or the call throws) or none.
 */
export function decodeSafetensors(bytes: Uint8Array): {
  tensors: Record<string, SafeTensor>;
  metadata: Record<string, string>;
  checksum: 'verified' | 'absent';
} {
  if (!(bytes instanceof Uint8Array)) throw new SafetensorsError('expected the file contents as a Uint8Array');
  if (bytes.length < 8) throw new SafetensorsError(`file too short (${bytes.length} bytes): no header length`);
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(bytes.length - 8))
    throw new SafetensorsError(
      `header length ${n64} runs past the end of the file (${bytes.length} bytes): truncated or corrupt`,
    );
  const n = Number(n64);
  if (n > MAX_HEADER) throw new SafetensorsError(`header length ${n} exceeds the ${MAX_HEADER}-byte limit`);
  let header: Record<string, unknown>;
  if (bytes[8] !== 0x7b) throw new SafetensorsError("header must be a JSON object starting with '{'");
  try {
    header = parseStrictJSON(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n))) as Record<
      string,
      unknown
    >;
  } catch (e) {
    throw new SafetensorsError(`header is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header))
    throw new SafetensorsError('header must be a JSON object');
  const dataStart = 8 + n,
    dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: DTypeName; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!v || typeof v !== 'object' || Array.isArray(v))
        throw new SafetensorsError('__metadata__ must be an object of strings');
      for (const [k, s] of Object.entries(v)) {
        if (typeof s !== 'string') throw new SafetensorsError(`__metadata__['${k}'] must be a string`);
        // A checksum under another key is a damaged key (else one flipped bit would turn the check off).
        if (k !== CHECKSUM_KEY && /^crc32:[0-9a-f]{8}$/.test(s))
          throw new SafetensorsError(
            `a checksum entry under the key ${JSON.stringify(k.slice(0, 40))}: the header is corrupt`,
          );
        metadata[k] = s;
      }
      continue;
    }
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!e || typeof e !== 'object') throw new SafetensorsError(`tensor '${name}': entry must be an object`);
    if (typeof e.dtype !== 'string' || !(e.dtype in SIZES))
      throw new SafetensorsError(
        `tensor '${name}': unsupported dtype ${JSON.stringify(e.dtype)} (supported: ${Object.keys(SIZES).join(', ')})`,
      );
    const dtype = e.dtype as DTypeName;
    if (!Array.isArray(e.shape) || e.shape.some((d) => !Number.isSafeInteger(d) || d < 0))
      throw new SafetensorsError(`tensor '${name}': shape must be a list of non-negative integers`);
    const shape = e.shape as number[];
    let count = 1;
    for (const d of shape) {
      count *= d;
      if (count > dataLen) break;
    }
    if (
      !Array.isArray(e.data_offsets) ||
      e.data_offsets.length !== 2 ||
      e.data_offsets.some((d) => !Number.isSafeInteger(d) || d < 0)
    ) {
      throw new SafetensorsError(`tensor '${name}': data_offsets must be [begin, end]`);
    }
    const [begin, end] = e.data_offsets as [number, number];
    if (begin > end || end > dataLen)
      throw new SafetensorsError(
        `tensor '${name}': data_offsets [${begin}, ${end}] outside the ${dataLen}-byte data section (truncated file?)`,
      );
    if (count * SIZES[dtype] !== end - begin)
      throw new SafetensorsError(
        `tensor '${name}': shape [${shape}] of ${dtype} needs ${count * SIZES[dtype]} bytes, offsets give ` +
          `${end - begin}`,
      );
    entries.push({ name, dtype, shape, begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (i > 0 && e.begin < entries[i - 1]!.end)
      throw new SafetensorsError(`tensors '${entries[i - 1]!.name}' and '${e.name}' overlap`);
    if (e.begin !== at)
      throw new SafetensorsError(
        `tensor '${e.name}' starts at byte ${e.begin} of the data section, but the tensors before it end at ` +
          `${at} (a gap: wrong header length or a corrupt offset)`,
      );
    at = e.end;
  }
  if (at !== dataLen)
    throw new SafetensorsError(
      `the tensors end at byte ${at} of the ${dataLen}-byte data section (${dataLen - at} bytes after the ` +
        `last: wrong header length or a truncated header)`,
    );
  let checksum: 'verified' | 'absent' = 'absent';
  if (CHECKSUM_KEY in metadata) {
    const want = metadata[CHECKSUM_KEY]!;
    if (!/^crc32:[0-9a-f]{8}$/.test(want))
      throw new SafetensorsError(
        `checksum entry must be "crc32:<8 lowercase hex digits>", got ${JSON.stringify(want.slice(0, 40))}`,
      );
    const at8 = checksumAt(bytes, dataStart);
    let c = crc32(bytes, 0, 0, at8);
    c = crc32(new TextEncoder().encode('00000000'), c);
    c = crc32(bytes, c, at8 + 8, bytes.length);
    const got = c.toString(16).padStart(8, '0');
    if (`crc32:${got}` !== want)
      throw new SafetensorsError(
        `checksum mismatch (file says ${want.slice(6)}, contents give ${got}): the file is corrupt (a changed ` +
          `or lost byte)`,
      );
    delete metadata[CHECKSUM_KEY];
    checksum = 'verified';
  }
  const tensors: Record<string, SafeTensor> = {};
  for (const e of entries) {
    // An aligned copy; Uint8Array's slice always copies (a Node Buffer's own slice would not).
    const copy = Uint8Array.prototype.slice.call(bytes, dataStart + e.begin, dataStart + e.end);
    if (!LITTLE) swapBytes(copy, SIZES[e.dtype]);
    tensors[e.name] = { dtype: e.dtype, shape: e.shape, data: view(e.dtype, copy.buffer) };
  }
  return { tensors, metadata, checksum };
}

/**
 * Throws a SafetensorsError naming the first float tensor among `names` that holds NaN or
 * +-Infinity (and where), e.g. for parameters and optimiser state read from a checkpoint.
 */
export function assertFiniteTensors(tensors: Record<string, SafeTensor>, names: string[] = Object.keys(tensors)): void {
  for (const name of names) {
    const t = tensors[name];
    if (!t || (t.dtype !== 'F32' && t.dtype !== 'F64')) continue;
    const d = t.data as Float32Array | Float64Array;
    let s = 0;
    for (let i = 0; i < d.length; i++) s += d[i]! * 0; // NaN exactly when some value is NaN or infinite
    if (s === 0) continue;
    for (let i = 0; i < d.length; i++)
      if (!Number.isFinite(d[i]!))
        throw new SafetensorsError(
          `tensor '${name}' holds a non-finite value (${d[i]} at index ${i}): refusing to load it`,
        );
  }
}
