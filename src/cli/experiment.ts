/**
 * `recur experiment lecture|pascanu`: the lecture's experiments, several models trained side
 * by side (one process per core), a printed table and results.json in the run folder.
 *
 * lecture: on the adding problem and temporal order at one T, the five classic models:
 *   a) tanh-RNN, SGD + momentum, no clipping        b) tanh-RNN + clipping + orthogonal init
 *   c) IRNN (ReLU + identity init, Le et al. 2015)  d) LSTM (Adam, forget bias 1)   e) GRU (Adam)
 * pascanu: tanh-RNNs with SGD vs SGD + clipping over several T and seeds (Pascanu et al. 2013).
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Command, CommandIO, FlagSpec } from './args.js';
import { UsageError, camel } from './args.js';
import { successTable, successText } from '../report/tables.js';
import { RunDir } from '../node/rundir.js';
import { runAll } from '../node/jobs.js';
import { EXPERIMENTS } from '../experiments/registry.js';
import { experimentCommand } from './experiments/run.js';

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
    label: 'tanh-RNN+clip+orth',
    args: [
      '--cell',
      'rnn',
      '--nonlinearity',
      'tanh',
      '--init',
      'orthogonal',
      '--optimizer',
      'sgd',
      '--lr',
      '0.01',
      '--momentum',
      '0.9',
      '--clip',
      '1',
    ],
  },
  {
    id: 'c',
    label: 'IRNN',
    args: [
      '--cell',
      'rnn',
      '--nonlinearity',
      'relu',
      '--init',
      'identity',
      '--optimizer',
      'sgd',
      '--lr',
      '0.001',
      '--momentum',
      '0.9',
      '--clip',
      '1',
    ],
  },
  {
    id: 'd',
    label: 'LSTM',
    args: ['--cell', 'lstm', '--optimizer', 'adam', '--lr', '0.001', '--clip', '1', '--forget-bias', '1'],
  },
  { id: 'e', label: 'GRU', args: ['--cell', 'gru', '--optimizer', 'adam', '--lr', '0.001', '--clip', '1'] },
];

export interface ExperimentRow {
  task: string;
  T: number;
  model: string;
  seed: number;
  [k: string]: unknown;
}

export async function lecture(o: Record<string, any>, io: CommandIO): Promise<{ rows: ExperimentRow[]; dir: string }> {
  const dir = o.out ?? 'runs/lecture';
  const run = RunDir.create(dir);
  const tasks: string[] = o.tasks,
    models = LECTURE_MODELS.filter((m) => (o.models as string[]).includes(m.id));
  if (!models.length) throw new UsageError(`--models must name some of a,b,c,d,e`);
  const jobs: string[][] = [],
    meta: ExperimentRow[] = [];
  for (const task of tasks) {
    for (const m of models) {
      const args = [
        'train',
        '--task',
        task,
        '--T',
        String(o.T),
        '--hidden',
        String(o.hidden),
        '--batch',
        String(o.batch),
        '--steps',
        String(o.steps),
        '--max-seconds',
        String(o.budget),
        '--seed',
        String(o.seed),
        '--eval-every',
        String(o.evalEvery),
        '--eval-n',
        '1000',
        '--final-eval-n',
        String(o.finalEvalN),
        '--checkpoint-every',
        '0',
        '--threads',
        '1',
        ...m.args,
        ...(o.backend ? ['--backend', o.backend] : []),
        '--out',
        join(dir, `${task}-${m.id}`),
        '--force',
      ];
      // IRNN's learning rate per task, as the protocol picked it (learn.md: 1e-3 adding, 1e-4 order).
      if (m.id === 'c' && task === 'order') args[args.indexOf('0.001')] = '0.0001';
      jobs.push(args);
      meta.push({ task, T: o.T, model: `${m.id}) ${m.label}`, seed: o.seed });
    }
  }
  run.writeJSON('config.json', { experiment: 'lecture', options: o, jobs });
  if (!o.json)
    io.out(
      `lecture experiment: ${jobs.length} runs, ${o.parallel} at a time, up to ${o.budget} s of training each ` +
        `(run folder ${dir})`,
    );
  const results = await runAll(jobs, o.parallel, (r, i) => {
    if (!o.json)
      io.err(
        `  done: ${meta[i]!.task} ` +
          `${meta[i]!.model}${r.code ? ` (exit ${r.code}: ${r.stderr.trim().split('\n').pop()})` : ''}`,
      );
  });
  const rows = results.map((r, i) => ({
    ...meta[i]!,
    ...(r.json ?? { error: r.stderr.trim().split('\n').pop() ?? `exit ${r.code}` }),
  }));
  run.writeJSON('results.json', rows);
  return { rows, dir };
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
  steps: { type: 'int' as const, default: 10000, min: 1, max: 1e9, help: 'step budget per run' },
  budget: { type: 'number' as const, default: 60, min: 0, help: 'seconds of training per run (0 = no limit)' },
  'eval-every': {
    type: 'int' as const,
    default: 100,
    min: 0,
    help: 'evaluate (1000 fresh sequences) every N steps; stop when solved',
  },
  'final-eval-n': {
    type: 'int' as const,
    default: 10000,
    min: 1,
    max: 1e7,
    help: 'fresh sequences for the final evaluation',
  },
  seed: { type: 'int' as const, default: 1, help: 'seed' },
  parallel: {
    type: 'int' as const,
    default: availableParallelism(),
    min: 1,
    max: 256,
    help: 'runs at a time (one per core)',
  },
  out: { type: 'string' as const, help: 'run folder (default runs/lecture)' },
  backend: { type: 'string' as const, help: 'kernel backend for every run (ts, wasm)' },
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
  budget: 25,
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
            String(o.budget),
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
  run.writeJSON('config.json', { experiment: 'pascanu', options: o, jobs });
  if (!o.json)
    io.out(
      `pascanu experiment: ${jobs.length} runs, ${o.parallel} at a time, up to ${o.budget} s of training each ` +
        `(run folder ${dir})`,
    );
  const results = await runAll(jobs, o.parallel, (r, i) => {
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
const SHARED = ['hidden', 'batch', 'budget', 'steps', 'eval-every', 'final-eval-n', 'tasks'] as const;
const FLAGS: Record<string, FlagSpec> = { ...EXPERIMENT_FLAGS, ...PASCANU_FLAGS };
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
  details:
    'Examples:\n  recur experiment lecture --T 100 --budget 120\n  recur experiment pascanu --Ts 10,20,40 ' +
    '--seeds 2 --budget 25\n' +
    "Then 'recur report runs/pascanu' shows the success-rate table.\n\n" +
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
    const { rows, dir } = which === 'pascanu' ? await pascanu(o, io) : await lecture(o, io);
    if (o.json)
      io.out(
        JSON.stringify({
          experiment: which,
          run: dir,
          rows,
          ...(which === 'pascanu' ? { success: successTable(rows) } : {}),
        }),
      );
    else if (which === 'pascanu')
      io.out(
        `${table(rows)}\n\nSuccess rate per T (seeds under 1% wrong of ${o.finalEvalN} fresh ` +
          `sequences):\n${successText(successTable(rows))}\n\n'recur report ${dir}' draws it.`,
      );
    else io.out(table(rows));
    return rows.some((r) => r.error) ? 1 : 0;
  },
};
