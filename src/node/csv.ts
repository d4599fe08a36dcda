/**
 * Streaming CSV/TSV over byte chunks, in constant memory: one reusable byte buffer (1 MiB by
 * default; it grows only when a single row is longer) and one pair of Int32Arrays of field
 * offsets. Rows are handed to a callback as byte ranges of the buffer, so no per-row or
 * per-field string is built on the hot path.
 *
 *   onRow(b, starts, ends, line): field j of the row is b[starts[j], ends[j]) (valid only during
 *   the call); `line` is the 1-based line where the row starts.
 *
 * Format (RFC 4180 plus what real files do): delimiter ',' or '\t' (any single byte), optional
 * header row, fields optionally quoted with '"' (a doubled '""' inside is one quote, and quoted
 * fields may hold delimiters and newlines), '\n' or '\r\n' line ends, an empty field = missing,
 * blank lines skipped, last line with or without a newline.
 *
 * Malformed rows (wrong field count, text after a closing quote, an unclosed quote, and
 * whatever the consumer rejects with `reject`) are counted; the first few are kept with their
 * line numbers; in strict mode the first one throws a CsvError instead.
 *
 * A stray quote makes a quoted field run over the following lines until the next quote (or
 * to the end of the input), swallowing them into one row. When such a row is malformed, the
 * report names the line where the quote opened and how many lines the field ran over, and
 * the lines after the opening one are read again as rows (strict mode stops at the report).
 * A line is read again at most once (a re-read region never starts another), so the work
 * stays linear in the input.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { checkFile } from './files.js';

export class CsvError extends Error {
  override name = 'CsvError';
}

export interface CsvOptions {
  /** Field separator, one byte: ',' (default), '\t', ';', '|' ... */
  delimiter?: string;
  /** First row holds the column names (default true). */
  header?: boolean;
  /** Column names when there is no header row. */
  columns?: string[];
  /** Stop at the first malformed row (CsvError) instead of counting and skipping it. */
  strict?: boolean;
  /** How many malformed rows to keep messages for (default 5). */
  keepErrors?: number;
  /** Initial buffer size in bytes (default 1 MiB). */
  bufferBytes?: number;
  /** Longest row allowed, in bytes (default 64 MiB): a guard against a file with no newlines. */
  maxRowBytes?: number;
}

export type RowCallback = (b: Uint8Array, starts: Int32Array, ends: Int32Array, line: number) => void;

/**
 * A consumer that takes rows straight from the buffer (the hashing trick's WebAssembly fast
 * path): consume() handles the complete rows it can from `pos` (the first starting at `line`)
 * and returns where it stopped, with `line` set to the line there; the reader then parses one
 * row itself (onRow, or a malformed-row report) and offers the rest again.
 */
export interface FastRows {
  consume(b: Uint8Array, pos: number, len: number, line: number): number;
  line: number;
}

const QUOTE = 34,
  LF = 10,
  CR = 13;

export class CsvReader {
  /** Column names (from the header or the options); null until the header has been read. */
  columns: string[] | null;
  /** Rows handed to onRow. */
  rows = 0;
  /** Malformed rows skipped (including those the consumer rejected). */
  badRows = 0;
  /** "line N: what was wrong", for the first `keepErrors` malformed rows. */
  readonly errors: string[] = [];
  /** Line of the row being delivered (valid inside onRow). */
  line = 0;
  onRow: RowCallback = () => {};
  /** Called once the column names are known (after the header row). */
  onHeader: (columns: string[]) => void = () => {};
  /** Offered every row before the reader parses it (see FastRows); null = none. */
  fast: FastRows | null = null;
  /** Where buffers come from from the next read on (null: an ordinary array); see useBuffers. */
  private alloc: ((bytes: number) => Uint8Array | null) | null = null;
  private moveBuffer = false;
  /** Size of the buffers `alloc` gives, and whether a long row forced an ordinary array instead. */
  private homeSize = 0;
  private foreign = false;
  /** Lines before this one are never read again (see the file comment). */
  private rereadFrom = 0;
  /** Line of a quoted field still open at the end of the buffer (for the row-too-long message). */
  private openQuoteLine = 0;

