/**
 * `npm run bench [-- rnn] [flags]`: configurations C1-C4 (bench/rnn_configs.ts, DESIGN.md) for
 * recur (ts and wasm backends) and, in the same run, PyTorch CPU (/usr/bin/python3, 1 and 2
 * threads) and TensorFlow.js (wasm backend). Every row runs in its own process so that its
 * peak RSS is its own. Prints a table with ms/step, timesteps/s (B*T/s; C4: us per time step)
 * and, for recur rows, the throughput ratio recur/peer at the same thread count.
 * `--json FILE` writes the rows: {config, cell, impl, threads, ms_per_step, timesteps_per_s, ...}.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIGS } from './rnn_configs.js';

const HERE = dirname(fileURLToPath(import.meta.url)); // dist/bench
const ROOT = join(HERE, '..', '..');
const PY = '/usr/bin/python3';

interface Row {
  config: string;
  cell: string;
  impl: string;
  threads: number;
  ms_per_step: number;
  timesteps_per_s: number;
  steps: number;
  warmup: number;
  peak_rss_mb: number;
  vs_torch?: number;
  vs_tfjs?: number;
  vs_1_thread?: number;
}

const HELP = `Usage: npm run bench -- rnn [flags]
  --configs C1,C2,C3,C4   configurations to run (default all)
  --impls ts,wasm         recur backends (default both)
  --peers torch,tfjs      peers (default both; 'none' for recur only)
  --threads 1,2           thread counts of recur-wasm and PyTorch rows (default 1 and 2, capped
                          at the cores; recur-ts and C4 inference run one thread)
  --steps N               timed steps per row (default 10; median reported)
  --warmup N              warm-up steps (default 3)
  --budget S              seconds per row before slow rows drop to fewer steps (default 25)
  --quick                 --steps 3 --warmup 1 --budget 5 (development only)
  --json FILE             write the rows as JSON`;

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

function runRow(cmd: string, args: string[], timeoutS: number): Record<string, number> | string {
  try {
    const out = execFileSync(cmd, args, {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: Math.max(timeoutS, 600) * 1000,
    });
    return JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return (err.stderr?.trim().split('\n').slice(-2).join(' ') || err.message).slice(0, 200);
  }
}

function torchAvailable(): string | null {
  if (!existsSync(PY)) return `${PY} not found`;
  try {
    execFileSync(PY, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
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
  const configs = (flag(argv, '--configs') ?? 'C1,C2,C3,C4').split(',');
  const impls = (flag(argv, '--impls') ?? 'ts,wasm').split(',');
  const peers = (flag(argv, '--peers') ?? 'torch,tfjs').split(',').filter((p) => p !== 'none');
  const threads = (flag(argv, '--threads') ?? '1,2')
    .split(',')
    .map(Number)
    .filter((t) => t <= Math.max(1, cpus().length));
  const jsonFile = flag(argv, '--json');
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

  const rows: Row[] = [];
  const add = (config: string, cell: string, impl: string, th: number, r: Record<string, number> | string) => {
    if (typeof r === 'string') {
      console.log(`# ${config} ${cell} ${impl} x${th} failed: ${r}`);
      return;
    }
    const c = CONFIGS.find((x) => x.id === config)!;
    const row: Row = {
      config,
      cell,
      impl,
      threads: typeof r.threads === 'number' ? r.threads : th,
      ms_per_step: r.ms_per_step!,
      timesteps_per_s: (c.B * c.T) / (r.ms_per_step! / 1000),
      steps: r.steps!,
      warmup: r.warmup!,
      peak_rss_mb: r.peak_rss_mb!,
    };
    rows.push(row);
    console.log(
      `# ${config} ${cell.padEnd(4)} ${impl.padEnd(10)} x${th}: ${fmt(row.ms_per_step, 2)} ms/step (${row.warmup}+${row.steps})`,
    );
  };
  const spec = (o: object) => JSON.stringify({ warmup, steps, budgetS, ...o });
  const PEER_CELLS = ['rnn', 'lstm', 'gru'];
  for (const c of CONFIGS.filter((x) => configs.includes(x.id))) {
    for (const cell of c.cells) {
      for (const impl of impls) {
        for (const th of impl === 'wasm' && c.head !== 'none' ? threads : [1]) {
          add(
            c.id,
            cell,
            `recur-${impl}`,
            th,
            runRow(
              process.execPath,
              [join(HERE, 'rnn_row.js'), spec({ impl, config: c.id, cell, threads: th })],
              budgetS * 6,
            ),
          );
        }
      }
      const peerHas = PEER_CELLS.includes(cell); // PyTorch and TensorFlow.js have no IndRNN
      if (!missing.torch && peerHas)
        for (const th of threads)
          add(
            c.id,
            cell,
            'torch',
            th,
            runRow(PY, ['bench/torch_rnn.py', spec({ config: c.id, cell, threads: th })], budgetS * 6),
          );
      if (!missing.tfjs && peerHas)
        add(
          c.id,
          cell,
          'tfjs-wasm',
          1,
          runRow(process.execPath, [join(HERE, 'tfjs_row.js'), spec({ config: c.id, cell })], budgetS * 8),
        );
    }
  }
  // Ratios: recur throughput over the peer's, same configuration, cell and thread count.
  for (const r of rows.filter((x) => x.impl.startsWith('recur'))) {
    const peer = (impl: string) =>
      rows.find((x) => x.config === r.config && x.cell === r.cell && x.impl === impl && x.threads === r.threads);
    const t = peer('torch'),
      f = rows.find((x) => x.config === r.config && x.cell === r.cell && x.impl === 'tfjs-wasm');
    if (t) r.vs_torch = r.timesteps_per_s / t.timesteps_per_s;
    if (f) r.vs_tfjs = r.timesteps_per_s / f.timesteps_per_s;
    const one = rows.find((x) => x.config === r.config && x.cell === r.cell && x.impl === r.impl && x.threads === 1);
    if (one && r.threads > 1) r.vs_1_thread = r.timesteps_per_s / one.timesteps_per_s;
  }
  console.log(
    '\n| config | cell | impl | threads | ms/step | timesteps/s | us/timestep (C4) | recur/torch | recur/tfjs | xN/x1 | warm+timed | peak RSS MB |',
  );
  console.log('|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|');
  for (const r of rows) {
    const us = r.config === 'C4' ? fmt((r.ms_per_step * 1000) / 1000, 1) : '';
    console.log(
      `| ${r.config} | ${r.cell} | ${r.impl} | ${r.threads} | ${fmt(r.ms_per_step, 2)} | ${Math.round(r.timesteps_per_s)} | ${us} | ${r.vs_torch ? `${fmt(r.vs_torch, 2)}x` : ''} | ${r.vs_tfjs ? `${fmt(r.vs_tfjs, 1)}x` : ''} | ${r.vs_1_thread ? `${fmt(r.vs_1_thread, 2)}x` : ''} | ${r.warmup}+${r.steps} | ${fmt(r.peak_rss_mb, 0)} |`,
    );
  }
  console.log(
    `\nratio = recur timesteps/s over the peer's at the same thread count (> 1: recur faster); TF.js rows run its wasm backend's default threads and are compared with every recur row.`,
  );
  console.log(
    `xN/x1 = throughput with N threads (data-parallel: the batch split over worker threads) over one thread. Load average at the end: ${loadavg()
      .map((v) => v.toFixed(1))
      .join(' ')}.`,
  );
  if (jsonFile) {
    writeFileSync(jsonFile, JSON.stringify(rows, null, 2) + '\n');
    console.log(`wrote ${rows.length} rows to ${jsonFile}`);
  }
  return 0;
}
