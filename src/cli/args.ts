/**
 * A small flag parser: every flag has a type, a default and one line of help; unknown flags
 * are rejected with the closest known name; `--help` and `--json` exist on every command.
 */
export type FlagType = 'string' | 'number' | 'int' | 'boolean' | 'list';

export interface FlagSpec {
  type: FlagType;
  default?: string | number | boolean | string[];
  help: string;
  choices?: readonly string[];
}

export interface CommandIO {
  out: (s: string) => void; // stdout line
  err: (s: string) => void; // stderr line
  isTTY: boolean;
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
  /** A command whose flags depend on its first argument (`experiment NAME`) returns the command that parses the rest. */
  resolve?(argv: string[]): Promise<Command>;
}

/** Exit codes that mean something. */
export const EXIT = { ok: 0, failure: 1, usage: 2, badInput: 3 } as const;

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Errors caused by the user's data or files (exit code 3). */
export class InputError extends Error {
  override name = 'InputError';
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

function convert(name: string, spec: FlagSpec, raw: string): unknown {
  switch (spec.type) {
    case 'number': {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--${name} expects a number, got '${raw}'`);
      return v;
    }
    case 'int': {
      const v = Number(raw);
      if (!Number.isInteger(v)) throw new UsageError(`--${name} expects an integer, got '${raw}'`);
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

export function parseArgs(
  argv: string[],
  flags: Record<string, FlagSpec>,
): { opts: Record<string, any>; positionals: string[] } {
  const all = { ...COMMON_FLAGS, ...flags };
  const opts: Record<string, any> = {};
  for (const [k, s] of Object.entries(all)) if (s.default !== undefined) opts[camel(k)] = s.default;
  const positionals: string[] = [];
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
      const s = closest(name, Object.keys(all));
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
    opts[camel(name)] = convert(name, spec, value);
  }
  return { opts, positionals };
}

export function camel(s: string): string {
  return s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function helpText(prog: string, cmd: Command): string {
  const lines = [
    `Usage: ${prog} ${cmd.name}${cmd.positionals ? ' ' + cmd.positionals : ''} [options]`,
    '',
    cmd.summary,
    '',
    'Options:',
  ];
  const all = { ...flagsOf(cmd), ...COMMON_FLAGS };
  const left = (k: string, s: FlagSpec) =>
    `  --${k}${s.type === 'boolean' ? '' : ` ${s.type === 'list' ? 'A,B' : s.choices ? 'X' : s.type === 'string' ? 'S' : 'N'}`}`;
  const width = Math.max(...Object.entries(all).map(([k, s]) => left(k, s).length)) + 2;
  for (const [k, s] of Object.entries(all)) {
    const dflt =
      s.default !== undefined && s.type !== 'boolean'
        ? ` (default: ${Array.isArray(s.default) ? s.default.join(',') : s.default})`
        : '';
    const ch = s.choices ? ` [${s.choices.join('|')}]` : '';
    lines.push(`${left(k, s).padEnd(width)}${s.help}${ch}${dflt}`);
  }
  if (cmd.details) lines.push('', cmd.details);
  return lines.join('\n');
}

function flagsOf(cmd: Command): Record<string, FlagSpec> {
  return cmd.flags;
}
