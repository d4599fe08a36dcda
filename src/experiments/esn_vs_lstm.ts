/**
 * `recur experiment esn-vs-lstm`: reservoirs against learned recurrences at equal budget. How
 * many reservoir units does it take to match a small LSTM ("a staggering number"?).
 *
 * Two tasks, each split in time into train / validation / test:
 *   mackey-glass  one-step-ahead prediction of the tau = 17 series (z-scored with the training
 *                 part's mean and std); metric NRMSE (RMSE / std of the truth), lower is better.
 *   chars         next-character prediction on a text (the seeded corpus of corpus.ts, or a
 *                 file); metric: error rate of the most likely next character (lower is better),
 *                 bits/char beside it (the ESN's scores through a softmax whose temperature is
 *                 chosen on validation).
 *
 * LSTM: SequenceModel (dense input, or Embedding(V -> E) for chars) -> LSTM(H) -> Linear every
 * step; Adam, clip 1, `steps` updates on random windows of the training part; evaluated every
 * `eval-every` updates; its learning rate (from `lstm-lrs`) and its checkpoint are chosen on
 * validation. ESN: Reservoir(N) + Ridge readout; leak rate, input scaling and ridge penalty chosen
 * on validation from small grids. Both are scored on the test part with `warmup` steps of
 * context before it (not scored).
 *
 * Equal parameters: trainable ones (LSTM: every weight; ESN: the readout, (N + 1) O).
 * Equal compute: training multiply-adds (compute.ts), counted, not timed; the hyperparameter
 * searches are counted separately. Wall times are recorded and decide nothing.
 */
import { SequenceModel } from '../layers/model.js';
import type { Batch } from '../layers/model.js';
import { Adam } from '../train/optim.js';
import { Trainer } from '../train/trainer.js';
import { Rng } from '../random.js';
import { mackeyGlass } from '../tasks/chaos.js';
import { Reservoir } from '../reservoir/reservoir.js';
import { Ridge } from '../reservoir/ridge.js';
import { type Series, lineChart } from '../report/svg.js';
import { dataTable } from '../report/page.js';
import { fmt } from '../report/escape.js';
import { esnFitMacs, rnnStepMacs } from './compute.js';
import { corpusText } from './corpus.js';
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

type Range = [number, number];

/** What both models need from a task: ESN arrays, LSTM batches, a score. */
interface SeqTask {
  name: string;
  metric: string;
  D: number; // ESN input features
  O: number; // outputs per step
  split: { train: Range; val: Range; test: Range };
  /** ESN inputs [b - a, D] and targets [b - a, O]. */
  input(a: number, b: number): Float64Array;
  target(a: number, b: number): Float64Array;
  /** Metric (lower is better) and, for chars, bits/char of predictions [b - a, O] for steps a..b. */
  score(pred: Float64Array, a: number, b: number, temperature?: number): { err: number; bits?: number };
  lstm: { inputSize?: number; vocabSize?: number; embedDim?: number; loss: 'mse' | 'xent'; I: number };
  batch(rng: Rng, B: number, T: number): Batch;
  /** LSTM predictions [b - a, O] for steps a..b, after `warm` steps of context. */
  predict(m: SequenceModel, a: number, b: number, warm: number): Float64Array;
}

