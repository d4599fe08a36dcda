/**
 * `recur experiment cliff`: walls between attractors (Pascanu, Mikolov & Bengio 2013, Fig. 6;
 * Hinton's "why is it difficult to train RNNs").
 *
 * A one-unit tanh RNN with no input, run from h_0 for T steps; the loss reads the last state:
 *
 *   h_t = tanh(w h_{t-1} + b),  t = 1..T        L(w, b) = (h_T - target)^2
 *
 * For |w| > 1 the map has two stable fixed points; which one h_T reaches depends on which side
 * of the unstable fixed point h_0 lies, so a small change of (w, b) that moves that point across
 * h_0 changes h_T by O(1): a wall in L, as steep as (w tanh'(.))^T grows. For |w| <= 1
 * (sigma_max(W) <= 1, since |tanh'| <= 1) the Jacobian product cannot grow and no such wall
 * exists (Pascanu et al.'s necessary condition for exploding gradients).
 *
 * Measured: L and |grad L| on a grid over (w, b); from `starts` seeded starting points, plain
 * gradient descent and the same descent with the gradient norm clipped, both for `steps`
 * updates through the library's Trainer (exact BPTT of a SequenceModel, float64). A step is
 * "thrown" when it moves the parameters more than 5 lr clip (five times the longest step the
 * clipped run can take) and raises the loss. sigma_max(W) = |w| for one unit; where each
 * trajectory crosses 1 is recorded.
 */
import { SequenceModel } from '../layers/model.js';
import type { Batch, StepResult } from '../layers/model.js';
import { SGD } from '../train/optim.js';
import { Trainer } from '../train/trainer.js';
import { Rng } from '../random.js';
import { fieldMap } from '../report/field.js';
import { type Series, lineChart } from '../report/svg.js';
import { dataTable } from '../report/page.js';
import { fmt } from '../report/escape.js';
import { type Experiment, type ExperimentResult, type Finding, check, optionValues, short, textTable } from './spec.js';

interface Trajectory {
  /** Parameters before each update and after the last: steps + 1 points. */
  w: number[];
  b: number[];
  /** Loss before each update, and after the last. */
  loss: number[];
  /** Gradient norm before clipping, per update. */
  gradNorm: number[];
  /** Updates whose step was thrown: index, step length, loss before and after. */
  thrown: { step: number; length: number; before: number; after: number; w: number }[];
  /** Updates after which |w| = sigma_max(W) crossed 1. */
  crossings: number[];
  clipEvents: number;
}

interface StartResult {
  w0: number;
  b0: number;
  plain: Trajectory;
  clipped: Trajectory;
}

export interface CliffResult extends ExperimentResult {
  grid: { w: number[]; b: number[]; loss: number[][]; gradNorm: number[][] };
  starts: StartResult[];
  featured: number;
  summary: {
    thrownPlain: number;
    thrownClipped: number;
    solvedPlain: number;
    solvedClipped: number;
    clippedBetter: number;
    plainBetter: number;
    signTestP: number;
    maxGradInside: number;
    maxGradOutside: number;
    thrownFromOutside: number;
    thrownTotal: number;
  };
}

/** The one-unit RNN as a SequenceModel with only w (weight_hh) and b (bias_hh) trained: a Trainable of its own. */
class OneUnit {
  readonly model: SequenceModel;
  readonly batch: Batch;
  private readonly wP;
  private readonly bP;
  private readonly keep: Uint8Array;

  constructor(T: number, h0: number, target: number) {
    this.model = new SequenceModel({
      cell: 'rnn',
      inputSize: 1,
      hiddenSize: 1,
      outputSize: 1,
      head: 'last',
      loss: 'mse',
      initialState: 'learned',
      dtype: 'float64',
      seed: 0,
    });
    const p = this.model.params;
    const set = (name: string, v: number) => p.get(name).data.fill(v);
    set('rnn.weight_ih_l0', 0); // the input is zero anyway
    set('rnn.bias_ih_l0', 0);
    set('rnn.initial_h', h0);
    set('head.weight', 1); // the prediction is h_T itself
    set('head.bias', 0);
    this.wP = p.get('rnn.weight_hh_l0');
    this.bP = p.get('rnn.bias_hh_l0');
    this.keep = new Uint8Array(p.size);
    for (const q of [this.wP, this.bP]) this.keep.fill(1, q.offset, q.offset + q.size);
    this.batch = { T, B: 1, x: new Float64Array(T), y: [target] };
  }

  /** The Trainer's view: the model's parameter store, of which only w and b get gradients. */
  get params() {
    return this.model.params;
  }

