// Whole training runs against PyTorch (fixtures/torch_trajectories.json, written by
// scripts/make_trajectory_fixtures.py): from PyTorch's initial weights, on PyTorch's batches,
// recur's loss and gradient norm equal PyTorch's after every step, float64 to 1e-9 relative
// over the first 100 steps, float32 to 1e-4 over the first 50 (on every backend), and so do
// the parameters after those steps. LSTM, GRU, tanh and ReLU RNN; MSE and cross-entropy on the
// last step; Adam + clipping and SGD with momentum + clipping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Adam, type Batch, type DType, SGD, SequenceModel, Trainer, listBackends } from 'recur-rnn';
import { readJSON } from '../helpers.js';

interface Case {
  cell: 'lstm' | 'gru' | 'rnn';
  nonlinearity: 'tanh' | 'relu' | null;
  loss: 'mse' | 'xent';
  init: string;
  optimizer: { type: 'adam' | 'sgd'; lr: number; momentum?: number };
  clip_norm: number;
  dtype: DType;
  steps: number;
  clipped_steps: number;
  loss_f64: string;
  grad_norm_f64: string;
  check_steps: number;
  /** How far PyTorch drifts from itself started one ulp away, over the checked steps. */
  twin_drift: number;
  params_after_check: string;
}
interface Fixture {
  torch_version: string;
  T: number;
  B: number;
  H: number;
  steps: number;
  data: {
    mse: { I: number; O: number; x_u8: string; x_scale: number; y_f64: string };
    xent: { I: number; O: number; ids_u8: string; y_u8: string };
  };
  inits: Record<string, { names: string[]; shapes: number[][]; f32: string }>;
  cases: Case[];
}

const fx = readJSON<Fixture>('fixtures/torch_trajectories.json');
const TOL: Record<DType, number> = { float64: 1e-9, float32: 1e-4 };

function bytes(b64: string): Uint8Array {
  const buf = Buffer.from(b64, 'base64');
  return new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}
const f64 = (s: string) => new Float64Array(bytes(s).buffer);
const f32 = (s: string) => new Float32Array(bytes(s).buffer);

/** The fixture's batches, exact in either precision (inputs are multiples of 1/128). */
function batches(loss: 'mse' | 'xent', dtype: DType): Batch[] {
  const { T, B, steps } = fx;
  const Arr = dtype === 'float64' ? Float64Array : Float32Array;
  const out: Batch[] = [];
  if (loss === 'mse') {
    const d = fx.data.mse,
      x = bytes(d.x_u8),
      y = f64(d.y_f64),
      n = T * B * d.I;
    for (let s = 0; s < steps; s++) {
      const xs = new Arr(n);
      for (let i = 0; i < n; i++) xs[i] = x[s * n + i]! / d.x_scale;
      out.push({ T, B, x: xs, y: y.slice(s * B, (s + 1) * B) });
    }
  } else {
    const d = fx.data.xent,
      ids = bytes(d.ids_u8),
      y = bytes(d.y_u8);
    for (let s = 0; s < steps; s++) {
      const x = new Arr(T * B * d.I);
      for (let i = 0; i < T * B; i++) x[i * d.I + ids[s * T * B + i]!] = 1; // one-hot, time-major
      out.push({ T, B, x, y: Float32Array.from(y.subarray(s * B, (s + 1) * B)) });
    }
  }
  return out;
}

