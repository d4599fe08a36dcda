/**
 * `npm run bench -- webgpu [--size auto|full|quick] [--dawn auto|vulkan|opengles] [--only C1,C3] [--json FILE]`
 * (also `npm run bench -- --backend webgpu`): the configurations C1-C4 (DESIGN.md) trained on
 * the GPU by GpuSequenceModel through the one Trainer, against PyTorch on CUDA (cuDNN) in the
 * same run, row by row, when a CUDA build of torch is there (bench/torch_rnn.py, "device": "cuda").
 *
 * A step is the resident path: write the batch, ONE command buffer (zero, forward, loss, BPTT,
 * gradient norm, guarded SGD(lr 0.01) update), read back the step's 28 bytes of scalars; the
 * parameters never leave the device. Median of >= 10 steps after 3 warm-ups. C4 = forward only
 * over one 1000-step sequence, reported per time step. `--size quick` (the default on a software
 * adapter such as Mesa's llvmpipe) shrinks every configuration so the suite runs in seconds:
 * those timings check the pipeline, they say nothing about a GPU.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { SequenceModel, type Batch, type SequenceModelConfig } from '../src/layers/model.js';
import { Rng } from '../src/random.js';
import { parseArgs } from '../src/cli/args.js';
import { GpuSequenceModel, GpuUnavailableError, type NodeGpuBackend, openNodeGpu } from '../src/node/webgpu.js';
import { Trainer } from '../src/train/trainer.js';
import { SGD } from '../src/train/optim.js';

interface Case {
  id: string;
  cell: 'rnn' | 'lstm' | 'gru' | 'indrnn';
  label: string;
  T: number;
  B: number;
  cfg: SequenceModelConfig;
  infer?: boolean;
}

function cases(quick: boolean): Case[] {
  const q = (full: number, small: number) => (quick ? small : full);
  const c1 = (cell: Case['cell'], label: string): Case => ({
    id: 'C1',
    cell,
    label,
    T: q(100, 20),
    B: q(32, 8),
    cfg: { cell, inputSize: 2, hiddenSize: q(128, 32), outputSize: 1, head: 'last', loss: 'mse' },
  });
  const c2 = (cell: Case['cell'], label: string): Case => ({
    id: 'C2',
    cell,
    label,
    T: q(64, 16),
    B: q(32, 8),
    cfg: { cell, vocabSize: 65, embedDim: 64, hiddenSize: q(256, 64), outputSize: 65, head: 'every', loss: 'xent' },
  });
  return [
    c1('rnn', 'tanh-RNN'),
    c1('lstm', 'LSTM'),
    c1('gru', 'GRU'),
    c1('indrnn', 'IndRNN'),
    c2('lstm', 'LSTM'),
    c2('gru', 'GRU'),
    {
      id: 'C3',
      cell: 'lstm',
      label: 'LSTM',
      T: q(50, 10),
      B: q(64, 8),
      cfg: {
        cell: 'lstm',
        inputSize: q(128, 32),
        hiddenSize: q(512, 64),
        outputSize: q(128, 32),
        head: 'every',
        loss: 'mse',
      },
    },
    {
      id: 'C4',
      cell: 'lstm',
      label: 'LSTM',
      T: q(1000, 100),
      B: 1,
      infer: true,
      cfg: { cell: 'lstm', inputSize: 32, hiddenSize: q(256, 64), outputSize: 1, head: 'last', loss: 'mse' },
    },
  ];
}

function batch(c: Case, rng: Rng): Batch {
  const { T, B, cfg } = c,
    N = cfg.head === 'last' ? B : T * B;
  if (cfg.vocabSize)
    return {
      T,
      B,
      ids: Array.from({ length: T * B }, () => rng.int(cfg.vocabSize!)),
      y: Array.from({ length: N }, () => rng.int(cfg.outputSize)),
    };
  return {
    T,
    B,
    x: Float32Array.from({ length: T * B * cfg.inputSize! }, () => rng.normal()),
    y: Float32Array.from({ length: N * cfg.outputSize }, () => rng.normal()),
  };
}

/** Issue 19's goals on a GPU: recur's time per step at most this many times cuDNN's. */
const GOAL: Record<string, number> = { C1: 3, C2: 2, C3: 2, C4: 4 };

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s[s.length >> 1]!;
};

/** A python3 whose torch sees a CUDA GPU ('python3' first: the device machine's), or why there is none. */
function cudaPython(): { py: string | null; note: string } {
  for (const py of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(py, ['-c', 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 3)'], {
        stdio: 'ignore',
        timeout: 120_000,
      });
      return { py, note: `PyTorch CUDA: measured in this run, row by row (${py} bench/torch_rnn.py, cuDNN)` };
    } catch {}
  }
  return { py: null, note: 'PyTorch CUDA: skipped (no CUDA build of torch with a visible GPU here)' };
}

