// recur against PyTorch (fixtures/torch_recurrent.json, written by scripts/make_torch_fixtures.py):
// outputs, final states and every gradient at 1e-5 relative in float32, on every backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GRU, LSTM, RNN, type RecurrentStack, listBackends } from 'recur-rnn';
import { readJSON, relErr } from '../helpers.js';

interface Case {
  mode: 'rnn' | 'lstm' | 'gru';
  nonlinearity?: 'tanh' | 'relu';
  I: number;
  H: number;
  L: number;
  bi: boolean;
  T: number;
  B: number;
  lengths?: number[];
  x: number[];
  h0: number[];
  c0?: number[];
  R_out: number[];
  R_h: number[];
  R_c?: number[];
  output: number[];
  h_n: number[];
  c_n?: number[];
  dx: number[];
  dh0: number[];
  dc0?: number[];
  state_dict: Record<string, { shape: number[]; data: number[] }>;
  grads: Record<string, number[]>;
}

const fx = readJSON<{ torch_version: string; cases: Case[] }>('fixtures/torch_recurrent.json');
const TOL = 1e-5;
let worst = 0;

for (const backend of listBackends())
  for (const c of fx.cases) {
    const label =
      `[${backend}] ${c.mode}${c.nonlinearity ? `(${c.nonlinearity})` : ''} L=${c.L}` +
      `${c.bi ? ' bidirectional' : ''}${c.lengths ? ` lengths=${c.lengths}` : ''}`;
    test(`matches PyTorch ${fx.torch_version}: ${label}`, () => {
      const o = { inputSize: c.I, hiddenSize: c.H, numLayers: c.L, bidirectional: c.bi, backend };
      const m: RecurrentStack =
        c.mode === 'rnn'
          ? new RNN({ ...o, nonlinearity: c.nonlinearity })
          : c.mode === 'lstm'
            ? new LSTM(o)
            : new GRU(o);
      m.loadStateDict(c.state_dict);
      const D = c.bi ? 2 : 1,
        S = [c.L * D, c.B, c.H];
      const f = m.forward(
        { shape: [c.T, c.B, c.I], data: Float32Array.from(c.x) },
        {
          h0: { shape: S, data: Float32Array.from(c.h0) },
          c0: c.c0 ? { shape: S, data: Float32Array.from(c.c0) } : undefined,
          lengths: c.lengths,
        },
      );
      const check = (what: string, a: ArrayLike<number>, b: number[]) => {
        const e = relErr(a, b);
        worst = Math.max(worst, e);
        assert.ok(e <= TOL, `${label}: ${what} relative error ${e.toExponential(2)} > ${TOL}`);
      };
      check('output', f.output.data, c.output);
      check('h_n', f.hN.data, c.h_n);
      if (c.c_n) check('c_n', f.cN!.data, c.c_n);
      m.zeroGrad();
      const b = m.backward({
        output: { shape: f.output.shape, data: Float32Array.from(c.R_out) },
        hN: { shape: S, data: Float32Array.from(c.R_h) },
        cN: c.R_c ? { shape: S, data: Float32Array.from(c.R_c) } : undefined,
      });
      check('dx', b.dx.data, c.dx);
      check('dh0', b.dh0.data, c.dh0);
      if (c.dc0) check('dc0', b.dc0!.data, c.dc0);
      const g = m.namedGrads();
      assert.deepEqual(Object.keys(g).sort(), Object.keys(c.grads).sort());
      for (const [k, v] of Object.entries(c.grads)) check(`grad ${k}`, g[k]!.data, v);
    });
  }

test('largest relative error against PyTorch is reported', () => {
  console.log(
    `# largest relative error vs PyTorch over ${fx.cases.length} cases x ${listBackends().join(', ')}: ` +
      `${worst.toExponential(3)}`,
  );
  assert.ok(worst <= TOL);
});