function mackeyTask(o: Record<string, any>): SeqTask {
  const h = o.horizon as number,
    nTr = o.mgTrain as number,
    nV = o.mgVal as number,
    nTe = o.mgTest as number;
  const drop = 200; // the initial transient of the generator
  const raw = mackeyGlass(drop + nTr + nV + nTe + h, { tau: 17, seed: o.seed });
  let mu = 0,
    sd = 0;
  for (let i = drop; i < drop + nTr; i++) mu += raw[i]! / nTr;
  for (let i = drop; i < drop + nTr; i++) sd += (raw[i]! - mu) ** 2 / nTr;
  sd = Math.sqrt(sd);
  const x = Float64Array.from(raw.subarray(drop), (v) => (v - mu) / sd);
  const y = (t: number) => x[t + h]!;
  return {
    name: 'mackey-glass',
    metric: 'NRMSE',
    D: 1,
    O: 1,
    split: { train: [0, nTr], val: [nTr, nTr + nV], test: [nTr + nV, nTr + nV + nTe] },
    input: (a, b) => x.slice(a, b),
    target: (a, b) => Float64Array.from({ length: b - a }, (_, i) => y(a + i)),
    score(pred, a, b) {
      let se = 0,
        m = 0,
        v = 0;
      const n = b - a;
      for (let i = 0; i < n; i++) m += y(a + i) / n;
      for (let i = 0; i < n; i++) {
        se += (pred[i]! - y(a + i)) ** 2;
        v += (y(a + i) - m) ** 2;
      }
      return { err: Math.sqrt(se / v) };
    },
    lstm: { inputSize: 1, loss: 'mse', I: 1 },
    batch(rng, B, T) {
      const xs = new Float32Array(T * B),
        ys = new Float32Array(T * B);
      for (let b = 0; b < B; b++) {
        const s = rng.int(nTr - T - h + 1);
        for (let t = 0; t < T; t++) {
          xs[t * B + b] = x[s + t]!;
          ys[t * B + b] = y(s + t);
        }
      }
      return { T, B, x: xs, y: ys };
    },
    predict(m, a, b, warm) {
      const s = Math.max(0, a - warm),
        T = b - s;
      const p = m.predict({ T, B: 1, x: Float32Array.from(x.subarray(s, b)), y: [] });
      return Float64Array.from(p.data.subarray(a - s));
    },
  };
}

function charTask(o: Record<string, any>, text: string): SeqTask {
  const chars = [...new Set(text)].sort();
  const V = chars.length,
    index = new Map(chars.map((c, i) => [c, i]));
  const ids = Int32Array.from(text, (c) => index.get(c)!);
  const n = ids.length - 1,
    nTr = Math.floor(n * 0.8),
    nV = Math.floor(n * 0.1);
  const E = Math.min(o.embed as number, V);
  const oneHot = (a: number, b: number, shift: number) => {
    const out = new Float64Array((b - a) * V);
    for (let t = a; t < b; t++) out[(t - a) * V + ids[t + shift]!] = 1;
    return out;
  };
  return {
    name: 'chars',
    metric: 'error rate',
    D: V,
    O: V,
    split: { train: [0, nTr], val: [nTr, nTr + nV], test: [nTr + nV, n] },
    input: (a, b) => oneHot(a, b, 0),
    target: (a, b) => oneHot(a, b, 1),
    score(pred, a, b, temperature = 1) {
      let wrong = 0,
        nats = 0;
      for (let t = a; t < b; t++) {
        const row = pred.subarray((t - a) * V, (t - a + 1) * V);
        let best = 0,
          mx = -Infinity;
        for (let k = 0; k < V; k++)
          if (row[k]! > mx) {
            mx = row[k]!;
            best = k;
          }
        if (best !== ids[t + 1]) wrong++;
        let z = 0;
        for (let k = 0; k < V; k++) z += Math.exp((row[k]! - mx) / temperature);
        nats += Math.log(z) - (row[ids[t + 1]!]! - mx) / temperature;
      }
      return { err: wrong / (b - a), bits: nats / (b - a) / Math.LN2 };
    },
    lstm: { vocabSize: V, embedDim: E, loss: 'xent', I: E },
    batch(rng, B, T) {
      const xs = new Int32Array(T * B),
        ys = new Int32Array(T * B);
      for (let b = 0; b < B; b++) {
        const s = rng.int(nTr - T);
        for (let t = 0; t < T; t++) {
          xs[t * B + b] = ids[s + t]!;
          ys[t * B + b] = ids[s + t + 1]!;
        }
      }
      return { T, B, ids: xs, y: ys };
    },
    predict(m, a, b, warm) {
      const s = Math.max(0, a - warm);
      const p = m.predict({ T: b - s, B: 1, ids: ids.subarray(s, b), y: [] });
      return Float64Array.from(p.data.subarray((a - s) * V));
    },
  };
}

