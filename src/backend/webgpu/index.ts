/**
 * The WebGPU kernels (WGSL, DESIGN.md decision 5) and the device they run on. A GPU backend
 * cannot stand behind the CPU `Backend` interface (its arrays live on the host); models train
 * on it through `GpuSequenceModel` (src/train/gpu_trainer.ts), and the kernels are checked one
 * by one against the `ts` reference (test/webgpu/).
 *
 * The core opens a device from a `GPU` object: navigator.gpu in browsers, or one handed in from
 * the edge (Node: src/node/webgpu.ts wraps Dawn from the optional `webgpu` package).
 */
/// <reference types="@webgpu/types" preserve="true" />
import { GpuContext, GpuUnavailableError } from './device.js';

export { GpuContext, GpuUnavailableError, Plan } from './device.js';
export { WebGpuKernels, type StepGrads, type StepState } from './kernels.js';

/** Whether this JavaScript environment exposes WebGPU itself (browsers, Deno). */
export function hasNavigatorGpu(): boolean {
  return !!(globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu;
}

/**
 * Opens a GPU device from `gpu` (default navigator.gpu). Throws GpuUnavailableError saying what
 * to use when there is none (in Node: `openNodeGpu` from 'recur-rnn/webgpu-node').
 */
export async function requestWebGpu(o: { gpu?: GPU } = {}): Promise<GpuContext> {
  const gpu =
    o.gpu ?? (hasNavigatorGpu() ? (globalThis as unknown as { navigator: { gpu: GPU } }).navigator.gpu : null);
  if (!gpu) {
    const node = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
    throw new GpuUnavailableError(
      node === 'string'
        ? "WebGPU in Node: open the device with openNodeGpu() from 'recur-rnn/webgpu-node' (needs: npm install webgpu)"
        : 'WebGPU is not available in this browser (no navigator.gpu)',
    );
  }
  return GpuContext.open(gpu, { adapter: { powerPreference: 'high-performance' } });
}
