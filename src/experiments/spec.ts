/**
 * The shape of one experiment of `recur experiment NAME` (the lecture's open questions): its
 * options (plain data: the CLI turns them into flags with defaults and help), a quick preset
 * (toy sizes, seconds: for tests and a first look), `run` (pure computation: seeded, budgets
 * in steps or multiply-adds, never seconds), the findings it draws from its own numbers, and
 * the report sections that show them. Core code: no I/O; data that lives in files is loaded
 * by the edge (src/cli/experiments/) and handed in as `data`.
 *
 * Adding an experiment = one file here exporting `experiment`, one line in registry.ts.
 */
import type { Finding, PageSection, Verdict } from '../report/page.js';

export type { Finding, Verdict };

/** A bad option value (the command line exits with code 2). */
export class OptionError extends RangeError {
  override name = 'OptionError';
}

/** Bad data handed to an experiment (the command line exits with code 3). */
export class DataError extends Error {
  override name = 'DataError';
}

/** Throws OptionError unless `ok`. */
export function check(ok: boolean, message: string): void {
  if (!ok) throw new OptionError(message);
}

/** One option (structurally a CLI FlagSpec). */
export interface OptionSpec {
  type: 'string' | 'number' | 'int' | 'boolean' | 'list';
  default?: string | number | boolean | string[];
  help: string;
  choices?: readonly string[];
}

export interface ExperimentIO {
  /** A progress line (stderr on the command line). */
  log(line: string): void;
}

/** What every experiment's result holds (results.json, --json). */
export interface ExperimentResult {
  experiment: string;
  title: string;
  question: string;
  options: Record<string, unknown>;
  findings: Finding[];
  /** What the budget counts and how much was spent, for the record. */
  budget: Record<string, unknown>;
  [k: string]: unknown;
}

export interface Experiment<R extends ExperimentResult = ExperimentResult> {
  name: string;
  title: string;
  /** The lecture's question, one sentence. */
  question: string;
  options: Record<string, OptionSpec>;
  /** Option values of the quick run (`--quick`): seconds, toy sizes. */
  quick: Record<string, unknown>;
  /** Checks the options before any data is loaded (throws OptionError); `run` checks them too. */
  validate?(o: Record<string, any>): void;
  run(o: Record<string, any>, io: ExperimentIO, data?: unknown): Promise<R>;
  /** The text printed on stdout (tables, findings). */
  text(r: R): string;
  /** The report's sections (charts, tables) after the findings. */
  sections(r: R): PageSection[];
}

/** The values of an experiment's own options, camel-cased as the CLI gives them. */
export function optionValues(o: Record<string, unknown>, spec: Record<string, OptionSpec>): Record<string, unknown> {
  const camel = (k: string) => k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  return Object.fromEntries(Object.keys(spec).map((k) => [camel(k), o[camel(k)]]));
}

/** The default option values, camel-cased (what the command line gives when no flag is set). */
export function optionDefaults(spec: Record<string, OptionSpec>): Record<string, unknown> {
  const camel = (k: string) => k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  return Object.fromEntries(
    Object.entries(spec)
      .filter(([, s]) => s.default !== undefined)
      .map(([k, s]) => [camel(k), s.default]),
  );
}

/** Mean of finite values (NaN when there are none). */
export function mean(xs: readonly number[]): number {
  const v = xs.filter(Number.isFinite);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
}

/** Sample standard deviation (0 for one value, NaN for none). */
export function std(xs: readonly number[]): number {
  const v = xs.filter(Number.isFinite);
  if (!v.length) return NaN;
  if (v.length === 1) return 0;
  const m = mean(v);
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
}

/**
 * Compares two sets of measurements (over seeds): 'yes' when every value of `a` beats every
 * value of `b` (ranges do not overlap), 'no' when every value of `b` beats every value of `a`,
 * 'inconclusive' when the ranges overlap or a side has no values. `higher` says which way is better.
 */
export function separated(a: readonly number[], b: readonly number[], higher = true): Verdict {
  const fa = a.filter(Number.isFinite),
    fb = b.filter(Number.isFinite);
  if (!fa.length || !fb.length) return 'inconclusive';
  const sgn = higher ? 1 : -1;
  const aMin = Math.min(...fa.map((x) => sgn * x)),
    aMax = Math.max(...fa.map((x) => sgn * x)),
    bMin = Math.min(...fb.map((x) => sgn * x)),
    bMax = Math.max(...fb.map((x) => sgn * x));
  if (aMin > bMax) return 'yes';
  if (bMin > aMax) return 'no';
  return 'inconclusive';
}

/** A short number for findings and tables. */
export function short(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(Math.max(0, digits - 1));
  return String(Number(v.toPrecision(digits)));
}

/** Aligned text table (markdown-compatible). */
export function textTable(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (c: string[]) => '| ' + c.map((x, i) => x.padEnd(w[i]!)).join(' | ') + ' |';
  return [line(head), '|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|', ...rows.map(line)].join('\n');
}

/** Findings as text lines. */
export function findingsText(fs: readonly Finding[]): string {
  return fs.map((f) => `[${f.verdict}] ${f.question} ${f.answer}`).join('\n');
}
