/**
 * Relaxed SIMD on Node 20, where V8 has it behind --experimental-wasm-relaxed-simd (Chrome and
 * later Node versions have it by default). The library uses the plain SIMD build unless asked:
 * relaxed SIMD's fused multiply-add is fused on some processors and not on others, and the same
 * seed must give the same numbers everywhere. `RECUR_RELAXED_SIMD=1` opts the CLI (and the
 * bench's recur rows) into the relaxed build; the kernels bench compares both builds either way.
 */
import { setFlagsFromString } from 'node:v8';
import { preferRelaxedSimd, relaxedSimdAvailable } from '../backend/wasm.js';

/** Lets the engine validate relaxed SIMD (sets V8's flag if needed); returns whether it validates now. */
export function allowRelaxedSimd(): boolean {
  if (relaxedSimdAvailable()) return true;
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  return relaxedSimdAvailable();
}

/**
 * The CLI's choice, made before the kernels compile: the relaxed-SIMD build only when
 * RECUR_RELAXED_SIMD=1 and the engine runs it. Returns whether the relaxed build will be used.
 */
export function enableRelaxedSimd(): boolean {
  if (process.env.RECUR_RELAXED_SIMD !== '1') return false;
  const ok = allowRelaxedSimd();
  if (ok) preferRelaxedSimd(true);
  return ok;
}
