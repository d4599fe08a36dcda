/**
 * The hashing trick: every (column, value) token of a row becomes one index into a fixed
 * weight vector of D = 2^bits buckets, with no dictionary of seen values.
 *
 *   ns_j    = murmur3(name_j, seed)                     namespace hash of column j
 *   h_j     = murmur3(bytes of the value, ns_j)         categorical value (empty = its own token)
 *           = murmur3Int(bin(x), ns_j)                  numeric column, binned (default)
 *           = ns_j, value x                             numeric column, value-weighted
 *           = ns_j, value sign(x) ln(1 + |x|)           numeric column, log-valued (heavy tails)
 *   h_{jk}  = hashPair(h_j, h_k), value x_j * x_k       quadratic interaction (VW's -q), formed
 *                                                       only when both fields are present
 *   index   = h & (D - 1);  sign = h's top bit ? -1 : +1 (when `signed`)
 *   bias    = one constant feature of value 1
 *
 * bin(x) = floor(x) for -2 <= x <= 2, else sign(x) * (3 + floor(ln(|x|)^2)): exact for small
 * counts, logarithmic for heavy tails (the binning of the Criteo challenge's winners).
 *
 * A row comes in as byte ranges of one buffer (`starts[j]`, `ends[j]`), exactly as the CSV
 * reader leaves it, and goes out as (idx[k], val[k]) for k < n plus the label. No allocation
 * per row.
 */
import { murmur3, murmur3Bytes, murmur3Int, hashPair } from './murmur3.js';
import { parseLabel, parseNumber, fieldText } from './bytes.js';
import { printable } from '../printable.js';

/**
 * Largest |x| a value-weighted numeric feature may have: beyond it (e.g. 1e200) the learner's
 * squared gradients overflow to Infinity and its state turns NaN, so such a row is a bad row.
 * 2^53, where integers stop being exact. Binned and log-valued numbers need no bound.
 */
export const MAX_FEATURE_VALUE = 2 ** 53;

/** A column name as messages show it: escaped and cut (a name may be a megabyte of anything). */
export function columnText(name: string): string {
  return printable(name, 60);
}

function columnList(columns: string[]): string {
  return `${columns.slice(0, 8).map(columnText).join(', ')}${columns.length > 8 ? ', ...' : ''}`;
}

export type NumericMode = 'bin' | 'value' | 'log';

export interface HasherOptions {
  /** Column names in file order (the header, or a column spec). */
  columns: string[];
  /** The label column (0/1, or -1/+1); absent when only predicting. */
  label?: string;
  /** Columns read as numbers; every other non-label column is categorical. */
  numeric?: string[];
  /** How numbers become features: log-binned tokens (default), their value, or sign(x) ln(1+|x|). */
  numericAs?: NumericMode;
  /** Columns left out. */
  ignore?: string[];
  /** Pairs of columns whose values are crossed (quadratic interactions). */
  quadratic?: [string, string][];
  /** log2 of the number of buckets (1..30, default 20). */
  bits?: number;
  /** Multiply each feature by a hashed sign, so collisions cancel in expectation (default false). */
  signed?: boolean;
  /** Add a constant feature (default true). */
  bias?: boolean;
  /** Seed of every hash (default 0). */
  seed?: number;
  /** Empty fields: their own token per column (default) or no feature at all. */
  missing?: 'token' | 'skip';
}

/** What a hasher needs to be rebuilt (saved beside a model's weights). */
export type HasherConfig = Required<Omit<HasherOptions, 'label'>> & { label: string | null };

/** One hashed example: features (idx, val) for k < n, and the label (0/1, or -1 when absent). */
export class HashedRow {
  idx: Int32Array;
  val: Float64Array;
  n = 0;
  label = -1;
  constructor(capacity: number) {
    this.idx = new Int32Array(capacity);
    this.val = new Float64Array(capacity);
  }
}

const KIND_SKIP = 0,
  KIND_LABEL = 1,
  KIND_CAT = 2,
  KIND_BIN = 3,
  KIND_VALUE = 4,
  KIND_LOG = 5;

// bin(x) of the integers 0..1023, the common case of counts, without a logarithm per field.
const SMALL_BINS = new Int32Array(1024);

export function binOf(x: number): number {
  if (x >= 0 && x < 1024 && x === Math.floor(x)) return SMALL_BINS[x]!;
  return binSlow(x);
}

function binSlow(x: number): number {
  if (x > 2) return 3 + Math.floor(Math.log(x) ** 2);
  if (x < -2) return -3 - Math.floor(Math.log(-x) ** 2);
  return Math.floor(x);
}

for (let i = 0; i < SMALL_BINS.length; i++) SMALL_BINS[i] = binSlow(i);

/** The hasher's per-column tables, as the WebAssembly fast path (fast.ts) copies them. */
export interface HasherTables {
  /** Per model column: 0 skip, 1 label, 2 categorical, 3 binned, 4 value, 5 log-valued. */
  kind: Uint8Array;
  ns: Int32Array;
  missingHash: Int32Array;
  pairA: Int32Array;
  pairB: Int32Array;
  biasHash: number;
  labelCol: number;
}

