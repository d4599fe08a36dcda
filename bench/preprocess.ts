/**
 * `npm run bench -- preprocess [--dims 256,512,1024] [--rounds 3] [--json FILE]`: ZCA fitting time
 * against NumPy (LAPACK) on the same data. For each D: N = 2D correlated samples; recur streams
 * the covariance in batches of 64, eigendecomposes it and forms W; the peer runs np.cov +
 * np.linalg.eigh + W in a fresh process right after (skipped when python3/numpy is missing),
 * without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (bench/peers/env.ts), and names its BLAS kernel.
 * Rounds alternate recur and NumPy; the ratio is the median over rounds of the ratio within a
 * round. Before the rounds of each D, one fit of recur at that size is timed on its own as the
 * process's first (V8 is still compiling and reoptimising the JavaScript for the large sizes and
 * the kernels' memory grows: the first fit took 1.05-1.3x the rounds' median at D = 1024), so
 * that the rounds compare the steady state of both; the first fit is reported in its own
 * column. Also times LCN (9x9, across channels) on 32 images of 96x96x3.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { CovarianceAccumulator, Zca, localContrastNormalize } from '../src/preprocess/index.js';
import { Rng } from '../src/random.js';
import { parseArgs } from '../src/cli/args.js';
import { useKernelThreads } from '../src/node/kernel_threads.js';
import { PY, blasImport, load1, loadText, median, peerEnv, unfairVarsSet } from './peers/env.js';

const PEER = () => `
import sys, time, json, numpy as np
${blasImport()}
D = int(sys.argv[1]); N = 2 * D
rng = np.random.default_rng(0)
x = (rng.standard_normal((N, D)) @ rng.standard_normal((D, D)) / np.sqrt(D)).astype(np.float32)
c = time.process_time(); t = time.perf_counter(); C = np.cov(x, rowvar=False); t1 = time.perf_counter()
w, V = np.linalg.eigh(C); t2 = time.perf_counter(); W = (V / np.sqrt(w + 1e-5)) @ V.T
t3 = time.perf_counter(); c3 = time.process_time()
print(json.dumps({"total": t3 - t, "cov": t1 - t, "eigh": t2 - t1, "w": t3 - t2, "cpu": c3 - c, "blas": blas_kernel()}))
`;

interface Peer {
  total: number;
  cpu: number;
  cov: number;
  eigh: number;
  w: number;
  blas: string;
}

function peer(D: number, threads: number): Peer | null {
  try {
    const out = execFileSync(PY, ['-c', PEER(), String(D)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      env: peerEnv(threads > 0 ? { OPENBLAS_NUM_THREADS: String(threads) } : {}),
    });
    return JSON.parse(out.trim()) as Peer;
  } catch {
    return null;
  }
}

/** N = 2D samples x = z A, z ~ N(0, I), A [D, D] ~ N(0, 1/D): a full-rank correlated covariance. */
function data(D: number): Float32Array {
  const N = 2 * D,
    rng = new Rng(1);
  const A = Float32Array.from({ length: D * D }, () => rng.normal() / Math.sqrt(D));
  const x = new Float32Array(N * D),
    z = new Float64Array(D),
    s = new Float64Array(D);
  for (let i = 0; i < N; i++) {
    for (let q = 0; q < D; q++) z[q] = rng.normal();
    s.fill(0);
    for (let q = 0; q < D; q++) {
      const zq = z[q]!,
        o = q * D;
      for (let p = 0; p < D; p++) s[p]! += zq * A[o + p]!;
    }
    x.set(s, i * D);
  }
  return x;
}

/** One recur fit: covariance (batches of 64), eigendecomposition, W. Seconds of each part. */
function fitOnce(x: Float32Array, D: number): { cov: number; eig: number; w: number; total: number; cpu: number } {
  const N = 2 * D,
    c0 = process.cpuUsage(),
    t0 = performance.now();
  const acc = new CovarianceAccumulator();
  for (let i = 0; i < N; i += 64)
    acc.add({ shape: [Math.min(64, N - i), D], data: x.subarray(i * D, Math.min(N, i + 64) * D) });
  const t1 = performance.now();
  const zca = Zca.fromAccumulator(acc, { epsilon: 1e-5 });
  const t2 = performance.now();
  zca.whiteningMatrix();
  const t3 = performance.now(),
    c = process.cpuUsage(c0);
  return {
    cov: (t1 - t0) / 1000,
    eig: (t2 - t1) / 1000,
    w: (t3 - t2) / 1000,
    total: (t3 - t0) / 1000,
    cpu: (c.user + c.system) / 1e6,
  };
}

