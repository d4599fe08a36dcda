/**
 * Training and scoring a hashed linear model over CSV files at disk speed, in constant memory:
 *
 *   file --(CsvReader: byte ranges)--> FeatureHasher.hashRow --(idx, val)--> learner.learn
 *
 * Nothing per row is allocated: the reader reuses its buffer and offset arrays, the hasher one
 * HashedRow, the learner its scratch. Where WebAssembly SIMD runs, plain rows skip the middle
 * of that pipeline: the reader's buffer lies in the fast path's memory, which splits, hashes
 * and learns in one pass with the same numbers (src/hashing/fast.ts). Progressive validation (VW's
 * "average loss") scores each
 * training row before learning from it; a holdout period keeps every k-th row out of training
 * and scores it instead. Columns are matched to the model by name, so a file may order them
 * differently or (for prediction) lack the label column.
 */
import { CsvReader, CsvError, streamCsv, type CsvOptions } from './csv.js';
import type { HashedLinearModel } from '../hashing/model.js';
import { columnText, type FeatureHasher, type HashedRow } from '../hashing/featurehash.js';
import { LogLossMeter, AucMeter, logLossOne } from '../hashing/metrics.js';
import type { OnlineLearner } from '../hashing/learner.js';
import { HashFastPath, type ScoredRows } from '../hashing/fast.js';

export interface Progress {
  pass: number;
  rows: number; // rows seen in this pass (trained + held out)
  loss: number; // progressive log-loss since the start of the pass
  sinceLast: number; // progressive log-loss since the previous report
  rowsPerSec: number;
  seconds: number;
}

export interface TrainStreamOptions {
  csv?: CsvOptions;
  passes?: number;
  /** Every k-th row (k > 1) is held out: scored, not learned (0 = none). */
  holdoutPeriod?: number;
  /** Called at 1, 2, 4, 8, ... rows of each pass (VW's schedule). */
  onReport?: (p: Progress) => void;
  /** Called about every `tickSeconds` (for a live status line). */
  onTick?: (p: Progress) => void;
  tickSeconds?: number;
  /** Use the WebAssembly fast path where it runs (default true; false: the TypeScript reference path). */
  fast?: boolean;
}

export interface StreamStats {
  rows: number;
  /** Rows that took the WebAssembly fast path (the rest took the TypeScript path). */
  fastRows: number;
  badRows: number;
  errors: string[];
  seconds: number;
  rowsPerSec: number;
}

export interface TrainStats extends StreamStats {
  passes: number;
  /** Progressive log-loss of the first pass (each row scored before training on it). */
  progressiveLoss: number;
  /** Log-loss / AUC over held-out rows of the last pass (NaN without a holdout). */
  holdoutLoss: number;
  holdoutAuc: number;
}

export interface ScoreStats extends StreamStats {
  logLoss: number; // NaN when the file has no labels
  auc: number;
  labelled: number;
}

/** Maps the file's columns onto the model's: perm[modelCol] = fileCol, or -1 (label absent). */
function columnMap(model: HashedLinearModel, fileCols: string[], needLabel: boolean): Int32Array | null {
  const want = model.hasher.config.columns,
    label = model.hasher.config.label;
  const at = new Map(fileCols.map((c, j) => [c, j]));
  const perm = new Int32Array(want.length);
  let same = want.length === fileCols.length;
  want.forEach((c, j) => {
    const f = at.get(c);
    if (f === undefined) {
      if (c === label && !needLabel) {
        perm[j] = -1;
        same = false;
        return;
      }
      throw new CsvError(
        `the file has no column '${columnText(c)}', which the model ${c === label ? 'needs as its label' : 'uses'} ` +
          `(file columns: ${fileCols.slice(0, 8).map(columnText).join(', ')}${fileCols.length > 8 ? ', ...' : ''})`,
      );
    }
    perm[j] = f;
    if (f !== j) same = false;
  });
  return same ? null : perm;
}

