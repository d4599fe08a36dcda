/**
 * Backend registry. `ts` is always there. `wasm` (WebAssembly SIMD) is compiled when this
 * module loads (top-level await; the bytes are embedded, nothing is fetched) and becomes
 * the default where the engine supports SIMD; elsewhere `ts` stays the default.
 * `setBackend('ts')` switches back; layers pick the default when they are constructed.
 */
import type { Backend } from './backend.js';
import { tsBackend } from './ts.js';
import { initWasm } from './wasm.js';

const registry = new Map<string, Backend>([['ts', tsBackend]]);
let current: Backend = tsBackend;

export function registerBackend(b: Backend, makeDefault = false): void {
  registry.set(b.name, b);
  if (makeDefault) current = b;
}

export function getBackend(name?: string): Backend {
  if (name === undefined) return current;
  const b = registry.get(name);
  if (!b && name === 'webgpu') {
    throw new Error(
      "backend 'webgpu' keeps tensors on the GPU and is not a per-kernel CPU backend: train with GpuSequenceTrainer " +
        "from 'recur/webgpu' (Node needs the optional package: npm install webgpu), or run `npm run bench -- --backend webgpu`",
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
  return [...registry.keys()];
}

const wasm = await initWasm().catch(() => null);
if (wasm) registerBackend(wasm, true);

export { tsBackend };
export { gemmNT64Ref, syrkUpperRef } from './ts.js';
export { initWasm, initWasmSync, wasmAvailable, type WasmBackend } from './wasm.js';
export type { Backend, Activation } from './backend.js';
