/**
 * `npm run bench -- preprocess [--dims 256,512,1024] [--json FILE]`: ZCA fitting time against
 * NumPy (LAPACK) on the same data. For each D: N = 2D correlated samples; recur streams the
 * covariance in batches of 64 and eigendecomposes it (tred2 + tql2); the peer runs np.cov +
 * np.linalg.eigh in the same process run (skipped when python3/numpy is missing). Also times LCN
 * (9x9, across channels) on 32 images of 96x96x3.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { CovarianceAccumulator, Zca, localContrastNormalize } from '../src/preprocess/index.js';
import { Rng } from '../src/random.js';
import { parseArgs } from '../src/cli/args.js';

const PEER = `
import sys, time, numpy as np
D = int(sys.argv[1]); N = 2 * D
rng = np.random.default_rng(0)
x = (rng.standard_normal((N, D)) @ rng.standard_normal((D, D)) / np.sqrt(D)).astype(np.float32)
t = time.perf_counter(); C = np.cov(x, rowvar=False); w, V = np.linalg.eigh(C); W = (V / np.sqrt(w + 1e-5)) @ V.T
print(time.perf_counter() - t)
`;

function peer(D: number): number | null {
  try {
    return Number(
      execFileSync('python3', ['-c', PEER, String(D)], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim(),
    );
  } catch {
    return null;
  }
}

export async function run(argv: string[]): Promise<number> {
  const { opts, positionals } = parseArgs(argv, {
    dims: { type: 'list', default: ['256', '512', '1024'], help: 'sample sizes D to fit ZCA on (N = 2D samples each)' },
  });
  if (opts.help) {
    console.log('Usage: npm run bench -- preprocess [--dims 256,512] [--json FILE]');
    return 0;
  }
  const rows: {
    D: number;
    N: number;
    covS: number;
    eigS: number;
    recurS: number;
    numpyS: number | null;
    ratio: number | null;
  }[] = [];
  for (const d of opts.dims as string[]) {
    const D = Number(d),
      N = 2 * D,
      rng = new Rng(1);
    const A = Float32Array.from({ length: D * D }, () => rng.normal() / Math.sqrt(D));
    const x = new Float32Array(N * D),
      z = new Float64Array(D);
    for (let i = 0; i < N; i++) {
      for (let q = 0; q < D; q++) z[q] = rng.normal();
      for (let p = 0; p < D; p++) {
        let s = 0;
        for (let q = 0; q < D; q++) s += z[q]! * A[q * D + p]!;
        x[i * D + p] = s;
      }
    }
    const t0 = performance.now();
    const acc = new CovarianceAccumulator();
    for (let i = 0; i < N; i += 64)
      acc.add({ shape: [Math.min(64, N - i), D], data: x.subarray(i * D, Math.min(N, i + 64) * D) });
    const t1 = performance.now();
    const zca = Zca.fromAccumulator(acc, { epsilon: 1e-5 });
    zca.whiteningMatrix();
    const t2 = performance.now();
    const np = peer(D),
      recurS = (t2 - t0) / 1000;
    rows.push({
      D,
      N,
      covS: (t1 - t0) / 1000,
      eigS: (t2 - t1) / 1000,
      recurS,
      numpyS: np,
      ratio: np ? recurS / np : null,
    });
  }
  const imgs = {
    shape: [32, 96, 96, 3],
    data: Float32Array.from({ length: 32 * 96 * 96 * 3 }, (_, i) => Math.sin(i * 0.37) + (i % 7) / 7),
  };
  const l0 = performance.now();
  localContrastNormalize(imgs, { size: 9, sigma: 2 });
  const lcnMs = (performance.now() - l0) / 32;
  console.log('ZCA fit (covariance + eigendecomposition + W), N = 2D samples, float64');
  console.log('    D      N   cov s   eig+W s  recur s  numpy s  recur/numpy');
  for (const r of rows) {
    console.log(
      `${String(r.D).padStart(5)}  ${String(r.N).padStart(5)}  ${r.covS.toFixed(2).padStart(6)}  ${r.eigS.toFixed(2).padStart(8)}  ${r.recurS.toFixed(2).padStart(7)}  ${r.numpyS === null ? '    n/a' : r.numpyS.toFixed(3).padStart(7)}  ${r.ratio === null ? 'n/a' : r.ratio.toFixed(1).padStart(11)}`,
    );
  }
  console.log(`LCN 9x9 across channels, 96x96x3: ${lcnMs.toFixed(2)} ms per image`);
  // `--json FILE`: the shared parser reads --json as a switch, so FILE arrives as the positional.
  if (opts.json && positionals[0])
    writeFileSync(positionals[0], JSON.stringify({ zca: rows, lcnMsPerImage: lcnMs }, null, 2));
  return 0;
}
