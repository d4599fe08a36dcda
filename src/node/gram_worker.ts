/**
 * The helper thread of src/node/gram.ts: the kernels over the caller's shared memory, one
 * Gram share per job, signalled through the control words (see gram.ts for their layout).
 */
import { parentPort, workerData } from 'node:worker_threads';

interface Init {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctrl: Int32Array;
}
const { module, memory, ctrl } = workerData as Init;
const k = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as {
  syrk64(P: number, K: number, a: number, c: number, ipFrom: number, ipTo: number, work: number): void;
  gemm64(
    tA: number,
    tB: number,
    acc: number,
    upper: number,
    M: number,
    N: number,
    K: number,
    alpha: number,
    a: number,
    lda: number,
    b: number,
    ldb: number,
    c: number,
    ldc: number,
    work: number,
  ): void;
};
const SEQ = 0,
  DONE = 1,
  ARGS = 2,
  MICROS = 9,
  STOP = 10,
  FAILED = 11,
  KIND = 12,
  GEMM = 16;
const f64 = new Float64Array(ctrl.buffer, GEMM * 4, 1); // alpha of a gemm job

parentPort!.postMessage('ready');
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, SEQ, seen);
  seen = Atomics.load(ctrl, SEQ);
  if (Atomics.load(ctrl, STOP)) break;
  const t0 = performance.now();
  try {
    if (Atomics.load(ctrl, KIND) === 0) {
      const [P, K, a, c, ipFrom, ipTo, work] = Array.from(ctrl.subarray(ARGS, ARGS + 7));
      k.syrk64(P!, K!, a!, c!, ipFrom!, ipTo!, work!);
    } else {
      const [M, N, K, a, lda, b, ldb, c, ldc, work] = Array.from(ctrl.subarray(GEMM + 2, GEMM + 12));
      k.gemm64(0, 1, 1, 0, M!, N!, K!, f64[0]!, a!, lda!, b!, ldb!, c!, ldc!, work!);
    }
  } catch (e) {
    console.error(`gram worker: ${(e as Error).message}`);
    Atomics.store(ctrl, FAILED, seen);
  }
  Atomics.store(ctrl, MICROS, Math.round((performance.now() - t0) * 1000));
  Atomics.store(ctrl, DONE, seen);
  Atomics.notify(ctrl, DONE);
}
