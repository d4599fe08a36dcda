/**
 * Data files as text (core code: a browser hands in a File's text, Node reads it in the CLI),
 * turned into sequences for `RecurrentModel.fit` / `evaluate` / `predict`.
 *
 * CSV (RFC 4180: a header row, quoted fields with "" for a quote, \n or \r\n, blank lines skipped):
 *   long  one row per time step, a sequence-id column (`id`) groups the rows of each sequence
 *         in file order; feature columns are the steps' values; `target` holds the sequence's
 *         label or value (the same on each of its rows) or, for tagging, each step's label.
 *         For forecasting without `id` the whole file is one series.
 *   wide  one sequence per row: a `text` column whose characters are the steps, or the numeric
 *         columns other than `target` (and `id`) as the steps of a univariate sequence (empty
 *         trailing cells end a shorter sequence).
 * JSONL: one object per line, {"x": steps, "y": target}; x is a string (characters), a list of
 *   numbers (univariate), or a list of steps of numbers; y as the task needs (none to forecast:
 *   each line is one series).
 *
 * Malformed rows are reported with their line numbers (the first `keepErrors`, and a count).
 * Strict mode stops at the first. Otherwise a bad row is left out with the sequence it belongs to
 * (a sequence missing a step would be a different sequence), except in a forecasting series,
 * where a gap cannot be left out: that always stops with the lines named.
 */
import type { Label } from './sequences.js';

export type DataTask = 'classify' | 'regress' | 'tag' | 'forecast';

/** Bad data in a file: `line` is the first bad line (1-based) when known. */
export class DataError extends Error {
  override name = 'DataError';
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

export interface ParseOptions {
  task: DataTask;
  /** CSV layout (default: long when `id` is given or when forecasting, else wide). */
  layout?: 'long' | 'wide';
  /** Sequence-id column (long layout). */
  id?: string;
  /** Target column (classify, regress, tag). */
  target?: string;
  /** Feature columns (default: every column other than id, target and text). */
  features?: readonly string[];
  /** Wide layout: a column whose characters are the steps. */
  text?: string;
  /** Field separator (default ','). */
  delimiter?: string;
  /** Stop at the first malformed row. */
  strict?: boolean;
  /** Messages kept for malformed rows (default 5). */
  keepErrors?: number;
  /** Targets are optional (files to predict on): a missing target column is no error. */
  noTarget?: boolean;
}

export interface ParsedData {
  /** Sequences (number[][] steps, or strings for text). */
  x: (number[][] | string)[];
  /** Targets, when the file has them (classify: labels; regress: vectors; tag: label lists). */
  y?: (Label | number[] | Label[])[];
  /** Forecasting: the series (each a list of steps). */
  series?: number[][][];
  /** Names of the features of each step (dense data). */
  features: string[];
  /** Sequence ids (long layout), or line numbers, in order. */
  ids: string[];
  /** Rows or lines read (excluding the header and blank lines). */
  rows: number;
  badRows: number;
  /** "line N: what was wrong" for the first few bad rows. */
  errors: string[];
}

class Problems {
  count = 0;
  readonly errors: string[] = [];
  constructor(
    private readonly strict: boolean,
    private readonly keep: number,
  ) {}
  add(line: number, msg: string): void {
    const m = `line ${line}: ${msg}`;
    if (this.strict) throw new DataError(`malformed row at ${m} (strict mode stops here)`, line);
    this.count++;
    if (this.errors.length < this.keep) this.errors.push(m);
  }
}

/** Splits CSV text into rows of fields with the line each starts on; a row with an unclosed quote is flagged. */
export function csvRows(text: string, delimiter = ','): { fields: string[]; line: number; bad?: string }[] {
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n')
    throw new RangeError(
      `delimiter must be one character other than a quote or newline, got ${JSON.stringify(delimiter)}`,
    );
  const rows: { fields: string[]; line: number; bad?: string }[] = [];
  let i = 0,
    line = 1;
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) i = 1; // byte-order mark
  while (i < n) {
    const start = line,
      fields: string[] = [];
    let bad: string | undefined;
    for (;;) {
      let f = '';
      if (text[i] === '"') {
        i++;
        let closed = false;
        while (i < n) {
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              f += '"';
              i += 2;
              continue;
            }
            closed = true;
            i++;
            break;
          }
          if (c === '\n') line++;
          f += c;
          i++;
        }
        if (!closed) bad = 'unclosed quote';
        while (i < n && text[i] !== delimiter && text[i] !== '\n') {
          if (text[i] !== '\r') bad ??= 'text after a closing quote';
          i++;
        }
      } else {
        const s = i;
        while (i < n && text[i] !== delimiter && text[i] !== '\n') i++;
        f = text.slice(s, i);
        if (f.endsWith('\r') && (i >= n || text[i] === '\n')) f = f.slice(0, -1);
      }
      fields.push(f);
      if (i < n && text[i] === delimiter) {
        i++;
        continue;
      }
      if (i < n) {
        i++; // the newline
        line++;
      }
      break;
    }
    if (fields.length === 1 && fields[0]!.trim() === '' && !bad) continue; // blank line
    rows.push(bad ? { fields, line: start, bad } : { fields, line: start });
  }
  return rows;
}

