// Docs that run: every ```ts block of README.md and docs/**/*.md (not the generated docs/api)
// is type-checked under the project's strict settings against the built package, run as an
// ES module from inside the package (so `import ... from '<name>'` resolves to this checkout),
// and held to the values its comments promise:
//
//   console.log(x.toFixed(3));        // => 0.900          the printed line, token by token
//   console.log('err', r.maxRel);     // => err <1e-6      a number below (or >) a bound
//   console.log(r.loss);              // => ~2.30          a number within 10% (or ~1e-9: same decade)
//   console.log(a, b);                // => [ 5, 2, 8 ] *  `*` matches one token, `...` the rest
//
// A `// =>` comment belongs to the console.log call on its line; every printed line of that call
// (it may run in a loop) must match, and it must run at least once. A block preceded by
// <!-- no-run --> is type-checked but not run (long jobs, shell-only setups).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import ts from 'typescript';
import { ROOT } from './helpers.js';

interface Block {
  file: string;
  line: number;
  code: string;
  run: boolean;
  id: string;
}

function markdownFiles(): string[] {
  const out = [join(ROOT, 'README.md')];
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory() && e.name !== 'api') walk(p);
      else if (e.isFile() && e.name.endsWith('.md')) out.push(p);
    }
  };
  walk(join(ROOT, 'docs'));
  return out;
}

const blocks: Block[] = [];
for (const file of markdownFiles()) {
  const md = readFileSync(file, 'utf8'),
    rel = relative(ROOT, file);
  const re = /(<!-- no-run -->\s*\n)?```ts\n([\s\S]*?)```/g;
  for (let m; (m = re.exec(md)); ) {
    const line = md.slice(0, m.index).split('\n').length + (m[1] ? 1 : 0);
    const id = `${rel.replace(/[^A-Za-z0-9]+/g, '_')}_${line}`;
    blocks.push({ file: rel, line, code: m[2]!, run: !m[1], id });
  }
}

const dir = join(ROOT, 'dist', 'doc-blocks');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
for (const b of blocks) writeFileSync(join(dir, `${b.id}.ts`), b.code);

test('the README and docs have runnable examples', () => {
  // The README's three examples: the library and your own data in TypeScript, the command line in sh.
  assert.ok(blocks.filter((b) => b.file === 'README.md' && b.run).length >= 2, 'README examples');
  assert.ok(blocks.length >= 30, `${blocks.length} blocks in README.md and docs/`);
});

