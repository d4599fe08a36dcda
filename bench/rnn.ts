/**
 * `npm run bench [-- rnn] [flags]`: configurations C1-C4 (bench/rnn_configs.ts, DESIGN.md) for
 * recur (ts and wasm backends) and, in the same run, PyTorch CPU (/usr/bin/python3, 1 and 2
 * threads) and TensorFlow.js (wasm backend). Every row runs in its own process so that its
 * peak RSS is its own. Prints a table with ms/step, timesteps/s (B*T/s; C4: us per time step)
 * and, for recur rows, the throughput ratio recur/peer at the same thread count.
 * Rows run in rounds (recur next to the peer in each) and ratios are medians over rounds of the
 * ratio within a round; PyTorch runs without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE and names the
 * BLAS kernel it ran (bench/peers/env.ts).
 * `--json FILE` writes the rows: {config, cell, impl, threads, ms_per_step, timesteps_per_s, ...}.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIGS } from './rnn_configs.js';
import { PY, load1, loadText, median, peerEnv, unfairVarsSet } from './peers/env.js';

const HERE = dirname(fileURLToPath(import.meta.url)); // dist/bench
const ROOT = join(HERE, '..', '..');

interface Row {
  config: string;
  cell: string;
  impl: string;
  threads: number;
  /** Median over the rounds of each round's median step. */
  ms_per_step: number;
  timesteps_per_s: number;
  steps: number;
  warmup: number;
  peak_rss_mb: number;
  /** Each round's median ms/step and the 1-minute load average when the row ended. */
  rounds_ms: number[];
  rounds_load: number[];
  /** Median over the rounds of the CPU time per step of the row's process (all its threads). */
  cpu_ms_per_step: number;
  rounds_cpu_ms: number[];
  /** recur-wasm rows: the wasm build that ran ('simd', or 'relaxed-simd' with RECUR_RELAXED_SIMD=1). */
  build?: string;
  /** Peers: the BLAS kernel the peer ran (threadpoolctl), e.g. 'openblas 0.3.21 Cooperlake'. */
  blas?: string;
  /** Median over the rounds of recur's throughput over the peer's in the same round. */
  vs_torch?: number;
  vs_torch_rounds?: number[];
  /** One-thread rows: the same ratio from CPU time (less disturbed on a busy machine than wall time). */
  vs_torch_cpu?: number;
  vs_tfjs?: number;
  vs_1_thread?: number;
}

const HELP = `Usage: npm run bench -- rnn [flags]
  --configs C1,C2,C3,C4   configurations to run (default all)
  --impls ts,wasm         recur backends (default both)
  --peers torch,tfjs      peers (default both; 'none' for recur only)
  --threads 1,2           thread counts of recur-wasm and PyTorch rows (default 1 and 2, capped
                          at the cores; recur-ts runs one thread)
  --split batch,kernels   how recur-wasm training rows use N > 1 threads: 'batch' splits the batch
                          (data-parallel, rows 'recur-wasm'), 'kernels' the products over helper
                          threads (rows 'recur-wasm-kt'); default batch. C4 always splits its kernel.
  --rounds N              rounds (default 3): each round runs every recur-wasm and PyTorch row,
                          recur's next to the peer's; ratios are medians over the rounds of the
                          ratio within a round. recur-ts and TF.js rows run in the first round only.
  --steps N               timed steps per row (default 10; median reported)
  --warmup N              warm-up steps (default 3)
  --budget S              seconds per row before slow rows drop to fewer steps (default 25)
  --quick                 --steps 3 --warmup 1 --budget 5 --rounds 1 (development only)
  --json FILE             write the rows as JSON
PyTorch runs without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (bench/peers/env.ts); its rows name the
BLAS kernel it ran.`;

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

type Measured = Record<string, number | string>;