function num(raw: string): number {
  const s = raw.trim();
  return s === '' ? Number.NaN : Number(s);
}

/** A label from a CSV cell: a number when the whole column reads as numbers, else the string. */
function labels(cells: string[]): Label[] {
  const numeric = cells.every((c) => c.trim() !== '' && Number.isFinite(Number(c.trim())));
  return cells.map((c) => (numeric ? Number(c.trim()) : c.trim()));
}

/** Parses CSV text for a task (see the file comment). */
export function parseCsv(text: string, o: ParseOptions): ParsedData {
  const prob = new Problems(o.strict ?? false, o.keepErrors ?? 5);
  const rows = csvRows(text, o.delimiter ?? ',');
  if (rows.length === 0) throw new DataError('the file is empty: expected a header row with the column names', 1);
  const head = rows[0]!;
  if (head.bad) throw new DataError(`line ${head.line}: bad header row (${head.bad})`, head.line);
  const names = head.fields.map((s) => s.trim());
  const col = (name: string | undefined, what: string): number => {
    if (name === undefined) return -1;
    const k = /^\d+$/.test(name) && !names.includes(name) ? Number(name) : names.indexOf(name);
    if (k < 0 || k >= names.length)
      throw new DataError(`no ${what} column '${name}'; the header has: ${names.join(', ')}`, head.line);
    return k;
  };
  const forecast = o.task === 'forecast';
  const idCol = col(o.id, 'id'),
    textCol = col(o.text, 'text'),
    targetCol = forecast || (o.noTarget && !names.includes(o.target ?? '')) ? -1 : col(o.target, 'target');
  if (!forecast && targetCol < 0 && !o.noTarget)
    throw new DataError(`give the target column (--target); the header has: ${names.join(', ')}`, head.line);
  const layout = o.layout ?? (idCol >= 0 || forecast ? 'long' : 'wide');
  const used = new Set([idCol, textCol, targetCol]);
  const featCols = o.features?.length
    ? o.features.map((f) => col(f, 'feature'))
    : names.map((_, k) => k).filter((k) => !used.has(k));
  const body = rows.slice(1);
  const checkRow = (r: (typeof body)[number]): boolean => {
    if (r.bad) {
      prob.add(r.line, r.bad);
      return false;
    }
    if (r.fields.length !== names.length) {
      prob.add(r.line, `expected ${names.length} fields, got ${r.fields.length}`);
      return false;
    }
    return true;
  };
  const out: ParsedData = { x: [], features: [], ids: [], rows: body.length, badRows: 0, errors: [] };
  if (layout === 'wide') {
    if (forecast) throw new DataError('forecasting reads one row per time step (long layout), not one series per row');
    if (textCol < 0 && featCols.length === 0) throw new DataError('no value columns: give --text or --features');
    const ys: string[] = [];
    for (const r of body) {
      if (!checkRow(r)) continue;
      let x: number[][] | string;
      if (textCol >= 0) {
        x = r.fields[textCol]!;
        if (x.length === 0) {
          prob.add(r.line, `empty text in column '${names[textCol]}'`);
          continue;
        }
      } else {
        const vals = featCols.map((k) => r.fields[k]!.trim());
        let end = vals.length;
        while (end > 0 && vals[end - 1] === '') end--;
        const steps = vals.slice(0, end).map(num);
        const badAt = steps.findIndex((v) => !Number.isFinite(v));
        if (end === 0 || badAt >= 0) {
          const k = featCols[badAt < 0 ? 0 : badAt]!;
          prob.add(r.line, `column '${names[k]}': expected a finite number, got '${r.fields[k]!.trim()}'`);
          continue;
        }
        x = steps.map((v) => [v]);
      }
      if (targetCol >= 0) {
        const c = r.fields[targetCol]!.trim();
        if (c === '') {
          prob.add(r.line, `empty target in column '${names[targetCol]}'`);
          continue;
        }
        ys.push(c);
      }
      out.x.push(x);
      out.ids.push(String(r.line));
    }
    out.features = textCol >= 0 ? [names[textCol]!] : ['value'];
    if (targetCol >= 0) out.y = toTargets(o.task, ys);
    if (o.task === 'tag') throw new DataError('tagging needs one row per step (long layout with --id)');
    return finish(out, prob);
  }
  // long: one row per step
  if (featCols.length === 0) throw new DataError('no feature columns left: give --features');
  const groups = new Map<string, { steps: number[][]; tags: string[]; target: string | null; line: number }>();
  const dropped = new Set<string>();
  for (const r of body) {
    const gid = idCol >= 0 ? (r.fields[idCol]?.trim() ?? '') : '';
    if (!checkRow(r)) {
      if (forecast)
        throw new DataError(`${prob.errors.at(-1) ?? `line ${r.line}`}: a series cannot skip a step`, r.line);
      dropped.add(gid);
      continue;
    }
    const steps = featCols.map((k) => num(r.fields[k]!));
    const badAt = steps.findIndex((v) => !Number.isFinite(v));
    let g = groups.get(gid);
    if (!g) groups.set(gid, (g = { steps: [], tags: [], target: null, line: r.line }));
    if (badAt >= 0) {
      const k = featCols[badAt]!;
      const msg = `column '${names[k]}': expected a finite number, got '${r.fields[k]!.trim()}'`;
      if (forecast) throw new DataError(`line ${r.line}: ${msg} (a series cannot skip a step)`, r.line);
      prob.add(r.line, msg + (idCol >= 0 ? ` (sequence '${gid}' left out)` : ''));
      dropped.add(gid);
      continue;
    }
    if (targetCol >= 0) {
      const c = r.fields[targetCol]!.trim();
      if (c === '') {
        prob.add(r.line, `empty target in column '${names[targetCol]}' (sequence '${gid}' left out)`);
        dropped.add(gid);
        continue;
      }
      if (o.task === 'tag') g.tags.push(c);
      else if (g.target === null) g.target = c;
      else if (g.target !== c) {
        prob.add(r.line, `target '${c}' differs from '${g.target}' on the sequence's first row (line ${g.line})`);
        dropped.add(gid);
        continue;
      }
    }
    g.steps.push(steps);
  }
  out.features = featCols.map((k) => names[k]!);
  if (forecast) {
    out.series = [...groups.values()].map((g) => g.steps);
    out.ids = [...groups.keys()];
    out.x = [];
    return finish(out, prob);
  }
  const ys: string[] = [],
    tags: string[][] = [];
  for (const [gid, g] of groups) {
    if (dropped.has(gid) || g.steps.length === 0) continue;
    out.x.push(g.steps);
    out.ids.push(gid);
    if (targetCol >= 0) {
      if (o.task === 'tag') tags.push(g.tags);
      else ys.push(g.target!);
    }
  }
  if (targetCol >= 0) {
    if (o.task === 'tag') {
      const flat = labels(tags.flat());
      let k = 0;
      out.y = tags.map((t) => t.map(() => flat[k++]!));
    } else out.y = toTargets(o.task, ys);
  }
  return finish(out, prob);
}

