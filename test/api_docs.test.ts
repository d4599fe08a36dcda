// The API reference (`npm run docs:api`, TypeDoc) is built from doc comments, so every public
// export needs one. TypeDoc is not run by `npm test` (about 10 s of CPU and 7 MB of pages per
// run); this test reads the same doc comments with the TypeScript compiler instead. Exports that
// had none when the reference was introduced are listed in test/fixtures/undocumented_exports.json:
// a new export without a doc comment fails, and so does a listed one that has gained a comment
// or is gone (take it off the list), so the list only shrinks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { ROOT } from './helpers.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  exports: Record<string, { types?: string } | string>;
};
const entries = Object.entries(pkg.exports)
  .filter(([k, v]) => k !== './package.json' && typeof v === 'object' && v.types)
  .map(([k, v]) => ({
    name: k === '.' ? 'recur-rnn' : `recur-rnn/${k.slice(2)}`,
    file: join(ROOT, (v as { types: string }).types.replace(/^\.\/dist\//, '').replace(/\.d\.ts$/, '.ts')),
  }));

function undocumented(): string[] {
  const program = ts.createProgram(
    entries.map((e) => e.file),
    {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
      types: ['node'],
      typeRoots: [join(ROOT, 'node_modules', '@types')],
      skipLibCheck: true,
      noEmit: true,
    },
  );
  const checker = program.getTypeChecker(),
    out: string[] = [];
  for (const e of entries) {
    const sf = program.getSourceFile(e.file);
    assert.ok(sf, `${e.file} is in the program`);
    const mod = checker.getSymbolAtLocation(sf);
    assert.ok(mod, `${e.name} is a module`);
    for (const s of checker.getExportsOfModule(mod)) {
      const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
      const documented =
        target.getDocumentationComment(checker).length > 0 ||
        (target.declarations ?? []).some((d) => ts.getJSDocCommentsAndTags(d).length > 0);
      if (!documented) out.push(`${e.name}:${s.getName()}`);
    }
  }
  return [...new Set(out)].sort();
}

test('every public export has a doc comment (or is on the shrinking list of those that had none)', () => {
  const listed = JSON.parse(
    readFileSync(join(ROOT, 'test', 'fixtures', 'undocumented_exports.json'), 'utf8'),
  ) as string[];
  const now = undocumented();
  const fresh = now.filter((n) => !listed.includes(n)),
    stale = listed.filter((n) => !now.includes(n));
  assert.deepEqual(fresh, [], 'exports without a doc comment (write one: it is their API reference)');
  assert.deepEqual(stale, [], 'documented or gone now: remove them from test/fixtures/undocumented_exports.json');
  assert.ok(entries.length >= 10, 'every entry point read');
});
