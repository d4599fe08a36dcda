/**
 * The browser demo: trains a recurrent net on the adding problem in the page, a few steps per
 * animation frame, and draws the loss, ||dL/dh_t|| over t (from recur-rnn/diagnostics) and the
 * gradient norm before clipping while it trains. The library runs unchanged: the same
 * SequenceModel, Trainer and Diagnostics the CLI uses, on whichever backend is the default.
 * Bundled by scripts/build.mjs (esbuild) into dist/demo/demo.js; window.__demo exposes the
 * progress for the end-to-end test.
 */
import { Adam, Rng, SGD, SequenceModel, Trainer, makeTask, type RecurrentInit } from '../src/index.js';
import { Diagnostics } from '../src/diagnostics/index.js';
import { logTicks, tickLabel } from '../src/report/svg.js';

type Pt = [number, number];
interface Curve {
  points: Pt[];
  color: string;
  label: string;
  dashed?: boolean;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** Draws curves on a canvas: linear x, log10 y, axes with a few labelled ticks. */
function draw(canvas: HTMLCanvasElement, title: string, xLabel: string, curves: Curve[], hline?: number): void {
  const ctx = canvas.getContext('2d')!,
    W = canvas.width,
    H = canvas.height,
    m = { l: 52, r: 10, t: 24, b: 32 };
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, H);
  ctx.fillStyle = '#222';
  ctx.font = '600 12px system-ui';
  ctx.textAlign = 'center';
  ctx.fillText(title, W / 2, 15);
  const all = curves.flatMap((c) => c.points).filter(([x, y]) => Number.isFinite(x) && y > 0 && Number.isFinite(y));
  ctx.strokeStyle = '#999';
  ctx.strokeRect(m.l, m.t, W - m.l - m.r, H - m.t - m.b);
  ctx.font = '11px system-ui';
  ctx.fillStyle = '#444';
  ctx.fillText(xLabel, m.l + (W - m.l - m.r) / 2, H - 4);
  if (!all.length) return;
  let x0 = Math.min(...all.map((p) => p[0])),
    x1 = Math.max(...all.map((p) => p[0]));
  let y0 = Math.min(...all.map((p) => Math.log10(p[1]))),
    y1 = Math.max(...all.map((p) => Math.log10(p[1])));
  if (hline !== undefined) {
    y0 = Math.min(y0, Math.log10(hline));
    y1 = Math.max(y1, Math.log10(hline));
  }
  if (x1 === x0) x1 = x0 + 1;
  if (y1 - y0 < 0.5) {
    y0 -= 0.25;
    y1 += 0.25;
  }
  const X = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const Y = (y: number) => m.t + (1 - (Math.log10(y) - y0) / (y1 - y0)) * (H - m.t - m.b);
  ctx.textAlign = 'right';
  ctx.font = '10px system-ui';
  // At most 8 labelled ticks: every k-th decade when the gradient spans many (report/svg.ts, logTicks).
  for (const v of logTicks(10 ** y0, 10 ** y1, 8)) {
    ctx.strokeStyle = '#eee';
    ctx.beginPath();
    ctx.moveTo(m.l, Y(v));
    ctx.lineTo(W - m.r, Y(v));
    ctx.stroke();
    ctx.fillStyle = '#555';
    ctx.fillText(tickLabel(v), m.l - 4, Y(v) + 3);
  }
  // The end labels sit inside the plot's width (right-aligned at the right end): a centred
  // 10,651 at the edge ran off the canvas and read 1065.
  ctx.textAlign = 'left';
  ctx.fillText(String(Math.round(x0)), m.l, H - m.b + 12);
  ctx.textAlign = 'right';
  ctx.fillText(String(Math.round(x1)), W - m.r, H - m.b + 12);
  ctx.textAlign = 'center';
  if (hline !== undefined) {
    ctx.strokeStyle = '#555';
    ctx.setLineDash([2, 3]);
    ctx.beginPath();
    ctx.moveTo(m.l, Y(hline));
    ctx.lineTo(W - m.r, Y(hline));
    ctx.stroke();
    ctx.setLineDash([]);
  }
  curves.forEach((c, i) => {
    ctx.strokeStyle = c.color;
    ctx.lineWidth = 1.6;
    ctx.setLineDash(c.dashed ? [5, 3] : []);
    ctx.beginPath();
    let first = true;
    for (const [x, y] of c.points) {
      if (!(y > 0) || !Number.isFinite(y)) continue;
      if (first) ctx.moveTo(X(x), Y(y));
      else ctx.lineTo(X(x), Y(y));
      first = false;
    }
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.lineWidth = 1;
    ctx.fillStyle = c.color;
    ctx.textAlign = 'left';
    ctx.fillText(c.label, m.l + 8, m.t + 14 + 13 * i);
  });
}

