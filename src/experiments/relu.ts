/**
 * `recur experiment relu`: ReLU against tanh recurrences (the lecture's discussion, question 2:
 * does ReLU trade vanishing gradients for exploding ones?). Over sequence lengths T of a long-lag
 * task (the adding problem by default), the same one-layer net with
 *   tanh-RNN          tanh, PyTorch's default init U(-1/sqrt(H), 1/sqrt(H))
 *   ReLU-RNN          ReLU, the same default init
 *   IRNN              ReLU, W_hh = identity (Le et al. 2015)
 *   IndRNN            h_t = relu(W x_t + u * h_{t-1} + b) (Li et al. 2018), from the cell registry
 *                     (a row whose cell this build lacks is reported as not run, with the model's error)
 * each trained by Adam without clipping (so divergence can show) for `steps` updates, `seeds`
 * seeds per (model, T). Measured: success (< 1% of fresh sequences wrong, the task's criterion),
 * divergence (updates skipped for a non-finite loss or gradient, or a final loss above 10x the
 * trivial predictor's), ||dL/dh_t|| over t and the mean ||h_t|| over t from the diagnostics, at
 * the first update and at the end.
 */
import { SequenceModel } from '../layers/model.js';
import type { SequenceModelConfig } from '../layers/model.js';
import { Adam } from '../train/optim.js';
import { Trainer } from '../train/trainer.js';
import { Rng } from '../random.js';
import { makeTask } from '../tasks/synthetic.js';
import { evaluateTask } from '../train/evaluate.js';
import type { TaskName } from '../tasks/synthetic.js';
import { type DiagRecord, Diagnostics } from '../diagnostics/diagnostics.js';
import { type Series, lineChart } from '../report/svg.js';
import { dataTable } from '../report/page.js';
import { fmt } from '../report/escape.js';
import {
  type Experiment,
  type ExperimentIO,
  type ExperimentResult,
  type Finding,
  type Verdict,
  check,
  optionValues,
  short,
  textTable,
} from './spec.js';

interface ModelRow {
  id: string;
  label: string;
  config: Pick<SequenceModelConfig, 'nonlinearity' | 'recurrentInit'> & { cell: string };
}

/** The rows. Adding a model is a line here. */
export const MODELS: ModelRow[] = [
  { id: 'tanh', label: 'tanh-RNN', config: { cell: 'rnn', nonlinearity: 'tanh' } },
  { id: 'relu', label: 'ReLU-RNN (default init)', config: { cell: 'rnn', nonlinearity: 'relu' } },
  {
    id: 'irnn',
    label: 'IRNN (ReLU, identity init)',
    config: { cell: 'rnn', nonlinearity: 'relu', recurrentInit: 'identity' },
  },
  // IndRNN from the cell registry (its |u| bound is kept by the Trainer through model.constrain).
  { id: 'indrnn', label: 'IndRNN', config: { cell: 'indrnn', nonlinearity: 'relu' } },
];

export interface ReluRun {
  model: string;
  T: number;
  seed: number;
  success: boolean;
  errorRate: number;
  mse: number | null;
  baseline: number;
  finalLoss: number;
  skippedSteps: number;
  diverged: boolean;
  /** ||dL/dh_t||, t = 1..T, at the first update and at the last measurement (seed-wise). */
  dhFirst: number[];
  dhLast: number[];
  /** Mean ||h_t|| over the batch, t = 1..T, same two moments. */
  hFirst: number[];
  hLast: number[];
  /** log10(||dL/dh_1|| / ||dL/dh_T||) at the first update: < 0 vanishing, > 0 exploding back in time. */
  logRatioFirst: number;
  /** The same at the last measurement (after training). */
  logRatioLast: number;
  /** ||dL/dh_1|| was 0 (underflow): the ratio above is an upper bound. */
  underflowFirst: boolean;
  underflowLast: boolean;
}

