/**
 * Entry of a data-parallel shard worker (started by src/node/parallel.ts): builds the model
 * replica, says 'ready', then serves steps through shared memory until told to stop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serveShards } from '../train/data_parallel.js';
import { preferRelaxedSimd } from '../backend/wasm.js';
import type { NodeShardWorkerData } from './parallel.js';
import { allowRelaxedSimd } from './relaxed_simd.js';

try {
  const data = workerData as NodeShardWorkerData;
  if (data.relaxed) {
    // the calling thread's build, before this replica's kernels compile
    if (!allowRelaxedSimd()) throw new Error('the calling thread uses relaxed SIMD, which this worker cannot run');
    preferRelaxedSimd(true);
  }
  serveShards(data, () => parentPort!.postMessage('ready'));
} catch (e) {
  parentPort!.postMessage(`failed: ${(e as Error)?.message ?? String(e)}`);
}
