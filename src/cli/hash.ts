/**
 * `recur hash train|predict|eval FILE`: the hashing trick + online logistic regression over
 * CSV/TSV files larger than memory (FILE '-' reads stdin).
 *
 *   train:   stream FILE once (or --passes times) into FTRL-Proximal or AdaGrad logistic
 *            regression; VW-style progressive log-loss on stderr; --model saves a safetensors
 *            checkpoint; --test scores a second file at the end.
 *   predict: one probability per row (stdout or --output).
 *   eval:    log-loss and AUC of a saved model on a labelled file.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { type Command, type CommandIO, InputError, UsageError } from './args.js';
import { HashedLinearModel, type LearnerOptions } from '../hashing/model.js';
import { CsvError, delimiterFor, type CsvOptions } from '../node/csv.js';
import { trainStream, scoreStream, type Progress, type ScoreStats } from '../node/hashstream.js';
import { writeFileAtomic } from '../node/atomic.js';
import { checkFile, readInput } from '../node/files.js';
import { columnText } from '../hashing/featurehash.js';
import { checkMemory } from './memory.js';
import { SafetensorsError } from '../safetensors.js';

/** "I1..I13" -> I1, I2, ..., I13 (a shared prefix and an integer range); other names pass through. */
export function expandNames(list: string[]): string[] {
  const out: string[] = [];
  for (const item of list) {
    const m = /^(.*?)(\d+)\.\.\1?(\d+)$/.exec(item);
    if (!m) {
      out.push(item);
      continue;
    }
    const [, prefix, a, b] = m as unknown as [string, string, string, string];
    const lo = Number(a),
      hi = Number(b);
    if (hi < lo || hi - lo > 100000) throw new UsageError(`bad range '${item}' (expected e.g. I1..I13)`);
    for (let i = lo; i <= hi; i++) out.push(prefix + i);
  }
  return out;
}

function parsePairs(list: string[]): [string, string][] {
  return list.map((p) => {
    const parts = p.split(':');
    if (parts.length !== 2 || !parts[0] || !parts[1])
      throw new UsageError(`--quadratic expects pairs like C1:C14, got '${p}'`);
    return [parts[0], parts[1]];
  });
}

function csvOptions(o: Record<string, any>, path: string): CsvOptions {
  const d =
    o.delimiter === 'auto' ? delimiterFor(path) : o.delimiter === 'tab' || o.delimiter === '\\t' ? '\t' : o.delimiter;
  const columns = o.columns.length ? expandNames(o.columns) : undefined;
  if (!o.header && !columns)
    throw new UsageError('--no-header needs --columns NAME,NAME,... (ranges like I1..I13 allowed)');
  if (o.header && columns)
    throw new UsageError('--columns names the columns of a file without a header row; add --no-header');
  if (d.length !== 1 || d.charCodeAt(0) > 127 || d === '"' || d === '\n' || d === '\r')
    throw new UsageError(
      `--delimiter must be one ASCII character other than a quote or newline (or 'tab'), got ${JSON.stringify(d)}`,
    );
  return { delimiter: d, header: o.header, columns, strict: o.strict };
}

function learnerOptions(o: Record<string, any>): LearnerOptions {
  const kind = o.ftrl ? 'ftrl' : o.learner;
  const pick = (k: string) => (o[k] === undefined ? {} : { [k]: o[k] });
  if (kind === 'adagrad' && o.l1 !== undefined) throw new UsageError('--l1 applies to --learner ftrl only');
  return { kind, ...pick('alpha'), ...pick('beta'), ...pick('l1'), ...pick('l2') } as LearnerOptions;
}

