/**
 * `npm run bench -- lm [--cell lstm|gru] [--steps 10] [--warmup 3] [--json FILE]`: the C2
 * configuration of DESIGN.md as a character language model on tinyshakespeare (a seeded random
 * stream when ../shared/data is missing): vocab 65, Embedding(65->64), hidden 256, B=32, T=64,
 * Linear(256->65) every step, softmax CE, SGD lr 0.01, one update = forward + loss + full BPTT +
 * step over one TBPTT window with the state carried.
 *
 * Reports the median ms/step (wall and CPU time of this process, which differ when the machine
 * is shared), tokens/s, the time an epoch would take, and whether the heap is steady: bytes of
 * ArrayBuffers allocated across the timed steps (workspace reallocation would show here) and
 * the retained JS heap after a full GC, warm-up vs end. Peer: PyTorch (1 thread) on the same
 * configuration, run in the same process run (skipped when python3/torch is missing).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseArgs } from '../src/cli/args.js';
import { Rng } from '../src/random.js';
import { CharVocab } from '../src/lm/vocab.js';
import { TokenStreams } from '../src/lm/corpus.js';
import { RecurrentLM } from '../src/lm/lm.js';
import { SGD } from '../src/train/optim.js';
import { Trainer, TruncatedBPTT } from '../src/train/trainer.js';
import { PY, blasImport, load1, loadText, median, peerEnv } from './peers/env.js';

const PEER = () => `
import sys, time, statistics, json, torch
${blasImport()}
torch.set_num_threads(1); torch.manual_seed(0)
try:
    from threadpoolctl import threadpool_limits; _k = threadpool_limits(1, user_api="blas")
except ImportError:
    pass
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
print(json.dumps({"ms": statistics.median(ts[warm:]) * 1000, "blas": blas_kernel()}))
`;

/** PyTorch (1 thread, BLAS pool limited to 1) on the same configuration, without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE. */
function peer(cell: string, steps: number, warm: number): { ms: number; blas: string } | null {
  try {
    return JSON.parse(
      execFileSync(PY, ['-c', PEER(), cell, String(steps), String(warm)], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        env: peerEnv(),
      }).trim(),
    ) as { ms: number; blas: string };
  } catch {
    return null;
  }
}

