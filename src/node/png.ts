/**
 * PNG <-> image tensors for the preprocessing CLI, via `pngjs` (pure JavaScript).
 *
 * Reading gives one image `[1, H, W, C]` with values in [0, 1]: C = 3 (RGB, alpha dropped) or
 * C = 1 (BT.601 luma 0.299 R + 0.587 G + 0.114 B). Writing maps arbitrary values to bytes with
 * a display scaling, since LCN and ZCA outputs are centred on 0 with no fixed range:
 *   clip    v -> clamp(v, 0, 1)                         (data already in [0, 1])
 *   minmax  v -> (v - min) / (max - min)                per image, over all channels
 *   std     v -> clamp(0.5 + (v - mean) / (6 std), 0, 1) per image: +-3 std fills the range
 * and a layout: `rgb` writes 3 channels as colour, `channels` writes each channel as a grey
 * panel side by side (how to look at Y, U, V or any C), 1 channel is always grey.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import type { Tensor } from '../tensor.js';

export type DisplayScale = 'clip' | 'minmax' | 'std';
export type DisplayLayout = 'rgb' | 'channels';

/** Decodes PNG bytes to [1, H, W, channels] in [0, 1]; throws Error with pngjs's reason on bad bytes. */
export function decodePng(bytes: Uint8Array, channels: 1 | 3 = 3): Tensor {
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const { width: W, height: H, data } = png; // RGBA, 8 bits per channel
  const out = new Float32Array(H * W * channels);
  for (let j = 0; j < H * W; j++) {
    const r = data[4 * j]! / 255,
      g = data[4 * j + 1]! / 255,
      b = data[4 * j + 2]! / 255;
    if (channels === 1) out[j] = 0.299 * r + 0.587 * g + 0.114 * b;
    else {
      out[3 * j] = r;
      out[3 * j + 1] = g;
      out[3 * j + 2] = b;
    }
  }
  return { shape: [1, H, W, channels], data: out };
}

export function readPng(path: string, channels: 1 | 3 = 3): Tensor {
  const b = readFileSync(path);
  return decodePng(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), channels);
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
  const png = new PNG({ width: outW, height: H });
  png.data.fill(0);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * C;
      for (let p = 0; p < panels; p++) {
        const o = 4 * (y * outW + p * (W + gap) + x);
        if (layout === 'rgb') {
          png.data[o] = byte(img.data[i]!);
          png.data[o + 1] = byte(img.data[i + 1]!);
          png.data[o + 2] = byte(img.data[i + 2]!);
        } else png.data[o] = png.data[o + 1] = png.data[o + 2] = byte(img.data[i + p]!);
      }
    }
  for (let j = 3; j < png.data.length; j += 4) png.data[j] = 255;
  const b = PNG.sync.write(png);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function writePng(path: string, img: Tensor, opts: { scale?: DisplayScale; layout?: DisplayLayout } = {}): void {
  writeFileSync(path, encodePng(img, opts));
}
