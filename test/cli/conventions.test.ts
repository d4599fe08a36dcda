// CLI conventions (issue 16): snake_case JSON keys from every command and in the files it writes
// for people; flags per subcommand; one name for time budgets (--max-seconds) and esn --leak, the
// old names kept as aliases with a note; help with real defaults and --no- forms; no silent
// no-ops; exit codes 2 (naming the flag) and 3 (naming the path); all text through CommandIO.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { snakeKey, snakeKeys } from '../../src/cli/json.js';
import { ROOT } from '../helpers.js';

async function run(...argv: string[]) {
  const out: string[] = [],
    err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s), isTTY: false });
  return { code, out, err, stderr: err.join('\n') };
}

const dir = mkdtempSync(join(tmpdir(), 'recur-conv-'));
const p = (name: string) => join(dir, name);

/** Keys that are not snake_case on purpose: math symbols as the flags spell them (--T, --Ts), and data labels. */
const ALLOWED = new Set(['T', 'Ts', 'H', 'N', 'yuv+lcn']);

function badKeys(v: unknown, where: string, out: Set<string>): Set<string> {
  if (Array.isArray(v)) for (const x of v) badKeys(x, where, out);
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) {
      if (!/^[a-z0-9_]+$/.test(k) && !ALLOWED.has(k)) out.add(`${where}: ${k}`);
      badKeys(x, where, out);
    }
  return out;
}

/** The files a run folder holds for people (config.json and checkpoints are the runs' own, re-read to resume). */
function userFiles(folder: string): [string, unknown][] {
  if (!existsSync(folder)) return [];
  const found: [string, unknown][] = [];
  for (const f of readdirSync(folder, { recursive: true }) as string[]) {
    const path = join(folder, f),
      base = f.split('/').pop()!;
    if (['result.json', 'results.json', 'metrics.json', 'forecast.json'].includes(base))
      found.push([path, JSON.parse(readFileSync(path, 'utf8'))]);
    if (base.endsWith('.jsonl'))
      for (const l of readFileSync(path, 'utf8').split('\n').filter(Boolean)) found.push([path, JSON.parse(l)]);
  }
  return found;
}

function lcg(seed: number) {
  let s = seed;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
}

test('snakeKey: camelCase to snake_case; math symbols and data labels pass through', () => {
  assert.equal(snakeKey('rowsPerSec'), 'rows_per_sec');
  assert.equal(snakeKey('lstmH'), 'lstm_h');
  assert.equal(snakeKey('T'), 'T');
  assert.equal(snakeKey('Ts'), 'Ts');
  assert.equal(snakeKey('yuv+lcn'), 'yuv+lcn');
  assert.equal(snakeKey('already_snake'), 'already_snake');
  assert.deepEqual(snakeKeys({ aB: [{ cD: 1 }], e: null, f: new Float32Array(1) }), {
    a_b: [{ c_d: 1 }],
    e: null,
    f: new Float32Array(1),
  });
});

