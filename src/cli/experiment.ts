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
import type { Command, CommandIO } from './args.js';
import { UsageError } from './args.js';
import { RunDir } from '../node/rundir.js';
import { runAll } from '../node/jobs.js';

interface ModelSpec { id: string; label: string; args: string[] }

export const LECTURE_MODELS: ModelSpec[] = [
  { id: 'a', label: 'tanh-RNN', args: ['--cell', 'rnn', '--nonlinearity', 'tanh', '--optimizer', 'sgd', '--lr', '0.01', '--momentum', '0.9'] },
  { id: 'b', label: 'tanh-RNN+clip+orth', args: ['--cell', 'rnn', '--nonlinearity', 'tanh', '--init', 'orthogonal', '--optimizer', 'sgd', '--lr', '0.01', '--momentum', '0.9', '--clip', '1'] },
  { id: 'c', label: 'IRNN', args: ['--cell', 'rnn', '--nonlinearity', 'relu', '--init', 'identity', '--optimizer', 'sgd', '--lr', '0.001', '--momentum', '0.9', '--clip', '1'] },
  { id: 'd', label: 'LSTM', args: ['--cell', 'lstm', '--optimizer', 'adam', '--lr', '0.001', '--clip', '1', '--forget-bias', '1'] },
  { id: 'e', label: 'GRU', args: ['--cell', 'gru', '--optimizer', 'adam', '--lr', '0.001', '--clip', '1'] },
];

export interface ExperimentRow { task: string; T: number; model: string; seed: number; [k: string]: unknown }

export async function lecture(o: Record<string, any>, io: CommandIO): Promise<{ rows: ExperimentRow[]; dir: string }> {
  const dir = o.out ?? 'runs/lecture';
  const run = RunDir.create(dir);
  const tasks: string[] = o.tasks, models = LECTURE_MODELS.filter((m) => (o.models as string[]).includes(m.id));
  if (!models.length) throw new UsageError(`--models must name some of a,b,c,d,e`);
  const jobs: string[][] = [], meta: ExperimentRow[] = [];
  for (const task of tasks) {
    for (const m of models) {
      const args = ['train', '--task', task, '--T', String(o.T), '--hidden', String(o.hidden), '--batch', String(o.batch),
        '--steps', String(o.steps), '--max-seconds', String(o.budget), '--seed', String(o.seed), '--eval-every', String(o.evalEvery),
        '--eval-n', '1000', '--final-eval-n', String(o.finalEvalN), '--checkpoint-every', '0', '--threads', '1', ...m.args,
        ...(o.backend ? ['--backend', o.backend] : []), '--out', join(dir, `${task}-${m.id}`), '--force'];
      // IRNN's learning rate per task, as the protocol picked it (learn.md: 1e-3 adding, 1e-4 order).
      if (m.id === 'c' && task === 'order') args[args.indexOf('0.001')] = '0.0001';
      jobs.push(args);
      meta.push({ task, T: o.T, model: `${m.id}) ${m.label}`, seed: o.seed });
    }
  }
  run.writeJSON('config.json', { experiment: 'lecture', options: o, jobs });
  if (!o.json) io.out(`lecture experiment: ${jobs.length} runs, ${o.parallel} at a time, up to ${o.budget} s of training each (run folder ${dir})`);
  const results = await runAll(jobs, o.parallel, (r, i) => {
    if (!o.json) io.err(`  done: ${meta[i]!.task} ${meta[i]!.model}${r.code ? ` (exit ${r.code}: ${r.stderr.trim().split('\n').pop()})` : ''}`);
  });
  const rows = results.map((r, i) => ({ ...meta[i]!, ...(r.json ?? { error: r.stderr.trim().split('\n').pop() ?? `exit ${r.code}` }) }));
  run.writeJSON('results.json', rows);
  return { rows, dir };
}

export function table(rows: ExperimentRow[]): string {
  const head = ['task', 'T', 'model', 'final metric', 'solved', 'steps', 'train s', 'stopped'];
  const body = rows.map((r) => {
    const metric = r.error ? `error: ${r.error}` : r.mse !== undefined ? `mse ${(r.mse as number).toFixed(4)}` : `err ${((r.error_rate as number) * 100).toFixed(1)}%`;
    return [r.task, String(r.T), r.model, metric, r.success ? `yes${r.solved_at ? ` @${r.solved_at}` : ''}` : 'no', String(r.steps ?? '-'),
      r.seconds !== undefined ? (r.seconds as number).toFixed(1) : '-', String(r.stopped ?? '-')];
  });
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (c: string[]) => '| ' + c.map((x, i) => x.padEnd(w[i]!)).join(' | ') + ' |';
  return [line(head), '|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|', ...body.map(line)].join('\n');
}

export const EXPERIMENT_FLAGS = {
  T: { type: 'int' as const, default: 100, help: 'sequence length' },
  tasks: { type: 'list' as const, default: ['adding', 'order'], help: 'tasks' },
  models: { type: 'list' as const, default: ['a', 'b', 'c', 'd', 'e'], help: 'models: a) tanh-RNN b) +clip+orth c) IRNN d) LSTM e) GRU' },
  hidden: { type: 'int' as const, default: 128, help: 'hidden units' },
  batch: { type: 'int' as const, default: 32, help: 'batch size' },
  steps: { type: 'int' as const, default: 10000, help: 'step budget per run' },
  budget: { type: 'number' as const, default: 60, help: 'seconds of training per run' },
  'eval-every': { type: 'int' as const, default: 100, help: 'evaluate (1000 fresh sequences) every N steps; stop when solved' },
  'final-eval-n': { type: 'int' as const, default: 10000, help: 'fresh sequences for the final evaluation' },
  seed: { type: 'int' as const, default: 1, help: 'seed' },
  parallel: { type: 'int' as const, default: availableParallelism(), help: 'runs at a time (one per core)' },
  out: { type: 'string' as const, help: 'run folder (default runs/lecture)' },
  backend: { type: 'string' as const, help: 'kernel backend for every run (ts, wasm)' },
};

export const command: Command = {
  name: 'experiment',
  summary: 'the lecture experiment: tanh-RNN vs clipping vs IRNN vs LSTM vs GRU on adding and temporal order',
  positionals: '[lecture]',
  flags: EXPERIMENT_FLAGS,
  async run(o, pos, io) {
    const which = pos[0] ?? 'lecture';
    if (which !== 'lecture') throw new UsageError(`unknown experiment '${which}'; available: lecture`);
    const { rows, dir } = await lecture(o, io);
    if (o.json) io.out(JSON.stringify({ experiment: which, run: dir, rows }));
    else io.out(table(rows));
    return rows.some((r) => r.error) ? 1 : 0;
  },
};
