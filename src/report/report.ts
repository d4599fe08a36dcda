/**
 * The HTML report: one self-contained file (inline CSS and SVG, no script, no network) that
 * shows one or several training runs side by side:
 *   summary table -> loss curves (train, valid) -> gradient flow (||dL/dh_t|| heatmap, time
 *   step x training step, log colour; first vs last curve) -> spectra (rho, sigma_max of W_hh,
 *   per-step growth of the Jacobian product) -> gradient norm and clip events -> saturation
 *   and ||h_t|| -> experiment tables -> language models (validation bits per token over training,
 *   the n-gram baseline, samples over time) -> sampled text / forecasts -> configs.
 *
 * Input is plain data (`RunData`, what a run folder holds); reading folders is the CLI's job.
 * Every string from the data is escaped (escape.ts), and a Content-Security-Policy forbids
 * scripts and every fetch, so even a missed escape could not run code or reach the network.
 */
import { esc, fmt, num } from './escape.js';
import { type Series, PALETTE, heatmap, lineChart } from './svg.js';
import { successTable } from './tables.js';
import { LECTURE_HEAD, conclusions, criterion, lectureCells } from './verdicts.js';

export interface RunData {
  /** Display name (the folder). */
  name: string;
  config?: Record<string, unknown>;
  result?: Record<string, unknown>;
  /** metrics.jsonl records: kind 'train' | 'eval' | 'diag' (others ignored). */
  metrics: Record<string, unknown>[];
  /** samples.jsonl: sampled text of language models ({ step?, text }). */
  samples?: Record<string, unknown>[];
  /** forecast.json of reservoir runs: { t, truth, prediction }. */
  forecast?: { t?: unknown; truth?: unknown; prediction?: unknown; mode?: unknown };
  /** metrics.json of reservoir runs: { nrmse, nrmse_minmax, r2, fit_s, steps, ... }. */
  scores?: Record<string, unknown>;
  /** results.json of an experiment folder: one row per run. */
  experiment?: Record<string, unknown>[];
}

export interface ReportOptions {
  title?: string;
  /** A line under the title (e.g. when and how the report was made). */
  subtitle?: string;
}

type Rec = Record<string, unknown>;

/**
 * Records of one kind in step order. A log that goes back in step (a run restarted with
 * --force, or resumed from an older checkpoint, appends to the same file) keeps the newest
 * records: those before the restart from that step on are dropped.
 */
function ofKind(recs: Rec[], k: string): Rec[] {
  const out: Rec[] = [];
  for (const r of recs) {
    if (r.kind !== k) continue;
    const s = num(r.step) ?? -Infinity;
    while (out.length && (num(out.at(-1)!.step) ?? -Infinity) >= s && !(r.final && s === num(out.at(-1)!.step)))
      out.pop();
    out.push(r);
  }
  return out;
}

function pts(recs: Rec[], y: (r: Rec) => unknown): [number, number][] {
  const out: [number, number][] = [];
  for (const r of recs) {
    const a = num(r.step),
      b = num(y(r));
    if (a !== null && b !== null) out.push([a, b]);
  }
  return out;
}

/** Diagnostics records of a run with at least one core. */
function diags(run: RunData): Rec[] {
  return ofKind(run.metrics, 'diag').filter((r) => Array.isArray(r.cores) && r.cores.length > 0);
}

function cores(r: Rec): Rec[] {
  return (Array.isArray(r.cores) ? r.cores : []).filter((c): c is Rec => typeof c === 'object' && c !== null);
}

function arr(v: unknown): (number | null)[] {
  return Array.isArray(v) ? v.map(num) : [];
}

function section(id: string, title: string, intro: string, body: string): string {
  return `<section id="${id}"><h2>${esc(title)}</h2>${intro ? `<p class="intro">${intro}</p>` : ''}${body}</section>`;
}

function grid(items: string[]): string {
  return `<div class="grid">${items.join('')}</div>`;
}

function table(head: string[], rows: string[][]): string {
  return (
    `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`
  );
}

/** Nested config objects as dotted keys. */
function flatten(v: unknown, prefix = '', out: [string, string][] = []): [string, string][] {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v as Rec)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else out.push([prefix || '(value)', Array.isArray(v) ? JSON.stringify(v) : String(v)]);
  return out;
}

