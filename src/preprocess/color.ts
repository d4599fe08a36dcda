/**
 * RGB <-> YUV (ITU-R BT.601, analogue YUV as in LeCun's preprocessing recipe).
 *
 *   Y = Kr R + Kg G + Kb B                 Kr = 0.299, Kb = 0.114, Kg = 1 - Kr - Kb = 0.587
 *   U = Umax (B - Y) / (1 - Kb)            Umax = 0.436
 *   V = Vmax (R - Y) / (1 - Kr)            Vmax = 0.615
 *
 * The inverse is solved from the same constants (R = Y + V (1 - Kr)/Vmax, B = Y + U (1 - Kb)/Umax,
 * G = (Y - Kr R - Kb B) / Kg) rather than taken from the rounded published matrix, so a round
 * trip is exact up to float32 rounding. Shapes: `[N, H, W, 3]` in, `[N, H, W, 3]` out; any value
 * range works (the maps are linear), e.g. RGB in [0, 1] gives Y in [0, 1], U in +-0.436,
 * V in +-0.615.
 */
import type { Tensor } from '../tensor.js';
import { needChannels, outputLike } from './images.js';

const KR = 0.299,
  KB = 0.114,
  KG = 1 - KR - KB,
  UMAX = 0.436,
  VMAX = 0.615;

/** RGB -> YUV; `out` may be the input (in place) or a preallocated tensor of the same size. */
export function rgbToYuv(rgb: Tensor, out?: Tensor): Tensor {
  needChannels(rgb, 3, 'rgbToYuv', 'R, G, B');
  const o = outputLike(rgb, out, 'rgbToYuv');
  const s = rgb.data,
    d = o.data;
  for (let i = 0; i < s.length; i += 3) {
    const r = s[i]!,
      g = s[i + 1]!,
      b = s[i + 2]!;
    const y = KR * r + KG * g + KB * b;
    d[i] = y;
    d[i + 1] = (UMAX / (1 - KB)) * (b - y);
    d[i + 2] = (VMAX / (1 - KR)) * (r - y);
  }
  return o;
}

/** YUV -> RGB, the exact inverse of `rgbToYuv`. */
export function yuvToRgb(yuv: Tensor, out?: Tensor): Tensor {
  needChannels(yuv, 3, 'yuvToRgb', 'Y, U, V');
  const o = outputLike(yuv, out, 'yuvToRgb');
  const s = yuv.data,
    d = o.data;
  for (let i = 0; i < s.length; i += 3) {
    const y = s[i]!,
      u = s[i + 1]!,
      v = s[i + 2]!;
    const r = y + ((1 - KR) / VMAX) * v;
    const b = y + ((1 - KB) / UMAX) * u;
    d[i] = r;
    d[i + 1] = (y - KR * r - KB * b) / KG;
    d[i + 2] = b;
  }
  return o;
}
