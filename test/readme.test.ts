// Runs every ```ts code block of README.md, so the documentation never rots.
// Blocks are type-stripped with TypeScript and run as ES modules from inside the package
// (so `import ... from 'recur'` resolves to this checkout). A block preceded by
// <!-- no-run --> is skipped (used for shell-only or long-running examples).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import ts from 'typescript';
import { ROOT } from './helpers.js';

const md = readFileSync(join(ROOT, 'README.md'), 'utf8');
const blocks: { code: string; line: number }[] = [];
const re = /(<!-- no-run -->\s*\n)?```ts\n([\s\S]*?)```/g;
for (let m; (m = re.exec(md)); ) {
  if (m[1]) continue;
  blocks.push({ code: m[2]!, line: md.slice(0, m.index).split('\n').length });
}

test('README has runnable examples', () => assert.ok(blocks.length >= 3, `only ${blocks.length} ts blocks`));

const dir = join(ROOT, 'dist', 'readme-blocks');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
for (const b of blocks) {
  test(`README block at line ${b.line} runs`, () => {
    const js = ts.transpileModule(b.code, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const file = join(dir, `block_${b.line}.mjs`);
    writeFileSync(file, js);
    try {
      execFileSync(process.execPath, [file], { cwd: dir, stdio: 'pipe', timeout: 120_000 });
    } catch (e) {
      const err = e as { stderr?: Buffer; stdout?: Buffer };
      assert.fail(
        `README block at line ${b.line} failed:\n${err.stderr?.toString() ?? ''}${err.stdout?.toString() ?? ''}`,
      );
    }
  });
}
