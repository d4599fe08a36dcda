// Finding 8: exit codes. Each invocation with the exit code the README promises (2 usage or
// out-of-range value, naming the flag; 3 bad or missing file, naming the path; 1 failure).
// Run: node scripts/faults/f8_exit_codes.mjs [filter]   (after npm install; ~1-3 minutes)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

const root = new URL('../..', import.meta.url).pathname;
const w = mkdtempSync(join(tmpdir(), 'recur-f8-'));
const bin = join(root, 'bin/recur.js');
const csv = join(w, 'd.csv');
writeFileSync(csv, 'label,x,site\n1,2,a\n0,3,b\n1,1,a\n');
writeFileSync(
  join(w, 'series.csv'),
  'a\n' + Array.from({ length: 300 }, (_, i) => Math.sin(i / 5).toFixed(4)).join('\n') + '\n',
);
writeFileSync(join(w, 'afile'), 'x');
mkdirSync(join(w, 'adir'));
// a 4x4 RGB PNG, written by hand (no dependency)
const crcT = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc = (b) => {
  let r = 0xffffffff;
  for (const x of b) r = crcT[(r ^ x) & 255] ^ (r >>> 8);
  return (r ^ 0xffffffff) >>> 0;
};
const chunk = (t, d) => {
  const l = Buffer.alloc(4);
  l.writeUInt32BE(d.length);
  const td = Buffer.concat([Buffer.from(t), d]);
  const c = Buffer.alloc(4);
  c.writeUInt32BE(crc(td));
  return Buffer.concat([l, td, c]);
};
const ih = Buffer.alloc(13);
ih.writeUInt32BE(4, 0);
ih.writeUInt32BE(4, 4);
ih[8] = 8;
ih[9] = 2;
const raw = Buffer.alloc(4 * 13, 100);
for (let y = 0; y < 4; y++) raw[y * 13] = 0;
writeFileSync(
  join(w, 'img.png'),
  Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ih),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]),
);
// a trained run whose checkpoint is then cut short
const quick = [
  '--task',
  'adding',
  '--T',
  '10',
  '--hidden',
  '4',
  '--steps',
  '2',
  '--eval-every',
  '0',
  '--final-eval-n',
  '10',
  '--threads',
  '1',
];
spawnSync('node', [bin, 'train', ...quick, '--out', join(w, 'run')]);
writeFileSync(join(w, 'run/checkpoint.safetensors'), Buffer.alloc(100, 7));

