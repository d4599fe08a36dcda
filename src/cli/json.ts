/**
 * JSON the CLI prints (--json) and writes for people (result.json, results.json, metrics) uses
 * snake_case keys. Library objects keep their camelCase fields; `snakeKeys` converts them at
 * the edge. Keys that are not identifiers (a pipeline named 'yuv+lcn', a file path) are data and
 * pass through, and so do one-letter math symbols and their plurals (T, Ts, H, N: as the flags spell them).
 */

/** `rowsPerSec` -> `rows_per_sec`, `lstmH` -> `lstm_h`; `T` and `Ts` stay. */
export function snakeKey(k: string): string {
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(k) || /^[A-Z]s?$/.test(k)) return k;
  return k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** A copy of `v` with every object key converted by `snakeKey`, at every depth. */
export function snakeKeys<T>(v: T): T {
  if (Array.isArray(v)) return v.map(snakeKeys) as T;
  if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return v;
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[snakeKey(k)] = snakeKeys(x);
  return out as T;
}
