/**
 * PNG <-> image tensors for the preprocessing CLI: our own reader and writer over node:zlib.
 *
 * Reading gives one image `[1, H, W, C]` with values in [0, 1]: C = 3 (RGB, alpha dropped) or
 * C = 1 (BT.601 luma 0.299 R + 0.587 G + 0.114 B). Writing maps arbitrary values to bytes with
 * a display scaling, since LCN and ZCA outputs are centred on 0 with no fixed range:
 *   clip    v -> clamp(v, 0, 1)                         (data already in [0, 1])
 *   minmax  v -> (v - min) / (max - min)                per image, over all channels
 *   std     v -> clamp(0.5 + (v - mean) / (6 std), 0, 1) per image: +-3 std fills the range
 * and a layout: `rgb` writes 3 channels as colour, `channels` writes each channel as a grey
 * panel side by side (how to look at Y, U, V or any C), 1 channel is always grey.
 *
 * Why not pngjs (used before): it allocates from the header's width and height with no limit
 * (a 74-byte file declaring 30000 x 30000 took 10 GB), inflates into Buffer.allocUnsafe so a
 * file with too little image data returned bytes left in memory by earlier work (a different
 * image on every decode), and its error texts ("read requests waitng") reached users. The
 * format is small enough to read ourselves, so the reader here
 *   - checks the signature, every chunk's length and CRC-32, the chunk order, and the header
 *     (bit depth and colour type combinations of the PNG spec) before anything is allocated;
 *   - bounds width x height by `maxPixels` (default 4096 x 4096, as Pillow's MAX_IMAGE_PIXELS
 *     guards against decompression bombs), so the largest allocation is known from the header:
 *     the inflated scanlines (at most 8 bytes per pixel) and the float32 image (C x 4 bytes);
 *   - inflates with node:zlib, capped at exactly the size the header implies, and requires
 *     that size exactly (too little or too much image data is an error, never padding);
 *   - undoes the scanline filters and converts in its own code into zero-filled arrays, so the
 *     result is a function of the file's bytes alone;
 *   - reports every problem as a PngError in its own words.
 * All colour types (grey, RGB, palette, grey + alpha, RGBA), bit depths 1 to 16 and Adam7
 * interlacing are read; 16-bit samples keep their full precision (v / 65535).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { deflateSync, inflateSync } from 'node:zlib';
import { crc32 } from '../crc32.js';
import type { Tensor } from '../tensor.js';
import { asFileError, checkFile } from './files.js';

export type DisplayScale = 'clip' | 'minmax' | 'std';
export type DisplayLayout = 'rgb' | 'channels';

/** A file that is not a PNG we can read (exit code 3 in the CLI). */
export class PngError extends Error {
  override name = 'PngError';
}

/** Default bound on width x height: 4096 x 4096 (16.8 megapixels). */
export const DEFAULT_MAX_PIXELS = 4096 * 4096;

