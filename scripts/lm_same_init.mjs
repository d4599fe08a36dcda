// recur and PyTorch training the same char LM from the same initial weights, update by update:
// recur's initial weights (seed 1) are handed to bench/peers/torch_charlm_same_init.py; both
// train STEPS updates with the same streams, Adam, clipping and a constant rate; the table shows
// each one's training loss at the same updates. The two follow one trajectory until float32
// roundings (different summation orders) make them drift apart.
// Usage (after npm install): node scripts/lm_same_init.mjs [TEXT] [--hidden 320] [--steps 300] [--lr 0.003]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CharVocab, RecurrentLM } from '../dist/src/lm/index.js';

const argv = process.argv.slice(2);
const flag = (n, d) => (argv.includes(n) ? argv[argv.indexOf(n) + 1] : d);
const text = argv[0] && !argv[0].startsWith('--') ? argv[0] : '../shared/data/tinyshakespeare.txt';
const H = Number(flag('--hidden', 320)),
  steps = Number(flag('--steps', 300)),
  lr = Number(flag('--lr', 0.003));
const dir = mkdtempSync(join(tmpdir(), 'recur-lm-same-init-'));
try {
  const vocab = CharVocab.fromText(readFileSync(text, 'utf8'));
  const lm = RecurrentLM.create(vocab, { cell: 'lstm', embedDim: 64, hiddenSize: H, numLayers: 1, seed: 1 }, 'wasm');
  const init = {};
  for (const p of lm.model.params.list) init[p.name] = { shape: p.shape, data: Array.from(p.data) };
  writeFileSync(join(dir, 'init.json'), JSON.stringify(init));
  const run = join(dir, 'recur');
  execFileSync(
    process.execPath,
    [
      'bin/recur.js',
      'lm',
      'train',
      '--text',
      text,
      '--hidden',
      String(H),
      '--embed',
      '64',
      '--batch',
      '32',
      '--bptt',
      '64',
      '--lr',
      String(lr),
      '--schedule',
      'constant',
      '--warmup',
      '0',
      '--clip',
      '5',
      '--threads',
      '1',
      '--steps',
      String(steps),
      '--eval-every',
      '0',
      '--sample-length',
      '0',
      '--seed',
      '1',
      '--out',
      run,
      '--force',
    ],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  // metrics.jsonl: every 10 updates, the loss of that update
  const ours = new Map(
    readFileSync(join(run, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((r) => r.kind === 'train')
      .map((r) => [r.step, r.loss]),
  );
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const py = execFileSync(
    '/usr/bin/python3',
    ['bench/peers/torch_charlm_same_init.py', join(dir, 'init.json'), text, String(steps), String(lr)],
    { encoding: 'utf8', env },
  );
  const theirs = new Map(
    py
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .map((r) => [r.step, r.loss]),
  );
  console.log(`1 x ${H} LSTM, B 32 x T 64, Adam ${lr} constant, clip 5, 1 thread, the same initial weights`);
  console.log('| update | recur loss | PyTorch loss | relative difference |\n|---:|---:|---:|---:|');
  for (const [s, a] of ours) {
    const b = theirs.get(s);
    if (b === undefined || !(s <= 50 || s % 50 === 0)) continue;
    console.log(`| ${s} | ${a.toFixed(5)} | ${b.toFixed(5)} | ${((a - b) / b).toExponential(1)} |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
