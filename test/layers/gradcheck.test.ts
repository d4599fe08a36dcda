// Every layer's backward pass against central differences, in double precision.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  GRU,
  LSTM,
  RecurrentStack,
  Linear,
  Embedding,
  gradCheck,
  mseLoss,
  softmaxCrossEntropy,
  lastStep,
  lastStepBackward,
  type CellType,
  type FArray,
  type RecurrentOptions,
} from 'recur-rnn';
import { randn } from '../helpers.js';

const TOL = 1e-4;

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

interface Spec {
  cell: CellType;
  act?: 'tanh' | 'relu' | 'sigmoid' | 'identity';
  L?: number;
  bi?: boolean;
  state?: 'zero' | 'passed' | 'learned';
  lengths?: number[];
  init?: RecurrentOptions['recurrentInit'];
}

function check(spec: Spec): void {
  const T = 4,
    B = spec.lengths?.length ?? 2,
    I = 3,
    H = 3,
    L = spec.L ?? 1,
    D = spec.bi ? 2 : 1;
  const o = {
    inputSize: I,
    hiddenSize: H,
    numLayers: L,
    bidirectional: spec.bi,
    dtype: 'float64' as const,
    seed: 3,
    initialState: spec.state === 'learned' ? ('learned' as const) : ('zero' as const),
    recurrentInit: spec.init,
  };
  const m = new RecurrentStack(spec.cell, { ...o, nonlinearity: spec.act });
  // Make learned initial states non-zero so their gradient path is exercised.
  for (const p of m.params.list) if (p.name.startsWith('initial_')) p.data.set(randn(p.size, 11, 0.5));
  const x = randn(T * B * I, 1),
    S = [L * D, B, H];
  const h0 = spec.state === 'passed' ? randn(L * D * B * H, 2, 0.5) : null;
  const c0 = spec.state === 'passed' && spec.cell === 'lstm' ? randn(L * D * B * H, 3, 0.5) : null;
  const Ro = randn(T * B * D * H, 4),
    Rh = randn(L * D * B * H, 5),
    Rc = randn(L * D * B * H, 6);
  const loss = () => {
    const f = m.forward(
      { shape: [T, B, I], data: x },
      {
        h0: h0 ? { shape: S, data: h0 } : undefined,
        c0: c0 ? { shape: S, data: c0 } : undefined,
        lengths: spec.lengths,
      },
    );
    return dot(f.output.data, Ro) + dot(f.hN.data, Rh) + (f.cN ? dot(f.cN.data, Rc) : 0);
  };
  loss();
  m.zeroGrad();
  const b = m.backward({
    output: { shape: [T, B, D * H], data: Ro },
    hN: { shape: S, data: Rh },
    cN: spec.cell === 'lstm' ? { shape: S, data: Rc } : null,
  });
  const dx = Float64Array.from(b.dx.data),
    dh0 = Float64Array.from(b.dh0.data),
    dc0 = b.dc0 ? Float64Array.from(b.dc0.data) : null;
  const grad = Float64Array.from(m.params.grad);
  const name = JSON.stringify(spec);
  const r1 = gradCheck(loss, m.params.data, grad);
  assert.ok(
    r1.maxRelError < TOL,
    `${name} params: rel error ${r1.maxRelError} ` +
      `at ${m.params.list.find((p) => r1.worstIndex >= p.offset && r1.worstIndex < p.offset + p.size)?.name}`,
  );
  const r2 = gradCheck(loss, x, dx);
  assert.ok(r2.maxRelError < TOL, `${name} dx: rel error ${r2.maxRelError}`);
  if (h0) {
    const r3 = gradCheck(loss, h0, dh0);
    assert.ok(r3.maxRelError < TOL, `${name} dh0: rel error ${r3.maxRelError}`);
  }
  if (c0 && dc0) {
    const r4 = gradCheck(loss, c0, dc0);
    assert.ok(r4.maxRelError < TOL, `${name} dc0: rel error ${r4.maxRelError}`);
  }
}

