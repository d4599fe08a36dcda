/**
 * `npm run bench -- learn`: does recur learn like PyTorch? Steps to solve on the anchors'
 * protocol (../shared/anchors/learn.md; hidden 128, batch 32, evaluation every 100 steps on
 * 1,000 held-out sequences, budget 10,000 steps), recur (bench/learn_run.ts) and PyTorch
 * (bench/peers/learn_bench.py, /usr/bin/python3 with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
 * unset for it alone) side by side over many seeds. Each run is its own process pinned to its
 * own core (taskset) with one thread; as many run at once as cores are given.
 *
 * Per row: median and quartiles of steps to solve (a run that never solves counts as above the
 * budget), how many solved, the two-sided Mann-Whitney U p-value recur vs PyTorch, and the
 * median training time per step of each (batch generation + forward + backward + clip + update;
 * evaluation excluded). Step counts are deterministic; times depend on the machine's load,
 * which is recorded.
 *
 * Every finished run is kept under --runs (default bench-data/learn/) and reused, so an
 * interrupted benchmark resumes; --fresh reruns everything, --report only tabulates what is kept.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mannWhitneyU, quantile } from '../src/stats.js';

const HERE = dirname(fileURLToPath(import.meta.url)); // dist/bench
const ROOT = join(HERE, '..', '..');
const PY = '/usr/bin/python3';

interface Row {
  id: string;
  label: string;
  task: 'adding' | 'order';
  T: number;
  model: string;
  lr?: number;
  /** adding: both criteria (test MSE < 0.01 and < 1% with squared error > 0.04). */
  both?: boolean;
}

const ROWS: Row[] = [
  { id: 'lstm-order', label: 'LSTM, Adam, order T=50', task: 'order', T: 50, model: 'd' },
  { id: 'gru-adding', label: 'GRU, Adam, adding T=50', task: 'adding', T: 50, model: 'e', both: true },
  { id: 'tanh-order', label: 'tanh + clip + orthogonal, SGD, order T=50', task: 'order', T: 50, model: 'b' },
  // the anchors' IRNN learning rate for temporal order (picked on their sweep at T=100)
  { id: 'irnn-order', label: 'IRNN, SGD lr 1e-4, order T=50', task: 'order', T: 50, model: 'c', lr: 1e-4 },
];

const HELP = `Usage: npm run bench -- learn [flags]
  --rows ${ROWS.map((r) => r.id).join(',')}   rows to run (default all)
  --seeds 1-12            seeds (a range a-b or a list; default 1-12)
  --impls recur,torch     implementations (default both)
  --cores 0,1             one run per core at a time, pinned with taskset (default every core)
  --max-steps 10000       step budget per run
  --hidden 128 --batch 32 model width and batch size
  --runs DIR              where finished runs are kept and reused (default bench-data/learn)
  --fresh                 rerun runs already kept
  --report                run nothing: the table of the seeds kept for both implementations
  --quick                 hidden 32, budget 1000, seeds 1-2 (development only)
  --json FILE             write the table and every run (with learning curves) as JSON`;

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

function parseSeeds(s: string): number[] {
  const m = /^(\d+)-(\d+)$/.exec(s);
  if (m) return Array.from({ length: Number(m[2]) - Number(m[1]) + 1 }, (_, i) => Number(m[1]) + i);
  return s.split(',').map(Number);
}

interface Job {
  row: Row;
  impl: 'recur' | 'torch';
  seed: number;
  file: string;
}

type Rec = Record<string, unknown> & { steps_run: number; ms_per_step: number; status: string };