export interface ReluResult extends ExperimentResult {
  task: string;
  Ts: number[];
  models: { id: string; label: string; ran: boolean; note?: string }[];
  runs: ReluRun[];
}

function build(row: ModelRow, task: ReturnType<typeof makeTask>, H: number, seed: number): SequenceModel {
  return new SequenceModel({
    ...(row.config as SequenceModelConfig),
    inputSize: task.inputSize,
    hiddenSize: H,
    outputSize: task.outputSize,
    head: task.head,
    loss: task.loss,
    seed,
  });
}

/** Whether this build has the row's cell (constructing a tiny model is the test the model itself makes). */
function available(row: ModelRow): string | null {
  try {
    build(row, makeTask({ name: 'adding', T: 2 }), 2, 0);
    return null;
  } catch (e) {
    return `not run: ${(e as Error).message}`;
  }
}

/**
 * log10(||dL/dh_1|| / ||dL/dh_T||). A gradient that vanished below float32's range is exactly 0;
 * it is counted as the smallest positive float32 (1.4e-45), so the ratio is then an upper bound.
 */
const F32_MIN = 1.4e-45;
const log10ratio = (d: number[]) => (d.length ? Math.log10(Math.max(d[0]!, F32_MIN) / d.at(-1)!) : NaN);

function train(row: ModelRow, T: number, seed: number, o: Record<string, any>): ReluRun {
  const task = makeTask({ name: o.task as TaskName, T });
  const model = build(row, task, o.hidden, seed);
  const diag = new Diagnostics(model, { every: Math.max(1, Math.floor(o.steps / 4)), window: Math.min(10, T) });
  const trainer = new Trainer(model, new Adam(model.params, { lr: o.lr }), {
    clipNorm: o.clip > 0 ? o.clip : undefined,
    onStep: diag.onStep,
  });
  const rng = new Rng(seed);
  let last = NaN;
  for (let s = 0; s < o.steps; s++) last = trainer.train(task.batch(rng, o.batch)).loss;
  const ev = evaluateTask(task, model, { n: o.evalN, seed: 1_000_003 + seed });
  const first = diag.records[0],
    end = diag.records.at(-1);
  const core = (r: DiagRecord | undefined) => r?.cores[0];
  const diverged = trainer.skippedSteps > 0 || !Number.isFinite(ev.loss) || ev.loss > 10 * ev.baseline;
  return {
    model: row.id,
    T,
    seed,
    success: ev.success,
    errorRate: ev.errorRate,
    mse: ev.mse ?? null,
    baseline: ev.baseline,
    finalLoss: last,
    skippedSteps: trainer.skippedSteps,
    diverged,
    dhFirst: core(first)?.dhNorms ?? [],
    dhLast: core(end)?.dhNorms ?? [],
    hFirst: core(first)?.saturation.hNorm ?? [],
    hLast: core(end)?.saturation.hNorm ?? [],
    logRatioFirst: log10ratio(core(first)?.dhNorms ?? []),
    logRatioLast: log10ratio(core(end)?.dhNorms ?? []),
    underflowFirst: core(first)?.dhNorms[0] === 0,
    underflowLast: core(end)?.dhNorms[0] === 0,
  };
}

const median = (xs: number[]) => {
  const v = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return v.length ? (v[(v.length - 1) >> 1]! + v[v.length >> 1]!) / 2 : NaN;
};

