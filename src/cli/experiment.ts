/**
 * `recur experiment lecture|pascanu`: the lecture's experiments, several models trained side
 * by side (one process per core), a printed table and results.json in the run folder.
 *
 * lecture: on the adding problem and temporal order at one T, the five classic models:
 *   a) tanh-RNN, SGD + momentum, no clipping        b) tanh-RNN + clipping + orthogonal init
 *   c) IRNN (ReLU + identity init, Le et al. 2015)  d) LSTM (Adam, forget bias 1)   e) GRU (Adam)
 * pascanu: tanh-RNNs with SGD vs SGD + clipping over several T and seeds (Pascanu et al. 2013).
 */
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import type { Command, CommandIO, FlagSpec } from './args.js';
import { UsageError, camel } from './args.js';
import { successTable, successText } from '../report/tables.js';
import { conclusions, criterion, lectureText, verdict } from '../report/verdicts.js';
import { buildReport } from '../report/report.js';
import { RunDir } from '../node/rundir.js';
import { writeFileAtomic } from '../node/atomic.js';
import { runAll } from '../node/jobs.js';
import { EXPERIMENTS } from '../experiments/registry.js';
import { experimentCommand } from './experiments/run.js';
import { LiveRuns, type RunProgress } from './progress.js';
import { readRuns } from './report.js';
import { snakeKeys } from './json.js';

interface ModelSpec {
  id: string;
  label: string;
  args: string[];
}

export const LECTURE_MODELS: ModelSpec[] = [
  {
    id: 'a',
    label: 'tanh-RNN',
    args: ['--cell', 'rnn', '--nonlinearity', 'tanh', '--optimizer', 'sgd', '--lr', '0.01', '--momentum', '0.9'],
  },
  {
    id: 'b',
    label: 'tanh-RNN + clip + orth',
    args: [
      ...['--cell', 'rnn', '--nonlinearity', 'tanh', '--init', 'orthogonal'],
      ...['--optimizer', 'sgd', '--lr', '0.01', '--momentum', '0.9', '--clip', '1'],
    ],
  },
  {
    id: 'c',
    label: 'IRNN',
    args: [
      ...['--cell', 'rnn', '--nonlinearity', 'relu', '--init', 'identity'],
      ...['--optimizer', 'sgd', '--lr', '0.001', '--momentum', '0.9', '--clip', '1'],
    ],
  },
  {
    id: 'd',
    label: 'LSTM',
    args: ['--cell', 'lstm', '--optimizer', 'adam', '--lr', '0.001', '--clip', '1', '--forget-bias', '1'],
  },
  { id: 'e', label: 'GRU', args: ['--cell', 'gru', '--optimizer', 'adam', '--lr', '0.001', '--clip', '1'] },
];

/** Cost of a step relative to the tanh-RNN's (measured: bench train), to start the longest runs first. */
const STEP_COST: Record<string, number> = { a: 1, b: 1, c: 1, d: 3.5, e: 2.8 };

export interface ExperimentRow {
  task: string;
  T: number;
  model: string;
  seed: number;
  [k: string]: unknown;
}

/** One task of the lecture: its sequence length and the step budget of every model on it. */
export interface LecturePart {
  task: string;
  T: number;
  steps: number;
}

/** The training arguments of one lecture run (IRNN's learning rate per task, as the protocol picked it). */
export function lectureArgs(o: Record<string, any>, part: LecturePart, m: ModelSpec, out: string): string[] {
  const args = [
    ...['train', '--task', part.task, '--T', String(part.T), '--hidden', String(o.hidden), '--batch', String(o.batch)],
    ...['--steps', String(part.steps), '--seed', String(o.seed), '--eval-every', String(o.evalEvery)],
    ...['--eval-n', String(o.evalN), '--final-eval-n', String(o.finalEvalN), '--diag-every', String(o.diagEvery)],
    ...['--checkpoint-every', '0', '--threads', '1', '--label', m.label, '--progress', 'json'],
    ...(o.maxSeconds > 0 ? ['--max-seconds', String(o.maxSeconds)] : []),
    ...m.args,
    ...(o.backend ? ['--backend', o.backend] : []),
    ...['--out', out, '--force'],
  ];
  // learn.md: lr 1e-3 (adding) and 1e-4 (order), picked on held-out data at T=100.
  if (m.id === 'c' && part.task === 'order') args[args.indexOf('0.001')] = '0.0001';
  return args;
}