/** A run trained by gradient steps (it has a result or training/evaluation records). */
function trained(run: RunData): boolean {
  return run.result !== undefined || run.metrics.some((r) => r.kind === 'train' || r.kind === 'eval');
}

/** A reservoir run (recur esn): scores and a forecast, no training curve. */
function reservoir(run: RunData): boolean {
  return !trained(run) && (run.scores !== undefined || run.forecast !== undefined);
}

/**
 * The name a run goes by: its label and task ('tanh-RNN + clip + orth · order T=30'), an ESN's
 * size and data, else its folder. Names that would repeat keep their folder in brackets.
 */
export function displayNames(runs: readonly RunData[]): string[] {
  const base = runs.map((run) => {
    const c = (run.config ?? {}) as Rec,
      r = (run.result ?? {}) as Rec,
      task = (c.task ?? {}) as Rec;
    const label = r.label ?? c.label;
    const taskName = r.task ?? task.name,
      T = r.T ?? task.T;
    if (typeof label === 'string' && label)
      return taskName !== undefined ? `${label} · ${String(taskName)} T=${String(T)}` : label;
    if (reservoir(run) && c.units !== undefined)
      return `ESN ${String(c.units)} units · ${String(c.data ?? 'data')}${c.mode ? ` (${String(c.mode)})` : ''}`;
    return run.name;
  });
  return base.map((b, i) => (base.indexOf(b) !== base.lastIndexOf(b) ? `${b} (${runs[i]!.name})` : b));
}

/** Runs grouped by task (one group when they share one), with a title suffix per group. */
function byTask(runs: RunData[]): { suffix: string; runs: RunData[] }[] {
  const key = (run: RunData) => {
    const c = (run.config ?? {}) as Rec,
      r = (run.result ?? {}) as Rec;
    const name = r.task ?? (c.task as Rec | undefined)?.name;
    return name === undefined ? '' : `${String(name)} T=${String(r.T ?? (c.task as Rec | undefined)?.T)}`;
  };
  const keys = [...new Set(runs.map(key))];
  if (keys.length <= 1) return [{ suffix: '', runs }];
  return keys.map((k) => ({ suffix: k ? ` · ${k}` : '', runs: runs.filter((r) => key(r) === k) }));
}

/** A series name inside a task group: the label alone when the group already says the task. */
function short(run: RunData, grouped: boolean): string {
  const label = (run.result as Rec | undefined)?.label ?? (run.config as Rec | undefined)?.label;
  return grouped && typeof label === 'string' && label ? label : run.name;
}

function summary(runs: RunData[]): string {
  const head = [
    'run',
    'task',
    'T',
    'cell',
    'hidden',
    'steps',
    'final loss',
    'mse',
    'wrong',
    'solved',
    'clip events',
    'skipped',
    'seconds',
  ];
  const rows = runs.filter(trained).map((run) => {
    const r = run.result ?? {},
      c = (run.config ?? {}) as Rec,
      model = (c.model ?? {}) as Rec,
      task = (c.task ?? {}) as Rec;
    const wrong = num(r.error_rate);
    return [
      run.name,
      String(r.task ?? task.name ?? '-'),
      String(r.T ?? task.T ?? '-'),
      String(r.cell ?? model.cell ?? '-'),
      String(r.hidden ?? model.hiddenSize ?? '-'),
      fmt(r.steps, 8),
      fmt(r.loss),
      fmt(r.mse),
      wrong === null ? '-' : `${(wrong * 100).toFixed(2)}%`,
      r.success === undefined ? '-' : r.success ? 'yes' : 'no',
      fmt(r.clip_events, 8),
      fmt(r.skipped_steps, 8),
      fmt(r.seconds, 4),
    ];
  });
  return table(head, rows);
}