export interface DecodeOptions {
  /** 3: RGB (default), 1: grey (BT.601 luma). */
  channels?: 1 | 3;
  /** Largest width x height accepted (default DEFAULT_MAX_PIXELS). */
  maxPixels?: number;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
/** Samples per pixel of each colour type, and the bit depths the spec allows for it. */
const COLOUR: Record<number, { samples: number; depths: number[]; name: string }> = {
  0: { samples: 1, depths: [1, 2, 4, 8, 16], name: 'grey' },
  2: { samples: 3, depths: [8, 16], name: 'RGB' },
  3: { samples: 1, depths: [1, 2, 4, 8], name: 'palette' },
  4: { samples: 2, depths: [8, 16], name: 'grey + alpha' },
  6: { samples: 4, depths: [8, 16], name: 'RGBA' },
};
// Adam7: the seven passes' starting column/row and steps.
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

interface Header {
  width: number;
  height: number;
  depth: number;
  colour: number;
  interlaced: boolean;
}

const u32 = (b: Uint8Array, o: number) => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

/** The passes of an image as [x0, y0, dx, dy, width, height] (one pass when not interlaced). */
function passes(h: Header): number[][] {
  if (!h.interlaced) return [[0, 0, 1, 1, h.width, h.height]];
  return ADAM7.map(([x0, y0, dx, dy]) => [
    x0,
    y0,
    dx,
    dy,
    Math.ceil(Math.max(0, h.width - x0) / dx),
    Math.ceil(Math.max(0, h.height - y0) / dy),
  ]);
}

/** Bytes of the filtered scanlines the header implies (a filter byte + the packed samples per row). */
function rawSize(h: Header): number {
  const bits = COLOUR[h.colour]!.samples * h.depth;
  let n = 0;
  for (const [, , , , w, rows] of passes(h)) if (w! > 0 && rows! > 0) n += rows! * (1 + Math.ceil((w! * bits) / 8));
  return n;
}

/** Undoes the five scanline filters in place over `rows` lines of `stride` bytes starting at `off`. */
function unfilter(raw: Uint8Array, off: number, rows: number, stride: number, bpp: number): void {
  for (let y = 0; y < rows; y++) {
    const line = off + y * (stride + 1),
      f = raw[line]!,
      cur = line + 1,
      prev = y > 0 ? cur - (stride + 1) : -1;
    if (f > 4) throw new PngError(`scanline ${y + 1} has an unknown filter type ${f} (0 to 4 exist)`);
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? raw[cur + i - bpp]! : 0,
        b = prev >= 0 ? raw[prev + i]! : 0,
        c = prev >= 0 && i >= bpp ? raw[prev + i - bpp]! : 0;
      let p = 0;
      if (f === 1) p = a;
      else if (f === 2) p = b;
      else if (f === 3) p = (a + b) >>> 1;
      else if (f === 4) {
        const q = a + b - c,
          pa = Math.abs(q - a),
          pb = Math.abs(q - b),
          pc = Math.abs(q - c);
        p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      raw[cur + i] = (raw[cur + i]! + p) & 255;
    }
  }
}

/** Decodes PNG bytes to [1, H, W, channels] in [0, 1]; throws PngError on anything wrong. */
export function decodePng(bytes: Uint8Array, opts: DecodeOptions | 1 | 3 = {}): Tensor {
  const o = typeof opts === 'number' ? { channels: opts } : opts;
  const C = o.channels ?? 3,
    maxPixels = o.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (C !== 1 && C !== 3) throw new RangeError(`decodePng: channels must be 1 or 3, got ${C}`);
  if (!(Number.isSafeInteger(maxPixels) && maxPixels >= 1))
    throw new RangeError(`decodePng: maxPixels must be a positive integer, got ${maxPixels}`);
  if (bytes.length < 8 || SIGNATURE.some((v, i) => bytes[i] !== v))
    throw new PngError('not a PNG file (the first 8 bytes are not the PNG signature)');
  let h: Header | null = null;
  let palette: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  let idatDone = false,
    ended = false;
  for (let p = 8; !ended; ) {
    if (p + 12 > bytes.length) throw new PngError(`the file ends inside a chunk header at byte ${p} (truncated)`);
    const len = u32(bytes, p),
      type = String.fromCharCode(bytes[p + 4]!, bytes[p + 5]!, bytes[p + 6]!, bytes[p + 7]!);
    if (!/^[A-Za-z]{4}$/.test(type)) throw new PngError(`bad chunk type at byte ${p + 4} (not four letters)`);
    if (len > 0x7fffffff || p + 12 + len > bytes.length)
      throw new PngError(`chunk ${type} at byte ${p} claims ${len} bytes, past the end of the file (truncated)`);
    const data = bytes.subarray(p + 8, p + 8 + len);
    if (crc32(bytes, 0, p + 4, p + 8 + len) !== u32(bytes, p + 8 + len))
      throw new PngError(`chunk ${type} at byte ${p} fails its CRC check (the file is corrupt)`);
    p += 12 + len;
    if (h === null && type !== 'IHDR') throw new PngError(`the first chunk is ${type}, not IHDR`);
    if (type !== 'IDAT' && idat.length > 0) idatDone = true;
    switch (type) {
      case 'IHDR': {
        if (h !== null) throw new PngError('two IHDR chunks');
        if (len !== 13) throw new PngError(`IHDR has ${len} bytes, not 13`);
        const width = u32(data, 0),
          height = u32(data, 4),
          depth = data[8]!,
          colour = data[9]!;
        if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff)
          throw new PngError(`bad image size ${width} x ${height}`);
        const ct = COLOUR[colour];
        if (!ct) throw new PngError(`unknown colour type ${colour} (0, 2, 3, 4, 6 exist)`);
        if (!ct.depths.includes(depth))
          throw new PngError(`bit depth ${depth} is not allowed for ${ct.name} images (${ct.depths.join(', ')})`);
        if (data[10] !== 0 || data[11] !== 0) throw new PngError('unknown compression or filter method');
        if (data[12]! > 1) throw new PngError(`unknown interlace method ${data[12]}`);
        // The bound, before anything is allocated from these numbers.
        if (width * height > maxPixels)
          throw new PngError(
            `image is ${width} x ${height} = ${width * height} pixels, over the limit of ${maxPixels} ` +
              '(raise it with --max-pixels, or the maxPixels option, if the image is meant to be this large)',
          );
        h = { width, height, depth, colour, interlaced: data[12] === 1 };
        break;
      }
      case 'PLTE':
        if (len === 0 || len % 3 !== 0 || len > 768)
          throw new PngError(`PLTE has ${len} bytes (1 to 256 entries of 3)`);
        if (idat.length > 0) throw new PngError('PLTE after the image data');
        palette = data;
        break;
      case 'IDAT':
        if (idatDone) throw new PngError('the IDAT chunks are not consecutive');
        idat.push(data);
        break;
      case 'IEND':
        ended = true;
        break;
      default:
        // Upper-case first letter: a critical chunk this reader does not know cannot be skipped.
        if (type.charCodeAt(0) < 97) throw new PngError(`unknown critical chunk ${type}`);
    }
  }
  if (h === null) throw new PngError('no IHDR chunk');
  if (idat.length === 0) throw new PngError('no image data (no IDAT chunk)');
  if (h.colour === 3 && palette === null) throw new PngError('a palette image without a PLTE chunk');
  const expected = rawSize(h);
  let compressed = idat[0]!;
  if (idat.length > 1) {
    compressed = new Uint8Array(idat.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of idat) {
      compressed.set(c, o);
      o += c.length;
    }
  }
  let inflated: Uint8Array;
  try {
    const z = inflateSync(compressed, { maxOutputLength: Math.max(1, expected) });
    inflated = new Uint8Array(z.buffer, z.byteOffset, z.byteLength);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE')
      throw new PngError(
        `the image data inflates to more than the ${expected} bytes a ${h.width} x ${h.height} image needs`,
      );
    throw new PngError(`the image data is not valid zlib data (${code ?? 'error'})`);
  }
  if (inflated.length !== expected)
    throw new PngError(
      `the image data holds ${inflated.length} bytes, but a ${h.width} x ${h.height} image needs ${expected} ` +
        `(truncated)`,
    );
  // `inflated` is exactly `expected` bytes, every one written by zlib (Node collects only what
  // it wrote): nothing else from its buffers reaches the image.
  return toImage(h, inflated, palette, C);
}

