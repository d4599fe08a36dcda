// CSV and JSONL text to sequences: long (one row per step, an id column) and wide (one sequence
// per row) layouts, JSON Lines, malformed rows reported with their line numbers, strict mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataError, RecurrentModel, csvRows, parseCsv, parseData, parseJsonl } from 'recur-rnn';

test('csvRows: quotes, doubled quotes, CRLF, newlines inside quotes, blank lines, line numbers', () => {
  const rows = csvRows('a,b\r\n"x,1","say ""hi"""\r\n\r\n"two\nlines",3\nlast,"open');
  assert.deepEqual(
    rows.map((r) => [r.line, r.fields, r.bad ?? null]),
    [
      [1, ['a', 'b'], null],
      [2, ['x,1', 'say "hi"'], null],
      [4, ['two\nlines', '3'], null],
      [6, ['last', 'open'], 'unclosed quote'],
    ],
  );
});

test('long CSV (one row per step): sequences grouped by id, bad rows named by line, their sequence left out', () => {
  const csv = [
    'seq,t1,t2,label', // line 1
    'a,1,2,x',
    'a,3,4,x',
    'b,5,6,y',
    'b,oops,7,y', // line 5: bad number
    'c,1,1,x',
    'c,2,2,y', // line 7: label differs within sequence c
    'd,9,9', // line 8: too few fields
    'e,1,0,y',
    '',
    'e,2,0,y',
  ].join('\n');
  const d = parseCsv(csv, { task: 'classify', id: 'seq', target: 'label' });
  assert.deepEqual(d.ids, ['a', 'e']);
  assert.deepEqual(d.x, [
    [
      [1, 2],
      [3, 4],
    ],
    [
      [1, 0],
      [2, 0],
    ],
  ]);
  assert.deepEqual(d.y, ['x', 'y']);
  assert.deepEqual(d.features, ['t1', 't2']);
  assert.equal(d.badRows, 3);
  assert.match(d.errors[0]!, /^line 5: column 't1': expected a finite number, got 'oops' \(sequence 'b' left out\)/);
  assert.match(d.errors[1]!, /^line 7: target 'y' differs from 'x' on the sequence's first row \(line 6\)/);
  assert.match(d.errors[2]!, /^line 8: expected 4 fields, got 3/);
  assert.throws(
    () => parseCsv(csv, { task: 'classify', id: 'seq', target: 'label', strict: true }),
    (e: Error) => e instanceof DataError && /line 5/.test(e.message) && (e as DataError).line === 5,
  );
  assert.throws(() => parseCsv(csv, { task: 'classify', id: 'nope', target: 'label' }), /no id column 'nope'/);
});

test('long CSV for tagging (a label per row) and forecasting (one series per id; a bad row stops)', () => {
  const tag = parseCsv('id,v,tag\n1,0.5,A\n1,0.7,B\n2,0.1,A\n', { task: 'tag', id: 'id', target: 'tag' });
  assert.deepEqual(tag.y, [['A', 'B'], ['A']]);
  const fc = parseCsv('mote,h,t\n1,40,20\n1,41,21\n2,50,25\n', { task: 'forecast', id: 'mote' });
  assert.deepEqual(fc.series, [
    [
      [40, 20],
      [41, 21],
    ],
    [[50, 25]],
  ]);
  assert.deepEqual(fc.ids, ['1', '2']);
  const one = parseCsv('h,t\n1,2\n3,4\n', { task: 'forecast' });
  assert.equal(one.series!.length, 1);
  assert.throws(() => parseCsv('h,t\n1,2\nx,4\n', { task: 'forecast' }), /line 3: column 'h'.*cannot skip a step/);
});

test('wide CSV: a text column, or numeric cells as a ragged univariate sequence', () => {
  const names = parseCsv('name,sex\nanna,F\n"o,brien",M\n,F\nbob\n', { task: 'classify', text: 'name', target: 'sex' });
  assert.deepEqual(names.x, ['anna', 'o,brien']);
  assert.deepEqual(names.y, ['F', 'M']);
  assert.deepEqual(names.errors, ["line 4: empty text in column 'name'", 'line 5: expected 2 fields, got 1']);
  const wide = parseCsv('y,s1,s2,s3\n1.5,1,2,3\n2,4,5,\n0,7,x,9\n', { task: 'regress', target: 'y' });
  assert.deepEqual(wide.x, [
    [[1], [2], [3]],
    [[4], [5]],
  ]);
  assert.deepEqual(wide.y, [[1.5], [2]]);
  assert.deepEqual(wide.errors, ["line 4: column 's2': expected a finite number, got 'x'"]);
});

test('JSONL: strings, numbers or steps; bad lines named; the parsed data trains a model', () => {
  const text = [
    '{"x": "anna", "y": "f"}',
    '{"x": "bob", "y": "m"}',
    'not json',
    '{"x": [], "y": "m"}',
    '',
    '{"x": "eve"}',
    '{"x": "carl", "y": "m"}',
  ].join('\n');
  const d = parseJsonl(text, { task: 'classify' });
  assert.deepEqual(d.x, ['anna', 'bob', 'carl']);
  assert.deepEqual(d.ids, ['1', '2', '7']);
  assert.equal(d.badRows, 3);
  assert.match(d.errors[0]!, /^line 3: not valid JSON/);
  assert.match(d.errors[1]!, /^line 4: "x" must be a non-empty/);
  assert.match(d.errors[2]!, /^line 6: missing "y"/);
  const dense = parseData(
    'a.jsonl',
    '{"x": [[1,2],[3,4]], "y": [0.5]}\n{"x": [[1,2]], "y": 2}\n{"x": [[1]], "y": 1}\n',
    {
      task: 'regress',
    },
  );
  assert.deepEqual(dense.y, [[0.5], [2]]);
  assert.match(dense.errors[0]!, /^line 3: steps of 1 features, earlier lines have 2/);
  const tags = parseJsonl('{"x": "ab", "y": ["A", "B"]}\n{"x": "abc", "y": ["A"]}\n', { task: 'tag' });
  assert.match(tags.errors[0]!, /^line 2: "y" must list one label per step \(3\)/);
  // the parsed records go straight into a model
  const m = new RecurrentModel({ task: 'classify', hiddenSize: 4, seed: 1 });
  m.fit({ x: d.x as string[], y: d.y as string[] }, { epochs: 1 });
  assert.deepEqual(m.classes, ['f', 'm']);
  const series = parseJsonl('{"x": [[1,2],[2,3],[3,4]]}\n', { task: 'forecast' });
  assert.deepEqual(series.series, [
    [
      [1, 2],
      [2, 3],
      [3, 4],
    ],
  ]);
});

test('a file with nothing usable is an error that names the first bad row', () => {
  assert.throws(() => parseCsv('', { task: 'classify', target: 'y' }), /empty/);
  assert.throws(
    () => parseCsv('x,y\nfoo,\n', { task: 'classify', text: 'x', target: 'y' }),
    /no usable sequences \(1 malformed rows; first: line 2: empty target/,
  );
});