function losses(runs: RunData[]): string {
  const charts: string[] = [];
  for (const g of byTask(runs)) {
    const train: Series[] = [],
      valid: Series[] = [];
    g.runs.forEach((run, i) => {
      const color = PALETTE[i % PALETTE.length],
        name = short(run, g.suffix !== '');
      train.push({ name, points: pts(ofKind(run.metrics, 'train'), (r) => r.loss), color });
      valid.push({ name, points: pts(ofKind(run.metrics, 'eval'), (r) => r.loss), color, dashed: true });
    });
    const baseline = num(g.runs[0]?.result?.baseline);
    const hl =
      baseline !== null && g.runs.every((r) => num(r.result?.baseline) === baseline)
        ? [{ y: baseline, label: 'trivial predictor' }]
        : [];
    charts.push(
      lineChart(train, { title: `training loss${g.suffix}`, xLabel: 'step', logY: true, hlines: hl }),
      lineChart(valid, { title: `loss on fresh sequences${g.suffix}`, xLabel: 'step', logY: true, hlines: hl }),
    );
  }
  return grid(charts);
}

function gradFlow(runs: RunData[]): string {
  const maps: string[] = [],
    charts: string[] = [];
  for (const g of byTask(runs)) {
    const curves: Series[] = [];
    g.runs.forEach((run, i) => {
      const ds = diags(run);
      if (!ds.length) return;
      const nCores = cores(ds[0]!).length;
      for (let k = nCores - 1; k >= 0; k--) {
        const c0 = cores(ds[0]!)[k]!;
        const label = nCores > 1 ? ` (layer ${fmt(c0.layer)}${num(c0.direction) ? ', reverse' : ''})` : '';
        maps.push(
          heatmap(
            ds.map((d) => arr(cores(d)[k]?.dh_norms)),
            ds.map((d) => num(d.step) ?? NaN),
            {
              title: `${run.name}: ||dL/dh_t||${label}`,
              xLabel: 'time step t',
              yLabel: 'training step',
              grey: "this time step is past the batch's longest sequence, or its gradient is exactly 0",
            },
          ),
        );
      }
      const top = (d: Rec) => arr(cores(d)[nCores - 1]?.dh_norms).map((v, t): [number, number] => [t + 1, v ?? NaN]);
      const color = PALETTE[i % PALETTE.length],
        name = short(run, g.suffix !== '');
      curves.push({ name: `${name} @${fmt(ds[0]!.step, 8)}`, points: top(ds[0]!), color, dashed: true });
      if (ds.length > 1) curves.push({ name: `${name} @${fmt(ds.at(-1)!.step, 8)}`, points: top(ds.at(-1)!), color });
    });
    if (curves.length)
      charts.push(
        lineChart(curves, {
          title: `||dL/dh_t||, first (dashed) and last record${g.suffix}`,
          xLabel: 'time step t',
          logY: true,
        }),
      );
  }
  if (!maps.length) return '<p>No diagnostics in these runs (train with <code>--diag-every N</code>).</p>';
  return grid([...maps, ...charts]);
}

function spectra(runs: RunData[]): string {
  const charts: string[] = [];
  for (const g of byTask(runs)) {
    const rho: Series[] = [],
      jac: Series[] = [];
    g.runs.forEach((run, i) => {
      const ds = diags(run),
        color = PALETTE[i % PALETTE.length],
        name = short(run, g.suffix !== '');
      if (!ds.length) return;
      rho.push({ name: `${name} rho`, points: pts(ds, (d) => cores(d)[0]?.rho), color });
      rho.push({ name: `${name} sigma_max`, points: pts(ds, (d) => cores(d)[0]?.sigma), color, dashed: true });
      jac.push({ name, points: pts(ds, (d) => (cores(d)[0]?.jacobian as Rec | undefined)?.per_step), color });
    });
    if (!rho.length) continue;
    charts.push(
      lineChart(rho, {
        title: `W_hh (layer 0): rho solid, sigma_max dashed${g.suffix}`,
        xLabel: 'step',
        hlines: [{ y: 1, label: '1' }],
      }),
      lineChart(jac, {
        title: `Jacobian product: sigma_max^(1/window)${g.suffix}`,
        xLabel: 'step',
        hlines: [{ y: 1, label: '1' }],
      }),
    );
  }
  return charts.length ? grid(charts) : '<p>No diagnostics in these runs.</p>';
}

