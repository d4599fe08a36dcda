/**
 * Tables shared by the report (HTML) and the command line (text): success rates per sequence
 * length from experiment rows ({ task, T, model, seed, success }), as Pascanu et al. (2013)
 * report them: for each task and method, the fraction of seeds that solved the task at each T.
 */
export interface SuccessCell {
  solved: number;
  runs: number;
}

export interface SuccessTable {
  Ts: number[];
  /** One row per task x method, in first-seen order. */
  rows: { task: string; model: string; cells: (SuccessCell | null)[] }[];
}

export function successTable(rows: readonly Record<string, unknown>[]): SuccessTable {
  const Ts = [...new Set(rows.map((r) => Number(r.T)).filter(Number.isFinite))].sort((a, b) => a - b);
  const groups = new Map<string, { task: string; model: string; cells: (SuccessCell | null)[] }>();
  for (const r of rows) {
    const task = String(r.task ?? '?'),
      model = String(r.model ?? '?'),
      ti = Ts.indexOf(Number(r.T));
    if (ti < 0) continue;
    const key = JSON.stringify([task, model]);
    if (!groups.has(key)) groups.set(key, { task, model, cells: Ts.map(() => null) });
    const cell = (groups.get(key)!.cells[ti] ??= { solved: 0, runs: 0 });
    cell.runs++;
    if (r.success === true) cell.solved++;
  }
  return { Ts, rows: [...groups.values()] };
}

/** The table as aligned text (markdown-compatible): cells "solved/runs (rate%)". */
export function successText(t: SuccessTable): string {
  const head = ['task', 'method', ...t.Ts.map((T) => `T=${T}`)];
  const body = t.rows.map((r) => [
    r.task,
    r.model,
    ...r.cells.map((c) => (c ? `${c.solved}/${c.runs} (${Math.round((100 * c.solved) / c.runs)}%)` : '-')),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (c: string[]) => '| ' + c.map((x, i) => x.padEnd(w[i]!)).join(' | ') + ' |';
  return [line(head), '|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|', ...body.map(line)].join('\n');
}
