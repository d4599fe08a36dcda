// The CLI under bad input (issue 13): one exit-code policy (2 usage/out of range naming the flag,
// 3 bad files naming the path, 1 failures), output safe for a terminal, resume that never trains
// silently at lr 0 or reports a no-op as done, stale temp files cleaned up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReport } from 'recur-rnn/report';
import { printable } from 'recur-rnn';
import { main } from '../../src/cli/main.js';
import { classify } from '../../src/cli/errors.js';
import { printableJSON } from '../../src/printable.js';
import { removeStaleTemps } from '../../src/node/atomic.js';
import { ROOT } from '../helpers.js';

const BIN = join(ROOT, 'bin', 'recur.js');
// Characters a terminal acts on (C0 but newline and tab, DEL, C1, bidi controls), as RegExp source.
// biome-ignore lint/complexity/useRegexLiterals: the literal form is refused by noControlCharactersInRegex
const RAW_CONTROL = new RegExp('[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069]');
const dir = mkdtempSync(join(tmpdir(), 'recur-clifaults-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...args: string[]) {
  const out: string[] = [],
    err: string[] = [];
  const code = await main(args, { out: (s) => out.push(s), err: (s) => err.push(s), isTTY: false });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const QUICK = ['--task', 'adding', '--T', '6', '--hidden', '4', '--eval-every', '0', '--final-eval-n', '10'];
const QUICK2 = [...QUICK, '--threads', '1', '--diag-every', '0'];

test('out-of-range values exit 2 naming the flag and its range, before any work', async () => {
  writeFileSync(join(dir, 'd.csv'), 'label,x\n1,2\n0,3\n');
  const cases: [string[], RegExp][] = [
    [['train', '--T', '1'], /--T must be an integer in 2\.\.100000, got 1/],
    [['train', '--hidden', '1e9'], /--hidden must be an integer in 1\.\.16384, got 1000000000/],
    [['train', '--weight-decay', '-1'], /--weight-decay must be a number >= 0, got -1/],
    [['train', '--clip', '-1'], /--clip must be a number >= 0/],
    [['train', '--warmup', '-5'], /--warmup must be an integer in 0\.\./],
    [['train', '--max-seconds', '-1'], /--max-seconds must be a number >= 0/],
    [['train', '--steps', '0x10'], /--steps expects an integer in 1\.\.1000000000 \(decimal.*got '0x10'/],
    [['train', '--lr', 'Infinity'], /--lr expects a number > 0/],
    [['train', '--layers', '100000'], /--layers must be an integer in 1\.\.64/],
    [['train', '--threads', '1000'], /--threads must be an integer in 1\.\.256/],
    [['eval', 'x', '--n', '-1'], /--n must be an integer in 1\.\.10000000, got -1/],
    [['start', '--parallel', '0'], /--parallel must be an integer in 1\.\.256/],
    [['esn', '--units', '0'], /--units must be an integer in 1\.\.100000/],
    [['esn', '--lr', '2'], /--lr must be a number in \(0, 1\]/],
    [['preprocess', 'apply', 'x.png', '--lcn', 'across', '--lcn-size', '4'], /--lcn-size must be an odd integer/],
    [['hash', 'train', join(dir, 'd.csv'), '--bits', '40'], /--bits must be an integer in 1\.\.30/],
    [['hash', 'train', join(dir, 'd.csv'), '--alpha', '0'], /--alpha must be a number > 0/],
    [['lm', 'train', '--val', '1'], /--val must be a number in \[0, 1\)/],
    // a backend name that is no backend is a usage error on every command that takes one
    [['train', '--backend', 'cuda'], /--backend must be one of ts, wasm, webgpu; got 'cuda'/],
    [['resume', 'x', '--backend', 'gpu'], /--backend must be one of ts, wasm, webgpu; got 'gpu'/],
    [['lm', 'sample', '--model', 'x', '--backend', 'simd'], /--backend must be one of ts, wasm, webgpu/],
    [['eval', 'x', '--backend', 'webgpu'], /--backend must be one of ts, wasm; got 'webgpu'/],
    [['predict', 'x', 'y.csv', '--backend', 'js'], /--backend must be one of ts, wasm; got 'js'/],
    // webgpu trains; lm's sample, eval and decode would run on the CPU anyway: refused, not ignored
    [['lm', 'sample', '--model', 'x', '--backend', 'webgpu'], /--backend webgpu is for lm train.*ts or wasm/],
    [['lm', 'eval', '--model', 'x', '--backend', 'webgpu'], /--backend webgpu is for lm train/],
    [['lm', 'decode', '--model', 'x', '1', '--backend', 'webgpu'], /--backend webgpu is for lm train/],
    // and a missing or unknown subcommand is named as such, whatever the backend
    [['lm', '--backend', 'webgpu'], /give a subcommand: train, sample, eval, seq2seq or decode/],
    [['lm', 'fly', '--backend', 'webgpu'], /unknown subcommand 'fly'/],
    // sizes whose memory estimate is over the limit
    [
      ['train', ...QUICK, '--hidden', '16384', '--layers', '64'],
      /would need about .* GiB of memory, more than the limit/,
    ],
    [['esn', '--units', '100000'], /--units 100000 .* would need about/],
  ];
  for (const [args, re] of cases) {
    const r = await cli(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}: ${r.err}`);
    assert.match(r.err, re, args.join(' '));
  }
});

test('missing, wrong-kind or unreadable files exit 3 with the path and a plain reason', async () => {
  mkdirSync(join(dir, 'adir'), { recursive: true });
  writeFileSync(join(dir, 'afile'), 'x');
  const cases: [string[], RegExp][] = [
    [['eval', join(dir, 'nope')], /nope: no such file or directory$/],
    [['esn', join(dir, 'adir')], /adir: is a directory \(a file was expected\)$/],
    [['hash', 'train', join(dir, 'adir')], /adir: is a directory/],
    [['lm', 'train', '--text', join(dir, 'adir')], /adir: is a directory/],
    [['train', ...QUICK2, '--steps', '1', '--out', join(dir, 'afile')], /afile: already exists and is not a folder$/],
    [['report', join(dir, 'afile')], /afile' is a file, not a run folder/],
    [['resume', join(dir, 'nope')], /run folder '.*nope' does not exist/],
    [['eval', join(dir, 'adir')], /adir' has no checkpoint\.safetensors: it is not a run folder/],
    [['resume', join(dir, 'adir')], /adir' has no checkpoint\.safetensors: it is not a run folder/],
  ];
  for (const [args, re] of cases) {
    const r = await cli(...args);
    assert.equal(r.code, 3, `${args.join(' ')}: exit ${r.code}: ${r.err}`);
    assert.match(r.err, re, args.join(' '));
    assert.doesNotMatch(r.err, /EISDIR|ENOENT|EEXIST|illegal operation/);
  }
  // The policy itself: a library RangeError is a usage error, a numerical breakdown a failure.
  assert.equal(classify(new RangeError('Reservoir: units must be positive')).code, 2);
  assert.equal(classify(new RangeError('Maximum call stack size exceeded')).code, 1);
  class NotPositiveDefiniteError extends RangeError {}
  assert.equal(classify(new NotPositiveDefiniteError('not PD')).code, 1);
  assert.equal(
    classify(Object.assign(new Error('x'), { code: 'EACCES', path: '/p' })).message,
    '/p: permission denied',
  );
});

test(
  'a corrupt checkpoint exits 3 from eval and from resume alike; one without a checksum loads with a ' + 'note',
  async () => {
    const run = join(dir, 'run1');
    assert.equal((await cli('train', ...QUICK2, '--steps', '3', '--out', run, '--json')).code, 0);
    const good = readFileSync(join(run, 'checkpoint.safetensors'));
    const bad = Uint8Array.from(good);
    bad[bad.length - 5]! ^= 4; // one bit in the last parameter
    writeFileSync(join(run, 'checkpoint.safetensors'), bad);
    for (const cmd of ['eval', 'resume']) {
      const r = await cli(cmd, run, ...(cmd === 'resume' ? ['--steps', '5'] : ['--n', '10']));
      assert.equal(r.code, 3, `${cmd}: ${r.err}`);
      assert.match(r.err, /checksum mismatch .* the file is corrupt/);
    }
  },
);

test('resume: a cosine schedule is not silently run at lr 0; no-op resumes are refused', async () => {
  const run = join(dir, 'cos');
  const t = await cli(
    'train',
    ...QUICK2,
    '--steps',
    '20',
    '--schedule',
    'cosine',
    '--no-stop-on-success',
    '--out',
    run,
  );
  assert.equal(t.code, 0, t.err);
  const more = await cli('resume', run, '--steps', '40');
  assert.equal(more.code, 2);
  assert.match(
    more.err,
    /cosine learning-rate schedule was planned for 20 steps; past step 20 it would train at lr 0\./,
  );
  assert.match(more.err, /Add --extend-schedule to stretch it to end at 40/);
  const ext = await cli('resume', run, '--steps', '40', '--extend-schedule', '--json');
  assert.equal(ext.code, 0, ext.err);
  assert.equal(JSON.parse(ext.out).steps, 40);
  const recs = readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const late = recs.filter((r) => r.kind === 'train' && r.step > 20 && r.step < 40);
  assert.ok(late.length > 0 && late.every((r) => r.lr > 0), JSON.stringify(late.map((r) => r.lr)));
  assert.ok(recs.some((r) => r.kind === 'schedule' && r.to.total === 40));
  const back = await cli('resume', run, '--steps', '10');
  assert.equal(back.code, 2);
  assert.match(back.err, /already at step 40; --steps is the new total, so it must be above 40/);
  const again = await cli('resume', run);
  assert.equal(again.code, 2);
  assert.match(again.err, /has done all 40 of its steps/);
});

test('stale temp files of a killed writer are removed by the next save; a live writer keeps its own', async () => {
  const run = join(dir, 'tmp');
  assert.equal((await cli('train', ...QUICK2, '--steps', '2', '--out', run)).code, 0);
  // A process that has exited: its pid names a writer that can never finish.
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const dead = `.checkpoint.safetensors.tmp-${gone.stdout}-abc`;
  const live = `.checkpoint.safetensors.tmp-${process.ppid}-def`; // the test runner: alive
  writeFileSync(join(run, dead), 'partial');
  writeFileSync(join(run, live), 'in flight');
  const r = await cli('resume', run, '--steps', '4');
  assert.equal(r.code, 0, r.err);
  assert.ok(!existsSync(join(run, dead)), 'the dead writer’s temp file is still there');
  assert.ok(existsSync(join(run, live)), 'a live writer’s temp file was removed');
  rmSync(join(run, live));
  assert.equal(removeStaleTemps(join(run, 'checkpoint.safetensors')), 0);
  assert.deepEqual(
    readdirSync(run).filter((f) => f.includes('.tmp-')),
    [],
  );
});

test('strings from data reach the terminal escaped and cut; the report shows them escaped too', async () => {
  const evil = '\x1b[2J\x1b]0;pwned\x07\u202enoisrev\u0000x';
  assert.equal(printable(evil), '\\x1b[2J\\x1b]0;pwned\\x07\\u202enoisrev\\x00x');
  assert.equal(printable('line\nbreak\ttab'), 'line\\nbreak\\ttab');
  assert.equal(printable('line\nbreak', { keepLines: true }), 'line\nbreak');
  assert.match(printable('N'.repeat(1 << 20)), /^N{200}\.\.\. \(1048376 more characters\)$/);
  const json = JSON.stringify({ name: evil, del: '\x7f\u0085' });
  assert.deepEqual(JSON.parse(printableJSON(json)), JSON.parse(json)); // lossless
  assert.doesNotMatch(printableJSON(json), RAW_CONTROL);
  // Through the real binary: column names and bad labels with escape sequences, and a 1 MB name.
  const cols = join(dir, 'evil.csv');
  writeFileSync(cols, `label,${evil}\n1,a\n0,b\n${evil},c\n`);
  const long = join(dir, 'long.csv');
  writeFileSync(long, `label,${'N'.repeat(1 << 20)}\n1,a\n0,b\n`);
  for (const args of [
    ['hash', 'train', cols],
    ['hash', 'train', cols, '--label', `x${evil.replace('\u0000', '')}`], // argv cannot hold NUL
    ['hash', 'train', long, '--numeric', 'nope'],
    ['hash', 'train', cols, '--json', '--quiet'],
  ]) {
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: dir });
    const both = r.stdout + r.stderr;
    assert.doesNotMatch(both, RAW_CONTROL, args.join(' '));
    assert.ok(r.stderr.length < 2000, `${args.join(' ')}: ${r.stderr.length} characters on stderr`);
  }
  const html = buildReport([{ name: `run ${evil}`, metrics: [], samples: [{ step: 1, text: `a\nb ${evil}` }] }]);
  assert.doesNotMatch(html, RAW_CONTROL);
  assert.match(html, /run \\x1b\[2J\\x1b\]0;pwned\\x07\\u202enoisrev\\x00x/);
});

test('kill -9 while checkpointing: the checkpoint always loads, and the next run leaves no temp file', async () => {
  const run = join(dir, 'kill');
  assert.equal(
    (await cli('train', ...QUICK2, '--steps', '2', '--hidden', '32', '--checkpoint-every', '1', '--out', run)).code,
    0,
  );
  for (let k = 0; k < 3; k++) {
    const child = spawn(process.execPath, [BIN, 'resume', run, '--steps', '100000'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 700 + 150 * k));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const e = await cli('eval', run, '--n', '10', '--json');
    assert.equal(e.code, 0, e.err);
  }
  const steps = JSON.parse((await cli('eval', run, '--n', '10', '--json')).out).steps as number;
  assert.equal((await cli('resume', run, '--steps', String(steps + 1))).code, 0);
  assert.deepEqual(
    readdirSync(run).filter((f) => f.includes('.tmp-')),
    [],
  );
});