/** One PyTorch CUDA row (ms per step; C4: microseconds per time step), or null when it failed. */
function torchRow(py: string, c: Case): number | null {
  const spec = { config: c.id, cell: c.cell, threads: 1, device: 'cuda', warmup: 3, steps: 10, budgetS: 60 };
  try {
    const out = execFileSync(py, ['bench/torch_rnn.py', JSON.stringify(spec)], { encoding: 'utf8', timeout: 300_000 });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { ms_per_step: number };
    return c.infer ? (r.ms_per_step * 1000) / c.T : r.ms_per_step;
  } catch (e) {
    console.error(`torch ${c.id} ${c.label}: ${(e as Error).message.split('\n')[0]}`);
    return null;
  }
}

export async function run(argv: string[]): Promise<number> {
  const { opts, positionals } = parseArgs(argv, {
    size: {
      type: 'string',
      default: 'auto',
      choices: ['auto', 'full', 'quick'],
      help: 'full = DESIGN.md sizes; quick = small (default on a software adapter)',
    },
    dawn: {
      type: 'string',
      default: 'auto',
      choices: ['auto', 'vulkan', 'opengles', 'opengl', 'metal', 'd3d12'],
      help: "Dawn's backend in Node",
    },
    only: { type: 'list', default: ['C1', 'C2', 'C3', 'C4'], help: 'configurations to run' },
    backend: {
      type: 'string',
      default: 'webgpu',
      choices: ['webgpu'],
      help: '(accepted for `npm run bench -- --backend webgpu`)',
    },
  });
  if (opts.help) {
    console.log(
      'Usage: npm run bench -- webgpu [--size auto|full|quick] [--dawn auto|vulkan|opengles] [--only C1,C2] ' +
        '[--json FILE]',
    );
    return 0;
  }
  let ctx;
  try {
    ctx = await openNodeGpu({ backend: opts.dawn as NodeGpuBackend });
  } catch (e) {
    if (e instanceof GpuUnavailableError) {
      console.error(`bench webgpu: ${e.message}`);
      return 1;
    }
    throw e;
  }
  const software = /llvmpipe|swiftshader|lavapipe|softpipe/i.test(ctx.description);
  const quick = opts.size === 'quick' || (opts.size === 'auto' && software);
  const only = opts.only as string[];
  console.log(
    `WebGPU adapter: ${ctx.description}${software ? ' (software rasteriser)' : ''}; sizes: ` +
      (quick ? 'quick (NOT the C1-C4 sizes: a pipeline check, not a GPU timing)' : 'full C1-C4'),
  );
  const peer = quick
    ? { py: null, note: 'PyTorch CUDA: skipped (quick sizes differ from the C1-C4 configurations)' }
    : cudaPython();
  console.log(
    `load average ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
  const warm = quick ? 1 : 3,
    timed = quick ? 3 : 10;
  const rows: Record<string, unknown>[] = [];
  console.log(
    'config  cell      T     B     H   dispatches  ms/step (median)  timesteps/s   torch-cuda   recur/torch (goal)',
  );
  for (const c of cases(quick).filter((x) => only.includes(x.id))) {
    const rng = new Rng(0);
    const model = new SequenceModel({ ...c.cfg, seed: 0 }, 'ts');
    const gpu = new GpuSequenceModel(ctx, model),
      tr = new Trainer(gpu, new SGD(model.params, { lr: 0.01 }));
    const b = batch(c, rng);
    const once = () => (c.infer ? gpu.predict(b) : tr.trainAsync(b));
    for (let i = 0; i < warm; i++) await once();
    const ms: number[] = [];
    for (let i = 0; i < timed; i++) {
      const t0 = performance.now();
      await once();
      ms.push(performance.now() - t0);
    }
    const m = median(ms);
    // torch has no IndRNN
    const peerV = peer.py && c.cell !== 'indrnn' ? (torchRow(peer.py, c) ?? undefined) : undefined;
    const value = c.infer ? (m * 1000) / c.T : m; // C4: microseconds per time step
    const row = {
      config: c.id,
      cell: c.label,
      T: c.T,
      B: c.B,
      H: c.cfg.hiddenSize,
      dispatches: gpu.dispatches,
      msPerStep: m,
      usPerTimestep: c.infer ? value : undefined,
      timestepsPerS: (c.B * c.T) / (m / 1000),
      torchCuda: peerV ?? null,
      ratio: peerV ? value / peerV : null,
      goal: GOAL[c.id], // issue 19: recur/torch at most this
    };
    rows.push(row);
    console.log(
      [
        c.id.padEnd(6),
        c.label.padEnd(8),
        String(c.T).padStart(4),
        String(c.B).padStart(4),
        String(c.cfg.hiddenSize).padStart(4),
        String(gpu.dispatches).padStart(10),
        (c.infer ? `${value.toFixed(1)} us/t` : m.toFixed(2)).padStart(16),
        Math.round(row.timestepsPerS).toLocaleString('en-US').padStart(11),
        peerV === undefined ? 'n/a'.padStart(11) : peerV.toFixed(2).padStart(11),
        `${row.ratio === null ? 'n/a' : `${row.ratio.toFixed(2)}x`} (<= ${GOAL[c.id]}x)`,
      ].join('  '),
    );
    gpu.destroy();
  }
  console.log(peer.note);
  ctx.destroy();
  if (opts.json && positionals[0])
    writeFileSync(
      positionals[0],
      JSON.stringify({ adapter: ctx.description, quick, peer: peer.note, loadavg: loadavg(), rows }, null, 2),
    );
  return 0;
}