/** Regression targets must be numbers; class labels are numbers when every one reads as a number. */
function toTargets(task: DataTask, cells: string[]): (Label | number[])[] {
  if (task === 'regress')
    return cells.map((c) => {
      const v = Number(c);
      if (!Number.isFinite(v)) throw new DataError(`regression targets must be numbers, got '${c}'`);
      return [v];
    });
  return labels(cells);
}

function finish(out: ParsedData, prob: Problems): ParsedData {
  out.badRows = prob.count;
  out.errors = prob.errors;
  if (out.x.length === 0 && !out.series?.length)
    throw new DataError(
      `no usable sequences${prob.count ? ` (${prob.count} malformed rows; first: ${prob.errors[0]})` : ''}`,
    );
  return out;
}

/** Parses JSON Lines text: {"x": ..., "y": ...} per line (see the file comment). */
export function parseJsonl(text: string, o: ParseOptions): ParsedData {
  const prob = new Problems(o.strict ?? false, o.keepErrors ?? 5);
  const out: ParsedData = { x: [], features: [], ids: [], rows: 0, badRows: 0, errors: [] };
  const forecast = o.task === 'forecast',
    needY = !forecast && !o.noTarget;
  const ys: (Label | number[] | Label[])[] = [],
    series: number[][][] = [];
  let F = -1;
  const lines = text.split('\n');
  lines.forEach((raw, k) => {
    const line = k + 1,
      s = raw.trim();
    if (s === '') return;
    out.rows++;
    let rec: { x?: unknown; y?: unknown };
    try {
      rec = JSON.parse(s);
    } catch (e) {
      prob.add(line, `not valid JSON (${(e as Error).message})`);
      return;
    }
    if (!rec || typeof rec !== 'object' || Array.isArray(rec)) {
      prob.add(line, 'expected an object {"x": ..., "y": ...}');
      return;
    }
    const x = steps(rec.x);
    if (typeof x === 'string' && x.startsWith('!')) {
      prob.add(line, x.slice(1));
      return;
    }
    if (typeof x !== 'string') {
      const f = x[0]!.length;
      if (F < 0) F = f;
      if (f !== F) {
        prob.add(line, `steps of ${f} features, earlier lines have ${F}`);
        return;
      }
    }
    if (forecast) {
      if (typeof x === 'string') {
        prob.add(line, 'a series to forecast needs numbers, not text');
        return;
      }
      series.push(x);
      out.ids.push(String(line));
      return;
    }
    if (needY || rec.y !== undefined) {
      const y = target(o.task, rec.y, typeof x === 'string' ? [...x].length : x.length);
      if (typeof y === 'string' && y.startsWith('!')) {
        prob.add(line, y.slice(1));
        return;
      }
      ys.push(y as Label | number[] | Label[]);
    }
    out.x.push(x);
    out.ids.push(String(line));
  });
  if (forecast) out.series = series;
  if (ys.length && ys.length === out.x.length) out.y = ys;
  out.features = F > 0 ? Array.from({ length: F }, (_, f) => `x${f}`) : ['text'];
  return finish(out, prob);
}

