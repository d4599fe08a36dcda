/**
 * `recur-rnn/webgpu`: WebGPU kernels, the device, and the GPU model the one Trainer steps there.
 *
 *   const ctx = await requestWebGpu();                  // browsers (Node: openNodeGpu from 'recur-rnn/webgpu-node')
 *   const gpu = new GpuSequenceModel(ctx, model);       // model: a SequenceModel (parameters go up once)
 *   const trainer = new Trainer(gpu, new Adam(model.params, { lr: 1e-3 }), { clipNorm: 1 });
 *   const info = await trainer.trainAsync(batch);       // one command buffer per step; the loss and norm come back
 *   await gpu.pull();                                   // model.params and the optimiser's state on the host again
 * @module recur-rnn/webgpu
 */
export * from './backend/webgpu/index.js';
export { GpuSequenceModel } from './train/gpu_trainer.js';