function clipping(runs: RunData[]): string {
  const charts: string[] = [];
  for (const g of byTask(runs)) {
    const norms: Series[] = [],
      events: Series[] = [];
    g.runs.forEach((run, i) => {
      const tr = ofKind(run.metrics, 'train'),
        color = PALETTE[i % PALETTE.length],
        name = short(run, g.suffix !== '');
      norms.push({ name, points: pts(tr, (r) => r.grad_norm), color });
      events.push({ name: `${name} clip events`, points: pts(tr, (r) => r.clip_events), color });
      const sk = pts(tr, (r) => r.skipped);
      if (sk.some(([, v]) => v > 0))
        events.push({ name: `${name} skipped (non-finite)`, points: sk, color, dashed: true });
    });
    charts.push(
      lineChart(norms, { title: `gradient global norm before clipping${g.suffix}`, xLabel: 'step', logY: true }),
      lineChart(events, { title: `clip events and skipped steps (cumulative)${g.suffix}`, xLabel: 'step' }),
    );
  }
  return grid(charts);
}

function saturationSection(runs: RunData[]): string {
  const charts: string[] = [];
  for (const g of byTask(runs)) {
    const sat: Series[] = [],
      hn: Series[] = [],
      gates: Series[] = [];
    g.runs.forEach((run, i) => {
      const ds = diags(run),
        color = PALETTE[i % PALETTE.length],
        name = short(run, g.suffix !== '');
      if (!ds.length) return;
      const s0 = (d: Rec) => (cores(d)[0]?.saturation ?? {}) as Rec;
      if (num(s0(ds[0]!).tanh) !== null)
        sat.push({ name: `${name} |tanh| > 0.99`, points: pts(ds, (d) => s0(d).tanh), color });
      if (num(s0(ds[0]!).relu_zero) !== null)
        sat.push({ name: `${name} ReLU at 0`, points: pts(ds, (d) => s0(d).relu_zero), color, dashed: true });
      const gs = (d: Rec) => (Array.isArray(s0(d).gates) ? (s0(d).gates as Rec[]) : []);
      for (const gate of gs(ds[0]!)) {
        if (!['f', 'z'].includes(String(gate.gate))) continue; // the memory gates: forget (LSTM), update (GRU)
        gates.push({
          name: `${name} ${String(gate.gate)} gate mean`,
          points: pts(ds, (d) => gs(d).find((x) => x.gate === gate.gate)?.mean),
          color,
        });
      }
      const last = ds.at(-1)!;
      hn.push({
        name: `${name} @${fmt(last.step, 8)}`,
        points: arr(cores(last)[0]?.h_norm).map((v, t): [number, number] => [t + 1, v ?? NaN]),
        color,
      });
    });
    if (!hn.length) continue;
    charts.push(
      lineChart(sat, { title: `saturated units (fraction, layer 0)${g.suffix}`, xLabel: 'step' }),
      lineChart(hn, { title: `mean ||h_t|| at the last measurement${g.suffix}`, xLabel: 'time step t' }),
    );
    if (gates.length)
      charts.push(lineChart(gates, { title: `memory gates: mean activation${g.suffix}`, xLabel: 'step' }));
  }
  return charts.length ? grid(charts) : '<p>No diagnostics in these runs.</p>';
}

function experiments(runs: RunData[]): string {
  const parts: string[] = [];
  for (const run of runs) {
    const rows = run.experiment;
    if (!rows?.length) continue;
    const lecture = rows.some((r) => typeof r.model_id === 'string');
    if (lecture) {
      const close = conclusions(rows);
      parts.push(
        `<h3>${esc(run.name)}: the lecture's models</h3>` +
          table(LECTURE_HEAD, lectureCells(rows)) +
          `<p class="intro">${esc(criterion(rows))}</p>` +
          (close ? `<p class="intro">${esc(close)}</p>` : ''),
      );
    }
    const st = successTable(rows);
    if (st.Ts.length && !lecture) {
      parts.push(
        `<h3>${esc(run.name)}: success rate per T (fraction of seeds under 1% wrong)</h3>` +
          table(
            ['task', 'method', ...st.Ts.map((T) => `T=${T}`)],
            st.rows.map((r) => [
              r.task,
              r.model,
              ...r.cells.map((c) => (c ? `${c.solved}/${c.runs} (${Math.round((100 * c.solved) / c.runs)}%)` : '-')),
            ]),
          ),
      );
    }
    const keys = [
      'task',
      'T',
      'model',
      'seed',
      'mse',
      'error_rate',
      'success',
      'steps',
      'seconds',
      'clip_events',
      'skipped_steps',
      'stopped',
      'error',
    ];
    const present = keys.filter((k) => rows.some((r) => r[k] !== undefined));
    parts.push(
      `<details><summary>${esc(run.name)}: all ${rows.length} runs</summary>` +
        table(
          present,
          rows.map((r) => present.map((k) => (typeof r[k] === 'number' ? fmt(r[k]) : String(r[k] ?? '-')))),
        ) +
        '</details>',
    );
  }
  return parts.join('');
}