  get w(): number {
    return this.wP.data[0]!;
  }
  get b(): number {
    return this.bP.data[0]!;
  }
  set(w: number, b: number): void {
    this.wP.data[0] = w;
    this.bP.data[0] = b;
  }

  /** Loss and gradients with every parameter but w and b frozen (their gradients zeroed). */
  lossAndGrad(batch: Batch): StepResult {
    const r = this.model.lossAndGrad(batch);
    const g = this.model.params.grad;
    for (let i = 0; i < g.length; i++) if (!this.keep[i]) g[i] = 0;
    return r;
  }

  at(w: number, b: number): { loss: number; gradNorm: number } {
    this.set(w, b);
    this.model.params.zeroGrad();
    const r = this.lossAndGrad(this.batch);
    return { loss: r.loss, gradNorm: Math.hypot(this.wP.grad[0]!, this.bP.grad[0]!) };
  }
}

function descend(
  net: OneUnit,
  w0: number,
  b0: number,
  o: { lr: number; clip?: number; steps: number; thrownLength: number },
): Trajectory {
  net.set(w0, b0);
  const trainer = new Trainer(net, new SGD(net.params, { lr: o.lr }), { clipNorm: o.clip });
  const t: Trajectory = { w: [w0], b: [b0], loss: [], gradNorm: [], thrown: [], crossings: [], clipEvents: 0 };
  for (let s = 0; s < o.steps; s++) {
    const info = trainer.train(net.batch);
    t.loss.push(info.loss);
    t.gradNorm.push(info.gradNorm);
    t.w.push(net.w);
    t.b.push(net.b);
    if (Math.abs(t.w[s]!) > 1 !== Math.abs(net.w) > 1) t.crossings.push(s + 1);
  }
  t.loss.push(net.at(net.w, net.b).loss);
  t.clipEvents = trainer.clipEvents;
  for (let s = 0; s < o.steps; s++) {
    const len = Math.hypot(t.w[s + 1]! - t.w[s]!, t.b[s + 1]! - t.b[s]!);
    if (len > o.thrownLength && t.loss[s + 1]! > t.loss[s]!)
      t.thrown.push({ step: s, length: len, before: t.loss[s]!, after: t.loss[s + 1]!, w: t.w[s]! });
  }
  return t;
}

/** Two-sided sign test: P(at least as lopsided as k of n | p = 1/2). */
export function signTest(k: number, n: number): number {
  if (n === 0) return 1;
  const m = Math.max(k, n - k);
  let tail = 0;
  let c = 1; // C(n, 0)
  for (let i = 0; i <= n; i++) {
    if (i >= m) tail += c;
    c = (c * (n - i)) / (i + 1);
  }
  return Math.min(1, (2 * tail) / 2 ** n);
}

function range(lo: number, hi: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}

function pair(v: unknown, name: string): [number, number] {
  const a = (v as string[]).map(Number);
  check(
    a.length === 2 && a.every(Number.isFinite) && a[0]! < a[1]!,
    `--${name} must be two numbers lo,hi with lo < hi`,
  );
  return [a[0]!, a[1]!];
}