  private buf: Uint8Array;
  private len = 0; // valid bytes in buf
  private pos = 0; // first unparsed byte
  private nextLine = 1; // line number at pos
  private starts = new Int32Array(64);
  private ends = new Int32Array(64);
  private esc = new Uint8Array(64);
  private readonly delim: number;
  private readonly strict: boolean;
  private readonly keep: number;
  private readonly maxRow: number;
  private needHeader: boolean;
  private done = false;

  constructor(opts: CsvOptions = {}) {
    const d = opts.delimiter ?? ',';
    if (d.length !== 1 || d.charCodeAt(0) > 127 || d === '"' || d === '\n' || d === '\r') {
      throw new RangeError(
        `CsvReader: delimiter must be one ASCII character other than a quote or newline, got ${JSON.stringify(d)}`,
      );
    }
    this.delim = d.charCodeAt(0);
    this.needHeader = opts.header ?? true;
    if (!this.needHeader && !opts.columns)
      throw new RangeError('CsvReader: without a header row, give the column names (columns)');
    this.columns = this.needHeader ? null : [...opts.columns!];
    this.strict = opts.strict ?? false;
    this.keep = opts.keepErrors ?? 5;
    this.maxRow = opts.maxRowBytes ?? 64 * 1024 * 1024;
    this.buf = new Uint8Array(opts.bufferBytes ?? 1 << 20);
  }

  /** Counts a malformed row at `line` (the consumer calls this for bad labels or numbers). */
  reject(message: string, line = this.line): void {
    const m = `line ${line}: ${message}`;
    if (this.strict) throw new CsvError(`malformed row at ${m} (strict mode stops here)`);
    this.badRows++;
    if (this.errors.length < this.keep) this.errors.push(m);
  }

  /**
   * Free space to read into: the caller writes up to `length` bytes at `buf[offset...]` and
   * then calls commit(n). Moves the unparsed tail to the front, and grows the buffer only when
   * one row fills it.
   */
  space(): { buf: Uint8Array; offset: number; length: number } {
    if (this.moveBuffer) {
      this.moveBuffer = false;
      const nb = this.alloc!(this.buf.length);
      if (nb) {
        nb.set(this.buf.subarray(this.pos, this.len));
        this.len -= this.pos;
        this.pos = 0;
        this.buf = nb;
        this.homeSize = nb.length;
      }
    }
    // After a row longer than the consumer's buffers, move back into its memory as soon as the
    // unparsed bytes fit again: the fast path only reads rows there.
    if (this.foreign && this.len - this.pos <= this.homeSize >> 1) {
      const nb = this.alloc!(this.homeSize);
      if (nb) {
        nb.set(this.buf.subarray(this.pos, this.len));
        this.len -= this.pos;
        this.pos = 0;
        this.buf = nb;
        this.foreign = false;
      }
    }
    if (this.pos > 0 && (this.len === this.buf.length || this.pos > this.buf.length >> 1)) {
      this.buf.copyWithin(0, this.pos, this.len);
      this.len -= this.pos;
      this.pos = 0;
    }
    if (this.len === this.buf.length) {
      if (this.buf.length >= this.maxRow)
        throw new CsvError(
          this.openQuoteLine > 0
            ? `a quoted field opened on line ${this.openQuoteLine} is still open after ${this.maxRow} bytes: ` +
                'an unclosed quote (a stray " in the data)?'
            : `a row at line ${this.nextLine} is longer than ${this.maxRow} bytes (is the delimiter or the ` +
                `quoting wrong?)`,
        );
      const size = Math.min(this.maxRow, this.buf.length * 2);
      const own = this.alloc?.(size) ?? null;
      if (this.alloc && !own) this.foreign = true;
      const bigger = own ?? new Uint8Array(size);
      bigger.set(this.buf.subarray(0, this.len));
      this.buf = bigger;
    }
    // In an ordinary array, read in small pieces, so that few rows after the long one miss the fast path.
    const free = this.buf.length - this.len;
    return { buf: this.buf, offset: this.len, length: this.foreign ? Math.min(free, this.homeSize >> 2) : free };
  }

