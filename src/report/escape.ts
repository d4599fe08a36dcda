/**
 * Escaping for the HTML report. Every string that comes from a run folder (config values,
 * task names, sampled text, folder names) goes through `esc` before it touches the page, so
 * a corpus holding `<script>` shows as text and never runs, and characters a browser would act
 * on rather than show (NUL, ESC and other controls, right-to-left overrides, zero-width
 * characters) appear as visible escapes such as \u202e (src/printable.ts). Numbers go through
 * `num`, which drops anything that is not a finite number (a hostile metrics file cannot
 * inject through them).
 */
import { printable } from '../printable.js';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text and attribute values: controls and bidi characters shown escaped, & < > " ' as entities. */
export function esc(v: unknown): string {
  return printable(String(v ?? ''), { max: Infinity, keepLines: true }).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** A finite number or null. */
export function num(v: unknown): number | null {
  const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(x) ? x : null;
}

/** A short human form of a number for tables and axes (already safe to print). */
export function fmt(v: unknown, digits = 4): string {
  const x = num(v);
  if (x === null) return '-';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-3) return x.toExponential(Math.max(0, digits - 2));
  return String(Number(x.toPrecision(digits)));
}
