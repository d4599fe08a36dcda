/**
 * What the lecture's experiment measured, in words drawn from the rows alone: a baseline for
 * each task, a one-line verdict per run and a closing paragraph whose every sentence is chosen
 * by a measured row (a claim the rows do not bear out is not made; what they show instead is).
 * Used by `recur start` / `recur experiment lecture` (text) and the report (HTML).
 *
 * A row is one run's result.json plus { task, T, model, model_id, budget } (cli/experiment.ts).
 * The metric is the task's own: MSE for adding (baseline: the best constant predictor, MSE 1/6),
 * the fraction of sequences wrong for temporal order (chance: 1 - 1/classes, 75%). Solved:
 * fewer than 1% of the final fresh sequences wrong (Pascanu et al. 2013).
 */
type Row = Record<string, unknown>;

const n = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Thresholds on metric / baseline: at or above AT_CHANCE nothing was learned; below LEARNED a lot was. */
export const AT_CHANCE = 0.9;
export const LEARNED = 0.5;

export interface Measure {
  /** 'mse' or 'wrong' (fraction of sequences wrong). */
  kind: 'mse' | 'wrong';
  value: number;
  /** What a model that learned nothing scores on this metric. */
  baseline: number;
}

/** The row's metric and its baseline, or null when the run has none (an error). */
export function measure(r: Row): Measure | null {
  const mse = n(r.mse),
    wrong = n(r.error_rate);
  if (mse !== null) {
    const b = n(r.baseline);
    return b === null ? null : { kind: 'mse', value: mse, baseline: b };
  }
  const chance = n(r.chance_error);
  return wrong === null || chance === null ? null : { kind: 'wrong', value: wrong, baseline: chance };
}

export type Outcome = 'error' | 'solved' | 'learned' | 'little' | 'nothing' | 'diverged';

export function outcome(r: Row): Outcome {
  if (r.error !== undefined && r.error !== null) return 'error';
  const m = measure(r);
  if (!m) return 'error';
  if (r.success === true) return 'solved';
  const loss = r.loss;
  if (typeof loss === 'number' && !Number.isFinite(loss)) return 'diverged';
  if ((n(r.skipped_steps) ?? 0) > (n(r.steps) ?? 0) / 2) return 'diverged';
  const ratio = m.value / m.baseline;
  return ratio >= AT_CHANCE ? 'nothing' : ratio >= LEARNED ? 'little' : 'learned';
}

export function fmtMetric(m: Pick<Measure, 'kind' | 'value'>): string {
  return m.kind === 'mse' ? `MSE ${m.value.toFixed(4)}` : `${(m.value * 100).toFixed(1)}% wrong`;
}

export function fmtBaseline(m: Measure): string {
  return m.kind === 'mse' ? `MSE ${m.baseline.toFixed(3)}` : `${(m.baseline * 100).toFixed(0)}% wrong`;
}

const int = (v: number) => v.toLocaleString('en-US');

/** The one-line verdict of a run. */
export function verdict(r: Row): string {
  const o = outcome(r),
    m = measure(r),
    steps = n(r.steps) ?? 0;
  switch (o) {
    case 'error':
      return `failed: ${String(r.error ?? 'no result')}`;
    case 'solved':
      return `solved at step ${int(n(r.solved_at) ?? steps)}`;
    case 'diverged':
      return `diverged (non-finite loss or gradients) in ${int(steps)} steps`;
    case 'nothing':
      return `learned nothing in ${int(steps)} steps: ${m!.kind === 'mse' ? 'at the baseline' : 'at chance'}`;
    case 'little':
      return (
        `learned a little in ${int(steps)} steps (${Math.round((1 - m!.value / m!.baseline) * 100)}% ` +
        `below ${m!.kind === 'mse' ? 'the baseline' : 'chance'})`
      );
    default:
      return (
        `learned but not solved in ${int(steps)} steps ` +
        `(${Math.round((1 - m!.value / m!.baseline) * 100)}% below ${m!.kind === 'mse' ? 'the baseline' : 'chance'})`
      );
  }
}

