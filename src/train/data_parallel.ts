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
 * Truncated BPTT: with `carry`, each thread keeps the carried state of its own rows in its own
 * replica (shard 0's in the model itself), so a window costs no state traffic; `skip` goes to
 * every shard. DataParallel is `Stateful` (train/trainable.ts): the Trainer and TruncatedBPTT
 * drive it like the model. resetState / advance are broadcast; getState gathers the rows'
 * states into [L*D, B, H] (checkpoints) and setState scatters one back (resume), through the
 * data area (no step runs at the same time):
 *
 *   state exchange: h [L*D, B, H] f32 | c [L*D, B, H] f32     (each shard writes/reads its rows)
 *
 * The rows of a stream stay on one thread as long as B does; a batch of another B starts its
 * shards from the zero state (as SequenceModel does for a carried state of the wrong size).
 *
 * This file is core code (Atomics and SharedArrayBuffer exist in browsers too): how a worker is
 * started is the `SpawnShardWorker` seam; src/node/parallel.ts implements it with
 * worker_threads. A browser version would start Workers that call `serveShards`, and run the
 * trainer itself in a Worker (browsers forbid Atomics.wait on the main thread).
 */
import {
  type Batch,
  type CarriedState,
  SequenceModel,
  type SequenceModelConfig,
  type StepResult,
} from '../layers/model.js';
import type { LinearMemory } from '../backend/heap.js';
import type { Params } from '../params.js';
import type { Rng, RngState } from '../random.js';
import type { Stateful, StepOptions } from './trainable.js';
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
  FAIL = 6,
  CCARRY = 7,
  CSKIP = 8,
  CHAS = 9; // state exchange: 1 = h present, 2 = c present
const STEP = 1,
  STOP = 2,
  ADVANCE = 3,
  RESET = 4,
  GET_STATE = 5,
  SET_STATE = 6,
  GET_RNG = 7,
  SET_RNG = 8;
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

/** Rows [b0, b0 + rows) of [L*D, B, H] <-> [L*D, rows, H]. */
function copyStateRows(
  dst: Float32Array,
  src: ArrayLike<number>,
  LD: number,
  B: number,
  H: number,
  b0: number,
  rows: number,
  toFull: boolean,
): void {
  const w = rows * H;
  for (let l = 0; l < LD; l++) {
    const full = (l * B + b0) * H,
      part = l * w;
    if (toFull) for (let i = 0; i < w; i++) dst[full + i] = src[part + i]!;
    else for (let i = 0; i < w; i++) dst[part + i] = src[full + i]!;
  }
}

/** The carried state's shape of a model: L*D and H. */
function stateDims(m: SequenceModel): { LD: number; H: number } {
  return { LD: m.rnn.numLayers * m.rnn.numDirections, H: m.rnn.hiddenSize };
}

/**
 * The generators a model draws from while training (its dropout masks), in a fixed order:
 * inputs, between layers, outputs. Their states are what a checkpoint needs besides the
 * parameters to continue a run with dropout bit-exactly.
 */
export function modelRngs(m: SequenceModel): Rng[] {
  return [m.inputDrop.rng, ...m.rnn.dropouts.map((d) => d.rng), m.outputDrop.rng];
}

/**
 * A worker replica's config: the same model with its own dropout seed, so the shards draw
 * independent masks (the same seed everywhere would give every shard the same masks).
 */
export function shardConfig(cfg: SequenceModelConfig, index: number): SequenceModelConfig {
  if (index === 0) return cfg;
  return { ...cfg, dropoutSeed: ((cfg.dropoutSeed ?? cfg.seed ?? 0) + 1_000_003 * index) >>> 0 };
}

/**
 * The calling thread's side. `threads` = 1 (or a batch of one row) runs the model directly.
 * lossAndGrad *sets* params.grad to the batch gradient (it zeroes it first). It is Trainable
 * and Stateful, so `new Trainer(dp, opt)` trains the model through it, truncated BPTT included.
 */
export class DataParallel implements Stateful<Batch> {
  private readonly sh: ShardShape;
  private readonly hd: Header;
  private readonly ctl: Int32Array;
  private readonly stats: Float64Array;
  private readonly params_: Float32Array;
  private readonly slots: Float32Array[];
  private readonly views = new ShardViews();
  private closed = false;
  /** Rows B of the carried state spread over the threads (0: none carried yet). */
  private stateB = 0;

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
    this.params_ = new Float32Array(buf, this.hd.params, P);
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

  /** The model's parameters (the Trainer steps them). */
  get params(): Params {
    return this.model.params;
  }

  validate(b: Batch): void {
    this.model.validate(b);
  }

  constrain(): void {
    this.model.constrain();
  }

  private check(): void {
    if (this.closed) throw new Error('DataParallel: used after close()');
  }

  /** Wakes the workers for one command. */
  private signal(cmd: number): void {
    const ctl = this.ctl;
    ctl[CMD] = cmd;
    Atomics.store(ctl, FAIL, 0);
    Atomics.store(ctl, DONE, 0);
    Atomics.add(ctl, GEN, 1);
    Atomics.notify(ctl, GEN);
  }

  /** Waits for `k` workers; the workers finish before anything is thrown, so the next command finds them idle. */
  private await(k: number): void {
    const ctl = this.ctl;
    for (;;) {
      const d = Atomics.load(ctl, DONE);
      if (d >= k) break;
      Atomics.wait(ctl, DONE, d);
    }
  }

  /** Throws the caller's own error, else the first worker's. */
  private raise(own: unknown): void {
    if (own) throw own;
    if (Atomics.load(this.ctl, FAIL) > 0) throw rebuild(errorText(this.memory!.buffer));
  }

  /** Copies the batch's shards into shared memory; returns the number of shards. */
  private scatter(b: Batch): number {
    const { sh, ctl, views } = this;
    views.update(sh, this.memory!, this.hd.data, b.T, b.B, this.threads, !!b.lengths);
    const n = views.specs.length;
    for (let s = 0; s < n; s++) scatterShard(sh, b, views.specs[s]!, views.batches[s]!);
    ctl[CT] = b.T;
    ctl[CB] = b.B;
    ctl[CLEN] = b.lengths ? 1 : 0;
    return n;
  }

  lossAndGrad(b: Batch, opts: StepOptions = {}): StepResult {
    const m = this.model;
    this.check();
    m.params.zeroGrad();
    if (this.threads === 1 || b.B < 2) return m.lossAndGrad(b, opts);
    const { ctl } = this;
    const n = this.scatter(b);
    this.params_.set(m.params.data);
    ctl[CCARRY] = opts.carry ? 1 : 0;
    ctl[CSKIP] = opts.skip ?? 0;
    if (opts.carry) this.stateB = b.B;
    this.signal(STEP);
    let own: StepResult | null = null,
      ownErr: unknown = null;
    try {
      own = m.lossAndGrad(this.views.batches[0]!, opts);
    } catch (e) {
      ownErr = e;
    }
    this.await(n - 1);
    this.raise(ownErr instanceof NonFiniteError ? null : ownErr);
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

  /** Forward only from each shard's carried state, keeping the final state (truncated BPTT's catch-up). */
  advance(b: Batch): void {
    const m = this.model;
    this.check();
    if (this.threads === 1 || b.B < 2) return m.advance(b);
    const n = this.scatter(b);
    this.params_.set(m.params.data); // the replicas run with the current parameters
    this.stateB = b.B;
    this.signal(ADVANCE);
    let ownErr: unknown = null;
    try {
      m.advance(this.views.batches[0]!);
    } catch (e) {
      ownErr = e;
    }
    this.await(n - 1);
    this.raise(ownErr);
  }

  /** Forgets the carried state on every thread (the start of a new stream). */
  resetState(): void {
    this.check();
    this.model.resetState();
    this.stateB = 0;
    if (this.threads === 1) return;
    this.signal(RESET);
    this.await(this.threads - 1);
  }

  /** The state exchange area [2, L*D, B, H] (grown to fit B rows). */
  private exchange(B: number): { h: Float32Array; c: Float32Array } {
    const { LD, H } = stateDims(this.model),
      n = LD * B * H;
    reserve(this.memory!, this.hd.data + 8 * n);
    const buf = this.memory!.buffer;
    return { h: new Float32Array(buf, this.hd.data, n), c: new Float32Array(buf, this.hd.data + 4 * n, n) };
  }

  /** A copy of the carried state of all rows, [L*D, B, H] each (gathered from the threads). */
  getState(): CarriedState {
    const m = this.model,
      B = this.stateB;
    this.check();
    if (this.threads === 1 || B < 2) return m.getState();
    const { LD, H } = stateDims(m),
      specs = shardLayout(this.sh, 1, B, this.threads, false),
      n = specs.length;
    const own = m.getState(),
      ex = this.exchange(B);
    this.ctl[CB] = B;
    this.signal(GET_STATE);
    this.await(this.threads - 1);
    this.raise(null);
    let hasH = own.h?.length === LD * specs[0]!.rows * H,
      hasC = own.c?.length === LD * specs[0]!.rows * H;
    for (let s = 1; s < n; s++) {
      hasH &&= this.stats[s * STAT] === 1;
      hasC &&= this.stats[s * STAT + 1] === 1;
    }
    if (!hasH) return { h: null, c: null };
    const h = Float32Array.from(ex.h),
      c = hasC ? Float32Array.from(ex.c) : null;
    copyStateRows(h, own.h!, LD, B, H, 0, specs[0]!.rows, true);
    if (c) copyStateRows(c, own.c!, LD, B, H, 0, specs[0]!.rows, true);
    return { h, c };
  }

  /** Sets the carried state of all rows from [L*D, B, H] each (scattered to the threads' rows). */
  setState(st: CarriedState | { h: ArrayLike<number> | null; c: ArrayLike<number> | null }): void {
    const m = this.model;
    this.check();
    if (this.threads === 1) return m.setState(st);
    if (!st.h) return this.resetState();
    const { LD, H } = stateDims(m),
      B = st.h.length / (LD * H);
    if (!(Number.isInteger(B) && B >= 1) || (st.c && st.c.length !== st.h.length))
      throw new RangeError(`DataParallel.setState: state of ${st.h.length} values is not [${LD}, B, ${H}]`);
    if (B < 2) {
      this.resetState();
      this.stateB = B;
      return m.setState(st);
    }
    const specs = shardLayout(this.sh, 1, B, this.threads, false),
      ex = this.exchange(B);
    ex.h.set(st.h);
    if (st.c) ex.c.set(st.c);
    this.ctl[CB] = B;
    this.ctl[CHAS] = st.c ? 2 : 1;
    this.signal(SET_STATE);
    this.await(this.threads - 1);
    this.raise(null);
    const r0 = specs[0]!.rows,
      h0 = new Float32Array(LD * r0 * H),
      c0 = st.c ? new Float32Array(LD * r0 * H) : null;
    copyStateRows(h0, st.h, LD, B, H, 0, r0, false);
    if (c0) copyStateRows(c0, st.c!, LD, B, H, 0, r0, false);
    m.setState({ h: h0, c: c0 });
    this.stateB = B;
  }

  /** The dropout generators' states of every thread ([thread][generator]; thread 0 is the caller's). */
  getRngStates(): RngState[][] {
    this.check();
    const own = modelRngs(this.model).map((r) => r.getState());
    if (this.threads === 1) return [own];
    const R = own.length;
    reserve(this.memory!, this.hd.data + 16 * R * this.threads);
    this.signal(GET_RNG);
    this.await(this.threads - 1);
    this.raise(null);
    const u = new Uint32Array(this.memory!.buffer, this.hd.data, 4 * R * this.threads);
    const out = [own];
    for (let t = 1; t < this.threads; t++)
      out.push(
        Array.from({ length: R }, (_, r) => {
          const o = 4 * (t * R + r);
          return { s: [u[o]!, u[o + 1]!, u[o + 2]!, u[o + 3]!] as [number, number, number, number], spare: null };
        }),
      );
    return out;
  }

  /** Restores the states getRngStates returned (threads beyond the saved ones keep theirs). */
  setRngStates(states: RngState[][]): void {
    this.check();
    const rngs = modelRngs(this.model),
      R = rngs.length;
    if (!Array.isArray(states) || states.some((t) => !Array.isArray(t) || t.length !== R))
      throw new RangeError(`DataParallel.setRngStates: expected [thread][${R} generator states]`);
    states[0]?.forEach((st, r) => rngs[r]!.setState(st));
    if (this.threads === 1 || states.length < 2) return;
    reserve(this.memory!, this.hd.data + 16 * R * this.threads);
    const u = new Uint32Array(this.memory!.buffer, this.hd.data, 4 * R * this.threads);
    u.fill(0);
    for (let t = 1; t < Math.min(this.threads, states.length); t++)
      states[t]!.forEach((st, r) => u.set(st.s, 4 * (t * R + r)));
    this.signal(SET_RNG);
    this.await(this.threads - 1);
    this.raise(null);
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

/** Writes a worker's error text into shared memory (the first failure's text wins). */
function report(mem: LinearMemory, ctl: Int32Array, index: number, e: unknown): void {
  const err = e as Error,
    text = new TextEncoder().encode(`${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`).subarray(0, ERR_BYTES - 4);
  if (Atomics.compareExchange(ctl, FAIL, 0, index) === 0) {
    new Uint8Array(mem.buffer, CTL_BYTES + 4, text.length).set(text);
    new Int32Array(mem.buffer, CTL_BYTES, 1)[0] = text.length;
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
    hd = header(S, P),
    { LD, H } = stateDims(model);
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
    const cmd = Atomics.load(ctl, CMD);
    if (cmd === STOP) return;
    const T = ctl[CT]!,
      B = ctl[CB]!,
      o = index * STAT;
    if ((cmd === STEP || cmd === ADVANCE) && index >= Math.min(S, B)) continue; // no rows for this worker
    stats[o + 4] = 0;
    try {
      if (cmd === STEP || cmd === ADVANCE) {
        views.update(sh, mem, hd.data, T, B, S, ctl[CLEN] === 1, index);
        const b = views.batches[index]!;
        model.params.data.set(params);
        if (cmd === ADVANCE) model.advance(b);
        else {
          model.params.zeroGrad();
          const r = model.lossAndGrad(b, { carry: ctl[CCARRY] === 1, skip: ctl[CSKIP] });
          stats[o] = r.loss;
          stats[o + 1] = r.count;
          stats[o + 2] = r.count;
          stats[o + 3] = r.correct ?? 0;
          slot.set(model.params.grad);
        }
      } else if (cmd === RESET) model.resetState();
      else if (cmd === GET_RNG || cmd === SET_RNG) {
        const rngs = modelRngs(model),
          R = rngs.length,
          u = new Uint32Array(mem.buffer, hd.data, 4 * R * S);
        rngs.forEach((r, k) => {
          const o = 4 * (index * R + k);
          if (cmd === GET_RNG) u.set(r.getState().s, o);
          else if (u[o]! | u[o + 1]! | u[o + 2]! | u[o + 3]!)
            r.setState({ s: [u[o]!, u[o + 1]!, u[o + 2]!, u[o + 3]!], spare: null }); // all zero: not saved
        });
      } else if (cmd === GET_STATE || cmd === SET_STATE) {
        const sp = shardLayout(sh, 1, B, S, false)[index],
          n = LD * B * H,
          buf = mem.buffer;
        const eh = new Float32Array(buf, hd.data, n),
          ec = new Float32Array(buf, hd.data + 4 * n, n);
        if (!sp) {
          if (cmd === SET_STATE) model.resetState(); // no rows here
        } else if (cmd === GET_STATE) {
          const st = model.getState(),
            w = LD * sp.rows * H;
          stats[o] = st.h?.length === w ? 1 : 0;
          stats[o + 1] = st.c?.length === w ? 1 : 0;
          if (stats[o]) copyStateRows(eh, st.h!, LD, B, H, sp.b0, sp.rows, true);
          if (stats[o + 1]) copyStateRows(ec, st.c!, LD, B, H, sp.b0, sp.rows, true);
        } else {
          const w = LD * sp.rows * H,
            h = new Float32Array(w),
            c = ctl[CHAS] === 2 ? new Float32Array(w) : null;
          copyStateRows(h, eh, LD, B, H, sp.b0, sp.rows, false);
          if (c) copyStateRows(c, ec, LD, B, H, sp.b0, sp.rows, false);
          model.setState({ h, c });
        }
      }
    } catch (e) {
      if (e instanceof NonFiniteError && cmd === STEP) stats[o + 4] = 1;
      else report(mem, ctl, index, e);
    }
    Atomics.add(ctl, DONE, 1);
    Atomics.notify(ctl, DONE);
  }
}
