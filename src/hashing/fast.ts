/**
 * The WebAssembly fast path of the hashing trick: raw CSV bytes in, one probability per row out,
 * with the learner updated on the way (assembly/hashing.ts does the work):
 *
 *   bytes [pos, len) --split--> fields --MurmurHash3--> (idx, val)[k] --FTRL/AdaGrad--> p
 *
 * It gives the same hashes, predictions and weights as FeatureHasher.hashRow + learner.learn,
 * bit for bit (the kernel repeats their f64 operations in order and takes exp, log1p and decimal
 * parsing from this engine's Math / parseNumber). Rows it does not take (quotes, wrong field
 * count, labels other than 0/1, bad numbers, a last line without a newline) stop it at that row;
 * the caller's CSV reader then runs the row through the TypeScript path, which also reports the
 * malformed ones with their line numbers, and calls consume() again after it.
 *
 * One module instance per learner (a WeakMap): its memory holds the configuration, the
 * hasher's tables, the row scratch, the per-row outputs, the learner's [D, 2] state (the
 * learner adopts it, so the TypeScript path updates the very same numbers) and the CSV
 * reader's input buffer. The memory is sized once and never grown: growing would detach the
 * learner's and the reader's views. A browser's main thread compiles and instantiates modules
 * over 4 KiB only asynchronously: `await prepareFastPath(model)` first there (Node needs
 * nothing). No Node API is used here.
 */
import { WASM_HASH } from '../backend/wasm_bytes.js';
import { bytes } from '../backend/wasm.js';
import type { LinearMemory } from '../backend/heap.js';
import { binOf, type FeatureHasher } from './featurehash.js';
import type { OnlineLearner } from './learner.js';
import { parseNumber } from './bytes.js';

interface HashKernel {
  init(cfg: number): void;
  run(pos: number, len: number, line: number, seen: number): number;
}

/** Where rows scored by the fast path go (progressive validation, predictions). */
export interface ScoredRows {
  /** Rows delivered so far in this pass; the holdout schedule counts them. row() adds 1. */
  seen: number;
  /** One row: p before the update, the label (0/1, -1 when absent), the line where it starts. */
  row(p: number, label: number, line: number): void;
}

export interface FastStreamOptions {
  /** Fields per row in the file. */
  fileColumns: number;
  /** perm[modelColumn] = file column, or -1 (absent label); null when they are the same. */
  perm: Int32Array | null;
  /** Field separator (one ASCII byte). */
  delimiter: string;
  /** Rows must carry a label (training, evaluation). */
  needLabel: boolean;
  /** Train (predict, then update) or only predict. */
  learn: boolean;
  /** Every period-th row (counting `seen`) is predicted only (0 = none). */
  period: number;
}

const TABLE = 1024; // bins and log1p of the integers 0..1023 as tables
const MAX_ROWS = 4096; // per-row outputs per run() call
const BATCH = 8; // rows the kernel hashes ahead (assembly/hashing.ts BATCH)
const INPUT = 1 << 20; // bytes of input buffer (the CSV reader's default)
const MAX_STATE = 2 ** 31; // bytes of learner state the 32-bit memory may hold
const FULL = 0;

let compiled: WebAssembly.Module | null | undefined;

function wasmBytes(): Uint8Array | null {
  return typeof WebAssembly !== 'object' || WASM_HASH.length === 0 ? null : bytes(WASM_HASH);
}

/** The compiled module, synchronously (Node; a browser's main thread refuses modules over 4 KiB). */
function module(): WebAssembly.Module | null {
  if (compiled) return compiled;
  const u = wasmBytes();
  try {
    compiled = u ? new WebAssembly.Module(u as BufferSource) : null;
  } catch {
    /* no SIMD here, or not synchronously: the TypeScript path (or prepareFastPath) */
  }
  return compiled ?? null;
}

/** Whether the fast path can run here (WebAssembly SIMD, kernels built; in browsers after prepareFastPath). */
export function fastPathAvailable(): boolean {
  return module() !== null;
}