/** Sample `s` of pixel `k` on the scanline starting at `line`, as an integer of `depth` bits. */
function sampleAt(raw: Uint8Array, line: number, k: number, s: number, samples: number, depth: number): number {
  if (depth === 8) return raw[line + k * samples + s]!;
  if (depth === 16) {
    const at = line + 2 * (k * samples + s);
    return (raw[at]! << 8) | raw[at + 1]!;
  }
  const bit = (k * samples + s) * depth; // depths 1, 2, 4: one sample per pixel, packed from the high bit
  return (raw[line + (bit >> 3)]! >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
}

/** Unfilters every pass of `raw` and converts the samples to [1, H, W, C] floats in [0, 1]. */
function toImage(h: Header, raw: Uint8Array, palette: Uint8Array | null, C: 1 | 3): Tensor {
  const { width: W, height: H, depth, colour } = h;
  const samples = COLOUR[colour]!.samples,
    bits = samples * depth,
    bpp = Math.max(1, bits >> 3);
  const scale = 1 / (2 ** depth - 1),
    grey = colour === 0 || colour === 4;
  const out = new Float32Array(H * W * C);
  let off = 0,
    r = 0,
    g = 0,
    b = 0;
  for (const [x0, y0, dx, dy, pw, ph] of passes(h)) {
    if (pw === 0 || ph === 0) continue;
    const stride = Math.ceil((pw! * bits) / 8);
    unfilter(raw, off, ph!, stride, bpp);
    for (let row = 0; row < ph!; row++) {
      const line = off + row * (stride + 1) + 1,
        y = y0! + row * dy!;
      for (let k = 0; k < pw!; k++) {
        const x = x0! + k * dx!;
        if (colour === 3) {
          const idx = sampleAt(raw, line, k, 0, 1, depth);
          if (3 * idx + 2 >= palette!.length)
            throw new PngError(`pixel (${x}, ${y}) uses palette entry ${idx}; the palette has ${palette!.length / 3}`);
          r = palette![3 * idx]! / 255;
          g = palette![3 * idx + 1]! / 255;
          b = palette![3 * idx + 2]! / 255;
        } else if (grey) r = g = b = sampleAt(raw, line, k, 0, samples, depth) * scale;
        else {
          r = sampleAt(raw, line, k, 0, samples, depth) * scale;
          g = sampleAt(raw, line, k, 1, samples, depth) * scale;
          b = sampleAt(raw, line, k, 2, samples, depth) * scale;
        }
        const o = (y * W + x) * C;
        if (C === 1) out[o] = 0.299 * r + 0.587 * g + 0.114 * b;
        else {
          out[o] = r;
          out[o + 1] = g;
          out[o + 2] = b;
        }
      }
    }
    off += ph! * (stride + 1);
  }
  return { shape: [1, H, W, C], data: out };
}

/** Reads and decodes the PNG at `path` (a FileError for a missing file, a PngError for a bad one). */
export function readPng(path: string, opts: DecodeOptions | 1 | 3 = {}): Tensor {
  checkFile(path);
  let b: Buffer;
  try {
    b = readFileSync(path);
  } catch (e) {
    asFileError(e, path);
  }
  return decodePng(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), opts);
}

