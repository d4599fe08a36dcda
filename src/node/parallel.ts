/**
 * Data-parallel training on Node worker threads: the `SpawnShardWorker` seam of
 * src/train/data_parallel.ts implemented with worker_threads. `dataParallel(model)` starts
 * threads-1 workers (default threads: one per core) and returns the gradient source a
 * Trainer uses (`new Trainer(model, opt, { grads })`); call `close()` when done (the workers
 * are unref'd, so a forgotten close does not keep the process alive).
 * `useKernelThreads(n)` (kernel_threads.ts) is the other way to use the cores: one model, its
 * large products and the LSTM's inference loop split over helper threads.
 * @module recur-rnn/parallel
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { SequenceModel } from '../layers/model.js';
import { DataParallel, type ShardWorkerHandle, type ShardWorkerInit } from '../train/data_parallel.js';
import { relaxedSimdPreferred } from '../backend/wasm.js';

const WORKER = new URL('./parallel_worker.js', import.meta.url);

/** What a shard worker starts from: `init`, and whether to use the relaxed-SIMD build as this thread does. */
export interface NodeShardWorkerData extends ShardWorkerInit {
  relaxed: boolean;
}

/**
 * The worker's data: a replica on another build than the calling thread's would compute its
 * shard with other roundings (and, with RECUR_RELAXED_SIMD=1, the step would wait on the slower
 * plain build), so the worker is told which one this thread uses.
 */
export function shardWorkerData(init: ShardWorkerInit): NodeShardWorkerData {
  return { ...init, relaxed: relaxedSimdPreferred() };
}

/** Starts one worker thread serving shards; `ready` settles when its replica is built (or it fails). */
export function spawnNodeShardWorker(init: ShardWorkerInit): ShardWorkerHandle {
  const w = new Worker(WORKER, { workerData: shardWorkerData(init) });
  const ready = new Promise<void>((resolve, reject) => {
    w.once('message', (m: unknown) =>
      m === 'ready' ? resolve() : reject(new Error(`shard worker ${init.index}: ${String(m)}`)),
    );
    w.once('error', (e) => reject(new Error(`shard worker ${init.index} failed to start: ${e.message}`)));
    w.once('exit', (code) =>
      reject(new Error(`shard worker ${init.index} exited with code ${code} before it was ready`)),
    );
  });
  ready.then(
    () => w.unref(),
    () => {},
  );
  return { ready, terminate: () => w.terminate() };
}

export interface DataParallelOptions {
  /** Threads including the calling one (default: the number of cores). 1 = no workers. */
  threads?: number;
  /** Backend name for the replicas (default: the model's). */
  backend?: string;
}

/** The number of cores this process may use. */
export function defaultThreads(): number {
  return availableParallelism();
}

/** Starts data-parallel training of `model` over `threads` threads (the caller plus threads-1 workers). */
export function dataParallel(model: SequenceModel, o: DataParallelOptions = {}): Promise<DataParallel> {
  return DataParallel.start(model, o.threads ?? defaultThreads(), spawnNodeShardWorker, o.backend);
}

export { DataParallel, modelRngs, shardConfig } from '../train/data_parallel.js';
export type { GradientSource } from '../train/trainable.js';
export { threadedGram, ThreadedGram } from './gram.js';
export { useKernelThreads, type KernelThreads } from './kernel_threads.js';
