/**
 * `npm run bench -- train [flags]`: where `recur train` loses time against the bare step.
 * For each cell, in rounds that interleave the rows (the machine is shared: every row of a
 * round sees about the same load), each row in its own process:
 *   bare      the bench's bare step (bench/train_row.ts: lossAndGrad + SGD on a fixed batch)
 *   train     `recur train`, the same model and SGD lr 0.01, 1 thread: fresh batches, checks,
 *             diagnostics, logging (its ms_per_step: training time per step, evaluation apart)
 *   lecture   `recur train` with the lecture's optimiser for that cell (the `npm start` models
 *             a, e, d: SGD + momentum; Adam + clipping)
 *   torch     PyTorch's loop on the same model and optimiser (../shared/tools/learn_bench.py,
 *             1 thread, run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset), its ms_per_step
 * Prints the median ms/step of each row over the rounds, train/bare and lecture/torch, the
 * evaluation share of the train rows and the load average of each round.
 *
 * `--profile`: on a loaded machine, where timings of separate processes cannot be compared, the
 * same question inside one process: `recur train` (the train row) under `node --cpu-prof`, its
 * samples split into the bare step's parts (lossAndGrad + optimiser step) and everything else the
 * loop does (batches, diagnostics, clipping, logging, progress) and evaluation. Load slows both
 * parts alike, so train/bare = loop time without evaluation / bare-step time holds under load.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LECTURE_MODELS } from '../src/cli/experiment.js';

const HERE = dirname(fileURLToPath(import.meta.url)); // dist/bench
const ROOT = join(HERE, '..', '..');
const PY = '/usr/bin/python3';
const LEARN = join(ROOT, '..', 'shared', 'tools', 'learn_bench.py');
const LETTER: Record<string, string> = { rnn: 'a', gru: 'e', lstm: 'd' };

const HELP = `Usage: npm run bench -- train [flags]
  --cells rnn,gru,lstm   cells (default all three; the lecture models a, e, d)
  --T N --hidden N --batch N   sizes (default 50, 128, 32)
  --steps N              steps per row (default 300; checks every 100 steps as recur train does)
  --rounds N             interleaved rounds (default 3; the median is reported)
  --peers torch|none     PyTorch's loop (default torch, skipped with a line when missing)
  --profile              the in-process split of recur train's time (see above) instead of the rounds
  --json FILE            write the rows`;

interface ProfNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

/** Milliseconds of samples under functions matching each (name, file suffix), and in all. */
function profileSplit(file: string, keys: Record<string, [string, string]>): Record<string, number> {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const out: Record<string, number> = { total: 0 };
  for (const k of Object.keys(keys)) out[k] = 0;
  p.samples.forEach((id, i) => {
    const dt = (p.timeDeltas[i] ?? 0) / 1000;
    out.total! += dt;
    const seen = new Set<string>();
    for (let k: number | undefined = id; k !== undefined; k = parent.get(k)) {
      const f = byId.get(k)!.callFrame;
      for (const [name, [fn, url]] of Object.entries(keys))
        if (f.functionName === fn && f.url.endsWith(url)) seen.add(name);
    }
    // A sample under `evaluate` counts for it only, not for the loop or the bare step's parts:
    // evaluation runs after an await, where its stack may or may not show runTraining.
    if (seen.has('evaluate')) out.evaluate! += dt;
    else for (const name of seen) out[name]! += dt;
  });
  return out;
}

/** recur train under --cpu-prof: its loop split into the bare step, evaluation and the rest. */
function profileRows(cells: string[], T: number, H: number, B: number, steps: number): number {
  const tmp = mkdtempSync(join(tmpdir(), 'recur-bench-prof-'));
  console.log(
    `recur train, adding T=${T}, hidden ${H}, batch ${B}, SGD lr 0.01, ${steps} steps, 1 thread, in-process split`,
  );
  console.log('| cell | loop ms/step (no eval) | bare step ms | train/bare | diagnostics | batches | eval share |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const cell of cells) {
    execFileSync(
      process.execPath,
      [
        `--cpu-prof`,
        `--cpu-prof-dir=${tmp}`,
        `--cpu-prof-name=${cell}.cpuprofile`,
        join(ROOT, 'bin', 'recur.js'),
      ].concat(
        ['train', '--task', 'adding', '--T', String(T), '--hidden', String(H), '--batch', String(B), '--cell', cell],
        ['--steps', String(steps), '--no-stop-on-success', '--threads', '1', '--checkpoint-every', '0'],
        ['--optimizer', 'sgd', '--lr', '0.01', '--out', join(tmp, cell), '--force', '--json'],
      ),
      { cwd: ROOT, stdio: 'ignore' },
    );
    const s = profileSplit(join(tmp, `${cell}.cpuprofile`), {
      loop: ['runTraining', 'cli/training.js'],
      evaluate: ['evaluateTask', 'train/evaluate.js'],
      grads: ['lossAndGrad', 'layers/model.js'],
      opt: ['step', 'train/optim.js'],
      diag: ['measure', 'diagnostics/diagnostics.js'],
      batch: ['batch', 'tasks/synthetic.js'],
    });
    const loop = s.loop!,
      bare = s.grads! + s.opt!;
    const pct = (v: number) => `${((100 * v) / loop).toFixed(1)}%`;
    console.log(
      `| ${cell} | ${(loop / steps).toFixed(2)} | ${(bare / steps).toFixed(2)} | ${(loop / bare).toFixed(3)} | ` +
        `${pct(s.diag!)} | ${pct(s.batch!)} | ${((100 * s.evaluate!) / (loop + s.evaluate!)).toFixed(1)}% |`,
    );
  }
  rmSync(tmp, { recursive: true, force: true });
  console.log(
    `load average ${loadavg()
      .map((v) => v.toFixed(1))
      .join(' ')} (ms under load are slow; the ratio holds)`,
  );
  return 0;
}

