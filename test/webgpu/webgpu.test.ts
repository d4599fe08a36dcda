// WebGPU kernels against the `ts` reference, kernel by kernel on odd sizes, and one full
// training step against SequenceModel + SGD. Runs on any WebGPU adapter; in CI that is Dawn's
// OpenGL ES backend on Mesa's llvmpipe (slow, exact). Skips, saying why, without the
// optional `webgpu` package or an adapter.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ACT, SGD, SequenceModel, Trainer, tsBackend, type Activation, type SequenceModelConfig } from 'recur';
import { GpuContext, GpuSequenceModel, GpuUnavailableError, WebGpuKernels } from 'recur/webgpu';
import { openNodeGpu } from 'recur/webgpu-node';
import { randn, relErr } from '../helpers.js';

let ctx: GpuContext | null = null;
let why = '';
try {
  ctx = await openNodeGpu();
} catch (e) {
  if (!(e instanceof GpuUnavailableError)) throw e;
  why = `webgpu unavailable: ${e.message}`;
}
const skip = ctx ? false : why;
const k = ctx ? new WebGpuKernels(ctx) : null!;
const r32 = (n: number, seed: number, scale = 1) => randn(n, seed, scale, false) as Float32Array;
const close = (got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string) => {
  const e = relErr(got, want);
  assert.ok(e < tol, `${what}: rel error ${e} >= ${tol}`);
};

test('without navigator.gpu or the webgpu package the error says what to install', async () => {
  await assert.rejects(
    GpuContext.open(undefined),
    (e: Error) => e instanceof GpuUnavailableError && /npm install webgpu/.test(e.message),
  );
  const { INSTALL_HINT } = await import('../../src/node/webgpu.js');
  assert.match(INSTALL_HINT, /npm install webgpu/);
});

after(() => ctx?.destroy());