/** Language-model runs: those whose evaluations are in bits per token (recur lm train). */
function lmRuns(runs: RunData[]): RunData[] {
  return runs.filter((r) => ofKind(r.metrics, 'eval').some((e) => num(e.bits_per_token) !== null));
}

/** The unit of a language-model run's tokens (char or word). */
function unitOf(run: RunData): string {
  const level = (run.config as Rec | undefined)?.level ?? run.result?.level;
  return level === 'word' ? 'word' : 'char';
}

/** Validation bits per token over training (with the n-gram baseline), training loss in the same unit, a table. */
function languageModels(runs: RunData[]): string {
  const lms = lmRuns(runs);
  if (!lms.length) return '';
  const units = new Set(lms.map(unitOf)),
    unit = units.size === 1 ? [...units][0]! : 'token';
  const val: Series[] = [],
    train: Series[] = [],
    hl: { y: number; label: string }[] = [];
  lms.forEach((run) => {
    const color = PALETTE[runs.indexOf(run) % PALETTE.length];
    val.push({ name: run.name, points: pts(ofKind(run.metrics, 'eval'), (r) => r.bits_per_token), color });
    const tr = ofKind(run.metrics, 'train');
    train.push({ name: run.name, points: pts(tr, (r) => (num(r.loss) ?? NaN) / Math.LN2), color });
    const ng = (run.result?.ngram ?? null) as Rec | null;
    const b = ng ? (num(ng[`bits_per_${unitOf(run)}`]) ?? num(ng.bits_per_token)) : null;
    if (b !== null) hl.push({ y: b, label: `${run.name}: ${String(ng!.model ?? 'n-gram')}` });
  });
  const rows = lms.map((run) => {
    const r = run.result ?? {},
      c = (run.config ?? {}) as Rec,
      m = (c.model ?? {}) as Rec,
      u = unitOf(run),
      ng = (r.ngram ?? null) as Rec | null;
    return [
      run.name,
      u,
      `${fmt(m.numLayers ?? r.layers ?? 1, 3)} x ${fmt(m.hiddenSize ?? r.hidden, 6)} ${String(m.cell ?? r.cell ?? '')}`,
      fmt(r.steps, 8),
      fmt(r.epochs_seen, 4),
      fmt(r.tokens_per_s, 8),
      fmt(r[`val_bits_per_${u}`] ?? r.val_bits_per_token, 4),
      fmt(r.val_perplexity, 5),
      ng ? `${fmt(ng.perplexity, 5)} (${fmt(ng[`bits_per_${u}`], 4)} bits)` : '-',
      String(r.evaluated_on ?? '-'),
    ];
  });
  return (
    table(
      [
        'run',
        'unit',
        'model',
        'updates',
        'epochs',
        'tokens/s',
        'val bits/token',
        'val perplexity',
        'n-gram perplexity',
        'evaluated on',
      ],
      rows,
    ) +
    grid([
      lineChart(val, { title: `validation bits per ${unit}`, xLabel: 'step', hlines: hl }),
      lineChart(train, { title: `training loss in bits per ${unit} (per update)`, xLabel: 'step' }),
    ])
  );
}

/** Up to `k` items spread evenly over `a`, the first and last included. */
function spread<T>(a: T[], k: number): T[] {
  if (a.length <= k) return a;
  return Array.from({ length: k }, (_, i) => a[Math.round((i * (a.length - 1)) / (k - 1))]!);
}

