// Every WGSL kernel against the `ts` reference (or the CPU function it mirrors) on odd sizes:
// matrix products, bias rows and column sums, each cell's step forward and backward (rows that
// end early included), the sequence plumbing (reversal, last step), the losses, the gradient
// norm, and the optimiser updates with clipping and the non-finite guard. Runs on any WebGPU
// adapter (CI: Mesa's llvmpipe); skips, saying why, without one.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ACT,
  Adam,
  Params,
  RMSProp,
  Rng,
  SGD,
  clipGradNorm,
  clipGradValue,
  globalNorm,
  lastStep,
  lastStepBackward,
  mseLoss,
  softmaxCrossEntropy,
  tsBackend,
  type Activation,
  type Optimizer,
} from 'recur-rnn';
import { GpuContext, GpuUnavailableError, WebGpuKernels } from 'recur-rnn/webgpu';
import * as op from '../../src/backend/webgpu/ops.js';
import { STEP_FIELDS, stepRecord } from '../../src/backend/webgpu/wgsl_util.js';
import { NORM_GROUPS } from '../../src/backend/webgpu/wgsl_optim.js';
import { UpdateGuard } from '../../src/train/guard.js';
import { close, openTestGpu, r32 } from './gpu.js';

const { ctx, skip } = await openTestGpu();
const k = ctx ? new WebGpuKernels(ctx) : null!;
after(() => ctx?.destroy());

