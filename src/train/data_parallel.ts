/**
 * Data-parallel training over S threads (DESIGN.md, decision 2): the batch is cut into S
 * contiguous row shards (shards.ts); the calling thread computes shard 0 on the model itself
 * and S-1 workers compute the others on replicas. One shared memory carries everything, so
 * a step sends no messages:
 *
 *   [ctl Int32 x16 | error text | stats f64 [S,5] | params f32 [P] | grad slots f32 [S-1,P] | shard data]
 *
 * Step: the caller scatters the shards, copies the parameters into `params`, bumps ctl[GEN]
 * and wakes the workers (Atomics.notify); each worker copies the parameters into its replica,
 * runs forward + loss + BPTT on its shard, writes its gradient into its slot and its loss,
 * count and correct into `stats`, then increments ctl[DONE]. The caller, after its own shard,
 * waits (Atomics.wait) for DONE = S-1 and sets
 *   grad = sum_s (c_s / C) grad_s,   loss = sum_s (c_s / C) loss_s,   C = sum_s c_s
 * in the fixed order s = 0, 1, ..., S-1, so the result is the full-batch gradient (up to float32
 * rounding) and the same bits on every run with the same S.
 *
 * This file is core code (Atomics and SharedArrayBuffer exist in browsers too): how a worker is
 * started is the `SpawnShardWorker` seam; src/node/parallel.ts implements it with
 * worker_threads. A browser version would start Workers that call `serveShards`, and run the
 * trainer itself in a Worker (browsers forbid Atomics.wait on the main thread).
 * Truncated BPTT (carried state) is not supported: each worker would hold its rows' state.
 */
import { type Batch, SequenceModel, type SequenceModelConfig, type StepResult } from '../layers/model.js';
import type { LinearMemory } from '../backend/heap.js';
import type { GradientSource, StepOptions } from './trainable.js';
import { NonFiniteError, ShapeError } from '../tensor.js';
import { type ShardShape, type ShardSpec, scatterShard, shardBatch, shardLayout, shardShape } from './shards.js';

export interface ShardWorkerInit {
  memory: LinearMemory;
  /** 1 .. threads-1 (shard 0 is the calling thread's). */
  index: number;
  threads: number;
  config: SequenceModelConfig;
  backend?: string;
}

export interface ShardWorkerHandle {
  /** Resolves once the worker has built its replica and waits for steps; rejects if it fails to start. */
  ready: Promise<void>;
  terminate(): Promise<unknown> | void;
}

export type SpawnShardWorker = (init: ShardWorkerInit) => ShardWorkerHandle;

// Control words.
const GEN = 0,
  DONE = 1,
  CMD = 2,
  CT = 3,
  CB = 4,
  CLEN = 5,
  FAIL = 6;
const STEP = 1,
  STOP = 2;
const CTL_BYTES = 64,
  ERR_BYTES = 1024,
  STAT = 5; // stats per shard: loss, weight count, count, correct, non-finite
const PAGE = 65536,
  MAX_PAGES = 65536;

interface Header {
  stats: number;
  params: number;
  slots: number;
  data: number;
}

function header(S: number, P: number): Header {
  const a = (n: number) => Math.ceil(n / 64) * 64;
  const stats = CTL_BYTES + ERR_BYTES,
    params = a(stats + S * STAT * 8),
    slots = a(params + 4 * P);
  return { stats, params, slots, data: a(slots + 4 * P * (S - 1)) };
}

/** Grows a shared memory to hold `bytes`. */
function reserve(mem: LinearMemory, bytes: number): void {
  const have = mem.buffer.byteLength;
  if (bytes > have) mem.grow(Math.ceil((bytes - have) / PAGE));
}

function errorText(buf: ArrayBufferLike): string {
  const len = new Int32Array(buf, CTL_BYTES, 1)[0]!;
  return new TextDecoder().decode(Uint8Array.from(new Uint8Array(buf, CTL_BYTES + 4, len)));
}

/** A worker's error, rebuilt with its class where callers tell them apart. */
function rebuild(text: string): Error {
  const i = text.indexOf(': '),
    name = text.slice(0, i),
    msg = `data-parallel worker: ${text.slice(i + 2)}`;
  return name === 'RangeError'
    ? new RangeError(msg)
    : name === 'ShapeError'
      ? new ShapeError(msg)
      : name === 'NonFiniteError'
        ? new NonFiniteError(msg)
        : new Error(msg);
}

/** Shard views for one (T, B, lengths) shape and one memory buffer, rebuilt only when those change. */
class ShardViews {
  key = '';
  specs: ShardSpec[] = [];
  batches: Batch[] = [];