function gcFn(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

export async function run(argv: string[]): Promise<number> {
  const { opts, positionals } = parseArgs(argv, {
    cell: { type: 'string', default: 'lstm', choices: ['lstm', 'gru'], help: 'recurrent cell' },
    steps: { type: 'int', default: 10, help: 'timed steps' },
    warmup: { type: 'int', default: 3, help: 'untimed warm-up steps' },
    rounds: { type: 'int', default: 3, help: 'rounds of recur steps then PyTorch; ratio = median over rounds' },
    text: {
      type: 'string',
      default: '../shared/data/tinyshakespeare.txt',
      help: 'corpus (a random stream when missing)',
    },
  });
  if (opts.help) {
    console.log('Usage: npm run bench -- lm [--cell lstm|gru] [--steps 10] [--warmup 3] [--rounds 3] [--json FILE]');
    return 0;
  }
  const B = 32,
    T = 64;
  let ids: Int32Array, vocab: CharVocab, corpus: string;
  if (existsSync(opts.text)) {
    const text = readFileSync(opts.text, 'utf8');
    vocab = CharVocab.fromText(text);
    ids = vocab.encode(text);
    corpus = opts.text;
  } else {
    const rng = new Rng(1);
    vocab = new CharVocab(Array.from({ length: 65 }, (_, i) => String.fromCharCode(48 + i)));
    ids = Int32Array.from({ length: 200_000 }, () => rng.int(65));
    corpus = 'random stream (tinyshakespeare not found)';
  }
  const lm = RecurrentLM.create(vocab, { cell: opts.cell, embedDim: 64, hiddenSize: 256, seed: 1 });
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
  for (let i = 0; i < opts.warmup; i++) step();
  gc();
  const heap0 = process.memoryUsage().heapUsed,
    ab0 = process.memoryUsage().arrayBuffers;
  const wall: number[] = [],
    cpu: number[] = [],
    roundMs: number[] = [],
    torchRounds: number[] = [],
    ratios: number[] = [],
    loads: number[] = [];
  let abMax = ab0,
    blas = '';
  for (let r = 0; r < opts.rounds; r++) {
    const w0 = wall.length;
    for (let i = 0; i < opts.steps; i++) {
      const t = performance.now(),
        c = process.cpuUsage();
      step();
      wall.push(performance.now() - t);
      cpu.push(process.cpuUsage(c).user / 1000);
      abMax = Math.max(abMax, process.memoryUsage().arrayBuffers);
    }
    roundMs.push(median(wall.slice(w0)));
    const p = peer(opts.cell, Math.max(10, opts.steps), 3);
    if (p) {
      torchRounds.push(p.ms);
      ratios.push(roundMs[r]! / p.ms);
      blas = p.blas;
    }
    loads.push(load1());
  }
  gc();
  const heap1 = process.memoryUsage().heapUsed;
  const steps = wall.length,
    ms = median(roundMs),
    cpuMs = median(cpu),
    tokS = (B * T) / (ms / 1000),
    epochSteps = Math.ceil(streams.positions / T);
  const torchMs = torchRounds.length ? median(torchRounds) : null;
  const row = {
    config: 'C2',
    cell: opts.cell,
    corpus,
    B,
    T,
    hidden: 256,
    vocab: vocab.size,
    steps,
    rounds: opts.rounds,
    msPerStep: ms,
    cpuMsPerStep: cpuMs,
    tokensPerSecond: tokS,
    tokensPerCpuSecond: (B * T) / (cpuMs / 1000),
    epochMinutes: (epochSteps * ms) / 60000,
    epochSteps,
    arrayBufferGrowthBytes: abMax - ab0,
    heapGrowthBytesPerStep: (heap1 - heap0) / steps,
    torchMsPerStep: torchMs,
    torchBlas: blas || null,
    ratioToTorch: ratios.length ? median(ratios) : null,
    ratioRounds: ratios,
    loads,
    cpuRatioToTorch: torchMs ? cpuMs / torchMs : null,
  };
  console.log(`C2 char LM (${opts.cell}, V=${vocab.size}, E=64, H=256, B=${B}, T=${T}, SGD 0.01) on ${corpus}`);
  console.log('                 ms/step  tokens/s   recur/torch');
  console.log(
    `recur (wall)   ${ms.toFixed(1).padStart(9)}  ${tokS.toFixed(0).padStart(8)}   ${row.ratioToTorch === null ? 'n/a' : row.ratioToTorch.toFixed(1)}`,
  );
  console.log(
    `recur (cpu)    ${cpuMs.toFixed(1).padStart(9)}  ${row.tokensPerCpuSecond.toFixed(0).padStart(8)}   ${row.cpuRatioToTorch === null ? 'n/a' : row.cpuRatioToTorch.toFixed(1)}`,
  );
  console.log(
    `torch 1 thread ${torchMs === null ? '      n/a' : torchMs.toFixed(1).padStart(9)}  ${torchMs === null ? '     n/a' : ((B * T) / (torchMs / 1000)).toFixed(0).padStart(8)}   1.0`,
  );
  console.log(`epoch: ${epochSteps} steps, ~${row.epochMinutes.toFixed(1)} min at this speed`);
  console.log(
    `steady heap: ArrayBuffers grew ${row.arrayBufferGrowthBytes} bytes over ${steps} steps; retained JS heap ${row.heapGrowthBytesPerStep.toFixed(0)} bytes/step after GC`,
  );
  console.log(
    `${opts.rounds} rounds of recur then PyTorch (BLAS kernel: ${blas || 'n/a'}, run without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE); ` +
      `recur/torch = median of the per-round ratios of ms/step; load average (1 min) per round ${loads.join(', ')}; now ${loadText()}`,
  );
  if (opts.json && positionals[0]) writeFileSync(positionals[0], JSON.stringify(row, null, 2));
  return 0;
}