/** The row's result cell: the metric and, for MSE, the fraction wrong too. */
export function resultCell(r: Row): string {
  const m = measure(r);
  if (!m) return '-';
  const wrong = n(r.error_rate);
  return m.kind === 'mse' && wrong !== null ? `${fmtMetric(m)} (${(wrong * 100).toFixed(1)}% wrong)` : fmtMetric(m);
}

export function solvedCell(r: Row): string {
  if (outcome(r) === 'error') return '-';
  return r.success === true
    ? `at step ${int(n(r.solved_at) ?? n(r.steps) ?? 0)}`
    : `no (${int(n(r.steps) ?? 0)} steps)`;
}

/** The task's name with its length: 'adding (T=30)'. */
export function taskCell(r: Row): string {
  return `${String(r.task)} (T=${String(r.T)})`;
}

export const LECTURE_HEAD = ['task', 'model', 'baseline', 'result on fresh sequences', 'solved', 'verdict'];

/** The lecture table's cells, row by row (text and HTML render them). */
export function lectureCells(rows: readonly Row[]): string[][] {
  return rows.map((r) => {
    const m = measure(r);
    return [taskCell(r), modelName(r), m ? fmtBaseline(m) : '-', resultCell(r), solvedCell(r), verdict(r)];
  });
}

/** 'tanh-RNN + clip + orth' from a row's model ('b) tanh-RNN + clip + orth') or label. */
export function modelName(r: Row): string {
  return String(r.label ?? r.model ?? '?').replace(/^[a-e]\) /, '');
}

/** The criterion under the table, from the rows' own evaluation sizes. */
export function criterion(rows: readonly Row[]): string {
  const seqs = [...new Set(rows.map((r) => n(r.eval_sequences)).filter((v) => v !== null))] as number[];
  const checks = [...new Set(rows.map((r) => n(r.check_sequences)).filter((v) => v !== null))] as number[];
  const every = [...new Set(rows.map((r) => n(r.check_every)).filter((v) => v !== null))] as number[];
  const of = seqs.length ? seqs.map(int).join('/') : 'the';
  return (
    `Solved: fewer than 1% of ${of} fresh sequences wrong (adding: the sum off by more than 0.2; ` +
    `order: the wrong class)` +
    (checks.length && every.length
      ? `, checked every ${every.map(int).join('/')} steps on ${checks.map(int).join('/')} sequences and ` +
        `confirmed on the full set; "solved at step N" is the first confirmed check.`
      : '.') +
    ' Baseline: what a model that learned nothing scores (adding: always predicting 1, MSE 1/6; order: chance).'
  );
}

const by = (rows: readonly Row[], id: string, task?: string) =>
  rows.filter((r) => r.model_id === id && (task === undefined || r.task === task));

