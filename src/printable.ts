/**
 * Strings from data (column names, field values, file names, labels, sampled text) made safe
 * to show on a terminal or in the HTML report: every character that a terminal or a browser
 * would act on rather than show is replaced by a visible escape, and long strings are cut.
 *
 *   C0 controls, DEL, C1 controls        -> \x1b, \x00, \x7f, \x85 ... (\n \t \r as such)
 *   bidirectional overrides and isolates -> \u202e, \u2066 ... (they reorder what follows)
 *   zero-width and line/paragraph separators, BOM, lone surrogates -> \u200b, \u2028, \ud800 ...
 *
 * Backslashes are left as they are (paths stay readable), so the escapes are for reading, not
 * for parsing back. This is the one helper every message, the CLI's output and the report use.
 */

// Everything that is not shown as itself: C0, DEL, C1, the bidi controls, zero-width and
// separator characters, the BOM, and unpaired surrogates (as regular-expression source text).
const INVISIBLE = '\\u007f-\\u009f\\u061c\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2069\\ufeff';
const LONE_SURROGATE = '|[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';
const UNSAFE = new RegExp(`[\\u0000-\\u001f${INVISIBLE}]${LONE_SURROGATE}`, 'g');
// The same but for newline and tab (multi-line text).
const UNSAFE_KEEP_LINES = new RegExp(`[\\u0000-\\u0008\\u000b-\\u001f${INVISIBLE}]${LONE_SURROGATE}`, 'g');

function escapeOne(c: string): string {
  if (c === '\n') return '\\n';
  if (c === '\t') return '\\t';
  if (c === '\r') return '\\r';
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

export interface PrintableOptions {
  /** Longest result in characters before the cut note (default 200; Infinity: never cut). */
  max?: number;
  /** Keep newlines and tabs (multi-line text such as samples or messages); default false. */
  keepLines?: boolean;
}

/**
 * `s` with every control, bidi and invisible character shown as an escape, cut to `max`
 * characters (default 200) with a note of how much was left out.
 */
export function printable(s: unknown, opts: PrintableOptions | number = {}): string {
  const o = typeof opts === 'number' ? { max: opts } : opts;
  const max = o.max ?? 200;
  let t = String(s);
  let cut = 0;
  // Cut first (on the raw text, a bounded amount of work for a megabyte name), then escape.
  if (t.length > max) {
    cut = t.length - max;
    t = t.slice(0, max);
  }
  t = t.replace(o.keepLines ? UNSAFE_KEEP_LINES : UNSAFE, escapeOne);
  return cut > 0 ? `${t}... (${cut} more characters)` : t;
}

/**
 * JSON text with the same characters escaped as \uXXXX: parses to exactly the same value,
 * but shows nothing a terminal would act on (JSON.stringify leaves DEL, C1 and bidi raw).
 */
export function printableJSON(json: string): string {
  // Raw newlines and tabs in JSON text lie between tokens (JSON.stringify escapes those in strings).
  return json.replace(UNSAFE_KEEP_LINES, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