interface DemoState {
  step: number;
  loss: number;
  running: boolean;
  flowMeasurements: number;
  backend: string;
}
const state: DemoState = { step: 0, loss: NaN, running: false, flowMeasurements: 0, backend: '' };
(window as unknown as { __demo: DemoState }).__demo = state;

let stopRequested = false;

function start(): void {
  const cell = $<HTMLSelectElement>('cell').value as 'rnn' | 'lstm' | 'gru';
  const init = $<HTMLSelectElement>('init').value as RecurrentInit;
  const clip = Number($<HTMLSelectElement>('clip').value);
  const T = Math.max(5, Math.min(200, Math.round(Number($<HTMLInputElement>('T').value)) || 30));
  const hidden = Math.max(2, Math.min(256, Math.round(Number($<HTMLInputElement>('hidden').value)) || 32));
  const seed = Math.round(Number($<HTMLInputElement>('seed').value)) || 0;
  const task = makeTask({ name: 'adding', T });
  const model = new SequenceModel({
    cell,
    inputSize: task.inputSize,
    hiddenSize: hidden,
    outputSize: 1,
    head: 'last',
    loss: 'mse',
    recurrentInit: init,
    nonlinearity: cell === 'rnn' ? (init === 'identity' ? 'relu' : 'tanh') : undefined,
    seed,
  });
  const opt =
    $<HTMLSelectElement>('opt').value === 'sgd'
      ? new SGD(model.params, { lr: 0.1, momentum: 0.9 })
      : new Adam(model.params, { lr: 0.01 });
  const losses: Pt[] = [],
    gnorms: Pt[] = [];
  let firstFlow: Pt[] = [],
    lastFlow: Pt[] = [],
    flowStep = 0;
  const diag = new Diagnostics(model, {
    every: 10,
    window: Math.min(10, T),
    iters: 30,
    onRecord: (r) => {
      const top = r.cores[r.cores.length - 1]!.dhNorms.map((v, t): Pt => [t + 1, v]);
      if (!firstFlow.length) firstFlow = top;
      lastFlow = top;
      flowStep = r.step;
      state.flowMeasurements++;
    },
  });
  const trainer = new Trainer(model, opt, { clipNorm: clip > 0 ? clip : undefined, onStep: diag.onStep });
  const rng = new Rng(seed + 1);
  Object.assign(state, { step: 0, loss: NaN, running: true, flowMeasurements: 0, backend: model.rnn.backend.name });
  stopRequested = false;
  $<HTMLButtonElement>('start').disabled = true;
  $<HTMLButtonElement>('stop').disabled = false;
  const label =
    `${cell}${cell === 'rnn' && init === 'identity' ? ' (ReLU)' : ''}, init ${init}, clip ` +
    `${clip || 'off'}, T=${T}, H=${hidden}`;
  let avg = 0,
    n = 0;
  const tick = () => {
    const t0 = performance.now();
    while (performance.now() - t0 < 40) {
      // about 40 ms of training per frame keeps the page responsive
      const info = trainer.train(task.batch(rng, 16));
      avg += info.loss;
      n++;
      gnorms.push([trainer.step, info.gradNorm]);
      if (trainer.step % 5 === 0) {
        losses.push([trainer.step, avg / n]);
        state.loss = avg / n;
        avg = 0;
        n = 0;
      }
    }
    state.step = trainer.step;
    $('status').textContent =
      `${label}: step ${trainer.step}, loss ${state.loss.toFixed(4)} (predicting the mean: 0.1667), clip ` +
      `events ${trainer.clipEvents}, backend ${state.backend}`;
    draw(
      $<HTMLCanvasElement>('loss'),
      'training loss (MSE)',
      'step',
      [{ points: losses, color: '#1f77b4', label: 'loss' }],
      1 / 6,
    );
    draw($<HTMLCanvasElement>('flow'), `||dL/dh_t|| over t (step 1 dashed, step ${flowStep})`, 'time step t', [
      { points: firstFlow, color: '#d62728', label: 'step 1', dashed: true },
      { points: lastFlow, color: '#2ca02c', label: `step ${flowStep}` },
    ]);
    draw(
      $<HTMLCanvasElement>('gnorm'),
      'gradient norm before clipping',
      'step',
      [{ points: gnorms, color: '#9467bd', label: '||g||' }],
      clip > 0 ? clip : undefined,
    );
    if (stopRequested) {
      state.running = false;
      $<HTMLButtonElement>('start').disabled = false;
      $<HTMLButtonElement>('stop').disabled = true;
      return;
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

$('start').addEventListener('click', start);
$('stop').addEventListener('click', () => {
  stopRequested = true;
});
if (new URLSearchParams(location.search).has('autostart')) start();
