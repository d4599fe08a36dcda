/**
 * A small flag parser: every flag has a type, a default and one line of help; unknown flags
 * are rejected with the closest known name; `--help` and `--json` exist on every command.
 * Numbers are decimal (`1e-3`, `-2.5`; no hex, no `Infinity`), and a flag's declared range
 * (min/max, inclusive; above/below, exclusive) is checked here, so every out-of-range value
 * is a UsageError (exit code 2) naming the flag and its range, before any work starts.
 */
import { UsageError } from './errors.js';

export { EXIT, InputError, UsageError } from './errors.js';

export type FlagType = 'string' | 'number' | 'int' | 'boolean' | 'list';

export interface FlagSpec {
  type: FlagType;
  default?: string | number | boolean | string[];
  help: string;
  choices?: readonly string[];
  /** Inclusive bounds of a number or int flag. */
  min?: number;
  max?: number;
  /** Exclusive bounds (e.g. a learning rate: above 0). */
  above?: number;
  below?: number;
  /** The subcommands (`lm train`, `hash eval`: the first argument) that take this flag; absent: all. */
  only?: readonly string[];
  /**
   * An old name kept working: its value (times `scale`) is stored as flag `use`, and a note
   * naming `--use` goes to stderr. Shown apart in the help.
   */
  renamed?: { use: string; scale?: number };
}

export interface CommandIO {
  out: (s: string) => void; // stdout line
  err: (s: string) => void; // stderr line
  isTTY: boolean;
  /**
   * Progress redrawn in place on a terminal: written to stderr as given (control codes kept, no
   * newline added). Only called when isTTY; every other byte a command prints goes through out/err.
   */
  tty?: (s: string) => void;
  /** Width of the terminal, for redrawn lines. */
  columns?: number;
}

export interface Command {
  name: string;
  summary: string;
  /** e.g. 'RUN_DIR [RUN_DIR ...]' */
  positionals?: string;
  flags: Record<string, FlagSpec>;
  /** Extra help text (examples). */
  details?: string;
  run(opts: Record<string, any>, positionals: string[], io: CommandIO): Promise<number>;
  /** For a command whose flags depend on its first argument (`experiment NAME`): the command that parses the rest. */
  resolve?(argv: string[]): Promise<Command>;
  /**
   * Subcommands (the first argument) and the arguments each takes after its name (usage text);
   * each subcommand takes the flags whose `only` names it, and those without `only`.
   */
  subcommands?: Record<string, string>;
}

export const COMMON_FLAGS: Record<string, FlagSpec> = {
  help: { type: 'boolean', default: false, help: 'show this help and exit' },
  json: { type: 'boolean', default: false, help: 'print the final result as one JSON object on stdout' },
};

function levenshtein(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length]!;
}

