/**
 * The safetensors format (Hugging Face): 8-byte little-endian header length N, N bytes of
 * JSON header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}},
 * then the raw little-endian tensor bytes (offsets relative to the end of the header).
 *
 * Decoding treats the file as hostile: every length, offset, shape and dtype is checked
 * before anything is allocated, overlapping or out-of-range tensors are rejected, and the
 * total allocation is bounded by the file's own size. Errors are SafetensorsError.
 */
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

/** Encodes tensors (sorted by name, as the reference writer does) and string metadata. */
export function encodeSafetensors(
  tensors: Record<string, { dtype?: DTypeName; shape: number[]; data: TypedArray }>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata))
      if (typeof v !== 'string') throw new SafetensorsError(`metadata '${k}' must be a string`);
    header.__metadata__ = metadata;
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
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' '; // align the data to 8 bytes
  const hbytes = new TextEncoder().encode(json);
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
  return out;
}

/** Decodes and validates a safetensors file. */
export function decodeSafetensors(bytes: Uint8Array): {
  tensors: Record<string, SafeTensor>;
  metadata: Record<string, string>;
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
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
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
        `tensor '${name}': shape [${shape}] of ${dtype} needs ${count * SIZES[dtype]} bytes, offsets give ${end - begin}`,
      );
    entries.push({ name, dtype, shape, begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.begin < entries[i - 1]!.end)
      throw new SafetensorsError(`tensors '${entries[i - 1]!.name}' and '${entries[i]!.name}' overlap`);
  }
  const tensors: Record<string, SafeTensor> = {};
  for (const e of entries) {
    // An aligned copy; Uint8Array's slice always copies (a Node Buffer's own slice would not).
    const copy = Uint8Array.prototype.slice.call(bytes, dataStart + e.begin, dataStart + e.end);
    if (!LITTLE) swapBytes(copy, SIZES[e.dtype]);
    tensors[e.name] = { dtype: e.dtype, shape: e.shape, data: view(e.dtype, copy.buffer) };
  }
  return { tensors, metadata };
}
