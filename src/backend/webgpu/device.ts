/// <reference types="@webgpu/types" preserve="true" />
/**
 * A WebGPU device and the one thing recur does with it: record a fixed list of dispatches
 * once, then replay it into one command buffer per training step.
 *
 * Why a recorded plan: a recurrent step is small, so its cost on a GPU is the dispatch, not
 * the arithmetic. A `Plan` holds every dispatch of a step (pipeline, bind group, grid) with
 * its parameters (sizes, element offsets) already written to one uniform buffer, 256 bytes
 * a slot; replaying it is three encoder calls per dispatch and no allocation. Buffers stay
 * resident across steps; only what the caller asks for is read back.
 *
 * Works with any `GPU` object: `navigator.gpu` in a browser, or the `webgpu` package's
 * Dawn in Node (see src/node/webgpu.ts).
 */

export const STORAGE = 0x0080 | 0x0004 | 0x0008; // GPUBufferUsage.STORAGE | COPY_SRC | COPY_DST
const UNIFORM = 0x0040 | 0x0008; // GPUBufferUsage.UNIFORM | COPY_DST
const MAP_READ = 0x0001 | 0x0008; // GPUBufferUsage.MAP_READ | COPY_DST
const SLOT = 256; // minUniformBufferOffsetAlignment (the spec's maximum)

export interface GpuOptions {
  /** Passed to requestAdapter, e.g. { featureLevel: 'compatibility' } for OpenGL ES. */
  adapter?: GPURequestAdapterOptions;
}

/** Thrown when no WebGPU implementation or adapter is there; the message says what to do. */
export class GpuUnavailableError extends Error {
  override name = 'GpuUnavailableError';
}

export class GpuContext {
  readonly device: GPUDevice;
  /** What the adapter calls itself (vendor, architecture, description), for reports. */
  readonly description: string;
  private readonly pipes = new Map<string, GPUComputePipeline>();
  private errors: string[] = [];

  /** Whatever must stay referenced while the device lives (Dawn's GPU object in Node). */
  private readonly owner: unknown;

  private constructor(device: GPUDevice, description: string, owner: unknown) {
    this.device = device;
    this.owner = owner;
    this.description = description;
    device.addEventListener?.('uncapturederror', (e) => {
      this.errors.push(String((e as GPUUncapturedErrorEvent).error?.message));
    });
  }

  /** Opens a device on `gpu`, raising the limits the kernels need up to what the adapter offers. */
  static async open(gpu: GPU | undefined | null, o: GpuOptions = {}): Promise<GpuContext> {
    if (!gpu)
      throw new GpuUnavailableError(
        'WebGPU is not available here (no navigator.gpu); in Node run `npm install webgpu`',
      );
    const adapter = await gpu.requestAdapter(o.adapter);
    if (!adapter) throw new GpuUnavailableError('WebGPU found no adapter (no GPU, or no driver Dawn can use)');
    const want = [
      'maxStorageBuffersPerShaderStage',
      'maxComputeInvocationsPerWorkgroup',
      'maxStorageBufferBindingSize',
      'maxBufferSize',
    ] as const;
    const requiredLimits: Record<string, number> = {};
    for (const k of want) requiredLimits[k] = adapter.limits[k];
    if (adapter.limits.maxStorageBuffersPerShaderStage < 8) {
      throw new GpuUnavailableError(
        `WebGPU adapter allows ${adapter.limits.maxStorageBuffersPerShaderStage} storage buffers per shader ` +
          'stage; the recurrent kernels need 8',
      );
    }
    const device = await adapter.requestDevice({ requiredLimits });
    const info = adapter.info;
    const description = info
      ? [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown adapter'
      : 'unknown adapter';
    return new GpuContext(device, description, gpu);
  }

  pipeline(key: string, code: string): GPUComputePipeline {
    let p = this.pipes.get(key);
    if (!p) {
      p = this.device.createComputePipeline({
        label: key,
        layout: 'auto',
        compute: { module: this.device.createShaderModule({ label: key, code }), entryPoint: 'main' },
      });
      this.pipes.set(key, p);
    }
    return p;
  }

  /** A resident storage buffer of n 32-bit values (at least one, so that it can be bound). */
  buffer(n: number, label = ''): GPUBuffer {
    return this.device.createBuffer({ label, size: Math.max(4, Math.ceil(n) * 4), usage: STORAGE });
  }

  write(buf: GPUBuffer, data: Float32Array | Int32Array | Uint32Array, offsetElems = 0): void {
    // Views over wasm's shared memory (a SharedArrayBuffer) are refused by writeBuffer: copy those.
    const src = data.buffer instanceof ArrayBuffer ? data : data.slice();
    this.device.queue.writeBuffer(buf, offsetElems * 4, src.buffer as ArrayBuffer, src.byteOffset, src.byteLength);
  }

  /** Copies n floats from `buf` (at element offset `off`) back to the CPU. */
  async read(buf: GPUBuffer, n: number, off = 0): Promise<Float32Array> {
    const rb = this.device.createBuffer({ size: Math.max(4, n * 4), usage: MAP_READ });
    const enc = this.device.createCommandEncoder();
    if (n > 0) enc.copyBufferToBuffer(buf, off * 4, rb, 0, n * 4);
    this.device.queue.submit([enc.finish()]);
    await rb.mapAsync(1 /* GPUMapMode.READ */);
    const out = new Float32Array(rb.getMappedRange().slice(0, n * 4));
    rb.unmap();
    rb.destroy();
    this.check();
    return out;
  }

  /** Throws the first validation error the device reported (they arrive asynchronously). */
  check(): void {
    if (this.errors.length) {
      const e = this.errors;
      this.errors = [];
      throw new Error(`WebGPU: ${e[0]}${e.length > 1 ? ` (and ${e.length - 1} more)` : ''}`);
    }
  }

  destroy(): void {
    this.device.destroy();
    void this.owner;
  }
}

interface Dispatch {
  pipe: GPUComputePipeline;
  bufs: GPUBuffer[];
  slot: number;
  grid: [number, number, number];
  bg?: GPUBindGroup;
}

/** A fixed list of dispatches recorded once and replayed into one compute pass per step. */
export class Plan {
  private readonly list: Dispatch[] = [];
  private params: number[][] = [];
  private ubuf: GPUBuffer | null = null;