test('every command prints --json with snake_case keys, and so are the files it writes for people', async () => {
  const r = lcg(3);
  let hash = 'x,y,label\n',
    series = 'a,b\n',
    fit = 'seq,a,label\n';
  for (let i = 0; i < 200; i++) hash += `${i % 7},${(i * 3) % 5},${r() < 0.5 ? 1 : 0}\n`;
  for (let i = 0; i < 300; i++) series += `${Math.sin(i / 5).toFixed(4)},${Math.cos(i / 7).toFixed(4)}\n`;
  for (let i = 0; i < 40; i++)
    for (let t = 0; t < 4; t++) fit += `s${i},${((i * 7 + t) % 5) / 5},${i % 2 ? 'up' : 'dn'}\n`;
  writeFileSync(p('h.csv'), hash);
  writeFileSync(p('s.csv'), series);
  writeFileSync(p('f.csv'), fit);
  writeFileSync(p('t.txt'), 'hello world, the quick brown fox jumps over the lazy dog. '.repeat(40));
  const photos = join(ROOT, 'test', 'fixtures', 'photos');
  const small = ['--hidden', '4', '--steps', '4', '--batch', '4', '--eval-every', '2', '--eval-n', '10'];
  const lmSmall = ['--hidden', '8', '--embed', '4', '--batch', '2', '--bptt', '8', '--threads', '1'];
  const runs: [string, string[], string?][] = [
    ['train', ['train', '--task', 'adding', '--T', '6', ...small, '--final-eval-n', '10', '--out', p('tr')], p('tr')],
    ['resume', ['resume', p('tr'), '--steps', '6'], p('tr')],
    ['eval', ['eval', p('tr'), '--n', '10']],
    [
      'fit',
      ['fit', p('f.csv'), '--task', 'classify', '--id', 'seq', '--target', 'label', '--epochs', '2'].concat([
        '--hidden',
        '4',
        '--out',
        p('m.safetensors'),
      ]),
    ],
    ['eval model', ['eval', p('m.safetensors'), p('f.csv')]],
    ['predict', ['predict', p('m.safetensors'), p('f.csv'), '--output', p('pred.jsonl')], dir],
    ['esn', ['esn', '--units', '20', '--train', '300', '--test', '50', '--warmup', '20', '--out', p('esn')], p('esn')],
    ['esn csv', ['esn', p('s.csv'), '--units', '10', '--train', '200', '--test', '50', '--warmup', '10']],
    [
      'hash train',
      ['hash', 'train', p('h.csv'), '--bits', '8', '--model', p('h.st'), '--test', p('h.csv')].concat([
        '--holdout-period',
        '5',
        '--quiet',
      ]),
    ],
    ['hash predict', ['hash', 'predict', p('h.csv'), '--model', p('h.st'), '--output', p('hp.txt')]],
    ['hash eval', ['hash', 'eval', p('h.csv'), '--model', p('h.st')]],
    [
      'lm train',
      ['lm', 'train', '--text', p('t.txt'), '--steps', '3', ...lmSmall, '--eval-every', '2'].concat([
        '--sample-length',
        '5',
        '--ngram',
        '2',
        '--out',
        p('lm'),
      ]),
      p('lm'),
    ],
    ['lm sample', ['lm', 'sample', '--model', p('lm'), '--length', '5']],
    ['lm eval', ['lm', 'eval', '--model', p('lm'), '--text', p('t.txt')]],
    [
      'lm seq2seq',
      ['lm', 'seq2seq', '--steps', '3', '--hidden', '8', '--embed', '4', '--batch', '4'].concat([
        '--eval-n',
        '5',
        '--out',
        p('s2s'),
      ]),
      p('s2s'),
    ],
    ['lm decode', ['lm', 'decode', '--model', p('s2s'), '123', '--eval-n', '3']],
    ['preprocess fit', ['preprocess', 'fit', photos, '--yuv', '--lcn', 'across', '--out', p('p.rcpp')]],
    ['preprocess apply', ['preprocess', 'apply', photos, '--pipeline', p('p.rcpp'), '--out-dir', p('pp')]],
    ['report', ['report', p('tr'), p('esn'), p('lm'), '--out', p('r.html')]],
    [
      'lecture',
      ['experiment', 'lecture', '--T', '10', '--steps', '3', '--models', 'a', '--tasks', 'adding'].concat([
        '--hidden',
        '4',
        '--eval-n',
        '5',
        '--final-eval-n',
        '5',
        '--parallel',
        '1',
        '--out',
        p('lec'),
      ]),
      p('lec'),
    ],
    [
      'pascanu',
      ['experiment', 'pascanu', '--Ts', '10', '--seeds', '1', '--steps', '3', '--hidden', '4'].concat([
        '--tasks',
        'adding',
        '--final-eval-n',
        '5',
        '--parallel',
        '1',
        '--out',
        p('pas'),
      ]),
      p('pas'),
    ],
  ];
  for (const name of ['cliff', 'relu', 'esn-vs-lstm', 'embeddings', 'preprocess'])
    runs.push([name, ['experiment', name, '--quick', '--out', p(`x-${name}`)], p(`x-${name}`)]);
  const bad = new Set<string>();
  for (const [label, argv, folder] of runs) {
    const r = await run(...argv, '--json');
    assert.equal(r.code, 0, `${label}: ${r.stderr}`);
    assert.equal(r.out.length, 1, `${label}: one JSON line on stdout`);
    badKeys(JSON.parse(r.out[0]!), label, bad);
    if (folder) for (const [f, v] of userFiles(folder)) badKeys(v, f.slice(dir.length + 1), bad);
  }
  assert.deepEqual([...bad], []);
  // the keys named in the issue
  const h = JSON.parse((await run('hash', 'eval', p('h.csv'), '--model', p('h.st'), '--json')).out[0]!);
  assert.ok(h.rows_per_sec > 0 && 'log_loss' in h && !('rowsPerSec' in h));
  const s = JSON.parse(readFileSync(p('s2s/result.json'), 'utf8'));
  assert.ok('exact_match' in s && !('exactMatch' in s));
});

