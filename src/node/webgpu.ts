/**
 * WebGPU in Node: the optional `webgpu` package (Dawn, prebuilt binaries, nothing
 * downloaded at install or run time). Loaded with a dynamic import so that recur installs
 * and runs without it; asking for the backend without it says what to install.
 *
 * Backends: 'auto' tries Dawn's default (Vulkan on Linux with a GPU driver, Metal, D3D12)
 * and falls back to OpenGL ES, which runs on Mesa's llvmpipe on machines with no GPU
 * (slow, about 2 GFLOP/s, but exact: CI tests every kernel there). OpenGL ES needs EGL
 * (Debian: libegl1 libegl-mesa0 libgles2) and WebGPU's 'compatibility' feature level.
 * @module recur-rnn/webgpu-node
 */
/// <reference types="@webgpu/types" preserve="true" />
import { GpuContext, GpuUnavailableError } from '../backend/webgpu/device.js';

export { GpuSequenceModel } from '../train/gpu_trainer.js';
export * from '../backend/webgpu/index.js';

export type NodeGpuBackend = 'auto' | 'vulkan' | 'opengles' | 'opengl' | 'metal' | 'd3d12' | 'd3d11' | 'null';

type Dawn = { create(flags: string[]): GPU };

export const INSTALL_HINT =
  "the webgpu backend needs the optional package 'webgpu' (Dawn for Node): run `npm install webgpu`";

let dawn: Promise<Dawn> | null = null;

/** The `webgpu` package, imported once; a clear error when it is missing. */
export function loadDawn(): Promise<Dawn> {
  // A variable specifier keeps bundlers from trying to resolve the optional package.
  const name = 'webgpu';
  dawn ??= (import(name) as Promise<Dawn>).catch((e: unknown) => {
    dawn = null;
    throw new GpuUnavailableError(`${INSTALL_HINT} (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  });
  return dawn;
}

async function tryOpen(d: Dawn, backend: string): Promise<GpuContext | null> {
  const flags = backend === 'auto' ? [] : [`backend=${backend}`];
  const compat = backend === 'opengles' || backend === 'opengl';
  try {
    return await GpuContext.open(d.create(flags), {
      adapter: compat ? { featureLevel: 'compatibility' } : { powerPreference: 'high-performance' },
    });
  } catch (e) {
    if (e instanceof GpuUnavailableError) return null;
    throw e;
  }
}

/** Opens a WebGPU device in Node through Dawn. */
export async function openNodeGpu(o: { backend?: NodeGpuBackend } = {}): Promise<GpuContext> {
  // Dawn's OpenGL ES backend reaches Mesa through EGL; with no display, use its surfaceless platform.
  if (!process.env.EGL_PLATFORM && !process.env.WAYLAND_DISPLAY && !process.env.DISPLAY)
    process.env.EGL_PLATFORM = 'surfaceless';
  const d = await loadDawn();
  const backend = o.backend ?? 'auto';
  const ctx = (await tryOpen(d, backend)) ?? (backend === 'auto' ? await tryOpen(d, 'opengles') : null);
  if (!ctx) {
    throw new GpuUnavailableError(
      `WebGPU (Dawn) found no adapter for backend '${backend}'` +
        (backend === 'auto' || backend === 'opengles'
          ? '; on a machine without a GPU install EGL/GLES (Debian: apt-get install libegl1 libegl-mesa0 libgles2)'
          : ''),
    );
  }
  return ctx;
}