/** Writes all of `text` to fd, waiting out EAGAIN on non-blocking pipes; false once the reader has gone (EPIPE). */
function writeAllSync(fd: number, text: string): boolean {
  const bytes = new TextEncoder().encode(text);
  let off = 0;
  while (off < bytes.length) {
    try {
      off += writeSync(fd, bytes, off, bytes.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') return false;
      if (code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
  return true;
}

function fmt(x: number, d = 4): string {
  return Number.isFinite(x) ? x.toFixed(d) : '-';
}

function loadModel(path: string | undefined): HashedLinearModel {
  if (!path) throw new UsageError('--model FILE is required (a model saved by `recur hash train --model FILE`)');
  try {
    // A plain Uint8Array view: Buffer's slice() does not copy, which decoders relying on slice() mind.
    return HashedLinearModel.fromSafetensors(readInput(path));
  } catch (e) {
    if (e instanceof SafetensorsError || e instanceof RangeError)
      throw new InputError(`cannot load model '${path}': ${(e as Error).message}`);
    throw e;
  }
}

function reportBad(io: CommandIO, what: string, s: { badRows: number; errors: string[] }): void {
  if (s.badRows === 0) return;
  io.err(`${what}: skipped ${s.badRows} malformed row${s.badRows === 1 ? '' : 's'}; first ${s.errors.length}:`);
  for (const e of s.errors) io.err(`  ${e}`);
}

/** Runs fn, turning CSV errors into exit code 3 (bad values of flags stay RangeErrors: exit 2). */
async function dataErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof CsvError) throw new InputError((e as Error).message);
    throw e;
  }
}

/** The columns the flags name must be in the file's header, which must not repeat a name (else exit 3). */
function checkColumns(o: Record<string, any>, columns: string[]): void {
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) throw new InputError(`the file names column '${columnText(c)}' twice`);
    seen.add(c);
  }
  const named: [string, string][] = [
    ['--label', o.label],
    ...expandNames(o.numeric).map((c): [string, string] => ['--numeric', c]),
    ...expandNames(o.ignore).map((c): [string, string] => ['--ignore', c]),
    ...parsePairs(o.quadratic).flatMap(([a, b]): [string, string][] => [
      ['--quadratic', a],
      ['--quadratic', b],
    ]),
  ];
  for (const [flag, c] of named)
    if (!seen.has(c))
      throw new InputError(
        `${flag} names column '${columnText(c)}', which the file does not have ` +
          `(its columns: ${columns.slice(0, 8).map(columnText).join(', ')}${columns.length > 8 ? ', ...' : ''})`,
      );
}

async function train(o: Record<string, any>, path: string, io: CommandIO): Promise<number> {
  const live = io.isTTY && !o.quiet;
  const csv = csvOptions(o, path);
  parsePairs(o.quadratic); // usage errors first
  if (o.holdoutPeriod === 1) throw new UsageError('--holdout-period must be 0 (none) or an integer >= 2, got 1');
  checkMemory(2 ** o.bits * 16 + 64 * 2 ** 20, `--bits ${o.bits}`, 'lower --bits (2^bits weights of 16 bytes each)');
  const make = (columns: string[]) => {
    checkColumns(o, columns);
    return new HashedLinearModel(
      {
        columns,
        label: o.label,
        numeric: expandNames(o.numeric),
        numericAs: o.numericAs,
        ignore: expandNames(o.ignore),
        quadratic: parsePairs(o.quadratic),
        bits: o.bits,
        signed: o.signed,
        bias: o.bias,
        seed: o.seed,
        missing: o.missing,
      },
      learnerOptions(o),
    );
  };
  if (!o.quiet)
    io.err(
      `${'average'.padStart(10)} ${'since'.padStart(10)} ${'rows'.padStart(12)} ` +
        `${'rows/s'.padStart(10)}\n${'loss'.padStart(10)} ${'last'.padStart(10)}`,
    );
  const onReport = (p: Progress) => {
    if (o.quiet) return;
    if (live) io.tty?.('\r\x1b[K');
    io.err(
      `${fmt(p.loss, 6).padStart(10)} ${fmt(p.sinceLast, 6).padStart(10)} ${String(p.rows).padStart(12)} ` +
        `${String(Math.round(p.rowsPerSec)).padStart(10)}${o.passes > 1 ? `  pass ${p.pass}` : ''}`,
    );
  };
  const onTick = live
    ? (p: Progress) =>
        io.tty?.(`\r\x1b[K  ${p.rows} rows  ${Math.round(p.rowsPerSec)} rows/s  progressive loss ${fmt(p.loss)}`)
    : undefined;
  // The model is built once the header (or --columns) gives the column names.
  const cpu0 = process.cpuUsage();
  const stats = await dataErrors(() =>
    trainStream(make, path, { csv, passes: o.passes, holdoutPeriod: o.holdoutPeriod, onReport, onTick, fast: o.fast }),
  );
  const cpu = process.cpuUsage(cpu0),
    cpuSeconds = (cpu.user + cpu.system) / 1e6;
  if (live) io.tty?.('\r\x1b[K');
  const m = stats.model;
  reportBad(io, 'train', stats);
  let test: ScoreStats | null = null;
  if (o.test) test = await dataErrors(() => scoreStream(m, o.test, csvOptions(o, o.test), undefined, o.fast));
  if (test) reportBad(io, 'test', test);
  if (o.model) writeFileAtomic(o.model, m.toSafetensors());
  else if (!o.quiet) io.err('recur hash train: note: the model was not saved (give --model FILE to keep it)');
  const result = {
    command: 'hash train',
    file: path,
    rows: stats.rows,
    fast_rows: stats.fastRows,
    bad_rows: stats.badRows,
    passes: stats.passes,
    seconds: stats.seconds,
    rows_per_sec: stats.rowsPerSec,
    cpu_seconds: cpuSeconds,
    rows_per_cpu_sec: stats.rows / cpuSeconds,
    progressive_loss: stats.progressiveLoss,
    holdout: o.holdoutPeriod ? { log_loss: stats.holdoutLoss, auc: stats.holdoutAuc } : null,
    test: test
      ? { file: o.test, rows: test.rows, log_loss: test.logLoss, auc: test.auc, rows_per_sec: test.rowsPerSec }
      : null,
    learner: { kind: m.learner.kind, ...m.learner.hyper() },
    fast: o.fast,
    features: m.hasher.numFeatures,
    model: o.model ?? null,
    errors: stats.errors,
    peak_rss_mib: process.resourceUsage().maxRSS / 1024,
  };
  if (o.json) io.out(JSON.stringify(result));
  else {
    io.out(
      `trained on ${stats.rows} rows in ${stats.seconds.toFixed(2)} s (${Math.round(stats.rowsPerSec)} ` +
        `rows/s), progressive log-loss ${fmt(stats.progressiveLoss)}`,
    );
    if (o.holdoutPeriod)
      io.out(
        `holdout (every ${o.holdoutPeriod}th row): log-loss ${fmt(stats.holdoutLoss)}  AUC ${fmt(stats.holdoutAuc)}`,
      );
    if (test) io.out(`test ${o.test}: ${test.rows} rows, log-loss ${fmt(test.logLoss)}  AUC ${fmt(test.auc)}`);
    if (o.model) io.out(`model saved to ${o.model}`);
  }
  return stats.rows > 0 ? 0 : 3;
}