test('without navigator.gpu or the webgpu package the error says what to install', async () => {
  await assert.rejects(
    GpuContext.open(undefined),
    (e: Error) => e instanceof GpuUnavailableError && /npm install webgpu/.test(e.message),
  );
  const { INSTALL_HINT } = await import('../../src/node/webgpu.js');
  assert.match(INSTALL_HINT, /npm install webgpu/);
});

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
          const got = await k.gemm(tA, tB, acc, M, N, K, A, B, C);
          close(got, want, 1e-5, `gemm tA=${tA} tB=${tB} acc=${acc} ${M}x${N}x${K}`);
        }
    }
  });

  test('bias rows, column sums, column sums of products (IndRNN du)', async () => {
    const rows = 17,
      cols = 129,
      b1 = r32(cols, 4),
      b2 = r32(cols, 5);
    const want = new Float32Array(rows * cols);
    tsBackend.fillRows(
      rows,
      cols,
      want,
      0,
      b1.map((v, j) => v + b2[j]!),
      0,
    );
    close(await k.fillRows(rows, cols, b1, b2), want, 1e-6, 'fillRows');
    const X = r32(rows * cols, 6),
      Y = r32(rows * cols, 8),
      dst = r32(cols, 7),
      wantSum = dst.slice();
    tsBackend.colSumAcc(rows, cols, wantSum, 0, X, 0);
    close(await k.colSumAcc(dst, X, rows, cols), wantSum, 1e-5, 'colSumAcc');
    const wantProd = dst.slice();
    for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) wantProd[j] += X[r * cols + j]! * Y[r * cols + j]!;
    const [got] = await k.run([X, Y, dst], (pl, [x, y, d]) => op.colSumProd(pl, d!, 0, x!, 0, y!, 0, rows, cols), [2]);
    close(got!, wantProd, 1e-5, 'colSumProd');
  });

  const cells: ['rnn' | 'lstm' | 'gru' | 'indrnn', number, Activation][] = [
    ['rnn', 1, 'tanh'],
    ['rnn', 1, 'relu'],
    ['lstm', 4, 'tanh'],
    ['gru', 3, 'tanh'],
    ['indrnn', 1, 'relu'],
    ['indrnn', 1, 'tanh'],
  ];
  for (const [cell, G, act] of cells) {
    for (const [B, H] of [
      [1, 1],
      [3, 17],
      [5, 129],
    ] as const) {
      const name = `${cell}${cell === 'rnn' || cell === 'indrnn' ? `/${act}` : ''}`;
      test(`${name} step forward and backward, B=${B} H=${H}, rows that end early`, async () => {
        const GH = G * H,
          BH = B * H,
          BG = B * GH,
          t = 2;
        // row b % 3: 0 runs on, 1 ended before t (state held), 2 ends after t (its t+1 is held)
        const lengths = Array.from({ length: B }, (_, b) => [t + 2, t, t + 1][b % 3]!);
        const ended = (b: number, s: number) => s >= lengths[b]!;
        const diag = cell === 'indrnn';
        const W = r32(diag ? H : GH * H, 10, diag ? 0.9 : 1 / Math.sqrt(H)),
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
        } else if (cell === 'indrnn') tsBackend.indrnnCell(ACT[act], B, H, gates, 0, W, 0, h, 0, hNew, 0);
        else {
          tsBackend.gemm(false, true, true, B, GH, H, h, 0, W, 0, gates, 0);
          if (cell === 'lstm') tsBackend.lstmCell(B, H, gates, 0, c, 0, cNew, 0, tc, 0, hNew, 0);
          else {
            tsBackend.actForward(ACT[act], BH, gates, 0);
            hNew.set(gates);
          }
        }
        const hHeld = hNew.slice(),
          cHeld = cNew.slice();
        for (let b = 0; b < B; b++)
          if (ended(b, t)) {
            hHeld.set(h.subarray(b * H, (b + 1) * H), b * H); // an ended row keeps its state
            cHeld.set(c.subarray(b * H, (b + 1) * H), b * H);
          }
        const g = await k.cellStep(cell, B, H, W, pre, h, {
          c,
          bhh: cell === 'gru' ? bhh : undefined,
          act,
          lengths,
          t,
        });
        close(g.gates, gates, 1e-5, 'gates');
        close(g.h, hHeld, 1e-5, 'h');
        if (cell === 'lstm') {
          close(g.c!, cHeld, 1e-5, 'c');
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
          // dh_t = dy_t + what flows back from t+1: through W_hh (and z) while the row runs, dh_{t+1} once it ended
          const viaW = new Float32Array(BH);
          if (inner) {
            if (diag) for (let i = 0; i < BH; i++) viaW[i] = dgNext[i]! * W[i % H]!;
            else tsBackend.gemm(false, false, false, B, H, GH, dgNext, 0, W, 0, viaW, 0);
            if (cell === 'gru') for (let i = 0; i < BH; i++) viaW[i] += zNext[i]! * dhNext[i]!;
          }
          const dh = new Float32Array(BH);
          for (let b = 0; b < B; b++)
            for (let j = 0; j < H; j++) {
              const i = b * H + j;
              const back = !inner ? 0 : ended(b, t + 1) ? dhNext[i]! : viaW[i]!;
              dh[i] = (ended(b, t) ? 0 : dy[i]!) + back;
            }
          const dx = new Float32Array(BG),
            dhp = new Float32Array(BG),
            dc = inner ? dcNext.slice() : new Float32Array(BH),
            tmp = new Float32Array(BH);
          if (cell === 'lstm') tsBackend.lstmCellBackward(B, H, gates, 0, c, 0, tc, 0, dh, 0, dc, 0, dx, 0);
          else if (cell === 'gru') tsBackend.gruCellBackward(B, H, gates, 0, hp, 0, h, 0, dh, 0, dx, 0, dhp, 0, tmp, 0);
          else if (cell === 'indrnn') tsBackend.indrnnCellBackward(ACT[act], B, H, hNew, 0, W, 0, dh, 0, dx, 0, tmp, 0);
          else tsBackend.actBackward(ACT[act], BH, hNew, 0, dh, 0, dx, 0);
          for (let b = 0; b < B; b++)
            if (ended(b, t)) {
              dx.fill(0, b * GH, (b + 1) * GH); // an ended row did not step: no gate gradients
              dhp.fill(0, b * GH, (b + 1) * GH);
              dc.set((inner ? dcNext : new Float32Array(BH)).subarray(b * H, (b + 1) * H), b * H); // dc passes
            }
          const s = { gates, h: cell === 'rnn' || diag ? hNew : h, cPrev: c, tc, hp, act };
          const next = inner ? { dgates: dgNext, dc: dcNext, dh: dhNext, zNext } : null;
          const r = await k.cellStepBackward(cell, B, H, W, dy, s, next, { lengths, t });
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

describe('webgpu sequence plumbing, losses, norm and updates vs the CPU', { skip }, () => {
  const T = 7,
    B = 5,
    F = 3,
    lengths = Uint32Array.of(7, 1, 4, 7, 2);

  test('sequences reversed within their lengths, directions interleaved, zeros past the end', async () => {
    const S = r32(T * B * F, 30),
      O = r32(T * B * 2 * F, 31);
    const want = O.slice(); // into the second half of [T,B,2F], reversed, accumulated, zeros past each end
    for (let t = 0; t < T; t++)
      for (let b = 0; b < B; b++) {
        const L = lengths[b]!,
          ts = t < L ? L - 1 - t : t;
        for (let f = 0; f < F; f++) want[(t * B + b) * 2 * F + F + f] += t < L ? S[(ts * B + b) * F + f]! : 0;
      }
    const [got] = await k.run(
      [S, O, lengths],
      (pl, [s, o, len]) =>
        op.seqCopy(pl, {
          T,
          B,
          F,
          S: s!,
          sOff: 0,
          sStride: F,
          O: o!,
          oOff: F,
          oStride: 2 * F,
          LEN: len!,
          rev: true,
          acc: true,
          zeroPast: true,
        }),
      [1],
    );
    close(got!, want, 1e-6, 'seqCopy');
  });

  test('last valid step gathered and scattered back (lastStep, lastStepBackward)', async () => {
    const Y = r32(T * B * F, 32),
      dLast = r32(B * F, 33);
    const want = lastStep({ shape: [T, B, F], data: Y }, lengths).data;
    const wantBack = lastStepBackward({ shape: [B, F], data: dLast }, T, lengths).data;
    const [g, s] = await k.run(
      [Y, new Float32Array(B * F), dLast, r32(T * B * F, 34), lengths],
      (pl, [y, o, dl, ob, len]) => {
        op.lastGather(pl, o!, y!, 0, B, F, len!);
        op.lastScatter(pl, ob!, dl!, T, B, F, len!);
      },
      [1, 3],
    );
    close(g!, want, 1e-9, 'lastGather');
    close(s!, wantBack, 1e-9, 'lastScatter');
  });

  test('mse and cross-entropy per row with weights, summed: loss, count, correct and gradient', async () => {
    const N = 37,
      V = 11,
      mask = Float32Array.from({ length: N }, (_, r) => (r % 5 === 2 ? 0 : 1));
    const pred = r32(N * V, 35, 3),
      yMse = r32(N * V, 36);
    const yCls = Int32Array.from({ length: N }, (_, r) => (r % 7 === 3 ? -1 : (r * 5) % V));
    const m = mseLoss({ shape: [N, V], data: pred }, yMse, mask);
    const x = softmaxCrossEntropy({ shape: [N, V], data: pred }, yCls, mask);
    let mseCount = 0;
    for (const v of mask) mseCount += v * V;
    const wM = mask.map((v) => v / mseCount),
      wX = mask.map((v, r) => (yCls[r] === -1 ? 0 : v / x.count));
    for (const [kind, y, w, ref] of [
      ['mse', yMse, wM, m],
      ['xent', yCls, wX, x],
    ] as const) {
      const [dpred, stats] = await k.run(
        [pred, y, w, new Float32Array(N * V), new Float32Array(2 * N), new Float32Array(8)],
        (pl, [p, yb, rw, d, rows, st]) => {
          op.lossRows(pl, kind, N, V, p!, yb!, rw!, d!, rows!);
          op.reduceLoss(pl, st!, rows!, N);
        },
        [3, 5],
      );
      assert.ok(
        Math.abs(stats![0]! - ref.loss) < 1e-5 * Math.abs(ref.loss),
        `${kind} loss ${stats![0]} vs ${ref.loss}`,
      );
      if (kind === 'xent') assert.equal(stats![1], x.correct, 'correct rows');
      close(dpred!, ref.grad.data, 1e-5, `${kind} gradient`);
    }
  });

  const norm = async (g: Float32Array) =>
    (
      await k.run(
        [g, new Float32Array(3 * NORM_GROUPS), new Float32Array(8)],
        (pl, [gb, np, st]) => op.gradNorm(pl, st!, gb!, g.length, np!),
        [2],
      )
    )[0]!;

  test('global gradient norm, largest entry and the non-finite flag (sizes 1, 1001, 100003; |g| ~ 1e20)', async () => {
    for (const n of [1, 1001, 100003]) {
      const g = r32(n, 40 + n, 0.01);
      const s = await norm(g);
      close([s[2]!], [globalNorm(g)], 1e-5, `norm n=${n}`);
      assert.equal(s[3], Math.max(...Array.from(g, Math.abs)), 'max |g|');
      assert.equal(s[5], 0, 'all finite');
    }
    // float32 squares overflow from ~1e19: the scaled sum does not (the CPU sums in double precision)
    const big = r32(999, 41, 1e20);
    close([(await norm(big))[2]!], [globalNorm(big)], 1e-5, 'norm of 1e20 entries');
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const g = r32(1001, 42);
      g[500] = bad;
      assert.equal((await norm(g))[5], 1, `${bad} flagged`);
    }
  });

  // One update of each optimiser on the device against the CPU class (the Trainer's order: clip by
  // norm, clip by value, weight decay where the mask says, the update), then a step with a NaN loss.
  const n = 37;
  const params = () => {
    const p = new Params('float32');
    p.declare('w', [5, 6], (a) => a.set(r32(30, 50)));
    p.declare('b', [7], (a) => a.set(r32(7, 51)), { decay: false });
    p.allocate(new Rng(1));
    return p;
  };
  const makers: [string, (p: Params) => Optimizer][] = [
    ['sgd', (p) => new SGD(p, { lr: 0.1 })],
    ['sgd momentum', (p) => new SGD(p, { lr: 0.1, momentum: 0.9, weightDecay: 0.01 })],
    ['sgd nesterov', (p) => new SGD(p, { lr: 0.1, momentum: 0.8, nesterov: true })],
    ['rmsprop', (p) => new RMSProp(p, { lr: 0.01, alpha: 0.9, weightDecay: 0.02 })],
    ['adam', (p) => new Adam(p, { lr: 0.01, weightDecay: 0.01 })],
    ['adamw', (p) => new Adam(p, { lr: 0.01, weightDecay: 0.1, decoupled: true })],
  ];
  for (const [name, make] of makers) {
    test(`${name} update, clipping: three steps, a non-finite loss skipped, an overflow undone`, async () => {
      const cpu = params(),
        gpuP = params(),
        oc = make(cpu),
        og = make(gpuP);
      const clipNorm = 0.5,
        clipValue = 0.15;
      const kind = og.kind as op.UpdateKind;
      const st = Object.values(og.state());
      const ins = [
        gpuP.data as Float32Array,
        new Float32Array(n), // grads
        new Float32Array(n).fill(1), // decay mask
        new Float32Array(STEP_FIELDS.length), // step record
        new Float32Array(8), // stats
        new Float32Array(3 * NORM_GROUPS),
        new Float32Array(n), // S1
        new Float32Array(n), // S2
        new Float32Array(3 * n), // parameters and state before the update
      ];
      const guard = new UpdateGuard(cpu, oc);
      gpuP.list.forEach((q) => ins[2]!.fill(q.decay ? 1 : 0, q.offset, q.offset + q.size));
      for (let step = 0; step <= 4; step++) {
        const g = r32(n, 60 + step, 0.2);
        cpu.grad.set(g);
        const poisoned = step === 3, // the loss is NaN: no update
          overflow = step === 4; // lr 1e40: the update overflows and is undone
        oc.lr = og.lr = overflow ? 1e40 : oc.lr;
        // CPU: as Trainer.update
        const nrm = clipGradNorm(cpu.grad, clipNorm);
        let kept = false;
        if (!poisoned) {
          clipGradValue(cpu.grad, clipValue);
          kept = guard.step();
        }
        assert.equal(kept, step < 3);
        // device: the step record as GpuSequenceModel writes it, the loss in stats[0]
        ins[1] = g;
        const t1 = og.t + 1;
        const o = og as unknown as Record<string, number>;
        ins[3] = stepRecord({
          lr: og.lr,
          wd: og.weightDecay,
          momentum: o.momentum ?? 0,
          nesterov: o.nesterov ? 1 : 0,
          first: og.t === 0 ? 1 : 0,
          alpha: o.alpha ?? 0,
          eps: o.eps ?? 0,
          beta1: o.beta1 ?? 0,
          beta2: o.beta2 ?? 0,
          oneMinusAlpha: 1 - (o.alpha ?? 0),
          oneMinusBeta1: 1 - (o.beta1 ?? 0),
          oneMinusBeta2: 1 - (o.beta2 ?? 0),
          bc1: 1 - (o.beta1 ?? 0) ** t1,
          bc2: 1 - (o.beta2 ?? 0) ** t1,
          decoupled: o.decoupled ? 1 : 0,
          clipNorm,
          clipValue,
        });
        ins[4] = Float32Array.of(poisoned ? Number.NaN : 1, 0, 0, 0, 0, 0, 0, 0);
        const out = await k.run(
          ins,
          (pl, [w, gr, mask, rec, stats, np, s1, s2, bak]) => {
            op.gradNorm(pl, stats!, gr!, n, np!);
            const [S1, S2, BAK] = [s1!, s2!, bak!];
            op.update(pl, kind, n, st.length, { step: rec!, stats: stats!, mask: mask!, GR: gr!, W: w!, S1, S2, BAK });
          },
          [0, 4, 6, 7],
        );
        ins[0] = out[0]!;
        ins[6] = out[2]!;
        ins[7] = out[3]!;
        close([out[1]![2]!], [nrm], 1e-5, `step ${step}: norm`);
        assert.equal(new Uint32Array(out[1]!.buffer)[6], overflow ? 1 : 0, `step ${step}: undone`);
        if (kept) og.t++;
        close(out[0]!, cpu.data, 1e-5, `step ${step}: parameters`);
        if (st[0]) close(out[2]!, Object.values(oc.state())[0]!, 1e-5, `step ${step}: state`);
        if (st[1]) close(out[3]!, Object.values(oc.state())[1]!, 1e-5, `step ${step}: second state`);
      }
    });
  }

  test('clamp after an update (IndRNN bound) only when the update was kept', async () => {
    const W = r32(21, 70, 2);
    for (const [loss, undone] of [
      [1, 0],
      [Number.NaN, 0],
      [1, 1],
    ] as const) {
      const stats = Float32Array.of(loss, 0, 1, 1, 0, 0, 0, 0);
      new Uint32Array(stats.buffer)[6] = undone; // the update was undone
      const [got] = await k.run([W, stats], (pl, [w, st]) => op.clampAfterUpdate(pl, w!, 3, 11, 1.25, st!), [0]);
      const keep = loss === 1 && !undone;
      const want = W.map((v, i) => (keep && i >= 3 && i < 14 ? Math.min(1.25, Math.max(-1.25, v)) : v));
      close(got!, want, 1e-9, `clamp (loss ${loss}, undone ${undone})`);
    }
  });
});