test('flags per subcommand: a sibling flag is refused naming the subcommand it belongs to', async () => {
  const s = await run('lm', 'sample', '--bptt', '9');
  assert.equal(s.code, 2);
  assert.match(s.stderr, /unknown flag --bptt for lm sample \(it applies to lm train, lm eval\)/);
  assert.match(s.stderr, /recur lm sample --help/);
  for (const [argv, re] of [
    [
      ['hash', 'eval', 'x.csv', '--output', 'o.txt'],
      /unknown flag --output for hash eval \(it applies to hash predict\)/,
    ],
    [['hash', 'predict', 'x.csv', '--no-bias'], /unknown flag --no-bias for hash predict \(it applies to hash train\)/],
    [
      ['preprocess', 'fit', 'x.png', '--out-dir', 'o'],
      /unknown flag --out-dir for preprocess fit \(it applies to preprocess apply\)/,
    ],
    [['lm', 'train', '--prime', 'x'], /unknown flag --prime for lm train \(it applies to lm sample\)/],
    [['lm', 'decode', '--steps', '3'], /unknown flag --steps for lm decode/],
    [['experiment', 'lecture', '--momentum', '0.5'], /unknown flag --momentum for experiment lecture/],
    [['experiment', 'pascanu', '--models', 'a'], /unknown flag --models for experiment pascanu/],
  ] as [string[], RegExp][]) {
    const r = await run(...argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.stderr, re);
  }
  // eval's two forms: a task run (RUN_DIR) and MODEL DATA each take their own flags
  const e1 = await run('eval', p('tr'), '--target', 'y');
  assert.equal(e1.code, 2);
  assert.match(e1.stderr, /--target applies to recur eval MODEL DATA, not to a task run/);
  const e2 = await run('eval', p('m.safetensors'), p('f.csv'), '--n', '5');
  assert.equal(e2.code, 2);
  assert.match(e2.stderr, /--n applies to a task run/);
  const e3 = await run('eval', p('tr'), '--T', '1');
  assert.equal(e3.code, 2);
  assert.match(e3.stderr, /--T must be/);
  // a subcommand's help lists its own flags only; the family's lists them all
  const sample = (await run('lm', 'sample', '--help')).out.join('\n');
  assert.match(sample, /^Usage: recur lm sample \[options\]/);
  assert.match(sample, /--prime/);
  assert.doesNotMatch(sample.split('Examples:')[0]!, /--bptt|--text/);
  const decode = (await run('lm', 'decode', '--help')).out.join('\n');
  assert.match(decode, /^Usage: recur lm decode \[SOURCE \.\.\.\] \[options\]/);
  const all = (await run('lm', '--help')).out.join('\n');
  assert.match(all, /--bptt[\s\S]*--prime/);
  assert.match(all, /recur lm train\|sample\|eval\|seq2seq\|decode --help lists them/);
});