async function run(o: Record<string, any>, io: { log(l: string): void }): Promise<CliffResult> {
  check(Number.isInteger(o.T) && o.T >= 1 && o.T <= 10000, `--T must be an integer in 1..10000, got ${o.T}`);
  check(o.lr > 0, `--lr must be > 0, got ${o.lr}`);
  check(o.clip > 0, `--clip must be > 0, got ${o.clip}`);
  check(Number.isInteger(o.steps) && o.steps >= 1, `--steps must be a positive integer, got ${o.steps}`);
  check(Number.isInteger(o.starts) && o.starts >= 1, `--starts must be a positive integer, got ${o.starts}`);
  check(Number.isInteger(o.grid) && o.grid >= 3 && o.grid <= 400, `--grid must be an integer in 3..400, got ${o.grid}`);
  check(Number.isFinite(o.h0) && Math.abs(o.h0) < 1, `--h0 must be in (-1, 1), got ${o.h0}`);
  check(Number.isFinite(o.target), `--target must be a number`);
  const [wLo, wHi] = pair(o.wRange, 'w-range'),
    [bLo, bHi] = pair(o.bRange, 'b-range'),
    [swLo, swHi] = pair(o.startW, 'start-w'),
    [sbLo, sbHi] = pair(o.startB, 'start-b');
  const net = new OneUnit(o.T, o.h0, o.target);

  io.log(`cliff: loss surface on a ${o.grid} x ${o.grid} grid`);
  const ws = range(wLo, wHi, o.grid),
    bs = range(bLo, bHi, o.grid);
  const loss: number[][] = [],
    gradNorm: number[][] = [];
  let maxIn = 0,
    maxOut = 0;
  for (const b of bs) {
    const lr: number[] = [],
      gr: number[] = [];
    for (const w of ws) {
      const r = net.at(w, b);
      lr.push(r.loss);
      gr.push(r.gradNorm);
      if (Math.abs(w) <= 1) maxIn = Math.max(maxIn, r.gradNorm);
      else maxOut = Math.max(maxOut, r.gradNorm);
    }
    loss.push(lr);
    gradNorm.push(gr);
  }

  const rng = new Rng(o.seed);
  const thrownLength = 5 * o.lr * o.clip;
  const starts: StartResult[] = [];
  io.log(`cliff: ${o.starts} starts x 2 runs x ${o.steps} steps`);
  for (let k = 0; k < o.starts; k++) {
    const w0 = rng.range(swLo, swHi),
      b0 = rng.range(sbLo, sbHi);
    starts.push({
      w0,
      b0,
      plain: descend(net, w0, b0, { lr: o.lr, steps: o.steps, thrownLength }),
      clipped: descend(net, w0, b0, { lr: o.lr, clip: o.clip, steps: o.steps, thrownLength }),
    });
  }

  const solvedAt = 1e-3;
  const fin = (t: Trajectory) => t.loss.at(-1)!;
  let clippedBetter = 0,
    plainBetter = 0;
  for (const s of starts) {
    const a = fin(s.clipped),
      p = fin(s.plain);
    if (a < p - 1e-6) clippedBetter++;
    else if (p < a - 1e-6) plainBetter++;
  }
  const thrownEvents = starts.flatMap((s) => s.plain.thrown);
  const summary = {
    thrownPlain: starts.filter((s) => s.plain.thrown.length > 0).length,
    thrownClipped: starts.filter((s) => s.clipped.thrown.length > 0).length,
    solvedPlain: starts.filter((s) => fin(s.plain) < solvedAt).length,
    solvedClipped: starts.filter((s) => fin(s.clipped) < solvedAt).length,
    clippedBetter,
    plainBetter,
    signTestP: signTest(clippedBetter, clippedBetter + plainBetter),
    maxGradInside: maxIn,
    maxGradOutside: maxOut,
    thrownFromOutside: thrownEvents.filter((e) => Math.abs(e.w) > 1).length,
    thrownTotal: thrownEvents.length,
  };
  // The featured start: the first (in seed order) whose plain run was thrown, else the first.
  const featured = Math.max(
    0,
    starts.findIndex((s) => s.plain.thrown.length > 0),
  );

  const S = summary,
    n = starts.length;
  const findings: Finding[] = [
    {
      question: 'Is plain gradient descent thrown off the walls, and clipped descent not?',
      verdict:
        S.thrownPlain === 0 ? 'no' : S.thrownPlain > S.thrownClipped && S.thrownClipped === 0 ? 'yes' : 'inconclusive',
      answer:
        `Of ${n} starts, ${S.thrownPlain} plain runs and ${S.thrownClipped} clipped runs made a step longer than ` +
        `${short(thrownLength)} (5 lr clip) that raised the loss; the longest plain step was ` +
        `${short(Math.max(0, ...thrownEvents.map((e) => e.length)))}.`,
    },
    {
      question: 'Does clipping end at a lower loss from the same start?',
      verdict: S.signTestP < 0.05 ? (S.clippedBetter > S.plainBetter ? 'yes' : 'no') : 'inconclusive',
      answer:
        `After ${o.steps} updates the clipped run ended lower in ${S.clippedBetter} starts, the plain run in ` +
        `${S.plainBetter} (sign test p = ${short(S.signTestP, 2)}); loss under ${solvedAt}: ` +
        `clipped ${S.solvedClipped}/${n}, ` +
        `plain ${S.solvedPlain}/${n}.`,
    },
    {
      question: 'Are the walls where sigma_max(W) = |w| > 1, as Pascanu et al. require for exploding gradients?',
      verdict:
        S.maxGradOutside > 10 * S.maxGradInside
          ? 'yes'
          : S.maxGradOutside < 2 * S.maxGradInside
            ? 'no'
            : 'inconclusive',
      answer:
        `Largest |grad L| on the grid: ${short(S.maxGradInside)} where |w| <= 1, ${short(S.maxGradOutside)} ` +
        `where |w| > 1` +
        (S.thrownTotal ? `; ${S.thrownFromOutside} of the ${S.thrownTotal} thrown steps started at |w| > 1.` : '.'),
    },
  ];
  return {
    experiment: 'cliff',
    title: 'walls in the loss surface of a one-unit RNN',
    question: experiment.question,
    options: optionValues(o, experiment.options),
    findings,
    budget: {
      unit: 'updates (each one forward + BPTT over T steps)',
      updates: 2 * o.starts * o.steps,
      surface_evaluations: o.grid * o.grid,
    },
    thresholds: { thrown_step_length: thrownLength, solved_loss: solvedAt },
    grid: { w: ws, b: bs, loss, gradNorm },
    starts,
    featured,
    summary,
  };
}