/**
 * Compiles the module asynchronously, and with a learner sets up its session too: what a
 * browser's main thread needs before HashFastPath.open() (it refuses to compile or instantiate
 * modules over 4 KiB synchronously). Node needs none of it. Resolves to whether the fast path runs.
 */
export async function prepareFastPath(
  model?: { hasher: FeatureHasher; learner: OnlineLearner },
  fileColumns = 64,
): Promise<boolean> {
  if (!compiled) {
    const u = wasmBytes();
    try {
      compiled = u ? await WebAssembly.compile(u as BufferSource) : null;
    } catch {
      compiled = null;
    }
  }
  if (!compiled) return false;
  if (model && !sessions.get(model.learner)?.fits(model.hasher, fileColumns)) {
    const plan = planFor(model.hasher, model.learner, Math.max(fileColumns, 64));
    const inst = await WebAssembly.instantiate(compiled, plan.imports as WebAssembly.Imports);
    sessions.set(model.learner, new HashFastPath(model.hasher, model.learner, plan, inst));
  }
  return true;
}

/** Byte offsets of everything in the module's memory. */
class Layout {
  top = 4096;
  take(bytes: number): number {
    const o = this.top;
    this.top = Math.ceil((o + bytes) / 64) * 64;
    return o;
  }
}

/**
 * Where everything lies in a session's memory, the memory, and the module's imports. The
 * configuration block (i32 slots, read by init() in assembly/hashing.ts): 0-13 the scalars set
 * in configure(), 14-33 the pointers in the order of the constructor's list, 34 the features
 * per row (stride of the batch buffers), 35 the batch's feature counts, 40-43 what run() leaves
 * (rows out, next line, status, seen); f64 alpha, beta, l1, l2 from byte 256.
 */
interface Plan {
  off: Record<
    | 'cfg'
    | 'perm'
    | 'kind'
    | 'ns'
    | 'miss'
    | 'pairA'
    | 'pairB'
    | 'bins'
    | 'log'
    | 'starts'
    | 'ends'
    | 'colHash'
    | 'colVal'
    | 'colOn'
    | 'idx'
    | 'val'
    | 'batchN'
    | 'w'
    | 'outP'
    | 'outY'
    | 'outLine'
    | 'state'
    | 'input',
    number
  >;
  // Structural types (not WebAssembly.*), so the declarations compile without a DOM or WebAssembly lib.
  memory: LinearMemory;
  imports: Record<string, Record<string, unknown>>;
  capFile: number;
}

function planFor(hasher: FeatureHasher, learner: OnlineLearner, capFile: number): Plan {
  const t = hasher.tables(),
    nModel = t.kind.length,
    F = hasher.numFeatures,
    np = t.pairA.length,
    D = 2 ** learner.bits;
  const L = new Layout();
  const off = {
    cfg: L.take(512),
    perm: L.take(4 * nModel),
    kind: L.take(4 * nModel),
    ns: L.take(4 * nModel),
    miss: L.take(4 * nModel),
    pairA: L.take(4 * np),
    pairB: L.take(4 * np),
    bins: L.take(4 * TABLE),
    log: L.take(8 * TABLE),
    starts: L.take(4 * (capFile + 1)),
    ends: L.take(4 * (capFile + 1)),
    colHash: L.take(4 * nModel),
    colVal: L.take(8 * nModel),
    colOn: L.take(4 * nModel),
    idx: L.take(4 * F * BATCH),
    val: L.take(8 * F * BATCH),
    batchN: L.take(4 * BATCH),
    w: L.take(8 * F),
    outP: L.take(8 * MAX_ROWS),
    outY: L.take(4 * MAX_ROWS),
    outLine: L.take(4 * MAX_ROWS),
    state: L.take(16 * D),
    input: L.take(INPUT + 64),
  };
  const memory = new WebAssembly.Memory({ initial: Math.ceil(L.top / 65536) });
  const u8 = new Uint8Array(memory.buffer);
  const imports = {
    env: {
      memory,
      exp: Math.exp,
      log1p: Math.log1p,
      binSlow: binOf,
      num: (s: number, e: number) => parseNumber(u8, s, e),
    },
  };
  return { off, memory, imports, capFile };
}

