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

  update(done: number, fields: Record<string, string | number>): void {
    if (this.quiet) return;
    const now = Date.now();
    const text = Object.entries(fields)
      .map(([k, v]) => `${k} ${typeof v === 'number' ? fmt(v) : v}`)
      .join('  ');
    if (this.io.isTTY) {
      if (now - this.last < 100 && done < this.total) return;
      this.last = now;
      const w = 24,
        f = Math.round((w * done) / Math.max(1, this.total));
      process.stderr.write(`\r[${'#'.repeat(f)}${'.'.repeat(w - f)}] ${done}/${this.total}  ${text}\x1b[K`);
      if (done >= this.total) process.stderr.write('\n');
    } else if (now - this.lastPlain >= this.plainEvery || done >= this.total) {
      this.lastPlain = now;
      this.io.err(`${done}/${this.total}  ${text}`);
    }
  }
}

function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : v.toFixed(4);
}