export interface LstmRun {
  H: number;
  lr: number;
  params: number;
  macsPerStep: number;
  /** Checkpoints: updates, training MACs so far, validation and test metric. */
  curve: { step: number; macs: number; val: number; test: number; testBits?: number }[];
  /** The checkpoint with the best validation metric. */
  best: { step: number; macs: number; val: number; test: number; testBits?: number };
  seconds: number;
}

export interface EsnRun {
  N: number;
  leak: number;
  inputScaling: number;
  ridge: number;
  temperature?: number;
  params: number;
  /** MACs of the fit of the chosen configuration; of the whole search. */
  macs: number;
  searchMacs: number;
  val: number;
  valBits?: number;
  test: number;
  testBits?: number;
  seconds: number;
}

export interface TaskResult {
  task: string;
  metric: string;
  sizes: { train: number; val: number; test: number };
  /** Every LSTM run (all learning rates); `lstm` holds the one chosen per H. */
  lstmRuns: LstmRun[];
  lstm: LstmRun[];
  esn: EsnRun[];
  /** Per LSTM size: the smallest ESN at least as good on test, and the ESN at equal parameters. */
  match: { H: number; lstmTest: number; esnUnits: number | null; esnParams: number | null; lstmParams: number }[];
  equalParams: { H: number; params: number; lstm: number; esn: number | null }[];
  /** Per ESN size: the best LSTM checkpoint (chosen on validation) within the ESN's training MACs. */
  equalCompute: {
    N: number;
    macs: number;
    esn: number;
    lstm: number | null;
    lstmH: number | null;
    lstmStep: number | null;
  }[];
}

export interface EsnVsLstmResult extends ExperimentResult {
  tasks: TaskResult[];
}

function trainLstm(task: SeqTask, H: number, lr: number, o: Record<string, any>, io: ExperimentIO): LstmRun {
  const t0 = performance.now();
  const model = new SequenceModel({
    cell: 'lstm',
    ...task.lstm,
    hiddenSize: H,
    outputSize: task.O,
    head: 'every',
    seed: o.seed,
    forgetBias: 1,
  });
  const trainer = new Trainer(model, new Adam(model.params, { lr }), { clipNorm: 1 });
  const rng = new Rng(o.seed + 7);
  const perStep = rnnStepMacs({ gates: 4, T: o.window, B: o.batch, I: task.lstm.I, H, O: task.O });
  const curve: LstmRun['curve'] = [];
  const evalAt = (step: number) => {
    const [va, vb] = task.split.val,
      [ta, tb] = task.split.test;
    const v = task.score(task.predict(model, va, vb, o.warmup), va, vb);
    const t = task.score(task.predict(model, ta, tb, o.warmup), ta, tb);
    curve.push({
      step,
      macs: step * perStep,
      val: v.err,
      test: t.err,
      ...(t.bits !== undefined ? { testBits: t.bits } : {}),
    });
  };
  for (let s = 1; s <= o.steps; s++) {
    trainer.train(task.batch(rng, o.batch, o.window));
    if (s % o.evalEvery === 0 || s === o.steps) evalAt(s);
  }
  const best = curve.reduce((a, c) => (c.val < a.val ? c : a));
  const r = {
    H,
    lr,
    params: model.params.size,
    macsPerStep: perStep,
    curve,
    best,
    seconds: (performance.now() - t0) / 1000,
  };
  io.log(`  ${task.name} LSTM H=${H} lr=${lr}: val ${short(best.val)} test ${short(best.test)} (step ${best.step})`);
  return r;
}