function runRow(cmd: string, args: string[], timeoutS: number, env?: NodeJS.ProcessEnv): Measured | string {
  try {
    const out = execFileSync(cmd, args, {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: Math.max(timeoutS, 600) * 1000,
      ...(env ? { env } : {}),
    });
    return JSON.parse(out.trim().split('\n').pop()!) as Measured;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return (err.stderr?.trim().split('\n').slice(-2).join(' ') || err.message).slice(0, 200);
  }
}

function torchAvailable(): string | null {
  if (!existsSync(PY)) return `${PY} not found`;
  try {
    execFileSync(PY, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000, env: peerEnv() });
    return null;
  } catch {
    return `${PY} cannot import torch (install Debian's python3-torch)`;
  }
}

function tfjsAvailable(): string | null {
  for (const m of ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm']) {
    if (!existsSync(join(ROOT, 'node_modules', m))) return `${m} is not installed (npm install --include=dev)`;
  }
  return null;
}

const fmt = (v: number | undefined, d = 1) => (v === undefined || !Number.isFinite(v) ? '' : v.toFixed(d));

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return 0;
  }
  const quick = argv.includes('--quick');
  const steps = Number(flag(argv, '--steps') ?? (quick ? 3 : 10));
  const warmup = Number(flag(argv, '--warmup') ?? (quick ? 1 : 3));
  const budgetS = Number(flag(argv, '--budget') ?? (quick ? 5 : 25));
  const rounds = Number(flag(argv, '--rounds') ?? (quick ? 1 : 3));
  const configs = (flag(argv, '--configs') ?? 'C1,C2,C3,C4').split(',');
  const impls = (flag(argv, '--impls') ?? 'ts,wasm').split(',');
  const peers = (flag(argv, '--peers') ?? 'torch,tfjs').split(',').filter((p) => p !== 'none');
  const threads = (flag(argv, '--threads') ?? '1,2')
    .split(',')
    .map(Number)
    .filter((t) => t <= Math.max(1, cpus().length));
  const splits = (flag(argv, '--split') ?? 'batch').split(',');
  const jsonFile = flag(argv, '--json');
  if (splits.some((x) => x !== 'batch' && x !== 'kernels')) {
    console.error(`bench rnn: --split takes batch and/or kernels, got '${flag(argv, '--split')}'`);
    return 2;
  }
  if (!Number.isInteger(rounds) || rounds < 1) {
    console.error(`bench rnn: --rounds must be a positive integer, got ${flag(argv, '--rounds')}`);
    return 2;
  }
  for (const id of configs)
    if (!CONFIGS.some((c) => c.id === id)) {
      console.error(`bench rnn: unknown config '${id}'; have C1, C2, C3, C4`);
      return 2;
    }

  const missing: Record<string, string | null> = {
    torch: peers.includes('torch') ? torchAvailable() : 'not requested',
    tfjs: peers.includes('tfjs') ? tfjsAvailable() : 'not requested',
  };
  for (const [p, why] of Object.entries(missing))
    if (why && why !== 'not requested') console.log(`# peer ${p} skipped: ${why}`);
  console.log(`# load average at the start: ${loadText()}; peer environment: ${unfairVarsSet()}`);

  const rows: Row[] = [];
  const key = (r: Pick<Row, 'config' | 'cell' | 'impl' | 'threads'>) => `${r.config}/${r.cell}/${r.impl}/${r.threads}`;
  const add = (config: string, cell: string, impl: string, th: number, r: Measured | string) => {
    if (typeof r === 'string') {
      console.log(`# ${config} ${cell} ${impl} x${th} failed: ${r}`);
      return;
    }
    const c = CONFIGS.find((x) => x.id === config)!,
      ms = r.ms_per_step as number,
      load = load1();
    const k = { config, cell, impl, threads: typeof r.threads === 'number' ? r.threads : th };
    let row = rows.find((x) => key(x) === key(k));
    if (!row) {
      row = {
        ...k,
        ms_per_step: ms,
        timesteps_per_s: 0,
        steps: r.steps as number,
        warmup: r.warmup as number,
        peak_rss_mb: r.peak_rss_mb as number,
        ...(typeof r.build === 'string' ? { build: r.build } : {}),
        rounds_ms: [],
        rounds_load: [],
        cpu_ms_per_step: 0,
        rounds_cpu_ms: [],
        ...(typeof r.blas === 'string' ? { blas: r.blas } : {}),
      };
      rows.push(row);
    }
    row.rounds_ms.push(ms);
    row.rounds_load.push(load);
    row.rounds_cpu_ms.push(r.cpu_ms_per_step as number);
    row.ms_per_step = median(row.rounds_ms);
    row.cpu_ms_per_step = median(row.rounds_cpu_ms);
    row.timesteps_per_s = (c.B * c.T) / (row.ms_per_step / 1000);
    row.peak_rss_mb = Math.max(row.peak_rss_mb, r.peak_rss_mb as number);
    console.log(
      `# ${config} ${cell.padEnd(4)} ${impl.padEnd(10)} x${th}: ${fmt(ms, 2)} ms/step (${r.warmup}+${r.steps})` +
        `${r.blas ? ` [${r.blas}]` : ''} load ${load}`,
    );
  };
  const spec = (o: object) => JSON.stringify({ warmup, steps, budgetS, ...o });
  const PEER_CELLS = ['rnn', 'lstm', 'gru'];
  for (let round = 0; round < rounds; round++) {
    if (rounds > 1) console.log(`# round ${round + 1} of ${rounds}`);
    for (const c of CONFIGS.filter((x) => configs.includes(x.id))) {
      for (const cell of c.cells) {
        for (const impl of impls) {
          if (impl !== 'wasm' && round > 0) continue;
          for (const th of impl === 'wasm' ? threads : [1])
            for (const split of th > 1 && c.head !== 'none' ? splits : ['batch']) {
              add(
                c.id,
                cell,
                `recur-${impl}${split === 'kernels' ? '-kt' : ''}`,
                th,
                runRow(
                  process.execPath,
                  [join(HERE, 'rnn_row.js'), spec({ impl, config: c.id, cell, threads: th, split })],
                  budgetS * 6,
                ),
              );
            }
        }
        if (c.head === 'none' && impls.includes('wasm'))
          // streaming inference: the same sequence through step(), one time step per call
          add(
            c.id,
            cell,
            'recur-wasm-step',
            1,
            runRow(
              process.execPath,
              [join(HERE, 'rnn_row.js'), spec({ impl: 'wasm', config: c.id, cell, threads: 1, stream: true })],
              budgetS * 6,
            ),
          );
        const peerHas = PEER_CELLS.includes(cell); // PyTorch and TensorFlow.js have no IndRNN
        if (!missing.torch && peerHas)
          for (const th of threads)
            add(
              c.id,
              cell,
              'torch',
              th,
              runRow(PY, ['bench/torch_rnn.py', spec({ config: c.id, cell, threads: th })], budgetS * 6, peerEnv()),
            );
        if (!missing.tfjs && peerHas && round === 0)
          add(
            c.id,
            cell,
            'tfjs-wasm',
            1,
            runRow(process.execPath, [join(HERE, 'tfjs_row.js'), spec({ config: c.id, cell })], budgetS * 8),
          );
      }
    }
  }
  // Ratios: recur throughput over the peer's, same configuration, cell and thread count, within
  // each round (rows of one round ran minutes apart at most), then the median over rounds.
  for (const r of rows.filter((x) => x.impl.startsWith('recur'))) {
    const t = rows.find((x) => key(x) === key({ ...r, impl: 'torch' })),
      f = rows.find((x) => x.config === r.config && x.cell === r.cell && x.impl === 'tfjs-wasm');
    if (t) {
      const n = Math.min(t.rounds_ms.length, r.rounds_ms.length);
      r.vs_torch_rounds = Array.from({ length: n }, (_, i) => t.rounds_ms[i]! / r.rounds_ms[i]!);
      r.vs_torch = median(r.vs_torch_rounds);
      if (r.threads === 1)
        r.vs_torch_cpu = median(Array.from({ length: n }, (_, i) => t.rounds_cpu_ms[i]! / r.rounds_cpu_ms[i]!));
    }
    if (f) r.vs_tfjs = r.timesteps_per_s / f.timesteps_per_s;
    const one = rows.find((x) => key(x) === key({ ...r, impl: r.impl.replace(/-kt$/, ''), threads: 1 }));
    if (one && r.threads > 1) {
      const n = Math.min(one.rounds_ms.length, r.rounds_ms.length);
      r.vs_1_thread = median(Array.from({ length: n }, (_, i) => one.rounds_ms[i]! / r.rounds_ms[i]!));
    }
  }
  console.log(
    '\n| config | cell | impl | threads | ms/step | cpu ms/step | timesteps/s | us/timestep (C4) | recur/torch ' +
      '| recur/torch (cpu) | recur/tfjs | xN/x1 | BLAS kernel | rounds | load (1 min) | warm+timed | peak RSS MB |',
  );
  console.log('|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---|---:|');
  for (const r of rows) {
    const us = r.config === 'C4' ? fmt(r.ms_per_step, 1) : ''; // T = 1000: ms per sequence = us per step
    const loads = `${fmt(Math.min(...r.rounds_load), 1)}-${fmt(Math.max(...r.rounds_load), 1)}`;
    console.log(
      `| ${r.config} | ${r.cell} | ${r.impl}${r.build === 'relaxed-simd' ? ' (relaxed SIMD)' : ''} ` +
        `| ${r.threads} | ${fmt(r.ms_per_step, 2)} ` +
        `| ${fmt(r.cpu_ms_per_step, 2)} | ${Math.round(r.timesteps_per_s)} | ${us} ` +
        `| ${r.vs_torch ? `${fmt(r.vs_torch, 2)}x` : ''} ` +
        `| ${r.vs_torch_cpu ? `${fmt(r.vs_torch_cpu, 2)}x` : ''} | ${r.vs_tfjs ? `${fmt(r.vs_tfjs, 1)}x` : ''} ` +
        `| ${r.vs_1_thread ? `${fmt(r.vs_1_thread, 2)}x` : ''} | ${r.blas ?? ''} | ${r.rounds_ms.length} | ${loads} ` +
        `| ${r.warmup}+${r.steps} | ${fmt(r.peak_rss_mb, 0)} |`,
    );
  }
  // C4 is judged against PyTorch's better thread count (DESIGN.md's latency target).
  const c4 = (impl: string) =>
    rows.filter((x) => x.config === 'C4' && x.impl === impl).sort((a, b) => a.ms_per_step - b.ms_per_step)[0];
  const [c4r, c4t] = [c4('recur-wasm'), c4('torch')];
  if (c4r && c4t)
    console.log(
      `\nC4 latency: recur-wasm ${fmt(c4r.ms_per_step, 1)} us/step ` +
        `(${c4r.threads} thread${c4r.threads > 1 ? 's' : ''}) ` +
        `vs PyTorch's best ${fmt(c4t.ms_per_step, 1)} us/step (${c4t.threads} thread${c4t.threads > 1 ? 's' : ''}): ` +
        `${fmt(c4r.ms_per_step / c4t.ms_per_step, 2)}x its time.`,
    );
  console.log(
    "\nratio = recur timesteps/s over the peer's at the same thread count (> 1: recur faster), " +
      'the median over rounds of the ratio within a round; (cpu): the same from CPU time per step, ' +
      'one-thread rows only (a busy machine stretches wall time, not CPU time); ' +
      "TF.js rows run its wasm backend's default threads and are compared with every recur row.",
  );
  console.log(
    'xN/x1 = throughput with N threads over one thread ' +
      '(recur-wasm training rows: the batch split over worker threads; ' +
      `recur-wasm-kt rows and C4: the kernels split over helper threads). Load average at the end: ${loadText()}.`,
  );
  if (jsonFile) {
    writeFileSync(jsonFile, JSON.stringify(rows, null, 2) + '\n');
    console.log(`wrote ${rows.length} rows to ${jsonFile}`);
  }
  return 0;
}
