// The task generators against the learning benchmark's definitions (bench/peers/learn_bench.py,
// the anchors' protocol): statistics of 20,000 sequences of each, written by
// scripts/make_distribution_fixtures.py (fixtures/torch_distributions.json). Same input layout,
// same positions (the same support, frequencies within 5 standard errors), same symbol and
// value distributions, same targets as functions of the inputs; and the scores the benchmark
// solves by (test MSE, error rate) as evaluateTask reports them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, SequenceModel, evaluateTask, makeTask } from 'recur-rnn';
import { readJSON } from '../helpers.js';

interface Moments {
  n: number;
  mean: number;
  var: number;
  m4: number;
  min: number;
  max: number;
  percentiles: number[];
}
interface TaskStats {
  task: 'adding' | 'order';
  T: number;
  n: number;
  input_size: number;
  output_size: number;
  first_hist: number[];
  second_hist: number[];
  values?: Moments;
  target?: Moments;
  distractor_hist?: number[];
  class_hist?: number[];
}
const fx = readJSON<{ percentiles: number[]; tasks: TaskStats[] }>('fixtures/torch_distributions.json');

/** Same support, and every bin's frequency within 5 standard errors of the peer's. */
function sameHistogram(what: string, got: number[], want: number[]): void {
  assert.equal(got.length, want.length, `${what}: bins`);
  const n = got.reduce((a, b) => a + b, 0),
    m = want.reduce((a, b) => a + b, 0);
  got.forEach((g, i) => {
    const w = want[i]!;
    assert.equal(g > 0, w > 0, `${what}: bin ${i} has ${g} here and ${w} in learn_bench`);
    const p = (g + w) / (n + m),
      se = Math.sqrt(p * (1 - p) * (1 / n + 1 / m));
    assert.ok(Math.abs(g / n - w / m) <= 5 * se + 1e-12, `${what}: bin ${i} frequency ${g / n} vs ${w / m}`);
  });
}

/** Mean and variance within 5 standard errors, extremes within the peer's range, KS on its percentiles. */
function sameDistribution(what: string, xs: Float64Array, e: Moments): void {
  const x = xs.slice().sort(),
    n = x.length,
    m = e.n;
  let mean = 0;
  for (const v of x) mean += v / n;
  let v2 = 0;
  for (const v of x) v2 += (v - mean) ** 2 / n;
  assert.ok(Math.abs(mean - e.mean) <= 5 * Math.sqrt(e.var / n + e.var / m), `${what}: mean ${mean} vs ${e.mean}`);
  assert.ok(Math.abs(v2 - e.var) <= 5 * Math.sqrt((e.m4 - e.var ** 2) * (1 / n + 1 / m)), `${what}: var ${v2}`);
  const range = e.max - e.min;
  assert.ok(
    x[0]! >= e.min - 0.01 * range && x[n - 1]! <= e.max + 0.01 * range,
    `${what}: range [${x[0]}, ${x[n - 1]}]`,
  );
  let ks = 0;
  fx.percentiles.forEach((p, i) => {
    const q = e.percentiles[i]!;
    let a = 0,
      b = n;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (x[mid]! <= q) a = mid + 1;
      else b = mid;
    }
    ks = Math.max(ks, Math.abs(a / n - p / 100));
  });
  const crit = Math.sqrt(-Math.log(1e-5 / 2) / 2) * Math.sqrt((n + m) / (n * m));
  assert.ok(ks <= crit, `${what}: KS distance ${ks.toFixed(4)} > ${crit.toFixed(4)}`);
}