async function run(o: Record<string, any>, io: ExperimentIO): Promise<ReluResult> {
  for (const k of ['steps', 'batch', 'hidden', 'seeds', 'evalN'])
    check(Number.isInteger(o[k]) && o[k] >= 1, `--${k} must be a positive integer, got ${o[k]}`);
  check(o.lr > 0, `--lr must be > 0`);
  check(o.clip >= 0, `--clip must be >= 0 (0: no clipping)`);
  check(['adding', 'multiplication', 'order'].includes(o.task), `--task must be adding, multiplication or order`);
  const Ts = (o.Ts as string[]).map(Number);
  check(Ts.length > 0 && Ts.every((T) => Number.isInteger(T) && T >= 2), `--Ts must be integers >= 2`);
  const models = MODELS.filter((m) => (o.models as string[]).includes(m.id));
  check(models.length > 0, `--models must name some of ${MODELS.map((m) => m.id).join(', ')}`);
  const info = models.map((m) => {
    const note = available(m);
    return { id: m.id, label: m.label, ran: note === null, ...(note ? { note } : {}) };
  });
  const runs: ReluRun[] = [];
  for (const T of Ts)
    for (const m of models) {
      if (!info.find((i) => i.id === m.id)!.ran) continue;
      for (let k = 0; k < o.seeds; k++) {
        const r = train(m, T, o.seed + k, o);
        runs.push(r);
        io.log(
          `  T=${T} ${m.id} seed ${o.seed + k}: ${r.success ? 'solved' : 'not solved'} (${short(r.errorRate * 100)}% ` +
            `wrong)` +
            `${r.diverged ? `, diverged (${r.skippedSteps} skipped)` : ''}, log10 dh_1/dh_T ${short(r.logRatioFirst)}`,
        );
      }
    }
  const at = (id: string, T?: number) => runs.filter((r) => r.model === id && (T === undefined || r.T === T));
  const Tmax = Math.max(...Ts);
  const underflow = (rs: ReluRun[]) => {
    const n = rs.filter((r) => r.underflowFirst || r.underflowLast).length;
    return n ? ` (in ${n} of these runs ||dL/dh_1|| underflowed to 0 in float32: their ratios are upper bounds)` : '';
  };
  const findings: Finding[] = [];
  const ran = (id: string) => info.find((i) => i.id === id)?.ran;
  if (ran('tanh')) {
    const v = median(at('tanh', Tmax).map((r) => r.logRatioFirst));
    findings.push({
      question: `Does the tanh-RNN's gradient vanish going back in time (T = ${Tmax}, first update)?`,
      verdict: v < -1 ? 'yes' : v > -0.3 ? 'no' : 'inconclusive',
      answer:
        `Median log10(||dL/dh_1|| / ||dL/dh_T||) = ${short(v)} over ${at('tanh', Tmax).length} seeds` +
        `${underflow(at('tanh', Tmax))}.`,
    });
  }
  if (ran('tanh') && ran('relu')) {
    const vt = median(at('tanh', Tmax).map((r) => r.logRatioFirst)),
      vr = median(at('relu', Tmax).map((r) => r.logRatioFirst)),
      vrEnd = median(at('relu', Tmax).map((r) => r.logRatioLast)),
      vtEnd = median(at('tanh', Tmax).map((r) => r.logRatioLast));
    const dt = at('tanh').filter((r) => r.diverged).length,
      dr = at('relu').filter((r) => r.diverged).length;
    const explodes = vr > 1 || vrEnd > 1 || dr > dt;
    const verdict: Verdict = vt < -1 && explodes ? 'yes' : !explodes ? 'no' : 'inconclusive';
    findings.push({
      question: 'Does the default-init ReLU-RNN trade vanishing for exploding gradients?',
      verdict,
      answer:
        `At T = ${Tmax}, median log10(||dL/dh_1|| / ||dL/dh_T||) at the first update: ReLU ${short(vr)}, ` +
        `tanh ${short(vt)}; after training: ReLU ${short(vrEnd)}, tanh ${short(vtEnd)}; ` +
        `runs that diverged (all T): ReLU ${dr}/${at('relu').length}, tanh ${dt}/${at('tanh').length}` +
        `${underflow([...at('relu', Tmax), ...at('tanh', Tmax)])}.`,
    });
  }
  // Hidden states: a ReLU recurrence is unbounded, a tanh one is not (||h|| <= sqrt(H)).
  const growth = (id: string) =>
    median(at(id, Tmax).map((r) => (r.hLast.length ? Math.log10(r.hLast.at(-1)! / r.hLast[0]!) : NaN)));
  const reluIds = ['relu', 'irnn', 'indrnn'].filter((id) => ran(id));
  if (reluIds.length) {
    const g = reluIds.map((id) => [id, growth(id)] as const);
    findings.push({
      question: `After training, do ReLU recurrences' hidden states grow over t (T = ${Tmax}): ||h_T|| > 10 ||h_1||?`,
      verdict: g.some(([, v]) => v > 1) ? 'yes' : g.every(([, v]) => v < 0.5) ? 'no' : 'inconclusive',
      answer:
        'Median log10(||h_T|| / ||h_1||) at the last measurement: ' +
        [...g, ...(ran('tanh') ? [['tanh', growth('tanh')] as const] : [])]
          .map(([id, v]) => `${id} ${short(v)}`)
          .join(', ') +
        '.',
    });
  }
  const label = (id: string) => MODELS.find((m) => m.id === id)!.label;
  for (const [mine, other] of [
    ['irnn', 'tanh'],
    ['irnn', 'relu'],
    ['indrnn', 'tanh'],
    ['indrnn', 'irnn'],
  ] as const)
    if (ran(mine) && ran(other)) {
      const si = at(mine).filter((r) => r.success).length,
        so = at(other).filter((r) => r.success).length;
      findings.push({
        question: `Does ${label(mine)} solve more (T, seed) runs than the ${label(other)}?`,
        verdict: si > so ? 'yes' : si < so ? 'no' : 'inconclusive',
        answer: `Solved: ${mine} ${si}/${at(mine).length}, ${other} ${so}/${at(other).length} (T in ${Ts.join(', ')}).`,
      });
    }
  return {
    experiment: 'relu',
    title: experiment.title,
    question: experiment.question,
    options: optionValues(o, experiment.options),
    findings,
    budget: { unit: 'updates of batch sequences', updates: runs.length * o.steps },
    task: o.task,
    Ts,
    models: info,
    runs,
  };
}