async function predict(o: Record<string, any>, path: string, io: CommandIO, evalOnly: boolean): Promise<number> {
  const model = loadModel(o.model);
  const csv = csvOptions(o, path);
  if (!evalOnly && o.json && !o.output)
    throw new UsageError('with --json, predictions need --output FILE (stdout carries the JSON result)');
  // Predictions are written synchronously in 64 KiB pieces, so memory stays constant however
  // slow the reader of stdout is (an async stream would queue every unwritten line).
  const fd = evalOnly ? -1 : o.output ? openSync(o.output, 'w') : 1;
  let buf = '',
    closed = false;
  const flush = () => {
    if (buf && !closed) closed = !writeAllSync(fd, buf);
    buf = '';
  };
  let stats: ScoreStats;
  try {
    stats = await dataErrors(() =>
      scoreStream(
        model,
        path,
        csv,
        evalOnly
          ? undefined
          : (p) => {
              buf += p.toFixed(6) + '\n';
              if (buf.length > 1 << 16) flush();
            },
        o.fast,
      ),
    );
    flush();
  } finally {
    if (fd > 2) closeSync(fd);
  }
  reportBad(io, evalOnly ? 'eval' : 'predict', stats);
  if (evalOnly && stats.labelled === 0)
    throw new InputError(`eval: no labelled rows in ${path} (label column '${model.hasher.config.label}')`);
  const result = {
    command: evalOnly ? 'hash eval' : 'hash predict',
    file: path,
    rows: stats.rows,
    bad_rows: stats.badRows,
    seconds: stats.seconds,
    rows_per_sec: stats.rowsPerSec,
    log_loss: stats.labelled ? stats.logLoss : null,
    auc: stats.labelled ? stats.auc : null,
    output: evalOnly ? null : (o.output ?? '-'),
    errors: stats.errors,
    peak_rss_mib: process.resourceUsage().maxRSS / 1024,
  };
  if (o.json) io.out(JSON.stringify(result));
  else if (evalOnly)
    io.out(
      `${path}: ${stats.rows} rows, log-loss ${fmt(stats.logLoss)}  AUC ${fmt(stats.auc)}  ` +
        `(${Math.round(stats.rowsPerSec)} rows/s)`,
    );
  else if (!o.quiet)
    io.err(
      `predicted ${stats.rows} rows (${Math.round(stats.rowsPerSec)} ` +
        `rows/s)${stats.labelled ? `, log-loss ${fmt(stats.logLoss)}  AUC ${fmt(stats.auc)}` : ''}`,
    );
  return 0;
}

