/**
 * Backend registry. `ts` is always there. `wasm` (WebAssembly SIMD; the bytes are embedded,
 * nothing is fetched) is compiled on first use: the first `getBackend()` compiles it
 * synchronously (Node, and browsers up to 8 MB per module on the main thread; ours is ~20 KB)
 * and makes it the default where the engine supports SIMD; `await ready()` compiles it
 * asynchronously instead. Importing this module runs nothing (DESIGN.md, decision 7).
 * `setBackend('ts')` switches back; layers pick the default when they are constructed.
 * @module recur-rnn/backend
 */
import type { Backend, LinalgKernels } from './backend.js';
import { tsBackend, tsLinalg } from './ts.js';
import { initWasm, initWasmSync, type WasmBackend } from './wasm.js';

const registry = new Map<string, Backend>([['ts', tsBackend]]);
let current: Backend | null = null; // null until the first use decides (wasm where it runs, else ts)
let wasmTried = false;

export function registerBackend(b: Backend, makeDefault = false): void {
  registry.set(b.name, b);
  if (makeDefault) current = b;
}

/** Registers the wasm backend once (the default unless another was chosen first). */
function adopt(w: WasmBackend | null): void {
  wasmTried = true;
  if (w && !registry.has('wasm')) registerBackend(w, current === null);
}

function startWasmSync(): void {
  if (wasmTried) return;
  let w: WasmBackend | null = null;
  try {
    w = initWasmSync();
  } catch {
    w = null; // no SIMD, or an engine that refuses synchronous compiles: the reference serves
  }
  adopt(w);
}

/**
 * Compiles the WebAssembly kernels asynchronously (where synchronous compiles are unwelcome)
 * and resolves with the default backend. Optional: `getBackend()` compiles on first use anyway.
 */
export async function ready(): Promise<Backend> {
  if (!wasmTried) adopt(await initWasm().catch(() => null));
  return getBackend();
}

export function getBackend(name?: string): Backend {
  startWasmSync();
  if (name === undefined) return (current ??= registry.get('wasm') ?? tsBackend);
  const b = registry.get(name);
  if (!b && name === 'webgpu') {
    throw new Error(
      "backend 'webgpu' keeps tensors on the GPU and is not a per-kernel CPU backend: train with " +
        "GpuSequenceModel from 'recur-rnn/webgpu' (Node needs the optional package: npm install webgpu), " +
        'or run `npm run bench -- --backend webgpu`',
    );
  }
  if (!b) throw new Error(`backend '${name}' is not available; available: ${[...registry.keys()].join(', ')}`);
  return b;
}

export function setBackend(name: string): Backend {
  current = getBackend(name);
  return current;
}

export function listBackends(): string[] {
  startWasmSync();
  return [...registry.keys()];
}

/** The float64 linear-algebra kernels of a backend (its own, else the reference). */
export function linalgOf(be: Backend = getBackend()): LinalgKernels {
  return be.linalg ?? tsLinalg;
}

export { tsBackend, tsLinalg };
export { gemmNT64Ref, syrkUpperRef } from './ts.js';
export {
  createWasmBackend,
  initWasm,
  initWasmSync,
  preferRelaxedSimd,
  relaxedSimdPreferred,
  relaxedSimdAvailable,
  wasmAvailable,
  type WasmBackend,
  type WasmLinalg,
} from './wasm.js';
export { ACT, actCode, type Backend, type Activation, type ActCode, type LinalgKernels } from './backend.js';
