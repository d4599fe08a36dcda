// Bad input: every mistake answered by a clear error naming what was expected and what came.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LSTM,
  GRU,
  RNN,
  Linear,
  Embedding,
  tensor,
  ShapeError,
  NonFiniteError,
  mseLoss,
  softmaxCrossEntropy,
} from 'recur-rnn';

test('wrong input shapes', () => {
  const m = new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2 });
  assert.throws(
    () => m.forward(tensor([5, 2, 4])),
    /x \[T, B, inputSize\]: expected shape \[\?, \?, 3\], got \[5, 2, 4\]/,
  );
  assert.throws(() => m.forward(tensor([5, 3])), ShapeError);
  assert.throws(() => m.forward({ shape: [2, 2, 3], data: new Float32Array(5) }), /needs 12 values, but data has 5/);
  assert.throws(
    () => m.forward(tensor([2, 2, 3]), { h0: tensor([1, 2, 4]) }),
    /h0 .*expected shape \[2, 2, 4\], got \[1, 2, 4\]/,
  );
  assert.throws(
    () => new GRU({ inputSize: 1, hiddenSize: 2 }).forward(tensor([2, 1, 1]), { c0: tensor([1, 1, 2]) }),
    /c0 is only for LSTM/,
  );
  assert.throws(() => m.backward(), /backward called before forward/);
  m.forward(tensor([2, 2, 3]));
  assert.throws(() => m.backward({ output: tensor([2, 2, 5]) }), /output gradient: expected shape \[2, 2, 4\]/);
});

test('NaN inputs and gradients', () => {
  const m = new RNN({ inputSize: 2, hiddenSize: 2 });
  const x = tensor([2, 1, 2], [0, 1, NaN, 0]);
  assert.throws(
    () => m.forward(x),
    (e: Error) => e instanceof NonFiniteError && /x: non-finite value NaN at flat index 2/.test(e.message),
  );
  m.forward(tensor([2, 1, 2]));
  assert.throws(() => m.backward({ output: tensor([2, 1, 2], [0, Infinity, 0, 0]) }), NonFiniteError);
});

test('sequence lengths out of range', () => {
  const m = new GRU({ inputSize: 1, hiddenSize: 2 });
  const x = tensor([4, 2, 1]);
  assert.throws(
    () => m.forward(x, { lengths: [4, 5] }),
    /lengths\[1\] = 5 is out of range; expected an integer in 1\.\.4/,
  );
  assert.throws(() => m.forward(x, { lengths: [0, 2] }), /lengths\[0\] = 0/);
  assert.throws(() => m.forward(x, { lengths: [2.5, 2] }), /lengths\[0\] = 2.5/);
  assert.throws(() => m.forward(x, { lengths: [2] }), /one entry per sequence \(B=2\), got 1/);
});

test('wrong state_dict names or shapes', () => {
  const m = new RNN({ inputSize: 2, hiddenSize: 3 });
  const sd = m.stateDict();
  const { bias_hh_l0: _, ...missing } = sd;
  assert.throws(() => m.loadStateDict(missing), /missing: bias_hh_l0/);
  assert.throws(() => m.loadStateDict({ ...sd, extra: tensor([1]) }), /unexpected: extra/);
  assert.throws(
    () => m.loadStateDict({ ...sd, weight_hh_l0: tensor([3, 2]) }),
    /'weight_hh_l0' expected shape \[3, 3\], got \[3, 2\]/,
  );
  assert.throws(
    () => m.loadStateDict({ ...sd, weight_ih_l0: { shape: [3, 2], data: [1, 2] } }),
    /needs 6 values, got 2/,
  );
  assert.throws(() => m.loadStateDict({ ...sd, bias_ih_l0: tensor([3], [0, NaN, 0]) }), /non-finite/);
  const before = m.stateDict();
  assert.throws(() =>
    m.loadStateDict({ ...sd, weight_ih_l0: tensor([3, 2], [9, 9, 9, 9, 9, 9]), bias_ih_l0: tensor([4]) }),
  );
  assert.deepEqual(m.stateDict(), before, 'a failed load changes nothing');
});

test('bad constructor options, ids and targets', () => {
  assert.throws(() => new LSTM({ inputSize: 0, hiddenSize: 2 }), /inputSize must be a positive integer, got 0/);
  assert.throws(
    () => new RNN({ inputSize: 1, hiddenSize: 2, nonlinearity: 'gelu' as never }),
    /nonlinearity must be one of tanh, relu, sigmoid, identity, got 'gelu'/,
  );
  assert.throws(
    () => new GRU({ inputSize: 1, hiddenSize: 2, recurrentInit: 'weird' as never }),
    /unknown recurrent init/,
  );
  assert.throws(
    () => new Embedding({ numEmbeddings: 3, embeddingDim: 2 }).forward([0, 3]),
    /id 3 at position 1 is out of range \[0, 3\)/,
  );
  assert.throws(
    () => new Linear({ inFeatures: 3, outFeatures: 1 }).forward(tensor([2, 4])),
    /expected x of shape \[\.\.\., 3\], got \[2,4\]/,
  );
  assert.throws(() => softmaxCrossEntropy(tensor([2, 3]), [0, 3]), /target 3 at row 1 is out of range \[0, 3\)/);
  assert.throws(() => mseLoss(tensor([2, 1]), [1, 2, 3]), /target has 3 values, prediction \[2,1\] has 2/);
});