/** x of a JSONL record: a string, numbers (one feature), or steps of numbers; '!message' when bad. */
function steps(x: unknown): number[][] | string {
  if (typeof x === 'string') return x.length ? x : '!"x" is an empty string';
  if (!Array.isArray(x) || x.length === 0) return '!"x" must be a non-empty string or list of steps';
  if (x.every((v) => typeof v === 'number'))
    return x.every(Number.isFinite) ? x.map((v) => [v]) : '!"x" holds a non-finite number';
  const F = Array.isArray(x[0]) ? x[0].length : -1;
  for (let t = 0; t < x.length; t++) {
    const st = x[t];
    if (!Array.isArray(st) || st.length !== F || F < 1)
      return `!"x"[${t}]: expected a list of ${F > 0 ? F : 'some'} numbers like the first step`;
    if (!st.every((v) => typeof v === 'number' && Number.isFinite(v)))
      return `!"x"[${t}]: expected finite numbers, got ${JSON.stringify(st)}`;
  }
  return x as number[][];
}

function isLabel(v: unknown): v is Label {
  return typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
}

function target(task: DataTask, y: unknown, T: number): Label | number[] | Label[] | string {
  if (y === undefined) return '!missing "y"';
  switch (task) {
    case 'classify':
      return isLabel(y) ? y : `!"y" must be a label (string or number), got ${JSON.stringify(y)}`;
    case 'regress': {
      const a = typeof y === 'number' ? [y] : y;
      return Array.isArray(a) && a.length > 0 && a.every((v) => typeof v === 'number' && Number.isFinite(v))
        ? a
        : `!"y" must be a number or a list of numbers, got ${JSON.stringify(y)}`;
    }
    default: {
      const a = typeof y === 'string' ? [...y] : y;
      if (!Array.isArray(a) || a.length !== T || !a.every(isLabel))
        return `!"y" must list one label per step (${T}), got ${JSON.stringify(y)}`;
      return a as Label[];
    }
  }
}

/** Picks the parser by file name (.jsonl/.ndjson: JSON Lines; .tsv: tab-separated; else CSV). */
export function parseData(name: string, text: string, o: ParseOptions): ParsedData {
  if (/\.(jsonl|ndjson)$/i.test(name)) return parseJsonl(text, o);
  return parseCsv(text, { ...o, delimiter: o.delimiter ?? (/\.(tsv|tab)$/i.test(name) ? '\t' : ',') });
}
