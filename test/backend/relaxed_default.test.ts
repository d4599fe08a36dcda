// The library's wasm backend uses the plain SIMD build unless asked (RECUR_RELAXED_SIMD=1 in the
// CLI, preferRelaxedSimd(true) in code): relaxed SIMD's fused multiply-add is fused on some
// processors and engines and not on others, and the same seed must give the same numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
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