export class FeatureHasher {
  readonly config: HasherConfig;
  readonly mask: number;
  readonly numFeatures: number; // upper bound of features per row
  private readonly kind: Uint8Array;
  private readonly ns: Int32Array;
  private readonly missingHash: Int32Array;
  private readonly pairA: Int32Array;
  private readonly pairB: Int32Array;
  private readonly biasHash: number;
  private readonly labelCol: number;
  // Per-row scratch: the hash and value of each column (for the pairs), or "absent".
  private readonly colHash: Int32Array;
  private readonly colVal: Float64Array;
  private readonly colOn: Uint8Array;

  constructor(opts: HasherOptions) {
    const columns = opts.columns;
    if (!Array.isArray(columns) || columns.length === 0)
      throw new RangeError('FeatureHasher: columns must be a non-empty list of names');
    const bits = opts.bits ?? 20;
    if (!Number.isInteger(bits) || bits < 1 || bits > 30)
      throw new RangeError(`FeatureHasher: bits must be an integer in 1..30, got ${bits}`);
    const index = new Map<string, number>();
    columns.forEach((c, j) => {
      if (index.has(c)) throw new RangeError(`FeatureHasher: column '${columnText(c)}' appears twice`);
      index.set(c, j);
    });
    const col = (name: string, what: string): number => {
      const j = index.get(name);
      if (j === undefined)
        throw new RangeError(
          `FeatureHasher: ${what} column '${columnText(name)}' is not among the columns (${columnList(columns)})`,
        );
      return j;
    };
    this.config = {
      columns: [...columns],
      label: opts.label ?? null,
      numeric: [...(opts.numeric ?? [])],
      numericAs: opts.numericAs ?? 'bin',
      ignore: [...(opts.ignore ?? [])],
      quadratic: (opts.quadratic ?? []).map(([a, b]) => [a, b] as [string, string]),
      bits,
      signed: opts.signed ?? false,
      bias: opts.bias ?? true,
      seed: (opts.seed ?? 0) >>> 0,
      missing: opts.missing ?? 'token',
    };
    const c = this.config;
    if (!['bin', 'value', 'log'].includes(c.numericAs))
      throw new RangeError(`FeatureHasher: numericAs must be 'bin', 'value' or 'log', got '${c.numericAs}'`);
    if (c.missing !== 'token' && c.missing !== 'skip')
      throw new RangeError(`FeatureHasher: missing must be 'token' or 'skip', got '${c.missing}'`);
    const n = columns.length;
    this.mask = (2 ** bits - 1) | 0;
    this.kind = new Uint8Array(n).fill(KIND_CAT);
    this.labelCol = c.label === null ? -1 : col(c.label, 'label');
    if (this.labelCol >= 0) this.kind[this.labelCol] = KIND_LABEL;
    for (const name of c.numeric) {
      const j = col(name, 'numeric');
      if (j !== this.labelCol)
        this.kind[j] = c.numericAs === 'bin' ? KIND_BIN : c.numericAs === 'log' ? KIND_LOG : KIND_VALUE;
    }
    for (const name of c.ignore) {
      const j = col(name, 'ignored');
      if (j !== this.labelCol) this.kind[j] = KIND_SKIP;
    }
    this.ns = new Int32Array(n);
    this.missingHash = new Int32Array(n);
    for (let j = 0; j < n; j++) {
      this.ns[j] = murmur3(columns[j]!, c.seed);
      this.missingHash[j] = murmur3Bytes(new Uint8Array(0), 0, 0, this.ns[j]!);
    }
    this.pairA = new Int32Array(c.quadratic.length);
    this.pairB = new Int32Array(c.quadratic.length);
    c.quadratic.forEach(([a, b], p) => {
      this.pairA[p] = col(a, 'quadratic');
      this.pairB[p] = col(b, 'quadratic');
      for (const j of [this.pairA[p]!, this.pairB[p]!]) {
        if (this.kind[j] === KIND_LABEL || this.kind[j] === KIND_SKIP)
          throw new RangeError(`FeatureHasher: quadratic column '${columnText(columns[j]!)}' is the label or ignored`);
      }
    });
    this.biasHash = murmur3('^bias', c.seed);
    let feats = c.bias ? 1 : 0;
    for (let j = 0; j < n; j++) if (this.kind[j]! >= KIND_CAT) feats++;
    this.numFeatures = feats + c.quadratic.length;
    this.colHash = new Int32Array(n);
    this.colVal = new Float64Array(n);
    this.colOn = new Uint8Array(n);
  }

  /** The tables hashRow works from (shared, not copied: read only). */
  tables(): HasherTables {
    return {
      kind: this.kind,
      ns: this.ns,
      missingHash: this.missingHash,
      pairA: this.pairA,
      pairB: this.pairB,
      biasHash: this.biasHash,
      labelCol: this.labelCol,
    };
  }

  /** A row buffer big enough for this hasher. */
  newRow(): HashedRow {
    return new HashedRow(this.numFeatures);
  }