/** How a stream uses its rows: what eachRow needs beyond the sink. */
interface StreamMode {
  needLabel: boolean;
  /** Train (predict, then update) or only predict. */
  learn: boolean;
  /** Every period-th delivered row is predicted only (0 = none). */
  period: number;
  /** Use the WebAssembly fast path where it runs (false: the TypeScript path for every row). */
  fast: boolean;
}

/**
 * Wires reader -> hasher -> learner for every well-formed row and hands (p, label, line) to
 * the sink. Plain rows go through the WebAssembly fast path when it runs (same numbers, see
 * src/hashing/fast.ts); the others, and all rows without it, through hashRow + learn/predict.
 * Returns the reader (for its counts) once the stream has ended.
 */
async function eachRow(
  path: string,
  modelFor: (columns: string[]) => HashedLinearModel,
  csv: CsvOptions,
  mode: StreamMode,
  sink: ScoredRows,
): Promise<{ reader: CsvReader; fastRows: number }> {
  const reader = new CsvReader(csv);
  let hasher: FeatureHasher | null = null,
    row: HashedRow | null = null,
    perm: Int32Array | null = null,
    learner: OnlineLearner | null = null;
  let ms = new Int32Array(0),
    me = new Int32Array(0),
    fast: HashFastPath | null = null;
  const { needLabel, learn, period } = mode;
  const wire = (cols: string[]) => {
    const model = modelFor(cols);
    hasher = model.hasher;
    row = hasher.newRow();
    learner = model.learner;
    perm = columnMap(model, cols, needLabel);
    ms = new Int32Array(hasher.config.columns.length);
    me = new Int32Array(hasher.config.columns.length);
    if (!mode.fast) return;
    fast = HashFastPath.open(hasher, learner, {
      fileColumns: cols.length,
      perm,
      delimiter: csv.delimiter ?? ',',
      needLabel,
      learn,
      period,
    });
    if (!fast) return;
    const f = fast.into(sink);
    reader.useBuffers((n) => f.buffer(n));
    reader.fast = f;
  };
  if (reader.columns) wire(reader.columns);
  reader.onHeader = wire;
  reader.onRow = (b, starts, ends, line) => {
    let s = starts,
      e = ends;
    if (perm !== null) {
      const p: Int32Array = perm;
      for (let j = 0; j < p.length; j++) {
        const f = p[j]!;
        if (f < 0) {
          ms[j] = 0;
          me[j] = 0;
        } else {
          ms[j] = starts[f]!;
          me[j] = ends[f]!;
        }
      }
      s = ms;
      e = me;
    }
    const r = row!,
      lr = learner!;
    const err = hasher!.hashRow(b, s, e, r, needLabel);
    if (err !== null) {
      reader.reject(err, line);
      return;
    }
    const held = !learn || (period > 0 && (sink.seen + 1) % period === 0);
    sink.row(held ? lr.predict(r.idx, r.val, r.n) : lr.learn(r.idx, r.val, r.n, r.label), r.label, line);
  };
  try {
    await streamCsv(path, reader);
  } finally {
    (fast as HashFastPath | null)?.close();
  }
  return { reader, fastRows: (fast as HashFastPath | null)?.rows ?? 0 };
}

/**
 * Trains on the CSV at `path` ('-' = stdin, one pass only). `model` may be a function of the
 * file's column names (called once the header is read) that builds the model.
 */
