/**
 * Relaxed SIMD on Node 20, where V8 has it behind --experimental-wasm-relaxed-simd (Chrome and
 * later Node versions have it by default): the CLI, the bench and the worker threads call this
 * before the kernels compile, so the wasm backend picks its relaxed-SIMD build (fused
 * multiply-adds in the float32 products) where the processor runs it.
 */
import { setFlagsFromString } from 'node:v8';
import { relaxedSimdAvailable } from '../backend/wasm.js';

/** Turns the engine flag on if relaxed SIMD does not validate yet; returns whether it validates now. */
export function enableRelaxedSimd(): boolean {
  if (relaxedSimdAvailable()) return true;
  if (process.env.RECUR_NO_RELAXED_SIMD) return false;
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  return relaxedSimdAvailable();
}
