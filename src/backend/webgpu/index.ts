/**
 * `recur/webgpu`: the WebGPU backend (WGSL kernels, DESIGN.md decision 5). It runs in
 * browsers through navigator.gpu and in Node through the optional `webgpu` package.
 *
 *   const gpu = await requestWebGpu();                       // browser or Node
 *   const trainer = new GpuSequenceTrainer(gpu, model, { lr: 0.01 });
 *   const loss = await trainer.step(batch);                  // one command buffer per step
 *
 * A GPU backend cannot stand behind the CPU `Backend` interface (its arrays live on the
 * host); it trains a SequenceModel's parameters resident on the device instead, and the
 * kernels are checked one by one against the `ts` reference (test/webgpu/).
 */
/// <reference types="@webgpu/types" />
import { GpuContext, GpuUnavailableError } from './device.js';
import type { NodeGpuBackend } from '../../node/webgpu.js';

export { GpuContext, GpuUnavailableError, Plan } from './device.js';
export { GpuSequenceTrainer } from './trainer.js';
export { WebGpuKernels, type StepGrads, type StepState } from './kernels.js';
export type { NodeGpuBackend };

/** Whether this JavaScript environment exposes WebGPU itself (browsers, Deno). */
export function hasNavigatorGpu(): boolean {
  return !!(globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu;
}

/**
 * Opens a GPU device: navigator.gpu where it exists (browsers), else Dawn through the
 * optional `webgpu` package (Node; `backend` picks Dawn's backend, default 'auto').
 * Throws GpuUnavailableError with what to install or enable when there is none.
 */
export async function requestWebGpu(o: { backend?: NodeGpuBackend } = {}): Promise<GpuContext> {
  if (hasNavigatorGpu() && o.backend === undefined) {
    return GpuContext.open((globalThis as unknown as { navigator: { gpu: GPU } }).navigator.gpu, {
      adapter: { powerPreference: 'high-performance' },
    });
  }
  if (typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node !== 'string') {
    throw new GpuUnavailableError('WebGPU is not available in this browser (no navigator.gpu)');
  }
  const { openNodeGpu } = await import('../../node/webgpu.js');
  return openNodeGpu(o);
}
