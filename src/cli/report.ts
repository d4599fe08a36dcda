/**
 * `recur report RUN_DIR [RUN_DIR ...] --out report.html`: one self-contained HTML file showing
 * the runs side by side (src/report/). A run folder holds config.json, metrics.jsonl,
 * result.json and optionally samples.jsonl (language models) and forecast.json (reservoirs);
 * an experiment folder holds results.json and one run folder per model, which are included.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Command } from './args.js';
import { InputError, UsageError } from './args.js';
import { RunDir } from '../node/rundir.js';
import { writeFileAtomic } from '../node/atomic.js';
import { type RunData, buildReport } from '../report/report.js';

const RUN_FILES = ['config.json', 'metrics.jsonl', 'result.json'];

function readJSONFile(dir: RunDir, name: string): unknown {
  try {
    return JSON.parse(readFileSync(dir.file(name), 'utf8'));
  } catch (e) {
    throw new InputError(`${dir.file(name)}: not valid JSON (${(e as Error).message})`);
  }
}

function readJSONLines(dir: RunDir, name: string): Record<string, unknown>[] {
  return readFileSync(dir.file(name), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        const v = JSON.parse(l);
        return v && typeof v === 'object' ? [v as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
}

function obj(v: unknown, what: string): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw new InputError(`${what}: expected a JSON object, got ${Array.isArray(v) ? 'an array' : typeof v}`);
  return v as Record<string, unknown>;
}

/** Reads one run folder (null when it holds none of the run files). */
export function readRun(path: string, name = basename(path)): RunData | null {
  const dir = RunDir.open(path);
  if (!RUN_FILES.some((f) => dir.has(f))) return null;
  return {
    name,
    config: dir.has('config.json') ? obj(readJSONFile(dir, 'config.json'), dir.file('config.json')) : undefined,
    result: dir.has('result.json') ? obj(readJSONFile(dir, 'result.json'), dir.file('result.json')) : undefined,
    metrics: dir.readMetrics(),
    samples: dir.has('samples.jsonl') ? readJSONLines(dir, 'samples.jsonl') : undefined,
    forecast: dir.has('forecast.json') ? obj(readJSONFile(dir, 'forecast.json'), dir.file('forecast.json')) : undefined,
    scores: dir.has('metrics.json') ? obj(readJSONFile(dir, 'metrics.json'), dir.file('metrics.json')) : undefined,
  };
}

/** Why `path` is not a run or experiment folder (null when it is one). */
export function notRunFolder(path: string): string | null {
  if (!existsSync(path)) return `'${path}' does not exist`;
  if (!statSync(path).isDirectory())
    return `'${path}' is a file, not a run folder (a run folder holds ${RUN_FILES.join(', ')})`;
  const has = (f: string) => existsSync(join(path, f));
  if (!RUN_FILES.some(has) && !has('results.json'))
    return `'${path}' is not a run folder: it holds none of ${RUN_FILES.join(', ')} (or results.json)`;
  return null;
}

/** A run folder, or an experiment folder (results.json + run sub-folders, included up to `maxRuns`). */
export function readRuns(path: string, maxRuns: number): RunData[] {
  const dir = RunDir.open(path);
  const run = readRun(path);
  if (!dir.has('results.json')) {
    if (!run)
      throw new InputError(
        `'${path}' holds no run: expected ${RUN_FILES.join(', ')} (a run folder) or results.json (an ` +
          `experiment folder)`,
      );
    return [run];
  }
  const res = readJSONFile(dir, 'results.json');
  const rows = Array.isArray(res)
    ? res
    : Array.isArray((res as { rows?: unknown })?.rows)
      ? (res as { rows: unknown[] }).rows
      : null;
  if (!rows && dir.has('report.html') && typeof (res as { experiment?: unknown })?.experiment === 'string')
    throw new InputError(
      `'${path}' is a run of 'recur experiment ${(res as { experiment: string }).experiment}': ` +
        `its report is ${dir.file('report.html')}`,
    );
  if (!rows) throw new InputError(`${dir.file('results.json')}: expected an array of rows or { rows: [...] }`);
  const exp: RunData = {
    ...(run ?? { name: basename(path), metrics: [] }),
    experiment: rows.filter((r): r is Record<string, unknown> => !!r && typeof r === 'object'),
  };
  const subs = readdirSync(path)
    .sort()
    .filter((f) => statSync(join(path, f)).isDirectory() && RUN_FILES.some((r) => RunDir.open(join(path, f)).has(r)));
  const included =
    subs.length <= maxRuns ? subs.map((f) => readRun(join(path, f), `${basename(path)}/${f}`)!).filter(Boolean) : [];
  return [exp, ...included];
}

export const command: Command = {
  name: 'report',
  summary: 'write one self-contained HTML report of training runs, side by side',
  positionals: 'RUN_DIR [RUN_DIR ...]',
  flags: {
    out: { type: 'string', default: 'report.html', help: 'HTML file to write' },
    title: { type: 'string', help: 'report title (default: the run names)' },
    'max-runs': {
      type: 'int',
      default: 12,
      min: 0,
      max: 10000,
      help: "include an experiment folder's runs when there are at most this many",
    },
  },
  details:
    'Examples:\n  recur report runs/lstm-adding --out lstm.html\n' +
    '  recur report runs/start/*   (a glob: files in the folder are skipped, with a note)\n' +
    '  recur report runs/pascanu --out pascanu.html   (an experiment folder: its table, and its runs when few)',
  async run(o, pos, io) {
    if (!pos.length) throw new UsageError('give at least one run folder: recur report RUN_DIR [RUN_DIR ...]');
    if (!(o.maxRuns >= 0)) throw new UsageError(`--max-runs must be >= 0, got ${o.maxRuns}`);
    // A shell glob (runs/start/*) also names the experiment's files: skip what is not a run folder, saying so.
    const runs: RunData[] = [],
      skipped: string[] = [];
    for (const p of pos) {
      const why = notRunFolder(p);
      if (why === null) runs.push(...readRuns(p, o.maxRuns));
      else if (pos.length === 1) throw new InputError(why);
      else skipped.push(why);
    }
    if (skipped.length) io.err(`recur report: skipped ${skipped.length}: ${skipped.join('; ')}`);
    if (!runs.length) throw new InputError(`none of the ${pos.length} paths is a run folder`);
    const html = buildReport(runs, {
      title: o.title,
      subtitle: `${runs.length} run${runs.length === 1 ? '' : 's'}; made by recur report ${pos.join(' ')}`,
    });
    mkdirSync(dirname(o.out), { recursive: true });
    writeFileAtomic(o.out, html);
    const res = { out: o.out, runs: runs.map((r) => r.name), bytes: Buffer.byteLength(html) };
    if (o.json) io.out(JSON.stringify(res));
    else
      io.out(
        `wrote ${o.out} (${runs.length} run${runs.length === 1 ? '' : 's'}, ${(res.bytes / 1024).toFixed(0)} KiB)`,
      );
    return 0;
  },
};
