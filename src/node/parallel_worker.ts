/**
 * Entry of a data-parallel shard worker (started by src/node/parallel.ts): builds the model
 * replica, says 'ready', then serves steps through shared memory until told to stop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type ShardWorkerInit, serveShards } from '../train/data_parallel.js';

try {
  serveShards(workerData as ShardWorkerInit, () => parentPort!.postMessage('ready'));
} catch (e) {
  parentPort!.postMessage(`failed: ${(e as Error)?.message ?? String(e)}`);
}