const specs: Spec[] = [
  { cell: 'rnn', act: 'tanh' },
  { cell: 'rnn', act: 'relu' },
  { cell: 'rnn', act: 'sigmoid' },
  { cell: 'rnn', act: 'identity' },
  { cell: 'lstm' },
  { cell: 'gru' },
  { cell: 'rnn', act: 'tanh', L: 2 },
  { cell: 'lstm', L: 2 },
  { cell: 'gru', L: 2 },
  { cell: 'rnn', act: 'tanh', bi: true },
  { cell: 'lstm', bi: true, L: 2 },
  { cell: 'gru', bi: true },
  { cell: 'rnn', act: 'tanh', state: 'passed', L: 2 },
  { cell: 'lstm', state: 'passed', bi: true },
  { cell: 'gru', state: 'passed' },
  { cell: 'rnn', act: 'relu', state: 'learned' },
  { cell: 'lstm', state: 'learned', L: 2 },
  { cell: 'gru', state: 'learned', bi: true },
  { cell: 'rnn', act: 'tanh', lengths: [4, 2, 1] },
  { cell: 'lstm', lengths: [1, 4, 3], state: 'passed', bi: true },
  { cell: 'gru', lengths: [3, 4, 2], L: 2, bi: true },
  { cell: 'lstm', lengths: [2, 3, 4], state: 'learned' },
  { cell: 'rnn', act: 'tanh', init: 'orthogonal' },
  { cell: 'rnn', act: 'relu', init: 'identity' },
  { cell: 'indrnn' },
  { cell: 'indrnn', act: 'tanh', L: 2 },
  { cell: 'indrnn', act: 'sigmoid', bi: true, state: 'passed' },
  { cell: 'indrnn', lengths: [4, 2, 3], state: 'learned', bi: true },
];
for (const s of specs) test(`gradCheck ${JSON.stringify(s)}`, () => check(s));

test('gradCheck Linear (3-D input) with MSE loss and mask', () => {
  const lin = new Linear({ inFeatures: 4, outFeatures: 3, dtype: 'float64', seed: 2 });
  const x = randn(2 * 3 * 4, 1),
    target = randn(2 * 3 * 3, 2),
    mask = [1, 0, 1, 1, 1, 0];
  const f = () => mseLoss(lin.forward({ shape: [2, 3, 4], data: x }), target, mask).loss;
  f();
  lin.params.zeroGrad();
  const y = lin.forward({ shape: [2, 3, 4], data: x });
  const { grad } = mseLoss(y, target, mask);
  const dx = Float64Array.from(lin.backward(grad).data);
  assert.ok(gradCheck(f, lin.params.data, Float64Array.from(lin.params.grad)).maxRelError < TOL);
  assert.ok(gradCheck(f, x, dx).maxRelError < TOL);
});

test('gradCheck Embedding + softmax cross-entropy with mask and ignored targets', () => {
  const emb = new Embedding({ numEmbeddings: 5, embeddingDim: 4, dtype: 'float64', seed: 1 });
  const ids = [0, 3, 3, 1, 4, 3];
  const targets = [1, 0, 3, -1, 2, 3],
    mask = [1, 1, 0.5, 1, 0, 1];
  const f = () => softmaxCrossEntropy(emb.forward(ids, [2, 3]), targets, mask).loss;
  f();
  emb.params.zeroGrad();
  const y = emb.forward(ids, [2, 3]);
  emb.backward(softmaxCrossEntropy(y, targets, mask).grad);
  assert.ok(gradCheck(f, emb.params.data, Float64Array.from(emb.params.grad)).maxRelError < TOL);
});

test('gradCheck last-step-only loss through an LSTM with lengths', () => {
  const m = new LSTM({ inputSize: 2, hiddenSize: 3, dtype: 'float64', seed: 4 });
  const head = new Linear({ inFeatures: 3, outFeatures: 1, dtype: 'float64', seed: 5 });
  const T = 5,
    B = 3,
    lengths = [5, 2, 3],
    x = randn(T * B * 2, 9),
    y = randn(B, 10);
  const f = () => {
    const o = m.forward({ shape: [T, B, 2], data: x }, { lengths });
    return mseLoss(head.forward(lastStep(o.output, lengths)), y).loss;
  };
  f();
  m.zeroGrad();
  head.params.zeroGrad();
  const o = m.forward({ shape: [T, B, 2], data: x }, { lengths });
  const p = head.forward(lastStep(o.output, lengths));
  const dlast = head.backward(mseLoss(p, y).grad);
  m.backward({ output: lastStepBackward(dlast, T, lengths) });
  assert.ok(gradCheck(f, m.params.data, Float64Array.from(m.params.grad)).maxRelError < TOL);
  assert.ok(gradCheck(f, head.params.data, Float64Array.from(head.params.grad)).maxRelError < TOL);
});

test('softmax cross-entropy of uniform logits is ln V', () => {
  const V = 65,
    N = 4;
  const r = softmaxCrossEntropy({ shape: [N, V], data: new Float32Array(N * V) }, [0, 1, 2, 64]);
  assert.ok(Math.abs(r.loss - Math.log(V)) < 1e-6);
});

test('backward accumulates (+=) into parameter gradients', () => {
  const m = new GRU({ inputSize: 2, hiddenSize: 3, dtype: 'float64', seed: 1 });
  const x = { shape: [3, 2, 2], data: randn(12, 1) as FArray };
  const dy = { shape: [3, 2, 3], data: randn(18, 2) as FArray };
  m.forward(x);
  m.backward({ output: dy });
  const once = Float64Array.from(m.params.grad);
  m.forward(x);
  m.backward({ output: dy });
  for (let i = 0; i < once.length; i++) assert.ok(Math.abs(m.params.grad[i]! - 2 * once[i]!) < 1e-12);
});
