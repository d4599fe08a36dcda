// Hostile CSV (issue 13): non-finite numbers are bad rows on both paths, a stray quote is reported
// with the line it opened and the lines it swallowed (which are then read again), and the
// WebAssembly fast path resumes after a row longer than its buffer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HashedLinearModel, fastPathAvailable } from 'recur-rnn/hashing';
import { CsvError, CsvReader } from '../../src/node/csv.js';
import { trainStream } from '../../src/node/hashstream.js';

const dir = mkdtempSync(join(tmpdir(), 'recur-csvfaults-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function rows(n: number, f: (i: number) => string = (i) => `${i % 3 ? 0 : 1},${i % 7},s${i % 5}`): string {
  let s = '';
  for (let i = 0; i < n; i++) s += `${f(i)}\n`;
  return s;
}

function finiteState(m: HashedLinearModel): boolean {
  for (const t of Object.values(m.learner.state()))
    for (const v of t.data as Float64Array) if (!Number.isFinite(v)) return false;
  return true;
}

test(
  'non-finite numbers, and value-weighted numbers beyond 2^53, are bad rows with their lines on both ' + 'paths',
  async () => {
    const text = `label,x,site\n${rows(20000)}`
      .replace('\n0,4,s4\n', '\n0,1e999,s4\n')
      .replace('\n0,5,s0\n', '\n0,-1e999,s0\n')
      .replace('\n1,6,s1\n', '\n1,1e300,s1\n');
    const path = file('inf.csv', text);
    const lines = text.split('\n');
    const at = (v: string) => lines.findIndex((l) => l.includes(v)) + 1;
    for (const numericAs of ['value', 'bin', 'log'] as const) {
      const results = [];
      for (const fast of [false, true]) {
        const m = new HashedLinearModel(
          { columns: ['label', 'x', 'site'], label: 'label', numeric: ['x'], numericAs, bits: 12 },
          { kind: 'ftrl', alpha: 0.1, l1: 0 },
        );
        const st = await trainStream(m, path, { fast });
        if (fast && fastPathAvailable()) assert.ok(st.fastRows > 10000, `${numericAs}: ${st.fastRows} fast rows`);
        assert.ok(finiteState(m), `${numericAs} fast=${fast}: the learner's state holds a non-finite value`);
        results.push({
          errors: st.errors,
          bad: st.badRows,
          rows: st.rows,
          state: Array.from(m.learner.state().ftrl_z_sqrtn!.data),
        });
      }
      const want = [
        `line ${at('1e999,')}: number '1e999' in column 'x' is not finite`,
        `line ${at('-1e999')}: number '-1e999' in column 'x' is not finite`,
      ];
      if (numericAs === 'value')
        want.push(
          `line ${at('1e300')}: number '1e300' in column 'x' is beyond +-2^53 (value-weighted features must ` +
            `stay finite through the update)`,
        );
      assert.deepEqual(
        results[0]!.errors,
        want.sort((a, b) => parseInt(a.slice(5), 10) - parseInt(b.slice(5), 10)),
        numericAs,
      );
      assert.deepEqual(results[1]!.errors, results[0]!.errors, `${numericAs}: fast and TS paths report alike`);
      assert.deepEqual(results[1]!.state, results[0]!.state, `${numericAs}: the same model either way`);
    }
  },
);

test('a stray quote: reported with the line it opened and the lines it swallowed; those lines are read again', () => {
  const body = rows(200);
  const lines = body.split('\n');
  lines[49] = '1,3,"s4'; // line 51 of the file (after the header)
  const text = `label,x,site\n${lines.join('\n')}`;
  const r = new CsvReader();
  let delivered = 0;
  r.onRow = () => delivered++;
  r.push(new TextEncoder().encode(text));
  r.end();
  assert.equal(r.badRows, 1);
  assert.equal(delivered, 199); // every other row, including the 150 after the quote
  assert.deepEqual(r.errors, [
    'line 51: unclosed quote: a quoted field opened on line 51 ran over 150 more lines (to line 201, the end ' +
      'of the input); the lines after line 51 are read again as rows',
  ]);
  // Strict mode stops there, with the same report.
  const s = new CsvReader({ strict: true });
  assert.throws(
    () => {
      s.push(new TextEncoder().encode(text));
      s.end();
    },
    (e: Error) =>
      e instanceof CsvError && /line 51: unclosed quote: a quoted field opened on line 51 ran over 150/.test(e.message),
  );
  // A quote that closes far away (text after it) swallows the lines between: reported alike.
  const far = `label,x,site\n1,2,"a\n${rows(10)}0,1,b"x\n${rows(5)}`;
  const f = new CsvReader();
  f.push(new TextEncoder().encode(far));
  f.end();
  assert.match(
    f.errors[0]!,
    /^line 2: text after a closing quote: a quoted field opened on line 2 ran over 11 more lines \(to line 13\)/,
  );
  assert.equal(f.rows, 10 + 1 + 5); // the rows in between, line 13 (0,1,b"x: 3 plain fields) and the 5 after
});

test('a file full of stray quotes is read in linear time: a line is read again at most once', () => {
  // Every line opens a quote that the next line closes with text after it, and the last never closes:
  // re-reading every swallowed region from every stray quote would be quadratic.
  const text = `a,b\n${'1,"x\n'.repeat(20000)}`;
  const r = new CsvReader();
  r.push(new TextEncoder().encode(text));
  r.end();
  assert.ok(r.badRows > 0 && r.badRows <= 20000, String(r.badRows));
});

test('the fast path resumes after a row longer than its buffer', async () => {
  const path = file('long.csv', `label,x,site\n0,1,${'y'.repeat(1_100_000)}\n${rows(100000)}`);
  const m = new HashedLinearModel(
    { columns: ['label', 'x', 'site'], label: 'label', numeric: ['x'], bits: 12 },
    { kind: 'ftrl' },
  );
  const st = await trainStream(m, path, { fast: true });
  if (st.fastRows === 0) return; // no WebAssembly SIMD here: nothing to resume
  assert.equal(st.rows, 100001);
  // At most the rows of one 256 KiB read after the long row take the TypeScript path.
  assert.ok(st.fastRows >= 100000 - (256 << 10) / 7, `only ${st.fastRows} rows took the fast path`);
});
