/**
 * Backend registry. `ts` is always there; faster backends register themselves when their
 * module is loaded and initialised (WebAssembly needs an async compile in browsers).
 */
import type { Backend } from './backend.js';
import { tsBackend } from './ts.js';

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
    throw new Error("backend 'webgpu' keeps tensors on the GPU and is not a per-kernel CPU backend: train with GpuSequenceTrainer " +
      "from 'recur/webgpu' (Node needs the optional package: npm install webgpu), or run `npm run bench -- --backend webgpu`");
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

export { tsBackend };
export type { Backend, Activation } from './backend.js';