const sessions = new WeakMap<OnlineLearner, HashFastPath>();

export class HashFastPath {
  private readonly memory: LinearMemory;
  private readonly k: HashKernel;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly cfg: number;
  private readonly input: number;
  private readonly outP: number;
  private readonly outY: number;
  private readonly outLine: number;
  private busy = false;
  /** Line of the row where the last consume() stopped. */
  line = 0;
  /** Rows scored by the kernel since open(). */
  rows = 0;
  private sink: ScoredRows | null = null;

  /**
   * The fast path for (hasher, learner) over one stream, or null where it cannot run (no
   * WebAssembly SIMD, a state over 2 GiB, already streaming). The learner's state moves into
   * the module's memory. Call close() at the end of the stream.
   */
  static open(hasher: FeatureHasher, learner: OnlineLearner, opts: FastStreamOptions): HashFastPath | null {
    if (learner.kind !== 'ftrl' && learner.kind !== 'adagrad') return null;
    if (16 * 2 ** learner.bits > MAX_STATE || learner.bits !== hasher.config.bits) return null;
    const d = opts.delimiter.charCodeAt(0);
    if (opts.delimiter.length !== 1 || d > 127 || d === 34 || d === 10 || d === 13) return null;
    let s = sessions.get(learner);
    if (s?.busy) return null;
    if (!s || !s.fits(hasher, opts.fileColumns)) {
      const mod = module();
      if (!mod) return null;
      try {
        const plan = planFor(hasher, learner, Math.max(opts.fileColumns, 64));
        s = new HashFastPath(hasher, learner, plan, new WebAssembly.Instance(mod, plan.imports as WebAssembly.Imports));
      } catch {
        return null; // no memory for it, or an engine that refuses to instantiate synchronously
      }
      sessions.set(learner, s);
    }
    s.configure(hasher, learner, opts);
    s.busy = true;
    s.rows = 0;
    return s;
  }

  private readonly capFile: number;
  private readonly hasherRef: FeatureHasher;

  /** @internal (open() and prepareFastPath() build sessions) */
  constructor(hasher: FeatureHasher, learner: OnlineLearner, plan: Plan, inst: { exports: object }) {
    const t = hasher.tables(),
      F = hasher.numFeatures,
      D = 2 ** learner.bits,
      off = plan.off;
    this.memory = plan.memory;
    this.cfg = off.cfg;
    this.outP = off.outP;
    this.outY = off.outY;
    this.outLine = off.outLine;
    this.input = off.input;
    this.k = inst.exports as unknown as HashKernel;
    this.i32 = new Int32Array(this.memory.buffer);
    this.f64 = new Float64Array(this.memory.buffer);
    this.capFile = plan.capFile;
    this.hasherRef = hasher;
    const i32 = this.i32,
      c = this.cfg >> 2;
    const ptrs = [
      off.perm,
      off.kind,
      off.ns,
      off.miss,
      off.pairA,
      off.pairB,
      off.bins,
      off.log,
      off.starts,
      off.ends,
      off.colHash,
      off.colVal,
      off.colOn,
      off.idx,
      off.val,
      off.w,
      off.outP,
      off.outY,
      off.outLine,
      off.state,
    ];
    ptrs.forEach((p, i) => {
      i32[c + 14 + i] = p;
    });
    i32[c + 34] = F;
    i32[c + 35] = off.batchN;
    for (let i = 0; i < TABLE; i++) {
      i32[(off.bins >> 2) + i] = binOf(i);
      this.f64[(off.log >> 3) + i] = Math.log1p(i);
    }
    // The hasher's tables (fixed for this hasher); perm and the stream flags are per stream.
    i32.set(Int32Array.from(t.kind), off.kind >> 2);
    i32.set(t.ns, off.ns >> 2);
    i32.set(t.missingHash, off.miss >> 2);
    i32.set(t.pairA, off.pairA >> 2);
    i32.set(t.pairB, off.pairB >> 2);
    learner.adopt(new Float64Array(this.memory.buffer, off.state, 2 * D));
  }