  constructor(private readonly ctx: GpuContext) {}

  get size(): number {
    return this.list.length;
  }

  /** Records a dispatch. `params` fill the kernel's uniform struct in order (u32; use f32bits for floats). */
  add(key: string, code: string, params: number[], bufs: GPUBuffer[], grid: [number, number?, number?]): number {
    if (this.ubuf) throw new Error('Plan: cannot add after finish()');
    if (params.length > SLOT / 4) throw new Error(`Plan: ${params.length} params do not fit one slot`);
    const g: [number, number, number] = [Math.max(1, grid[0]), Math.max(1, grid[1] ?? 1), Math.max(1, grid[2] ?? 1)];
    this.list.push({ pipe: this.ctx.pipeline(key, code), bufs, slot: this.params.length, grid: g });
    this.params.push(params);
    return this.params.length - 1;
  }

  /** Rewrites one u32 of a recorded dispatch's parameters (e.g. a new learning rate). */
  setParam(slot: number, index: number, value: number): void {
    const p = this.params[slot]!;
    p[index] = value;
    if (this.ubuf) this.ctx.device.queue.writeBuffer(this.ubuf, slot * SLOT + index * 4, Uint32Array.of(value >>> 0));
  }

  /** Uploads the parameter slots and creates the bind groups; the plan is replayable after this. */
  finish(): this {
    const dev = this.ctx.device;
    const u = new Uint32Array((Math.max(1, this.params.length) * SLOT) / 4);
    this.params.forEach((p, i) =>
      p.forEach((v, k) => {
        u[(i * SLOT) / 4 + k] = v >>> 0;
      }),
    );
    this.ubuf = dev.createBuffer({ label: 'plan params', size: u.byteLength, usage: UNIFORM });
    dev.queue.writeBuffer(this.ubuf, 0, u);
    for (const d of this.list) {
      const size = Math.ceil(this.params[d.slot]!.length / 4) * 16;
      d.bg = dev.createBindGroup({
        layout: d.pipe.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: this.ubuf, offset: d.slot * SLOT, size } },
          ...d.bufs.map((buffer, i) => ({ binding: i + 1, resource: { buffer } })),
        ],
      });
    }
    return this;
  }

  /** Records every dispatch into `pass`, in order. */
  encode(pass: GPUComputePassEncoder): void {
    if (!this.ubuf) throw new Error('Plan: call finish() before encode()');
    let last: GPUComputePipeline | null = null;
    for (const d of this.list) {
      if (d.pipe !== last) {
        pass.setPipeline(d.pipe);
        last = d.pipe;
      }
      pass.setBindGroup(0, d.bg!);
      pass.dispatchWorkgroups(d.grid[0], d.grid[1], d.grid[2]);
    }
  }

  /** Runs the plan in one command buffer; optionally copies `n` floats of `readFrom` out and returns them. */
  async run(readFrom?: { buf: GPUBuffer; n: number; staging: GPUBuffer }): Promise<Float32Array | null> {
    const dev = this.ctx.device;
    const enc = dev.createCommandEncoder();
    const pass = enc.beginComputePass();
    this.encode(pass);
    pass.end();
    if (readFrom) enc.copyBufferToBuffer(readFrom.buf, 0, readFrom.staging, 0, readFrom.n * 4);
    dev.queue.submit([enc.finish()]);
    if (!readFrom) return null;
    await readFrom.staging.mapAsync(1 /* GPUMapMode.READ */);
    const out = new Float32Array(readFrom.staging.getMappedRange().slice(0, readFrom.n * 4));
    readFrom.staging.unmap();
    this.ctx.check();
    return out;
  }

  /** A reusable MAP_READ buffer for `run`'s read-back. */
  staging(n: number): GPUBuffer {
    return this.ctx.device.createBuffer({ size: Math.max(4, n * 4), usage: MAP_READ });
  }
}

/** The bits of a float32, for a uniform slot declared f32. */
export function f32bits(x: number): number {
  return new Uint32Array(Float32Array.of(x).buffer)[0]!;
}

/** Workgroups for an element-wise kernel over n items (64 threads each, capped: the kernels stride). */
export function groups1d(n: number): number {
  return Math.min(4096, Math.max(1, Math.ceil(n / 64)));
}