describe('webgpu kernels vs ts', { skip }, () => {
  test('gemm, every transpose and accumulate flag, sizes 1, 3, 17, 129', async () => {
    const sizes: [number, number, number][] = [
      [1, 1, 1],
      [3, 17, 129],
      [129, 3, 17],
      [17, 129, 3],
      [33, 65, 40],
    ];
    for (const [M, N, K] of sizes) {
      for (const tA of [false, true])
        for (const tB of [false, true]) {
          const acc = (M + N + (tA ? 1 : 0) + (tB ? 2 : 0)) % 2 === 0;
          const A = r32(M * K, 1),
            B = r32(K * N, 2),
            C = r32(M * N, 3);
          const want = C.slice();
          tsBackend.gemm(tA, tB, acc, M, N, K, A, 0, B, 0, want, 0);
          close(
            await k.gemm(tA, tB, acc, M, N, K, A, B, C),
            want,
            1e-5,
            `gemm tA=${tA} tB=${tB} acc=${acc} ${M}x${N}x${K}`,
          );
        }
    }
  });

  test('bias rows and column sums', async () => {
    const rows = 17,
      cols = 129,
      b1 = r32(cols, 4),
      b2 = r32(cols, 5);
    const want = new Float32Array(rows * cols);
    const sum = b1.map((v, j) => v + b2[j]!);
    tsBackend.fillRows(rows, cols, want, 0, sum, 0);
    close(await k.fillRows(rows, cols, b1, b2), want, 1e-6, 'fillRows');
    const X = r32(rows * cols, 6),
      dst = r32(cols, 7),
      wantSum = dst.slice();
    tsBackend.colSumAcc(rows, cols, wantSum, 0, X, 0);
    close(await k.colSumAcc(dst, X, rows, cols), wantSum, 1e-5, 'colSumAcc');
  });

  const cells: ['rnn' | 'lstm' | 'gru', number, Activation][] = [
    ['rnn', 1, 'tanh'],
    ['rnn', 1, 'relu'],
    ['lstm', 4, 'tanh'],
    ['gru', 3, 'tanh'],
  ];
  for (const [cell, G, act] of cells) {
    for (const [B, H] of [
      [1, 1],
      [3, 17],
      [2, 129],
    ] as const) {
      test(`${cell}${cell === 'rnn' ? `/${act}` : ''} step forward and backward, B=${B} H=${H}`, async () => {
        const GH = G * H,
          BH = B * H,
          BG = B * GH;
        const W = r32(GH * H, 10, 1 / Math.sqrt(H)),
          pre = r32(BG, 11),
          h = r32(BH, 12, 0.5),
          c = r32(BH, 13),
          bhh = r32(GH, 14, 0.1);
        // reference forward: gates = pre + h W^T (GRU: hp = h W^T + b_hh), then the cell
        const gates = pre.slice(),
          hNew = new Float32Array(BH),
          cNew = new Float32Array(BH),
          tc = new Float32Array(BH),
          hp = new Float32Array(BG);
        if (cell === 'gru') {
          tsBackend.fillRows(B, GH, hp, 0, bhh, 0);
          tsBackend.gemm(false, true, true, B, GH, H, h, 0, W, 0, hp, 0);
          tsBackend.gruCell(B, H, gates, 0, hp, 0, h, 0, hNew, 0);
        } else {
          tsBackend.gemm(false, true, true, B, GH, H, h, 0, W, 0, gates, 0);
          if (cell === 'lstm') tsBackend.lstmCell(B, H, gates, 0, c, 0, cNew, 0, tc, 0, hNew, 0);
          else {
            tsBackend.actForward(ACT[act], BH, gates, 0);
            hNew.set(gates);
          }
        }
        const g = await k.cellStep(cell, B, H, W, pre, h, { c, bhh: cell === 'gru' ? bhh : undefined, act });
        close(g.gates, gates, 1e-5, 'gates');
        close(g.h, hNew, 1e-5, 'h');
        if (cell === 'lstm') {
          close(g.c!, cNew, 1e-5, 'c');
          close(g.tc!, tc, 1e-5, 'tanh c');
        }
        if (cell === 'gru') close(g.hp!, hp, 1e-5, 'hp');

        // reference backward, at an inner step (with t+1 gradients) and at the last step
        for (const inner of [true, false]) {
          const dy = r32(BH, 20),
            dgNext = r32(BG, 21, 0.1),
            dcNext = r32(BH, 22),
            dhNext = r32(BH, 23),
            zNext = r32(BH, 24).map((v) => 1 / (1 + Math.exp(-v)));
          const dh = dy.slice();
          if (inner) tsBackend.gemm(false, false, true, B, H, GH, dgNext, 0, W, 0, dh, 0); // + dgates_{t+1} W_hh
          if (inner && cell === 'gru') for (let i = 0; i < BH; i++) dh[i] += zNext[i]! * dhNext[i]!; // + z_{t+1} dh_{t+1}
          const dx = new Float32Array(BG),
            dhp = new Float32Array(BG),
            dc = inner ? dcNext.slice() : new Float32Array(BH),
            tmp = new Float32Array(BH);
          if (cell === 'lstm') tsBackend.lstmCellBackward(B, H, gates, 0, c, 0, tc, 0, dh, 0, dc, 0, dx, 0);
          else if (cell === 'gru') tsBackend.gruCellBackward(B, H, gates, 0, hp, 0, h, 0, dh, 0, dx, 0, dhp, 0, tmp, 0);
          else tsBackend.actBackward(ACT[act], BH, hNew, 0, dh, 0, dx, 0);
          const s = { gates, h: cell === 'rnn' ? hNew : h, cPrev: c, tc, hp, act };
          const r = await k.cellStepBackward(
            cell,
            B,
            H,
            W,
            dy,
            s,
            inner ? { dgates: dgNext, dc: dcNext, dh: dhNext, zNext } : null,
          );
          const at = inner ? 'inner step' : 'last step';
          close(r.dh, dh, 1e-5, `dh (${at})`);
          close(r.dgates, dx, 1e-5, `dgates (${at})`);
          if (cell === 'lstm') close(r.dc!, dc, 1e-5, `dc (${at})`);
          if (cell === 'gru') close(r.dhp!, dhp, 1e-5, `dhp (${at})`);
        }
      });
    }
  }
});

