// Axes that read at a glance: log axes label values between the decades, legends sit below the
// plot, a heatmap's grey cells are explained, and no axis carries more than 8 labels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heatmap, lineChart, logTicks, tickLabel } from 'recur-rnn/report';

test('log ticks: 0.15-0.3 reads 0.15, 0.2, 0.25, 0.3; decades when wide; never more than 8', () => {
  assert.deepEqual(logTicks(0.15, 0.3), [0.15, 0.2, 0.25, 0.3]);
  assert.deepEqual(logTicks(0.01, 1), [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1]);
  assert.deepEqual(logTicks(1e-5, 1), [1e-5, 1e-4, 1e-3, 0.01, 0.1, 1]);
  for (const [lo, hi] of [
    [1e-30, 1],
    [1e-12, 1e3],
    [0.161, 0.169],
    [2, 3],
    [0.9, 1.1],
  ] as const) {
    const t = logTicks(lo, hi);
    assert.ok(t.length >= 2 && t.length <= 8, `${lo}-${hi}: ${t}`);
    for (const v of t) assert.ok(v >= lo * 0.999 && v <= hi * 1.001, `${v} outside ${lo}-${hi}`);
  }
  assert.equal(tickLabel(0.15), '0.15');
  assert.equal(tickLabel(2e-5), '2e-5');
  assert.equal(tickLabel(300), '300');
});

test('a log chart labels its intermediate ticks and keeps its legend below the plot', () => {
  const pts = (k: number): [number, number][] => Array.from({ length: 20 }, (_, i) => [i, 0.15 + (0.15 * i) / 19 + k]);
  const svg = lineChart(
    [
      { name: 'tanh-RNN + clip + orth', points: pts(0) },
      { name: 'LSTM', points: pts(0.01) },
    ],
    { title: 'loss', logY: true, height: 250 },
  );
  for (const l of ['0.15', '0.2', '0.3']) assert.match(svg, new RegExp(`class="tk">${l}</text>`));
  const plotBottom = 250 - 38; // height minus the bottom margin
  const legendY = [...svg.matchAll(/<g transform="translate\([\d.]+ ([\d.]+)\)"><line/g)].map((m) => Number(m[1]));
  assert.equal(legendY.length, 2);
  for (const y of legendY) assert.ok(y > plotBottom, `legend at y=${y} overlaps the plot (bottom ${plotBottom})`);
  assert.match(svg, /height="(\d+)"/);
  assert.ok(Number(/height="(\d+)"/.exec(svg)![1]) > 250, 'the chart grows to hold its legend');
});

test("a heatmap's grey cells are explained in its legend, and only when there are some", () => {
  const full = heatmap([[1e-3, 1e-2, 0.1]], [1], { title: 'h', xLabel: 't', yLabel: 's' });
  assert.doesNotMatch(full, /grey:/);
  const gaps = heatmap(
    [
      [0, 1e-2, 0.1],
      [1e-3, 1e-2],
    ],
    [1, 2],
    {
      title: 'h',
      xLabel: 't',
      yLabel: 's',
      grey: 'no gradient reached this step',
    },
  );
  assert.match(gaps, /grey: no gradient reached this step/);
  assert.match(gaps, /class="tk">0\.01<\/text>/); // the colour bar is labelled with values
});

test('a series of one point (a run solved at its first check) is drawn as a dot, not left invisible', () => {
  const svg = lineChart(
    [
      { name: 'solved at step 100', points: [[100, 0.01]] },
      {
        name: 'two points',
        points: [
          [100, 0.5],
          [200, 0.2],
        ],
      },
    ],
    { title: 't', logY: true },
  );
  assert.equal((svg.match(/<circle/g) ?? []).length, 1);
});
