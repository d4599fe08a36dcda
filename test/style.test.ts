// The style limit is 120 characters a line (biome.json lineWidth). Biome formats the TypeScript
// it covers but never splits a string or a comment, and it does not see the AssemblyScript
// kernels or the Python scripts, so this test holds every code file to the limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

const LIMIT = 120;
const FOLDERS = ['assembly', 'bench', 'demo', 'examples', 'scripts', 'src', 'test'];
const CODE = /\.(ts|mjs|js|py|sh|html|css)$/;
// Generated, not written by hand (gitignored; listed for the walk below, which cannot see .gitignore).
const GENERATED = new Set(['src/backend/wasm_bytes.ts']);
const EXCLUDED: string[] = [];

/** The code files under FOLDERS, relative to root, with '/' separators: git's list where root is a checkout. */
function codeFiles(root: string): string[] {
  let listed: string[] | null = null;
  try {
    const top = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
    // Only root's own repository: an unpacked tarball inside some other checkout must be walked.
    if (realpathSync(top.trim()) === realpathSync(root)) {
      // Tracked files and new ones not yet added; ignored (generated) files stay out.
      const out = execFileSync(
        'git',
        ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', ...FOLDERS],
        {
          cwd: root,
          encoding: 'utf8',
        },
      );
      listed = out.split('\0').filter((f) => f !== '' && existsSync(join(root, f)));
    }
  } catch {
    listed = null; // no git, or not a checkout (a tarball): walk the folders instead
  }
  if (listed === null) {
    listed = [];
    const walk = (rel: string): void => {
      const dir = join(root, rel);
      if (!existsSync(dir)) return;
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
        const p = `${rel}/${e.name}`;
        if (e.isDirectory()) walk(p);
        else if (e.isFile()) listed!.push(p);
      }
    };
    for (const f of FOLDERS) walk(f);
  }
  return listed.filter((f) => CODE.test(f) && !GENERATED.has(f) && !EXCLUDED.some((x) => f.startsWith(x))).sort();
}

/** 'file:line (N characters)' for every line longer than LIMIT (counted in code points, as editors do). */
function longLines(root: string): string[] {
  const out: string[] = [];
  for (const f of codeFiles(root)) {
    const lines = readFileSync(join(root, f), 'utf8').split('\n');
    lines.forEach((line, i) => {
      const n = [...line.replace(/\r$/, '')].length;
      if (n > LIMIT) out.push(`${f}:${i + 1} (${n} characters)`);
    });
  }
  return out;
}

test(`every code line under ${FOLDERS.join('/, ')}/ is at most ${LIMIT} characters`, () => {
  assert.ok(codeFiles(ROOT).includes('test/style.test.ts'), 'the file list reaches this test');
  const long = longLines(ROOT);
  assert.deepEqual(long, [], `lines over ${LIMIT} characters (wrap them):\n  ${long.join('\n  ')}`);
});

test('the check names each long line and skips generated files, node_modules and dist', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-style-'));
  try {
    const put = (rel: string, text: string) => {
      mkdirSync(join(dir, rel, '..'), { recursive: true });
      writeFileSync(join(dir, rel), text);
    };
    const long = 'x'.repeat(LIMIT + 1);
    put('src/a.ts', `${'y'.repeat(LIMIT)}\n${long}\n`);
    put('assembly/k.ts', `// ${'π'.repeat(LIMIT - 3)}\n`); // 120 code points, more UTF-8 bytes: within the limit
    put('scripts/p.py', `ok\n\n${long}\r\n`);
    put('src/notes.md', `${long}\n`);
    put('src/backend/wasm_bytes.ts', `${long}\n`);
    put('bench/node_modules/dep/index.js', `${long}\n`);
    put('test/dist/x.js', `${long}\n`);
    assert.deepEqual(longLines(dir), [
      `scripts/p.py:3 (${LIMIT + 1} characters)`,
      `src/a.ts:2 (${LIMIT + 1} characters)`,
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
