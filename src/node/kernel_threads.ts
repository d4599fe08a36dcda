/**
 * Every core on one kernel call (Node): `useKernelThreads(n)` starts n - 1 worker threads that
 * instantiate the wasm kernels over the backend's shared memory and wait for jobs
 * (src/backend/helpers.ts); the wasm backend then splits the LSTM's time loop (streaming
 * inference: hidden units per thread, a barrier per step) and large matrix products (blocks
 * of C) between the caller and them. Results are the same numbers as on one thread (each
 * output is computed by one thread, in the same order).
 *
 *   const kt = await useKernelThreads(2);   // about 30 ms, once
 *   lstm.forward(x);                          // both cores
 *   await kt.close();                         // back to one thread
 *
 * The workers are unref'd: a forgotten close does not keep the process alive. Data-parallel
 * training (recur/parallel) is the other way to use the cores; do not combine them.
 */
import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import { getBackend } from '../backend/index.js';
import { type WasmBackend, wasmSharedModule } from '../backend/wasm.js';
import { HelperPool, controlBytes } from '../backend/helpers.js';

const WORKER = new URL('./kernel_worker.js', import.meta.url);

export interface KernelThreads {
  /** Threads the kernels use (the caller included). */
  readonly threads: number;
  /** Stops the helpers; the backend runs on the calling thread again. */
  close(): Promise<void>;
}

/** Starts `threads - 1` helper threads for the wasm backend (default: one per core). */
export async function useKernelThreads(threads = cpus().length): Promise<KernelThreads> {
  if (!Number.isInteger(threads) || threads < 1)
    throw new RangeError(`useKernelThreads: threads must be a positive integer, got ${threads}`);
  const be = getBackend('wasm') as WasmBackend,
    shared = wasmSharedModule();
  if (!shared) throw new RangeError('useKernelThreads needs the wasm backend with a shared memory (SharedArrayBuffer)');
  if (be.helpers) throw new Error('useKernelThreads: helper threads are already running; close them first');
  const n = threads - 1;
  if (n === 0) return { threads: 1, close: async () => {} };
  const ctrl = new SharedArrayBuffer(controlBytes(n));
  const workers: Worker[] = [];
  try {
    for (let index = 0; index < n; index++) {
      const w = new Worker(WORKER, { workerData: { module: shared.module, memory: shared.memory, ctrl, index } });
      workers.push(w);
      await new Promise<void>((resolve, reject) => {
        w.once('message', (m: unknown) =>
          m === 'ready' ? resolve() : reject(new Error(`kernel thread: ${String(m)}`)),
        );
        w.once('error', (e) => reject(new Error(`kernel thread failed to start: ${e.message}`)));
      });
      w.unref();
    }
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw e;
  }
  const pool = new HelperPool(n, ctrl);
  be.setHelpers(pool);
  let closed = false;
  return {
    threads,
    async close() {
      if (closed) return;
      closed = true;
      if (be.helpers === pool) be.setHelpers(null);
      pool.stop();
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
