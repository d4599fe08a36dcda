// Quantiles and the Mann-Whitney U test against scipy 1.10.1 / NumPy 1.24 (values computed with
// scipy.stats.mannwhitneyu(x, y), scipy.stats.norm.sf and numpy.percentile) and exact small cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mannWhitneyU, normalSf, quantile } from 'recur-rnn';

const close = (a: number, b: number, rel: number, what: string) =>
  assert.ok(Math.abs(a - b) <= rel * Math.abs(b) + 1e-300, `${what}: ${a} vs ${b}`);

test('normalSf matches scipy.stats.norm.sf to 1e-12 relative, into the far tail', () => {
  const want: [number, number][] = [
    [-3, 0.9986501019683699],
    [-1, 0.8413447460685429],
    [0, 0.5],
    [0.5, 0.3085375387259869],
    [1.96, 0.024997895148220435],
    [2.5, 0.006209665325776132],
    [4, 3.167124183311986e-5],
    [6, 9.865876450376946e-10],
    [9, 1.1285884059538324e-19],
  ];
  for (const [z, p] of want) close(normalSf(z), p, 1e-12, `sf(${z})`);
  assert.equal(normalSf(Infinity), 0);
  assert.equal(normalSf(-Infinity), 1);
});

test('quantile interpolates linearly as numpy.percentile, with censored (Infinity) values', () => {
  assert.deepEqual(
    [0.25, 0.5, 0.75].map((p) => quantile([1, 2, 3, 4, 10], p)),
    [2, 3, 4],
  );
  const c = [200, 300, 300, 400, 500, 700, Infinity];
  assert.deepEqual(
    [0.25, 0.5, 0.75].map((p) => quantile(c, p)),
    [300, 400, 600],
  );
  assert.equal(quantile(c, 0.95), Infinity); // between 700 and a run that never solved
  assert.equal(quantile([5], 0.5), 5);
  assert.throws(() => quantile([], 0.5), RangeError);
  assert.throws(() => quantile([1], 1.5), RangeError);
});

test('mannWhitneyU: the exact null distribution (no ties, small samples) equals scipy and the counting answer', () => {
  // all three x below all three y: U = 0, P = 2 / C(6,3) = 0.1
  let r = mannWhitneyU([1, 2, 3], [4, 5, 6]);
  assert.equal(r.method, 'exact');
  assert.equal(r.U, 0);
  close(r.p, 0.1, 1e-12, '3x3');
  r = mannWhitneyU([1.1, 2.2, 3.3, 4.4], [5.5, 6.6, 7.7]);
  assert.equal(r.U, 0);
  close(r.p, 0.05714285714285714, 1e-12, '4x3'); // 2 / C(7,3)
  r = mannWhitneyU([12, 5, 33, 7, 21, 40, 2, 18], [30, 44, 9, 51, 27, 60, 38, 15]);
  assert.equal(r.U, 14);
  close(r.p, 0.06495726495726495, 1e-12, '8x8');
  // symmetric: swapping the samples keeps p and gives n1*n2 - U
  const s = mannWhitneyU([30, 44, 9, 51, 27, 60, 38, 15], [12, 5, 33, 7, 21, 40, 2, 18]);
  assert.equal(s.U, 64 - 14);
  close(s.p, r.p, 1e-12, 'swapped');
});

test('mannWhitneyU: the normal approximation with ties and censored runs equals scipy', () => {
  const cases: [number[], number[], number, number][] = [
    [
      [3500, 3500, 4600, 200, 400, 400, 1600, 300, 700, 900, 1200, 500],
      [500, 300, 3200, 300, Infinity, 1100, 3600, 700, 600, 800, 2100, 400],
      69,
      0.8849603997240745,
    ],
    [
      [Infinity, Infinity, 9000, 8000, Infinity, 7000, 6500, Infinity, 5000, Infinity, 9100, 8800],
      [300, 500, 200, 200, 400, 300, 500, 300, 200, 600, 700, 300],
      144,
      3.1848927641225144e-5,
    ],
    [
      Array.from({ length: 20 }, (_, i) => (i + 1) * 1.5 + 0.1),
      Array.from({ length: 15 }, (_, i) => (i + 1) * 1.7),
      172.5,
      0.4633238327303355,
    ],
    [[100, 100, 100], new Array(9).fill(100), 13.5, 1],
  ];
  for (const [x, y, U, p] of cases) {
    const r = mannWhitneyU(x, y);
    assert.equal(r.method, 'asymptotic');
    assert.equal(r.U, U);
    close(r.p, p, 1e-9, `U=${U}`);
  }
  assert.throws(() => mannWhitneyU([1, 2], []), RangeError);
  assert.throws(() => mannWhitneyU([1, Number.NaN], [2]), RangeError);
  assert.throws(() => mannWhitneyU([1, 1], [1, 2], { method: 'exact' }), /ties/);
});