  /**
   * Reads into buffers from `alloc` (null when it cannot give that many bytes) from the next
   * read on: a fast consumer's memory (the unparsed bytes move along).
   */
  useBuffers(alloc: (bytes: number) => Uint8Array | null): void {
    this.alloc = alloc;
    this.moveBuffer = true;
  }

  /** `n` new bytes were written at space().offset; parses every complete row. */
  commit(n: number): void {
    this.len += n;
    this.parse(false);
  }

  /** Feeds a chunk (copied). */
  push(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length) {
      const s = this.space();
      const n = Math.min(s.length, chunk.length - off);
      s.buf.set(chunk.subarray(off, off + n), s.offset);
      off += n;
      this.commit(n);
    }
  }

  /** End of input: parses the last row (which may lack a newline). */
  end(): void {
    if (this.done) return;
    this.parse(true);
    this.done = true;
    if (this.needHeader) throw new CsvError('the input is empty: expected a header row with the column names');
  }

  private grow(nf: number): void {
    const n = Math.max(nf + 1, this.starts.length * 2);
    const s = new Int32Array(n),
      e = new Int32Array(n),
      q = new Uint8Array(n);
    s.set(this.starts);
    e.set(this.ends);
    q.set(this.esc);
    this.starts = s;
    this.ends = e;
    this.esc = q;
  }

  private parse(final: boolean): void {
    this.pos = this.scan(final);
  }

  /**
   * Delivers every complete row from `pos` on; returns the start of the first incomplete one.
   * (Kept free of stores after its loop: V8 optimises this long-running loop on-stack, and a
   * property store it has never seen executed at the loop's exit deoptimised it once per chunk.)
   */
  private scan(final: boolean): number {
    const b = this.buf,
      len = this.len,
      delim = this.delim;
    let starts = this.starts,
      ends = this.ends,
      esc = this.esc; // locals: the loop is hot
    let i = this.pos;
    while (i < len) {
      const fast = this.fast;
      if (fast !== null && !this.needHeader) {
        i = fast.consume(b, i, len, this.nextLine);
        this.nextLine = fast.line;
        if (i >= len) break;
      }
      const rowStart = i,
        rowLine = this.nextLine;
      let line = rowLine,
        nf = 0,
        bad: string | null = null,
        complete = false,
        anyEsc = false,
        quoteLine = 0, // line where the first quoted field that ran over a newline opened
        quoteLf = -1; // the first newline inside it
      // One row: fields until an unquoted newline (or the end of the input when final).
      for (;;) {
        if (nf >= starts.length) {
          this.grow(nf);
          starts = this.starts;
          ends = this.ends;
          esc = this.esc;
        }
        let s: number, e: number, quoted: boolean;
        esc[nf] = 0;
        if (i < len && b[i] === QUOTE) {
          s = ++i;
          const openLine = line;
          let closed = false;
          while (i < len) {
            const c = b[i]!;
            if (c === QUOTE) {
              if (i + 1 < len && b[i + 1] === QUOTE) {
                esc[nf] = 1;
                anyEsc = true;
                i += 2;
                continue;
              }
              if (i + 1 >= len && !final) break; // cannot tell "" from " yet
              closed = true;
              break;
            }
            if (c === LF) {
              if (quoteLf < 0) {
                quoteLf = i;
                quoteLine = openLine;
              }
              line++;
            }
            i++;
          }
          if (!closed) {
            if (!final) {
              this.openQuoteLine = openLine;
              break;
            }
            bad ??= 'unclosed quote';
            e = i;
          } else {
            e = i++;
            if (i < len && b[i] === CR) {
              if (i + 1 >= len && !final) break; // \r\n split across chunks
              if (i + 1 < len && b[i + 1] === LF) i++;
            }
            if (i < len && b[i] !== delim && b[i] !== LF) {
              bad ??= 'text after a closing quote';
              while (i < len && b[i] !== delim && b[i] !== LF) i++;
            }
          }
          quoted = true;
        } else {
          s = i;
          while (i < len) {
            const c = b[i]!;
            if (c === delim || c === LF) break;
            i++;
          }
          e = i;
          quoted = false;
        }
        if (i >= len && !final) break;
        starts[nf] = s;
        ends[nf] = e;
        nf++;
        if (i < len && b[i] === delim) {
          i++;
          continue;
        }
        // End of row: a newline (strip a preceding \r) or the end of the input.
        if (!quoted && e > s && b[e - 1] === CR) ends[nf - 1] = e - 1;
        if (i < len) {
          i++;
          line++;
        }
        complete = true;
        break;
      }
      if (!complete) {
        i = rowStart;
        break;
      }
      this.openQuoteLine = 0;
      // The row's last line: `line` is past its newline, or on it when the input ended without one.
      const last = i >= len && b[len - 1] !== LF ? line : line - 1;
      if (bad !== null && quoteLf >= 0 && last > quoteLine && !this.needHeader && quoteLine >= this.rereadFrom) {
        // A stray quote swallowed lines: report where it opened, and read those lines again.
        this.reject(
          `${bad}: a quoted field opened on line ${quoteLine} ran over ${last - quoteLine} more ` +
            `line${last - quoteLine === 1 ? '' : 's'} ` +
            `(to line ${last}${i >= len && final ? ', the end of the input' : ''}); the lines after line ` +
            `${quoteLine} are read again as rows`,
          rowLine,
        );
        this.rereadFrom = last + 1;
        i = quoteLf + 1;
        this.nextLine = quoteLine + 1;
        continue;
      }
      this.nextLine = line;
      if (nf === 1 && ends[0] === starts[0] && b[rowStart] !== QUOTE) continue; // blank line
      if (anyEsc) this.unescape(b, nf);
      this.deliver(b, nf, rowLine, bad);
    }
    return i;
  }

  /** Turns each '""' of an escaped quoted field into '"' in place (the row is complete). */
  private unescape(b: Uint8Array, nf: number): void {
    for (let j = 0; j < nf; j++) {
      if (!this.esc[j]) continue;
      const s = this.starts[j]!,
        e = this.ends[j]!;
      let w = s;
      for (let r = s; r < e; r++, w++) {
        b[w] = b[r]!;
        if (b[r] === QUOTE) r++;
      }
      this.ends[j] = w;
    }
  }

  private deliver(b: Uint8Array, nf: number, line: number, bad: string | null): void {
    this.line = line;
    if (this.needHeader) {
      if (bad) throw new CsvError(`line ${line}: bad header row (${bad})`);
      const dec = new TextDecoder();
      const names = Array.from({ length: nf }, (_, j) => dec.decode(b.subarray(this.starts[j]!, this.ends[j]!)).trim());
      const empty = names.findIndex((n) => n === '');
      if (empty >= 0) throw new CsvError(`line ${line}: header column ${empty + 1} has no name`);
      this.columns = names;
      this.needHeader = false;
      this.onHeader(names);
      return;
    }
    const want = this.columns!.length;
    if (bad) {
      this.reject(bad, line);
      return;
    }
    if (nf !== want) {
      this.reject(`expected ${want} fields, got ${nf}`, line);
      return;
    }
    this.rows++;
    this.onRow(b, this.starts, this.ends, line);
  }
}

/**
 * Streams a file (or '-' for stdin) through a reader, then ends it. Files are read with
 * readSync straight into the reader's buffer (no copy); stdin is consumed chunk by chunk.
 */
export async function streamCsv(path: string, reader: CsvReader): Promise<void> {
  if (path === '-') {
    for await (const chunk of process.stdin) reader.push(chunk as Uint8Array);
    reader.end();
    return;
  }
  checkFile(path);
  const fd = openSync(path, 'r');
  try {
    // A short first read: the header is parsed from it, and a consumer that moves the buffer
    // once it knows the columns (the hashing fast path) then gets nearly every row.
    for (let first = true; ; first = false) {
      const s = reader.space();
      const n = readSync(fd, s.buf, s.offset, first ? Math.min(s.length, 1 << 14) : s.length, null);
      if (n === 0) break;
      reader.commit(n);
    }
  } finally {
    closeSync(fd);
  }
  reader.end();
}

/** The delimiter a path's extension suggests: tab for .tsv/.tab, otherwise comma. */
export function delimiterFor(path: string): string {
  return /\.(tsv|tab)$/i.test(path) ? '\t' : ',';
}
