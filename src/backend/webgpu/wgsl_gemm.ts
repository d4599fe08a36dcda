/**
 * WGSL matrix product: C[M,N] = op(A) op(B), or C += op(A) op(B) when `acc` (the same
 * contract as Backend.gemm). op(A) is [M,K] (A stored [K,M] when tA); op(B) is [K,N]
 * (B stored [N,K] when tB). Offsets are in elements, so one resident buffer can hold many
 * matrices (time steps, parameter views).
 *
 * Tiling: a workgroup of 8x8 threads computes a 32x32 tile of C, each thread a 4x4 block
 * held in registers; A and B stream through workgroup memory in chunks of 16 along K. The
 * tile loads are laid out so that neighbouring threads read neighbouring addresses for
 * every (tA, tB): that is why the transposes are baked into the source, not branched on.
 */

export const GEMM_TILE = 32;

export function gemmWgsl(tA: boolean, tB: boolean): string {
  // (ii, kk) for A-tile element e: contiguous along k when A is [M,K], along i when [K,M].
  const aMap = tA ? 'let kk = e / TS; let ii = e % TS;' : 'let ii = e / KC; let kk = e % KC;';
  const aIdx = tA ? '(k0 + kk) * p.M + i0 + ii' : '(i0 + ii) * p.K + k0 + kk';
  const bMap = tB ? 'let jj = e / KC; let kk = e % KC;' : 'let kk = e / TS; let jj = e % TS;';
  const bIdx = tB ? '(j0 + jj) * p.K + k0 + kk' : '(k0 + kk) * p.N + j0 + jj';
  return /* wgsl */ `
struct P { M: u32, N: u32, K: u32, aOff: u32, bOff: u32, cOff: u32, acc: u32, pad: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> Bm: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
const TS = 32u;
const KC = 16u;
var<workgroup> As: array<f32, 512>; // [KC][TS]
var<workgroup> Bs: array<f32, 512>; // [KC][TS]

@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u) {
  let i0 = wg.y * TS;
  let j0 = wg.x * TS;
  let tid = l.y * 8u + l.x;
  var acc: array<vec4f, 4>;
  for (var k0 = 0u; k0 < p.K; k0 += KC) {
    for (var e = tid; e < 512u; e += 64u) {
      ${aMap}
      var av = 0.0;
      if (i0 + ii < p.M && k0 + kk < p.K) { av = A[p.aOff + ${aIdx}]; }
      As[kk * TS + ii] = av;
    }
    for (var e = tid; e < 512u; e += 64u) {
      ${bMap}
      var bv = 0.0;
      if (j0 + jj < p.N && k0 + kk < p.K) { bv = Bm[p.bOff + ${bIdx}]; }
      Bs[kk * TS + jj] = bv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < KC; kk++) {
      let ao = kk * TS + l.y * 4u;
      let a = vec4f(As[ao], As[ao + 1u], As[ao + 2u], As[ao + 3u]);
      let bo = kk * TS + l.x * 4u;
      let b = vec4f(Bs[bo], Bs[bo + 1u], Bs[bo + 2u], Bs[bo + 3u]);
      acc[0] += a.x * b; acc[1] += a.y * b; acc[2] += a.z * b; acc[3] += a.w * b;
    }
    workgroupBarrier();
  }
  for (var r = 0u; r < 4u; r++) {
    let i = i0 + l.y * 4u + r;
    if (i >= p.M) { continue; }
    for (var c = 0u; c < 4u; c++) {
      let j = j0 + l.x * 4u + c;
      if (j >= p.N) { continue; }
      let idx = p.cOff + i * p.N + j;
      var v = acc[r][c];
      if (p.acc != 0u) { v += C[idx]; }
      C[idx] = v;
    }
  }
}`;
}