const train = (...a) => ['train', ...quick, '--out', join(w, 'o'), '--force', ...a];
const cases = [
  // out-of-range values: 2, naming the flag
  [2, train('--T', '1', '--task', 'order')],
  [2, train('--T', '1')],
  [2, train('--hidden', '1e9')],
  [2, train('--weight-decay', '-1')],
  [2, train('--clip', '-1')],
  [2, train('--clip-value', '-1')],
  [2, train('--warmup', '-5')],
  [2, train('--max-seconds', '-1')],
  [2, ['train', '--steps', '0x10', '--out', join(w, 'o'), '--force']],
  [2, train('--layers', '100000')],
  [2, train('--threads', '1000')],
  [2, train('--lr', '3e400')],
  [2, train('--batch', '0')],
  [2, train('--eval-n', '0')],
  [2, train('--momentum', '-0.5')],
  [2, train('--forget-bias', 'nan')],
  [2, ['eval', join(w, 'run'), '--n', '-1']],
  [2, ['eval', join(w, 'run'), '--T', '0']],
  [2, ['start', '--parallel', '0', '--out', join(w, 's')]],
  [2, ['experiment', 'lecture', '--parallel', '0', '--out', join(w, 's')]],
  [2, ['experiment', 'lecture', '--budget', '-1', '--out', join(w, 's')]],
  [2, ['esn', '--units', '0']],
  [2, ['esn', '--units', '1e9']],
  [2, ['esn', '--sr', '-1']],
  [2, ['esn', '--lr', '2']],
  [2, ['esn', '--connectivity', '1.5']],
  [2, ['esn', '--ridge', '-1']],
  [2, ['esn', '--horizon', '0', '--mode', 'closed-loop']],
  [2, ['preprocess', 'apply', join(w, 'img.png'), '--lcn', 'across', '--lcn-size', '4', '--out-dir', join(w, 'p')]],
  [2, ['preprocess', 'apply', join(w, 'img.png'), '--lcn', 'across', '--lcn-sigma', '-1', '--out-dir', join(w, 'p')]],
  [2, ['preprocess', 'fit', join(w, 'img.png'), '--zca', '--epsilon', '-1', '--out', join(w, 'z.rcpp')]],
  [2, ['hash', 'train', csv, '--bits', '40']],
  [2, ['hash', 'train', csv, '--bits', '0']],
  [2, ['hash', 'train', csv, '--alpha', '-1']],
  [2, ['hash', 'train', csv, '--beta', '-1']],
  [2, ['hash', 'train', csv, '--l1', '-1']],
  [2, ['hash', 'train', csv, '--l2', '-1']],
  [2, ['hash', 'train', csv, '--passes', '0']],
  [2, ['hash', 'train', csv, '--holdout-period', '1']],
  [2, ['hash', 'train', csv, '--holdout-period', '-3']],
  [2, ['hash', 'train', csv, '--delimiter', 'ab']],
  [2, ['lm', 'train', '--text', csv, '--hidden', '0']],
  [2, ['lm', 'train', '--text', csv, '--val', '1.5']],
  [2, ['lm', 'sample', '--model', join(w, 'run'), '--temperature', '-1']],
  [2, ['lm', 'seq2seq', '--beam', '0']],
  [2, ['report', join(w, 'run'), '--max-runs', '-1']],
  // sizes whose memory estimate is over the limit (half of this machine's memory): 2, naming the settings
  [2, train('--hidden', '16384', '--layers', '64')],
  [2, ['esn', '--units', '100000']],
  [2, ['lm', 'train', '--text', csv, '--hidden', '16384', '--layers', '64']],
  // bad or missing files: 3, naming the path
  [3, ['eval', join(w, 'nonexistent')]],
  [3, ['eval', join(w, 'run')]],
  [3, ['resume', join(w, 'run')]],
  [3, ['esn', join(w, 'adir')]],
  [3, ['hash', 'train', join(w, 'adir')]],
  [3, ['hash', 'train', join(w, 'nope.csv')]],
  [3, ['hash', 'train', csv, '--model', join(w, 'adir')]],
  [3, ['train', ...quick, '--out', join(w, 'afile')]],
  [3, ['preprocess', 'apply', join(w, 'img.png'), '--out-dir', join(w, 'afile')]],
  [3, ['lm', 'train', '--text', join(w, 'adir')]],
  [3, ['report', join(w, 'afile')]],
  [3, ['hash', 'eval', csv, '--model', csv]],
];
const only = process.argv[2];
let bad = 0;
for (const [want, args] of cases) {
  const label = args.map((a) => a.replace(w, '$W')).join(' ');
  if (only && !label.includes(only)) continue;
  const t0 = Date.now();
  const r = spawnSync('node', [bin, ...args], { encoding: 'utf8', timeout: 20000, cwd: w });
  const code = r.status ?? (r.signal ? `killed (${r.signal})` : '?');
  const last = (
    r.stderr
      .trim()
      .split('\n')
      .filter((l) => !/^Run 'recur/.test(l))
      .pop() ?? ''
  )
    .replace(w, '$W')
    .slice(0, 150);
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  const ok = code === want;
  if (!ok) bad++;
  console.log(
    `${ok ? 'ok  ' : 'FAIL'} want ${want} got ${String(code).padEnd(2)} ${secs.padStart(5)} s  ` +
      `recur ${label.slice(0, 90)}\n        ${last}`,
  );
}
console.log(`${bad} of ${cases.length} invocations did not exit as promised`);
rmSync(w, { recursive: true, force: true });
