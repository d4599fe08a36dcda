/**
 * `recur esn`: fit an echo state network on a data set (or a CSV of time series) and
 * evaluate it one step ahead or in closed loop; `--out DIR` writes config.json,
 * metrics.json and forecast.json ({t, truth, prediction, mode}) for `recur report`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, InputError, UsageError } from './args.js';
import { Reservoir, Ridge, pipe, nrmse, rsquare, mackeyGlass, narma, lorenz } from '../reservoir/index.js';
import { threadedGram } from '../node/gram.js';
import { makeDir, readInputText } from '../node/files.js';
import { printable } from '../printable.js';
import { checkMemory } from './memory.js';

interface Data {
  u: Float64Array;
  y: Float64Array;
  F: number;
  O: number;
  T: number;
  forecasting: boolean;
  name: string;
}

/** Parses a CSV of numbers (optional header row); `columns` picks by name or 0-based index. */
export function parseCsv(
  text: string,
  file: string,
  columns: string[],
): { data: Float64Array; F: number; T: number; names: string[] } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new InputError(`${file}: empty file`);
  const first = lines[0]!.split(',').map((s) => s.trim());
  const header = first.some((s) => s !== '' && Number.isNaN(Number(s)));
  const names = header ? first : first.map((_, i) => `col${i}`);
  const pick =
    columns.length === 0
      ? names.map((_, i) => i)
      : columns.map((c) => {
          const i = /^\d+$/.test(c) ? Number(c) : names.indexOf(c);
          if (i < 0 || i >= names.length)
            throw new InputError(`${file}: no column '${c}'; have ${printable(names.join(', '))}`);
          return i;
        });
  const rows = lines.slice(header ? 1 : 0);
  if (rows.length < 2) throw new InputError(`${file}: need at least 2 rows of numbers, got ${rows.length}`);
  const F = pick.length,
    data = new Float64Array(rows.length * F);
  rows.forEach((line, r) => {
    const cells = line.split(',');
    pick.forEach((c, f) => {
      const raw = (cells[c] ?? '').trim(),
        v = Number(raw);
      if (raw === '' || !Number.isFinite(v)) {
        throw new InputError(
          `${file}: line ${r + (header ? 2 : 1)}, column '${printable(names[c], 60)}': ` +
            `expected a finite number, got '${printable(raw, 40)}'`,
        );
      }
      data[r * F + f] = v;
    });
  });
  return { data, F, T: rows.length, names: pick.map((i) => names[i]!) };
}

function loadData(o: Record<string, any>, positionals: string[]): Data {
  const steps = o.train + o.test + 1;
  if (positionals.length > 1) throw new UsageError(`expected at most one CSV file, got ${positionals.length}`);
  if (positionals[0]) {
    const file = positionals[0];
    const c = parseCsv(readInputText(file), file, o.columns ?? []);
    if (c.T < o.train + 2)
      throw new InputError(`${file}: ${c.T} rows, but --train ${o.train} needs at least ${o.train + 2}`);
    const T = Math.min(c.T - 1, o.train + o.test);
    return {
      u: c.data.slice(0, T * c.F),
      y: c.data.slice(c.F, (T + 1) * c.F),
      F: c.F,
      O: c.F,
      T,
      forecasting: true,
      name: file,
    };
  }
  switch (o.data) {
    case 'mackey-glass': {
      const X = mackeyGlass(steps, { tau: o.tau, seed: o.seed });
      return {
        u: X.slice(0, steps - 1),
        y: X.slice(1),
        F: 1,
        O: 1,
        T: steps - 1,
        forecasting: true,
        name: `mackey-glass tau=${o.tau}`,
      };
    }
    case 'lorenz': {
      const X = lorenz(steps);
      return {
        u: X.slice(0, (steps - 1) * 3),
        y: X.slice(3),
        F: 3,
        O: 3,
        T: steps - 1,
        forecasting: true,
        name: 'lorenz',
      };
    }
    case 'narma10': {
      const { u, y } = narma(steps, { seed: o.seed });
      // u[t] drives y[t+1]: learn y[t+1] from inputs up to u[t].
      return { u: u.slice(0, steps - 1), y: y.slice(1), F: 1, O: 1, T: steps - 1, forecasting: false, name: 'narma10' };
    }
    default:
      throw new UsageError(`--data must be mackey-glass, narma10 or lorenz (or give a CSV file), got '${o.data}'`);
  }
}