function fitEsn(task: SeqTask, N: number, o: Record<string, any>, io: ExperimentIO): EsnRun {
  const t0 = performance.now();
  const [tra, trb] = task.split.train,
    [va, vb] = task.split.val,
    [ta, tb] = task.split.test;
  const warm = o.warmup as number;
  const ridges = (o.ridges as string[]).map(Number);
  const temps = task.name === 'chars' ? [0.02, 0.05, 0.1, 0.2, 0.5, 1] : [1];
  let best: EsnRun | null = null,
    search = 0;
  const chunk = 512;
  for (const leak of (o.leaks as string[]).map(Number))
    for (const inputScaling of (o.inputScalings as string[]).map(Number)) {
      const res = new Reservoir({ units: N, sr: o.sr, lr: leak, inputScaling, seed: o.seed, inputDim: task.D });
      const nnz = res.W.values.length + res.Win.values.length;
      const ridge = new Ridge({ ridge: ridges[0], warmup: 0 });
      res.reset(1);
      res.run({ shape: [warm, task.D], data: task.input(tra, tra + warm) });
      for (let a = tra + warm; a < trb; a += chunk) {
        const b = Math.min(trb, a + chunk);
        const st = res.run({ shape: [b - a, task.D], data: task.input(a, b) });
        ridge.partialFit({ shape: [b - a, N], data: st.data }, { shape: [b - a, task.O], data: task.target(a, b) });
      }
      const states = (a: number, b: number) => {
        res.reset(1);
        const s = Math.max(0, a - warm);
        const st = res.run({ shape: [b - s, task.D], data: task.input(s, b) });
        return { shape: [b - a, N], data: st.data.subarray((a - s) * N) };
      };
      const sv = states(va, vb);
      let st: ReturnType<typeof states> | null = null; // test states, run once per configuration when needed
      const macs = esnFitMacs({ rows: trb - tra, nnz, F: N, O: task.O, solves: 1 });
      search += esnFitMacs({ rows: trb - tra, nnz, F: N, O: task.O, solves: ridges.length });
      for (const r of ridges) {
        try {
          ridge.solve(r);
        } catch {
          continue; // not positive definite at this penalty: not a candidate
        }
        const pv = ridge.predict(sv).data;
        for (const temperature of temps) {
          const v = task.score(pv, va, vb, temperature);
          const better = !best || v.err < best.val || (v.err === best.val && (v.bits ?? 0) < (best.valBits ?? 0));
          if (better) {
            st ??= states(ta, tb);
            const t = task.score(ridge.predict(st).data, ta, tb, temperature);
            best = {
              N,
              leak,
              inputScaling,
              ridge: r,
              ...(task.name === 'chars' ? { temperature } : {}),
              params: (N + 1) * task.O,
              macs,
              searchMacs: 0,
              val: v.err,
              ...(v.bits !== undefined ? { valBits: v.bits } : {}),
              test: t.err,
              ...(t.bits !== undefined ? { testBits: t.bits } : {}),
              seconds: 0,
            };
          }
        }
      }
    }
  if (!best)
    throw new RangeError(`esn-vs-lstm: no ridge penalty in ${ridges} gave a positive definite system at N = ${N}`);
  best.searchMacs = search;
  best.seconds = (performance.now() - t0) / 1000;
  io.log(
    `  ${task.name} ESN N=${N}: val ${short(best.val)} test ${short(best.test)} (leak ${best.leak}, ` +
      `ridge ${best.ridge})`,
  );
  return best;
}

/** Log-log interpolation of y at x over points sorted by x; null outside their range. */
function interp(pts: [number, number][], x: number): number | null {
  const p = pts.filter(([a, b]) => a > 0 && b > 0).sort((a, b) => a[0] - b[0]);
  if (!p.length || x < p[0]![0] || x > p.at(-1)![0]) return null;
  for (let i = 1; i < p.length; i++) {
    const [x0, y0] = p[i - 1]!,
      [x1, y1] = p[i]!;
    if (x <= x1) {
      if (x1 === x0) return y0;
      const f = Math.log(x / x0) / Math.log(x1 / x0);
      return Math.exp(Math.log(y0) + f * Math.log(y1 / y0));
    }
  }
  return p[0]![1];
}

