/**
 * `recur/webgpu`: WebGPU kernels, the device, and the GPU gradient source for the one Trainer.
 *
 *   const ctx = await requestWebGpu();                  // browsers (Node: openNodeGpu from 'recur/webgpu-node')
 *   const gpu = new GpuSequenceModel(ctx, model);       // model: a SequenceModel
 *   const trainer = new Trainer(gpu, new Adam(model.params, { lr: 1e-3 }), { clipNorm: 1 });
 *   const info = await trainer.trainAsync(batch);       // one command buffer per step
 */
export * from './backend/webgpu/index.js';
export { GpuSequenceModel } from './train/gpu_trainer.js';