function flag(argv: string[], name: string, dflt: string): string {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1]! : dflt;
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y),
    m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface Sample {
  cell: string;
  row: string;
  round: number;
  ms_per_step: number;
  eval_share?: number;
  load1: number;
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(HELP);
    return 0;
  }
  const cells = flag(argv, '--cells', 'rnn,gru,lstm').split(',');
  const T = Number(flag(argv, '--T', '50')),
    H = Number(flag(argv, '--hidden', '128')),
    B = Number(flag(argv, '--batch', '32'));
  const steps = Number(flag(argv, '--steps', '300')),
    rounds = Number(flag(argv, '--rounds', '3'));
  if (argv.includes('--profile')) return profileRows(cells, T, H, B, steps);
  const torch = flag(argv, '--peers', 'torch') === 'torch' && existsSync(PY) && existsSync(LEARN);
  if (!torch) console.log(`# peer torch skipped (${existsSync(LEARN) ? 'not requested' : `${LEARN} not found`})`);
  const tmp = mkdtempSync(join(tmpdir(), 'recur-bench-train-'));
  const samples: Sample[] = [];
  const node = (args: string[]) =>
    execFileSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const last = (out: string) => JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
  const train = (cell: string, extra: string[]) => {
    const r = last(
      node([
        join(ROOT, 'bin', 'recur.js'),
        'train',
        ...['--task', 'adding', '--T', String(T), '--hidden', String(H), '--batch', String(B)],
        ...['--steps', String(steps), '--no-stop-on-success', '--threads', '1', '--checkpoint-every', '0'],
        ...['--cell', cell, ...extra, '--out', join(tmp, cell), '--force', '--json'],
      ]),
    );
    return { ms: r.ms_per_step!, evalShare: r.eval_seconds! / r.seconds! };
  };
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const cell of cells) {
        const add = (row: string, ms: number, evalShare?: number) => {
          samples.push({ cell, row, round, ms_per_step: ms, eval_share: evalShare, load1: loadavg()[0]! });
          console.log(`# round ${round} ${cell} ${row}: ${ms.toFixed(2)} ms/step (load ${loadavg()[0]!.toFixed(1)})`);
        };
        const spec = { cell, T, hidden: H, B, warmup: 20, steps };
        add('bare', last(node([join(HERE, 'train_row.js'), JSON.stringify(spec)])).ms_per_step!);
        const t1 = train(cell, ['--optimizer', 'sgd', '--lr', '0.01']);
        add('train', t1.ms, t1.evalShare);
        const model = LECTURE_MODELS.find((m) => m.id === LETTER[cell])!;
        const t2 = train(cell, model.args);
        add('lecture', t2.ms, t2.evalShare);
        if (torch) {
          const out = join(tmp, `${cell}.json`);
          const args = ['--task', 'adding', '--T', String(T), '--model', LETTER[cell]!, '--hidden', String(H)];
          execFileSync(
            'env',
            ['-u', 'OPENBLAS_CORETYPE', '-u', 'OPENBLAS_L2_SIZE', PY, LEARN, ...args, '--batch', String(B)].concat([
              '--max-steps',
              String(steps),
              '--eval-every',
              '100',
              '--max-seconds',
              '1e9',
              '--out',
              out,
            ]),
            { cwd: ROOT, stdio: 'ignore' },
          );
          add('torch', (JSON.parse(readFileSync(out, 'utf8')) as { ms_per_step: number }).ms_per_step);
        }
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const med = (cell: string, row: string) => {
    const v = samples.filter((x) => x.cell === cell && x.row === row);
    return v.length ? median(v.map((x) => x.ms_per_step)) : Number.NaN;
  };
  console.log(`\nadding T=${T}, hidden ${H}, batch ${B}, ${steps} steps a row, median of ${rounds} interleaved rounds`);
  console.log(
    '| cell | bare ms/step | train ms/step | train/bare | eval share | lecture ms/step | torch ms/step | ' +
      'torch/lecture |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const cell of cells) {
    const share = median(samples.filter((x) => x.cell === cell && x.row === 'train').map((x) => x.eval_share!));
    const [bare, tr, lec, th] = ['bare', 'train', 'lecture', 'torch'].map((r) => med(cell, r)) as number[];
    const f = (v: number, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : '-');
    console.log(
      `| ${cell} | ${f(bare!)} | ${f(tr!)} | ${f(tr! / bare!)} | ${f(share * 100, 1)}% | ${f(lec!)} | ` +
        `${f(th!)} | ${f(th! / lec!)} |`,
    );
  }
  const loads = samples.map((x) => x.load1);
  console.log(
    `train/bare <= 1.10 is the target (issue 17: within 10%); ` +
      `torch/lecture >= 1 means recur's loop is as fast as PyTorch's. ` +
      `1-minute load average during the rows: ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} ` +
      `(2 cores: timings under load are not results; compare within one run).`,
  );
  const jsonFile = argv.includes('--json') ? flag(argv, '--json', '') : '';
  if (jsonFile)
    writeFileSync(jsonFile, JSON.stringify({ T, hidden: H, batch: B, steps, rounds, samples }, null, 2) + '\n');
  return 0;
}