test('one name for time budgets (--max-seconds) and esn --leak; the old names work with a note', async () => {
  for (const argv of [
    ['train'],
    ['resume'],
    ['lm', 'train'],
    ['lm', 'seq2seq'],
    ['experiment'],
    ['experiment', 'pascanu'],
  ]) {
    const h = (await run(...argv, '--help')).out.join('\n');
    assert.match(h, /--max-seconds N/, argv.join(' '));
    assert.doesNotMatch(h.split('Old names')[0]!, /--minutes|--budget/, argv.join(' '));
  }
  const m = await run('lm', 'seq2seq', '--minutes', '0.5', '--steps', '2', '--hidden', '4', '--embed', '4', '--json');
  assert.equal(m.code, 0, m.stderr);
  assert.match(m.stderr, /note: --minutes is deprecated: use --max-seconds \(--minutes 0\.5 = --max-seconds 30\)/);
  const b = await run('experiment', 'lecture', '--budget', '-1');
  assert.equal(b.code, 2);
  assert.match(b.stderr, /--budget must be a number >= 0/);
  const e = await run(
    'esn',
    '--units',
    '10',
    '--train',
    '100',
    '--test',
    '20',
    '--warmup',
    '10',
    '--leak',
    '0.5',
    '--json',
  );
  assert.equal(e.code, 0, e.stderr);
  assert.equal(JSON.parse(e.out[0]!).config.leak, 0.5);
  assert.equal(e.err.length, 0);
  const old = await run(
    'esn',
    '--units',
    '10',
    '--train',
    '100',
    '--test',
    '20',
    '--warmup',
    '10',
    '--lr',
    '0.5',
    '--json',
  );
  assert.equal(old.code, 0, old.stderr);
  assert.deepEqual(JSON.parse(old.out[0]!).config, JSON.parse(e.out[0]!).config);
  assert.deepEqual(old.err, ['recur esn: note: --lr is deprecated: use --leak']);
  const bad = await run('esn', '--lr', '2');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--lr must be a number in \(0, 1\]/);
  const help = (await run('esn', '--help')).out.join('\n');
  assert.match(help, /--leak N +leak rate/);
  assert.match(help, /Old names \(still accepted, with a note on stderr\):\n {2}--lr N +deprecated: use --leak/);
});

test('help: real defaults, --no- forms of flags that default on, no empty defaults, lists comma-joined', async () => {
  const top = (await run('--help')).out.join('\n');
  const cmds = [...top.matchAll(/^ {2}([a-z-]+)\s{2,}/gm)].map((x) => x[1]!);
  const pages: [string, string][] = [];
  for (const c of cmds) pages.push([c, (await run(c, '--help')).out.join('\n')]);
  for (const sub of ['train', 'sample', 'eval', 'seq2seq', 'decode'])
    pages.push([`lm ${sub}`, (await run('lm', sub, '--help')).out.join('\n')]);
  for (const sub of ['train', 'predict', 'eval'])
    pages.push([`hash ${sub}`, (await run('hash', sub, '--help')).out.join('\n')]);
  for (const sub of ['lecture', 'pascanu', 'cliff', 'relu', 'esn-vs-lstm', 'embeddings', 'preprocess'])
    pages.push([`experiment ${sub}`, (await run('experiment', sub, '--help')).out.join('\n')]);
  for (const [name, h] of pages) {
    assert.doesNotMatch(h, /\(default: \)/, name);
    assert.doesNotMatch(h, /\(default: (true|false|undefined|null)\)/, name);
  }
  const train = pages.find(([n]) => n === 'train')![1];
  assert.match(train, /--stop-on-success +.*\(default: on; --no-stop-on-success to turn off\)/);
  const hash = pages.find(([n]) => n === 'hash train')![1];
  assert.match(hash, /--bias +.*\(default: on; --no-bias to turn off\)/);
  assert.match(hash, /--header +.*\(default: on; --no-header to turn off\)/);
  const lecture = pages.find(([n]) => n === 'experiment lecture')![1];
  assert.match(lecture, /--models A,B .*\(default: a,b,c,d,e\)/);
});

