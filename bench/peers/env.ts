/**
 * How every Python peer of the benchmarks runs (PyTorch, NumPy/SciPy, scikit-learn): with
 * /usr/bin/python3, in an environment without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE. This
 * machine sets both (older OpenBLAS builds misbehave on its processor); inherited by a peer
 * they force OpenBLAS's AVX2 'Haswell' kernels, and PyTorch's C4 LSTM then takes ~3x as long
 * as with the 'Cooperlake' (AVX-512) kernels OpenBLAS picks by itself. Only the peers' own
 * commands drop them; tests and CI are unchanged.
 *
 * Every peer reports the BLAS kernel it ran (threadpoolctl's internal_api, version and
 * architecture; bench/peers/blas.py), so that a row says what it measured.
 */
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PY = '/usr/bin/python3';

/** The repository root (this file is dist/bench/peers/env.js) and the peers' folder. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const PEERS_DIR = join(ROOT, 'bench', 'peers');

/** Variables removed from the peers' environment (see above). */
export const UNFAIR_VARS = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'] as const;

/** The environment of a peer process: ours without UNFAIR_VARS, plus `extra`. */
export function peerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const k of UNFAIR_VARS) delete env[k];
  return env;
}

/** What this process's environment would have forced on a peer (for the report). */
export function unfairVarsSet(): string {
  const set = UNFAIR_VARS.filter((k) => process.env[k] !== undefined).map((k) => `${k}=${process.env[k]}`);
  return set.length ? `${set.join(' ')} (removed for the peers)` : 'none set';
}

/**
 * A Python line that makes `blas_kernel()` (bench/peers/blas.py) available to an inline peer
 * script: "openblas 0.3.21 Cooperlake" for each BLAS library the process loaded.
 */
export function blasImport(): string {
  return `import sys as _s; _s.path.insert(0, ${JSON.stringify(PEERS_DIR)}); from blas import blas_kernel`;
}

/** The 1-minute load average, rounded (recorded with every measured row). */
export function load1(): number {
  return Math.round(loadavg()[0]! * 100) / 100;
}

/** `uptime`'s three load averages as text. */
export function loadText(): string {
  return loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
}

/** Median of a non-empty list. */
export function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y),
    m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
