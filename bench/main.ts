/**
 * `npm run bench [-- SUITE ...flags]`: speed and quality side by side with the peers,
 * measured in the same run. Suites register here, one line each; each prints a table and
 * takes `--json FILE`.
 */
import { allowRelaxedSimd, enableRelaxedSimd } from '../src/node/relaxed_simd.js';

type Suite = { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> };

const SUITES: Record<string, Suite> = {
  preprocess: { summary: 'ZCA fit vs NumPy, LCN per image', load: () => import('./preprocess.js') },
  kernels: {
    summary: 'wasm gemm GFLOP/s vs torch single thread; per-step time breakdown (--profile)',
    load: () => import('./kernels.js'),
  },
  rnn: {
    summary: 'C1-C4 training steps: recur (ts, wasm) vs PyTorch CPU and TensorFlow.js',
    load: () => import('./rnn.js'),
  },
  train: {
    summary: "recur train's loop vs the bare step vs PyTorch's loop (lecture sizes, interleaved)",
    load: () => import('./train_loop.js'),
  },
  sweep: {
    summary: "npm start's lengths and step budgets: the lecture's models over 8 seeds",
    load: () => import('./start_sweep.js'),
  },
  webgpu: { summary: 'C1-C4 on the GPU (WebGPU) vs PyTorch CUDA', load: () => import('./webgpu.js') },
  esn: { summary: 'echo state networks vs ReservoirPy (Mackey-Glass, anchors)', load: () => import('./esn.js') },
  hash: {
    summary: 'hashing trick: recur hash vs scikit-learn / Python FTRL on 1M CTR rows',
    load: () => import('./hash.js'),
  },
  lm: { summary: 'C2 char LM on tinyshakespeare: tokens/s vs PyTorch, steady heap', load: () => import('./lm.js') },
  learn: {
    summary: 'steps to solve adding / temporal order over seeds: recur vs PyTorch, Mann-Whitney U',
    load: () => import('./learn.js'),
  },
  all: {
    summary: 'every suite with a peer, for the README tables (--quiet-check waits for an idle machine)',
    load: () => import('./all.js'),
  },
};

async function main(argv: string[]): Promise<number> {
  // Before the kernels compile: the kernels suite compares both builds; the other rows run as the CLI does.
  allowRelaxedSimd();
  enableRelaxedSimd();
  const first = argv[0];
  if (first === '--help' || first === '-h') {
    console.log(
      'Usage: npm run bench -- [SUITE] [flags]\n\nSuites:\n' +
        Object.entries(SUITES)
          .map(([k, v]) => `  ${k.padEnd(12)}${v.summary}`)
          .join('\n') +
        '\n\nEach suite takes --help.',
    );
    return 0;
  }
  if (first === '--backend' && argv[1] === 'webgpu') return (await SUITES.webgpu!.load()).run(argv.slice(2));
  const name = first && !first.startsWith('-') ? first : 'rnn';
  const rest = first && !first.startsWith('-') ? argv.slice(1) : argv;
  const s = SUITES[name];
  if (!s) {
    console.error(`bench: unknown suite '${name}'; have: ${Object.keys(SUITES).join(', ') || '(none yet)'}`);
    return 2;
  }
  return (await s.load()).run(rest);
}

main(process.argv.slice(2)).then((c) => {
  process.exitCode = c;
});