export function closest(name: string, candidates: string[]): string | null {
  let best: string | null = null,
    bd = Infinity;
  for (const c of candidates) {
    const dd = levenshtein(name, c);
    if (dd < bd) {
      bd = dd;
      best = c;
    }
  }
  return best !== null && bd <= Math.max(2, Math.floor(name.length / 3)) ? best : null;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The range a number flag accepts, in words: "an integer in 1..4096", "a number > 0". */
export function rangeText(spec: FlagSpec): string {
  const what = spec.type === 'int' ? 'an integer' : 'a number';
  const lo = spec.min !== undefined ? `${spec.min}` : spec.above !== undefined ? `${spec.above}` : null;
  const hi = spec.max !== undefined ? `${spec.max}` : spec.below !== undefined ? `${spec.below}` : null;
  if (lo !== null && hi !== null) {
    if (spec.min !== undefined && spec.max !== undefined) return `${what} in ${lo}..${hi}`;
    return `${what} in ${spec.min !== undefined ? '[' : '('}${lo}, ${hi}${spec.max !== undefined ? ']' : ')'}`;
  }
  if (lo !== null) return `${what} ${spec.min !== undefined ? '>=' : '>'} ${lo}`;
  if (hi !== null) return `${what} ${spec.max !== undefined ? '<=' : '<'} ${hi}`;
  return what;
}

/** Throws a UsageError naming the flag and its range when `v` lies outside it. */
export function checkRange(name: string, spec: FlagSpec, v: number): void {
  const out =
    (spec.min !== undefined && !(v >= spec.min)) ||
    (spec.max !== undefined && !(v <= spec.max)) ||
    (spec.above !== undefined && !(v > spec.above)) ||
    (spec.below !== undefined && !(v < spec.below));
  if (out) throw new UsageError(`--${name} must be ${rangeText(spec)}, got ${v}`);
}

function convert(name: string, spec: FlagSpec, raw: string): unknown {
  switch (spec.type) {
    case 'number':
    case 'int': {
      const v = Number(raw);
      if (!DECIMAL.test(raw) || !Number.isFinite(v))
        throw new UsageError(
          `--${name} expects ${rangeText(spec)} (decimal, e.g. ` +
            `${spec.type === 'int' ? '100 or 1e4' : '0.01 or 1e-3'}), got '${raw}'`,
        );
      if (spec.type === 'int' && !Number.isSafeInteger(v))
        throw new UsageError(`--${name} expects ${rangeText(spec)}, got '${raw}'`);
      checkRange(name, spec, v);
      return v;
    }
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
    case 'boolean': {
      if (['true', '1', 'yes'].includes(raw)) return true;
      if (['false', '0', 'no'].includes(raw)) return false;
      throw new UsageError(`--${name} expects true or false, got '${raw}'`);
    }
    default:
      if (spec.choices && !spec.choices.includes(raw)) {
        throw new UsageError(`--${name} must be one of ${spec.choices.join(', ')}; got '${raw}'`);
      }
      return raw;
  }
}

/** Where a flag table belongs, for messages about flags of a sibling subcommand. */
export interface ParseContext {
  /** e.g. 'lm sample' */
  where: string;
  /** Every flag of the command family (`lm`), to say which subcommands a flag belongs to. */
  family: Record<string, FlagSpec>;
}

export function parseArgs(
  argv: string[],
  flags: Record<string, FlagSpec>,
  ctx?: ParseContext,
): { opts: Record<string, any>; positionals: string[]; notes: string[] } {
  const all = { ...COMMON_FLAGS, ...flags };
  const opts: Record<string, any> = {};
  for (const [k, s] of Object.entries(all)) if (s.default !== undefined) opts[camel(k)] = s.default;
  const positionals: string[] = [],
    notes: string[] = [];
  const live = Object.keys(all).filter((k) => !all[k]!.renamed);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a === '-h') {
      opts.help = true;
      continue;
    }
    if (!a.startsWith('--')) {
      if (a.startsWith('-') && a.length > 1 && Number.isNaN(Number(a)))
        throw new UsageError(`unknown option '${a}' (flags are spelled --name)`);
      positionals.push(a);
      continue;
    }
    let name = a.slice(2),
      value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const spec = all[name];
    if (!spec && name.startsWith('no-') && all[name.slice(3)]?.type === 'boolean') {
      opts[camel(name.slice(3))] = false;
      continue;
    }
    if (!spec) {
      const s = closest(name, live);
      const other = ctx?.family[name.startsWith('no-') && !ctx.family[name] ? name.slice(3) : name];
      if (ctx && other)
        throw new UsageError(
          `unknown flag --${name} for ${ctx.where}` +
            (other.only
              ? ` (it applies to ${other.only.map((c) => `${ctx.where.split(' ')[0]} ${c}`).join(', ')})`
              : '') +
            (s ? `; did you mean --${s}?` : ''),
        );
      throw new UsageError(`unknown option --${name}${s ? ` (did you mean --${s}?)` : ''}`);
    }
    if (spec.type === 'boolean' && value === undefined) {
      opts[camel(name)] = true;
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
    }
    const v = convert(name, spec, value);
    if (spec.renamed) {
      const { use, scale } = spec.renamed;
      opts[camel(use)] = scale !== undefined ? (v as number) * scale : v;
      notes.push(
        `--${name} is deprecated: use --${use}` +
          (scale !== undefined ? ` (--${name} ${value} = --${use} ${(v as number) * scale})` : ''),
      );
    } else opts[camel(name)] = v;
  }
  return { opts, positionals, notes };
}

