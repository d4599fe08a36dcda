/**
 * `npm run bench -- sweep [flags]`: how `npm start`'s lengths and step budgets were chosen.
 * Trains the lecture's five models (src/cli/experiment.ts, the same arguments `recur start`
 * passes, diagnostics off: they do not change a run) on each part (task, T, step cap) for
 * seeds 1..N, two runs at a time, and records per seed the step at which each run was solved
 * (first confirmed check, as the start table counts it) and its check curve. Then, per task,
 * the smallest budget at which every claim of the lecture holds on at least `--need` seeds:
 *   adding: LSTM and GRU solve it; the plain tanh-RNN does not
 *   order:  tanh-RNN + clip + orth solves it; the plain tanh-RNN does not
 *   a part with the IRNN: it learns (solves it, or its check is under half the baseline)
 * Runs finished earlier (same arguments) are read back from the run folders, so an interrupted
 * sweep continues. Writes --json FILE with every run and the summary.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { LECTURE_MODELS, type LecturePart, lectureArgs } from '../src/cli/experiment.js';
import { START_PARTS } from '../src/cli/start.js';
import { runAll } from '../src/node/jobs.js';

const HELP = `Usage: npm run bench -- sweep [flags]
  --parts order:30:2000,adding:30:3000:acde   task:T:step cap[:models] of each part, in the order run
  --seeds N          seeds 1..N (default 8)
  --need K           seeds a claim must hold on (default 7)
  --models a,b,c,d,e
  --dir DIR          run folders (default bench-data/start_sweep; reused runs are not re-run)
  --parallel N       runs at a time (default: the cores)
  --json FILE        write every run and the summary`;

function flag(argv: string[], name: string, dflt: string): string {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1]! : dflt;
}

interface Run {
  task: string;
  T: number;
  cap: number;
  model: string;
  seed: number;
  solved_at: number | null;
  steps: number;
  metric: number;
  baseline: number;
  /** [step, metric on the check sequences] every check. */
  checks: [number, number][];
}

const OPTS = { hidden: 128, batch: 32, evalEvery: 100, evalN: 500, finalEvalN: 10000, diagEvery: 0 };

function readRun(dir: string, part: LecturePart, model: string, seed: number): Run | null {
  const res = join(dir, 'result.json');
  if (!existsSync(res)) return null;
  const r = JSON.parse(readFileSync(res, 'utf8')) as Record<string, any>;
  const metrics = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, any>);
  const checks = metrics
    .filter((m) => m.kind === 'eval' && !m.final)
    .map((m): [number, number] => [m.step, m.mse ?? m.error_rate]);
  return {
    ...{ task: part.task, T: part.T, cap: part.steps, model, seed },
    solved_at: r.success ? r.solved_at : null,
    steps: r.steps,
    metric: r.mse ?? r.error_rate,
    baseline: r.mse !== undefined ? r.baseline : r.chance_error,
    checks,
  };
}

/** A run another sweep is training now (its log written in the last two minutes): not started twice. */
function live(dir: string): boolean {
  const log = join(dir, 'metrics.jsonl');
  return existsSync(log) && Date.now() - statSync(log).mtimeMs < 120_000;
}

/** Seeds on which the run was solved by `budget` steps. */
const solvedBy = (runs: Run[], budget: number) => runs.filter((r) => r.solved_at !== null && r.solved_at <= budget);