function stateDict(key: string): Record<string, { shape: number[]; data: Float32Array }> {
  const init = fx.inits[key]!,
    flat = f32(init.f32),
    sd: Record<string, { shape: number[]; data: Float32Array }> = {};
  let o = 0;
  init.names.forEach((name, i) => {
    const shape = init.shapes[i]!,
      n = shape.reduce((a, b) => a * b, 1);
    sd[name] = { shape, data: flat.subarray(o, o + n) };
    o += n;
  });
  return sd;
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

test('the trajectory fixtures cover every cell, loss, optimiser and precision, with clipping', () => {
  const seen = new Set(
    fx.cases.map((c) => `${c.cell}${c.nonlinearity ?? ''}/${c.loss}/${c.optimizer.type}/${c.dtype}`),
  );
  assert.equal(seen.size, 4 * 2 * 2 * 2);
  // clipping is exercised within the checked steps of most runs, not only after them
  const clippedEarly = fx.cases.filter((c) => {
    const g = f64(c.grad_norm_f64);
    return g.subarray(0, c.check_steps).some((v) => v > c.clip_norm);
  });
  assert.ok(clippedEarly.length >= fx.cases.length / 2, `${clippedEarly.length} of ${fx.cases.length}`);
  // each run is well-conditioned over the checked steps: PyTorch started one ulp away stays
  // within a tenth of the tolerance, so a mismatch is recur's, not rounding amplified by chaos
  for (const c of fx.cases) assert.ok(c.twin_drift <= TOL[c.dtype] / 10, `${c.init} twin drift ${c.twin_drift}`);
});

for (const c of fx.cases) {
  const backends = c.dtype === 'float64' ? ['ts'] : listBackends();
  for (const backend of backends) {
    const label =
      `${c.cell}${c.nonlinearity ? `(${c.nonlinearity})` : ''} ${c.loss} ${c.optimizer.type}+clip ` +
      `${c.dtype} [${backend}]`;
    test(`trains like PyTorch ${fx.torch_version} for ${c.check_steps} steps: ${label}`, () => {
      const d = fx.data[c.loss];
      const model = new SequenceModel(
        {
          cell: c.cell,
          inputSize: d.I,
          hiddenSize: fx.H,
          outputSize: d.O,
          head: 'last',
          loss: c.loss,
          nonlinearity: c.nonlinearity ?? undefined,
          dtype: c.dtype,
        },
        backend,
      );
      model.params.loadStateDict(stateDict(c.init));
      const o = c.optimizer;
      const opt =
        o.type === 'adam'
          ? new Adam(model.params, { lr: o.lr })
          : new SGD(model.params, { lr: o.lr, momentum: o.momentum });
      const trainer = new Trainer(model, opt, { clipNorm: c.clip_norm, nonFinite: 'strict' });
      const data = batches(c.loss, c.dtype),
        wantLoss = f64(c.loss_f64),
        wantNorm = f64(c.grad_norm_f64),
        tol = TOL[c.dtype];
      let worst = 0;
      for (let s = 0; s < c.check_steps; s++) {
        const info = trainer.train(data[s]!);
        const eL = rel(info.loss, wantLoss[s]!),
          eG = rel(info.gradNorm, wantNorm[s]!);
        worst = Math.max(worst, eL, eG);
        assert.ok(
          eL <= tol && eG <= tol,
          `${label} step ${s + 1}: loss ${info.loss} vs ${wantLoss[s]} (rel ${eL.toExponential(2)}), ` +
            `grad norm ${info.gradNorm} vs ${wantNorm[s]} (rel ${eG.toExponential(2)}); tolerance ${tol}`,
        );
      }
      // the parameters after the checked steps, relative to the largest parameter
      const want = c.dtype === 'float64' ? f64(c.params_after_check) : f32(c.params_after_check);
      const got = model.params.data;
      assert.equal(got.length, want.length);
      let num = 0,
        den = 0;
      for (let i = 0; i < want.length; i++) {
        num = Math.max(num, Math.abs(got[i]! - want[i]!));
        den = Math.max(den, Math.abs(want[i]!));
      }
      assert.ok(num / den <= tol, `${label}: parameters after ${c.check_steps} steps differ by ${num / den} relative`);
      // how long the agreement lasts beyond the checked steps (reported, not asserted: rounding
      // differences between any two implementations grow once training is chaotic)
      let agree = c.check_steps;
      for (let s = c.check_steps; s < c.steps; s++) {
        const info = trainer.train(data[s]!);
        if (rel(info.loss, wantLoss[s]!) > tol || rel(info.gradNorm, wantNorm[s]!) > tol) break;
        agree = s + 1;
      }
      console.log(
        `# ${label}: worst relative error ${worst.toExponential(2)} over ${c.check_steps} steps ` +
          `(PyTorch's one-ulp twin: ${c.twin_drift.toExponential(1)}); within ${tol} for ${agree} of ${c.steps} steps`,
      );
    });
  }
}