function text(r: ReluResult): string {
  const rows = r.models.map((m) => [
    m.label,
    ...r.Ts.map((T) => {
      if (!m.ran) return 'pending';
      const rs = r.runs.filter((x) => x.model === m.id && x.T === T);
      return (
        `${rs.filter((x) => x.success).length}/${rs.length} solved, ${rs.filter((x) => x.diverged).length} ` +
        `diverged`
      );
    }),
  ]);
  const notes = r.models.filter((m) => !m.ran).map((m) => `${m.label}: ${m.note}`);
  return textTable(['model', ...r.Ts.map((T) => `T=${T}`)], rows) + (notes.length ? `\n${notes.join('\n')}` : '');
}

function sections(r: ReluResult): ReturnType<Experiment['sections']> {
  const Tmax = Math.max(...r.Ts);
  const first = r.models.filter((m) => m.ran).map((m) => r.runs.find((x) => x.model === m.id && x.T === Tmax)!);
  const curve = (vs: number[]): [number, number][] => vs.map((v, t) => [t + 1, v]);
  const dh = (which: 'dhFirst' | 'dhLast'): Series[] =>
    first.map((x) => ({ name: r.models.find((m) => m.id === x.model)!.label, points: curve(x[which]) }));
  const hn: Series[] = first.map((x) => ({
    name: r.models.find((m) => m.id === x.model)!.label,
    points: curve(x.hLast),
  }));
  const success: Series[] = r.models
    .filter((m) => m.ran)
    .map((m) => ({
      name: m.label,
      points: r.Ts.map((T): [number, number] => {
        const rs = r.runs.filter((x) => x.model === m.id && x.T === T);
        return [T, rs.filter((x) => x.success).length / Math.max(1, rs.length)];
      }),
      dots: true,
    }));
  const table = dataTable(
    ['model', ...r.Ts.map((T) => `T=${T}: solved / diverged / runs`)],
    r.models.map((m) => [
      m.label,
      ...r.Ts.map((T) => {
        if (!m.ran) return m.note ?? 'not run';
        const rs = r.runs.filter((x) => x.model === m.id && x.T === T);
        return `${rs.filter((x) => x.success).length} / ${rs.filter((x) => x.diverged).length} / ${rs.length}`;
      }),
    ]),
  );
  const runs = dataTable(
    ['model', 'T', 'seed', 'wrong', 'mse / baseline', 'skipped updates', 'log10 dh_1/dh_T: first update, last'],
    r.runs.map((x) => [
      x.model,
      String(x.T),
      String(x.seed),
      `${fmt(x.errorRate * 100, 3)}%`,
      `${fmt(x.mse)} / ${fmt(x.baseline)}`,
      String(x.skippedSteps),
      `${x.underflowFirst ? '<= ' : ''}${fmt(x.logRatioFirst, 3)}, ` +
        `${x.underflowLast ? '<= ' : ''}${fmt(x.logRatioLast, 3)}`,
    ]),
  );
  return [
    {
      id: 'success',
      title: `Success and divergence on ${r.task}`,
      intro:
        'Solved: under 1% of fresh sequences wrong. Diverged: a skipped (non-finite) update ' +
        'or a final loss above 10x the trivial predictor.',
      html: `<div class="grid">${lineChart(success, { title: 'fraction of seeds solved', xLabel: 'T' })}</div>${table}`,
    },
    {
      id: 'gradients',
      title: `||dL/dh_t|| and ||h_t|| over time (T = ${Tmax}, first seed)`,
      intro:
        'With the loss on the last step, a curve that falls towards t = 1 is a vanishing gradient; ' +
        'one that rises is an exploding one.',
      html:
        '<div class="grid">' +
        lineChart(dh('dhFirst'), { title: '||dL/dh_t|| at the first update', xLabel: 'time step t', logY: true }) +
        lineChart(dh('dhLast'), { title: '||dL/dh_t|| at the last measurement', xLabel: 'time step t', logY: true }) +
        lineChart(hn, { title: 'mean ||h_t|| at the last measurement', xLabel: 'time step t', logY: true }) +
        `</div><details><summary>every run</summary>${runs}</details>`,
    },
  ];
}

