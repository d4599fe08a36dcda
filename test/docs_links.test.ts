// Links in the README and docs/ (not the generated docs/api): every relative link names a file of
// this repository that exists, every #anchor a heading of that file (GitHub's slugs), and nothing
// points outside the repository (a clone has no ../shared), by a link or by a path in the text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { ROOT } from './helpers.js';

function markdownFiles(): string[] {
  const out = [join(ROOT, 'README.md'), join(ROOT, 'CHANGELOG.md')];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory() && p !== join(ROOT, 'docs', 'api')) walk(p);
      else if (e.isFile() && e.name.endsWith('.md')) out.push(p);
    }
  };
  walk(join(ROOT, 'docs'));
  return out.filter((f) => existsSync(f));
}

/** Markdown without its fenced code blocks and inline code (links there are not links). */
function prose(md: string): string {
  return md.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's anchors for the headings of a markdown file. */
export function anchors(md: string): Set<string> {
  const seen = new Map<string, number>(),
    out = new Set<string>();
  for (const line of md.replace(/^```[\s\S]*?^```/gm, '').split('\n')) {
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!h) continue;
    const base = h[1]!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

/** The link targets of a markdown text: inline links and images, and reference definitions. */
export function links(md: string): string[] {
  const text = prose(md),
    out: string[] = [];
  for (const m of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push(m[1]!);
  for (const m of text.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)) out.push(m[1]!);
  return out;
}

test('the anchor and link readers (GitHub slugs, code is not a link)', () => {
  const a = anchors(
    '# Echo state networks (`recur-rnn/esn`)\n## Both cores: data-parallel\n## Both cores: data-parallel',
  );
  assert.deepEqual(
    [...a],
    ['echo-state-networks-recur-rnnesn', 'both-cores-data-parallel', 'both-cores-data-parallel-1'],
  );
  assert.deepEqual(links('[a](b.md#c) `[x](y.md)` ![i](p.png "t")\n```\n[z](w.md)\n```\n[r]: ../r.md'), [
    'b.md#c',
    'p.png',
    '../r.md',
  ]);
});

const files = markdownFiles();
for (const file of files) {
  const rel = relative(ROOT, file);
  test(`${rel}: every link resolves inside the repository`, () => {
    const md = readFileSync(file, 'utf8'),
      bad: string[] = [];
    assert.ok(!md.includes('../shared'), `${rel} names ../shared, which a clone does not have`);
    for (const link of links(md)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link)) {
        if (!/^(https?|mailto):/i.test(link)) bad.push(`${link}: not a web link`);
        continue;
      }
      const [path, anchor] = link.split('#') as [string, string | undefined];
      const target = path ? resolve(dirname(file), decodeURIComponent(path)) : file;
      const inside = relative(ROOT, target);
      if (isAbsolute(path) || inside.startsWith('..') || isAbsolute(inside)) {
        bad.push(`${link}: outside the repository`);
        continue;
      }
      if (/^(node_modules|dist|docs\/api)(\/|$)/.test(inside)) bad.push(`${link}: a generated or installed path`);
      if (!existsSync(target)) {
        bad.push(`${link}: no such file`);
        continue;
      }
      if (anchor && statSync(target).isFile() && target.endsWith('.md')) {
        if (!anchors(readFileSync(target, 'utf8')).has(anchor)) bad.push(`${link}: no heading #${anchor}`);
      }
    }
    assert.deepEqual(bad, []);
  });
}

test('every docs page is reachable: the README links each page of docs/, and some page links each one below', () => {
  const targets = new Set<string>();
  for (const f of files)
    for (const l of links(readFileSync(f, 'utf8'))) {
      const path = l.split('#')[0]!;
      if (path && !/^[a-z][a-z0-9+.-]*:/i.test(path)) targets.add(resolve(dirname(f), decodeURIComponent(path)));
    }
  const readme = links(readFileSync(join(ROOT, 'README.md'), 'utf8')).map((l) => l.split('#')[0]);
  const pages = files.filter((f) => relative(ROOT, f).startsWith('docs'));
  assert.ok(pages.length >= 10, 'docs pages');
  for (const p of pages) {
    const rel = relative(ROOT, p);
    if (dirname(p) === join(ROOT, 'docs')) assert.ok(readme.includes(rel), `README links ${rel}`);
    else assert.ok(targets.has(p), `a page links ${rel}`);
  }
});
