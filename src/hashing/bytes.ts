/**
 * Numbers and labels read straight from a byte range `[s, e)` of a text buffer (CSV fields),
 * so that the streaming path never builds a per-field string.
 *
 * parseNumber: optional sign, decimal digits, optional fraction and exponent. Plain integers of
 * up to 15 digits (all of Criteo's) are parsed exactly in the loop; anything else that looks
 * like a decimal number goes through `Number()` on a short string, which is exact. Hex, `inf`,
 * `nan`, blanks and stray characters give NaN (the caller reports a bad number).
 */

import { printable } from '../printable.js';

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function parseNumber(b: Uint8Array, s: number, e: number): number {
  if (s >= e) return NaN;
  let i = s,
    neg = false;
  const c0 = b[i]!;
  if (c0 === 45 /* - */ || c0 === 43 /* + */) {
    neg = c0 === 45;
    i++;
  }
  if (i < e && e - i <= 15) {
    let v = 0,
      j = i;
    for (; j < e; j++) {
      const d = b[j]! - 48;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    if (j === e) return neg ? -v : v;
  }
  let str = '';
  for (let j = s; j < e; j++) str += String.fromCharCode(b[j]!);
  return DECIMAL.test(str) ? Number(str) : NaN;
}

/**
 * A binary label from `[s, e)`: `1`/`0` (also `1.0`, `0.0`, `+1`) and VW's `-1` for the negative
 * class. Returns 1, 0, or -1 when the field is not a label.
 */
export function parseLabel(b: Uint8Array, s: number, e: number): number {
  if (e - s === 1) {
    const c = b[s]!;
    return c === 49 ? 1 : c === 48 ? 0 : -1;
  }
  const v = parseNumber(b, s, e);
  return v === 1 ? 1 : v === 0 || v === -1 ? 0 : -1;
}

/** The field `[s, e)` as text for error messages: control characters escaped, cut at 40 bytes. */
export function fieldText(b: Uint8Array, s: number, e: number): string {
  const t = printable(new TextDecoder().decode(b.subarray(s, Math.min(e, s + 40))), Infinity);
  return e - s > 40 ? `${t}... (${e - s} bytes)` : t;
}
