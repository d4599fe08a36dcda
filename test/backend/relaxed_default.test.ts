// The library's wasm backend uses the plain SIMD build unless asked (RECUR_RELAXED_SIMD=1 in the
// CLI, preferRelaxedSimd(true) in code): relaxed SIMD's fused multiply-add is fused on some
// processors and engines and not on others, and the same seed must give the same numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../helpers.js';

/** The build the CLI's process would pick, in a fresh process (the choice is made once per process). */
function buildPicked(env: Record<string, string>): { build: string; available: boolean } {
  const url = (p: string) => JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'src', ...p.split('/'))).href);
  const code =
    `const { allowRelaxedSimd, enableRelaxedSimd } = await import(${url('node/relaxed_simd.js')});\n` +
    `const { getBackend } = await import(${url('backend/index.js')});\n` +
    'const available = allowRelaxedSimd();\n' +
    'enableRelaxedSimd();\n' +
    "console.log(JSON.stringify({ build: getBackend('wasm').build, available }));\n";
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], {
    encoding: 'utf8',
    env: { ...process.env, RECUR_RELAXED_SIMD: '', ...env },
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

test('plain SIMD by default even where the engine runs relaxed SIMD; RECUR_RELAXED_SIMD=1 opts in', () => {
  const plain = buildPicked({});
  assert.equal(plain.build, 'simd');
  const opted = buildPicked({ RECUR_RELAXED_SIMD: '1' });
  assert.equal(opted.build, opted.available ? 'relaxed-simd' : 'simd');
});

/** In a fresh process: the build the main thread uses, what its shard workers are told, and a 2-thread step. */
function workersPicked(env: Record<string, string>): { build: string; workersRelaxed: boolean; maxRel: number } {
  const url = (p: string) => JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'src', ...p.split('/'))).href);
  const code =
    `const { enableRelaxedSimd } = await import(${url('node/relaxed_simd.js')});\n` +
    `const { getBackend } = await import(${url('backend/index.js')});\n` +
    `const { dataParallel, shardWorkerData } = await import(${url('node/parallel.js')});\n` +
    `const { SequenceModel } = await import(${url('layers/model.js')});\n` +
    'enableRelaxedSimd();\n' +
    "const build = getBackend('wasm').build;\n" +
    'const workersRelaxed = shardWorkerData({ index: 1, threads: 2, config: {} }).relaxed;\n' +
    "const cfg = { cell: 'lstm', inputSize: 3, hiddenSize: 16, outputSize: 2, head: 'every', loss: 'mse',\n" +
    '  seed: 3 };\n' +
    'const T = 5, B = 6, x = Float32Array.from({ length: T * B * 3 }, (_, i) => Math.sin(i));\n' +
    'const y = Float32Array.from({ length: T * B * 2 }, (_, i) => Math.cos(i));\n' +
    'const grad = async (threads) => {\n' +
    "  const m = new SequenceModel(cfg, 'wasm'); const g = await dataParallel(m, { threads });\n" +
    '  g.lossAndGrad({ T, B, x, y }); const out = Float32Array.from(m.params.grad); await g.close(); return out;\n' +
    '};\n' +
    'const a = await grad(1), b = await grad(2);\n' +
    'let maxRel = 0;\n' +
    'for (let i = 0; i < a.length; i++) maxRel = Math.max(maxRel, Math.abs(a[i] - b[i]) / (Math.abs(a[i]) + 1e-3));\n' +
    'console.log(JSON.stringify({ build, workersRelaxed, maxRel }));\n';
  // a file, not -e: worker threads inherit the parent's execArgv, and --input-type refuses them
  const dir = mkdtempSync(join(tmpdir(), 'recur-relaxed-')),
    file = join(dir, 'workers.mjs');
  writeFileSync(file, code);
  try {
    const out = execFileSync(process.execPath, [file], {
      encoding: 'utf8',
      env: { ...process.env, RECUR_RELAXED_SIMD: '', ...env },
    });
    return JSON.parse(out.trim().split('\n').pop()!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('data-parallel workers use the calling thread build (plain by default, relaxed when it is)', () => {
  const plain = workersPicked({});
  assert.equal(plain.build, 'simd');
  assert.equal(plain.workersRelaxed, false);
  assert.ok(plain.maxRel < 1e-4, `2 threads vs 1: ${plain.maxRel}`);
  const opted = workersPicked({ RECUR_RELAXED_SIMD: '1' });
  assert.equal(opted.workersRelaxed, opted.build === 'relaxed-simd');
  assert.ok(opted.maxRel < 1e-4, `2 threads vs 1 (relaxed): ${opted.maxRel}`);
});