export const command: Command = {
  name: 'hash',
  summary: 'the hashing trick: streaming online logistic regression (FTRL, AdaGrad) over CSV larger than memory',
  positionals: 'train|predict|eval FILE',
  subcommands: { train: 'FILE', predict: 'FILE', eval: 'FILE' },
  flags: {
    label: { only: ['train'], type: 'string', default: 'label', help: 'label column (0/1 or -1/+1)' },
    bits: { only: ['train'], type: 'int', default: 20, min: 1, max: 30, help: 'log2 of the number of hash buckets' },
    learner: { only: ['train'], type: 'string', default: 'ftrl', choices: ['ftrl', 'adagrad'], help: 'online learner' },
    ftrl: { only: ['train'], type: 'boolean', default: false, help: 'shorthand for --learner ftrl' },
    alpha: { only: ['train'], type: 'number', above: 0, help: 'learning-rate scale (default 0.1)' },
    beta: { only: ['train'], type: 'number', min: 0, help: 'learning-rate smoothing (default 1)' },
    l1: { only: ['train'], type: 'number', min: 0, help: 'FTRL L1 strength (default 1)' },
    l2: { only: ['train'], type: 'number', min: 0, help: 'L2 strength (default 1 for FTRL, 0 for AdaGrad)' },
    passes: { only: ['train'], type: 'int', default: 1, min: 1, max: 10000, help: 'passes over the training file' },
    'holdout-period': {
      only: ['train'],
      type: 'int',
      default: 0,
      min: 0,
      help: 'hold out every k-th training row and report its loss/AUC (0 = off)',
    },
    numeric: {
      only: ['train'],
      type: 'list',
      default: [],
      help: 'numeric columns, e.g. I1..I13 (others are categorical)',
    },
    'numeric-as': {
      only: ['train'],
      type: 'string',
      default: 'bin',
      choices: ['bin', 'value', 'log'],
      help: 'numbers as log-binned tokens, value-weighted features, or weighted by sign(x) ln(1+|x|)',
    },
    ignore: { only: ['train'], type: 'list', default: [], help: 'columns to leave out' },
    quadratic: { only: ['train'], type: 'list', default: [], help: 'crossed column pairs, e.g. C1:C14,C6:C17 (VW -q)' },
    signed: {
      only: ['train'],
      type: 'boolean',
      default: false,
      help: 'hashed sign per feature (collisions cancel in expectation)',
    },
    bias: { only: ['train'], type: 'boolean', default: true, help: 'add a constant feature' },
    missing: {
      only: ['train'],
      type: 'string',
      default: 'token',
      choices: ['token', 'skip'],
      help: 'empty fields: own token per column, or no feature',
    },
    seed: { only: ['train'], type: 'int', default: 0, help: 'hash seed' },
    delimiter: { type: 'string', default: 'auto', help: "field separator: ',', 'tab', ';' ... (auto: tab for .tsv)" },
    header: { type: 'boolean', default: true, help: 'the first row names the columns (--no-header needs --columns)' },
    columns: { type: 'list', default: [], help: 'column names of a file without a header' },
    strict: {
      type: 'boolean',
      default: false,
      help: 'stop at the first malformed row (exit 3) instead of skipping it',
    },
    model: { type: 'string', help: 'model file (safetensors): written by train, read by predict/eval' },
    test: { only: ['train'], type: 'string', help: 'train: labelled file to score after training' },
    output: { only: ['predict'], type: 'string', help: 'predict: write probabilities here instead of stdout' },
    quiet: { only: ['train', 'predict'], type: 'boolean', default: false, help: 'no progress on stderr' },
    fast: {
      type: 'boolean',
      default: true,
      help: 'WebAssembly fast path for plain rows (off: the TypeScript reference path; same numbers)',
    },
  },
  details: [
    'Examples:',
    '  recur hash train data.csv --label label --bits 20 --ftrl --numeric I1..I13 --model ctr.safetensors ' +
      '--test test.csv',
    '  recur hash train data.csv --numeric I1..I13 --quadratic C1:C14,C6:C17 --passes 2 --holdout-period 10',
    '  recur hash predict new.csv --model ctr.safetensors --output p.txt',
    '  recur hash eval test.csv --model ctr.safetensors --json',
    'Malformed rows (wrong field count, bad label, bad number) are skipped and reported with line numbers; ' +
      '--strict stops instead.',
  ].join('\n'),
  async run(o, pos, io) {
    const [verb, file, ...extra] = pos;
    if (!verb || !['train', 'predict', 'eval'].includes(verb))
      throw new UsageError(
        `expected a verb: train, predict or eval; got ${verb ? `'${verb}'` : 'nothing'} (see recur hash --help)`,
      );
    if (!file) throw new UsageError(`recur hash ${verb} needs a FILE (a CSV/TSV path, or - for stdin)`);
    if (extra.length) throw new UsageError(`unexpected extra arguments: ${extra.join(' ')}`);
    if (file !== '-') checkFile(file);
    if (o.test) checkFile(o.test);
    if (verb === 'train') return train(o, file, io);
    return predict(o, file, io, verb === 'eval');
  },
};