function runTask(task: SeqTask, o: Record<string, any>, io: ExperimentIO): TaskResult {
  io.log(`esn-vs-lstm: ${task.name}`);
  const lstmRuns: LstmRun[] = [];
  const lstm: LstmRun[] = [];
  for (const H of (o.lstmSizes as string[]).map(Number)) {
    const runs = (o.lstmLrs as string[]).map((lr) => trainLstm(task, H, Number(lr), o, io));
    lstmRuns.push(...runs);
    lstm.push(runs.reduce((a, r) => (r.best.val < a.best.val ? r : a)));
  }
  const esn = (o.esnSizes as string[]).map((N) => fitEsn(task, Number(N), o, io));
  const esnByParams: [number, number][] = esn.map((e) => [e.params, e.test]);
  const match = lstm.map((l) => {
    const m = esn.find((e) => e.test <= l.best.test);
    return {
      H: l.H,
      lstmTest: l.best.test,
      lstmParams: l.params,
      esnUnits: m?.N ?? null,
      esnParams: m?.params ?? null,
    };
  });
  const equalParams = lstm.map((l) => ({
    H: l.H,
    params: l.params,
    lstm: l.best.test,
    esn: interp(esnByParams, l.params),
  }));
  const equalCompute = esn.map((e) => {
    let pick: { test: number; val: number; H: number; step: number } | null = null;
    for (const l of lstmRuns)
      for (const c of l.curve)
        if (c.macs <= e.macs && (!pick || c.val < pick.val)) pick = { test: c.test, val: c.val, H: l.H, step: c.step };
    return {
      N: e.N,
      macs: e.macs,
      esn: e.test,
      lstm: pick?.test ?? null,
      lstmH: pick?.H ?? null,
      lstmStep: pick?.step ?? null,
    };
  });
  const [a, b] = task.split.train,
    [c, d] = task.split.val,
    [e, f] = task.split.test;
  return {
    task: task.name,
    metric: task.metric,
    sizes: { train: b - a, val: d - c, test: f - e },
    lstmRuns,
    lstm,
    esn,
    match,
    equalParams,
    equalCompute,
  };
}

function verdictOf(wins: number, losses: number): Verdict {
  if (wins + losses === 0) return 'inconclusive';
  return losses === 0 ? 'yes' : wins === 0 ? 'no' : 'inconclusive';
}

function findingsOf(t: TaskResult): Finding[] {
  const small = t.match[0]!;
  const maxN = Math.max(...t.esn.map((e) => e.N));
  const out: Finding[] = [
    {
      question:
        `${t.task}: how many reservoir units match the smallest LSTM (H = ${small.H}, ` +
        `${small.lstmParams} parameters)?`,
      verdict: small.esnUnits === null ? 'no' : 'yes',
      answer:
        small.esnUnits === null
          ? `None up to N = ${maxN}: the best ESN's test ${t.metric} was ` +
            `${short(Math.min(...t.esn.map((e) => e.test)))} against the LSTM's ${short(small.lstmTest)}.`
          : `N = ${small.esnUnits} (${small.esnParams} trainable readout weights, ` +
            `${short(small.esnParams! / small.lstmParams, 2)}x the LSTM's) reached test ${t.metric} ` +
            `${short(t.esn.find((e) => e.N === small.esnUnits)!.test)} <= ${short(small.lstmTest)}.` +
            (t.match.length > 1 ? ' Larger LSTMs: ' : '') +
            t.match
              .slice(1)
              .map((m) => `H = ${m.H}: ${m.esnUnits === null ? `not matched up to N = ${maxN}` : `N = ${m.esnUnits}`}`)
              .join('; ') +
            (t.match.length > 1 ? '.' : ''),
    },
  ];
  const cmpP = t.equalParams.filter((p) => p.esn !== null);
  const pw = cmpP.filter((p) => p.esn! < p.lstm).length;
  out.push({
    question: `${t.task}: at equal trainable parameters, is the ESN better than the LSTM?`,
    verdict: verdictOf(pw, cmpP.length - pw),
    answer: cmpP.length
      ? cmpP
          .map((p) => `${p.params} parameters: ESN ${short(p.esn!)} vs LSTM (H = ${p.H}) ${short(p.lstm)}`)
          .join('; ') + ` (test ${t.metric}, ESN interpolated between its sizes).`
      : 'No LSTM size falls inside the range of ESN parameter counts.',
  });
  const cmpC = t.equalCompute.filter((c) => c.lstm !== null);
  const cw = cmpC.filter((c) => c.esn < c.lstm!).length;
  out.push({
    question: `${t.task}: at equal training compute (multiply-adds), is the ESN better than the LSTM?`,
    verdict: verdictOf(cw, cmpC.length - cw),
    answer:
      (cmpC.length
        ? cmpC
            .map(
              (c) =>
                `${short(c.macs, 2)} MACs: ESN N = ${c.N} ${short(c.esn)} vs LSTM ${short(c.lstm!)} ` +
                `(H = ${c.lstmH}, ${c.lstmStep} updates)`,
            )
            .join('; ')
        : 'no LSTM checkpoint is as cheap as any ESN') +
      (t.equalCompute.length > cmpC.length
        ? `; ${t.equalCompute.length - cmpC.length} ESN sizes cost less than the first LSTM checkpoint`
        : '') +
      '.',
  });
  return out;
}

