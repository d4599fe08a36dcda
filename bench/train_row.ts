/**
 * The bare training step of `npm run bench` (bench/rnn_configs.ts: zero grads + forward +
 * loss + BPTT + SGD lr 0.01 on one fixed batch) at the sizes given, timed as the training
 * loops time themselves: the mean over `steps` steps after `warmup` (a median would hide
 * the slow steps that a loop's mean counts).
 *   node dist/bench/train_row.js '{"cell":"rnn","T":50,"hidden":128,"B":32,"warmup":20,"steps":300}'
 * prints one JSON line {ms_per_step, steps}.
 */
import { CONFIGS, recurStep } from './rnn_configs.js';
import type { CellType } from '../src/layers/stack.js';

const spec = JSON.parse(process.argv[2] ?? '{}') as {
  cell: CellType;
  T: number;
  hidden: number;
  B: number;
  warmup: number;
  steps: number;
};
const c = { ...CONFIGS.find((x) => x.id === 'C1')!, T: spec.T, hidden: spec.hidden, B: spec.B };
const { step, close } = await recurStep(c, spec.cell, 'wasm', 1);
for (let i = 0; i < spec.warmup; i++) step();
const t0 = performance.now();
for (let i = 0; i < spec.steps; i++) step();
const ms = (performance.now() - t0) / spec.steps;
await close();
console.log(JSON.stringify({ ms_per_step: ms, steps: spec.steps }));
