// Streaming inference: stack.step(x_t, state) fed a sequence one step at a time gives what
// forward gives on the whole sequence, for every cell, several layers and both backends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CELL_NAMES, type CellType, RecurrentStack, listBackends } from 'recur-rnn';
import { randn, relErr } from '../helpers.js';

for (const backend of listBackends())
  for (const cell of CELL_NAMES)
    test(`[${backend}] ${cell}.step over a sequence equals forward (2 layers, batch 3)`, () => {
      const T = 12,
        B = 3,
        I = 4,
        H = 37;
      const m = new RecurrentStack(cell as CellType, { inputSize: I, hiddenSize: H, numLayers: 2, seed: 5, backend });
      const x = Float32Array.from(randn(T * B * I, 11));
      const whole = Float32Array.from(m.forward({ shape: [T, B, I], data: x }).output.data);
      let state;
      for (let t = 0; t < T; t++) {
        const r = m.step({ shape: [B, I], data: x.subarray(t * B * I, (t + 1) * B * I) }, state);
        const e = relErr(r.output.data, whole.subarray(t * B * H, (t + 1) * B * H));
        assert.ok(e <= 1e-5, `t=${t}: ${e.toExponential(2)}`);
        assert.deepEqual(r.h.shape, [2, B, H]);
        assert.equal(r.c !== undefined, cell === 'lstm');
        state = r;
      }
    });

test('step: learned initial state, the LSTM state given explicitly, and bad input', () => {
  const m = new RecurrentStack('lstm', { inputSize: 2, hiddenSize: 5, initialState: 'learned', seed: 2 });
  for (let i = 0; i < 5; i++) m.params.get('initial_h')!.data[i] = 0.1 * (i + 1);
  const x = { shape: [1, 2, 2], data: Float32Array.from([0.5, -1, 2, 0.25]) };
  const f = Float32Array.from(m.forward(x).output.data);
  const s = m.step({ shape: [2, 2], data: x.data });
  assert.ok(relErr(s.output.data, f) <= 1e-6);
  const h = { shape: [1, 2, 5], data: new Float32Array(10).fill(0.3) };
  assert.throws(() => m.step({ shape: [2, 2], data: x.data }, { h }), /needs c as well as h/);
  assert.throws(() => m.step({ shape: [2, 3], data: new Float32Array(6) }), /inputSize/);
  assert.throws(() => m.step({ shape: [2, 2], data: Float32Array.from([0, NaN, 0, 0]) }), /not finite|NaN/i);
  const bi = new RecurrentStack('gru', { inputSize: 2, hiddenSize: 3, bidirectional: true });
  assert.throws(() => bi.step({ shape: [1, 2], data: new Float32Array(2) }), /bidirectional/);
});