/** The IRNN learned by `budget`: solved, or its check at that step under half the baseline. */
function learnedBy(r: Run, budget: number): boolean {
  if (r.solved_at !== null && r.solved_at <= budget) return true;
  const at = r.checks.filter(([s]) => s <= budget).at(-1);
  const v = r.steps <= budget ? r.metric : at?.[1];
  return v !== undefined && v < 0.5 * r.baseline;
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(HELP);
    return 0;
  }
  const partModels = new Map<LecturePart, string[]>();
  const parts: LecturePart[] = flag(argv, '--parts', 'order:30:2000,adding:30:3000:acde')
    .split(',')
    .map((p) => {
      const [task, T, steps, ms] = p.split(':');
      const part = { task: task!, T: Number(T), steps: Number(steps) };
      if (ms) partModels.set(part, ms.split(''));
      return part;
    });
  const seeds = Number(flag(argv, '--seeds', '8')),
    need = Number(flag(argv, '--need', '7'));
  const models = flag(argv, '--models', 'a,b,c,d,e').split(',');
  const root = flag(argv, '--dir', 'bench-data/start_sweep');
  const parallel = Math.min(Number(flag(argv, '--parallel', String(availableParallelism()))), availableParallelism());
  const jsonFile = argv.includes('--json') ? flag(argv, '--json', '') : '';
  const todo: { args: string[]; dir: string; part: LecturePart; model: string; seed: number }[] = [];
  for (const part of parts)
    for (let seed = 1; seed <= seeds; seed++)
      for (const m of LECTURE_MODELS.filter((x) => (partModels.get(part) ?? models).includes(x.id))) {
        const dir = join(root, `${part.task}-T${part.T}-cap${part.steps}-${m.id}-s${seed}`);
        const args = lectureArgs({ ...OPTS, seed, models }, part, m, dir).filter((a) => a !== '--progress');
        args.splice(args.indexOf('json'), 1);
        todo.push({ args, dir, part, model: m.id, seed });
      }
  const t0 = performance.now();
  const fresh = todo.filter((j) => !readRun(j.dir, j.part, j.model, j.seed));
  console.log(
    `# sweep: ${todo.length} runs (${todo.length - fresh.length} already done), ${parallel} at a time; ` +
      `load ${loadavg()[0]!.toFixed(1)}`,
  );
  // Each job is checked again just before it starts: a run finished meanwhile (another sweep) is not repeated.
  let next = 0;
  const worker = async () => {
    while (next < fresh.length) {
      const j = fresh[next++]!;
      if (readRun(j.dir, j.part, j.model, j.seed) || live(j.dir)) continue;
      const [r] = await runAll([j.args], 1);
      const res = r!.json as Record<string, any> | null;
      console.log(
        `# ${j.part.task} T=${j.part.T} ${j.model} seed ${j.seed}: ` +
          (res ? (res.success ? `solved at ${res.solved_at}` : `not solved in ${res.steps}`) : `exit ${r!.code}`) +
          ` (${((performance.now() - t0) / 1000).toFixed(0)} s, load ${loadavg()[0]!.toFixed(1)})`,
      );
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  const runs = todo.map((j) => readRun(j.dir, j.part, j.model, j.seed)).filter((r): r is Run => r !== null);
  const pick = (task: string, model: string) =>
    runs.filter((r) => r.task === task && r.model === model).sort((a, b) => a.seed - b.seed);
  // Per-seed steps to solve.
  console.log(`\n| task | T | model | steps to solve, seeds 1..${seeds} (- = not within the cap) |`);
  console.log('|---|---:|---|---|');
  for (const part of parts)
    for (const m of partModels.get(part) ?? models) {
      const rs = pick(part.task, m);
      const label = LECTURE_MODELS.find((x) => x.id === m)!.label;
      console.log(
        `| ${part.task} | ${part.T} | ${label} | ` +
          `${rs.map((r) => (r.solved_at === null ? '-' : r.solved_at)).join(' ')} |`,
      );
    }
  // Per task: the smallest budget (a multiple of the check interval, within the cap) at which its claims
  // hold on `need` seeds, and how they stand at npm start's own budget (src/cli/start.ts).
  const summary: Record<string, unknown>[] = [];
  for (const part of parts) {
    const solvers = part.task === 'adding' ? ['d', 'e'] : ['b'];
    const ms = partModels.get(part) ?? models;
    const holds = (B: number) =>
      solvers.every((m) => solvedBy(pick(part.task, m), B).length >= need) &&
      pick(part.task, 'a').length - solvedBy(pick(part.task, 'a'), B).length >= need &&
      (!ms.includes('c') || pick(part.task, 'c').filter((r) => learnedBy(r, B)).length >= need);
    let smallest: number | null = null;
    for (let B = OPTS.evalEvery; B <= part.steps && smallest === null; B += OPTS.evalEvery) if (holds(B)) smallest = B;
    const start = START_PARTS.find((p) => p.task === part.task && p.T === part.T)?.steps ?? null;
    const at = start !== null && start <= part.steps ? start : (smallest ?? part.steps);
    const count = (m: string) => `${solvedBy(pick(part.task, m), at).length}/${pick(part.task, m).length}`;
    const irnn = pick(part.task, 'c').filter((r) => learnedBy(r, at)).length;
    summary.push({
      task: part.task,
      T: part.T,
      cap: part.steps,
      smallest_budget: smallest,
      start_budget: start,
      claims_hold_at_start_budget: start !== null && start <= part.steps ? holds(start) : null,
      solved_at_budget: Object.fromEntries(ms.map((m) => [m, count(m)])),
      ...(ms.includes('c') ? { irnn_learned_at_budget: `${irnn}/${pick(part.task, 'c').length}` } : {}),
    });
    console.log(
      `\n${part.task} T=${part.T}: smallest budget where the claims hold on ${need} of ${seeds} seeds: ` +
        `${smallest ?? `none up to ${part.steps}`}; npm start's budget ${start ?? '-'}` +
        (start !== null && start <= part.steps ? ` (claims ${holds(start) ? 'hold' : 'do NOT hold'})` : '') +
        `; solved by step ${at}: ${ms.map((m) => `${m} ${count(m)}`).join(', ')}` +
        (ms.includes('c') ? `; IRNN learned (< half the baseline) on ${irnn}` : ''),
    );
  }
  console.log(`\nsweep wall time ${((performance.now() - t0) / 1000).toFixed(0)} s; load ${loadavg().join(' ')}`);
  if (jsonFile) {
    const cmd = `npm run bench -- sweep ${argv.join(' ')}`;
    writeFileSync(
      jsonFile,
      JSON.stringify({ command: cmd, options: OPTS, parts, seeds, need, summary, runs }, null, 1) + '\n',
    );
    console.log(`wrote ${jsonFile}`);
  }
  return 0;
}