/**
 * Trains the chosen models on each part, runs side by side (one single-threaded process per
 * core, longest first), live progress on stderr; writes results.json and returns the rows.
 */
export async function lecture(
  o: Record<string, any>,
  io: CommandIO,
  parts: LecturePart[],
): Promise<{ rows: ExperimentRow[]; dir: string; seconds: number; parallel: number }> {
  const dir = o.out ?? 'runs/lecture';
  const models = LECTURE_MODELS.filter((m) => (o.models as string[]).includes(m.id));
  if (!models.length) throw new UsageError(`--models must name some of a,b,c,d,e`);
  for (const p of parts) {
    if (!['adding', 'order'].includes(p.task))
      throw new UsageError(`lecture tasks are adding and order, got ${p.task}`);
    if (!(Number.isInteger(p.T) && p.T >= 10)) throw new UsageError(`--T must be an integer >= 10, got ${p.T}`);
    if (!(Number.isInteger(p.steps) && p.steps >= 1)) throw new UsageError(`--steps must be >= 1, got ${p.steps}`);
  }
  for (const k of ['evalEvery', 'evalN', 'finalEvalN', 'diagEvery'] as const)
    if (!(Number.isInteger(o[k]) && o[k] >= 0)) throw new UsageError(`--${kebab(k)} must be >= 0, got ${o[k]}`);
  // Runs x threads never exceed the cores: each run has one thread, so at most one run per core.
  const cores = availableParallelism();
  if (!(Number.isInteger(o.parallel) && o.parallel >= 1))
    throw new UsageError(`--parallel must be >= 1, got ${o.parallel}`);
  const parallel = Math.min(o.parallel, cores);
  const run = RunDir.create(dir);
  const jobs: string[][] = [],
    meta: ExperimentRow[] = [],
    cost: number[] = [];
  for (const part of parts) {
    for (const m of models) {
      jobs.push(lectureArgs(o, part, m, join(dir, `${part.task}-${m.id}`)));
      meta.push({
        task: part.task,
        T: part.T,
        model: `${m.id}) ${m.label}`,
        model_id: m.id,
        label: m.label,
        budget: part.steps,
        seed: o.seed,
      });
      cost.push(part.steps * part.T * STEP_COST[m.id]!);
    }
  }
  run.writeJSON('config.json', { experiment: 'lecture', options: snakeKeys(o), parts, jobs });
  if (!o.json)
    io.out(
      `lecture experiment: ${jobs.length} runs, ${parallel} at a time (one thread each; ${cores} cores), ` +
        parts.map((p) => `${p.task} T=${p.T} for up to ${p.steps.toLocaleString('en-US')} steps`).join(', ') +
        ` (run folder ${dir})` +
        (o.parallel > cores ? `; --parallel ${o.parallel} capped at the ${cores} cores` : ''),
    );
  const live = o.json
    ? null
    : new LiveRuns(
        io,
        meta.map((m) => `${m.task} T=${m.T} ${m.label}`),
        (i) => (meta[i]!.task === 'adding' ? 'mse' : 'wrong'),
      );
  const t0 = performance.now();
  const results = await runAll(jobs, parallel, {
    order: cost.map((_, i) => i).sort((x, y) => cost[y]! - cost[x]! || x - y),
    onStart: (i) => live?.start(i),
    onLine: (i, line) => {
      try {
        live?.progress(i, (JSON.parse(line) as { progress: RunProgress }).progress);
      } catch {
        /* a torn line: the next one will do */
      }
    },
    onDone: (r, i) => {
      if (!live) return;
      if (r.json) live.done(i, `done: ${verdict({ ...meta[i]!, ...r.json })}`);
      else live.done(i, `failed (exit ${r.code}: ${r.stderr.trim().split('\n').pop()})`);
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  const rows = results.map((r, i) => ({
    ...meta[i]!,
    ...(r.json ?? { error: r.stderr.trim().split('\n').pop() ?? `exit ${r.code}` }),
  }));
  run.writeJSON('results.json', rows);
  return { rows, dir, seconds, parallel };
}

const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The experiment's table with its criterion and closing paragraph (text). */
export function lectureReport(rows: ExperimentRow[]): string {
  const close = conclusions(rows);
  return `${lectureText(rows)}\n\n${criterion(rows)}${close ? `\n\n${close}` : ''}`;
}

/** Writes the HTML report of the experiment folder (its table and every run) and returns its path. */
export function writeLectureReport(dir: string, title: string): string {
  const runs = readRuns(dir, 64);
  const out = join(dir, 'report.html');
  writeFileAtomic(out, buildReport(runs, { title, subtitle: `${runs.length - 1} runs in ${dir}` }));
  return out;
}

export function table(rows: ExperimentRow[]): string {
  const head = ['task', 'T', 'model', 'final metric', 'solved', 'steps', 'train s', 'stopped'];
  const body = rows.map((r) => {
    const metric = r.error
      ? `error: ${r.error}`
      : r.mse !== undefined
        ? `mse ${(r.mse as number).toFixed(4)}`
        : `err ${((r.error_rate as number) * 100).toFixed(1)}%`;
    return [
      r.task,
      String(r.T),
      r.model,
      metric,
      r.success ? `yes${r.solved_at ? ` @${r.solved_at}` : ''}` : 'no',
      String(r.steps ?? '-'),
      r.seconds !== undefined ? (r.seconds as number).toFixed(1) : '-',
      String(r.stopped ?? '-'),
    ];
  });
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (c: string[]) => '| ' + c.map((x, i) => x.padEnd(w[i]!)).join(' | ') + ' |';
  return [line(head), '|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|', ...body.map(line)].join('\n');
}

export const EXPERIMENT_FLAGS = {
  T: { type: 'int' as const, default: 100, min: 2, max: 100000, help: 'sequence length' },
  tasks: { type: 'list' as const, default: ['adding', 'order'], help: 'tasks' },
  models: {
    type: 'list' as const,
    default: ['a', 'b', 'c', 'd', 'e'],
    help: 'models: a) tanh-RNN b) +clip+orth c) IRNN d) LSTM e) GRU',
  },
  hidden: { type: 'int' as const, default: 128, min: 1, max: 16384, help: 'hidden units' },
  batch: { type: 'int' as const, default: 32, min: 1, max: 65536, help: 'batch size' },
  steps: {
    type: 'int' as const,
    default: 10000,
    min: 1,
    max: 1e9,
    help: 'step budget per run (the same for every model)',
  },
  'max-seconds': {
    type: 'number' as const,
    default: 0,
    min: 0,
    help: 'also stop a run after this many seconds of training (0 = off: results then depend on the machine)',
  },
  budget: { type: 'number' as const, min: 0, renamed: { use: 'max-seconds' }, help: '' },
  'eval-every': {
    type: 'int' as const,
    default: 100,
    min: 0,
    help: 'check every N steps on eval-n fresh sequences; stop when solved (confirmed on final-eval-n)',
  },
  'eval-n': { type: 'int' as const, default: 500, min: 1, max: 1e7, help: 'fresh sequences per check' },
  'final-eval-n': {
    type: 'int' as const,
    default: 10000,
    min: 1,
    max: 1e7,
    help: 'fresh sequences for the final evaluation',
  },
  'diag-every': {
    type: 'int' as const,
    default: 100,
    min: 0,
    help: 'diagnostics (||dL/dh_t||, spectra) every N steps',
  },
  seed: { type: 'int' as const, default: 1, help: 'seed' },
  parallel: {
    type: 'int' as const,
    default: availableParallelism(),
    min: 1,
    max: 256,
    help: 'runs at a time (one thread each; at most one per core)',
  },
  out: { type: 'string' as const, help: 'run folder (default runs/lecture)' },
  backend: { type: 'string' as const, choices: ['ts', 'wasm'], help: 'kernel backend for every run' },
};

/**
 * Pascanu, Mikolov & Bengio (2013), scaled to this machine: tanh-RNNs trained by SGD with and
 * without clipping the gradient norm, on temporal order and adding, for several T and seeds.
 * The paper: 50 hidden units, lr 0.01, batch 20, clip 1.0, up to millions of updates, success
 * on 10,000 fresh sequences. Here (defaults): the same 50 units, batch 20 and clip 1, but T in
 * {10, 20, 40}, a budget of seconds per run, lr 0.1 with momentum 0.9 to make progress in that
 * budget, and 1000 fresh sequences for the final test.
 */
export const PASCANU_FLAGS = {
  Ts: { type: 'list' as const, default: ['10', '20', '40'], help: 'pascanu: sequence lengths' },
  seeds: { type: 'int' as const, default: 2, min: 1, max: 1000, help: 'pascanu: seeds per (task, T, method)' },
  lr: { type: 'number' as const, default: 0.1, above: 0, help: 'pascanu: SGD learning rate (the paper: 0.01)' },
  momentum: { type: 'number' as const, default: 0.9, min: 0, max: 1, help: 'pascanu: SGD momentum (the paper: none)' },
  clip: { type: 'number' as const, default: 1, above: 0, help: 'pascanu: clipping threshold of the clipped runs' },
};

const PASCANU_DEFAULTS = {
  hidden: 50,
  batch: 20,
  maxSeconds: 25,
  steps: 5000,
  evalEvery: 100,
  finalEvalN: 1000,
  tasks: ['order', 'adding'],
};

/** How one run of an experiment ended, for the progress lines. */
function outcome(r: { json?: Record<string, unknown> | null; code: number | null }): string {
  if (!r.json) return `exit ${r.code}`;
  return r.json.success
    ? `solved at ${r.json.solved_at}`
    : `not solved (${((r.json.error_rate as number) * 100).toFixed(1)}% wrong)`;
}

export async function pascanu(o: Record<string, any>, io: CommandIO): Promise<{ rows: ExperimentRow[]; dir: string }> {
  const dir = o.out ?? 'runs/pascanu';
  const run = RunDir.create(dir);
  const Ts = (o.Ts as string[]).map(Number);
  if (!Ts.length || Ts.some((T) => !(Number.isInteger(T) && T >= 10)))
    throw new UsageError(`--Ts must be integers >= 10, got ${o.Ts}`);
  if (!(o.seeds >= 1)) throw new UsageError(`--seeds must be >= 1, got ${o.seeds}`);
  const methods = [
    { id: 'sgd', label: 'SGD', args: [] as string[] },
    { id: 'clip', label: `SGD+clip ${o.clip}`, args: ['--clip', String(o.clip)] },
  ];
  const jobs: string[][] = [],
    meta: ExperimentRow[] = [];
  for (const task of o.tasks as string[]) {
    for (const T of Ts) {
      for (const m of methods) {
        for (let k = 0; k < o.seeds; k++) {
          const seed = o.seed + k;
          jobs.push([
            'train',
            '--task',
            task,
            '--T',
            String(T),
            '--cell',
            'rnn',
            '--nonlinearity',
            'tanh',
            '--hidden',
            String(o.hidden),
            '--batch',
            String(o.batch),
            '--optimizer',
            'sgd',
            '--lr',
            String(o.lr),
            '--momentum',
            String(o.momentum),
            ...m.args,
            '--steps',
            String(o.steps),
            '--max-seconds',
            String(o.maxSeconds),
            '--seed',
            String(seed),
            '--eval-every',
            String(o.evalEvery),
            '--eval-n',
            '500',
            '--final-eval-n',
            String(o.finalEvalN),
            '--checkpoint-every',
            '0',
            ...(o.backend ? ['--backend', o.backend] : []),
            '--out',
            join(dir, `${task}-T${T}-${m.id}-s${seed}`),
            '--force',
          ]);
          meta.push({ task, T, model: m.label, seed });
        }
      }
    }
  }
  run.writeJSON('config.json', { experiment: 'pascanu', options: snakeKeys(o), jobs });
  if (!o.json)
    io.out(
      `pascanu experiment: ${jobs.length} runs, ${o.parallel} at a time, up to ${o.maxSeconds} s of training each ` +
        `(run folder ${dir})`,
    );
  const results = await runAll(jobs, Math.min(o.parallel, availableParallelism()), (r, i) => {
    if (!o.json)
      io.err(`  done: ${meta[i]!.task} T=${meta[i]!.T} ${meta[i]!.model} seed ${meta[i]!.seed}: ` + outcome(r));
  });
  const rows = results.map((r, i) => ({
    ...meta[i]!,
    ...(r.json ?? { error: r.stderr.trim().split('\n').pop() ?? `exit ${r.code}` }),
  }));
  run.writeJSON('results.json', rows);
  return { rows, dir };
}

/** Flags of `recur experiment`: the lecture's and pascanu's; the shared sizes default per experiment. */
const SHARED = ['hidden', 'batch', 'max-seconds', 'steps', 'eval-every', 'final-eval-n', 'tasks'] as const;
const FLAGS: Record<string, FlagSpec> = {
  ...Object.fromEntries(
    Object.entries(EXPERIMENT_FLAGS).map(([k, s]) => [
      k,
      ['T', 'models', 'eval-n', 'diag-every'].includes(k) ? { ...s, only: ['lecture'] } : s,
    ]),
  ),
  ...Object.fromEntries(Object.entries(PASCANU_FLAGS).map(([k, s]) => [k, { ...s, only: ['pascanu'] }])),
};
for (const k of SHARED) {
  const { default: d, ...rest } = EXPERIMENT_FLAGS[k] as FlagSpec;
  const p = PASCANU_DEFAULTS[camel(k) as keyof typeof PASCANU_DEFAULTS];
  FLAGS[k] = {
    ...rest,
    help:
      `${rest.help} (default: lecture ${Array.isArray(d) ? d.join(',') : d}, pascanu ` +
      `${Array.isArray(p) ? p.join(',') : p})`,
  };
}

export const command: Command = {
  name: 'experiment',
  summary:
    'lecture: tanh-RNN vs clipping vs IRNN vs LSTM vs GRU; pascanu: SGD vs SGD+clipping over T ' +
    `(Pascanu et al. 2013); and the lecture's open questions, one report each: ${Object.keys(EXPERIMENTS).join(', ')}`,
  positionals: `[lecture|pascanu|${Object.keys(EXPERIMENTS).join('|')}]`,
  flags: FLAGS,
  subcommands: { lecture: '', pascanu: '' },
  details:
    'Examples:\n  recur experiment lecture --T 100 --steps 10000\n' +
    '  recur experiment pascanu --Ts 10,20,40 --seeds 2 --max-seconds 25\n' +
    "The lecture writes report.html in its run folder; 'recur report runs/pascanu' shows the success-rate table.\n\n" +
    'The open questions (each has its own flags: recur experiment NAME --help):\n' +
    Object.entries(EXPERIMENTS)
      .map(([k, v]) => `  ${k.padEnd(14)}${v.summary}`)
      .join('\n'),
  async resolve(argv) {
    const name = argv[0];
    return name && name in EXPERIMENTS ? experimentCommand(name, argv) : command;
  },
  async run(o, pos, io) {
    const which = pos[0] ?? 'lecture';
    if (which !== 'lecture' && which !== 'pascanu')
      throw new UsageError(
        `unknown experiment '${which}'; available: lecture, pascanu, ${Object.keys(EXPERIMENTS).join(', ')}`,
      );
    const defaults: Record<string, unknown> =
      which === 'pascanu'
        ? PASCANU_DEFAULTS
        : Object.fromEntries(SHARED.map((k) => [camel(k), EXPERIMENT_FLAGS[k].default]));
    for (const [k, v] of Object.entries(defaults)) o[k] ??= v;
    if (which === 'lecture') {
      const parts = (o.tasks as string[]).map((task) => ({ task, T: o.T, steps: o.steps }));
      return lectureCommand(o, io, parts, 'recur experiment lecture');
    }
    const { rows, dir } = await pascanu(o, io);
    if (o.json)
      io.out(
        JSON.stringify({
          experiment: which,
          run: dir,
          rows,
          ...(which === 'pascanu' ? { success: snakeKeys(successTable(rows)) } : {}),
        }),
      );
    else if (which === 'pascanu')
      io.out(
        `${table(rows)}\n\nSuccess rate per T (seeds under 1% wrong of ${o.finalEvalN} fresh ` +
          `sequences):\n${successText(successTable(rows))}\n\n'recur report ${dir}' draws it.`,
      );
    return rows.some((r) => r.error) ? 1 : 0;
  },
};

/** Runs the lecture on `parts`, prints its table, conclusions and report path (or --json); the exit code. */
export async function lectureCommand(
  o: Record<string, any>,
  io: CommandIO,
  parts: LecturePart[],
  title: string,
): Promise<number> {
  const { rows, dir, seconds, parallel } = await lecture(o, io, parts);
  const report = writeLectureReport(dir, title);
  const load = loadavg().map((v) => v.toFixed(1));
  if (o.json) {
    io.out(
      JSON.stringify({
        experiment: 'lecture',
        run: dir,
        parts,
        rows,
        conclusions: conclusions(rows),
        report,
        seconds: Number(seconds.toFixed(1)),
        parallel,
        load: load.map(Number),
      }),
    );
  } else {
    io.out(`\n${lectureReport(rows)}\n`);
    io.out(
      `${rows.length} runs in ${seconds.toFixed(0)} s of wall time, ${parallel} at a time (load average ` +
        `${load.join(' ')}).`,
    );
    io.out(`Report of all runs: ${report}  (run folders in ${dir}; 'recur report ${dir}' redraws it)`);
  }
  return rows.some((r) => r.error) ? 1 : 0;
}