  update(
    sh: ShardShape,
    mem: LinearMemory,
    base: number,
    T: number,
    B: number,
    S: number,
    hasLen: boolean,
    only = -1,
  ): void {
    const buf = mem.buffer,
      key = `${T},${B},${hasLen},${buf.byteLength}`;
    if (key === this.key) return; // steady state: same shape, same buffer, no new views
    this.specs = shardLayout(sh, T, B, S, hasLen);
    reserve(mem, base + this.specs[this.specs.length - 1]!.bytes);
    const b2 = mem.buffer;
    this.batches = this.specs.map((sp, s) =>
      only < 0 || s === only ? shardBatch(sh, b2, base, T, sp) : { T, B: 0, y: [] },
    );
    this.key = `${T},${B},${hasLen},${b2.byteLength}`;
  }
}

/**
 * The calling thread's side. `threads` = 1 (or a batch of one row) runs the model directly.
 * lossAndGrad *sets* params.grad to the batch gradient (it zeroes it first).
 */
export class DataParallel implements GradientSource<Batch> {
  private readonly sh: ShardShape;
  private readonly hd: Header;
  private readonly ctl: Int32Array;
  private readonly stats: Float64Array;
  private readonly params: Float32Array;
  private readonly slots: Float32Array[];
  private readonly views = new ShardViews();
  private closed = false;

  private constructor(
    readonly model: SequenceModel,
    readonly threads: number,
    private readonly memory: WebAssembly.Memory | null,
    private readonly workers: ShardWorkerHandle[],
  ) {
    this.sh = shardShape(model.config);
    const P = model.params.size,
      S = threads;
    this.hd = header(S, P);
    const buf = memory?.buffer ?? new ArrayBuffer(this.hd.data);
    this.ctl = new Int32Array(buf, 0, CTL_BYTES / 4);
    this.stats = new Float64Array(buf, this.hd.stats, S * STAT);
    this.params = new Float32Array(buf, this.hd.params, P);
    this.slots = Array.from({ length: S - 1 }, (_, s) => new Float32Array(buf, this.hd.slots + 4 * P * s, P));
  }