function samples(runs: RunData[]): string {
  return runs
    .filter((r) => r.samples?.length)
    .map((run) => {
      const evals = ofKind(run.metrics, 'eval');
      const bitsAt = (step: unknown) => {
        const e = evals.find((r) => num(r.step) === num(step));
        return e && num(e.bits_per_token) !== null
          ? `, validation ${fmt(e.bits_per_token, 4)} bits/${unitOf(run)}`
          : '';
      };
      const n = run.samples!.length;
      return (
        `<h3>${esc(run.name)}: ${n > 8 ? `8 of ${n} samples, ` : ''}over training</h3>` +
        spread(run.samples!, 8)
          .map(
            (s) =>
              `<div class="sample"><div class="sh">step ${fmt(s.step, 8)}` +
              `${s.temperature !== undefined ? `, temperature ${fmt(s.temperature)}` : ''}` +
              `${esc(bitsAt(s.step))}</div>` +
              `<pre>${esc(s.text)}</pre></div>`,
          )
          .join('')
      );
    })
    .join('');
}

/** Reservoir runs (recur esn): their scores in a table, then each forecast against the truth and its error. */
function reservoirs(runs: RunData[]): string {
  const rs = runs.filter(reservoir);
  if (!rs.length) return '';
  const head = [
    'run',
    'data',
    'units',
    'sr',
    'leak',
    'mode',
    'NRMSE (std)',
    'NRMSE (max-min)',
    'R^2',
    'steps',
    'fit s',
  ];
  const rows = rs.map((run) => {
    const c = (run.config ?? {}) as Rec,
      m = (run.scores ?? {}) as Rec;
    return [
      run.name,
      String(c.data ?? '-'),
      fmt(c.units, 8),
      fmt(c.sr),
      fmt(c.leak ?? c.lr), // `lr` in run folders from before issue 16
      String(c.mode ?? run.forecast?.mode ?? '-'),
      fmt(m.nrmse),
      fmt(m.nrmse_minmax),
      fmt(m.r2, 6),
      fmt(m.steps, 8),
      fmt(m.fit_s),
    ];
  });
  return table(head, rows) + forecasts(rs);
}

function forecasts(runs: RunData[]): string {
  const charts: string[] = [];
  for (const run of runs) {
    const f = run.forecast;
    if (!f) continue;
    const truth = arr(f.truth),
      pred = arr(f.prediction),
      t = Array.isArray(f.t) ? arr(f.t) : truth.map((_, i) => i);
    const s = (ys: (number | null)[]) => ys.map((y, i): [number, number] => [t[i] ?? i, y ?? NaN]);
    charts.push(
      lineChart(
        [
          { name: 'truth', points: s(truth), color: '#333' },
          { name: 'prediction', points: s(pred), color: '#d62728', dashed: true },
        ],
        { title: `${run.name}: forecast`, xLabel: 't', width: 700 },
      ),
    );
    const err = truth.map((y, i): [number, number] => [t[i] ?? i, Math.abs((pred[i] ?? NaN) - (y ?? NaN))]);
    charts.push(
      lineChart([{ name: '|prediction - truth|', points: err, color: '#d62728' }], {
        title: `${run.name}: error`,
        xLabel: 't',
        logY: true,
      }),
    );
  }
  return charts.length ? grid(charts) : '';
}

function configs(runs: RunData[]): string {
  // An experiment's own config lists every run's command line: the runs' configs below say it better.
  const shown = (c: Rec) => flatten(c).filter(([k]) => k !== 'jobs' && !k.startsWith('jobs.'));
  return grid(
    runs.map(
      (run) =>
        `<div class="cfg"><h3>${esc(run.name)}</h3>` +
        `${run.config ? table(['setting', 'value'], shown(run.config)) : '<p>no config.json</p>'}</div>`,
    ),
  );
}

