// DESIGN.md decisions 7 and 10: imports point down (scripts/check_layers.mjs over the real tree,
// and over a copy with one deliberately wrong import, which it must catch), and importing the
// package runs nothing: no WebAssembly is compiled until a backend is first used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './helpers.js';

const checker = (await import(pathToFileURL(join(ROOT, 'scripts', 'check_layers.mjs')).href)) as {
  violations(root: string): string[];
};

test('every import under src/ points down, and no test imports bench code', () => {
  assert.deepEqual(checker.violations(ROOT), []);
});

test('the check catches an import that points up and one from the core into src/node', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-layers-'));
  try {
    cpSync(join(ROOT, 'src'), join(dir, 'src'), { recursive: true });
    const lin = join(dir, 'src', 'layers', 'linear.ts');
    writeFileSync(lin, `import type { RunDir } from '../node/rundir.js';\n${readFileSync(lin, 'utf8')}`);
    const add = join(dir, 'src', 'tasks', 'adding.ts');
    writeFileSync(add, `import { Trainer } from '../train/trainer.js';\n${readFileSync(add, 'utf8')}`);
    const v = checker.violations(dir);
    assert.equal(v.length, 2, v.join('\n'));
    assert.match(v.join('\n'), /src\/layers\/linear\.ts:1: layers imports node .*must run in browsers/);
    assert.match(v.join('\n'), /src\/tasks\/adding\.ts:1: tasks imports train .*points up/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('importing the package compiles no WebAssembly; the first use of a backend does', () => {
  const probe = `
    let n = 0;
    const M = WebAssembly.Module, c = WebAssembly.compile;
    WebAssembly.Module = function (b) { n++; return new M(b); };
    WebAssembly.compile = (b) => { n++; return c(b); };
    const r = await import('recur-rnn');
    await import('recur-rnn/lm'); await import('recur-rnn/esn'); await import('recur-rnn/hashing');
    await import('recur-rnn/preprocess'); await import('recur-rnn/diagnostics'); await import('recur-rnn/report');
    const before = n;
    const name = r.getBackend().name;
    console.log(JSON.stringify({ before, after: n, name }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: ROOT, encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').pop()!) as { before: number; after: number; name: string };
  assert.equal(r.before, 0, 'nothing compiled on import');
  if (r.name === 'wasm') assert.ok(r.after >= 1, 'the first getBackend() compiled the kernels');
});
