/**
 * Helper threads for the wasm kernels: threads that instantiated the same compiled module over
 * the same shared memory and wait for jobs, so that one kernel call can use every core (a large
 * matrix product split into blocks of C, the LSTM's time loop split by hidden units). A job is
 * an export's name and its numeric arguments; it is posted in a control block of its own
 * SharedArrayBuffer (no message per job) and its end is signalled there:
 *
 *   per helper i, 48 words at 48 i: [0] job sequence (the helper waits on it), [1] finished
 *   sequence (the caller waits on it), [2] export index (KERNEL_EXPORTS), [3] argument count,
 *   [4] failed sequence, [5] stop; float64 arguments from word 8 (byte 32) on, 20 at most.
 *
 * Both sides spin briefly before they sleep (Atomics.wait), because a job of a few hundred
 * microseconds would otherwise spend a good part of itself in the wake-up. This file is core
 * code (Atomics and SharedArrayBuffer exist in browsers too); how a helper is started is the
 * caller's: src/node/kernel_threads.ts starts worker_threads that run `serveKernels`.
 */

/** The exports a helper may run, by index. */
export const KERNEL_EXPORTS = [
  'lstm_seq',
  'gemm_part',
  'gemm64_rows',
  'symv_upper64_rows',
  'dc_roots64',
  'dc_loewner64',
  'dc_vectors64',
  'dc_gather64',
] as const;
export type KernelExport = (typeof KERNEL_EXPORTS)[number];

const SLOT = 48,
  SEQ = 0,
  DONE = 1,
  FN = 2,
  NARGS = 3,
  FAILED = 4,
  STOP = 5,
  ARGS = 8, // in words: float64 index ARGS / 2 within the slot
  MAX_ARGS = 20;
const SPIN = 20000; // polls before sleeping (tens of microseconds)

export interface KernelJob {
  fn: KernelExport;
  args: number[];
}

/** The caller's side: post jobs to helpers and wait for them. */
export class HelperPool {
  private readonly ctrl: Int32Array;
  private readonly f64: Float64Array;
  private readonly seq: number[];
  private running = 0;
  /** Whether this thread may block in Atomics.wait (not on a browser's main thread): else it spins. */
  readonly canWait: boolean;

  /** `ctrl`: the control block (controlBytes(helpers) bytes of a SharedArrayBuffer). */
  constructor(
    readonly helpers: number,
    ctrl: SharedArrayBuffer,
    canWait = true,
  ) {
    this.ctrl = new Int32Array(ctrl);
    this.f64 = new Float64Array(ctrl);
    this.seq = new Array<number>(helpers).fill(0);
    this.canWait = canWait;
  }

  /** Threads a split kernel uses: the helpers and the caller. */
  get threads(): number {
    return this.helpers + 1;
  }

  /** Starts job i on helper i (at most `helpers` jobs); returns at once. */
  start(jobs: KernelJob[]): void {
    if (this.running) throw new Error('HelperPool.start: the previous jobs were not waited for');
    if (jobs.length > this.helpers) throw new RangeError(`HelperPool: ${jobs.length} jobs for ${this.helpers} helpers`);
    for (let i = 0; i < jobs.length; i++) {
      const j = jobs[i]!,
        base = i * SLOT;
      if (Atomics.load(this.ctrl, base + STOP)) throw new Error('HelperPool: the helper threads were stopped');
      if (j.args.length > MAX_ARGS)
        throw new RangeError(`HelperPool: ${j.args.length} arguments (at most ${MAX_ARGS})`);
      this.ctrl[base + FN] = KERNEL_EXPORTS.indexOf(j.fn);
      this.ctrl[base + NARGS] = j.args.length;
      for (let a = 0; a < j.args.length; a++) this.f64[(base + ARGS) / 2 + a] = j.args[a]!;
      Atomics.store(this.ctrl, base + SEQ, ++this.seq[i]!);
      Atomics.notify(this.ctrl, base + SEQ);
    }
    this.running = jobs.length;
  }

  /** Waits for the started jobs; throws if one failed (after all have finished). */
  wait(): void {
    let failed = -1;
    for (let i = 0; i < this.running; i++) {
      const base = i * SLOT,
        want = this.seq[i]!;
      let spins = 0;
      for (;;) {
        const d = Atomics.load(this.ctrl, base + DONE);
        if (d === want) break;
        if (this.canWait && ++spins > SPIN) Atomics.wait(this.ctrl, base + DONE, d, 1000);
      }
      if (Atomics.load(this.ctrl, base + FAILED) === want) failed = i;
    }
    this.running = 0;
    if (failed >= 0) throw new Error(`wasm helper thread ${failed + 1}: a kernel failed (see its stderr)`);
  }

  /** Tells every helper to return from serveKernels (after its current job). */
  stop(): void {
    for (let i = 0; i < this.helpers; i++) {
      Atomics.store(this.ctrl, i * SLOT + STOP, 1);
      Atomics.add(this.ctrl, i * SLOT + SEQ, 1);
      Atomics.notify(this.ctrl, i * SLOT + SEQ);
    }
  }
}

/** Bytes of the control block for `helpers` helpers. */
export function controlBytes(helpers: number): number {
  return Math.max(1, helpers) * SLOT * 4;
}

/**
 * The helper's side: runs jobs for slot `index` (0-based) until stopped. `exports` are the
 * instance's exports over the caller's shared memory.
 */
export function serveKernels(
  exports: Record<string, unknown>,
  ctrl: SharedArrayBuffer,
  index: number,
  onError: (e: unknown) => void = () => {},
): void {
  const c = new Int32Array(ctrl),
    f64 = new Float64Array(ctrl),
    base = index * SLOT;
  const fns = KERNEL_EXPORTS.map((n) => exports[n] as (...a: number[]) => void);
  const args: number[] = [];
  let seen = 0; // a fresh block: the pool's first job is sequence 1
  for (;;) {
    let spins = 0;
    while (Atomics.load(c, base + SEQ) === seen) {
      if (++spins > SPIN) Atomics.wait(c, base + SEQ, seen);
    }
    seen = Atomics.load(c, base + SEQ);
    if (Atomics.load(c, base + STOP)) return;
    const n = c[base + NARGS]!;
    args.length = n;
    for (let a = 0; a < n; a++) args[a] = f64[(base + ARGS) / 2 + a]!;
    try {
      fns[c[base + FN]!]!(...args);
    } catch (e) {
      onError(e);
      Atomics.store(c, base + FAILED, seen);
    }
    Atomics.store(c, base + DONE, seen);
    Atomics.notify(c, base + DONE);
  }
}