export async function trainStream(
  model: HashedLinearModel | ((columns: string[]) => HashedLinearModel),
  path: string,
  opts: TrainStreamOptions = {},
): Promise<TrainStats & { model: HashedLinearModel }> {
  const passes = opts.passes ?? 1,
    period = opts.holdoutPeriod ?? 0;
  if (!Number.isInteger(passes) || passes < 1) throw new RangeError(`passes must be a positive integer, got ${passes}`);
  if (passes > 1 && path === '-') throw new RangeError('several passes need a file, not stdin');
  if (!Number.isInteger(period) || period < 0 || period === 1)
    throw new RangeError(`holdoutPeriod must be 0 (none) or an integer >= 2, got ${period}`);
  let built: HashedLinearModel | null = typeof model === 'function' ? null : model;
  const modelFor = (cols: string[]) => (built ??= (model as (c: string[]) => HashedLinearModel)(cols));
  const t0 = performance.now();
  const tickMs = (opts.tickSeconds ?? 0.5) * 1000;
  let fastAll = 0;
  let progressive = NaN,
    holdout = new LogLossMeter(),
    holdAuc = new AucMeter(),
    rowsAll = 0,
    bad = 0,
    errors: string[] = [];
  for (let pass = 1; pass <= passes; pass++) {
    const prog = new LogLossMeter();
    holdout = new LogLossMeter();
    holdAuc = new AucMeter();
    let seen = 0,
      nextReport = 1,
      lastSum = 0,
      lastCount = 0,
      nextTick = 1 << 14,
      lastTick = performance.now();
    const tp = performance.now();
    const progress = (): Progress => {
      const sec = (performance.now() - tp) / 1000;
      return {
        pass,
        rows: seen,
        loss: prog.value,
        sinceLast: (prog.sum - lastSum) / Math.max(1, prog.count - lastCount),
        rowsPerSec: seen / Math.max(sec, 1e-9),
        seconds: sec,
      };
    };
    let m: HashedLinearModel | null = null;
    const sink: ScoredRows = {
      seen: 0,
      row(p, label) {
        seen = ++this.seen;
        if (period > 0 && seen % period === 0) {
          holdout.add(p, label);
          holdAuc.add(p, label);
        } else {
          prog.sum += logLossOne(p, label);
          prog.count++;
          m!.rows++;
        }
        if (seen === nextReport) {
          nextReport *= 2;
          opts.onReport?.(progress());
          lastSum = prog.sum;
          lastCount = prog.count;
        }
        if (seen === nextTick && opts.onTick) {
          nextTick += 1 << 14;
          const now = performance.now();
          if (now - lastTick >= tickMs) {
            lastTick = now;
            opts.onTick(progress());
          }
        }
      },
    };
    const { reader, fastRows } = await eachRow(
      path,
      (cols) => (m = modelFor(cols)),
      opts.csv ?? {},
      { needLabel: true, learn: true, period, fast: opts.fast ?? true },
      sink,
    );
    fastAll += fastRows;
    if (seen !== nextReport / 2 && seen > 0) opts.onReport?.(progress());
    if (pass === 1) {
      progressive = prog.value;
      bad = reader.badRows;
      errors = reader.errors;
    }
    rowsAll += seen;
  }
  const seconds = (performance.now() - t0) / 1000;
  if (!built) throw new CsvError(`no header row in ${path === '-' ? 'stdin' : path}`);
  return {
    model: built,
    rows: rowsAll,
    fastRows: fastAll,
    badRows: bad,
    errors,
    seconds,
    rowsPerSec: rowsAll / seconds,
    passes,
    progressiveLoss: progressive,
    holdoutLoss: holdout.value,
    holdoutAuc: holdAuc.value,
  };
}

/**
 * Scores the CSV at `path`: calls `onPrediction(p, label, line)` per row (label -1 when the
 * file has none) and returns log-loss and AUC over the labelled rows.
 */
export async function scoreStream(
  model: HashedLinearModel,
  path: string,
  csv: CsvOptions = {},
  onPrediction?: (p: number, label: number, line: number) => void,
  fast = true,
): Promise<ScoreStats> {
  const t0 = performance.now(),
    ll = new LogLossMeter(),
    am = new AucMeter();
  const sink: ScoredRows = {
    seen: 0,
    row(p, label, line) {
      this.seen++;
      if (label >= 0) {
        ll.add(p, label);
        am.add(p, label);
      }
      onPrediction?.(p, label, line);
    },
  };
  const { reader, fastRows } = await eachRow(
    path,
    () => model,
    csv,
    { needLabel: false, learn: false, period: 0, fast },
    sink,
  );
  const rows = sink.seen;
  const seconds = (performance.now() - t0) / 1000;
  return {
    rows,
    fastRows,
    badRows: reader.badRows,
    errors: reader.errors,
    seconds,
    rowsPerSec: rows / seconds,
    logLoss: ll.value,
    auc: am.value,
    labelled: ll.count,
  };
}