async function run(o: Record<string, any>, io: ExperimentIO, data?: unknown): Promise<EsnVsLstmResult> {
  for (const k of [
    'steps',
    'batch',
    'window',
    'evalEvery',
    'warmup',
    'mgTrain',
    'mgVal',
    'mgTest',
    'horizon',
    'chars',
    'embed',
  ])
    check(
      Number.isInteger(o[k]) && o[k] >= 1,
      `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be a positive integer, got ${o[k]}`,
    );
  const ints = (k: string, name: string) => {
    const v = (o[k] as string[]).map(Number);
    check(
      v.length > 0 && v.every((x) => Number.isInteger(x) && x >= 1),
      `--${name} must be positive integers, got ${o[k]}`,
    );
    return v;
  };
  ints('lstmSizes', 'lstm-sizes');
  ints('esnSizes', 'esn-sizes');
  for (const [k, name] of [
    ['lstmLrs', 'lstm-lrs'],
    ['ridges', 'ridges'],
    ['leaks', 'leaks'],
    ['inputScalings', 'input-scalings'],
  ] as const)
    check(
      (o[k] as string[]).length > 0 && (o[k] as string[]).every((x) => Number(x) > 0),
      `--${name} must be positive numbers, got ${o[k]}`,
    );
  check(
    (o.leaks as string[]).every((x) => Number(x) <= 1),
    `--leaks must be in (0, 1]`,
  );
  const tasks = o.tasks as string[];
  check(
    tasks.length > 0 && tasks.every((t) => t === 'mackey-glass' || t === 'chars'),
    `--tasks must name mackey-glass and/or chars`,
  );
  check(
    o.mgTrain > o.window + o.horizon && o.mgTrain > o.warmup,
    `--mg-train must exceed --window, --horizon and --warmup`,
  );
  const text = typeof data === 'string' ? data : corpusText(o.chars, { seed: o.seed });
  check(
    text.length >= 10 * (o.window + o.warmup),
    `the text is too short (${text.length} characters) for --window and --warmup`,
  );
  const results = tasks.map((t) => runTask(t === 'chars' ? charTask(o, text) : mackeyTask(o), o, io));
  return {
    experiment: 'esn-vs-lstm',
    title: experiment.title,
    question: experiment.question,
    options: optionValues(o, experiment.options),
    text_source: typeof data === 'string' ? 'file' : 'generated corpus (corpus.ts)',
    findings: results.flatMap(findingsOf),
    budget: {
      unit:
        'LSTM: updates (steps x batch x window); ESN: one pass over the training part; both ' +
        'counted in multiply-adds',
      lstm_macs: results.flatMap((t) => t.lstmRuns).reduce((s, r) => s + r.macsPerStep * o.steps, 0),
      esn_search_macs: results.flatMap((t) => t.esn).reduce((s, e) => s + e.searchMacs, 0),
    },
    tasks: results,
  };
}