/** Runs one job pinned to `core`; resolves with its record or an error message. */
function runJob(job: Job, core: number, o: { hidden: number; batch: number; maxSteps: number }): Promise<Rec | string> {
  const { row, impl, seed } = job;
  let cmd: string, args: string[];
  const env = { ...process.env };
  if (impl === 'recur') {
    const spec = {
      task: row.task,
      T: row.T,
      model: row.model,
      seed,
      hidden: o.hidden,
      batch: o.batch,
      maxSteps: o.maxSteps,
      ...(row.lr ? { lr: row.lr } : {}),
      ...(row.both ? { criteria: 'both' } : {}),
    };
    cmd = 'taskset';
    args = ['-c', String(core), process.execPath, join(HERE, 'learn_run.js'), JSON.stringify(spec)];
  } else {
    // the peer only: these two slow OpenBLAS on this machine (HELPERS.md); its kernel is recorded
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
    cmd = 'taskset';
    args = [
      '-c',
      String(core),
      PY,
      join(ROOT, 'bench/peers/learn_bench.py'),
      ...['--task', row.task, '--T', String(row.T), '--model', row.model, '--seed', String(seed)],
      ...['--hidden', String(o.hidden), '--batch', String(o.batch), '--max-steps', String(o.maxSteps)],
      ...['--max-seconds', '1e12', '--tag', 'recur-bench-learn', '--out', `${job.file}.py.json`],
      ...(row.lr ? ['--lr', String(row.lr)] : []),
      ...(row.both ? ['--criteria', 'both'] : []),
    ];
  }
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '',
      err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => {
      if (code !== 0) return resolve(`exit ${code}: ${err.trim().split('\n').slice(-2).join(' ').slice(0, 300)}`);
      try {
        const rec =
          impl === 'recur'
            ? (JSON.parse(out.trim().split('\n').pop()!) as Rec)
            : (JSON.parse(readFileSync(`${job.file}.py.json`, 'utf8')) as Rec);
        rec.impl = impl;
        rec.core = core;
        resolve(rec);
      } catch (e) {
        resolve(`unreadable result: ${(e as Error).message}`);
      }
    });
  });
}

/** Steps to solve by a criterion; Infinity when the run never met it within its budget. */
function stepsOf(r: Rec, criterion: 'main' | 'wrong'): number {
  const v = criterion === 'wrong' ? r.steps_to_solve_wrong : r.steps_to_solve;
  return typeof v === 'number' ? v : Number.POSITIVE_INFINITY;
}

interface Summary {
  row: string;
  label: string;
  criterion: string;
  seeds: number[];
  recur: Side;
  torch: Side;
  mann_whitney_U?: number;
  p_value?: number;
}
interface Side {
  steps: number[];
  solved: number;
  median: number;
  q1: number;
  q3: number;
  ms_per_step_median: number;
}

/** '1-12', or a list when not consecutive. */
function seedRange(s: number[]): string {
  const consecutive = s.every((v, i) => i === 0 || v === s[i - 1]! + 1);
  return consecutive && s.length > 2 ? `${s[0]}-${s[s.length - 1]}` : s.join(',');
}

