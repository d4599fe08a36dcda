/**
 * The helper thread of src/node/gram.ts: the kernels over the caller's shared memory, one
 * Gram share per job, signalled through the control words (see gram.ts for their layout).
 */
import { parentPort, workerData } from 'node:worker_threads';

interface Init { module: WebAssembly.Module; memory: WebAssembly.Memory; ctrl: Int32Array }
const { module, memory, ctrl } = workerData as Init;
const k = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as {
  syrk64(P: number, K: number, a: number, c: number, ipFrom: number, ipTo: number, work: number): void;
};
const SEQ = 0, DONE = 1, ARGS = 2, MICROS = 9, STOP = 10, FAILED = 11;

parentPort!.postMessage('ready');
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, SEQ, seen);
  seen = Atomics.load(ctrl, SEQ);
  if (Atomics.load(ctrl, STOP)) break;
  const [P, K, a, c, ipFrom, ipTo, work] = Array.from(ctrl.subarray(ARGS, ARGS + 7));
  const t0 = performance.now();
  try {
    k.syrk64(P!, K!, a!, c!, ipFrom!, ipTo!, work!);
  } catch (e) {
    console.error(`gram worker: ${(e as Error).message}`);
    Atomics.store(ctrl, FAILED, seen);
  }
  Atomics.store(ctrl, MICROS, Math.round((performance.now() - t0) * 1000));
  Atomics.store(ctrl, DONE, seen);
  Atomics.notify(ctrl, DONE);
}