function text(r: EsnVsLstmResult): string {
  return r.tasks
    .map((t) => {
      const rows = [
        ...t.lstm.map((l) => [
          `LSTM H=${l.H}`,
          String(l.params),
          short(l.best.macs, 2),
          short(l.best.val),
          short(l.best.test),
          l.best.testBits !== undefined ? short(l.best.testBits) : '-',
          `lr ${l.lr}, step ${l.best.step}`,
          l.seconds.toFixed(1),
        ]),
        ...t.esn.map((e) => [
          `ESN N=${e.N}`,
          String(e.params),
          short(e.macs, 2),
          short(e.val),
          short(e.test),
          e.testBits !== undefined ? short(e.testBits) : '-',
          `leak ${e.leak}, in ${e.inputScaling}, ridge ${e.ridge}${e.temperature ? `, T ${e.temperature}` : ''}`,
          e.seconds.toFixed(1),
        ]),
      ];
      const sizes = `${t.sizes.train}/${t.sizes.val}/${t.sizes.test}`;
      return `${t.task} (${t.metric}; train/val/test ${sizes} steps)\n${textTable(
        [
          'model',
          'trainable params',
          'training MACs',
          `val ${t.metric}`,
          `test ${t.metric}`,
          'test bits/char',
          'chosen on validation',
          'wall s',
        ],
        rows,
      )}`;
    })
    .join('\n\n');
}

function sections(r: EsnVsLstmResult): ReturnType<Experiment['sections']> {
  return r.tasks.map((t) => {
    const byParams: Series[] = [
      {
        name: 'LSTM (chosen lr, best checkpoint)',
        points: t.lstm.map((l) => [l.params, l.best.test]),
        color: '#d62728',
        dots: true,
      },
      { name: 'ESN', points: t.esn.map((e) => [e.params, e.test]), color: '#1f77b4', dots: true },
    ];
    const byCompute: Series[] = [
      ...t.lstm.map((l, i) => ({
        name: `LSTM H=${l.H}`,
        points: l.curve.map((c): [number, number] => [c.macs, c.test]),
        color: ['#f4a6a6', '#e36b6b', '#d62728', '#8b1010', '#4d0000'][i % 5],
      })),
      { name: 'ESN (one point per N)', points: t.esn.map((e) => [e.macs, e.test]), color: '#1f77b4', dots: true },
    ];
    const bySize: Series[] = [
      { name: 'ESN test', points: t.esn.map((e) => [e.N, e.test]), color: '#1f77b4', dots: true },
    ];
    const hl = t.lstm.map((l) => ({ y: l.best.test, label: `LSTM H=${l.H}` }));
    const logY = t.task === 'mackey-glass';
    const charts = [
      lineChart(byParams, {
        title: `test ${t.metric} vs trainable parameters`,
        xLabel: 'trainable parameters',
        logX: true,
        logY,
      }),
      lineChart(byCompute, { title: `test ${t.metric} vs training multiply-adds`, xLabel: 'MACs', logX: true, logY }),
      lineChart(bySize, {
        title: `ESN test ${t.metric} by reservoir size; LSTMs as lines`,
        xLabel: 'reservoir units N',
        logX: true,
        logY,
        hlines: hl,
      }),
    ];
    const table = dataTable(
      [
        'model',
        'trainable params',
        'training MACs',
        `val ${t.metric}`,
        `test ${t.metric}`,
        'test bits/char',
        'chosen on validation',
        'wall s (record only)',
      ],
      [
        ...t.lstm.map((l) => [
          `LSTM H=${l.H}`,
          String(l.params),
          fmt(l.best.macs, 3),
          fmt(l.best.val),
          fmt(l.best.test),
          fmt(l.best.testBits),
          `lr ${l.lr}, checkpoint at update ${l.best.step} of ${l.curve.at(-1)!.step}`,
          l.seconds.toFixed(1),
        ]),
        ...t.esn.map((e) => [
          `ESN N=${e.N}`,
          String(e.params),
          fmt(e.macs, 3),
          fmt(e.val),
          fmt(e.test),
          fmt(e.testBits),
          `leak ${e.leak}, input scaling ${e.inputScaling}, ridge ${e.ridge}` +
            (e.temperature ? `, softmax temperature ${e.temperature}` : ''),
          e.seconds.toFixed(1),
        ]),
      ],
    );
    return {
      id: t.task,
      title: `${t.task}: ${t.metric}`,
      intro:
        `Train/validation/test: ${t.sizes.train}/${t.sizes.val}/${t.sizes.test} steps. Every ` +
        `hyperparameter and the LSTM's checkpoint were ` +
        'chosen on validation; the charts show test numbers. MACs count the matrix products of training (compute.ts).',
      html: `<div class="grid">${charts.join('')}</div>${table}`,
    };
  });
}