const list = (xs: string[]) => (xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`);

function where(r: Row): string {
  const m = measure(r);
  return `${String(r.task)} T=${String(r.T)}${m ? `: ${fmtMetric(m)} against ${fmtBaseline(m)}` : ''}`;
}

function solvedAt(r: Row): string {
  return `${String(r.task)} T=${String(r.T)} at step ${int(n(r.solved_at) ?? n(r.steps) ?? 0)}`;
}

/**
 * The closing paragraph: the lecture's conclusions, each stated only when the rows measured it
 * (models a-e of cli/experiment.ts). Returns '' when the rows hold none of the lecture's models.
 */
export function conclusions(rows: readonly Row[]): string {
  const out: string[] = [];
  const ok = rows.filter((r) => outcome(r) !== 'error');
  const solved = (rs: Row[]) => rs.filter((r) => outcome(r) === 'solved');
  const failed = (rs: Row[]) => rs.filter((r) => outcome(r) !== 'solved');

  const a = by(ok, 'a');
  if (a.length) {
    const f = failed(a),
      s = solved(a);
    if (!s.length)
      out.push(
        `The plain tanh-RNN (SGD with momentum, no clipping) solved nothing: ${list(f.map(where))}. ` +
          'Its gradient, multiplied by one step Jacobian per time step, vanishes (or explodes) before it ' +
          'reaches the inputs that decide the answer.',
      );
    else
      out.push(
        `The plain tanh-RNN solved ${list(s.map(solvedAt))}` +
          (f.length ? ` but not ${list(f.map(where))}` : '') +
          ': at this length its gradients still carry the dependency.',
      );
  }
  const b = by(ok, 'b');
  if (b.length) {
    const s = solved(b),
      f = failed(b);
    const rescued = s.filter((r) => by(ok, 'a', String(r.task)).some((x) => outcome(x) !== 'solved'));
    if (rescued.length)
      out.push(
        `Clipping the gradient norm and an orthogonal W_hh rescued ${list(rescued.map(solvedAt))}, ` +
          'where the plain tanh-RNN failed: the same model, trained so that its gradients neither blow up ' +
          'nor start out shrinking' +
          (f.length ? `; it did not solve ${list(f.map(where))} in its budget.` : '.'),
      );
    else if (s.length) out.push(`Clipping + orthogonal init solved ${list(s.map(solvedAt))}.`);
    else out.push(`Clipping + orthogonal init did not help here: ${list(f.map(where))}.`);
  }
  const c = by(ok, 'c');
  if (c.length) {
    const s = solved(c),
      l = c.filter((r) => outcome(r) === 'learned'),
      little = c.filter((r) => outcome(r) === 'little');
    const did = [
      s.length ? `solved ${list(s.map(solvedAt))}` : '',
      l.length ? `learned ${list(l.map(where))}` : '',
      little.length ? `learned a little of ${list(little.map(where))}` : '',
    ].filter(Boolean);
    if (s.length || l.length)
      out.push(
        `The IRNN (ReLU, identity W_hh) ${list(did)}: starting from the identity, its state is copied forward ` +
          'unchanged and its gradient passes back intact.',
      );
    else if (little.length) out.push(`The IRNN only ${list(did)} in its budget.`);
    else out.push(`The IRNN learned nothing here: ${list(c.map(where))}.`);
  }
  const gated = [...by(ok, 'd'), ...by(ok, 'e')];
  if (gated.length) {
    const s = solved(gated),
      f = failed(gated);
    const name = (r: Row) => modelName(r);
    const tasks = [...new Set(s.map((r) => `${String(r.task)} T=${String(r.T)}`))];
    const each = tasks.map((k) => {
      const rs = s.filter((r) => `${String(r.task)} T=${String(r.T)}` === k);
      return `${k} (${list(rs.map((r) => `${name(r)} at step ${int(n(r.solved_at) ?? n(r.steps) ?? 0)}`))})`;
    });
    if (s.length)
      out.push(
        `${list([...new Set(s.map(name))])} solved ${list(each)}: ` +
          'their gates let the state, and so the gradient, pass through many steps additively.' +
          (f.length ? ` Not solved in the budget: ${list(f.map((r) => `${where(r)} (${name(r)})`))}.` : ''),
      );
    else out.push(`Neither gated net solved a task in its budget: ${list(f.map((r) => `${where(r)} (${name(r)})`))}.`);
  }
  const aFailedAll = a.length > 0 && !solved(a).length;
  const cured = [...solved(by(ok, 'b')), ...solved(by(ok, 'c')), ...solved(gated)];
  if (aFailedAll && cured.length)
    out.push(
      'The tasks were learnable by nets of the same size on the same data and budget: the plain ' +
        "tanh-RNN's failure is one of training (its gradients), which clipping, initialisation and gating address.",
    );
  const errs = rows.filter((r) => outcome(r) === 'error');
  if (errs.length) out.push(`${errs.length} run${errs.length > 1 ? 's' : ''} failed and say nothing.`);
  return out.join(' ');
}

/** The table as aligned text (markdown-compatible). */
export function lectureText(rows: readonly Row[]): string {
  const body = lectureCells(rows);
  const w = LECTURE_HEAD.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (c: string[]) => '| ' + c.map((x, i) => x.padEnd(w[i]!)).join(' | ') + ' |';
  return [line(LECTURE_HEAD), '|' + w.map((k) => '-'.repeat(k + 2)).join('|') + '|', ...body.map(line)].join('\n');
}