  /** Starts `threads - 1` workers through `spawn`, each with a replica of `model`. */
  static async start(
    model: SequenceModel,
    threads: number,
    spawn: SpawnShardWorker,
    backend?: string,
  ): Promise<DataParallel> {
    if (!Number.isInteger(threads) || threads < 1)
      throw new RangeError(`threads must be a positive integer, got ${threads}`);
    if (threads === 1) return new DataParallel(model, 1, null, []);
    if (model.params.dtype !== 'float32')
      throw new RangeError(
        `data-parallel training runs in float32; this model is ${model.params.dtype} (use threads: 1)`,
      );
    if (typeof SharedArrayBuffer === 'undefined')
      throw new RangeError(
        'data-parallel training needs SharedArrayBuffer (in browsers: a cross-origin isolated page)',
      );
    const hd = header(threads, model.params.size);
    const memory = new WebAssembly.Memory({ initial: Math.ceil(hd.data / PAGE) + 1, maximum: MAX_PAGES, shared: true });
    const workers: ShardWorkerHandle[] = [];
    try {
      for (let i = 1; i < threads; i++)
        workers.push(
          spawn({ memory, index: i, threads, config: model.config, backend: backend ?? model.rnn.backend.name }),
        );
      await Promise.all(workers.map((w) => w.ready));
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    return new DataParallel(model, threads, memory, workers);
  }

  lossAndGrad(b: Batch, opts: StepOptions = {}): StepResult {
    const m = this.model;
    if (this.closed) throw new Error('DataParallel: lossAndGrad after close()');
    m.params.zeroGrad();
    if (this.threads === 1 || b.B < 2) return m.lossAndGrad(b, opts);
    if (opts.carry || opts.skip)
      throw new RangeError(
        'data-parallel training cannot carry state between batches (truncated BPTT); use threads: 1',
      );
    const { sh, ctl, views } = this,
      mem = this.memory!;
    views.update(sh, mem, this.hd.data, b.T, b.B, this.threads, !!b.lengths);
    const n = views.specs.length;
    for (let s = 0; s < n; s++) scatterShard(sh, b, views.specs[s]!, views.batches[s]!);
    this.params.set(m.params.data);
    ctl[CT] = b.T;
    ctl[CB] = b.B;
    ctl[CLEN] = b.lengths ? 1 : 0;
    ctl[CMD] = STEP;
    Atomics.store(ctl, FAIL, 0);
    Atomics.store(ctl, DONE, 0);
    Atomics.add(ctl, GEN, 1);
    Atomics.notify(ctl, GEN);
    let own: StepResult | null = null,
      ownErr: unknown = null;
    try {
      own = m.lossAndGrad(views.batches[0]!);
    } catch (e) {
      ownErr = e;
    }
    for (;;) {
      // the workers finish their shards before anything is thrown: the next step must find them idle
      const d = Atomics.load(ctl, DONE);
      if (d >= n - 1) break;
      Atomics.wait(ctl, DONE, d);
    }
    const fail = Atomics.load(ctl, FAIL);
    if (ownErr && !(ownErr instanceof NonFiniteError)) throw ownErr;
    if (fail > 0) throw rebuild(errorText(mem.buffer));
    let nonFinite = ownErr !== null;
    for (let s = 1; s < n; s++) if (this.stats[s * STAT + 4]) nonFinite = true;
    if (nonFinite) throw new NonFiniteError('data-parallel step: activations overflowed in a shard');
    const st = this.stats;
    st[0] = own!.loss;
    st[1] = own!.count;
    st[2] = own!.count;
    st[3] = own!.correct ?? 0;
    let C = 0,
      count = 0,
      correct = 0,
      loss = 0;
    for (let s = 0; s < n; s++) {
      C += st[s * STAT + 1]!;
      count += st[s * STAT + 2]!;
      correct += st[s * STAT + 3]!;
    }
    const g = m.params.grad;
    for (let s = 0; s < n; s++) {
      const w = C > 0 ? st[s * STAT + 1]! / C : 0;
      if (st[s * STAT + 1]! > 0) loss += w * st[s * STAT]!;
      if (s === 0) {
        for (let i = 0; i < g.length; i++) g[i] = w * g[i]!;
        continue;
      }
      const slot = this.slots[s - 1]!;
      for (let i = 0; i < g.length; i++) g[i] += w * slot[i]!;
    }
    return m.config.loss === 'xent' ? { loss, count, correct } : { loss, count };
  }

  /** Stops and terminates the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.memory) {
      Atomics.store(this.ctl, CMD, STOP);
      Atomics.add(this.ctl, GEN, 1);
      Atomics.notify(this.ctl, GEN);
    }
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * A worker's side: builds the replica, calls `ready`, then serves steps until told to stop.
 * Blocks its thread in Atomics.wait between steps (call it from a worker, never a page's main thread).
 */
export function serveShards(init: ShardWorkerInit, ready: () => void): void {
  const { memory: mem, index, threads: S } = init;
  // Each replica draws its own dropout masks (the same seed everywhere would repeat one mask per shard).
  const seed = (init.config.dropoutSeed ?? init.config.seed ?? 0) + 7919 * init.index;
  const model = new SequenceModel({ ...init.config, dropoutSeed: seed }, init.backend);
  const sh = shardShape(init.config),
    P = model.params.size,
    hd = header(S, P);
  const buf0 = mem.buffer;
  const ctl = new Int32Array(buf0, 0, CTL_BYTES / 4),
    stats = new Float64Array(buf0, hd.stats, S * STAT);
  const params = new Float32Array(buf0, hd.params, P),
    slot = new Float32Array(buf0, hd.slots + 4 * P * (index - 1), P);
  const views = new ShardViews();
  let gen = Atomics.load(ctl, GEN);
  ready();
  for (;;) {
    Atomics.wait(ctl, GEN, gen);
    const g = Atomics.load(ctl, GEN);
    if (g === gen) continue;
    gen = g;
    if (Atomics.load(ctl, CMD) === STOP) return;
    const T = ctl[CT]!,
      B = ctl[CB]!;
    if (index >= Math.min(S, B)) continue; // no rows for this worker in this batch
    const o = index * STAT;
    stats[o + 4] = 0;
    try {
      views.update(sh, mem, hd.data, T, B, S, ctl[CLEN] === 1, index);
      const b = views.batches[index]!;
      model.params.data.set(params);
      model.params.zeroGrad();
      const r = model.lossAndGrad(b);
      stats[o] = r.loss;
      stats[o + 1] = r.count;
      stats[o + 2] = r.count;
      stats[o + 3] = r.correct ?? 0;
      slot.set(model.params.grad);
    } catch (e) {
      if (e instanceof NonFiniteError) stats[o + 4] = 1;
      else {
        const err = e as Error,
          text = new TextEncoder()
            .encode(`${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`)
            .subarray(0, ERR_BYTES - 4);
        if (Atomics.compareExchange(ctl, FAIL, 0, index) === 0) {
          // the first failure's text wins
          new Uint8Array(mem.buffer, CTL_BYTES + 4, text.length).set(text);
          new Int32Array(mem.buffer, CTL_BYTES, 1)[0] = text.length;
        }
      }
    }
    Atomics.add(ctl, DONE, 1);
    Atomics.notify(ctl, DONE);
  }
}
