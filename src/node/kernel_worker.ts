/**
 * A helper thread of src/node/kernel_threads.ts: the wasm kernels instantiated over the caller's
 * shared memory, serving jobs from its slot of the control block (src/backend/helpers.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serveKernels } from '../backend/helpers.js';

interface Init {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctrl: SharedArrayBuffer;
  index: number;
}
const { module, memory, ctrl, index } = workerData as Init;
const inst = new WebAssembly.Instance(module, { env: { memory } });
parentPort!.postMessage('ready');
serveKernels(inst.exports as Record<string, unknown>, ctrl, index, (e) =>
  console.error(`recur kernel thread ${index + 1}: ${(e as Error).message}`),
);
