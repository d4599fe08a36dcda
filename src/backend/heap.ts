/**
 * A first-fit allocator over one WebAssembly linear memory, for the wasm backend's
 * workspace (DESIGN.md, decision 6): layers get Float32Array views into the memory the
 * kernels run on, so no kernel call copies (and float64 users, the ridge readouts, Float64Array
 * views: `view64`). Blocks are 64-byte aligned (cache lines, v128).
 * Freed blocks coalesce with their neighbours; a view handed out with `view` is released
 * explicitly with `freeView` (layers do so when they replace their workspace on a shape
 * change), or else when the garbage collector reclaims it (FinalizationRegistry). Shared memories
 * grow on demand (their views stay valid); a plain memory never grows (growing would detach every
 * view), and `view` returns null when it is full so the caller falls back to an ordinary array.
 */
const ALIGN = 64;
const PAGE = 65536;

interface Block {
  off: number;
  size: number;
}

/**
 * The part of a WebAssembly.Memory the heap uses, typed structurally so that the package's
 * declarations need neither the DOM nor a WebAssembly lib (`tsc --types node` compiles them).
 */
export interface LinearMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(delta: number): number;
}

export class Heap {
  readonly memory: LinearMemory;
  readonly shared: boolean;
  /** Every ArrayBuffer object the memory has had (a shared memory hands out a new one per grow). */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private f32: Float32Array;
  private f64: Float64Array;
  private i32: Int32Array;
  private top: number;
  private readonly free: Block[] = []; // sorted by offset, never adjacent
  private readonly registry = new FinalizationRegistry<Block>((b) => this.release(b.off, b.size));
  private readonly blocks = new WeakMap<ArrayBufferView, Block>();
  /** Bytes in live blocks (for tests and the bench). */
  used = 0;

  constructor(memory: LinearMemory, shared: boolean, base = 1024) {
    this.memory = memory;
    this.shared = shared;
    this.top = base;
    this.f32 = new Float32Array(memory.buffer);
    this.f64 = new Float64Array(memory.buffer);
    this.i32 = new Int32Array(memory.buffer);
    this.buffers.add(memory.buffer);
  }

  /** The current float view of the whole memory (rebuilt after a grow). */
  get floats(): Float32Array {
    if (this.f32.buffer !== this.memory.buffer) this.refresh();
    return this.f32;
  }

  /** The current int32 view of the whole memory. */
  get ints(): Int32Array {
    if (this.i32.buffer !== this.memory.buffer) this.refresh();
    return this.i32;
  }

  /** The current double view of the whole memory. */
  get doubles(): Float64Array {
    if (this.f64.buffer !== this.memory.buffer) this.refresh();
    return this.f64;
  }

  /** Whether `a` lives in this memory (its byteOffset is then a kernel pointer). */
  owns(a: ArrayBufferView): boolean {
    return this.buffers.has(a.buffer);
  }

  /** Byte offset of a block of `bytes`, or -1 when the memory cannot hold it. */
  allocBytes(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i]!;
      if (b.size < size) continue;
      const off = b.off;
      if (b.size === size) this.free.splice(i, 1);
      else {
        b.off += size;
        b.size -= size;
      }
      this.used += size;
      return off;
    }
    const off = Math.ceil(this.top / ALIGN) * ALIGN;
    const end = off + size;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      if (!this.shared) return -1;
      try {
        this.memory.grow(Math.ceil((end - have) / PAGE));
      } catch {
        return -1;
      }
      this.refresh();
    }
    this.top = end;
    this.used += size;
    return off;
  }

  /** Returns a block to the free list, merging it with free neighbours. */
  release(off: number, bytes: number): void {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    this.used -= size;
    if (off + size === this.top) {
      // the last block: lower the top, and swallow a free tail
      this.top = off;
      const last = this.free[this.free.length - 1];
      if (last && last.off + last.size === this.top) {
        this.top = last.off;
        this.free.pop();
      }
      return;
    }
    let i = 0;
    while (i < this.free.length && this.free[i]!.off < off) i++;
    const prev = this.free[i - 1],
      next = this.free[i];
    if (prev && prev.off + prev.size === off) {
      prev.size += size;
      if (next && prev.off + prev.size === next.off) {
        prev.size += next.size;
        this.free.splice(i, 1);
      }
    } else if (next && off + size === next.off) {
      next.off = off;
      next.size += size;
    } else {
      this.free.splice(i, 0, { off, size });
    }
  }

  /** A zeroed Float32Array of n floats in this memory, freed when collected; null when full. */
  view(n: number): Float32Array | null {
    return this.typed(Float32Array, n);
  }

  /** A zeroed Float64Array of n doubles in this memory (8-byte aligned, as all blocks are); null when full. */
  view64(n: number): Float64Array | null {
    return this.typed(Float64Array, n);
  }

  /** A zeroed Int32Array of n ints in this memory; null when full. */
  viewI32(n: number): Int32Array | null {
    return this.typed(Int32Array, n);
  }

  private typed<T extends Float32Array | Float64Array | Int32Array>(
    Ctor: { new (b: ArrayBufferLike, off: number, n: number): T; BYTES_PER_ELEMENT: number },
    n: number,
  ): T | null {
    const bytes = Math.max(Ctor.BYTES_PER_ELEMENT, n * Ctor.BYTES_PER_ELEMENT);
    const off = this.allocBytes(bytes);
    if (off < 0) return null;
    const v = new Ctor(this.memory.buffer, off, n);
    v.fill(0); // a reused block holds old numbers
    const block = { off, size: bytes };
    this.registry.register(v, block, v);
    this.blocks.set(v, block);
    this.buffers.add(v.buffer);
    return v;
  }

  /**
   * Frees a view from `view` now instead of at garbage collection: layers call this when
   * they replace their workspace on a shape change (alternating training and evaluation
   * batch sizes would otherwise fill the memory faster than the collector runs). The view
   * must not be used afterwards. Views not from this heap are ignored.
   */
  freeView(v: ArrayBufferView): void {
    const b = this.blocks.get(v);
    if (!b) return;
    this.blocks.delete(v);
    this.registry.unregister(v);
    this.release(b.off, b.size);
  }

  private refresh(): void {
    this.f32 = new Float32Array(this.memory.buffer);
    this.f64 = new Float64Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
    this.buffers.add(this.memory.buffer);
  }
}