describe('GpuSequenceModel through the Trainer vs SequenceModel + SGD', { skip }, () => {
  before(() => {
    if (!ctx) throw new Error('no context');
  });

  const cases: { name: string; cfg: SequenceModelConfig; T: number; B: number }[] = [
    {
      name: 'LSTM, dense, last step, MSE',
      cfg: { cell: 'lstm', inputSize: 3, hiddenSize: 17, outputSize: 2, head: 'last', loss: 'mse', seed: 1 },
      T: 5,
      B: 3,
    },
    {
      name: 'GRU, tokens, every step, cross-entropy',
      cfg: {
        cell: 'gru',
        vocabSize: 7,
        embedDim: 5,
        hiddenSize: 9,
        outputSize: 7,
        head: 'every',
        loss: 'xent',
        seed: 2,
      },
      T: 4,
      B: 3,
    },
    {
      name: 'tanh-RNN, 2 layers, every step, MSE',
      cfg: {
        cell: 'rnn',
        inputSize: 2,
        hiddenSize: 16,
        numLayers: 2,
        outputSize: 1,
        head: 'every',
        loss: 'mse',
        seed: 3,
      },
      T: 6,
      B: 2,
    },
    {
      name: 'LSTM, 2 layers, tokens, every step, cross-entropy',
      cfg: {
        cell: 'lstm',
        vocabSize: 5,
        embedDim: 4,
        hiddenSize: 8,
        numLayers: 2,
        outputSize: 5,
        head: 'every',
        loss: 'xent',
        seed: 4,
      },
      T: 3,
      B: 2,
    },
  ];
  for (const { name, cfg, T, B } of cases) {
    test(name, async () => {
      const lr = 0.5;
      const cpu = new SequenceModel(cfg, 'ts');
      const gm = new SequenceModel(cfg, 'ts'),
        gpu = new GpuSequenceModel(ctx!, gm),
        trainer = new Trainer(gpu, new SGD(gm.params, { lr }));
      const N = cfg.head === 'last' ? B : T * B;
      for (let step = 0; step < 2; step++) {
        const batch = cfg.vocabSize
          ? {
              T,
              B,
              ids: Array.from({ length: T * B }, (_, i) => (i * 3 + step) % cfg.vocabSize!),
              y: Array.from({ length: N }, (_, i) => (i === 1 ? -1 : (i * 2 + step) % cfg.outputSize)),
            }
          : { T, B, x: r32(T * B * cfg.inputSize!, 30 + step), y: r32(N * cfg.outputSize, 40 + step) };
        cpu.params.zeroGrad();
        const want = cpu.lossAndGrad(batch).loss;
        const { loss } = await trainer.trainAsync(batch);
        assert.ok(Math.abs(loss - want) <= 1e-5 * Math.max(1, Math.abs(want)), `step ${step}: loss ${loss} vs ${want}`);
        close(await gpu.readGrads(), cpu.params.grad, 1e-4, `step ${step}: gradients`);
        for (let i = 0; i < cpu.params.size; i++) cpu.params.data[i] -= lr * cpu.params.grad[i]!; // SGD
        close(gm.params.data, cpu.params.data, 1e-5, `step ${step}: parameters after SGD`);
      }
      const pred = await gpu.predict({
        T,
        B,
        x: cfg.vocabSize ? undefined : r32(T * B * cfg.inputSize!, 50),
        ids: cfg.vocabSize ? Array(T * B).fill(1) : undefined,
        y: [],
      });
      const wantPred = cpu.predict({
        T,
        B,
        x: cfg.vocabSize ? undefined : r32(T * B * cfg.inputSize!, 50),
        ids: cfg.vocabSize ? Array(T * B).fill(1) : undefined,
        y: [],
      });
      close(pred, wantPred.data, 1e-5, 'predict');
      gpu.destroy();
    });
  }

  test('bad batches get clear errors', async () => {
    const gpu = new GpuSequenceModel(
      ctx!,
      new SequenceModel({ cell: 'lstm', inputSize: 2, hiddenSize: 4, outputSize: 1, head: 'last', loss: 'mse' }),
    );
    await assert.rejects(
      gpu.lossAndGradAsync({ T: 2, B: 1, x: new Float32Array(3), y: [0] }),
      /expected x of 4 values/,
    );
    await assert.rejects(gpu.lossAndGradAsync({ T: 2, B: 1, x: new Float32Array(4), y: [0, 1] }), /expected 1 targets/);
    await assert.rejects(
      gpu.lossAndGradAsync({ T: 2, B: 2, x: new Float32Array(8), y: [0, 1], lengths: [1, 2] }),
      /variable lengths/,
    );
    assert.throws(() => gpu.lossAndGrad(), /trainAsync/);
    assert.throws(
      () =>
        new GpuSequenceModel(
          ctx!,
          new SequenceModel({ cell: 'indrnn', inputSize: 2, hiddenSize: 4, outputSize: 1, head: 'last', loss: 'mse' }),
        ),
      /IndRNN cell has no WebGPU kernels/,
    );
    assert.throws(
      () =>
        new GpuSequenceModel(
          ctx!,
          new SequenceModel({
            cell: 'gru',
            inputSize: 2,
            hiddenSize: 4,
            outputSize: 1,
            head: 'last',
            loss: 'mse',
            bidirectional: true,
          }),
        ),
      /bidirectional/,
    );
    gpu.destroy();
  });
});
