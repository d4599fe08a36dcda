/**
 * One learning run in recur under the anchors' protocol (../shared/anchors/learn.md, the same
 * as bench/peers/learn_bench.py): a fresh batch of 32 every step, evaluation every 100 steps on
 * 1,000 held-out sequences generated once, stop at the first evaluation that solves (or at the
 * step budget, or on a non-finite loss). Prints one JSON record like learn_bench.py's.
 *
 *   node dist/bench/learn_run.js '{"task":"order","T":50,"model":"d","seed":1}'
 *
 * Models (learn_bench.py's letters): a) tanh RNN, SGD 0.01 momentum 0.9; b) a + clip 1 +
 * orthogonal W_hh; c) IRNN (ReLU, W_hh = I, zero biases), SGD momentum 0.9, clip 1; d) LSTM
 * with forget-gate bias 1, Adam 1e-3, clip 1; e) GRU, Adam 1e-3, clip 1. Every other weight
 * has PyTorch's default init (test/layers/init_parity.test.ts).
 * Solved: test MSE < 0.01 (adding) or test error rate < 0.01 (order); with criteria 'both',
 * adding also needs recur's criterion (< 1% of sequences with squared error > 0.04) and the
 * run continues until both are met, recording the step of each.
 * Data: recur's own seeded generators (the same distributions as learn_bench.py's, tested in
 * test/tasks/learn_tasks_parity.test.ts); training and test streams from separate seeds.
 */
import { performance } from 'node:perf_hooks';
import { SequenceModel } from '../src/layers/model.js';
import type { RecurrentInit } from '../src/init.js';
import { Adam, SGD } from '../src/train/optim.js';
import { Trainer } from '../src/train/trainer.js';
import { Rng } from '../src/random.js';
import { makeTask } from '../src/tasks/synthetic.js';
import type { Activation } from '../src/backend/backend.js';
import { getBackend } from '../src/backend/index.js';

export interface LearnModel {
  name: string;
  cell: 'rnn' | 'lstm' | 'gru';
  nonlinearity?: Activation;
  recurrentInit?: RecurrentInit;
  optimizer: 'sgd' | 'adam';
  lr: number;
  momentum?: number;
  clip?: number;
}

export const MODELS: Record<string, LearnModel> = {
  a: { name: 'tanh-RNN', cell: 'rnn', optimizer: 'sgd', lr: 1e-2, momentum: 0.9 },
  b: {
    name: 'tanh-RNN+clip+orth',
    cell: 'rnn',
    recurrentInit: 'orthogonal',
    optimizer: 'sgd',
    lr: 1e-2,
    momentum: 0.9,
    clip: 1,
  },
  c: {
    name: 'IRNN',
    cell: 'rnn',
    nonlinearity: 'relu',
    recurrentInit: 'identity',
    optimizer: 'sgd',
    lr: 1e-3,
    momentum: 0.9,
    clip: 1,
  },
  d: { name: 'LSTM', cell: 'lstm', optimizer: 'adam', lr: 1e-3, clip: 1 },
  e: { name: 'GRU', cell: 'gru', optimizer: 'adam', lr: 1e-3, clip: 1 },
};

export interface RunSpec {
  task: 'adding' | 'order';
  T: number;
  model: string;
  seed: number;
  hidden?: number;
  batch?: number;
  lr?: number;
  maxSteps?: number;
  evalEvery?: number;
  nTest?: number;
  criteria?: 'mse' | 'both';
}

const TASK_ID = { adding: 1, order: 2 } as const;