test('no silent no-ops: an unsaved hash model is said, a flag --resume would ignore is refused', async () => {
  const r = await run('hash', 'train', p('h.csv'), '--bits', '8');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /note: the model was not saved \(give --model FILE to keep it\)/);
  const saved = await run('hash', 'train', p('h.csv'), '--bits', '8', '--model', p('h2.st'));
  assert.doesNotMatch(saved.stderr, /not saved/);
  assert.match(saved.out.join('\n'), /model saved to/);
  const lm = await run('lm', 'train', '--resume', p('lm'), '--hidden', '16', '--steps', '9');
  assert.equal(lm.code, 2);
  assert.match(lm.stderr, /--hidden has no effect with --resume/);
  const before = readFileSync(p('tr/metrics.jsonl'), 'utf8');
  const re = await run('resume', p('tr'), '--steps', '3');
  assert.equal(re.code, 2);
  assert.match(re.stderr, /already at step 6; --steps is the new total/);
  assert.equal(readFileSync(p('tr/metrics.jsonl'), 'utf8'), before, 'a refused resume appends nothing');
});

test('exit codes: directories and missing paths 3, plainly; out-of-range values 2 naming the flag', async () => {
  mkdirSync(p('adir'), { recursive: true });
  for (const argv of [
    ['esn', p('adir')],
    ['hash', 'train', p('adir')],
    ['lm', 'train', '--text', p('adir'), '--steps', '1'],
    ['fit', p('adir'), '--task', 'classify', '--target', 'y'],
    ['eval', '/nonexistent'],
    ['resume', '/nonexistent'],
    ['lm', 'sample', '--model', '/nonexistent'],
  ]) {
    const r = await run(...argv);
    assert.equal(r.code, 3, `${argv.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /adir|nonexistent/, argv.join(' '));
    assert.match(r.stderr, /is a directory|no such file|no checkpoint|does not exist/, argv.join(' '));
    assert.doesNotMatch(r.stderr, /EISDIR|ENOENT|at .*\.js:\d+/, argv.join(' '));
  }
  for (const [argv, flag] of [
    [['esn', '--sr', '-1'], '--sr'],
    [['preprocess', 'apply', p('adir'), '--lcn', 'across', '--lcn-size', '4'], '--lcn-size'],
    [['train', '--task', 'order', '--T', '1'], '--T'],
    [['train', '--task', 'order', '--T', '5', '--steps', '1'], '--T'],
  ] as [string[], string][]) {
    const r = await run(...argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`${flag}\\b`), argv.join(' '));
  }
});

test('all text goes through CommandIO: nothing written to the process streams directly', async () => {
  const writes: string[] = [];
  const out = process.stdout.write.bind(process.stdout),
    err = process.stderr.write.bind(process.stderr);
  // Text only: the test runner's own messages to its parent are binary (and must still go through).
  const spy =
    (write: typeof out) =>
    (chunk: unknown, ...rest: unknown[]): boolean => {
      if (typeof chunk === 'string') writes.push(chunk);
      else return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
      return true;
    };
  process.stdout.write = spy(out) as typeof process.stdout.write;
  process.stderr.write = spy(err) as typeof process.stderr.write;
  const lines: string[] = [];
  try {
    const io = { out: (s: string) => lines.push(s), err: (s: string) => lines.push(s), isTTY: true, tty: () => {} };
    assert.equal(await main(['hash', 'train', p('h.csv'), '--bits', '8'], io), 0);
    assert.equal(
      await main(['train', '--task', 'adding', '--T', '6', '--hidden', '4', '--steps', '3', '--out', p('tr3')], io),
      0,
    );
    assert.equal(await main(['lm', 'sample', '--model', p('lm'), '--length', '5'], io), 0);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  assert.deepEqual(writes, []);
  assert.ok(lines.length > 3);
});