  /**
   * Hashes one row given as byte ranges `[starts[j], ends[j])` of `b`, j < columns.length.
   * Returns null, or a message saying which field was bad (the row is then unusable).
   * `needLabel` false lets a missing/empty label through (prediction).
   */
  hashRow(b: Uint8Array, starts: Int32Array, ends: Int32Array, out: HashedRow, needLabel = true): string | null {
    const kind = this.kind,
      ns = this.ns,
      colHash = this.colHash,
      colVal = this.colVal,
      colOn = this.colOn;
    const idx = out.idx,
      val = out.val,
      mask = this.mask,
      signed = this.config.signed,
      skipMissing = this.config.missing === 'skip';
    const ncol = kind.length;
    let k = 0;
    out.label = -1;
    for (let j = 0; j < ncol; j++) {
      const kj = kind[j]!;
      colOn[j] = 0;
      if (kj === KIND_SKIP) continue;
      const s = starts[j]!,
        e = ends[j]!;
      if (kj === KIND_LABEL) {
        if (s === e) {
          if (!needLabel) continue;
          return `missing label in column '${columnText(this.config.columns[j]!)}'`;
        }
        const y = parseLabel(b, s, e);
        if (y < 0)
          return (
            `bad label '${fieldText(b, s, e)}' in column '${columnText(this.config.columns[j]!)}' ` +
            `(expected 0/1 or -1/+1)`
          );
        out.label = y;
        continue;
      }
      let h: number,
        v = 1;
      if (s === e) {
        if (skipMissing) continue;
        h = this.missingHash[j]!;
      } else if (kj === KIND_CAT) {
        h = murmur3Bytes(b, s, e, ns[j]!) | 0;
      } else {
        const x = parseNumber(b, s, e);
        if (x !== x) return `bad number '${fieldText(b, s, e)}' in column '${columnText(this.config.columns[j]!)}'`;
        if (x === Infinity || x === -Infinity)
          return `number '${fieldText(b, s, e)}' in column '${columnText(this.config.columns[j]!)}' is not finite`;
        if (kj === KIND_VALUE && !(Math.abs(x) <= MAX_FEATURE_VALUE))
          return (
            `number '${fieldText(b, s, e)}' in column '${columnText(this.config.columns[j]!)}' is beyond ` +
            `+-2^53 (value-weighted features must stay finite through the update)`
          );
        if (kj === KIND_BIN) h = murmur3Int(binOf(x), ns[j]!) | 0;
        else {
          h = ns[j]!;
          v = kj === KIND_VALUE ? x : x >= 0 ? Math.log1p(x) : -Math.log1p(-x);
        }
      }
      colOn[j] = s === e ? 0 : 1;
      colHash[j] = h;
      colVal[j] = v;
      idx[k] = h & mask;
      val[k++] = signed && h < 0 ? -v : v;
    }
    if (needLabel && out.label < 0 && this.labelCol >= 0)
      return `missing label in column '${columnText(this.config.columns[this.labelCol]!)}'`;
    const pa = this.pairA,
      pb = this.pairB;
    for (let p = 0; p < pa.length; p++) {
      const a = pa[p]!,
        c = pb[p]!;
      if (!colOn[a] || !colOn[c]) continue;
      const h = hashPair(colHash[a]!, colHash[c]!) | 0;
      const v = colVal[a]! * colVal[c]!;
      idx[k] = h & mask;
      val[k++] = signed && h < 0 ? -v : v;
    }
    if (this.config.bias) {
      idx[k] = this.biasHash & mask;
      val[k++] = 1;
    }
    out.n = k;
    return null;
  }

  /**
   * Convenience for code that has values rather than bytes: one value per column (strings,
   * numbers, or null/undefined/'' for missing). Allocates; the streaming path uses hashRow.
   */
  hashValues(
    values: readonly (string | number | null | undefined)[],
    out: HashedRow = this.newRow(),
    needLabel = false,
  ): HashedRow {
    if (values.length !== this.kind.length)
      throw new RangeError(
        `FeatureHasher.hashValues: expected ${this.kind.length} values (one per column), got ${values.length}`,
      );
    const enc = new TextEncoder();
    const parts = values.map((v) => enc.encode(v === null || v === undefined ? '' : String(v)));
    const bytes = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    const starts = new Int32Array(parts.length),
      ends = new Int32Array(parts.length);
    let o = 0;
    parts.forEach((p, j) => {
      bytes.set(p, o);
      starts[j] = o;
      o += p.length;
      ends[j] = o;
    });
    const err = this.hashRow(bytes, starts, ends, out, needLabel);
    if (err) throw new RangeError(`FeatureHasher.hashValues: ${err}`);
    return out;
  }

  /** Same as hashValues from a record keyed by column name (absent keys are missing). */
  hashRecord(rec: Record<string, string | number | null | undefined>, out?: HashedRow, needLabel = false): HashedRow {
    return this.hashValues(
      this.config.columns.map((c) => rec[c]),
      out,
      needLabel,
    );
  }
}