function text(r: CliffResult): string {
  const rows = r.starts.map((s, i) => [
    String(i),
    `(${fmt(s.w0, 3)}, ${fmt(s.b0, 3)})`,
    fmt(s.plain.loss.at(-1)),
    String(s.plain.thrown.length),
    fmt(Math.max(...s.plain.gradNorm)),
    fmt(s.clipped.loss.at(-1)),
    String(s.clipped.thrown.length),
    String(s.clipped.clipEvents),
  ]);
  return textTable(
    [
      'start',
      '(w0, b0)',
      'plain final loss',
      'plain thrown',
      'plain max |g|',
      'clipped final loss',
      'clipped thrown',
      'clip events',
    ],
    rows,
  );
}

function sections(r: CliffResult): ReturnType<Experiment['sections']> {
  const f = r.starts[r.featured]!;
  const path = (t: Trajectory): [number, number][] => t.w.map((w, i) => [w, t.b[i]!]);
  const marks = (t: Trajectory) =>
    t.crossings.map((s) => ({
      at: [t.w[s]!, t.b[s]!] as [number, number],
      label: `sigma_max crosses 1 after update ${s}`,
    }));
  const { w, b, loss, gradNorm } = r.grid;
  const featuredMap = fieldMap(
    w,
    b,
    loss,
    [
      { name: `plain GD, start ${r.featured}`, points: path(f.plain), color: '#ff3030', marks: marks(f.plain) },
      { name: 'clipped', points: path(f.clipped), color: '#ffffff', dashed: true, marks: marks(f.clipped) },
    ],
    {
      title: 'loss L(w, b), log colour; x: sigma_max(W) crosses 1',
      xLabel: 'w (= W_hh)',
      yLabel: 'b',
      vlines: [
        { x: 1, label: '|w|=1' },
        { x: -1, label: '' },
      ],
    },
  );
  const all = (which: 'plain' | 'clipped', color: string) =>
    fieldMap(
      w,
      b,
      loss,
      r.starts.map((s, i) => ({
        name: i === 0 ? `${which} (all ${r.starts.length} starts)` : '',
        points: path(s[which]),
        color,
      })),
      {
        title: `every ${which} trajectory`,
        xLabel: 'w',
        yLabel: 'b',
        width: 420,
        height: 340,
        vlines: [{ x: 1, label: '' }],
        maxCells: 61,
      },
    );
  const gmap = fieldMap(w, b, gradNorm, [], {
    maxCells: 81,
    pool: 'max',
    title: '|grad L|, log colour: the walls',
    xLabel: 'w',
    yLabel: 'b',
    width: 420,
    height: 340,
    vlines: [
      { x: 1, label: '|w|=1' },
      { x: -1, label: '' },
    ],
  });
  const steps = (t: Trajectory, y: (i: number) => number, n: number): [number, number][] =>
    Array.from({ length: n }, (_, i) => [i, y(i)]);
  const sigma: Series[] = [
    { name: 'plain', points: steps(f.plain, (i) => Math.abs(f.plain.w[i]!), f.plain.w.length), color: '#d62728' },
    {
      name: 'clipped',
      points: steps(f.clipped, (i) => Math.abs(f.clipped.w[i]!), f.clipped.w.length),
      color: '#1f77b4',
      dashed: true,
    },
  ];
  const vl = [
    ...f.plain.crossings.map((s) => ({ x: s, label: `plain ${s}` })),
    ...f.clipped.crossings.map((s) => ({ x: s, label: `clipped ${s}` })),
  ];
  const lossChart = lineChart(
    [
      { name: 'plain', points: steps(f.plain, (i) => f.plain.loss[i]!, f.plain.loss.length), color: '#d62728' },
      {
        name: 'clipped',
        points: steps(f.clipped, (i) => f.clipped.loss[i]!, f.clipped.loss.length),
        color: '#1f77b4',
        dashed: true,
      },
    ],
    { title: `loss along the featured trajectories (start ${r.featured})`, xLabel: 'update', logY: true },
  );
  const gradChart = lineChart(
    [
      { name: 'plain', points: steps(f.plain, (i) => f.plain.gradNorm[i]!, f.plain.gradNorm.length), color: '#d62728' },
      {
        name: 'clipped (before clipping)',
        points: steps(f.clipped, (i) => f.clipped.gradNorm[i]!, f.clipped.gradNorm.length),
        color: '#1f77b4',
        dashed: true,
      },
    ],
    {
      title: '|grad L| before clipping',
      xLabel: 'update',
      logY: true,
      hlines: [{ y: r.options.clip as number, label: 'clip' }],
    },
  );
  const rows = r.starts.map((s, i) => [
    String(i),
    `(${fmt(s.w0, 3)}, ${fmt(s.b0, 3)})`,
    fmt(s.plain.loss.at(-1)),
    s.plain.thrown
      .map((e) => `update ${e.step}: length ${fmt(e.length, 3)}, loss ${fmt(e.before, 3)} -> ${fmt(e.after, 3)}`)
      .join('; ') || '-',
    s.plain.crossings.join(', ') || '-',
    fmt(s.clipped.loss.at(-1)),
    String(s.clipped.thrown.length),
    s.clipped.crossings.join(', ') || '-',
  ]);
  const sigmaChart = lineChart(sigma, {
    title: 'sigma_max(W_hh) = |w|',
    xLabel: 'update',
    hlines: [{ y: 1, label: '1' }],
    vlines: vl,
  });
  const perStart = dataTable(
    [
      'start',
      '(w0, b0)',
      'plain final loss',
      'plain thrown steps',
      'plain crossings of 1',
      'clipped final loss',
      'clipped thrown',
      'clipped crossings',
    ],
    rows,
  );
  return [
    {
      id: 'surface',
      title: 'The loss surface and the featured trajectories',
      intro:
        'h_t = tanh(w h_(t-1) + b) from h_0 for T steps, L = (h_T - target)^2. Circles: starts; ' +
        'dots: ends; an arrow on the border: ' +
        'the trajectory left the map there. The featured start is the first whose plain run was thrown (else start 0).',
      html: `<div class="grid">${featuredMap}${gmap}</div>`,
    },
    {
      id: 'sigma',
      title: 'sigma_max(W) along the featured trajectories',
      intro: 'For one unit sigma_max(W) = |w|; dashed vertical lines mark the updates after which it crossed 1.',
      html: `<div class="grid">${sigmaChart}${lossChart}${gradChart}</div>`,
    },
    {
      id: 'all',
      title: 'Every start',
      html:
        `<div class="grid">${all('plain', '#ff3030')}${all('clipped', '#ffffff')}</div>` +
        `<details><summary>per start</summary>${perStart}</details>`,
    },
  ];
}

