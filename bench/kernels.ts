/**
 * `npm run bench -- kernels [--json FILE] [--profile] [--ms N]`: the wasm kernels alone.
 * 1. GFLOP/s (2*M*N*K per product) of the matrix products C1-C3 run, per flag combination,
 *    for recur-wasm, recur-ts and, in the same run, PyTorch's single-thread CPU products
 *    (torch.mm with the transposes as views, BLAS pool limited to 1 thread) as the machine's
 *    reference; ratio = recur-wasm / torch.
 * 2. `--profile`: where one training step's time goes for C1-C3 (wasm, one thread): every
 *    backend call timed through a wrapper, summed by kernel and gemm shape, plus the rest
 *    (JS outside kernels: losses, embedding, copies, optimiser).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import {
  type Backend,
  type WasmBackend,
  createWasmBackend,
  getBackend,
  relaxedSimdAvailable,
  tsBackend,
} from '../src/backend/index.js';
import { CONFIGS, type Config } from './rnn_configs.js';
import { type Batch, SequenceModel } from '../src/layers/model.js';
import { SGD } from '../src/train/optim.js';
import { Rng } from '../src/random.js';
import { PY, blasImport, load1, loadText, median, peerEnv, unfairVarsSet } from './peers/env.js';

interface Shape {
  name: string;
  tA: boolean;
  tB: boolean;
  acc: boolean;
  M: number;
  N: number;
  K: number;
}

/** The products one training step runs, by configuration (LSTM; G*H = 4H). */
function shapes(): Shape[] {
  const out: Shape[] = [];
  for (const [id, I, H, B, T] of [
    ['C1', 2, 128, 32, 100],
    ['C2', 64, 256, 32, 64],
    ['C3', 128, 512, 64, 50],
  ] as const) {
    const G = 4 * H,
      N = T * B;
    out.push(
      { name: `${id} step h W_hh^T`, tA: false, tB: true, acc: true, M: B, N: G, K: H },
      { name: `${id} step dgates W_hh`, tA: false, tB: false, acc: false, M: B, N: H, K: G },
      { name: `${id} X W_ih^T`, tA: false, tB: true, acc: true, M: N, N: G, K: I },
      { name: `${id} dW_hh += dG^T H`, tA: true, tB: false, acc: true, M: G, N: H, K: N },
      { name: `${id} dW_ih += dG^T X`, tA: true, tB: false, acc: true, M: G, N: I, K: N },
      { name: `${id} dX = dG W_ih`, tA: false, tB: false, acc: false, M: N, N: I, K: G },
    );
  }
  return out;
}

function timeIt(f: () => void, ms: number): number {
  f();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    f();
    n++;
    t = performance.now();
  }
  return (t - t0) / n / 1000; // seconds per call
}