for (const s of fx.tasks) {
  test(`${s.task} T=${s.T} generates learn_bench.py's sequences (statistics of ${s.n})`, () => {
    const task = makeTask({ name: s.task, T: s.T });
    assert.equal(task.inputSize, s.input_size);
    assert.equal(task.outputSize, s.output_size);
    assert.equal(task.head, 'last');
    assert.equal(task.loss, s.task === 'adding' ? 'mse' : 'xent');
    const N = s.n,
      T = s.T,
      F = s.input_size;
    const b = task.batch(new Rng(1000 + T), N);
    assert.equal(b.T, T);
    const first = new Array<number>(T).fill(0),
      second = new Array<number>(T).fill(0);
    if (s.task === 'adding') {
      const vals = new Float64Array(T * N),
        y = Float64Array.from(b.y);
      for (let j = 0; j < N; j++) {
        const marks: number[] = [];
        for (let t = 0; t < T; t++) {
          vals[j * T + t] = b.x[(t * N + j) * F]!;
          const mk = b.x[(t * N + j) * F + 1]!;
          assert.ok(mk === 0 || mk === 1);
          if (mk === 1) marks.push(t);
        }
        assert.equal(marks.length, 2, 'exactly two markers');
        first[marks[0]!]!++;
        second[marks[1]!]!++;
        const sum = b.x[(marks[0]! * N + j) * F]! + b.x[(marks[1]! * N + j) * F]!;
        assert.ok(Math.abs(sum - y[j]!) < 1e-6, 'target = sum of the marked values');
      }
      sameDistribution('values', vals, s.values!);
      sameDistribution('target', y, s.target!);
    } else {
      const distract = new Array<number>(6).fill(0),
        cls = new Array<number>(4).fill(0);
      for (let j = 0; j < N; j++) {
        const ab: number[] = [];
        for (let t = 0; t < T; t++) {
          let k = -1;
          for (let f = 0; f < F; f++) {
            const v = b.x[(t * N + j) * F + f]!;
            assert.ok(v === 0 || v === 1);
            if (v === 1) {
              assert.equal(k, -1, 'one-hot');
              k = f;
            }
          }
          if (k < 2) ab.push(t);
          else distract[k]!++;
        }
        assert.equal(ab.length, 2, 'exactly two of A, B');
        first[ab[0]!]!++;
        second[ab[1]!]!++;
        const s1 = b.x[(ab[0]! * N + j) * F + 1]!,
          s2 = b.x[(ab[1]! * N + j) * F + 1]!; // 1 for B, 0 for A
        assert.equal(b.y[j], 2 * s1 + s2, 'class = 2*s1 + s2');
        cls[b.y[j]!]!++;
      }
      sameHistogram('distractors', distract, s.distractor_hist!);
      sameHistogram('classes', cls, s.class_hist!);
    }
    sameHistogram('first position', first, s.first_hist);
    sameHistogram('second position', second, s.second_hist);
  });
}

test("evaluateTask reports learn_bench's solve scores: test MSE (adding) and error rate (order)", () => {
  for (const name of ['adding', 'order'] as const) {
    const task = makeTask({ name, T: 12 });
    const m = new SequenceModel({
      cell: 'gru',
      inputSize: task.inputSize,
      hiddenSize: 8,
      outputSize: task.outputSize,
      head: 'last',
      loss: task.loss,
      seed: 3,
    });
    const r = evaluateTask(task, m, { n: 300, seed: 5, batch: 128 });
    // the same 300 sequences scored by hand, as learn_bench.metric does
    const rng = new Rng(5);
    let sq = 0,
      wrong = 0,
      sqWrong = 0,
      done = 0;
    while (done < 300) {
      const B = Math.min(128, 300 - done),
        b = task.batch(rng, B),
        p = m.predict(b).data;
      for (let i = 0; i < B; i++) {
        if (name === 'adding') {
          const e = (p[i]! - b.y[i]!) ** 2;
          sq += e;
          if (e > 0.04) sqWrong++;
        } else {
          let k = 0;
          for (let c = 1; c < 4; c++) if (p[i * 4 + c]! > p[i * 4 + k]!) k = c;
          if (k !== b.y[i]) wrong++;
        }
      }
      done += B;
    }
    if (name === 'adding') {
      assert.ok(Math.abs(r.mse! - sq / 300) < 1e-12, 'mse = mean squared error over the test sequences');
      assert.equal(r.errorRate, sqWrong / 300); // recur's criterion: squared error > 0.04
    } else assert.equal(r.errorRate, wrong / 300);
  }
});