  fits(hasher: FeatureHasher, fileColumns: number): boolean {
    return hasher === this.hasherRef && fileColumns <= this.capFile;
  }

  private configure(hasher: FeatureHasher, learner: OnlineLearner, o: FastStreamOptions): void {
    const i32 = this.i32,
      c = this.cfg >> 2,
      t = hasher.tables(),
      hc = hasher.config,
      h = learner.hyper();
    const nModel = t.kind.length;
    const perm = o.perm ?? Int32Array.from({ length: nModel }, (_, j) => j);
    i32[c] = o.fileColumns;
    i32[c + 1] = nModel;
    i32[c + 2] = o.delimiter.charCodeAt(0);
    i32[c + 3] = hasher.mask;
    i32[c + 4] = hc.signed ? 1 : 0;
    i32[c + 5] = hc.missing === 'skip' ? 1 : 0;
    i32[c + 6] = o.needLabel && t.labelCol >= 0 ? 1 : 0;
    i32[c + 7] = hc.bias ? 1 : 0;
    i32[c + 8] = t.biasHash;
    i32[c + 9] = t.pairA.length;
    i32[c + 10] = learner.kind === 'ftrl' ? 0 : 1;
    i32[c + 11] = o.period;
    i32[c + 12] = o.learn ? 1 : 0;
    i32[c + 13] = MAX_ROWS;
    i32.set(perm, i32[c + 14]! >> 2);
    const f = (this.cfg + 256) >> 3;
    this.f64[f] = h.alpha ?? 0.1;
    this.f64[f + 1] = h.beta ?? 1;
    this.f64[f + 2] = h.l1 ?? 0;
    this.f64[f + 3] = h.l2 ?? 0;
    this.k.init(this.cfg);
  }

  /**
   * A buffer of `bytes` bytes inside the module's memory for the CSV reader to read into (the
   * kernel reads the rows where they lie), or null when it is larger than the reserved space.
   */
  buffer(bytes: number): Uint8Array | null {
    return bytes <= INPUT ? new Uint8Array(this.memory.buffer, this.input, bytes) : null;
  }

  /** Where scored rows go (set before consume). */
  into(sink: ScoredRows): this {
    this.sink = sink;
    return this;
  }

  /**
   * Takes the plain rows of b[pos, len) (b from buffer()), the first starting at `line`, and
   * hands each to the sink. Returns where it stopped: the end of the last complete row, or a
   * row for the TypeScript path; `this.line` is then that row's line.
   */
  consume(b: Uint8Array, pos: number, len: number, line: number): number {
    const sink = this.sink;
    if (b.buffer !== this.memory.buffer || sink === null) {
      this.line = line;
      return pos;
    }
    const base = b.byteOffset,
      end = base + len,
      i32 = this.i32,
      f64 = this.f64,
      c = this.cfg >> 2;
    const P = this.outP >> 3,
      Y = this.outY >> 2,
      Ln = this.outLine >> 2;
    let p = base + pos,
      status = FULL;
    while (status === FULL && p < end) {
      p = this.k.run(p, end, line, sink.seen);
      const rows = i32[c + 40]!;
      line = i32[c + 41]!;
      status = i32[c + 42]!;
      for (let r = 0; r < rows; r++) sink.row(f64[P + r]!, i32[Y + r]!, i32[Ln + r]!);
      this.rows += rows;
    }
    this.line = line;
    return p - base;
  }

  /** End of the stream: the learner keeps its state here; the session may be opened again. */
  close(): void {
    this.busy = false;
    this.sink = null;
  }
}