function side(recs: Rec[], criterion: 'main' | 'wrong'): Side {
  const steps = recs.map((r) => stepsOf(r, criterion));
  const sorted = [...steps].sort((a, b) => a - b),
    ms = recs.map((r) => r.ms_per_step).sort((a, b) => a - b);
  return {
    steps,
    solved: steps.filter(Number.isFinite).length,
    median: quantile(sorted, 0.5),
    q1: quantile(sorted, 0.25),
    q3: quantile(sorted, 0.75),
    ms_per_step_median: quantile(ms, 0.5),
  };
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return 0;
  }
  const quick = argv.includes('--quick');
  const rowIds = (flag(argv, '--rows') ?? ROWS.map((r) => r.id).join(',')).split(',');
  const rows = rowIds.map((id) => ROWS.find((r) => r.id === id));
  if (rows.some((r) => !r)) {
    console.error(`bench learn: unknown row in '${rowIds}'; have ${ROWS.map((r) => r.id).join(', ')}`);
    return 2;
  }
  const seeds = parseSeeds(flag(argv, '--seeds') ?? (quick ? '1-2' : '1-12'));
  const impls = (flag(argv, '--impls') ?? 'recur,torch').split(',') as ('recur' | 'torch')[];
  const cores = (
    flag(argv, '--cores') ??
    cpus()
      .map((_, i) => i)
      .join(',')
  )
    .split(',')
    .map(Number);
  const o = {
    hidden: Number(flag(argv, '--hidden') ?? (quick ? 32 : 128)),
    batch: Number(flag(argv, '--batch') ?? 32),
    maxSteps: Number(flag(argv, '--max-steps') ?? (quick ? 1000 : 10000)),
  };
  if (seeds.some((s) => !Number.isInteger(s)) || impls.some((i) => i !== 'recur' && i !== 'torch')) {
    console.error('bench learn: --seeds takes a-b or a list of integers; --impls recur and/or torch');
    return 2;
  }
  const runsDir = resolve(ROOT, flag(argv, '--runs') ?? 'bench-data/learn');
  mkdirSync(runsDir, { recursive: true });
  const fresh = argv.includes('--fresh');
  const tag = `H${o.hidden}_B${o.batch}_max${o.maxSteps}`;

  const jobs: Job[] = [];
  for (const row of rows as Row[])
    for (const seed of seeds)
      for (const impl of impls)
        jobs.push({ row, impl, seed, file: join(runsDir, `${impl}_${row.id}_${tag}_s${seed}`) });
  const done = new Map<Job, Rec>();
  const report = argv.includes('--report');
  const todo = jobs.filter((j) => {
    if (!fresh && existsSync(`${j.file}.json`)) {
      done.set(j, JSON.parse(readFileSync(`${j.file}.json`, 'utf8')) as Rec);
      return false;
    }
    return !report;
  });
  const load0 = loadavg();
  console.log(
    `# ${jobs.length} runs (${done.size} kept from ${runsDir}), ${todo.length} to go on cores ${cores.join(',')}; ` +
      `load average ${load0.map((v) => v.toFixed(1)).join(' ')}`,
  );
  let next = 0,
    failed = 0;
  const worker = async (core: number) => {
    while (next < todo.length) {
      const job = todo[next++]!;
      const t0 = Date.now();
      const r = await runJob(job, core, o);
      if (typeof r !== 'string') r.load_1min_at_end = loadavg()[0]!; // the machine's load while it ran
      if (typeof r === 'string') {
        failed++;
        console.log(`# FAILED ${job.impl} ${job.row.id} seed ${job.seed}: ${r}`);
        continue;
      }
      writeFileSync(`${job.file}.json.tmp`, JSON.stringify(r));
      renameSync(`${job.file}.json.tmp`, `${job.file}.json`);
      done.set(job, r);
      const s = job.row.both ? `${r.steps_to_solve_mse ?? '-'}/${r.steps_to_solve_wrong ?? '-'}` : r.steps_to_solve;
      console.log(
        `# ${job.impl.padEnd(5)} ${job.row.id} seed ${String(job.seed).padStart(2)} core ${core}: ${r.status} ` +
          `steps ${s ?? '-'} (${r.steps_run} run), ${r.ms_per_step} ms/step, ` +
          `${((Date.now() - t0) / 1000).toFixed(0)} s [${done.size}/${jobs.length}]`,
      );
    }
  };
  await Promise.all(cores.map((c) => worker(c)));
  const load1 = loadavg();

  // The table: one line per row and criterion.
  const summaries: Summary[] = [];
  for (const row of rows as Row[]) {
    const criteria: ['main' | 'wrong', string][] = row.both
      ? [
          ['main', 'test MSE < 0.01'],
          ['wrong', '< 1% with squared error > 0.04'],
        ]
      : [['main', row.task === 'order' ? 'test error < 1%' : 'test MSE < 0.01']];
    const kept = (impl: string, seed: number) =>
      [...done].find(([j]) => j.row === row && j.impl === impl && j.seed === seed)?.[1];
    // --report: the seeds kept for both; otherwise every seed must have run
    const rowSeeds = report ? seeds.filter((s) => kept('recur', s) && kept('torch', s)) : seeds;
    if (!rowSeeds.length) continue;
    for (const [crit, cname] of criteria) {
      const of = (impl: string) => rowSeeds.map((s) => kept(impl, s));
      const rr = of('recur'),
        tr = of('torch');
      const ok = (a: (Rec | undefined)[]): a is Rec[] => a.every((x) => x !== undefined);
      if (!ok(rr) || !ok(tr)) {
        console.log(`# ${row.id}: incomplete (a run failed or an implementation was not run); no comparison`);
        continue;
      }
      const s: Summary = {
        row: row.id,
        label: row.label,
        criterion: cname,
        seeds: rowSeeds,
        recur: side(rr, crit),
        torch: side(tr, crit),
      };
      const mw = mannWhitneyU(s.recur.steps, s.torch.steps);
      s.mann_whitney_U = mw.U;
      s.p_value = mw.p;
      summaries.push(s);
    }
  }
  const budget = `>${o.maxSteps.toLocaleString('en-US')}`;
  const fmt = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : budget);
  const cell = (x: Side) => `${fmt(x.median)} [${fmt(x.q1)}, ${fmt(x.q3)}] (${x.solved}/${x.steps.length})`;
  console.log(
    `\nSteps to solve: median [quartiles] (runs solved within ${o.maxSteps.toLocaleString('en-US')} steps), ` +
      `hidden ${o.hidden}, batch ${o.batch}, the same seeds on both sides:\n`,
  );
  console.log('| row | criterion | seeds | recur | PyTorch | Mann-Whitney p | recur ms/step | PyTorch ms/step |');
  console.log('|---|---|---|---|---|---:|---:|---:|');
  for (const s of summaries)
    console.log(
      `| ${s.label} | ${s.criterion} | ${seedRange(s.seeds)} | ${cell(s.recur)} | ${cell(s.torch)} | ` +
        `${s.p_value!.toFixed(3)} | ${s.recur.ms_per_step_median.toFixed(1)} | ` +
        `${s.torch.ms_per_step_median.toFixed(1)} |`,
    );
  const torchRec = [...done].find(([j]) => j.impl === 'torch')?.[1] as
    | {
        threads?: { threadpools?: { internal_api?: string; architecture?: string; version?: string }[] };
        torch_version?: string;
      }
    | undefined;
  const blas = (torchRec?.threads?.threadpools ?? [])
    .filter((p) => p.internal_api !== 'openmp')
    .map((p) => `${p.internal_api} ${p.version} (${p.architecture})`)
    .join(', ');
  // the 1-minute load average at the end of each run (runs kept from an older version may lack it)
  const loads = [...done.values()].map((r) => r.load_1min_at_end).filter((v): v is number => typeof v === 'number');
  const meanLoad = loads.length ? loads.reduce((a, b) => a + b, 0) / loads.length : Number.NaN;
  console.log(
    `\nPer seed (steps; '-' = not solved):\n` +
      summaries
        .map(
          (s) =>
            `  ${s.row} ${s.criterion}: recur ${s.recur.steps.map((v) => (Number.isFinite(v) ? v : '-')).join(' ')}` +
            ` | PyTorch ${s.torch.steps.map((v) => (Number.isFinite(v) ? v : '-')).join(' ')}`,
        )
        .join('\n'),
  );
  console.log(
    `\nms/step = median over runs of training time per step (one run per core, ${cores.length} at a time); ` +
      `PyTorch ${torchRec?.torch_version ?? '?'}, BLAS ${blas || '?'}; load average (1 min) ` +
      `${load0[0]!.toFixed(1)} at the start, ${load1[0]!.toFixed(1)} at the end, ` +
      `${Number.isFinite(meanLoad) ? meanLoad.toFixed(1) : '(not recorded)'} mean at the end of the runs ` +
      `(on ${cpus().length} cores: times taken under load are not results).`,
  );
  const jsonFile = flag(argv, '--json');
  if (jsonFile) {
    const out = {
      suite: 'learn',
      date: new Date().toISOString(),
      protocol: {
        hidden: o.hidden,
        batch: o.batch,
        max_steps: o.maxSteps,
        eval_every: 100,
        n_test: 1000,
        seeds,
        pinned: 'taskset, one run per core, 1 thread',
        cores,
      },
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
      peer: { python: PY, torch: torchRec?.torch_version, blas, unset: ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'] },
      load_average: { start: load0, end: load1, mean_1min_over_runs: meanLoad },
      rows: summaries.map((s) => ({
        ...s,
        recur: { ...s.recur, steps: s.recur.steps.map((v) => (Number.isFinite(v) ? v : null)) },
        torch: { ...s.torch, steps: s.torch.steps.map((v) => (Number.isFinite(v) ? v : null)) },
        median_null_means: `not solved within ${o.maxSteps} steps`,
      })),
      runs: [...done].map(([j, r]) => ({ row: j.row.id, ...r })),
    };
    writeFileSync(jsonFile, `${JSON.stringify(out)}\n`);
    console.log(`wrote ${summaries.length} rows and ${done.size} runs to ${jsonFile}`);
  }
  return failed ? 1 : 0;
}
