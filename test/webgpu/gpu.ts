// The WebGPU device the GPU tests share (one per test file), or why there is none. In CI it is
// Dawn's OpenGL ES backend on Mesa's llvmpipe (slow, exact); without the optional `webgpu`
// package or an adapter the tests skip with the reason.
import assert from 'node:assert/strict';
import { type GpuContext, GpuUnavailableError } from 'recur-rnn/webgpu';
import { openNodeGpu } from 'recur-rnn/webgpu-node';
import { randn, relErr } from '../helpers.js';

export async function openTestGpu(): Promise<{ ctx: GpuContext | null; skip: string | false }> {
  try {
    return { ctx: await openNodeGpu(), skip: false };
  } catch (e) {
    if (!(e instanceof GpuUnavailableError)) throw e;
    return { ctx: null, skip: `webgpu unavailable: ${e.message}` };
  }
}

export const r32 = (n: number, seed: number, scale = 1) => randn(n, seed, scale, false) as Float32Array;

export function close(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  const e = relErr(got, want);
  assert.ok(e < tol, `${what}: rel error ${e} >= ${tol}`);
}