/** The flags of `flags` whose value in `opts` is not their default (given on the command line, in effect). */
export function changedFlags(opts: Record<string, any>, flags: Record<string, FlagSpec>): string[] {
  return Object.entries(flags)
    .filter(([k, s]) => {
      const v = opts[camel(k)];
      return !s.renamed && v !== undefined && JSON.stringify(v) !== JSON.stringify(s.default);
    })
    .map(([k]) => k);
}

/** The command as one of its subcommands sees it: the flags of `sub` only. */
export function subcommand(cmd: Command, sub: string): Command {
  const flags = Object.fromEntries(Object.entries(cmd.flags).filter(([, s]) => !s.only || s.only.includes(sub)));
  const args = cmd.subcommands?.[sub];
  return { ...cmd, name: `${cmd.name} ${sub}`, positionals: args || undefined, flags, subcommands: undefined };
}

export function camel(s: string): string {
  return s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function metavar(s: FlagSpec): string {
  return s.type === 'list' ? 'A,B' : s.choices ? 'X' : s.type === 'string' ? 'S' : 'N';
}

export function helpText(prog: string, cmd: Command): string {
  const lines = [
    `Usage: ${prog} ${cmd.name}${cmd.positionals ? ' ' + cmd.positionals : ''} [options]`,
    '',
    cmd.summary,
    '',
    'Options:',
  ];
  const every = { ...flagsOf(cmd), ...COMMON_FLAGS };
  const all = Object.fromEntries(Object.entries(every).filter(([, s]) => !s.renamed));
  const old = Object.entries(every).filter(([, s]) => s.renamed);
  const left = (k: string, s: FlagSpec) => `  --${k}${s.type === 'boolean' ? '' : ` ${metavar(s)}`}`;
  const width = Math.max(...Object.entries(every).map(([k, s]) => left(k, s).length)) + 2;
  for (const [k, s] of Object.entries(all)) {
    const d = Array.isArray(s.default) ? s.default.join(',') : s.default;
    const dflt =
      s.type === 'boolean'
        ? s.default === true
          ? ` (default: on; --no-${k} to turn off)`
          : ''
        : d !== undefined && d !== ''
          ? ` (default: ${d})`
          : '';
    const ch = s.choices ? ` [${s.choices.join('|')}]` : '';
    const range =
      (s.type === 'int' || s.type === 'number') && [s.min, s.max, s.above, s.below].some((b) => b !== undefined)
        ? ` (${rangeText(s)})`
        : '';
    lines.push(`${left(k, s).padEnd(width)}${s.help}${ch}${range}${dflt}`);
  }
  if (old.length) {
    lines.push('', 'Old names (still accepted, with a note on stderr):');
    for (const [k, s] of old) {
      const { use, scale } = s.renamed!;
      lines.push(`${left(k, s).padEnd(width)}deprecated: use --${use}${scale !== undefined ? ` (x ${scale})` : ''}`);
    }
  }
  if (cmd.subcommands && Object.keys(cmd.subcommands).length)
    lines.push(
      '',
      `Each subcommand takes only its own flags: recur ${cmd.name} ` +
        `${Object.keys(cmd.subcommands).join('|')} --help lists them.`,
    );
  if (cmd.details) lines.push('', cmd.details);
  return lines.join('\n');
}

function flagsOf(cmd: Command): Record<string, FlagSpec> {
  return cmd.flags;
}