export function runLearn(spec: RunSpec): Record<string, unknown> {
  const m = MODELS[spec.model];
  if (!m) throw new RangeError(`unknown model '${spec.model}'; have ${Object.keys(MODELS).join(', ')}`);
  const { task: name, T, seed } = spec;
  const H = spec.hidden ?? 128,
    B = spec.batch ?? 32,
    lr = spec.lr ?? m.lr,
    maxSteps = spec.maxSteps ?? 10000,
    every = spec.evalEvery ?? 100,
    nTest = spec.nTest ?? 1000;
  const both = spec.criteria === 'both' && name === 'adding';
  const task = makeTask({ name, T });
  // separate streams for training and the test set, both fixed by (seed, task, T)
  const base = seed * 1e6 + TASK_ID[name] * 1e3 + T;
  const rngTrain = new Rng(base),
    rngTest = new Rng(base + 7777 * 4294967296);
  const test = task.batch(rngTest, nTest);
  const model = new SequenceModel({
    cell: m.cell,
    inputSize: task.inputSize,
    hiddenSize: H,
    outputSize: task.outputSize,
    head: 'last',
    loss: task.loss,
    nonlinearity: m.nonlinearity,
    recurrentInit: m.recurrentInit,
    seed,
  });
  const opt =
    m.optimizer === 'adam' ? new Adam(model.params, { lr }) : new SGD(model.params, { lr, momentum: m.momentum });
  const trainer = new Trainer(model, opt, { clipNorm: m.clip });

  /** learn_bench.metric in double precision, plus recur's criterion for adding. */
  const evaluate = (): { metric: number; wrong?: number } => {
    const p = model.predict(test).data;
    if (name === 'adding') {
      let sq = 0,
        wrong = 0;
      for (let i = 0; i < nTest; i++) {
        const e = (p[i]! - test.y[i]!) ** 2;
        sq += e;
        if (e > 0.04) wrong++;
      }
      return { metric: sq / nTest, wrong: wrong / nTest };
    }
    let wrong = 0;
    const O = task.outputSize;
    for (let i = 0; i < nTest; i++) {
      let k = 0;
      for (let c = 1; c < O; c++) if (p[i * O + c]! > p[i * O + k]!) k = c;
      if (k !== test.y[i]) wrong++;
    }
    return { metric: wrong / nTest };
  };

  const curve: Record<string, number | null>[] = [];
  const first = evaluate();
  curve.push({
    step: 0,
    metric: first.metric,
    train_loss: null,
    train_s: 0,
    ...(both ? { wrong_fraction: first.wrong! } : {}),
  });
  let stepsMse: number | null = null,
    stepsWrong: number | null = null,
    status = 'budget_steps',
    trainS = 0,
    lossAcc = 0,
    nAcc = 0,
    step = 0;
  const wall0 = performance.now();
  while (step < maxSteps) {
    const t0 = performance.now();
    const info = trainer.train(task.batch(rngTrain, B)); // batch generation + forward + backward + clip + update
    trainS += (performance.now() - t0) / 1000;
    step++;
    lossAcc += info.loss;
    nAcc++;
    if (!Number.isFinite(info.loss) || info.skipped) {
      status = 'diverged';
      curve.push({ step, metric: Number.NaN, train_loss: info.loss, train_s: trainS });
      break;
    }
    if (step % every === 0) {
      const r = evaluate();
      curve.push({
        step,
        metric: r.metric,
        train_loss: lossAcc / nAcc,
        train_s: Math.round(trainS * 1000) / 1000,
        ...(both ? { wrong_fraction: r.wrong! } : {}),
      });
      lossAcc = 0;
      nAcc = 0;
      if (!Number.isFinite(r.metric)) {
        status = 'diverged';
        break;
      }
      if (r.metric < 0.01 && stepsMse === null) stepsMse = step;
      if (both && r.wrong! < 0.01 && stepsWrong === null) stepsWrong = step;
      if (stepsMse !== null && (!both || stepsWrong !== null)) {
        status = 'solved';
        break;
      }
    }
  }
  const metrics = curve.map((c) => c.metric as number).filter(Number.isFinite);
  return {
    impl: 'recur',
    backend: getBackend().name,
    task: name,
    T,
    model: spec.model,
    model_name: m.name,
    cell: m.cell,
    seed,
    hidden: H,
    batch: B,
    optimizer: m.optimizer,
    lr,
    momentum: m.momentum ?? null,
    clip_grad_norm: m.clip ?? null,
    max_steps: maxSteps,
    eval_every: every,
    solve_threshold: 0.01,
    metric_name: name === 'adding' ? 'test_mse' : 'test_error_rate',
    node: process.version,
    ...(both ? { criteria: 'both', steps_to_solve_mse: stepsMse, steps_to_solve_wrong: stepsWrong } : {}),
    solved: stepsMse !== null,
    status,
    steps_run: step,
    steps_to_solve: stepsMse,
    train_s_total: Math.round(trainS * 100) / 100,
    wall_s_total: Math.round(performance.now() - wall0) / 1000,
    ms_per_step: Math.round((1e6 * trainS) / Math.max(step, 1)) / 1000,
    final_metric: curve[curve.length - 1]!.metric,
    best_metric: metrics.length ? Math.min(...metrics) : null,
    curve,
  };
}

// As a script: one run, its record as one JSON line on stdout.
if (process.argv[1]?.endsWith('learn_run.js')) {
  const spec = JSON.parse(process.argv[2] ?? '{}') as RunSpec;
  console.log(JSON.stringify(runLearn(spec)));
}