export const command: Command = {
  name: 'esn',
  summary: 'fit an echo state network on a data set or a CSV of time series and evaluate it',
  positionals: '[FILE.csv]',
  flags: {
    data: {
      type: 'string',
      default: 'mackey-glass',
      choices: ['mackey-glass', 'narma10', 'lorenz'],
      help: 'built-in data set (ignored when a CSV is given)',
    },
    columns: { type: 'list', help: 'CSV columns to use, by name or 0-based index (default: all)' },
    tau: { type: 'number', default: 17, above: 0, max: 1000, help: 'Mackey-Glass delay' },
    train: { type: 'int', default: 4000, min: 1, max: 1e8, help: 'training steps' },
    test: { type: 'int', default: 1000, min: 1, max: 1e8, help: 'test steps after training' },
    warmup: { type: 'int', default: 200, min: 0, help: 'training steps whose states are discarded' },
    units: { type: 'int', default: 500, min: 1, max: 100000, help: 'reservoir units N' },
    sr: { type: 'number', default: 1.25, min: 0, help: 'spectral radius of W' },
    leak: { type: 'number', default: 0.3, above: 0, max: 1, help: 'leak rate of the reservoir units' },
    lr: { type: 'number', above: 0, max: 1, renamed: { use: 'leak' }, help: '' },
    'input-scaling': { type: 'number', default: 1, min: 0, help: 'scale of the input weights' },
    connectivity: { type: 'number', default: 0.1, above: 0, max: 1, help: 'density of W' },
    'input-connectivity': { type: 'number', default: 0.1, above: 0, max: 1, help: 'density of Win' },
    bias: { type: 'number', default: 0, min: 0, help: 'scale of the reservoir bias' },
    ridge: { type: 'number', default: 1e-5, min: 0, help: 'ridge penalty of the readout' },
    mode: {
      type: 'string',
      default: 'one-step',
      choices: ['one-step', 'closed-loop'],
      help: 'evaluate one step ahead, or free-running from the end of training',
    },
    horizon: { type: 'int', default: 84, min: 1, max: 1e8, help: 'closed-loop steps' },
    seed: { type: 'int', default: 1, help: 'seed of the reservoir and the data' },
    threads: {
      type: 'int',
      default: 1,
      min: 1,
      max: 2,
      help: '2: a helper thread folds the states into X^T X while the reservoir runs (same numbers)',
    },
    out: { type: 'string', help: 'write config.json, metrics.json and forecast.json to this directory' },
    standardize: {
      type: 'boolean',
      help:
        'standardise inputs and targets on the training part (inverted on output); default: on for a CSV, ' +
        'off for the built-in data sets (their protocols use the raw series); --no-standardize turns it off',
    },
  },
  details:
    'Examples:\n  recur esn --units 500 --mode closed-loop --out runs/mg\n  recur esn --units 2000 --threads ' +
    '2\n  recur esn series.csv --columns load --train 2000 --test 500\n' +
    "NRMSE is RMSE / std(truth); nrmse_minmax is RMSE / (max - min), ReservoirPy's default.",
  async run(o, positionals, io) {
    if (o.warmup >= o.train) throw new UsageError(`--warmup (${o.warmup}) must be smaller than --train (${o.train})`);
    // The readout's Gram matrix (float64, plus a float32 product and the solve's copy) grows as units^2,
    // W as units^2 x connectivity, the states of the run as steps x units.
    const P = o.units + 8;
    checkMemory(
      P * P * 20 + o.units * o.units * o.connectivity * 6 + (o.train + o.test + o.horizon) * o.units * 8 * 2,
      `--units ${o.units} (--train ${o.train}, --test ${o.test})`,
      'lower --units',
    );
    const d = loadData(o, positionals);
    if (o.mode === 'closed-loop' && !d.forecasting)
      throw new UsageError(
        `--mode closed-loop needs a forecasting data set; ${d.name} maps an input to a different output`,
      );
    const standardize: boolean = o.standardize ?? positionals.length > 0;
    const config: Record<string, unknown> = {
      data: d.name,
      standardize,
      threads: o.threads,
      units: o.units,
      sr: o.sr,
      leak: o.leak,
      input_scaling: o.inputScaling,
      connectivity: o.connectivity,
      input_connectivity: o.inputConnectivity,
      bias: o.bias,
      ridge: o.ridge,
      warmup: o.warmup,
      train: o.train,
      test: o.test,
      mode: o.mode,
      horizon: o.horizon,
      seed: o.seed,
    };
    const gram = o.threads === 2 ? await threadedGram() : undefined;
    const t0 = performance.now();
    const esn = pipe(
      new Reservoir({
        units: o.units,
        sr: o.sr,
        lr: o.leak,
        inputScaling: o.inputScaling,
        connectivity: o.connectivity,
        inputConnectivity: o.inputConnectivity,
        bias: o.bias,
        inputDim: d.F,
        seed: o.seed,
      }),
      new Ridge({ ridge: o.ridge, warmup: o.warmup, gram }),
    );
    esn.standardize = standardize;
    const tInit = performance.now();
    const Ttr = Math.min(o.train, d.T - 1);
    esn.fit(
      { shape: [Ttr, d.F], data: d.u.subarray(0, Ttr * d.F) },
      { shape: [Ttr, d.O], data: d.y.subarray(0, Ttr * d.O) },
    );
    const tFit = performance.now();
    await gram?.close();
    const st = esn.standardization; // stored with the run: what the inputs and targets were scaled by
    if (st.x)
      config.standardization = {
        x: st.x.toJSON(),
        y: st.y[0]?.toJSON() ?? null,
      };
    let truth: Float64Array, pred: Float64Array;
    if (o.mode === 'one-step') {
      const Tte = d.T - Ttr;
      pred = esn.run({ shape: [Tte, d.F], data: d.u.subarray(Ttr * d.F) }, { reset: false }).data;
      truth = d.y.subarray(Ttr * d.O);
    } else {
      const H = Math.min(o.horizon, d.T - Ttr);
      pred = esn.generate(H).data; // the state continues from the end of training
      truth = d.y.subarray((Ttr - 1) * d.O, (Ttr - 1 + H) * d.O);
    }
    const metrics = {
      nrmse: nrmse(truth, pred),
      nrmse_minmax: nrmse(truth, pred, 'minmax'),
      r2: rsquare(truth, pred),
      init_s: (tInit - t0) / 1e3,
      fit_s: (tFit - tInit) / 1e3,
      predict_s: (performance.now() - tFit) / 1e3,
      steps: truth.length / d.O,
    };
    // The forecast plot shows the first feature; t counts from the start of the series.
    const n = truth.length / d.O,
      off = o.mode === 'one-step' ? Ttr + 1 : Ttr;
    const forecast = {
      t: Array.from({ length: n }, (_, i) => off + i),
      truth: Array.from({ length: n }, (_, i) => truth[i * d.O]!),
      prediction: Array.from({ length: n }, (_, i) => pred[i * d.O]!),
      mode: o.mode,
    };
    if (o.out) {
      makeDir(o.out);
      writeFileSync(join(o.out, 'config.json'), JSON.stringify(config, null, 2) + '\n');
      writeFileSync(join(o.out, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
      writeFileSync(join(o.out, 'forecast.json'), JSON.stringify(forecast) + '\n');
    }
    if (o.json) io.out(JSON.stringify({ config, metrics, out: o.out ?? null }));
    else {
      io.out(`${d.name}: ${o.units} units, ${Ttr} training steps, ${o.mode} over ${metrics.steps} steps`);
      io.out(
        `NRMSE (std) ${metrics.nrmse.toExponential(3)}  NRMSE (max-min) ` +
          `${metrics.nrmse_minmax.toExponential(3)}  R^2 ${metrics.r2.toFixed(6)}`,
      );
      io.out(
        `init ${metrics.init_s.toFixed(3)} s  fit ${metrics.fit_s.toFixed(3)} s  predict ` +
          `${metrics.predict_s.toFixed(3)} s${o.out ? `  -> ${o.out}` : ''}`,
      );
    }
    return 0;
  },
};
