// The classic tasks: determinism, the papers' definitions and baselines, evaluation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, TASKS, makeTask, evaluateTask, SequenceModel } from 'recur-rnn';

test('every task is deterministic under a seed and yields consistent shapes', () => {
  for (const name of TASKS) {
    const task = makeTask({ name, T: 20 });
    const a = task.batch(new Rng(5), 3),
      b = task.batch(new Rng(5), 3);
    assert.deepEqual(a.x, b.x, name);
    assert.deepEqual(a.y, b.y, name);
    assert.equal(a.x.length, a.T * 3 * task.inputSize, name);
    const ylen =
      task.head === 'last'
        ? 3 * (task.loss === 'mse' ? task.outputSize : 1)
        : a.T * 3 * (task.loss === 'mse' ? task.outputSize : 1);
    assert.equal(a.y.length, ylen, name);
    assert.notDeepEqual(task.batch(new Rng(6), 3).x, a.x, name);
  }
});

test('adding: two markers, one in each half, target their sum; baseline 1/6', () => {
  const T = 30,
    B = 200,
    b = makeTask({ name: 'adding', T }).batch(new Rng(1), B);
  let mse1 = 0;
  for (let j = 0; j < B; j++) {
    const marks = [],
      vals = [];
    for (let t = 0; t < T; t++)
      if (b.x[(t * B + j) * 2 + 1] === 1) {
        marks.push(t);
        vals.push(b.x[(t * B + j) * 2]!);
      }
    assert.equal(marks.length, 2);
    assert.ok(marks[0]! < T / 2 && marks[1]! >= T / 2);
    assert.ok(Math.abs(b.y[j]! - vals[0]! - vals[1]!) < 1e-6);
    mse1 += (b.y[j]! - 1) ** 2;
  }
  assert.ok(Math.abs(mse1 / B - 1 / 6) < 0.04);
  assert.ok(Math.abs(makeTask({ name: 'adding', T }).baseline - 0.1667) < 1e-3);
});

test('temporal order: class = pattern of A/B at the marked positions', () => {
  const T = 50,
    B = 50,
    b = makeTask({ name: 'order', T }).batch(new Rng(2), B);
  for (let j = 0; j < B; j++) {
    const syms = [];
    for (let t = 0; t < T; t++) for (let k = 0; k < 2; k++) if (b.x[(t * B + j) * 6 + k] === 1) syms.push({ t, k });
    assert.equal(syms.length, 2);
    assert.ok(syms[0]!.t >= 5 && syms[0]!.t < 10 && syms[1]!.t >= 25 && syms[1]!.t < 30);
    assert.equal(b.y[j], syms[0]!.k * 2 + syms[1]!.k);
  }
  assert.equal(makeTask({ name: 'order3', T }).outputSize, 8);
});

test('copy task: length T+20 and baseline 10 ln 8 / (T+20)', () => {
  const T = 30,
    task = makeTask({ name: 'copy', T }),
    b = task.batch(new Rng(3), 2);
  assert.equal(b.T, T + 20);
  assert.ok(Math.abs(task.baseline - (10 * Math.log(8)) / (T + 20)) < 1e-12);
  for (let t = 0; t < 10; t++)
    assert.equal(b.y[(T + 10 + t) * 2], b.x.subarray(t * 2 * 10, (t * 2 + 1) * 10).indexOf(1));
});

test('embedded Reber strings follow the grammar: the penultimate symbol repeats the second', () => {
  const task = makeTask({ name: 'embedded-reber', T: 40 }),
    B = 20,
    b = task.batch(new Rng(4), B);
  for (let j = 0; j < B; j++) {
    const L = b.lengths![j]!;
    const at = (t: number) => b.x.subarray((t * B + j) * 7, (t * B + j + 1) * 7).indexOf(1);
    assert.equal(at(0), 0); // B
    assert.equal(b.y[(L - 1) * B + j], 6); // ends with E
    assert.equal(b.y[(L - 2) * B + j], at(1)); // the long-range dependency
  }
});

test('evaluateTask reports error rate and success on fresh sequences', () => {
  const task = makeTask({ name: 'adding', T: 10 });
  const m = new SequenceModel({
    cell: 'gru',
    inputSize: 2,
    hiddenSize: 4,
    outputSize: 1,
    head: 'last',
    loss: 'mse',
    seed: 1,
  });
  const r = evaluateTask(task, m, { n: 300, seed: 9 });
  assert.equal(r.sequences, 300);
  assert.ok(r.errorRate > 0.3 && !r.success);
  assert.deepEqual(evaluateTask(task, m, { n: 300, seed: 9 }), r);
  assert.throws(() => makeTask({ name: 'nope' as never, T: 10 }), /unknown task 'nope'/);
  assert.throws(() => makeTask({ name: 'adding', T: 1 }), /T must be an integer >= 2/);
});