export const experiment: Experiment<CliffResult> = {
  name: 'cliff',
  title: 'walls in the loss surface of a one-unit RNN (Pascanu et al. 2013, Fig. 6)',
  question:
    'Does the loss surface of a recurrent net have walls that throw gradient descent off, does ' +
    'clipping the gradient norm stop that, and do the walls lie where sigma_max(W) > 1?',
  options: {
    T: { type: 'int', default: 20, help: 'time steps' },
    h0: { type: 'number', default: 0.5, help: 'initial state h_0' },
    target: { type: 'number', default: 0.3, help: 'target of h_T' },
    lr: { type: 'number', default: 0.1, help: 'gradient-descent learning rate' },
    clip: { type: 'number', default: 1, help: 'gradient-norm threshold of the clipped runs' },
    steps: { type: 'int', default: 200, help: 'updates per run (the budget)' },
    starts: { type: 'int', default: 100, help: 'starting points (each run plain and clipped)' },
    'start-w': { type: 'list', default: ['0.5', '3.5'], help: 'range of the starting w' },
    'start-b': { type: 'list', default: ['-1.5', '1.5'], help: 'range of the starting b' },
    grid: { type: 'int', default: 121, help: 'grid points per axis of the surface' },
    'w-range': { type: 'list', default: ['-0.5', '4'], help: 'w axis of the map' },
    'b-range': { type: 'list', default: ['-2', '2'], help: 'b axis of the map' },
    seed: { type: 'int', default: 1, help: 'seed of the starting points' },
  },
  quick: { steps: 60, starts: 6, grid: 31 },
  run,
  text,
  sections,
};
