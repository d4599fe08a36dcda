/**
 * One benchmark row in its own process (so that peak RSS is per configuration):
 * `node dist/bench/rnn_row.js '{"impl":"wasm","config":"C1","cell":"lstm","warmup":3,"steps":10,"budgetS":20}'`
 * prints one JSON line {ms_per_step, steps, warmup, peak_rss_mb}. impl 'ts' or 'wasm'; "threads": N
 * uses N threads, "split" says how ('batch': data-parallel, the default; 'kernels': helper threads
 * in the kernels; C4 always 'kernels').
 * Median of `steps` timed steps after `warmup`; a row whose warm-up step takes over
 * budgetS/13 drops to 1 warm-up and as few as 3 timed steps (reported), as the anchors do.
 */
import { CONFIGS, type Split, recurStep } from './rnn_configs.js';
import type { CellType } from '../src/layers/stack.js';
import { timeSteps } from './rnn_timing.js';
import { enableRelaxedSimd } from '../src/node/relaxed_simd.js';
import { getBackend } from '../src/backend/index.js';
import type { WasmBackend } from '../src/backend/wasm.js';

enableRelaxedSimd(); // as the CLI does, before the kernels compile

const spec = JSON.parse(process.argv[2] ?? '{}') as {
  impl: string;
  config: string;
  cell: CellType;
  warmup: number;
  steps: number;
  budgetS: number;
  threads?: number;
  split?: Split;
  stream?: boolean;
};
const c = CONFIGS.find((x) => x.id === spec.config);
if (!c) throw new Error(`unknown config ${spec.config}`);
const { step, close } = await recurStep(
  c,
  spec.cell,
  spec.impl,
  spec.threads ?? 1,
  spec.split ?? 'batch',
  spec.stream ?? false,
);
const r = timeSteps(step, spec.warmup, spec.steps, spec.budgetS);
await close();
// which wasm build ran (plain 'simd', or 'relaxed-simd' with RECUR_RELAXED_SIMD=1): rows say so
const build = spec.impl === 'wasm' ? (getBackend('wasm') as WasmBackend).build : undefined;
console.log(JSON.stringify({ ...r, build, peak_rss_mb: process.resourceUsage().maxRSS / 1024 }));