export const experiment: Experiment<EsnVsLstmResult> = {
  name: 'esn-vs-lstm',
  title: 'echo state networks against LSTMs at equal parameters and equal training compute',
  question:
    'How many reservoir units does an echo state network need to match a small LSTM, at equal ' +
    'trainable parameters and at equal training compute (multiply-adds)?',
  options: {
    tasks: { type: 'list', default: ['mackey-glass', 'chars'], help: 'tasks: mackey-glass, chars' },
    'lstm-sizes': { type: 'list', default: ['4', '8', '16', '32', '64'], help: 'LSTM hidden sizes' },
    'lstm-lrs': {
      type: 'list',
      default: ['0.003', '0.01'],
      help: 'Adam learning rates tried per size (chosen on validation)',
    },
    steps: { type: 'int', default: 3000, help: 'LSTM updates (the budget)' },
    batch: { type: 'int', default: 32, help: 'LSTM batch' },
    window: { type: 'int', default: 50, help: 'LSTM training window (time steps)' },
    'eval-every': { type: 'int', default: 150, help: 'LSTM checkpoints: evaluate every N updates' },
    'esn-sizes': { type: 'list', default: ['25', '50', '100', '200', '400', '800', '1600'], help: 'reservoir sizes N' },
    sr: { type: 'number', default: 1.25, help: 'ESN spectral radius' },
    leaks: { type: 'list', default: ['0.3', '1'], help: 'ESN leak rates tried (chosen on validation)' },
    'input-scalings': { type: 'list', default: ['0.25', '1'], help: 'ESN input scalings tried' },
    ridges: {
      type: 'list',
      default: ['1e-7', '1e-5', '1e-3', '1e-1', '10', '1000'],
      help: 'ESN ridge penalties tried',
    },
    warmup: { type: 'int', default: 100, help: 'steps of context before each evaluated part (not scored)' },
    'mg-train': { type: 'int', default: 3000, help: 'Mackey-Glass training steps' },
    'mg-val': { type: 'int', default: 1000, help: 'Mackey-Glass validation steps' },
    'mg-test': { type: 'int', default: 1000, help: 'Mackey-Glass test steps' },
    horizon: { type: 'int', default: 1, help: 'Mackey-Glass: predict x[t + horizon]' },
    text: { type: 'string', help: 'chars: a UTF-8 text file (default: the generated corpus); split 80/10/10' },
    chars: { type: 'int', default: 40000, help: 'chars: length of the generated corpus' },
    embed: { type: 'int', default: 16, help: 'chars: LSTM embedding width' },
    seed: { type: 'int', default: 1, help: 'seed (series, corpus, weights, batches)' },
  },
  quick: {
    lstmSizes: ['4', '8'],
    lstmLrs: ['0.01'],
    steps: 40,
    evalEvery: 20,
    esnSizes: ['20', '80'],
    leaks: ['1'],
    inputScalings: ['1'],
    ridges: ['1e-6', '1e-3'],
    mgTrain: 400,
    mgVal: 150,
    mgTest: 150,
    chars: 3000,
    warmup: 30,
    window: 20,
    batch: 8,
  },
  run,
  text,
  sections,
};
