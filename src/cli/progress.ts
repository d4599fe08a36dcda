/** Progress on a TTY (one redrawn line on stderr), plain lines when piped. */
import type { CommandIO } from './args.js';

export class Progress {
  private last = 0;
  private lastPlain = 0;
  constructor(
    private readonly io: CommandIO,
    private readonly total: number,
    private readonly quiet = false,
    private readonly plainEvery = 10_000,
  ) {}

  /** Whether an update now would print (callers skip building their fields otherwise). */
  due(done: number): boolean {
    if (this.quiet) return false;
    if (done >= this.total) return true;
    const now = Date.now();
    return this.io.isTTY ? now - this.last >= 100 : now - this.lastPlain >= this.plainEvery;
  }

  update(done: number, fields: Record<string, string | number>): void {
    if (!this.due(done)) return;
    const now = Date.now();
    const text = Object.entries(fields)
      .map(([k, v]) => `${k} ${typeof v === 'number' ? fmt(v) : v}`)
      .join('  ');
    if (this.io.isTTY) {
      this.last = now;
      const w = 24,
        f = Math.round((w * done) / Math.max(1, this.total));
      const end = done >= this.total ? '\n' : '';
      this.io.tty?.(`\r[${'#'.repeat(f)}${'.'.repeat(w - f)}] ${done}/${this.total}  ${text}\x1b[K${end}`);
    } else {
      this.lastPlain = now;
      this.io.err(`${done}/${this.total}  ${text}`);
    }
  }
}

export function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : v.toFixed(4);
}

/** One run's progress as `recur train --progress json` reports it. */
export interface RunProgress {
  step: number;
  steps: number;
  loss: number | null;
  metric: number | null;
  solved: number | null;
}

/**
 * One line per run of an experiment: on a TTY a block redrawn in place (step, loss, metric of
 * each run), piped plain lines (when a run starts, every `plainEvery` ms while it runs, when it ends).
 */
export class LiveRuns {
  private readonly lines: string[];
  private drawn = 0;
  private lastDraw = 0;
  private readonly lastPlain: number[];

  constructor(
    private readonly io: CommandIO,
    private readonly names: string[],
    private readonly metricName: (i: number) => string,
    private readonly plainEvery = 10_000,
  ) {
    const w = Math.max(...names.map((s) => s.length));
    this.names = names.map((s) => s.padEnd(w));
    this.lines = this.names.map((s) => `${s}  waiting`);
    this.lastPlain = names.map(() => 0);
  }

  start(i: number): void {
    this.set(i, `${this.names[i]}  started`, true);
  }

  progress(i: number, p: RunProgress): void {
    const parts = [`step ${p.step}/${p.steps}`];
    if (p.loss !== null && Number.isFinite(p.loss)) parts.push(`loss ${fmt(p.loss)}`);
    if (p.metric !== null) {
      const m = this.metricName(i);
      parts.push(m === 'wrong' ? `${(p.metric * 100).toFixed(1)}% wrong` : `${m} ${fmt(p.metric)}`);
    }
    if (p.solved !== null) parts.push(`solved at ${p.solved}`);
    this.set(i, `${this.names[i]}  ${parts.join('  ')}`, false);
  }

  done(i: number, text: string): void {
    this.set(i, `${this.names[i]}  ${text}`, true);
  }

  private set(i: number, line: string, force: boolean): void {
    this.lines[i] = line;
    const now = Date.now();
    if (this.io.isTTY) {
      if (!force && now - this.lastDraw < 100) return;
      this.lastDraw = now;
      const width = Math.max(20, (this.io.columns ?? 120) - 1);
      let s = this.drawn ? `\x1b[${this.drawn}A` : '';
      for (const l of this.lines) s += `\r${l.slice(0, width)}\x1b[K\n`;
      this.io.tty?.(s);
      this.drawn = this.lines.length;
    } else if (force || now - this.lastPlain[i]! >= this.plainEvery) {
      this.lastPlain[i] = now;
      this.io.err(line.replace(/\s+/g, ' ').trim());
    }
  }
}
