/**
 * `recur-rnn/preprocess`: image preprocessing as compared in the lecture, on images [N, H, W, C]
 * Float32 tensors: BT.601 RGB <-> YUV, local contrast normalisation (Jarrett et al. 2009),
 * streaming ZCA whitening, and a pipeline that chains them and saves to bytes. No Node APIs;
 * PNG reading and writing live in src/node/png.ts and the `recur preprocess` command.
 * @module recur-rnn/preprocess
 */
export { rgbToYuv, yuvToRgb } from './color.js';
export { localContrastNormalize, localMean, gaussianWindow, resolveLcnOptions, type LcnOptions } from './lcn.js';
export { Zca, CovarianceAccumulator, type ZcaOptions, type ZcaParts } from './zca.js';
export { symmetricEigen, type SymmetricEigen } from './eigen.js';
export { Pipeline, type PipelineSpec } from './pipeline.js';
export { checkImages, type ImageDims } from './images.js';
