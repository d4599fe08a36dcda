/**
 * A helper thread for ridge readouts' Gram updates (src/reservoir/gram.ts), on Node worker
 * threads: the worker instantiates the same compiled kernels over the same shared memory and
 * waits on an Int32Array for jobs (no messages per block: Atomics.wait / notify).
 *
 *   const gram = await threadedGram();        // starts the worker (about 30 ms, once)
 *   const ridge = new Ridge({ ridge: 1e-5, warmup: 200, gram });
 *   ...fit as usual...;  gram.close();
 *
 * Needs the wasm backend with a shared memory (Node has SharedArrayBuffer); the worker is
 * unref'd, so a forgotten close does not keep the process alive.
 */
import { Worker } from 'node:worker_threads';
import { getBackend } from '../backend/index.js';
import { type WasmBackend, wasmSharedModule } from '../backend/wasm.js';
import { type GramHelper, SplitGram } from '../reservoir/gram.js';

const WORKER = new URL('./gram_worker.js', import.meta.url);

// Control words: [0] job sequence number (the worker waits on it), [1] finished sequence
// number (the caller waits on it), [2..8] P, K, A, C (byte offsets), ipFrom, ipTo, work;
// [9] the job's time in microseconds; [10] stop; [11] an error sequence number; [12] the job's
// kind (0 Gram share, 1 product rows); [16..17] a product's alpha (float64), [18..27] its
// M, N, K, A, lda, B, ldb, C, ldc, work.
const SEQ = 0,
  DONE = 1,
  ARGS = 2,
  MICROS = 9,
  STOP = 10,
  FAILED = 11,
  KIND = 12,
  GEMM = 16;

export class ThreadedGram extends SplitGram {
  private constructor(
    private readonly helperJob: GramHelper & { gemmRows: NonNullable<GramHelper['gemmRows']> },
    private readonly worker: Worker,
    private readonly ctrl: Int32Array,
  ) {
    super((getBackend() as WasmBackend).linalg, helperJob);
  }

  /** Starts the helper thread; rejects where the wasm backend or a shared memory is missing. */
  static async start(): Promise<ThreadedGram> {
    const wb = getBackend() as WasmBackend,
      be = wb.linalg,
      shared = wasmSharedModule();
    if (wb.name !== 'wasm' || !shared)
      throw new RangeError('threadedGram needs the wasm backend with a shared memory (SharedArrayBuffer)');
    const ctrl = new Int32Array(new SharedArrayBuffer(32 * 4));
    const worker = new Worker(WORKER, { workerData: { module: shared.module, memory: shared.memory, ctrl } });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', (m: unknown) =>
        m === 'ready' ? resolve() : reject(new Error(`gram worker: ${String(m)}`)),
      );
      worker.once('error', (e) => reject(new Error(`gram worker failed to start: ${e.message}`)));
    });
    worker.unref();
    let work: Float64Array | null = null,
      seq = 0;
    const alive = (): void => {
      if (Atomics.load(ctrl, STOP)) throw new RangeError('threadedGram: the helper thread was closed; start another');
    };
    const helper: GramHelper & { gemmRows: NonNullable<GramHelper['gemmRows']> } = {
      start(P, K, A, C, ipFrom, ipTo) {
        alive();
        const need = be.syrkWork(P, K);
        if (!work || work.length < need) {
          if (work) wb.free(work);
          work = be.alloc64(need);
        }
        if (!be.owns(A) || !be.owns(C) || !be.owns(work)) {
          throw new RangeError(
            "threadedGram: the block, the Gram matrix and the scratch must live in the kernels' memory",
          );
        }
        ctrl.set([P, K, A.byteOffset, C.byteOffset, ipFrom, ipTo, work.byteOffset], ARGS);
        ctrl[KIND] = 0;
        Atomics.store(ctrl, SEQ, ++seq);
        Atomics.notify(ctrl, SEQ);
      },
      gemmRows(M, N, K, alpha, A, aOff, lda, B, bOff, ldb, C, cOff, ldc) {
        alive();
        const need = be.syrkWork(Math.max(M, N), K) * 2;
        if (!work || work.length < need) {
          if (work) wb.free(work);
          work = be.alloc64(need);
        }
        new Float64Array(ctrl.buffer, GEMM * 4, 1)[0] = alpha;
        ctrl.set(
          [
            M,
            N,
            K,
            A.byteOffset + aOff * 8,
            lda,
            B.byteOffset + bOff * 8,
            ldb,
            C.byteOffset + cOff * 8,
            ldc,
            work.byteOffset,
          ],
          GEMM + 2,
        );
        ctrl[KIND] = 1;
        Atomics.store(ctrl, SEQ, ++seq);
        Atomics.notify(ctrl, SEQ);
      },
      wait() {
        while (Atomics.load(ctrl, DONE) !== seq) Atomics.wait(ctrl, DONE, Atomics.load(ctrl, DONE), 1000);
        if (Atomics.load(ctrl, FAILED) === seq) throw new Error('gram worker: the kernel failed (see stderr)');
        return Atomics.load(ctrl, MICROS) / 1000;
      },
    };
    return new ThreadedGram(helper, worker, ctrl);
  }

  /**
   * C (+)= alpha A B^T (the blocked Cholesky's panel update, LinalgKernels.gemmNT64's contract) with the
   * rows of C split between the caller and the helper thread.
   */
  gemmNT64(
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: Float64Array,
    aOff: number,
    lda: number,
    B: Float64Array,
    bOff: number,
    ldb: number,
    C: Float64Array,
    cOff: number,
    ldc: number,
  ): void {
    const be = (getBackend() as WasmBackend).linalg;
    if (M < 64 || !be.owns(A) || !be.owns(B) || !be.owns(C))
      return be.gemmNT64(M, N, K, alpha, A, aOff, lda, B, bOff, ldb, C, cOff, ldc);
    this.sync();
    const m1 = (M >> 3) << 2; // the caller's rows: about half, a multiple of 4
    this.helperJob.gemmRows(M - m1, N, K, alpha, A, aOff + m1 * lda, lda, B, bOff, ldb, C, cOff + m1 * ldc, ldc);
    be.gemmNT64(m1, N, K, alpha, A, aOff, lda, B, bOff, ldb, C, cOff, ldc);
    this.helperJob.wait();
  }

  /** Stops the helper thread (after the job in flight, if any). */
  async close(): Promise<void> {
    this.sync();
    Atomics.store(this.ctrl, STOP, 1);
    Atomics.add(this.ctrl, SEQ, 1);
    Atomics.notify(this.ctrl, SEQ);
    await this.worker.terminate();
  }
}

/** Starts a helper thread for Gram updates: pass the result as `gram` to a Ridge readout. */
export function threadedGram(): Promise<ThreadedGram> {
  return ThreadedGram.start();
}