/** The display mapping v -> [0, 1] of one image's values (see the file comment). */
export function displayMap(v: ArrayLike<number>, scale: DisplayScale): (x: number) => number {
  if (scale === 'clip') return (x) => Math.min(1, Math.max(0, x));
  let lo = Infinity,
    hi = -Infinity,
    s = 0,
    s2 = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    lo = Math.min(lo, x);
    hi = Math.max(hi, x);
    s += x;
  }
  const mean = s / v.length;
  for (let i = 0; i < v.length; i++) s2 += (v[i]! - mean) ** 2;
  const std = Math.sqrt(s2 / v.length);
  if (scale === 'minmax') return hi > lo ? (x) => (x - lo) / (hi - lo) : () => 0.5;
  return std > 0 ? (x) => Math.min(1, Math.max(0, 0.5 + (x - mean) / (6 * std))) : () => 0.5;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  v.setUint32(8 + data.length, crc32(out, 0, 4, 8 + data.length));
  return out;
}

/** PNG bytes of an 8-bit RGB image given as `rgb` [H, W, 3] bytes (filter 0 on every line). */
export function encodeRgb8(width: number, height: number, rgb: Uint8Array): Uint8Array {
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const raw = new Uint8Array(height * (1 + 3 * width));
  for (let y = 0; y < height; y++) raw.set(rgb.subarray(3 * width * y, 3 * width * (y + 1)), y * (1 + 3 * width) + 1);
  const parts = [
    new Uint8Array(SIGNATURE),
    chunk('IHDR', ihdr),
    chunk('IDAT', new Uint8Array(deflateSync(raw))),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Encodes one image [1, H, W, C] (or [H, W, C]) as PNG bytes. */
export function encodePng(img: Tensor, opts: { scale?: DisplayScale; layout?: DisplayLayout } = {}): Uint8Array {
  const s = img.shape.length === 4 ? img.shape.slice(1) : img.shape;
  const [H, W, C] = s as [number, number, number];
  if (s.length !== 3 || (img.shape.length === 4 && img.shape[0] !== 1))
    throw new RangeError(`encodePng: expected one image [1, H, W, C], got [${img.shape}]`);
  const layout = C === 1 ? 'channels' : (opts.layout ?? (C === 3 ? 'rgb' : 'channels'));
  if (layout === 'rgb' && C !== 3) throw new RangeError(`encodePng: layout 'rgb' needs 3 channels, got ${C}`);
  const map = displayMap(img.data, opts.scale ?? 'clip');
  const byte = (x: number) => Math.round(255 * map(x));
  const panels = layout === 'rgb' ? 1 : C,
    gap = panels > 1 ? 2 : 0; // a 2-pixel black gap between panels
  const outW = panels * W + (panels - 1) * gap;
  const rgb = new Uint8Array(3 * outW * H);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * C;
      for (let p = 0; p < panels; p++) {
        const o = 3 * (y * outW + p * (W + gap) + x);
        if (layout === 'rgb') {
          rgb[o] = byte(img.data[i]!);
          rgb[o + 1] = byte(img.data[i + 1]!);
          rgb[o + 2] = byte(img.data[i + 2]!);
        } else rgb[o] = rgb[o + 1] = rgb[o + 2] = byte(img.data[i + p]!);
      }
    }
  return encodeRgb8(outW, H, rgb);
}

export function writePng(path: string, img: Tensor, opts: { scale?: DisplayScale; layout?: DisplayLayout } = {}): void {
  const bytes = encodePng(img, opts);
  try {
    writeFileSync(path, bytes);
  } catch (e) {
    asFileError(e, path, true);
  }
}
