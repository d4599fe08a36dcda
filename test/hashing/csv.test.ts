// The streaming CSV reader: quoting, CRLF, newlines inside quotes, rows split across chunks
// at every byte, TSV, header or column spec, and malformed rows with their line numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CsvReader, CsvError, streamCsv } from '../../src/node/csv.js';
import { ROOT } from '../helpers.js';

function readAll(text: string, opts: ConstructorParameters<typeof CsvReader>[0] = {}, chunk = 1 << 20) {
  const r = new CsvReader(opts);
  const rows: { line: number; f: string[] }[] = [];
  const dec = new TextDecoder();
  r.onRow = (b, s, e, line) =>
    rows.push({ line, f: Array.from({ length: r.columns!.length }, (_, j) => dec.decode(b.subarray(s[j]!, e[j]!))) });
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += chunk) r.push(bytes.subarray(i, i + chunk));
  r.end();
  return { r, rows };
}

const TRICKY = 'id,text,n\r\n1,"a, ""quoted"" word",3\r\n2,"two\nlines",\r\n\r\n3,,"x"\n4,plain,5';

test('quoted fields, doubled quotes, CRLF, newlines in quotes, blank lines, no final newline', () => {
  const { r, rows } = readAll(TRICKY);
  assert.deepEqual(r.columns, ['id', 'text', 'n']);
  assert.deepEqual(rows, [
    { line: 2, f: ['1', 'a, "quoted" word', '3'] },
    { line: 3, f: ['2', 'two\nlines', ''] },
    { line: 6, f: ['3', '', 'x'] },
    { line: 7, f: ['4', 'plain', '5'] },
  ]);
  assert.equal(r.badRows, 0);
});

test('the same rows whatever the chunk boundaries (every split, one byte at a time)', () => {
  const want = readAll(TRICKY).rows;
  for (const chunk of [1, 2, 3, 5, 7, 16]) assert.deepEqual(readAll(TRICKY, {}, chunk).rows, want, `chunk ${chunk}`);
  // A buffer smaller than one row grows to hold it.
  assert.deepEqual(readAll(TRICKY, { bufferBytes: 4 }, 3).rows, want);
});

test('TSV and a column spec instead of a header', () => {
  const { rows } = readAll('1\tx y\t2\n0\t\t3\n', { delimiter: '\t', header: false, columns: ['y', 'a', 'b'] });
  assert.deepEqual(
    rows.map((r) => r.f),
    [
      ['1', 'x y', '2'],
      ['0', '', '3'],
    ],
  );
  assert.throws(() => new CsvReader({ header: false }), /give the column names/);
  assert.throws(() => new CsvReader({ delimiter: '::' }), /delimiter must be one ASCII character/);
});

test('malformed rows are counted, kept with line numbers, and skipped', () => {
  const { r, rows } = readAll('a,b\n1,2\n3\n4,"x"y\n5,6,7\n8,9\n10,"open');
  assert.deepEqual(
    rows.map((x) => x.f),
    [
      ['1', '2'],
      ['8', '9'],
    ],
  );
  assert.equal(r.badRows, 4);
  assert.deepEqual(r.errors, [
    'line 3: expected 2 fields, got 1',
    'line 4: text after a closing quote',
    'line 5: expected 2 fields, got 3',
    'line 7: unclosed quote',
  ]);
  // keepErrors bounds the kept messages, not the count.
  const few = readAll('a,b\n1\n2\n3\n', { keepErrors: 1 }).r;
  assert.equal(few.badRows, 3);
  assert.equal(few.errors.length, 1);
});

test('strict mode stops at the first malformed row with its line', () => {
  assert.throws(
    () => readAll('a,b\n1,2\n3\n', { strict: true }),
    (e: Error) => e instanceof CsvError && /line 3: expected 2 fields, got 1/.test(e.message),
  );
  assert.throws(() => readAll(''), /empty: expected a header row/);
  assert.throws(() => readAll('a,,c\n'), /header column 2 has no name/);
});

test('streamCsv reads a file through the reader and the consumer can reject rows', async () => {
  const r = new CsvReader();
  const got: number[] = [];
  r.onRow = (b, s, e, line) => {
    const c = b[s[1]!]!;
    if (c < 48 || c > 57) {
      r.reject('n must be a digit');
      return;
    }
    got.push(line);
  };
  await streamCsv(join(ROOT, 'fixtures/hashing/malformed.csv'), r);
  assert.deepEqual(r.columns, ['label', 'n', 'c']);
  assert.deepEqual(got, [2, 5, 6]);
  assert.deepEqual(r.errors, [
    'line 3: expected 3 fields, got 2',
    'line 4: n must be a digit',
    'line 7: expected 3 fields, got 4',
    'line 8: unclosed quote',
  ]);
  assert.equal(r.badRows, 4);
});