export async function run(argv: string[]): Promise<number> {
  const { opts, positionals } = parseArgs(argv, {
    dims: { type: 'list', default: ['256', '512', '1024'], help: 'sample sizes D to fit ZCA on (N = 2D samples each)' },
    rounds: { type: 'int', default: 3, help: 'rounds of recur then NumPy; medians over rounds' },
    threads: { type: 'int', default: 2, help: "recur's threads (NumPy's OpenBLAS uses every core)" },
    'peer-threads': {
      type: 'int',
      default: 0,
      help: "NumPy's BLAS threads (OPENBLAS_NUM_THREADS; 0: OpenBLAS's default, every core)",
    },
  });
  if (opts.help) {
    console.log(
      'Usage: npm run bench -- preprocess [--dims 256,512] [--rounds 3] [--threads 2] [--peer-threads 0] [--json FILE]',
    );
    return 0;
  }
  console.log(`# load average at the start: ${loadText()}; peer environment: ${unfairVarsSet()}`);
  const rounds = opts.rounds as number,
    threads = opts.threads as number;
  const kt = threads > 1 ? await useKernelThreads(threads) : null;
  // A first small fit compiles the JavaScript of the solver, as any long-running process would have.
  fitOnce(data(128), 128);
  const rows: Record<string, unknown>[] = [];
  for (const d of opts.dims as string[]) {
    const D = Number(d),
      x = data(D);
    const ours: ReturnType<typeof fitOnce>[] = [],
      theirs: Peer[] = [],
      ratios: number[] = [],
      loads: number[] = [];
    const first = fitOnce(x, D);
    for (let r = 0; r < rounds; r++) {
      const a = fitOnce(x, D),
        b = peer(D, opts['peer-threads'] as number);
      ours.push(a);
      if (b) {
        theirs.push(b);
        ratios.push(a.total / b.total);
      }
      loads.push(load1());
    }
    const m = (k: keyof (typeof ours)[number]) => median(ours.map((o) => o[k]));
    rows.push({
      D,
      N: 2 * D,
      covS: m('cov'),
      eigS: m('eig'),
      wS: m('w'),
      recurS: m('total'),
      recurFirstS: first.total,
      numpyS: theirs.length ? median(theirs.map((t) => t.total)) : null,
      numpyEighS: theirs.length ? median(theirs.map((t) => t.eigh)) : null,
      recurCpuS: m('cpu'),
      numpyCpuS: theirs.length ? median(theirs.map((t) => t.cpu)) : null,
      ratio: ratios.length ? median(ratios) : null,
      threads,
      ratioRounds: ratios,
      blas: theirs[0]?.blas ?? null,
      loads,
      rounds: ours,
      numpyRounds: theirs,
    });
  }
  await kt?.close();
  const imgs = {
    shape: [32, 96, 96, 3],
    data: Float32Array.from({ length: 32 * 96 * 96 * 3 }, (_, i) => Math.sin(i * 0.37) + (i % 7) / 7),
  };
  const l0 = performance.now();
  localContrastNormalize(imgs, { size: 9, sigma: 2 });
  const lcnMs = (performance.now() - l0) / 32;
  console.log(
    `ZCA fit (covariance + eigendecomposition + W), N = 2D samples, float64, recur on ${threads} thread(s), ` +
      `NumPy on ${opts['peer-threads'] || 'its default'} BLAS thread(s); medians over rounds`,
  );
  console.log(
    '| D | N | cov s | eigen s | W s | recur s | recur s, first fit | NumPy s (of which eigh) ' +
      '| recur/NumPy (median of rounds) | CPU s recur / NumPy | NumPy BLAS kernel | load (1 min) |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|');
  const f = (v: unknown, d: number) => (typeof v === 'number' ? v.toFixed(d) : 'n/a');
  for (const r of rows) {
    const loads = r.loads as number[];
    console.log(
      `| ${r.D} | ${r.N} | ${f(r.covS, 3)} | ${f(r.eigS, 3)} | ${f(r.wS, 3)} | ${f(r.recurS, 3)} ` +
        `| ${f(r.recurFirstS, 3)} ` +
        `| ${f(r.numpyS, 3)} (${f(r.numpyEighS, 3)}) | ${f(r.ratio, 2)} ` +
        `| ${f(r.recurCpuS, 3)} / ${f(r.numpyCpuS, 3)} ` +
        `| ${r.blas ?? 'n/a'} | ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} |`,
    );
  }
  console.log(
    `LCN 9x9 across channels, 96x96x3: ${lcnMs.toFixed(2)} ms per image; load average at the end: ${loadText()}`,
  );
  // `--json FILE`: the shared parser reads --json as a switch, so FILE arrives as the positional.
  if (opts.json && positionals[0])
    writeFileSync(positionals[0], JSON.stringify({ zca: rows, lcnMsPerImage: lcnMs }, null, 2));
  return 0;
}