export const experiment: Experiment<ReluResult> = {
  name: 'relu',
  title: 'ReLU against tanh recurrences',
  question:
    'Over sequence lengths of a long-lag task, does a ReLU recurrence trade vanishing gradients for exploding ones, ' +
    'and do IRNN (and IndRNN) fix that?',
  options: {
    task: { type: 'string', default: 'adding', help: 'task: adding, multiplication or order' },
    Ts: { type: 'list', default: ['10', '30', '60', '100'], help: 'sequence lengths' },
    models: { type: 'list', default: MODELS.map((m) => m.id), help: `models: ${MODELS.map((m) => m.id).join(', ')}` },
    hidden: { type: 'int', default: 32, help: 'hidden units' },
    steps: { type: 'int', default: 3000, help: 'updates per run (the budget)' },
    batch: { type: 'int', default: 32, help: 'batch' },
    lr: { type: 'number', default: 0.001, help: 'Adam learning rate' },
    clip: { type: 'number', default: 0, help: 'gradient-norm clipping (0: none, so divergence can show)' },
    seeds: { type: 'int', default: 3, help: 'seeds per (model, T)' },
    'eval-n': { type: 'int', default: 1000, help: 'fresh sequences for the final evaluation' },
    seed: { type: 'int', default: 1, help: 'first seed' },
  },
  quick: { Ts: ['5', '10'], steps: 30, seeds: 2, hidden: 8, evalN: 100, batch: 8 },
  run,
  text,
  sections,
};