function gflops(be: Backend, s: Shape, ms: number): number {
  const a = (n: number) => {
    const v = be.alloc ? be.alloc(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = Math.sin(i);
    return v;
  };
  const A = a(s.M * s.K),
    B = a(s.K * s.N),
    C = a(s.M * s.N);
  const sec = timeIt(() => be.gemm(s.tA, s.tB, s.acc, s.M, s.N, s.K, A, 0, B, 0, C, 0), ms);
  return (2 * s.M * s.N * s.K) / sec / 1e9;
}

/** Microseconds per step of the LSTM's fused time loop at C4's shape (B 1, H 256), one thread. */
function lstmUs(be: Backend, ms: number): number {
  const T = 100,
    H = 256;
  const a = (n: number) => {
    const v = be.alloc ? be.alloc(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = Math.sin(i) * 0.1;
    return v;
  };
  const xp = a(4 * T * H),
    w = a(4 * H * H),
    hs = a((T + 1) * H),
    cs = a((T + 1) * H),
    tc = a(T * H);
  return (timeIt(() => be.lstmSequence(T, 1, H, xp, 0, w, 0, hs, 0, cs, 0, tc, 0), ms) * 1e6) / T;
}

function torchGflops(list: Shape[], ms: number): { gflops: number[]; blas: string } | string {
  if (!existsSync(PY)) return `${PY} not found`;
  const code = `
import json, sys, time, os
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch
${blasImport()}
torch.set_num_threads(1)
try:
    from threadpoolctl import threadpool_limits; _k = threadpool_limits(1, user_api="blas")
except ImportError:
    pass
out = []
for s in json.loads(sys.argv[1]):
    M, N, K = s["M"], s["N"], s["K"]
    A = torch.randn(K, M).t() if s["tA"] else torch.randn(M, K)
    B = torch.randn(N, K).t() if s["tB"] else torch.randn(K, N)
    C = torch.randn(M, N)
    f = (lambda: C.addmm_(A, B)) if s["acc"] else (lambda: torch.mm(A, B, out=C))
    f(); n = 0; t0 = time.perf_counter(); t = t0
    while t - t0 < ${ms / 1000}:
        f(); n += 1; t = time.perf_counter()
    out.append(2 * M * N * K / ((t - t0) / n) / 1e9)
print(json.dumps({"gflops": out, "blas": blas_kernel()}))`;
  try {
    return JSON.parse(
      execFileSync(PY, ['-c', code, JSON.stringify(list)], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: peerEnv(),
      }).trim(),
    ) as { gflops: number[]; blas: string };
  } catch (e) {
    return `torch failed: ${(e as Error).message.slice(0, 200)}`;
  }
}

/** A backend that forwards every call to `be` and adds its time to `acc[key]`. */
function timed(be: Backend, acc: Map<string, number>): Backend {
  const wrap =
    (name: string, key: (args: unknown[]) => string) =>
    (...args: unknown[]) => {
      const t0 = performance.now();
      const r = (be as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!(...args);
      const k = key(args);
      acc.set(k, (acc.get(k) ?? 0) + performance.now() - t0);
      return r;
    };
  const gemmKey = (a: unknown[]) =>
    `gemm ${a[0] ? 'T' : 'N'}${a[1] ? 'T' : 'N'}${a[2] ? '+' : ''} ${a[3]}x${a[4]}x${a[5]}`;
  const p: Record<string, unknown> = { name: be.name };
  for (const k of Object.keys(be)) {
    const v = (be as unknown as Record<string, unknown>)[k];
    if (typeof v !== 'function') continue;
    p[k] = k === 'alloc' ? v.bind(be) : wrap(k, k === 'gemm' ? gemmKey : () => k);
  }
  return p as unknown as Backend;
}

function profile(c: Config, steps: number): { total: number; parts: [string, number][] } {
  const acc = new Map<string, number>();
  const be = timed(getBackend('wasm'), acc);
  const rng = new Rng(1234),
    { B, T } = c;
  const model = new SequenceModel(
    {
      cell: 'lstm',
      hiddenSize: c.hidden,
      outputSize: c.out,
      head: c.head as 'last' | 'every',
      loss: c.vocab ? 'xent' : 'mse',
      seed: 1,
      ...(c.vocab ? { vocabSize: c.vocab, embedDim: c.input } : { inputSize: c.input }),
    },
    be,
  );
  const opt = new SGD(model.params, { lr: 0.01 });
  const batch: Batch = c.vocab
    ? {
        T,
        B,
        ids: Int32Array.from({ length: T * B }, () => rng.int(c.vocab!)),
        y: Int32Array.from({ length: T * B }, () => rng.int(c.vocab!)),
      }
    : {
        T,
        B,
        x: Float32Array.from({ length: T * B * c.input }, () => rng.normal()),
        y: Float32Array.from({ length: (c.head === 'last' ? 1 : T) * B * c.out }, () => rng.normal()),
      };
  const step = () => {
    model.params.zeroGrad();
    model.lossAndGrad(batch);
    opt.step();
  };
  step();
  acc.clear();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  const total = (performance.now() - t0) / steps;
  const parts = [...acc.entries()].map(([k, v]) => [k, v / steps] as [string, number]).sort((a, b) => b[1] - a[1]);
  parts.push(['(outside kernels)', total - parts.reduce((s, p) => s + p[1], 0)]);
  return { total, parts };
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(
      'Usage: npm run bench -- kernels [--ms N] [--rounds N] [--profile] [--json FILE]\n' +
        '  rounds (default 3): recur-wasm and PyTorch products alternate; ratio = median over rounds.\n' +
        '  PyTorch runs without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (bench/peers/env.ts).',
    );
    return 0;
  }
  const num = (name: string, d: number) => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : d;
  };
  const ms = num('--ms', 300),
    rounds = num('--rounds', 3);
  const j = argv.indexOf('--json'),
    jsonFile = j >= 0 ? argv[j + 1] : undefined;
  const list = shapes(),
    wasm = getBackend('wasm') as WasmBackend;
  // Both builds of the kernels side by side, each on its own memory: plain SIMD and, where the
  // engine runs it, relaxed SIMD (fused multiply-adds); `wasm` is the one the library picked.
  const plain = createWasmBackend({ relaxed: false }).backend,
    relaxed = relaxedSimdAvailable() ? createWasmBackend({ relaxed: true }).backend : null;
  console.log(
    `# load average at the start: ${loadText()}; peer environment: ${unfairVarsSet()}; ` +
      `the library uses the ${wasm.build} build`,
  );
  const plainRounds: number[][] = list.map(() => []),
    relaxedRounds: number[][] = list.map(() => []),
    torchRounds: number[][] = list.map(() => []),
    seqPlain: number[] = [],
    seqRelaxed: number[] = [],
    loads: number[] = [];
  let blas = '';
  for (let r = 0; r < rounds; r++) {
    list.forEach((s, k) => {
      plainRounds[k]!.push(gflops(plain, s, ms));
      if (relaxed) relaxedRounds[k]!.push(gflops(relaxed, s, ms));
    });
    seqPlain.push(lstmUs(plain, ms));
    if (relaxed) seqRelaxed.push(lstmUs(relaxed, ms));
    const torch = torchGflops(list, ms);
    if (typeof torch === 'string') {
      if (r === 0) console.log(`# peer torch skipped: ${torch}`);
    } else {
      blas = torch.blas;
      torch.gflops.forEach((g, k) => torchRounds[k]!.push(g));
    }
    loads.push(load1());
  }
  const rows = list.map((s, k) => {
    const t = s.M * s.N * s.K <= 2e7 ? gflops(tsBackend, s, ms / 3) : NaN,
      w = plainRounds[k]!,
      x = relaxedRounds[k]!,
      best = x.length ? x : w,
      p = torchRounds[k]!;
    return {
      shape: s.name,
      flags: `${s.tA ? 'T' : 'N'}${s.tB ? 'T' : 'N'}${s.acc ? '+' : ''}`,
      M: s.M,
      N: s.N,
      K: s.K,
      wasm_gflops: median(w),
      relaxed_gflops: x.length ? median(x) : NaN,
      relaxed_over_plain: x.length ? median(x.map((g, i) => g / w[i]!)) : NaN,
      ts_gflops: t,
      torch_gflops: p.length ? median(p) : NaN,
      wasm_over_torch: p.length ? median(p.map((g, i) => best[i]! / g)) : NaN,
      wasm_rounds: w,
      relaxed_rounds: x,
      torch_rounds: p,
    };
  });
  console.log(
    '| product | flags | M x N x K | recur-wasm simd GFLOP/s | relaxed-simd GFLOP/s | relaxed/simd ' +
      '| recur-ts GFLOP/s | torch 1 thread GFLOP/s | wasm (best build)/torch |',
  );
  console.log('|---|---|---|---:|---:|---:|---:|---:|---:|');
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '');
  for (const r of rows)
    console.log(
      `| ${r.shape} | ${r.flags} | ${r.M}x${r.N}x${r.K} | ${f(r.wasm_gflops)} | ${f(r.relaxed_gflops)} ` +
        `| ${f(r.relaxed_over_plain)} | ${f(r.ts_gflops)} | ${f(r.torch_gflops)} | ${f(r.wasm_over_torch)} |`,
    );
  const seq = { simd_us: median(seqPlain), relaxed_us: seqRelaxed.length ? median(seqRelaxed) : NaN };
  console.log(
    `| C4 lstmSequence (B 1, H 256, one thread): us per step | | | ${f(seq.simd_us)} | ${f(seq.relaxed_us)} ` +
      `| ${f(seqRelaxed.length ? median(seqPlain.map((v, i) => v / seqRelaxed[i]!)) : NaN)} | | | |`,
  );
  console.log(
    `\nmedians over ${rounds} round(s); ratios = medians of the per-round ratios; relaxed-simd ` +
      `${
        relaxed
          ? 'measured'
          : 'not available in this engine (Node 20: --experimental-wasm-relaxed-simd, which the bench sets)'
      }; ` +
      `torch BLAS kernel: ${blas || 'n/a'}; load average (1 min) per round: ${loads.join(', ')}`,
  );
  const prof: Record<string, unknown> = {};
  if (argv.includes('--profile')) {
    for (const c of CONFIGS.filter((x) => x.head !== 'none')) {
      const p = profile(c, c.id === 'C3' ? 2 : 5);
      prof[c.id] = p;
      console.log(`\n${c.id} lstm, wasm, one thread: ${p.total.toFixed(1)} ms/step`);
      for (const [k, v] of p.parts.slice(0, 12))
        console.log(
          `  ${k.padEnd(28)} ${v.toFixed(2).padStart(8)} ms  ${((100 * v) / p.total).toFixed(1).padStart(5)}%`,
        );
    }
  }
  console.log(`\nload average: ${loadText()} (2 cores shared: compare within this run only)`);
  if (jsonFile)
    writeFileSync(
      jsonFile,
      JSON.stringify({ gemm: rows, lstm_sequence: seq, torch_blas: blas, loads, profile: prof }, null, 2) + '\n',
    );
  return 0;
}
