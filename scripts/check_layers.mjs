#!/usr/bin/env node
// Imports point down (DESIGN.md, decision 10): cli -> train -> layers -> backend -> core, with
// the side areas (tasks, reservoir, hashing, preprocess, lm, diagnostics, report) placed in
// that order, data (users' sequences: input forms, labels, standardisation, padding, CSV/JSONL
// text) just above core, since models, trainers and reservoirs all read it and it reads nothing,
// src/node (file I/O, threads) reachable only from the CLI and the bench, and no
// test importing bench code. Reads every import and export-from (static, dynamic, type-only)
// under src/ and test/, and prints each one that breaks the rules; exits 1 if any.
//
//   node scripts/check_layers.mjs [root]
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Which layer a source file belongs to (path relative to the root, '/'-separated). */
export function layerOf(path) {
  if (path === 'src/index.ts' || path === 'src/webgpu.ts') return 'api';
  const m = /^src\/([^/]+)\//.exec(path);
  if (m) return m[1] === 'layers' ? 'layers' : m[1];
  if (path === 'src/params.ts') return 'layers'; // the parameter store layers allocate into a backend
  if (/^src\/[^/]+\.ts$/.test(path)) return 'core';
  return null;
}

/** What each layer may import (besides itself). */
export const ALLOWED = {
  core: [],
  data: ['core'],
  backend: ['core'],
  layers: ['core', 'backend'],
  tasks: ['core'],
  hashing: ['core', 'backend'],
  preprocess: ['core', 'backend'],
  reservoir: ['core', 'backend', 'tasks', 'data'],
  train: ['core', 'backend', 'layers', 'tasks', 'data'],
  diagnostics: ['core', 'backend', 'layers', 'train'],
  lm: ['core', 'backend', 'layers', 'tasks', 'train', 'hashing'],
  report: ['core', 'diagnostics'],
  experiments: [
    'core',
    'backend',
    'layers',
    'tasks',
    'hashing',
    'preprocess',
    'reservoir',
    'train',
    'diagnostics',
    'lm',
    'report',
  ],
  api: [
    'core',
    'data',
    'backend',
    'layers',
    'tasks',
    'hashing',
    'preprocess',
    'reservoir',
    'train',
    'diagnostics',
    'lm',
    'report',
  ],
  node: [
    'core',
    'data',
    'backend',
    'layers',
    'tasks',
    'hashing',
    'preprocess',
    'reservoir',
    'train',
    'diagnostics',
    'lm',
    'report',
    'api',
  ],
  cli: [
    'core',
    'data',
    'backend',
    'layers',
    'tasks',
    'hashing',
    'preprocess',
    'reservoir',
    'train',
    'diagnostics',
    'lm',
    'report',
    'api',
    'node',
    'experiments',
  ],
};

function files(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

// Three alternatives: `import/export ... from 'x'`, `import('x')`, a bare `import 'x'`.
const IMPORT = new RegExp(
  [
    /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]/.source,
    /import\s*\(\s*['"]([^'"]+)['"]\s*\)/.source,
    /^\s*import\s*['"]([^'"]+)['"]/.source,
  ].join('|'),
  'gm',
);

/** Every relative import of the files under src/ and test/ that breaks the rules. */
export function violations(root) {
  const bad = [];
  for (const top of ['src', 'test']) {
    let list;
    try {
      list = files(join(root, top));
    } catch {
      continue;
    }
    for (const file of list) {
      const from = relative(root, file).split(sep).join('/');
      const text = readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '');
      for (const m of text.matchAll(IMPORT)) {
        const spec = m[1] ?? m[2] ?? m[3];
        if (!spec?.startsWith('.')) continue;
        const to = relative(root, resolve(dirname(file), spec))
          .split(sep)
          .join('/')
          .replace(/\.js$/, '.ts');
        const line = text.slice(0, m.index).split('\n').length;
        if (top === 'test') {
          if (to.startsWith('bench/')) bad.push(`${from}:${line}: a test imports bench code (${spec})`);
          continue;
        }
        const a = layerOf(from),
          b = layerOf(to);
        if (!a || !b || a === b) continue;
        if (!ALLOWED[a]?.includes(b)) {
          const why = b === 'node' ? 'core code may not reach src/node (it must run in browsers)' : 'it points up';
          bad.push(`${from}:${line}: ${a} imports ${b} (${spec}): ${why}`);
        }
      }
    }
  }
  return bad;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
  const bad = violations(root);
  for (const v of bad) console.error(v);
  if (bad.length) {
    console.error(`check_layers: ${bad.length} import(s) break the layering (DESIGN.md, decision 10)`);
    process.exit(1);
  }
  console.log('check_layers: every import points down');
}