test('every documentation block type-checks (strict, against the built package)', () => {
  const opts: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: ['node'],
    typeRoots: [join(ROOT, 'node_modules', '@types')],
    skipLibCheck: true,
  };
  // Each block is its own module (a top-level await, an import): `export {}` makes sure of it.
  const files = blocks.map((b) => join(dir, `${b.id}.ts`));
  for (const f of files) writeFileSync(f, `${readFileSync(f, 'utf8')}\nexport {};\n`);
  const program = ts.createProgram(files, opts);
  const errors = ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file ? blocks.find((b) => d.file!.fileName.endsWith(`${b.id}.ts`)) : undefined;
    const pos = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : null;
    const loc = where && pos ? `${where.file}:${where.line + pos.line + 1}` : (d.file?.fileName ?? '?');
    return `${loc}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
  assert.deepEqual(errors, []);
});

/** Does a printed line satisfy a promise (see the header)? Returns why not, or null. */
export function mismatch(printed: string, promise: string): string | null {
  const got = printed.trim().split(/\s+/),
    want = promise.trim().split(/\s+/);
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!,
      g = got[i];
    if (w === '...') return null;
    if (g === undefined) return `missing '${w}'`;
    if (w === '*') continue;
    const num = /^([<>~])(-?[\d.]+(?:e[-+]?\d+)?)([,;)\]]?)$/i.exec(w);
    if (num) {
      const v = Number.parseFloat(g.replace(/[,;)\]]$/, '')),
        bound = Number(num[2]);
      if (!Number.isFinite(v)) return `'${g}' is not a number (promised ${w})`;
      const ok =
        num[1] === '<'
          ? v < bound
          : num[1] === '>'
            ? v > bound
            : /e/i.test(num[2]!)
              ? Math.abs(Math.log10(Math.abs(v) / Math.abs(bound))) < 1
              : Math.abs(v - bound) <= 0.1 * Math.abs(bound);
      if (!ok) return `${g} does not satisfy ${w}`;
      continue;
    }
    if (g !== w) return `'${g}' where '${w}' was promised`;
  }
  return got.length === want.length ? null : `extra output '${got.slice(want.length).join(' ')}'`;
}

test('the promise matcher (the convention above)', () => {
  assert.equal(mismatch('1.000 1.000', '1.000 1.000'), null);
  assert.equal(mismatch('max relative error 3.7e-6', 'max relative error ~1e-9')?.includes('3.7e-6'), true);
  assert.equal(mismatch('max relative error 2.1e-9', 'max relative error ~1e-9'), null);
  assert.equal(mismatch('loss 2.41', 'loss ~2.30'), null);
  assert.notEqual(mismatch('loss 2.61', 'loss ~2.30'), null);
  assert.equal(mismatch('err 3e-7', 'err <1e-6'), null);
  assert.equal(mismatch('[ 5, 2, 8 ] [ 4, 2, 4 ]', '[ 5, 2, 8 ] ...'), null);
  assert.notEqual(mismatch('a b', 'a'), null);
});

test('every `// =>` promise sits on a console.log line of a block that runs (nothing checks it elsewhere)', () => {
  const stray = blocks.flatMap((b) =>
    b.code
      .split('\n')
      .map((l, i) => ({ l, at: `${b.file}:${b.line + i + 1}` }))
      .filter(({ l }) => l.includes('// =>') && (!b.run || !/\bconsole\.log\(.*\/\/ => /.test(l)))
      .map((x) => x.at),
  );
  assert.deepEqual(stray, []);
});

const runnable = blocks.filter((b) => b.run);
for (const b of runnable) {
  test(`${b.file} block at line ${b.line} runs and prints what its comments promise`, () => {
    const lines = b.code.split('\n');
    const promises = new Map<number, string>();
    // console.log(...) calls with a `// =>` comment report through __doc(line, ...).
    const code = lines
      .map((l, i) => {
        const m = /^(.*?)\bconsole\.log\((.*)\/\/ => (.*)$/.exec(l);
        if (!m) return l;
        promises.set(i, m[3]!);
        return `${m[1]}__doc(${i}, ${m[2]}`;
      })
      .join('\n');
    const prelude =
      'import { format as __fmt } from "node:util";\nconst __seen = {};\n' +
      'globalThis.__doc = (i, ...a) => { const s = __fmt(...a); (__seen[i] ??= []).push(s); console.log(s); };\n' +
      'process.on("exit", () => process.stderr.write("\\n@@DOC@@" + JSON.stringify(__seen)));\n';
    const js = ts.transpileModule(code, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const file = join(dir, `${b.id}.mjs`);
    writeFileSync(file, prelude + js);
    const r = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 180_000 });
    assert.equal(r.status, 0, `${b.file}:${b.line} failed:\n${r.stderr}${r.stdout}`);
    const stderr = r.stderr;
    const seen = JSON.parse(stderr.slice(stderr.lastIndexOf('@@DOC@@') + 7) || '{}') as Record<string, string[]>;
    for (const [i, promise] of promises) {
      const outs = seen[i];
      assert.ok(outs?.length, `${b.file}:${b.line + i + 1}: this console.log never ran`);
      for (const o of outs) {
        const why = mismatch(o, promise);
        assert.equal(why, null, `${b.file}:${b.line + i + 1}: printed '${o}', promised '${promise}': ${why}`);
      }
    }
  });
}