export const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 6px;border-bottom:1px solid #ddd;padding-bottom:3px}
h3{font-size:14px;margin:14px 0 6px}.sub{color:#666}.intro{color:#444;max-width:900px;margin:4px 0 10px}
.grid{display:flex;flex-wrap:wrap;gap:12px}.chart{border:1px solid #ddd;background:#fff}
.ct{font-size:12px;font-weight:600}.al{font-size:11px;fill:#444}.tk{font-size:10px;fill:#555}.lg{font-size:10px}
table{border-collapse:collapse;background:#fff;font-size:12px;margin:4px 0}
td,th{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}th{background:#f0f0f0}
pre{white-space:pre-wrap;word-break:break-word;background:#fff;border:1px solid #ddd;padding:8px;margin:2px 0 10px;
max-width:900px}
.sh{color:#666;font-size:12px}.cfg{max-width:460px}nav a{margin-right:12px}`;

/** The report as one HTML string. */
export function buildReport(input: RunData[], o: ReportOptions = {}): string {
  const names = displayNames(input);
  const runs = input.map((r, i) => ({ ...r, name: names[i]! }));
  const title =
    o.title ??
    (runs.length <= 3 ? `recur report: ${runs.map((r) => r.name).join(', ')}` : `recur report: ${runs.length} runs`);
  const tr = runs.filter(trained);
  const parts: [string, string, string, string][] = [];
  const exp = experiments(runs);
  if (exp) parts.push(['experiment', 'Experiment', '', exp]);
  if (tr.length)
    parts.push(
      ['summary', 'Summary', 'Final evaluation on fresh sequences (result.json of each run).', summary(tr)],
      [
        'loss',
        'Loss',
        'Training loss (mean over the logging interval) and loss on fresh sequences (the checks); log scale.',
        losses(tr),
      ],
      [
        'gradflow',
        'Gradient flow through time',
        'Heatmaps: ||dL/dh_t|| for each time step t (x) at each measured training step (y), log colour scale. ' +
          'With a loss on the last step only, a colour that fades towards t = 1 is a vanishing gradient; ' +
          'one that brightens is an exploding one.',
        gradFlow(tr),
      ],
      [
        'spectra',
        'Spectra of the recurrence',
        'rho(W_hh) and sigma_max(W_hh) by power iteration; sigma_max of the product of step Jacobians over the ' +
          'last window of steps, as a per-step factor: below 1 the gradient shrinks going back in time, above 1 ' +
          'it grows. For the LSTM the Jacobian is that of the joint state (h, c).',
        spectra(tr),
      ],
      [
        'clipping',
        'Gradient norm and clipping',
        'The global gradient norm before clipping; clip events count updates whose norm exceeded the ' +
          'threshold; skipped steps had a non-finite gradient.',
        clipping(tr),
      ],
      [
        'saturation',
        'Saturation and state norms',
        'Fraction of tanh units with |v| > 0.99 (their derivative < 0.02), ReLU units at 0, memory-gate means, ' +
          'and the mean hidden-state norm over time.',
        saturationSection(tr),
      ],
    );
  const res = reservoirs(runs);
  if (res)
    parts.push([
      'reservoir',
      'Echo state networks',
      'Scores on the test stretch (NRMSE = RMSE / std of the truth; max-min: RMSE / range) and the forecast.',
      res,
    ]);
  const lm = languageModels(runs);
  if (lm)
    parts.push([
      'lm',
      'Language model',
      'Validation loss in bits per token (characters or words) over training, against the n-gram baseline fitted on ' +
        'the same split when the run has one (horizontal line); the training loss of each update in the same unit.',
      lm,
    ]);
  const smp = samples(runs);
  if (smp)
    parts.push([
      'samples',
      'Sampled text',
      'Samples drawn during training (seeded), with the validation score at that step. ' +
        'Shown as text: nothing in a sample is interpreted as HTML.',
      smp,
    ]);
  const fc = forecasts(runs.filter((r) => !reservoir(r)));
  if (fc) parts.push(['forecast', 'Forecasts', '', fc]);
  parts.push(['config', 'Configuration', '', configs(runs)]);
  return (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">' +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; ` +
    `img-src data:">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title>` +
    `<style>${CSS}</style></head><body>` +
    `<h1>${esc(title)}</h1>${o.subtitle ? `<div class="sub">${esc(o.subtitle)}</div>` : ''}` +
    `<nav>${parts.map(([id, h]) => `<a href="#${id}">${esc(h)}</a>`).join('')}</nav>` +
    parts.map(([id, h, intro, body]) => section(id, h, esc(intro), body)).join('') +
    '</body></html>\n'
  );
}
