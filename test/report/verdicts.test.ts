// The lecture's table and closing paragraph are drawn from the rows: verdicts by the metric against
// its baseline, and each conclusion stated only when a measured row bears it out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conclusions, lectureText, outcome, verdict } from 'recur-rnn/report';

const row = (id: string, label: string, task: string, o: Record<string, unknown>) => ({
  task,
  T: 30,
  model: `${id}) ${label}`,
  model_id: id,
  label,
  steps: 2000,
  eval_sequences: 10000,
  ...(task === 'adding' ? { baseline: 1 / 6 } : { chance_error: 0.75, baseline: Math.log(4) }),
  ...o,
});
const adding = (id: string, label: string, mse: number, solvedAt: number | null = null) =>
  row(id, label, 'adding', {
    mse,
    error_rate: mse > 0.05 ? 0.6 : 0.005,
    success: solvedAt !== null,
    solved_at: solvedAt,
  });
const order = (id: string, label: string, wrong: number, solvedAt: number | null = null) =>
  row(id, label, 'order', { error_rate: wrong, success: solvedAt !== null, solved_at: solvedAt });

const LECTURE = [
  adding('a', 'tanh-RNN', 0.1665),
  adding('b', 'tanh-RNN + clip + orth', 0.12),
  adding('c', 'IRNN', 0.05),
  adding('d', 'LSTM', 0.002, 1400),
  adding('e', 'GRU', 0.003, 900),
  order('a', 'tanh-RNN', 0.742),
  order('b', 'tanh-RNN + clip + orth', 0, 200),
  order('c', 'IRNN', 0.2),
  order('d', 'LSTM', 0, 300),
  order('e', 'GRU', 0.001, 400),
];

test('verdicts: solved, at the baseline or chance, learned, a little, failed', () => {
  assert.equal(verdict(LECTURE[0]!), 'learned nothing in 2,000 steps: at the baseline');
  assert.equal(verdict(LECTURE[5]!), 'learned nothing in 2,000 steps: at chance');
  assert.equal(verdict(LECTURE[3]!), 'solved at step 1,400');
  assert.equal(verdict(LECTURE[2]!), 'learned but not solved in 2,000 steps (70% below the baseline)');
  assert.equal(verdict(LECTURE[1]!), 'learned a little in 2,000 steps (28% below the baseline)');
  assert.equal(outcome({ ...LECTURE[0]!, loss: Number.NaN }), 'diverged');
  assert.equal(verdict({ task: 'order', T: 30, model: 'a', error: 'exit 1: boom' }), 'failed: exit 1: boom');
});

test('the table has a baseline column and says when each run was solved', () => {
  const t = lectureText(LECTURE);
  assert.match(t, /\| task +\| model +\| baseline +\| result on fresh sequences +\| solved +\| verdict/);
  assert.match(
    t,
    /\| adding \(T=30\) \| tanh-RNN +\| MSE 0\.167 +\| MSE 0\.1665 \(60\.0% wrong\) +\| no \(2,000 steps\)/,
  );
  assert.match(t, /\| order \(T=30\) +\| tanh-RNN \+ clip \+ orth \| 75% wrong +\| 0\.0% wrong +\| at step 200 /);
});

test('the closing paragraph states the lecture only as far as the rows measured it', () => {
  const c = conclusions(LECTURE);
  assert.match(c, /The plain tanh-RNN \(SGD with momentum, no clipping\) solved nothing/);
  assert.match(c, /rescued order T=30 at step 200, where the plain tanh-RNN failed/);
  assert.match(c, /The IRNN \(ReLU, identity W_hh\) learned adding T=30: MSE 0\.0500 against MSE 0\.167 and order/);
  assert.match(c, /LSTM and GRU solved adding T=30 \(LSTM at step 1,400 and GRU at step 900\) and order T=30 \(/);
  assert.match(c, /failure is one of training/);
  // When the rows say otherwise, the claims are not made.
  const other = LECTURE.map((r) =>
    r.model_id === 'a' && r.task === 'order' ? { ...r, error_rate: 0.004, success: true, solved_at: 1500 } : r,
  );
  const o = conclusions(other);
  assert.doesNotMatch(o, /solved nothing/);
  assert.match(o, /The plain tanh-RNN solved order T=30 at step 1,500 but not adding T=30/);
  assert.doesNotMatch(o, /rescued/);
  assert.doesNotMatch(o, /failure is one of training/);
  const gatedFail = LECTURE.map((r) => (r.model_id === 'd' || r.model_id === 'e' ? { ...r, success: false } : r));
  assert.match(conclusions(gatedFail), /Neither gated net solved a task in its budget/);
  assert.equal(conclusions([]), '');
});
